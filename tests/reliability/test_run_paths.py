"""Nothing in a run folder names this machine or its user (issue 10, "Confidentiality": the manifest part).

Every file a run writes (manifest, executed notebooks, CSVs, report) is searched for the
temporary folder, the home folder, the user's name and the host's name, for the class
of runs: in ``DIR/runs/``, with ``--out`` elsewhere, succeeded, and failed with a
traceback that printed absolute paths. ``HOME`` and ``USER`` are set to distinctive
values so that a leak cannot hide behind a common word.
"""

from __future__ import annotations

import getpass
import json
import pwd
import re
import socket
from pathlib import Path

import nbformat
import pytest
from support import FIXTURES, run_cli, write_minimal_client

from kpikit.run.manifest import read_manifest

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"
USER = "kpikit-tester-7f3a"


def path_printing_notebooks(folder: Path, fail: bool) -> Path:
    """The small workbook, its first notebook printing absolute paths (and, with ``fail``, raising with one)."""
    folder.mkdir()
    for src in sorted(SMALL.glob("*.ipynb")):
        nb = nbformat.read(str(src), as_version=4)
        if src.name.startswith("01"):
            code = "import os\nprint(os.path.abspath(client_dir), os.getcwd(), os.path.expanduser('~'))"
            if fail:
                code += "\nopen(os.path.join(os.path.abspath(client_dir), 'no-such-file.csv'))"
            nb.cells.append(nbformat.v4.new_code_cell(code))
        nbformat.write(nb, str(folder / src.name))
    return folder


def leaks(folder: Path, needles: dict[str, str]) -> list[str]:
    """``file: what`` for every needle found in a file under ``folder``."""
    host = socket.gethostname()
    login = pwd.getpwuid(__import__("os").getuid()).pw_name
    found = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        text = p.read_bytes().decode("utf-8", "replace")
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", text)  # embedded images and fonts
        for what, needle in needles.items():
            if needle in text:
                found.append(f"{p.relative_to(folder)}: {what}")
        if re.search(rf"(?<![\w.+/=-]){re.escape(host)}(?![\w+/=-])", text):
            found.append(f"{p.relative_to(folder)}: host name {host}")
        if re.search(rf"[/\\]{re.escape(login)}(?:[/\\]|\b)", text):
            found.append(f"{p.relative_to(folder)}: login name {login} as a path")
    return found


@pytest.mark.parametrize(("where", "fail"), [("runs", False), ("runs", True), ("elsewhere", False), ("elsewhere", True)])
def test_no_local_path_user_or_host_in_any_run_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, fail: bool
) -> None:
    home = tmp_path / "home" / USER
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USER", USER)
    monkeypatch.setenv("LOGNAME", USER)
    assert getpass.getuser() == USER
    client = write_minimal_client(home / "clients" / "acme")
    nbs = path_printing_notebooks(tmp_path / "nbs", fail)
    args = ["run", str(client), "--notebooks", str(nbs), "--format", "html", "--quiet"]
    out = home / "deliverables" / "acme-q2"
    if where == "elsewhere":
        args += ["--out", str(out)]

    assert run_cli(args) == (3 if fail else 0)

    run = out if where == "elsewhere" else next((client / "runs").iterdir())
    m = read_manifest(run)
    assert m["outcome"] == ("failed" if fail else "succeeded")
    printed = (run / "notebooks" / "01_objectives.ipynb").read_text(encoding="utf-8")
    assert "~" in printed  # the notebook did print the home folder: it was rewritten, not lost
    if fail:
        assert "no-such-file.csv" in json.dumps(m["failure"])
        assert "FileNotFoundError" in printed
    needles = {
        "temporary folder": str(tmp_path),
        "temporary folder (resolved)": str(tmp_path.resolve()),
        "home folder": str(home),
        "user name": USER,
    }
    assert leaks(run, needles) == []
    assert m["engagement"] == ("../.." if where == "runs" else "acme")
    assert m["parameters"]["client_dir"] == ("../.." if where == "runs" else "../../clients/acme")
    assert m["parameters"]["output_dir"] == "."
