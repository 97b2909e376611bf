"""A whole district's records in one file, and back (`rotation backup` / `rotation restore`).

The file is a zip (deflate, zip64), written member by member so that a 100,000-teacher year
(uploads of 30-60 MB each) never has to sit in memory whole — one large value at a time does:

    tables/<table>.jsonl           one row per line, columns by name: times ISO 8601 in UTC,
                                   dates ISO, JSON columns as JSON; a large column names its member
    blobs/<table>/<id>/<column>    the large columns, one member each: an upload's bytes as
                                   received, its checked data and a plan (UTF-8 JSON)
    manifest.json                  written last: format and version, the schema revision (Alembic),
                                   the program's version, the district, when, rows and columns of
                                   every table, the SHA-256 and size of every other member

What belongs to the district: its row, its school years and everything hanging off them (input
snapshots, plan runs, scenarios, pins), the plans' approval events, its rotation history; every
account (accounts are global: `users=False` leaves them out); and the audit lines that concern
it. The audit log has no district column: a line belongs to the district when its detail names
one of the district's snapshot, plan or scenario ids, or the district itself (pins, backups,
restores). Logins and account changes name no district and stay behind.

A restore checks the whole file first (every member's SHA-256, the format version, a schema
revision this program knows with the same columns) and refuses, writing nothing, when anything
is wrong. Then it writes everything in ONE transaction, and only into a database that does not
hold the district yet: approval events and the audit log are append-only (triggers) and an
approved plan is locked, so a district's records cannot be replaced or merged honestly — restore
into a fresh database, or one without that district. Ids (uuid hex) are kept; auto-numbered ids
are given by the target afresh, in the file's order, and the references to them (district, school
year) follow, so no sequence needs advancing. An account already in the target is never
overwritten: one that differs from the file's is kept as it is and reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.util.exc import CommandError
from sqlalchemy import Column, ColumnElement, Connection, Date, Engine, Table, false, insert, select
from sqlalchemy import true as sql_true
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from rotation.records import migrate
from rotation.records.engine import WRITE_OPTION, normalise_url
from rotation.records.errors import RecordsError
from rotation.records.repository import Records
from rotation.records.schema import (
    AuditRow,
    Base,
    DistrictRow,
    PlanRunRow,
    SchoolYearRow,
    UserRow,
    UtcDateTime,
    utc_now,
)

FORMAT = "rotation-district-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Every table, parents before children (the order a restore inserts in).
TABLES = (
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
)
#: Columns too large for a line: each value is a member of its own.
LARGE = {"input_snapshots": ("file_bytes", "checked_data"), "plan_runs": ("plan_data",)}
#: Audit detail keys that name a row of the district, by its table.
AUDIT_KEYS = {"snapshot_id": "input_snapshots", "plan_id": "plan_runs", "scenario_id": "scenarios"}
BATCH = 1000
CHUNK = 1 << 20


class BackupError(RecordsError):
    """A backup that cannot be made, or a file that is not restored (nothing was written)."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds: rows per table, the file's size in bytes."""

    path: Path
    district: str
    rows: dict[str, int]
    size: int
    created_at: datetime


@dataclass(frozen=True)
class RestoreReport:
    """What a restore wrote (rows per table), into which database (password hidden); accounts
    added, and those already there that differ from the file's (kept, not overwritten)."""

    district: str
    database: str
    rows: dict[str, int]
    users_added: tuple[str, ...]
    users_kept: tuple[str, ...]
    created_at: datetime


# -- opening ------------------------------------------------------------------------------
@contextmanager
def _opened(source: Records | str, *, must_exist: bool) -> Iterator[Records]:
    """The records (upgraded), closed afterwards when opened here; a database that cannot be
    opened is a BackupError, not a traceback."""
    if isinstance(source, Records):
        yield source
        return
    parsed = normalise_url(source)
    if must_exist and parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and not database.startswith("file:") and not Path(database).is_file():
            raise BackupError(f"找不到记录数据库：{database}")
    try:
        records = Records.open(source)
    except DBAPIError as exc:
        raise BackupError(f"无法打开数据库 {_shown(source)}：{exc.orig}") from exc
    except CommandError as exc:
        raise BackupError(
            f"数据库 {_shown(source)} 由较新版本的本程序建立，本程序不认识它的结构：请升级本程序"
        ) from exc
    try:
        yield records
    finally:
        records.close()


def _shown(url: str) -> str:
    """A URL as it may be printed (no password)."""
    return make_url(url).render_as_string(hide_password=True)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _auto_numbered(table: Table) -> bool:
    """Whether the table's key is a number the database gives (not a uuid hex)."""
    return table.c.id.type.python_type is int


def _app_version() -> str:
    try:
        return version("rotation")
    except PackageNotFoundError:
        return "0.0.0"


# -- backup -------------------------------------------------------------------------------
def backup_district(
    source: Records | str,
    district: str,
    target: Path,
    *,
    users: bool = True,
    by: str = "命令行",
) -> BackupReport:
    """Write everything of `district` to the file `target`: under a temporary name beside it,
    then renamed, so a reader never meets half a backup. A source opened here by URL is brought
    to the newest schema first (as the server does at startup); the backup is recorded in its
    audit log."""
    target = Path(target)
    with _opened(source, must_exist=True) as records:
        handle, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as raw:
                with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                    manifest = _Writer(archive).write(records.engine, district, users=users)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        rows: dict[str, int] = {t: manifest["tables"][t]["rows"] for t in TABLES}
        records.audit(
            by, "district backed up", district=district, backup=manifest["created_at"], rows=rows
        )
    return BackupReport(
        path=target,
        district=district,
        rows=rows,
        size=target.stat().st_size,
        created_at=datetime.fromisoformat(manifest["created_at"]),
    )


class _Writer:
    """Fills a backup zip one member at a time (zipfile writes one member at a time too)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, list[str]] = {}

    def write(self, engine: Engine, district: str, *, users: bool) -> dict[str, Any]:
        """Every table's rows of the district, read in one transaction (a consistent picture,
        also on PostgreSQL), then the manifest; the manifest."""
        created_at = utc_now().isoformat()
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                revision = MigrationContext.configure(connection).get_current_revision()
                for name, where, keep in self._selection(connection, district, users):
                    self._table(connection, _table(name), where, keep)
                source = connection.dialect.name
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": revision,
            "app_version": _app_version(),
            "district": district,
            "created_at": created_at,
            "source": source,
            "users": users,
            "tables": self.tables,
            "members": self.members,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1)
        self.archive.writestr(MANIFEST, text.encode("utf-8"))
        return manifest

    def _selection(
        self, connection: Connection, district: str, users: bool
    ) -> Iterator[tuple[str, ColumnElement[bool], Callable[[RowMapping], bool] | None]]:
        """Each table with the condition of the district's rows (and, for the audit log, a
        test of each line)."""
        district_id = connection.scalar(select(DistrictRow.id).where(DistrictRow.name == district))
        if district_id is None:
            names = connection.scalars(select(DistrictRow.name).order_by(DistrictRow.name)).all()
            present = "、".join(names) if names else "（没有任何区县）"
            raise BackupError(f"数据库中没有区县「{district}」。数据库中的区县：{present}")
        years = select(SchoolYearRow.id).where(SchoolYearRow.district_id == district_id)
        plans = select(PlanRunRow.id).where(PlanRunRow.school_year_id.in_(years))
        t = _table
        yield "districts", t("districts").c.id == district_id, None
        yield "school_years", t("school_years").c.district_id == district_id, None
        for name in ("input_snapshots", "plan_runs", "scenarios", "pins"):
            yield name, t(name).c.school_year_id.in_(years), None
        yield "approval_events", t("approval_events").c.plan_run_id.in_(plans), None
        yield "rotation_history", t("rotation_history").c.district_id == district_id, None
        yield "users", sql_true() if users else false(), None
        # resumed only now: the snapshots, plans and scenarios have been written, their ids noted
        ids = {key: set(self.ids[table]) for key, table in AUDIT_KEYS.items()}

        def concerns(row: RowMapping) -> bool:
            detail = row["detail"]
            if not isinstance(detail, dict):
                return False
            if detail.get("district") == district:
                return True
            return any(detail.get(key) in found for key, found in ids.items())

        yield "audit_log", sql_true(), concerns

    def _table(
        self,
        connection: Connection,
        table: Table,
        where: ColumnElement[bool],
        keep: Callable[[RowMapping], bool] | None,
    ) -> None:
        """One table: its lines member, then each large value as a member of its own."""
        large = LARGE.get(table.name, ())
        plain = [c for c in table.columns if c.name not in large]
        present = [table.c[name].is_not(None).label(f"has_{name}") for name in large]
        statement = (
            select(*plain, *present)
            .where(where)
            .order_by(*table.primary_key.columns)
            .execution_options(yield_per=BATCH)
        )
        ids: list[str] = []
        count = 0

        def lines() -> Iterator[bytes]:
            nonlocal count
            batch: list[str] = []
            for row in connection.execute(statement).mappings():
                if keep is not None and not keep(row):
                    continue
                line = {c.name: _encode(row[c.name]) for c in plain}
                for name in large:
                    line[name] = _blob(table.name, row["id"], name) if row[f"has_{name}"] else None
                if not _auto_numbered(table):
                    ids.append(row["id"])
                batch.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                count += 1
                if len(batch) >= BATCH:
                    yield ("\n".join(batch) + "\n").encode("utf-8")
                    batch = []
            if batch:
                yield ("\n".join(batch) + "\n").encode("utf-8")

        self._member(f"tables/{table.name}.jsonl", lines())
        self.tables[table.name] = {"columns": [c.name for c in table.columns], "rows": count}
        self.ids[table.name] = ids
        for row_id in ids:
            for name in large:
                value = connection.scalar(select(table.c[name]).where(table.c.id == row_id))
                if value is not None:
                    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
                    del value
                    self._member(_blob(table.name, row_id, name), _chunks(data))

    def _member(self, name: str, chunks: Iterable[bytes]) -> None:
        """Write one member from its pieces, noting its SHA-256 and size for the manifest."""
        digest = hashlib.sha256()
        size = 0
        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16  # teachers' personal data: the owner's alone, unpacked
        with self.archive.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        self.members[name] = {"sha256": digest.hexdigest(), "size": size}


def _blob(table: str, row_id: str, column: str) -> str:
    return f"blobs/{table}/{row_id}/{column}"


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _encode(value: Any) -> Any:
    """A column's value as JSON: times and dates as ISO 8601 (times in UTC, with +00:00)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- restore ------------------------------------------------------------------------------
def restore_district(target: Records | str, source: Path, *, by: str = "命令行") -> RestoreReport:
    """Read a backup into the database `target` (its schema upgraded first) in one transaction;
    BackupError, with nothing written, for a damaged or unknown file or a district the target
    already holds."""
    source = Path(source)
    try:
        with zipfile.ZipFile(source) as archive:
            try:
                manifest = _manifest(archive)
            except (KeyError, TypeError, AttributeError) as exc:
                raise BackupError(f"备份文件已损坏：manifest.json 内容不完整（{exc}）") from exc
            _verify(archive, manifest)
            with _opened(target, must_exist=False) as records:
                shown = _shown(target) if isinstance(target, str) else None
                return _Reader(archive, manifest).restore(records.engine, source.name, by, shown)
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:
        raise BackupError(f"备份文件已损坏，未恢复任何记录：{source}（{exc}）") from exc


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The manifest, when this program can restore the file it describes."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError("这不是区县备份文件（其中没有 manifest.json）") from None
    except json.JSONDecodeError as exc:
        raise BackupError(f"备份文件已损坏：manifest.json 无法读取（{exc}）") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("这不是区县备份文件（manifest.json 未注明区县备份格式）")
    number = manifest.get("format_version")
    if not isinstance(number, int) or number > FORMAT_VERSION:
        raise BackupError(
            f"备份文件的格式版本（{number}）较新，本程序只能读取第 {FORMAT_VERSION} 版："
            "请升级本程序后再恢复"
        )
    revision = manifest.get("schema_revision")
    if revision not in migrate.revisions():
        raise BackupError(
            f"备份文件来自较新版本的程序（数据库结构版本 {revision}），本程序不认识：请升级本程序后再恢复"
        )
    tables = manifest.get("tables")
    members = manifest.get("members")
    if not isinstance(tables, dict) or not isinstance(members, dict) or set(tables) != set(TABLES):
        raise BackupError("备份文件已损坏：manifest.json 缺少表或文件清单")
    for name in TABLES:
        table = _table(name)
        kept = tables[name].get("columns")
        # a backup of an older revision lacks the columns added since: each must have a default
        # the database fills in (a newer program restores an older program's backup)
        missing = (
            [c for c in table.columns if c.name not in kept] if isinstance(kept, list) else None
        )
        if (
            missing is None
            or not set(kept) <= set(table.columns.keys())
            or any(c.server_default is None and not c.nullable for c in missing)
        ):
            raise BackupError(
                f"备份文件的数据库结构（版本 {revision}）与本程序的不同（表 {name} 的列不一致），"
                "无法直接恢复：请用生成该备份的程序版本恢复，升级后重新备份"
            )
    if not isinstance(manifest.get("district"), str) or not manifest["district"]:
        raise BackupError("备份文件已损坏：manifest.json 未注明区县")
    return manifest


def _verify(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every member the manifest lists is there, nothing else, each with its SHA-256."""
    names = [n for n in archive.namelist() if n != MANIFEST]
    listed = manifest["members"]
    if len(names) != len(set(names)) or set(names) != set(listed):
        missing = sorted(set(listed) - set(names))
        extra = sorted(set(names) - set(listed))
        raise BackupError(
            f"备份文件已损坏：文件清单与内容不符（缺少 {len(missing)} 项，多出 {len(extra)} 项），"
            "未恢复任何记录"
        )
    for name, facts in listed.items():
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
        if not isinstance(facts, dict) or digest.hexdigest() != facts.get("sha256"):
            raise BackupError(f"备份文件已损坏：{name} 的 SHA-256 校验值不符，未恢复任何记录")


class _Reader:
    """Puts a checked backup's rows into a database, in one transaction."""

    def __init__(self, archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
        self.archive = archive
        self.manifest = manifest
        self.district: str = manifest["district"]
        #: old → new auto-numbered ids of the tables others refer to
        self.new_ids: dict[str, dict[int, int]] = {"districts": {}, "school_years": {}}
        self.rows: dict[str, int] = {}
        self.added: list[str] = []
        self.kept: list[str] = []

    def restore(self, engine: Engine, file_name: str, by: str, shown: str | None) -> RestoreReport:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            try:
                with connection.begin():
                    self._refuse_present(connection)
                    for name in TABLES:
                        self._table(connection, _table(name))
                    connection.execute(
                        insert(AuditRow),
                        [
                            {
                                "at": utc_now(),
                                "actor": by,
                                "action": "district restored",
                                "detail": {
                                    "district": self.district,
                                    "file": file_name,
                                    "backup": self.manifest["created_at"],
                                    "users_kept": self.kept,
                                },
                            }
                        ],
                    )
            except IntegrityError as exc:
                raise BackupError(
                    "备份中的记录与目标数据库中的冲突（编号重复或引用了不存在的记录），"
                    f"未恢复任何记录（{exc.orig}）"
                ) from exc
        return RestoreReport(
            district=self.district,
            database=shown or engine.url.render_as_string(hide_password=True),
            rows=self.rows,
            users_added=tuple(self.added),
            users_kept=tuple(self.kept),
            created_at=datetime.fromisoformat(self.manifest["created_at"]),
        )

    def _refuse_present(self, connection: Connection) -> None:
        found = connection.scalar(select(DistrictRow.id).where(DistrictRow.name == self.district))
        if found is not None:
            raise BackupError(
                f"目标数据库中已有区县「{self.district}」的记录，未恢复任何记录。审批记录和操作记录"
                "只能追加、已审批的方案已锁定，所以恢复不覆盖也不合并：请恢复到一个没有该区县的"
                "数据库（例如新的数据文件夹）"
            )

    def _table(self, connection: Connection, table: Table) -> None:
        """One table's lines: references renumbered, large values read, rows inserted."""
        large = LARGE.get(table.name, ())
        numbered = _auto_numbered(table)
        remember = table.name in self.new_ids
        batch: list[dict[str, Any]] = []
        count = 0
        for line in self._lines(table.name):
            row = self._decode(table, line)
            if numbered:
                old = row.pop("id")
            if table.name == "users":
                if self._user(connection, row):
                    batch.append(row)
            elif remember:
                result = connection.execute(insert(table), [row])
                key = result.inserted_primary_key
                if key is None:  # pragma: no cover - every database here returns it
                    raise RuntimeError("no new id")
                self.new_ids[table.name][old] = key[0]
            elif large:
                connection.execute(insert(table), [row])
            else:
                batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                connection.execute(insert(table), batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)
        if count != self.manifest["tables"][table.name]["rows"]:
            raise BackupError(f"备份文件已损坏：表 {table.name} 的行数与清单不符，未恢复任何记录")
        if table.name == "districts" and count != 1:
            raise BackupError("备份文件已损坏：其中的区县不是一个")
        self.rows[table.name] = len(self.added) if table.name == "users" else count

    def _lines(self, name: str) -> Iterator[dict[str, Any]]:
        with self.archive.open(f"tables/{name}.jsonl") as member:
            for raw in member:
                if raw.strip():
                    line = json.loads(raw)
                    if not isinstance(line, dict):
                        raise BackupError(f"备份文件已损坏：表 {name} 中有无法读取的行")
                    yield line

    def _decode(self, table: Table, line: dict[str, Any]) -> dict[str, Any]:
        """A line back into column values: times, dates, large values from their members, and
        references to auto-numbered rows renumbered."""
        if set(line) != set(self.manifest["tables"][table.name]["columns"]):
            raise BackupError(f"备份文件已损坏：表 {table.name} 中有列不符的行")
        if table.name == "districts" and line["name"] != self.district:
            raise BackupError("备份文件已损坏：区县名称与清单不符")
        row: dict[str, Any] = {}
        for column in table.columns:
            if column.name not in line:  # added after the backup's revision: its default
                continue
            value = line[column.name]
            if value is not None and column.name in LARGE.get(table.name, ()):
                value = self._large(column, value)
            elif value is not None:
                value = _decoded(column, value)
            for key in column.foreign_keys:
                ids = self.new_ids.get(key.column.table.name)
                if ids is not None and value is not None:
                    if value not in ids:
                        raise BackupError(
                            f"备份文件已损坏：表 {table.name} 引用了备份中没有的 {key.column.table.name}"
                        )
                    value = ids[value]
            row[column.name] = value
        return row

    def _large(self, column: Column[Any], member: Any) -> Any:
        if not isinstance(member, str) or member not in self.manifest["members"]:
            raise BackupError(f"备份文件已损坏：{column.table.name}.{column.name} 指向不存在的成员")
        data = self.archive.read(member)
        return data if column.type.python_type is bytes else data.decode("utf-8")

    def _user(self, connection: Connection, row: dict[str, Any]) -> bool:
        """Whether to add the file's account: never over one the target already has."""
        there = connection.execute(
            select(UserRow.password_hash, UserRow.roles).where(UserRow.name == row["name"])
        ).first()
        if there is None:
            self.added.append(row["name"])
            return True
        if there.password_hash != row["password_hash"] or list(there.roles) != row["roles"]:
            self.kept.append(row["name"])
        return False


def _decoded(column: Column[Any], value: Any) -> Any:
    """A JSON value back into the column's Python value."""
    if isinstance(column.type, UtcDateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise BackupError(f"备份文件已损坏：{column.table.name}.{column.name} 的时间没有时区")
        return moment
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value
