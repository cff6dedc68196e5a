"""``kpikit run`` on the command line: exit codes, messages, progress (real runs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from support import FIXTURES, hash_inputs, run_cli

from kpikit.run.manifest import read_manifest

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"


def test_run_prints_progress_and_the_outputs(make_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    out = tmp_path / "deliverable"
    assert run_cli(["run", str(client), "--out", str(out), "--notebooks", str(SMALL), "--format", "html"]) == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert any(line.startswith("[1/3] 01_objectives.ipynb ") and line.endswith("s") for line in err)
    assert any(line.startswith("[3/3] 03_report.ipynb ") for line in err)
    assert any("succeeded" in line for line in err)
    assert captured.out.splitlines() == [str(out / "report.html"), str(out)]


def test_relative_folder_as_make_demo_passes_it(
    make_client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kpikit run clients/demo-harbor` from the project root: the kernel's working folder moves, the paths must not."""
    client = make_client()
    monkeypatch.chdir(client.parent)
    assert run_cli(["run", client.name, "--notebooks", str(SMALL), "--format", "html"]) == 0
    report = Path(capsys.readouterr().out.splitlines()[0])
    assert report.is_absolute()
    assert report.is_file()
    assert report.parent.parent == (client / "runs").resolve()


def test_quiet_prints_no_progress(make_client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    assert run_cli(["run", str(client), "--quiet", "--notebooks", str(SMALL), "--format", "pdf"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    run = next((client / "runs").iterdir())
    assert (run / "report.pdf").is_file()
    assert not (run / "report.html").exists()


def test_input_errors_exit_1_and_write_nothing(make_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    lines = (client / "objectives.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[0], "", 1)  # an objective without ID
    (client / "objectives.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (client / "engagement.yaml").write_text(
        (client / "engagement.yaml").read_text(encoding="utf-8").replace("review_cadence: quarterly", "review_cadence: sometimes"),
        encoding="utf-8",
    )
    before = hash_inputs(client)
    out = tmp_path / "out"
    assert run_cli(["run", str(client), "--out", str(out), "--notebooks", str(SMALL)]) == 1
    captured = capsys.readouterr()
    problems = captured.out.splitlines()
    assert any(p.startswith("objectives.csv:3: ") for p in problems)
    assert any(p.startswith("engagement.yaml:") for p in problems)
    assert "nothing was run" in captured.err
    assert not out.exists()
    assert not (client / "runs").exists()
    assert hash_inputs(client) == before


def test_bad_options_exit_2(make_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    assert run_cli(["run", str(client), "--format", "docx"]) == 2
    assert run_cli(["run", str(client), "--period", "2026-13", "--notebooks", str(SMALL)]) == 2
    assert run_cli(["run"]) == 2
    assert run_cli(["run", str(client), "--all", str(tmp_path)]) == 2
    assert "period" in capsys.readouterr().err
    assert not (client / "runs").exists()


def test_failing_notebook_exits_3_with_the_cell_error_only(
    make_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    broken = tmp_path / "broken"
    shutil.copytree(SMALL, broken)
    nb = nbformat.read(str(broken / "03_report.ipynb"), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("def deep():\n    return 1 / 0\n\ndeep()"))
    nbformat.write(nb, str(broken / "03_report.ipynb"))
    assert run_cli(["run", str(client), "--notebooks", str(broken)]) == 3
    err = capsys.readouterr().err
    assert "FAILED 03_report.ipynb, cell " in err
    assert "ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err
    assert "deep()" not in err
    run = next((client / "runs").iterdir())
    m = read_manifest(run)
    assert m["outcome"] == "failed"
    assert m["failure"]["notebook"] == "03_report.ipynb"
    assert not (run / "report.html").exists()


def test_console_script_runs_end_to_end(make_client: Any, tmp_path: Path) -> None:
    """The installed ``kpikit`` command, in its own process, as a user runs it."""
    client = make_client()
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("kpikit")
    proc = subprocess.run(
        [str(exe), "run", str(client), "--out", str(out), "--notebooks", str(SMALL), "--format", "html"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").is_file()
    assert "Traceback" not in proc.stderr
    assert "[3/3] 03_report.ipynb" in proc.stderr
