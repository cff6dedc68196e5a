"""The 07 notebook's *Export the report* button: the export of ``kpikit run``, from the lab.

The button calls what ``kpikit run DIR`` calls (:func:`kpikit.run.incremental.prepare`,
:func:`kpikit.run.runner.execute_plan`, :func:`kpikit.run.incremental.record_success`):
the kit's notebooks on a kernel of their own, the report in every default format, a new
``DIR/runs/<stamp>/`` folder with its manifest. So the file the client gets from the lab
is byte for byte the one the command line would write, and a run whose inputs are
unchanged since the last successful one is not repeated (the button says where that run
is; *Export again* forces a fresh one). Progress lines appear as the notebooks run; a
failure says where, as the command does; input errors are listed as ``FILE:LINE``.

Unattended (``kpikit run`` executing 07 itself) it shows nothing: the report must not
contain a button, nor start a run inside a run.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from kpikit.editors.base import is_unattended
from kpikit.errors import EngagementError, KpikitError


class ReportExport(widgets.VBox):  # type: ignore[misc]
    """A button, a status line and the run's progress lines."""

    def __init__(self, client_dir: str | os.PathLike[str], period: str | None = None,
                 formats: Iterable[str] | None = None) -> None:
        super().__init__()
        self.add_class("kpikit-export")
        self.client_dir = Path(client_dir)
        self.period = period
        self.formats = frozenset(formats) if formats is not None else None
        self.button = widgets.Button(description="Export the report", icon="file-export",
                                     tooltip="write the report as `kpikit run` does, into the client's runs/ folder",
                                     layout=widgets.Layout(width="auto"))
        self.again = widgets.Button(description="Export again", icon="redo",
                                    tooltip="run even though nothing changed since the last export",
                                    layout=widgets.Layout(width="auto", display="none"))
        self.button.on_click(lambda _b: self.export())
        self.again.on_click(lambda _b: self.export(force=True))
        self.status = widgets.HTML()
        self.status.add_class("kpikit-export-status")
        self.progress = widgets.HTML()
        self.progress.add_class("kpikit-export-progress")
        self.lines: list[str] = []
        self.children = [widgets.HBox([self.button, self.again]), self.status, self.progress]

    def say(self, line: str) -> None:
        """One progress line (the runner's ``[3/7] 02_metrics.ipynb 0.6s``), shown at once."""
        self.lines.append(line)
        self.progress.value = ("<pre style='margin:0;font-size:90%'>"
                               + html.escape("\n".join(self.lines[-12:])) + "</pre>")

    def export(self, *, force: bool = False) -> Path | None:
        """Run the export; the run folder when a report exists afterwards, else None (the status says why)."""
        from kpikit.run.incremental import prepare, record_success
        from kpikit.run.runner import execute_plan

        self.lines = []
        self.progress.value = ""
        self.button.disabled = self.again.disabled = True
        label = self.button.description
        self.button.description = "Exporting…"
        self.status.value = "<i>Exporting: the seven notebooks run on a kernel of their own (about a minute)…</i>"
        t0 = time.perf_counter()
        try:
            options: dict[str, Any] = {"period": self.period}
            if self.formats is not None:
                options["formats"] = self.formats
            plan, key, skip = prepare(self.client_dir, force=force, **options)
            if skip is not None:
                self._done("Nothing changed since the last export (the same files, period and options): its report "
                           "is current; <b>Export again</b> runs it anyway.", skip.reports, skip.run_dir)
                self.again.layout.display = None
                return skip.run_dir
            self.say(f"{plan.eng.client}: {len(plan.notebooks)} notebooks, period {plan.period or '(none)'}")
            result = execute_plan(plan, progress=self.say)
            record_success(result, key)
        except EngagementError as exc:
            self.status.value = ("<div style='color:#a40000'><b>Not exported: the engagement has input errors</b>"
                                 "<ul>" + "".join(f"<li>{html.escape(str(p))}</li>" for p in exc.problems) + "</ul></div>")
            return None
        except KpikitError as exc:
            self.status.value = f"<div style='color:#a40000'><b>Not exported:</b> {html.escape(str(exc))}</div>"
            return None
        finally:
            self.button.disabled = self.again.disabled = False
            self.button.description = label
        if not result.ok:
            why = result.failure.describe() if result.failure is not None else result.outcome
            self.status.value = (f"<div style='color:#a40000'><b>Export failed:</b> {html.escape(why)}<br>"
                                 f"Partial outputs and manifest.json in <code>{html.escape(str(result.out_dir))}</code></div>")
            return None
        self._done(f"Exported in {time.perf_counter() - t0:.0f} s.", result.reports, result.out_dir)
        self.again.layout.display = "none"
        return result.out_dir

    def _done(self, head: str, reports: list[Path], run_dir: Path) -> None:
        files = "".join(f"<li><code>{html.escape(str(p))}</code></li>" for p in reports)
        self.status.value = (f"<div style='color:#1a5e20'>{head}</div><div>The report:<ul>{files}</ul>"
                             f"Run folder: <code>{html.escape(str(run_dir))}</code></div>")


def export_button(client_dir: str | os.PathLike[str], period: str | None = None,
                  formats: Iterable[str] | None = None) -> ReportExport | None:
    """The *Export the report* button for ``client_dir``; None (nothing shown) when unattended."""
    if is_unattended():
        return None
    return ReportExport(client_dir, period, formats)
