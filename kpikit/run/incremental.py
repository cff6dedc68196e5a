"""Incremental runs: skip a client when nothing its last successful run depended on has changed.

A month's re-run of a portfolio should cost only the clients whose inputs changed. The
skip is computed, never guessed: :func:`run_key` hashes everything a run reads or is told
(like Quarto's ``freeze`` or ploomber's incremental builds, but over all of it, not only
the source file):

* ``inputs``: the SHA-256 of every table the engagement loaded (the manifest's
  ``inputs``), plus the logo and ``.sql`` files the folder names (copied to ``inputs/``);
* ``state``: what a run reads beside the tables: the last refresh's results per metric
  from ``.kpikit/refresh.json`` (rows, latest period, outcome; not the time: a
  ``--refresh`` whose queries returned other rows changes ``actuals.csv``, one that failed
  changes the outcome, one that found the same again changes nothing) and ``published/``
  (the section "What changed since the last published report");
* ``kit``: the versions of the packages that decide a run's output
  (:func:`~kpikit.run.manifest.package_versions`) and a hash of the kit's own code and
  templates, so an edited checkout counts as a new kit even at the same version number;
* ``notebooks``: the SHA-256 of each notebook run, by name;
* ``period`` and ``options`` (``--format`` and any later option that changes the output).

A successful run writes the key to ``RUN_DIR/run-key.json`` (hidden from nothing: a user
can read why a run did or did not repeat). The next run of the same client looks at its
earlier runs (``DIR/runs/*``, and ``--out`` if given), newest first, and skips only when a
run there *succeeded* (its manifest says so), still has every output its manifest lists,
and has the same key. A failed, interrupted or killed run never counts as "unchanged".

>>> sorted(changed_parts({"a": 1, "b": 2}, {"a": 1, "b": 3}))
['b']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kpikit.data.csvio import atomic_write, sha256_bytes
from kpikit.data.sources import RECORD_FILE as REFRESH_RECORD
from kpikit.errors import RunSetupError
from kpikit.run.inputs import extra_inputs
from kpikit.run.manifest import MANIFEST_FILE, package_versions, read_manifest
from kpikit.run.outputs import check_out_location
from kpikit.run.runner import RUNS_DIR, RunPlan, RunResult, prepare_run

KEY_FILE = "run-key.json"
KEY_VERSION = 1
PUBLISHED_DIR = "published"


@dataclass(frozen=True)
class Skip:
    """A client whose last successful run is still current: where it is and what it produced."""

    run_dir: Path
    reports: list[Path]


def _hash_tree(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): sha256_bytes(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@cache
def kit_code_hash() -> str:
    """One SHA-256 over the kit's Python code and report templates (cached per process: they do not change mid-run).

    ``kpikit/cli/`` is left out: the command line shapes no output (its options are in the key).
    """
    import kpikit
    from kpikit.kit.resources import templates_dir

    h = hashlib.sha256()
    roots = [(Path(kpikit.__file__).parent, "*.py"), (templates_dir(), "*")]
    for root, pattern in roots:
        for p in sorted(root.rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts and p.relative_to(root).parts[0] != "cli":
                h.update(p.relative_to(root).as_posix().encode())
                h.update(b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def refresh_results(folder: Path) -> dict[str, dict[str, object]] | None:
    """What the last refresh found per metric (source, rows, latest period, outcome, message), without *when*.

    The rows themselves are in ``actuals.csv`` (hashed with the inputs); a refresh that
    returned the same results at a later time changes nothing a run computes, so it does
    not make the client run again (its report keeps the refresh time of its own run).
    """
    from kpikit.data.sources import read_record

    if not (folder / REFRESH_RECORD).is_file():
        return None
    return {mid: {k: v for k, v in asdict(e).items() if k != "when"} for mid, e in sorted(read_record(folder).items())}


def run_key(plan: RunPlan, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a run of ``plan`` (a :class:`~kpikit.run.runner.RunPlan`) depends on, as plain JSON data."""
    eng = plan.eng
    folder = Path(eng.path)
    inputs = dict(sorted(eng.fingerprints.items()))
    for name in extra_inputs(eng):
        inputs[name] = sha256_bytes((folder / name).read_bytes())
    state = {
        "refresh": refresh_results(folder),
        "published": _hash_tree(folder / PUBLISHED_DIR),
    }
    return {
        "key_version": KEY_VERSION,
        "inputs": inputs,
        "state": state,
        "kit": {"packages": package_versions(), "code": kit_code_hash()},
        "notebooks": {p.name: sha256_bytes(Path(p).read_bytes()) for p in plan.notebooks},
        "period": plan.period,
        "options": {"formats": sorted(plan.formats), "packs": sorted(getattr(plan, "packs", ())), **dict(options or {})},
    }


def digest(key: Mapping[str, Any]) -> str:
    """The key's SHA-256 (canonical JSON)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def changed_parts(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The top-level parts of two keys that differ (``inputs``, ``notebooks``, ``period`` ...)."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def write_key(run_dir: Path, key: Mapping[str, Any]) -> Path:
    """Record ``key`` in a finished run folder (atomically), after it succeeded."""
    path = Path(run_dir) / KEY_FILE
    data = {"digest": digest(key), **key}
    atomic_write(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return path


def candidate_runs(engagement: Path, out: Path | None) -> list[Path]:
    """Earlier run folders of this client, newest first: ``--out`` (if given), then ``DIR/runs/*``."""
    runs = Path(engagement) / RUNS_DIR
    found = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True) if runs.is_dir() else []
    return ([Path(out)] if out is not None else []) + found


def current_run(run_dir: Path, key_digest: str) -> Skip | None:
    """``run_dir`` as a :class:`Skip` when it succeeded, is complete, and was run with this key; else None."""
    try:
        manifest = read_manifest(run_dir)
        recorded = json.loads((run_dir / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("outcome") != "succeeded" or recorded.get("digest") != key_digest:
        return None
    outputs = [str(o) for o in manifest.get("outputs", [])]
    if MANIFEST_FILE not in outputs or not all((run_dir / o).is_file() for o in outputs):
        return None  # a deleted report: not current any more
    reports = [run_dir / o for o in outputs if o.startswith("report.")]
    return Skip(run_dir, sorted(reports, key=lambda p: (p.suffix != ".html", p.name)))


def find_unchanged(plan: RunPlan, key: Mapping[str, Any], out: str | os.PathLike[str] | None = None) -> Skip | None:
    """The newest earlier successful run of ``plan``'s client with the same key (``out`` first), if any."""
    want = digest(key)
    for run_dir in candidate_runs(plan.eng.path, Path(out).resolve() if out is not None else None):
        found = current_run(run_dir, want)
        if found is not None:
            return found
    return None


def plan_key(plan: RunPlan, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """:func:`run_key`, with an unreadable file turned into a :class:`~kpikit.errors.RunSetupError` naming it."""
    try:
        return run_key(plan, options)
    except OSError as exc:
        raise RunSetupError(f"cannot read it to decide whether the run is needed: {exc.strerror}", str(exc.filename)) from exc


def prepare(
    folder: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    options: Mapping[str, Any] | None = None,
    **run_options: Any,
) -> tuple[RunPlan, dict[str, Any], Skip | None]:
    """:func:`~kpikit.run.runner.prepare_run` plus the skip decision: ``(plan, key, skip or None)``.

    ``run_options`` go to ``prepare_run`` (``period``, ``formats``, ``notebooks`` ...); the
    plan they give is what the key hashes. An ``--out`` folder that holds this client's
    current run is a skip, not a refusal; any other non-empty ``--out`` is refused as
    before. ``force`` never skips.
    """
    plan = prepare_run(folder, out=None, **run_options)
    key = plan_key(plan, options)
    skip = None if force else find_unchanged(plan, key, out)
    if skip is None and out is not None:
        plan.out = _check_out(Path(out).resolve(), plan.eng.path)
    return plan, key, skip


def _check_out(out: Path, engagement: Path) -> Path:
    """The checks :func:`~kpikit.run.runner.prepare_run` makes on ``--out`` (inside the client, not empty)."""
    check_out_location(out, engagement, RUNS_DIR)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunSetupError("the output folder exists and is not empty; a run never overwrites another", str(out))
    return out


def unchanged_line(skip: Skip) -> str:
    """What a skipped client's progress line says (``--force`` re-runs it)."""
    return f"unchanged since {skip.run_dir} (--force runs it again)"


def record_success(result: RunResult, key: Mapping[str, Any]) -> None:
    """After a run: write its key when it succeeded (a failed run never becomes "unchanged")."""
    if result.ok:
        with contextlib.suppress(OSError):  # a full disk: the next run simply runs again
            write_key(result.out_dir, key)
