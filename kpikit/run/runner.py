"""One client's run: validate, execute the notebooks, write the deliverables.

:func:`run_engagement` is what ``kpikit run DIR`` does. The order matters:

1. Everything that can be wrong with the input is checked before anything is
   written (:func:`prepare_run`): the engagement (every ``FILE:LINE`` problem),
   the period, the formats, the notebooks, the output folder. A bad input leaves
   no trace, not even an empty output folder.
2. The kernel is launched, then the parent computes ``findings.csv``,
   ``scorecard.csv`` and ``objective_scores.csv`` from the engine while the kernel
   starts and imports what the notebooks import (two cores, both busy).
3. The notebooks run on that one kernel (:mod:`kpikit.run.session`), each in a
   clean namespace, each written to ``notebooks/`` as it finishes: in name order,
   except that the report notebook goes first when no other notebook can hand it
   files (:func:`execution_order`); its progress line then says so.
4. The report is built from the executed report notebook
   (:func:`kpikit.report.build.build_report`), in a background thread while the
   other notebooks run.

The run leaves the caller's process as it found it, apart from modules it imports
for the report (the same ones :func:`~kpikit.report.build.build_report` imports).

A failing notebook stops the run: what was written stays, ``manifest.json`` says
``failed`` with the notebook, cell and error, and there is no report. Earlier runs
are never touched: every run gets a new folder. Input files are only read.

The run folder's own rules (:mod:`kpikit.run.outputs`): never inside the engagement
folder except ``runs/``; owned by one run (an exclusive ``manifest.json``); a full disk,
a read-only folder or Ctrl-C/SIGTERM ends with ``manifest.json`` saying ``failed`` or
``interrupted`` and why, and no staging left; paths recorded relative to the run folder.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.errors import CannotWriteError, KernelStartError, RunSetupError
from kpikit.kit.resources import notebooks_dir as default_notebooks_dir
from kpikit.report.build import FORMATS
from kpikit.report.csvout import write_csv
from kpikit.report.printing import Printer
from kpikit.run.inputs import copy_inputs
from kpikit.run.manifest import Failure, Manifest, NotebookRecord, package_versions, utc_now
from kpikit.run.notebooks import imported_modules, read_declared_parameters
from kpikit.run.outputs import (
    PathScrubber,
    abandon,
    check_out_location,
    claim,
    engagement_label,
    make_folder,
    os_reason,
    relative_to_run,
    release_space,
    reserve_space,
    sweep,
    write_with_reserve,
)
from kpikit.run.session import KERNEL_ENV, KERNEL_NAME, KernelSession

DEFAULT_FORMATS = frozenset(FORMATS)
RUNS_DIR = "runs"

Progress = Callable[[str], None]

EARLY_REPORT_NOTE = "run first: the report is built in the background while the other notebooks run"
"""Said on the report notebook's progress line when it runs before the others (:func:`execution_order`)."""


@dataclass
class RunPlan:
    """A validated run, ready to execute: nothing has been written yet."""

    eng: Engagement
    period: str | None
    formats: frozenset[str]
    notebooks: list[Path]
    out: Path | None
    packs: frozenset[str] = frozenset()
    """Audiences to write packs for (``--packs``): ``units``, ``owners``."""


@dataclass
class RunResult:
    """What a run produced. ``outcome`` is ``"succeeded"`` or ``"failed"``."""

    client: str
    out_dir: Path
    outcome: str
    seconds: float
    reports: list[Path] = field(default_factory=list)
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "succeeded"


def parse_formats(text: str | Iterable[str]) -> frozenset[str]:
    """``"html,pdf"`` (or an iterable of names) as a set; raises :class:`RunSetupError` on anything else.

    >>> sorted(parse_formats("pdf, html"))
    ['html', 'pdf']
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    names = {s.strip().lower() for s in items if s.strip()}
    unknown = names - DEFAULT_FORMATS
    if unknown or not names:
        raise RunSetupError(f"--format must be html, pdf, pptx or a list like html,pdf (got {', '.join(sorted(unknown)) or 'nothing'})")
    return frozenset(names)


def parse_packs(text: str | Iterable[str] | None) -> frozenset[str]:
    """``"units,owners"`` as a set of pack audiences (:data:`kpikit.report.packs.AUDIENCES`); empty for none."""
    from kpikit.report.packs import AUDIENCES

    if text is None:
        return frozenset()
    items = text.split(",") if isinstance(text, str) else list(text)
    names = {s.strip().lower() for s in items if s.strip()}
    unknown = names - set(AUDIENCES)
    if unknown or (isinstance(text, str) and not names):
        raise RunSetupError(f"--packs must be units, owners and/or meeting, comma-separated (got {', '.join(sorted(unknown)) or 'nothing'})")
    return frozenset(names)


def find_notebooks(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` in name order (checkpoints and hidden files skipped)."""
    if not folder.is_dir():
        raise RunSetupError("no such notebooks folder", str(folder))
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))
    if not found:
        raise RunSetupError("no notebooks (*.ipynb) in this folder", str(folder))
    return found


def report_notebook(notebooks: Sequence[Path]) -> Path:
    """The notebook the report is built from: the last one named ``*report*``, else the last one."""
    named = [p for p in notebooks if "report" in p.stem.lower()]
    return (named or list(notebooks))[-1]


def prepare_run(
    folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    period: str | None = None,
    formats: Iterable[str] = DEFAULT_FORMATS,
    notebooks: str | os.PathLike[str] | None = None,
    packs: str | Iterable[str] | None = None,
) -> RunPlan:
    """Check everything a run needs; raise before anything is written.

    Raises :class:`~kpikit.errors.EngagementError` (input errors, every one),
    :class:`~kpikit.errors.NotAnEngagementError` or :class:`~kpikit.errors.RunSetupError`.
    """
    eng = load_engagement(folder)
    try:
        review = eng.review_period(period)
    except ValueError as exc:
        raise RunSetupError(f"--period: {exc}") from exc
    fmts = parse_formats(formats)
    audiences = parse_packs(packs)
    if "pptx" in fmts:
        _check_deck_template(eng)
    nbs = find_notebooks(Path(notebooks) if notebooks is not None else default_notebooks_dir())
    # Absolute from here on: the kernel runs each notebook with the run folder as its
    # working directory, so a relative path (``kpikit run clients/acme``) would break.
    out_path = Path(out).resolve() if out is not None else None
    if out_path is not None:
        check_out_location(out_path, eng.path, RUNS_DIR)
    if out_path is not None and out_path.exists() and (not out_path.is_dir() or any(out_path.iterdir())):
        raise RunSetupError("the output folder exists and is not empty; a run never overwrites another", str(out_path))
    return RunPlan(eng, str(review) if review else None, fmts, nbs, out_path, audiences)


def _check_deck_template(eng: Engagement) -> None:
    """A deck template python-pptx cannot open stops the run before anything is written."""
    from kpikit.errors import ReportError
    from kpikit.report.deck import check_template

    try:
        check_template(eng)
    except ReportError as exc:
        raise RunSetupError(exc.reason, "engagement.yaml" if eng.config.report.deck_template else None) from exc


def new_run_folder(eng: Engagement) -> Path:
    """``DIR/runs/<UTC timestamp>/``, created; a suffix keeps two runs in one second apart.

    Raises :class:`~kpikit.errors.CannotWriteError` when the engagement folder is read-only
    (or full): the message says to give ``--out`` on a writable disk.
    """
    root = eng.path.resolve() / RUNS_DIR
    hint = "; give --out FOLDER on a writable disk (a run only reads the engagement)"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotWriteError(f"cannot create the runs folder: {exc.strerror or exc}{hint}", str(root)) from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        candidate = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise CannotWriteError(f"cannot create the run folder: {exc.strerror or exc}{hint}", str(candidate)) from exc
    raise RunSetupError("cannot create a new run folder", str(root))  # pragma: no cover


def write_tables(eng: Engagement, period: str | None, out: Path) -> list[Path]:
    """``findings.csv``, ``scorecard.csv``, ``objective_scores.csv`` from the engine, atomically.

    Written by :func:`kpikit.report.csvout.write_csv`: a formula-looking ID or title
    (``-1-1``, ``=HYPERLINK(...)``) is escaped so that a spreadsheet shows it as text.
    """
    from kpikit.engine import all_findings
    from kpikit.engine.behaviour import scorecard_file
    from kpikit.engine.findings import findings_frame
    from kpikit.engine.review import objective_scores

    tables = {
        "findings.csv": findings_frame(all_findings(eng, period)),
        "scorecard.csv": scorecard_file(eng, period),
        "objective_scores.csv": objective_scores(eng, period),
    }
    return [write_csv(out / name, df) for name, df in tables.items()]


def notebook_parameters(plan: RunPlan, out: Path) -> dict[str, Any]:
    """The typed values injected into each notebook's ``parameters`` cell (if it declares them).

    Paths are relative to the run folder, the notebooks' working folder (``client_dir``
    is ``../..`` for a run in ``DIR/runs/``): the executed notebooks and the manifest
    name no folder of this machine.
    """
    return {
        "client_dir": relative_to_run(plan.eng.path.resolve(), out.resolve()),
        "period": plan.period,
        "output_dir": ".",
        "static_charts": True,
    }


def run_engagement(
    folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    period: str | None = None,
    formats: Iterable[str] = DEFAULT_FORMATS,
    notebooks: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    session: KernelSession | None = None,
) -> RunResult:
    """Run one engagement (see the module docstring); raises only for input/setup errors.

    ``session`` lets a caller (``--all``'s workers) reuse a warm kernel across
    clients; without it the run starts its own and stops it at the end.
    """
    return execute_plan(
        prepare_run(folder, out=out, period=period, formats=formats, notebooks=notebooks),
        progress=progress,
        session=session,
    )


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal (``kpikit run`` turns SIGTERM and SIGHUP into this, like Ctrl-C)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def execute_plan(plan: RunPlan, *, progress: Progress | None = None, session: KernelSession | None = None) -> RunResult:
    """Carry out a :class:`RunPlan`; the output folder is created (and claimed) here and only here.

    Raises :class:`~kpikit.errors.RunSetupError` when another run owns the output folder
    and :class:`~kpikit.errors.CannotWriteError` when it cannot be written at all (both
    before anything is written); re-raises ``KeyboardInterrupt`` after recording it in
    the manifest (the exception's ``out_dir`` names the run folder).
    """
    t0 = time.perf_counter()
    eng = plan.eng
    say = progress or (lambda _line: None)
    if plan.out is None:
        out, created = new_run_folder(eng), True
    else:
        out = plan.out
        created = make_folder(out)
    claim(out, created=created)
    scrub = PathScrubber(out, eng.path)
    nb_out = out / "notebooks"
    params = notebook_parameters(plan, out)
    source = plan.notebooks[0].parent.resolve()
    manifest = Manifest(
        client=eng.client,
        engagement=engagement_label(eng.path, out),
        period=plan.period,
        started=utc_now(),
        parameters=params,
        formats=sorted(plan.formats),
        inputs=dict(sorted(eng.fingerprints.items())),
        packages=package_versions(),
        notebooks_source="kit" if source == default_notebooks_dir().resolve() else source.name,
        kernel={"name": KERNEL_NAME},
    )
    try:
        reserve_space(out)
        manifest.write(out)
        copy_inputs(eng, out)  # inputs/: the exact files this run read (kpikit.run.inputs)
    except OSError as exc:  # a full or read-only disk before anything ran: leave nothing
        abandon(out, created)
        raise CannotWriteError(f"cannot write the run folder: {exc.strerror or exc}", str(out)) from exc
    except RunSetupError:  # an input edited while the run started: the copy would not be what was read
        abandon(out, created)
        raise

    own = session is None
    ks = session if session is not None else KernelSession(KERNEL_ENV)
    result = RunResult(eng.client, out, "failed", 0.0)
    job: ReportJob | None = None
    current: str | None = None  # the notebook running, for a write failure or an interruption

    def finish(outcome: str, failure: Failure | None = None) -> RunResult:
        if job is not None and outcome != "succeeded":
            job.discard()
        manifest.outcome = "succeeded" if outcome == "succeeded" else "interrupted" if outcome == "interrupted" else "failed"
        manifest.failure = failure
        manifest.finished = utc_now()
        manifest.seconds = round(time.perf_counter() - t0, 3)
        sweep(out)
        for nb in sorted(nb_out.glob("*.ipynb")):  # after the report was built from them (its own leak check)
            with contextlib.suppress(OSError):  # a full disk: the notebook stays as papermill wrote it
                scrub.file(nb)
        release_space(out)
        manifest.outputs = sorted(
            p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
        if "manifest.json" not in manifest.outputs:
            manifest.outputs.append("manifest.json")
        write_with_reserve(lambda: manifest.write(out), out)
        result.outcome, result.failure, result.seconds = outcome, failure, manifest.seconds
        return result

    try:
        try:
            t = time.perf_counter()
            ks.launch()  # the kernel boots while the parent computes the tables
            tables_error: BaseException | None = None
            try:
                write_tables(eng, plan.period, out)
            except Exception as exc:  # an engine bug (or a full disk) must still leave a manifest
                tables_error = exc
            ks.start()
            manifest.kernel["start_seconds"] = round(time.perf_counter() - t, 3)
            if isinstance(tables_error, OSError):
                return finish("failed", Failure("write", type(tables_error).__name__, os_reason(tables_error, scrub)))
            if tables_error is not None:
                return finish("failed", Failure("tables", type(tables_error).__name__, _one_line(scrub(str(tables_error)))))
            t = time.perf_counter()
            ks.warm_up(imported_modules(plan.notebooks))
            preload = _preload(["kpikit.report.build", "nbconvert", *(["weasyprint"] if "pdf" in plan.formats else [])])
            ks.wait_warm()
            manifest.kernel["warm_up_seconds"] = round(time.perf_counter() - t, 3)
        except Exception as exc:  # no kernel (after retrying) or one that died warming up
            return finish("failed", Failure("kernel", type(exc).__name__, _one_line(scrub(str(exc)))))
        say(f"kernel ready {manifest.kernel['start_seconds'] + manifest.kernel['warm_up_seconds']:.1f}s")
        manifest.write(out)

        report_nb = report_notebook(plan.notebooks)
        order = execution_order(plan.notebooks, report_nb)
        n = len(order)
        early = order != list(plan.notebooks)  # the report notebook moved to the front
        for i, src in enumerate(order, 1):
            current = src.name
            t = time.perf_counter()
            failure = _run_one(ks, src, nb_out / src.name, params, out, scrub)
            secs = round(time.perf_counter() - t, 3)
            manifest.notebooks.append(NotebookRecord(src.name, secs, "failed" if failure else "succeeded"))
            note = f" ({EARLY_REPORT_NOTE})" if early and src == report_nb else ""
            say(f"[{i}/{n}] {src.name} {secs:.1f}s{note}" + (" FAILED" if failure else ""))
            if failure is not None:
                return finish("failed", failure)
            manifest.write(out)
            if src == report_nb:  # build the report while the kernel runs the remaining notebooks
                preload.join()
                job = ReportJob(nb_out / src.name, out, eng, plan.formats, plan.period, plan.packs)
                job.start_printer()  # here, in the main thread: the printing processes start with Ctrl-C ignored
                job.start()
        current = None

        assert job is not None
        t = time.perf_counter()
        try:
            result.reports = job.finish()
        except Exception as exc:
            say(f"report FAILED {job.seconds:.1f}s")
            step = "write" if isinstance(exc, OSError) else "report"
            reason = os_reason(exc, scrub) if isinstance(exc, OSError) else _one_line(scrub(str(exc)))
            return finish("failed", Failure(step, type(exc).__name__, reason, notebook=report_nb.name))
        waited = time.perf_counter() - t
        say(f"report {', '.join(p.name for p in result.reports)} {job.seconds:.1f}s ({waited:.1f}s after the last notebook)")
        manifest.report_seconds = round(job.seconds, 3)
        return finish("succeeded")
    except OSError as exc:  # the disk refused a manifest or notebook write: full, read-only, gone
        return finish("failed", Failure("write", type(exc).__name__, os_reason(exc, scrub), notebook=current))
    except KeyboardInterrupt as exc:
        _quiet_asyncio_after_interrupt()
        name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
        if job is not None and job.is_alive():
            say("interrupted: waiting for the report build to stop (Ctrl-C again to quit at once)")
        where = f" during {current}" if current else ""
        finish("interrupted", Failure("interrupted", name, f"the run was interrupted by {name}{where}", notebook=current))
        exc.out_dir = out  # type: ignore[attr-defined]
        raise
    finally:
        if own:
            ks.shutdown()


class _DropOrphanTaskErrors(logging.Filter):
    """After Ctrl-C, nbclient's cell task is left holding DeadKernelError; asyncio logs it with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Task exception was never retrieved", "Future exception was never retrieved"))


_ORPHAN_FILTER = _DropOrphanTaskErrors()


def _quiet_asyncio_after_interrupt() -> None:
    logging.getLogger("asyncio").addFilter(_ORPHAN_FILTER)  # idempotent: the same filter object


def execution_order(notebooks: Sequence[Path], report_nb: Path) -> list[Path]:
    """The report notebook first when the notebooks cannot depend on each other; else name order.

    The report (nbconvert, then WeasyPrint: the longest single step) is built in a
    background thread as soon as the report notebook has run, while the kernel runs
    the other notebooks: on two cores the report costs little wall time. This is
    only safe when no notebook can hand files to the report notebook, i.e. when
    none of the others declares ``output_dir``; they then read only the
    engagement, and the order cannot change a result.
    """
    for nb in notebooks:
        if nb == report_nb:
            continue
        try:
            declared = read_declared_parameters(nb)
        except Exception:
            return list(notebooks)
        if "output_dir" in declared:
            return list(notebooks)
    return [report_nb, *(p for p in notebooks if p != report_nb)]


class ReportJob(threading.Thread):
    """:func:`kpikit.report.build.build_report` in a background thread, into a hidden staging folder.

    The files move into the run folder (atomic renames) only in :meth:`finish`,
    i.e. only when every notebook succeeded; :meth:`discard` drops them. So a
    failed run never shows a report, even one built before the failure.
    """

    def __init__(self, executed: Path, out: Path, eng: Engagement, formats: frozenset[str],
                 period: str | None = None, packs: frozenset[str] = frozenset()) -> None:
        super().__init__(name="kpikit-report", daemon=True)
        self.executed, self.out, self.eng, self.formats = executed, out, eng, formats
        self.period, self.packs = period, packs
        self.printer: Printer | None = None
        self.staging = out / ".report-staging"
        self.paths: list[Path] = []
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        t = time.perf_counter()
        try:
            from kpikit.report.build import build_report

            self.staging.mkdir(exist_ok=True)
            if not self.packs:
                self.paths = build_report(self.executed, self.staging, self.eng, set(self.formats), self.period)
            else:  # every PDF printed in other processes while this one computes the next pack
                from kpikit.report.context import ReportContext
                from kpikit.report.packs import write_packs

                ctx = ReportContext(self.eng, self.period)  # one for the deck and every pack
                with self.printer or Printer(1) as printer:
                    self.paths = build_report(self.executed, self.staging, self.eng, set(self.formats), self.period,
                                              printer, ctx)
                    self.paths += write_packs(self.eng, self.period, self.staging, self.packs, base=ctx, printer=printer)
        except BaseException as exc:  # handed to the main thread by finish()
            self.error = exc
        self.seconds = time.perf_counter() - t

    def finish(self) -> list[Path]:
        """Wait, then move the report into the run folder; re-raises the build's error."""
        self.join()
        try:
            if self.error is not None:
                raise self.error
            moved = []
            for p in self.paths:
                dest = self.out / p.relative_to(self.staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
                moved.append(dest)
            return moved
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def start_printer(self) -> None:
        """With packs, start the printing processes (:class:`~kpikit.report.printing.Printer`) before the job."""
        if self.packs:
            from kpikit.report.printing import warm_up

            self.printer = Printer(warm_up=warm_up).start()

    def discard(self) -> None:
        """Stop the build (its printing processes at once, its computing at the next document) and drop it."""
        if self.printer is not None:
            self.printer.stop()
        self.join()
        shutil.rmtree(self.staging, ignore_errors=True)


def _preload(modules: list[str]) -> threading.Thread:
    """Import the report's modules in a background thread while the kernel runs the notebooks.

    The parent only waits on the kernel's sockets meanwhile (which releases the
    GIL), so on two or more cores the 1-2 s of nbconvert and WeasyPrint imports
    cost no wall time. These are modules the report step imports anyway in this
    process, so the caller's ``sys.modules`` ends the same as without the preload.
    An import error is left for the report step to report.
    """

    def work() -> None:
        for name in modules:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=work, name="kpikit-preload", daemon=True)
    thread.start()
    return thread


def _run_one(
    ks: KernelSession, src: Path, dest: Path, params: dict[str, Any], cwd: Path, scrub: PathScrubber
) -> Failure | None:
    """Run one notebook; a failure comes back as a :class:`Failure`, never as a traceback."""
    from papermill.exceptions import PapermillExecutionError

    try:
        ks.run_notebook(src, dest, params, cwd=cwd)
    except PapermillExecutionError as exc:
        return Failure("notebook", str(exc.ename), _one_line(scrub(str(exc.evalue))), src.name, _cell_index(dest, exc), exc.exec_count)
    except KernelStartError as exc:
        return Failure("kernel", "KernelStartError", scrub(str(exc)), src.name)
    except OSError as exc:  # writing the executed notebook: a full or read-only disk
        return Failure("write", type(exc).__name__, os_reason(exc, scrub), src.name)
    except Exception as exc:  # dead kernel, cell timeout, unreadable notebook
        return Failure("notebook", type(exc).__name__, _one_line(scrub(str(exc))), src.name, _running_cell(ks))
    return None


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _cell_index(written: Path, exc: Any) -> int | None:
    """The failing cell's index in the notebook as written (papermill adds marker cells above it)."""
    index: int | None = exc.cell_index
    try:
        import nbformat

        nb = nbformat.read(str(written), as_version=4)  # type: ignore[no-untyped-call]
    except Exception:
        return index
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return index


def _running_cell(ks: KernelSession) -> int | None:
    """The cell that was executing when the kernel died or timed out: the last one started."""
    nb = ks.current_nb
    if nb is None:
        return None
    started = [
        i for i, cell in enumerate(nb.cells) if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return started[-1] if started else None
