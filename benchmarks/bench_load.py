"""How long loading and validating a big engagement takes: 50,000 actuals rows.

A client the size of a city's management report (about 1,100 indicators, several years
of monthly values) has tens of thousands of actuals; ``kpikit validate`` and every
notebook pay this load. Run it with::

    .venv/bin/python benchmarks/bench_load.py [ROWS]

It writes a generated folder to a temporary directory, then prints the seconds taken
by ``load_engagement`` (read + validate) as the best of three runs, and by a ``save``
of the edited actuals table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from kpikit.data.store import load_engagement

MINIMAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "valid_minimal"


def make_folder(dest: Path, rows: int, months: int = 50) -> None:
    """valid_minimal with ``rows // months`` monthly metrics and ``months`` actuals each."""
    shutil.copytree(MINIMAL, dest)
    n_metrics = max(1, rows // months)
    metrics = ["id,name,unit,direction,frequency,data_source"]
    metrics += [f"K{i:05d},Indicator {i},%,{'up' if i % 2 else 'down'},monthly,Data warehouse" for i in range(n_metrics)]
    (dest / "metrics.csv").write_text("\n".join(metrics) + "\n", encoding="utf-8")
    lines = ["metric_id,period,value,note"]
    for i in range(n_metrics):
        for m in range(months):
            y, mo = divmod(2022 * 12 + m, 12)
            note = '"revised, see memo"' if m % 97 == 0 else ""
            lines.append(f"K{i:05d},{y}-{mo + 1:02d},{(i * 7 + m * 13) % 1000 / 10},{note}")
    (dest / "actuals.csv").write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "big"
        make_folder(folder, rows)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            eng = load_engagement(folder)
            timings.append(time.perf_counter() - start)
        assert len(eng.actuals) == rows
        eng.actuals.loc[0, "value"] = 1.5
        start = time.perf_counter()
        eng.save()
        saved = time.perf_counter() - start
    print(f"load + validate, {rows:,} actuals rows: {min(timings):.2f} s (best of 3; runs {', '.join(f'{t:.2f}' for t in timings)})")
    print(f"save after one edit (validate + backup + atomic write of actuals.csv): {saved:.2f} s")


if __name__ == "__main__":
    main()
