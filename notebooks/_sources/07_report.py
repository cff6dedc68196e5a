# %% [markdown] tags=["guide"]
# # Step 7: The client report
#
# Assembles the deliverable from the steps above. Each cell below is one section of the report, in the order the client reads it. `kpikit run` exports this notebook's outputs (no code, no prompts) to `report.html` and `report.pdf`.
#
# **What good looks like:** the executive summary reads well to someone who has not seen the notebooks; every concern names the KPI and the number; no section says a step is outstanding on the day of the board meeting.
#
# **Before you send it:** read the PDF end to end, check the cover (client, period, confidentiality), and make sure the decision log explains every exception.

# %% tags=["parameters"]
# Parameters: papermill (kpikit run) and kpikit lab inject the real values.
client_dir: str = "../clients/demo-harbor"
period: str | None = None  # review period (YYYY, YYYY-Qn or YYYY-MM); None = current_period
static_charts: bool = False  # True in unattended runs: charts as inline SVG
output_dir: str = ""  # the run folder (set by kpikit run)

# %%
from kpikit.report import sections as report
from kpikit.run.step import open_step

ctx = report.context(open_step(client_dir, period, static_charts, announce=False), period)

# %% tags=["remove-cell"]
# Export the report as `kpikit run` does (into the client's runs/ folder); nothing shows in the report itself.
from kpikit.editors.export import export_button

export_button(client_dir, period)

# %%
report.cover(ctx)

# %%
report.contents(ctx)

# %%
report.executive_summary(ctx)

# %%
report.since_published(ctx)

# %%
report.signals(ctx)

# %%
report.strategy(ctx)

# %%
report.objective_cascade(ctx)

# %%
report.kpi_scorecard(ctx)

# %%
report.metric_selection(ctx)

# %%
report.targets_benchmarks(ctx)

# %%
report.stakeholder_map(ctx)

# %%
report.recommendations(ctx)

# %%
report.open_actions(ctx)

# %%
report.appendix_definitions(ctx)

# %%
report.appendix_findings(ctx)

# %%
report.appendix_method(ctx)

# %%
report.appendix_decisions(ctx)
