"""The kit's notebooks in a real JupyterLab on a large client, driven by Chromium (issue 12 items 3 and 4).

At 500 objectives, 1,500 metrics and 200 people the RACI grid once never drew ("widget
model not found") and the pickers were 1,500-option dropdowns. Here the benchmark client
(``benchmarks/bench_engine.py``, as ``tests/editors/test_raci_scale.py`` uses it) is opened
in one lab server for the module: 05_stakeholders' grid draws, pages, filters items and
searches people; 01_objectives' searchable picker lands on a typed ID. Screenshots go to
``test-artifacts/lab-scale-*.png``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browsers import accept_kernel_chooser, chromium, chromium_or_skip, run_all_until, running_lab
from playwright.sync_api import expect
from support import ROOT

from kpikit.kit.resources import notebooks_dir
from kpikit.kit.workspace import prepare_workspace

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "kpikit-browser-scale-token"
RUN_TIMEOUT_MS = 240_000
"""Run All on the large client, on two shared cores (loading 100,000 actuals, the engine, the charts)."""


@dataclass
class Lab:
    url: str
    client: Path
    troubles: list[str] = field(default_factory=list)


def _generate(folder: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "benchmarks" / "bench_engine.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(folder)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    chromium_or_skip()
    base = tmp_path_factory.mktemp("lab-scale")
    client = base / "big-client"
    _generate(client)
    wb = prepare_workspace(client, notebooks_dir())
    env = {k: v for k, v in os.environ.items() if k != "KPIKIT_UNATTENDED"}
    env["JUPYTER_CONFIG_DIR"] = str(base / "jupyter-config")
    with running_lab(wb.folder, base, TOKEN, env) as url:
        yield Lab(url, client)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def _open_and_run(browser: Any, lab: Lab, notebook: str) -> Any:
    """Open the kit notebook's working copy and Run All; wait for its editor to draw."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(60_000)
    troubles: list[str] = []
    page.on("console", lambda m: troubles.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: troubles.append(str(e)))
    page.goto(f"{lab.url}/lab/tree/{notebook}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    accept_kernel_chooser(page)
    if not run_all_until(page, ".kpikit-editor", RUN_TIMEOUT_MS):
        _shot(page, f"lab-scale-failed-{Path(notebook).stem}.png")
        outputs = page.locator(".jp-OutputArea").all_inner_texts()
        page.close()
        pytest.fail(f"the editor did not render in {notebook}; cell outputs: {outputs[-3:]}")
    lab.troubles = troubles
    return page


def _no_missing_models(page: Any, lab: Lab) -> None:
    text = page.locator(".jp-Notebook").inner_text()
    for bad in ("widget model not found", "Error displaying widget", "Traceback"):
        assert bad not in text, bad
    assert not [t for t in lab.troubles if "model not found" in t.lower()], lab.troubles


def test_raci_grid_draws_pages_filters_and_searches_people(lab: Lab, browser: Any) -> None:
    page = _open_and_run(browser, lab, "05_stakeholders.ipynb")
    try:
        label = page.locator(".kpikit-raci-page")
        expect(label).to_contain_text("page 1 of 125 (1500 items)", timeout=60_000)
        grid = page.locator(".kpikit-editor")
        grid.scroll_into_view_if_needed()
        cells = page.locator(".kpikit-raci-cell select:visible")
        expect(cells.first).to_be_visible(timeout=60_000)
        assert 1 <= cells.count() <= 12 * 10
        _no_missing_models(page, lab)
        _shot(page, "lab-scale-raci.png")

        items = page.locator(".kpikit-editor .widget-html :text-matches('^(O|M)[0-9]{4}')")
        first = items.first.inner_text()
        page.click(".jupyter-widgets.widget-button:has-text('Next ▶')")
        expect(label).to_contain_text("page 2 of 125", timeout=30_000)
        expect(items.first).not_to_have_text(first, timeout=30_000)
        _shot(page, "lab-scale-raci-page-2.png")

        box = page.locator(".kpikit-raci-filter input")
        box.click()
        box.type("O0412", delay=30)
        expect(label).to_contain_text("page 1 of 1 (1 item)", timeout=30_000)
        rows = page.locator(".kpikit-editor .widget-html:visible").filter(has_text=re.compile(r"^(O|M)0"))
        expect(rows).to_have_count(1, timeout=30_000)  # the other rows leave the grid
        assert rows.first.inner_text().startswith("O0412")

        people = page.locator(".kpikit-editor input[placeholder='search a person (name or ID)']")
        people.click()
        people.type("S019", delay=30)
        heads = page.locator(".kpikit-editor .widget-html b:text-matches('^S[0-9]{3}$')")
        expect(heads).to_have_text(["S019"], timeout=30_000)  # the other people's columns leave the grid
        expect(cells).to_have_count(1, timeout=30_000)  # one item by one person
        _no_missing_models(page, lab)
        _shot(page, "lab-scale-raci-searched.png")
    except Exception:
        _shot(page, "lab-scale-failed-raci.png")
        raise
    finally:
        page.close()


def test_objectives_picker_lands_on_a_typed_id(lab: Lab, browser: Any) -> None:
    objectives = pd.read_csv(lab.client / "objectives.csv")
    target = objectives[objectives["id"] == "O0412"].iloc[0]
    page = _open_and_run(browser, lab, "01_objectives.ipynb")
    try:
        title = page.locator(".kpikit-title textarea")
        title.wait_for()
        assert title.input_value() == objectives.iloc[0]["title"]
        box = page.locator(".kpikit-editor .kpikit-picker input").first
        box.scroll_into_view_if_needed()
        box.click()
        box.press("Control+a")
        box.type("O041", delay=30)  # ten objectives match
        page.wait_for_selector(".kpikit-picker-hint:has-text('matches')")
        box.type("2", delay=30)
        expect(title).to_have_value(str(target["title"]), timeout=30_000)
        assert box.input_value().startswith("O0412 — ")
        _no_missing_models(page, lab)
        _shot(page, "lab-scale-objectives-picker.png")
    except Exception:
        _shot(page, "lab-scale-failed-objectives.png")
        raise
    finally:
        page.close()
