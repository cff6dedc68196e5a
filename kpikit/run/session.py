"""The parent side of one warm Jupyter kernel that runs many notebooks, each in a clean namespace.

Why: papermill starts a new kernel for every notebook, and most of a small
notebook's run time is kernel start plus ``import pandas, altair``. Measured on the
seven notebooks: papermill CLI per notebook about 29 s, papermill's Python API with
a kernel per notebook about 19.5 s, all seven on one kernel about 2.6 s.

How: :class:`KernelSession` starts one ipykernel (over IPC sockets, so parallel
runs cannot race for TCP ports, papermill issue 511), has it import what the
notebooks import (:func:`kpikit.run.inkernel.warm_up`), and runs each notebook
through ``papermill.execute_notebook`` with the papermill engine ``kpikit``
(:mod:`kpikit.run.papermill_engine`). Going through papermill rather than driving
nbclient directly keeps everything papermill gives a notebook run: the
injected-parameters cell with typed values, run metadata, the red error cell, and
:class:`papermill.exceptions.PapermillExecutionError` with ``cell_index``. Before
the first cell of each notebook the kernel is reset
(:func:`kpikit.run.inkernel.reset`), so a notebook sees nothing of the one before
it and gives the same outputs as on a fresh kernel. The code that runs in the
kernel is that real module; this one sends it one-line calls.

>>> with KernelSession(env={"KPIKIT_UNATTENDED": "1"}) as ks:   # doctest: +SKIP
...     ks.warm_up(["pandas"])
...     ks.run_notebook(Path("01.ipynb"), Path("out/01.ipynb"), {"period": "2026-Q3"}, cwd=Path("out"))
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit.errors import KernelStartError, KpikitError
from kpikit.run.notebooks import read_declared_parameters

if TYPE_CHECKING:  # imported where used: jupyter_client is slow to import
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import KernelManager

KERNEL_NAME = "python3"
"""Always explicit (papermill otherwise takes whatever the notebook's metadata says)."""

KERNEL_ENV = {"KPIKIT_UNATTENDED": "1"}
"""What the runner adds to its kernels' environment: editors render static summaries.

Charts are static through the notebooks' ``static_charts`` parameter, their one switch
(:func:`kpikit.charts.render.setup`)."""

INKERNEL = "kpikit.run.inkernel"
"""The module the kernel imports for its warm-up and resets."""


def _inkernel_call(call: str) -> str:
    """One line of code for the kernel: ``call`` on :mod:`kpikit.run.inkernel`, binding no name.

    No ``import ... as _k``: :func:`~kpikit.run.inkernel.reset` clears the user
    namespace, so a name bound by the same line could not be deleted after it.

    >>> _inkernel_call("reset('/tmp/run')")
    "__import__('kpikit.run.inkernel', fromlist=['_']).reset('/tmp/run')"
    """
    return f"__import__({INKERNEL!r}, fromlist=['_']).{call}"


class KernelSession:
    """A running ipykernel of this interpreter, reused for many notebooks.

    ``env`` is added to the kernel's environment (e.g. ``KPIKIT_UNATTENDED=1``).
    The kernel spec is always ipykernel's own for ``sys.executable``: a user-level
    ``python3`` kernelspec pointing at another Python can never be picked up.
    A failed start is retried (``start_attempts``) after a short random pause.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        startup_timeout: float = 60.0,
        start_attempts: int = 2,
        cell_timeout: float | None = 1800.0,
    ) -> None:
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.start_attempts = start_attempts
        self.cell_timeout = cell_timeout
        self.km: KernelManager | None = None
        self.kc: AsyncKernelClient | None = None
        self.notebooks_run = 0
        self.broken = False
        self.current_nb: Any = None
        self._tmp: str | None = None
        self._warm_msg: str | None = None
        self._warmed: set[str] = set()
        self._stderr: Any = None

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> KernelSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def alive(self) -> bool:
        return self.km is not None and bool(self.km.is_alive()) and not self.broken

    def launch(self) -> None:
        """Start the kernel process without waiting for it (see :meth:`start`).

        Lets the caller do its own work while the kernel boots; a failure here is
        left for :meth:`start` to retry.
        """
        if self.km is not None:
            return
        try:
            self._launch()
        except Exception:
            self.shutdown()

    def start(self) -> None:
        """Start (or finish starting) the kernel and connect; retries, then raises :class:`KernelStartError`."""
        if self.kc is not None:
            return
        last: BaseException | None = None
        for attempt in range(self.start_attempts):
            try:
                if self.km is None:
                    self._launch()
                self._connect()
                return
            except Exception as exc:  # any start failure: ports, timeouts, a dead process
                last = exc
                detail = self._kernel_stderr()
                self.shutdown()
                if detail:
                    last = RuntimeError(f"{exc}; kernel said: {detail}")
                if attempt + 1 < self.start_attempts:
                    time.sleep(0.2 + random.random() * 0.5)
        raise KernelStartError(KERNEL_NAME, self.start_attempts, str(last))

    def _launch(self) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        self._tmp = tempfile.mkdtemp(prefix="kpikit-kernel-")
        km = KernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
            transport="ipc",
            ip=os.path.join(self._tmp, "k"),
        )
        self.km = km
        env = dict(os.environ)
        env.update(self.env)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        self._stderr = open(os.path.join(self._tmp, "stderr.log"), "w+b")  # noqa: SIM115
        km.start_kernel(env=env, cwd=self._tmp, stdout=self._stderr, stderr=self._stderr)

    def _connect(self) -> None:
        from jupyter_client.asynchronous.client import AsyncKernelClient
        from jupyter_core.utils import run_sync

        km = self.km
        assert km is not None
        # parent=km, as KernelManager.client() does: wait_for_ready then asks the process
        # whether the kernel is alive. A client without a parent asks the heartbeat, which
        # has one second to answer, so a kernel slower than that to bind (a loaded CI
        # machine) was reported "died before replying to kernel_info" after about 2 s
        # of a 60 s startup timeout.
        kc = AsyncKernelClient(parent=km, **km.get_connection_info(session=True))
        kc.allow_stdin = False
        kc.start_channels()
        self.kc = kc
        if not km.is_alive():
            raise RuntimeError("the kernel process exited")
        run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)

    def _kernel_stderr(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.flush()
            self._stderr.seek(0)
            text: str = self._stderr.read().decode("utf-8", "replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            return " | ".join(lines[-3:])
        return ""

    def shutdown(self) -> None:
        """Stop the kernel and remove its sockets; safe to call twice."""
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                self.km.cleanup_resources()
            self.km = None
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.broken = False
        self.notebooks_run = 0
        self._warm_msg = None
        self._warmed = set()

    # -- talking to the kernel -----------------------------------------------------
    def _send(self, code: str) -> str:
        assert self.kc is not None
        msg_id: str = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        return msg_id

    def _wait(self, msg_id: str, timeout: float | None) -> dict[str, Any]:
        """The reply to ``msg_id``; raises if the kernel dies or ``timeout`` passes first."""
        import queue

        from jupyter_core.utils import run_sync

        kc, km = self.kc, self.km
        assert kc is not None
        assert km is not None
        deadline = None if timeout is None else time.monotonic() + timeout

        async def wait() -> dict[str, Any]:
            while True:
                try:
                    msg: dict[str, Any] = await kc.get_shell_msg(timeout=1.0)
                except queue.Empty:
                    if not km.is_alive():
                        self.broken = True
                        raise RuntimeError("the kernel died") from None
                    if deadline is not None and time.monotonic() > deadline:
                        self.broken = True
                        raise TimeoutError(f"no reply from the kernel in {timeout:.0f}s") from None
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    content: dict[str, Any] = msg["content"]
                    return content

        result: dict[str, Any] = run_sync(wait)()
        return result

    def _execute_quietly(self, code: str, timeout: float | None = 60.0) -> dict[str, Any]:
        """Run housekeeping code silently (no outputs, no execution count); raise on error."""
        reply = self._wait(self._send(code), timeout)
        if reply.get("status") != "ok":
            raise KpikitError(f"kernel housekeeping failed: {reply.get('ename')}: {reply.get('evalue')}")
        return reply

    def warm_up(self, modules: Iterable[str]) -> None:
        """Start importing ``modules`` in the kernel without waiting (see :meth:`wait_warm`).

        The parent goes on with its own work meanwhile. In the kernel this is
        :func:`kpikit.run.inkernel.warm_up`; a kernel that already ran notebooks is
        reset first, so its new baseline never includes what the last notebook changed.
        """
        self.start()
        todo = [m for m in dict.fromkeys([INKERNEL, *modules]) if m not in self._warmed]
        if not todo:
            return
        self._warm_msg = self._send(_inkernel_call(f"warm_up({todo!r}, {self.notebooks_run > 0!r}, {self._tmp!r})"))
        self._warmed.update(todo)

    def wait_warm(self) -> None:
        """Wait for :meth:`warm_up` to finish (a no-op when nothing is pending)."""
        if self._warm_msg is not None:
            msg, self._warm_msg = self._warm_msg, None
            reply = self._wait(msg, self.startup_timeout + 120)
            if reply.get("status") != "ok":
                raise KpikitError(f"kernel warm-up failed: {reply.get('ename')}: {reply.get('evalue')}")

    def reset(self, cwd: Path) -> None:
        """Clean the kernel for the next notebook (:func:`kpikit.run.inkernel.reset`); warms it first if needed."""
        if INKERNEL not in self._warmed:
            self.warm_up([])
        self.wait_warm()
        self._execute_quietly(_inkernel_call(f"reset({str(cwd)!r})"))

    # -- notebooks -------------------------------------------------------------------
    def run_notebook(
        self,
        source: Path,
        output: Path,
        parameters: Mapping[str, Any],
        *,
        cwd: Path,
    ) -> Any:
        """Execute ``source`` with papermill on this kernel; the result goes to ``output``.

        Only parameters the notebook's ``parameters`` cell declares are injected.
        The executed notebook is written once, atomically (a hidden temp file in the
        same folder, then a rename), also when a cell fails: papermill then raises
        :class:`~papermill.exceptions.PapermillExecutionError` and the written
        notebook carries its red error cell. Any other failure (dead kernel, cell
        timeout) marks the session broken; the partial notebook is still written.
        """
        # slow: nbformat, papermill (importing the papermill engine's module registers it)
        import nbformat
        import papermill

        from kpikit.run.papermill_engine import PAPERMILL_ENGINE_NAME

        self.start()
        output.parent.mkdir(parents=True, exist_ok=True)
        declared = read_declared_parameters(source)
        params = {k: v for k, v in parameters.items() if k in declared}
        partial = output.with_name(f".{output.stem}.partial{output.suffix}")
        self.current_nb = None
        self.notebooks_run += 1
        quiet = logging.getLogger("papermill")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # e.g. "Unable to parse line" for `period: str | None = None`
        try:
            nb = papermill.execute_notebook(
                str(source),
                str(partial),
                parameters=params,
                engine_name=PAPERMILL_ENGINE_NAME,
                kernel_name=KERNEL_NAME,
                request_save_on_cell_execute=False,
                progress_bar=False,
                session=self,
                cwd_in_kernel=str(cwd),
                # the run folder's notebooks say where they are relative to it, nothing of this machine
                recorded_input_path=source.name,
                recorded_output_path=Path(os.path.relpath(output, cwd)).as_posix(),
                execution_timeout=self.cell_timeout,
            )
        except Exception as exc:
            if not _is_cell_error(exc):
                self.broken = True
                if self.current_nb is not None and not partial.exists():
                    with contextlib.suppress(Exception):
                        nbformat.write(self.current_nb, str(partial))  # type: ignore[no-untyped-call]
            _keep_if_complete(partial, output)
            raise
        finally:
            quiet.setLevel(level)
        os.replace(partial, output)
        return nb


def _keep_if_complete(partial: Path, output: Path) -> None:
    """Move the partial notebook into place only if it is a whole notebook (JSON that parses).

    A disk that filled up while papermill wrote it leaves a truncated file: that is
    removed rather than shown to the analyst as the executed notebook.
    """
    if not partial.exists():
        return
    try:
        json.loads(partial.read_bytes())
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            partial.unlink()
        return
    with contextlib.suppress(OSError):
        os.replace(partial, output)


def _is_cell_error(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError  # slow: papermill

    return isinstance(exc, PapermillExecutionError)
