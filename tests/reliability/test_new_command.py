"""``kpikit new`` where a folder cannot be made (issue 10): one line, exit 5, nothing left behind.

Classes tried: a dangling symbolic link (at DIR, or as a parent of DIR), a path under a
regular file (directly or deeper), a read-only file system (a new folder, an existing
empty one), and a disk too small to hold the scaffold. Exit 1 stays what the contract
says: DIR exists and is not empty (a regular file at DIR included).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reliability.fsfaults import tmpfs, tree

from kpikit.cli import EXIT_CANNOT_WRITE, main


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("kpikit: ")
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("target", ["missing", "missing/deeper", "/nonexistent-kpikit-target/x"])
def test_dangling_symlink_at_dir(tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "acme"
    link.symlink_to(target)
    before = tree(tmp_path)

    assert main(["new", str(link), "--client", "Acme"]) == EXIT_CANNOT_WRITE

    line = one_line(capsys)
    assert f"is a symbolic link to {target}, which does not exist" in line
    assert tree(tmp_path) == before
    assert os.readlink(link) == target


def test_dangling_symlink_as_a_parent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clients").symlink_to(tmp_path / "gone")
    before = tree(tmp_path)

    assert main(["new", str(tmp_path / "clients" / "acme"), "--client", "Acme"]) == EXIT_CANNOT_WRITE

    assert "clients is a symbolic link to" in one_line(capsys)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("below", ["acme", "acme/deeper/still"])
def test_under_a_regular_file(tmp_path: Path, below: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("my notes", encoding="utf-8")
    before = tree(tmp_path)

    assert main(["new", str(tmp_path / "notes.txt" / below), "--client", "Acme"]) == EXIT_CANNOT_WRITE

    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in one_line(capsys)
    assert tree(tmp_path) == before


def test_a_regular_file_at_dir_stays_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "acme").write_text("x", encoding="utf-8")
    assert main(["new", str(tmp_path / "acme"), "--client", "Acme"]) == 1
    assert "exists and is not empty" in one_line(capsys)
    assert (tmp_path / "acme").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("dest", ["acme", "clients/2026/acme", "."])
def test_read_only_file_system(tmp_path: Path, dest: str, capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs(tmp_path / "ro", 1024 * 1024, read_only=True) as ro:
        assert main(["new", str(ro / dest), "--client", "Acme"]) == EXIT_CANNOT_WRITE
        line = one_line(capsys)
        assert "Read-only file system" in line
        assert "nothing was left behind" in line
        assert tree(ro) == {}


def test_a_disk_too_small_for_the_scaffold_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The disk fills up part-way through the scaffold: the half-made folder is removed again."""
    with tmpfs(tmp_path / "small", 8 * 1024) as disk:
        assert main(["new", str(disk / "clients" / "acme"), "--client", "Acme"]) == EXIT_CANNOT_WRITE
        assert "No space left on device" in one_line(capsys)
        assert tree(disk) == {}
        (disk / "empty").mkdir()  # an existing empty folder: emptied again, kept
        assert main(["new", str(disk / "empty"), "--client", "Acme"]) == EXIT_CANNOT_WRITE
        one_line(capsys)
        assert tree(disk) == {"empty": None}


def test_a_good_place_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real").mkdir()
    assert main(["new", str(tmp_path / "link" / "acme"), "--client", "Acme"]) == 0
    assert (tmp_path / "real" / "acme" / "engagement.yaml").is_file()
    assert "created" in capsys.readouterr().out
