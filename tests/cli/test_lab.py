"""``kpikit lab DIR``: validates, prepares the working copy, starts JupyterLab there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from kpikit.cli import lab as lab_cli
from kpikit.cli import main
from kpikit.cli.lab import lab_command

FIXTURE = FIXTURES / "editors_small"


def test_lab_prepares_the_workspace_and_runs_jupyter_there(tmp_path: Path, kit_home: Path,
                                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    calls: list[tuple[list[str], dict[str, str]]] = []

    class FakeLab:
        """Stands in for the JupyterLab process; a Ctrl-C arrives while waiting."""

        def __init__(self, cmd: list[str], env: dict[str, str], **_kw: Any) -> None:
            calls.append((cmd, env))
            self.interrupted = False

        def wait(self) -> int:
            if not self.interrupted:  # the parent must keep waiting, not kill Jupyter
                self.interrupted = True
                raise KeyboardInterrupt
            return 0

    monkeypatch.setattr(lab_cli, "start_lab", FakeLab)
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    assert main(["lab", str(client), "--port", "8899", "--no-browser"]) == 0
    (cmd, env), = calls
    workspace = client.resolve() / ".kpikit" / "workbook"
    assert f"--ServerApp.root_dir={workspace}" in cmd
    assert cmd[cmd.index("--port") + 1] == "8899"
    assert "--no-browser" in cmd
    assert "--LabApp.default_url=/lab/tree/01_objectives.ipynb" in cmd
    assert "KPIKIT_UNATTENDED" not in env  # editors must be live in the lab
    assert (workspace / "01_objectives.ipynb").exists()
    assert "created" in capsys.readouterr().out


def test_lab_refuses_an_invalid_folder_with_file_and_line(tmp_path: Path, kit_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    with (client / "metrics.csv").open("a", encoding="utf-8") as f:
        f.write("M-BAD,Bad metric,,,,sideways,quarterly,,,\n")
    monkeypatch.setattr(lab_cli, "start_lab", lambda *a, **k: pytest.fail("JupyterLab must not start"))
    assert main(["lab", str(client)]) == 1
    assert "metrics.csv:6:" in capsys.readouterr().out
    assert not (client / ".kpikit").exists()


def test_lab_command_shape(tmp_path: Path) -> None:
    cmd = lab_command(tmp_path, None, False)
    assert cmd[1:3] == ["-m", "jupyterlab"]
    assert "--port" not in cmd
    assert "--no-browser" not in cmd


def test_lab_without_jupyterlab_says_how_to_install(tmp_path: Path, kit_home: Path,
                                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    assert main(["lab", str(client)]) == 3
    assert "pip install jupyterlab" in capsys.readouterr().err
