"""The 07 notebook's *Export the report* button writes what ``kpikit run`` writes, and says where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kpikit.editors.export import ReportExport, export_button


@pytest.fixture(autouse=True)
def _interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "0")


def _shown_paths(widget: ReportExport) -> list[Path]:
    return [Path(p) for p in re.findall(r"<code>([^<]+)</code>", widget.status.value)]


@pytest.mark.slow
def test_export_writes_the_run_folder_and_shows_the_report(client: Path) -> None:
    before = {p: p.read_bytes() for p in client.rglob("*.csv")}
    widget = ReportExport(client, formats={"html"})
    run_dir = widget.export()
    assert run_dir is not None
    assert run_dir.parent == client.resolve() / "runs"
    report = run_dir / "report.html"
    assert report.is_file()
    assert "Exported in" in widget.status.value
    assert report in _shown_paths(widget)
    assert run_dir in _shown_paths(widget)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["outcome"] == "succeeded"
    assert any("07_report" in line for line in widget.lines)  # the runner's progress lines were shown
    assert not widget.button.disabled
    assert widget.button.description == "Export the report"
    assert {p: p.read_bytes() for p in client.rglob("*.csv") if "runs" not in p.parts} == before

    # nothing changed: the button points at the same run instead of running again
    again = widget.export()
    assert again == run_dir
    assert "Nothing changed since the last export" in widget.status.value
    assert widget.again.layout.display != "none"
    forced = widget.export(force=True)
    assert forced is not None
    assert forced != run_dir
    assert (forced / "report.html").is_file()


def test_input_errors_are_listed_with_file_and_line_and_nothing_is_run(client: Path) -> None:
    with (client / "metrics.csv").open("a", encoding="utf-8") as f:
        f.write("M-BAD,Bad metric,,,,sideways,quarterly,,,\n")
    widget = ReportExport(client)
    assert widget.export() is None
    assert "input errors" in widget.status.value
    assert "metrics.csv:6:" in widget.status.value
    assert not (client / "runs").exists()
    assert not widget.button.disabled


def test_a_bad_period_is_refused_in_words(client: Path) -> None:
    widget = ReportExport(client, period="2026-Q9")
    assert widget.export() is None
    assert "Not exported" in widget.status.value
    assert "period" in widget.status.value
    assert "Traceback" not in widget.status.value
    assert not (client / "runs").exists()


def test_unattended_shows_nothing(client: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    assert export_button(client) is None
    monkeypatch.setenv("KPIKIT_UNATTENDED", "0")
    assert isinstance(export_button(client), ReportExport)
