"""How long a client run takes: ``kpikit run`` against the pipeline a user would script.

Usage: ``.venv/bin/python benchmarks/bench_run.py [--rounds 2] [--clients 10] [--skip-naive] [--skip-all] [--notebooks NBDIR]``

Measured side by side, each on fresh copies of ``clients/demo-harbor``:

(a) ``kpikit run DIR --format html,pdf`` (one warm kernel for all seven notebooks);
(b) the naive pipeline: the ``papermill`` CLI once per notebook (a kernel each),
    then ``jupyter nbconvert --to html --no-input`` on the report notebook, then
    the ``weasyprint`` CLI on that HTML;
(c) ``kpikit run --all ROOT`` over N copies with ``--workers 1`` and ``--workers 2``.

(a) and (b) alternate ``--rounds`` times (a, b, a, b, ...) so both see the same load on a
shared machine; each round prints its ratio, and (a)'s line shows the report step from its
manifest (``report_seconds``: nbconvert + WeasyPrint, in a thread beside 01-06).

Every step is a separate command, timed wall-clock, as a user would see it. Peak
memory is the largest total RSS of the command's process tree (parent, workers and
kernels together), sampled every 50 ms with psutil. Targets: (a) <= 0.25 x (b);
(c) 2 workers >= 1.8 x faster than 1 worker (needs two idle cores).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "clients" / "demo-harbor"
BIN = Path(sys.executable).parent
NOTEBOOKS = [ROOT / "notebooks"]  # --notebooks replaces it (e.g. tests/fixtures/notebooks_small_workbook)
ENV = {**os.environ, "KPIKIT_UNATTENDED": "1"}


def copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    return dest


class PeakRSS:
    """Largest total RSS (MB) of a process and its descendants while it runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is there with jupyter
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Run a command; return (seconds, peak MB). Fails loudly if the command fails."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRSS(proc.pid) as mem:
        out, err = proc.communicate()
    secs = time.perf_counter() - t
    if proc.returncode not in (0,):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{out[-3000:]}\n{err[-2000:]}")
    return secs, mem.peak


def bench_kpikit(work: Path) -> tuple[float, float, float]:
    """(seconds, peak MB, the report step's seconds from the run's manifest)."""
    import json

    client = copy_demo(work / "a" / "demo-harbor")
    out = work / "a" / "out"
    secs, mb = timed([str(BIN / "kpikit"), "run", str(client), "--format", "html,pdf", "--quiet", "--out", str(out),
                      "--notebooks", str(NOTEBOOKS[0])])
    report = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("report_seconds", float("nan"))
    shutil.rmtree(work / "a")
    return secs, mb, float(report)


def bench_naive(work: Path) -> tuple[float, float, dict[str, float]]:
    shutil.rmtree(work / "b", ignore_errors=True)
    client = copy_demo(work / "b" / "demo-harbor")
    out = work / "b" / "out"
    out.mkdir(parents=True)
    steps: dict[str, float] = {}
    peak = 0.0
    total = 0.0
    for nb in sorted(NOTEBOOKS[0].glob("[0-9]*.ipynb")):
        secs, mb = timed(
            [str(BIN / "papermill"), str(nb), str(out / nb.name), "-k", "python3", "--cwd", str(out),
             "-p", "client_dir", str(client), "-r", "period", "2026-Q3", "-p", "static_charts", "True",
             "-p", "output_dir", str(out), "--no-progress-bar"]
        )
        steps[f"papermill {nb.name}"] = secs
        total += secs
        peak = max(peak, mb)
    report_nb = sorted(out.glob("*report*.ipynb"))[-1]
    secs, mb = timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(report_nb), "--output-dir", str(out)])
    steps["nbconvert --to html"] = secs
    total += secs
    peak = max(peak, mb)
    html = out / (report_nb.stem + ".html")
    secs, mb = timed([str(BIN / "weasyprint"), str(html), str(out / "report.pdf")])
    steps["weasyprint"] = secs
    total += secs
    peak = max(peak, mb)
    return total, peak, steps


def bench_all(work: Path, clients: int, workers: int) -> tuple[float, float]:
    root = work / f"all-{workers}"
    for i in range(clients):
        copy_demo(root / f"client-{i:02d}")
    return timed([str(BIN / "kpikit"), "run", "--all", str(root), "--workers", str(workers), "--quiet", "--format", "html,pdf",
                  "--notebooks", str(NOTEBOOKS[0])])


def load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="alternate (a) and (b) this many times")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-all", action="store_true")
    ap.add_argument("--notebooks", type=Path, help="run these notebooks instead of the kit's")
    args = ap.parse_args()
    if args.notebooks:
        NOTEBOOKS[0] = args.notebooks.resolve()
    print(f"cores: {os.cpu_count()}, load average before: {load()}, notebooks: {NOTEBOOKS[0]}")
    with tempfile.TemporaryDirectory(prefix="kpikit-bench-") as tmp:
        work = Path(tmp)
        for n in range(1, args.rounds + 1):
            a, a_mb, report = bench_kpikit(work)
            print(f"round {n} (a) kpikit run, html+pdf:    {a:6.1f} s   peak {a_mb:5.0f} MB   report step {report:5.1f} s "
                  f"(load {load()})", flush=True)
            if not args.skip_naive:
                b, b_mb, steps = bench_naive(work)
                for name, secs in steps.items():
                    print(f"      {name:<34} {secs:6.1f} s")
                print(f"round {n} (b) papermill CLI per notebook + nbconvert + weasyprint: {b:6.1f} s   peak {b_mb:5.0f} MB")
                print(f"    ratio (a)/(b) = {a / b:.2f}  (target <= 0.25)", flush=True)
        if not args.skip_all:
            one, one_mb = bench_all(work, args.clients, 1)
            two, two_mb = bench_all(work, args.clients, 2)
            print(f"(c) run --all, {args.clients} clients, 1 worker:  {one:6.1f} s   peak {one_mb:5.0f} MB")
            print(f"    run --all, {args.clients} clients, 2 workers: {two:6.1f} s   peak {two_mb:5.0f} MB")
            print(f"    speed-up = {one / two:.2f}x  (target >= 1.8x)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
