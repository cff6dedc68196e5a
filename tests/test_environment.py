"""environment.yml (for conda users) must install what pyproject.toml declares.

Two lists of dependencies drift apart silently: a new import added to pyproject.toml
and forgotten in environment.yml only fails on a conda user's machine. This test
parses both and compares names (and lower bounds) after mapping pip names to
conda-forge names.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

PIP_TO_CONDA: dict[str, str] = {
    # pip name -> conda-forge name, where they differ. Today none do (conda-forge ships
    # vl-convert-python, weasyprint and pyyaml under their PyPI names); add entries here
    # when a dependency is packaged under another name (e.g. "torch": "pytorch").
}
CONDA_ONLY = {"python", "pip"}  # the interpreter and the installer, not Python packages

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*(?:;.*)?$")


def _split(req: str) -> tuple[str, str]:
    m = _REQ.match(req)
    assert m, f"cannot parse requirement {req!r}"
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2).replace(" ", "")


def pip_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(_split(r) for r in data["project"]["dependencies"])


def conda_requirements() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, str] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
        else:
            name, spec = _split(str(dep))
            conda[name] = spec
    return conda, pip


def test_environment_uses_conda_forge_only() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    assert env["name"] == "kpikit"


def test_same_dependencies_as_pyproject() -> None:
    pip = pip_requirements()
    conda, _ = conda_requirements()
    expected = {PIP_TO_CONDA.get(name, name): spec for name, spec in pip.items()}
    actual = {name: spec for name, spec in conda.items() if name not in CONDA_ONLY}
    assert sorted(actual) == sorted(expected), "environment.yml and pyproject.toml list different packages"
    assert actual == expected, "the lower bounds differ between environment.yml and pyproject.toml"


def test_python_version_and_the_kit_itself() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    conda, pip = conda_requirements()
    assert conda["python"] == data["project"]["requires-python"]
    assert pip == ["-e ."]  # kpikit itself; its dependencies come from conda-forge above


def test_requirement_parsing() -> None:
    assert _split("vl-convert-python>=1.6") == ("vl-convert-python", ">=1.6")
    assert _split("PyYAML >= 6.0") == ("pyyaml", ">=6.0")
    assert _split("pandas[excel]>=2.2; python_version>'3.10'") == ("pandas", ">=2.2")
    assert _split("ruamel.yaml") == ("ruamel-yaml", "")
