"""Connections: one SQLite file in the data folder by default, or a PostgreSQL server by URL.

SQLite gets foreign_keys=ON, journal_mode=WAL and a busy timeout on every connection, and a
transaction that writes starts with BEGIN IMMEDIATE: it takes the write lock before it reads, so
two writers queue instead of failing half-way (the second then sees the first's version and
reports a conflict). PostgreSQL goes through psycopg 3; `postgresql://` means the same as
`postgresql+psycopg://`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError

#: The database file inside the data folder.
SQLITE_FILE = "records.sqlite"
#: An execution option on a connection whose transaction writes.
WRITE_OPTION = "records_write"
#: How long a SQLite writer waits for another's lock, in seconds.
SQLITE_BUSY_SECONDS = 30


class DatabaseUrlError(ValueError):
    """A database URL the records cannot use (only SQLite and PostgreSQL are supported)."""


def default_url(data_dir: Path) -> str:
    """`sqlite:///DATA/records.sqlite` for a data folder."""
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def normalise_url(url: str | URL) -> URL:
    """The URL with its driver made explicit: pysqlite for SQLite, psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"数据库地址无法识别：{url}（应如 postgresql://用户@主机/库名）"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", "psycopg2", ""):
            raise DatabaseUrlError(f"PostgreSQL 只支持 psycopg 驱动：{parsed.drivername}")
        return parsed.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(f"不支持的数据库：{parsed.drivername}（只支持 SQLite 和 PostgreSQL）")


def make_engine(url: str | URL) -> Engine:
    """An engine for the records (the schema is not touched: see migrate.upgrade)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            # teachers' personal data: the folder and the file are the owner's alone
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            Path(database).touch(mode=0o600, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS}, json_serializer=_json
        )
        _sqlite_events(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, json_serializer=_json)


def _json(value: Any) -> str:
    """JSON columns keep Chinese as it is (readable with the database's own tools)."""
    return json.dumps(value, ensure_ascii=False)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # the driver's own BEGIN handling off: "begin" below says how each transaction starts
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a commit survives a crash
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
