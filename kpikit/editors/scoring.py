"""The scoring grid: score candidate metrics for an objective in the workshop, pick KPIs.

One row per candidate pairing (``metric_scores.csv``) of the chosen objective, one
slider per criterion of ``engagement.yaml``; the weighted score, rank and
"recommended" mark come from :func:`kpikit.engine.scoring.ranked` and update as a slider
moves. The *KPI* toggle adds or removes the pairing's ``kpis.csv`` row (a new one
needs a target and target period; the target is pre-filled from
:func:`kpikit.engine.targets.suggest_target` when it can be). Selections are logged in
``changes.csv``, and so are score changes (one row per pairing, each with its own rationale).
A block of scores copied from Excel (objective, metric, one column per criterion) can be
pasted in (:mod:`kpikit.editors.paste`: checked like a save, problems by pasted line).
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.editors.base import (
    Change,
    EditorBox,
    editor_or_summary,
    id_options,
    number,
    parse_number,
    with_tables,
)
from kpikit.editors.paste import check_draft, merge_rows, not_added, paste_area, read_paste, staged
from kpikit.editors.picker import SearchPicker
from kpikit.engine import scoring
from kpikit.errors import EngagementError, Problem

Pair = tuple[str, str]


class ScoringGrid(EditorBox):
    """Sliders per criterion for every candidate pairing of one objective."""

    heading = "Metric scoring grid"

    def build(self) -> None:
        eng = self.eng
        sc = eng.config.scoring
        self.criteria: dict[str, float] = dict(sc.criteria)
        low, high = sc.scale
        ms = eng.metric_scores.copy()
        for c in self.criteria:
            if c not in ms.columns:
                ms[c] = pd.Series(dtype="float64", index=ms.index)
        self.scores: pd.DataFrame = ms.reset_index(drop=True)
        values: list[float] = [float(v) for v in self.scores[list(self.criteria)].to_numpy().ravel()]
        whole = all(float(v).is_integer() for v in values if not pd.isna(v))
        self.integer_scale = whole and float(low).is_integer() and float(high).is_integer()
        self.step = 1.0 if self.integer_scale else slider_step([v for v in values if not pd.isna(v)], float(low))
        self.low, self.high = float(low), float(high)
        self.selected: set[Pair] = set(zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True))
        self.new_targets: dict[Pair, tuple[Any, Any]] = {}
        self.sliders: dict[tuple[int, str], Any] = {}
        self.score_labels: dict[int, Any] = {}
        self.toggles: dict[int, Any] = {}
        self.removed: set[int] = set()
        titles = dict(zip(eng.objectives["id"], eng.objectives["title"], strict=True))
        options = id_options(titles.items())
        scored = [str(o) for o in self.scores["objective_id"]]
        first = scored[0] if scored else (options[0][1] if options else None)
        self.objective = SearchPicker(options=options, value=first, description="Objective",
                                      layout=widgets.Layout(width="80%"))
        self.objective.observe(lambda _c: self.show_rows(), names="value")
        self.add_metric = SearchPicker(description="Candidate", options=[], layout=widgets.Layout(width="420px"),
                                       placeholder="type a metric's ID or name")
        self.add_button = widgets.Button(description="Add candidate", icon="plus")
        self.add_button.on_click(lambda _b: self.add_pairing())
        self.rows = widgets.VBox()
        legend = (f"Scores {self.low:g} (worst) to {self.high:g} (best); weights: "
                  + ", ".join(f"{c} {w:g}" for c, w in self.criteria.items())
                  + f". Recommended: weighted score ≥ {sc.select_threshold:g}, at most {sc.max_kpis_per_objective} per objective.")
        self.paste_box, paste_row = paste_area(
            "rows copied from Excel: objective_id, metric_id, " + ", ".join(self.criteria) + " (tab-separated)", self.paste)
        self.paste_message = widgets.HTML()
        self.paste_message.add_class("kpikit-paste-message")
        self.body.children = [self.objective, widgets.HTML(f"<small>{html.escape(legend)}</small>"), self.rows,
                              widgets.HBox([self.add_metric, self.add_button]), paste_row, self.paste_message]
        self.show_rows()

    def place(self) -> object:
        return self.objective.value

    def restore(self, place: object) -> None:
        if place in [v for _l, v in self.objective.options] and place != self.objective.value:
            self.objective.value = place

    # -- rows ---------------------------------------------------------------------------
    def row_indices(self) -> list[int]:
        oid = self.objective.value
        return [i for i, o in enumerate(self.scores["objective_id"]) if o == oid and i not in self.removed]

    def show_rows(self) -> None:
        oid = self.objective.value
        names = dict(zip(self.eng.metrics["id"], self.eng.metrics["name"], strict=True))
        header = widgets.HBox([widgets.HTML("<b>Candidate metric</b>", layout=widgets.Layout(width="240px"))]
                              + [widgets.HTML(f"<b>{html.escape(c)}</b>", layout=widgets.Layout(width="150px"))
                                 for c in self.criteria]
                              + [widgets.HTML("<b>Weighted · rank</b>", layout=widgets.Layout(width="170px")),
                                 widgets.HTML("<b>KPI</b>")])
        rows = [header]
        for i in self.row_indices():
            mid = str(self.scores.at[i, "metric_id"])
            cells: list[Any] = [widgets.HTML(f"{html.escape(mid)}<br><small>{html.escape(cell_text(names.get(mid)))}</small>",
                                             layout=widgets.Layout(width="240px"))]
            for c in self.criteria:
                s = self.slider(i, c)
                cells.append(s)
            label = self.score_labels.get(i) or widgets.HTML(layout=widgets.Layout(width="170px"))
            label.add_class("kpikit-score")
            self.score_labels[i] = label
            cells.append(label)
            cells.append(self.toggle(i, (str(oid), mid)))
            drop = widgets.Button(icon="times", tooltip="remove this candidate from the grid (its scores go on Save)",
                                  layout=widgets.Layout(width="36px"))
            drop.on_click(lambda _b, i=i: self.remove_pairing(i))
            cells.append(drop)
            rows.append(widgets.HBox(cells))
            pair = (str(oid), mid)
            if pair in self.new_targets and pair in self.selected:
                t, p = self.new_targets[pair]
                rows.append(widgets.HBox([widgets.HTML(layout=widgets.Layout(width="240px")), t, p]))
        if len(rows) == 1:
            rows.append(widgets.HTML("<i>No candidate metric scored for this objective yet: add one below.</i>"))
        self.rows.children = rows
        paired = {str(self.scores.at[i, "metric_id"]) for i in self.row_indices()}
        choices = id_options(((m, n) for m, n in names.items() if m not in paired), 40)
        self.add_metric.options = choices
        self.add_metric.value = choices[0][1] if choices else None
        self.refresh_scores()

    def slider(self, i: int, c: str) -> Any:
        key = (i, c)
        if key in self.sliders:
            return self.sliders[key]
        v = number(self.scores.at[i, c])
        value = v if v is not None else (self.low + self.high) / 2
        cls = widgets.IntSlider if self.integer_scale else widgets.FloatSlider
        s = cls(value=int(value) if self.integer_scale else value, min=int(self.low) if self.integer_scale else self.low,
                max=int(self.high) if self.integer_scale else self.high, step=int(self.step) if self.integer_scale else self.step,
                continuous_update=True, layout=widgets.Layout(width="150px"), description_allow_html=False)
        s.add_class(f"kpikit-criterion-{c}")
        if v is None:
            self.scores.at[i, c] = float(value)

        def moved(change: dict[str, Any]) -> None:
            self.scores.at[i, c] = float(change["new"])
            self.mark_dirty()
            self.refresh_scores()

        s.observe(moved, names="value")
        self.sliders[key] = s
        return s

    def toggle(self, i: int, pair: Pair) -> Any:
        t = self.toggles.get(i)
        if t is None:
            t = widgets.ToggleButton(value=pair in self.selected, description="KPI", icon="check",
                                     tooltip="select this metric as a KPI of the objective (kpis.csv)")

            def flipped(change: dict[str, Any]) -> None:
                if change["new"]:
                    self.selected.add(pair)
                    if pair not in self.session.current.kpis.pipe(_pairs) and pair not in self.new_targets:
                        self.new_targets[pair] = self.target_inputs(pair)
                else:
                    self.selected.discard(pair)
                self.mark_dirty()
                self.show_rows()

            t.observe(flipped, names="value")
            self.toggles[i] = t
        t.button_style = "success" if pair in self.selected else ""
        return t

    def target_inputs(self, pair: Pair) -> tuple[Any, Any]:
        """Target and target-period boxes for a newly selected KPI (target suggested when possible)."""
        from kpikit.engine.targets import suggest_target

        guess = suggest_target(self.eng, *pair)
        t = widgets.Text(value="" if guess is None else f"{guess:.4g}", description="Target",
                         placeholder="required", layout=widgets.Layout(width="220px"))
        p = widgets.Text(value="", description="by period", placeholder="e.g. 2027-Q4 (metric's frequency)",
                         layout=widgets.Layout(width="320px"))
        return t, p

    def add_pairing(self) -> None:
        mid = self.add_metric.value
        if not mid or self.objective.value is None:
            return
        row = {"objective_id": self.objective.value, "metric_id": mid}
        row.update(dict.fromkeys(self.criteria, (self.low + self.high) / 2))
        new = pd.DataFrame([row]).astype(dict.fromkeys(self.criteria, "float64"))
        for col in self.scores.columns:
            if col not in new.columns:
                new[col] = pd.Series([float("nan")], dtype=self.scores[col].dtype)
        self.scores = pd.concat([self.scores, new[list(self.scores.columns)].astype(self.scores.dtypes.to_dict())],
                                ignore_index=True)
        self.mark_dirty()
        self.show_rows()

    def remove_pairing(self, i: int) -> None:
        """Drop a candidate row (kept in memory until Save, so row widgets keep their keys)."""
        self.removed.add(i)
        self.mark_dirty()
        self.show_rows()

    def paste(self, text: str) -> bool:
        """Stage a block of scores pasted from a spreadsheet; False (and every problem, by pasted line) if any is wrong.

        A pairing already in the grid gets the pasted scores, a new one is added as a candidate.
        """
        criteria = list(self.criteria)
        objectives = {str(o) for o in self.eng.objectives["id"]}
        metrics = {str(m) for m in self.eng.metrics["id"]}

        def known(key: tuple[str, ...]) -> str | None:
            bad = [f"no objective {key[0]!r} in objectives.csv"] * (key[0] not in objectives)
            bad += [f"no metric {key[1]!r} in metrics.csv"] * (key[1] not in metrics)
            return "; ".join(bad) or None

        rows, problems = read_paste(text, ["objective_id", "metric_id", *criteria], keys=2, required=2 + len(criteria),
                                    numbers=criteria, known=known,
                                    expected="objective, metric and a score for each of " + ", ".join(criteria))
        if problems:
            return self._paste_message(problems)
        candidate, origin, _ = merge_rows(self.scores, rows, ["objective_id", "metric_id"])
        removed = self.removed - set(origin)
        kept = [i for i in range(len(candidate)) if i not in removed]
        draft = self.session.draft()
        draft.tables["metric_scores"] = candidate.iloc[kept].reset_index(drop=True)
        problems = check_draft(draft, "metric_scores.csv", {j: origin[i] for j, i in enumerate(kept) if i in origin})
        if problems:
            return self._paste_message(problems)
        self.scores, self.removed = candidate, removed
        for i in origin:  # rebuilt with the pasted values when next shown
            for c in criteria:
                self.sliders.pop((i, c), None)
        self.paste_box.value = ""
        self.mark_dirty()
        first = rows[0].key[0]
        if first != self.objective.value:
            self.objective.value = first  # shows the pasted rows
        else:
            self.show_rows()
        self.paste_message.value = staged(len(rows), ", ".join(sorted({r.key[0] for r in rows})))
        return True

    def _paste_message(self, problems: list[str]) -> bool:
        self.paste_message.value = not_added(problems)
        return False

    def kept_scores(self) -> pd.DataFrame:
        """The scores as they will be written: removed candidates left out."""
        keep = [i not in self.removed for i in range(len(self.scores))]
        return self.scores[keep].reset_index(drop=True)

    def preview(self, objective: str | None = None) -> Engagement:
        """The engagement as it would be with the grid's scores and selection (not saved).

        With ``objective``, only that objective's pairings: ranks and recommendations are
        per objective, so the live score of one objective needs no other (a large client's
        1,500 pairings re-ranked per slider move took seconds).
        """
        k = self.eng.kpis
        scores = self.kept_scores()
        if objective is not None:
            k = k[k["objective_id"].astype("str") == objective]
            scores = scores[scores["objective_id"].astype("str") == objective].reset_index(drop=True)
        have = set(zip(k["objective_id"], k["metric_id"], strict=True))
        keep = k[[p in self.selected for p in zip(k["objective_id"], k["metric_id"], strict=True)]]
        extra = [p for p in self.selected if p not in have and (objective is None or p[0] == objective)]
        if extra:
            add = pd.DataFrame({"objective_id": [p[0] for p in extra], "metric_id": [p[1] for p in extra]})
            keep = pd.concat([keep, add.astype("str")], ignore_index=True)
        return with_tables(self.eng, metric_scores=scores, kpis=keep)

    def refresh_scores(self) -> None:
        """Weighted score, rank and recommendation of the visible rows, from the engine."""
        try:
            r = scoring.ranked(self.preview(str(self.objective.value) if self.objective.value is not None else None))
        except (ValueError, KeyError) as exc:
            for label in self.score_labels.values():
                label.value = f"<span style='color:#a40000'>{html.escape(str(exc))}</span>"
            return
        by_pair = {(str(o), str(m)): (w, rk, rec) for o, m, w, rk, rec in
                   zip(r["objective_id"], r["metric_id"], r["weighted_score"], r["rank"], r["recommended"], strict=True)}
        for i in self.row_indices():
            pair = (str(self.scores.at[i, "objective_id"]), str(self.scores.at[i, "metric_id"]))
            got = by_pair.get(pair)
            label = self.score_labels[i]
            if got is None:
                label.value = "–"
                continue
            w, rk, rec = got
            mark = " ✓ recommended" if rec else ""
            label.value = f"<span class='kpikit-weighted'>{w:.2f}</span> · #{rk}<small>{mark}</small>"

    def weighted(self, i: int) -> float:
        """The weighted score of grid row ``i`` (the engine's rule)."""
        return scoring.weighted_score({c: number(self.scores.at[i, c]) or 0.0 for c in self.criteria}, self.criteria)

    # -- saving -------------------------------------------------------------------------
    def score_changes(self) -> list[Change]:
        """One decision-log entry per pairing whose scores changed, was added or was removed."""
        def by_pair(df: pd.DataFrame) -> dict[Pair, dict[Any, Any]]:
            return {(str(r["objective_id"]), str(r["metric_id"])): r for r in df.to_dict("records")}

        old, new = by_pair(self.eng.metric_scores), by_pair(self.kept_scores())
        out = []
        for pair, r in new.items():
            if pair not in old:
                what = "candidate added, scored " + ", ".join(f"{c} {_num(r.get(c))}" for c in self.criteria)
            else:
                diffs = [f"{c} {_num(old[pair].get(c))} -> {_num(r.get(c))}" for c in self.criteria
                         if _num(old[pair].get(c)) != _num(r.get(c))]
                if not diffs:
                    continue
                what = "scores: " + "; ".join(diffs)
            out.append(Change(f"{pair[0]}/{pair[1]}", what, key=f"{pair[0]}/{pair[1]}|scores"))
        out += [Change(f"{p[0]}/{p[1]}", "candidate removed (its scores go)", key=f"{p[0]}/{p[1]}|scores")
                for p in old if p not in new]
        return out

    def apply(self, draft: Engagement) -> list[Change]:
        draft.tables["metric_scores"] = self.kept_scores()
        k = draft.kpis
        before = _pairs(k)
        keep = k[[p in self.selected for p in zip(k["objective_id"], k["metric_id"], strict=True)]]
        changes: list[Change] = []
        problems: list[Problem] = []
        weights = {(str(o), str(m)): i for i, (o, m) in enumerate(zip(self.scores["objective_id"], self.scores["metric_id"], strict=True))}
        added = []
        for pair in sorted(self.selected - before):
            t_box, p_box = self.new_targets.get(pair) or self.target_inputs(pair)
            target = parse_number(t_box.value)
            period = str(p_box.value).strip()
            if target is None:
                problems.append(Problem("kpis.csv", None, f"{pair[0]}/{pair[1]}: target {t_box.value.strip() or '(empty)'!r} is not a number"))
            if not period:
                problems.append(Problem("kpis.csv", None, f"{pair[0]}/{pair[1]}: a target period is required (e.g. 2027-Q4)"))
            added.append({"objective_id": pair[0], "metric_id": pair[1],
                          "target": target if target is not None else math.nan, "target_period": period})
            i = weights.get(pair)
            how = f" (weighted score {self.weighted(i):.2f})" if i is not None else " (never scored)"
            changes.append(Change(f"{pair[0]}/{pair[1]}", f"selected as KPI{how}; target {t_box.value.strip()} by {period}",
                                  key=f"{pair[0]}/{pair[1]}|kpi"))
        for pair in sorted(before - self.selected):
            changes.append(Change(f"{pair[0]}/{pair[1]}", "removed as KPI", key=f"{pair[0]}/{pair[1]}|kpi"))
        changes = self.score_changes() + changes
        if problems:
            raise EngagementError(draft.folder, problems)
        if added:
            new = pd.DataFrame(added)
            for col in k.columns:
                if col not in new.columns:
                    new[col] = math.nan
            keep = pd.concat([keep, new[list(k.columns)].astype(k.dtypes.to_dict())], ignore_index=True)
        draft.tables["kpis"] = keep.reset_index(drop=True)
        return changes


def slider_step(values: list[float], low: float) -> float:
    """The coarsest step that lands on every existing score, so a slider never rounds one.

    >>> slider_step([3.0, 3.5, 4.0], 1.0)
    0.5
    >>> slider_step([3.25], 1.0)
    0.25
    """
    for step in (1.0, 0.5, 0.25, 0.1, 0.05, 0.01):
        if all(abs((v - low) / step - round((v - low) / step)) < 1e-6 for v in values):
            return step
    return 0.001


def _num(v: object) -> str:
    n = number(v)
    return "(none)" if n is None else f"{n:g}"


def _pairs(kpis: pd.DataFrame) -> set[Pair]:
    return {(str(o), str(m)) for o, m in zip(kpis["objective_id"], kpis["metric_id"], strict=True)}



def _summary(eng: Engagement) -> list[str]:
    r = scoring.ranked(eng)
    n_obj = r["objective_id"].nunique()
    return [f"{len(r)} scored pairings over {n_obj} objectives; {int(r['recommended'].sum())} recommended, "
            f"{int(r['selected'].sum())} selected as KPIs."]


def scoring_grid(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The workshop scoring grid (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: ScoringGrid(e, keep_backups), "Metric scoring grid", _summary)
