"""Turning raw text tables into typed, checked tables, reporting every problem.

The one entry point is :func:`validate`: raw tables (from CSV files, an Excel workbook
or an editor's in-memory edit) go in; a plain :class:`Validated` result (settings, typed
frames, and what the store keeps to write them back) comes out, from which
:func:`kpikit.data.store.build_engagement` builds the
:class:`~kpikit.data.model.Engagement`; or an :class:`~kpikit.errors.EngagementError`
listing every problem at once.
Checks are vectorised with pandas so that a 100,000-row actuals file validates in
well under a second; problems are only materialised for the rows that fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kpikit.data import limits
from kpikit.data.cells import TEXT_DTYPE, empty_text_column, text_column
from kpikit.data.config import ID_PATTERN, EngagementConfig, parse_config
from kpikit.data.csvio import RawTable, format_column, frame_cells
from kpikit.data.schema import CONFIG_FILE, SPECS, TABLES, Column, TableSpec, spec_for_scores
from kpikit.data.sources import source_problems
from kpikit.errors import EngagementError, Problem
from kpikit.periods import (
    FORM_PATTERNS,
    FORMS,
    NOT_A_PERIOD,
    PERIOD_PATTERN,
    Period,
    foreign_digit_hint,
)

NUMBER_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
"""A number as the files write it: ASCII digits only (``\\d`` would let ``١٢`` through, to be read as no data)."""
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
MAX_PROBLEMS_PER_RULE = 200
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "kpis": ("objective_id", "metric_id"),
    "milestones": ("objective_id", "metric_id", "period"),
    "metric_scores": ("objective_id", "metric_id"),
    "actuals": ("metric_id", "period"),
    "stakeholders": ("id",),
}
"""Columns that identify a row of the tables that hold numbers."""
ID_TABLES = ("org_units", "objectives", "metrics", "stakeholders")
"""The tables that share the engagement's one ID space (with the pillars)."""


@dataclass
class RawEngagement:
    """Everything read from a folder (or workbook) before any checking."""

    folder: str
    config_text: str | None
    tables: dict[str, RawTable]
    problems: list[Problem] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)
    """Each table's file as read (file name -> bytes): a later re-read parses only the lines that changed."""


@dataclass
class Validated:
    """A checked engagement as plain data: what the model is built from, and what the store keeps.

    ``tables`` are the typed frames (contract columns and dtypes); ``present`` the tables
    whose file (or sheet) exists. The rest is the store's: each row's source line, the
    files' hashes, their headers as written and how they spelled numbers (``0.60``).
    """

    folder: str
    config: EngagementConfig
    tables: dict[str, pd.DataFrame]
    present: frozenset[str]
    source_lines: dict[str, list[int]]
    fingerprints: dict[str, str]
    headers: dict[str, list[str]]
    config_text: str | None
    spellings: dict[str, dict[str, dict[tuple[str, ...], str]]]


class _Collector:
    """Collects problems for one table, turning row indexes into source lines."""

    def __init__(self, file: str, lines: Sequence[int], out: list[Problem]) -> None:
        self.file = file
        self.lines = lines
        self.out = out

    def rows(self, mask: pd.Series | np.ndarray, column: str | None, make: Callable[[int], str]) -> None:
        idx = [int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))]
        for n, i in enumerate(idx):
            if n >= MAX_PROBLEMS_PER_RULE:
                self.out.append(Problem(
                    self.file, self.lines[i],
                    f"... and {len(idx) - n} more rows with the same problem as line {self.lines[idx[0]]}, "
                    f"up to line {self.lines[idx[-1]]}",
                    column, i,
                ))
                break
            self.out.append(Problem(self.file, self.lines[i], make(i), column, i))

    def one(self, row: int | None, column: str | None, message: str) -> None:
        line = self.lines[row] if row is not None else 1
        self.out.append(Problem(self.file, line, message, column, row))


def _typed_frame(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> pd.DataFrame:
    """Check cell formats and convert to the declared dtypes."""
    header = raw.header
    present = set(header)
    col = _Collector(raw.file, raw.lines, problems)
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    criteria = set(spec.column_names) - set(SPECS[spec.name].column_names)
    for name in missing:
        what = f"column '{name}': {CONFIG_FILE} lists it as a scoring criterion" if name in criteria else f"required column '{name}'"
        col.one(None, name, f"missing {what} (header has: {limits.shorten(', '.join(header), 200)})")
    data = pd.DataFrame(raw.rows, columns=header, dtype=object) if raw.rows else pd.DataFrame(
        {h: pd.Series([], dtype=object) for h in header}
    )
    out: dict[str, pd.Series] = {}
    for name in header:
        if name in out:
            continue
        picked = data[name]
        s = (picked.iloc[:, 0] if isinstance(picked, pd.DataFrame) else picked).astype(object)
        try:
            c = spec.column(name)
        except KeyError:
            out[name] = _text(s)
            continue
        out[name] = _convert(s, c, col)
    for c in spec.columns:
        if c.name not in out:
            out[c.name] = pd.Series(np.nan, index=data.index, dtype="float64") if c.kind == "number" else \
                empty_text_column(data.index)
    order = [c.name for c in spec.columns] + [h for h in header if h not in spec.column_names]
    return pd.DataFrame({k: out[k] for k in order}, index=pd.RangeIndex(len(data)))


def _text(s: pd.Series) -> pd.Series:
    return text_column(s)


def _convert(s: pd.Series, c: Column, col: _Collector) -> pd.Series:
    empty = (s == "").to_numpy()
    if c.nonempty and empty.any():
        col.rows(empty, c.name, lambda _i: f"{c.name} is empty (required)")
    strs = s.astype("str")

    def shown(i: int) -> str:
        return limits.quote(str(s.iat[i]))

    def hint(i: int) -> str:
        return foreign_digit_hint(str(s.iat[i]))

    if c.kind == "number":
        bad = ~empty & ~strs.str.fullmatch(NUMBER_PATTERN).to_numpy(dtype=bool)
        col.rows(bad, c.name, lambda i: f"{c.name} {shown(i)} is not a number "
                 f"(plain decimal like 1234.5, no % or thousands separators){hint(i)}")
        # Python's float() rounds correctly; pandas' fast parser is off by one unit in the last place for
        # some spellings ('+1.0E30' gave 9.999999999999999e+29): the number must be the one written.
        ok = ~(bad | empty)
        values = np.full(len(strs), np.nan)
        if ok.any():
            values[ok] = [float(t) for t in strs.to_numpy()[ok]]
        nums = pd.Series(values, index=s.index, dtype="float64")
        _unrepresentable(nums, strs, bad | empty, c.name, col)
        nums = nums.where(np.isfinite(nums.to_numpy()) | nums.isna(), np.nan)
        if c.whole:
            part = (nums.notna() & (nums != np.floor(nums))).to_numpy()
            col.rows(part, c.name, lambda i: f"{c.name} {shown(i)} is not a whole number (1, 2, 3, ...)")
        if c.min is None and c.max is None:
            return nums
        below = pd.Series(False, index=nums.index)
        if c.min is not None:
            below = nums <= c.min if c.min_exclusive else nums < c.min
        above = nums > c.max if c.max is not None else pd.Series(False, index=nums.index)
        if c.min is not None and c.max is not None:
            expected = f"between {c.min:g} and {c.max:g}"
        elif c.min is not None:
            expected = f"{'>' if c.min_exclusive else '>='} {c.min:g}"
        else:
            expected = f"<= {c.max:g}"
        col.rows((below | above).to_numpy(), c.name, lambda i: f"{c.name} {limits.shorten(str(s.iat[i]))} is out of range: it must be {expected}")
        return nums
    if c.kind == "enum":
        canon = {ch.lower(): ch for ch in c.choices}
        lowered = strs.str.lower()
        bad = ~empty & ~lowered.isin(list(canon)).to_numpy()
        col.rows(bad, c.name, lambda i: f"{c.name} {shown(i)} is not one of {', '.join(c.choices)}")
        return text_column(lowered.map(canon).where(~(bad | empty), np.nan))
    pattern = {"id": ID_PATTERN, "ref": ID_PATTERN, "period": PERIOD_PATTERN, "date": DATE_PATTERN}.get(c.kind)
    if pattern is not None:
        bad = ~empty & ~strs.str.fullmatch(pattern).to_numpy(dtype=bool)
        if c.kind == "date":
            parsed = pd.to_datetime(strs.where(~(bad | empty), None), format="%Y-%m-%d", errors="coerce")
            impossible = ~bad & ~empty & parsed.isna().to_numpy()
            col.rows(impossible, c.name, lambda i: f"{c.name} {shown(i)} is not a date in the calendar (YYYY-MM-DD)")
        what = {
            "id": "is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')",
            "ref": "is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')",
            "period": NOT_A_PERIOD,
            "date": "is not a date (YYYY-MM-DD)",
        }[c.kind]
        col.rows(bad, c.name, lambda i: f"{c.name} {shown(i)} {what}{hint(i) if c.kind in ('period', 'date') else ''}")
    return _text(s)


def _unrepresentable(nums: pd.Series, strs: pd.Series, skip: np.ndarray, name: str, col: _Collector) -> None:
    """Numbers a float cannot hold: ``1e309`` (read as infinity) and ``1e-400`` (read as 0) are input errors."""
    a = nums.to_numpy()
    huge = np.isinf(a) & ~skip
    col.rows(huge, name, lambda i: f"{name} {limits.quote(str(strs.iat[i]))} is too large to be a number "
             "(the largest is about 1.8e308)")
    zero = (a == 0) & ~skip
    if zero.any():
        mantissa = strs.str.split("[eE]", n=1, regex=True).str[0]
        tiny = zero & mantissa.str.contains("[1-9]", regex=True).fillna(False).to_numpy(dtype=bool)
        col.rows(tiny, name, lambda i: f"{name} {limits.quote(str(strs.iat[i]))} is too small to tell apart from 0: "
                 "write 0 or a larger number")


def validate(raw: RawEngagement) -> Validated:
    """Check everything and type the tables; raise with every problem at once."""
    problems: list[Problem] = list(raw.problems)
    config: EngagementConfig | None = None
    if raw.config_text is None:
        if not any(p.file == CONFIG_FILE for p in raw.problems):
            problems.append(Problem(CONFIG_FILE, None, "is missing: every engagement needs one (client, mission, pillars)"))
    else:
        config, cfg_problems = parse_config(raw.config_text, folder=Path(raw.folder))
        problems.extend(cfg_problems)
    for spec in TABLES:
        if spec.required_file and spec.name not in raw.tables and not any(p.file == spec.file for p in raw.problems):
            problems.append(Problem(spec.file, None, "is missing: it is required"))

    criteria = list(config.scoring.criteria) if config else []
    scale = config.scoring.scale if config else (1.0, 5.0)
    frames: dict[str, pd.DataFrame] = {}
    lines: dict[str, list[int]] = {}
    for spec in TABLES:
        rt = raw.tables.get(spec.name)
        if spec.name == "metric_scores" and config is not None:
            spec = spec_for_scores(criteria, scale)
        if rt is None:
            frames[spec.name] = _empty_frame(spec)
            lines[spec.name] = []
            continue
        frames[spec.name] = _typed_frame(rt, spec, problems)
        lines[spec.name] = rt.lines
    # A table that could not be read (or lacks its id column) is reported once, not
    # again as an "unknown ID" on every row that refers to it.
    unusable = {
        spec.name
        for spec in TABLES
        if (spec.name not in raw.tables and (spec.required_file or any(p.file == spec.file for p in raw.problems)))
        or (spec.name in raw.tables and "id" in spec.column_names and "id" not in raw.tables[spec.name].header)
    }
    if config is None:
        unusable.add("config")
    skipped = {name: set(t.skipped_ids) for name, t in raw.tables.items() if t.skipped_ids}
    _check_references(frames, lines, config, problems, frozenset(unusable), skipped)
    if config is not None and "metrics" not in unusable:  # data sources (contract: Data sources)
        problems.extend(source_problems(frames, lines["metrics"], config, raw.config_text, Path(raw.folder)))
    if problems:
        raise EngagementError(raw.folder, limits.bound_problems(problems))
    assert config is not None
    return Validated(
        folder=raw.folder,
        config=config,
        tables=frames,
        present=frozenset(raw.tables),
        source_lines=lines,
        fingerprints=dict(raw.fingerprints),
        headers={k: (t.header_as_written or t.header) for k, t in raw.tables.items()},
        config_text=raw.config_text,
        spellings={name: sp for name, t in raw.tables.items() if (sp := _number_spellings(t, frames[name], name))},
    )


def revalidate(
    base: Validated,
    present: frozenset[str],
    edited: Mapping[str, pd.DataFrame] | None = None,
    read: Mapping[str, RawTable] | None = None,
    fingerprints: Mapping[str, str] | None = None,
    as_frames: bool = True,
    reread: Mapping[str, tuple[RawTable, np.ndarray, list[int]]] | None = None,
) -> Validated | None:
    """Re-check an engagement that ``base`` validated, after some tables changed: the verdict of
    :func:`validate` on the whole, at the cost of what changed.

    ``edited`` are tables edited in memory (re-checked as :func:`raw_from_frames` would present
    them: lines 2, 3, ... and only the rows not identical to a validated row); ``read`` are tables
    read again from their changed files (all their rows); ``reread`` are changed files read at the
    cost of their changed lines (:func:`~kpikit.data.csvio.reread_changed`: the rows to check, each
    row's old row or -1, each row's line). Every other table of ``present`` is
    taken as ``base`` has it: its cells passed, so only the cross-table rules that read a changed
    table run (:func:`_check_references` with ``touched``), with the settings and the data
    sources checked again as always. ``as_frames``: the tables are an in-memory engagement (header
    names as :func:`raw_from_frames` gives them), not files read again. Returns None when the case is not one this handles (no
    settings, a table missing or with other columns than validated): then validate it whole.
    """
    edited, read, reread = dict(edited or {}), dict(read or {}), dict(reread or {})
    if base.config_text is None:
        return None
    config, problems = parse_config(base.config_text, folder=Path(base.folder))
    if config is None or any(s.required_file and s.name not in present for s in TABLES):
        return None
    criteria, scale = list(config.scoring.criteria), config.scoring.scale
    frames: dict[str, pd.DataFrame] = {}
    lines: dict[str, list[int]] = {}
    headers = {k: v for k, v in base.headers.items() if k in present}
    spellings = {k: v for k, v in base.spellings.items()
                 if k in present and k not in edited and k not in read and k not in reread}
    for spec in TABLES:
        name = spec.name
        if name == "metric_scores":
            spec = spec_for_scores(criteria, scale)
        then = base.tables.get(name)
        if name not in present:
            frames[name], lines[name] = _empty_frame(spec), []
        elif name in read:
            rt = read[name]
            if "id" in spec.column_names and "id" not in rt.header:
                return None
            frames[name] = _typed_frame(rt, spec, problems)
            lines[name] = rt.lines
            headers[name] = rt.header_as_written or rt.header
            if sp := _number_spellings(rt, frames[name], name):
                spellings[name] = sp
        elif name in reread:
            part, match, row_lines = reread[name]
            if then is None or ("id" in spec.column_names and "id" not in part.header):
                return None
            found: list[Problem] = []
            typed = _typed_frame(part, spec, found)
            if list(typed.columns) != list(then.columns):
                return None
            todo = np.flatnonzero(match < 0)
            problems.extend(Problem(p.file, p.line, p.message, p.column, int(todo[p.row]) if p.row is not None else None)
                            for p in found)
            frames[name], lines[name] = _splice(then, match, typed), list(row_lines)
            headers[name] = part.header_as_written or part.header
            merged = _merged_spellings(base.spellings.get(name, {}), frames[name], match,
                                       _number_spellings(part, typed, name), name)
            if merged is None:
                return None
            if merged:
                spellings[name] = merged
        elif name in edited:
            df = edited[name]
            header = [str(c).strip().lower() for c in df.columns]
            if then is None or header != [str(c) for c in then.columns] or header != [str(c) for c in df.columns]:
                return None
            lines[name] = list(range(2, len(df) + 2))
            written = base.headers.get(name) or header
            headers[name] = list(written) if len(written) == len(header) else header
            frames[name], sp = _retype_changed_rows(name, spec, df, then, lines[name], problems)
            if sp:
                spellings[name] = sp
        else:
            if then is None or name not in base.source_lines:
                return None
            frames[name], lines[name] = then, list(base.source_lines[name])
            if as_frames:
                header = [str(c).strip().lower() for c in then.columns]
                written = base.headers.get(name) or header
                headers[name] = list(written) if len(written) == len(header) else header
    touched = frozenset(edited) | frozenset(read) | frozenset(reread)
    _check_references(frames, lines, config, problems, frozenset(), {}, touched=touched)
    if "metrics" in frames:
        problems.extend(source_problems(frames, lines["metrics"], config, base.config_text, Path(base.folder)))
    if problems:
        raise EngagementError(base.folder, limits.bound_problems(problems))
    return Validated(
        folder=base.folder, config=config, tables=frames, present=present, source_lines=lines,
        fingerprints=dict(fingerprints if fingerprints is not None else base.fingerprints), headers=headers,
        config_text=base.config_text, spellings=spellings,
    )


def _retype_changed_rows(
    name: str, spec: TableSpec, df: pd.DataFrame, then: pd.DataFrame, lines: list[int], problems: list[Problem]
) -> tuple[pd.DataFrame, dict[str, dict[tuple[str, ...], str]]]:
    """An edited table typed as :func:`_typed_frame` would type all of it, checking only rows that are not
    validated rows unchanged (:func:`kpikit.data.rowdiff.matched_rows`); problems name the rows' full places."""
    from kpikit.data.rowdiff import matched_rows

    match = matched_rows(df, then)
    todo = np.flatnonzero(match < 0)
    header = [str(c) for c in df.columns]
    rt = RawTable(SPECS[name].file, header, frame_cells(df.iloc[todo], strip=True), [lines[i] for i in todo], header)
    found: list[Problem] = []
    part = _typed_frame(rt, spec, found)
    problems.extend(Problem(p.file, p.line, p.message, p.column, int(todo[p.row]) if p.row is not None else None)
                    for p in found)
    return _splice(then, match, part), _number_spellings(rt, part, name)


def _splice(then: pd.DataFrame, match: np.ndarray, part: pd.DataFrame) -> pd.DataFrame:
    """A table whose row ``i`` is ``then``'s row ``match[i]``, or the next row of ``part`` where ``match[i]`` is -1
    (``part`` typed as the whole table would be: its dtypes win)."""
    todo = np.flatnonzero(match < 0)
    keep = np.flatnonzero(match >= 0)
    if not len(keep):
        return part
    old = then.iloc[match[keep]]
    if not len(todo):
        return old.reset_index(drop=True)
    order = np.empty(len(match), dtype=np.int64)
    order[keep], order[todo] = np.arange(len(keep)), len(keep) + np.arange(len(todo))
    both = pd.concat([old, part], ignore_index=True).take(order).reset_index(drop=True)
    return both.astype(part.dtypes.to_dict()) if not both.dtypes.equals(part.dtypes) else both


def _merged_spellings(
    old: Mapping[str, dict[tuple[str, ...], str]], frame: pd.DataFrame, match: np.ndarray,
    new: Mapping[str, dict[tuple[str, ...], str]], table: str,
) -> dict[str, dict[tuple[str, ...], str]] | None:
    """The number spellings of a re-read table (``frame``): the old ones that still hold, and the re-read rows'.

    An old entry ``(*key, canonical) -> as written`` holds when a row kept from the old version
    (``match >= 0``) has that key and that canonical value: then its text, and so its spelling,
    is the one the entry was taken from. Entries of rows gone or changed (in the file, or by a
    save of this editor that wrote another value) are dropped. None when the key repeats
    among the kept rows (the table is then refused; a whole load says why).
    """
    key = ROW_KEYS.get(table)
    out: dict[str, dict[tuple[str, ...], str]] = {}
    if key and old and all(k in frame.columns for k in key):
        kept = np.flatnonzero(match >= 0)
        index = pd.MultiIndex.from_arrays([frame[k].iloc[kept].astype("str").to_numpy() for k in key])
        if not index.is_unique:
            return None
        for column, cells in old.items():
            if column not in frame.columns or not cells:
                continue
            entries = list(cells.items())
            at = index.get_indexer(pd.MultiIndex.from_tuples([k[:-1] for k, _v in entries]))
            found = at >= 0
            now = format_column(frame[column].iloc[kept[at[found]]]) if found.any() else []
            canon = iter(now)
            holds = {k: v for (k, v), f in zip(entries, found, strict=True) if f and next(canon) == k[-1]}
            if holds:
                out[column] = holds
    for column, cells in new.items():
        out.setdefault(column, {}).update(cells)
    return out


def _number_spellings(raw: RawTable, df: pd.DataFrame, table: str) -> dict[str, dict[tuple[str, ...], str]]:
    """How the file spelled numbers that the canonical form writes differently, cell by cell.

    ``0.60`` and ``95.0`` load as 0.6 and 95; when the table is saved after an edit,
    these spellings are written back, so a one-cell edit gives a one-line diff. Cells
    are identified by the table's key (``ROW_KEYS``) and their value, so rows may move.
    Returns ``{column: {(*key, canonical): as written}}`` where they differ.
    """
    key = ROW_KEYS.get(table)
    if not key or not raw.rows or any(k not in df.columns for k in key):
        return {}
    keys = list(zip(*(df[k].astype("str").tolist() for k in key), strict=True))
    out: dict[str, dict[tuple[str, ...], str]] = {}
    for j, name in enumerate(raw.header):
        if name not in df.columns or df[name].dtype != np.float64:
            continue
        canonical = format_column(df[name])
        diff = {
            (*k, c): row[j]
            for k, c, row in zip(keys, canonical, raw.rows, strict=True)
            if c and c != row[j]
        }
        if diff:
            out[name] = diff
    return out


def _empty_frame(spec: TableSpec) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: pd.Series([], dtype="float64" if c.kind == "number" else TEXT_DTYPE) for c in spec.columns}
    )


def _check_references(
    f: dict[str, pd.DataFrame],
    lines: dict[str, list[int]],
    config: EngagementConfig | None,
    problems: list[Problem],
    unusable: frozenset[str] = frozenset(),
    skipped: Mapping[str, set[str]] | None = None,
    touched: frozenset[str] | None = None,
) -> None:
    """The cross-table rules; with ``touched``, only those that read one of those tables.

    A rule whose tables are all as an earlier validation passed them finds nothing new,
    so a re-check after an edit runs only the rules that read an edited table.
    """
    def C(name: str) -> _Collector:
        return _Collector(SPECS[name].file, lines[name], problems)

    def runs(*tables: str) -> bool:
        return touched is None or bool(touched.intersection(tables))

    # --- one ID space across the engagement -------------------------------------
    owners: dict[str, str] = {}
    if config is not None:
        for i, p in enumerate(config.pillars):
            if p.id in owners and runs("config"):
                problems.append(Problem(CONFIG_FILE, None, f"pillar id '{p.id}' is used twice"))
            owners.setdefault(p.id, f"pillar in {CONFIG_FILE}")
            del i
    for name in ("org_units", "objectives", "metrics", "stakeholders") if runs(*ID_TABLES, "config") else ():
        df, ln = f[name], lines[name]
        col = C(name)
        for i, v in enumerate(df["id"].tolist()):
            if not isinstance(v, str):
                continue
            where = f"{SPECS[name].file}:{ln[i]}"
            if v in owners:
                col.one(i, "id", f"id '{v}' is already used by {owners[v]}; IDs must be unique across the engagement")
            else:
                owners[v] = f"{name.rstrip('s').replace('_', ' ')} at {where}"

    pillar_ids = {p.id for p in config.pillars} if config else set()
    # IDs of rows that could not be read were reported there; do not flag references to them.
    unread = skipped or {}
    unit_ids = set(f["org_units"]["id"].dropna()) | unread.get("org_units", set())
    obj_ids = set(f["objectives"]["id"].dropna()) | unread.get("objectives", set())
    metric_ids = set(f["metrics"]["id"].dropna()) | unread.get("metrics", set())
    person_ids = set(f["stakeholders"]["id"].dropna()) | unread.get("stakeholders", set())

    def unknown(name: str, column: str, known: set[str], what: str, *sources: str) -> None:
        if unusable.intersection(sources) or not runs(name, *sources):
            return
        s = f[name][column]
        mask = s.notna() & ~s.isin(list(known))
        C(name).rows(mask.to_numpy(), column, lambda i: f"{column} '{s.iat[i]}' is not a known {what}")

    # --- org units: one root, known parents, no cycles ----------------------------
    units = f["org_units"]
    if len(units) and runs("org_units"):
        roots = np.flatnonzero(units["parent_id"].isna().to_numpy())
        if len(roots) == 0:
            C("org_units").one(None, "parent_id", "no root unit: exactly one unit must have an empty parent_id")
        elif len(roots) > 1:
            first = units["id"].iat[roots[0]]
            C("org_units").rows(
                np.isin(np.arange(len(units)), roots[1:]), "parent_id",
                lambda i: f"unit '{units['id'].iat[i]}' has no parent_id, but '{first}' is already the root; exactly one root is allowed",
            )
        unknown("org_units", "parent_id", unit_ids, "org unit", "org_units")
        _cycles(units, C("org_units"), "org unit")
    elif "org_units" in lines and lines["org_units"] == [] and config is not None:
        pass

    # --- objectives -----------------------------------------------------------------
    unknown("objectives", "org_unit_id", unit_ids, "org unit (see org_units.csv)", "org_units")
    unknown("objectives", "parent_id", obj_ids, "objective", "objectives")
    unknown("objectives", "pillar_id", pillar_ids, "pillar (see engagement.yaml)", "config")
    if runs("objectives"):
        _cycles(f["objectives"], C("objectives"), "objective")

    # --- scores and KPIs ----------------------------------------------------------------
    for name in ("metric_scores", "kpis"):
        unknown(name, "objective_id", obj_ids, "objective", "objectives")
        unknown(name, "metric_id", metric_ids, "metric", "metrics")
        if runs(name):
            _duplicates(f[name], ["objective_id", "metric_id"], C(name), lines[name], "pairing")
    kpis = f["kpis"]
    if runs("kpis"):
        has_b, has_bp = kpis["baseline"].notna(), kpis["baseline_period"].notna()
        C("kpis").rows((has_b & ~has_bp).to_numpy(), "baseline_period",
                       lambda _i: "baseline is given but baseline_period is empty: give both or neither")
        C("kpis").rows((~has_b & has_bp).to_numpy(), "baseline",
                       lambda _i: "baseline_period is given but baseline is empty: give both or neither")
    freq = f["metrics"].set_index("id")["frequency"] if len(f["metrics"]) else pd.Series(dtype="str")
    freq = freq[~freq.index.duplicated()]
    for column in ("target_period", "baseline_period") if runs("kpis", "metrics") else ():
        _fits_frequency(kpis, column, freq, C("kpis"))

    if runs("milestones", "kpis", "metrics", "objectives"):
        _check_milestones(f, lines, freq, C("milestones"), unusable)

    # --- people -----------------------------------------------------------------------
    unknown("stakeholders", "org_unit_id", unit_ids, "org unit", "org_units")
    unknown("raci", "item_id", obj_ids | metric_ids, "objective or metric", "objectives", "metrics")
    unknown("raci", "stakeholder_id", person_ids, "stakeholder (see stakeholders.csv)", "stakeholders")
    # A person may hold two letters for one item (R and A): not an input error.

    # --- actuals ----------------------------------------------------------------------
    unknown("actuals", "metric_id", metric_ids, "metric", "metrics")
    if runs("actuals", "metrics"):
        _fits_frequency(f["actuals"], "period", freq, C("actuals"))
    if runs("actuals"):
        _duplicates(f["actuals"], ["metric_id", "period"], C("actuals"), lines["actuals"], "actual")

    if runs("actions", "kpis", "objectives", "metrics", "stakeholders"):
        _check_actions(f, C("actions"), lines["actions"], obj_ids | metric_ids, person_ids, unusable)


def _check_actions(
    f: dict[str, pd.DataFrame], col: _Collector, lines: Sequence[int], items: set[str], people: set[str], unusable: frozenset[str]
) -> None:
    """actions.csv: a known item (objective, metric, or OBJECTIVE_ID/METRIC_ID of a selected KPI), a known owner,
    one row per ID, and a ``closed`` date on every action that is done or dropped."""
    a = f["actions"]
    if a.empty:
        return
    pairs = {f"{o}/{m}" for o, m in zip(f["kpis"]["objective_id"], f["kpis"]["metric_id"], strict=True)}
    if not unusable.intersection({"objectives", "metrics"}):
        item = a["item_id"]
        known = item.isna() | item.isin(list(items | pairs))
        col.rows((~known).to_numpy(), "item_id", lambda i: (
            f"item_id '{item.iat[i]}' is not a known objective, metric or selected KPI (OBJECTIVE_ID/METRIC_ID of kpis.csv)"))
    if not unusable.intersection({"stakeholders"}):
        owner = a["owner"]
        col.rows((owner.notna() & ~owner.isin(list(people))).to_numpy(), "owner",
                 lambda i: f"owner '{owner.iat[i]}' is not a known stakeholder (see stakeholders.csv)")
    shut = a["status"].isin(["done", "dropped"]) & a["closed"].isna()
    col.rows(shut.to_numpy(), "closed", lambda i: f"the action is {a['status'].iat[i]}: give the date it was closed (closed, YYYY-MM-DD)")
    _duplicates(a, ["id"], col, lines, "action")


_BETWEEN = "a milestone is an interim target, between the baseline period and the target period"


def _check_milestones(
    f: dict[str, pd.DataFrame], lines: dict[str, list[int]], freq: pd.Series, col: _Collector,
    unusable: frozenset[str],
) -> None:
    """milestones.csv: each row names a row of kpis.csv, in the metric's frequency, strictly between
    the KPI's baseline period and its target period, at most once per KPI and period."""
    ms, kpis = f["milestones"], f["kpis"]
    if not len(ms):
        return
    _fits_frequency(ms, "period", freq, col)
    _duplicates(ms, ["objective_id", "metric_id", "period"], col, lines["milestones"], "milestone")
    if unusable.intersection({"kpis", "objectives", "metrics"}):
        return
    first = ~kpis.duplicated(["objective_id", "metric_id"], keep="first")
    row_of = {(o, m): i for i, (o, m, keep) in enumerate(zip(kpis["objective_id"], kpis["metric_id"], first,
                                                             strict=True)) if keep}
    pairs = list(zip(ms["objective_id"].tolist(), ms["metric_id"].tolist(), strict=True))
    hit = [row_of.get(pair) if all(isinstance(x, str) for x in pair) else -1 for pair in pairs]
    missing = np.array([h is None for h in hit], dtype=bool)
    col.rows(missing, None, lambda i: f"KPI {pairs[i][0]}/{pairs[i][1]} is not a row of kpis.csv: a milestone "
             "is an interim target of a selected KPI, so select it there first")
    kpi_lines = lines["kpis"]
    fits = ms["metric_id"].map(freq)
    for i, (h, period, mid) in enumerate(zip(hit, ms["period"].tolist(), ms["metric_id"].tolist(), strict=True)):
        if h is None or h < 0 or not isinstance(period, str):
            continue
        form = FORM_PATTERNS.get(str(fits.iat[i]))  # type: ignore[call-overload]
        if form is None or not re.fullmatch(form, period):
            continue  # a malformed period or one of the wrong frequency was reported above
        kpi = f"KPI {pairs[i][0]}/{mid} (kpis.csv:{kpi_lines[h]})"
        at = Period.parse(period)
        target_p, base_p = kpis["target_period"].iat[h], kpis["baseline_period"].iat[h]
        if isinstance(base_p, str) and re.fullmatch(form, base_p) and at <= Period.parse(base_p):
            col.one(i, "period", f"period {period} is not after the baseline_period {base_p} of {kpi}: {_BETWEEN}")
        if isinstance(target_p, str) and re.fullmatch(form, target_p) and at >= Period.parse(target_p):
            col.one(i, "period", f"period {period} is not before the target_period {target_p} of {kpi}: {_BETWEEN}")


def _fits_frequency(df: pd.DataFrame, column: str, freq: pd.Series, col: _Collector) -> None:
    if not len(df):
        return
    f = df["metric_id"].map(freq)
    periods = df[column]
    # Each distinct period is matched once (100,000 actuals hold a few hundred periods).
    codes, uniques = pd.factorize(periods.astype(object), use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    known = codes >= 0
    ok = np.ones(len(df), dtype=bool)
    fa = f.to_numpy(dtype=object)
    for name, pattern in FORM_PATTERNS.items():
        sel = (fa == name) & known
        if sel.any():
            fits = np.array([re.fullmatch(pattern, t) is not None for t in texts], dtype=bool)
            ok[sel] = fits[codes[sel]]
    # Malformed periods were already reported; only flag well-formed ones of the wrong form.
    formed = np.array([re.fullmatch(PERIOD_PATTERN, t) is not None for t in texts], dtype=bool)
    wellformed = np.zeros(len(df), dtype=bool)
    wellformed[known] = formed[codes[known]]
    bad = ~ok & wellformed
    forms = f.map(FORMS)
    col.rows(
        bad, column,
        lambda i: f"{column} '{periods.iat[i]}' does not fit metric {df['metric_id'].iat[i]}'s "
        f"frequency ({f.iat[i]}: {forms.iat[i]})",
    )


def _duplicates(df: pd.DataFrame, key: list[str], col: _Collector, lines: Sequence[int], what: str) -> None:
    if not len(df):
        return
    complete = df[key].notna().all(axis=1)
    dup = df.duplicated(key, keep="first") & complete
    if not dup.any():
        return
    first_line: dict[tuple[str, ...], int] = {}
    for i, k in enumerate(zip(*(df[c].tolist() for c in key), strict=True)):
        if complete.iat[i]:
            first_line.setdefault(k, lines[i])
    col.rows(
        dup.to_numpy(), None,
        lambda i: f"duplicate {what} {' / '.join(str(df[c].iat[i]) for c in key)} (first at line "
        f"{first_line[tuple(str(df[c].iat[i]) for c in key)]})",
    )


def _cycles(df: pd.DataFrame, col: _Collector, what: str) -> None:
    """Report each parent cycle once, naming every ID in it, at its first row."""
    ids = df["id"].tolist()
    parent = {i: p for i, p in zip(ids, df["parent_id"].tolist(), strict=True) if isinstance(i, str) and isinstance(p, str)}
    row_of: dict[str, int] = {}
    for r, i in enumerate(ids):
        if isinstance(i, str):
            row_of.setdefault(i, r)
    state: dict[str, int] = {}  # 1 = on current path, 2 = done
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            first = min(cycle, key=lambda n: row_of.get(n, 0))
            col.one(row_of.get(first), "parent_id",
                    f"{what}s form a cycle through parent_id: {' -> '.join([*cycle, cycle[0]])}")
        for n in path:
            state[n] = 2


def raw_from_frames(
    folder: str,
    config_text: str | None,
    frames: dict[str, pd.DataFrame],
    headers: dict[str, list[str]] | None = None,
    lines: Mapping[str, Iterable[int]] | None = None,
) -> RawEngagement:
    """Turn typed (or edited) frames back into raw text tables, for re-validation."""
    tables: dict[str, RawTable] = {}
    for name, df in frames.items():
        header = [str(c).strip().lower() for c in df.columns]
        rows = frame_cells(df, strip=True)
        ln = list(lines[name]) if lines and name in lines else list(range(2, len(rows) + 2))
        written = (headers or {}).get(name) or header
        tables[name] = RawTable(SPECS[name].file, header, rows, ln, list(written) if len(written) == len(header) else header)
    return RawEngagement(folder, config_text, tables)

