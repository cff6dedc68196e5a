"""Documents for the printing-pool tests (tests/report/test_printing.py), importable by name.

A printing process receives its document maker pickled, i.e. by module and name; test
modules are imported by path (``--import-mode=importlib``), this one from ``tests/`` on
``sys.path``, which a ``spawn`` process inherits.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from kpikit.errors import ReportError

PIDS_FOLDER = "KPIKIT_TEST_PRINTER_PIDS"
"""Environment variable: the folder where :func:`sleeps` leaves a ``pid-N`` file per printing process."""


def page(text: str) -> str:
    return f'<!DOCTYPE html><html lang="en"><head><title>{text}</title></head><body><p>{text}</p></body></html>'


def pdf_of_page(html: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


def fails(html: str) -> bytes:
    raise ReportError(f"this page cannot be printed: {html[:5]}")


def dies(html: str) -> bytes:
    os.kill(os.getpid(), signal.SIGKILL)
    return b""


def sleeps(html: str) -> bytes:
    Path(os.environ[PIDS_FOLDER], f"pid-{os.getpid()}").touch()
    time.sleep(300)
    return b""


def workers_in_daemon(queue: Any) -> None:
    from kpikit.report.printing import default_workers

    queue.put(default_workers())


def workers_here(_: object = None) -> int:
    from kpikit.report.printing import default_workers

    return default_workers()
