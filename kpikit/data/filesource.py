"""A file data source (CSV, Parquet, JSON, XLSX), queried with DuckDB as the table ``source``.

The connection is confined to the declared file: DuckDB may read only that path
(``allowed_paths``), external access (other files, the network, extension downloads) is
switched off, and the configuration is locked, so a query cannot switch them back
(``docs/reliability.md``, "Data sources"). An ``.xlsx`` sheet is read with openpyxl
through pandas (DuckDB's excel extension cannot be downloaded here) and registered as
a frame, so its connection reads no file at all.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.data import limits
from kpikit.data.config import Source
from kpikit.data.paths import check_inside, locate
from kpikit.errors import FolderFileError, SourceError

_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".json": "read_json"}


def real_path(folder: Path, name: str, src: Source) -> Path:
    """The source file's real path, by the folder-file rule (an absolute path: by the rule in its own folder)."""
    path = src.path or ""
    try:
        if Path(path).is_absolute():
            p = Path(path)
            check_inside(p.parent, p.name, limits.SOURCE)
            return p.resolve(strict=True)
        check_inside(folder, path, limits.SOURCE)
        return locate(folder, path)
    except FolderFileError as exc:
        raise SourceError(name, f"path {limits.quote(path)} {exc.reason}") from None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class FileSource:
    """One confined DuckDB connection over one declared file; :meth:`query` runs one read-only SELECT."""

    def __init__(self, folder: Path, name: str, src: Source) -> None:
        import duckdb

        self.name = name
        self.timeout = src.timeout
        real = real_path(folder, name, src)
        suffix = real.suffix.lower()
        con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                 "autoload_known_extensions": False})
        try:
            if suffix == ".xlsx":
                try:
                    frame = pd.read_excel(real, sheet_name=src.sheet or 0, engine="openpyxl")
                except (ValueError, KeyError, OSError) as exc:
                    raise SourceError(name, f"{real.name} cannot be read as a workbook: {limits.shorten(str(exc))}") from None
                con.register("source_frame", frame)
                con.execute("CREATE VIEW source AS SELECT * FROM source_frame")
            else:
                con.execute(f"SET allowed_paths=[{_literal(str(real))}]")
                con.execute(f"CREATE VIEW source AS SELECT * FROM {_READERS[suffix]}({_literal(str(real))})")
            con.execute("SET enable_external_access=false")
            con.execute("SET lock_configuration=true")
            con.execute("SELECT * FROM source LIMIT 0")  # an unreadable file fails here, once for the source
        except duckdb.Error as exc:
            con.close()
            raise SourceError(name, f"{real.name} cannot be read: {first_line(exc)}") from None
        except BaseException:
            con.close()
            raise
        self.con = con

    def query(self, sql: str, preview: int | None = None) -> pd.DataFrame:
        """The rows of one SELECT as a frame (at most ``limits.SOURCE_ROWS``); DuckDB's error as ValueError.

        ``preview`` (Test query): fetch at most that many rows plus one and return them, so the
        caller can say there are more, instead of refusing a long result.
        """
        import duckdb

        timer = threading.Timer(self.timeout, self.con.interrupt)
        timer.start()
        try:
            rel = self.con.execute(sql)
            names = [d[0] for d in rel.description or []]
            rows = rel.fetchmany((preview or limits.SOURCE_ROWS) + 1)
        except duckdb.InterruptException:
            raise ValueError(f"took longer than the source's timeout ({self.timeout:g} s) and was stopped") from None
        except duckdb.Error as exc:
            raise ValueError(first_line(exc)) from None
        finally:
            timer.cancel()
        return rows_frame(names, rows, preview is not None)

    def close(self) -> None:
        self.con.close()


def rows_frame(names: list[str], rows: list[Any], preview: bool = False) -> pd.DataFrame:
    """A query's rows as an object frame, refused when there are more than ``limits.SOURCE_ROWS`` (unless a preview)."""
    if len(rows) > limits.SOURCE_ROWS and not preview:
        raise ValueError(f"returned more than {limits.SOURCE_ROWS:,} rows, the most one query may return: "
                         "aggregate by period in the query")
    return pd.DataFrame([tuple(r) for r in rows], columns=names, dtype=object) if rows else \
        pd.DataFrame({n: pd.Series([], dtype=object) for n in names})


def first_line(exc: BaseException) -> str:
    """An error's message as one bounded line (the database's own words, first lines)."""
    text = " ".join(str(exc).split())
    return limits.shorten(limits.printable(text), limits.MAX_MESSAGE_CHARS // 2)
