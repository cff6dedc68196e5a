"""The step notebooks: committed clean, shaped for the runner, and runnable unattended.

Real tools only: the demo client's notebooks come from the session's one real
``kpikit run`` (``demo_run``); the minimal client (required files only) is run by
the runner and, for 07_report, by plain papermill as a consultant would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kpikit.kit.resources import notebooks_dir
from kpikit.run.runner import run_engagement

NAMES = ["01_objectives", "02_metrics", "03_cascade", "04_targets", "05_stakeholders", "06_review", "07_report"]
EDITORS = {
    "01_objectives": "objectives_editor",
    "02_metrics": "scoring_grid",
    "03_cascade": "cascade_linker",
    "04_targets": "target_setter",
    "05_stakeholders": "raci_grid",
    "06_review": "actuals_entry",
}


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def errors_in(nb: nbformat.NotebookNode) -> list[str]:
    """Every error output and every stderr traceback of an executed notebook."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and "Traceback" in out.text:
                found.append(f"cell {i}: {out.text[:300]}")
    return found


def test_the_seven_notebooks_exist_in_run_order() -> None:
    found = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
    assert found == NAMES


def test_notebooks_agree_with_their_sources_and_are_committed_without_outputs() -> None:
    """The .ipynb are written from ``notebooks/_sources/*.py``; the failure names the command to run."""
    sources = sorted(p.stem for p in (notebooks_dir() / "_sources").glob("[0-9][0-9]_*.py"))
    assert sources == NAMES
    check = subprocess.run([sys.executable, str(notebooks_dir() / "_sources" / "build.py"), "--check"],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    for name in NAMES:
        nb = read(notebooks_dir() / f"{name}.ipynb")
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{name}: a cell has outputs"
                assert cell.execution_count is None, f"{name}: a cell has an execution count"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_shape_guide_parameters_setup_editor(name: str) -> None:
    nb = read(notebooks_dir() / f"{name}.ipynb")
    first, params = nb.cells[0], nb.cells[1]
    assert first.cell_type == "markdown"
    assert "guide" in tags(first)
    assert "What good looks like" in first.source or "what good looks like" in first.source.lower()
    assert "parameters" in tags(params)
    assert "client_dir: str" in params.source
    assert "period: str | None = None" in params.source
    assert "static_charts: bool = False" in params.source
    if name == "07_report":
        assert 'output_dir: str = ""' in params.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = code[1].source
    assert "open_step(client_dir, period, static_charts" in setup, "cell 3 sets up through kpikit.run.step.open_step"
    assert len(setup.strip().splitlines()) <= 4, "the setup cell is an import and one call, not a repeated block"
    editor_cells = [c for c in code if "editor" in tags(c)]
    if name in EDITORS:
        assert len(editor_cells) == 1
        assert f"editors.{EDITORS[name]}(eng)" in editor_cells[0].source
    else:
        assert editor_cells == []
    # a few readable cells: calls and display, no logic (07: one call per report section,
    # plus parameters, setup, the export button and the preview)
    assert len(code) <= (len(REPORT_CALLS) + 4 if name == "07_report" else 16)
    for c in code:
        assert "def " not in c.source
        assert "for " not in c.source
        assert "class " not in c.source


REPORT_CALLS = ["cover", "contents", "executive_summary", "since_published", "signals", "strategy",
                "objective_cascade", "kpi_scorecard", "metric_selection", "targets_benchmarks", "stakeholder_map",
                "recommendations", "open_actions", "appendix_definitions", "appendix_findings", "appendix_method",
                "appendix_decisions"]
"""07_report's section calls, in the order the client reads them."""


def test_report_notebook_calls_every_section_in_contract_order() -> None:
    from kpikit.report import sections as report

    nb = read(notebooks_dir() / "07_report.ipynb")
    calls = [c.source.strip() for c in nb.cells if c.cell_type == "code" and c.source.strip().startswith("report.")]
    assert calls == [f"report.{fn}(ctx)" for fn in REPORT_CALLS]
    assert all(callable(getattr(report, fn)) for fn in REPORT_CALLS)
    # the same order as the report's contents (SECTIONS), by the function each key is built by
    from kpikit.report.sections.contents import SECTIONS

    by_key = {"summary": "executive_summary", "cascade": "objective_cascade", "scorecard": "kpi_scorecard",
              "selection": "metric_selection", "targets": "targets_benchmarks", "stakeholders": "stakeholder_map",
              "appendix": "appendix_definitions"}
    in_contents = [by_key.get(k, k) for k, _ in SECTIONS]
    assert [fn for fn in REPORT_CALLS if fn in in_contents] == in_contents


@pytest.mark.slow
def test_every_notebook_ran_without_error_on_the_demo_client(demo_run: Path) -> None:
    executed = sorted((demo_run / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in executed] == NAMES
    for path in executed:
        nb = read(path)
        assert errors_in(nb) == [], path.name
        shown = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in tags(c) and c.outputs]
        assert len(shown) >= 3, f"{path.name}: too few cells displayed anything"


@pytest.mark.slow
def test_charts_in_unattended_runs_are_static_svg(demo_run: Path) -> None:
    nb = read(demo_run / "notebooks" / "03_cascade.ipynb")
    mimes = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})}
    assert "image/svg+xml" in mimes
    assert not any("vegalite" in m for m in mimes), "an interactive chart slipped into an unattended run"


@pytest.mark.slow
def test_every_notebook_runs_on_a_minimal_client(minimal_client: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_engagement(minimal_client, out=out, formats={"html"})
    assert result.ok, result.failure
    executed = sorted((out / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in executed] == NAMES
    for path in executed:
        assert errors_in(read(path)) == [], path.name
    html = (out / "report.html").read_text(encoding="utf-8")
    # the steps not yet done are named, not silently missing
    assert "Outstanding steps" in html
    assert "KPI selection, targets and benchmarks (kpis.csv)" in html
    assert "No KPIs have been selected yet" in html


@pytest.mark.slow
def test_report_notebook_runs_under_plain_papermill(minimal_client: Path, tmp_path: Path) -> None:
    """A consultant's own ``papermill 07_report.ipynb out.ipynb -p client_dir ...`` works too."""
    import papermill

    out = tmp_path / "07_report.ipynb"
    papermill.execute_notebook(
        str(notebooks_dir() / "07_report.ipynb"), str(out),
        parameters={"client_dir": str(minimal_client), "period": None, "static_charts": True},
        kernel_name="python3", cwd=str(notebooks_dir()), progress_bar=False,
    )
    nb = read(out)
    assert errors_in(nb) == []
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Minimal Ltd" in html
    assert 'id="sec-appendix"' in html
