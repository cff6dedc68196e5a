"""``kpikit publish``: the published report is the record a board saw; restatements of it are findings until explained."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import run_cli

from kpikit.run.inputs import input_hashes


def _hashes(folder: Path) -> dict[str, str]:
    return input_hashes(folder)


def _run(client: Path, *extra: str) -> Path:
    before = set((client / "runs").iterdir()) if (client / "runs").is_dir() else set()
    assert run_cli(["run", str(client), "--format", "html", "--quiet", *extra]) == 0
    (new,) = set((client / "runs").iterdir()) - before
    return new


def _set_actual(client: Path, metric: str, period: str, value: str) -> None:
    path = client / "actuals.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.startswith(f"{metric},{period},")]
    assert len(hits) == 1
    lines[hits[0]] = f"{metric},{period},{value},\n"
    path.write_text("".join(lines), encoding="utf-8")


def _findings(capsys: pytest.CaptureFixture[str], client: Path, code: str) -> list[str]:
    capsys.readouterr()
    assert run_cli(["validate", str(client), "--findings"]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if code in line]


def test_publish_restate_explain_replace(make_client: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    run = _run(client, "--period", "2026-Q2")
    capsys.readouterr()
    assert run_cli(["publish", str(run)]) == 0
    assert "2026-Q2: published" in capsys.readouterr().out
    pub = client / "published" / "2026-Q2"
    record = json.loads((pub / "published.json").read_text(encoding="utf-8"))
    assert record["period"] == "2026-Q2"
    assert record["run"] == run.name
    # the exact report and inputs of the run, read-only
    assert (pub / "report.html").read_bytes() == (run / "report.html").read_bytes()
    manifest = json.loads((pub / "manifest.json").read_text(encoding="utf-8"))
    published_inputs = _hashes(pub / "inputs")
    assert {k: v for k, v in published_inputs.items() if k in manifest["inputs"]} == manifest["inputs"]
    assert published_inputs == _hashes(run / "inputs")  # the .sql query files too
    assert not os.access(pub / "inputs" / "actuals.csv", os.W_OK) or os.geteuid() == 0
    assert not (pub / "inputs" / "actuals.csv").stat().st_mode & 0o222
    frozen = _hashes(client / "published")

    # publishing the period again is refused, and so is --replace without a reason
    assert run_cli(["publish", str(run)]) == 2
    err = capsys.readouterr().err
    assert "2026-Q2 is already published" in err
    assert "--replace --reason" in err
    assert run_cli(["publish", str(run), "--replace"]) == 2
    assert "--replace needs --reason" in capsys.readouterr().err

    # a restated actual of the published period is a finding, with both numbers
    assert _findings(capsys, client, "ACTUAL_RESTATED") == []
    _set_actual(client, "M-ED-4HR", "2026-Q2", "88.4")
    (hit,) = _findings(capsys, client, "ACTUAL_RESTATED")
    assert "M-ED-4HR" in hit
    assert "2026-Q2 was 89.1%" in hit
    assert "now 88.4%" in hit
    # a later run (of another period) and a comparison leave published/ untouched
    run2 = _run(client)
    assert "ACTUAL_RESTATED" in (run2 / "findings.csv").read_text(encoding="utf-8")
    assert run_cli(["compare", str(pub), str(client)]) == 0
    assert _hashes(client / "published") == frozen

    # the changes.csv row that names the metric and the period explains it: the finding is gone
    with (client / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("2099-01-01,M-ED-4HR,actual for 2026-Q2 corrected: 89.1 -> 88.4,late ED discharges re-coded,Frank O'Connor\n")
    assert _findings(capsys, client, "ACTUAL_RESTATED") == []
    # ... but a row dated before the publication, or about another period, does not
    text = (client / "changes.csv").read_text(encoding="utf-8").replace("2099-01-01,M-ED-4HR", "2020-01-01,M-ED-4HR")
    (client / "changes.csv").write_text(text, encoding="utf-8")
    assert len(_findings(capsys, client, "ACTUAL_RESTATED")) == 1
    text = text.replace("2020-01-01,M-ED-4HR,actual for 2026-Q2", "2099-01-01,M-ED-4HR,actual for 2026-Q1")
    (client / "changes.csv").write_text(text, encoding="utf-8")
    assert len(_findings(capsys, client, "ACTUAL_RESTATED")) == 1

    # --replace with a reason: the new run is published, the old copy kept, the reason logged
    run3 = _run(client, "--period", "2026-Q2")
    assert run_cli(["publish", str(run3), "--replace", "--reason", "ED figures re-coded after audit"]) == 0
    assert json.loads((pub / "published.json").read_text(encoding="utf-8"))["run"] == run3.name
    (kept,) = (client / "published" / "_replaced").iterdir()
    assert _hashes(kept) == frozen_of(frozen, "2026-Q2")
    log = (client / "changes.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert "report-2026-Q2" in log
    assert "ED figures re-coded after audit" in log
    assert run3.name in log
    # the replacement shows the restated number: nothing is restated against it
    assert _findings(capsys, client, "ACTUAL_RESTATED") == []


def frozen_of(hashes: dict[str, str], period: str) -> dict[str, str]:
    """The hashes of one published period's folder, out of the hashes of published/."""
    prefix = f"{period}/"
    return {k[len(prefix):]: v for k, v in hashes.items() if k.startswith(prefix)}


def test_publish_refuses_what_is_not_a_successful_run(make_client: Callable[[str], Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    assert run_cli(["publish", str(client)]) == 2
    assert "not a run folder" in capsys.readouterr().err
    run = _run(client, "--period", "2026-Q2")
    failed = client / "runs" / "failed-copy"
    shutil.copytree(run, failed)
    manifest = json.loads((failed / "manifest.json").read_text(encoding="utf-8"))
    manifest["outcome"] = "failed"
    (failed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert run_cli(["publish", str(failed)]) == 2
    assert "only a run that succeeded can be published" in capsys.readouterr().err
    tampered = client / "runs" / "tampered"
    shutil.copytree(run, tampered)
    (tampered / "inputs" / "kpis.csv").write_text("edited afterwards\n", encoding="utf-8")
    assert run_cli(["publish", str(tampered)]) == 2
    assert "no longer matches manifest.json (kpis.csv)" in capsys.readouterr().err
    assert not (client / "published").exists()
    # a run written elsewhere (--out) needs --engagement to know where it belongs
    out = tmp_path / "elsewhere"
    assert run_cli(["run", str(client), "--out", str(out), "--format", "html", "--quiet", "--period", "2026-Q1"]) == 0
    assert run_cli(["publish", str(out)]) == 2
    assert "--engagement DIR" in capsys.readouterr().err
    assert run_cli(["publish", str(out), "--engagement", str(client)]) == 0
    assert (client / "published" / "2026-Q1" / "report.html").is_file()
