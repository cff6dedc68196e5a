"""A demo client with one published report, made from the session's demo run (``tests/conftest.py::demo_run``).

Publishing needs a real run; the session already has one, so a test module copies its
client, publishes that run (``kpikit publish``) and keeps the folder without ``runs/``;
each test then works on its own copy (:func:`client_copy`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from support import run_cli

PUBLISHED_PERIOD = "2026-Q3"
"""The demo's review period (engagement.yaml ``current_period``): the period the demo run publishes."""


def publish_demo(demo_run: Path, parent: Path) -> Path:
    """A copy of the demo run's client with that run published; ``runs/`` removed (nothing reads it later)."""
    client = parent / "published-client"
    shutil.copytree(demo_run.parent.parent, client)
    assert run_cli(["publish", str(client / "runs" / demo_run.name)]) == 0
    assert (client / "published" / PUBLISHED_PERIOD / "published.json").is_file()
    shutil.rmtree(client / "runs")
    return client


def client_copy(published: Path, parent: Path) -> Path:
    """A test's own copy of the published client (the published/ record stays read-only in the copy)."""
    dest = parent / "client"
    shutil.copytree(published, dest)
    return dest
