"""Code that runs INSIDE the kernel: the warm-up, its baseline, and the reset before each notebook.

The parent (:class:`kpikit.run.session.KernelSession`) sends only one-line calls
that bind no name in the user namespace, such as
``__import__('kpikit.run.inkernel', fromlist=['_']).reset('/run/folder')``.

What :func:`reset` restores, so that a notebook sees nothing of the one before it
and gives the same outputs as on a fresh kernel: the user namespace and history
(execution counts restart at 1), the working directory, ``sys.path``, warnings
filters, environment, pandas options and altair/matplotlib state, all as they were
after the warm-up; and the per-kernel state of the modules in
:data:`STATEFUL_MODULES` that are loaded. At module level this imports only the
standard library: it touches modules that are already loaded and imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from kpikit.run.slow_imports import skip_slow_optional_imports

STATEFUL_MODULES = (
    "kpikit.charts.render",  # SVG element-ID numbering
    "kpikit.report.html",  # figure numbering
)
"""kpikit modules that keep per-kernel state, each with a ``reset_kernel_state()`` that :func:`reset` calls.

Listed here, not discovered, so that grep finds every hook; a module that is not
loaded has no state and is not imported for it. ``tests/run/test_inkernel.py`` fails
when a module defines ``reset_kernel_state`` without being listed.
"""

_BASELINE: dict[str, Any] = {}


def warm_up(modules: Sequence[str], reset_first: bool, cwd: str) -> None:
    """Import ``modules`` once for every notebook to come, then remember the state to return to.

    A kernel that already ran notebooks is first brought back to its baseline
    (``reset_first``), so the new baseline never includes what the last notebook
    changed. A module that fails to import is skipped here and fails visibly in the
    notebook that imports it.
    """
    skip_slow_optional_imports()  # before anything here imports jsonschema (this process is kpikit's)
    if reset_first:
        reset(cwd)
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    warm_chart_renderer()
    capture_baseline()


def warm_chart_renderer() -> None:
    """Pay vl-convert's one-time start (about 2-3 s, its JavaScript runtime) during the warm-up.

    Only when altair is loaded (the notebooks draw charts); a missing vl-convert is
    left for the notebook that needs it to report.
    """
    if "altair" not in sys.modules:
        return
    with contextlib.suppress(Exception):
        import vl_convert  # optional here: only when the notebooks draw charts

        spec = {"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}
        vl_convert.vegalite_to_svg(spec)


def capture_baseline() -> None:
    """Remember the kernel's state after the warm-up; :func:`reset` returns to it."""
    _BASELINE.clear()
    _BASELINE["path"] = list(sys.path)
    _BASELINE["environ"] = dict(os.environ)
    _BASELINE["warnings"] = list(warnings.filters)
    pd = sys.modules.get("pandas")
    if pd is not None:
        _BASELINE["pandas"] = _pandas_options(pd)
    alt = sys.modules.get("altair")
    if alt is not None:
        _BASELINE["altair"] = (
            alt.renderers.active,
            alt.data_transformers.active,
            _themes(alt).active if _themes(alt) is not None else None,
        )


def _themes(alt: Any) -> Any:
    """altair's theme registry: ``alt.theme`` from 5.5 (with ``active``), ``alt.themes`` in 5.4."""
    theme = getattr(alt, "theme", None)
    if theme is not None and hasattr(theme, "active") and hasattr(theme, "enable"):
        return theme
    return getattr(alt, "themes", None)


def reset(cwd: str) -> None:
    """Give the next notebook a kernel that looks freshly started (see the module docstring)."""
    ip: Any = sys.modules["IPython"].get_ipython()
    ip.reset(new_session=True)  # user namespace, history, Out; execution count back to 1
    os.chdir(cwd)
    if "path" in _BASELINE:
        sys.path[:] = _BASELINE["path"]
        os.environ.clear()
        os.environ.update(_BASELINE["environ"])
        warnings.filters[:] = _BASELINE["warnings"]  # type: ignore[index]
    pd = sys.modules.get("pandas")
    if pd is not None:
        before = _BASELINE.get("pandas", {})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in _pandas_options(pd).items():
                if key in before and value != before[key]:
                    with contextlib.suppress(Exception):
                        pd.set_option(key, before[key])
                elif key not in before:  # pandas imported by a notebook, after the warm-up
                    with contextlib.suppress(Exception):
                        pd.reset_option(key)
    alt = sys.modules.get("altair")
    if alt is not None and "altair" in _BASELINE:
        renderer, transformer, theme = _BASELINE["altair"]
        alt.renderers.enable(renderer)
        alt.data_transformers.enable(transformer)
        if theme is not None and _themes(alt) is not None:
            _themes(alt).enable(theme)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        mpl.rcdefaults()
    for name in STATEFUL_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            module.reset_kernel_state()


def _pandas_options(pd: Any) -> dict[str, Any]:
    """Every registered pandas option and its value (only changed ones are restored:
    resetting ``plotting.backend`` would import matplotlib)."""
    registry = getattr(getattr(getattr(pd, "_config", None), "config", None), "_registered_options", {})
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in registry:
            with contextlib.suppress(Exception):
                out[key] = pd.get_option(key)
    return out
