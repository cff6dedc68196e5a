"""Working copies for ``kpikit lab``: parameterized, never clobbering a consultant's edits."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from support import FIXTURES

from kpikit.errors import WorkspaceError
from kpikit.kit.workspace import prepare_workspace, workspace_dir

FIXTURE = FIXTURES / "editors_small"


def _kit(folder: Path) -> Path:
    """A kit with one notebook shaped like the real ones: parameters, load, editor cell."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('client_dir = "../clients/demo-harbor"\nperiod = None')
    params.metadata["tags"] = ["parameters"]
    editor = nbformat.v4.new_code_cell("from kpikit import editors\neditors.scoring_grid(eng)")
    editor.metadata["tags"] = ["editor"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Step 2"), params,
                nbformat.v4.new_code_cell("import kpikit\neng = kpikit.load_engagement(client_dir)"), editor]
    nbformat.write(nb, folder / "02_metrics.ipynb")
    return folder


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    return client, _kit(tmp_path / "kit")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _edit_kit(kit: Path, text: str) -> None:
    nb = nbformat.read(kit / "02_metrics.ipynb", as_version=4)
    nb.cells[0].source = text
    nbformat.write(nb, kit / "02_metrics.ipynb")


def test_copy_injects_client_dir_after_parameters_and_leaves_kit_alone(setup: tuple[Path, Path]) -> None:
    client, kit = setup
    kit_sha = _sha(kit / "02_metrics.ipynb")
    wb = prepare_workspace(client, kit)
    assert wb.folder == workspace_dir(client) == client.resolve() / ".kpikit" / "workbook"
    assert [(n.name, n.action) for n in wb.notebooks] == [("02_metrics.ipynb", "created")]
    nb = nbformat.read(wb.folder / "02_metrics.ipynb", as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1] == ["parameters"]
    assert tags[2] == ["injected-parameters"]
    assert f'client_dir = "{client.resolve()}"' in nb.cells[2].source
    assert tags[4] == ["editor"]
    assert "tags" not in nb.cells[0].metadata  # no noise added to untagged cells
    assert _sha(kit / "02_metrics.ipynb") == kit_sha


def test_refresh_rules(setup: tuple[Path, Path]) -> None:
    client, kit = setup
    prepare_workspace(client, kit)
    copy = workspace_dir(client) / "02_metrics.ipynb"
    assert prepare_workspace(client, kit).notebooks[0].action == "unchanged"

    # Running cells (outputs) is not editing: a new kit version replaces the copy.
    nb = nbformat.read(copy, as_version=4)
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", text="ran")]
    nbformat.write(nb, copy)
    _edit_kit(kit, "# Step 2, revised")
    assert prepare_workspace(client, kit).notebooks[0].action == "updated"
    assert nbformat.read(copy, as_version=4).cells[0].source == "# Step 2, revised"

    # An edited copy is kept when the kit changes again ...
    nb = nbformat.read(copy, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("my_analysis = 42"))
    nbformat.write(nb, copy)
    mine = copy.read_bytes()
    _edit_kit(kit, "# Step 2, third version")
    wb = prepare_workspace(client, kit)
    assert [n.action for n in wb.conflicts] == ["conflict"]
    assert copy.read_bytes() == mine
    # ... and replaced only when asked, with the consultant's version kept aside.
    wb = prepare_workspace(client, kit, replace=True)
    assert wb.notebooks[0].action == "replaced"
    kept = list((workspace_dir(client) / "replaced").glob("*/02_metrics.ipynb"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == mine
    assert "my_analysis" not in copy.read_text()


def test_unknown_copy_is_treated_as_the_consultants(setup: tuple[Path, Path]) -> None:
    client, kit = setup
    prepare_workspace(client, kit)
    manifest = workspace_dir(client) / ".kpikit-workbook.json"
    manifest.unlink()
    copy = workspace_dir(client) / "02_metrics.ipynb"
    before = copy.read_bytes()
    assert prepare_workspace(client, kit).notebooks[0].action == "conflict"
    assert copy.read_bytes() == before
    assert json.loads(manifest.read_text()) == {}


def test_no_notebooks_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    with pytest.raises(WorkspaceError, match="no step notebooks"):
        prepare_workspace(tmp_path, tmp_path / "kit")


@pytest.mark.slow
def test_working_copy_runs_unattended_without_writing(setup: tuple[Path, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    client, kit = setup
    wb = prepare_workspace(client, kit)
    before = {p.name: _sha(p) for p in client.iterdir() if p.is_file()}
    out = tmp_path / "out.ipynb"
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")  # what the runner sets; the kernel inherits it
    papermill.execute_notebook(str(wb.folder / "02_metrics.ipynb"), str(out), kernel_name="python3",
                               progress_bar=False, cwd=str(wb.folder))
    nb = nbformat.read(out, as_version=4)
    shown = nb.cells[-1].outputs[0]["data"]
    assert "Metric scoring grid" in shown["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in shown
    assert {p.name: _sha(p) for p in client.iterdir() if p.is_file()} == before


def test_real_kit_notebooks_get_client_dir_after_their_parameters_cell(tmp_path: Path) -> None:
    from kpikit.kit.resources import notebooks_dir

    kit = notebooks_dir()
    sources = sorted(kit.glob("*.ipynb"))
    if not sources:
        pytest.skip("the kit's notebooks are not there yet")
    before = {p.name: _sha(p) for p in sources}
    client = tmp_path / "client"
    shutil.copytree(FIXTURE, client)
    wb = prepare_workspace(client)
    assert [n.name for n in wb.notebooks] == [p.name for p in sources]
    for n in wb.notebooks:
        nb = nbformat.read(n.path, as_version=4)
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        i = next(k for k, t in enumerate(tags) if "parameters" in t)
        assert tags[i + 1] == ["injected-parameters"], n.name
        assert str(client.resolve()) in nb.cells[i + 1].source
    assert {p.name: _sha(p) for p in sources} == before
