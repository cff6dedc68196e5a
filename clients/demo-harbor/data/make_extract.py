"""Writes ed_attendances.csv: a synthetic extract of ED attendances (one row per patient visit).

Run once (`python clients/demo-harbor/data/make_extract.py`); the CSV is committed. The
numbers are made so that the two demo queries reproduce the demo's actuals of M-ED-4HR
(share of visits under 4 hours, per quarter) and M-ED-D2P (median door-to-provider
minutes, per month) exactly: 1,000 visits per quarter, the month's median set to the actual.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITES = ("Harbor General", "Lakeside", "Northgate")


def main() -> None:
    actuals = list(csv.DictReader((HERE.parent / "actuals.csv").open(encoding="utf-8")))
    four = {r["period"]: float(r["value"]) for r in actuals if r["metric_id"] == "M-ED-4HR"}
    d2p = {r["period"]: float(r["value"]) for r in actuals if r["metric_id"] == "M-ED-D2P"}
    rng = random.Random(2026)
    rows = []
    for quarter, share in sorted(four.items()):
        year, q = int(quarter[:4]), int(quarter[-1])
        months = [f"{year}-{3 * (q - 1) + i:02d}" for i in (1, 2, 3)]
        counts = [333, 333, 334]
        within = round(share * 10)  # of 1,000 visits in the quarter
        flags = [True] * within + [False] * (1000 - within)
        rng.shuffle(flags)
        k = 0
        for month, n in zip(months, counts, strict=True):
            median = d2p.get(month, 40.0)
            half = n // 2
            waits = [median] * (2 - n % 2) + [median - rng.randint(1, 25) for _ in range(half - (1 - n % 2))] \
                + [median + rng.randint(1, 60) for _ in range(half - (1 - n % 2))]
            waits = waits[:n]
            start = datetime(int(month[:4]), int(month[5:]), 1)
            for i in range(n):
                arrival = start + timedelta(minutes=rng.randint(0, 27 * 24 * 60))
                in_ed = rng.randint(60, 240) if flags[k] else rng.randint(241, 720)
                rows.append((arrival.isoformat(sep=" "), rng.choice(SITES), int(max(1, waits[i])), in_ed))
                k += 1
    rows.sort()
    with (HERE / "ed_attendances.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["arrival", "site", "minutes_to_provider", "minutes_in_ed"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
