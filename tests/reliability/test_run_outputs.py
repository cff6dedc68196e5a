"""Where a run may write, and who owns its folder (issue 10, "Output folders").

Classes tried: ``--out`` anywhere inside the engagement folder (an absent optional file's
name, a nested folder, a hidden folder, a symbolic link that leads inside, the folder
itself, a folder that contains it) and two or more runs racing for one ``--out``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support import FIXTURES, hash_inputs, run_cli, write_minimal_client

from kpikit.errors import RunSetupError
from kpikit.run.manifest import read_manifest
from kpikit.run.outputs import claim

SMALL = FIXTURES / "notebooks_small_workbook"
KPIKIT = Path(sys.executable).with_name("kpikit")


def _paths(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    "inside",
    [
        "kpis.csv",  # the name of an optional file that is absent: a folder there breaks the engagement
        "actuals.csv",
        "deliverables",
        "deliverables/q3/final",
        ".kpikit/out",
        "runs",  # the kit's own runs root, not a run folder
        ".",
    ],
)
def test_out_inside_the_engagement_is_refused_and_nothing_is_created(
    tmp_path: Path, inside: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = write_minimal_client(tmp_path / "acme")
    before, paths = hash_inputs(client), _paths(client)

    code = run_cli(["run", str(client), "--out", str(client / inside), "--notebooks", str(SMALL)])

    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1
    assert "inside the engagement folder acme" in err or "exists and is not empty" in err
    assert "Traceback" not in err
    assert _paths(client) == paths
    assert hash_inputs(client) == before
    assert run_cli(["validate", str(client)]) == 0


def test_out_through_a_symbolic_link_into_the_engagement_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = write_minimal_client(tmp_path / "acme")
    (tmp_path / "link").symlink_to(client)
    paths = _paths(client)

    assert run_cli(["run", str(client), "--out", str(tmp_path / "link" / "kpis.csv"), "--notebooks", str(SMALL)]) == 2

    assert "inside the engagement folder" in capsys.readouterr().err
    assert _paths(client) == paths


def test_out_that_contains_the_engagement_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = write_minimal_client(tmp_path / "clients" / "acme")
    paths = _paths(tmp_path)

    assert run_cli(["run", str(client), "--out", str(tmp_path / "clients"), "--notebooks", str(SMALL)]) == 2

    assert "Traceback" not in capsys.readouterr().err
    assert _paths(tmp_path) == paths


@pytest.mark.slow
def test_out_under_runs_is_still_allowed(tmp_path: Path) -> None:
    client = write_minimal_client(tmp_path / "acme")
    out = client / "runs" / "for-the-board"
    assert run_cli(["run", str(client), "--out", str(out), "--notebooks", str(SMALL), "--format", "html", "--quiet"]) == 0
    assert read_manifest(out)["outcome"] == "succeeded"


def test_claim_has_exactly_one_winner_under_contention(tmp_path: Path) -> None:
    """The mechanism: many threads claim one empty folder at once, round after round; one wins each time."""
    for round_ in range(30):
        out = tmp_path / f"out{round_}"
        out.mkdir()
        barrier = threading.Barrier(8)
        wins: list[int] = []
        refusals: list[str] = []

        def contend(i: int, out: Path = out, barrier: threading.Barrier = barrier,
                    wins: list[int] = wins, refusals: list[str] = refusals) -> None:
            barrier.wait()
            try:
                claim(out, created=False)
                wins.append(i)
            except RunSetupError as exc:
                refusals.append(str(exc))

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1, round_
        assert len(refusals) == 7
        assert all("another run already uses this output folder" in r for r in refusals)


@pytest.mark.slow
def test_two_real_runs_with_the_same_out_one_wins_one_refuses(tmp_path: Path) -> None:
    """Two ``kpikit run`` processes started together: the loser writes nothing, the winner's folder is whole."""
    client = write_minimal_client(tmp_path / "acme")
    before = hash_inputs(client)
    out = tmp_path / "deliverable"
    cmd = [str(KPIKIT), "run", str(client), "--out", str(out), "--notebooks", str(SMALL), "--format", "html"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]

    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2], results
    for code, _stdout, stderr in results:
        assert "Traceback" not in stderr
        if code == 2:
            assert stderr.strip().splitlines()[-1].startswith("kpikit: ")
            assert "another run already uses this output folder" in stderr or "exists and is not empty" in stderr
    m = read_manifest(out)
    assert m["outcome"] == "succeeded"
    assert (out / "report.html").is_file()
    assert not list(out.rglob(".*"))
    assert hash_inputs(client) == before

    # a run given the finished folder later: nothing changed, so it is a skip (exit 0); forced, it is
    # refused (the folder is taken); either way the folder stays as it was
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    later = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert later.returncode == 0, later
    assert "unchanged since" in later.stderr + later.stdout, later
    assert subprocess.run([*cmd, "--force"], capture_output=True, check=False, timeout=300).returncode == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def test_a_folder_taken_between_the_check_and_the_start_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """prepare_run saw an empty folder; by the time the run starts, another run's manifest is there."""
    from kpikit.run.runner import execute_plan, prepare_run

    client = write_minimal_client(tmp_path / "acme")
    out = tmp_path / "out"
    out.mkdir()
    plan = prepare_run(client, out=out, notebooks=SMALL, formats={"html"})
    (out / "manifest.json").write_text('{"outcome": "running"}', encoding="utf-8")
    with pytest.raises(RunSetupError, match="another run already uses this output folder"):
        execute_plan(plan)
    assert sorted(os.listdir(out)) == ["manifest.json"]
    assert (out / "manifest.json").read_text(encoding="utf-8") == '{"outcome": "running"}'
