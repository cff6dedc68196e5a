# %% [markdown] tags=["guide"]
# # Step 1: Objectives
#
# Capture the mission, the strategic pillars and the objectives at every level, and check each objective against SMART (Specific, Measurable, Achievable, Relevant, Time-bound).
#
# **What good looks like**
#
# - Every top-level objective serves exactly one pillar.
# - Every title says what changes, by how much and by when (a number and a date).
# - Every objective has an owner, a due date and a short description.
#
# **Questions to ask in the workshop**
#
# 1. Which pillar does this objective serve, and who would notice if it were dropped?
# 2. How will we know it has been achieved: what number, by when?
# 3. Who owns it, and do they agree to the due date?
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
from kpikit.engine import smart
from kpikit.report import sections as report

report.strategy(report.context(eng, period))

# %%
# SMART verdict per objective (False = the criterion fails)
show_table(smart.summary(eng, period))

# %%
# Why each failed criterion fails, in plain words
show_table(smart.assess(eng, period).query("not passed"), ["objective_id", "criterion", "reason"],
           empty="Every objective passes every SMART criterion.")

# %%
from kpikit.engine.findings import findings_frame

show_table(findings_frame(smart.findings(eng, period)), sort=False, empty="No findings in this step.")

# %% tags=["editor"]
from kpikit import editors

editors.objectives_editor(eng)
