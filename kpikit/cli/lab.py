"""``kpikit lab DIR``: JupyterLab on working copies of the notebooks, editors live.

Validates DIR, prepares ``DIR/.kpikit/workbook/`` (:mod:`kpikit.kit.workspace`: copies with
``client_dir`` preset; the kit's ``notebooks/`` are never modified), then runs
JupyterLab rooted there until it is stopped (Ctrl-C). A copy the consultant edited is
never overwritten silently: when the kit's notebook changed too, ``kpikit lab`` asks
(on a terminal) or keeps the copy and says so; ``--refresh`` replaces such copies,
keeping the consultant's version under ``.kpikit/workbook/replaced/``.

``--present`` is for the client's eyes: the copies open with every code input collapsed
(:func:`kpikit.kit.workspace.set_presenting`) in JupyterLab's simple interface (the
``/doc`` URL: one notebook, no file browser or side panels), whose collapsed inputs the kit's
``templates/lab/custom.css`` hides entirely (JupyterLab would show each one's first line;
:func:`present_env` says how that file reaches JupyterLab).
Without it the inputs are shown again and the full interface opens.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit.cli import EXIT_FAILED, EXIT_OK, print_input_errors
from kpikit.data.store import load_engagement
from kpikit.editors.base import UNATTENDED_ENV
from kpikit.errors import CannotWriteError, EngagementError

if TYPE_CHECKING:  # imported in run(): workspace imports nbformat, slow (jsonschema), which no other command needs
    from kpikit.kit.workspace import Workspace


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "lab",
        help="open JupyterLab on this client's working copy of the notebooks (editors save to DIR)",
        description="Validate DIR, prepare DIR/.kpikit/workbook/ (notebooks with client_dir preset; "
        "the kit's notebooks are not modified) and start JupyterLab there.",
    )
    p.add_argument("dir", metavar="DIR", help="the engagement folder")
    p.add_argument("--port", type=int, default=None, help="port for JupyterLab (default: its own choice, 8888 or next free)")
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument("--refresh", action="store_true",
                   help="replace working copies you edited when the kit's notebook changed (yours are kept under replaced/)")
    p.add_argument("--present", action="store_true",
                   help="presenting mode: code inputs collapsed, JupyterLab's simple interface (for the client's eyes)")
    p.set_defaults(handler=run)


def lab_command(workspace: Path, port: int | None, no_browser: bool, first: str | None = None,
                present: bool = False) -> list[str]:
    """The JupyterLab command line for a client's workspace folder (``--allow-root`` only as root).

    ``present`` opens ``first`` in the simple interface (``/doc/tree/...``) instead of the full one.
    """
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={workspace}"]
    if port is not None:
        cmd += ["--port", str(port)]
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    if first:
        cmd.append(f"--LabApp.default_url=/{'doc' if present else 'lab'}/tree/{first}")
    if present:
        cmd += present_flags()
    return cmd


def present_flags() -> list[str]:
    """JupyterLab options for presenting: load ``custom.css`` (see :func:`present_env`; it styles only the simple interface)."""
    return ["--LabApp.custom_css=True"]


PRESENT_DIR = Path(".kpikit") / "present"
"""Where presenting mode keeps the Jupyter config folder that holds its ``custom/custom.css``."""


def present_env(client_dir: str | os.PathLike[str], env: dict[str, str]) -> dict[str, str]:
    """The environment for a presenting JupyterLab: the kit's ``custom.css`` served, the user's setup kept.

    JupyterLab serves ``custom.css`` only from the Jupyter config folder (not an option), so
    presenting points ``JUPYTER_CONFIG_DIR`` at ``DIR/.kpikit/present/``, whose
    ``custom/custom.css`` is the user's own custom.css (if any) followed by the kit's
    ``templates/lab/custom.css``; the user's config folder stays on ``JUPYTER_CONFIG_PATH``
    (their server settings still load) and their JupyterLab settings and workspaces folders
    are named explicitly, so nothing of theirs is lost or written elsewhere.
    """
    from jupyter_core.paths import jupyter_config_dir

    from kpikit.data.csvio import atomic_write
    from kpikit.kit.resources import templates_dir

    user = Path(env.get("JUPYTER_CONFIG_DIR") or jupyter_config_dir())
    folder = Path(client_dir).resolve() / PRESENT_DIR
    (folder / "custom").mkdir(parents=True, exist_ok=True)
    theirs = user / "custom" / "custom.css"
    css = (theirs.read_text(encoding="utf-8") + "\n" if theirs.is_file() else "")
    kit_css = templates_dir() / "lab" / "custom.css"
    css += kit_css.read_text(encoding="utf-8") if kit_css.is_file() else ""
    atomic_write(folder / "custom" / "custom.css", css.encode("utf-8"))
    out = dict(env)
    out["JUPYTER_CONFIG_DIR"] = str(folder)
    out["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(user), *([env["JUPYTER_CONFIG_PATH"]] if env.get("JUPYTER_CONFIG_PATH") else [])])
    out.setdefault("JUPYTERLAB_SETTINGS_DIR", str(user / "lab" / "user-settings"))
    out.setdefault("JUPYTERLAB_WORKSPACES_DIR", str(user / "lab" / "workspaces"))
    return out


def _ask_replace(ws: Workspace) -> bool:
    names = ", ".join(n.name for n in ws.conflicts)
    if not sys.stdin.isatty():
        return False
    answer = input(f"The kit's version of {names} changed, and you edited your copy. "
                   "Replace your copy (it is kept under replaced/)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    try:
        load_engagement(args.dir)
    except EngagementError as exc:
        return print_input_errors(args.dir, exc, f"fix them first (kpikit validate {args.dir})")
    if importlib.util.find_spec("jupyterlab") is None:
        print("kpikit: JupyterLab is not installed in this environment (pip install jupyterlab)", file=sys.stderr)
        return EXIT_FAILED
    from kpikit.run.slow_imports import skip_slow_optional_imports

    skip_slow_optional_imports()  # this process is kpikit's own (see kpikit.run.slow_imports)
    from kpikit.kit.workspace import prepare_workspace  # slow: nbformat

    try:
        ws = prepare_workspace(args.dir, replace=args.refresh, present=args.present)
        if ws.conflicts and _ask_replace(ws):
            ws = prepare_workspace(args.dir, replace=True, present=args.present)
        env = {k: v for k, v in os.environ.items() if k != UNATTENDED_ENV}
        if args.present:
            env = present_env(args.dir, env)
    except OSError as exc:  # a read-only or full engagement folder: the editors could not save either
        raise CannotWriteError(
            f"cannot write the working copies in .kpikit/workbook/ ({exc.strerror or exc}); "
            "kpikit lab needs a writable engagement folder: its editors save there", args.dir
        ) from exc
    for nb in ws.notebooks:
        if nb.action != "unchanged":
            print(f"  {nb.action:<9} {nb.path}")
    for nb in ws.conflicts:
        print(f"  kept your edited {nb.name}: the kit's version changed; `kpikit lab --refresh` replaces it",
              file=sys.stderr)
    first = ws.notebooks[0].name if ws.notebooks else None
    cmd = lab_command(ws.folder, args.port, args.no_browser, first, present=args.present)
    mode = " in presenting mode (code hidden; View > Expand All Code shows it; `kpikit lab` without --present restores the copies)" \
        if args.present else ""
    print(f"JupyterLab on {ws.folder}{mode} (Ctrl-C to stop)")
    try:
        proc = start_lab(cmd, env)
    except OSError as exc:
        print(f"kpikit: cannot start JupyterLab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if wait_for_lab(proc) in (0, -2, 130) else EXIT_FAILED


def start_lab(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the JupyterLab process (one seam, so tests replace this and not ``subprocess``).

    Patching ``subprocess.Popen`` itself would leak into any module that first does
    ``from subprocess import Popen`` during the test (jupyter_client does), breaking
    every kernel start after it.
    """
    return subprocess.Popen(cmd, env=env)


def wait_for_lab(proc: subprocess.Popen[bytes]) -> int:
    """Wait for JupyterLab to exit; Ctrl-C is JupyterLab's to handle.

    The terminal sends Ctrl-C to both processes. JupyterLab asks for confirmation and
    then shuts its kernels down; killing it here instead (what ``subprocess.call``
    does on KeyboardInterrupt) would leave kernels running.
    """
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
