"""Every run keeps its inputs: ``RUN_DIR/inputs/`` is the exact files it read, and re-running from it gives the same tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from support import hash_inputs, run_cli

from kpikit.run.inputs import input_hashes


def _only_run(client: Path) -> Path:
    runs = sorted((client / "runs").iterdir())
    assert len(runs) == 1
    return runs[0]


def test_inputs_copy_matches_the_manifest_and_reruns_the_same(make_client: Callable[[str], Path], tmp_path: Path) -> None:
    client = make_client("acme")
    (client / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")  # the logo is read by the report: copied too
    text = (client / "engagement.yaml").read_text(encoding="utf-8").replace("report:\n", "report:\n  logo: logo.png\n")
    (client / "engagement.yaml").write_text(text, encoding="utf-8")
    before = hash_inputs(client)
    assert run_cli(["run", str(client), "--format", "html", "--quiet"]) == 0
    run = _only_run(client)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    copied = input_hashes(run / "inputs")
    # every hashed input, byte for byte, with the manifest's hashes; besides them the logo and the .sql query
    # files the metrics name, as they are in the folder; nothing else (a README is not an input)
    assert {k: v for k, v in copied.items() if k in manifest["inputs"]} == manifest["inputs"]
    extras = {k: v for k, v in copied.items() if k not in manifest["inputs"]}
    assert "logo.png" in extras
    assert extras == {k: before[k] for k in extras}
    assert set(copied) == {k for k in before if k != "README.md" and not k.startswith("data/")}
    assert hash_inputs(client) == before  # the run changed nothing in the folder
    assert "inputs/actuals.csv" in manifest["outputs"]

    again = tmp_path / "again"
    assert run_cli(["run", str(run / "inputs"), "--out", str(again), "--format", "html", "--quiet"]) == 0
    for name in ("findings.csv", "scorecard.csv", "objective_scores.csv"):
        assert (again / name).read_bytes() == (run / name).read_bytes(), name
    assert input_hashes(again / "inputs") == copied


def test_an_input_edited_while_the_run_starts_stops_it_and_leaves_nothing(make_client: Callable[[str], Path], tmp_path: Path) -> None:
    import pytest

    from kpikit.errors import RunSetupError
    from kpikit.run.runner import execute_plan, prepare_run

    client = make_client("acme")
    out = tmp_path / "out"
    plan = prepare_run(client, out=out, formats={"html"})  # loaded and hashed
    with (client / "kpis.csv").open("a", encoding="utf-8") as f:  # edited before the copy is taken
        f.write("OBJ-02,M-ED-BOARD,4.0,2027-Q2,7.2,2024-Q4,3.5,4.0,peer median,1\n")
    with pytest.raises(RunSetupError, match=r"kpis.csv changed while the run was starting; run again"):
        execute_plan(plan)
    assert not out.exists()  # no half-made run folder whose inputs/ would not be what was read
