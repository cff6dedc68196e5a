"""``kpikit validate`` on the broken-engagement corpus: exact messages, exit 1, nothing touched.

Every folder under ``tests/fixtures/broken/`` breaks one thing (``many_problems`` many) and
says in ``expected.txt`` exactly which ``FILE:LINE: message`` lines a consultant must see.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES

from kpikit.cli import main

BROKEN = FIXTURES / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expected.txt").exists())

sys.path.insert(0, str(BROKEN))
import make_corpus  # noqa: E402


def _hashes(folder: Path) -> dict[str, str]:
    """Every path under the folder (files and folders) with its content hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
        for p in sorted(folder.rglob("*"))
    }


def _expected(case: str) -> list[str]:
    return (BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()


def test_corpus_covers_every_kind_of_bad_input() -> None:
    wanted = {
        "unknown_org_unit", "unknown_metric_in_scores", "unknown_raci_stakeholder", "duplicate_id_in_file",
        "duplicate_id_across_files", "org_unit_cycle", "objective_cycle", "two_roots", "no_root",
        "malformed_dates", "malformed_periods", "non_numeric_values", "period_wrong_frequency",
        "duplicate_actuals", "missing_required_columns", "missing_required_file", "missing_criterion_column",
        "score_outside_scale", "baseline_without_period", "bad_choices", "yaml_syntax_error", "yaml_is_a_list",
        "yaml_empty", "yaml_bad_values", "empty_csv", "header_only_optional_files", "bom",
        "windows_line_endings", "quoted_fields", "non_utf8", "too_many_fields", "header_case_and_spaces",
        "unknown_extra_column", "many_problems", "unclosed_quote", "unnamed_column_with_values",
        "semicolon_separated", "utf16", "misnamed_file",
    }
    assert wanted <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_corpus_folders_match_their_generator(case: str, tmp_path: Path) -> None:
    """The committed folders are exactly what make_corpus.py writes (no hand edits drifting)."""
    spec = next(c for c in make_corpus.CASES if c.name == case)
    fresh = make_corpus.write_case(spec, tmp_path)
    assert _hashes(fresh) == _hashes(BROKEN / case)


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_exactly_the_expected_problems(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / case
    shutil.copytree(BROKEN / case, folder)
    before = _hashes(folder)

    code = main(["validate", str(folder)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == _expected(case)
    n = len(_expected(case))
    assert err.strip() == f"{folder}: {n} input error{'s' if n != 1 else ''}"
    assert "Traceback" not in out + err
    assert _hashes(folder) == before, "validate must not modify, create or delete any file"


def _console_script() -> str:
    found = shutil.which("kpikit", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    assert found, "the kpikit console script is not installed (pip install -e .)"
    return found


@pytest.mark.parametrize("case", ["many_problems", "non_utf8"])
def test_console_script_prints_problems_without_traceback(case: str, tmp_path: Path) -> None:
    folder = tmp_path / case
    shutil.copytree(BROKEN / case, folder)
    before = _hashes(folder)

    proc = subprocess.run([_console_script(), "validate", str(folder)], capture_output=True, text=True, timeout=120)

    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == _expected(case)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert _hashes(folder) == before


def test_valid_minimal_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "valid_minimal"
    shutil.copytree(FIXTURES / "valid_minimal", folder)
    before = _hashes(folder)

    code = main(["validate", str(folder)])

    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "valid engagement for Minimal Manufacturing" in out
    assert "3 org units, 3 objectives, 3 metrics" in out
    assert "outstanding: Actuals collection (actuals.csv)" in out
    assert _hashes(folder) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere", "no such folder"),
        (lambda p: p, "not an engagement folder"),
    ],
)
def test_not_an_engagement_is_a_clean_error(
    make: object, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    code = main(["validate", str(target)])
    out, err = capsys.readouterr()
    assert code == 1
    assert message in err
    assert "Traceback" not in out + err


def test_bad_period_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", str(FIXTURES / "valid_minimal"), "--period", "2026-13"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --period: '2026-13' is not a period (YYYY, YYYY-Qn or YYYY-MM)" in err
    assert "Traceback" not in err


def test_findings_option_lists_each_finding(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(FIXTURES / "valid_minimal"), "--period", "2026-Q1", "--findings"])
    out = capsys.readouterr().out
    assert code == 0
    # O3 has no due date: a SMART finding, not an input error
    assert any("OBJECTIVE_NOT_SMART" in line and "O3" in line for line in out.splitlines())


def test_output_piped_into_a_reader_that_stops_early_ends_without_traceback() -> None:
    # `kpikit validate DIR --findings | head -1`: the reader is gone before kpikit writes
    proc = subprocess.Popen([_console_script(), "validate", "clients/demo-harbor", "--findings"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err
    assert "BrokenPipe" not in err
