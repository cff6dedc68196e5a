"""A refresh killed with SIGKILL at random moments leaves actuals.csv (and changes.csv) old or new, never a mix."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sourcesupport import write_client

from kpikit.data.store import load_engagement

KPIKIT = [sys.executable, "-c", "from kpikit.cli import entry; entry()"]


def _client(folder: Path, n_metrics: int) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    rows = ["metric_id,day,amount"]
    rows += [f"K{m},2025-{q * 3:02d}-15,{m + q + 0.5}" for m in range(n_metrics) for q in range(1, 5)]
    (data / "facts.csv").write_text("\n".join(rows) + "\n")
    (folder / "queries").mkdir()
    (folder / "queries" / "bulk.sql").write_text("SELECT metric_id, CAST(day AS DATE) AS period, amount AS value FROM source")
    old = "".join(f"K{m},2025-Q{q},{m}\n" for m in range(n_metrics) for q in range(1, 5))  # every value restated
    return write_client(folder, "  ops:\n    path: data/facts.csv\n    query: queries/bulk.sql\n",
                        [f"K{m},Metric {m},up,quarterly,,ops," for m in range(n_metrics)], old)


def test_sigkill_during_refresh_leaves_old_or_new_bytes(tmp_path: Path) -> None:
    template = _client(tmp_path / "template", 150)
    old = {f: (template / f).read_bytes() for f in ("actuals.csv",)}
    done = tmp_path / "done"
    shutil.copytree(template, done)
    subprocess.run([*KPIKIT, "refresh", str(done), "--quiet"], check=True, capture_output=True)
    new = {f: (done / f).read_bytes() for f in ("actuals.csv", "changes.csv")}
    assert new["actuals.csv"] != old["actuals.csv"]
    t0 = time.perf_counter()
    subprocess.run([*KPIKIT, "refresh", str(done), "--quiet"], check=True, capture_output=True)
    full = time.perf_counter() - t0
    rng = random.Random(13)
    seen = {"old": 0, "new": 0}
    for i in range(20):
        folder = tmp_path / f"k{i}"
        shutil.copytree(template, folder)
        proc = subprocess.Popen([*KPIKIT, "refresh", str(folder), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, full * 1.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # the next reader finishes or undoes an interrupted save (the journal), then the bytes are one or the other
        load_engagement(folder)
        actuals = (folder / "actuals.csv").read_bytes()
        changes = (folder / "changes.csv").read_bytes() if (folder / "changes.csv").exists() else None
        if actuals == old["actuals.csv"]:
            seen["old"] += 1
            assert changes is None, "changes.csv written without actuals.csv"
        else:
            assert hashlib.sha256(actuals).digest() == hashlib.sha256(new["actuals.csv"]).digest(), f"mixed bytes at {i}"
            assert changes is not None
            assert changes == new["changes.csv"]  # the same restatements, dated today
            seen["new"] += 1
    assert seen["old"] + seen["new"] == 20
