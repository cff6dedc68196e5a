"""``kpikit portfolio ROOT``: the consultancy's page over every client's latest run, and the k >= 5 benchmark library."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from support import DEMO, copy_client, hash_inputs, run_cli

from kpikit.data.store import load_engagement
from kpikit.engine import review
from kpikit.run.portfolio import MIN_CLIENTS, benchmarks, client_folders

pytestmark = pytest.mark.slow

XSS = '<script>alert("x")</script> & Co'
METRIC = "M-HARM-SSE"


def _client_from_run(root: Path, name: str, client: str, demo_run: Path, value: float) -> Path:
    """A demo-sized client folder whose latest run is a copy of the real demo run, with its own name and one value."""
    folder = copy_client(DEMO, root, name)
    run = folder / "runs" / "20261201T000000Z"
    shutil.copytree(demo_run, run)
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    (run / "manifest.json").write_text(json.dumps({**m, "client": client}), encoding="utf-8")
    rows = list(csv.DictReader((run / "scorecard.csv").open(encoding="utf-8", newline="")))
    for r in rows:
        if r["metric_id"] == METRIC:
            r["actual"] = repr(value)
    with (run / "scorecard.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def portfolio_root(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio")
    names = ["North Trust", "South Trust", XSS, "=HYPERLINK(1)", "East Trust"]
    for i, client in enumerate(names):
        _client_from_run(root, f"c{i}", client, demo_run, 0.61 + 0.037 * i)
    failed = copy_client(DEMO, root, "zz-failed")
    bad = failed / "runs" / "20261202T000000Z"
    shutil.copytree(demo_run, bad)
    m = json.loads((bad / "manifest.json").read_text(encoding="utf-8"))
    (bad / "manifest.json").write_text(json.dumps({**m, "client": "Failing Ltd", "outcome": "failed"}), encoding="utf-8")
    (bad / "report.html").unlink()
    return root


def test_portfolio_lists_every_client_most_urgent_first(portfolio_root: Path, demo_run: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = {f.name: hash_inputs(f) for f in client_folders(portfolio_root)}
    assert run_cli(["portfolio", str(portfolio_root)]) == 0
    assert capsys.readouterr().out.splitlines() == [str(portfolio_root / "portfolio.html"), str(portfolio_root / "portfolio.csv")]
    assert {f.name: hash_inputs(f) for f in client_folders(portfolio_root)} == before  # no client file changed
    rows = list(csv.DictReader((portfolio_root / "portfolio.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == 6
    assert rows[0]["folder"] == "zz-failed"  # no successful run: needs attention first
    assert rows[0]["last_outcome"] == "failed"
    assert rows[0]["report"] == ""
    c0 = next(r for r in rows if r["folder"] == "c0")
    eng = load_engagement(demo_run / "inputs")
    period = json.loads((demo_run / "manifest.json").read_text(encoding="utf-8"))["period"]
    expected = round(review.overall_score(review.rollup(eng, "pillar", period)), 1)
    assert float(c0["overall_score"]) == expected
    card = list(csv.DictReader((demo_run / "scorecard.csv").open(encoding="utf-8", newline="")))
    assert int(c0["kpis_red"]) == sum(r["status"] == "red" for r in card)
    findings = list(csv.DictReader((demo_run / "findings.csv").open(encoding="utf-8", newline="")))
    assert int(c0["findings_error"]) == sum(r["severity"] == "error" for r in findings)
    assert int(c0["stale"]) == sum(r["code"] == "KPI_STALE" for r in findings)
    assert c0["report"] == "c0/runs/20261201T000000Z/report.html"
    assert (portfolio_root / c0["report"]).is_file()
    assert next(r for r in rows if r["folder"] == "c3")["client"] == "'=HYPERLINK(1)"  # no formula in a spreadsheet


def test_portfolio_html_is_offline_and_escapes_client_names(portfolio_root: Path) -> None:
    assert run_cli(["portfolio", str(portfolio_root)]) == 0
    html = (portfolio_root / "portfolio.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert not re.search(r"https?://|src=|<link|@import|url\(", html)  # nothing to fetch
    assert 'href="c0/runs/20261201T000000Z/report.html"' in html


def test_benchmarks_need_five_clients_and_show_no_single_value(portfolio_root: Path, tmp_path: Path) -> None:
    folders = client_folders(portfolio_root)
    assert MIN_CLIENTS == 5
    shown = benchmarks(folders)
    # the five copies share every demo metric, but only one has five different values: the others
    # would show a value that every client has (so each client's own), and are left out
    assert [(b.name, b.clients) for b in shown] == [("serious safety event rate", 5)]
    four = [f for f in folders if f.name != "c4"]
    assert benchmarks(four) == []  # fewer than 5: nothing at all
    values = [0.61 + 0.037 * i for i in range(5)]
    for figure in (shown[0].q1, shown[0].median, shown[0].q3):
        assert all(abs(figure - v) > 1e-9 for v in values)  # each figure is two clients' mean, never one's value
        assert min(values) < figure < max(values)
    assert run_cli(["portfolio", str(portfolio_root)]) == 0
    html = (portfolio_root / "portfolio.html").read_text(encoding="utf-8")
    library = html.split("<h2>Benchmark library</h2>", 1)[1]
    for name in ("North Trust", "South Trust", "East Trust", "&lt;script&gt;", "HYPERLINK", "Failing Ltd", "c0", "c1"):
        assert name not in library
    for v in values:
        assert f"{v:.4g}" not in library
