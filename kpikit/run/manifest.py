"""``manifest.json``: what a run used and what became of it.

A deliverable is only trustworthy if one can say what produced it: which input
files (SHA-256 of each), which period and parameters, which package versions, when,
and whether it succeeded; when it failed, which notebook, cell and error. The
runner rewrites the manifest (atomically) after every step, so even a run that was
killed leaves a manifest saying how far it got (``outcome: "running"``); one stopped
by Ctrl-C or SIGTERM says ``"interrupted"``, one that failed ``"failed"``, each with a
:class:`Failure` naming the step and the reason.

Paths in it are relative to the run folder (``engagement: "../.."``) or bare folder
names: a manifest travels with the deliverables and names neither this machine nor
its user (:mod:`kpikit.run.outputs`).

>>> m = Manifest(client="Acme", engagement="../..", period="2026-Q3", started="2026-11-27T05:00:00+00:00")
>>> m.to_dict()["outcome"]
'running'
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from kpikit.data.csvio import atomic_write

MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1

PACKAGES = ("kpikit", "pandas", "papermill", "nbclient", "nbconvert", "ipykernel", "altair", "vl-convert-python", "weasyprint")
"""Packages whose versions decide what a run produces."""

Outcome = Literal["running", "succeeded", "failed", "interrupted"]


def utc_now() -> str:
    """The current time, UTC, ISO 8601 with seconds (``2026-11-27T05:31:02+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES` plus ``python``; ``"missing"`` if not installed."""
    out: dict[str, str] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    out["python"] = platform.python_version()
    return out


@dataclass
class NotebookRecord:
    """One executed notebook: its name, how long it took, and whether it succeeded."""

    notebook: str
    seconds: float
    status: Literal["succeeded", "failed"]


@dataclass
class Failure:
    """Where a run failed. ``step``: ``"tables"``, ``"kernel"``, ``"notebook"``, ``"report"``,
    ``"write"`` (the disk refused: full, read-only) or ``"interrupted"`` (Ctrl-C, SIGTERM).

    ``cell_index`` is 0-based in the executed notebook (the one under
    ``notebooks/``); ``execution_count`` is the ``In [n]`` shown next to that cell.
    """

    step: str
    ename: str
    evalue: str
    notebook: str | None = None
    cell_index: int | None = None
    execution_count: int | None = None

    def describe(self) -> str:
        """One line for a user: ``03_cascade.ipynb, cell 5 (In [4]): NameError: name 'x' ...``."""
        where = self.notebook or self.step
        if self.cell_index is not None:
            where += f", cell {self.cell_index}"
            if self.execution_count is not None:
                where += f" (In [{self.execution_count}])"
        return f"{where}: {self.ename}: {self.evalue}" if self.evalue else f"{where}: {self.ename}"


@dataclass
class Manifest:
    """The content of ``manifest.json`` (see the module docstring)."""

    client: str
    engagement: str
    period: str | None
    started: str
    parameters: dict[str, Any] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    notebooks_source: str = ""
    kernel: dict[str, Any] = field(default_factory=dict)
    notebooks: list[NotebookRecord] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    report_seconds: float | None = None
    finished: str | None = None
    seconds: float | None = None
    outcome: Outcome = "running"
    failure: Failure | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"manifest_version": MANIFEST_VERSION, **data}

    def write(self, folder: Path) -> Path:
        """Write ``manifest.json`` into ``folder`` atomically; returns its path."""
        path = folder / MANIFEST_FILE
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        atomic_write(path, text.encode("utf-8"))
        return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a run folder as a dict (for tests, the batch summary and tools)."""
    data: dict[str, Any] = json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
    return data
