"""The editors' client: a fresh copy of ``tests/fixtures/editors_small`` per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import FIXTURES


@pytest.fixture
def client(tmp_path: Path) -> Path:
    dest = tmp_path / "client"
    shutil.copytree(FIXTURES / "editors_small", dest)
    return dest
