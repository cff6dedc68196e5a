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
from kpikit.engine import stakeholders
from kpikit.charts import alignment

stakeholders.raci_matrix(eng)

# %%
# Items without exactly one Accountable
stakeholders.accountability(eng).query("not ok")

# %%
stakeholders.overloaded(eng)

# %%
alignment.influence_map(eng)

# %%
stakeholders.quadrants(eng)

# %%
from kpikit.engine.findings import findings_frame

findings_frame(stakeholders.findings(eng, period))

# %% tags=["editor"]
from kpikit import editors

editors.raci_grid(eng)
