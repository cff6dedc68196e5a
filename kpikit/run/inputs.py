"""``RUN_DIR/inputs/``: an exact copy of the engagement files a run read.

A report is only worth keeping if it can be re-run and compared: every run copies the
files it loaded (``engagement.yaml`` and the contract's CSV tables, the ones hashed in
``manifest.json``) plus the logo and the ``.sql`` query files the folder names, byte for
byte, into ``inputs/``. ``kpikit run RUN_DIR/inputs --out NEW`` then runs the same report
again, ``kpikit publish`` keeps the copy with the published report and ``kpikit compare``
reads it. The data behind a source (a database, a Parquet extract) and secrets (they live
in the environment, never in a file of the folder) are not copied.

The copy is checked against the hashes taken when the engagement was loaded: a file
edited between the load and the copy would make the copy say something the run did not
read, so the run stops (:class:`~kpikit.errors.RunSetupError`) and asks to run again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kpikit.data.csvio import sha256_bytes
from kpikit.data.model import Engagement
from kpikit.errors import RunSetupError

INPUTS_DIR = "inputs"


def extra_inputs(eng: Engagement) -> list[str]:
    """Files beyond the hashed tables that the run reads: the logo and ``.sql`` query files (of metrics and of
    sources' bulk queries), relative paths."""
    names: list[str] = []
    logo = eng.config.report.logo
    if logo and _inside_folder(eng.path, logo):
        names.append(Path(logo).as_posix())
    for src in getattr(eng.config, "sources", {}).values():  # a source's bulk query file (its data is not copied)
        q = (getattr(src, "query", None) or "").strip()
        if q.lower().endswith(".sql") and _inside_folder(eng.path, q):
            names.append(Path(q).as_posix())
    metrics = eng.metrics
    if "query" in metrics.columns:
        for q in metrics["query"].dropna().astype(str):
            q = q.strip()
            if q.lower().endswith(".sql") and "\n" not in q and _inside_folder(eng.path, q):
                names.append(Path(q).as_posix())
    return sorted(set(names))


def _inside_folder(folder: Path, name: str) -> bool:
    p = Path(name)
    if p.is_absolute() or ".." in p.parts:
        return False
    return (folder / p).is_file()


def copy_inputs(eng: Engagement, out: Path) -> list[str]:
    """Copy the engagement's inputs into ``out/inputs/``; returns the copied names (relative, sorted).

    Raises :class:`~kpikit.errors.RunSetupError` when a hashed file no longer has the
    bytes the run loaded (it was edited while the run started).
    """
    dest = out / INPUTS_DIR
    dest.mkdir(exist_ok=True)
    copied: list[str] = []
    for name, digest in sorted(eng.fingerprints.items()):
        data = (eng.path / name).read_bytes()
        if sha256_bytes(data) != digest:
            raise RunSetupError(f"{name} changed while the run was starting; run again", str(eng.path))
        (dest / name).write_bytes(data)
        copied.append(name)
    for name in extra_inputs(eng):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(eng.path / name, target)
        copied.append(name)
    return sorted(copied)


def input_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (an ``inputs/`` copy), by relative path."""
    return {
        p.relative_to(folder).as_posix(): sha256_bytes(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
