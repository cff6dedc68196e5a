"""The code that runs inside the kernel: an explicit list of reset hooks, and a light import."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import kpikit
from kpikit.run import inkernel
from kpikit.run.session import _inkernel_call

PACKAGE = Path(kpikit.__file__).parent


def modules_defining(function: str) -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == function for node in tree.body):
            rel = path.relative_to(PACKAGE.parent).with_suffix("")
            found.add(".".join(rel.parts).removesuffix(".__init__"))
    return found


def test_every_reset_hook_is_listed_and_every_listed_module_has_one() -> None:
    assert modules_defining("reset_kernel_state") == set(inkernel.STATEFUL_MODULES)
    for name in inkernel.STATEFUL_MODULES:
        assert callable(importlib.import_module(name).reset_kernel_state)


def test_importing_the_kernel_side_loads_no_jsonschema() -> None:
    """The warm-up skips jsonschema's slow IRI grammar; that only works if nothing imported it before."""
    code = "import sys, kpikit.run.inkernel; print(sorted(m for m in ('jsonschema', 'nbformat', 'papermill') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_parent_sends_a_call_that_binds_no_name() -> None:
    line = _inkernel_call("reset('/tmp/x')")
    tree = ast.parse(line)
    assert len(tree.body) == 1
    assert isinstance(tree.body[0], ast.Expr)  # no assignment, no import statement
    assert eval(line.removesuffix(".reset('/tmp/x')")) is inkernel  # our own constant
