"""kpikit.engine.frames: the joined KPI table, the sorted actuals and each KPI's review period."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from kpikit.data.store import load_engagement
from kpikit.engine import CHECKS, cascade, review, scoring, smart, stakeholders, targets
from kpikit.engine.frames import (
    KPI_COLUMNS,
    actuals_frame,
    kpi_periods,
    metric_codes,
    selected_kpis,
)
from kpikit.periods import Period

DEMO = "clients/demo-harbor"


def test_selected_kpis_has_its_documented_columns() -> None:
    assert list(selected_kpis(load_engagement(DEMO)).columns) == KPI_COLUMNS


def test_a_review_period_maps_onto_each_kpis_own_frequency() -> None:
    eng = load_engagement(DEMO)
    kt = selected_kpis(eng)
    p = kpi_periods(eng, kt, "2026-Q3")
    want = {"quarterly": Period.parse("2026-Q3").ordinal, "monthly": Period.parse("2026-09").ordinal,
            "annual": Period.parse("2025").ordinal}
    assert p.tolist() == [float(want[f]) for f in kt["frequency"]]
    assert np.array_equal(p, kpi_periods(eng, kt, Period.parse("2026-Q3")))   # text or Period, same answer
    assert np.array_equal(kpi_periods(eng, kt), kpi_periods(eng, kt, eng.config.current_period))


def test_metric_codes_find_each_metric_in_the_sorted_actuals() -> None:
    eng = load_engagement(DEMO)
    acts = actuals_frame(eng)
    assert (np.diff(acts["key"].to_numpy()) > 0).all()
    kt = selected_kpis(eng)
    codes = metric_codes(acts, kt["metric_id"])
    for mid, code in zip(kt["metric_id"], codes, strict=True):
        assert code == -1 or set(acts.loc[acts["code"] == code, "metric_id"]) == {mid}


def test_findings_is_a_leaf_and_every_check_is_listed() -> None:
    """findings.py imports no engine module (no cycle); CHECKS runs each concern's findings once."""
    tree = ast.parse(Path("kpikit/engine/findings.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith("kpikit.engine")}
    # every engine module that has findings is a check, once, the six steps first in the process's order
    import importlib
    import pkgutil

    import kpikit.engine

    with_findings = {name for _f, name, _p in pkgutil.iter_modules(kpikit.engine.__path__)
                     if callable(getattr(importlib.import_module(f"kpikit.engine.{name}"), "findings", None))}
    listed = [c.__module__.rsplit(".", 1)[1] for c in CHECKS]
    assert len(listed) == len(set(listed))
    assert set(listed) == with_findings
    assert CHECKS[:6] == tuple(m.findings for m in (smart, scoring, cascade, stakeholders, targets, review))
