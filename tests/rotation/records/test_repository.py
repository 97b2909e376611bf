"""Round trips: what is saved comes back the same; every write in one transaction."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from models import District, Pin
from models.problems import Problem
from rotation.records import NotFound, Records, State
from rotation.records.engine import DatabaseUrlError, default_url, normalise_url
from rotation.records.repository import stored_district
from rotation.records.schema import (
    ApprovalEventRow,
    AuditRow,
    RotationHistoryRow,
    SchoolYearRow,
)

from .conftest import ALL_ROLES, ResultFactory

DistrictMaker = Callable[[int], District]


def test_urls() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.sqlite").drivername == "sqlite+pysqlite"
    with pytest.raises(DatabaseUrlError):
        normalise_url("mysql://u@h/db")
    assert default_url(Path("/srv/data")).endswith("/srv/data/records.sqlite")


def test_a_snapshot_round_trip(records: Records, small_district: DistrictMaker) -> None:
    district = small_district(2025)
    data = b"PK\x03\x04 the workbook as received \x00\xff"
    warning = Problem(sheet="教师", row=3, column="备注", message="未读入", severity="warning")
    info = records.save_snapshot(
        district,
        file_bytes=data,
        file_name="闵行区.xlsx",
        file_kind="xlsx",
        by="张三",
        warnings=[warning],
    )
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert (info.district, info.year, info.teachers) == (district.name, 2025, 120)
    assert records.snapshot(info.id) == info
    assert records.snapshot_file(info.id) == data
    loaded = records.load_snapshot(info.id)
    assert loaded.model_dump() == district.model_dump()
    assert gc.isenabled()  # the collector paused for the load is running again
    assert [Problem.model_validate(w) for w in info.warnings] == [warning]
    with pytest.raises(NotFound):
        records.load_snapshot("0" * 32)


def test_a_plan_run_round_trip(
    records: Records, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    snap = records.save_snapshot(
        small_district(2025), file_bytes=b"{}", file_name="a.json", file_kind="json", by="张三"
    )
    result = make_result(
        2025, [("MHT000001", "MH0001", "MH0002", 2)], [("MHT000009", "MH0002", "MH0001")]
    )
    options = {"time_limit": 60, "relax": False}
    plan = records.save_plan_run(snap.id, result, options=options, by="张三")
    assert (plan.state, plan.version, plan.status, plan.objective) == (
        State.DRAFT,
        1,
        "optimal",
        42,
    )
    assert plan.options == options
    assert plan.timings == {"build_seconds": 0.5, "solve_seconds": 1.25, "wall_seconds": 2.0}
    assert records.load_plan(plan.id) == result.plan
    assert records.load_result(plan.id) == result
    assert records.plan(plan.id) == plan
    assert records.plans(snap.district, 2025) == [plan]
    with pytest.raises(ValueError, match="年度"):
        records.save_plan_run(snap.id, make_result(2026), options={}, by="张三")
    with pytest.raises(NotFound):
        records.save_plan_run("f" * 32, result, options={}, by="张三")


def test_scenarios_pins_users_and_audit(records: Records) -> None:
    sid = records.save_scenario("甘州区", 2025, name="多派骨干", text="[policy]\n", by="张三")
    assert records.scenarios("甘州区", 2025) == [(sid, "多派骨干", "[policy]\n")]
    pin = Pin.model_validate(
        {"teacher_id": "T1", "kind": "必须交流至", "school_id": "S2", "reason": "支教"}
    )
    records.set_pin("甘州区", 2025, pin, by="张三")
    records.set_pin("甘州区", 2025, pin.model_copy(update={"reason": "改派"}), by="张三")
    assert [p.reason for p in records.pins("甘州区", 2025)] == ["改派"]
    assert records.remove_pin("甘州区", 2025, "T1", by="张三")
    assert not records.remove_pin("甘州区", 2025, "T1", by="张三")
    assert records.pins("甘州区", 2025) == []
    with pytest.raises(ValueError, match="argon2"):
        records.save_user("李四", "plain text", ["审批人"], by="管理员")
    records.save_user(
        "李四", "$argon2id$v=19$m=65536,t=3,p=4$x$y", ["审批人", "审批人"], by="管理员"
    )
    records.save_user("李四", "$argon2id$v=19$m=65536,t=3,p=4$x$z", ["审核人"], by="管理员")
    user = records.user("李四")
    assert user is not None and user.roles == ("审核人",) and user.password_hash.endswith("$z")
    assert records.user("王五") is None
    records.audit("李四", "login")
    lines = records.audit_lines()
    assert [line.action for line in lines] == [
        "login",
        "account reset",
        "account added",
        "pin removed",
        "pin set",
        "pin set",
        "scenario saved",
    ]
    assert lines[0].at.tzinfo is not None and lines[1].detail["roles"] == ["审核人"]


def test_foreign_keys_are_enforced(records: Records) -> None:
    """SQLite too: the engine turns foreign keys on for every connection."""
    with records.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with pytest.raises(IntegrityError), records.engine.begin() as connection:
        connection.execute(
            SchoolYearRow.__table__.insert().values(
                district_id=999,
                year=2025,
                created_at=datetime.now(UTC),
            )
        )


def test_a_failed_write_leaves_nothing_behind(
    records: Records, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    """Approving writes the state, an event, the history and an audit line in one transaction:
    when the history cannot be written (the same teacher twice), none of it is."""
    snap = records.save_snapshot(
        small_district(2025), file_bytes=b"x", file_name="a.xlsx", file_kind="xlsx", by="张三"
    )
    twice = make_result(2025, [("MHT000001", "MH0001", "MH0002", 2)] * 2)
    plan = records.save_plan_run(snap.id, twice, options={}, by="张三")
    plan = records.publish(
        plan.id,
        start=date(2025, 6, 1),
        end=date(2025, 6, 7),
        actor="审核",
        roles=ALL_ROLES,
        expected_version=plan.version,
    )
    counts_before = _counts(records)
    with pytest.raises(IntegrityError):
        records.approve(plan.id, actor="局长", roles=ALL_ROLES, expected_version=plan.version)
    assert records.plan(plan.id) == plan
    assert _counts(records) == counts_before
    assert len(records.events(plan.id)) == 1


def _counts(records: Records) -> tuple[int, ...]:
    with records.engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (ApprovalEventRow, RotationHistoryRow, AuditRow)
        )


def test_the_database_refuses_to_edit_the_append_only_tables(records: Records) -> None:
    records.audit("张三", "login")
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), records.engine.begin() as connection:
            connection.execute(text(statement))
    assert [line.actor for line in records.audit_lines()] == ["张三"]


def test_a_stored_district_that_no_longer_validates_raises_with_the_collector_on() -> None:
    """`stored_district` pauses the cycle collector while it validates; a refused district
    (a snapshot from a build whose checks were looser) must not leave it paused."""
    with pytest.raises(ValidationError):
        stored_district('{"groups": [], "schools": [], "teachers": "none"}')
    assert gc.isenabled()
