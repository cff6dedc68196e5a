# %% [markdown] tags=["guide"]
# # Step 3: Cascade
#
# Lay the objectives over the organisation: each objective supports a parent objective owned by the same unit or a unit above it, up to a strategic pillar.
#
# **What good looks like**
#
# - Every objective reaches a pillar through its chain of parents.
# - No link runs sideways or downwards across the org chart.
# - Every org unit owns at least one objective (or knowingly none).
#
# **Questions to ask in the workshop**
#
# 1. Which objective above yours does this one move?
# 2. If your unit hit every objective, would the one above be met?
# 3. Which team has no objective, and is that deliberate?
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
from kpikit.engine import cascade
from kpikit.charts import alignment

alignment.cascade_tree(eng)

# %%
cascade.coverage(eng)

# %%
# Links whose parent sits in a unit that is not the objective's own or above it
show_table(cascade.wrong_unit_links(eng), empty="No objective is linked to a parent in another unit's branch.")

# %%
show_table(cascade.ownership(eng), ["kind", "id", "name", "objectives", "kpis"], sort=["kind", "id"])

# %%
from kpikit.engine.findings import findings_frame

show_table(findings_frame(cascade.findings(eng, period)), sort=False, empty="No findings in this step.")

# %% tags=["editor"]
from kpikit import editors

editors.cascade_linker(eng)
