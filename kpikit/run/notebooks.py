"""What a notebook declares and imports, read from its source without running it.

The runner needs two facts before any cell runs: which parameters a notebook's
``parameters`` cell declares (only those are injected, and a notebook that takes
``output_dir`` may hand files to the report notebook) and which modules its cells
import (the kernel imports them once, during its warm-up). Both are read with
:mod:`ast`; cells that do not parse as Python are skipped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _python_source(cell_source: str) -> str:
    """The cell without its IPython magic and shell lines (``%...``, ``!...``), which :mod:`ast` cannot read."""
    return "\n".join(line for line in cell_source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _parse(cell_source: str) -> ast.Module | None:
    try:
        return ast.parse(_python_source(cell_source))
    except SyntaxError:
        return None


def imported_modules(notebooks: Iterable[Path]) -> list[str]:
    """The modules the notebooks' code cells import, in first-seen order.

    Used to warm a kernel once instead of importing in every notebook. Relative
    imports are ignored. ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a
    submodule; the warm-up skips names that are not modules).
    """
    import nbformat  # slow (jsonschema): only the runner needs it

    seen: dict[str, None] = {}
    for path in notebooks:
        try:
            nb = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
        except Exception:  # the run reports an unreadable notebook properly later
            continue
        for cell in nb.cells:
            tree = _parse(cell.source) if cell.cell_type == "code" else None
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        seen.setdefault(alias.name, None)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    seen.setdefault(node.module, None)
                    for alias in node.names:  # `from kpikit.charts import render` names a submodule
                        if alias.name != "*":
                            seen.setdefault(f"{node.module}.{alias.name}", None)
    return list(seen)


def declared_parameters(nb: Any) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (annotated or not).

    papermill's own inspection cannot parse ``period: str | None = None`` (its
    regex knows no ``|``), so the names are read with :mod:`ast`.

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("client_dir = ''\\nperiod: str | None = None")
    >>> cell.metadata["tags"] = ["parameters"]
    >>> sorted(declared_parameters(nbformat.v4.new_notebook(cells=[cell])))
    ['client_dir', 'period']
    """
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names


def read_declared_parameters(path: Path) -> set[str]:
    """:func:`declared_parameters` of the notebook file at ``path`` (raises if it cannot be read)."""
    import nbformat  # slow (jsonschema): only the runner needs it

    return declared_parameters(nbformat.read(str(path), as_version=4))  # type: ignore[no-untyped-call]
