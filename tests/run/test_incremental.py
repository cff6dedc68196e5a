"""Incremental runs: a client whose last successful run is current is skipped; any change in what it depends on re-runs it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import FIXTURES, hash_inputs, run_cli, write_minimal_client

from kpikit.run import batch, incremental
from kpikit.run.batch import format_summary, run_all
from kpikit.run.incremental import KEY_FILE, changed_parts, digest, find_unchanged, prepare
from kpikit.run.manifest import package_versions, read_manifest

pytestmark = pytest.mark.slow

SMALL = FIXTURES / "notebooks_small_workbook"


def _runs(client: Path) -> list[Path]:
    runs = client / "runs"
    return sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []


def _key(client: Path, notebooks: Path = SMALL, **kw: object) -> dict[str, object]:
    kw.setdefault("formats", {"html"})
    _plan, key, _skip = prepare(client, notebooks=notebooks, force=True, **kw)  # type: ignore[arg-type]
    return key


def _flip_one_byte(path: Path, still_valid: Callable[[], bool]) -> None:
    """Change one byte of ``path`` (the case of one letter, from the end) such that the folder stays valid."""
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 1, -1, -1):
        c = data[i]
        if not (65 <= c <= 90 or 97 <= c <= 122):
            continue
        data[i] = c ^ 0x20
        path.write_bytes(bytes(data))
        if still_valid():
            return
        data[i] = c
        path.write_bytes(bytes(data))
    raise AssertionError(f"no byte of {path.name} can change with the folder still valid")


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One client after one successful run (html, the small notebooks)."""
    client: Path = write_minimal_client(tmp_path_factory.mktemp("inc") / "acme", "Acme Ltd")
    (client / "actuals.csv").write_text("metric_id,period,value,note\nM1,2026-Q1,3.1,\nM1,2026-Q2,2.8,\n", encoding="utf-8")
    assert run_cli(["run", str(client), "--notebooks", str(SMALL), "--format", "html", "--quiet"]) == 0
    return client


def test_a_second_run_skips_and_says_since_which_run(done: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _runs(done)
    assert len(first) == 1
    assert (first[0] / KEY_FILE).is_file()
    before = hash_inputs(done)
    capsys.readouterr()
    assert run_cli(["run", str(done), "--notebooks", str(SMALL), "--format", "html"]) == 0
    out, err = capsys.readouterr()
    assert _runs(done) == first  # nothing new was written
    assert f"unchanged since {first[0]}" in err
    assert out.splitlines() == [str(first[0] / "report.html"), str(first[0])]  # what a run prints
    assert hash_inputs(done) == before


def test_each_input_byte_each_notebook_the_period_and_each_option_change_the_key(done: Path, tmp_path: Path) -> None:
    client = tmp_path / "acme"
    shutil.copytree(done, client, ignore=shutil.ignore_patterns("runs"))
    nbs = tmp_path / "nbs"
    shutil.copytree(SMALL, nbs)
    base = _key(client, nbs)
    assert _key(client, nbs) == base  # computed, so the same when nothing changed

    def valid() -> bool:
        try:
            _key(client, nbs)
        except Exception:
            return False
        return True

    inputs = sorted(p.name for p in client.iterdir() if p.is_file())
    assert {"engagement.yaml", "metrics.csv", "actuals.csv", "objectives.csv", "org_units.csv"} <= set(inputs)
    for name in inputs:
        keep = (client / name).read_bytes()
        _flip_one_byte(client / name, valid)
        assert changed_parts(base, _key(client, nbs)) == ["inputs"], name
        (client / name).write_bytes(keep)
    for nb in sorted(nbs.glob("*.ipynb")):
        keep = nb.read_bytes()
        _flip_one_byte(nb, valid)
        assert changed_parts(base, _key(client, nbs)) == ["notebooks"], nb.name
        nb.write_bytes(keep)
    assert _key(client, nbs) == base
    assert changed_parts(base, _key(client, nbs, period="2026-Q1")) == ["period"]
    assert changed_parts(base, _key(client, nbs, formats={"html", "pdf"})) == ["options"]
    # what a run reads beside the tables: the last refresh's record and the published reports
    (client / ".kpikit").mkdir(exist_ok=True)
    entry = {"metric_id": "M1", "source": "erp", "when": "2026-12-01T06:00:00+00:00", "rows": 8,
             "latest_period": "2026-Q2", "outcome": "ok", "message": ""}

    def refreshed(**change: object) -> None:
        record = {"metrics": {"M1": {**entry, **change}}}
        (client / ".kpikit" / "refresh.json").write_text(json.dumps(record), encoding="utf-8")

    refreshed()
    with_refresh = _key(client, nbs)
    assert changed_parts(base, with_refresh) == ["state"]
    refreshed(when="2027-01-01T06:00:00+00:00")  # the same results a month later: nothing to re-run
    assert _key(client, nbs) == with_refresh
    for change in ({"rows": 9}, {"latest_period": "2026-Q3"}, {"outcome": "failed", "message": "no such table"}):
        refreshed(**change)
        assert changed_parts(with_refresh, _key(client, nbs)) == ["state"], change
    (client / ".kpikit" / "refresh.json").unlink()
    (client / "published" / "2026-Q1").mkdir(parents=True)
    (client / "published" / "2026-Q1" / "published.json").write_text("{}\n", encoding="utf-8")
    assert changed_parts(base, _key(client, nbs)) == ["state"]
    shutil.rmtree(client / "published")
    # a logo the report shows: its bytes count
    (client / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nlogo one")
    yaml = (client / "engagement.yaml").read_text(encoding="utf-8")
    (client / "engagement.yaml").write_text(yaml + "report:\n  logo: logo.png\n", encoding="utf-8")
    with_logo = _key(client, nbs)
    (client / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nlogo two")
    assert changed_parts(with_logo, _key(client, nbs)) == ["inputs"]


def test_the_kit_version_is_in_the_key(done: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _key(done)
    real = package_versions
    monkeypatch.setattr(incremental, "package_versions", lambda: {**real(), "kpikit": "0.2.0"})
    assert changed_parts(base, _key(done)) == ["kit"]
    assert incremental.kit_code_hash() == base["kit"]["code"]  # type: ignore[index]


def test_a_failed_incomplete_or_other_key_run_is_never_unchanged(done: Path, tmp_path: Path) -> None:
    run_dir = _runs(done)[0]
    plan, key, skip = prepare(done, notebooks=SMALL, formats={"html"})
    assert skip is not None
    assert skip.run_dir == run_dir
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for outcome in ("failed", "interrupted", "running"):
        (copy / "manifest.json").write_text(json.dumps({**manifest, "outcome": outcome}), encoding="utf-8")
        assert incremental.current_run(copy, digest(key)) is None, outcome
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert incremental.current_run(copy, digest(key)) is not None
    (copy / "report.html").unlink()  # a deliverable gone: not current any more
    assert incremental.current_run(copy, digest(key)) is None
    assert incremental.current_run(run_dir, digest({**key, "period": "2026-Q1"})) is None
    assert find_unchanged(plan, {**key, "period": "2026-Q1"}) is None


def test_a_failed_run_reruns_and_force_reruns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = write_minimal_client(tmp_path / "beta", "Beta Ltd")
    broken = tmp_path / "broken"
    shutil.copytree(SMALL, broken)
    nb = json.loads((broken / "02_review.ipynb").read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", []))
    code["source"] = "raise ValueError('broken on purpose')\n"
    (broken / "02_review.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    args = ["run", str(client), "--notebooks", str(broken), "--format", "html", "--quiet"]
    assert run_cli(args) == 3
    assert run_cli(args) == 3  # the failed run did not count as "unchanged": it ran again
    runs = _runs(client)
    assert len(runs) == 2
    assert all(read_manifest(r)["outcome"] == "failed" and not (r / KEY_FILE).exists() for r in runs)
    ok = ["run", str(client), "--notebooks", str(SMALL), "--format", "html", "--quiet"]
    assert run_cli(ok) == 0
    assert run_cli(ok) == 0
    assert len(_runs(client)) == 3  # the second was skipped
    capsys.readouterr()
    assert run_cli([*ok, "--force"]) == 0
    assert len(_runs(client)) == 4
    assert "unchanged" not in capsys.readouterr().err
    # one byte of one input: it runs again
    metrics = client / "metrics.csv"
    metrics.write_bytes(metrics.read_bytes().replace(b"Defect rate", b"Defect Rate"))
    assert run_cli(ok) == 0
    assert len(_runs(client)) == 5


def test_all_runs_only_the_clients_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "clients"
    for name in ("a", "b", "c"):
        write_minimal_client(root / name, f"Client {name.upper()}")
    kit = incremental.kit_code_hash.__wrapped__()
    first = run_all(root, workers=2, notebooks=SMALL, formats={"html"})
    assert [r.outcome for r in first] == ["succeeded"] * 3
    metrics = root / "b" / "metrics.csv"
    metrics.write_bytes(metrics.read_bytes().replace(b"ERP", b"ERp"))
    second = run_all(root, workers=2, notebooks=SMALL, formats={"html"})
    assert incremental.kit_code_hash.__wrapped__() == kit, "the kit's code changed during the test: every client re-runs then"
    assert [r.outcome for r in second] == ["unchanged", "succeeded", "unchanged"]
    assert second[0].out_dir == first[0].out_dir
    assert second[2].out_dir == first[2].out_dir
    assert second[1].out_dir != first[1].out_dir
    assert [len(_runs(root / n)) for n in ("a", "b", "c")] == [1, 2, 1]
    summary = format_summary(second)
    assert summary.splitlines()[-1] == "3 of 3 clients succeeded (2 unchanged, not run again)"
    # nothing changed: decided before any worker process (and its kernel) starts
    with monkeypatch.context() as m:
        m.setattr(batch, "ProcessPoolExecutor", _no_pool)
        lines: list[str] = []
        third = run_all(root, workers=2, notebooks=SMALL, formats={"html"}, progress=lines.append)
    assert [r.outcome for r in third] == ["unchanged"] * 3
    assert [r.out_dir for r in third] == [first[0].out_dir, second[1].out_dir, first[2].out_dir]
    assert [line.split()[:3] for line in lines] == [["[1/3]", "a", "unchanged"], ["[2/3]", "b", "unchanged"],
                                                    ["[3/3]", "c", "unchanged"]]
    forced = run_all(root, workers=2, notebooks=SMALL, formats={"html"}, force=True)
    assert [r.outcome for r in forced] == ["succeeded"] * 3


def _no_pool(*args: object, **kwargs: object) -> None:
    raise AssertionError("a worker pool was started for clients that are all unchanged")


def test_out_holding_the_current_run_is_a_skip_not_a_refusal(done: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", str(done), "--notebooks", str(SMALL), "--format", "html", "--quiet", "--out", str(out)]
    assert run_cli(args) == 0  # the runs/ folder's run is current: --out gets nothing
    assert not out.exists()
    assert run_cli([*args, "--force"]) == 0
    assert read_manifest(out)["outcome"] == "succeeded"
    assert run_cli(args) == 0  # the --out folder is current
    assert run_cli([*args, "--force"]) == 2  # forced into a non-empty --out: refused as before
