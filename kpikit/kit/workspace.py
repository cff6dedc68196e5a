"""A client's workspace: working copies of the step notebooks, for ``kpikit lab``.

The kit's notebooks (``notebooks/*.ipynb``) are never opened for editing: a consultant
works in ``DIR/.kpikit/workbook/`` (the folder keeps its first name, so existing copies
stay where consultants left them), on copies parameterized with papermill (an
``injected-parameters`` cell after the ``parameters`` cell sets ``client_dir`` to the
folder's absolute path), so every editor cell saves to that client's files.

Refreshing never clobbers a consultant's work without asking. A manifest
(``.kpikit-workbook.json``) records, per copy, a fingerprint of the kit notebook it
came from and of the cell sources it was written with (outputs and metadata do not
count: running cells is not editing them). On refresh a copy is

* created when missing;
* left alone when the kit notebook did not change;
* rewritten when the kit notebook changed and the copy was not edited;
* **kept** when both changed (``conflict``), unless the caller says ``replace=True``:
  then the consultant's copy is first moved to ``.kpikit/workbook/replaced/<stamp>/``.

Presenting (``present=True``, ``kpikit lab --present``) collapses the code input of every
code cell in the copies (``metadata.jupyter.source_hidden``, which JupyterLab honours on
open), so the client sees the editors, tables and charts and not the code. Cells collapsed
this way carry ``metadata.kpikit.presenting`` and are expanded again by the next
``present=False`` preparation; a cell the consultant collapsed by hand stays collapsed.
Only metadata changes, so a copy does not count as edited (the fingerprint is the sources).

>>> result = prepare_workspace("clients/demo-harbor")       # doctest: +SKIP
>>> [(s.name, s.action) for s in result.notebooks]          # doctest: +SKIP
[('01_objectives.ipynb', 'created'), ...]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import nbformat

from kpikit.data.csvio import atomic_write
from kpikit.errors import WorkspaceError
from kpikit.kit.resources import notebooks_dir

WORKSPACE_DIR = Path(".kpikit") / "workbook"
"""Where the working copies live in a client folder (named before "workspace" was; kept for existing copies)."""
MANIFEST = ".kpikit-workbook.json"
PRESENTING_KEY = "presenting"
"""``metadata.kpikit.presenting``: this cell's input was collapsed by presenting mode."""
Action = Literal["created", "unchanged", "updated", "conflict", "replaced"]


@dataclass(frozen=True)
class NotebookCopy:
    """What :func:`prepare_workspace` did with one notebook."""

    name: str
    path: Path
    action: Action


@dataclass(frozen=True)
class Workspace:
    """The working copies of one client's step notebooks."""

    folder: Path
    notebooks: list[NotebookCopy]

    @property
    def conflicts(self) -> list[NotebookCopy]:
        """Copies the consultant edited while the kit's notebook changed too (kept as they are)."""
        return [n for n in self.notebooks if n.action == "conflict"]


def workspace_dir(client_dir: str | os.PathLike[str]) -> Path:
    """Where the working copies of a client's notebooks live."""
    return Path(client_dir).resolve() / WORKSPACE_DIR


def source_fingerprint(nb: Any) -> str:
    """SHA-256 of a notebook's cell types and sources: what editing changes, not running."""
    cells = [(c.get("cell_type"), _source(c)) for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def parameterized(source: Path, client_dir: Path) -> Any:
    """The kit notebook with ``client_dir`` injected (papermill's own parameterization)."""
    from papermill.parameterize import parameterize_notebook

    try:
        nb = _read_nb(source)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{source}: cannot read the notebook: {exc}") from exc
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata.setdefault("papermill", {})
    untagged = [c for c in nb.cells if "tags" not in c.metadata]
    for c in untagged:  # papermill expects every cell to have a tags list
        c.metadata["tags"] = []
    nb = parameterize_notebook(nb, {"client_dir": str(client_dir)}, kernel_name="python3", language="python",
                               comment="kpikit lab: the client folder these notebooks edit")
    for c in untagged:
        if not c.metadata.get("tags"):
            del c.metadata["tags"]
    nb.metadata.pop("papermill", None)
    return nb


def prepare_workspace(
    client_dir: str | os.PathLike[str],
    source_dir: str | os.PathLike[str] | None = None,
    *,
    replace: bool = False,
    present: bool = False,
) -> Workspace:
    """Create or refresh the working copies for ``client_dir`` (see the module doc for the rules).

    ``source_dir`` defaults to the kit's ``notebooks/``. The kit notebooks are only read.
    ``present`` collapses the code inputs of every copy (presenting mode); without it the
    inputs presenting mode collapsed are shown again.
    """
    client = Path(client_dir).resolve()
    src = Path(source_dir) if source_dir is not None else notebooks_dir()
    sources = sorted(src.glob("*.ipynb")) if src.is_dir() else []
    if not sources:
        raise WorkspaceError(f"{src}: no step notebooks (*.ipynb) found")
    dest = client / WORKSPACE_DIR
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    manifest: dict[str, dict[str, str]] = _read_manifest(manifest_path)
    out: list[NotebookCopy] = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for s in sources:
        nb = parameterized(s, client)
        kit_fp = hashlib.sha256(s.read_bytes()).hexdigest()
        target = dest / s.name
        entry = manifest.get(s.name)
        action: Action
        if not target.exists() or (entry is None and not _read_ok(target)):
            action = "created"
        else:
            edited = entry is None or source_fingerprint(_read_nb(target)) != entry.get("written")
            kit_changed = entry is None or entry.get("kit") != kit_fp
            if not kit_changed:
                _set_presenting_file(target, present)
                out.append(NotebookCopy(s.name, target, "unchanged"))
                continue
            if edited and not replace:
                _set_presenting_file(target, present)
                out.append(NotebookCopy(s.name, target, "conflict"))
                continue
            if edited:
                keep = dest / "replaced" / stamp
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, keep / s.name)
                action = "replaced"
            else:
                action = "updated"
        set_presenting(nb, present)
        atomic_write(target, _writes_nb(nb).encode("utf-8"))
        manifest[s.name] = {"kit": kit_fp, "written": source_fingerprint(nb)}
        out.append(NotebookCopy(s.name, target, action))
    atomic_write(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return Workspace(dest, out)


def set_presenting(nb: Any, present: bool) -> bool:
    """Collapse (or expand again) the code inputs of ``nb`` for presenting; True if anything changed.

    Expanding touches only cells presenting mode collapsed (``metadata.kpikit.presenting``).
    """
    changed = False
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.setdefault("metadata", {})
        marks = meta.get("kpikit", {})
        ours = isinstance(marks, dict) and marks.get(PRESENTING_KEY) is True
        jupyter = meta.get("jupyter", {})
        hidden = isinstance(jupyter, dict) and jupyter.get("source_hidden") is True
        if present and not hidden:
            meta.setdefault("jupyter", {})["source_hidden"] = True
            meta.setdefault("kpikit", {})[PRESENTING_KEY] = True
            changed = True
        elif not present and ours:
            meta["jupyter"].pop("source_hidden", None)
            if not meta["jupyter"]:
                del meta["jupyter"]
            meta["kpikit"].pop(PRESENTING_KEY, None)
            if not meta["kpikit"]:
                del meta["kpikit"]
            changed = True
    return changed


def _set_presenting_file(path: Path, present: bool) -> None:
    """:func:`set_presenting` on a copy on disk, rewritten only when a cell changed."""
    try:
        nb = _read_nb(path)
    except (OSError, ValueError):
        return  # an unreadable copy is the consultant's; leave it as it is
    if set_presenting(nb, present):
        atomic_write(path, _writes_nb(nb).encode("utf-8"))


def _read_nb(path: Path) -> Any:
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def _writes_nb(nb: Any) -> str:
    text: str = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    return text


def _read_ok(path: Path) -> bool:
    try:
        _read_nb(path)
    except (OSError, ValueError):
        return False
    return True


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
