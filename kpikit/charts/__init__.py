"""altair chart builders: each returns an ``alt.Chart`` (no rendering choice baked in).

``alignment`` draws the structure of an engagement (cascade tree, scoring heatmap,
RACI matrix, influence/support map); ``performance`` draws results (KPI history with
trajectory, target, stretch, benchmark and forecast; status overview; sparklines).
How charts are rendered (interactive in JupyterLab, static SVG in reports) is decided
once in :mod:`kpikit.charts.render`, never here.
"""

FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
"""One font list for every chart. vl-convert lays text out with the first installed font
(DejaVu Sans on these machines, Debian ``fonts-dejavu-core``), and the report's PDF is
printed with the same font, so labels measured for the SVG fit when printed."""
