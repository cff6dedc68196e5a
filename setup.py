"""Build step: the wheel carries the repository's ``notebooks/`` and ``templates/``.

Both folders stay at the top of the repository (consultants open ``notebooks/`` in
JupyterLab), where package discovery cannot see them, so ``build_py`` copies them into
the wheel as package data under ``kpikit/_kit/``; ``kpikit.kit.resources`` reads them
from there. Only what ``kpikit new``, ``run`` and ``lab`` need is shipped: the built
``.ipynb`` notebooks (not their ``.py`` sources or build script) and the template files.
Editable installs skip the copy: they read the checkout's own folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGED = Path("kpikit", "_kit")  # kpikit.kit.resources.PACKAGED, inside the package
JUNK = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


def kit_files() -> list[Path]:
    """The kit's files, relative to the repository root, in a stable order."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    templates = sorted(p for p in (ROOT / "templates").rglob("*")
                       if p.is_file() and not JUNK & set(p.relative_to(ROOT).parts) and p.suffix != ".pyc")
    if not notebooks or not templates:
        # An sdist without them (see MANIFEST.in) would build a wheel whose `kpikit new`/`run` fail.
        raise SystemExit("setup.py: notebooks/*.ipynb or templates/ missing; cannot build a working wheel")
    return [p.relative_to(ROOT) for p in notebooks + templates]


class BuildPyWithKit(build_py):
    """``build_py`` that also copies the kit's files under ``kpikit/_kit/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib, PACKAGED)
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
        for rel in kit_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib, PACKAGED, rel)) for rel in kit_files()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithKit})
