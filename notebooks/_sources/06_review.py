# %% [markdown] tags=["guide"]
# # Step 6: Review and adaptation
#
# Enter the actuals for the review period, then read each KPI against the value expected on its trajectory: status, trend, forecast to the target period, roll-ups and what changed since the last review.
#
# **What good looks like**
#
# - Every KPI has an actual for its period (no no-data).
# - Every red KPI has an owner-led recovery action (the actions editor, last cell), and no action is overdue.
# - Targets already met are raised or retired.
#
# **Questions to ask in the workshop**
#
# 1. What explains the gap, and is it the target or the initiative that needs to change?
# 2. Will the trend meet the target in time? If not, what changes now?
# 3. What did we decide at the last review, and did it happen?
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
from kpikit.engine import review
from kpikit.charts import performance

show_table(review.scorecard_detail(eng, period), ["objective_id", "metric_id", "name", "period", "status", "actual", "expected",
                                                "target", "target_period", "trend", "forecast", "will_meet_target",
                                                "status_change"])

# %%
performance.status_overview(eng, period)

# %%
show_table(review.rollup(eng, "pillar", period))

# %%
show_table(review.rollup(eng, "org_unit", period))

# %%
show_table(review.changes_since_previous(eng, period), ["objective_id", "metric_id", "previous_period", "period",
                                                        "previous_status", "status", "message"],
           empty="No status changed since the previous review period (or there is none).")

# %%
show_table(review.suggestions(eng, period), sort=False, empty="No suggestions.")

# %%
from kpikit.engine import all_findings
from kpikit.engine.findings import findings_frame

show_table(findings_frame(all_findings(eng, period)), sort=False, empty="No findings.")

# %% tags=["editor"]
from kpikit import editors

editors.actuals_entry(eng)

# %%
editors.actions_editor(eng)
