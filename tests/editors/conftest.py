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


@pytest.fixture(scope="session")
def benchmark_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engine benchmark's client (500 objectives, 1,500 metrics, 200 people), generated once."""
    import importlib.util

    from support import ROOT

    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "benchmarks" / "bench_engine.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = tmp_path_factory.mktemp("bench") / "bench-client"
    module.generate(folder)
    return folder


@pytest.fixture
def big_client(benchmark_source: Path, tmp_path: Path) -> Path:
    """A fresh copy of the benchmark client per test."""
    dest = tmp_path / "big"
    shutil.copytree(benchmark_source, dest)
    return dest
