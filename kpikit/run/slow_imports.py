"""One optional import that kpikit's own processes skip: jsonschema's IRI grammar.

``jsonschema`` (used by nbformat, nbclient, papermill and altair) imports
``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter-events`` pulls it in
through ``jsonschema[format-nongpl]``), only to check the ``iri`` string format, and
that import compiles a grammar: about 2 s in every process that imports nbformat or
altair, more than the seven notebooks take on a warm kernel. Nothing kpikit does
validates IRIs.

:func:`skip_slow_optional_imports` changes the process it runs in (an entry of
``None`` in ``sys.modules``), so it is called only in processes kpikit owns, each
time explicitly, before anything imports jsonschema: the ``kpikit run`` and
``kpikit lab`` commands (:mod:`kpikit.cli.run`, :mod:`kpikit.cli.lab`), the
``run --all`` workers (:mod:`kpikit.run.batch`) and the kernel
(:func:`kpikit.run.inkernel.warm_up`). Library calls such as
:func:`kpikit.run.runner.run_engagement` leave the caller's process alone.
"""

from __future__ import annotations

import sys

SLOW_OPTIONAL_MODULES = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Make :data:`SLOW_OPTIONAL_MODULES` unimportable in this process, unless already loaded.

    ``jsonschema`` guards the import with ``suppress(ImportError)`` and simply does
    not register the ``iri`` format checker.
    """
    for name in SLOW_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
