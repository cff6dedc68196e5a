"""A save of several files is all-or-nothing (issue 10): killed at any moment, the folder is old or new.

Each kill is real: a child process (forked, or the ``kpikit`` console script) doing an
Excel import or an editor's save of four files is stopped with SIGKILL, either just
before its Nth file-system step (every step of the save, in turn) or after a random
delay. After each kill the folder is read as every entry point reads it, which finishes
or undoes the interrupted save: the contract files are then exactly the old set or exactly
the new set (SHA-256 of each), the folder validates, no journal or staged file is left,
and the user was told in one line when something was finished or undone.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from support import FIXTURES

from kpikit.cli import main
from kpikit.data import journal
from kpikit.data.model import Engagement
from kpikit.data.schema import CONFIG_FILE, TABLES
from kpikit.data.store import load_engagement
from kpikit.editors.base import Change, Session
from kpikit.errors import InterruptedSaveError
from kpikit.excel import export_workbook, import_workbook

FILES = (CONFIG_FILE, *(t.file for t in TABLES))
KPIKIT = Path(sys.executable).with_name("kpikit")


def contract_hashes(folder: Path) -> dict[str, str]:
    """The engagement's own files and their SHA-256 (backups and the journal are not the engagement)."""
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILES if (folder / f).exists()}


def leftovers(folder: Path) -> list[str]:
    """A journal or staged files still in the folder."""
    out = [p.name for p in folder.iterdir() if p.name.endswith(journal.STAGED_SUFFIX)]
    return out + ([journal.JOURNAL.as_posix()] if (folder / journal.JOURNAL).exists() else [])


def excel_case(tmp_path: Path) -> tuple[Path, Callable[[Path], None]]:
    """A client and an import that changes four files (kpis, actuals, objectives and the decision log)."""
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "excel_small", src)
    book = tmp_path / "filled.xlsx"
    export_workbook(load_engagement(src), book)
    wb = openpyxl.load_workbook(book)
    wb["actuals"].append(["M-COST", "2026-03", 1])
    ws = wb["kpis"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("target") + 1).value = 77
    ws = wb["objectives"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("title") + 1).value = "Reduce cost per unit by 10% by December 2027"
    wb.save(book)

    def run(folder: Path) -> None:
        import_workbook(book, folder)

    return src, run


def editor_case(tmp_path: Path) -> tuple[Path, Callable[[Path], None]]:
    """A client and an editor-style save of four files: objectives, kpis and raci edited, and the log."""
    src = tmp_path / "src"
    shutil.copytree(FIXTURES / "editors_small", src)

    def run(folder: Path) -> None:
        session = Session(load_engagement(folder))
        draft = session.draft()
        draft.objectives.loc[1, "title"] = "Cut nurse turnover from 18% to below 10% by December 2027"
        draft.kpis.loc[0, "target"] = float(draft.kpis.loc[0, "target"]) + 1
        draft.raci.loc[1, "raci"] = "C"
        session.save(draft, [Change("O-02", "title"), Change("O-01/M", "target")], "workshop", "board")

    return src, run


CASES = {"excel import": excel_case, "editor save": editor_case}


def fork_and_kill(run: Callable[[Path], None], folder: Path, at_step: int | None) -> tuple[int, int]:
    """Run ``run(folder)`` in a forked child, SIGKILLed just before its file-system step ``at_step``.

    The steps counted are every fsync, rename and removal (what makes a save durable);
    ``at_step=None`` runs to the end. Returns the child's wait status and its step count.
    """
    counter = folder.parent / f"{folder.name}.steps"
    pid = os.fork()
    if pid == 0:  # the child: count steps, die at the chosen one
        code = 1
        try:
            taken = [0]

            def counted(real: Callable[..., object]) -> Callable[..., object]:
                def step(*args: object, **kwargs: object) -> object:
                    taken[0] += 1
                    if taken[0] == at_step:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return real(*args, **kwargs)
                return step

            for name in ("fsync", "replace", "rename", "unlink"):
                setattr(os, name, counted(getattr(os, name)))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            run(folder)
            counter.write_text(str(taken[0]))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    steps = int(counter.read_text()) if counter.exists() else -1
    counter.unlink(missing_ok=True)
    return status, steps


def check_after_kill(folder: Path, old: dict[str, str], new: dict[str, str], capsys: pytest.CaptureFixture[str]) -> str:
    """Read the folder as every entry point does; assert old-or-new, valid, nothing left; the message."""
    capsys.readouterr()
    load_engagement(folder)  # finishes or undoes an interrupted save
    told = capsys.readouterr().err
    now = contract_hashes(folder)
    assert now in (old, new), {f: (f in old and now.get(f) == old[f], now.get(f) == new.get(f)) for f in set(now) | set(old)}
    assert leftovers(folder) == []
    assert told.count("\n") <= 1, told
    return "new" if now == new and now != old else "old"


@pytest.mark.parametrize("case", CASES)
def test_a_save_killed_before_any_of_its_steps_leaves_the_folder_old_or_new(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, run = CASES[case](tmp_path)
    old = contract_hashes(src)
    ref = tmp_path / "ref"
    shutil.copytree(src, ref)
    status, steps = fork_and_kill(run, ref, None)
    assert status == 0
    new = contract_hashes(ref)
    assert sum(old.get(f) != h for f, h in new.items()) >= 4, "the save must change several files"
    outcomes: dict[str, int] = {}
    for n in range(1, steps + 1):
        folder = tmp_path / f"kill{n}"
        shutil.copytree(src, folder)
        status, _ = fork_and_kill(run, folder, n)
        assert os.WIFSIGNALED(status), f"step {n} of {steps}"
        assert os.WTERMSIG(status) == signal.SIGKILL
        state = check_after_kill(folder, old, new, capsys)
        outcomes[state] = outcomes.get(state, 0) + 1
        shutil.rmtree(folder)
    # early kills leave the old folder, kills after the journal the new one: both are reached
    assert outcomes.get("old", 0) >= 1, outcomes
    assert outcomes.get("new", 0) >= 1, outcomes
    assert steps >= 10, steps
    print(f"{case}: killed before each of {steps} steps: {outcomes}")


def test_the_import_command_killed_at_random_moments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real console script, SIGKILLed after a random delay, 12 times (around the save's moment)."""
    src, _ = excel_case(tmp_path)
    book = tmp_path / "filled.xlsx"
    old = contract_hashes(src)
    ref = tmp_path / "ref"
    shutil.copytree(src, ref)
    t0 = time.monotonic()
    done = subprocess.run([str(KPIKIT), "excel", "import", str(book), str(ref)], capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    assert done.returncode == 0, done.stderr
    new = contract_hashes(ref)
    rng = random.Random(10)
    seen = set()
    for i in range(12):
        folder = tmp_path / f"run{i}"
        shutil.copytree(src, folder)
        proc = subprocess.Popen([str(KPIKIT), "excel", "import", str(book), str(folder)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5 * took, 1.1 * took))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        seen.add(check_after_kill(folder, old, new, capsys))
        assert main(["validate", str(folder)]) == 0
        shutil.rmtree(folder)
    assert seen  # each run was checked; which state depends on the moment


def _interrupted(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str], list[dict[str, str]]]:
    """A folder whose four-file editor save died right after its journal was written (before any rename)."""
    src, run = editor_case(tmp_path)
    old = contract_hashes(src)
    ref = tmp_path / "ref"
    shutil.copytree(src, ref)
    _, steps = fork_and_kill(run, ref, None)
    new = contract_hashes(ref)
    folder = tmp_path / "client"
    for n in range(1, steps + 1):  # the first kill that leaves a journal behind
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(src, folder)
        fork_and_kill(run, folder, n)
        if (folder / journal.JOURNAL).exists():
            break
    record = json.loads((folder / journal.JOURNAL).read_text())
    assert contract_hashes(folder) == old  # nothing renamed yet
    return folder, old, new, record["files"]


def test_validate_finishes_an_interrupted_save_and_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _old, new, entries = _interrupted(tmp_path)
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "interrupted" in line]
    assert len(lines) == 1, err
    assert "finished a save that was interrupted" in lines[0]
    for e in entries:
        assert e["file"] in lines[0]
    assert contract_hashes(folder) == new
    assert leftovers(folder) == []
    assert main(["validate", str(folder)]) == 0
    assert "interrupted" not in capsys.readouterr().err  # told once


def test_a_save_whose_staged_file_is_gone_is_undone_from_the_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, old, _new, entries = _interrupted(tmp_path)
    # one file already renamed, another's staged copy lost (a disk that lost it): it cannot be finished
    first, second = entries[0], entries[1]
    os.replace(folder / first["staged"], folder / first["file"])
    (folder / second["staged"]).unlink()
    capsys.readouterr()
    load_engagement(folder)
    err = capsys.readouterr().err
    assert "undid a save that was interrupted" in err
    assert first["file"] in err
    assert contract_hashes(folder) == old
    assert leftovers(folder) == []


def test_a_save_that_can_be_neither_finished_nor_undone_is_a_clear_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _old, _new, entries = _interrupted(tmp_path)
    (folder / entries[1]["staged"]).unlink()
    with (folder / entries[0]["file"]).open("a", encoding="utf-8") as fh:
        fh.write("\n")  # edited by hand since
    with pytest.raises(InterruptedSaveError, match=rf"{entries[0]['file']} changed since"):
        load_engagement(folder)
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "can be neither finished nor undone" in err
    assert "delete .kpikit/save-journal.json" in err


def test_a_staged_file_without_a_journal_is_dropped_and_the_folder_is_old(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, run = editor_case(tmp_path)
    old = contract_hashes(src)
    status, _ = fork_and_kill(run, src, 3)  # after the first staged file, before the journal
    assert os.WIFSIGNALED(status)
    assert any(p.name.endswith(journal.STAGED_SUFFIX) for p in src.iterdir())
    capsys.readouterr()
    load_engagement(src)
    err = capsys.readouterr().err
    assert "interrupted before it changed any file" in err
    assert contract_hashes(src) == old
    assert leftovers(src) == []


@pytest.mark.parametrize("journal_text", [
    "{not json",
    json.dumps({"files": [{"file": "../../etc/passwd", "staged": None, "old": None, "new": None}]}),
    json.dumps({"files": [{"file": "kpis.csv", "staged": "../x", "old": None, "new": "0"}]}),
    json.dumps({"backup": "/etc", "files": []}),
])
def test_a_journal_kpikit_did_not_write_is_refused_and_touches_nothing(tmp_path: Path, journal_text: str) -> None:
    folder = tmp_path / "c"
    shutil.copytree(FIXTURES / "editors_small", folder)
    before = contract_hashes(folder)
    (folder / journal.JOURNAL).parent.mkdir(parents=True)
    (folder / journal.JOURNAL).write_text(journal_text)
    with pytest.raises(InterruptedSaveError, match="is not a save journal kpikit can read"):
        load_engagement(folder)
    assert contract_hashes(folder) == before


def test_an_undo_of_several_files_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Undo puts back four files at once; killed at any step it leaves the saved or the restored set."""
    src, _ = editor_case(tmp_path)
    before = contract_hashes(src)
    saved_dir = tmp_path / "saved"
    shutil.copytree(src, saved_dir)

    def save_then_undo(folder: Path) -> None:
        session = Session(load_engagement(folder))
        draft = session.draft()
        draft.objectives.loc[1, "title"] = "Cut nurse turnover from 18% to below 10% by December 2027"
        draft.raci.loc[1, "raci"] = "C"
        session.save(draft, [Change("O-02", "title")], "workshop", "board")
        session.undo()

    status, steps = fork_and_kill(save_then_undo, saved_dir, None)
    assert status == 0
    assert contract_hashes(saved_dir) == before  # undo restored everything
    seen = set()
    for n in range(1, steps + 1):
        folder = tmp_path / f"u{n}"
        shutil.copytree(src, folder)
        fork_and_kill(save_then_undo, folder, n)
        capsys.readouterr()
        load_engagement(folder)
        now = contract_hashes(folder)
        changed = {f for f in now if now[f] != before.get(f)}
        # old everywhere, or the save's whole set (objectives, raci, changes) and nothing else
        assert changed in (set(), {"objectives.csv", "raci.csv", "changes.csv"}), (n, changed)
        assert leftovers(folder) == []
        seen.add(bool(changed))
        shutil.rmtree(folder)
    assert seen == {True, False}


def test_a_read_only_folder_with_an_interrupted_save_is_exit_5_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kit never shows a half-saved folder: read-only, it refuses (exit 5) and says what to do."""
    from reliability.fsfaults import read_only_view

    folder, old, _new, _entries = _interrupted(tmp_path)
    with read_only_view(folder, tmp_path / "view") as view:
        capsys.readouterr()
        assert main(["validate", str(view)]) == 5
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "a save was interrupted here and cannot be finished" in err
        assert "make the folder writable" in err
    assert contract_hashes(folder) == old  # untouched; writable again, it finishes
    assert (folder / journal.JOURNAL).exists()


def test_a_save_onto_a_full_disk_changes_nothing_and_leaves_nothing(tmp_path: Path) -> None:
    """Two big tables saved onto a disk with room for one: ENOSPC while staging, every file old, nothing left."""
    from reliability.fsfaults import tmpfs

    def edit(folder: Path) -> Engagement:
        eng = load_engagement(folder)
        eng.tables["objectives"] = eng.objectives.assign(description="x" * 9_000)
        eng.tables["metrics"] = eng.metrics.assign(definition="y" * 9_000, data_source="z" * 9_000)
        return eng

    scratch = tmp_path / "scratch"
    shutil.copytree(FIXTURES / "editors_small", scratch)
    edit(scratch).save()
    first, second = (scratch / "objectives.csv").stat().st_size, (scratch / "metrics.csv").stat().st_size
    with tmpfs(tmp_path / "disk", 4 * 1024 * 1024) as disk:
        folder = disk / "c"
        shutil.copytree(FIXTURES / "editors_small", folder)
        st = os.statvfs(disk)
        room = 16 * 1024 + first + second // 2  # backups and the first staged file fit, the second does not
        assert second // 2 > 16 * 1024
        (disk / "ballast").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - room))
        before = contract_hashes(folder)
        eng = edit(folder)
        with pytest.raises(OSError, match="No space left"):
            eng.save()
        assert contract_hashes(folder) == before
        assert leftovers(folder) == []
        (disk / "ballast").unlink()
        assert sorted(eng.save().written) == ["metrics.csv", "objectives.csv"]
        assert contract_hashes(folder) != before
