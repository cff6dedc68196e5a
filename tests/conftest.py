"""Shared fixtures: ONE real demo run per test session, and a minimal client.

``demo_run`` runs ``kpikit run`` (html and pdf, the kit's own notebooks) on a copy
of ``clients/demo-harbor`` once for the whole session and returns the run folder;
report, browser and runner tests all read that folder instead of paying for their
own run. Treat it as read-only.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "clients" / "demo-harbor"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def copy_client(src: Path, dest_parent: Path, name: str | None = None) -> Path:
    """Copy an engagement folder (inputs only: earlier runs and backups stay behind)."""
    dest = dest_parent / (name or src.name)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("runs", ".kpikit", ".ipynb_checkpoints", "notebooks"))
    return dest


def write_minimal_client(folder: Path, client: str = "Minimal Ltd") -> Path:
    """An engagement with only the required files (settings, units, objectives, metrics)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(
        textwrap.dedent(
            f"""\
            client: {client}
            mission: Make things that work.
            pillars:
              - id: P1
                name: Quality
            current_period: "2026-Q2"
            """
        ),
        encoding="utf-8",
    )
    (folder / "org_units.csv").write_text("id,name,parent_id,lead\nU1,Head office,,Ann Lee\nU2,Plant,U1,Bo Chen\n", encoding="utf-8")
    (folder / "objectives.csv").write_text(
        "id,title,org_unit_id,parent_id,pillar_id,owner,due,description\n"
        "O1,Cut the defect rate to under 2% of units shipped by December 2026,U1,,P1,Ann Lee,2026-12-31,\n"
        "O2,Reduce scrap at the plant by 10% by December 2026,U2,O1,,Bo Chen,2026-12-31,\n",
        encoding="utf-8",
    )
    (folder / "metrics.csv").write_text(
        "id,name,definition,formula,unit,direction,frequency,data_source,owner,type\n"
        "M1,Defect rate,Share of shipped units returned as defective,returns / shipped,%,down,quarterly,ERP,Bo Chen,lagging\n",
        encoding="utf-8",
    )
    return folder


def hash_inputs(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of an engagement outside ``runs/`` (to prove a run changed nothing)."""
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] != "runs"
    }


def run_cli(args: list[str]) -> int:
    """``kpikit ARGS`` in this process (the same code path as the console script)."""
    from kpikit.cli import main

    return main(args)


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
