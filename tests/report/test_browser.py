"""The report in a real browser, offline: Debian Chromium driven by Python Playwright.

Every request that is not ``file://`` or ``data:`` is aborted and recorded; the page
must make none, log no console error, and draw every chart as a non-empty SVG.
Screenshots of the HTML and PNGs of the PDF pages go to ``test-artifacts/`` for a
human look.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]
ARTIFACTS = ROOT / "test-artifacts"
LOCAL = ("file://", "data:", "about:")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def open_offline(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, list[str], list[str], list[str]]:
    """Open ``url`` with the network blocked; return the page, remote requests, blocked URLs, console errors."""
    page = browser.new_page(viewport=viewport)
    remote: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(LOCAL) else None)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    return page, remote, blocked, errors


def test_report_html_offline_in_chromium(demo_run: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page, remote, blocked, errors = open_offline(
                browser, (demo_run / "report.html").as_uri(), {"width": 1280, "height": 900})
            assert remote == [], f"the report tried to fetch {remote}"
            assert blocked == [], f"the report tried to fetch {blocked}"
            assert errors == []
            charts = page.eval_on_selector_all(
                "figure.chart svg",
                "els => els.map(e => { const b = e.getBoundingClientRect();"
                " return [b.width, b.height, e.querySelectorAll('path, rect, line, text').length]; })",
            )
            assert len(charts) >= 3
            for width, height, marks in charts:
                assert width > 20
                assert height > 20
                assert marks > 0
            assert page.title().startswith("Harbor Regional Health")
            assert page.eval_on_selector("html", "e => e.lang") == "en"
            page.screenshot(path=str(ARTIFACTS / "report-html-first-page.png"))
            page.screenshot(path=str(ARTIFACTS / "report-html-full.png"), full_page=True)
            mobile, *_ = open_offline(browser, (demo_run / "report.html").as_uri(), {"width": 420, "height": 900})
            overflow = mobile.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            mobile.screenshot(path=str(ARTIFACTS / "report-html-narrow.png"))
            assert overflow <= 2, "the report scrolls sideways on a narrow screen"
        finally:
            browser.close()


def test_report_pdf_pages_as_images(demo_run: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: apt-get install poppler-utils")
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(demo_run / "report.pdf"), str(ARTIFACTS / "report-pdf")],
                   check=True, timeout=120)
    pages = sorted(ARTIFACTS.glob("report-pdf-*.png"))
    assert len(pages) > 1
    assert all(p.stat().st_size > 2000 for p in pages)  # not blank
