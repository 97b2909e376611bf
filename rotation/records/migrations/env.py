"""Alembic's entry point, run by rotation.records.migrate (never from an alembic.ini).

The URL comes in `config.attributes["url"]` (not the ini options, where % would be read as
interpolation); the engine is the records' own, so SQLite gets its pragmas and a migration
holds the write lock from its first statement.
"""

from __future__ import annotations

from alembic import context

from rotation.records.engine import WRITE_OPTION, make_engine
from rotation.records.schema import Base


def run() -> None:
    """Run the migrations asked for, online, in one transaction."""
    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: call rotation.records.migrate.upgrade(url)")
    if context.is_offline_mode():
        raise RuntimeError("the records' migrations run online only")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run()
