"""``kpikit run --all ROOT --cluster local:N`` / ``--scheduler tcp://HOST:PORT``: clients on Dask distributed.

The local process pool (:mod:`kpikit.run.batch`) stays the default and needs nothing
extra; this module imports ``distributed`` (the optional extra ``kpikit[cluster]``) only
when a cluster is asked for. Each client is one Dask task running the same
:func:`kpikit.run.batch._run_client` as the pool, so the outputs are the same files.

* **One warm kernel per worker.** :class:`KernelPlugin` (a ``WorkerPlugin``) gives every
  worker a :class:`~kpikit.run.batch.WorkerState`; the first client a worker runs starts
  the kernel (in the task thread, the one that then drives it) and the following clients
  reuse it, reset between clients exactly as between notebooks. The plugin's teardown
  stops the kernel.
* **A worker that dies mid-client.** The scheduler gives the task to another worker
  (Dask retries tasks of lost workers). Each attempt records its run folder on the
  scheduler before writing anything; the retry marks a dead attempt's folder ``failed``
  (its manifest said ``running``; a run folder is never left looking complete when it
  is not) and, when it was the ``--out`` folder, moves it aside to
  ``OUT/<name>.failed-attempt-K`` so the retry gets a fresh folder.
* **Progress.** One line per client as with the pool; a worker's per-notebook lines go to
  its own stderr (the terminal for ``--cluster local:N``, the worker's log on a cluster).
* **Shared folders.** Workers read client folders (and write run folders) at the same
  paths as the machine that runs ``kpikit``: a shared file system mounted at the same
  place. A worker that cannot see a folder fails that client with a message that says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kpikit.data.csvio import atomic_write
from kpikit.data.schema import CONFIG_FILE
from kpikit.errors import RunSetupError
from kpikit.run.batch import ClientOutcome, WorkerState, split_unchanged
from kpikit.run.manifest import MANIFEST_FILE, utc_now

Progress = Callable[[str], None]
SHARED_FS_HINT = ("client folders must be on a shared file system that every worker sees at the same path "
                  "(docs/run-and-report.md, 'Running on a Dask cluster')")


def parse_cluster(text: str) -> int:
    """``local:N`` -> N (at least 1); anything else is a :class:`~kpikit.errors.RunSetupError`.

    >>> parse_cluster("local:2")
    2
    """
    kind, _, n = text.partition(":")
    if kind != "local" or not n.isdigit() or int(n) < 1:
        raise RunSetupError(f"--cluster must be local:N with N at least 1 (got {text!r})")
    return int(n)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise RunSetupError("--cluster and --scheduler need Dask distributed: pip install 'kpikit[cluster]'") from None
    return distributed


# -- worker side ----------------------------------------------------------------------


def _plugin_class() -> type:
    """:class:`KernelPlugin`, defined once ``distributed`` is importable (it subclasses its ``WorkerPlugin``)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class KernelPluginImpl(WorkerPlugin):
        """Makes the worker a kpikit worker: slow optional imports skipped, a warm kernel kept across clients."""

        name = "kpikit-kernel"

        def setup(self, worker: Any) -> None:  # noqa: ARG002 - the signature WorkerPlugin calls
            from kpikit.report.printing import print_in_this_process
            from kpikit.run.slow_imports import skip_slow_optional_imports

            skip_slow_optional_imports()
            print_in_this_process()  # clients run side by side already: no printing pool per client

        def teardown(self, worker: Any) -> None:  # noqa: ARG002
            from kpikit.run import batch

            if batch._WORKER is not None:
                with contextlib.suppress(Exception):
                    batch._WORKER.session.shutdown()
                batch._WORKER = None

    return KernelPluginImpl


def _ensure_kernel() -> None:
    """The worker's one kernel session, started by the first client this worker runs."""
    from kpikit.run import batch
    from kpikit.run.session import KERNEL_ENV, KernelSession

    if batch._WORKER is None:
        session = KernelSession(KERNEL_ENV)
        session.launch()
        batch._WORKER = WorkerState(session)


def retire_dead_attempt(run_dir: Path, worker: str) -> Path | None:
    """Mark a killed attempt's run folder ``failed`` when its manifest still says ``running``; returns it.

    Called by the retry for the folders that earlier attempts of the same task recorded
    (Dask only retries a task after losing the worker that had it, so such a folder's
    run is dead). An ``--out`` folder is then moved aside (``NAME.failed-attempt-K``) so
    the retry can have it.
    """
    try:
        manifest = json.loads((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if manifest is None:  # killed before its first manifest: an empty or half-made folder
        if not run_dir.is_dir():
            return None
    elif manifest.get("outcome") != "running":
        return None
    else:
        manifest["outcome"] = "failed"
        manifest["finished"] = utc_now()
        manifest["failure"] = {
            "step": "worker", "ename": "WorkerDied", "notebook": None, "cell_index": None, "execution_count": None,
            "evalue": f"the Dask worker running this client ({worker}) died; the client was run again on another worker",
        }
        atomic_write(run_dir / MANIFEST_FILE, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    n = 1
    while (aside := run_dir.with_name(f"{run_dir.name}.failed-attempt-{n}")).exists():
        n += 1
    if run_dir.parent.name != "runs":  # an --out folder: the retry needs the name
        os.replace(run_dir, aside)
        return aside
    return run_dir


def _cluster_task(
    folder: str, out: str | None, period: str | None, formats: list[str], notebooks: str | None,
    force: bool, token: str, quiet: bool = True,
) -> ClientOutcome:
    """One client on a Dask worker: check the worker sees the folders, retire a dead attempt, run.

    The run folder of each attempt is recorded on the scheduler (task metadata), which
    outlives any worker: a retry finds what a killed attempt left.
    """
    from distributed import get_client

    from kpikit.run import batch

    t0 = time.perf_counter()
    host = socket.gethostname()
    path = Path(folder)
    missing = [p for p in (path / CONFIG_FILE, *([Path(notebooks)] if notebooks else [])) if not p.exists()]
    if missing:
        return ClientOutcome(folder, path.name, "failed", time.perf_counter() - t0,
                             error=f"worker {host} cannot see {missing[0]}: {SHARED_FS_HINT}")
    client: Any = get_client()
    meta_key = ["kpikit", token, folder]
    earlier = client.get_metadata(meta_key, default=None) or []
    for attempt in earlier:
        retire_dead_attempt(Path(attempt["run_dir"]), attempt["worker"])
    _ensure_kernel()
    worker = f"{host} pid {os.getpid()}"

    def record(run_dir: Path) -> None:
        client.set_metadata(meta_key, [*earlier, {"run_dir": str(run_dir), "worker": worker}])

    return batch._run_client(folder, out, period, formats, notebooks, quiet, force, before_run=record)


# -- client side ----------------------------------------------------------------------


def run_on_dask(
    folders: Iterable[Path],
    *,
    cluster: str | None,
    scheduler: str | None,
    out: Path | None,
    period: str | None,
    formats: list[str],
    notebooks: str | None,
    force: bool,
    progress: Progress | None,
) -> list[ClientOutcome]:
    """Run ``folders`` as Dask tasks on a new ``LocalCluster`` (``cluster``) or a running ``scheduler``."""
    distributed = _distributed()
    folders = [Path(f).resolve() for f in folders]
    results: dict[str, ClientOutcome] = {}
    todo = folders
    if scheduler is None and not force:
        # a LocalCluster runs this very kit: its unchanged clients are found here, before any
        # worker or kernel starts. A remote cluster's workers may run another kit version, so
        # each of them decides for itself (its key includes its kit).
        results, todo = split_unchanged(folders, out.resolve() if out is not None else None, period, formats,
                                              notebooks, progress=progress)
        if not todo:
            return [results[str(f)] for f in folders]
    local = None
    if scheduler is None:
        n = parse_cluster(cluster or "")
        local = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=40)
    try:
        client = distributed.Client(local if local is not None else scheduler, timeout="30s")
    except OSError as exc:
        if local is not None:
            local.close()
        raise RunSetupError(f"cannot reach the Dask scheduler: {exc}", scheduler) from exc
    token = uuid.uuid4().hex
    try:
        client.register_plugin(_plugin_class()(), name="kpikit-kernel")
        if progress is not None:
            progress(f"Dask: {len(client.scheduler_info().get('workers', {}))} workers; dashboard {client.dashboard_link}")
        futures = {}
        for f in todo:
            dest = str(out.resolve() / f.name) if out is not None else None
            fut = client.submit(_cluster_task, str(f), dest, period, formats, notebooks, force, token, progress is None,
                                key=f"kpikit-{f.name}-{token[:8]}", pure=False)
            futures[fut] = f
        n_all = len(folders)
        for done, fut in enumerate(distributed.as_completed(list(futures)), len(results) + 1):
            folder = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the task's workers kept dying (Dask's allowed failures)
                res = ClientOutcome(str(folder), folder.name, "failed", 0.0,
                                    error=f"worker crashed: {type(exc).__name__}: {exc}")
            results[str(folder)] = res
            if progress is not None:
                progress(f"[{done}/{n_all}] {folder.name} {res.outcome} {res.seconds:.1f}s")
    finally:
        client.close()
        if local is not None:
            local.close()
    return [results[str(f)] for f in folders]
