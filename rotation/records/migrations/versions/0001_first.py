"""The first tables: districts, school years, input snapshots, plan runs, scenarios, pins,
approval events, rotation history, users and the audit log (drafted by autogenerate from
schema.py, reviewed, written out by hand). Approval events and the audit log refuse UPDATE
and DELETE, and so does an approved plan run (triggers).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: Auto-numbered keys: BIGINT on PostgreSQL, the rowid on SQLite.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("approval_events", "audit_log")
#: approval.State.APPROVED, as it stood when this revision was written.
APPROVED = "已审批"


def _id() -> sa.Column[int]:
    return sa.Column("id", SERIAL, primary_key=True)


def _uuid() -> sa.Column[str]:
    return sa.Column("id", sa.String(32), primary_key=True)


def _time(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _who(name: str = "created_by") -> sa.Column[str]:
    return sa.Column(name, sa.String(40), nullable=False)


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[object]:
    kind = sa.String(32) if target in ("input_snapshots", "plan_runs") else SERIAL
    return sa.Column(name, kind, sa.ForeignKey(f"{target}.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "districts",
        _id(),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        _time("created_at"),
    )
    op.create_table(
        "school_years",
        _id(),
        _ref("district_id", "districts"),
        sa.Column("year", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("district_id", "year"),
    )
    op.create_table(
        "input_snapshots",
        _uuid(),
        _ref("school_year_id", "school_years"),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_kind", sa.String(10), nullable=False),
        sa.Column("file_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("checked_data", sa.Text(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        _who(),
        _time("created_at"),
    )
    op.create_index(
        op.f("ix_input_snapshots_school_year_id"), "input_snapshots", ["school_year_id"]
    )
    op.create_index(op.f("ix_input_snapshots_sha256"), "input_snapshots", ["sha256"])
    op.create_table(
        "plan_runs",
        _uuid(),
        _ref("snapshot_id", "input_snapshots"),
        _ref("school_year_id", "school_years"),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("objective", sa.BigInteger(), nullable=True),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("plan_data", sa.Text(), nullable=True),
        sa.Column("result_data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("publish_start", sa.Date(), nullable=True),
        sa.Column("publish_end", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _who(),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_index(op.f("ix_plan_runs_snapshot_id"), "plan_runs", ["snapshot_id"])
    op.create_index(op.f("ix_plan_runs_school_year_id"), "plan_runs", ["school_year_id"])
    op.create_table(
        "scenarios",
        _uuid(),
        _ref("school_year_id", "school_years"),
        _ref("plan_run_id", "plan_runs", nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _who(),
        _time("created_at"),
    )
    op.create_index(op.f("ix_scenarios_school_year_id"), "scenarios", ["school_year_id"])
    op.create_table(
        "pins",
        _id(),
        _ref("school_year_id", "school_years"),
        sa.Column("teacher_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _who(),
        _time("created_at"),
        sa.UniqueConstraint("school_year_id", "teacher_id"),
    )
    op.create_table(
        "approval_events",
        _id(),
        _ref("plan_run_id", "plan_runs"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("from_state", sa.String(8), nullable=False),
        sa.Column("to_state", sa.String(8), nullable=False),
        _who("actor"),
        _time("at"),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.UniqueConstraint("plan_run_id", "seq"),
    )
    op.create_table(
        "rotation_history",
        _id(),
        _ref("district_id", "districts"),
        _ref("plan_run_id", "plan_runs"),
        sa.Column("plan_year", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("from_school_id", sa.String(64), nullable=False),
        sa.Column("to_school_id", sa.String(64), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.UniqueConstraint("plan_run_id", "teacher_id", "kind"),
    )
    op.create_index(
        "ix_rotation_history_teacher",
        "rotation_history",
        ["district_id", "teacher_id", "plan_year"],
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_table(
        "audit_log",
        _id(),
        _time("at"),
        _who("actor"),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    _guards()


def _guards() -> None:
    """Triggers: the append-only tables refuse UPDATE and DELETE; an approved plan run refuses
    both too (it is locked)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION records_append_only()"
            )
        op.execute(
            "CREATE FUNCTION records_approved_locked() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF OLD.state = '{APPROVED}' THEN RAISE EXCEPTION 'an approved plan is locked'; "
            "END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER plan_runs_approved_locked BEFORE UPDATE OR DELETE ON plan_runs "
            "FOR EACH ROW EXECUTE FUNCTION records_approved_locked()"
        )
        return
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER plan_runs_approved_no_{verb.lower()} BEFORE {verb} ON plan_runs "
            f"WHEN OLD.state = '{APPROVED}' "
            "BEGIN SELECT RAISE(ABORT, 'an approved plan is locked'); END"
        )


def downgrade() -> None:
    for table in (
        "audit_log",
        "users",
        "rotation_history",
        "approval_events",
        "pins",
        "scenarios",
        "plan_runs",
        "input_snapshots",
        "school_years",
        "districts",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION records_approved_locked()")
        op.execute("DROP FUNCTION records_append_only()")
