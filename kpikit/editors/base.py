"""What every editor shares: saving, undo, the decision log, and the Save/Undo/Reload bar.

An editor never writes on a keystroke. The consultant edits widgets; *Save* builds a
draft (``eng.copy()``), lets the editor write its widget state into the draft's
tables, appends the decision-log rows (``changes.csv``) to the same draft, and calls
:meth:`Engagement.save`. That one call validates with the rules of ``kpikit
validate`` (problems are shown inline, nothing is written), refuses when a file
changed on disk since loading (a *Reload* button appears), backs up the replaced
files and writes atomically. *Undo* restores the files of the last save from its
backup, after checking nobody changed them since and backing up what it replaces.

Unattended (papermill, ``kpikit run``: env ``KPIKIT_UNATTENDED=1``; or no kernel at
all) every entry point returns a static HTML summary and writes nothing.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.csvio import sha256_file
from kpikit.data.model import Engagement
from kpikit.data.schema import SPECS
from kpikit.data.store import (
    append_log,
    frames_equal,
    keep_row_order,
    load_engagement,
    log_row,
    make_backup,
    refresh_engagement,
    write_files,
)
from kpikit.errors import EditConflictError, EngagementError, KpikitError, StaleFileError, UndoError
from kpikit.text import short

UNATTENDED_ENV = "KPIKIT_UNATTENDED"
DEFAULT_KEEP_BACKUPS = 20
LOGGED_SHOWN = 20
"""Decisions listed with their own rationale box before a save (the rest take the common one)."""


def is_unattended() -> bool:
    """True under papermill/``kpikit run`` (env ``KPIKIT_UNATTENDED=1``) or outside a kernel.

    ``KPIKIT_UNATTENDED=0`` forces interactive mode (tests drive the widgets in-process).

    Widgets need a live frontend; without one an editor shows a static summary.
    """
    flag = os.environ.get(UNATTENDED_ENV, "").strip().lower()
    if flag in ("1", "true", "yes"):
        return True
    if flag in ("0", "false", "no"):  # forced interactive (tests, scripts driving widgets)
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return True
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def as_engagement(eng: Engagement | str | os.PathLike[str]) -> Engagement:
    """Accept an Engagement or a folder path (notebooks pass either)."""
    return eng if isinstance(eng, Engagement) else load_engagement(Path(eng))


def configured_keep_backups(eng: Engagement) -> int:
    """How many backup sets to keep: ``editors: {keep_backups: N}`` in engagement.yaml, else 20."""
    extra = eng.config.model_extra or {}
    section = extra.get("editors")
    if isinstance(section, dict):
        value = section.get("keep_backups")
        # engagement.yaml's numbers reach the extras as the text written (data/config keeps 007 as "007")
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
    return DEFAULT_KEEP_BACKUPS


def static_summary(title: str, lines: Iterable[str]) -> Any:
    """An HTML block (escaped) saying what the editor would show; for unattended runs."""
    from IPython.display import HTML

    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(  # type: ignore[no-untyped-call]
        f"<div class='kpikit-editor-summary'><strong>{html.escape(title)}</strong>"
        f"<ul>{items}</ul><em>Editing happens in JupyterLab (kpikit lab DIR).</em></div>"
    )


def with_tables(eng: Engagement, **frames: pd.DataFrame) -> Engagement:
    """A cheap view of ``eng`` with some tables replaced, for live previews (never saved)."""
    import copy

    view = copy.copy(eng)
    view.tables = {**eng.tables, **frames}
    return view


def id_options(items: Iterable[tuple[object, object]], n: int = 70) -> list[tuple[str, str]]:
    """Dropdown options ``ID — title`` valued by the ID, the title cut to ``n`` characters (pickers stay one line)."""
    return [(f"{i} — {short(t, n)}", str(i)) for i, t in items]


def parse_number(value: str) -> float | None:
    """User text as a number by the contract's rule (plain decimal: ``1234.5``, ``-3``, ``1e6``), else None."""
    import re

    from kpikit.data.validation import NUMBER_PATTERN

    raw = value.strip()
    return float(raw) if re.fullmatch(NUMBER_PATTERN, raw) else None


def number(value: object) -> float | None:
    """A table cell as a float, or None when missing."""
    if value is None:
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) else f


@dataclass(frozen=True)
class Change:
    """One decision-log entry: what changed (``item_id``) and how, in plain words.

    ``rationale``: this change's own reason (else the save's common one). ``key``: what
    the change is about, stable while its wording changes (the editor keeps the reason
    typed for it); defaults to the item.
    """

    item_id: str
    change: str
    rationale: str = ""
    key: str = ""

    @property
    def about(self) -> str:
        return self.key or self.item_id


@dataclass
class SaveRecord:
    """One save, enough to undo it: the backup set, what was written or created."""

    written: list[str]
    created: list[str]
    backup: Path | None
    fingerprints: dict[str, str] = field(default_factory=dict)
    before: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    """The saved tables as they were before the save, and as written (an undo after someone
    else's save merges by row: ``after`` -> ``before`` applied onto the files as they are)."""
    after: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)


class Session:
    """An editor's link to the folder: the last-saved state, save with logging, undo.

    >>> s = Session(eng)                                             # doctest: +SKIP
    >>> d = s.draft(); d.tables["kpis"].loc[0, "target"] = 90        # doctest: +SKIP
    >>> s.save(d, [Change("OBJ-1/M-1", "target 85 -> 90")], "board", "CEO")  # doctest: +SKIP
    """

    def __init__(self, eng: Engagement, keep_backups: int | None = None) -> None:
        self.current = eng.copy()
        self.keep_backups = keep_backups or configured_keep_backups(eng)
        self.history: list[SaveRecord] = []

    @property
    def folder(self) -> Path:
        return self.current.path

    def draft(self) -> Engagement:
        """An independent copy of the last-saved state to edit."""
        return self.current.copy()

    def save(self, draft: Engagement, changes: list[Change], rationale: str = "", decided_by: str = "") -> SaveRecord | None:
        """Append ``changes`` to the decision log in ``draft`` and save it; None if nothing changed.

        Raises :class:`EngagementError` (nothing written) or :class:`StaleFileError`
        (:class:`EditConflictError` when someone else changed the same rows). Files someone
        else changed meanwhile are merged by row first (:meth:`_rebase_stale`).
        """
        fresh = self._rebase_stale(draft)
        if changes:
            self._rebase_log(draft, fresh)
            draft.tables["changes"] = append_changes(draft.changes, changes, rationale, decided_by)
        names = draft.changed_tables()
        if not names:
            return None
        for n in names:  # editors rebuild whole tables (the RACI grid): a row stays where it is in the file
            if n in self.current.tables:
                draft.tables[n] = keep_row_order(n, draft.tables[n], self.current.tables[n])
        files = [SPECS[n].file for n in names]
        existed = {f: (self.folder / f).exists() for f in files}
        before = {n: self.current.tables[n].copy() for n in names if n in self.current.tables}
        result = draft.save(keep_backups=self.keep_backups)
        record = SaveRecord(
            written=result.written,
            created=[f for f in result.written if not existed.get(f, False)],
            backup=result.backup,
            fingerprints={f: draft.fingerprints[f] for f in result.written},
            before=before,
            after={n: draft.tables[n].copy() for n in names if SPECS[n].file in result.written},
        )
        self.current = draft
        self.history.append(record)
        return record

    def _rebase_stale(self, draft: Engagement) -> Engagement | None:
        """Bring ``draft`` up to date with files someone else saved since it was loaded.

        A table we did not edit is taken as it is now; a table we edited is merged by row
        (:func:`kpikit.editors.merge.merge_table`): our edits applied onto theirs. Rows both
        changed differently raise :class:`EditConflictError` naming them (nothing is written).
        The decision log is left to :meth:`_rebase_log`. Returns the fresh load, or None when
        nothing changed on disk (or the folder cannot be read now: the save's own checks say why).
        """
        from kpikit.editors.merge import Conflict, merge_table

        moved = [spec.name for spec in SPECS.values() if spec.name != "changes" and spec.file in draft.fingerprints
                 and sha256_file(self.folder / spec.file) != draft.fingerprints[spec.file]]
        if not moved:
            return None
        try:
            fresh = refresh_engagement(self.current)  # re-reads only the files that changed
        except KpikitError:
            return None
        mine = set(draft.changed_tables())
        merged: dict[str, pd.DataFrame] = {}
        clashes: list[str] = []
        for name in moved:
            if name in mine and name in fresh.tables and name in self.current.tables:
                try:
                    merged[name] = merge_table(name, self.current.tables[name], draft.tables[name], fresh.tables[name])
                except Conflict as exc:
                    clashes += exc.rows
        if clashes:
            raise EditConflictError(clashes)
        for name in moved:
            if name in fresh.tables:
                draft.adopt_table(name, fresh)
                self.current.adopt_table(name, fresh)
            if name in merged:
                draft.tables[name] = merged[name]
        return fresh

    def _rebase_log(self, draft: Engagement, fresh: Engagement | None = None) -> None:
        """Start the log from the file on disk when another editor appended to it meanwhile.

        ``changes.csv`` is append-only, so rows another notebook's editor added since this
        one loaded can be kept and ours appended after them, instead of refusing the save
        as stale. Any other change to the file still counts as stale (the rows are re-read
        from disk as they are; validation and the stale check of the other files still apply).
        """
        file = SPECS["changes"].file
        on_disk = sha256_file(self.folder / file)
        if on_disk is None or on_disk == draft.fingerprints.get(file) or "changes" in draft.changed_tables():
            return
        fresh = fresh if fresh is not None else refresh_engagement(self.current)
        if not _is_prefix(draft.changes, fresh.changes):
            return  # not a pure append: leave it to the stale check
        draft.adopt_table("changes", fresh)

    def undo(self) -> SaveRecord:
        """Put back the files the last save replaced (and remove files it created).

        If someone else changed one of them since that save, only our rows are put back
        (a merge by row, :meth:`_undo_by_merge`); refuses (:class:`EditConflictError`) if
        they changed the same rows. Backs up what it replaces, so an undo can itself be
        undone by hand.
        """
        if not self.history:
            raise UndoError(str(self.folder), "there is no save to undo in this editor")
        rec = self.history[-1]
        stale = [f for f in rec.written if not (self.folder / f).exists() or sha256_file(self.folder / f) != rec.fingerprints.get(f)]
        if stale:
            return self._undo_by_merge(rec, stale)
        restore = [f for f in rec.written if f not in rec.created]
        if restore and (rec.backup is None or not all((rec.backup / f).exists() for f in restore)):
            raise UndoError(str(self.folder), "the backup of the last save is gone (pruned or deleted)")
        safety = make_backup(self.folder, rec.written, keep=self.keep_backups + 1)
        # all the files of the save back together, or none of them (a crash leaves no mix)
        old = rec.backup
        write_files(self.folder, {f: None if f in rec.created or old is None else (old / f).read_bytes()
                                  for f in rec.written}, safety)
        self.history.pop()
        self.current = load_engagement(self.folder)
        return SaveRecord(written=rec.written, created=[], backup=safety)

    def _undo_by_merge(self, rec: SaveRecord, stale: list[str]) -> SaveRecord:
        """Undo the last save on files someone else changed since: our rows back, theirs kept."""
        from kpikit.editors.merge import Conflict, merge_table

        names = [n for n, spec in SPECS.items() if spec.file in rec.written]
        if not rec.after or any(n not in rec.after or n not in rec.before for n in names):
            raise StaleFileError(stale)
        fresh = load_engagement(self.folder)
        clashes: list[str] = []
        for n in names:
            try:
                fresh.tables[n] = merge_table(n, rec.after[n], rec.before[n], fresh.tables[n])
            except Conflict as exc:
                clashes += exc.rows
        if clashes:
            raise EditConflictError(clashes)
        result = fresh.save(keep_backups=self.keep_backups + 1)
        self.history.pop()
        self.current = fresh
        return SaveRecord(written=result.written, created=[], backup=result.backup)

    def reload(self) -> Engagement:
        """Re-read the folder (after someone else changed it); the undo history stays (undo merges by row).

        Only the files that changed are read again (:func:`~kpikit.data.store.refresh_engagement`)."""
        self.current = refresh_engagement(self.current)
        return self.current


def _is_prefix(head: pd.DataFrame, full: pd.DataFrame) -> bool:
    """Whether ``full`` starts with exactly the rows of ``head`` (an append-only log grew)."""
    return len(head) <= len(full) and frames_equal(full.head(len(head)), head)


def append_changes(log: pd.DataFrame, changes: list[Change], rationale: str, decided_by: str) -> pd.DataFrame:
    """The decision log with one row per change, dated today (same columns and dtypes).

    A change's own rationale wins over the save's common one.
    """
    return append_log(log, [log_row(c.item_id, c.change, c.rationale.strip() or rationale, decided_by) for c in changes])


def html_list(items: Iterable[str], css: str = "") -> str:
    """Escaped ``<ul>`` of plain-text items."""
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return f"<ul class='{css}'>{lis}</ul>" if lis else ""


class EditorBox(widgets.VBox):  # type: ignore[misc]
    """The frame of every editor: heading, body, Save / Undo / Reload, messages.

    Subclasses implement :meth:`build` (widgets from ``self.session.current``) and
    :meth:`apply` (widget state into a draft; returns decision-log entries).
    ``logs_changes`` shows the rationale / decided-by boxes.
    """

    heading = "Editor"
    logs_changes = True

    def __init__(self, eng: Engagement, keep_backups: int | None = None) -> None:
        super().__init__()
        self.add_class("kpikit-editor")
        self.session = Session(eng, keep_backups)
        self.dirty = False
        self.message = widgets.HTML(value="")
        self.message.add_class("kpikit-message")
        self.dirty_label = widgets.HTML(value="")
        self.rationale = widgets.Text(description="Rationale", placeholder="why, for any change without its own reason below",
                                      layout=widgets.Layout(width="50%"))
        self.log_panel = widgets.VBox()
        self.log_panel.add_class("kpikit-log-panel")
        self.reasons: dict[str, Any] = {}
        """The per-change rationale boxes, by :attr:`Change.about` (kept while the change's wording changes)."""
        self.pending: list[Change] = []
        self.decided_by = widgets.Text(description="Decided by", placeholder="who decided")
        self.save_button = widgets.Button(description="Save", button_style="primary", icon="save",
                                          tooltip="validate and write the engagement files")
        self.undo_button = widgets.Button(description="Undo last save", icon="undo", disabled=True)
        self.reload_button = widgets.Button(description="Reload", icon="refresh", button_style="warning",
                                            layout=widgets.Layout(display="none"))
        self.save_button.on_click(lambda _b: self.save())
        self.undo_button.on_click(lambda _b: self.undo())
        self.reload_button.on_click(lambda _b: self.reload())
        self.body = widgets.VBox()
        log_row = [self.log_panel, widgets.HBox([self.rationale, self.decided_by])] if self.logs_changes else []
        bar = widgets.HBox([self.save_button, self.undo_button, self.reload_button, self.dirty_label])
        self.children = [widgets.HTML(f"<h3>{html.escape(self.heading)}</h3>"), self.body, *log_row, bar, self.message]
        self.build()

    # -- for subclasses -----------------------------------------------------------------
    def build(self) -> None:
        """(Re)create the body's widgets from ``self.session.current``."""
        raise NotImplementedError

    def apply(self, draft: Engagement) -> list[Change]:
        """Write the widget state into ``draft``'s tables; return what to log."""
        raise NotImplementedError

    @property
    def eng(self) -> Engagement:
        """The last-saved engagement (what the widgets started from)."""
        return self.session.current

    def mark_dirty(self, *_args: object) -> None:
        """Called by widget observers: there are unsaved edits."""
        self.dirty = True
        self.dirty_label.value = "<span class='kpikit-dirty'>unsaved changes</span>"
        if self.logs_changes:
            self.refresh_log_panel()

    def pending_changes(self) -> list[Change]:
        """What a save now would log (the editor's :meth:`apply` on a scratch draft)."""
        try:
            return self.apply(self.session.draft())
        except KpikitError:  # not savable yet (a box holds a bad value): keep the last list
            return self.pending

    def refresh_log_panel(self) -> None:
        """One line per decision this save would log, each with its own rationale box."""
        self.pending = self.pending_changes()
        rows = []
        for c in self.pending[:LOGGED_SHOWN]:
            box = self.reasons.get(c.about)
            if box is None:
                box = widgets.Text(placeholder="why (this change)", layout=widgets.Layout(width="40%"))
                box.add_class("kpikit-reason-box")
                self.reasons[c.about] = box
            label = widgets.HTML(f"<small><b>{html.escape(c.item_id)}</b> {html.escape(short(c.change, 110))}</small>",
                                 layout=widgets.Layout(width="55%"))
            rows.append(widgets.HBox([label, box]))
        if len(self.pending) > LOGGED_SHOWN:
            rows.append(widgets.HTML(f"<small>… and {len(self.pending) - LOGGED_SHOWN} more: they take the common "
                                     "rationale below.</small>"))
        head = [widgets.HTML(f"<b>Decisions to log ({len(self.pending)})</b>")] if self.pending else []
        self.log_panel.children = head + rows

    def with_reasons(self, changes: list[Change]) -> list[Change]:
        """The changes, each with the reason typed for it (if any)."""
        out = []
        for c in changes:
            box = self.reasons.get(c.about)
            own = str(box.value).strip() if box is not None else ""
            out.append(replace(c, rationale=own) if own and not c.rationale else c)
        return out

    def observe_value(self, widget: Any, callback: Callable[[], None] | None = None) -> None:
        """Mark dirty and run ``callback`` whenever ``widget.value`` changes."""

        def handler(_change: object) -> None:
            self.mark_dirty()
            if callback is not None:
                callback()

        widget.observe(handler, names="value")

    # -- actions ---------------------------------------------------------------------------
    def save(self) -> bool:
        """The Save button: validate and write, or show why not. True when something was written."""
        self.save_button.disabled = True  # busy: a large client's save takes a second or two
        self.save_button.description, self.save_button.icon = "Saving…", "spinner"
        self.message.value = "<div class='kpikit-info'>Saving: validating every file…</div>"
        try:
            return self._save()
        finally:
            self.save_button.disabled = False
            self.save_button.description, self.save_button.icon = "Save", "save"

    def save_warnings(self) -> list[str]:
        """Problems a save knowingly leaves (a SMART failure, a missing Accountable), said on Save."""
        return []

    def _save(self) -> bool:
        draft = self.session.draft()
        try:
            changes = self.with_reasons(self.apply(draft))
            record = self.session.save(draft, changes, self.rationale.value, self.decided_by.value)
        except EngagementError as exc:
            self.show_error("Not saved: fix these problems first (nothing was written).", exc.format())
            return False
        except StaleFileError as exc:
            self.reload_button.layout.display = None
            self.show_error(f"Not saved: {exc}. Press Reload to load their changes; your unsaved edits to other rows "
                            "are kept.", [])
            return False
        except KpikitError as exc:
            self.show_error(f"Not saved: {exc}", [])
            return False
        except OSError as exc:  # disk full, permissions: atomic writes leave the old files intact
            self.show_error(f"Not saved: {exc}", [])
            return False
        if record is None:
            self.show_info("Nothing to save: no changes.")
            return False
        where = f" Backup: {record.backup.relative_to(self.session.folder)}." if record.backup else ""
        logged = f" {len(changes)} decision{'s' if len(changes) != 1 else ''} logged." if changes else ""
        if not changes and self.rationale.value.strip():
            logged = " The rationale was not recorded: nothing in this save is a logged decision."
        warnings = self.save_warnings()
        self.after_write()
        self.show_info(f"Saved {', '.join(record.written)}.{logged}{where} Run the notebook again to refresh its tables and charts.")
        if warnings:
            self.message.value += (f"<div class='kpikit-warning' style='color:#8a5a00'><b>Saved, but still open:</b>"
                                   f"{html_list(warnings)}</div>")
        return True

    def undo(self) -> bool:
        """The Undo button: restore the files of the last save."""
        try:
            rec = self.session.undo()
        except (KpikitError, OSError) as exc:  # stale file, pruned backup, disk trouble
            self.show_error(f"Cannot undo: {exc}", [])
            return False
        self.show_info(f"Undone: restored {', '.join(rec.written)}.")
        self.after_write()
        return True

    def reload(self) -> None:
        """The Reload button: re-read the folder, keeping unsaved edits to rows nobody else changed.

        Our unsaved tables are merged onto the files as they are now (their version wins
        on a row both changed); the widgets are rebuilt from that and stay "unsaved".
        """
        from kpikit.editors.merge import Conflict, merge_table

        draft = self.session.draft()
        try:
            self.apply(draft)
            ours = {n: draft.tables[n] for n in draft.changed_tables() if n != "changes"}
        except KpikitError:  # a box holds a value that cannot be saved: nothing of ours to carry
            ours = {}
        base = self.session.current
        try:
            fresh = self.session.reload()
        except KpikitError as exc:
            self.show_error(f"Cannot reload: {exc}", [])
            return
        kept: dict[str, pd.DataFrame] = {}
        for n, table in ours.items():
            if n in fresh.tables and n in base.tables:
                try:
                    kept[n] = merge_table(n, base.tables[n], table, fresh.tables[n], prefer="theirs")
                except Conflict:
                    continue
        kept = {n: t for n, t in kept.items() if not frames_equal(t, fresh.tables[n])}
        self.reload_button.layout.display = "none"
        self.finish_write()
        place = self.place()
        if kept:
            self.session.current = with_tables(fresh, **kept)
            try:
                self.build()
            finally:
                self.session.current = fresh
            self.rebased()
        else:
            self.build()
        self.restore(place)
        if kept:
            self.mark_dirty()
            self.show_info(f"Reloaded the files from disk; your unsaved edits to {', '.join(SPECS[n].file for n in kept)} "
                           "are kept (press Save).")
        else:
            self.show_info("Reloaded the files from disk.")

    def rebased(self) -> None:
        """After a reload that kept unsaved edits: re-point what the editor compares against to the files."""

    def after_write(self) -> None:
        """After a save, undo or reload: the widgets from the saved state (an editor may refresh in place)."""
        self.finish_write()
        place = self.place()
        self.build()
        self.restore(place)

    def place(self) -> object:
        """Where the consultant is (the item on screen), so a save or reload keeps it."""
        return None

    def restore(self, place: object) -> None:
        """Go back to :meth:`place`'s answer after a rebuild (when it still exists)."""

    def finish_write(self) -> None:
        """The bar after a write: clean, rationale cleared, Undo as the history allows."""
        self.dirty = False
        self.dirty_label.value = ""
        self.rationale.value = ""
        self.reasons.clear()
        self.pending = []
        self.log_panel.children = []
        self.undo_button.disabled = not self.session.history

    def show_error(self, head: str, lines: list[str]) -> None:
        self.message.value = (
            f"<div class='kpikit-error' style='color:#a40000'><strong>{html.escape(head)}</strong>"
            f"{html_list(lines)}</div>"
        )

    def show_info(self, head: str) -> None:
        self.message.value = f"<div class='kpikit-info' style='color:#1a5e20'>{html.escape(head)}</div>"


def editor_or_summary(
    eng: Engagement | str | os.PathLike[str],
    make: Callable[[Engagement], EditorBox],
    title: str,
    summary: Callable[[Engagement], list[str]],
) -> Any:
    """The entry points' common shape: a static summary when unattended, else the editor."""
    e = as_engagement(eng)
    if is_unattended():
        try:
            lines = summary(e)
        except Exception as exc:  # a summary must never fail an unattended run
            lines = [f"(summary unavailable: {exc})"]
        return static_summary(title, lines)
    return make(e)
