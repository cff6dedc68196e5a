"""``kpikit run --all ROOT``: every engagement under ROOT, in parallel worker processes.

Each client runs in a separate process (a ``spawn`` process pool): papermill and
kernels keep per-process state (``os.chdir``, environment, event loops), so two
clients never share a process at the same time. A worker keeps ONE warm kernel
(its :class:`WorkerState`) and reuses it for the clients it gets, one after another (the kernel resets its
namespace before every notebook, exactly as within one client), which saves a
kernel start and the heavy imports per client; after a failed client the worker
starts a fresh kernel. One client's failure, even a crashed worker, never stops
the others; the caller gets one :class:`ClientOutcome` per client. Unchanged clients
(:mod:`kpikit.run.incremental`) are found here in the parent first, so a month where few
clients changed starts workers only for those, and one where none did starts none.

>>> results = run_all(Path("clients"), workers=2)     # doctest: +SKIP
>>> print(format_summary(results))                   # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import util as mp_util
from pathlib import Path

from kpikit.data.schema import CONFIG_FILE
from kpikit.errors import EngagementError, KpikitError, RunSetupError
from kpikit.report.printing import print_in_this_process
from kpikit.run.session import KERNEL_ENV, KernelSession
from kpikit.run.slow_imports import skip_slow_optional_imports

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ClientOutcome:
    """One client's result in a batch. ``outcome``: ``succeeded``, ``unchanged`` (skipped: its last
    successful run is current, :mod:`kpikit.run.incremental`), ``failed`` or ``input errors``."""

    folder: str
    client: str
    outcome: str
    seconds: float
    out_dir: str | None = None
    report: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("succeeded", "unchanged")


def find_engagements(root: Path) -> list[Path]:
    """Folders directly under ``root`` that hold an ``engagement.yaml``, in name order."""
    if not root.is_dir():
        raise RunSetupError("no such folder", str(root))
    found = sorted(p for p in root.iterdir() if p.is_dir() and (p / CONFIG_FILE).is_file())
    if not found:
        raise RunSetupError(f"no engagement folders (a folder with {CONFIG_FILE}) directly under this folder", str(root))
    return found


def default_workers() -> int:
    """One worker per CPU, at most four (each worker also has a kernel process)."""
    return max(1, min(4, os.cpu_count() or 1))


# -- worker side ----------------------------------------------------------------------


@dataclass
class WorkerState:
    """What one worker process keeps between the clients it runs: its warm kernel session."""

    session: KernelSession


_WORKER: WorkerState | None = None
"""This worker process's state, set once by :func:`_worker_init`; ``None`` in the parent.

A module global because the process pool gives an initializer no other way to hand
anything to the tasks of its worker: a task is a pickled function and its
arguments, and a kernel session (sockets, a child process) cannot be pickled.
Only :func:`_worker_init` sets it and only :func:`_run_client` reads it.
"""


def _worker_init(kernel_env: dict[str, str]) -> None:
    """Runs once in each worker: skip the slow optional import, print PDFs here, boot a kernel early."""
    global _WORKER
    skip_slow_optional_imports()  # a worker is kpikit's own process (see kpikit.run.slow_imports)
    print_in_this_process()  # clients run side by side already: no printing pool per client
    session = KernelSession(kernel_env)
    session.launch()
    _WORKER = WorkerState(session)
    mp_util.Finalize(None, session.shutdown, exitpriority=10)


def _run_client(
    folder: str,
    out: str | None,
    period: str | None,
    formats: list[str],
    notebooks: str | None,
    quiet: bool,
    force: bool = False,
    before_run: Callable[[Path], None] | None = None,
    packs: str | None = None,
) -> ClientOutcome:
    """Run one client in this worker (or skip it when unchanged); every error becomes a :class:`ClientOutcome`.

    ``before_run`` (Dask workers) is told the run folder before anything is written in it;
    the folder is then created here rather than by the runner. ``packs`` (``--packs``) writes
    the client's packs into its own run folder, like a single ``kpikit run DIR --packs``.
    """
    import sys

    from kpikit.run.incremental import prepare, record_success, unchanged_line
    from kpikit.run.runner import execute_plan, new_run_folder

    t0 = time.perf_counter()
    name = Path(folder).name
    try:
        plan, key, skip = prepare(folder, out=out, period=period, formats=formats, notebooks=notebooks, force=force,
                                  packs=packs)
    except EngagementError as exc:
        first = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (+{len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        return ClientOutcome(folder, name, "input errors", time.perf_counter() - t0,
                             error=f"{len(exc.problems)} input errors: {first}{more}")
    except KpikitError as exc:
        return ClientOutcome(folder, name, "input errors", time.perf_counter() - t0, error=str(exc))

    def say(line: str) -> None:
        print(f"{name}: {line}", file=sys.stderr, flush=True)

    if skip is not None:
        report = next((str(p) for p in skip.reports), None)
        return ClientOutcome(folder, plan.eng.client, "unchanged", time.perf_counter() - t0,
                             out_dir=str(skip.run_dir), report=report, error=unchanged_line(skip))
    session = _WORKER.session if _WORKER is not None else None
    try:
        if before_run is not None:
            if plan.out is None:
                plan.out = new_run_folder(plan.eng)
            before_run(plan.out)
        result = execute_plan(plan, progress=None if quiet else say, session=session)
        record_success(result, key)
    except Exception as exc:  # a bug must not take the batch down
        if session is not None:
            session.shutdown()
        return ClientOutcome(folder, plan.eng.client, "failed", time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    if session is not None and not result.ok:
        session.shutdown()  # the next client gets a fresh kernel
        session.launch()
    report = next((str(p) for p in result.reports if p.suffix == ".html"), None) or (
        str(result.reports[0]) if result.reports else None
    )
    return ClientOutcome(
        folder,
        plan.eng.client,
        result.outcome,
        result.seconds,
        out_dir=str(result.out_dir),
        report=report,
        error=result.failure.describe() if result.failure else None,
    )


# -- parent side ----------------------------------------------------------------------


def unchanged_outcome(
    folder: Path,
    out: str | None,
    period: str | None,
    formats: list[str],
    notebooks: str | None,
    packs: str | None = None,
) -> ClientOutcome | None:
    """``folder``'s ``unchanged`` outcome when its last successful run is current; None when it must run.

    Asked in the parent before any worker starts: a month's re-run of a portfolio is mostly
    unchanged clients, and each one sent to the pool cost a worker process, its warm kernel
    and a second import of the kit (about 1.5-2 s a client; here 0.1-0.2 s). Anything else,
    input errors included, is left to the worker, which reports it as before.
    """
    from kpikit.run.incremental import prepare, unchanged_line

    t0 = time.perf_counter()
    try:
        plan, _key, skip = prepare(folder, out=out, period=period, formats=formats, notebooks=notebooks, packs=packs)
    except Exception:  # the worker runs it again and words whatever this was
        return None
    if skip is None:
        return None
    report = next((str(p) for p in skip.reports), None)
    return ClientOutcome(str(folder), plan.eng.client, "unchanged", time.perf_counter() - t0,
                         out_dir=str(skip.run_dir), report=report, error=unchanged_line(skip))


def split_unchanged(
    folders: Sequence[Path],
    out: Path | None,
    period: str | None,
    formats: list[str],
    notebooks: str | None,
    packs: str | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, ClientOutcome], list[Path]]:
    """The clients that are unchanged (their outcomes, by folder) and the ones to run, in folder order."""
    done: dict[str, ClientOutcome] = {}
    todo: list[Path] = []
    for f in folders:
        res = unchanged_outcome(f, str(out / f.name) if out is not None else None, period, formats, notebooks, packs)
        if res is None:
            todo.append(f)
            continue
        done[str(f)] = res
        if progress is not None:
            progress(f"[{len(done)}/{len(folders)}] {f.name} unchanged {res.seconds:.1f}s")
    return done, todo


def run_all(
    root: Path,
    *,
    workers: int = 2,
    out: Path | None = None,
    period: str | None = None,
    formats: Iterable[str] = ("html", "pdf"),
    notebooks: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    force: bool = False,
    folders: Sequence[Path] | None = None,
    packs: str | None = None,
) -> list[ClientOutcome]:
    """Run every engagement under ``root`` (or only ``folders``) with ``workers`` processes; results in folder order.

    ``out`` (optional) gets one sub-folder per client (``OUT/<folder name>``);
    otherwise each client writes to its own ``runs/<UTC timestamp>/``. A client whose
    last successful run is current is skipped (``unchanged``) unless ``force``. ``packs``
    (``"units,owners"``) writes each client's packs into that client's own run folder.
    :func:`kpikit.run.cluster.run_on_dask` is the same on a Dask cluster.
    """
    folders = find_engagements(root) if folders is None else list(folders)
    if not folders:
        return []
    fmts = sorted(formats)
    nb = str(Path(notebooks).resolve()) if notebooks is not None else None
    quiet = progress is None
    n = len(folders)
    results, todo = ({}, list(folders)) if force else split_unchanged(folders, out, period, fmts, nb, packs, progress)
    if not todo:
        return [results[str(f)] for f in folders]  # nothing to run: no worker, no kernel
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(todo))), mp_context=ctx, initializer=_worker_init, initargs=(KERNEL_ENV,)
    ) as pool:
        futures: dict[Future[ClientOutcome], Path] = {}
        for f in todo:
            dest = str(out / f.name) if out is not None else None
            futures[pool.submit(_run_client, str(f), dest, period, fmts, nb, quiet, force, None, packs)] = f
        for done, fut in enumerate(as_completed(futures), len(results) + 1):
            folder = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker process died
                res = ClientOutcome(str(folder), folder.name, "failed", 0.0, error=f"worker crashed: {type(exc).__name__}: {exc}")
            results[str(folder)] = res
            if progress is not None:
                progress(f"[{done}/{n}] {folder.name} {res.outcome} {res.seconds:.1f}s")
    return [results[str(f)] for f in folders]


def format_summary(results: list[ClientOutcome]) -> str:
    """A plain-text table: client, outcome, seconds, report path or error; then the totals."""
    rows = [(r.client, r.outcome, f"{r.seconds:.1f}", r.report or r.error or r.out_dir or "") for r in results]
    head = ("client", "outcome", "seconds", "report or error")
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) if rows else len(head[i]) for i in range(3)]
    lines = [f"{head[0]:<{widths[0]}}  {head[1]:<{widths[1]}}  {head[2]:>{widths[2]}}  {head[3]}"]
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows]
    stopped = sum(r.outcome == "refresh failed" for r in results)  # run --all --refresh: not run (exit 4)
    failed = sum(not r.ok for r in results) - stopped
    unchanged = sum(r.outcome == "unchanged" for r in results)
    lines.append(f"{len(results) - failed - stopped} of {len(results)} clients succeeded"
                 + (f" ({unchanged} unchanged, not run again)" if unchanged else "")
                 + (f"; {failed} failed" if failed else "")
                 + (f"; {stopped} not run: a data source failed (exit 4)" if stopped else ""))
    return "\n".join(lines)
