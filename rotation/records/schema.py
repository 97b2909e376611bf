"""The tables (SQLAlchemy 2 typed declarative models); migrations/ creates and changes them.

    districts ─< school_years ─< input_snapshots ─< plan_runs ─< approval_events
                              ├─< scenarios                   └─< rotation_history
                              └─< pins
    users, audit_log

Large documents (a district's checked data, a plan) are JSON text written and read by pydantic
(fast and exact, the same JSON as the files of SPEC §5); small ones (options, timings, roles,
audit details) are JSON columns. Times are UTC. Approval events and the audit log are
append-only: the first migration adds triggers that refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Constraint names alembic can find again (the same on SQLite and PostgreSQL).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Ids the server makes (uuid4 hex), as in rotation/service/store.py.
ID_LENGTH = 32
NAME_LENGTH = 100
USER_LENGTH = 40
#: An auto-numbered key: BIGINT on PostgreSQL, SQLite's INTEGER PRIMARY KEY (the rowid).
Serial = BigInteger().with_variant(Integer(), "sqlite")


def utc_now() -> datetime:
    """Now, in UTC (what every time column holds)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A time stored in UTC and read back with its time zone (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a time without a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The records' tables."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class DistrictRow(Base):
    """A district (区县) by name: the bureau whose records these are."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SchoolYearRow(Base):
    """One school year of a district (the plan year, e.g. 2025 for 2025-2026)."""

    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("district_id", "year"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class InputSnapshotRow(Base):
    """An uploaded input as received (bytes, SHA-256) and as checked (the district's JSON)."""

    __tablename__ = "input_snapshots"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[str] = mapped_column(String(10))  # xlsx, csv (a zip), json
    file_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    checked_data: Mapped[str] = mapped_column(Text)  # models.District as JSON
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # models.Problem as JSON
    teachers: Mapped[int] = mapped_column(Integer)
    #: school id → name (NULL for snapshots kept before revision 0002)
    school_names: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PlanRunRow(Base):
    """One planning run on a snapshot: options, solver status, objective, timings, the plan,
    and where it stands in the bureau's procedure. `version` grows with every change: a
    writer that read an older one is refused (optimistic locking)."""

    __tablename__ = "plan_runs"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("input_snapshots.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # SolveResult.status
    objective: Mapped[int | None] = mapped_column(BigInteger)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan_data: Mapped[str | None] = mapped_column(Text)  # models.plan.Plan as JSON
    result_data: Mapped[dict[str, Any]] = mapped_column(JSON)  # conflicts, shortfalls, terms
    state: Mapped[str] = mapped_column(String(8))  # 草稿 公示中 已审批 退回 (approval.py)
    #: models.plan.Verdict: whether the plan may be sent up at all, and the notice why not
    approvable: Mapped[bool] = mapped_column(Boolean, server_default=true())
    notice: Mapped[str] = mapped_column(Text, server_default="")
    #: a clerk's name and note for the plan (several saved plans per year; revision 0003)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), server_default="")
    note: Mapped[str] = mapped_column(Text, server_default="")
    publish_start: Mapped[date | None] = mapped_column(Date)
    publish_end: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ScenarioRow(Base):
    """A what-if scenario file (.toml) kept with the school year it was written for."""

    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), index=True)
    plan_run_id: Mapped[str | None] = mapped_column(ForeignKey("plan_runs.id"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PinRow(Base):
    """锁定: a decision HR took about one teacher for a school year (SPEC §10)."""

    __tablename__ = "pins"
    __table_args__ = (UniqueConstraint("school_year_id", "teacher_id"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    teacher_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    school_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApprovalEventRow(Base):
    """One step of a plan's procedure: who moved it from which state to which, when, why.
    Numbered per plan (`seq`); appended, never edited."""

    __tablename__ = "approval_events"
    __table_args__ = (UniqueConstraint("plan_run_id", "seq"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    plan_run_id: Mapped[str] = mapped_column(ForeignKey("plan_runs.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # publish, approve, return
    from_state: Mapped[str] = mapped_column(String(8))
    to_state: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(USER_LENGTH))
    at: Mapped[datetime] = mapped_column(default=utc_now)
    comment: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)


class RotationHistoryRow(Base):
    """One teacher's move from an approved plan: a new rotation, or a return home."""

    __tablename__ = "rotation_history"
    __table_args__ = (
        UniqueConstraint("plan_run_id", "teacher_id", "kind"),
        Index("ix_rotation_history_teacher", "district_id", "teacher_id", "plan_year"),
    )

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    plan_run_id: Mapped[str] = mapped_column(ForeignKey("plan_runs.id"))
    plan_year: Mapped[int] = mapped_column(Integer)
    teacher_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # rotation, entrusted, return
    from_school_id: Mapped[str] = mapped_column(String(64))
    to_school_id: Mapped[str] = mapped_column(String(64))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)


class UserRow(Base):
    """An account: name, argon2 hash, roles (经办人 审核人 审批人 管理员)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    name: Mapped[str] = mapped_column(String(USER_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditRow(Base):
    """Who did what, when (one line of the audit log); appended, never edited."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Serial, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(USER_LENGTH))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class YearStatisticsRow(Base):
    """An approved plan's statistics (rotation/reports/history.py's YearStatistics as JSON),
    kept once computed: derived from locked data, so never stale; not in backups."""

    __tablename__ = "year_statistics"

    plan_run_id: Mapped[str] = mapped_column(ForeignKey("plan_runs.id"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)
