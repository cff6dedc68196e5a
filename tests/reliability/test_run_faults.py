"""Faults during a run (issue 10, "faults and signals"): a full disk, a read-only folder, Ctrl-C, kill.

Each ends with one clear line, the documented exit status, a manifest that says what
happened (or, when nothing could be written, nothing at all), no staging folder and no
half-written notebook. The disk is a real tmpfs and the read-only folder a real
read-only mount (tests run as root, where chmod blocks nothing); the signals go to a
real ``kpikit`` process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from reliability.fsfaults import read_only_view, tmpfs, tree
from support import FIXTURES, hash_inputs, run_cli, write_minimal_client

from kpikit.run.manifest import read_manifest
from kpikit.run.outputs import RESERVE_BYTES

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"
KPIKIT = Path(sys.executable).with_name("kpikit")


def assert_clean_run_folder(out: Path) -> dict[str, Any]:
    """No staging, no hidden leftovers, every notebook whole, no report beside a failed manifest."""
    assert not [p.name for p in out.rglob(".*")], tree(out).keys()
    for nb in (out / "notebooks").glob("*.ipynb"):
        nbformat.read(str(nb), as_version=4)  # raises on a truncated file
    m = read_manifest(out)
    assert m["outcome"] in ("succeeded", "failed", "interrupted")
    if m["outcome"] != "succeeded":
        assert m["failure"]["evalue"]
        assert not (out / "report.html").exists()
        assert not (out / "report.pdf").exists()
    listed = set(m["outputs"])
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    # the skip key is written after the manifest says succeeded (kpikit.run.incremental), and only then
    from kpikit.run.incremental import KEY_FILE

    assert (KEY_FILE in on_disk) == (m["outcome"] == "succeeded") or KEY_FILE not in on_disk
    assert listed == on_disk - {KEY_FILE}
    return m


# -- a full disk -------------------------------------------------------------------------


def test_a_disk_that_fills_up_at_any_point_ends_with_a_manifest_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run folder on a tmpfs too small for the run, by a different margin each time.

    A first run on a roomy tmpfs measures what the run needs at its peak (its files plus
    the manifest's reserve); then disks from "not even the start fits" to "nearly
    enough" fill up at different steps: the tables, a notebook, the report.
    """
    client = write_minimal_client(tmp_path / "acme")
    before = hash_inputs(client)
    cmd = ["run", str(client), "--notebooks", str(SMALL), "--format", "html", "--quiet"]
    with tmpfs(tmp_path / "roomy", 8 * 1024 * 1024) as disk:
        assert run_cli([*cmd, "--out", str(disk / "out")]) == 0
        st = os.statvfs(disk)
        peak = (st.f_blocks - st.f_bfree) * st.f_frsize + RESERVE_BYTES
    capsys.readouterr()
    page = 4096
    sizes = sorted({16 * 1024, *(((peak * k // 10) // page) * page for k in (5, 6, 7, 8, 9))})
    seen: dict[int, int] = {}
    for size in sizes:
        with tmpfs(tmp_path / f"disk{size}", size) as disk:
            out = disk / "out"
            code = run_cli([*cmd, "--out", str(out)])
            err = capsys.readouterr().err
            seen[size] = code
            assert "Traceback" not in err
            if code == 5:  # not even the first manifest fitted: nothing is left
                assert len(err.strip().splitlines()) == 1
                assert "No space left on device" in err
                assert tree(disk) == {}
            else:
                assert code == 3, (size, err)
                assert err.strip().splitlines()[0].startswith("kpikit run: FAILED ")
                assert "No space left on device" in err
                m = assert_clean_run_folder(out)
                assert m["outcome"] == "failed"
                assert m["failure"]["step"] == "write"
                assert "No space left on device" in m["failure"]["evalue"]
                assert str(disk) not in json.dumps(m)  # paths relative to the run folder
    assert hash_inputs(client) == before
    assert {5, 3} <= set(seen.values()), seen  # the class: full before the start, and full during the run


# -- a read-only engagement folder ---------------------------------------------------------


def test_read_only_engagement_folder_run_lab_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    client = write_minimal_client(tmp_path / "acme")
    before = hash_inputs(client)
    with read_only_view(client, tmp_path / "ro") as ro:
        # validate only reads
        assert run_cli(["validate", str(ro)]) == 0
        capsys.readouterr()

        # run without --out: it cannot make runs/ there, says so in one line, writes nothing
        assert run_cli(["run", str(ro), "--notebooks", str(SMALL), "--format", "html", "--quiet"]) == 5
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert "Read-only file system" in err
        assert "--out" in err
        assert "Traceback" not in err

        # run with --out on a writable disk: a run only reads the engagement, so it succeeds
        out = tmp_path / "out"
        assert run_cli(["run", str(ro), "--out", str(out), "--notebooks", str(SMALL), "--format", "html", "--quiet"]) == 0
        assert assert_clean_run_folder(out)["outcome"] == "succeeded"
        capsys.readouterr()

        # lab: the working copies cannot be written; a message, and JupyterLab is never started
        import kpikit.cli.lab as lab

        def no_lab(*_args: object) -> None:
            raise AssertionError("JupyterLab must not start on a read-only folder")

        monkeypatch.setattr(lab, "start_lab", no_lab)
        assert run_cli(["lab", str(ro), "--no-browser"]) == 5
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert "Read-only file system" in err
        assert "writable engagement folder" in err
        assert "Traceback" not in err
    assert hash_inputs(client) == before
    assert not (client / "runs").exists()
    assert not (client / ".kpikit").exists()


# -- Ctrl-C and kill ---------------------------------------------------------------------


def waiting_notebooks(folder: Path) -> Path:
    """A report notebook (run first, its report staged) and a notebook that waits: a signal lands mid-run."""
    folder.mkdir()
    report = nbformat.read(str(SMALL / "03_report.ipynb"), as_version=4)
    for cell in report.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = 'client_dir = ""\nperiod: str | None = None'  # no output_dir: the report may go first
    nbformat.write(report, str(folder / "01_report.ipynb"))
    wait = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('client_dir = ""\nperiod: str | None = None')
    params.metadata["tags"] = ["parameters"]
    wait.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import os, pathlib, time\npathlib.Path(os.environ['KPIKIT_TEST_MARKER']).write_text('started')\ntime.sleep(120)"
        ),
    ]
    wait.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(wait, str(folder / "02_wait.ipynb"))
    return folder


@pytest.mark.parametrize(
    ("how", "expected_code"),
    [("ctrl-c", 130), ("sigint-to-the-process", 130), ("sigterm", 143), ("sighup", 129)],
)
def test_a_signal_mid_run_is_recorded_and_leaves_no_staging(tmp_path: Path, how: str, expected_code: int) -> None:
    client = write_minimal_client(tmp_path / "acme")
    before = hash_inputs(client)
    nbs = waiting_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    marker = tmp_path / "marker"
    env = {**os.environ, "KPIKIT_TEST_MARKER": str(marker)}
    proc = subprocess.Popen(
        [str(KPIKIT), "run", str(client), "--out", str(out), "--notebooks", str(nbs), "--format", "html,pdf"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # its own process group, like a job in a terminal
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the waiting notebook never started"
            time.sleep(0.1)
        staged = out / ".report-staging"
        while not (staged / "report.pdf").exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # the report is built and staged, waiting for the run to succeed
        assert (staged / "report.pdf").exists()
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole foreground group
        else:
            sig = {"sigint-to-the-process": signal.SIGINT, "sigterm": signal.SIGTERM, "sighup": signal.SIGHUP}[how]
            os.kill(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == expected_code, stderr
    assert "Traceback" not in stderr
    assert "exception" not in stderr.lower()
    last = stderr.strip().splitlines()[-1]
    name = {"ctrl-c": "SIGINT", "sigint-to-the-process": "SIGINT", "sigterm": "SIGTERM", "sighup": "SIGHUP"}[how]
    assert last == f"kpikit run: interrupted by {name}; partial outputs and manifest.json (interrupted) in {out}"
    assert stdout == ""
    m = assert_clean_run_folder(out)
    assert m["outcome"] == "interrupted"
    assert m["failure"]["step"] == "interrupted"
    assert m["failure"]["notebook"] == "02_wait.ipynb"
    assert name in m["failure"]["evalue"]
    assert m["finished"] is not None
    assert [n["notebook"] for n in m["notebooks"]] == ["01_report.ipynb"]
    assert hash_inputs(client) == before
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
