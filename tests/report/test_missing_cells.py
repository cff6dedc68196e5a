"""The report, the editors and the engine read an empty cell through one test (kpikit.data.cells).

An owner written ``nan`` is a value the client typed; an owner left empty is "not given".
Before this was one helper the report showed a dash for both, on every pandas version.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from enginebuild import build, obj

from kpikit.engine import cascade
from kpikit.report.sections import context, objective_cascade


def _owners(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    heads = [th.get_text(strip=True).lower() for th in soup.select("table.data thead th")]
    col = heads.index("owner")
    return {tr.select_one("td.id").get_text(strip=True): tr.select("td")[col].get_text(strip=True)
            for tr in soup.select("table.data tbody tr")}


def test_an_owner_typed_nan_is_shown_and_an_empty_owner_is_a_dash() -> None:
    eng = build(objectives=[obj("O1", pillar="P1", owner="nan"), obj("O2", parent="O1", owner=""),
                            obj("O3", parent="O1", owner="Ann Lee")])
    assert _owners(objective_cascade(context(eng)).html) == {"O1": "nan", "O2": "—", "O3": "Ann Lee"}


def test_an_empty_parent_is_none_and_a_parent_spelled_nan_is_an_id() -> None:
    eng = build(objectives=[obj("nan", pillar="P1"), obj("O2", parent="nan")])
    assert cascade.objective_parents(eng) == {"nan": None, "O2": "nan"}
