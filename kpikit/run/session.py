"""One warm Jupyter kernel that runs many notebooks, each in a clean namespace.

Why: papermill starts a new kernel for every notebook, and most of a small
notebook's run time is kernel start plus ``import pandas, altair``. Measured on the
seven workbook notebooks: papermill CLI per notebook about 29 s, papermill's Python
API with a kernel per notebook about 19.5 s, all seven on one kernel about 2.6 s.

How: :class:`KernelSession` starts one ipykernel (over IPC sockets, so parallel
runs cannot race for TCP ports, papermill issue 511), pre-imports what the
notebooks import, and runs each notebook through ``papermill.execute_notebook``
with the ``kpikit`` engine registered here. Going through papermill rather than
driving nbclient directly keeps everything papermill gives a notebook run: the
injected-parameters cell with typed values, run metadata, the red error cell, and
:class:`papermill.exceptions.PapermillExecutionError` with ``cell_index``. The
engine changes only the kernel's lifetime: it hands papermill's nbclient our
running kernel (nbclient then leaves it alive) and, before the first cell, resets
the kernel (:func:`reset_kernel`): the user namespace and history are cleared
(execution counts restart at 1), the working directory, ``sys.path``, warnings
filters, environment, pandas options and altair/matplotlib state go back to what
they were after the warm-up, and any loaded ``kpikit`` module's
``reset_kernel_state()`` is called. A notebook therefore sees nothing of the one
before it and gives the same outputs as on a fresh kernel.

>>> with KernelSession(env={"KPIKIT_UNATTENDED": "1"}) as ks:   # doctest: +SKIP
...     ks.warm_up(["pandas"])
...     ks.run_notebook(Path("01.ipynb"), Path("out/01.ipynb"), {"period": "2026-Q3"}, cwd=Path("out"))
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit.errors import KernelStartError, KpikitError

if TYPE_CHECKING:  # imported where used: the CLI imports this module for every command
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import KernelManager

KERNEL_NAME = "python3"
"""Always explicit (papermill otherwise takes whatever the notebook's metadata says)."""

ENGINE_NAME = "kpikit"

SLOW_OPTIONAL_MODULES = ("rfc3987_syntax",)
"""Optional imports that cost far more than they give us.

``jsonschema`` (used by nbformat, nbclient, papermill and altair) imports
``rfc3987_syntax`` when it is installed, only to check the ``iri`` string format,
and that import compiles a grammar: about 2 s in every process that imports
nbformat or altair, more than a whole workbook run on a warm kernel. Nothing in
kpikit validates IRIs, so the runner blocks it (see :func:`skip_slow_optional_imports`).
"""


def skip_slow_optional_imports() -> None:
    """Make :data:`SLOW_OPTIONAL_MODULES` unimportable in this process, unless already loaded.

    ``jsonschema`` guards the import with ``suppress(ImportError)`` and simply does
    not register the ``iri`` format checker.
    """
    for name in SLOW_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def imported_modules(notebooks: Iterable[Path]) -> list[str]:
    """The modules the notebooks' code cells import, in first-seen order.

    Used to warm a kernel once instead of importing in every notebook. Cells that
    do not parse as Python (magics) are skipped; relative imports are ignored.
    ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a submodule; the
    warm-up skips names that are not modules).
    """
    import nbformat

    seen: dict[str, None] = {}
    for path in notebooks:
        try:
            nb = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
        except Exception:  # the run reports an unreadable notebook properly later
            continue
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        seen.setdefault(alias.name, None)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    seen.setdefault(node.module, None)
                    for alias in node.names:  # `from kpikit import render` may name a submodule
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
        source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return names


# -- kernel side -------------------------------------------------------------------
# These two functions run INSIDE the kernel (the session imports this module there).
# They only touch modules that are already loaded, so they import nothing heavy.

_BASELINE: dict[str, Any] = {}


def warm_chart_renderer() -> None:
    """Pay vl-convert's one-time start (about 2-3 s, its JavaScript runtime) during the warm-up.

    Only when altair is loaded (the notebooks draw charts); a missing vl-convert is
    left for the notebook that needs it to report.
    """
    if "altair" not in sys.modules:
        return
    with contextlib.suppress(Exception):
        import vl_convert

        spec = {"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {"x": {"field": "a", "type": "quantitative"}}}
        vl_convert.vegalite_to_svg(spec)


def capture_baseline() -> None:
    """Remember the kernel's state after the warm-up; :func:`reset_kernel` returns to it."""
    import warnings

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
            alt.theme.active if hasattr(alt, "theme") else None,
        )


def reset_kernel(cwd: str) -> None:
    """Give the next notebook a kernel that looks freshly started (see the module docstring)."""
    import warnings

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
        if theme is not None:
            alt.theme.enable(theme)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        mpl.rcdefaults()
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "kpikit" or name.startswith("kpikit.")):
            hook = getattr(module, "reset_kernel_state", None)
            if callable(hook):
                hook()


def _pandas_options(pd: Any) -> dict[str, Any]:
    """Every registered pandas option and its value (only changed ones are restored:
    resetting ``plotting.backend`` would import matplotlib)."""
    import warnings

    registry = getattr(getattr(getattr(pd, "_config", None), "config", None), "_registered_options", {})
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in registry:
            with contextlib.suppress(Exception):
                out[key] = pd.get_option(key)
    return out


# -- parent side -------------------------------------------------------------------


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
        kc = AsyncKernelClient(**km.get_connection_info(session=True))
        kc.allow_stdin = False
        kc.start_channels()
        self.kc = kc
        if not km.is_alive():
            raise RuntimeError("the kernel process exited")
        run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        # before anything in the kernel imports jsonschema (see SLOW_OPTIONAL_MODULES)
        self._execute_quietly(
            f"import sys as _s; [_s.modules.setdefault(_m, None) for _m in {SLOW_OPTIONAL_MODULES!r}]; del _s"
        )

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

        The parent goes on with its own work meanwhile; a module that fails to import
        is skipped here and fails visibly in the notebook that imports it.
        """
        self.start()
        todo = [m for m in dict.fromkeys(["kpikit.run.session", *modules]) if m not in self._warmed]
        if not todo:
            return
        # A kernel that already ran notebooks is first brought back to its baseline, so
        # the new baseline never includes what the last notebook changed.
        reset_first = self.notebooks_run > 0
        code = (
            "def _kpikit_warm(names, reset_first, cwd):\n"
            "    import importlib\n"
            "    if reset_first:\n"
            "        importlib.import_module('kpikit.run.session').reset_kernel(cwd)\n"
            "    for n in names:\n"
            "        try:\n"
            "            importlib.import_module(n)\n"
            "        except Exception:\n"
            "            pass\n"
            "    import kpikit.run.session\n"
            "    kpikit.run.session.warm_chart_renderer()\n"
            "    kpikit.run.session.capture_baseline()\n"
            f"_kpikit_warm({todo!r}, {reset_first!r}, {self._tmp!r})\n"
            "globals().pop('_kpikit_warm', None)\n"
        )
        self._warm_msg = self._send(code)
        self._warmed.update(todo)

    def wait_warm(self) -> None:
        """Wait for :meth:`warm_up` to finish (a no-op when nothing is pending)."""
        if self._warm_msg is not None:
            msg, self._warm_msg = self._warm_msg, None
            reply = self._wait(msg, self.startup_timeout + 120)
            if reply.get("status") != "ok":
                raise KpikitError(f"kernel warm-up failed: {reply.get('ename')}: {reply.get('evalue')}")

    def reset(self, cwd: Path) -> None:
        """Clean the kernel for the next notebook (:func:`reset_kernel`)."""
        if "kpikit.run.session" not in self._warmed:
            self.warm_up([])
        self.wait_warm()
        self._execute_quietly(f"__import__('importlib').import_module('kpikit.run.session').reset_kernel({str(cwd)!r})")

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
        import nbformat
        import papermill

        register_engine()
        self.start()
        output.parent.mkdir(parents=True, exist_ok=True)
        declared = declared_parameters(nbformat.read(str(source), as_version=4))  # type: ignore[no-untyped-call]
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
                engine_name=ENGINE_NAME,
                kernel_name=KERNEL_NAME,
                request_save_on_cell_execute=False,
                progress_bar=False,
                session=self,
                cwd_in_kernel=str(cwd),
                recorded_output_path=str(output),
                execution_timeout=self.cell_timeout,
            )
        except Exception as exc:
            if not _is_cell_error(exc):
                self.broken = True
                if self.current_nb is not None and not partial.exists():
                    with contextlib.suppress(Exception):
                        nbformat.write(self.current_nb, str(partial))  # type: ignore[no-untyped-call]
            if partial.exists():
                os.replace(partial, output)
            raise
        finally:
            quiet.setLevel(level)
        os.replace(partial, output)
        return nb


def _is_cell_error(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError

    return isinstance(exc, PapermillExecutionError)


_REGISTERED: list[bool] = []


def register_engine() -> None:
    """Register the papermill engine ``kpikit`` (once per process).

    Defined lazily so that the kernel, which imports this module for
    :func:`reset_kernel`, never imports papermill.
    """
    if _REGISTERED:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines
    from papermill.log import logger as papermill_logger

    class _SessionClient(PapermillNotebookClient):  # type: ignore[misc]
        """papermill's nbclient wrapper, bound to the session's running kernel and client."""

        def __init__(self, nb_man: Any, session: KernelSession, cwd: str, **kw: Any) -> None:
            super().__init__(nb_man, km=session.km, **kw)
            self.kc = session.kc  # an existing client: nbclient neither starts nor stops one
            self._session = session
            self._cwd = cwd

        def papermill_execute_cells(self) -> None:
            self._session.reset(Path(self._cwd))
            super().papermill_execute_cells()


    class SessionEngine(Engine):  # type: ignore[misc]
        """The papermill engine ``kpikit``: like papermill's default, on a :class:`KernelSession`."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            *,
            session: KernelSession,
            cwd_in_kernel: str,
            recorded_output_path: str | None = None,
            log_output: bool = False,
            start_timeout: float = 60,
            execution_timeout: float | None = None,
            **_ignored: Any,
        ) -> Any:
            session.current_nb = nb_man.nb
            if recorded_output_path is not None:
                nb_man.nb.metadata.papermill["output_path"] = recorded_output_path
            client = _SessionClient(
                nb_man,
                session,
                cwd_in_kernel,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=papermill_logger,
                log_output=log_output,
            )
            return client.execute()

    papermill_engines.register(ENGINE_NAME, SessionEngine)
    _REGISTERED.append(True)
