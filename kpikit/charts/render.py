"""How charts are rendered: the ONE switch between interactive and static output.

A consultant in JupyterLab wants interactive Vega charts; an unattended run (papermill)
and the client report need static SVG, because the default renderer fetches vega from a
CDN and shows nothing offline or in a PDF. Every notebook calls :func:`setup` first
with its ``static_charts`` parameter (the runner injects ``True``) and nothing else
decides: no environment variable, no other flag. The report calls :func:`to_svg` directly.

>>> setup(static=True)
'svg'
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from typing import Any

_counter = itertools.count(1)
_ID_RE = re.compile(r'\bid="([^"]+)"')


def reset_kernel_state() -> None:
    """Restart the SVG ID numbering between notebooks: same input, same bytes.

    Called by :func:`kpikit.run.inkernel.reset`, which lists this module in ``STATEFUL_MODULES``.
    """
    global _counter
    _counter = itertools.count(1)


def setup(static: bool = False) -> str:
    """Choose the altair renderer for this kernel and return its name.

    ``static=True`` (papermill runs: the runner injects ``static_charts=True``) renders
    inline SVG through vl-convert, which works offline, in exported HTML and in print.
    Otherwise charts are interactive (tooltips, zoom) through altair's ``html`` renderer
    with the Vega JavaScript inlined: the default renderer fetches Vega from a CDN (blank
    on a consultant's offline laptop) and JupyterLab 4 renders Vega-Lite only up to v5
    natively, while altair 6 emits v6. The price is about 0.9 MB per interactive chart
    in the saved notebook; the notebooks show only a few charts each.
    """
    import altair as alt

    alt.data_transformers.disable_max_rows()
    if static:
        alt.renderers.enable("svg")
        return "svg"
    alt.renderers.enable("html", template="inline")
    return "html-inline"


def to_svg(chart: Any) -> str:
    """Render an altair chart (or a Vega-Lite dict) to standalone SVG markup.

    The spec is not re-validated against the Vega-Lite schema (the chart builders are
    tested; validation costs about 0.1 s a chart). Element IDs (clip paths, gradients)
    are made unique per call, because vl-convert
    numbers them from 1 every time and several charts inlined in one HTML page would
    otherwise clip each other.
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    return _unique_ids(_render_svg(json.dumps(spec, sort_keys=True)), f"k{next(_counter)}-")


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


__all__ = ["reset_kernel_state", "setup", "to_svg"]
