"""Hypothesis-generated CSV and YAML inputs never produce a traceback (issue 10).

Each example writes one generated file into a copy of ``tests/fixtures/valid_minimal`` and
runs ``kpikit validate`` on it (the same code path as the console script, in this
process). The only allowed outcomes: exit 0, or exit 1 with every printed line a
``FILE:LINE: message`` (or ``FILE: message``) for a file of the folder, each message
within ``limits.MAX_MESSAGE_CHARS``. Any other exception fails the test with the input
that caused it. Examples are derandomized (a fixed sequence, the same on every machine
and in CI) and the whole module takes well under a minute.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import FIXTURES

from kpikit.cli import main
from kpikit.data import limits
from kpikit.data.schema import CONFIG_FILE, TABLES

FILES = {CONFIG_FILE, *(t.file for t in TABLES)}
LINE = re.compile(r"^(?P<file>[A-Za-z_.]+)(?::(?P<line>[0-9]+))?: (?P<message>.+)$")
PROFILE = settings(
    derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TRICKY = [
    "", " ", "#", "# x", "#1 confirmed by CFO", "O1", "M1", "U1", "P1", "S1", "ORG", "nan", "NaN", "None", "null", "inf",
    "-inf", "1e309", "1e-400", "-0", "0", "3", "5", "1.5", "1,5", "١٢", "１２", "２０２６-Q1", "2026-Q1", "2026-13",
    "2026", "2026-02-30", "2026-01-31", "up", "down", "UP", "monthly", "quarterly", "annual", "A", "R", "C", "I",
    "lagging", "leading", '"', '""', "a,b", "line\nbreak", "\r", "\t", "=1+1", "-1-1", "@SUM(A1)", "\x1b[31mred\x1b[0m",
    "\u202e", "\ufeff", "é", "名前", "💥", "x" * 200, "\\", "../etc/passwd", "O1/M1", "-", ".", "_",
]
CELL = st.one_of(st.sampled_from(TRICKY), st.text(max_size=20))
COLUMN_NAMES = sorted({c for t in TABLES for c in t.column_names} | {"", "ID", " Name ", "extra", "relevance"})


@contextlib.contextmanager
def folder_with(name: str, data: bytes) -> Iterator[Path]:
    """A fresh copy of valid_minimal with ``name`` replaced by ``data``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "client"
        shutil.copytree(FIXTURES / "valid_minimal", folder)
        (folder / name).write_bytes(data)
        yield folder


def assert_only_clean_problems(folder: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(folder)])
    assert code in (0, 1), (code, err.getvalue())
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 0:
        return
    lines = out.getvalue().splitlines()
    assert lines, err.getvalue()
    for line in lines:
        m = LINE.match(line)
        assert m, f"not a FILE:LINE message: {line!r}"
        assert m["file"] in FILES, line
        assert len(m["message"]) <= limits.MAX_MESSAGE_CHARS, line


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A CSV file of the contract: a (shuffled, partial, misspelt) header and rows of tricky cells."""
    spec = draw(st.sampled_from(TABLES))
    own = draw(st.permutations(spec.column_names))
    header = own[: draw(st.integers(1, len(own)))] + draw(st.lists(st.sampled_from(COLUMN_NAMES), max_size=2))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=8))
    if draw(st.booleans()):
        buf = io.StringIO()
        csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows([header, *rows])
        text = buf.getvalue()
    else:  # written by hand, as a careless script would: no quoting at all
        text = "\n".join(",".join(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n", "\n\n"]))
    prefix = draw(st.sampled_from(["", "\ufeff"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"]))
    return spec.file, (prefix + text).encode(encoding, errors="replace")


@settings(PROFILE, max_examples=250)
@given(csv_files())
def test_generated_csv_files_give_only_file_line_problems(case: tuple[str, bytes]) -> None:
    name, data = case
    with folder_with(name, data) as folder:
        assert_only_clean_problems(folder)


@settings(PROFILE, max_examples=60)
@given(st.sampled_from(sorted(FILES)), st.binary(max_size=400))
def test_random_bytes_in_any_file_give_only_file_line_problems(name: str, data: bytes) -> None:
    with folder_with(name, data) as folder:
        assert_only_clean_problems(folder)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(TRICKY), st.text(max_size=15), st.dates(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | SCALARS, inner, max_size=4), max_leaves=12)
SETTINGS = {
    "client": VALUES, "mission": VALUES, "vision": VALUES, "current_period": VALUES, "review_cadence": VALUES,
    "pillars": st.lists(st.fixed_dictionaries({"id": VALUES, "name": VALUES}, optional={"description": VALUES}), max_size=3)
    | VALUES,
    "scoring": st.fixed_dictionaries({}, optional={"scale": VALUES, "criteria": st.dictionaries(st.sampled_from(
        ["relevance", "Relevance", "RELEVANCE ", "cost", "objective_id", ""]), VALUES, max_size=4) | VALUES,
        "select_threshold": VALUES, "max_kpis_per_objective": VALUES}) | VALUES,
    "status": st.fixed_dictionaries({}, optional={"amber_tolerance": VALUES}) | VALUES,
    "report": st.fixed_dictionaries({}, optional={"logo": VALUES, "title": VALUES, "page_size": VALUES}) | VALUES,
}
GOOD = {"client": "Acme", "mission": "Build", "pillars": [{"id": "P1", "name": "Quality"}, {"id": "P2", "name": "Delivery"}]}


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """engagement.yaml: the good settings with some replaced by generated values, then maybe mangled."""
    data: dict[object, object] = dict(GOOD)
    for key in draw(st.lists(st.sampled_from(sorted(SETTINGS)), max_size=4, unique=True)):
        data[key] = draw(SETTINGS[key])
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()))
    except yaml.YAMLError:
        text = "client: Acme\n"
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):  # careless edits: duplicated, dropped, re-indented, aliased lines
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["dup", "drop", "indent", "anchor", "alias", "tag", "junk"]))
        if edit == "dup":
            lines.insert(i, lines[i])
        elif edit == "drop":
            del lines[i]
        elif edit == "indent":
            lines[i] = " " * draw(st.integers(1, 3)) + lines[i]
        elif edit == "anchor" and ": " in lines[i]:
            k, v = lines[i].split(": ", 1)
            lines[i] = f"{k}: &a {v}"
        elif edit == "alias" and ": " in lines[i]:
            lines[i] = lines[i].split(": ", 1)[0] + ": *a"
        elif edit == "tag" and ": " in lines[i]:
            tag = draw(st.sampled_from(["!!timestamp", "!!int", "!!float", "!!binary", "!!python/object", "!!set", "!custom"]))
            lines[i] = lines[i].replace(": ", f": {tag} ", 1)
        else:
            lines.insert(i, draw(st.sampled_from(TRICKY)))
    return "\n".join(lines) + "\n"


@settings(PROFILE, max_examples=250)
@given(yaml_texts())
def test_generated_engagement_yaml_gives_only_file_line_problems(text: str) -> None:
    with folder_with(CONFIG_FILE, text.encode("utf-8")) as folder:
        assert_only_clean_problems(folder)


@settings(PROFILE, max_examples=60)
@given(st.text(alphabet=st.sampled_from([*list("ab:- \n&*!?[]{},'\"#|>%@`0."), "\t", "é"]), max_size=80))
def test_yaml_punctuation_soup_gives_only_file_line_problems(text: str) -> None:
    with folder_with(CONFIG_FILE, ("client: A\nmission: B\npillars:\n  - {id: P1, name: Q}\n" + text).encode("utf-8")) as folder:
        assert_only_clean_problems(folder)
