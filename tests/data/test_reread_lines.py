"""A file another editor saved is read again at the cost of its changed lines (csvio.reread_changed).

A save after someone else's save (and Reload) merges the files that changed. A one-row edit
of a 100,000-row actuals file used to cost a parse and a typing of every row; now a line that
is byte for byte a line of the file as this editor last read it keeps its checked row, and
only the other lines are parsed and checked. The result must be exactly what a whole load
gives: tables, dtypes, lines, headers, fingerprints, number spellings, or the same errors.
Each edit below is a change to the text of a file, as another editor, a spreadsheet or a
text editor would make it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scaleclient import write_client
from support import (
    DEMO,
    FIXTURES,
    assert_same_engagement,
    assert_same_verdict,
    copy_client,
    verdict,
)

import kpikit.data.csvio as csvio
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement, refresh_engagement
from kpikit.errors import EngagementError

TextEdit = Callable[[list[str]], list[str]]
"""An edit of a file's lines (header first, no line ends)."""


def _change_value(lines: list[str]) -> list[str]:
    i = len(lines) // 2
    cells = lines[i].split(",")
    cells[2] = "12.50"  # a spelling the canonical form writes as 12.5: kept on the next save
    return [*lines[:i], ",".join(cells), *lines[i + 1 :]]


def _delete_line(lines: list[str]) -> list[str]:
    return [*lines[:3], *lines[4:]]


def _append_line(lines: list[str]) -> list[str]:
    cells = lines[1].split(",")
    cells[1] = "2031-Q1" if "-Q" in cells[1] else ("2031-01" if "-" in cells[1] else "2031")
    return [*lines, ",".join(cells)]


def _swap_lines(lines: list[str]) -> list[str]:
    out = list(lines)
    out[2], out[-1] = out[-1], out[2]
    return out


def _blank_and_comment(lines: list[str]) -> list[str]:
    return [lines[0], "", "# checked with the finance team", *lines[1:4], ",,,", *lines[4:]]


def _bad_values(lines: list[str]) -> list[str]:
    out = list(lines)
    for i in (3, 5):
        cells = out[i].split(",")
        cells[2] = "n/a"
        out[i] = ",".join(cells)
    return out


def _duplicate_row(lines: list[str]) -> list[str]:
    return [*lines, lines[4]]


def _reversed_rows(lines: list[str]) -> list[str]:
    return [lines[0], *reversed(lines[1:])]


def _header_renamed(lines: list[str]) -> list[str]:
    return [lines[0].replace("value", "Value"), *lines[1:]]


def _quoted_note(lines: list[str]) -> list[str]:
    cells = lines[2].split(",")
    cells[-1] = '"late, confirmed by the CFO"'
    return [*lines[:2], ",".join(cells), *lines[3:]]


def _too_many_fields(lines: list[str]) -> list[str]:
    return [*lines[:2], lines[2] + ",extra", *lines[3:]]


EDITS: dict[str, TextEdit] = {
    "a value changed": _change_value,
    "a line deleted": _delete_line,
    "a line appended": _append_line,
    "two lines swapped": _swap_lines,
    "blank and comment lines": _blank_and_comment,
    "two bad values": _bad_values,
    "a duplicate row": _duplicate_row,
    "every row reversed": _reversed_rows,
    "the header respelled": _header_renamed,
    "a quoted note": _quoted_note,
    "a line with too many fields": _too_many_fields,
}
FAST = {"a value changed", "a line deleted", "a line appended", "two lines swapped", "blank and comment lines",
        "two bad values", "a duplicate row", "every row reversed", "a quoted note"}
"""Edits read at the cost of their changed lines; the others fall back to reading the whole file."""


@pytest.fixture(scope="module", params=["demo", "plan-sized", "school plan"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, a generated plan-sized client, and a real state education plan converted as a new user would."""
    root = tmp_path_factory.mktemp(request.param.replace(" ", "-"))
    if request.param == "school plan":
        return copy_client(FIXTURES / "school_plan", root)
    return copy_client(DEMO, root) if request.param == "demo" else write_client(root / "plan")


RECORD = ("fingerprints", "spellings", "texts")
"""What a re-read must leave in the store's record exactly as a whole load does, besides lines and headers."""


def _assert_same(fresh: Engagement, whole: Engagement) -> None:
    assert_same_engagement(fresh, whole, *RECORD)


def _write(path: Path, edit: TextEdit, eol: str = "\n") -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_bytes((eol.join(edit(lines)) + eol).encode("utf-8"))


def _count_fast(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    taken: list[bool] = []
    real = csvio.reread_changed

    def spy(*args: object, **kw: object) -> object:
        out = real(*args, **kw)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    import kpikit.data.store as store

    monkeypatch.setattr(store, "reread_changed", spy)
    return taken


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_reread_of_changed_lines_is_a_whole_load(
        source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    folder = copy_client(source, tmp_path, "copy")
    mine = load_engagement(folder)
    _write(folder / "actuals.csv", EDITS[edit])
    taken = _count_fast(monkeypatch)
    fresh = verdict(lambda: refresh_engagement(mine))
    whole = verdict(lambda: load_engagement(folder))
    assert taken == [edit in FAST]
    assert_same_verdict(fresh, whole, *RECORD)


def test_bad_lines_are_named_by_their_line_in_the_new_file(tmp_path: Path) -> None:
    folder = copy_client(DEMO, tmp_path, "copy")
    mine = load_engagement(folder)
    _write(folder / "actuals.csv", lambda lines: _bad_values(_blank_and_comment(lines)))
    with pytest.raises(EngagementError) as exc:
        refresh_engagement(mine)
    where = sorted(p.line for p in exc.value.problems if p.file == "actuals.csv")
    assert where == [4, 6]  # header, blank line, comment, then rows: lines 4 and 6 are the two spoiled rows
    text = (folder / "actuals.csv").read_text(encoding="utf-8").splitlines()
    assert all("n/a" in text[line - 1] for line in where)


def test_a_crlf_file_saved_again_with_the_same_rows_keeps_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Line ends changed from LF to CRLF (a Windows editor): every line is the same text, nothing is parsed again."""
    folder = copy_client(DEMO, tmp_path, "copy")
    mine = load_engagement(folder)
    _write(folder / "actuals.csv", _change_value, eol="\r\n")
    taken = _count_fast(monkeypatch)
    fresh = refresh_engagement(mine)
    assert taken == [True]
    _assert_same(fresh, load_engagement(folder))


def test_saves_and_rereads_in_turn_stay_a_whole_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mine saves, theirs changes the file, mine re-reads, saves again, re-reads again: the record's text of each
    file follows every save and re-read, so every re-read is still exact and still fast."""
    folder = copy_client(DEMO, tmp_path, "copy")
    mine = load_engagement(folder)
    taken = _count_fast(monkeypatch)
    for round_ in range(3):
        a = mine.tables["actuals"]
        a.loc[a.index[round_], "value"] = 1000.0 + round_
        mine.save()
        _write(folder / "actuals.csv", [_append_line, _change_value, _delete_line][round_])
        mine = refresh_engagement(mine)
        _assert_same(mine, load_engagement(folder))
    assert taken == [True, True, True]


def _as_whole_load(old: bytes, new: bytes, file: str) -> None:
    """reread_changed on ``new`` either declines (None: the whole file is read) or gives a whole load's rows and lines."""
    before, _ = csvio.parse_csv(old, file)
    whole, _ = csvio.parse_csv(new, file)
    assert before is not None
    assert whole is not None
    got = csvio.reread_changed(old, new, before.lines, file)
    if got is None:
        return
    part, match, lines = got
    fresh = iter(part.rows)
    rows = [before.rows[m] if m >= 0 else next(fresh) for m in match.tolist()]
    assert (rows, lines) == (whole.rows, whole.lines)


@pytest.mark.parametrize(("file", "old", "new"), [
    # CRLF line ends with one LF CR pair: as many CRs as LFs, but not one kind of line end
    ("actuals.csv", b"metric_id,period,value,note\r\nM1,2024-01,1,a\n\rM2,2024-01,2,b\r\n\r\n\r\n",
     b"metric_id,period,value,note\r\nM1,2024-01,1,a\n\rM2,2024-01,2,b\r\nM3,2024-01,3,c\r\n\r\n"),
    # a quoted header cell with a line break in it: not the column name it would be without the break
    ("metrics.csv", b'"sou\nrce",id,name,direction,frequency\nx,M1,a,up,monthly\n',
     b'"sou\nrce",id,name,direction,frequency\nx,M1,a,up,monthly\n#x,M2,b,up,monthly\n'),
    # a quoted note that spans lines, and no line end at the end of the file
    ("actuals.csv", b'metric_id,period,value,note\nM1,2024-01,1,"two\nlines"\nM2,2024-01,2,b',
     b'metric_id,period,value,note\nM1,2024-01,1,"two\nlines"\nM2,2024-01,2,b\nM3,2024-01,3,"c\r\nd"'),
])
def test_odd_line_ends_and_quoted_breaks_read_as_a_whole_load_does(file: str, old: bytes, new: bytes) -> None:
    _as_whole_load(old, new, file)
