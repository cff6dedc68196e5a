"""The validation rules of the contract, checked on small in-memory engagements.

:func:`~kpikit.data.validation.validate` (reached through :func:`build_engagement`) is the
one gate every front end goes through (files, Excel, editors), so each rule is checked
here directly, with the message a user will read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import FIXTURES

from kpikit.data.csvio import parse_csv
from kpikit.data.model import Engagement
from kpikit.data.schema import SPECS
from kpikit.data.store import build_engagement, load_engagement, record_of
from kpikit.data.validation import (
    MAX_PROBLEMS_PER_RULE,
    RawEngagement,
    raw_from_frames,
)
from kpikit.errors import EngagementError, Problem

MINIMAL = FIXTURES / "valid_minimal"
BASE = {p.name: p.read_text(encoding="utf-8") for p in MINIMAL.iterdir()}
BY_FILE = {spec.file: name for name, spec in SPECS.items()}


def raw(**files: str | None) -> RawEngagement:
    """valid_minimal with some files replaced (``metrics_csv="..."``) or removed (None)."""
    texts: dict[str, str | None] = dict(BASE)
    texts.update({k.replace("_csv", ".csv").replace("_yaml", ".yaml"): v for k, v in files.items()})
    tables = {}
    problems = []
    for file, text in texts.items():
        if text is None or file == "engagement.yaml":
            continue
        table, found = parse_csv(text.encode("utf-8"), file)
        problems.extend(found)
        if table is not None:
            tables[BY_FILE[file]] = table
    return RawEngagement("mem", texts.get("engagement.yaml"), tables, problems)


def build(**files: str | None) -> Engagement:
    return build_engagement(raw(**files))


def errors(**files: str | None) -> list[str]:
    with pytest.raises(EngagementError) as info:
        build(**files)
    return [str(p) for p in info.value.problems]


ACTUALS_HEAD = "metric_id,period,value\n"


@pytest.mark.parametrize("value", ["1234.5", "-3", "1e6", ".5", "+2", "1E-3", "0", "007", "5."])
def test_plain_decimals_are_numbers(value: str) -> None:
    eng = build(actuals_csv=ACTUALS_HEAD + f"M3,2025,{value}\n")
    assert eng.actuals["value"].iat[0] == pytest.approx(float(value))


@pytest.mark.parametrize("value", ["12%", '"1,234"', "1.2.3", "inf", "nan", "€5", "1 000", "five", "0x10", "--1"])
def test_other_values_are_not_numbers(value: str) -> None:
    shown = value.strip('"')
    assert errors(actuals_csv=ACTUALS_HEAD + f"M3,2025,{value}\n") == [
        f"actuals.csv:2: value '{shown}' is not a number (plain decimal like 1234.5, no % or thousands separators)"
    ]


def test_id_rules() -> None:
    ok = "A" * 64
    eng = build(metrics_csv=BASE["metrics.csv"] + f"{ok},Long ID,,,,up,annual,,,\nm.x_y-1,Punctuation,,,,up,annual,,,\n")
    assert ok in set(eng.metrics["id"])
    assert errors(metrics_csv=BASE["metrics.csv"] + f"{ok}B,Too long,,,,up,annual,,,\na/b,Slash,,,,up,annual,,,\n") == [
        f"metrics.csv:5: id '{ok}B' is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')",
        "metrics.csv:6: id 'a/b' is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')",
    ]


def test_ids_are_unique_across_the_whole_engagement_including_pillars() -> None:
    assert errors(
        org_units_csv=BASE["org_units.csv"] + "P1,Pillar-named unit,ORG,\n",
        metrics_csv=BASE["metrics.csv"] + "QA,Clash with a unit,,,,up,annual,,,\n",
        stakeholders_csv="id,name\nO2,Clash with an objective\n",
    ) == [
        "metrics.csv:5: id 'QA' is already used by org unit at org_units.csv:4; IDs must be unique across the engagement",
        "org_units.csv:5: id 'P1' is already used by pillar in engagement.yaml; IDs must be unique across the engagement",
        "stakeholders.csv:2: id 'O2' is already used by objective at objectives.csv:3; IDs must be unique across the engagement",
    ]


def test_self_parent_is_a_cycle_of_one() -> None:
    text = BASE["objectives.csv"].replace("O3,Audit every key supplier twice a year,QA,O1", "O3,Audit every key supplier twice a year,QA,O3")
    assert errors(objectives_csv=text) == ["objectives.csv:4: objectives form a cycle through parent_id: O3 -> O3"]


def test_enum_values_take_their_canonical_spelling() -> None:
    eng = build(
        stakeholders_csv="id,name,influence,support\nS1,Ann,1,5\n",
        raci_csv="item_id,stakeholder_id,raci\nO1,S1,a\nM2,S1, r \n",
    )
    assert eng.raci["raci"].tolist() == ["A", "R"]
    assert eng.raci["item_id"].tolist() == ["O1", "M2"]  # an item may be an objective or a metric


def test_raci_item_must_be_an_objective_or_metric() -> None:
    assert errors(
        stakeholders_csv="id,name\nS1,Ann\n",
        raci_csv="item_id,stakeholder_id,raci\nQA,S1,A\n",
    ) == ["raci.csv:2: item_id 'QA' is not a known objective or metric"]


def test_kpi_rows_are_unique_per_objective_and_metric() -> None:
    kpis = "objective_id,metric_id,target,target_period\nO1,M1,1,2027-12\nO2,M2,98,2027-Q2\nO1,M1,0.5,2027-12\n"
    assert errors(kpis_csv=kpis) == ["kpis.csv:4: duplicate pairing O1 / M1 (first at line 2)"]


def test_many_bad_rows_are_capped_with_a_count() -> None:
    rows = "".join(f"M3,{2000 + i},{i}%\n" for i in range(MAX_PROBLEMS_PER_RULE + 50))
    found = errors(actuals_csv=ACTUALS_HEAD + rows)
    assert len(found) == MAX_PROBLEMS_PER_RULE + 1
    assert found[-1] == "actuals.csv:202: ... and 50 more rows with the same problem as line 2, up to line 251"


def test_problems_carry_column_and_row_for_other_front_ends() -> None:
    with pytest.raises(EngagementError) as info:
        build(metrics_csv=BASE["metrics.csv"].replace(",down,", ",sideways,"))
    (p,) = info.value.problems
    assert (p.file, p.line, p.column, p.row) == ("metrics.csv", 2, "direction", 0)
    assert str(info.value).splitlines() == ["mem: 1 input error", "metrics.csv:2: direction 'sideways' is not one of up, down"]


def test_broken_yaml_does_not_flag_every_pillar_reference() -> None:
    found = errors(engagement_yaml="client: [unclosed\n")
    assert len(found) == 1
    assert found[0].startswith("engagement.yaml:2: is not valid YAML")


def test_missing_config_is_reported_once() -> None:
    assert errors(engagement_yaml=None) == ["engagement.yaml: is missing: every engagement needs one (client, mission, pillars)"]


def test_scaffold_like_header_only_required_files_are_valid() -> None:
    eng = build(**{f.replace(".csv", "_csv"): BASE[f].splitlines()[0] + "\n" for f in ("org_units.csv", "objectives.csv", "metrics.csv")})
    assert eng.org_units.empty
    assert eng.objectives.empty


def test_empty_text_cells_are_missing_and_the_text_nan_is_a_value() -> None:
    """Empty cells are NaN in every text column, on every supported pandas.

    pandas 2's ``astype("str")`` turned NaN into the text ``"nan"``: the demo's root unit
    got a parent 'nan' and failed to load. An ID spelled ``nan`` is legal and stays text.
    """
    eng = build(org_units_csv="id,name,parent_id,lead\nORG,Head office,,\nnan,Plant,ORG,Bo Chen\nQA,Quality,nan,\n",
                objectives_csv="id,title,org_unit_id,parent_id,pillar_id,owner,due,description\n"
                               "O1,Cut the defect rate to 1% by December 2027,nan,,P1,,,\n",
                metrics_csv="id,name,direction,frequency,type,unit\nM1,Defect rate,down,monthly,,\n")
    assert eng.org_units["parent_id"].tolist()[1:] == ["ORG", "nan"]
    assert eng.org_units["parent_id"].isna().tolist() == [True, False, False]
    assert eng.org_units["lead"].isna().tolist() == [True, False, True]
    assert eng.objectives.loc[0, "org_unit_id"] == "nan"
    for column in ("parent_id", "owner", "due", "description"):
        assert eng.objectives[column].isna().all(), column
    for column in ("type", "unit", "definition"):  # an empty enum, an empty text, a column the file lacks
        assert eng.metrics[column].isna().all(), column


def test_typed_frames_survive_raw_from_frames() -> None:
    """Editors re-validate edited frames through raw_from_frames: the data must not drift."""
    eng = load_engagement(MINIMAL)
    again = build_engagement(raw_from_frames("mem", record_of(eng).config_text, {k: v for k, v in eng.tables.items() if eng.has(k)}))
    for name in ("org_units", "objectives", "metrics"):
        pd.testing.assert_frame_equal(again.tables[name], eng.tables[name])


def test_fifty_thousand_actuals_load_correctly(tmp_path: Path) -> None:
    """A big client's actuals file loads (speed is measured in benchmarks/bench_load.py)."""
    folder = tmp_path / "big"
    folder.mkdir()
    for name, text in BASE.items():
        (folder / name).write_text(text, encoding="utf-8")
    n_metrics = 1000
    metrics = ["id,name,direction,frequency"] + [f"K{i:04d},Metric {i},up,monthly" for i in range(n_metrics)]
    (folder / "metrics.csv").write_text("\n".join(metrics) + "\n", encoding="utf-8")
    lines = ["metric_id,period,value,note"]
    for i in range(n_metrics):
        for m in range(50):  # 50 months per metric: 2022-01 .. 2026-02
            y, mo = divmod(2022 * 12 + m, 12)
            lines.append(f"K{i:04d},{y}-{mo + 1:02d},{i + m / 100},")
    (folder / "actuals.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    start = time.perf_counter()
    eng = load_engagement(folder)
    elapsed = time.perf_counter() - start

    assert len(eng.actuals) == 50_000
    assert eng.actuals["value"].dtype == "float64"
    assert eng.actuals["value"].sum() == pytest.approx(sum(i * 50 + sum(m / 100 for m in range(50)) for i in range(n_metrics)))
    assert eng.actuals["period"].iat[-1] == "2026-02"
    assert record_of(eng).source_lines["actuals"][-1] == 50_001
    assert str(eng.review_period()) == "2026-02"
    print(f"50,000 actuals loaded and validated in {elapsed:.2f} s")  # informative only, not asserted


def _problems_of(run: Callable[[], object]) -> list[Problem]:
    """The problems an EngagementError lists, or [] when the engagement is valid; any other error fails."""
    try:
        run()
    except EngagementError as exc:
        found = exc.problems
    else:
        return []
    assert found, "an EngagementError must list at least one problem"
    return found


_cells = st.sampled_from(
    ["", "M1", "O1", "ORG", "P1", "x y", "12%", "1,234", "-3", "1e6", "2026-Q1", "2026-13", "2026-02-30",
     "up", "DOWN", "monthly", "A", '"', '""', "#", "\ufeff", "é", "\r", "\n", ",", " ", "0", "nan"]
)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(BY_FILE)),
    st.lists(st.lists(_cells, max_size=12), max_size=6),
    st.booleans(),
)
def test_any_table_content_gives_problems_never_a_crash(file: str, rows: list[list[str]], header: bool) -> None:
    """Whatever a file holds, the result is a valid engagement or a list of FILE:LINE problems."""
    head = ",".join(SPECS[BY_FILE[file]].column_names) + "\n" if header else ""
    text = head + "".join(",".join(r) + "\n" for r in rows)
    files = {"stakeholders_csv": "id,name\nS1,Ann\n", file.replace(".csv", "_csv"): text}
    for p in _problems_of(lambda: build(**files)):
        assert p.file in BY_FILE or p.file == "engagement.yaml"
        assert p.line is None or p.line >= 1


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_in_a_file_give_problems_never_a_crash(data: bytes) -> None:
    texts = {p.name: p.read_bytes() for p in MINIMAL.iterdir()}
    texts["metrics.csv"] = texts["metrics.csv"][:60] + data
    tables, problems = {}, []
    for file, content in texts.items():
        if file == "engagement.yaml":
            continue
        table, found = parse_csv(content, file)
        problems.extend(found)
        if table is not None:
            tables[BY_FILE[file]] = table
    found = _problems_of(lambda: build_engagement(RawEngagement("mem", texts["engagement.yaml"].decode(), tables, problems)))
    assert all(str(p).startswith(p.file) for p in found)
