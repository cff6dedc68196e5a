"""CSV reading with real line numbers, writing that round-trips, and atomic replacement.

Consultants' files come from Excel, LibreOffice, text editors and scripts: BOMs, CRLF,
quoted cells with commas and line breaks. Every row must still be reported at the line
a person sees in their editor.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpikit.data.csvio
from kpikit.data.csvio import atomic_write, format_column, format_value, parse_csv, to_csv_bytes


def test_lines_count_physical_lines_of_multiline_records() -> None:
    data = (
        b'id,title,description\n'
        b'O1,"Cut costs, fast","line one\nline two\nline three"\n'
        b'\n'
        b'# O9,an example row,ignored\n'
        b'O2,Plain,\n'
        b'O3,"Quote ""here""","a\r\nb"\n'
        b'O4,Last,\n'
    )
    table, problems = parse_csv(data, "objectives.csv")
    assert problems == []
    assert table is not None
    assert table.lines == [2, 7, 8, 10]  # O1 spans 2-4, blank 5, comment 6, O3 spans 8-9
    assert [r[0] for r in table.rows] == ["O1", "O2", "O3", "O4"]
    assert table.rows[0] == ["O1", "Cut costs, fast", "line one\nline two\nline three"]
    assert table.rows[2][1] == 'Quote "here"'


def test_bom_crlf_and_header_spelling() -> None:
    data = "\ufeff ID ,Name, Parent_ID \r\nORG,Company,\r\nOPS,Ops,ORG\r\n".encode()
    table, problems = parse_csv(data, "org_units.csv")
    assert problems == []
    assert table is not None
    assert table.header == ["id", "name", "parent_id"]
    assert table.header_as_written == ["ID", "Name", "Parent_ID"]
    assert table.rows == [["ORG", "Company", ""], ["OPS", "Ops", "ORG"]]
    assert table.lines == [2, 3]


def test_short_rows_are_padded_and_trailing_empty_fields_dropped() -> None:
    table, problems = parse_csv(b"a,b,c\n1\n2,3,4,,\n", "x.csv")
    assert problems == []
    assert table is not None
    assert table.rows == [["1", "", ""], ["2", "3", "4"]]


def test_too_many_fields_names_the_line_and_the_fix() -> None:
    table, problems = parse_csv(b"a,b\n1,2\n3,4,5\n6,7\n", "x.csv")
    assert [str(p) for p in problems] == [
        "x.csv:3: has 3 fields but the header has 2 columns (put double quotes around a value that contains a comma)"
    ]
    assert table is not None
    assert table.rows == [["1", "2"], ["6", "7"]]


def test_header_problems() -> None:
    _, problems = parse_csv(b"id,name,ID,\n1,2,3,x\n", "x.csv")
    assert [str(p) for p in problems] == [
        "x.csv:1: column 'id' appears twice in the header",
        "x.csv:1: column 4 of the header has no name, but line 2 has a value in it ('x'): name the column or delete it",
    ]


def test_stray_empty_unnamed_columns_are_dropped() -> None:
    table, problems = parse_csv(b"id,,name,,\nM1,,Defects,,\nM2,,Delivery\n", "x.csv")
    assert problems == []
    assert table is not None
    assert (table.header, table.header_as_written) == (["id", "name"], ["id", "name"])
    assert table.rows == [["M1", "Defects"], ["M2", "Delivery"]]


def test_row_with_too_many_fields_keeps_its_id_for_reference_checks() -> None:
    table, problems = parse_csv(b"name,id,unit\nDefects,M1,%\nOn time, in full,M2,%\n", "metrics.csv")
    assert len(problems) == 1
    assert table is not None
    assert table.skipped_ids == ["in full"]  # the id column's cell as written: the best guess there is
    assert [r[1] for r in table.rows] == ["M1"]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b'a,b\n1,2\n3,"unfinished\n4,5\n', 3,
         "a quoted value that starts on this line is never closed (add the closing double quote)"),
        (b'a,b\n1,2\n3,"quoted"tail\n', 3,
         'a closing double quote must be followed by a comma or the end of the line '
         '(inside a quoted value, write a double quote as "")'),
    ],
)
def test_broken_quoting_is_one_problem_and_no_table(data: bytes, line: int, message: str) -> None:
    table, problems = parse_csv(data, "x.csv")
    assert table is None
    assert [(p.line, p.message) for p in problems] == [(line, message)]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file_needs_a_header(data: bytes) -> None:
    table, problems = parse_csv(data, "kpis.csv")
    assert table is None
    assert [str(p) for p in problems] == ["kpis.csv: is empty: it needs at least a header row"]


def test_non_utf8_names_line_and_byte() -> None:
    table, problems = parse_csv("id,name\nM1,ok\nM2,caf\xe9\n".encode("latin-1"), "metrics.csv")
    assert table is None
    assert [str(p) for p in problems] == ["metrics.csv:3: is not UTF-8 text (byte 0xe9); save it as CSV UTF-8"]


def test_header_only_is_a_table_without_rows() -> None:
    table, problems = parse_csv(b"metric_id,period,value\n", "actuals.csv")
    assert problems == []
    assert table is not None
    assert (table.header, table.rows, table.lines) == (["metric_id", "period", "value"], [], [])


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.0, "12"), (0.1, "0.1"), (-3.0, "-3"), (1e20, "1e+20"), (2.5e-7, "2.5e-07"), (float("nan"), ""),
     (None, ""), ("a,b", "a,b"), (1234.5, "1234.5")],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_to_csv_bytes_quotes_only_where_needed() -> None:
    data = to_csv_bytes(["id", "note"], [["M1", 'say "hi", then\nleave'], ["M2", float("nan")], ["M3", 2.0]])
    assert data == b'id,note\nM1,"say ""hi"", then\nleave"\nM2,\nM3,2\n'


cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
).map(str.strip)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cell, min_size=3, max_size=3), max_size=6))
def test_written_csv_reads_back_identically(rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(r) and not r[0].startswith("#")]  # blank and comment rows are skipped
    table, problems = parse_csv(to_csv_bytes(["a", "b", "c"], rows), "x.csv")
    assert problems == []
    assert table is not None
    assert table.rows == rows
    # every record starts on the line after the previous record's last line
    expected_lines, line = [], 2
    for r in rows:
        expected_lines.append(line)
        line += sum(c.count("\n") for c in r) + 1
    assert table.lines == expected_lines


# --- atomic_write ----------------------------------------------------------------------


def test_atomic_write_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "kpis.csv"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(tmp_path / "sub" / "new.csv", b"x")
    assert (tmp_path / "sub" / "new.csv").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.csv", "sub"]


@pytest.mark.parametrize("fail", ["replace", "fsync"])
def test_atomic_write_crash_leaves_original_and_no_temp(
    fail: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "actuals.csv"
    target.write_bytes(b"metric_id,period,value\nM1,2026-01,1\n")

    def crash(*args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(kpikit.data.csvio.os, fail, crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write(target, b"half")
    monkeypatch.undo()
    assert target.read_bytes() == b"metric_id,period,value\nM1,2026-01,1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["actuals.csv"]


def test_atomic_write_crash_during_write_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "raci.csv"
    target.write_bytes(b"item_id,stakeholder_id,raci\n")
    real_fdopen = os.fdopen

    class Broken:
        def __init__(self, fh: object) -> None:
            self.fh = fh

        def __enter__(self) -> Broken:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> None:
            self.fh.write(data[:3])  # type: ignore[attr-defined]
            raise OSError("no space left on device")

    monkeypatch.setattr(kpikit.data.csvio.os, "fdopen", lambda fd, mode: Broken(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="no space"):
        atomic_write(target, b"item_id,stakeholder_id,raci\nO1,S1,A\n")
    monkeypatch.undo()
    assert target.read_bytes() == b"item_id,stakeholder_id,raci\n"
    assert [p.name for p in tmp_path.iterdir()] == ["raci.csv"]


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**16, 10**16).map(float)), max_size=30))
def test_format_column_matches_format_value(values: list[float]) -> None:
    assert format_column(pd.Series(values, dtype="float64")) == [format_value(v) for v in values]
    texts = pd.Series([str(v) for v in values] + [None], dtype="str")
    assert format_column(texts) == [str(v) for v in values] + [""]


def test_docstring_examples_are_true() -> None:
    import doctest

    import kpikit.data.csvio

    result = doctest.testmod(kpikit.data.csvio)
    assert result.attempted > 0
    assert result.failed == 0
