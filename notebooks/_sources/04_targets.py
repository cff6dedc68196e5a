# %% [markdown] tags=["guide"]
# # Step 4: Measurability, targets and benchmarks
#
# For each selected KPI: confirm where the data comes from, record a baseline, set a target, a stretch and an external benchmark, and check that the target is realistic. When the plan sets interim targets (a target for every year of a six-year plan), enter them as the KPI's milestones in the editor: expected values then follow the plan's own numbers instead of a straight line.
#
# **What good looks like**
#
# - Every KPI has a data source, a unit and at least four periods of history; best, it is **measured**: a query on a declared source that `kpikit refresh` runs, so no number is retyped.
# - Targets need no faster progress than the KPI has ever shown (or the plan says why).
# - Targets are no better than the best-in-class benchmark unless the board chooses so.
#
# **Questions to ask in the workshop**
#
# 1. What is the baseline, and which period does it describe?
# 2. What have peers achieved, and from which source is that benchmark?
# 3. What would have to be true to reach this target at this pace?
# 4. Does the plan set a number for each year (or quarter) on the way? Those are the milestones.
# 5. Which system holds the number, and which query returns it per period? Write it with the client's analyst in the last cell (Test query runs it read-only).
#
# _Run all cells; edit in the editor cell; press Save there. The files in the client folder are the only source of truth._

# %% tags=["parameters"]
# Parameters: papermill (kpikit run) and kpikit lab inject the real values.
client_dir: str = "../clients/demo-harbor"
period: str | None = None  # review period (YYYY, YYYY-Qn or YYYY-MM); None = current_period
static_charts: bool = False  # True in unattended runs: charts as inline SVG

# %%
from kpikit.run.step import open_step

eng = open_step(client_dir, period, static_charts)

# %%
from kpikit.editors.tables import show_table
from kpikit.engine import targets

show_table(targets.measurability(eng), ["objective_id", "metric_id", "name", "data_source", "unit", "n_actuals",
                                        "first_period", "last_period", "measurable"])

# %%
# Where each KPI's number comes from: measured (a query on a declared source), declared (named, not queried) or
# no source, with the last kpikit refresh (when, rows, latest period, outcome)
from kpikit.editors.measurability import measurability_view

measurability_view(eng)

# %%
show_table(targets.realism(eng, period), ["objective_id", "metric_id", "realistic", "reason"])

# %%
# One chart per KPI (history, trajectory, target, stretch, benchmark, forecast), as in the report
from kpikit.report import sections as report

report.targets_benchmarks(report.context(eng, period))

# %%
# The interim targets (milestones.csv) the expected values run through; empty when the plan sets none
show_table(eng.milestones, sort=["objective_id", "metric_id", "period"], empty="No milestones (milestones.csv).")

# %%
print(targets.METHOD)

# %%
from kpikit.engine.findings import findings_frame

show_table(findings_frame(targets.findings(eng, period)), sort=False, empty="No findings in this step.")

# %% tags=["editor"]
from kpikit import editors

editors.target_setter(eng)

# %%
# Test query: pick a metric, write its query with the client's analyst, press Test query (read-only, nothing written)
from kpikit.editors.query_tester import query_tester

query_tester(eng)
