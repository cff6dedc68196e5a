"""The engine's period and status rules as they were before the plan model (frozen at commit 0eeb8b2).

A reference, not code to maintain: ``tests/engine/test_plan_model.py`` checks that with no
milestones, ``fiscal_year_start`` 1 and ``measured_every`` 1 the engine gives exactly
what these copies of ``kpikit/engine/{frames,review,targets,smart}.py`` gave. Unchanged
modules (cascade, findings) are imported from kpikit. Not imported by the package.
"""
