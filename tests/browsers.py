"""Real JupyterLab and Chromium for the browser tests: one way to start, wait for and stop them.

``from browsers import chromium, chromium_or_skip, running_lab``. Chromium is Debian's
(``.ci/run`` installs it); outside CI a missing Chromium skips, in CI it fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"


def chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_lab(root_dir: Path, base: Path, token: str, env: Mapping[str, str] | None = None,
                extra_args: Sequence[str] = ()) -> Iterator[str]:
    """JupyterLab serving ``root_dir`` (config and log under ``base``); yields its URL, stops it after."""
    port = free_port()
    run_env = dict(env) if env is not None else {k: v for k, v in os.environ.items() if k != "KPIKIT_UNATTENDED"}
    run_env.setdefault("JUPYTER_CONFIG_DIR", str(base / "jupyter-config"))  # no user settings leak in
    log_path = base / "jupyter.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}", "--allow-root",
           "--LabApp.news_url=", "--ServerApp.open_browser=False", *extra_args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=run_env, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer /api/status within 60 s")
                time.sleep(0.3)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        try:
            yield b
        finally:
            b.close()


KERNEL_CHOOSER = ".jp-Dialog .jp-Dialog-button:has-text('Select')"


def accept_kernel_chooser(page: Any, seconds: float = 5.0) -> bool:
    """Accept JupyterLab's kernel chooser if it pops up within ``seconds`` (it may, on a fresh server)."""
    select = page.locator(KERNEL_CHOOSER)
    deadline = time.monotonic() + seconds
    while True:
        if select.count():
            select.first.click()
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def run_all_until(page: Any, selector: str, timeout_ms: int) -> bool:
    """Run All in the notebook in front, then wait for ``selector``; False if it never shows.

    A kernel chooser that pops up late (a fresh server on a busy machine shows it after the
    notebook has drawn, and Run All then waits behind it with every output empty) is accepted
    while waiting, rather than left to eat the whole timeout.
    """
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"] >> visible=true')
    page.click('.lm-MenuBar-itemLabel:text-is("Run")')
    page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
    target = page.locator(selector)
    chooser = page.locator(KERNEL_CHOOSER)
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if target.count():
            return True
        if chooser.count():
            chooser.first.click()
        time.sleep(0.5)
    return bool(target.count())
