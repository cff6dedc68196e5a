"""The report's HTML: the Jinja2 environment (autoescape on) and the fragments and figures it makes.

Every section is rendered here with autoescape on, so any text from the engagement
files (titles, definitions, names) reaches the page as text, never as markup. Charts
come from :mod:`kpikit.charts` and are inlined as static SVG by
:func:`kpikit.charts.render.to_svg`, each with a text title and description.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec

import jinja2
from markupsafe import Markup

from kpikit.charts import render
from kpikit.kit.resources import templates_dir
from kpikit.report.formatting import num, pct, text
from kpikit.report.wording import SEVERITY_LABEL, VIEW_STATUS

P = ParamSpec("P")


@dataclass(frozen=True)
class Fragment:
    """A piece of report HTML; displays itself in Jupyter (``_repr_html_``)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


@dataclass(frozen=True)
class Figure:
    """A chart as inline SVG with the text title and description a reader (or screen reader) needs."""

    id: str
    title: str
    description: str
    svg: Markup


_fig_ids = itertools.count(1)


def reset_kernel_state() -> None:
    """Restart figure numbering (called by the runner between notebooks, for reproducible output)."""
    global _fig_ids
    _fig_ids = itertools.count(1)


def figure(chart: Any, title: str, description: str) -> Figure:
    """Render an altair chart to a captioned inline SVG figure.

    The SVG root gets ``role="img"`` and an ``aria-label`` (the title) so assistive
    technology announces it; the caption carries the description as text.
    """
    svg = render.to_svg(chart)
    label = Markup.escape(title)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return Figure(f"fig{next(_fig_ids)}", title, description, Markup(svg))


def chart(build: Callable[P, Any], title: str, description: str, /,
          *args: P.args, **kwargs: P.kwargs) -> Figure | None:
    """Build a chart with a :mod:`kpikit.charts` function and render it as a captioned figure.

    ``build`` is the chart function itself (``alignment.cascade_tree`` and the like),
    called with ``args``. Returns None when the chart has nothing to draw (the builder
    returns None for an empty input).
    """
    made = build(*args, **kwargs)
    if made is None:
        return None
    return figure(made, title, description)


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the sections: autoescape always on, undefined is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "report" / "sections")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(STATUS=VIEW_STATUS, SEVERITY_LABEL=SEVERITY_LABEL)
    env.filters["num"] = num
    env.filters["text"] = text
    env.filters["pct"] = pct
    return env


def render_template(template: str, **values: Any) -> Fragment:
    """Render ``templates/report/sections/<template>`` with ``values`` as an escaped fragment."""
    return Fragment(environment().get_template(template).render(**values))
