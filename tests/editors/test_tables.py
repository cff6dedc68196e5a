"""Notebook tables a client can read: formatted numbers, dashes, natural ID order, only useful columns."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from support import DEMO

from kpikit.data.store import load_engagement
from kpikit.editors.tables import DASH, show_table
from kpikit.engine import review


def test_numbers_missing_flags_and_ids_as_a_consultant_reads_them() -> None:
    df = pd.DataFrame({
        "metric_id": ["M10", "M2", "m1"],
        "actual": [14403.123456, 0.333333333, math.nan],
        "n_actuals": [1200, 3, 0],
        "realistic": [True, False, None],
        "note": ["", None, "checked"],
        "empty": [math.nan, None, ""],
    })
    t = show_table(df)
    assert list(t.frame.columns) == ["metric_id", "actual", "n_actuals", "realistic", "note"]  # 'empty' dropped
    assert t.frame["metric_id"].tolist() == ["m1", "M2", "M10"]
    assert t.frame["actual"].tolist() == [DASH, "0.3333", "14,403.1"]
    assert t.frame["n_actuals"].tolist() == ["0", "3", "1,200"]
    assert t.frame["realistic"].tolist() == [DASH, "no", "yes"]
    assert t.frame["note"].tolist() == ["checked", DASH, DASH]
    html = t._repr_html_()
    assert "NaN" not in html
    assert "None" not in html
    assert "metric id" in html  # readable headers
    assert "text-align:right;white-space:nowrap'>14,403.1" in html  # numbers right-aligned, on one line
    assert "3 rows" in html


def test_columns_chosen_index_kept_order_kept_and_a_clear_error() -> None:
    df = pd.DataFrame({"criterion": ["b", "a"], "score": [1.0, 2.0]}, index=pd.Index(["O10", "O2"], name="objective_id"))
    t = show_table(df, ["objective_id", "score"])
    assert list(t.frame.columns) == ["objective_id", "score"]
    assert t.frame["objective_id"].tolist() == ["O2", "O10"]
    assert show_table(df, sort=False).frame["objective_id"].tolist() == ["O10", "O2"]
    with pytest.raises(KeyError, match="no column 'nope'; the table has objective_id, criterion, score"):
        show_table(df, ["nope"])


def test_empty_and_long_and_wide_tables_say_so() -> None:
    empty = show_table(pd.DataFrame({"item_id": []}), empty="Every item has exactly one Accountable.")
    assert "Every item has exactly one Accountable." in empty._repr_html_()
    assert "<table" not in empty._repr_html_()
    assert repr(empty) == "Every item has exactly one Accountable."
    long = show_table(pd.DataFrame({"id": [f"K{i}" for i in range(1, 1201)], "v": range(1200)}), max_rows=500)
    assert len(long.frame) == 500
    assert long.frame["id"].iat[-1] == "K500"
    assert "Showing the first 500 of 1,200 rows." in long._repr_html_()
    wide = show_table(pd.DataFrame({f"S-{i:03d}": ["R"] for i in range(1, 201)}), max_columns=30)
    assert len(wide.frame.columns) == 30
    assert "170 more columns not shown (S-031, S-032" in wide._repr_html_()


def test_html_is_escaped() -> None:
    html = show_table(pd.DataFrame({"name": ["<script>alert(1)</script> & co"]}))._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_the_review_scorecard_on_the_demo_reads_like_the_report() -> None:
    eng = load_engagement(DEMO)
    detail = review.scorecard_detail(eng, None)
    t = show_table(detail, ["objective_id", "metric_id", "status", "actual", "target", "will_meet_target"])
    assert len(t.frame) == len(detail)
    assert not [v for v in t.frame["actual"] if re.search(r"\.\d{5,}|e[+-]|nan", v)]  # never six decimals
    assert set(t.frame["will_meet_target"]) <= {"yes", "no", DASH}
    assert t.frame["objective_id"].tolist() == sorted(t.frame["objective_id"], key=lambda s: int(s.split("-")[1]))


@pytest.mark.slow
def test_step_notebooks_show_no_raw_pandas_tables(demo_run: Path) -> None:
    """The executed notebooks of a demo run: every table is a formatted one, no NaN anywhere."""
    raw = {}
    for path in sorted((demo_run / "notebooks").glob("0[1-6]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        htmls = [o.get("data", {}).get("text/html", "") for o in outputs]
        frames = [h for h in htmls if 'class="dataframe' in h]
        if frames or any(">NaN<" in h for h in htmls):
            raw[path.name] = len(frames)
        assert any("kpikit-table" in h for h in htmls), f"{path.name} shows no formatted table"
    assert not raw, f"raw pandas tables or NaN in the step notebooks: {raw}"
