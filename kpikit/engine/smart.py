"""SMART assessment of objectives: Specific, Measurable, Achievable, Relevant, Time-bound.

Each criterion is judged from what the engagement files say, with a plain-words
reason a client can read. The rules, written once (the objectives notebook, the live
title editor and the report all call them):

* **Specific** (:func:`assess_title`, a heuristic on the title alone): the title must
  have at least :data:`MIN_WORDS` words, and must not be only a direction. A title
  fails when it starts with a vague or merely directional verb (:data:`VAGUE_VERBS`:
  improve, enhance, optimise, support, drive, increase, reduce, ...) or relies on a
  vague phrase (:data:`VAGUE_PHRASES`: "more efficient", "world-class", ...)
  *without* a measurable object: a number (``4 hours``, ``95%``, ``25,000``; a year
  or a date alone does not count) or a quantity word (:data:`QUANTITY_WORDS`: zero,
  half, double, ...). "Improve culture" fails; "Reduce emergency wait times to
  under 4 hours for 95% of patients by June 2027" passes; a concrete action with no
  number ("Open a second catheterisation lab at Lakeside hospital") passes too:
  the numbers belong to its KPIs (Measurable).
* **Measurable**: at least one selected KPI (``kpis.csv``) whose metric has both a
  ``unit`` and a ``data_source``.
* **Achievable**: every KPI target passes the realism check of
  :func:`kpikit.engine.targets.realism`; a KPI with too little history to judge passes
  ("not enough history to judge"). No KPI yet: nothing to judge, passes.
* **Relevant**: the objective reaches a strategic pillar, directly or through its
  parent chain (a child inherits its parent's pillar).
* **Time-bound**: a ``due`` date, and no KPI target period that ends after it (annual and quarterly
  periods end as the engagement's ``fiscal_year_start`` says: with 7, ``2030`` ends on 2030-06-30).

Findings: one ``OBJECTIVE_NOT_SMART`` per failed criterion, and ``OBJECTIVE_UNALIGNED``
(error) for an objective with no parent and no pillar. A failure that another, more
precise finding already reports is not repeated as ``OBJECTIVE_NOT_SMART`` (the
:func:`assess` table still shows it), so that one fact is counted once:

* Measurable with no KPI at all: ``OBJECTIVE_NO_KPI`` (:mod:`kpikit.engine.scoring`) says it;
  while ``kpis.csv`` is absent (KPI selection not done) the report lists the
  outstanding step instead of one warning per objective.
* Achievable: each unrealistic target is a ``KPI_TARGET_UNREALISTIC`` finding
  (:mod:`kpikit.engine.targets`), from the same realism check.
* Relevant for a top-level objective without a pillar: ``OBJECTIVE_UNALIGNED``.

>>> assess_title("Improve culture")[0]
False
>>> assess_title("Reduce emergency wait times to under 4 hours for 95% of patients by June 2027")[0]
True
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.engine import cascade, targets
from kpikit.engine.findings import Finding
from kpikit.periods import Period

CRITERIA: tuple[str, ...] = ("Specific", "Measurable", "Achievable", "Relevant", "Time-bound")
ASSESS_COLUMNS = ["objective_id", "criterion", "passed", "reason"]

MIN_WORDS = 4
"""Fewer words than this cannot say what changes, for whom and by how much."""

VAGUE_VERBS: frozenset[str] = frozenset({
    "improve", "improving", "enhance", "enhancing", "optimise", "optimize", "optimising", "optimizing",
    "support", "supporting", "drive", "driving", "strengthen", "strengthening", "increase", "increasing",
    "boost", "boosting", "develop", "developing", "promote", "promoting", "foster", "fostering",
    "ensure", "ensuring", "maximise", "maximize", "grow", "growing", "better", "transform",
    "transforming", "advance", "advancing", "focus", "leverage", "empower", "embed", "embrace",
    "continue", "be", "become", "pursue",
    # directional verbs: precise about the direction, silent about the destination
    "reduce", "reducing", "decrease", "lower", "cut", "raise", "minimise", "minimize", "expand",
    "accelerate", "speed", "upgrade", "modernise", "modernize", "streamline", "simplify", "tackle",
})
"""Verbs that state a direction but not a destination (lower case); with a number they are fine."""

VAGUE_PHRASES: tuple[str, ...] = (
    "more efficient", "more effective", "more productive", "world-class", "world class",
    "best-in-class", "best in class", "excellence", "as much as possible", "where possible",
    "better", "best possible", "high quality", "high-quality", "fit for the future",
)
"""Phrases that sound like a goal but cannot be checked."""

QUANTITY_WORDS: frozenset[str] = frozenset({
    "zero", "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "twelve", "twenty", "fifty", "hundred", "thousand", "million", "half", "halve", "double",
    "triple", "quarter", "percent",
})
"""Words that give a vague verb a measurable object (a count, a share or a level)."""

_WORD = re.compile(r"[^\W_](?:[^\W_]|['’%.,-])*")
"""A word in any script: "Réduire", "délais", "Снизить" are one word each (not "R" + "duire", or none)."""
_NUMBER = re.compile(r"\d")
_DATES = re.compile(r"\b(?:19|20)\d{2}(?:-(?:Q[1-4]|\d{2})(?:-\d{2})?)?\b|\bQ[1-4]\b|\bFY\s?\d{2,4}\b", re.IGNORECASE)
"""Years, periods and dates: a deadline is not a measurable object (that is Time-bound)."""


def assess_title(title: str) -> tuple[bool, str]:
    """Is the title Specific? ``(passed, reason)``; pure, cheap enough to call per keystroke.

    >>> assess_title("Improve culture")
    (False, "'Improve culture' is too short to be specific: 2 words cannot say what changes, for whom and by how much.")
    >>> assess_title("Make the operating theatres more efficient")[0]
    False
    """
    text = " ".join(str(title).split())
    if not text:
        return False, "The title is empty: write what should change, for whom and by how much."
    words = _WORD.findall(text)
    lower = [w.lower().strip(".,'’") for w in words]
    has_quantity = bool(_NUMBER.search(_DATES.sub(" ", text))) or any(w in QUANTITY_WORDS for w in lower)
    if len(words) < MIN_WORDS:
        return False, (f"'{text}' is too short to be specific: {len(words)} word{'s' if len(words) != 1 else ''} "
                       f"cannot say what changes, for whom and by how much.")
    if lower and lower[0] in VAGUE_VERBS and not has_quantity:
        return False, (f"'{text}' starts with '{words[0]}', which gives a direction but not a destination: "
                       f"name the level to reach (a number, a share or a date-bound result).")
    low_text = " " + text.lower() + " "
    for phrase in VAGUE_PHRASES:
        if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", low_text) and not has_quantity:
            return False, (f"'{text}' relies on '{phrase}', which cannot be checked: "
                           f"say how much, for whom and by when.")
    if has_quantity:
        return True, "The title names what changes and by how much."
    return True, "The title names a concrete result (its KPIs give the numbers)."


# -- the per-objective assessment -----------------------------------------------------

def _due(text: object) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    return date.fromisoformat(text)


def assess(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """One row per objective x criterion: ``objective_id, criterion, passed, reason``.

    Objectives in file order, criteria in SMART order; ``passed`` is a plain bool;
    ``reason`` is one or two plain sentences. ``period`` is the review period the
    realism check starts from (default: the engagement's current period).
    """
    obj = eng.objectives
    m = eng.metrics
    unit_of = {str(i): u for i, u in zip(m["id"], m["unit"], strict=True)}
    source_of = {str(i): d for i, d in zip(m["id"], m["data_source"], strict=True)}
    kpis = eng.kpis
    pillars = cascade.effective_pillars(eng)
    pillar_names = {p.id: p.name for p in eng.config.pillars}
    rows: list[dict[str, object]] = []
    # plain records per objective: (metric ID, target period) and (metric, realistic flag, reason)
    kpis_of: dict[str, list[tuple[str, object]]] = {}
    for o, mid, tp in zip(kpis["objective_id"], kpis["metric_id"], kpis["target_period"], strict=True):
        kpis_of.setdefault(str(o), []).append((str(mid), tp))
    realism_of: dict[str, list[tuple[str, bool | None, str]]] = {}
    if len(kpis):
        realism = targets.realism(eng, period)
        for o, mid, flag, why in zip(realism["objective_id"], realism["metric_id"], realism["realistic"],
                                     realism["reason"], strict=True):
            realism_of.setdefault(str(o), []).append((str(mid), None if pd.isna(flag) else bool(flag), str(why)))
    for r in obj.itertuples(index=False):
        oid = str(r.id)
        mine = kpis_of.get(oid, [])

        def add(criterion: str, passed: bool, reason: str, oid: str = oid) -> None:
            rows.append({"objective_id": oid, "criterion": criterion, "passed": bool(passed), "reason": reason})

        add("Specific", *assess_title(cell_text(r.title)))  # an empty title is empty, not "nan"

        # Measurable
        if not eng.has("kpis"):
            add("Measurable", False, "No KPIs have been selected yet (kpis.csv is not filled in).")
        elif not mine:
            add("Measurable", False, "No KPI is selected for it, so progress cannot be measured.")
        else:
            ok: list[str] = []
            gaps: list[tuple[str, list[str]]] = []
            for mid, _ in mine:
                missing = [w for w, v in (("unit", unit_of.get(mid)), ("data source", source_of.get(mid)))
                           if not isinstance(v, str) or not v]
                if missing:
                    gaps.append((mid, missing))
                else:
                    ok.append(mid)
            if ok:
                add("Measurable", True, f"Measured by {', '.join(ok)}, with a unit and a data source.")
            else:
                detail = "; ".join(f"{mid} has no {' and no '.join(miss)}" for mid, miss in gaps)
                add("Measurable", False, f"None of its KPIs can be measured yet: {detail}.")

        # Achievable
        if not mine:
            add("Achievable", True, "No KPI target yet, so there is nothing to judge as unrealistic.")
        else:
            verdicts = realism_of.get(oid, [])
            bad = [why for _, flag, why in verdicts if flag is False]
            unknown = [mid for mid, flag, _ in verdicts if flag is None]
            if bad:
                detail = " ".join(f"{why.rstrip('. ')}." for why in bad)
                head = ("Its KPI target looks unrealistic." if len(mine) == 1
                        else f"{len(bad)} of its {len(mine)} KPI targets look unrealistic.")
                add("Achievable", False, f"{head} {detail}")
            elif len(unknown) == len(mine):
                add("Achievable", True, "Not enough history to judge whether the targets are realistic.")
            elif unknown:
                add("Achievable", True, f"The targets look realistic (not enough history to judge "
                                        f"{', '.join(unknown)}).")
            else:
                add("Achievable", True, "Every KPI target is within what the metric's history and benchmark support.")

        # Relevant
        pid = pillars.at[oid, "pillar_id"]
        parent = r.parent_id if isinstance(r.parent_id, str) else None
        if isinstance(pid, str):
            via = str(pillars.at[oid, "via"])
            name = pillar_names.get(pid, pid)
            if via == oid:
                add("Relevant", True, f"Serves pillar {pid} '{name}' directly.")
            else:
                add("Relevant", True, f"Serves pillar {pid} '{name}' through objective {via}.")
        elif parent is not None:
            add("Relevant", False, f"Its chain of parent objectives (from {parent}) never reaches a "
                                   f"strategic pillar: set a pillar on the top objective of the chain.")
        else:
            add("Relevant", False, "It has no parent objective and no pillar, so it serves no part of the "
                                   "strategy: link it to a parent objective or a pillar.")

        # Time-bound
        due = _due(r.due)
        if due is None:
            add("Time-bound", False, "It has no due date.")
        else:
            late = []
            for mid, tp in mine:
                if isinstance(tp, str):
                    end = Period.parse(tp).ends_on(eng.config.fiscal_year_start)  # fiscal years end early
                    if end > due:
                        late.append(f"{mid} targets {tp} (ends {end.isoformat()})")
            if late:
                add("Time-bound", False, f"KPI targets fall after the due date {due.isoformat()}: {'; '.join(late)}.")
            else:
                add("Time-bound", True, f"Due {due.isoformat()}" + (", and every KPI target falls on or before it."
                                                                     if len(mine) else "."))
    return pd.DataFrame(rows, columns=ASSESS_COLUMNS).astype({"passed": "bool"})


def summary(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """One row per objective, one bool column per criterion, plus ``smart`` (all passed)."""
    df = assess(eng, period)
    wide = df.pivot(index="objective_id", columns="criterion", values="passed")
    wide = wide.reindex(index=list(eng.objectives["id"]), columns=list(CRITERIA)).astype("bool")
    wide["smart"] = wide.all(axis=1)
    wide.columns.name = None
    return wide


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """OBJECTIVE_NOT_SMART (one per failed criterion) and OBJECTIVE_UNALIGNED."""
    titles = dict(zip(eng.objectives["id"], eng.objectives["title"], strict=True))
    out: list[Finding] = []
    # The contract asks for one finding per failed criterion, even where a more specific
    # code (KPI_TARGET_UNREALISTIC, OBJECTIVE_NO_KPI, OBJECTIVE_UNALIGNED) says more: the
    # SMART view is what a consultant walks the client through objective by objective.
    # Only a step not yet done (no kpis.csv) holds back the KPI-based criteria.
    kpi_based = {"Measurable", "Achievable"}
    for r in assess(eng, period).itertuples(index=False):
        oid = str(r.objective_id)
        if r.passed or (r.criterion in kpi_based and not eng.has("kpis")):
            continue
        out.append(Finding("OBJECTIVE_NOT_SMART", oid,
                           f"Objective {oid} '{titles[oid]}' is not {r.criterion}. {r.reason}"))
    for r in eng.objectives.itertuples(index=False):
        if not isinstance(r.parent_id, str) and not isinstance(r.pillar_id, str):
            out.append(Finding("OBJECTIVE_UNALIGNED", str(r.id),
                               f"Objective {r.id} '{r.title}' has no parent objective and no pillar: it is not "
                               f"aligned to the strategy. Link it to a parent objective or a pillar, or drop it."))
    return out


__all__ = [
    "CRITERIA",
    "MIN_WORDS",
    "QUANTITY_WORDS",
    "VAGUE_PHRASES",
    "VAGUE_VERBS",
    "assess",
    "assess_title",
    "findings",
    "summary",
]
