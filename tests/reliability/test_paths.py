"""Confidentiality: no file outside the engagement folder reaches a deliverable (issue 10).

Every path the kit reads from the folder obeys one rule (``kpikit/data/paths.py``):
relative, inside the folder after following symbolic links, a regular file, within its
size limit. These tests try each way out (``..``, absolute paths, links out, devices,
named pipes, folders) on the logo setting, on ``engagement.yaml`` and on a CSV table, and
check what a user sees: ``kpikit validate`` names ``engagement.yaml:LINE`` (or the file),
exits 1, never hangs, and the report never carries the outside file's bytes.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_minimal_client

from kpikit.cli import main
from kpikit.data.limits import CSV, LOGO
from kpikit.data.paths import read_inside, written_problem
from kpikit.data.store import load_engagement
from kpikit.errors import EngagementError, FolderFileError
from kpikit.report.sections.cover import logo_data_uri

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SECRET = b"\x89PNG\r\n\x1a\n" + b"SECRET-OF-ANOTHER-CLIENT" * 10


def _client(tmp_path: Path, logo: str | None = None) -> Path:
    folder = write_minimal_client(tmp_path / "client")
    if logo is not None:
        cfg = folder / "engagement.yaml"
        cfg.write_text(cfg.read_text(encoding="utf-8") + f"report:\n  logo: '{logo}'\n", encoding="utf-8")
    return folder


LOGO_LINE = 8  # write_minimal_client's engagement.yaml has 6 lines; 'report:' is 7, 'logo:' is 8


def _validate(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


def _device(path: Path) -> None:
    """A character device like /dev/zero, inside the folder (needs root, as these machines run tests)."""
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device node needs root")


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "other-client" / "logo.png"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    return secret


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("../other-client/logo.png", "goes up out of the engagement folder with '..'"),
        ("brand/../../other-client/logo.png", "goes up out of the engagement folder with '..'"),
        ("{outside}", "is an absolute path: write it relative to the engagement folder"),
        ("~/logo.png", "is an absolute path"),
        ("C:/Users/me/logo.png", "is an absolute path"),
        ("brand\\logo.png", "contains '\\': separate folders with '/'"),
    ],
)
def test_logo_paths_that_leave_the_folder_are_input_errors_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str, reason: str
) -> None:
    secret = _outside(tmp_path)
    folder = _client(tmp_path, written.format(outside=secret))
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"engagement.yaml:{LOGO_LINE}: report.logo '")
    assert reason in lines[0]


def test_a_symlink_out_of_the_folder_is_refused_and_never_embedded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = _outside(tmp_path)
    folder = _client(tmp_path, "logo.png")
    (folder / "logo.png").symlink_to(secret)
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert lines == [
        f"engagement.yaml:{LOGO_LINE}: report.logo 'logo.png' leads out of the engagement folder (a symbolic link): "
        "a report may only contain the engagement's own files, so copy the file into the folder"
    ]
    # The report's own reader applies the rule too: an engagement validated before the link
    # was swapped in still embeds nothing from outside.
    folder2 = _client(tmp_path / "b", "logo.png")
    (folder2 / "logo.png").write_bytes(PNG)
    eng = load_engagement(folder2)
    (folder2 / "logo.png").unlink()
    (folder2 / "logo.png").symlink_to(secret)
    assert logo_data_uri(eng) is None
    eng.config.report.logo = "../other-client/logo.png"
    assert logo_data_uri(eng) is None
    eng.config.report.logo = str(secret)
    assert logo_data_uri(eng) is None


def test_a_symlinked_folder_out_of_the_engagement_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = _outside(tmp_path)
    folder = _client(tmp_path, "brand/logo.png")
    (folder / "brand").symlink_to(secret.parent, target_is_directory=True)
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert "leads out of the engagement folder" in lines[0]


def test_a_link_to_dev_zero_is_refused_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, "logo.png")
    (folder / "logo.png").symlink_to("/dev/zero")
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert "report.logo 'logo.png' leads out of the engagement folder" in lines[0]


def test_a_symlink_inside_the_folder_is_followed_and_embedded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, "logo.png")
    (folder / "brand").mkdir()
    (folder / "brand" / "real.png").write_bytes(PNG)
    (folder / "logo.png").symlink_to(Path("brand") / "real.png")
    code, lines = _validate(folder, capsys)
    assert code == 0, lines
    uri = logo_data_uri(load_engagement(folder))
    assert uri == "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")


def test_the_engagement_folder_may_itself_be_reached_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, "logo.png")
    (folder / "logo.png").write_bytes(PNG)
    link = tmp_path / "shortcut"
    link.symlink_to(folder, target_is_directory=True)
    code, _ = _validate(link, capsys)
    assert code == 0
    assert logo_data_uri(load_engagement(link)) is not None


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: _device(p), "is a device, not a regular file"),
        (lambda p: os.mkfifo(p), "is a named pipe (FIFO), not a regular file"),
        (lambda p: p.mkdir(), "is a folder, not a regular file"),
    ],
    ids=["device", "fifo", "folder"],
)
@pytest.mark.timeout(60)
def test_a_logo_that_is_no_regular_file_is_an_input_error_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, kind: str
) -> None:
    folder = _client(tmp_path, "logo.png")
    make(folder / "logo.png")  # type: ignore[operator]
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert lines == [f"engagement.yaml:{LOGO_LINE}: report.logo 'logo.png' {kind}"]


@pytest.mark.timeout(60)
def test_a_socket_is_no_regular_file(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "s.png"))
        with pytest.raises(FolderFileError, match="is a socket, not a regular file"):
            read_inside(folder, "s.png", LOGO)
    finally:
        sock.close()


def test_a_missing_logo_is_no_error_and_leaves_the_cover_without_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, "brand/missing.png")
    code, _ = _validate(folder, capsys)
    assert code == 0  # the contract: a missing logo gives a cover without a logo
    assert logo_data_uri(load_engagement(folder)) is None


def test_a_link_to_nowhere_and_a_link_loop_are_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, "logo.png")
    (folder / "logo.png").symlink_to(folder / "gone.png")
    code, lines = _validate(folder, capsys)
    assert (code, lines) == (1, [f"engagement.yaml:{LOGO_LINE}: report.logo 'logo.png' is a symbolic link to a file that does not exist"])
    (folder / "logo.png").unlink()
    (folder / "a.png").symlink_to(folder / "logo.png")
    (folder / "logo.png").symlink_to(folder / "a.png")
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert "cannot be followed (a loop of symbolic links?)" in lines[0]


# --- the same rule for the files the store reads -----------------------------------------

@pytest.mark.timeout(60)
def test_a_fifo_as_engagement_yaml_does_not_hang_validate(tmp_path: Path) -> None:
    """A named pipe blocks a plain open() forever; the console script must answer at once."""
    folder = _client(tmp_path)
    (folder / "engagement.yaml").unlink()
    os.mkfifo(folder / "engagement.yaml")
    os.mkfifo(folder / "metrics.csv.tmp")  # not read at all: not a file of the contract
    (folder / "metrics.csv").unlink()
    os.mkfifo(folder / "metrics.csv")
    proc = subprocess.run(
        [sys.executable, "-c", "from kpikit.cli import entry; entry()", "validate", str(folder)],
        capture_output=True, text=True, timeout=45,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "engagement.yaml: is a named pipe (FIFO), not a regular file",
        "metrics.csv: is not a file",
    ]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["engagement.yaml", "metrics.csv"])
def test_a_table_or_the_settings_linked_from_outside_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    folder = _client(tmp_path)
    outside = tmp_path / "elsewhere" / name
    outside.parent.mkdir()
    outside.write_bytes((folder / name).read_bytes())
    (folder / name).unlink()
    (folder / name).symlink_to(outside)
    code, lines = _validate(folder, capsys)
    assert code == 1
    assert f"{name}: leads out of the engagement folder (a symbolic link): a report may only contain the engagement's own files, so copy the file into the folder" in lines


def test_a_table_linked_to_a_device_is_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path)
    (folder / "actuals.csv").symlink_to("/dev/zero")
    code, lines = _validate(folder, capsys)
    assert code == 1
    # the store refuses non-files before reading; the link also leads out of the folder
    assert lines == ["actuals.csv: is not a file"]
    with pytest.raises(FolderFileError, match="leads out of the engagement folder"):
        read_inside(folder, "actuals.csv", CSV)


def test_a_table_inside_the_folder_through_a_link_loads(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    (folder / "data").mkdir()
    (folder / "metrics.csv").rename(folder / "data" / "metrics.csv")
    (folder / "metrics.csv").symlink_to(Path("data") / "metrics.csv")
    assert len(load_engagement(folder).metrics) == 1


def test_every_problem_at_once_with_a_bad_logo(tmp_path: Path) -> None:
    folder = _client(tmp_path, "../x.png")
    (folder / "metrics.csv").write_text("id,name\nM1,x\n", encoding="utf-8")
    with pytest.raises(EngagementError) as info:
        load_engagement(folder)
    text = info.value.format()
    assert any(line.startswith(f"engagement.yaml:{LOGO_LINE}: report.logo '../x.png'") for line in text)
    assert any(line.startswith("metrics.csv:1: missing required column") for line in text)


@pytest.mark.parametrize(
    "written",
    ["", " ", "a\x00b", "/x", "\\\\server\\share\\x.png", "D:x.png", "..", "a/..", "../a", "~user/x"],
)
def test_written_rule_refuses_every_way_out(written: str) -> None:
    assert written_problem(written) is not None


@pytest.mark.parametrize("written", ["logo.png", "brand/logo.png", "a..b.png", ".hidden/logo.png", "./logo.png"])
def test_written_rule_accepts_plain_relative_names(written: str) -> None:
    assert written_problem(written) is None
