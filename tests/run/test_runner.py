"""The runner: real notebooks on a real kernel (papermill + nbclient), no mocks.

Most tests use the small fixture workbook (three notebooks that read the engagement
with kpikit, use pandas and altair, and show a report) so that they take seconds;
``test_demo_run_*`` check the kit's own notebooks through the shared ``demo_run``.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from support import FIXTURES, hash_inputs

from kpikit import load_engagement
from kpikit.data.csvio import frame_to_csv_bytes
from kpikit.engine import all_findings
from kpikit.engine.behaviour import scorecard_file
from kpikit.engine.findings import findings_frame
from kpikit.engine.review import objective_scores
from kpikit.errors import EngagementError, KernelStartError, RunSetupError
from kpikit.run.manifest import read_manifest
from kpikit.run.notebooks import declared_parameters
from kpikit.run.runner import EARLY_REPORT_NOTE, run_engagement
from kpikit.run.session import KERNEL_ENV, KernelSession

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"
LEAK = FIXTURES / "notebooks_namespace_leak"
CONTRACT_FILES = {"report.html", "report.pdf", "findings.csv", "scorecard.csv", "objective_scores.csv", "manifest.json"}


def outputs_of(nb_path: Path) -> list[list[str]]:
    """Per code cell, its outputs as text (streams, text/plain, text/html, svg, errors).

    Consecutive chunks of one stream are joined: how the kernel flushes ``print`` into
    messages depends on timing, not on the notebook, and a reader sees one text.
    """
    nb = nbformat.read(str(nb_path), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts: list[str] = []
        last_stream = None
        for out in cell.outputs:
            if out.output_type == "stream":
                if last_stream == out.name:
                    texts[-1] += out.text
                else:
                    texts.append(f"{out.name}:{out.text}")
                last_stream = out.name
                continue
            last_stream = None
            if out.output_type == "error":
                texts.append(f"error:{out.ename}:{out.evalue}")
            else:
                data = out.get("data", {})
                for mime in ("text/plain", "text/html", "image/svg+xml"):
                    if mime in data:
                        texts.append(f"{mime}:{data[mime]}")
        cells.append(texts)
    return cells


def printed_by(nb_path: Path, snippet: str) -> str:
    """What the first code cell whose source contains ``snippet`` printed."""
    nb = nbformat.read(str(nb_path), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and snippet in c.source)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_run_writes_every_output_and_leaves_inputs_alone(make_client: Any) -> None:
    client = make_client()
    before = hash_inputs(client)
    lines: list[str] = []
    result = run_engagement(client, notebooks=SMALL, progress=lines.append)
    assert result.ok, result.failure
    out = result.out_dir
    assert out.parent == client / "runs"
    assert {p.name for p in out.iterdir()} >= CONTRACT_FILES
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["01_objectives.ipynb", "02_review.ipynb", "03_report.ipynb"]
    assert hash_inputs(client) == before
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "Harbor Regional Health" in (out / "report.html").read_text(encoding="utf-8")
    assert [ln.split()[0:2] for ln in lines if ln.startswith("[")] == [["[1/3]", "01_objectives.ipynb"], ["[2/3]", "02_review.ipynb"], ["[3/3]", "03_report.ipynb"]]

    m = read_manifest(out)
    eng = load_engagement(client)
    assert m["outcome"] == "succeeded"
    assert m["failure"] is None
    assert m["client"] == "Harbor Regional Health"
    assert m["period"] == "2026-Q3"
    assert m["inputs"] == eng.fingerprints
    assert "kpis.csv" in m["inputs"]
    assert set(m["packages"]) >= {"kpikit", "pandas", "papermill", "nbclient", "nbconvert", "altair", "weasyprint", "python"}
    assert [n["notebook"] for n in m["notebooks"]] == ["01_objectives.ipynb", "02_review.ipynb", "03_report.ipynb"]
    assert all(n["seconds"] > 0 for n in m["notebooks"])
    assert m["parameters"]["period"] == "2026-Q3"
    assert m["parameters"]["client_dir"] == "../.."  # relative to the run folder: names no folder of this machine
    assert m["started"] <= m["finished"]
    assert set(m["outputs"]) >= CONTRACT_FILES

    # typed parameters; the notebook runs in the output folder, never in the client's
    assert printed_by(out / "notebooks" / "01_objectives.ipynb", "print(eng.client") == "Harbor Regional Health str 2026-Q3\n"
    assert printed_by(out / "notebooks" / "01_objectives.ipynb", "os.getcwd()") == "True\n"


def test_csvs_are_what_the_engine_api_returns(make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # a library call leaves the caller's sys.modules alone: no module made unimportable
    monkeypatch.delitem(sys.modules, "rfc3987_syntax", raising=False)
    blocked = {name for name, module in sys.modules.items() if module is None}
    client = make_client()
    result = run_engagement(client, notebooks=SMALL, formats={"html"})
    assert {name for name, module in sys.modules.items() if module is None} == blocked
    assert result.ok, result.failure
    eng = load_engagement(client)
    expected = {
        "findings.csv": findings_frame(all_findings(eng, "2026-Q3")),
        "scorecard.csv": scorecard_file(eng, "2026-Q3"),
        "objective_scores.csv": objective_scores(eng, "2026-Q3"),
    }
    for name, frame in expected.items():
        data = (result.out_dir / name).read_bytes()
        assert data == frame_to_csv_bytes(frame), name
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert rows[0] == list(frame.columns)
        assert len(rows) == len(frame) + 1
    header = (result.out_dir / "findings.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "code,severity,item_id,message"
    assert len(expected["findings.csv"]) > 0
    assert len(expected["scorecard.csv"]) > 0
    assert not (result.out_dir / "report.pdf").exists()


def test_period_override_is_passed_as_text(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    out = tmp_path / "out-2026"
    result = run_engagement(client, out=out, period="2026", notebooks=SMALL, formats={"html"})
    assert result.ok, result.failure
    assert result.out_dir == out
    assert not (client / "runs").exists()
    assert printed_by(out / "notebooks" / "01_objectives.ipynb", "print(eng.client") == "Harbor Regional Health str 2026\n"
    assert read_manifest(out)["period"] == "2026"


def test_input_errors_raise_before_anything_is_written(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    metrics = client / "metrics.csv"
    text = metrics.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",up,", ",sideways,").replace(",down,", ",sideways,")
    metrics.write_text("\n".join(text) + "\n", encoding="utf-8")
    before = hash_inputs(client)
    with pytest.raises(EngagementError) as err:
        run_engagement(client, out=tmp_path / "never", notebooks=SMALL)
    assert any(p.file == "metrics.csv" and p.line == 2 for p in err.value.problems)
    assert not (tmp_path / "never").exists()
    assert not (client / "runs").exists()
    assert hash_inputs(client) == before


def test_bad_options_are_refused_before_anything_is_written(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("an earlier run", encoding="utf-8")
    with pytest.raises(RunSetupError, match="not empty"):
        run_engagement(client, out=used, notebooks=SMALL)
    with pytest.raises(RunSetupError, match="period"):
        run_engagement(client, period="2026-Q5", notebooks=SMALL)
    with pytest.raises(RunSetupError, match="format"):
        run_engagement(client, formats={"docx"}, notebooks=SMALL)
    with pytest.raises(RunSetupError, match="no notebooks"):
        run_engagement(client, notebooks=tmp_path)
    assert (used / "keep.txt").read_text(encoding="utf-8") == "an earlier run"
    assert not (client / "runs").exists()


def break_notebook(src: Path, dest: Path, name: str, code: str) -> Path:
    """A copy of the notebooks folder in which ``name`` gets a failing cell at the end."""
    shutil.copytree(src, dest)
    nb = nbformat.read(str(dest / name), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, str(dest / name))
    return dest


def test_failing_notebook_keeps_partial_outputs_and_earlier_runs(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    first = run_engagement(client, notebooks=SMALL, formats={"html"})
    assert first.ok
    earlier = hash_inputs(first.out_dir.parent)
    broken = break_notebook(SMALL, tmp_path / "broken", "02_review.ipynb", "x = 1\nraise ValueError('the actuals do not add up')")

    result = run_engagement(client, notebooks=broken, formats={"html"})
    assert result.outcome == "failed"
    assert result.out_dir != first.out_dir
    f = result.failure
    assert f is not None
    assert (f.notebook, f.ename, f.evalue) == ("02_review.ipynb", "ValueError", "the actuals do not add up")
    m = read_manifest(result.out_dir)
    assert m["outcome"] == "failed"
    assert m["failure"]["notebook"] == "02_review.ipynb"
    assert m["failure"]["ename"] == "ValueError"
    written = nbformat.read(str(result.out_dir / "notebooks" / "02_review.ipynb"), as_version=4)
    failing = written.cells[m["failure"]["cell_index"]]
    assert "raise ValueError" in failing.source
    assert failing.outputs[0]["output_type"] == "error"
    assert [n["status"] for n in m["notebooks"]] == ["succeeded", "failed"]
    assert (result.out_dir / "notebooks" / "01_objectives.ipynb").exists()
    assert not (result.out_dir / "notebooks" / "03_report.ipynb").exists()
    assert (result.out_dir / "findings.csv").exists()
    assert not (result.out_dir / "report.html").exists()
    assert not (result.out_dir / "report.pdf").exists()
    assert not any(p.name.startswith(".") for p in result.out_dir.rglob("*"))
    # the earlier run's folder is exactly as it was (the new run only added its own folder)
    now = hash_inputs(first.out_dir.parent)
    assert {k: v for k, v in now.items() if k.startswith(first.out_dir.name)} == earlier


def test_a_notebook_never_sees_the_previous_ones_variables(make_client: Any) -> None:
    result = run_engagement(make_client(), notebooks=LEAK, formats={"html"})
    assert result.failure is not None
    assert (result.failure.notebook, result.failure.ename) == ("02_use.ipynb", "NameError")
    assert "secret_from_notebook_1" in result.failure.evalue
    # pandas options set by notebook 1 are back to the defaults in notebook 2
    assert printed_by(result.out_dir / "notebooks" / "02_use.ipynb", "get_option") == "60\n"


def test_shared_kernel_gives_the_same_outputs_as_a_fresh_kernel(
    make_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each notebook again, on its own new kernel with papermill's default engine: same outputs."""
    import papermill

    client = make_client()
    result = run_engagement(client, notebooks=SMALL, formats={"html"})
    assert result.ok
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    recorded = read_manifest(result.out_dir)["parameters"]  # paths relative to the run folder
    params = {**recorded, "client_dir": str((result.out_dir / recorded["client_dir"]).resolve()), "output_dir": str(fresh)}
    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, value)
    for src in sorted(SMALL.glob("*.ipynb")):
        declared = declared_parameters(nbformat.read(str(src), as_version=4))
        papermill.execute_notebook(
            str(src),
            str(fresh / src.name),
            parameters={k: v for k, v in params.items() if k in declared},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(fresh),
        )
        shared_nb = result.out_dir / "notebooks" / src.name
        assert outputs_of(shared_nb) == outputs_of(fresh / src.name), src.name
        cells = nbformat.read(str(shared_nb), as_version=4).cells
        counts = [c.execution_count for c in cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))


def test_kernel_session_runs_this_interpreter_and_restarts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel is this venv's Python even if a user-level ``python3`` kernelspec points elsewhere."""
    import sys

    fake = tmp_path / "jupyter" / "kernels" / "python3"
    fake.mkdir(parents=True)
    (fake / "kernel.json").write_text(
        json.dumps({"argv": ["/usr/bin/false", "-f", "{connection_file}"], "display_name": "other", "language": "python"}),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys\nprint(sys.executable)")])
    src = tmp_path / "which.ipynb"
    nbformat.write(nb, str(src))
    ks = KernelSession(KERNEL_ENV)
    try:
        for attempt in range(2):
            ks.run_notebook(src, tmp_path / f"out{attempt}.ipynb", {}, cwd=tmp_path)
            assert printed_by(tmp_path / f"out{attempt}.ipynb", "sys.executable") == sys.executable + "\n"
            assert ks.alive
            ks.shutdown()
            assert not ks.alive
    finally:
        ks.shutdown()


def test_demo_run_has_every_contract_output(demo_run: Path) -> None:
    names = {p.name for p in demo_run.iterdir()}
    assert names >= CONTRACT_FILES
    nbs = sorted(p.name for p in (demo_run / "notebooks").glob("*.ipynb"))
    assert len(nbs) == 7
    assert nbs[0].startswith("01_")
    assert nbs[-1].startswith("07_")
    m = read_manifest(demo_run)
    assert m["outcome"] == "succeeded"
    assert len(m["notebooks"]) == 7
    assert m["client"] == "Harbor Regional Health"


def test_a_dead_kernel_is_a_failed_notebook_not_a_crash(make_client: Any, tmp_path: Path) -> None:
    broken = break_notebook(SMALL, tmp_path / "nbs", "02_review.ipynb", "print('about to die')\nimport os\nos._exit(1)")
    result = run_engagement(make_client(), notebooks=broken, formats={"html"})
    f = result.failure
    assert f is not None
    assert (f.notebook, f.ename) == ("02_review.ipynb", "DeadKernelError")
    written = nbformat.read(str(result.out_dir / "notebooks" / "02_review.ipynb"), as_version=4)
    assert f.cell_index is not None
    assert "os._exit(1)" in written.cells[f.cell_index].source
    assert read_manifest(result.out_dir)["outcome"] == "failed"
    assert not (result.out_dir / "report.html").exists()


def test_kernel_start_is_retried_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the first connection attempt fails as a port race would; the second works."""
    ks = KernelSession(KERNEL_ENV)
    real = KernelSession._connect
    calls: list[int] = []

    def flaky(self: KernelSession) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Address already in use")
        real(self)

    monkeypatch.setattr(KernelSession, "_connect", flaky)
    try:
        ks.start()
        assert ks.alive
        assert len(calls) == 2
    finally:
        ks.shutdown()


def _slow_site(tmp_path: Path, body: str) -> dict[str, str]:
    """A ``sitecustomize`` run by the kernel's Python before ipykernel starts."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(body, encoding="utf-8")
    return {**KERNEL_ENV, "PYTHONPATH": str(site)}


def test_a_kernel_slow_to_start_is_waited_for(tmp_path: Path) -> None:
    """A kernel 2.5 s late to bind (a loaded CI machine) starts on the first attempt.

    Regression: the client asked the one-second heartbeat instead of the process, so a
    kernel slower than about 1.5 s was "Kernel died before replying to kernel_info"
    after 2 s, on every attempt, and CI's lowest-version run failed with exit 3.
    """
    ks = KernelSession(_slow_site(tmp_path, "import time\ntime.sleep(2.5)\n"), start_attempts=1)
    try:
        ks.start()
        assert ks.alive
    finally:
        ks.shutdown()


def test_a_kernel_that_exits_while_starting_fails_fast(tmp_path: Path) -> None:
    """The other side of waiting: a kernel process that dies is reported within seconds, not after the timeout."""
    ks = KernelSession(_slow_site(tmp_path, "import os, time\ntime.sleep(0.5)\nos._exit(7)\n"), start_attempts=1)
    started = time.monotonic()
    with pytest.raises(KernelStartError, match="did not start"):
        ks.start()
    assert time.monotonic() - started < 20
    assert not ks.alive


def test_a_failed_report_leaves_no_report(make_client: Any, tmp_path: Path) -> None:
    """The report notebook prints a local folder: build_report refuses, the run fails cleanly."""
    leaky = break_notebook(SMALL, tmp_path / "nbs", "03_report.ipynb", "import os\ndisplay(HTML('<p>data read from ' + os.path.abspath(client_dir) + '</p>'))")
    result = run_engagement(make_client(), notebooks=leaky)
    f = result.failure
    assert f is not None
    assert (f.step, f.notebook) == ("report", "03_report.ipynb")
    assert "local folder path" in f.evalue
    assert not (result.out_dir / "report.html").exists()
    assert not (result.out_dir / "report.pdf").exists()
    assert read_manifest(result.out_dir)["outcome"] == "failed"
    assert (result.out_dir / "notebooks" / "03_report.ipynb").is_file()


def independent_notebooks(folder: Path, fail_in_b: bool) -> Path:
    """Three notebooks that take no ``output_dir``: the runner may run the report one first."""
    folder.mkdir()
    params = nbformat.v4.new_code_cell('client_dir = ""\nperiod: str | None = None')
    params.metadata["tags"] = ["parameters"]
    bodies = {
        "01_a.ipynb": "print('a ran')",
        "02_b.ipynb": "raise RuntimeError('b broke')" if fail_in_b else "print('b ran')",
        "03_report.ipynb": "from IPython.display import HTML, display\n\ndisplay(HTML('<h1>Independent</h1>'))",
    }
    for name, body in bodies.items():
        nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(body)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(folder / name))
    return folder


def test_report_is_built_while_the_other_notebooks_run(make_client: Any, tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_engagement(make_client(), notebooks=independent_notebooks(tmp_path / "ok", False), progress=lines.append)
    assert result.ok, result.failure
    steps = [ln for ln in lines if ln.startswith("[")]
    assert [ln.split()[1] for ln in steps] == ["03_report.ipynb", "01_a.ipynb", "02_b.ipynb"]
    # a consultant reading 03 before 01 is told why, on that line
    assert steps[0].startswith("[1/3] 03_report.ipynb ")
    assert steps[0].endswith(f"s ({EARLY_REPORT_NOTE})")
    assert all("(" not in ln for ln in steps[1:])
    assert "Independent" in (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert (result.out_dir / "report.pdf").is_file()
    assert read_manifest(result.out_dir)["report_seconds"] > 0
    assert not any(p.name.startswith(".") for p in result.out_dir.rglob("*"))


def test_a_report_built_early_is_dropped_when_a_later_notebook_fails(make_client: Any, tmp_path: Path) -> None:
    result = run_engagement(make_client(), notebooks=independent_notebooks(tmp_path / "bad", True))
    f = result.failure
    assert f is not None
    assert (f.notebook, f.ename, f.evalue) == ("02_b.ipynb", "RuntimeError", "b broke")
    assert (result.out_dir / "notebooks" / "03_report.ipynb").is_file()
    assert not (result.out_dir / "report.html").exists()
    assert not (result.out_dir / "report.pdf").exists()
    assert not any(p.name.startswith(".") for p in result.out_dir.rglob("*"))


@pytest.mark.parametrize("name", ["03_cascade.ipynb", "06_review.ipynb"])
def test_kit_notebooks_on_the_shared_kernel_match_a_fresh_kernel(
    demo_run: Path, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the demo run these ran after the report and targets notebooks on the same kernel."""
    import papermill

    from kpikit.kit.resources import notebooks_dir

    for key, value in KERNEL_ENV.items():
        monkeypatch.setenv(key, value)
    src = notebooks_dir() / name
    declared = declared_parameters(nbformat.read(str(src), as_version=4))
    params = {k: v for k, v in read_manifest(demo_run)["parameters"].items() if k in declared}
    params["client_dir"] = str((demo_run / params["client_dir"]).resolve())  # recorded relative to the run folder
    papermill.execute_notebook(str(src), str(tmp_path / name), parameters=params, kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    assert outputs_of(demo_run / "notebooks" / name) == outputs_of(tmp_path / name)


def test_warming_a_used_kernel_does_not_keep_the_last_notebooks_state(tmp_path: Path) -> None:
    """A worker's kernel warms again for a new client's imports: the baseline stays clean."""
    ks = KernelSession(KERNEL_ENV)
    try:
        ks.warm_up(["pandas"])
        ks.run_notebook(LEAK / "01_define.ipynb", tmp_path / "01.ipynb", {}, cwd=tmp_path)  # max_rows = 3
        ks.warm_up(["json"])  # a module not warmed yet: reset, import, capture the baseline again
        ks.wait_warm()
        with pytest.raises(Exception, match="secret_from_notebook_1"):
            ks.run_notebook(LEAK / "02_use.ipynb", tmp_path / "02.ipynb", {}, cwd=tmp_path)
        assert printed_by(tmp_path / "02.ipynb", "get_option") == "60\n"
    finally:
        ks.shutdown()


def test_a_print_flushed_in_pieces_is_one_output(tmp_path: Path) -> None:
    """A busy machine splits a print into several stream messages; the report must not show two boxes.

    The kernel's output thread sends what it has every 0.2 s, so a line written in two parts with a
    pause between arrives as two messages, as a print's text and newline do under load (a CI run
    once gave one client's report an extra output box). Every run's outputs are the same.
    """
    code = (
        "import sys, time\n"
        "sys.stdout.write('first half, '); sys.stdout.flush(); time.sleep(0.5)\n"
        "sys.stdout.write('second half\\n'); sys.stdout.flush(); time.sleep(0.5)\n"
        "print('next line')"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    src = tmp_path / "pieces.ipynb"
    nbformat.write(nb, str(src))
    ks = KernelSession(KERNEL_ENV)
    try:
        ks.run_notebook(src, tmp_path / "out.ipynb", {}, cwd=tmp_path)
    finally:
        ks.shutdown()
    outputs = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4).cells[0].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [
        ("stream", "stdout", "first half, second half\nnext line\n"),
    ]
