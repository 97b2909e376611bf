"""`rotation backup` / `rotation restore`: a whole district's records in one file, and back.

The records do the work (rotation/records/backup.py, where the file's format is described);
here the database is chosen (a URL, or the web server's data folder) and the backup file is
written under the same rule as every other output (rotation/formats/safe_write.py: never over a
file without --force, never over a folder or a device).
"""

from __future__ import annotations

from pathlib import Path

from rotation.formats.safe_write import atomic_write, check_targets
from rotation.records import DatabaseUrlError, RecordsError, default_url
from rotation.records.backup import BackupReport, RestoreReport, backup_district, restore_district

#: The web server's data folder when none is named (as `rotation serve --data`).
DEFAULT_DATA = Path("rotation-data")

__all__ = [
    "DEFAULT_DATA",
    "BackupReport",
    "DatabaseUrlError",
    "RecordsError",
    "RestoreReport",
    "backup",
    "database_url",
    "restore",
]


def database_url(database: str | None, data: Path | None) -> str:
    """The records' URL: `database` as given, or the SQLite file in the data folder."""
    if database is not None and data is not None:
        raise DatabaseUrlError("--database 和 --data 只能给出一个")
    return database if database is not None else default_url(data or DEFAULT_DATA)


def backup(
    out: Path,
    district: str,
    *,
    database: str | None = None,
    data: Path | None = None,
    users: bool = True,
    force: bool = False,
) -> BackupReport:
    """Back up one district's records into the file `out` (with the accounts unless `users`
    is False); what it holds."""
    url = database_url(database, data)
    check_targets([out], force=force)
    made: list[BackupReport] = []
    atomic_write(
        out,
        lambda temp: made.append(backup_district(url, district, temp, users=users)),
        force=force,
    )
    report = made[0]
    return BackupReport(out, report.district, report.rows, out.stat().st_size, report.created_at)


def restore(
    source: Path, *, database: str | None = None, data: Path | None = None
) -> RestoreReport:
    """Restore a backup file into the records (a database without that district); what was
    written."""
    return restore_district(database_url(database, data), source)
