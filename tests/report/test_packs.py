"""Packs per audience: each unit pack and owner brief holds its own part of the strategy and nothing else.

The confidentiality tests read what a department head would read: the PDF's text
(pdftotext) and the HTML. The generated client (tests/canaryclient.py) marks every item
of unit ``Uxx`` with ``CANARY_Uxx``; the only items of other units a pack may name are the
objectives above it ("How our work counts", titles only).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from canaryclient import canary, tree, write_client

from kpikit.data.store import load_engagement
from kpikit.report.packs import owner_subset, unit_subset, unit_tree, write_packs

CANARY = re.compile(r"CANARY_U\d\d")


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("packs")
    client = write_client(root / "client")
    before = {p.name: p.read_bytes() for p in client.iterdir()}
    write_packs(load_engagement(client), None, root / "out", {"units", "owners"})
    assert {p.name: p.read_bytes() for p in client.iterdir()} == before  # inputs only read
    return root


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def split(html: str) -> tuple[str, str]:
    """(the page's text without the chain section, the chain section's text)."""
    soup = BeautifulSoup(html, "html.parser")
    chain = soup.find(id="chain")
    chain_text = chain.get_text(" ") if chain else ""
    if chain:
        chain.decompose()
    return soup.get_text(" "), chain_text


def ancestors(unit: str) -> list[str]:
    parents = tree(8)
    out, p = [], parents[unit]
    while p is not None:
        out.append(p)
        p = parents[p]
    return out


@pytest.mark.parametrize("unit", [f"U{i:02d}" for i in range(7)])
def test_unit_pack_holds_its_own_and_its_sub_units_canaries_only(packs: Path, unit: str) -> None:
    eng = load_engagement(packs / "client")
    own = {canary(u) for u in unit_tree(eng, unit) if u != "U07"}  # U07 has no items
    html = (packs / "out" / "packs" / "units" / f"{unit}.html").read_text(encoding="utf-8")
    body, chain = split(html)
    assert set(CANARY.findall(body)) == own
    above = {canary(u) for u in ancestors(unit)}
    assert set(CANARY.findall(chain)) == above  # the chain up to the pillar names the objectives above, by title
    pdf = pdf_text(packs / "out" / "packs" / "units" / f"{unit}.pdf")
    found = CANARY.findall(pdf)
    assert set(found) == own | above
    for c in above:  # an objective above appears only as often as the chain names it
        assert found.count(c) == chain.count(c)
    assert f"Unit pack: Unit {unit} ({unit})" in " ".join(body.split())
    assert "Strictly confidential" in pdf


def test_root_pack_covers_the_whole_client(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    sub = unit_subset(eng, "U00")
    assert sorted(sub.objectives["id"]) == sorted(eng.objectives["id"])
    assert sorted(sub.kpis["metric_id"]) == sorted(eng.kpis["metric_id"])
    assert len(sub.raci) == len(eng.raci)
    text = pdf_text(packs / "out" / "packs" / "units" / "U00.pdf")
    assert set(CANARY.findall(text)) == {canary(f"U{i:02d}") for i in range(7)}


def test_leaf_pack_has_only_the_leaf(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    sub = unit_subset(eng, "U04")  # a team under U01
    assert list(sub.objectives["id"]) == ["O-U04-0"]
    assert list(sub.org_units["id"]) == ["U04"]
    assert sub.objectives["parent_id"].isna().all()
    assert list(sub.objectives["pillar_id"]) == ["P1"]
    assert list(sub.stakeholders["id"]) == ["S-U04"]
    assert set(sub.actuals["metric_id"]) == {"M-U04-0"}
    assert eng.objectives["parent_id"].notna().sum() > 0  # the original is untouched (a deep copy)


def test_unit_without_objectives_says_so(packs: Path) -> None:
    html = (packs / "out" / "packs" / "units" / "U07.html").read_text(encoding="utf-8")
    body, _ = split(html)
    assert "Unit U07 has no objectives yet" in " ".join(body.split())
    assert not CANARY.findall(body)
    text = " ".join(pdf_text(packs / "out" / "packs" / "units" / "U07.pdf").split())
    assert "has no objectives yet" in text


def test_owner_brief_names_only_its_owner(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    briefs = sorted((packs / "out" / "packs" / "owners").glob("*.pdf"))
    assert [p.stem for p in briefs] == sorted(f"S-U{i:02d}" for i in range(7))
    names = dict(zip(eng.stakeholders["id"], eng.stakeholders["name"], strict=True))
    for pdf in briefs:
        unit = pdf.stem.removeprefix("S-")
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        body, _chain = split(html)
        assert set(CANARY.findall(body)) == {canary(unit)}
        assert names[pdf.stem] in body
        assert not [n for sid, n in names.items() if sid != pdf.stem and n in body]
        text = pdf_text(pdf)
        assert set(CANARY.findall(text)) == {canary(unit)} | {canary(u) for u in ancestors(unit)}
        sub = owner_subset(eng, pdf.stem)
        assert set(sub.raci["stakeholder_id"]) == {pdf.stem}
        assert "Owner brief" in body
