"""A database data source, through SQLAlchemy (PostgreSQL with psycopg at least; any SQLAlchemy URL in principle).

All of one source's queries run on one connection, in one read-only transaction that is
rolled back at the end (PostgreSQL: ``REPEATABLE READ, READ ONLY``, so every metric reads the
same snapshot; SQLite: ``PRAGMA query_only``), each under a savepoint so one failing query
does not abort the rest, and each under the source's ``timeout`` (PostgreSQL's
``statement_timeout``). The query text goes to the driver as written, with no parameters,
so ``%`` and ``:name`` in SQL mean what they mean to the database.

The URL with its secrets is used only to connect: it never appears in a message
(:func:`kpikit.data.sources.redact`), and SQLAlchemy's own errors are not shown (they can
quote the URL); only the driver's first lines are.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd

from kpikit.data.filesource import first_line, rows_frame
from kpikit.errors import SourceError


class DatabaseSource:
    """One connection to a database source, in a read-only transaction; :meth:`query` runs one SELECT."""

    def __init__(self, name: str, url: str, timeout: float, secrets: list[str]) -> None:
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        from kpikit.data.sources import redact

        self.name = name
        self.timeout = timeout
        self.secrets = secrets
        self._redact = redact
        try:
            parsed = sqlalchemy.engine.make_url(url)
        except (sqlalchemy.exc.ArgumentError, ValueError):
            raise SourceError(name, "its url is not a database URL SQLAlchemy can read "
                              "(dialect+driver://user:${PASSWORD}@host:port/database)") from None
        self.dialect = parsed.get_backend_name()
        connect_args: dict[str, Any] = {}
        if self.dialect == "postgresql":
            ms = max(1, round(timeout * 1000))
            connect_args = {"connect_timeout": max(1, round(timeout)),
                            "options": f"-c default_transaction_read_only=on -c statement_timeout={ms}"}
        try:
            self.engine = sqlalchemy.create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
            self.conn = self.engine.raw_connection()
        except ModuleNotFoundError as exc:
            raise SourceError(name, f"the database driver {exc.name} is not installed "
                              "(kpikit installs psycopg for PostgreSQL)") from None
        except Exception as exc:  # the driver's error (server down, refused, bad password), never SQLAlchemy's text
            raise SourceError(name, "cannot connect: " + self._clean(exc)) from None
        try:
            self._begin_read_only()
        except Exception as exc:
            self.close()
            raise SourceError(name, "cannot start a read-only transaction: " + self._clean(exc)) from None

    def _clean(self, exc: BaseException) -> str:
        orig = getattr(exc, "orig", None) or exc
        return self._redact(first_line(orig), self.secrets)

    def _begin_read_only(self) -> None:
        cur = self.conn.cursor()
        if self.dialect == "postgresql":
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute(f"SET LOCAL statement_timeout = {max(1, round(self.timeout * 1000))}")
        elif self.dialect == "sqlite":
            cur.execute("PRAGMA query_only = ON")
        elif self.dialect in ("mysql", "mariadb"):
            cur.execute(f"SET SESSION MAX_EXECUTION_TIME = {max(1, round(self.timeout * 1000))}")
            cur.execute("START TRANSACTION READ ONLY")
        cur.close()

    def query(self, sql: str, preview: int | None = None) -> pd.DataFrame:
        """The rows of one SELECT (at most ``limits.SOURCE_ROWS``); the database's error as ValueError.

        ``preview``: at most that many rows plus one, returned (as :meth:`FileSource.query`).
        """
        from kpikit.data import limits

        cur = self.conn.cursor()
        savepoint = self.dialect in ("postgresql", "sqlite", "mysql", "mariadb")
        try:
            if savepoint:
                cur.execute("SAVEPOINT kpikit_query")
            try:
                cur.execute(sql)
                names = [d[0] for d in cur.description or []]
                rows = cur.fetchmany((preview or limits.SOURCE_ROWS) + 1) if cur.description else []
            except Exception as exc:
                if savepoint:
                    cur.execute("ROLLBACK TO SAVEPOINT kpikit_query")
                message = self._clean(exc)
                if "statement timeout" in message:
                    message += f" (the source's timeout is {self.timeout:g} s)"
                raise ValueError(message) from None
            if savepoint:
                cur.execute("RELEASE SAVEPOINT kpikit_query")
            if not names:
                raise ValueError("returned no columns: a query is one SELECT")
        except ValueError:
            raise
        except Exception as exc:  # the connection itself broke mid-refresh
            raise ValueError(self._clean(exc)) from None
        finally:
            cur.close()
        return rows_frame(names, list(rows), preview is not None)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a dead connection has nothing to roll back
            self.conn.rollback()  # nothing a query did is ever kept
        try:
            self.conn.close()
        finally:
            self.engine.dispose()
