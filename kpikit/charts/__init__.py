"""altair chart builders: each returns an ``alt.Chart`` (no rendering choice baked in).

``alignment`` draws the structure of an engagement (cascade tree, scoring heatmap,
RACI matrix, influence/support map); ``performance`` draws results (KPI history with
trajectory, target, stretch, benchmark and forecast; status overview; sparklines).
How charts are rendered (interactive in JupyterLab, static SVG in reports) is decided
once in :mod:`kpikit.render`, never here.
"""
