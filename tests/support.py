"""Helpers shared by the test modules: where the fixtures are, copies of clients, hashes.

Imported as ``from support import ...`` (``pythonpath = ["tests"]`` in pyproject.toml);
the fixtures themselves are in ``conftest.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpikit.data.model import Engagement

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "clients" / "demo-harbor"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pdf_text(path: Path) -> str:
    """The text a reader of the PDF gets (pdftotext, in reading order); skips when poppler-utils is missing."""
    import pytest

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


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


def visible(html: str) -> str:
    """The text a reader sees in an HTML fragment or page (no styles or scripts), spaces folded."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def set_owners(editor: object, **owners: str) -> None:
    """In an objectives editor (or the cascade linker), pick each objective and type its owner, in order.

    >>> class Box: value = ""
    >>> class Ed: picker, owner_box = Box(), Box()
    >>> ed = Ed(); set_owners(ed, O_02="Cy Diaz"); (ed.picker.value, ed.owner_box.value)
    ('O-02', 'Cy Diaz')
    """
    for oid, owner in owners.items():
        editor.picker.value = oid.replace("_", "-")  # type: ignore[attr-defined]
        editor.owner_box.value = owner  # type: ignore[attr-defined]


def verdict(check: Callable[[], Engagement]) -> tuple[str, object]:
    """("ok", the engagement) or ("refused", each problem's text, column and row): two loads compare by this."""
    from kpikit.errors import EngagementError

    try:
        return "ok", check()
    except EngagementError as exc:
        return "refused", [(str(p), p.column, p.row) for p in exc.problems]


def assert_same_engagement(a: Engagement, b: Engagement, *record_fields: str) -> None:
    """Same tables (values and dtypes), source lines and headers, and the same ``record_fields`` of the store's record."""
    from kpikit.data.store import frames_equal, record_of

    assert a.present == b.present
    for name in b.tables:
        assert frames_equal(a.tables[name], b.tables[name]), name
        assert a.tables[name].dtypes.equals(b.tables[name].dtypes), name
    ra, rb = record_of(a), record_of(b)
    for field in ("source_lines", "headers", *record_fields):
        assert getattr(ra, field) == getattr(rb, field), field


def assert_same_verdict(a: tuple[str, object], b: tuple[str, object], *record_fields: str) -> None:
    """Two :func:`verdict` s agree: the same problems, or engagements equal as :func:`assert_same_engagement` says."""
    from kpikit.data.model import Engagement

    assert a[0] == b[0]
    if b[0] == "refused":
        assert a[1] == b[1]
    else:
        assert isinstance(a[1], Engagement)
        assert isinstance(b[1], Engagement)
        assert_same_engagement(a[1], b[1], *record_fields)
