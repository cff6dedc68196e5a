"""``kpikit new``: a fresh folder that validates at once, never written over an existing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpikit.cli import main
from kpikit.data.schema import SPECS
from kpikit.data.store import load_engagement


def test_new_creates_a_scaffold_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "acme"

    assert main(["new", str(folder), "--client", "Acme Logistics"]) == 0

    out = capsys.readouterr().out
    assert f"created {folder} for Acme Logistics" in out
    names = sorted(p.name for p in folder.iterdir())
    assert names == [".gitignore", "README.md", "engagement.yaml", "metrics.csv", "objectives.csv", "org_units.csv"]
    assert ".kpikit/" in (folder / ".gitignore").read_text(encoding="utf-8")  # backups and working copies stay out of git
    for name in ("org_units", "objectives", "metrics"):  # the contract's header, in order
        header = (folder / SPECS[name].file).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == SPECS[name].column_names

    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "valid engagement for Acme Logistics" in out

    eng = load_engagement(folder)
    assert eng.org_units.empty  # the commented example rows are not data
    assert [p.id for p in eng.config.pillars] == ["P1"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Acme Logistics: engagement folder")
    for spec in SPECS.values():
        assert f"`{spec.file}`" in readme
        for c in spec.columns:
            assert f"`{c.name}`" in readme


def test_new_into_an_existing_empty_folder(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path), "--client", "Acme"]) == 0
    assert load_engagement(tmp_path).client == "Acme"


def test_new_refuses_a_folder_with_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("my notes")

    assert main(["new", str(tmp_path), "--client", "Acme"]) == 1

    err = capsys.readouterr().err
    assert f"kpikit: {tmp_path}: exists and is not empty; choose a new folder" in err
    assert "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "my notes"


def test_new_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.csv"
    target.write_text("x")
    assert main(["new", str(target), "--client", "Acme"]) == 1
    assert target.read_text() == "x"


def test_new_needs_a_client(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["new", str(tmp_path / "x")])
    assert info.value.code == 2
    assert "--client" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "client",
    [
        'O\'Brien & Sons: "North" Division',
        "Acme: #1 # not a comment",
        "- dash, [brackets] {braces} *star &amp",
        "yes",
        "null",
        "2026",
        "Ünïcødé Ägentur 株式会社",
        "back\\slash 'single' \"double\"",
        "Tab\there, emoji \U0001f680, line\nbreak",
        ("The Regional Health Authority of the Northern and Western Isles:  Department of  Strategy, "
         "Planning & \"Performance\" Management, a name long enough that YAML would wrap it"),
    ],
)
def test_client_names_survive_exactly(client: str, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    assert main(["new", str(folder), "--client", client]) == 0
    eng = load_engagement(folder)
    assert eng.client == client
    assert (folder / "README.md").read_text(encoding="utf-8").startswith(f"# {client}: engagement folder")
