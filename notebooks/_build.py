"""Write the workbook notebooks 01..07 from this one readable source, without outputs.

Why a generator: a notebook's JSON is hard to review and easy to commit with outputs
and execution counts. The cells live here as plain text; run
``python notebooks/_build.py`` after editing and commit the .ipynb files it writes
(deterministic: same source, same bytes). The runner skips files starting with "_".

Conventions every notebook follows (the runner and ``kpikit lab`` rely on them):
* cell 1: markdown guide for the consultant (tag ``guide``: never in the client report);
* cell 2: the ``parameters`` cell (papermill injects ``client_dir``, ``period``,
  ``static_charts`` and, for 07, ``output_dir``);
* cell 3: setup: :func:`kpikit.charts.render.setup` chooses interactive or static charts;
* then a few cells that call ``kpikit`` and display; one ``editor`` cell in 01-06.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PARAMETERS = '''# Parameters: papermill (kpikit run) and kpikit lab inject the real values.
client_dir: str = "../clients/demo-harbor"
period: str | None = None  # review period (YYYY, YYYY-Qn or YYYY-MM); None = current_period
static_charts: bool = False  # True in unattended runs: charts as inline SVG'''

SETUP = '''import kpikit
from kpikit.charts import render

render.setup(static_charts)
eng = kpikit.load_engagement(client_dir)
print(f"{eng.client}: review period {eng.review_period(period)}")'''


def guide(title: str, purpose: str, good: list[str], questions: list[str]) -> str:
    """The consultant's guide at the top of a notebook."""
    lines = [f"# {title}", "", purpose, "", "**What good looks like**", ""]
    lines += [f"- {g}" for g in good]
    lines += ["", "**Questions to ask in the workshop**", ""]
    lines += [f"{i}. {q}" for i, q in enumerate(questions, 1)]
    lines += ["", "_Run all cells; edit in the editor cell; press Save there. The files in the "
              "client folder are the only source of truth._"]
    return "\n".join(lines)


Cell = tuple[str, str, list[str]]  # (kind, source, tags)

NOTEBOOKS: dict[str, list[Cell]] = {
    "01_objectives": [
        ("md", guide(
            "Step 1: Objectives",
            "Capture the mission, the strategic pillars and the objectives at every level, and check "
            "each objective against SMART (Specific, Measurable, Achievable, Relevant, Time-bound).",
            ["Every top-level objective serves exactly one pillar.",
             "Every title says what changes, by how much and by when (a number and a date).",
             "Every objective has an owner, a due date and a short description."],
            ["Which pillar does this objective serve, and who would notice if it were dropped?",
             "How will we know it has been achieved: what number, by when?",
             "Who owns it, and do they agree to the due date?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import smart\nfrom kpikit.report import sections as report\n\nreport.strategy(report.context(eng, period))", []),
        ("code", "# SMART verdict per objective (False = the criterion fails)\nsmart.summary(eng, period)", []),
        ("code", "# Why each failed criterion fails, in plain words\nsmart.assess(eng, period).query(\"not passed\")", []),
        ("code", "from kpikit.engine.findings import findings_frame\n\nfindings_frame(smart.findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.objectives_editor(eng)", ["editor"]),
    ],
    "02_metrics": [
        ("md", guide(
            "Step 2: Metrics",
            "Build the candidate metric library, score each candidate against each objective in the "
            "workshop, and see which metrics the weighted scores recommend as KPIs.",
            ["Each objective has two to four scored candidates, including at least one leading indicator.",
             "The recommended KPIs are robust: they do not change when one weight moves by half.",
             "Selected KPIs that were not recommended have a decision in the log."],
            ["Does this metric move when the objective moves, and can the team influence it?",
             "Where does the number come from today, and what does it cost to collect?",
             "Would you still pick it if it showed bad news?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import scoring\nfrom kpikit.charts import alignment\n\n"
                 "eng.metrics[[\"id\", \"name\", \"unit\", \"direction\", \"frequency\", \"data_source\", \"type\"]]", []),
        ("code", "alignment.scoring_heatmap(eng)", []),
        ("code", "# Recommended KPIs per objective (weighted score >= select_threshold, best first)\n"
                 "scoring.recommended(eng)", []),
        ("code", "# Recommendations that change when one criterion weight moves by half\n"
                 "scoring.sensitivity(eng).query(\"changed\")", []),
        ("code", "from kpikit.engine.findings import findings_frame\n\nfindings_frame(scoring.findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.scoring_grid(eng)", ["editor"]),
    ],
    "03_cascade": [
        ("md", guide(
            "Step 3: Cascade",
            "Lay the objectives over the organisation: each objective supports a parent objective "
            "owned by the same unit or a unit above it, up to a strategic pillar.",
            ["Every objective reaches a pillar through its chain of parents.",
             "No link runs sideways or downwards across the org chart.",
             "Every org unit owns at least one objective (or knowingly none)."],
            ["Which objective above yours does this one move?",
             "If your unit hit every objective, would the one above be met?",
             "Which team has no objective, and is that deliberate?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import cascade\nfrom kpikit.charts import alignment\n\nalignment.cascade_tree(eng)", []),
        ("code", "cascade.coverage(eng)", []),
        ("code", "# Links whose parent sits in a unit that is not the objective's own or above it\n"
                 "cascade.wrong_unit_links(eng)", []),
        ("code", "cascade.ownership(eng)", []),
        ("code", "from kpikit.engine.findings import findings_frame\n\nfindings_frame(cascade.findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.cascade_linker(eng)", ["editor"]),
    ],
    "04_targets": [
        ("md", guide(
            "Step 4: Measurability, targets and benchmarks",
            "For each selected KPI: confirm where the data comes from, record a baseline, set a target, "
            "a stretch and an external benchmark, and check that the target is realistic.",
            ["Every KPI has a data source, a unit and at least four periods of history.",
             "Targets need no faster progress than the KPI has ever shown (or the plan says why).",
             "Targets are no better than the best-in-class benchmark unless the board chooses so."],
            ["What is the baseline, and which period does it describe?",
             "What have peers achieved, and from which source is that benchmark?",
             "What would have to be true to reach this target at this pace?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import targets\n\ntargets.measurability(eng)", []),
        ("code", "targets.realism(eng, period)[[\"objective_id\", \"metric_id\", \"realistic\", \"reason\"]]", []),
        ("code", "# One chart per KPI (history, trajectory, target, stretch, benchmark, forecast), as in the report\n"
                 "from kpikit.report import sections as report\n\nreport.targets_benchmarks(report.context(eng, period))", []),
        ("code", "print(targets.METHOD)", []),
        ("code", "from kpikit.engine.findings import findings_frame\n\nfindings_frame(targets.findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.target_setter(eng)", ["editor"]),
    ],
    "05_stakeholders": [
        ("md", guide(
            "Step 5: Stakeholders",
            "Agree who is Responsible, Accountable, Consulted and Informed for each objective and KPI, "
            "and map each stakeholder's influence and support.",
            ["Exactly one Accountable person per objective and per KPI.",
             "Nobody is accountable for more items than they can speak to in a review.",
             "High-influence, low-support people have a plan."],
            ["When this KPI turns red, whose phone rings?",
             "Who needs to be consulted before a target changes?",
             "Who could block this, and what would win their support?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import stakeholders\nfrom kpikit.charts import alignment\n\nstakeholders.raci_matrix(eng)", []),
        ("code", "# Items without exactly one Accountable\nstakeholders.accountability(eng).query(\"not ok\")", []),
        ("code", "stakeholders.overloaded(eng)", []),
        ("code", "alignment.influence_map(eng)", []),
        ("code", "stakeholders.quadrants(eng)", []),
        ("code", "from kpikit.engine.findings import findings_frame\n\nfindings_frame(stakeholders.findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.raci_grid(eng)", ["editor"]),
    ],
    "06_review": [
        ("md", guide(
            "Step 6: Review and adaptation",
            "Enter the actuals for the review period, then read each KPI against the value expected on "
            "its trajectory: status, trend, forecast to the target period, roll-ups and what changed "
            "since the last review.",
            ["Every KPI has an actual for its period (no no-data).",
             "Every red KPI has an owner-led recovery action in the decision log.",
             "Targets already met are raised or retired."],
            ["What explains the gap, and is it the target or the initiative that needs to change?",
             "Will the trend meet the target in time? If not, what changes now?",
             "What did we decide at the last review, and did it happen?"]), ["guide"]),
        ("code", PARAMETERS, ["parameters"]),
        ("code", SETUP, []),
        ("code", "from kpikit.engine import review\nfrom kpikit.charts import performance\n\n"
                 "review.scorecard_detail(eng, period)", []),
        ("code", "performance.status_overview(eng, period)", []),
        ("code", "review.rollup(eng, \"pillar\", period)", []),
        ("code", "review.rollup(eng, \"org_unit\", period)", []),
        ("code", "review.changes_since_previous(eng, period)", []),
        ("code", "review.suggestions(eng, period)", []),
        ("code", "from kpikit.engine.findings import all_findings, findings_frame\n\n"
                 "findings_frame(all_findings(eng, period))", []),
        ("code", "from kpikit import editors\n\neditors.actuals_entry(eng)", ["editor"]),
    ],
    "07_report": [
        ("md", "# Step 7: The client report\n\n"
               "Assembles the deliverable from the steps above. Each cell below is one section of the "
               "report, in the order the client reads it. `kpikit run` exports this notebook's outputs "
               "(no code, no prompts) to `report.html` and `report.pdf`.\n\n"
               "**What good looks like:** the executive summary reads well to someone who has not seen "
               "the workbook; every concern names the KPI and the number; no section says a step is "
               "outstanding on the day of the board meeting.\n\n"
               "**Before you send it:** read the PDF end to end, check the cover (client, period, "
               "confidentiality), and make sure the decision log explains every exception.", ["guide"]),
        ("code", PARAMETERS + '\noutput_dir: str = ""  # the run folder (set by kpikit run)', ["parameters"]),
        ("code", "import kpikit\nfrom kpikit.charts import render\nfrom kpikit.report import sections as report\n\nrender.setup(static_charts)\n"
                 "eng = kpikit.load_engagement(client_dir)\nctx = report.context(eng, period)", []),
        ("code", "report.cover(ctx)", []),
        ("code", "report.contents(ctx)", []),
        ("code", "report.executive_summary(ctx)", []),
        ("code", "report.strategy(ctx)", []),
        ("code", "report.objective_cascade(ctx)", []),
        ("code", "report.kpi_scorecard(ctx)", []),
        ("code", "report.metric_selection(ctx)", []),
        ("code", "report.targets_benchmarks(ctx)", []),
        ("code", "report.stakeholder_map(ctx)", []),
        ("code", "report.recommendations(ctx)", []),
        ("code", "report.appendix_definitions(ctx)", []),
        ("code", "report.appendix_findings(ctx)", []),
        ("code", "report.appendix_method(ctx)", []),
        ("code", "report.appendix_decisions(ctx)", []),
    ],
}


def build(name: str, cells: list[Cell], with_editors: bool = True) -> nbformat.NotebookNode:
    """One notebook, deterministic cell IDs, no outputs, no execution counts."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source, tags) in enumerate(cells):
        if "editor" in tags and not with_editors:
            continue
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.id = f"{name.split('_')[0]}-{i:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        text = nbformat.writes(build(name, cells)) + "\n"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python notebooks/_build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
