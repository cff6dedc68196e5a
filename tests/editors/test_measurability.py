"""Notebook 04's measurability view (kpikit/editors/measurability.py): the three kinds side by side, the last refresh."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from support import DEMO, run_cli

from kpikit.data.store import load_engagement
from kpikit.editors.measurability import measurability_view


def _rows(html_text: str) -> list[list[str]]:
    body = html_text.split("<tbody>", 1)[1]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body)]


def test_demo_shows_measured_declared_and_unsourced_kpis_and_the_last_refresh(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    view = measurability_view(load_engagement(folder))
    assert view.title == ("Measurability: 2 of 29 KPIs measured from a source, 26 declared (named, not queried), "
                          "1 with no source")
    html_text = view._repr_html_()
    assert "<th" in html_text
    assert "source or system" in html_text
    rows = {r[1]: r for r in _rows(html_text)}
    assert rows["M-ED-4HR"][2:6] == ["measured (from a source)", "ed", "queries/ed_4hr.sql", "not refreshed yet"]
    assert rows["M-HARM-SSE"][2:4] == ["declared (named, not queried)", "RLDatix incident reporting"]
    assert rows["M-HAND-HYG"][2:4] == ["no source", "—"]
    assert list(rows)[:3] == ["M-HARM-SSE", "M-HARM-PSI90", "M-ED-4HR"]  # kpis.csv order, as the report
    # never refreshed: the refresh columns with nothing in them are left out
    assert "latest period" not in html_text

    assert run_cli(["refresh", str(folder), "--quiet"]) == 0
    html_text = measurability_view(load_engagement(folder))._repr_html_()
    rows = {r[1]: r for r in _rows(html_text)}
    when, n, latest, outcome = rows["M-ED-4HR"][5:9]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", when)
    assert (n, latest, outcome) == ("9", "2026-Q3", "ok")
    assert rows["M-ED-D2P"][6:9] == ["27", "2026-09", "ok"]
    assert rows["M-HARM-SSE"][5:9] == ["—"] * 4


def test_a_failed_query_says_so_in_the_title_and_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    (folder / "queries" / "ed_d2p.sql").write_text("SELECT nothing AS period, 1 AS value FROM source\n")
    assert run_cli(["refresh", str(folder), "--quiet"]) == 4
    view = measurability_view(load_engagement(folder))
    assert view.title is not None
    assert view.title.endswith("; 1 query failed at the last refresh")
    rows = {r[1]: r for r in _rows(view._repr_html_())}
    assert rows["M-ED-D2P"][8].startswith("failed: query (queries/ed_d2p.sql): Binder Error")
    assert rows["M-ED-4HR"][8] == ("not written: another metric's query failed (--keep-going writes the metrics that "
                                   "succeeded)")
