"""``kpikit publish RUN_DIR``: make a successful run the official report of its period.

``DIR/published/<period>/`` is the record of what a board saw: a copy of the run folder
(report, tables, executed notebooks, ``manifest.json`` and ``inputs/``, the exact files it
was built from) plus ``published.json`` (period, when, which run, why it replaced an
earlier one). Nothing writes into it afterwards: its files are made read-only, and a
period is published again only with ``--replace`` and a reason, which is logged in
``changes.csv`` (through the store, like every write) while the replaced copy moves to
``published/_replaced/`` instead of being lost.

Refused (:class:`~kpikit.errors.RefusedError`, exit 2) with a sentence saying what to do:
a folder that is no run, a run that did not succeed or has no review period, a run whose
``inputs/`` copy is missing or no longer matches its manifest, a period already published.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kpikit.data.published import PUBLISHED_DIR, RECORD_FILE, read_publication
from kpikit.data.store import append_log, load_engagement, log_row
from kpikit.errors import RefusedError
from kpikit.run.inputs import INPUTS_DIR, input_hashes
from kpikit.run.manifest import MANIFEST_FILE, read_manifest

REPLACED_DIR = "_replaced"


@dataclass
class PublishResult:
    """Where a run was published, and the copy it replaced (if any)."""

    period: str
    folder: Path
    replaced: Path | None = None


def engagement_of(run: Path, manifest: dict[str, object], engagement: Path | None) -> Path:
    """The engagement folder of a run: given, or the manifest's path from the run folder (``../..``)."""
    if engagement is not None:
        folder = Path(engagement)
    else:
        label = str(manifest.get("engagement") or "")
        if not label.startswith(".."):
            raise RefusedError(
                f"{run}: this run was written outside its engagement folder (--out); "
                "say which folder it belongs to with --engagement DIR"
            )
        folder = (run / label).resolve()
    if not (folder / "engagement.yaml").is_file():
        raise RefusedError(f"{folder}: not an engagement folder (no engagement.yaml)")
    return folder


def check_run(run: Path) -> dict[str, object]:
    """The manifest of a run that may be published; refuses anything else, saying why."""
    if not (run / MANIFEST_FILE).is_file():
        raise RefusedError(f"{run}: not a run folder (no {MANIFEST_FILE}); give a folder that kpikit run wrote")
    manifest = read_manifest(run)
    outcome = manifest.get("outcome")
    if outcome != "succeeded":
        raise RefusedError(f"{run}: this run {outcome}; only a run that succeeded can be published: fix it and run again")
    if not manifest.get("period"):
        raise RefusedError(f"{run}: this run has no review period (no current_period and no actuals); nothing to publish")
    inputs = run / INPUTS_DIR
    if not inputs.is_dir():
        raise RefusedError(f"{run}: this run kept no copy of its inputs (made by an older kpikit); run again, then publish")
    expected = manifest.get("inputs") or {}
    copied = input_hashes(inputs)
    broken = sorted(n for n, h in dict(expected).items() if copied.get(n) != h)
    if broken:
        raise RefusedError(
            f"{run}: its inputs/ copy no longer matches manifest.json ({', '.join(broken)}); "
            "a published report must be what the run read: run again, then publish"
        )
    return manifest


def publish(
    run_dir: str | os.PathLike[str],
    *,
    engagement: str | os.PathLike[str] | None = None,
    replace: bool = False,
    reason: str | None = None,
    decided_by: str = "",
    now: datetime | None = None,
) -> PublishResult:
    """Copy the run to ``DIR/published/<period>/`` (see the module docstring)."""
    run = Path(run_dir).resolve()
    manifest = check_run(run)
    folder = engagement_of(run, manifest, Path(engagement) if engagement is not None else None)
    if run == folder or (folder in run.parents and run.parts[len(folder.parts)] == PUBLISHED_DIR):
        raise RefusedError(f"{run}: this is a published report already; publish the run folder it came from")
    period = str(manifest["period"])
    root = folder / PUBLISHED_DIR
    dest = root / period
    when = now or datetime.now(UTC)
    reason_text = " ".join((reason or "").split())
    old = read_publication(dest) if dest.exists() else None
    if dest.exists() and not replace:
        said = f" on {old.published_on.isoformat()} from run {old.run}" if old else ""
        raise RefusedError(
            f"{period} is already published{said}; the published report is what the board saw. "
            f"To publish another run for {period}, give --replace --reason TEXT (the reason goes into changes.csv)"
        )
    if replace and not reason_text:
        raise RefusedError(f"--replace needs --reason TEXT: why the {period} report the board saw is replaced")
    if replace and not dest.exists():
        replace = False  # nothing to replace: an ordinary first publication
    if replace:  # the log first: if the folder cannot be saved (input errors), nothing has moved
        eng = load_engagement(folder)
        eng.tables["changes"] = append_log(eng.changes, [log_row(
            f"report-{period}",
            f"published report for {period} replaced by run {run.name}" + (f" (was run {old.run})" if old and old.run else ""),
            reason_text, decided_by, when.date(),
        )])
        eng.save()
    root.mkdir(exist_ok=True)
    staging = root / f".staging-{period}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(run, staging, ignore=shutil.ignore_patterns(".*"))
    record = {
        "period": period,
        "published": when.isoformat(timespec="seconds"),
        "run": run.name,
        "client": manifest.get("client"),
        "reason": reason_text if replace else "",
    }
    (staging / RECORD_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _read_only(staging)
    moved: Path | None = None
    if replace:
        (root / REPLACED_DIR).mkdir(exist_ok=True)
        moved = root / REPLACED_DIR / f"{period}-{when.strftime('%Y%m%dT%H%M%SZ')}"
        os.replace(dest, moved)
    os.replace(staging, dest)
    return PublishResult(period, dest, moved)


def _read_only(folder: Path) -> None:
    """Files read-only (folders stay writable so that a ``--replace`` can move the copy aside)."""
    for p in folder.rglob("*"):
        if p.is_file():
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


__all__ = ["PublishResult", "check_run", "engagement_of", "publish"]
