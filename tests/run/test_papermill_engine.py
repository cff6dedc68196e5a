"""The papermill engine ``kpikit`` leans on papermill and nbclient internals: fail loudly when they change shape.

:mod:`kpikit.run.papermill_engine` overrides ``PapermillNotebookClient.papermill_execute_cells``
and hands nbclient a running kernel. None of that is papermill's public API, so a
new papermill or nbclient could break it quietly (a kernel per notebook again, or a
reset that never runs). These checks read signatures and sources, no kernel needed;
the real runs in ``test_runner.py`` check the behaviour.
"""

from __future__ import annotations

import inspect

import papermill
from nbclient import NotebookClient
from papermill import execute as papermill_execute
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, PapermillEngines, papermill_engines

from kpikit.run.papermill_engine import PAPERMILL_ENGINE_NAME, WarmKernelClient, WarmKernelEngine


def params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def has_var_keyword(func: object) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(func).parameters.values())  # type: ignore[arg-type]


def source(func: object) -> str:
    return " ".join(inspect.getsource(func).split())  # type: ignore[arg-type]


def test_importing_the_module_registers_the_papermill_engine() -> None:
    assert papermill_engines.get_engine(PAPERMILL_ENGINE_NAME) is WarmKernelEngine
    assert params(PapermillEngines.register) == ["self", "name", "engine"]


def test_execute_notebook_passes_our_keywords_to_the_engine() -> None:
    """session=, cwd_in_kernel=, recorded_output_path= and execution_timeout= travel as engine kwargs."""
    names = params(papermill.execute_notebook)
    for name in ("engine_name", "kernel_name", "request_save_on_cell_execute", "progress_bar", "parameters"):
        assert name in names
    assert has_var_keyword(papermill.execute_notebook)
    assert "**engine_kwargs" in source(papermill_execute.execute_notebook)
    assert "papermill_engines.execute_notebook_with_engine(" in source(papermill_execute.execute_notebook)


def test_engine_base_calls_execute_managed_notebook() -> None:
    assert params(Engine.execute_managed_notebook)[:2] == ["nb_man", "kernel_name"]
    assert "cls.execute_managed_notebook(nb_man, kernel_name," in source(Engine.execute_notebook)
    assert WarmKernelEngine.execute_notebook.__func__ is Engine.execute_notebook.__func__  # we reuse papermill's wrapper
    # the notebook's papermill metadata exists before the engine writes output_path into it
    assert "nb.metadata.papermill['output_path']" in source(papermill_execute.prepare_notebook_metadata)


def test_the_client_internals_we_override_and_call() -> None:
    init = params(PapermillNotebookClient.__init__)
    assert init[:3] == ["self", "nb_man", "km"]
    assert has_var_keyword(PapermillNotebookClient.__init__)
    assert params(PapermillNotebookClient.papermill_execute_cells) == ["self"]
    execute = source(PapermillNotebookClient.execute)
    assert "with self.setup_kernel(**kwargs):" in execute
    assert "self.papermill_execute_cells()" in execute
    assert WarmKernelClient.papermill_execute_cells is not PapermillNotebookClient.papermill_execute_cells


def test_nbclient_keeps_a_kernel_it_was_given() -> None:
    """With km and kc set, nbclient starts neither and, not owning the manager, shuts nothing down."""
    assert "self.owns_km: bool = km is None" in source(NotebookClient.__init__)
    assert "self.kc: KernelClient | None = None" in source(NotebookClient.__init__)
    setup = source(NotebookClient.async_setup_kernel)
    assert 'cleanup_kc = kwargs.pop("cleanup_kc", self.owns_km)' in setup
    assert "if not self.km.has_kernel:" in setup
    assert "if self.kc is None:" in setup
