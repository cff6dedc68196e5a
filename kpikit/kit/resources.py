"""Where the kit's own files are: the step notebooks and the templates.

``notebooks/`` and ``templates/`` live at the top of the repository (consultants open
``notebooks/`` in JupyterLab), outside the package. A built wheel carries them as
package data under ``kpikit/_kit/`` (``setup.py`` copies them there), read here through
:mod:`importlib.resources`; an editable checkout has no ``_kit`` and uses the
repository's folders. ``KPIKIT_HOME`` overrides both: a folder with its own
``templates/`` and ``notebooks/`` (e.g. a firm's customised kit).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
from importlib.resources import as_file, files
from pathlib import Path

PACKAGED = "_kit"  # the package-data folder under kpikit/ in a built wheel (see setup.py)
_CHECKOUT = Path(__file__).resolve().parents[2]  # the repository root in a source checkout
_extracted = contextlib.ExitStack()  # keeps as_file's copies (zipped installs only) until exit
atexit.register(_extracted.close)


@functools.cache
def _installed_kit() -> Path | None:
    """The wheel's package data as a real folder, or None in a source checkout."""
    data = files("kpikit") / PACKAGED
    if not data.is_dir():
        return None
    # as_file returns an installed folder as it is; only a zipped install is copied out.
    return _extracted.enter_context(as_file(data))


def kit_home() -> Path:
    """The folder that holds ``templates/`` and ``notebooks/``."""
    env = os.environ.get("KPIKIT_HOME")
    if env:
        return Path(env)
    return _installed_kit() or _CHECKOUT


def templates_dir() -> Path:
    return kit_home() / "templates"


def notebooks_dir() -> Path:
    return kit_home() / "notebooks"
