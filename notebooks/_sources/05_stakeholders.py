# %% [markdown] tags=["guide"]
# # Step 5: Stakeholders
#
# Agree who is Responsible, Accountable, Consulted and Informed for each objective and KPI, and map each stakeholder's influence and support.
#
# **What good looks like**
#
# - Exactly one Accountable person per objective and per KPI.
# - Nobody is accountable for more items than they can speak to in a review.
# - High-influence, low-support people have a plan.
#
# **Questions to ask in the workshop**
#
# 1. When this KPI turns red, whose phone rings?
# 2. Who needs to be consulted before a target changes?
# 3. Who could block this, and what would win their support?
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
from kpikit.engine import stakeholders
from kpikit.charts import alignment

show_table(stakeholders.raci_matrix(eng))

# %%
# Items without exactly one Accountable
show_table(stakeholders.accountability(eng).query("not ok"), ["item_id", "kind", "name", "accountable_names", "problem"],
           empty="Every item has exactly one Accountable.")

# %%
show_table(stakeholders.overloaded(eng), empty="Nobody is Accountable on more than 6 items.")

# %%
alignment.influence_map(eng)

# %%
show_table(stakeholders.quadrants(eng), ["stakeholder_id", "name", "role", "influence", "support", "quadrant", "advice"])

# %%
from kpikit.engine.findings import findings_frame

show_table(findings_frame(stakeholders.findings(eng, period)), sort=False, empty="No findings in this step.")

# %% tags=["editor"]
from kpikit import editors

editors.raci_grid(eng)
