"""PDFs printed in a pool of processes (report/printing.Printer): the same documents as in one process.

A run with packs hands every PDF to printing processes while it computes the next pack;
what a reader gets must not change, a failure must still say which document, and no
printing process may outlive the run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from canaryclient import write_client
from printjobs import PIDS_FOLDER, dies, fails, page, pdf_of_page, workers_here, workers_in_daemon
from support import pdf_text

from kpikit.charts import render
from kpikit.data.store import load_engagement
from kpikit.errors import ReportError
from kpikit.report import html
from kpikit.report.packs import write_packs
from kpikit.report.printing import Printer, default_workers


def test_unit_packs_printed_in_processes_read_the_same_as_printed_here(tmp_path: Path) -> None:
    """Each unit pack's PDF holds the same text on the same number of pages, whichever process printed it."""
    client = write_client(tmp_path / "client", n_units=4)
    eng = load_engagement(client)
    render.reset_kernel_state()  # chart and figure IDs count from 1 in both: the same HTML
    html.reset_kernel_state()
    here = write_packs(eng, None, tmp_path / "here", {"units"})
    render.reset_kernel_state()
    html.reset_kernel_state()
    with Printer(2) as printer:
        pooled = write_packs(eng, None, tmp_path / "pool", {"units"}, printer=printer)
    assert [p.relative_to(tmp_path / "pool") for p in pooled] == [p.relative_to(tmp_path / "here") for p in here]
    pdfs = [p for p in here if p.suffix == ".pdf"]
    assert len(pdfs) == 4
    for p in pdfs:
        other = tmp_path / "pool" / p.relative_to(tmp_path / "here")
        assert pdf_text(other) == pdf_text(p)
        assert "CANARY_U" in pdf_text(other)
    for p in (p for p in here if p.suffix == ".html"):
        assert (tmp_path / "pool" / p.relative_to(tmp_path / "here")).read_bytes() == p.read_bytes()


def test_a_document_that_fails_in_a_printing_process_raises_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="this page cannot be printed: <!DOC"), Printer(2) as printer:  # noqa: PT012
        printer.print(tmp_path / "a.pdf", pdf_of_page, page("first"), "page a")
        printer.print(tmp_path / "b.pdf", fails, page("second"), "page b")
        assert not (tmp_path / "a.pdf").exists()  # written when every document is printed (leaving the block)
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "b.pdf").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_printing_process_killed_midway_names_the_document(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="the process printing the unit pack U03 stopped before it finished"), \
            Printer(2) as printer:
        printer.print(tmp_path / "U03.pdf", dies, page("x"), "the unit pack U03")
    assert not (tmp_path / "U03.pdf").exists()


def test_a_printer_prints_here_at_once_with_one_worker(tmp_path: Path) -> None:
    printer = Printer(1)
    printer.print(tmp_path / "a.pdf", pdf_of_page, page("here"), "page a")
    assert "here" in pdf_text(tmp_path / "a.pdf")  # written before finish
    printer.close()


def test_a_printer_prints_here_when_no_process_can_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No /dev/shm for the pool's locks, or a process limit: the documents are printed in this process."""
    from kpikit.report import printing

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied: '/dev/shm'")

    monkeypatch.setattr(printing, "ProcessPoolExecutor", refused)
    with Printer(2) as printer:
        printer.print(tmp_path / "a.pdf", pdf_of_page, page("printed here"), "page a")
        assert "printed here" in pdf_text(tmp_path / "a.pdf")
    assert printer.workers == 1


def test_a_daemonic_process_prints_in_itself() -> None:
    """run --all's pool workers and Dask's workers are daemonic: they may not start printing processes."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=workers_in_daemon, args=(queue,), daemon=True)
    proc.start()
    got = queue.get(timeout=60)
    proc.join(timeout=60)
    assert got == 1
    assert default_workers() == min(os.cpu_count() or 1, 4)


def test_printing_processes_stop_when_the_run_is_killed(tmp_path: Path) -> None:
    """A run killed with SIGKILL cannot shut its pool down; its printing processes see it gone and exit."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path[:0] = {sys.path!r}
        from kpikit.report.printing import Printer
        from printjobs import sleeps
        if __name__ == "__main__":
            printer = Printer(2)
            printer.print(Path({str(tmp_path / "a.pdf")!r}), sleeps, "", "a")
            printer.print(Path({str(tmp_path / "b.pdf")!r}), sleeps, "", "b")
            time.sleep(120)
    """), encoding="utf-8")
    run = subprocess.Popen([sys.executable, str(script)], env={**os.environ, PIDS_FOLDER: str(tmp_path)})
    try:
        deadline = time.monotonic() + 90
        while len(list(tmp_path.glob("pid-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        pids = [int(p.name.removeprefix("pid-")) for p in tmp_path.glob("pid-*")]
        assert len(pids) == 2, "the printing processes did not start"
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids)
    assert not (tmp_path / "a.pdf").exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:  # a zombie waits for a reaper: it no longer runs
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _printing_processes(group: int) -> list[int]:
    ps = subprocess.run(["ps", "-o", "pid=,args=", "-g", str(group)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in ps.splitlines() if "multiprocessing.spawn" in line]


def test_ctrl_c_while_packs_print_stops_the_run_at_once_without_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, printing processes included: the run says it was interrupted
    (exit 130), no printing process prints a traceback or outlives it, and no pack is left behind."""
    client = write_client(tmp_path / "client", n_units=30)
    out = tmp_path / "out"
    kpikit = Path(sys.executable).parent / "kpikit"
    proc = subprocess.Popen([str(kpikit), "run", str(client), "--out", str(out), "--format", "html", "--packs", "units"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        staged = out / ".report-staging" / "packs" / "units"
        while not (len(list(staged.glob("*.html"))) >= 2 and _printing_processes(proc.pid)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the packs were never printed"
            time.sleep(0.1)
        printing = _printing_processes(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        t = time.monotonic()
        _, stderr = proc.communicate(timeout=120)
        took = time.monotonic() - t
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("kpikit run: interrupted by SIGINT")
    assert took < 10  # stopped at the next pack, not after printing all 30 (17 s here)
    assert not any(_alive(p) for p in printing)
    assert not (out / "packs").exists()
    assert not (out / ".report-staging").exists()


def test_a_run_all_worker_prints_in_itself() -> None:
    """run --all already runs clients side by side: its workers print their clients' PDFs themselves."""
    from concurrent.futures import ProcessPoolExecutor

    from kpikit.run import batch
    from kpikit.run.runner import KERNEL_ENV

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=batch._worker_init,
                             initargs=(KERNEL_ENV,)) as pool:
        assert pool.submit(workers_here).result(timeout=120) == 1
