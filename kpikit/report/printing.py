"""PDF printing for a run's documents: in this process, or in a pool of printing processes.

WeasyPrint is pure Python, so one process prints one document at a time on one core,
and a run with packs prints many independent documents (the report, then one pack per
unit and per owner): 60 % of the packs' time. :class:`Printer` hands each document to a
pool of ``spawn`` processes while this process goes on computing the next pack's
sections, and writes every PDF (atomically) when :meth:`Printer.finish` has them all.
The same documents come out; only where they are printed changes
(``benchmarks/README.md``: the demo's run with unit packs, wall time).

A printer with one worker prints in this process at once, as before: so does every
printer in a ``run --all`` or Dask worker (:func:`print_in_this_process`), which runs
clients side by side already, and one where no process can start.

>>> with Printer(warm_up=warm_up).start() as printer:  # doctest: +SKIP
...     printer.print(Path("out/report.pdf"), html_to_pdf, html, "the report")
"""

from __future__ import annotations

import base64
import contextlib
import functools
import multiprocessing
import os
import re
import signal
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any

from kpikit.data.csvio import atomic_write
from kpikit.errors import ReportError
from kpikit.kit.resources import templates_dir

# -- the documents ----------------------------------------------------------------------

def html_to_pdf(html: str) -> bytes:
    """Print the report HTML to a tagged PDF (PDF/UA-1: structure tree, language, title).

    Page size, margins, running header and page numbers come from the HTML's print CSS
    (``templates/report/print.css``; the size from engagement.yaml ``report.page_size``).
    The charts are printed from :func:`~kpikit.charts.render.print_svgs`' leaner copy of
    the same SVG (same drawing and text, no screen-reader markup inside it).
    """
    from weasyprint import HTML

    from kpikit.charts.render import print_svgs

    pdf: bytes = HTML(string=print_svgs(html), base_url=None).write_pdf(pdf_variant="pdf/ua-1")
    return pdf



CHART_IMAGE_CLASS = "kpikit-chart-image"
"""The class of a chart in a pack's PDF copy, where it is an SVG image (:func:`charts_as_images`)."""
_CHART_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S)
_ARIA_LABEL = re.compile(r'\saria-label="([^"]*)"')
_SVG_SUBJECT = re.compile(r"\bsvg\s*$")


def chart_image(svg: str) -> str:
    """One inline chart as the ``<img>`` of its lean print copy (:func:`~kpikit.charts.render.print_svg`) in a data URI.

    WeasyPrint parses and styles every node of an inline ``<svg>`` as an HTML element
    (through its HTML parser and the report's CSS) before drawing it as SVG; an SVG image
    is parsed once as XML and drawn by the same SVG renderer, so the chart is the same
    vector drawing with the same text (still text in the PDF); the demo's unit packs took
    6% less CPU (benchmarks/README.md). The chart's ``aria-label`` becomes the image's ``alt``, which
    WeasyPrint writes as the Figure's alternative text in the PDF's structure tree (an
    inline SVG's ``aria-label`` is not). A chart that is not well-formed XML stays inline.
    """
    from kpikit.charts.render import print_svg

    lean = print_svg(svg)
    data = lean.encode("utf-8")
    try:
        ET.fromstring(data)
    except ET.ParseError:
        return svg
    root = lean[: lean.find(">") + 1]
    label = _ARIA_LABEL.search(root)
    alt = label.group(1) if label else ""  # already escaped for an attribute, as the aria-label was
    return (f'<img class="{CHART_IMAGE_CLASS}" alt="{alt}" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(data).decode("ascii")}">')


def chart_image_css(css: str) -> str:
    """The rules of ``css`` that size or place a chart's ``<svg>``, for its image (:func:`chart_image`).

    Every rule whose selector's subject is ``svg`` (``td.spark svg``, ``figure.chart svg``)
    is repeated with ``img.kpikit-chart-image`` in its place, in the same order and
    ``@media``, so the image is laid out exactly as the inline chart was.
    """
    import tinycss2  # type: ignore[import-untyped]  # WeasyPrint's own CSS parser (a dependency of it)

    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            chart = [_SVG_SUBJECT.sub(f"img.{CHART_IMAGE_CLASS}", s.strip())
                     for s in tinycss2.serialize(rule.prelude).split(",") if _SVG_SUBJECT.search(s)]
            if chart:
                out.append(f"{', '.join(chart)} {{{tinycss2.serialize(rule.content or [])}}}")
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
            inner = chart_image_css(tinycss2.serialize(rule.content))
            if inner:
                out.append(f"@media {tinycss2.serialize(rule.prelude).strip()} {{\n{inner}\n}}")
    return "\n".join(out)


def charts_as_images(html_text: str) -> str:
    """A page's PDF copy: every inline chart as an SVG image (:func:`chart_image`), and each ``<style>``
    of the page followed by its chart rules for the images (:func:`chart_image_css`)."""
    html_text = _CHART_SVG.sub(lambda m: chart_image(m.group(0)), html_text)

    def style(m: re.Match[str]) -> str:
        extra = chart_image_css(m.group(2))
        return f"{m.group(1)}{m.group(2)}\n{extra}\n{m.group(3)}" if extra else m.group(0)

    return _STYLE.sub(style, html_text)


@functools.cache
def _stylesheets() -> tuple[Any, ...]:
    """The report's screen and print CSS, parsed once per process for every pack's PDF (with one font configuration).

    Parsing the 18 KB of CSS and setting up fonts cost WeasyPrint about 0.3-0.5 s a document
    here; a run of 60 packs pays it once. Applied as user stylesheets, they sit where the
    inline ``<style>`` of the HTML file does (the page's own rules, the page size, come after).
    Each carries its chart rules for the charts printed as images (:func:`chart_image_css`).
    """
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    folder = templates_dir() / "report"
    texts = [(folder / name).read_text(encoding="utf-8") for name in ("report.css", "print.css")]
    sheets = tuple(CSS(string=f"{t}\n{chart_image_css(t)}\n", font_config=fonts) for t in texts)
    return (fonts, *sheets)


def warm_up() -> None:
    """Import WeasyPrint and parse the packs' stylesheets now (a printing process does it before its first pack)."""
    _stylesheets()


def pack_pdf(html_without_css: str) -> bytes:
    """Print a pack (rendered with ``inline_css=False``) to a tagged PDF (PDF/UA-1) with the CSS parsed once.

    The charts are printed as SVG images of their lean copies (:func:`charts_as_images`):
    the same vector drawing and text, each with its alternative text.
    """
    from weasyprint import HTML

    fonts, *sheets = _stylesheets()
    pdf: bytes = HTML(string=charts_as_images(html_without_css), base_url=None).write_pdf(
        stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")
    return pdf



# -- the pool ---------------------------------------------------------------------------

MAX_WORKERS = 4
"""Most printing processes: each holds a WeasyPrint (about 150-300 MB while it prints a report)."""

_IN_THIS_PROCESS = False
"""Set by :func:`print_in_this_process` in a process that runs clients side by side (``run --all``, Dask)."""


def print_in_this_process() -> None:
    """Make every :class:`Printer` of this process print in it: called by the ``run --all`` and Dask workers,
    which run clients side by side already (a pool per client there would be pools in pools)."""
    global _IN_THIS_PROCESS
    _IN_THIS_PROCESS = True


def default_workers() -> int:
    """Printing processes for this process: one per CPU (at most :data:`MAX_WORKERS`); 1 (this process) in a
    ``run --all`` or Dask worker (:func:`print_in_this_process`) and in a daemonic process, which may not
    start processes."""
    if _IN_THIS_PROCESS or multiprocessing.current_process().daemon:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _worker_init(parent: int, warm_up: Callable[[], None] | None) -> None:
    """Runs once in each printing process: leave Ctrl-C to the run, stop with it, then ``warm_up``.

    The run handles Ctrl-C and SIGTERM itself and stops the pool; a printing process that
    caught them would print a traceback (:meth:`Printer.start` starts the processes with
    Ctrl-C already ignored, for the moment before this runs). If the run dies without
    stopping the pool (SIGKILL), the process sees its parent gone and exits instead of
    waiting forever. A failing warm-up is left to the first document, which reports it
    with the document's name.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="kpikit-printer-watch", daemon=True).start()
    if warm_up is not None:
        with contextlib.suppress(Exception):
            warm_up()


def _ready(_: object = None) -> None:
    """The first task of each printing process (:meth:`Printer.start`): nothing."""


class Printer:
    """Print PDFs in ``workers`` processes (1: in this process, at once) and write them where asked.

    Use it as a context manager: leaving the block normally waits for every document and
    writes it (:meth:`finish`); leaving it with an exception stops the printing processes
    and writes nothing more (the run's staging folder is then discarded). :meth:`stop`
    (another thread: the run, interrupted) does the same at once and makes the next
    :meth:`print` raise.
    """

    def __init__(self, workers: int | None = None, warm_up: Callable[[], None] | None = None) -> None:
        n = default_workers() if workers is None else workers
        self.workers = max(1, n)
        self.warm_up = warm_up  # run once in each printing process before its first document (module-level)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[Path, Future[bytes], str]] = []
        self._stopped = threading.Event()

    def start(self) -> Printer:
        """Start the printing processes now, so they are warm by the first document; returns the printer.

        Called from the main thread, the processes start with Ctrl-C ignored (they inherit
        it), so a Ctrl-C while one is still importing cannot print its traceback.
        """
        if self.workers == 1 or self._pool is not None:
            return self
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for _ in range(self.workers):  # each submit with no idle process starts one
                self._submit(_ready, None)
        except (OSError, RuntimeError):  # no processes here (a limit, no /dev/shm): print in this one
            self._fall_back()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        return self

    def _submit(self, make: Callable[..., Any], arg: Any) -> Future[Any]:
        if self._stopped.is_set():  # stop() came from another thread since print() looked: start no new pool
            raise ReportError("the run was stopped before every document was printed")
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init,
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initargs=(os.getpid(), self.warm_up))
        return self._pool.submit(make, arg)

    def _fall_back(self) -> None:
        self.finish()  # what the pool took already
        self._terminate()
        self.workers = 1

    def print(self, target: Path, make: Callable[[str], bytes], html: str, what: str) -> Path:
        """Print ``make(html)`` (a module-level function: it is sent to a process) to ``target``; return ``target``.

        With one worker the file is written before this returns; otherwise by :meth:`finish`.
        ``what`` names the document in an error ("the unit pack U03").
        """
        if self._stopped.is_set():
            raise ReportError(f"the run was stopped before {what} was printed")
        if self.workers == 1:
            atomic_write(target, make(html))
            return target
        try:
            future = self._submit(make, html)
        except BrokenProcessPool:  # a printing process died: name the document it was printing
            self.finish()
            raise
        except (OSError, RuntimeError):  # no processes here (a limit, no /dev/shm): print in this one
            self._fall_back()
            return self.print(target, make, html, what)
        self._pending.append((target, future, what))
        return target

    def finish(self) -> None:
        """Wait for every document, in the order given, and write each; the first failure is raised."""
        pending, self._pending = self._pending, []
        for target, future, what in pending:
            try:
                data = future.result()
            except BrokenProcessPool as exc:  # a printing process died (killed, out of memory)
                raise ReportError(f"the process printing {what} stopped before it finished") from exc
            atomic_write(target, data)  # a failure in the document itself is raised as in one process

    def stop(self) -> None:
        """Stop at once (from any thread): the printing processes end, nothing more is printed or written."""
        self._stopped.set()
        self._terminate()

    def close(self) -> None:
        """Stop the printing processes once every document is printed (:meth:`finish`) or given up."""
        for _, future, _ in self._pending:
            future.cancel()
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _terminate(self) -> None:
        """End the printing processes without waiting for what they print (cancelled, never written)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # concurrent.futures has no public way to end its processes before Python 3.14 (terminate_workers)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self._pending = []
            self._terminate()
            return
        try:
            self.finish()
        finally:
            self.close()


__all__ = ["CHART_IMAGE_CLASS", "MAX_WORKERS", "Printer", "chart_image", "chart_image_css", "charts_as_images",
           "default_workers", "html_to_pdf", "pack_pdf", "print_in_this_process", "warm_up"]
