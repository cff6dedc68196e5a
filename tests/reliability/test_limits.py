"""Bounded resources: a clear message instead of a hang, a killed kernel or an error of gigabytes (issue 10).

Each hostile input runs ``kpikit validate`` in a fresh Python process that reports its
peak memory (``resource.getrusage``: the peak resident size, after the imports) and the
time validation took. Every case must end with exit 1, a ``FILE:LINE`` (or ``FILE:``)
message naming the limit, in a few seconds and a bounded amount of memory, and every
line it prints is short (``limits.MAX_MESSAGE_CHARS``). The limits themselves are in
``kpikit/data/limits.py`` and documented in ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from support import write_minimal_client

from kpikit.data import limits
from kpikit.data.store import load_engagement
from kpikit.report.sections.cover import logo_data_uri

MEASURE = r"""
import contextlib, io, json, resource, sys, time
def hwm():  # this process's peak RSS in kB (ru_maxrss keeps the forking parent's)
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
import kpikit.cli, kpikit.data.store  # the imports are the baseline, not the input's cost
from kpikit.cli import main
before = hwm()
out, err = io.StringIO(), io.StringIO()
start = time.perf_counter()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(["validate", sys.argv[1]])
seconds = time.perf_counter() - start
peak = hwm()
text = out.getvalue()
print(json.dumps({"code": code, "seconds": seconds, "grew_mb": (peak - before) / 1024, "out_chars": len(text),
                  "lines": text.splitlines()[:2000], "n_lines": len(text.splitlines()), "err": err.getvalue()[-4000:]}))
"""
MAX_GROWTH_MB = 300
"""Memory a rejected input may cost above the imports (the largest case, a CSV of 500,000 rows, about 130)."""
MAX_SECONDS = 15
"""Wall time for validation of any case here (each takes under 3 s on the 2-core test machine)."""
LINE_CHARS = limits.MAX_MESSAGE_CHARS + 40  # 'FILE:LINE: ' before the bounded message


def _measure(folder: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(folder)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _check(result: dict[str, object], first: str) -> list[str]:
    lines = result["lines"]
    assert isinstance(lines, list)
    assert result["code"] == 1, result
    assert "Traceback" not in str(result["err"])
    assert any(line.startswith(first) for line in lines), lines[:5]
    assert all(len(line) <= LINE_CHARS for line in lines), max(lines, key=len)
    assert float(result["seconds"]) < MAX_SECONDS, result["seconds"]  # type: ignore[arg-type]
    assert float(result["grew_mb"]) < MAX_GROWTH_MB, result["grew_mb"]  # type: ignore[arg-type]
    return [str(line) for line in lines]


def _client(tmp_path: Path) -> Path:
    return write_minimal_client(tmp_path / "client")


def _append_yaml(folder: Path, text: str) -> None:
    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + text, encoding="utf-8")


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` zero bytes that takes no disk space (what matters is what the reader does with it)."""
    with path.open("wb") as fh:
        fh.truncate(size)


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each level lists the previous one nine times (9**9 values once expanded)."""
    out = ['a0: &a0 "lol"']
    out += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(out) + "\n"


def test_an_alias_bomb_at_a_number_field(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _append_yaml(folder, alias_bomb() + "status:\n  amber_tolerance: *a9\n")
    lines = _check(_measure(folder), "engagement.yaml:")
    assert f"expands (through aliases, *name) to more than {limits.MAX_YAML_NODES:,} values" in lines[0]


def test_hundreds_of_thousands_of_keys(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _append_yaml(folder, "".join(f"k{i}: {i}\n" for i in range(300_000)))
    [line] = _check(_measure(folder), "engagement.yaml: is ")
    assert line.endswith(f"; engagement.yaml may be at most {limits.size_text(limits.CONFIG.max_bytes)} (see docs/reliability.md)")


def test_many_keys_within_the_size_limit_stop_at_the_value_limit(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _append_yaml(folder, "".join(f"k{i}: 1\n" for i in range(25_000)))  # about 230 KB, under the size limit
    assert (folder / "engagement.yaml").stat().st_size < limits.CONFIG.max_bytes
    [line] = _check(_measure(folder), "engagement.yaml:")
    assert f"has more than {limits.MAX_YAML_NODES:,} values" in line


def test_a_huge_yaml_file_is_refused_before_reading(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _sparse(folder / "engagement.yaml", 4 * 1024**3)
    [line] = _check(_measure(folder), "engagement.yaml: is 4096 MB")
    assert "may be at most 256 KB" in line


@pytest.mark.parametrize("deep", ["[" * 100_000 + "]" * 100_000, "{a: " * 20_000 + "1" + "}" * 20_000])
def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path: Path, deep: str) -> None:
    folder = _client(tmp_path)
    _append_yaml(folder, f"extra: {deep}\n")
    [line] = _check(_measure(folder), "engagement.yaml:7:")
    assert f"is nested more than {limits.MAX_YAML_DEPTH} levels deep" in line


def test_a_chain_of_aliases_is_bounded_in_depth(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    chain = "c0: &c0 x\n" + "".join(f"c{i}: &c{i} [*c{i - 1}]\n" for i in range(1, 100))
    _append_yaml(folder, chain)
    [line] = _check(_measure(folder), "engagement.yaml:")
    assert "is nested (through aliases, *name) more than" in line


def test_a_300_mb_logo(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _append_yaml(folder, "report:\n  logo: logo.png\n")
    _sparse(folder / "logo.png", 300 * 1024 * 1024)
    assert _check(_measure(folder), "engagement.yaml:8:") == [
        f"engagement.yaml:8: report.logo 'logo.png' is 300 MB; the logo may be at most "
        f"{limits.size_text(limits.LOGO.max_bytes)} (see docs/reliability.md)"
    ]


def test_the_report_never_reads_a_logo_above_the_limit(tmp_path: Path) -> None:
    """Validated with a small logo, then replaced by a huge one: the cover reads none of it."""
    folder = _client(tmp_path)
    _append_yaml(folder, "report:\n  logo: logo.png\n")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    eng = load_engagement(folder)
    _sparse(folder / "logo.png", 300 * 1024 * 1024)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        assert logo_data_uri(eng) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
    assert time.perf_counter() - start < 1


def test_a_huge_csv_file_is_refused_before_reading(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    _sparse(folder / "actuals.csv", 2 * 1024**3)
    assert _check(_measure(folder), "actuals.csv: is") == [
        f"actuals.csv: is 2048 MB; a CSV file may be at most {limits.size_text(limits.CSV.max_bytes)} (see docs/reliability.md)"
    ]


def test_a_csv_of_more_rows_than_the_limit(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    (folder / "changes.csv").write_text("date,item_id,change\n" + "2026-01-01,O1,x\n" * (limits.MAX_CSV_ROWS + 5), encoding="utf-8")
    lines = _check(_measure(folder), f"changes.csv:{limits.MAX_CSV_ROWS + 2}: has more than {limits.MAX_CSV_ROWS:,} data rows")
    assert len(lines) == 1


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        (20 * 1024 * 1024, "is longer than a cell may be"),  # above the csv module's own field limit
        (100_000, f"a cell may have at most {limits.MAX_CELL_CHARS:,}"),
    ],
    ids=["20MB", "100k"],
)
def test_a_huge_cell(tmp_path: Path, cell: int, says: str) -> None:
    folder = _client(tmp_path)
    (folder / "metrics.csv").write_text(
        (folder / "metrics.csv").read_text(encoding="utf-8") + "M2," + "x" * cell + ",d,,%,up,quarterly,,,\n", encoding="utf-8"
    )
    lines = _check(_measure(folder), "metrics.csv:3:")
    assert says in lines[0]


def test_error_output_of_many_long_bad_rows_is_bounded(tmp_path: Path) -> None:
    """Thousands of rows, each wrong in several ways with long values: the output is capped, not hundreds of MB."""
    folder = _client(tmp_path)
    junk = "z" * 3_000
    (folder / "actuals.csv").write_text(
        "metric_id,period,value\n" + f"M9,{junk},{junk}\n" * 5_000, encoding="utf-8"
    )
    (folder / "kpis.csv").write_text(
        "objective_id,metric_id,target,target_period\n" + "".join(f"Q{i},W{i},{junk},20x\n" for i in range(5_000)),
        encoding="utf-8",
    )
    result = _measure(folder)
    lines = _check(result, "actuals.csv:2:")
    assert int(result["n_lines"]) <= limits.MAX_PROBLEMS + 1  # type: ignore[call-overload]
    assert int(result["out_chars"]) < (limits.MAX_PROBLEMS + 1) * LINE_CHARS  # type: ignore[call-overload]
    assert any("more rows with the same problem" in line for line in lines)


def test_a_header_of_a_hundred_thousand_columns(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    (folder / "org_units.csv").write_text(",".join(f"col{i}" for i in range(100_000)) + "\nU1\n", encoding="utf-8")
    assert _check(_measure(folder), "org_units.csv:1:") == [
        f"org_units.csv:1: has 100,000 columns in its header, more than the {limits.MAX_CSV_COLUMNS} a table may have "
        "(see docs/reliability.md): is this the right file?"
    ]


def test_a_wide_header_within_the_limit_is_quoted_short(tmp_path: Path) -> None:
    folder = _client(tmp_path)
    names = ",".join("c" * 60 + str(i) for i in range(limits.MAX_CSV_COLUMNS))
    (folder / "org_units.csv").write_text(names + "\nU1\n", encoding="utf-8")
    lines = _check(_measure(folder), "org_units.csv:1: missing required column")
    assert "…" in lines[0]


@pytest.mark.parametrize(
    ("write", "first"),
    [
        (lambda f: _append_yaml(f, "scoring:\n  criteria:\n    " + "c" * 1000 + ": -1\n"), "engagement.yaml:9:"),
        (lambda f: _append_yaml(f, "scoring:\n  criteria:\n    " + "c" * 100_000 + ": -1\n"), "engagement.yaml:9:"),
        (lambda f: _append_yaml(f, "review_cadence: '" + "w" * 200_000 + "'\n"), "engagement.yaml:7:"),
        (lambda f: _append_yaml(f, "pillars: [" + ", ".join(["x" * 50] * 2000) + "]\n"), "engagement.yaml:"),
    ],
    ids=["criterion-name", "criterion-name-too-long-for-yaml", "long-choice", "long-list"],
)
def test_values_quoted_in_settings_messages_are_cut_short(tmp_path: Path, write: Callable[[Path], None], first: str) -> None:
    folder = _client(tmp_path)
    write(folder)
    _check(_measure(folder), first)


def test_limits_are_far_above_a_real_engagement() -> None:
    """The demo client, the largest real folder in the repository, uses a small share of every limit."""
    demo = Path(__file__).resolve().parents[2] / "clients" / "demo-harbor"
    sizes = {p.name: p.stat().st_size for p in demo.iterdir() if p.is_file()}
    assert sizes["engagement.yaml"] * 20 < limits.CONFIG.max_bytes
    assert max(v for k, v in sizes.items() if k.endswith(".csv")) * 100 < limits.CSV.max_bytes
    assert os.path.getsize(demo / "engagement.yaml") > 0
