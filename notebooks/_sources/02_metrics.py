# %% [markdown] tags=["guide"]
# # Step 2: Metrics
#
# Build the candidate metric library, score each candidate against each objective in the workshop, and see which metrics the weighted scores recommend as KPIs.
#
# **What good looks like**
#
# - Each objective has two to four scored candidates, including at least one leading indicator.
# - The recommended KPIs are robust: they do not change when one weight moves by half.
# - Selected KPIs that were not recommended have a decision in the log.
#
# **Questions to ask in the workshop**
#
# 1. Does this metric move when the objective moves, and can the team influence it?
# 2. Where does the number come from today, and what does it cost to collect?
# 3. Would you still pick it if it showed bad news?
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
from kpikit.engine import scoring
from kpikit.charts import alignment

show_table(eng.metrics, ["id", "name", "unit", "direction", "frequency", "data_source", "type"])

# %%
alignment.scoring_heatmap(eng)

# %%
# Recommended KPIs per objective (weighted score >= select_threshold, best first)
show_table(scoring.recommended(eng))

# %%
# Recommendations that change when one criterion weight moves by half
show_table(scoring.sensitivity(eng).query("changed"),
           ["criterion", "change", "objective_id", "recommended_before", "recommended_after"], sort=False,
           empty="No recommendation changes when one criterion weight moves by ±50%.")

# %%
from kpikit.engine.findings import findings_frame

show_table(findings_frame(scoring.findings(eng, period)), sort=False, empty="No findings in this step.")

# %% tags=["editor"]
from kpikit import editors

editors.scoring_grid(eng)
