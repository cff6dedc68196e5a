"""Loading and saving an engagement folder: typed tables, round trips, safe writes.

A consultant's folder is the only source of truth, so saving must never lose a byte it
did not mean to change: untouched files keep their bytes, a crash leaves the old file,
a file someone else edited is not overwritten, and every replaced file is backed up.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import DEMO, FIXTURES

import kpikit.data.csvio
from kpikit.data.cells import text_column
from kpikit.data.schema import SPECS
from kpikit.data.store import BACKUP_DIR, list_backups, load_engagement, record_of
from kpikit.errors import EngagementError, NotAnEngagementError, StaleFileError
from kpikit.periods import Period

sys.path.insert(0, str(FIXTURES / "broken"))
import make_corpus

OPTIONAL: dict[str, str] = make_corpus.OPTIONAL
TEXT = pd.Series([], dtype="str").dtype  # pandas' text dtype: str on pandas 3, object on pandas 2


def full_folder(tmp_path: Path) -> Path:
    """valid_minimal plus every optional file: a complete, valid engagement."""
    folder = tmp_path / "client"
    shutil.copytree(FIXTURES / "valid_minimal", folder)
    for name, text in OPTIONAL.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    (folder / "actions.csv").write_text(
        "id,item_id,action,owner,due,status,opened,closed,note\n"
        "A1,O1/M1,Audit the paint line,S1,2026-06-30,open,2026-03-01,,\n"
        "A2,O2,Re-plan the carrier contracts,S2,2026-04-30,done,2026-02-01,2026-04-20,signed\n",
        encoding="utf-8", newline="\n")
    return folder


def quirky_folder(tmp_path: Path) -> Path:
    """A valid folder written the way real tools write files: BOM, CRLF, odd headers, quotes."""
    folder = full_folder(tmp_path)
    (folder / "org_units.csv").write_bytes(
        b"\xef\xbb\xbf ID , Name ,Parent_ID,LEAD \r\nORG,Minimal Manufacturing,,Ann Lee\r\n"
        b"OPS,Operations,ORG,Bo Chen\r\nQA,Quality assurance,OPS,\r\n"
    )
    (folder / "objectives.csv").write_text(
        "id,title,org_unit_id,parent_id,pillar_id,owner,due,description\n"
        '"O1","Cut the defect rate to 1%, then hold it",ORG,,P1,"Lee, Ann",2027-12-31,"Why:\n'
        '- customers return parts,\n- the ""zero defects"" pledge"\n'
        "O2,Ship 98% of orders on time by June 2027,OPS,,P2,Bo Chen,2027-06-30,\n"
        "O3,Audit every key supplier twice a year,QA,O1,,,,\n",
        encoding="utf-8",
        newline="",
    )
    (folder / "metrics.csv").write_text(
        "name,id,direction,frequency,unit,internal_note\n"
        "Defect rate,M1,DOWN,Monthly,%,ask QA\n"
        "On-time delivery,M2,Up,quarterly,%,\n"
        "Supplier audits,M3,up,ANNUAL,count,\"two, per year\"\n",
        encoding="utf-8",
        newline="",
    )
    return folder


def hashes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --- loading ------------------------------------------------------------------------


def test_tables_have_contract_columns_and_dtypes(tmp_path: Path) -> None:
    eng = load_engagement(full_folder(tmp_path))

    for name, spec in SPECS.items():
        df = eng.tables[name]
        assert list(df.columns[: len(spec.columns)]) == spec.column_names, name
        for c in spec.columns:
            if c.kind == "number":
                assert df[c.name].dtype == np.float64, (name, c.name)
            else:
                assert df[c.name].dtype == TEXT, (name, c.name)
    assert eng.kpis["target"].tolist() == [1.0, 98.0]
    assert eng.kpis["weight"].isna().tolist() == [True, False]  # empty cell = missing
    assert eng.objectives["owner"].isna().tolist() == [False, False, True]
    assert eng.metric_scores.columns[2:].tolist() == list(eng.config.scoring.criteria)
    assert eng.client == "Minimal Manufacturing"


def test_absent_optional_files_are_empty_tables_and_outstanding_steps() -> None:
    eng = load_engagement(FIXTURES / "valid_minimal")

    for name in ("metric_scores", "kpis", "stakeholders", "raci", "actuals", "changes"):
        assert not eng.has(name)
        assert eng.tables[name].empty
        assert list(eng.tables[name].columns[: len(SPECS[name].columns)]) == SPECS[name].column_names
    assert eng.has("metrics")
    assert eng.actuals["value"].dtype == np.float64
    assert eng.outstanding_steps()[0] == "Metric scoring workshop (metric_scores.csv)"
    assert len(eng.outstanding_steps()) == 6
    assert eng.review_period() is None


def test_header_only_optional_file_is_present_but_outstanding(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    (folder / "actuals.csv").write_text("metric_id,period,value\n", encoding="utf-8")  # note column left out

    eng = load_engagement(folder)

    assert eng.has("actuals")
    assert eng.actuals.empty
    assert "note" in eng.actuals.columns
    assert eng.outstanding_steps() == ["Actuals collection (actuals.csv)"]


def test_quirks_of_real_files_are_read_as_meant(tmp_path: Path) -> None:
    eng = load_engagement(quirky_folder(tmp_path))

    assert eng.org_units["id"].tolist() == ["ORG", "OPS", "QA"]  # BOM, spaces and case in header
    o1 = eng.objectives.iloc[0]
    assert o1["title"] == "Cut the defect rate to 1%, then hold it"
    assert o1["owner"] == "Lee, Ann"
    assert o1["description"] == 'Why:\n- customers return parts,\n- the "zero defects" pledge'
    assert record_of(eng).source_lines["objectives"] == [2, 5, 6]
    assert eng.metrics["direction"].tolist() == ["down", "up", "up"]  # canonical spelling
    assert eng.metrics["frequency"].tolist() == ["monthly", "quarterly", "annual"]
    assert eng.metrics["internal_note"].tolist()[::2] == ["ask QA", "two, per year"]  # unknown column kept
    assert eng.metrics["definition"].isna().all()  # optional column left out of the file


def test_review_period_override_setting_or_latest_actual(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    eng = load_engagement(folder)
    # actuals hold 2026-01, 2026-02 (monthly), 2026-Q1 and 2025: 2026-Q1 ends last
    assert eng.review_period() == Period.parse("2026-Q1")
    assert eng.review_period("2025-11") == Period.parse("2025-11")

    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text() + "current_period: 2026-Q3\n", encoding="utf-8")
    assert load_engagement(folder).review_period() == Period.parse("2026-Q3")


def test_not_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotAnEngagementError, match="no such folder"):
        load_engagement(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(NotAnEngagementError, match="not a folder"):
        load_engagement(tmp_path / "file.txt")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    shutil.copytree(FIXTURES / "broken" / "many_problems", folder)
    with pytest.raises(EngagementError) as info:
        load_engagement(folder)
    assert {p.file for p in info.value.problems} == {
        "actuals.csv", "kpis.csv", "metrics.csv", "objectives.csv", "org_units.csv", "stakeholders.csv",
    }
    assert len(info.value.problems) == 11
    first = info.value.problems[0]
    assert (first.file, first.line, first.column, first.row) == ("actuals.csv", 3, "metric_id", 1)


def test_copy_is_independent(tmp_path: Path) -> None:
    eng = load_engagement(full_folder(tmp_path))
    dup = eng.copy()
    dup.metrics.loc[0, "name"] = "Scrap rate"
    dup.config.client = "Someone else"
    assert eng.metrics.loc[0, "name"] == "Defect rate"
    assert eng.client == "Minimal Manufacturing"
    assert dup.changed_tables() == ["metrics"]
    assert eng.changed_tables() == []


def test_saving_a_copy_leaves_the_originals_line_map_alone(tmp_path: Path) -> None:
    """A saved copy with a row fewer must not shorten the original's line map (nor its headers).

    The copy used to share ``source_lines``, ``headers`` and ``spellings`` with the
    original; after the copy's save, a problem in the original's last row raised
    IndexError instead of being reported at its line.
    """
    eng = load_engagement(full_folder(tmp_path))
    headers = {k: list(v) for k, v in record_of(eng).headers.items()}
    dup = eng.copy()
    dup.tables["actuals"] = dup.actuals.iloc[:-1]  # drop M3's 2025 actual (line 5)
    dup.tables["metrics"] = dup.metrics.assign(internal_note="ask QA")  # a column the file lacks
    dup.save()
    assert record_of(eng).source_lines["actuals"] == [2, 3, 4, 5]
    assert record_of(eng).headers == headers

    eng.metrics.loc[2, "frequency"] = "monthly"  # M3's actual '2025' no longer fits
    with pytest.raises(EngagementError) as info:
        eng.validate()
    assert [str(p) for p in info.value.problems] == [
        "actuals.csv:5: period '2025' does not fit metric M3's frequency (monthly: YYYY-MM)"
    ]


# --- saving -------------------------------------------------------------------------


def test_save_without_changes_writes_nothing(tmp_path: Path) -> None:
    folder = quirky_folder(tmp_path)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}

    result = load_engagement(folder).save()

    assert result.written == []
    assert result.backup is None
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    assert not (folder / BACKUP_DIR).exists()


def test_round_trip_of_every_table_keeps_the_data(tmp_path: Path) -> None:
    """load -> edit every table -> save -> load gives exactly the edited data."""
    folder = quirky_folder(tmp_path)
    with (folder / "changes.csv").open("a", encoding="utf-8") as fh:
        fh.write('2026-03-15,M2,"Renamed, see ""minutes""",,\n')
    eng = load_engagement(folder)
    for name in SPECS:
        if eng.has(name):  # a real change: the rows in reverse order
            eng.tables[name] = eng.tables[name].iloc[::-1].reset_index(drop=True)
    edited = {k: v.copy() for k, v in eng.tables.items()}

    result = eng.save()

    assert sorted(result.written) == sorted(SPECS[n].file for n in SPECS)
    again = load_engagement(folder)
    for name in SPECS:
        pd.testing.assert_frame_equal(again.tables[name], edited[name], check_like=False)
    assert again.changed_tables() == []
    # the user's header, column order, BOM and CRLF line ends survive a rewrite (files keep their own style)
    assert (folder / "org_units.csv").read_bytes().startswith(b"\xef\xbb\xbf ID , Name ,Parent_ID,LEAD \r\nQA,")
    metrics_text = (folder / "metrics.csv").read_text(encoding="utf-8")
    assert metrics_text.splitlines()[0] == "name,id,direction,frequency,unit,internal_note"
    assert '"two, per year"' in metrics_text
    assert eng.save().written == []  # saved state is the new baseline


def test_changing_one_table_rewrites_only_that_file(tmp_path: Path) -> None:
    folder = quirky_folder(tmp_path)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}
    eng = load_engagement(folder)
    eng.actuals.loc[eng.actuals["period"] == "2026-02", "value"] = 2.1

    result = eng.save()

    assert result.written == ["actuals.csv"]
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}
    assert {k for k in before if before[k] != after[k]} == {"actuals.csv"}
    assert (folder / "actuals.csv").read_text().splitlines()[2] == "M1,2026-02,2.1,"
    assert load_engagement(folder).actuals["value"].tolist() == [2.5, 2.1, 91.0, 4.0]


def test_edited_table_keeps_unknown_column(tmp_path: Path) -> None:
    folder = quirky_folder(tmp_path)
    eng = load_engagement(folder)
    eng.metrics.loc[eng.metrics["id"] == "M2", "name"] = "On-time, in-full delivery"

    eng.save()

    again = load_engagement(folder)
    assert again.metrics["internal_note"].tolist()[::2] == ["ask QA", "two, per year"]
    assert again.metrics.loc[1, "name"] == "On-time, in-full delivery"
    assert "internal_note" in (folder / "metrics.csv").read_text().splitlines()[0]


def test_new_optional_table_is_written_with_every_column(tmp_path: Path) -> None:
    folder = tmp_path / "client"
    shutil.copytree(FIXTURES / "valid_minimal", folder)
    eng = load_engagement(folder)
    eng.tables["changes"] = pd.DataFrame(
        {"date": ["2026-04-01"], "item_id": ["O1"], "change": ['Target "1%" kept'], "rationale": [np.nan],
         "decided_by": ["Board"]}
    ).apply(text_column)

    result = eng.save()

    assert result.written == ["changes.csv"]
    assert result.backup is None
    assert (folder / "changes.csv").read_text() == (
        'date,item_id,change,rationale,decided_by\n2026-04-01,O1,"Target ""1%"" kept",,Board\n'
    )
    assert eng.has("changes")
    assert load_engagement(folder).has("changes")


def test_invalid_edit_raises_and_writes_nothing(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    before = hashes(folder)
    eng = load_engagement(folder)
    eng.metrics.loc[0, "direction"] = "sideways"
    eng.objectives.loc[2, "org_unit_id"] = "NOWHERE"

    with pytest.raises(EngagementError) as info:
        eng.save()

    assert [str(p) for p in info.value.problems] == [
        "metrics.csv:2: direction 'sideways' is not one of up, down",
        "objectives.csv:4: org_unit_id 'NOWHERE' is not a known org unit (see org_units.csv)",
    ]
    assert hashes(folder) == before
    assert not (folder / BACKUP_DIR).exists()


def test_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    eng = load_engagement(folder)
    someone_else = OPTIONAL["actuals.csv"] + "M1,2026-03,2.2,entered in Excel\n"
    (folder / "actuals.csv").write_text(someone_else, encoding="utf-8")
    eng.actuals.loc[0, "note"] = "checked"

    with pytest.raises(StaleFileError) as info:
        eng.save()

    assert info.value.files == ["actuals.csv"]
    assert "actuals.csv" in str(info.value)
    assert "reload" in str(info.value)
    assert (folder / "actuals.csv").read_text(encoding="utf-8") == someone_else


def test_stale_file_that_is_not_written_does_not_block(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    eng = load_engagement(folder)
    (folder / "changes.csv").write_text(OPTIONAL["changes.csv"] + "2026-04-01,O2,Added,,\n", encoding="utf-8")
    eng.actuals.loc[0, "note"] = "checked"

    assert eng.save().written == ["actuals.csv"]
    assert "2026-04-01,O2" in (folder / "changes.csv").read_text()


@pytest.mark.parametrize("fail", ["replace", "fsync"])
def test_crash_mid_write_keeps_the_original_and_leaves_no_temp_file(
    fail: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = full_folder(tmp_path)
    original = (folder / "actuals.csv").read_bytes()
    eng = load_engagement(folder)
    eng.actuals.loc[0, "value"] = 9.9

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(kpikit.data.csvio.os, fail, crash)
    with pytest.raises(OSError, match="disk full"):
        eng.save()
    monkeypatch.undo()

    assert (folder / "actuals.csv").read_bytes() == original
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    # the engagement is not confused by the failed attempt: saving again works
    assert eng.save().written == ["actuals.csv"]
    assert load_engagement(folder).actuals.loc[0, "value"] == 9.9


def test_backups_hold_the_replaced_files_and_are_pruned(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    eng = load_engagement(folder)
    versions = [(folder / "actuals.csv").read_bytes()]
    for value in (3.0, 3.1, 3.2):
        eng.actuals.loc[0, "value"] = value
        result = eng.save(keep_backups=2)
        assert result.backup is not None
        assert result.backup.parent == folder / BACKUP_DIR
        assert (result.backup / "actuals.csv").read_bytes() == versions[-1]
        assert sorted(p.name for p in result.backup.iterdir()) == ["actuals.csv"]
        versions.append((folder / "actuals.csv").read_bytes())

    sets = list_backups(folder)
    assert len(sets) == 2  # the oldest of three was pruned
    assert [(s / "actuals.csv").read_bytes() for s in sets] == versions[1:3]
    assert list_backups(tmp_path / "nothing-here") == []


def test_save_error_lines_point_at_the_file_as_it_will_be_written(tmp_path: Path) -> None:
    folder = quirky_folder(tmp_path)  # objectives.csv has a 4-line first record
    before = hashes(folder)
    eng = load_engagement(folder)
    eng.objectives.loc[2, "due"] = "soon"
    with pytest.raises(EngagementError) as info:
        eng.validate()
    assert [str(p) for p in info.value.problems] == ["objectives.csv:4: due 'soon' is not a date (YYYY-MM-DD)"]
    assert hashes(folder) == before  # validate writes nothing


def test_engagement_yaml_with_bom_and_windows_line_endings(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    cfg = folder / "engagement.yaml"
    cfg.write_bytes(b"\xef\xbb\xbf" + cfg.read_text(encoding="utf-8").replace("\n", "\r\n").encode())
    assert load_engagement(folder).client == "Minimal Manufacturing"
    cfg.write_bytes(b"\xef\xbb\xbfclient: Minimal\r\nmission: x\r\npillars:\r\n  - id: P 1\r\n    name: Q\r\n")
    with pytest.raises(EngagementError) as info:
        load_engagement(folder)
    assert str(info.value.problems[0]).startswith("engagement.yaml:4: pillars[1].id 'P 1' is not a valid ID")


def test_non_utf8_engagement_yaml_is_one_problem(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    (folder / "engagement.yaml").write_bytes("client: Caf\xe9 Noir\nmission: x\n".encode("latin-1"))
    with pytest.raises(EngagementError) as info:
        load_engagement(folder)
    assert [str(p) for p in info.value.problems] == ["engagement.yaml:1: is not UTF-8 text (byte 0xe9); save it as UTF-8"]


def test_two_editors_of_one_folder_cannot_overwrite_each_other(tmp_path: Path) -> None:
    folder = full_folder(tmp_path)
    first = load_engagement(folder)
    second = first.copy()
    first.actuals.loc[0, "note"] = "first editor"
    second.actuals.loc[1, "note"] = "second editor"

    first.save()
    with pytest.raises(StaleFileError):
        second.save()

    notes = load_engagement(folder).actuals["note"]
    assert notes.iat[0] == "first editor"
    assert pd.isna(notes.iat[1])  # the second editor's change was refused, not merged


def test_one_cell_edit_gives_a_one_line_diff(tmp_path: Path) -> None:
    """Numbers the user spelled `0.60` or `95.0` keep their spelling when the file is rewritten."""
    folder = tmp_path / "client"
    shutil.copytree(DEMO, folder)
    kpis = folder / "kpis.csv"
    text = kpis.read_text(encoding="utf-8").splitlines()
    # give every number on the second data row a spelling of its own
    cells = text[2].split(",")
    text[2] = ",".join(c + ".0" if c.replace(".", "", 1).isdigit() and "." not in c else c for c in cells)
    kpis.write_text("\n".join(text) + "\n", encoding="utf-8")
    before = kpis.read_text(encoding="utf-8").splitlines()
    eng = load_engagement(folder)
    eng.kpis.loc[0, "target"] = eng.kpis.loc[0, "target"] + 1

    eng.save()

    after = kpis.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [1]
    assert after[2] == before[2]
    assert after[2].endswith(",1.0")  # the spelling given above, kept


def test_a_fresh_folder_names_its_empty_required_files_as_outstanding_steps(tmp_path: Path) -> None:
    from kpikit.kit.scaffold import create_engagement

    folder = tmp_path / "fresh"
    create_engagement(folder, client="Fresh Co")
    steps = load_engagement(folder).outstanding_steps()
    assert steps[:3] == ["Organisation structure (org_units.csv)", "Objectives (objectives.csv)",
                         "Candidate metrics (metrics.csv)"]
    assert len(steps) == 9
