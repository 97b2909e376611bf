"""The schema's migrations, run from Python: `upgrade(url)` brings a database to the newest
revision (the server calls it at startup; an up-to-date database is left alone).

The Alembic environment lives in migrations/ inside the package (no alembic.ini): a developer
adding a table changes schema.py, then writes the next revision in migrations/versions/ —
`revision(url, message)` drafts one by comparing a database at head with schema.py; review it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rotation.records.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the records at `url` (for alembic.command's functions)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the newest by default), in one transaction."""
    command.upgrade(alembic_config(url), revision)


def head() -> str:
    """The newest revision the code knows."""
    found = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if found is None:
        raise RuntimeError("no migrations found")
    return found


def revisions() -> list[str]:
    """Every revision the code knows, newest first (a backup names the one it was made at)."""
    script = ScriptDirectory.from_config(alembic_config(""))
    return [s.revision for s in script.walk_revisions()]


def current(url: str) -> str | None:
    """The revision the database at `url` is at (None when it has no records yet)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def revision(url: str, message: str) -> None:
    """Draft the next migration from the difference between `url` (at head) and schema.py."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
