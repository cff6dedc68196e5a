"""A portfolio's monthly re-run: ``kpikit run --all`` over N demo-size clients, pool against Dask, first run against second.

Usage: ``.venv/bin/python benchmarks/bench_portfolio.py [--clients 20] [--changed 2] [--skip-one-worker] [--notebooks NBDIR]``

On fresh copies of ``clients/demo-harbor`` (each its own folder, so each its own run), timed
wall-clock as separate commands, as a user sees them:

(a) ``--workers 1`` and (b) ``--workers 2`` (the local process pool, each from scratch);
(c) ``--cluster local:2`` (a Dask LocalCluster of two worker processes, from scratch:
    every client is forced, ``--force``, so it runs);
(d) a second ``--all`` (pool, 2 workers) after ``--changed`` clients had one actual edited:
    only those run again, the others are ``unchanged`` (aim: under 0.15x of (b)).

Each command's exit status and the count of ``unchanged`` clients are checked, so a figure
is never that of a run that did not do its work.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "clients" / "demo-harbor"
KPIKIT = Path(sys.executable).with_name("kpikit")


def make_root(parent: Path, n: int) -> Path:
    root = parent / "clients"
    for i in range(n):
        shutil.copytree(DEMO, root / f"client-{i:02d}", ignore=shutil.ignore_patterns("runs", ".kpikit"))
    return root


def timed(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    secs = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return secs, proc.stdout


def unchanged(stdout: str) -> int:
    m = re.search(r"\((\d+) unchanged", stdout.splitlines()[-1])
    return int(m.group(1)) if m else 0


def why_rerun(client: Path) -> str:
    """Which parts of the run key differ between the client's last two runs (why it ran again)."""
    import json

    from kpikit.run.incremental import KEY_FILE, changed_parts

    keys = [json.loads((d / KEY_FILE).read_text(encoding="utf-8")) for d in sorted((client / "runs").iterdir())
            if (d / KEY_FILE).is_file()]
    return ", ".join(p for p in changed_parts(keys[-2], keys[-1]) if p != "digest") if len(keys) >= 2 else "?"


def check_unchanged(root: Path, stdout: str, expected: int) -> None:
    got = unchanged(stdout)
    if got != expected:
        sys.exit(f"{got} unchanged, expected {expected}; client-05 ran again because these changed: "
                 f"{why_rerun(root / 'client-05')} (the kit's code moved under the benchmark? then run it again)")


def edit_one_actual(client: Path) -> None:
    """Change the last actual's value by a tiny amount (a restated number: a real monthly change)."""
    path = client / "actuals.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i in range(len(lines) - 1, 0, -1):
        cells = lines[i].split(",")
        try:
            cells[2] = repr(float(cells[2]) + 0.001)
        except (IndexError, ValueError):
            continue
        lines[i] = ",".join(cells)
        break
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--changed", type=int, default=2)
    ap.add_argument("--skip-one-worker", action="store_true")
    ap.add_argument("--notebooks", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpikit-bench-portfolio-") as tmp:
        root = make_root(Path(tmp), args.clients)
        base = [str(KPIKIT), "run", "--all", str(root), "--quiet"]
        if args.notebooks:
            base += ["--notebooks", str(args.notebooks.resolve())]
        results: dict[str, float] = {}

        def record(name: str, secs: float) -> None:
            results[name] = secs
            print(f"{name:<34} {secs:7.1f} s", flush=True)

        if not args.skip_one_worker:
            record("pool, 1 worker", timed([*base, "--workers", "1", "--force"])[0])
        record("pool, 2 workers", timed([*base, "--workers", "2", "--force"])[0])
        record("Dask LocalCluster, 2 workers", timed([*base, "--cluster", "local:2", "--force"])[0])
        nothing, out = timed([*base, "--workers", "2"])
        check_unchanged(root, out, args.clients)
        record("second run, nothing changed", nothing)
        for i in range(args.changed):
            edit_one_actual(root / f"client-{i:02d}")
        secs, out = timed([*base, "--workers", "2"])
        check_unchanged(root, out, args.clients - args.changed)
        record(f"second run, {args.changed} changed", secs)
    first = results["pool, 2 workers"]
    print(f"\n{args.clients} demo-size clients")
    for name, secs in results.items():
        print(f"{name:<34} {secs:7.1f} s  {secs / first:5.2f} x pool-2")


if __name__ == "__main__":
    main()
