"""The papermill engine ``kpikit``: papermill's own execution, on a kernel that is already running.

papermill's default engine (``nbclient``) starts a kernel for every notebook. This
papermill engine changes only the kernel's lifetime: it hands papermill's nbclient
wrapper the :class:`~kpikit.run.session.KernelSession`'s running kernel manager
and client (nbclient then leaves the kernel alive), and resets the kernel just
before the first cell (:meth:`WarmKernelClient.papermill_execute_cells`). Everything
else is papermill's: the injected-parameters cell, run metadata, the red error cell
and :class:`~papermill.exceptions.PapermillExecutionError`.

It is registered when this module is imported, the way papermill registers its own
``nbclient`` engine (``papermill_engines.register`` in ``papermill.engines``), and
not through the ``papermill.engine`` entry-point group: it needs a live session that
only :meth:`KernelSession.run_notebook <kpikit.run.session.KernelSession.run_notebook>`
passes (``papermill -e kpikit`` could never work), and papermill loads every
entry point whenever it is imported, which would make each ``import papermill`` in
the environment import kpikit too.

It overrides and calls papermill internals whose shape ``tests/run/test_papermill_engine.py``
checks: ``PapermillNotebookClient(nb_man, km=..., **kw)``, its
``papermill_execute_cells()`` called from ``execute()``, and
``Engine.execute_managed_notebook(nb_man, kernel_name, **kwargs)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.log import logger as papermill_logger

if TYPE_CHECKING:  # the session imports this module where it runs a notebook
    from kpikit.run.session import KernelSession

PAPERMILL_ENGINE_NAME = "kpikit"
"""The ``engine_name`` :func:`papermill.execute_notebook` is given."""


class WarmKernelClient(PapermillNotebookClient):  # type: ignore[misc]
    """papermill's nbclient wrapper, bound to the session's running kernel and client."""

    def __init__(self, nb_man: Any, session: KernelSession, cwd: str, **kw: Any) -> None:
        super().__init__(nb_man, km=session.km, **kw)
        self.kc = session.kc  # an existing client: nbclient neither starts nor stops one
        self._session = session
        self._cwd = cwd

    def papermill_execute_cells(self) -> None:
        """Reset the kernel for this notebook, then papermill's own cell loop."""
        self._session.reset(Path(self._cwd))
        super().papermill_execute_cells()


class WarmKernelEngine(Engine):  # type: ignore[misc]
    """The papermill engine ``kpikit``: like papermill's default, on a :class:`KernelSession`."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        *,
        session: KernelSession,
        cwd_in_kernel: str,
        recorded_input_path: str | None = None,
        recorded_output_path: str | None = None,
        log_output: bool = False,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **_ignored: Any,
    ) -> Any:
        session.current_nb = nb_man.nb
        if recorded_input_path is not None:
            nb_man.nb.metadata.papermill["input_path"] = recorded_input_path
        if recorded_output_path is not None:
            nb_man.nb.metadata.papermill["output_path"] = recorded_output_path
        client = WarmKernelClient(
            nb_man,
            session,
            cwd_in_kernel,
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=papermill_logger,
            log_output=log_output,
            # A print's text and its newline can reach the kernel's output thread in two flushes
            # when the machine is busy, which made two stream outputs (two boxes in the report)
            # on one run and one on the next: merged, a run's outputs do not depend on timing.
            coalesce_streams=True,
        )
        return client.execute()


papermill_engines.register(PAPERMILL_ENGINE_NAME, WarmKernelEngine)
