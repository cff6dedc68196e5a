"""The command-line tests' kit: KPIKIT_HOME with one small notebook, so they do not depend on the real ones."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest


@pytest.fixture
def kit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KPIKIT_HOME with one notebook: markdown, parameters, an editor cell."""
    home = tmp_path / "kit"
    (home / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('client_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Step 1"), params, nbformat.v4.new_code_cell("print('editor')")]
    nbformat.write(nb, home / "notebooks" / "01_objectives.ipynb")
    monkeypatch.setenv("KPIKIT_HOME", str(home))
    return home
