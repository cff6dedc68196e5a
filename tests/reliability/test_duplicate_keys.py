"""No setting silently replaced: keys given twice in engagement.yaml, criteria that differ only by case (issue 10).

YAML lets the last of two equal keys win without a word; the kit refuses instead, naming
both lines, at every level of the file (top-level settings, nested ones, inside a list
item) and however the key is spelt (plain, quoted). Criteria names are compared ignoring
case and surrounding spaces (they name CSV columns, which are matched that way), so
``Relevance`` and ``relevance`` are one criterion given twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_minimal_client

from kpikit.cli import main
from kpikit.data.config import EngagementConfig, parse_config

BASE = "client: Acme\nmission: Build\npillars:\n  - id: P1\n    name: Quality\n"


def _lines(text: str) -> list[str]:
    config, problems = parse_config(text)
    assert config is None
    return [str(p) for p in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + "client: Other\n", "engagement.yaml:6: client is given twice (lines 1 and 6)"),
        (BASE + "'client': Other\n", "engagement.yaml:6: client is given twice (lines 1 and 6)"),
        (BASE + 'status:\n  amber_tolerance: 0.1\n  amber_tolerance: 0.5\n',
         "engagement.yaml:8: status.amber_tolerance is given twice (lines 7 and 8)"),
        (BASE.replace("    name: Quality\n", "    name: Quality\n    name: Delivery\n"),
         "engagement.yaml:6: pillars[1].name is given twice (lines 5 and 6)"),
        (BASE + "scoring:\n  criteria:\n    relevance: 3\n    cost: 1\n    relevance: 1\n",
         "engagement.yaml:10: scoring.criteria.relevance is given twice (lines 8 and 10)"),
        (BASE + "report:\n  title: A\nreport:\n  title: B\n", "engagement.yaml:8: report is given twice (lines 6 and 8)"),
    ],
)
def test_a_key_given_twice_names_both_lines(text: str, expected: str) -> None:
    lines = _lines(text)
    assert [line for line in lines if "given twice" in line] == [
        expected + "; the kit will not guess which one you meant: delete one"
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("Relevance", "relevance"), "engagement.yaml:9: scoring.criteria 'relevance' and 'Relevance' (line 8)"),
        (("cost", "COST "), "engagement.yaml:9: scoring.criteria 'COST ' and 'cost' (line 8)"),
        (("Data_Availability", "data_availability"),
         "engagement.yaml:9: scoring.criteria 'data_availability' and 'Data_Availability' (line 8)"),
    ],
)
def test_criteria_that_differ_only_by_case_collide(names: tuple[str, str], expected: str) -> None:
    text = BASE + f"scoring:\n  criteria:\n    {names[0]}: 3\n    '{names[1]}': 2\n"
    assert _lines(text) == [
        expected + " name the same criterion: names are compared ignoring upper/lower case, so give each criterion once"
    ]


def test_the_model_refuses_colliding_criteria_built_in_code_too() -> None:
    with pytest.raises(ValueError, match="name the same criterion"):
        EngagementConfig.model_validate(
            {"client": "A", "mission": "B", "pillars": [{"id": "P1", "name": "Q"}],
             "scoring": {"criteria": {"Relevance": 3, "relevance": 2}}}
        )


def test_merge_keys_and_distinct_criteria_are_fine() -> None:
    text = BASE + "defaults: &d\n  title: A\nreport:\n  <<: *d\n  page_size: A4\nscoring:\n  criteria:\n    relevance: 3\n    cost: 1\n"
    config, problems = parse_config(text)
    assert problems == []
    assert config is not None
    assert config.report.title == "A"
    assert config.scoring.criteria == {"relevance": 3.0, "cost": 1.0}


def test_validate_reports_a_duplicate_with_every_other_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_minimal_client(tmp_path / "c")
    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "client: Someone else\nreview_cadence: weekly\n", encoding="utf-8")
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "engagement.yaml:7: client is given twice (lines 1 and 7); the kit will not guess which one you meant: delete one",
        "engagement.yaml:8: review_cadence 'weekly' is not one of monthly, quarterly, annual",
    ]
