"""Fixtures of the data-source tests: a real PostgreSQL server for the session, and small clients.

The server is Debian's PostgreSQL (``.ci/run`` installs it): ``initdb`` into a temp folder
with password (SCRAM) authentication, listening only on a Unix socket in that folder (no
port to clash), run as the ``postgres`` system user when the tests run as root (initdb
refuses root), stopped and removed at the end. Without the binaries the tests that need
it skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sourcesupport import CANARY, Postgres, pg_bin


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server seeded with the finance database (tables ``encounters`` and ``kpi_values``)."""
    binary = pg_bin()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed")
    root = Path(tempfile.mkdtemp(prefix="kpikit-pg-"))
    as_postgres = os.geteuid() == 0
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    pwfile = root / "pw"
    pwfile.write_text("admin-pw\n")
    if as_postgres:
        uid = pwd.getpwnam("postgres").pw_uid
        for p in (root, sock, pwfile):
            os.chown(p, uid, -1)
        root.chmod(0o755)
    server = Postgres(binary, data, sock, as_postgres)
    subprocess.run(server._cmd([str(binary / "initdb"), "-D", str(data), "-U", "admin", "-A", "scram-sha-256",
                                f"--pwfile={pwfile}", "--no-sync"]), capture_output=True, check=True)
    server.start()
    try:
        server.psql("CREATE DATABASE finance", db="postgres")
        server.psql(textwrap.dedent(f"""
            CREATE ROLE kpi_reader LOGIN PASSWORD '{CANARY}';
            CREATE TABLE encounters (ts timestamp NOT NULL, ward text NOT NULL, wait_minutes numeric NOT NULL);
            INSERT INTO encounters
              SELECT timestamp '2025-01-01' + (i * interval '7 hours'), (ARRAY['A','B'])[1 + i % 2], 20 + (i % 17)
              FROM generate_series(0, 2999) AS i;
            CREATE TABLE kpi_values (metric_id text, day date, value numeric, note text);
            INSERT INTO kpi_values VALUES
              ('M2', '2025-03-31', 91.5, NULL), ('M2', '2025-06-30', 92.25, 'new courier'),
              ('M3', '2025-12-31', 12, NULL), ('M9', '2025-12-31', 1, 'not a metric of the client');
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO kpi_reader;
            GRANT CREATE ON SCHEMA public TO kpi_reader;
            GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kpi_reader;
        """))
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


