"""Formula-looking values never start a cell of the analyst's CSV files (issue 10, CSV injection).

The class: IDs that the ID rule allows but a spreadsheet evaluates (``-1-1``, ``-SUM-1``,
``+1``-like text), free text starting with ``=``, ``+``, ``-``, ``@``, tab or CR; in every
CSV a run writes (``findings.csv``, ``scorecard.csv``, ``objective_scores.csv``). The files
stay machine-readable: numbers stay numbers, and :func:`unescape_cell` gives back exactly
what the engine computed.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from support import DEMO

from kpikit.data.csvio import frame_cells
from kpikit.data.store import load_engagement
from kpikit.engine import all_findings
from kpikit.engine.behaviour import scorecard_file
from kpikit.engine.findings import findings_frame
from kpikit.engine.review import objective_scores
from kpikit.report.csvout import FORMULA_START, csv_bytes, escape_cell, unescape_cell
from kpikit.run.runner import write_tables

NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf)")


def dangerous(cell: str) -> bool:
    """A cell a spreadsheet would evaluate: it starts with a formula character and is not a plain number."""
    return bool(cell) and cell[0] in FORMULA_START and not NUMBER.fullmatch(cell)


@given(st.text(max_size=30) | st.sampled_from(["-1-1", "=1+1", "+1", "-0.25", "@SUM(A1)", "\t=x", "'=x", "''", "'", "-inf"]))
def test_escape_is_safe_and_exactly_reversible(text: str) -> None:
    cell = escape_cell(text)
    assert not dangerous(cell)
    assert unescape_cell(cell) == text
    if not dangerous(text) and not text.startswith("'"):
        assert cell == text  # ordinary values, and numbers, are written as they are


def renamed_demo(tmp_path: Path) -> Path:
    """The demo client with formula-looking IDs (legal by the ID rule) and titles."""
    client = tmp_path / "demo"
    shutil.copytree(DEMO, client, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    ids = {"OBJ-01": "-1-1", "OBJ-02": "-SUM-2", "M-HARM-SSE": "-M1", "M-ED-4HR": "-4-4"}
    for path in client.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for old, new in ids.items():
            text = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, text)
        path.write_text(text, encoding="utf-8")
    objectives = list(csv.reader(io.StringIO((client / "objectives.csv").read_text(encoding="utf-8"))))
    titles = ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(1+1)", "+cmd|' /C calc'!A0", "\t=1", "-2+3"]
    col = objectives[0].index("title")
    for row, title in zip(objectives[1:], titles, strict=False):
        row[col] = title
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(objectives)
    (client / "objectives.csv").write_text(buf.getvalue(), encoding="utf-8")
    return client


def test_run_tables_have_no_formula_cells_and_read_back_exactly(tmp_path: Path) -> None:
    client = renamed_demo(tmp_path)
    eng = load_engagement(client)
    period = eng.review_period(None)
    p = str(period) if period else None
    out = tmp_path / "out"
    out.mkdir()
    write_tables(eng, p, out)

    expected = {
        "findings.csv": findings_frame(all_findings(eng, p)),
        "scorecard.csv": scorecard_file(eng, p),  # the scorecard with its process limits
        "objective_scores.csv": objective_scores(eng, p),
    }
    escaped = 0
    for name, frame in expected.items():
        rows = list(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"), newline="")))
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if dangerous(c)], name
        escaped += sum(1 for c in cells if c.startswith("'"))
        assert [[unescape_cell(c) for c in row] for row in rows[1:]] == frame_cells(frame), name
        assert rows[0] == list(frame.columns)
    assert escaped >= 4  # the renamed IDs and titles really were there

    card = pd.read_csv(out / "scorecard.csv")
    assert "'-1-1" in set(card["objective_id"])
    for column in ("actual", "expected", "gap", "attainment"):
        assert pd.api.types.is_float_dtype(card[column]), column  # still numbers, negative gaps included
    assert (card["gap"].dropna() < 0).any()


def test_csv_bytes_escapes_every_column_of_any_table() -> None:
    df = pd.DataFrame({"=a": ["-1-1", "ok", "@x"], "n": [-1.5, 2.0, float("nan")], "t": ["\tx", "'=y", "plain"]})
    rows = list(csv.reader(io.StringIO(csv_bytes(df).decode("utf-8"), newline="")))
    assert rows == [["'=a", "n", "t"], ["'-1-1", "-1.5", "'\tx"], ["ok", "2", "''=y"], ["'@x", "", "plain"]]
