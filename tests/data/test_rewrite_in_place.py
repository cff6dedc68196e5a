"""The in-place fast path of a save writes byte for byte what the general rewrite writes.

``csvio.rewrite_in_place`` splits a plain file at its line ends instead of parsing it (a save of
one actual in 100,000 was seconds of parsing). It is only right if it is indistinguishable from
``csvio.rewrite_csv``: the same bytes and the same row lines, for every line end, BOM, final line
end, blank or comment line, edited cell and added row; and it must decline the files it does not
handle (quotes, mixed line ends, another header) rather than write them differently.
"""

from __future__ import annotations

import random

import pytest
from support import DEMO

from kpikit.data.csvio import RowSource, rewrite_csv, rewrite_in_place
from kpikit.data.store import load_engagement, record_of

HEADER = ["metric_id", "period", "value", "note"]


def _file(rng: random.Random, n: int) -> tuple[bytes, list[list[str]], list[int], str]:
    eol = rng.choice(["\n", "\r\n"])
    lines = ["" for _ in range(rng.randint(0, 2))]  # blank lines before the header are kept
    lines.append(",".join(f" {h}" if rng.random() < 0.1 else h for h in HEADER))
    rows: list[list[str]] = []
    at: list[int] = []
    for i in range(n):
        if rng.random() < 0.1:
            lines.append(rng.choice(["", " , , ,", "# a comment row"]))
        row = [f"M{i % 7}", f"2026-{1 + i % 12:02d}", rng.choice(["1", "1.50", "1e3", "", "-0"]), rng.choice(["", "ok", " x "])]
        lines.append(",".join(row))
        rows.append([c.strip() for c in row])
        at.append(len(lines))
    if rng.random() < 0.3:
        lines.append("")
    text = eol.join(lines) + (eol if rng.random() < 0.8 else "")
    data = (b"\xef\xbb\xbf" if rng.random() < 0.2 else b"") + text.encode()
    return data, rows, at, eol


@pytest.mark.parametrize("seed", range(60))
def test_the_fast_path_writes_what_the_general_rewrite_writes(seed: int) -> None:
    rng = random.Random(seed)
    data, rows, at, _eol = _file(rng, rng.randint(0, 40))
    new = [list(r) for r in rows]
    changed: dict[int, list[bool]] = {}
    for i in rng.sample(range(len(new)), k=min(len(new), rng.randint(0, 5))):
        j = rng.randrange(len(HEADER))
        new[i][j] = rng.choice(["2", "", "a, with comma", "7.25", new[i][j]])
        changed[i] = [c == o for c, o in zip(new[i], rows[i], strict=True)]
    new += [[f"M{k}", "2027-01", str(k), rng.choice(["", "new"])] for k in range(rng.randint(0, 3))]
    quick = rewrite_in_place(data, HEADER, new, at, changed)
    assert quick is not None
    sources: list[RowSource | None] = [RowSource(at[i], changed.get(i, [True] * len(HEADER))) for i in range(len(rows))]
    full = rewrite_csv(data, HEADER, new, sources + [None] * (len(new) - len(rows)), at)
    assert quick == full


@pytest.mark.parametrize("data", [
    b'a,b\n1,"2"\n',                # quotes: records may span lines
    b"a,b\r\n1,2\n3,4\r\n",          # mixed line ends: the general path normalises them
    b"a,c\n1,2\n",                  # another header
])
def test_files_it_does_not_handle_are_left_to_the_general_rewrite(data: bytes) -> None:
    assert rewrite_in_place(data, ["a", "b"], [["1", "5"]], [2], {0: [True, False]}) is None


def test_one_changed_actual_of_a_client_is_a_one_line_diff(tmp_path: object) -> None:
    """Through the store: a CRLF actuals file keeps every other byte; only the edited line differs."""
    from support import copy_client

    folder = copy_client(DEMO, tmp_path, "copy")  # type: ignore[arg-type]
    path = folder / "actuals.csv"
    before = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    path.write_bytes(before)
    eng = load_engagement(folder)
    i = len(eng.actuals) // 2
    eng.tables["actuals"].at[i, "value"] = float(eng.tables["actuals"].at[i, "value"]) + 1
    eng.save()
    after = path.read_bytes()
    old_lines, new_lines = before.split(b"\r\n"), after.split(b"\r\n")
    assert len(old_lines) == len(new_lines)
    diff = [k for k, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert diff == [record_of(eng).source_lines["actuals"][i] - 1]
