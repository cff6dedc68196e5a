"""portfolio.html in real Chromium with the network blocked: nothing leaves, hostile client names stay text.

Five clients whose latest run is a copy of the session's demo run, two of them named with
markup that would run script if a name reached the page unescaped. The page is opened from
``file://``; every other request is aborted and recorded. A screenshot goes to
``test-artifacts/portfolio.png`` for a human look.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from browsers import chromium
from support import DEMO, ROOT, copy_client, run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts"
LOCAL = ("file://", "data:", "about:")
NAMES = ["North Trust", '<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script> & Co",
         "East Trust", '"><svg onload="window.__xss=3">']


@pytest.fixture(scope="module")
def portfolio_page(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio-browser")
    for i, name in enumerate(NAMES):
        run = copy_client(DEMO, root, f"c{i}") / "runs" / "20261201T000000Z"
        shutil.copytree(demo_run, run)
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        (run / "manifest.json").write_text(json.dumps({**manifest, "client": name}), encoding="utf-8")
    assert run_cli(["portfolio", str(root)]) == 0
    return root / "portfolio.html"


def test_portfolio_offline_in_chromium_with_hostile_names(portfolio_page: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        blocked: list[str] = []
        errors: list[str] = []

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(LOCAL):
                r.continue_()
            else:
                blocked.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(portfolio_page.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)

        assert blocked == [], f"the portfolio page tried to fetch {blocked}"
        assert errors == []
        assert page.evaluate("window.__xss") is None  # no name ran as script
        assert page.locator("script, img, iframe, object, embed").count() == 0
        assert page.locator("svg[onload]").count() == 0
        # the page renders: one visible row per client, each hostile name shown as the text it is
        rows = page.locator("table").first.locator("tbody tr")
        assert rows.count() == len(NAMES)
        assert rows.first.bounding_box()["height"] > 10
        shown = rows.locator("td:first-child").all_inner_texts()
        assert sorted(shown) == sorted(NAMES)
        # every client's report link is relative and points at that client's own run
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) == len(NAMES)
        for href in hrefs:
            assert not href.startswith(("/", "http", "file:"))
            assert (portfolio_page.parent / href).is_file()
        # five clients share every metric: the anonymised benchmark library is drawn, naming no client
        library = page.locator("h2", has_text="Benchmark library")
        assert library.count() == 1
        tail = page.evaluate("() => { const h = [...document.querySelectorAll('h2')]"
                             ".find(e => e.textContent.includes('Benchmark library'));"
                             " let t = ''; for (let n = h.nextElementSibling; n; n = n.nextElementSibling) t += n.innerText;"
                             " return t; }")
        assert "Harbor" not in tail
        for name in NAMES:
            assert name not in tail
