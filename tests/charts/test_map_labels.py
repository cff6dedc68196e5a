"""No two labels of the stakeholder influence/support map overlap, at the demo's size and at 60+ people (issue 11).

The check reads the rendered SVG (what the PDF prints): every ``<text>`` element's box is
estimated from its position (the group translations it sits in), its anchor, its font size,
its number of lines and its longest line, and no two boxes may intersect. Every rated person
must still be findable: named beside a mark or in the numbered key under the chart.
"""

from __future__ import annotations

import csv
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from scaleclient import write_client
from support import DEMO

from kpikit.charts import alignment
from kpikit.charts.render import to_svg
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import stakeholders as sh
from kpikit.text import short

SVG = "{http://www.w3.org/2000/svg}"
EM = 0.56
"""Average DejaVu Sans character width in em, for the estimate (the chart itself plans with a wider one)."""

Box = tuple[float, float, float, float, str]

_MOVE = re.compile(r"(translate|rotate)\(([^)]*)\)")


def _apply(transform: str, x: float, y: float) -> tuple[float, float]:
    """Map a local point through an SVG transform list (translate and rotate, applied right to left)."""
    for kind, args in reversed(_MOVE.findall(transform or "")):
        nums = [float(v) for v in re.split(r"[ ,]+", args.strip()) if v]
        if kind == "translate":
            x, y = x + nums[0], y + (nums[1] if len(nums) > 1 else 0.0)
        else:
            a = math.radians(nums[0])
            x, y = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    return x, y


def text_boxes(svg: str) -> list[Box]:
    """(left, top, right, bottom, text) of every non-empty text element, in the SVG's own pixels."""
    root = ET.fromstring(svg)
    out: list[Box] = []

    def walk(node: ET.Element, chain: list[str]) -> None:
        here = [*chain, node.get("transform", "")]
        if node.tag == f"{SVG}text":
            spans = list(node.iter(f"{SVG}tspan"))
            lines = [("".join(t.itertext())) for t in spans] if spans else ["".join(node.itertext())]
            lines = [ln for ln in lines if ln.strip()]
            if not lines:
                return
            fs = float(str(node.get("font-size", "11px")).rstrip("px"))
            w = max(len(ln) for ln in lines) * EM * fs
            x0 = {"start": 0.0, "middle": -w / 2, "end": -w}[node.get("text-anchor", "start")]
            lead = 1.2 * fs
            for dy in [float(t.get("dy", 0)) for t in spans[1:]]:
                lead = dy or lead
            local = [(x0, -0.75 * fs), (x0 + w, -0.75 * fs), (x0, 0.2 * fs + lead * (len(lines) - 1)),
                     (x0 + w, 0.2 * fs + lead * (len(lines) - 1))]
            pts = [_through(here, px, py) for px, py in local]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            out.append((min(xs), min(ys), max(xs), max(ys), " / ".join(lines)))
            return
        for child in node:
            walk(child, here)

    walk(root, [])
    return out


def _through(chain: list[str], x: float, y: float) -> tuple[float, float]:
    for t in reversed(chain):
        x, y = _apply(t, x, y)
    return x, y


def overlaps(boxes: list[Box]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes intersect."""
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                bad.append((a[4][:60], b[4][:60]))
    return bad


def _write_people(folder: Path, n: int, seed: int = 7) -> None:
    """Replace stakeholders.csv with ``n`` people bunched on the ratings a workshop gives (3-5 mostly), long names."""
    rnd = random.Random(seed)
    first = ["Margaret", "Rajiv", "Angela", "Samuel", "Christopher", "Elizabeth", "Oluwaseun", "Bartholomew"]
    last = ["Okafor-Williams", "Menon", "Brooks", "Adeyemi", "Fitzgerald-Lowe", "Nakamura", "Van der Berg"]
    rows = []
    for i in range(1, n + 1):
        rows.append([f"S{i}", f"{rnd.choice(first)} {rnd.choice(last)} {i}", "Director", "U1",
                     rnd.choice([2, 3, 4, 4, 4, 5, 5]), rnd.choice([1, 3, 3, 4, 4, 4, 5, 5])])
    with (folder / "stakeholders.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "role", "org_unit_id", "influence", "support", "email"])
        w.writerows([[*r, ""] for r in rows])


@pytest.fixture(scope="module")
def demo() -> Engagement:
    return load_engagement(DEMO)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    return load_engagement(write_client(tmp_path_factory.mktemp("plan") / "plan"))


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    """The generated plan-sized client with 64 people instead of 24 (raci.csv names only S1-S24, all still present)."""
    folder = write_client(tmp_path_factory.mktemp("crowd") / "crowd")
    _write_people(folder, 64)
    return load_engagement(folder)


def test_the_checker_sees_an_overlap() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(10,10)">'
           '<text transform="translate(0,20)" font-size="10px">Margaret Okafor</text></g>'
           '<text transform="translate(40,32)" font-size="10px">Rajiv Menon</text>'
           '<text transform="translate(200,32)" font-size="10px">Far away</text></svg>')
    assert overlaps(text_boxes(svg)) == [("Margaret Okafor", "Rajiv Menon")]


@pytest.mark.parametrize("which", ["demo", "plan", "crowd"])
def test_no_two_labels_of_the_influence_map_overlap(which: str, request: pytest.FixtureRequest) -> None:
    eng: Engagement = request.getfixturevalue(which)
    svg = to_svg(alignment.influence_map(eng))
    assert "kpikit-chart-fallback" not in svg
    boxes = text_boxes(svg)
    assert overlaps(boxes) == []
    # nobody rated is lost: each is named beside a mark, or in the key
    text = " ".join(b[4] for b in boxes)
    rated = sh.quadrants(eng)
    rated = rated[rated["quadrant"] != "Not assessed"]
    assert len(rated) >= {"demo": 15, "plan": 20, "crowd": 60}[which]
    missing = [n for n in rated["name"] if short(n, alignment.MAP_NAME_CHARS) not in text and str(n) not in text]
    assert missing == []


def test_the_people_who_matter_are_named_beside_their_mark(demo: Engagement, crowd: Engagement) -> None:
    """On the demo every name is whole beside its mark (no key); at 64 people the highest point is named, and
    the points in the key are numbered on the map."""
    boxes = text_boxes(to_svg(alignment.influence_map(demo)))
    text = " / ".join(b[4] for b in boxes)
    assert "names are in the key" not in text
    assert [n for n in demo.stakeholders["name"] if f" / {n} / " not in f" / {text} / "] == []
    svg = to_svg(alignment.influence_map(crowd))
    text = " / ".join(b[4] for b in text_boxes(svg))
    q = sh.quadrants(crowd)
    q = q[q["quadrant"] != "Not assessed"]
    top = q[(q["influence"] == q["influence"].max())]
    top = top[top["support"] == top["support"].max()]
    assert len(top) <= alignment.MAP_MAX_LINES
    assert all(short(n, alignment.MAP_NAME_CHARS) in text for n in top["name"])
    assert "a number marks a point whose names are in the key below" in text
    key_lines = re.findall(r"(\d+) +influence (\d), support (\d):", text)
    assert key_lines
    # each key number is on the map, in bold beside its mark
    tags = {"".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("font-weight") == "bold"}
    assert {n for n, _, _ in key_lines} <= tags
