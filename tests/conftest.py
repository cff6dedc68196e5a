"""Shared fixtures: ONE real demo run per test session, and a minimal client.

``demo_run`` runs ``kpikit run`` (html and pdf, the kit's own notebooks) on a copy
of ``clients/demo-harbor`` once for the whole session and returns the run folder;
report, browser and runner tests all read that folder instead of paying for their
own run. Treat it as read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import DEMO, copy_client, run_cli, write_minimal_client


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one real ``kpikit run`` of the demo client (html + pdf)."""
    from kpikit.kit.resources import notebooks_dir

    if not DEMO.is_dir():
        pytest.fail(f"the demo client is missing: {DEMO}")
    if not any(notebooks_dir().glob("*.ipynb")):
        pytest.fail(f"the workbook notebooks are missing: {notebooks_dir()}")
    client = copy_client(DEMO, tmp_path_factory.mktemp("demo"))
    code = run_cli(["run", str(client), "--format", "html,pdf", "--quiet"])
    runs = sorted((client / "runs").iterdir()) if (client / "runs").is_dir() else []
    assert code == 0, f"kpikit run of the demo client failed (exit {code}); see {runs[-1] if runs else client}"
    assert len(runs) == 1
    return runs[0]


@pytest.fixture
def minimal_client(tmp_path: Path) -> Path:
    """A fresh engagement folder with only the required files."""
    return write_minimal_client(tmp_path / "minimal")


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[[str], Path]:
    """Copies of the demo client under ``tmp_path``, one per name."""

    def make(name: str = "demo-harbor") -> Path:
        return copy_client(DEMO, tmp_path, name)

    return make
