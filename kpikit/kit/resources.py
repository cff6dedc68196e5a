"""Where the kit's own files are: templates and notebooks.

In a development checkout (``pip install -e .``) they sit beside the package;
``KPIKIT_HOME`` can point elsewhere (e.g. a site-wide install of the templates).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("KPIKIT_HOME")
    return Path(env) if env else Path(__file__).resolve().parents[2]


def templates_dir() -> Path:
    return project_root() / "templates"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"
