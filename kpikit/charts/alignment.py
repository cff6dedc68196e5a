"""Charts of an engagement's structure: cascade tree, scoring heatmap, RACI matrix, influence map.

Each builder takes an :class:`~kpikit.data.store.Engagement` and returns an altair chart
(the rendering choice is :mod:`kpikit.charts.render`'s). The data come from the engine
modules (:mod:`kpikit.engine.cascade`, :mod:`kpikit.engine.scoring`, :mod:`kpikit.engine.stakeholders`), so
a chart always shows the same numbers as the tables and findings next to it.

Readability rules, kept the same in every builder: the Okabe-Ito palette (safe for
the common colour-vision deficiencies), labels cut short (:func:`kpikit.text.short`) with
the full text in the tooltip, and a size that grows with the number of rows (so 150
objectives make a tall chart rather than an unreadable one).

>>> cascade_tree(eng).to_dict()["height"]     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd

from kpikit.charts import FONT
from kpikit.data.model import Engagement
from kpikit.data.schema import RACI_LETTERS
from kpikit.engine import cascade, scoring
from kpikit.engine import stakeholders as sh
from kpikit.text import short

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Colour-blind-safe categorical palette (Okabe & Ito), strongest contrasts first."""
GREY = "#8C8C8C"
ROW_PX = 22
CASCADE_WIDTH = 640
"""Every cascade chart is this wide (px), so every part prints at the same scale."""
CASCADE_INDENT_ROOM = 260
"""At most this much of the cascade's width goes to indentation (26 px a level up to 10 levels)."""
HEATMAP_MAX_METRICS = 60
"""Above this many candidate metrics the scoring heatmap lists candidates by rank instead of one column per metric."""

X_MAX = 6.4
"""The influence map's support axis runs to here (past 5) so names beside the marks fit."""

RACI_COLOURS: dict[str, str] = {"A": "#D55E00", "R": "#0072B2", "C": "#009E73", "I": "#BBBBBB"}
RACI_WORDS: dict[str, str] = {"A": "Accountable", "R": "Responsible", "C": "Consulted", "I": "Informed"}
RACI_LEGEND: tuple[str, ...] = ("A", *(x for x in RACI_LETTERS if x != "A"))
"""The RACI letters in legend order: Accountable first, the letter the one-A rule is about."""
QUADRANT_COLOURS: dict[str, str] = {
    "Keep close / champion": "#009E73",
    "Manage closely": "#D55E00",
    "Keep informed": "#0072B2",
    "Monitor": GREY,
}


def _config(chart: Any) -> Any:
    return (chart.configure_axis(labelFont=FONT, titleFont=FONT, labelFontSize=11, titleFontSize=12)
            .configure_legend(labelFont=FONT, titleFont=FONT, labelFontSize=11, titleFontSize=12, labelLimit=260)
            .configure_title(font=FONT, fontSize=14, subtitleFont=FONT, subtitleFontSize=11, anchor="start")
            .configure_view(stroke=None))


SHAPES: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "cross", "triangle-down", "triangle-right")
"""Mark shapes for categories. Seven against eight colours: pillar i gets colour i % 8 and shape
i % 7, so up to 56 pillars differ in colour or shape, and greyscale print still tells them apart."""


def _pillar_scale(eng: Engagement) -> alt.Scale:
    names = [p.name for p in eng.config.pillars]
    colours = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(names))]
    return alt.Scale(domain=[*names, cascade.NO_PILLAR], range=[*colours, GREY])


def _pillar_shapes(eng: Engagement) -> alt.Scale:
    """The shape twin of :func:`_pillar_scale` (same domain, so the two share one legend)."""
    names = [p.name for p in eng.config.pillars]
    return alt.Scale(domain=[*names, cascade.NO_PILLAR], range=[*(SHAPES[i % len(SHAPES)] for i in range(len(names))),
                                                                  "circle"])


# -- cascade ---------------------------------------------------------------------------

def cascade_tree(eng: Engagement, pillar_id: str | None = None,
                 objective_ids: Iterable[str] | None = None) -> alt.LayerChart:
    """The objective forest as an indented outline, coloured (and shaped) by inherited pillar.

    Each objective has its own row (depth-first, by ID); a link runs down from the
    parent and across to the child in the gutter left of the labels, so lines never
    cross text. Links whose parent sits in a unit that is not the child's or above it
    (``CASCADE_WRONG_UNIT``) are dashed in vermillion. Height grows with the number of
    objectives (:data:`ROW_PX` each). ``pillar_id`` draws only the objectives serving
    that pillar, ``objective_ids`` only those objectives (in layout order): one chart per
    pillar, or per page of a pillar, keeps a very large cascade printable.
    """
    nodes = cascade.layout(eng)
    if pillar_id is not None or objective_ids is not None:
        keep = nodes["pillar_id"] == pillar_id if pillar_id is not None else pd.Series(True, index=nodes.index)
        if objective_ids is not None:
            keep &= nodes["objective_id"].isin(set(objective_ids))
        nodes = nodes[keep].reset_index(drop=True)
        nodes["row"] = nodes["y"] = pd.Series(range(len(nodes)), dtype="float64")
    links = cascade.edges(eng, nodes)
    units = cascade.unit_names(eng)
    wrong = set(cascade.wrong_unit_links(eng)["objective_id"])
    nodes = nodes.assign(
        pillar=nodes["pillar_name"].fillna(cascade.NO_PILLAR).astype("str"),
        unit=nodes["org_unit_id"].map(lambda u: f"{units.get(u, u)} ({u})").astype("str"),
    )
    max_depth = int(nodes["depth"].max()) if len(nodes) else 0
    # one width for every cascade chart, however deep: printed at the page's width, the text is the
    # same size on a 500-objective client as on a 20-objective one; deep levels indent less and cut
    # titles to the room left
    indent_px = min(26.0, CASCADE_INDENT_ROOM / (max_depth + 1))
    width = CASCADE_WIDTH
    chars = max(30, min(90, int((width - indent_px * (max_depth + 1) - 24) / (0.6 * 11))))
    nodes["label"] = [f"{o}  {_cut_at_word(t, chars)}" for o, t in zip(nodes["objective_id"], nodes["title"], strict=True)]
    link = ["wrong unit" if o in wrong else "ok" for o in links["objective_id"]]
    # an elbow per link: down from the parent, then across to the child
    segments = pd.concat([
        pd.DataFrame({"objective_id": links["objective_id"], "parent_id": links["parent_id"], "link": link,
                      "x": links["x2"], "y": links["y2"], "x2": links["x2"], "y2": links["y"]}),
        pd.DataFrame({"objective_id": links["objective_id"], "parent_id": links["parent_id"], "link": link,
                      "x": links["x2"], "y": links["y"], "x2": links["x"], "y2": links["y"]}),
    ], ignore_index=True)
    n = max(1, len(nodes))
    height = max(100, ROW_PX * n)
    # x in depth units: the label area takes what the indentation leaves of the width
    x = alt.Scale(domain=[-0.4, (width - 0.4 * indent_px) / indent_px - 0.4], nice=False, zero=False)
    y = alt.Scale(domain=[-0.6, n - 0.4], reverse=True, nice=False, zero=False)
    no_axis = alt.Axis(labels=False, ticks=False, domain=False, grid=False, title=None)
    edge_layer = alt.Chart(segments).mark_rule(strokeWidth=1.3).encode(
        x=alt.X("x:Q", scale=x, axis=no_axis), y=alt.Y("y:Q", scale=y, axis=no_axis),
        x2="x2:Q", y2="y2:Q",
        color=alt.Color("link:N", scale=alt.Scale(domain=["ok", "wrong unit"], range=["#A6A6A6", "#D55E00"]),
                        legend=alt.Legend(title="Link to parent", orient="top")),
        strokeDash=alt.StrokeDash("link:N", scale=alt.Scale(domain=["ok", "wrong unit"], range=[[1, 0], [5, 3]]),
                                  legend=None),
        tooltip=[alt.Tooltip("objective_id:N", title="Objective"), alt.Tooltip("parent_id:N", title="Supports"),
                 alt.Tooltip("link:N", title="Link")],
    )
    tooltip = [alt.Tooltip("objective_id:N", title="Objective"), alt.Tooltip("title:N", title="Title"),
               alt.Tooltip("unit:N", title="Org unit"), alt.Tooltip("pillar:N", title="Pillar")]
    base_nodes = alt.Chart(nodes).encode(
        x=alt.X("x:Q", scale=x, axis=no_axis), y=alt.Y("y:Q", scale=y, axis=no_axis), tooltip=tooltip,
    )
    points = base_nodes.mark_point(filled=True, size=80, opacity=1, stroke="white", strokeWidth=1).encode(
        color=alt.Color("pillar:N", scale=_pillar_scale(eng), legend=alt.Legend(title="Pillar", orient="top", columns=3)),
        # same field, scale domain and legend as the colour: one legend that shows both colour and shape
        shape=alt.Shape("pillar:N", scale=_pillar_shapes(eng), legend=alt.Legend(title="Pillar", orient="top", columns=3)),
    )
    labels = base_nodes.mark_text(align="left", baseline="middle", dx=9, fontSize=11, font=FONT, color="#222222").encode(
        text="label:N",
    )
    # a part of a split cascade is captioned by the report (which part, which pillar): no title of its own
    title = None if objective_ids is not None else alt.Title(
        "Objective cascade", subtitle=f"{len(nodes)} objectives; colour and shape = pillar (inherited from the parent "
                                      f"when not set); dashed = parent in the wrong org unit")
    chart = alt.layer(edge_layer, points, labels).properties(
        width=width, height=height, **({"title": title} if title is not None else {}),
    ).resolve_scale(color="independent", shape="independent")
    return _config(chart)  # type: ignore[no-any-return]


def _cut_at_word(text: object, n: int) -> str:
    """``text`` cut to at most ``n`` characters at a word boundary, with an ellipsis ("by December 20…" reads as
    broken, "by…" as cut); the full title is in the tooltip and in Appendix A.

    >>> _cut_at_word("Reduce falls by December 2027", 24), _cut_at_word("Short", 24)
    ('Reduce falls by…', 'Short')
    """
    s = short(text, 10**6)
    if len(s) <= n:
        return s
    head = s[: n - 1]
    cut = head.rsplit(" ", 1)[0] if " " in head[n // 2:] else head
    return cut.rstrip(" ,;:-") + "…"


# -- scoring ---------------------------------------------------------------------------

def scoring_heatmap(eng: Engagement, objective_ids: Iterable[str] | None = None) -> alt.LayerChart:
    """Weighted score of every scored pairing: objectives down, metrics across.

    Selected KPIs are outlined in black with a bold score; the colour scale spans the
    scoring scale. ``objective_ids`` limits the chart to those objectives (and the
    metrics scored for them): a report can draw one heatmap per pillar for a big client.

    With more than :data:`HEATMAP_MAX_METRICS` candidate metrics a metric-per-column
    matrix is mostly empty and too wide to read or print (1,500 metrics: 51,000 px), so
    the columns become each objective's candidates in rank order (best first), every
    cell naming its metric: the same scores and outlines, as wide as the longest
    candidate list.
    """
    sc = eng.config.scoring
    df = scoring.ranked(eng)
    if objective_ids is not None:
        df = df[df["objective_id"].isin(set(objective_ids))].reset_index(drop=True)
    titles = dict(zip(eng.objectives["id"], eng.objectives["title"], strict=True))
    df = df.assign(
        objective_title=df["objective_id"].map(titles).astype("str"),
        metric_label=[f"{short(n, 28)} ({m})" for m, n in zip(df["metric_id"], df["metric_name"], strict=True)],
        score_text=df["weighted_score"].map(lambda v: f"{v:.2f}").astype("str"),
        status=[("selected" if s else "not selected") + (", recommended" if r else "")
                for s, r in zip(df["selected"], df["recommended"], strict=True)],
        high=df["weighted_score"] >= (sc.scale[0] + 0.75 * (sc.scale[1] - sc.scale[0])),
    )
    n_obj = max(1, df["objective_id"].nunique())
    n_met = max(1, df["metric_label"].nunique())
    obj_order = sorted(df["objective_id"].unique())
    by_rank = n_met > HEATMAP_MAX_METRICS
    # orders go in as scale domains (plain data), never as sort lists: Vega-Lite turns a
    # sort list into one nested expression that overflows Vega's parser at ~1,440 entries
    if by_rank:
        df = df.sort_values(["objective_id", "rank", "metric_id"], kind="stable").reset_index(drop=True)
        df["column"] = (df.groupby("objective_id").cumcount() + 1).map(_ordinal).astype("str")
        df["score_text"] = (df["metric_id"] + "  " + df["score_text"]).astype("str")
        columns = [_ordinal(i) for i in range(1, int(df.groupby("objective_id").size().max() or 1) + 1)]
        x = alt.X("column:N", scale=alt.Scale(domain=columns), title="Candidate metrics, best score first",
                  axis=alt.Axis(orient="top", labelAngle=0))
        cell_px = 110
    else:
        met_order = sorted(df["metric_label"].unique(), key=str.lower)
        x = alt.X("metric_label:N", scale=alt.Scale(domain=met_order), title="Candidate metric",
                  axis=alt.Axis(labelAngle=-60, labelLimit=220, labelOverlap=False))
        columns, cell_px = met_order, 34
    y = alt.Y("objective_id:N", scale=alt.Scale(domain=obj_order), title="Objective", axis=alt.Axis(labelOverlap=False))
    tooltip = [alt.Tooltip("objective_id:N", title="Objective"), alt.Tooltip("objective_title:N", title="Title"),
               alt.Tooltip("metric_id:N", title="Metric"), alt.Tooltip("metric_name:N", title="Name"),
               alt.Tooltip("weighted_score:Q", title="Weighted score", format=".2f"),
               alt.Tooltip("rank:Q", title="Rank"), alt.Tooltip("status:N", title="Status")]
    base = alt.Chart(df).encode(x=x, y=y, tooltip=tooltip)
    cells = base.mark_rect().encode(
        color=alt.Color("weighted_score:Q", title="Weighted score",
                        scale=alt.Scale(scheme="blues", domain=[sc.scale[0], sc.scale[1]])),
        stroke=alt.condition("datum.selected", alt.value("#000000"), alt.value("#FFFFFF")),
        strokeWidth=alt.condition("datum.selected", alt.value(2.5), alt.value(0.5)),
    )
    text_colour = alt.condition("datum.high", alt.value("white"), alt.value("#222222"))
    plain = base.transform_filter("!datum.selected").mark_text(fontSize=10, font=FONT).encode(
        text="score_text:N", color=text_colour)
    bold = base.transform_filter("datum.selected").mark_text(fontSize=10, font=FONT, fontWeight="bold").encode(
        text="score_text:N", color=text_colour)
    layout = (f"{n_met} candidate metrics, so each row lists its objective's candidates best first; "
              if by_rank else "")
    chart = alt.layer(cells, plain, bold).properties(
        width=max(160, cell_px * len(columns)), height=max(80, ROW_PX * n_obj),
        title=alt.Title("Metric scoring", subtitle=f"{layout}Weighted score per pairing; outlined = selected KPI; "
                                                   f"recommended from {sc.select_threshold:g}, at most "
                                                   f"{sc.max_kpis_per_objective} per objective"),
    )
    return _config(chart)  # type: ignore[no-any-return]


def _ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th' (candidate positions in the heatmap)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- stakeholders ----------------------------------------------------------------------

def raci_chart(eng: Engagement, item_ids: Iterable[str] | None = None) -> alt.LayerChart:
    """The RACI matrix: items down, people across, one coloured letter per assignment.

    Items without exactly one Accountable are flagged in their label ("[no Accountable]",
    "[2 Accountable]").
    ``item_ids`` limits the rows (objectives or metrics); people with no letter on
    the remaining rows are left out.
    """
    m = sh.raci_matrix(eng)
    if item_ids is not None:
        m = m[m["item_id"].isin(set(item_ids))].reset_index(drop=True)
    acc = sh.accountability(eng).set_index("item_id")["n_accountable"].to_dict()
    people = sh.people_names(eng)
    person_cols = [c for c in m.columns if c in people and (m[c] != "").any()]
    long = m.melt(id_vars=["item_id", "kind", "name"], value_vars=person_cols, var_name="stakeholder_id", value_name="letters")
    long = long[long["letters"].astype("str") != ""].copy()

    def flag(item: str) -> str:
        n = acc.get(item)
        if n is None or n == 1:
            return ""
        return "  [no Accountable]" if n == 0 else f"  [{n} Accountable]"

    order = list(m["item_id"])
    label_of = {i: f"{i}  {short(n, 34)}{flag(i)}" for i, n in zip(m["item_id"], m["name"], strict=True)}
    long["item"] = long["item_id"].map(label_of).astype("str")
    long["person"] = long["stakeholder_id"].map(lambda p: f"{people[p]}").astype("str")
    long["role"] = long["letters"].map(lambda s: "A" if "A" in str(s).split("/") else str(s).split("/")[0]).astype("str")
    long["role_word"] = long["role"].map(RACI_WORDS).astype("str")
    item_sort = [label_of[i] for i in order]
    person_sort = [people[p] for p in person_cols]
    x = alt.X("person:N", scale=alt.Scale(domain=person_sort), title=None,
              axis=alt.Axis(orient="top", labelAngle=-50, labelLimit=160, labelOverlap=False))
    y = alt.Y("item:N", scale=alt.Scale(domain=item_sort), title=None, axis=alt.Axis(labelLimit=340, labelOverlap=False))
    tooltip = [alt.Tooltip("item_id:N", title="Item"), alt.Tooltip("name:N", title="Name"),
               alt.Tooltip("person:N", title="Person"), alt.Tooltip("letters:N", title="RACI")]
    base = alt.Chart(long).encode(x=x, y=y, tooltip=tooltip)
    words = [RACI_WORDS[k] for k in RACI_LEGEND]
    cells = base.mark_rect(cornerRadius=2, stroke="white", strokeWidth=1).encode(
        color=alt.Color("role_word:N", title="Role",
                        scale=alt.Scale(domain=words, range=[RACI_COLOURS[k] for k in RACI_LEGEND]),
                        legend=alt.Legend(orient="bottom")),
    )
    text = base.mark_text(fontSize=10, font=FONT, fontWeight="bold").encode(
        text="letters:N",
        color=alt.condition("datum.role == 'I'", alt.value("#222222"), alt.value("white")),
    )
    n_items = max(1, len(order))
    chart = alt.layer(cells, text).properties(
        width=max(120, 30 * max(1, len(person_cols))), height=max(80, ROW_PX * n_items),
        title=alt.Title("RACI matrix", subtitle="Each objective and selected KPI needs exactly one Accountable (A)"),
    )
    return _config(chart)  # type: ignore[no-any-return]


MAP_WIDTH = 760
MAP_FONT = 10
MAP_LINE = 12
CHAR_EM = 0.62
"""Width of an average DejaVu Sans character in em (a little generous), for label boxes in pixels."""
MAP_NAME_CHARS = 26
MAP_MAX_LINES = 6
"""At most this many names beside one mark; a larger group gets a numbered tag and a line in the key."""

Box = tuple[float, float, float, float]
"""(left, top, right, bottom) in the plot's pixels."""


def _text_box(x: float, y: float, lines: list[str], align: str) -> Box:
    """The box a label of ``lines`` takes with its top-left (``align`` left) or top-right corner at (x, y)."""
    w = max((len(t) for t in lines), default=0) * CHAR_EM * MAP_FONT + 2
    h = MAP_LINE * len(lines)
    return (x, y, x + w, y + h) if align == "left" else (x - w, y, x, y + h)


def _clear(box: Box, taken: list[Box], width: float, height: float, pad: float = 2) -> bool:
    """True when ``box`` lies inside the plot and touches none of ``taken`` (with ``pad`` px to spare)."""
    left, top, right, bottom = box
    if left < 0 or top < 0 or right > width or bottom > height:
        return False
    return all(left >= r + pad or right + pad <= lft or top >= b + pad or bottom + pad <= t
               for lft, t, r, b in taken)


def place_map_labels(groups: pd.DataFrame, height: float, width: float = MAP_WIDTH,
                     x_domain: tuple[float, float] = (0.5, X_MAX),
                     y_domain: tuple[float, float] = (0.5, 5.5)) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Label positions for the influence map that never overlap, and the key for the rest.

    Greedy, in order of who matters most (influence, then support, highest first): each
    point's names go right of its mark, else left (level, then raised), else under or over it; a point
    whose names fit nowhere (or that holds more than :data:`MAP_MAX_LINES` people) gets a
    numbered tag beside its mark and its names in the key under the chart. Marks, the
    quadrant names in the corners and every label already placed are obstacles.
    Returns the labels (``x``, ``y`` in data units, ``text``, ``align``) and the key rows.
    """
    def px(s: float) -> float:
        return (s - x_domain[0]) / (x_domain[1] - x_domain[0]) * width

    def py(i: float) -> float:
        return (y_domain[1] - i) / (y_domain[1] - y_domain[0]) * height

    def data_x(v: float) -> float:
        return x_domain[0] + v / width * (x_domain[1] - x_domain[0])

    def data_y(v: float) -> float:
        return y_domain[1] - v / height * (y_domain[1] - y_domain[0])

    corner_h = MAP_LINE + 4
    taken: list[Box] = [(0, 0, 180, corner_h), (width - 180, 0, width, corner_h),
                        (0, height - corner_h, 180, height), (width - 180, height - corner_h, width, height)]
    sup = [float(v) for v in groups["support"].tolist()]
    inf = [float(v) for v in groups["influence"].tolist()]
    people: list[list[str]] = [[str(n) for n in ns] for ns in groups["names"].tolist()]
    taken += [(px(s) - 11, py(i) - 11, px(s) + 11, py(i) + 11) for s, i in zip(sup, inf, strict=True)]
    # the dashed quadrant lines: a name struck through by one reads as crossed out
    taken += [(px(sh.HIGH) - 1, 0, px(sh.HIGH) + 1, height), (0, py(sh.HIGH) - 1, width, py(sh.HIGH) + 1)]
    order = sorted(range(len(groups)), key=lambda k: (-inf[k], -sup[k]))
    labels: list[dict[str, Any]] = []
    key: list[dict[str, Any]] = []
    for k in order:
        s, i, full = sup[k], inf[k], people[k]
        x0, y0 = px(s), py(i)
        spots = [(x0 + 13, y0 - 6, "left"), (x0 - 13, y0 - 6, "right")]
        placed = None
        tagged = False
        h = MAP_LINE * len(full)
        names = [short(n, MAP_NAME_CHARS) for n in full]
        # beside the mark (level with it, then raised), then under or over it
        tries = [(x, y + dy, align) for dy in (0.0, -(h - MAP_LINE)) for x, y, align in spots]
        tries += [(x0 - 6, y0 + 13, "left"), (x0 - 6, y0 - 13 - h, "left")]
        tries += [(x, y - h / 2 + 6, align) for x, y, align in spots]
        for x, y, align in tries if len(full) <= MAP_MAX_LINES else []:
            box = _text_box(x, y, names, align)
            if _clear(box, taken, width, height):
                placed = (x, y, names, align, box)
                break
        if placed is None:
            tagged = True
            tag = [str(len(key) + 1)]
            key.append({"tag": tag[0], "influence": i, "support": s, "names": full})
            for x, y, align in [*spots, (x0 - 4, y0 - 26, "left"), (x0 - 4, y0 + 13, "left"),
                                (x0 + 13, y0 - 22, "left"), (x0 + 13, y0 + 10, "left"),
                                (x0 - 13, y0 - 22, "right"), (x0 - 13, y0 + 10, "right")]:
                box = _text_box(x, y, tag, align)
                if _clear(box, taken, width, height):
                    placed = (x, y, tag, align, box)
                    break
        if placed is None:  # nowhere free even for a number: the key says where the point is
            continue
        x, y, lines, align, box = placed
        taken.append(box)
        labels.append({"x": data_x(x), "y": data_y(y), "text": "\n".join(lines), "align": align, "tagged": tagged})
    return pd.DataFrame(labels, columns=["x", "y", "text", "align", "tagged"]), key


def influence_map(eng: Engagement) -> alt.LayerChart | alt.VConcatChart:
    """Stakeholders by support (across) and influence (up), with the four quadrants named.

    People at the same point share one mark and are listed one per line beside it. Label
    positions are computed here (:func:`place_map_labels`) so no two labels overlap at any
    size: the people who matter most are named first; a point whose names do not fit gets
    a numbered tag and its names in a key under the chart. People without both ratings are
    left out and counted in the subtitle.
    """
    q = sh.quadrants(eng)
    rated = q[q["quadrant"] != "Not assessed"]
    missing = len(q) - len(rated)
    # one mark per point on the grid; everyone at that point is listed in its label
    groups = (rated.groupby(["influence", "support"], sort=True)
              .agg(quadrant=("quadrant", "first"), names=("name", list), roles=("role", list))
              .reset_index())
    groups["count"] = groups["names"].map(len).astype("int64")
    groups["label"] = groups["names"].map(lambda ns: "\n".join(short(n, MAP_NAME_CHARS) for n in ns)).astype("str")
    groups["people"] = [", ".join(f"{n} ({r})" if r else n for n, r in zip(ns, rs, strict=True))
                        for ns, rs in zip(groups["names"], groups["roles"], strict=True)]
    groups["advice"] = groups["quadrant"].map(sh.ADVICE).astype("str")
    most = min(int(groups["count"].max()) if len(groups) else 1, MAP_MAX_LINES)
    height = max(440, 5 * (MAP_LINE * most + 40))
    labels, key = place_map_labels(groups, height)
    groups = groups.drop(columns=["names", "roles"])
    dom = alt.Scale(domain=[0.5, 5.5], nice=False, zero=False)
    xdom = alt.Scale(domain=[0.5, X_MAX], nice=False, zero=False)  # room for names right of 5
    x = alt.X("support:Q", scale=xdom, title="Support for the KPI programme (1 opposed - 5 champion)",
              axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d", grid=False))
    y = alt.Y("influence:Q", scale=dom, title="Influence (1 low - 5 high)",
              axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d", grid=False))
    tooltip = [alt.Tooltip("people:N", title="People"), alt.Tooltip("influence:Q", title="Influence"),
               alt.Tooltip("support:Q", title="Support"), alt.Tooltip("quadrant:N", title="Quadrant"),
               alt.Tooltip("advice:N", title="Approach")]
    base = alt.Chart(groups).encode(x=x, y=y, tooltip=tooltip)
    points = base.mark_point(filled=True, opacity=0.95, stroke="white", strokeWidth=1).encode(
        color=alt.Color("quadrant:N", title="Quadrant", scale=alt.Scale(domain=list(QUADRANT_COLOURS),
                                                                     range=list(QUADRANT_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", columns=2)),
        shape=alt.Shape("quadrant:N", legend=None),
        size=alt.Size("count:Q", scale=alt.Scale(range=[110, 320]), legend=None),
    )
    name_layers = [  # names, and the key's numbers in bold, each side aligned to its mark
        alt.Chart(labels[(labels["align"] == side) & (labels["tagged"] == tagged)]).mark_text(
            align=side, baseline="top", fontSize=MAP_FONT, font=FONT, color="#222222", lineBreak="\n",
            lineHeight=MAP_LINE, fontWeight="bold" if tagged else "normal",
        ).encode(x=alt.X("x:Q", scale=xdom), y=alt.Y("y:Q", scale=dom), text="text:N")
        for side in ("left", "right") for tagged in (False, True)
    ]
    line = sh.HIGH
    rules = pd.DataFrame({"v": [line]})
    vrule = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color=GREY).encode(x=alt.X("v:Q", scale=xdom))
    hrule = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color=GREY).encode(y=alt.Y("v:Q", scale=dom))
    corners = pd.DataFrame([
        {"x": X_MAX - 0.05, "y": 5.45, "t": "Keep close / champion", "a": "right"},
        {"x": 0.55, "y": 5.45, "t": "Manage closely", "a": "left"},
        {"x": X_MAX - 0.05, "y": 0.6, "t": "Keep informed", "a": "right"},
        {"x": 0.55, "y": 0.6, "t": "Monitor", "a": "left"},
    ])
    right = alt.Chart(corners[corners["a"] == "right"]).mark_text(
        align="right", baseline="top", fontSize=11, font=FONT, fontStyle="italic", color="#555555",
    ).encode(x=alt.X("x:Q", scale=xdom), y=alt.Y("y:Q", scale=dom), text="t:N")
    left = alt.Chart(corners[corners["a"] == "left"]).mark_text(
        align="left", baseline="top", fontSize=11, font=FONT, fontStyle="italic", color="#555555",
    ).encode(x=alt.X("x:Q", scale=xdom), y=alt.Y("y:Q", scale=dom), text="t:N")
    sub = f"High = {line:g} or more on 1-5"
    if missing:
        sub += f"; {missing} stakeholder{'s' if missing != 1 else ''} not rated yet (not shown)"
    if key:
        sub += "; a number marks a point whose names are in the key below"
    chart: Any = alt.layer(vrule, hrule, left, right, points, *name_layers).properties(
        width=MAP_WIDTH, height=height, title=alt.Title("Stakeholder influence and support", subtitle=sub),
    )
    if key:
        chart = alt.vconcat(chart, _map_key(key), spacing=14)
    return _config(chart)  # type: ignore[no-any-return]


def _map_key(key: list[dict[str, Any]]) -> alt.Chart:
    """The numbered points' names, one wrapped paragraph per number, as a text block the width of the map."""
    chars = int(MAP_WIDTH / (CHAR_EM * MAP_FONT)) - 4
    rows: list[dict[str, Any]] = []
    for k in key:
        line = f"{k['tag']}  influence {k['influence']:g}, support {k['support']:g}:"
        for j, name in enumerate(k["names"]):
            part = f" {name}" + ("," if j < len(k["names"]) - 1 else "")
            if len(line) + len(part) > chars:  # a name is never split across lines
                rows.append({"row": len(rows), "text": line})
                line = "    "
            line += part
        rows.append({"row": len(rows), "text": line})
    key_chart: alt.Chart = alt.Chart(pd.DataFrame(rows)).mark_text(
        align="left", baseline="top", fontSize=MAP_FONT, font=FONT, color="#222222",
    ).encode(
        x=alt.value(0), y=alt.Y("row:O", axis=None, title=None), text="text:N",
    ).properties(width=MAP_WIDTH, height=MAP_LINE * len(rows) + 4)
    return key_chart


__all__ = ["OKABE_ITO", "cascade_tree", "influence_map", "place_map_labels", "raci_chart", "scoring_heatmap", "short"]
