"""Refresh benchmark (issue 13): 1,000 metrics over one 10-million-row Parquet file, and through PostgreSQL.

    .venv/bin/python benchmarks/bench_refresh.py              # both (PostgreSQL skipped when not installed)
    .venv/bin/python benchmarks/bench_refresh.py --rows 1000000 --no-postgres

Generates, in a temp folder, a client with 1,000 quarterly metrics that all name source
``ops`` (a Parquet file of ``metric_id, ts, value`` rows spread over 2020-2026) with one bulk
query grouping by quarter, then times ``kpikit refresh`` in a child process (wall time and
its peak resident memory) twice: the first writes 28,000 actuals, the second finds nothing
changed. Then 50 per-metric queries on the same file (the slowest is reported), and the same
bulk refresh through a PostgreSQL table of 1,000,000 rows. Aim: the Parquet refresh under
10 s and under 2 GB. Exits 1 when outside it.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
KPIKIT = [sys.executable, "-c", "from kpikit.cli import entry; entry()"]
BULK = ("SELECT metric_id, date_trunc('quarter', ts) AS period, round(avg(value), 4) AS value "
        "FROM {table} GROUP BY 1, 2")


def client(folder: Path, sources: str, n: int, own_queries: int = 0, table: str = "source") -> Path:
    from sourcesupport import write_client

    (folder / "queries").mkdir(parents=True, exist_ok=True)
    (folder / "queries" / "bulk.sql").write_text(BULK.format(table=table) + "\n")
    one = ("\"SELECT date_trunc('quarter', ts) AS period, avg(value) AS value FROM source "
           "WHERE metric_id = '{m}' GROUP BY 1\"")
    rows = [f"K{m:04d},Metric {m},up,quarterly,,ops,{one.format(m=f'K{m:04d}') if m < own_queries else ''}"
            for m in range(n)]
    return write_client(folder, sources, rows)


def timed_refresh(folder: Path) -> tuple[float, float, str]:
    """Wall seconds, the child's peak RSS in MB, and its stderr."""
    t0 = time.perf_counter()
    proc = subprocess.run([*KPIKIT, "refresh", str(folder)], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0,):
        raise SystemExit(f"refresh failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, rss, proc.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--metrics", type=int, default=1000)
    ap.add_argument("--pg-rows", type=int, default=1_000_000)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    import duckdb

    tmp = Path(tempfile.mkdtemp(prefix="kpikit-bench-refresh-"))
    ok = True
    try:
        data = tmp / "p" / "data"
        data.mkdir(parents=True)
        t0 = time.perf_counter()
        con = duckdb.connect()
        con.execute(f"""COPY (SELECT 'K' || lpad(CAST(i % {args.metrics} AS VARCHAR), 4, '0') AS metric_id,
                                   TIMESTAMP '2020-01-01' + to_seconds(CAST((i * 7919) % 220903200 AS BIGINT)) AS ts,
                                   (i % 97) * 1.5 AS value
                            FROM range({args.rows}) t(i)) TO '{data / "facts.parquet"}' (FORMAT parquet)""")
        con.close()
        print(f"generated {args.rows:,} rows ({(data / 'facts.parquet').stat().st_size / 2**20:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f}s")
        folder = client(tmp / "p", "  ops:\n    path: data/facts.parquet\n    query: queries/bulk.sql\n", args.metrics)
        wall, rss, err = timed_refresh(folder)
        n_actuals = sum(1 for _ in (folder / "actuals.csv").open()) - 1
        print(f"parquet bulk refresh, first (writes {n_actuals:,} actuals): {wall:.2f} s wall, peak {rss:.0f} MB")
        print("  " + next(line for line in err.splitlines() if " metrics in " in line))
        ok = ok and wall < 10 and rss < 2048
        wall2, _, _ = timed_refresh(folder)
        print(f"parquet bulk refresh, again (nothing changed): {wall2:.2f} s wall")
        per = client(tmp / "q", "  ops:\n    path: data/facts.parquet\n    query: queries/bulk.sql\n", args.metrics,
                     own_queries=50)
        shutil.copy(data / "facts.parquet", tmp / "q" / "data" / "facts.parquet") if (tmp / "q" / "data").exists() \
            else shutil.copytree(data, tmp / "q" / "data")
        wall3, _, err3 = timed_refresh(per)
        times = sorted((float(line.rsplit(" in ", 1)[1].rstrip("s")), line.split(":")[1].strip())
                       for line in err3.splitlines() if " rows in " in line)
        print(f"50 per-metric queries + bulk for the other 950: {wall3:.2f} s wall; per-metric median "
              f"{times[len(times) // 2][0]:.2f} s, slowest {times[-1][0]:.2f} s ({times[-1][1]})")
        if not args.no_postgres:
            postgres(tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("aim (Parquet refresh < 10 s, < 2 GB):", "met" if ok else "NOT MET")
    return 0 if ok else 1


def postgres(tmp: Path, args: argparse.Namespace) -> None:
    """The same bulk refresh through a PostgreSQL table (skipped without the server binaries)."""
    import os
    import pwd

    from sourcesupport import Postgres, pg_bin

    binary = pg_bin()
    if binary is None:
        print("postgres: not installed, skipped")
        return
    root = tmp / "pg"
    root.mkdir()
    (root / "sock").mkdir()
    (root / "pw").write_text("admin-pw\n")
    as_pg = os.geteuid() == 0
    if as_pg:
        uid = pwd.getpwnam("postgres").pw_uid
        for p in (root, root / "sock", root / "pw"):
            os.chown(p, uid, -1)
        tmp.chmod(0o755)
    server = Postgres(binary, root / "data", root / "sock", as_pg)
    subprocess.run(server._cmd([str(binary / "initdb"), "-D", str(root / "data"), "-U", "admin", "-A", "scram-sha-256",
                                f"--pwfile={root / 'pw'}", "--no-sync"]), capture_output=True, check=True)
    server.start()
    try:
        server.psql("CREATE DATABASE finance", db="postgres")
        t0 = time.perf_counter()
        server.psql(f"""CREATE ROLE kpi_reader LOGIN PASSWORD 'bench-pw';
            CREATE TABLE facts AS SELECT 'K' || lpad((i % {args.metrics})::text, 4, '0') AS metric_id,
                   timestamp '2020-01-01' + ((i::bigint * 7919) % 220903200) * interval '1 second' AS ts,
                   (i % 97) * 1.5 AS value FROM generate_series(0, {args.pg_rows - 1}) AS i;
            GRANT SELECT ON facts TO kpi_reader;""")
        print(f"postgres: loaded {args.pg_rows:,} rows in {time.perf_counter() - t0:.1f}s")
        url = f"postgresql+psycopg://kpi_reader:${{FIN_PW}}@/finance?host={root / 'sock'}"
        folder = client(tmp / "pgc", f"  ops:\n    url: {url}\n    query: queries/bulk.sql\n", args.metrics, table="facts")
        os.environ["FIN_PW"] = "bench-pw"
        wall, _, err = timed_refresh(folder)
        print(f"postgres bulk refresh, first: {wall:.2f} s wall")
        print("  " + next(line for line in err.splitlines() if " metrics in " in line))
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
