"""The records' operations: each is one transaction (all of it is written, or none of it).

    records = Records.open(url)          # upgrades the schema first
    snap = records.save_snapshot(district, file_bytes=…, file_name=…, file_kind="xlsx", by=…)
    plan = records.save_plan_run(snap.id, result, options={…}, by=…)
    plan = records.publish(plan.id, start=…, end=…, actor=…, roles=…, expected_version=plan.version)
    plan = records.approve(plan.id, actor=…, roles=…, expected_version=plan.version)
    records.teacher_history("闵行区", "T001")

A change to a plan names the version the caller read; when someone else changed the plan in
between, StaleVersion says so and nothing is written (optimistic locking). Writers on SQLite
queue on the write lock (engine.py); on PostgreSQL the plan's row is locked while it changes.
Approving a plan appends its rotations and returns to the rotation history in the same
transaction. Approval events and audit lines are only ever appended.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import District, Pin, Problem
from models.plan import Plan, SolveResult
from rotation.memory import paused_cycle_collection
from rotation.records import approval
from rotation.records.approval import Action, State
from rotation.records.data import (
    ApprovalEvent,
    AuditLine,
    HistoryEntry,
    PinRecord,
    PlanInfo,
    SnapshotInfo,
    UserInfo,
)
from rotation.records.engine import WRITE_OPTION, make_engine
from rotation.records.errors import (
    NotApprovable,
    NotFound,
    PlanLocked,
    StaleVersion,
    YearApproved,
    YearPublished,
)
from rotation.records.migrate import upgrade
from rotation.records.schema import (
    NAME_LENGTH,
    ApprovalEventRow,
    AuditRow,
    DistrictRow,
    InputSnapshotRow,
    PinRow,
    PlanRunRow,
    RotationHistoryRow,
    ScenarioRow,
    SchoolYearRow,
    UserRow,
    YearStatisticsRow,
    utc_now,
)

RETURN_KIND = "return"
#: The file_kind of a snapshot made from the year before's approved plan (POST /api/years/next).
CARRIED_KIND = "carried"
#: SolveResult fields kept in their own columns (the rest goes to result_data).
_RESULT_COLUMNS = {"status", "plan", "objective", "build_seconds", "solve_seconds", "wall_seconds"}


def stored_district(data: str) -> District:
    """A snapshot's checked district, validated again from its JSON.

    With Python's cycle collector paused: its full passes over the heap that 100,000 new
    teachers keep growing were a third of the load (4.1–4.5 → 2.9–3.2 s at 100,000 teachers in a
    fresh process, BENCHMARKS.md issue 18); the objects are acyclic, so reference counting frees them as usual."""
    with paused_cycle_collection():
        return District.model_validate_json(data)


class Records:
    """One district office's records in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Records:
        """The records at `url`, their schema brought to the newest revision first."""
        upgrade(url)
        return cls(make_engine(url))

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.engine.connect() as connection:
            if write:
                connection.execution_options(**{WRITE_OPTION: True})
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    # -- districts and school years ---------------------------------------------------------
    def _year_id(self, session: Session, district: str, year: int) -> int:
        """The school year's id, created (with its district) when new; safe when two writers
        create the same at once."""
        dialect = (
            postgresql if session.bind and session.bind.dialect.name == "postgresql" else sqlite
        )
        session.execute(
            dialect.insert(DistrictRow)
            .values(name=district, created_at=utc_now())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        district_id = session.scalars(
            select(DistrictRow.id).where(DistrictRow.name == district)
        ).one()
        session.execute(
            dialect.insert(SchoolYearRow)
            .values(district_id=district_id, year=year, created_at=utc_now())
            .on_conflict_do_nothing(index_elements=["district_id", "year"])
        )
        return session.scalars(
            select(SchoolYearRow.id).where(
                SchoolYearRow.district_id == district_id, SchoolYearRow.year == year
            )
        ).one()

    def _year_of(self, session: Session, school_year_id: int) -> tuple[str, int]:
        row = session.execute(
            select(DistrictRow.name, SchoolYearRow.year)
            .join(SchoolYearRow, SchoolYearRow.district_id == DistrictRow.id)
            .where(SchoolYearRow.id == school_year_id)
        ).one()
        return row[0], row[1]

    def _find_year(self, session: Session, district: str, year: int) -> int | None:
        return session.scalars(
            select(SchoolYearRow.id)
            .join(DistrictRow, SchoolYearRow.district_id == DistrictRow.id)
            .where(DistrictRow.name == district, SchoolYearRow.year == year)
        ).one_or_none()

    # -- input snapshots --------------------------------------------------------------------
    def save_snapshot(
        self,
        district: District,
        *,
        file_bytes: bytes,
        file_name: str,
        file_kind: str,
        by: str,
        warnings: list[Problem] | None = None,
        snapshot_id: str | None = None,
    ) -> SnapshotInfo:
        """Keep an uploaded input: the file as received, its SHA-256, the checked district and
        the reading's warnings (the district's own when not given). The web application names
        the snapshot after its upload (`snapshot_id`); a new id otherwise."""
        data = district.model_dump_json()
        kept = [p.model_dump(mode="json") for p in (warnings or district.warnings)]
        sha = hashlib.sha256(file_bytes).hexdigest()
        with self._session(write=True) as session:
            row = InputSnapshotRow(
                id=snapshot_id or uuid.uuid4().hex,
                school_year_id=self._year_id(session, district.name, district.plan_year),
                file_name=file_name,
                file_kind=file_kind,
                file_bytes=file_bytes,
                sha256=sha,
                checked_data=data,
                warnings=kept,
                teachers=len(district.teachers),
                school_names={school.school_id: school.name for school in district.schools},
                created_by=by,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            self._audit(session, by, "snapshot saved", snapshot_id=row.id, sha256=sha)
            return self._snapshot_info(row, district.name, district.plan_year)

    def snapshot(self, snapshot_id: str) -> SnapshotInfo:
        """What an input snapshot is (NotFound when there is none)."""
        with self._session(write=False) as session:
            row = self._snapshot_row(session, snapshot_id)
            return self._snapshot_info(row, *self._year_of(session, row.school_year_id))

    def load_snapshot(self, snapshot_id: str) -> District:
        """The checked district of a snapshot, as it was saved."""
        with self._session(write=False) as session:
            data = session.scalars(
                select(InputSnapshotRow.checked_data).where(InputSnapshotRow.id == snapshot_id)
            ).one_or_none()
        if data is None:
            raise NotFound("上传的数据", snapshot_id)
        return stored_district(data)

    def school_names(self, snapshot_ids: Collection[str]) -> dict[str, str]:
        """School id → name across snapshots (a later snapshot's name wins), without loading
        the districts (older snapshots without the names are loaded)."""
        names: dict[str, str] = {}
        with self._session(write=False) as session:
            rows = session.execute(
                select(InputSnapshotRow.id, InputSnapshotRow.school_names)
                .where(InputSnapshotRow.id.in_(list(snapshot_ids)))
                .order_by(InputSnapshotRow.created_at, InputSnapshotRow.id)
            ).all()
        for row in rows:
            snapshot_id: str = row[0]
            kept: dict[str, Any] | None = row[1]
            found = (
                kept
                if kept is not None
                else {s.school_id: s.name for s in self.load_snapshot(snapshot_id).schools}
            )
            names.update({str(k): str(v) for k, v in found.items()})
        return names

    def snapshot_file(self, snapshot_id: str) -> bytes:
        """The uploaded file's bytes, as received."""
        with self._session(write=False) as session:
            data = session.scalars(
                select(InputSnapshotRow.file_bytes).where(InputSnapshotRow.id == snapshot_id)
            ).one_or_none()
        if data is None:
            raise NotFound("上传的数据", snapshot_id)
        return data

    def _snapshot_row(self, session: Session, snapshot_id: str) -> InputSnapshotRow:
        row = session.get(InputSnapshotRow, snapshot_id)
        if row is None:
            raise NotFound("上传的数据", snapshot_id)
        return row

    @staticmethod
    def _snapshot_info(row: InputSnapshotRow, district: str, year: int) -> SnapshotInfo:
        return SnapshotInfo(
            id=row.id,
            district=district,
            year=year,
            file_name=row.file_name,
            file_kind=row.file_kind,
            sha256=row.sha256,
            teachers=row.teachers,
            warnings=list(row.warnings),
            created_by=row.created_by,
            created_at=row.created_at,
        )

    # -- plan runs --------------------------------------------------------------------------
    def save_plan_run(
        self,
        snapshot_id: str,
        result: SolveResult,
        *,
        options: Mapping[str, Any],
        by: str,
        plan_id: str | None = None,
        approvable: bool = True,
        notice: str = "",
        name: str = "",
        note: str = "",
    ) -> PlanInfo:
        """Keep a planning run on a snapshot (a 草稿, version 1): its options, the solver's
        status, objective and timings, the plan and the rest of the result. The web
        application names it after the plan's files (`plan_id`); a new id otherwise."""
        plan_data = result.plan.model_dump_json()
        rest = result.model_dump(mode="json", exclude=_RESULT_COLUMNS)
        timings = {
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
            "wall_seconds": result.wall_seconds,
        }
        with self._session(write=True) as session:
            snapshot = self._snapshot_row(session, snapshot_id)
            district, year = self._year_of(session, snapshot.school_year_id)
            if result.plan.plan_year != year:
                raise ValueError(f"方案年度 {result.plan.plan_year} 与上传数据的年度 {year} 不同")
            row = PlanRunRow(
                id=plan_id or uuid.uuid4().hex,
                snapshot_id=snapshot_id,
                school_year_id=snapshot.school_year_id,
                options=dict(options),
                status=result.status,
                objective=result.objective,
                timings=timings,
                plan_data=plan_data,
                result_data=rest,
                state=State.DRAFT.value,
                approvable=approvable,
                notice=notice,
                name=name[:NAME_LENGTH],
                note=note,
                created_by=by,
                created_at=utc_now(),
                updated_at=utc_now(),
            )
            session.add(row)
            session.flush()
            self._audit(session, by, "plan saved", plan_id=row.id, snapshot_id=snapshot_id)
            return self._plan_info(row, district, year)

    def plan(self, plan_id: str) -> PlanInfo:
        """Where a plan run stands (NotFound when there is none)."""
        with self._session(write=False) as session:
            row = self._plan_row(session, plan_id)
            return self._plan_info(row, *self._year_of(session, row.school_year_id))

    def load_plan(self, plan_id: str) -> Plan:
        """A plan run's plan."""
        with self._session(write=False) as session:
            data = session.scalars(
                select(PlanRunRow.plan_data).where(PlanRunRow.id == plan_id)
            ).one_or_none()
        if data is None:
            raise NotFound("方案", plan_id)
        return Plan.model_validate_json(data)

    def load_result(self, plan_id: str) -> SolveResult:
        """A plan run's whole result, as it was saved."""
        with self._session(write=False) as session:
            row = self._plan_row(session, plan_id)
            return SolveResult.model_validate(
                {
                    **row.result_data,
                    **row.timings,
                    "status": row.status,
                    "objective": row.objective,
                    "plan": Plan.model_validate_json(row.plan_data or "{}"),
                }
            )

    def plans(self, district: str, year: int) -> list[PlanInfo]:
        """A school year's plan runs, newest first."""
        with self._session(write=False) as session:
            year_id = self._find_year(session, district, year)
            rows = session.scalars(
                select(PlanRunRow)
                .where(PlanRunRow.school_year_id == year_id)
                .order_by(PlanRunRow.created_at.desc(), PlanRunRow.id)
            ).all()
            return [self._plan_info(row, district, year) for row in rows]

    def replace_plan(self, plan_id: str, plan: Plan, *, expected_version: int, by: str) -> PlanInfo:
        """Change a plan's content (a clerk's edit) while it is 草稿 or 退回."""
        with self._session(write=True) as session:
            row = self._locked_plan(session, plan_id, expected_version)
            if State(row.state) not in approval.EDITABLE:
                raise PlanLocked(plan_id, row.state)
            if plan.plan_year != self._year_of(session, row.school_year_id)[1]:
                raise ValueError("方案年度与上传数据的年度不同")
            row.plan_data = plan.model_dump_json()
            row.updated_at = utc_now()
            self._flush(session, row, expected_version)
            self._audit(session, by, "plan changed", plan_id=plan_id, version=row.version)
            return self._plan_info(row, *self._year_of(session, row.school_year_id))

    def describe_plan(
        self, plan_id: str, *, name: str, note: str, expected_version: int, by: str
    ) -> PlanInfo:
        """Give a saved plan its name and note (any state but 已审批: an approved plan is
        locked, its name with it)."""
        with self._session(write=True) as session:
            row = self._locked_plan(session, plan_id, expected_version)
            if State(row.state) is State.APPROVED:
                raise PlanLocked(plan_id, row.state)
            row.name = name[:NAME_LENGTH]
            row.note = note
            row.updated_at = utc_now()
            self._flush(session, row, expected_version)
            self._audit(session, by, "plan described", plan_id=plan_id, name=row.name)
            return self._plan_info(row, *self._year_of(session, row.school_year_id))

    def _plan_row(self, session: Session, plan_id: str) -> PlanRunRow:
        row = session.get(PlanRunRow, plan_id)
        if row is None:
            raise NotFound("方案", plan_id)
        return row

    def _locked_plan(self, session: Session, plan_id: str, expected_version: int) -> PlanRunRow:
        """The plan's row, locked for this transaction, when it still has the caller's version."""
        row = session.get(PlanRunRow, plan_id, with_for_update=True)
        if row is None:
            raise NotFound("方案", plan_id)
        if row.version != expected_version:
            raise StaleVersion(plan_id, expected_version, row.version)
        return row

    @staticmethod
    def _flush(session: Session, row: PlanRunRow, expected_version: int) -> None:
        try:
            session.flush()
        except StaleDataError as exc:  # the UPDATE's WHERE version = … matched nothing
            raise StaleVersion(row.id, expected_version, expected_version + 1) from exc

    @staticmethod
    def _plan_info(row: PlanRunRow, district: str, year: int) -> PlanInfo:
        return PlanInfo(
            id=row.id,
            snapshot_id=row.snapshot_id,
            district=district,
            year=year,
            status=row.status,
            objective=row.objective,
            state=State(row.state),
            version=row.version,
            options=dict(row.options),
            timings=dict(row.timings),
            publish_start=row.publish_start,
            publish_end=row.publish_end,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            approvable=row.approvable,
            notice=row.notice,
            name=row.name,
            note=row.note,
        )

    # -- the procedure: 草稿 → 公示中 → 已审批 / 退回 -------------------------------------------
    def publish(
        self,
        plan_id: str,
        *,
        start: date,
        end: date,
        actor: str,
        roles: Collection[str],
        expected_version: int,
    ) -> PlanInfo:
        """公示: from 草稿 or 退回 to 公示中, from `start` to `end` (role 审核人)."""
        return self._step(
            plan_id, Action.PUBLISH, actor, roles, expected_version, start=start, end=end
        )

    def approve(
        self,
        plan_id: str,
        *,
        actor: str,
        roles: Collection[str],
        expected_version: int,
        comment: str = "",
    ) -> PlanInfo:
        """审批通过: from 公示中 to 已审批 (role 审批人); the plan is locked from then on and its
        rotations and returns join the rotation history."""
        return self._step(plan_id, Action.APPROVE, actor, roles, expected_version, comment)

    def return_plan(
        self,
        plan_id: str,
        *,
        actor: str,
        roles: Collection[str],
        expected_version: int,
        comment: str,
    ) -> PlanInfo:
        """退回 with a comment: from 公示中 to 退回 (role 审批人); the clerk may change it then."""
        return self._step(plan_id, Action.RETURN, actor, roles, expected_version, comment)

    def _step(
        self,
        plan_id: str,
        action: Action,
        actor: str,
        roles: Collection[str],
        expected_version: int,
        comment: str = "",
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> PlanInfo:
        approval.check_step(action, actor=actor, roles=roles, comment=comment, start=start, end=end)
        with self._session(write=True) as session:
            row = self._locked_plan(session, plan_id, expected_version)
            before = State(row.state)
            after = approval.next_state(before, action)
            if action in (Action.PUBLISH, Action.APPROVE) and not row.approvable:
                raise NotApprovable(plan_id)
            if action is Action.PUBLISH:
                self._one_published(session, row)
            replaced = self._replaced_by(session, row) if action is Action.APPROVE else None
            seq = session.scalar(
                select(func.coalesce(func.max(ApprovalEventRow.seq), 0)).where(
                    ApprovalEventRow.plan_run_id == plan_id
                )
            )
            session.add(
                ApprovalEventRow(
                    plan_run_id=plan_id,
                    seq=(seq or 0) + 1,
                    action=action.value,
                    from_state=before.value,
                    to_state=after.value,
                    actor=actor,
                    at=utc_now(),
                    comment=comment,
                    start_date=start,
                    end_date=end,
                )
            )
            row.state = after.value
            if action is Action.PUBLISH:
                row.publish_start, row.publish_end = start, end
            row.updated_at = utc_now()
            district, year = self._year_of(session, row.school_year_id)
            # the last change to the row: an approved plan run refuses every UPDATE after this
            self._flush(session, row, expected_version)
            if action is Action.APPROVE:
                if replaced is not None:  # the year's history is the new plan's from now on
                    session.execute(
                        delete(RotationHistoryRow).where(RotationHistoryRow.plan_run_id == replaced)
                    )
                self._append_history(session, row, district)
            self._audit(session, actor, f"plan {action.value}", plan_id=plan_id, state=after.value)
            return self._plan_info(row, district, year)

    def _one_published(self, session: Session, row: PlanRunRow) -> None:
        """Refuse a 公示 while another plan of the same school year is under 公示 (the year's
        row locked first, so two publishing at once see each other)."""
        session.get(SchoolYearRow, row.school_year_id, with_for_update=True)
        other = session.scalars(
            select(PlanRunRow.id).where(
                PlanRunRow.school_year_id == row.school_year_id,
                PlanRunRow.state == State.PUBLISHED.value,
                PlanRunRow.id != row.id,
            )
        ).first()
        if other is not None:
            raise YearPublished(other, self._year_of(session, row.school_year_id)[1])

    def _replaced_by(self, session: Session, row: PlanRunRow) -> str | None:
        """The approved plan of the same school year that `row` takes the place of: only the
        one it was made against (参照方案, --reference); YearApproved for any other."""
        approved = session.scalars(
            select(PlanRunRow.id)
            .where(
                PlanRunRow.school_year_id == row.school_year_id,
                PlanRunRow.state == State.APPROVED.value,
                PlanRunRow.id != row.id,
            )
            .order_by(PlanRunRow.updated_at.desc())
        ).first()
        if approved is None:
            return None
        if row.options.get("reference_plan_id") != approved:
            year = self._year_of(session, row.school_year_id)[1]
            raise YearApproved(approved, year)
        return approved

    def approved_plan(self, district: str, year: int) -> PlanInfo | None:
        """The school year's plan in force: the approved one (the latest approved, when a
        change after approval replaced the first)."""
        with self._session(write=False) as session:
            year_id = self._find_year(session, district, year)
            row = session.scalars(
                select(PlanRunRow)
                .where(
                    PlanRunRow.school_year_id == year_id,
                    PlanRunRow.state == State.APPROVED.value,
                )
                .order_by(PlanRunRow.updated_at.desc(), PlanRunRow.id)
            ).first()
            return None if row is None else self._plan_info(row, district, year)

    def plan_infos(self, plan_ids: Collection[str]) -> dict[str, PlanInfo]:
        """Where several plans stand, by id (those the records know)."""
        if not plan_ids:
            return {}
        with self._session(write=False) as session:
            rows = session.scalars(select(PlanRunRow).where(PlanRunRow.id.in_(list(plan_ids))))
            years: dict[int, tuple[str, int]] = {}
            out = {}
            for row in rows:
                if row.school_year_id not in years:
                    years[row.school_year_id] = self._year_of(session, row.school_year_id)
                out[row.id] = self._plan_info(row, *years[row.school_year_id])
            return out

    def carried_snapshot(self, district: str, year: int) -> SnapshotInfo | None:
        """The newest snapshot a school year was started with from the year before's approved
        plan (file_kind CARRIED_KIND), if any."""
        with self._session(write=False) as session:
            year_id = self._find_year(session, district, year)
            row = session.scalars(
                select(InputSnapshotRow)
                .where(
                    InputSnapshotRow.school_year_id == year_id,
                    InputSnapshotRow.file_kind == CARRIED_KIND,
                )
                .order_by(InputSnapshotRow.created_at.desc(), InputSnapshotRow.id)
            ).first()
            return None if row is None else self._snapshot_info(row, district, year)

    def districts(self) -> list[tuple[str, list[int]]]:
        """Every district and its school years, by name and year."""
        with self._session(write=False) as session:
            rows = session.execute(
                select(DistrictRow.name, SchoolYearRow.year)
                .join(SchoolYearRow, SchoolYearRow.district_id == DistrictRow.id, isouter=True)
                .order_by(DistrictRow.name, SchoolYearRow.year)
            ).all()
        out: dict[str, list[int]] = {}
        for name, year in rows:
            out.setdefault(name, [])
            if year is not None:
                out[name].append(year)
        return list(out.items())

    def teacher_districts(self, teacher_id: str) -> list[str]:
        """The districts whose rotation history names a teacher id."""
        with self._session(write=False) as session:
            return list(
                session.scalars(
                    select(DistrictRow.name)
                    .join(RotationHistoryRow, RotationHistoryRow.district_id == DistrictRow.id)
                    .where(RotationHistoryRow.teacher_id == teacher_id)
                    .distinct()
                    .order_by(DistrictRow.name)
                )
            )

    def events(self, plan_id: str) -> list[ApprovalEvent]:
        """A plan's procedure so far, oldest first."""
        with self._session(write=False) as session:
            rows = session.scalars(
                select(ApprovalEventRow)
                .where(ApprovalEventRow.plan_run_id == plan_id)
                .order_by(ApprovalEventRow.seq)
            ).all()
            return [
                ApprovalEvent(
                    seq=r.seq,
                    action=r.action,
                    from_state=State(r.from_state),
                    to_state=State(r.to_state),
                    actor=r.actor,
                    at=r.at,
                    comment=r.comment,
                    start_date=r.start_date,
                    end_date=r.end_date,
                )
                for r in rows
            ]

    # -- rotation history -------------------------------------------------------------------
    def _append_history(self, session: Session, row: PlanRunRow, district: str) -> None:
        plan = Plan.model_validate_json(row.plan_data or "{}")
        district_id = session.scalars(
            select(DistrictRow.id).where(DistrictRow.name == district)
        ).one()
        common = {"district_id": district_id, "plan_run_id": row.id, "plan_year": plan.plan_year}
        # a return comes first: the teacher is home before a new rotation of the same year
        lines = [
            {
                **common,
                "teacher_id": r.teacher_id,
                "kind": RETURN_KIND,
                "from_school_id": r.from_school_id,
                "to_school_id": r.to_school_id,
                "start_year": r.year,
                "end_year": r.year,
            }
            for r in plan.returns
        ] + [
            {
                **common,
                "teacher_id": r.teacher_id,
                "kind": r.kind.value,
                "from_school_id": r.from_school_id,
                "to_school_id": r.to_school_id,
                "start_year": r.start_year,
                "end_year": r.end_year,
            }
            for r in plan.rotations
        ]
        if lines:
            session.execute(insert(RotationHistoryRow), lines)

    def teacher_history(self, district: str, teacher_id: str) -> list[HistoryEntry]:
        """A teacher's moves in approved plans, oldest first."""
        with self._session(write=False) as session:
            rows = session.execute(
                select(RotationHistoryRow)
                .join(DistrictRow, RotationHistoryRow.district_id == DistrictRow.id)
                .where(DistrictRow.name == district, RotationHistoryRow.teacher_id == teacher_id)
                .order_by(RotationHistoryRow.plan_year, RotationHistoryRow.id)
            ).scalars()
            moves = list(rows)
        entries = []
        for i, m in enumerate(moves):
            back = m.kind == RETURN_KIND or any(
                later.kind == RETURN_KIND and later.from_school_id == m.to_school_id
                for later in moves[i + 1 :]
            )
            entries.append(
                HistoryEntry(
                    plan_year=m.plan_year,
                    kind=m.kind,
                    from_school_id=m.from_school_id,
                    to_school_id=m.to_school_id,
                    start_year=m.start_year,
                    end_year=m.end_year,
                    status="已返回" if back else "交流中",
                    plan_id=m.plan_run_id,
                )
            )
        return entries

    # -- derived statistics -----------------------------------------------------------------
    def save_year_statistics(self, plan_id: str, data: str) -> None:
        """Keep an approved plan's statistics (JSON); a second writer's copy is dropped."""
        with self._session(write=True) as session:
            dialect = (
                postgresql if session.bind and session.bind.dialect.name == "postgresql" else sqlite
            )
            session.execute(
                dialect.insert(YearStatisticsRow)
                .values(plan_run_id=plan_id, data=data, computed_at=utc_now())
                .on_conflict_do_nothing(index_elements=["plan_run_id"])
            )

    def year_statistics(self, plan_ids: Collection[str]) -> dict[str, str]:
        """The kept statistics (JSON) of those plans that have them."""
        if not plan_ids:
            return {}
        with self._session(write=False) as session:
            rows = session.execute(
                select(YearStatisticsRow.plan_run_id, YearStatisticsRow.data).where(
                    YearStatisticsRow.plan_run_id.in_(list(plan_ids))
                )
            ).all()
            return {r[0]: r[1] for r in rows}

    # -- scenarios and pins -----------------------------------------------------------------
    def save_scenario(
        self,
        district: str,
        year: int,
        *,
        name: str,
        text: str,
        by: str,
        plan_id: str | None = None,
    ) -> str:
        """Keep a what-if scenario file for a school year; its id."""
        with self._session(write=True) as session:
            row = ScenarioRow(
                id=uuid.uuid4().hex,
                school_year_id=self._year_id(session, district, year),
                plan_run_id=plan_id,
                name=name,
                text=text,
                created_by=by,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            self._audit(session, by, "scenario saved", scenario_id=row.id, name=name)
            return row.id

    def scenarios(self, district: str, year: int) -> list[tuple[str, str, str]]:
        """A school year's scenarios: (id, name, text), oldest first."""
        with self._session(write=False) as session:
            year_id = self._find_year(session, district, year)
            rows = session.execute(
                select(ScenarioRow.id, ScenarioRow.name, ScenarioRow.text)
                .where(ScenarioRow.school_year_id == year_id)
                .order_by(ScenarioRow.created_at, ScenarioRow.id)
            ).all()
            return [(r[0], r[1], r[2]) for r in rows]

    def scenario(self, scenario_id: str) -> tuple[str, int, str, str]:
        """One kept scenario: (district, year, name, text); NotFound when there is none."""
        with self._session(write=False) as session:
            row = session.get(ScenarioRow, scenario_id)
            if row is None:
                raise NotFound("情景", scenario_id)
            return (*self._year_of(session, row.school_year_id), row.name, row.text)

    def delete_scenario(self, scenario_id: str, *, by: str) -> None:
        """Remove a kept scenario (NotFound when there is none); the audit log keeps its name."""
        with self._session(write=True) as session:
            row = session.get(ScenarioRow, scenario_id)
            if row is None:
                raise NotFound("情景", scenario_id)
            name = row.name
            session.delete(row)
            self._audit(session, by, "scenario deleted", scenario_id=scenario_id, name=name)

    def set_pin(self, district: str, year: int, pin: Pin, *, by: str) -> None:
        """Pin a teacher for a school year (replacing the teacher's earlier pin)."""
        with self._session(write=True) as session:
            year_id = self._year_id(session, district, year)
            old = session.scalars(
                select(PinRow).where(
                    PinRow.school_year_id == year_id, PinRow.teacher_id == pin.teacher_id
                )
            ).one_or_none()
            if old is not None:
                session.delete(old)
                session.flush()
            session.add(
                PinRow(
                    school_year_id=year_id,
                    teacher_id=pin.teacher_id,
                    kind=pin.kind.value,
                    school_id=pin.school_id,
                    reason=pin.reason,
                    created_by=by,
                    created_at=utc_now(),
                )
            )
            self._audit(
                session,
                by,
                "pin set",
                district=district,
                year=year,
                teacher_id=pin.teacher_id,
                kind=pin.kind.value,
            )

    def remove_pin(self, district: str, year: int, teacher_id: str, *, by: str) -> bool:
        """Remove a teacher's pin; whether there was one."""
        with self._session(write=True) as session:
            year_id = self._find_year(session, district, year)
            old = session.scalars(
                select(PinRow).where(
                    PinRow.school_year_id == year_id, PinRow.teacher_id == teacher_id
                )
            ).one_or_none()
            if old is None:
                return False
            session.delete(old)
            self._audit(
                session, by, "pin removed", district=district, year=year, teacher_id=teacher_id
            )
            return True

    def pins(self, district: str, year: int) -> list[Pin]:
        """A school year's pins, by teacher id."""
        return [r.pin for r in self.pin_records(district, year)]

    def pin_records(self, district: str, year: int) -> list[PinRecord]:
        """A school year's pins with who took each and when, by teacher id."""
        with self._session(write=False) as session:
            year_id = self._find_year(session, district, year)
            rows = session.scalars(
                select(PinRow).where(PinRow.school_year_id == year_id).order_by(PinRow.teacher_id)
            ).all()
            return [
                PinRecord(
                    pin=Pin.model_validate(
                        {
                            "teacher_id": r.teacher_id,
                            "kind": r.kind,
                            "school_id": r.school_id,
                            "reason": r.reason,
                        }
                    ),
                    created_by=r.created_by,
                    created_at=r.created_at,
                )
                for r in rows
            ]

    # -- users ------------------------------------------------------------------------------
    def save_user(
        self, name: str, password_hash: str, roles: Collection[str], *, by: str
    ) -> UserInfo:
        """Create an account or replace its hash and roles (the caller hashes, with argon2)."""
        if not password_hash.startswith("$argon2"):
            raise ValueError("password_hash must be an argon2 hash")
        kept = list(dict.fromkeys(roles))
        with self._session(write=True) as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            if row is None:
                session.add(
                    UserRow(
                        name=name,
                        password_hash=password_hash,
                        roles=kept,
                        created_at=utc_now(),
                        updated_at=utc_now(),
                    )
                )
                action = "account added"
            else:
                row.password_hash, row.roles, row.updated_at = password_hash, kept, utc_now()
                action = "account reset"
            self._audit(session, by, action, account=name, roles=kept)
        return UserInfo(name, password_hash, tuple(kept))

    def user(self, name: str) -> UserInfo | None:
        """An account by name."""
        with self._session(write=False) as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            return None if row is None else UserInfo(row.name, row.password_hash, tuple(row.roles))

    def users(self) -> list[UserInfo]:
        """Every account, by name."""
        with self._session(write=False) as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name)).all()
            return [UserInfo(r.name, r.password_hash, tuple(r.roles)) for r in rows]

    # -- the audit log ----------------------------------------------------------------------
    def audit(self, actor: str, action: str, **detail: Any) -> None:
        """Append one line on its own (a login, a refused upload)."""
        with self._session(write=True) as session:
            self._audit(session, actor, action, **detail)

    @staticmethod
    def _audit(session: Session, actor: str, action: str, **detail: Any) -> None:
        session.add(AuditRow(at=utc_now(), actor=actor, action=action, detail=detail))

    def audit_lines(self, limit: int = 200) -> list[AuditLine]:
        """The newest lines, newest first."""
        with self._session(write=False) as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
            return [AuditLine(r.at, r.actor, r.action, dict(r.detail)) for r in rows]
