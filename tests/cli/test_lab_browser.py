"""The editors in a real JupyterLab, driven by Chromium: what a consultant actually does.

Starts JupyterLab (token and port chosen here) on the working copy that
:func:`kpikit.kit.workspace.prepare_workspace` makes for a temp copy of the demo client,
runs the scoring notebook, moves a slider, presses Save and checks the file on disk;
then types a vague objective title and checks the SMART reason appears while nothing
is written; types an objective's ID into the searchable picker and lands on it; pages
and filters the RACI grid; and opens the review notebook in presenting mode
(``kpikit lab --present``: code collapsed, the simple interface). Screenshots go to
``test-artifacts/``.

The kit's notebooks are used when they carry editor cells; until then the test writes
minimal notebooks (parameters cell + one editor call) and prepares the workspace from
those, through the same code path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from browsers import accept_kernel_chooser, chromium, chromium_or_skip, run_all_until, running_lab
from playwright.sync_api import expect
from support import ROOT

from kpikit.cli.lab import present_env, present_flags
from kpikit.kit.resources import notebooks_dir
from kpikit.kit.workspace import prepare_workspace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DEMO = ROOT / "clients" / "demo-harbor"
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "kpikit-browser-test-token"






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
    names = {"scoring_grid": "02_metrics.ipynb", "objectives_editor": "01_objectives.ipynb",
             "raci_grid": "05_stakeholders.ipynb", "actuals_entry": "06_review.ipynb"}
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


EDITORS = ("scoring_grid", "objectives_editor", "raci_grid", "actuals_entry")


@dataclass
class Lab:
    url: str
    client: Path
    workspace: Path
    notebooks: dict[str, str]
    source: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    chromium_or_skip()
    if not DEMO.exists():
        pytest.skip("clients/demo-harbor is not there yet")
    base = tmp_path_factory.mktemp("lab")
    client = base / "demo-harbor"
    shutil.copytree(DEMO, client, ignore=shutil.ignore_patterns(".kpikit", "runs"))
    real = notebooks_dir()
    notebooks = {f: _editor_notebook(real, f) for f in EDITORS} if real.is_dir() else {}
    if notebooks and all(notebooks.values()):
        source = real
        names = {k: str(v) for k, v in notebooks.items()}
    else:
        source = base / "kit-notebooks"
        names = _minimal_notebooks(source)
    wb = prepare_workspace(client, source)
    env = {k: v for k, v in os.environ.items() if k != "KPIKIT_UNATTENDED"}
    env["JUPYTER_CONFIG_DIR"] = str(base / "jupyter-config")  # no user settings leak in
    env = present_env(client, env)  # the presenting CSS: it styles only the simple interface (/doc)
    with running_lab(wb.folder, base, TOKEN, env, present_flags()) as url:
        yield Lab(url, client, wb.folder, names, source)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _open_and_run(browser: Any, lab: Lab, notebook: str, ui: str = "lab") -> Any:
    """Open ``notebook`` (``ui="doc"``: the simple interface, as ``kpikit lab --present`` does) and Run All."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{lab.url}/{ui}/tree/{notebook}?reset&token={TOKEN}")  # reset: no tabs restored
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    accept_kernel_chooser(page)
    if not run_all_until(page, ".kpikit-editor", 90_000):
        _shot(page, f"lab-failed-{Path(notebook).stem}.png")
        outputs = page.locator(".jp-OutputArea").all_inner_texts()
        page.close()
        pytest.fail(f"the editor did not render in {notebook}; cell outputs: {outputs}")
    return page


@contextlib.contextmanager
def _running(browser: Any, lab: Lab, notebook: str, name: str, ui: str = "lab") -> Iterator[Any]:
    """A page with ``notebook`` run; on a failure its screenshot is kept as ``lab-failed-NAME.png``."""
    page = _open_and_run(browser, lab, notebook, ui)
    try:
        yield page
    except Exception:
        _shot(page, f"lab-failed-{name}.png")
        raise
    finally:
        page.close()


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


def test_typing_an_objective_id_in_the_picker_lands_on_it(lab: Lab, browser: Any) -> None:
    """The searchable picker: a partial ID lists its matches, the whole ID picks that objective."""
    objectives = pd.read_csv(lab.client / "objectives.csv")
    target = objectives.iloc[-3]  # not the first: the editor opens on the first objective
    with _running(browser, lab, lab.notebooks["objectives_editor"], "picker") as page:
        title = page.locator(".kpikit-title textarea")
        title.wait_for()
        assert title.input_value() == objectives.iloc[0]["title"]
        box = page.locator(".kpikit-editor .kpikit-picker input").first
        box.click()
        box.press("Control+a")
        box.type(str(target["id"])[:-1], delay=30)  # "OBJ-1": several objectives match
        page.wait_for_selector(".kpikit-picker-hint:has-text('matches')")
        box.type(str(target["id"])[-1], delay=30)
        expect(title).to_have_value(str(target["title"]), timeout=30_000)
        assert box.input_value().startswith(f"{target['id']} — ")
        _shot(page, "lab-picker-typed-id.png")


def test_raci_grid_pages_and_filters_in_the_browser(lab: Lab, browser: Any) -> None:
    with _running(browser, lab, lab.notebooks["raci_grid"], "raci") as page:
        label = page.locator(".kpikit-raci-page")
        expect(label).to_contain_text("page 1 of", timeout=30_000)
        first_label = label.inner_text()
        pages = int(first_label.split(" of ")[1].split()[0])
        assert pages >= 2, first_label
        rows = page.locator(".kpikit-editor .widget-html :text-matches('^(OBJ|M)-')")
        first_item = rows.first.inner_text()
        page.click(".jupyter-widgets.widget-button:has-text('Next ▶')")
        expect(label).to_contain_text(f"page 2 of {pages}", timeout=30_000)
        expect(rows.first).not_to_have_text(first_item, timeout=30_000)
        _shot(page, "lab-raci-page-2.png")
        wanted = "OBJ-05"
        box = page.locator(".kpikit-raci-filter input")
        box.click()
        box.type(wanted, delay=30)
        expect(label).to_contain_text("page 1 of 1 (1 item)", timeout=30_000)
        shown = page.locator(".kpikit-editor .widget-html:visible").filter(has_text=re.compile(r"^(OBJ|M)-"))
        expect(shown).to_have_count(1, timeout=30_000)  # the other rows leave the grid
        assert shown.first.inner_text().startswith(wanted)
        assert page.locator(".kpikit-raci-cell select:visible").count() >= 1  # the item's cells are there to edit
        _shot(page, "lab-raci-filtered.png")


def _review_period(client: Path) -> object:
    """The review period of the client (the actuals editor's first metric is quarterly in the demo)."""
    from kpikit.data.store import load_engagement

    return load_engagement(client).review_period()


def test_presenting_mode_hides_code_in_the_simple_interface(lab: Lab, browser: Any) -> None:
    """``kpikit lab --present``: the copies open with code collapsed; outputs, charts and editors stay."""
    prepare_workspace(lab.client, lab.source, present=True)
    notebook = lab.notebooks["actuals_entry"]
    try:
        with _running(browser, lab, notebook, "presenting", ui="doc") as page:
            mode = page.evaluate("document.querySelector('.jp-LabShell')?.dataset.shellMode")
            assert mode == "single-document"
            assert page.locator("#jp-left-stack:visible").count() == 0  # no file browser beside the notebook
            code_cells = page.locator(".jp-Notebook .jp-CodeCell")
            n_code = code_cells.count()
            assert n_code >= 3
            assert page.locator(".jp-Notebook .jp-CodeCell .jp-InputPlaceholder").count() == n_code  # all collapsed
            assert page.locator(".jp-Notebook .jp-CodeCell .jp-InputPlaceholder:visible").count() == 0  # not even line 1
            assert page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-editor:visible").count() == 0
            text = page.locator(".jp-Notebook").inner_text()
            assert "import " not in text  # no code on the screen
            assert "open_step" not in text
            page.wait_for_selector(".kpikit-editor")
            assert page.locator(".jp-Notebook .jp-MarkdownCell:visible").count() >= 1  # the guide still reads
            assert page.locator(".jp-OutputArea .kpikit-table").count() >= 1  # and the formatted tables
            _shot(page, "lab-presenting.png")
            # 06 holds two editors (actuals, then actions): the actuals one is the one with a Value box
            editor = page.locator(".kpikit-editor", has=page.locator("label:text-is('Value')"))
            editor.scroll_into_view_if_needed()
            # the actuals editor's live status: what the review would call the typed value
            period = editor.locator(".widget-text:has(label:text-is('Period')) input")
            value = editor.locator(".widget-text:has(label:text-is('Value')) input")
            period.fill(str(_review_period(lab.client)))
            value.click()
            value.type("1", delay=30)
            live = page.locator(".kpikit-live-status")
            expect(live).to_contain_text("Status if saved", timeout=30_000)
            value.type("00", delay=30)  # 100: ahead of any expected share
            expect(live).to_contain_text("On track", timeout=30_000)
            _shot(page, "lab-presenting-editor.png")
    finally:
        prepare_workspace(lab.client, lab.source)  # code shown again for the other tests
    nb = nbformat.read(lab.workspace / notebook, as_version=4)
    assert not any(c.metadata.get("jupyter", {}).get("source_hidden") for c in nb.cells)
