"""No data silently changed: numbers and periods (issue 10).

Every numeric value is either the number the user meant or an input error naming
``FILE:LINE``. The classes tried: digits of other scripts (full-width, Arabic-Indic,
Devanagari, ... : Python's ``\\d`` and ``int()`` accept them all), numbers a float cannot
hold (``1e309`` read as infinity, ``1e-400`` read as 0), NaN and infinity spellings,
and the same for periods (a period with other digits would duplicate an existing one)
and for the numbers and period in ``engagement.yaml``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import write_minimal_client

from kpikit.data.config import parse_config
from kpikit.data.csvio import parse_csv
from kpikit.data.store import load_engagement, read_engagement
from kpikit.data.validation import RawEngagement, validate
from kpikit.errors import EngagementError
from kpikit.periods import Period, foreign_digit_hint, frequency_of

ZEROS = {
    "full-width": "０",
    "arabic-indic": "٠",
    "extended-arabic-indic": "۰",
    "devanagari": "०",
    "bengali": "০",
    "thai": "๐",
    "mathematical-bold": "𝟎",
    "nko": "߀",
}
"""The digit zero of scripts whose digits Python's ``\\d``, ``int()`` and ``float()`` all accept."""


def digits(text: str, zero: str) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in text)


def _client(tmp_path: Path) -> Path:
    return write_minimal_client(tmp_path / "client")  # M1 is quarterly; O1, O2, U1, U2


def _problems(folder: Path) -> list[str]:
    with pytest.raises(EngagementError) as info:
        load_engagement(folder)
    return info.value.format()


def _row(*cells: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


@pytest.mark.parametrize("script", ZEROS)
def test_a_value_in_other_digits_is_an_error_naming_the_digit_never_no_data(tmp_path: Path, script: str) -> None:
    folder = _client(tmp_path)
    value = digits("91.5", ZEROS[script])
    (folder / "actuals.csv").write_text("metric_id,period,value,note\n" + _row("M1", "2026-Q1", value, ""), encoding="utf-8")
    [problem] = _problems(folder)
    assert problem.startswith(f"actuals.csv:2: value '{value}' is not a number (plain decimal like 1234.5")
    assert f"it is written with the digit '{value[0]}'" in problem
    assert "type the digits 0-9" in problem


@pytest.mark.parametrize("script", ZEROS)
def test_a_period_in_other_digits_is_an_error_and_cannot_duplicate_one(tmp_path: Path, script: str) -> None:
    folder = _client(tmp_path)
    twin = digits("2026", ZEROS[script]) + "-Q1"
    (folder / "actuals.csv").write_text(
        "metric_id,period,value,note\n" + _row("M1", "2026-Q1", "90", "") + _row("M1", twin, "91", ""), encoding="utf-8"
    )
    [problem] = _problems(folder)
    assert problem.startswith(f"actuals.csv:3: period '{twin}' is not a period (YYYY, YYYY-Qn or YYYY-MM): it is written")
    with pytest.raises(ValueError, match="type the digits 0-9"):
        Period.parse(twin)
    assert frequency_of(twin) is None


@pytest.mark.parametrize(
    ("file", "header", "row", "line_start"),
    [
        ("kpis.csv", "objective_id,metric_id,target,target_period",
         ["O1", "M1", digits("2", "٠"), "2027-Q1"], "kpis.csv:2: target '٢' is not a number"),
        ("kpis.csv", "objective_id,metric_id,target,target_period",
         ["O1", "M1", "2", digits("2027", "０") + "-Q1"], "kpis.csv:2: target_period '２０２７-Q1' is not a period"),
        ("stakeholders.csv", "id,name,influence,support",
         ["S1", "Ann", digits("5", "०"), "3"], "stakeholders.csv:2: influence '५' is not a number"),
        ("changes.csv", "date,item_id,change",
         [digits("2026-03-01", "０"), "O1", "x"], "changes.csv:2: date '２０２６-０３-０１' is not a date (YYYY-MM-DD): it is written"),
    ],
)
def test_every_kind_of_numeric_column_refuses_other_digits(
    tmp_path: Path, file: str, header: str, row: list[str], line_start: str
) -> None:
    folder = _client(tmp_path)
    (folder / file).write_text(header + "\n" + _row(*row), encoding="utf-8")
    problems = _problems(folder)
    assert any(p.startswith(line_start) for p in problems), problems


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1e309", "is too large to be a number (the largest is about 1.8e308)"),
        ("-1E400", "is too large to be a number"),
        ("1e-400", "is too small to tell apart from 0: write 0 or a larger number"),
        ("-2.5e-999", "is too small to tell apart from 0"),
        ("nan", "is not a number"),
        ("NaN", "is not a number"),
        ("inf", "is not a number"),
        ("-Infinity", "is not a number"),
        ("1,5", "is not a number"),
        ("1 000", "is not a number"),
        ("12%", "is not a number"),
        ("0x10", "is not a number"),
        ("1_000", "is not a number"),
        ("١٫٥", "is not a number"),
        ("½", "is not a number"),
        ("²", "is not a number"),
    ],
)
def test_numbers_a_float_cannot_hold_and_other_spellings_are_errors(tmp_path: Path, value: str, says: str) -> None:
    folder = _client(tmp_path)
    (folder / "actuals.csv").write_text("metric_id,period,value,note\n" + _row("M1", "2026-Q1", value, ""), encoding="utf-8")
    [problem] = _problems(folder)
    assert problem.startswith(f"actuals.csv:2: value '{value}' "), problem
    assert says in problem, problem


@pytest.mark.parametrize("value", ["+1.0E30", "123456789.123456789e-5", "0e-999", "0.0", "-0", "1e308", "1.7976931348623157e308", "5e-324", ".5", "5.", "+3"])
def test_edge_numbers_that_a_float_holds_load_as_written(tmp_path: Path, value: str) -> None:
    folder = _client(tmp_path)
    (folder / "actuals.csv").write_text("metric_id,period,value,note\n" + _row("M1", "2026-Q1", value, ""), encoding="utf-8")
    assert load_engagement(folder).actuals["value"].tolist() == [float(value)]


# --- engagement.yaml ------------------------------------------------------------------------

BASE = "client: X\nmission: Y\npillars:\n  - id: P1\n    name: Q\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("current_period: ２０２６-Q1\n", "engagement.yaml:6: current_period '２０２６-Q1' is not a period (YYYY, YYYY-Qn or "
         "YYYY-MM): it is written with the digit '２' (FULLWIDTH DIGIT TWO); type the digits 0-9"),
        ("status:\n  amber_tolerance: ٠.١\n", "engagement.yaml:7: status.amber_tolerance '٠.١' is not a number: it is "
         "written with the digit '٠' (ARABIC-INDIC DIGIT ZERO); type the digits 0-9"),
        ("scoring:\n  max_kpis_per_objective: ３\n", "engagement.yaml:7: scoring.max_kpis_per_objective '３' is not a "
         "whole number: it is written with the digit '３' (FULLWIDTH DIGIT THREE); type the digits 0-9"),
        ("status:\n  amber_tolerance: 1e309\n", "engagement.yaml:7: status.amber_tolerance 1e309 is not a finite number"),
        ("status:\n  amber_tolerance: 1.0e+309\n", "engagement.yaml:7: status.amber_tolerance 1.0e+309 is not a finite number"),
        ("status:\n  amber_tolerance: -.inf\n", "engagement.yaml:7: status.amber_tolerance -inf is not a finite number"),
        ("status:\n  amber_tolerance: 1e-400\n", "engagement.yaml:7: status.amber_tolerance '1e-400' is too small to tell "
         "apart from 0: write 0 or a larger number"),
        ("status:\n  amber_tolerance: 1:30\n", "engagement.yaml:7: status.amber_tolerance '1:30' is not a number"),
        ("status:\n  amber_tolerance: 0x10\n", "engagement.yaml:7: status.amber_tolerance '0x10' is not a number"),
        ("scoring:\n  max_kpis_per_objective: " + "9" * 5000 + "\n", "engagement.yaml:7: scoring.max_kpis_per_objective "
         + "9" * 79 + "… is not a whole number"),
    ],
)
def test_settings_numbers_are_what_was_meant_or_an_error_at_the_line(extra: str, expected: str) -> None:
    config, problems = parse_config(BASE + extra)
    assert config is None
    assert [str(p) for p in problems] == [expected]


@pytest.mark.parametrize(
    ("extra", "check"),
    [
        ("pillars:\n  - id: 007\n    name: 1.10\n", lambda c: (c.pillars[0].id, c.pillars[0].name) == ("007", "1.10")),
        ("mission: 0x10\n", lambda c: c.mission == "0x10"),
        ("mission: 1:30\n", lambda c: c.mission == "1:30"),
        ("mission: 0123\n", lambda c: c.mission == "0123"),
        ("status:\n  amber_tolerance: 1_0e-1\n", lambda c: c.status.amber_tolerance == 1.0),
        ("status:\n  amber_tolerance: 0.10\n", lambda c: c.status.amber_tolerance == 0.1),
        ("scoring:\n  scale: [0, 10]\n  select_threshold: 5\n", lambda c: c.scoring.scale == (0.0, 10.0)),
    ],
)
def test_settings_keep_what_was_written(extra: str, check: object) -> None:
    text = BASE + extra if not extra.startswith(("pillars", "mission")) else BASE.replace(
        "pillars:\n  - id: P1\n    name: Q\n" if extra.startswith("pillars") else "mission: Y\n", extra
    )
    config, problems = parse_config(text)
    assert problems == []
    assert config is not None
    assert check(config)  # type: ignore[operator]


# --- the class, not the examples: any text in a number cell -----------------------------------

ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(alphabet=st.characters(categories=["Nd", "No", "Pd", "Po", "Zs", "Ll"]), max_size=12),
        st.from_regex(r"\A[+-]?[0-9]{0,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,4})?\Z"),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
)
def test_any_text_in_a_number_cell_is_the_number_meant_or_an_error_at_its_line(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    raw = _raw(tmp_path_factory)
    table, read_problems = parse_csv(("metric_id,period,value,note\n" + _row("M1", "2026-Q1", text, "")).encode(), "actuals.csv")
    assert table is not None
    assert read_problems == []
    raw.tables = {**raw.tables, "actuals": table}
    cell = text.strip()
    try:
        checked = validate(raw)
    except EngagementError as exc:
        where = [(p.file, p.line) for p in exc.problems]
    else:
        where = []
    if where:
        assert where == [("actuals.csv", 2)]
        return
    value = checked.tables["actuals"]["value"].tolist()
    assert value == [] or math.isfinite(value[0])
    assert ASCII_NUMBER.fullmatch(cell), f"{cell!r} was accepted"
    assert value == [float(cell)]
    assert not (float(cell) == 0 and re.search("[1-9]", re.split("[eE]", cell)[0]))


_RAW: dict[str, Path] = {}


def _raw(factory: pytest.TempPathFactory) -> RawEngagement:
    if "folder" not in _RAW:
        _RAW["folder"] = write_minimal_client(factory.mktemp("numbers") / "client")
    return read_engagement(_RAW["folder"])


def test_the_digit_hint_names_the_first_foreign_digit_only_when_there_is_one() -> None:
    assert foreign_digit_hint("2026-Q1") == ""
    assert foreign_digit_hint("x") == ""
    assert "ARABIC-INDIC DIGIT TWO" in foreign_digit_hint("٢٠٢٦")
