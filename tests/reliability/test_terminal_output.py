"""Terminal escape sequences in the client's files never reach a terminal raw (issue 10).

The class: ESC sequences (CSI colour and clear-screen, OSC window title), the 8-bit CSI
(U+009B) and other C0/C1 controls, bidi overrides and isolates, in every value the
command line echoes: the client name, free-text titles in findings, IDs in input
errors, option values in usage errors, the run's progress lines. The real console
script's bytes are checked, since that is what a terminal receives.
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import FIXTURES, write_minimal_client

from kpikit.cli.terminal import neutralise

KPIKIT = Path(sys.executable).with_name("kpikit")
SMALL = FIXTURES / "notebooks_small_workbook"
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
HOSTILE = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J \x9b2J \x08\x08 \r \u202eevil\u202c \u2066iso\u2069 \x7f"
"""Written inside a quoted CSV field (the carriage return would otherwise end the row)."""


def unsafe(text: str) -> list[str]:
    """Characters a terminal would act on: C0/C1 controls (not newline or tab), DEL, bidi controls."""
    return [c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in BIDI_CONTROLS]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_neutralise_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    out = neutralise(text)
    assert unsafe(out) == []
    if not unsafe(text) and not any(c in "\u2028\u2029\ufeff\ufff9\ufffa\ufffb" for c in text):
        assert out == text  # ordinary text, any script, untouched


@given(st.text(alphabet=st.sampled_from([*"ab\\x1", "\x1b", "\x9b", "\u202e", "\u2066", "\x07"]), max_size=40))
def test_neutralise_shows_each_control_visibly(text: str) -> None:
    out = neutralise(text)
    assert out.count("\\x1b") >= text.count("\x1b")
    assert out.count("\\u202e") >= text.count("\u202e")
    assert out.count("\\x9b") >= text.count("\x9b")


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def hostile_client(folder: Path) -> Path:
    client = write_minimal_client(folder, client="Acme")
    yaml = (client / "engagement.yaml").read_text(encoding="utf-8")
    (client / "engagement.yaml").write_text(
        yaml.replace("client: Acme", 'client: "Acme \\e[31mred\\e[0m \\e]0;pwned\\a \\N \\u202eevil\\u202c"'), encoding="utf-8"
    )
    objectives = (client / "objectives.csv").read_text(encoding="utf-8")
    (client / "objectives.csv").write_text(
        objectives.replace("Cut the defect rate to under 2% of units shipped by December 2026", csv_field("Cut " + HOSTILE + " rate")),
        encoding="utf-8",
    )
    return client


def console(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(KPIKIT), *args], capture_output=True, timeout=300, check=False)


def assert_terminal_safe(data: bytes) -> str:
    text = data.decode("utf-8")
    assert unsafe(text) == [], [hex(ord(c)) for c in unsafe(text)]
    return text


def test_validate_echoes_free_text_neutralised(tmp_path: Path) -> None:
    client = hostile_client(tmp_path / "acme")
    proc = console("validate", str(client), "--findings")
    assert proc.returncode == 0, proc.stderr
    out = assert_terminal_safe(proc.stdout)
    assert_terminal_safe(proc.stderr)
    assert "valid engagement for Acme \\x1b[31mred\\x1b[0m \\x1b]0;pwned\\x07" in out
    assert "\\u202eevil" in out
    assert "\\x9b2J" in out  # the title, in a finding's message


def test_validate_input_errors_neutralised(tmp_path: Path) -> None:
    client = write_minimal_client(tmp_path / "acme")
    with (client / "objectives.csv").open("a", encoding="utf-8") as fh:
        fh.write("O3," + csv_field("Grow " + HOSTILE) + ",U9\x1b[2J,O\u202e1,P9\x9b,Ann,2026-13-45,\n")
    proc = console("validate", str(client))
    assert proc.returncode == 1
    out = assert_terminal_safe(proc.stdout)
    assert_terminal_safe(proc.stderr)
    assert out.count("objectives.csv:4: ") >= 2


def test_usage_errors_and_new_neutralised(tmp_path: Path) -> None:
    proc = console("validate", str(tmp_path), "--period", "2026\x1b[2J")
    assert proc.returncode == 2
    assert "\\x1b[2J" in assert_terminal_safe(proc.stderr)

    proc = console("new", str(tmp_path / "x"), "--client", "Evil \x1b]0;t\x07 \u202eCo")
    assert proc.returncode == 0, proc.stderr
    assert "\\u202eCo" in assert_terminal_safe(proc.stdout)

    proc = console("validate", str(tmp_path / ("no\x1b[2Jsuch")))
    assert proc.returncode != 0
    assert_terminal_safe(proc.stdout)
    assert "\\x1b[2J" in assert_terminal_safe(proc.stderr)


@pytest.mark.slow
def test_run_progress_and_messages_neutralised(tmp_path: Path) -> None:
    client = hostile_client(tmp_path / "acme")
    proc = console("run", str(client), "--out", str(tmp_path / "out"), "--notebooks", str(SMALL), "--format", "html")
    assert proc.returncode == 0, proc.stderr
    assert_terminal_safe(proc.stdout)
    err = assert_terminal_safe(proc.stderr)
    assert "Acme \\x1b[31mred" in err  # "CLIENT: 3 notebooks, period ..." and "CLIENT: succeeded"
