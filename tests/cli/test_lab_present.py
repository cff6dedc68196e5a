"""``kpikit lab --present``: code inputs collapsed in the copies, the simple interface, and back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, ClassVar

import nbformat
import pytest
from support import FIXTURES

from kpikit.cli import lab as lab_cli
from kpikit.cli import main
from kpikit.cli.lab import present_env
from kpikit.kit.workspace import source_fingerprint

FIXTURE = FIXTURES / "editors_small"


@pytest.fixture(autouse=True)
def no_real_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """JupyterLab itself is driven in tests/cli/test_lab_browser.py; here its start is recorded."""
    monkeypatch.setattr(lab_cli, "start_lab", _FakeLab)


class _FakeLab:
    """Stands in for JupyterLab: records the command and exits at once."""

    calls: ClassVar[list[list[str]]] = []
    envs: ClassVar[list[dict[str, str]]] = []

    def __init__(self, cmd: list[str], env: dict[str, str], **_kw: Any) -> None:
        _FakeLab.calls.append(cmd)
        _FakeLab.envs.append(env)

    def wait(self) -> int:
        return 0


def _hidden(copy: Path) -> list[bool]:
    nb = nbformat.read(copy, as_version=4)
    return [bool(c.metadata.get("jupyter", {}).get("source_hidden")) for c in nb.cells if c.cell_type == "code"]


def test_present_collapses_code_opens_simple_interface_and_lab_restores(
        tmp_path: Path, kit_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    copy = client.resolve() / ".kpikit" / "workbook" / "01_objectives.ipynb"
    kit_bytes = (kit_home / "notebooks" / "01_objectives.ipynb").read_bytes()
    _FakeLab.calls.clear()

    assert main(["lab", str(client), "--no-browser", "--present"]) == 0
    assert "--LabApp.default_url=/doc/tree/01_objectives.ipynb" in _FakeLab.calls[-1]
    assert "--LabApp.custom_css=True" in _FakeLab.calls[-1]
    assert "presenting mode" in capsys.readouterr().out
    hidden = _hidden(copy)
    assert len(hidden) == 3  # parameters, injected parameters, the editor cell
    assert all(hidden)
    nb = nbformat.read(copy, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert "jupyter" not in nb.cells[0].metadata
    written = source_fingerprint(nb)

    # the consultant collapses nothing, then starts the lab normally: the code is back
    assert main(["lab", str(client), "--no-browser"]) == 0
    assert "--LabApp.default_url=/lab/tree/01_objectives.ipynb" in _FakeLab.calls[-1]
    assert "--LabApp.custom_css=True" not in _FakeLab.calls[-1]
    assert _hidden(copy) == [False, False, False]
    assert "kpikit" not in nbformat.read(copy, as_version=4).cells[-1].metadata
    assert source_fingerprint(nbformat.read(copy, as_version=4)) == written
    assert (kit_home / "notebooks" / "01_objectives.ipynb").read_bytes() == kit_bytes


def test_present_is_not_an_edit_and_keeps_a_cell_the_consultant_collapsed(
        tmp_path: Path, kit_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    copy = client.resolve() / ".kpikit" / "workbook" / "01_objectives.ipynb"
    assert main(["lab", str(client), "--no-browser"]) == 0
    nb = nbformat.read(copy, as_version=4)
    nb.cells[-1].metadata["jupyter"] = {"source_hidden": True}  # collapsed by hand in JupyterLab
    nbformat.write(nb, copy)

    assert main(["lab", str(client), "--no-browser", "--present"]) == 0
    assert main(["lab", str(client), "--no-browser"]) == 0
    assert _hidden(copy) == [False, False, True]
    out = capsys.readouterr()
    assert "updated" not in out.out  # metadata is not an edit
    assert "kept your edited" not in out.err

    # the kit's notebook changes: the copy (never edited in its sources) is updated, still presenting
    kit_nb = kit_home / "notebooks" / "01_objectives.ipynb"
    nb = nbformat.read(kit_nb, as_version=4)
    nb.cells[0].source = "# Step 1, reworded"
    nbformat.write(nb, kit_nb)
    assert main(["lab", str(client), "--no-browser", "--present"]) == 0
    assert "updated" in capsys.readouterr().out
    assert all(_hidden(copy))


def test_present_serves_the_kit_css_and_keeps_the_users_jupyter_setup(
        tmp_path: Path, kit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    user = tmp_path / "user-jupyter"
    (user / "custom").mkdir(parents=True)
    (user / "custom" / "custom.css").write_text("/* the consultant's own */\n", encoding="utf-8")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    (kit_home / "templates" / "lab").mkdir(parents=True)
    (kit_home / "templates" / "lab" / "custom.css").write_text(".jp-InputPlaceholder { display: none; }\n", encoding="utf-8")
    assert main(["lab", str(client), "--no-browser", "--present"]) == 0
    env = _FakeLab.envs[-1]
    present = client.resolve() / ".kpikit" / "present"
    assert env["JUPYTER_CONFIG_DIR"] == str(present)
    css = (present / "custom" / "custom.css").read_text(encoding="utf-8")
    assert css.startswith("/* the consultant's own */")  # theirs first, then the kit's
    assert ".jp-InputPlaceholder { display: none; }" in css
    assert str(user) in env["JUPYTER_CONFIG_PATH"].split(os.pathsep)  # their server config still loads
    assert env["JUPYTERLAB_SETTINGS_DIR"] == str(user / "lab" / "user-settings")
    assert env["JUPYTERLAB_WORKSPACES_DIR"] == str(user / "lab" / "workspaces")
    assert "KPIKIT_UNATTENDED" not in env
    assert main(["lab", str(client), "--no-browser"]) == 0
    assert _FakeLab.envs[-1].get("JUPYTER_CONFIG_DIR") == str(user)  # only presenting changes it


def test_the_kits_presenting_css_styles_only_the_simple_interface(tmp_path: Path) -> None:
    env = present_env(tmp_path, {"JUPYTER_CONFIG_DIR": str(tmp_path / "none")})
    css = (Path(env["JUPYTER_CONFIG_DIR"]) / "custom" / "custom.css").read_text(encoding="utf-8")
    rules = [r for r in css.split("}") if "{" in r]
    assert rules
    assert all('[data-shell-mode="single-document"]' in r.split("{")[0] for r in rules)
    assert ".jp-InputPlaceholder" in css
