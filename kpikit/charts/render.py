"""How charts are rendered: the ONE switch between interactive and static output.

A consultant in JupyterLab wants interactive Vega charts; an unattended run (papermill)
and the client report need static SVG, because the default renderer fetches vega from a
CDN and shows nothing offline or in a PDF. Every notebook calls :func:`setup` first
with its ``static_charts`` parameter (the runner injects ``True``) and nothing else
decides: no environment variable, no other flag. The report calls :func:`to_svg` directly.

Both outputs go through the same safety steps, so no chart can take a notebook down:

* :func:`clean_spec` makes every string of the spec safe to draw (vl-convert aborts the
  whole process, kernel included, on a C0 control character, and raises on a lone
  surrogate);
* :func:`check` refuses, before any drawing, a chart with more marks than
  :data:`MAX_ROWS` or a scale expression too deep for Vega's parser; a refused or
  failed chart becomes :func:`fallback_svg`: the chart's title, a note saying why it
  was not drawn, and its data as a readable table.

>>> setup(static=True)
'svg'
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from kpikit.errors import ChartTooLargeError

_counter = itertools.count(1)
_ID_RE = re.compile(r'\bid="([^"]+)"')

MAX_ROWS = 20_000
"""Most data rows (marks) one chart may draw. The benchmark client's largest chart draws
about 4,500 (the scoring heatmap: 1,500 cells in three layers); above this a chart
takes tens of seconds per render and is unreadable anyway, so it degrades to a table."""
MAX_SORT = 1_000
"""Longest explicit sort list allowed. Vega-Lite compiles ``sort=[...]`` into one nested
``a ? 0 : b ? 1 : ...`` expression and Vega's parser overflows its stack at about 1,440
entries ("Maximum call stack size exceeded"); the builders here sort through scale
domains (plain data), and this check catches any spec that does not."""
FALLBACK_ROWS = 200
"""Rows shown in a fallback table (the note says how many more there are)."""
_CELL_CHARS = 48

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def reset_kernel_state() -> None:
    """Restart the SVG ID numbering between notebooks: same input, same bytes.

    Called by :func:`kpikit.run.inkernel.reset`, which lists this module in ``STATEFUL_MODULES``.
    """
    global _counter
    _counter = itertools.count(1)


def setup(static: bool = False) -> str:
    """Choose the altair renderer for this kernel and return its name.

    ``static=True`` (papermill runs: the runner injects ``static_charts=True``) renders
    inline SVG through :func:`to_svg` (vl-convert), which works offline, in exported
    HTML and in print. Otherwise charts are interactive (tooltips, zoom) through
    :func:`html_bundle`, with the Vega JavaScript inlined: the default renderer fetches
    Vega from a CDN (blank on a consultant's offline laptop) and JupyterLab 4 renders
    Vega-Lite only up to v5 natively, while altair 6 emits v6. The price is about 0.9 MB
    per interactive chart in the saved notebook; the notebooks show only a few charts each.
    """
    import altair as alt

    alt.data_transformers.disable_max_rows()
    alt.renderers.register("kpikit-svg", _svg_renderer)
    alt.renderers.register("kpikit-html", _html_renderer)
    if static:
        alt.renderers.enable("kpikit-svg")
        return "svg"
    alt.renderers.enable("kpikit-html")
    return "html-inline"


# -- text and size safety --------------------------------------------------------------

def clean_text(text: str) -> str:
    """``text`` made safe for Vega and vl-convert, visibly.

    Tabs and carriage returns become spaces, other C0 control characters their visible
    Unicode "control picture" (NUL -> ␀, ESC -> ␛) so a stray byte in a title is seen and
    can be fixed, and lone surrogates become U+FFFD. Line feeds stay (labels break lines
    on them).

    >>> clean_text("Sales\\x1b[31m\\tQ1")
    'Sales␛[31m Q1'
    """
    if _CONTROL.search(text) or _SURROGATE.search(text) or "\t" in text or "\r" in text:
        text = text.replace("\r\n", "\n").replace("\t", " ").replace("\r", " ")
        text = _CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())), text)
        text = _SURROGATE.sub("\ufffd", text)
    return text


def clean_spec(spec: Any) -> Any:
    """A copy of a Vega-Lite spec (nested dicts and lists) with every string :func:`clean_text`-ed."""
    if isinstance(spec, str):
        return clean_text(spec)
    if isinstance(spec, Mapping):
        return {clean_text(str(k)): clean_spec(v) for k, v in spec.items()}
    if isinstance(spec, list | tuple):
        return [clean_spec(v) for v in spec]
    if isinstance(spec, float) and not math.isfinite(spec):  # NaN/inf are not JSON; Vega reads null as missing
        return None
    return spec


def check(spec: Mapping[str, Any]) -> None:
    """Raise :class:`~kpikit.errors.ChartTooLargeError` when the spec cannot be drawn safely (see :data:`MAX_ROWS`, :data:`MAX_SORT`)."""
    rows = sum(len(v) for v in _datasets(spec).values())
    if rows > MAX_ROWS:
        raise ChartTooLargeError(f"it would draw {rows:,} marks, more than the {MAX_ROWS:,} a chart can show readably")
    longest = max((len(s) for s in _walk_key(spec, "sort") if isinstance(s, list)), default=0)
    if longest > MAX_SORT:
        raise ChartTooLargeError(f"an axis lists {longest:,} categories in a fixed order, more than the chart engine can "
                            f"sort ({MAX_SORT:,})")


def _datasets(spec: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every inline dataset of a spec by name (named datasets and ``data.values``)."""
    out: dict[str, list[Any]] = {str(k): v for k, v in (spec.get("datasets") or {}).items() if isinstance(v, list)}
    for data in _walk_key(spec, "data"):
        if isinstance(data, Mapping) and isinstance(data.get("values"), list):
            out[_inline_name(data["values"])] = data["values"]
    return out


def _inline_name(values: list[Any]) -> str:
    """The name :func:`_datasets` and :func:`_layers` both give an unnamed ``data.values`` list."""
    return f"values-{id(values)}"


def _walk_key(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key`` anywhere in a nested spec."""
    if isinstance(node, Mapping):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk_key(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_key(v, key)


# -- static SVG ------------------------------------------------------------------------

def to_svg(chart: Any) -> str:
    """Render an altair chart (or a Vega-Lite dict) to standalone SVG markup; never raises for a chart.

    The spec is not re-validated against the Vega-Lite schema (the chart builders are
    tested; validation costs about 0.1 s a chart). Its text is cleaned (:func:`clean_spec`),
    its size checked (:func:`check`); a chart refused or failed by vl-convert becomes
    :func:`fallback_svg`. Element IDs (clip paths, gradients) are made unique per call,
    because vl-convert numbers them from 1 every time and several charts inlined in one
    HTML page would otherwise clip each other.
    """
    spec = clean_spec(_spec_of(chart))
    try:
        check(spec)
        svg = _render_svg(json.dumps(spec, sort_keys=True))
    except ChartTooLargeError as err:
        svg = fallback_svg(spec, str(err))
    except ValueError as err:  # vl-convert reports every JavaScript failure as ValueError
        svg = fallback_svg(spec, _why(err))
    return _unique_ids(svg, f"k{next(_counter)}-")


def _spec_of(chart: Any) -> Mapping[str, Any]:
    """The Vega-Lite dict of a chart, whatever its row count (size is :func:`check`'s business,
    not altair's 5,000-row guard, which would raise from inside a report section)."""
    if isinstance(chart, Mapping):
        return chart
    import altair as alt

    with alt.data_transformers.disable_max_rows():
        spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


@functools.lru_cache(maxsize=512)
def _render_svg(spec_json: str) -> str:
    """vl-convert's SVG for one spec, cached for the kernel's life.

    Rendering is deterministic, so the cache changes no output; it lets the report
    notebook reuse the KPI charts that 04_targets drew on the same kernel (the runner
    keeps one kernel per client) instead of paying about 0.2 s a chart again.
    """
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(json.loads(spec_json))
    return svg


def _why(err: Exception) -> str:
    """A vl-convert failure in words (its message is a JavaScript stack trace)."""
    first = next((ln.strip() for ln in str(err).splitlines() if ln.strip() and "conversion failed" not in ln), "")
    if "call stack" in first:
        return "the chart engine ran out of stack (the chart is too large or too deeply nested)"
    return "the chart engine failed: " + first[:200] if first else "the chart engine failed"


def _svg_renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, str]:
    """altair renderer ``kpikit-svg``: :func:`to_svg`, with a text twin for plain front ends."""
    return {"image/svg+xml": to_svg(spec), "text/plain": f"<chart: {_title(spec) or 'untitled'}>"}


# -- fallback table --------------------------------------------------------------------

def fallback_svg(spec: Mapping[str, Any], reason: str) -> str:
    """The chart as a note and a table in SVG: title, why it was not drawn, then its data.

    The columns are the chart's tooltip fields with their titles (what a reader sees on
    hover), from the layer with the most rows; at most :data:`FALLBACK_ROWS` rows, the
    note says how many there are.
    """
    spec = clean_spec(spec)
    title = _title(spec)
    columns, rows = _table_of(spec)
    shown = rows[:FALLBACK_ROWS]
    note = f"This chart was not drawn: {reason}. Its data are listed below"
    note += f" (first {len(shown):,} of {len(rows):,} rows)." if len(rows) > len(shown) else "."
    cells = [[_cell(r.get(field)) for field, _ in columns] for r in shown]
    widths = [max([len(head), *(len(c[j]) for c in cells)]) * 7 + 16 for j, (_, head) in enumerate(columns)]
    line = 18
    width = max(560, sum(widths) + 10, len(note) * 6 + 10)
    y = 22
    parts = []
    if title:
        parts.append(f'<text x="5" y="{y}" font-size="14" font-weight="bold">{html.escape(title)}</text>')
        y += line + 4
    parts.append(f'<text x="5" y="{y}" font-size="12" fill="#8A3B12">{html.escape(note)}</text>')
    y += line + 6
    x = 5
    for (_, head), w in zip(columns, widths, strict=True):
        parts.append(f'<text x="{x}" y="{y}" font-size="11" font-weight="bold">{html.escape(head)}</text>')
        x += w
    for row in cells:
        y += line
        x = 5
        for text, w in zip(row, widths, strict=True):
            parts.append(f'<text x="{x}" y="{y}" font-size="11">{html.escape(text)}</text>')
            x += w
    height = y + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="kpikit-chart-fallback" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Verdana, sans-serif" '
            f'fill="#222222"><rect width="100%" height="100%" fill="#FFFFFF"/>{"".join(parts)}</svg>')


def _title(spec: Mapping[str, Any]) -> str:
    t = spec.get("title")
    if isinstance(t, Mapping):
        t = t.get("text")
    if isinstance(t, list):
        t = " ".join(str(x) for x in t)
    return str(t) if t else ""


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e15 else f"{value:.3e}"
    s = " ".join(str(value).split())
    return s if len(s) <= _CELL_CHARS else s[: _CELL_CHARS - 1] + "…"


def _table_of(spec: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[Mapping[str, Any]]]:
    """(field, heading) columns and the rows of the spec's largest tooltip-bearing layer."""
    sets = _datasets(spec)
    best: tuple[list[tuple[str, str]], list[Mapping[str, Any]]] = ([], [])
    for data_name, tooltip in _layers(spec, None):
        rows = sets.get(data_name or "", [])
        if isinstance(tooltip, list) and len(rows) > len(best[1]):
            cols = [(str(t["field"]), str(t.get("title") or t["field"])) for t in tooltip
                    if isinstance(t, Mapping) and "field" in t]
            if cols:
                best = (cols, rows)
    if not best[1] and sets:
        rows = max(sets.values(), key=len)
        fields = list(dict.fromkeys(k for r in rows[:50] if isinstance(r, Mapping) for k in r))[:8]
        best = ([(f, f) for f in fields], rows)
    return best[0], [r for r in best[1] if isinstance(r, Mapping)]


def _layers(node: Any, data_name: str | None) -> Iterator[tuple[str | None, Any]]:
    """(dataset name, tooltip encoding) of every unit spec, data inherited from the parent."""
    if not isinstance(node, Mapping):
        return
    data = node.get("data")
    if isinstance(data, Mapping) and "name" in data:
        data_name = str(data["name"])
    elif isinstance(data, Mapping) and isinstance(data.get("values"), list):
        data_name = _inline_name(data["values"])
    enc = node.get("encoding")
    if isinstance(enc, Mapping) and "tooltip" in enc:
        yield data_name, enc["tooltip"]
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for child in node.get(key) or []:
            yield from _layers(child, data_name)
    if isinstance(node.get("spec"), Mapping):
        yield from _layers(node["spec"], data_name)


# -- interactive HTML ------------------------------------------------------------------

@functools.cache
def _bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (vl-convert ships it: no CDN)."""
    import altair as alt
    import vl_convert as vlc

    # the stub marks ``snippet`` required; at run time it defaults to "assign the three globals"
    version = "_".join(alt.SCHEMA_VERSION.split(".")[:2])  # v6.4.1 -> v6_4, as vl-convert names it
    js: str = vlc.javascript_bundle(vl_version=version)  # type: ignore[call-arg]
    return js.replace("</script", "<\\/script")


def _vega_key() -> str:
    import altair as alt

    return f"__kpikitVegaEmbed_{re.sub(r'[^0-9A-Za-z]', '_', alt.SCHEMA_VERSION)}"


def html_bundle(chart: Any) -> str:
    """One interactive chart as an HTML fragment that works any number of times in one page.

    Why not altair's ``html`` renderer with ``template="inline"``: it pastes the Vega
    bundle as a classic script with top-level ``const`` declarations, and JupyterLab runs
    every output's scripts in the same page, so the second chart (Run All twice, a second
    notebook, a reopened notebook with saved outputs) dies with "Identifier 'n' has
    already been declared" and stays blank. Here the bundle runs inside a function, once
    per page (guarded by a versioned global that also leaves ``window.vega`` to its
    owner), the chart finds its own element through ``document.currentScript`` (two views
    of one saved output each draw), the spec is JSON with ``<`` escaped (no text can end
    the script) and a failure is written into the chart's box instead of a blank.
    """
    spec = clean_spec(_spec_of(chart))
    try:
        check(spec)
    except ChartTooLargeError as err:
        return f'<div class="kpikit-chart kpikit-chart-fallback">{fallback_svg(spec, str(err))}</div>'
    div = f"kpikit-chart-{uuid.uuid4().hex}"
    data = json.dumps(spec, allow_nan=False).replace("<", "\\u003c").replace("\u2028", "\\u2028")
    data = data.replace("\u2029", "\\u2029")
    key = _vega_key()
    return f"""<div class="kpikit-chart" id="{div}"></div>
<script type="text/javascript">
(function () {{
  var key = "{key}";
  var el = document.currentScript && document.currentScript.previousElementSibling;
  if (!el || el.className !== "kpikit-chart") {{ el = document.getElementById("{div}"); }}
  if (!window[key]) {{
    var before = {{vega: window.vega, vegaLite: window.vegaLite, vegaEmbed: window.vegaEmbed}};
    (function () {{
{_bundle()}
    }}).call(window);
    window[key] = window.vegaEmbed;
    ["vega", "vegaLite", "vegaEmbed"].forEach(function (name) {{
      if (before[name] !== undefined) {{ window[name] = before[name]; }}
    }});
  }}
  var spec = {data};
  window[key](el, spec, {{mode: "vega-lite", renderer: "svg"}}).catch(function (err) {{
    el.textContent = "This chart could not be drawn: " + err;
    console.error(err);
  }});
}})();
</script>"""


def _html_renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, str]:
    """altair renderer ``kpikit-html``: :func:`html_bundle`, with a text twin for plain front ends."""
    return {"text/html": html_bundle(spec), "text/plain": f"<interactive chart: {_title(spec) or 'untitled'}>"}


_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
_TAG = re.compile(r'<(/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(/?)>')
_SCREEN_ATTR = re.compile(r'\s(?:aria-[\w-]+|role|class)="[^"]*"')
_NOOP_GROUP = re.compile(r'\s*(?:transform="translate\(0,0\)")?\s*')


def print_svg(svg: str) -> str:
    """The same chart with less markup, for the PDF only: what a printed page cannot use is dropped.

    vl-convert wraps every mark in groups carrying ARIA roles and labels (a screen reader's
    way through the HTML chart, where they stay) and in groups with no attribute or a
    ``translate(0,0)``. WeasyPrint styles and draws every element, so the print copy keeps
    the root ``<svg>`` as it is (its ``role="img"`` and ``aria-label`` are the figure's
    alternative text), strips ``aria-*``, ``role`` and ``class`` below it and unwraps the
    no-op groups. Every shape, text (still selectable) and coordinate is kept: the drawing
    is identical, with about a quarter fewer bytes and a third fewer elements.
    """
    root_end = svg.find(">") + 1
    if not root_end:
        return svg
    out = [svg[:root_end]]
    dropped: list[bool] = []
    pos = root_end
    for m in _TAG.finditer(svg, root_end):
        out.append(svg[pos:m.start()])
        pos = m.end()
        closing, name, attrs, selfclose = m.groups()
        if closing:
            if name == "g" and dropped and dropped.pop():
                continue
            out.append(m.group(0))
            continue
        attrs = _SCREEN_ATTR.sub("", attrs)
        if name == "g" and not selfclose:
            drop = _NOOP_GROUP.fullmatch(attrs) is not None
            dropped.append(drop)
            if drop:
                continue
        out.append(f"<{name}{attrs}{'/' if selfclose else ''}>")
    out.append(svg[pos:])
    return "".join(out)


def print_svgs(html_text: str) -> str:
    """Every inline chart of an HTML page through :func:`print_svg` (the PDF's copy of the report)."""
    return _SVG_BLOCK.sub(lambda m: print_svg(m.group(0)), html_text)


def _unique_ids(svg: str, prefix: str) -> str:
    ids = set(_ID_RE.findall(svg))
    if not ids:
        return svg
    for old in sorted(ids, key=len, reverse=True):
        new = prefix + old
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg


__all__ = ["FALLBACK_ROWS", "MAX_ROWS", "MAX_SORT", "check", "clean_spec", "clean_text",
           "fallback_svg", "html_bundle", "print_svg", "print_svgs", "reset_kernel_state", "setup", "to_svg"]
