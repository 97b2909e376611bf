"""The schema comes from the migrations: an empty database upgrades to the newest revision, so
does one created by the first, and the result matches schema.py exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from rotation.records import Records, migrate
from rotation.records.engine import make_engine
from rotation.records.schema import Base

TABLES = {
    "districts",
    "school_years",
    "input_snapshots",
    "plan_runs",
    "scenarios",
    "pins",
    "approval_events",
    "rotation_history",
    "users",
    "audit_log",
}


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_an_empty_database_upgrades_to_head(database_url: str) -> None:
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
    assert _differences(database_url) == []
    migrate.upgrade(database_url)  # again: nothing to do
    assert migrate.current(database_url) == migrate.head()


def test_a_database_of_the_first_revision_upgrades_with_its_records(database_url: str) -> None:
    command.upgrade(migrate.alembic_config(database_url), "0001")
    assert migrate.current(database_url) == "0001"
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO districts (name, created_at) VALUES (:n, :t)"),
                {"n": "甘州区", "t": "2026-01-01 00:00:00+00:00"},
            )
    finally:
        engine.dispose()
    records = Records.open(database_url)  # what the server does at startup
    try:
        assert migrate.current(database_url) == migrate.head()
        with records.engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM districts")).scalars().all()
        assert names == ["甘州区"]
    finally:
        records.close()
    assert _differences(database_url) == []
