"""Write the step notebooks ``notebooks/01..07*.ipynb`` from their sources here, without outputs.

Why sources: a notebook's JSON is hard to review, cannot be linted or type-checked, and is
easy to commit with outputs. Each notebook is written here as a jupytext percent-format
script (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell, ``tags=[...]``
its tags). After editing one, run ``python notebooks/_sources/build.py`` and commit the
.ipynb files it writes (deterministic: same sources, same bytes); ``--check`` only reports
the notebooks that are out of date (a test runs it). The runner and ``kpikit lab`` use the
.ipynb files, never these sources.

Conventions every notebook follows (the runner and ``kpikit lab`` rely on them):
* cell 1: markdown guide for the consultant (tag ``guide``: never in the client report);
* cell 2: the ``parameters`` cell (papermill injects ``client_dir``, ``period``,
  ``static_charts`` and, for 07, ``output_dir``);
* cell 3: setup, one call: :func:`kpikit.run.step.open_step` chooses interactive or static
  charts (:func:`kpikit.charts.render.setup`) and loads the client folder;
* then a few cells that call ``kpikit`` and display; one ``editor`` cell in 01-06.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import jupytext  # type: ignore[import-untyped]  # a development dependency (the "test" extra)
import nbformat

SOURCES = Path(__file__).resolve().parent
NOTEBOOKS = SOURCES.parent
COMMAND = "python notebooks/_sources/build.py"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def sources() -> list[Path]:
    """The notebook sources, in run order (``01_objectives.py`` ... ``07_report.py``)."""
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def build(source: Path) -> str:
    """One notebook's text: deterministic cell IDs, only the cells' tags, no outputs."""
    nb = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata.clear()  # jupytext's own bookkeeping goes; only the kernel's description stays
    nb.metadata.update(copy.deepcopy(METADATA))
    prefix = source.stem.split("_")[0]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{prefix}-{i:02d}"
        tags = list(cell.metadata.get("tags", []))
        cell.metadata.clear()  # e.g. jupytext's lines_to_next_cell: layout of the source, not the notebook
        if tags:
            cell.metadata["tags"] = tags
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    text: str = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    return text + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source in sources():
        path = NOTEBOOKS / f"{source.stem}.ipynb"
        text = build(source)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    orphans = sorted({p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} - {s.stem for s in sources()})
    if orphans:
        print("notebooks without a source in notebooks/_sources:", ", ".join(orphans))
        return 1
    if stale:
        print(f"out of date (run {COMMAND}):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
