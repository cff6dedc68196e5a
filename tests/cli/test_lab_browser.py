"""The editors in a real JupyterLab, driven by Chromium: what a consultant actually does.

Starts JupyterLab (token and port chosen here) on the working copy that
:func:`kpikit.kit.workspace.prepare_workspace` makes for a temp copy of the demo client,
runs the scoring notebook, moves a slider, presses Save and checks the file on disk;
then types a vague objective title and checks the SMART reason appears while nothing
is written. Screenshots go to ``test-artifacts/``.

The kit's notebooks are used when they carry editor cells; until then the test writes
minimal notebooks (parameters cell + one editor call) and prepares the workspace from
those, through the same code path.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from playwright.sync_api import expect
from support import ROOT

from kpikit.kit.resources import notebooks_dir
from kpikit.kit.workspace import prepare_workspace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DEMO = ROOT / "clients" / "demo-harbor"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
TOKEN = "kpikit-browser-test-token"


def _chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _editor_notebook(source: Path, function: str) -> str | None:
    """The kit notebook whose ``editor`` cell calls ``function``, if any."""
    for nb_path in sorted(source.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if "editor" in cell.get("metadata", {}).get("tags", []) and f"{function}(" in cell.source:
                return nb_path.name
    return None


def _minimal_notebooks(folder: Path) -> dict[str, str]:
    """Two small notebooks shaped like the kit's: parameters, load, one editor cell."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {"scoring_grid": "02_metrics.ipynb", "objectives_editor": "01_objectives.ipynb"}
    for function, name in names.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        params = nbformat.v4.new_code_cell('client_dir = ""\nperiod = None')
        params.metadata["tags"] = ["parameters"]
        load = nbformat.v4.new_code_cell("from kpikit.data.store import load_engagement\neng = load_engagement(client_dir)")
        editor = nbformat.v4.new_code_cell(f"from kpikit.editors import {function}\n{function}(eng)")
        editor.metadata["tags"] = ["editor"]
        nb.cells = [params, load, editor]
        nbformat.write(nb, folder / name)
    return names


@dataclass
class Lab:
    url: str
    client: Path
    workspace: Path
    notebooks: dict[str, str]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _chromium_or_skip()
    if not DEMO.exists():
        pytest.skip("clients/demo-harbor is not there yet")
    base = tmp_path_factory.mktemp("lab")
    client = base / "demo-harbor"
    shutil.copytree(DEMO, client, ignore=shutil.ignore_patterns(".kpikit", "runs"))
    real = notebooks_dir()
    notebooks = {f: _editor_notebook(real, f) for f in ("scoring_grid", "objectives_editor")} if real.is_dir() else {}
    if notebooks and all(notebooks.values()):
        source = real
        names = {k: str(v) for k, v in notebooks.items()}
    else:
        source = base / "kit-notebooks"
        names = _minimal_notebooks(source)
    wb = prepare_workspace(client, source)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "KPIKIT_UNATTENDED"}
    env["JUPYTER_CONFIG_DIR"] = str(base / "jupyter-config")  # no user settings leak in
    log = (base / "jupyter.log").open("wb")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={wb.folder}", "--allow-root",
           "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(base / 'jupyter.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer /api/status within 60 s")
            time.sleep(0.3)
        yield Lab(url, client, wb.folder, names)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        try:
            yield b
        finally:
            b.close()


def _open_and_run(browser: Any, lab: Lab, notebook: str) -> Any:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{lab.url}/lab/tree/{notebook}?reset&token={TOKEN}")  # reset: no tabs restored
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    _dismiss_dialogs(page)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"] >> visible=true')
    page.click('.lm-MenuBar-itemLabel:text-is("Run")')
    page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
    try:
        page.wait_for_selector(".kpikit-editor", timeout=90_000)
    except Exception:
        _shot(page, f"lab-failed-{Path(notebook).stem}.png")
        outputs = page.locator(".jp-OutputArea").all_inner_texts()
        page.close()
        pytest.fail(f"the editor did not render in {notebook}; cell outputs: {outputs}")
    return page


def _dismiss_dialogs(page: Any) -> None:
    """Accept JupyterLab's kernel chooser if it pops up (it may, on a fresh server)."""
    select = page.locator(".jp-Dialog .jp-Dialog-button:has-text('Select')")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if select.count():
            select.first.click()
            break
        time.sleep(0.2)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_slider_then_save_writes_metric_scores(lab: Lab, browser: Any) -> None:
    scores_file = lab.client / "metric_scores.csv"
    before = pd.read_csv(scores_file)
    page = _open_and_run(browser, lab, lab.notebooks["scoring_grid"])
    try:
        first_score = page.locator(".kpikit-score .kpikit-weighted").first
        first_score.wait_for()
        old_text = first_score.inner_text()
        slider = page.locator(".kpikit-criterion-relevance").first
        readout = slider.locator(".widget-readout")
        old_value = float(readout.inner_text())
        handle = slider.locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowLeft" if old_value > 1 else "ArrowRight")
        expect(first_score).not_to_have_text(old_text, timeout=30_000)  # the kernel answered
        new_value = float(readout.inner_text())
        new_text = first_score.inner_text()
        assert new_value != old_value
        assert new_text != old_text
        unsaved = pd.read_csv(scores_file)
        assert unsaved.equals(before), "a slider move alone must not write"
        _shot(page, "lab-scoring-moved.png")
        page.click(".jupyter-widgets.widget-button:has-text('Save')")
        page.wait_for_selector(".kpikit-info:has-text('Saved')")
        _shot(page, "lab-scoring-saved.png")
        after = pd.read_csv(scores_file)
        row = 0  # the grid shows the first scored objective's pairings first, in file order
        assert after.loc[row, "relevance"] == pytest.approx(new_value)
        assert after.drop(columns="relevance").equals(before.drop(columns="relevance"))
        assert (after["relevance"] != before["relevance"]).sum() == 1
        backups = list((lab.client / ".kpikit" / "backups").glob("*/metric_scores.csv"))
        assert len(backups) == 1
        assert pd.read_csv(backups[0]).equals(before)
        page.click(".jupyter-widgets.widget-button:has-text('Undo last save')")
        page.wait_for_selector(".kpikit-info:has-text('Undone')")
        assert pd.read_csv(scores_file).equals(before)
    except Exception:
        _shot(page, "lab-failed-scoring.png")
        raise
    finally:
        page.close()


def test_vague_title_shows_reason_and_writes_nothing(lab: Lab, browser: Any) -> None:
    objectives = lab.client / "objectives.csv"
    sha_before = _sha(objectives)
    changes = lab.client / "changes.csv"
    changes_before = _sha(changes) if changes.exists() else None
    page = _open_and_run(browser, lab, lab.notebooks["objectives_editor"])
    try:
        verdict = page.locator(".kpikit-smart-title")
        verdict.wait_for()
        assert "✓ Specific" in verdict.inner_text()
        box = page.locator(".kpikit-title textarea")
        box.click()
        box.press("Control+a")
        box.type("Improve culture", delay=20)
        page.wait_for_selector(".kpikit-smart-title:has-text('Not specific'):has-text('Improve culture')")
        reason = page.locator(".kpikit-smart-title .kpikit-reason").inner_text()
        assert "too short to be specific" in reason
        assert page.locator(".kpikit-editor :text('unsaved changes')").count() == 1
        _shot(page, "lab-objectives-vague-title.png")
        time.sleep(1.0)  # give any (wrong) write a chance to happen
        assert _sha(objectives) == sha_before, "typing must not save: only the Save button writes"
        assert (_sha(changes) if changes.exists() else None) == changes_before
    except Exception:
        _shot(page, "lab-failed-objectives.png")
        raise
    finally:
        page.close()


def test_working_copy_has_client_dir_and_kit_notebooks_untouched(lab: Lab) -> None:
    nb = json.loads((lab.workspace / lab.notebooks["scoring_grid"]).read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(injected) == 1
    assert repr(str(lab.client.resolve()))[1:-1] in "".join(injected[0]["source"])
