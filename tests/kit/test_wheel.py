"""The built wheel works without the checkout: it carries the notebooks and templates.

``notebooks/`` and ``templates/`` sit at the top of the repository, outside the package;
a wheel that forgot them gave a ``kpikit new`` and ``kpikit run`` that could not find
their files, which no editable-install test could see. So: build the wheel, install it
(not editable) into a fresh venv, and from a folder outside the checkout create an
engagement and run the demo client.

The fresh venv borrows the test venv's third-party packages through a ``.pth`` line
(installing jupyter, pandas and the rest again would take minutes); kpikit itself
comes only from the wheel, which the test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from support import DEMO, ROOT, copy_client

pytestmark = pytest.mark.slow

# What setup.py's build needs; everything else in the checkout (venvs, runs, caches) stays behind.
BUILD_INPUTS = ["kpikit", "notebooks", "templates", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"]
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "_kit")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built by pip from a copy of the checkout (no stale build/ folder, no writes here)."""
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=JUNK)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(src)],
                   check=True, timeout=300)
    (built,) = out.glob("kpikit-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies from the test venv: a plain path line, so its editable-kpikit finder is NOT loaded.
    Path(site, "_kpikit_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                    "--no-index", str(wheel)], check=True, timeout=300)
    return venv / "bin"


def clean_env() -> dict[str, str]:
    """The environment for the installed kit: no override, no checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in {"KPIKIT_HOME", "PYTHONPATH", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    # The borrowed dependencies' data files (nbconvert's templates, kernel specs) stay in the test venv.
    env["JUPYTER_PATH"] = str(Path(sys.prefix, "share", "jupyter"))
    return env


def test_wheel_carries_notebooks_and_templates_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    notebooks = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("kpikit/_kit/notebooks/"))
    assert notebooks == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert all(n.endswith(".ipynb") for n in notebooks)  # no sources, no build script
    templates = {n.removeprefix("kpikit/_kit/templates/") for n in names if n.startswith("kpikit/_kit/templates/")}
    expected = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*")
                if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}
    assert templates == expected
    assert not [n for n in names if ".ipynb_checkpoints" in n or "_build" in n or n.endswith(".pyc")]
    assert "kpikit-0.1.0.dist-info/licenses/LICENSE" in names


def test_installed_wheel_finds_its_own_files(installed: Path) -> None:
    probe = ("import json, kpikit; from kpikit.kit.resources import notebooks_dir, templates_dir; "
             "print(json.dumps([kpikit.__file__, str(notebooks_dir()), str(templates_dir())]))")
    out = subprocess.run([str(installed / "python"), "-c", probe], check=True, capture_output=True, text=True,
                         env=clean_env(), cwd=installed, timeout=60).stdout
    package, notebooks, templates = (Path(p) for p in json.loads(out))
    for path in (package, notebooks, templates):
        assert not path.resolve().is_relative_to(ROOT), f"{path} comes from the checkout, not the wheel"
    assert sorted(p.name for p in notebooks.glob("*.ipynb")) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert (templates / "engagement" / "engagement.yaml").is_file()


def test_new_and_run_from_the_wheel_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    kpikit = str(installed / "kpikit")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([kpikit, *args], capture_output=True, text=True, env=clean_env(), cwd=tmp_path,
                              timeout=600)

    new = cli("new", "fresh", "--client", "Fresh Ltd")
    assert new.returncode == 0, new.stderr
    assert {"engagement.yaml", "org_units.csv", "objectives.csv", "metrics.csv", "README.md"} <= {
        p.name for p in (tmp_path / "fresh").iterdir()}
    assert "Fresh Ltd" in (tmp_path / "fresh" / "engagement.yaml").read_text(encoding="utf-8")

    client = copy_client(DEMO, tmp_path)
    run = cli("run", client.name, "--format", "html", "--quiet")
    assert run.returncode == 0, run.stderr
    (out,) = (client / "runs").iterdir()
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "findings.csv").is_file()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))
