"""The report, the editors and the engine read an empty cell through one test (kpikit.data.cells).

A cell typed ``nan`` (an owner, a unit, an ID) is a value the client wrote; an empty cell
is "not given". Before this was one helper the report showed a dash for both.
"""

from __future__ import annotations

import math

import pandas as pd
from enginebuild import build, obj

from kpikit.data.cells import is_missing
from kpikit.engine import cascade
from kpikit.report.formatting import ident, missing, num, text


def test_the_report_shows_text_nan_as_written_and_an_empty_cell_as_a_dash() -> None:
    assert [text(v) for v in ("nan", math.nan, None, "", "  ", "Ann Lee")] == ["nan", "—", "—", "—", "—", "Ann Lee"]
    assert [ident(v) for v in ("nan", math.nan, "")] == ["nan", None, None]
    assert num(5, math.nan) == "5"
    assert missing is is_missing


def test_an_owner_typed_nan_survives_loading_as_text_and_an_empty_one_is_missing() -> None:
    eng = build(objectives=[obj("O1", pillar="P1", owner="nan"), obj("O2", parent="O1", owner="")])
    owners = eng.objectives.set_index("id")["owner"]
    assert owners["O1"] == "nan"
    assert pd.isna(owners["O2"])
    assert [text(owners[o]) for o in ("O1", "O2")] == ["nan", "—"]


def test_an_empty_parent_is_none_and_a_parent_spelled_nan_is_an_id() -> None:
    eng = build(objectives=[obj("nan", pillar="P1"), obj("O2", parent="nan")])
    assert cascade.objective_parents(eng) == {"nan": None, "O2": "nan"}
