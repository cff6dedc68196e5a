"""The cascade stays readable at 500 objectives (issue 11, item 3).

The benchmark's generated client (``benchmarks/bench_engine.py``: 500 objectives in up to nine
levels under five pillars) gets the report's cascade section. It must come in page-sized
charts (at most :data:`CASCADE_PAGE_ROWS` objectives each, every objective in exactly one),
and the text of each chart, printed at the width of an A4 page, must be at least as large as
the same generator's 20-objective cascade prints.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from support import ROOT

from kpikit.data.store import load_engagement
from kpikit.report.context import ReportContext
from kpikit.report.sections.cascade import CASCADE_PAGE_ROWS, objective_cascade

PX_PER_MM = 96 / 25.4
CONTENT_W = (210 - 2 * 18 - 2 * 3 - 1) * PX_PER_MM
"""A4 less the page margins and the figure's padding (print.css): the width a chart prints at, in CSS px."""
CONTENT_H = 222 * PX_PER_MM
"""print.css: ``.cascade-charts figure.chart svg { max-height: 222mm }``."""

pytestmark = pytest.mark.timeout(120)


def _bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_engine
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return bench_engine


def _cascade_svgs(folder: Path) -> list[str]:
    html = str(objective_cascade(ReportContext(load_engagement(folder))))
    part = html[html.index('class="cascade-charts"'):]
    return re.findall(r"<svg.*?</svg>", part, re.S)


def _printed_text_px(svg: str) -> float:
    """The smallest font size in the chart as printed: its SVG size scaled to fit the page's width and height."""
    m = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    assert m is not None
    w, h = float(m.group(1)), float(m.group(2))
    scale = min(1.0, CONTENT_W / w, CONTENT_H / h)
    return min(float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)) * scale


def _objective_ids(svg: str) -> list[str]:
    """The objective IDs labelled in a cascade chart (each label starts with its ID)."""
    return re.findall(r">(O\d{4})  ", svg)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _bench()


def test_a_500_objective_cascade_is_split_into_page_sized_readable_charts(
        bench: ModuleType, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path_factory.mktemp("b500") / "client"
    bench.generate(big)
    small = tmp_path_factory.mktemp("b20") / "client"
    with monkeypatch.context() as m:
        m.setattr(bench, "N_OBJECTIVES", 20)
        bench.generate(small)

    (one,) = _cascade_svgs(small)
    assert len(_objective_ids(one)) == 20
    readable = _printed_text_px(one)
    assert readable >= 8  # about 6 pt: the 20-objective chart itself prints legibly

    svgs = _cascade_svgs(big)
    ids = [_objective_ids(s) for s in svgs]
    assert all(0 < len(part) <= CASCADE_PAGE_ROWS for part in ids), [len(p) for p in ids]
    seen = Counter(o for part in ids for o in part)
    assert len(seen) == 500
    assert [o for o, n in seen.items() if n != 1] == []
    small_text = [(k, round(_printed_text_px(s), 2)) for k, s in enumerate(svgs) if _printed_text_px(s) < readable - 1e-6]
    assert small_text == [], f"printed smaller than the 20-objective cascade ({readable:.2f} px)"
