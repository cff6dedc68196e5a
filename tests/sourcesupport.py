"""Helpers of the data-source tests (tests/sources/): the PostgreSQL server handle and small clients."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CANARY = "Canary-pw-7f3a9c-do-not-leak"
"""The database password of the tests: it must never appear in any file, log or output."""


@dataclass
class Postgres:
    """A running server: connect with ``url`` (``${FIN_PW}`` for the password) and ``env``."""

    bin: Path
    data: Path
    socket: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://kpi_reader:${{FIN_PW}}@/finance?host={self.socket}"

    @property
    def env(self) -> dict[str, str]:
        return {"FIN_PW": CANARY}

    def _cmd(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else args

    def psql(self, sql: str, db: str = "finance") -> str:
        """Run SQL as the superuser; its output."""
        env = {**os.environ, "PGPASSWORD": "admin-pw"}
        out = subprocess.run(
            [str(self.bin / "psql"), "-h", str(self.socket), "-U", "admin", "-d", db, "-v", "ON_ERROR_STOP=1",
             "-At", "-c", sql], capture_output=True, text=True, env=env, check=True)
        return out.stdout

    def stop(self) -> None:
        subprocess.run(self._cmd([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, check=False)

    def start(self) -> None:
        subprocess.run(self._cmd([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                                  "-o", f"-c listen_addresses='' -k {self.socket}", "start"]),
                       capture_output=True, check=True)


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def write_client(folder: Path, sources: str, metrics: list[str], actuals: str | None = None) -> Path:
    """A small engagement whose metrics.csv rows are ``metrics`` (id,name,direction,frequency,data_source,source,query).

    ``sources`` is the YAML under ``sources:`` (already indented by two spaces).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(
        "client: Source Test Ltd\nmission: Measure what matters\npillars:\n  - id: P1\n    name: Quality\n"
        "current_period: 2025-Q4\n" + (f"sources:\n{sources}" if sources else ""), encoding="utf-8")
    (folder / "org_units.csv").write_text("id,name,parent_id,lead\nU1,Head office,,Ann Lee\n", encoding="utf-8")
    (folder / "objectives.csv").write_text(
        "id,title,org_unit_id,parent_id,pillar_id,owner,due,description\n"
        "O1,Cut waiting times to under 30 minutes by December 2026,U1,,P1,Ann Lee,2026-12-31,\n", encoding="utf-8")
    (folder / "metrics.csv").write_text(
        "id,name,direction,frequency,data_source,source,query\n" + "".join(m + "\n" for m in metrics), encoding="utf-8")
    (folder / "kpis.csv").write_text(
        "objective_id,metric_id,target,target_period\n"
        + "".join(f"O1,{m.split(',')[0]},{'30' if 'quarterly' in m else '10'},"
                  f"{'2026-Q4' if 'quarterly' in m else '2026-12' if 'monthly' in m else '2026'}\n" for m in metrics),
        encoding="utf-8")
    if actuals is not None:
        (folder / "actuals.csv").write_text("metric_id,period,value,note\n" + actuals, encoding="utf-8")
    return folder
