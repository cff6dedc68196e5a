"""The 07 notebook's preview reads right without the report's CSS: no words run together.

JupyterLab shows each section's HTML with its own styles, not ``report.css``, so a value
and its note in two adjacent inline elements (``0.3<span>by 2026-Q4</span>``) read
"0.3by 2026-Q4" there (and in a screen reader, and when copied). Every section the 07
notebook calls is rendered for the demo client and its text is read as a browser without
the stylesheet lays it out: inline elements join, block elements break.
"""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import pytest
from support import DEMO, ROOT

from kpikit.charts import render
from kpikit.data.store import load_engagement
from kpikit.report import sections as report

BLOCK = {"address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
         "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "nav",
         "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
SKIPPED = {"svg", "style", "script"}


class _Runs(HTMLParser):
    """Text runs between block boundaries, as lists of the text nodes that form them."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[list[str]] = [[]]
        self.skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in SKIPPED
        if tag in BLOCK:
            self.runs.append([])

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in SKIPPED
        if tag in BLOCK:
            self.runs.append([])

    def handle_data(self, data: str) -> None:
        if not self.skip and data:
            self.runs[-1].append(data)


def run_together(fragment: str) -> list[str]:
    """Where two text nodes of one line meet with no space: ``'0.3' + 'by 2026-Q4'``."""
    parser = _Runs()
    parser.feed(fragment)
    out = []
    for run in parser.runs:
        for a, b in itertools.pairwise(run):
            if re.search(r"[\w%).]$", a) and re.match(r"[\w(]", b):
                out.append(f"{a[-25:]!r} + {b[:25]!r}")
    return out


def _preview_calls() -> list[str]:
    source = (ROOT / "notebooks" / "_sources" / "07_report.py").read_text(encoding="utf-8")
    return re.findall(r"^report\.(\w+)\(ctx\)$", source, flags=re.M)


def test_the_checker_sees_the_reported_cases() -> None:
    assert run_together('<td class="num">0.3<span class="muted small">by 2026-Q4</span></td>')
    assert run_together("<td>improving<span>worse since last review</span></td>")
    assert not run_together('<td class="num">0.3 <span class="muted small">by 2026-Q4</span></td>')
    assert not run_together("<tr><td>0.3</td><td>by 2026-Q4</td></tr>")


@pytest.fixture(scope="module")
def demo_context() -> report.ReportContext:
    render.setup(True)
    eng = load_engagement(DEMO)
    return report.context(eng, None)


def test_no_section_of_the_preview_runs_words_together(demo_context: report.ReportContext) -> None:
    calls = _preview_calls()
    assert "kpi_scorecard" in calls
    assert "appendix_definitions" in calls
    found = {}
    for name in calls:
        html = getattr(report, name)(demo_context)._repr_html_()
        bad = run_together(html)
        if bad:
            found[name] = sorted(set(bad))[:5]
    assert not found, f"text run together in the 07 preview: {found}"
    scorecard = report.kpi_scorecard(demo_context)._repr_html_()
    assert re.search(r"</?\w[^>]*>\S+ <span class=\"muted small\">by \d{4}", scorecard)  # "0.3 by 2026-Q4"
