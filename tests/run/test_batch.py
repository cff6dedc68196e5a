"""``run --all``: clients in separate worker processes, one failure never stops the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, hash_inputs, run_cli, write_minimal_client

from kpikit.errors import RunSetupError
from kpikit.run.batch import ClientOutcome, find_engagements, format_summary, run_all
from kpikit.run.manifest import read_manifest

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"


def three_clients(root: Path) -> Path:
    """alpha and gamma are fine; beta has an input error (a metric with direction 'sideways')."""
    write_minimal_client(root / "alpha", "Alpha Ltd")
    beta = write_minimal_client(root / "beta", "Beta Ltd")
    text = (beta / "metrics.csv").read_text(encoding="utf-8").replace(",down,", ",sideways,")
    (beta / "metrics.csv").write_text(text, encoding="utf-8")
    write_minimal_client(root / "gamma", "Gamma Ltd")
    (root / "not-a-client").mkdir()
    (root / "notes.txt").write_text("not a client either", encoding="utf-8")
    return root


def test_find_engagements_takes_folders_with_engagement_yaml(tmp_path: Path) -> None:
    root = three_clients(tmp_path / "clients")
    assert [p.name for p in find_engagements(root)] == ["alpha", "beta", "gamma"]
    with pytest.raises(RunSetupError, match="no engagement folders"):
        find_engagements(root / "not-a-client")


def test_all_runs_every_client_and_reports_the_failed_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = three_clients(tmp_path / "clients")
    before = {p.name: hash_inputs(p) for p in find_engagements(root)}
    code = run_cli(["run", "--all", str(root), "--workers", "2", "--notebooks", str(SMALL), "--format", "html"])
    captured = capsys.readouterr()
    assert code == 3
    for name in ("alpha", "gamma"):
        runs = list((root / name / "runs").iterdir())
        assert len(runs) == 1
        assert (runs[0] / "report.html").is_file()
        assert read_manifest(runs[0])["outcome"] == "succeeded"
    assert not (root / "beta" / "runs").exists()  # input errors: nothing written
    assert {p.name: hash_inputs(p) for p in find_engagements(root)} == before
    summary = captured.out.splitlines()
    assert summary[0].split() == ["client", "outcome", "seconds", "report", "or", "error"]
    beta = next(line for line in summary if line.startswith("beta"))
    assert "input errors" in beta
    assert "metrics.csv:2" in beta
    alpha = next(line for line in summary if line.startswith("Alpha Ltd"))
    assert "succeeded" in alpha
    assert "report.html" in alpha
    assert summary[-1] == "2 of 3 clients succeeded; 1 failed"
    assert "[3/3]" in captured.err  # per-client progress


def test_run_all_in_one_worker_reuses_its_kernel_across_clients(tmp_path: Path) -> None:
    root = tmp_path / "clients"
    for name in ("a", "b"):
        write_minimal_client(root / name, f"Client {name.upper()}")
    results = run_all(root, workers=1, notebooks=SMALL, formats={"html"}, out=tmp_path / "out")
    assert [r.outcome for r in results] == ["succeeded", "succeeded"]
    assert [Path(r.out_dir or "").name for r in results] == ["a", "b"]
    for r in results:
        # the second client on the same kernel saw only its own data and parameters
        m = read_manifest(Path(r.out_dir or ""))
        assert m["client"] == r.client
        html = Path(r.report or "").read_text(encoding="utf-8")
        assert r.client in html


def test_summary_table_lines_up() -> None:
    text = format_summary(
        [
            ClientOutcome("x/a", "A", "succeeded", 1.25, report="x/a/runs/1/report.html"),
            ClientOutcome("x/b", "Bee Corp", "failed", 12.0, error="02.ipynb, cell 3: ValueError: no"),
        ]
    )
    lines = text.splitlines()
    assert lines[1].index("succeeded") == lines[2].index("failed")
    assert lines[1].endswith("x/a/runs/1/report.html")
    assert lines[2].endswith("02.ipynb, cell 3: ValueError: no")
    assert lines[-1] == "1 of 2 clients succeeded; 1 failed"


def test_a_worker_replaces_a_dead_kernel_before_its_next_client(tmp_path: Path) -> None:
    import shutil

    import nbformat

    nbs = tmp_path / "nbs"
    shutil.copytree(SMALL, nbs)
    nb = nbformat.read(str(nbs / "02_review.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import os\nif eng.client == 'Client A':\n    os._exit(1)"))
    nbformat.write(nb, str(nbs / "02_review.ipynb"))
    root = tmp_path / "clients"
    for name in ("a", "b"):
        write_minimal_client(root / name, f"Client {name.upper()}")
    results = run_all(root, workers=1, notebooks=nbs, formats={"html"})
    assert [r.outcome for r in results] == ["failed", "succeeded"]
    assert "DeadKernelError" in (results[0].error or "")
    assert results[1].report is not None
