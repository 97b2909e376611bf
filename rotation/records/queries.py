"""Read-only queries across school years (issue 15 item 4): the approved plan of each year, the
inputs it was made from, and the names those inputs give to teachers, schools and groups.

    approved_plans(records, "闵行区")             # one per school year, oldest first
    approved_input(records, plan_id)              # (Plan, District) of one approved plan
    approved_moves(records, "闵行区", year=2025)  # the rotation history, with each row's input
    snapshot_names(records, [snapshot_id, …])     # names only: no validation of the district

Each function is one query in one read transaction. The names are read from the stored JSON
with a small model of the few fields they need: a 10,000-teacher input validates into a
`District` in about 0.3 s, its names alone in a tenth of that.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from models import District
from models.plan import Plan
from rotation.records.approval import Action, State
from rotation.records.errors import NotFound
from rotation.records.repository import RETURN_KIND, Records, stored_district
from rotation.records.schema import (
    ApprovalEventRow,
    DistrictRow,
    InputSnapshotRow,
    PlanRunRow,
    RotationHistoryRow,
    SchoolYearRow,
)


@dataclass(frozen=True)
class ApprovedPlan:
    """A school year's approved plan: the latest one approved when there are several."""

    year: int
    plan_id: str
    snapshot_id: str
    approved_at: datetime


@dataclass(frozen=True)
class ApprovedMove:
    """One row of the rotation history, with the input its plan was made from (for names)."""

    plan_year: int
    plan_id: str
    snapshot_id: str
    teacher_id: str
    kind: str  # rotation, entrusted, return
    from_school_id: str
    to_school_id: str
    start_year: int
    end_year: int


@dataclass(frozen=True)
class TeacherName:
    """A teacher as an input names them."""

    name: str
    school_id: str
    subject: str


@dataclass(frozen=True)
class SchoolName:
    """A school as an input names it."""

    name: str
    group_id: str


@dataclass(frozen=True)
class SnapshotNames:
    """The names one input gives: the district, its groups, schools and teachers by id."""

    district: str
    plan_year: int
    groups: Mapping[str, str]
    schools: Mapping[str, SchoolName]
    teachers: Mapping[str, TeacherName]


class _Named(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Group(_Named):
    group_id: str
    name: str


class _School(_Named):
    school_id: str
    name: str
    group_id: str


class _Teacher(_Named):
    teacher_id: str
    name: str
    school_id: str
    subject: str


class _Policy(_Named):
    plan_year: int


class _PolicySet(_Named):
    district: _Policy


class _Names(_Named):
    """The stored District JSON, reduced to its names (models.District's field names)."""

    name: str
    groups: list[_Group]
    schools: list[_School]
    teachers: list[_Teacher]
    policy: _PolicySet


def approved_plans(records: Records, district: str, year: int | None = None) -> list[ApprovedPlan]:
    """Each school year's approved plan (the latest approved if several were), oldest year
    first; only `year` when given."""
    query = (
        select(SchoolYearRow.year, PlanRunRow.id, PlanRunRow.snapshot_id, ApprovalEventRow.at)
        .join(SchoolYearRow, PlanRunRow.school_year_id == SchoolYearRow.id)
        .join(DistrictRow, SchoolYearRow.district_id == DistrictRow.id)
        .join(ApprovalEventRow, ApprovalEventRow.plan_run_id == PlanRunRow.id)
        .where(
            DistrictRow.name == district,
            PlanRunRow.state == State.APPROVED.value,
            ApprovalEventRow.action == Action.APPROVE.value,
        )
        .order_by(SchoolYearRow.year, ApprovalEventRow.at, ApprovalEventRow.id)
    )
    if year is not None:
        query = query.where(SchoolYearRow.year == year)
    latest: dict[int, ApprovedPlan] = {}
    with records._session(write=False) as session:
        for y, plan_id, snapshot_id, at in session.execute(query):
            latest[y] = ApprovedPlan(y, plan_id, snapshot_id, at)  # later rows win
    return list(latest.values())


def approved_input(records: Records, plan_id: str) -> tuple[Plan, District]:
    """A plan and the checked district it was made from, validated (one query)."""
    with records._session(write=False) as session:
        row = session.execute(
            select(PlanRunRow.plan_data, InputSnapshotRow.checked_data)
            .join(InputSnapshotRow, PlanRunRow.snapshot_id == InputSnapshotRow.id)
            .where(PlanRunRow.id == plan_id)
        ).one_or_none()
    if row is None:
        raise NotFound("方案", plan_id)
    return Plan.model_validate_json(row[0] or "{}"), stored_district(row[1])


def approved_moves(
    records: Records,
    district: str,
    *,
    year: int | None = None,
    teacher_id: str | None = None,
    returns: bool = True,
) -> list[ApprovedMove]:
    """The rotation history of a district (one school year's plan, one teacher, or all), by
    plan year, teacher and order of approval; returns left out unless `returns`."""
    h = RotationHistoryRow
    query = (
        select(
            h.plan_year,
            h.plan_run_id,
            PlanRunRow.snapshot_id,
            h.teacher_id,
            h.kind,
            h.from_school_id,
            h.to_school_id,
            h.start_year,
            h.end_year,
        )
        .join(DistrictRow, h.district_id == DistrictRow.id)
        .join(PlanRunRow, h.plan_run_id == PlanRunRow.id)
        .where(DistrictRow.name == district)
        .order_by(h.plan_year, h.teacher_id, h.id)
    )
    if year is not None:
        query = query.where(h.plan_year == year)
    if teacher_id is not None:
        query = query.where(h.teacher_id == teacher_id)
    if not returns:
        query = query.where(h.kind != RETURN_KIND)
    with records._session(write=False) as session:
        return [ApprovedMove(*row) for row in session.execute(query)]


def snapshot_names(
    records: Records, snapshot_ids: Collection[str], teachers: Collection[str] | None = None
) -> dict[str, SnapshotNames]:
    """The names each input gives (one query for all of them), of only the `teachers` asked
    for when given; unknown ids are left out."""
    wanted = sorted(set(snapshot_ids))
    if not wanted:
        return {}
    with records._session(write=False) as session:
        rows = session.execute(
            select(InputSnapshotRow.id, InputSnapshotRow.checked_data).where(
                InputSnapshotRow.id.in_(wanted)
            )
        ).all()
    kept = None if teachers is None else frozenset(teachers)
    return {snapshot_id: _names(data, kept) for snapshot_id, data in rows}


def _names(data: str, teachers: frozenset[str] | None = None) -> SnapshotNames:
    raw = _Names.model_validate_json(data)
    return SnapshotNames(
        district=raw.name,
        plan_year=raw.policy.district.plan_year,
        groups={g.group_id: g.name for g in raw.groups},
        schools={s.school_id: SchoolName(s.name, s.group_id) for s in raw.schools},
        teachers={
            t.teacher_id: TeacherName(t.name, t.school_id, t.subject)
            for t in raw.teachers
            if teachers is None or t.teacher_id in teachers
        },
    )
