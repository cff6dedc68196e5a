"""engagement.yaml: defaults, and errors that read like the CSV ones (setting, value, expected).

A consultant who mistypes a setting must see ``engagement.yaml:7: review_cadence 'weekly'
is not one of monthly, quarterly, annual``, not a pydantic error path.
"""

from __future__ import annotations

import pytest

from kpikit.data.config import DEFAULT_CRITERIA, parse_config

GOOD = "client: Acme\nmission: Build things\npillars:\n  - id: P1\n    name: Growth\n"


def problems(text: str) -> list[str]:
    config, found = parse_config(text)
    assert config is None
    return [str(p) for p in found]


def test_defaults_follow_the_contract() -> None:
    config, found = parse_config(GOOD)
    assert found == []
    assert config is not None
    assert config.scoring.criteria == DEFAULT_CRITERIA
    assert config.scoring.scale == (1.0, 5.0)
    assert config.scoring.select_threshold == 3.5
    assert config.scoring.max_kpis_per_objective == 3
    assert config.status.amber_tolerance == pytest.approx(0.10)
    assert config.review_cadence == "quarterly"
    assert config.current_period is None
    assert config.report.title == "KPI Alignment Report"
    assert [p.id for p in config.pillars] == ["P1"]


def test_settings_are_read_and_normalised() -> None:
    text = GOOD + (
        "current_period: 2026\nreview_cadence: Monthly\nscoring:\n  scale: [0, 10]\n"
        "  criteria:\n    ' Relevance ': 2\n    Cost_To_Collect: 1.5\n  select_threshold: 6\n"
        "custom_setting: kept\n"
    )
    config, found = parse_config(text)
    assert found == []
    assert config is not None
    assert config.current_period == "2026"  # YAML's integer 2026 is the annual period
    assert config.review_cadence == "monthly"
    assert config.scoring.criteria == {"relevance": 2.0, "cost_to_collect": 1.5}
    assert config.scoring.scale == (0.0, 10.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "client: Acme\nmission: Build\npillars:\n  - id: P 1\n    name: Growth\n",
            ["engagement.yaml:4: pillars[1].id 'P 1' is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')"],
        ),
        (
            "client: Acme\npillars: []\n",
            ["engagement.yaml:1: mission is required but missing", "engagement.yaml:2: pillars needs at least 1 item"],
        ),
        (
            "client: Acme\nmission: Build\npillars:\n  - id: P1\n    name: A\n  - id: P1\n    name: B\n",
            ["engagement.yaml:4: pillars id 'P1' is used by two pillars; IDs must be unique"],
        ),
        (
            GOOD + "  - id: P2\n    name: ''\n",
            ["engagement.yaml:7: pillars[2].name is empty (required)"],
        ),
        (
            GOOD + "review_cadence: weekly\ncurrent_period: 2026-Q5\n",
            [
                "engagement.yaml:6: review_cadence 'weekly' is not one of monthly, quarterly, annual",
                "engagement.yaml:7: current_period '2026-Q5' is not a period (YYYY, YYYY-Qn or YYYY-MM)",
            ],
        ),
        (
            GOOD + "scoring:\n  scale: [5, 1]\n  criteria:\n    relevance: lots\n  max_kpis_per_objective: 2.5\n",
            [
                "engagement.yaml:7: scoring.scale [5, 1] must be two numbers [low, high] with low < high, like [1, 5]",
                "engagement.yaml:9: scoring.criteria.relevance 'lots' is not a number",
                "engagement.yaml:10: scoring.max_kpis_per_objective 2.5 is not a whole number",
            ],
        ),
        (
            GOOD + "scoring:\n  scale: [1]\n  criteria:\n    metric_id: 2\n",
            [
                "engagement.yaml:7: scoring.scale [1] must be two numbers [low, high] with low < high, like [1, 5]",
                "engagement.yaml:9: scoring.criteria 'metric_id' cannot be a criterion name "
                "(objective_id and metric_id are taken)",
            ],
        ),
        (
            GOOD + "scoring:\n  criteria:\n    relevance: -1\nstatus:\n  amber_tolerance: -0.5\n",
            [
                "engagement.yaml:8: scoring.criteria 'relevance' has weight -1; every weight must be > 0",
                "engagement.yaml:10: status.amber_tolerance -0.5 must be >= 0",
            ],
        ),
        (
            "client: [Acme]\nmission: {text: Build}\npillars: P1\nscoring: 3\nreport:\n  page_size: A3\n",
            [
                "engagement.yaml:1: client must be text, not a list",
                "engagement.yaml:2: mission must be text, not a mapping",
                "engagement.yaml:3: pillars must be a list (lines starting with '- '), not text 'P1'",
                "engagement.yaml:4: scoring must be a mapping (indented 'key: value' lines), not 3",
                "engagement.yaml:6: report.page_size 'A3' is not one of A4, Letter",
            ],
        ),
        (
            "client: 2026-01-01\nmission: yes\npillars:\n  - id: P1\n    name: No\n",
            [
                "engagement.yaml:1: client must be text, not the date 2026-01-01 (put the text in quotes)",
                "engagement.yaml:2: mission must be text, not the yes/no value true (put the text in quotes)",
                "engagement.yaml:5: pillars[1].name must be text, not the yes/no value false (put the text in quotes)",
            ],
        ),
        (
            "client:\nmission: ~\npillars:\n  -\n",
            ["engagement.yaml:1: client is empty", "engagement.yaml:2: mission is empty", "engagement.yaml:4: pillars[1] is empty"],
        ),
        (
            GOOD + "scoring:\n  criteria:\n    relevance: .nan\nstatus:\n  amber_tolerance: .inf\n",
            [
                "engagement.yaml:8: scoring.criteria.relevance nan is not a finite number",
                "engagement.yaml:10: status.amber_tolerance inf is not a finite number",
            ],
        ),
    ],
)
def test_errors_name_the_line_the_setting_and_what_was_expected(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("client: Acme\nmission: Build: fast\n", "engagement.yaml:2: is not valid YAML: mapping values are not allowed here"),
        ("client: Acme\npillars: [P1\n", "engagement.yaml:3: is not valid YAML:"),
        ("client: Acme\n\tmission: x\n", "engagement.yaml:2: is not valid YAML:"),
        ("\n\n- client: Acme\n", "engagement.yaml:3: must be a mapping of settings (client:, mission:, pillars: ...), but it is a list"),
        ("just words\n", "engagement.yaml:1: must be a mapping of settings (client:, mission:, pillars: ...), but it is text 'just words'"),
        ("", "engagement.yaml: must be a mapping of settings (client:, mission:, pillars: ...), but it is empty"),
        ("# only a comment\n", "engagement.yaml: must be a mapping of settings (client:, mission:, pillars: ...), but it is empty"),
    ],
)
def test_unreadable_yaml_gives_one_problem_with_its_line(text: str, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_no_message_reads_like_pydantic_internals() -> None:
    texts = [
        "client: 1\nmission: [a]\npillars:\n  - id: ''\n  - name: x\n  - 3\nreview_cadence: 7\n"
        "scoring:\n  scale: abc\n  criteria: [a, b]\n  select_threshold: high\n  max_kpis_per_objective: 0\n"
        "status: []\nreport:\n  title: [x]\n",
    ]
    for text in texts:
        for line in problems(text):
            assert line.startswith("engagement.yaml:")
            for internal in ("Input should", "String should", "pattern", "validation", "Field required",
                             "dictionary", "instance of", "loc", "type="):
                assert internal not in line, line


def test_docstring_examples_are_true() -> None:
    import doctest

    import kpikit.data.config

    result = doctest.testmod(kpikit.data.config)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_choice_left_blank_is_called_empty_not_none() -> None:
    text = "client: Acme\nmission: Build\npillars:\n  - id: P1\n    name: One\nreview_cadence:\n"
    assert problems(text) == ["engagement.yaml:6: review_cadence is empty"]
