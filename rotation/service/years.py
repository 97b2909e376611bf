"""From one school year to the next in the records (SPEC §10, issue 15 item 3).

    start_next_year(data, plan_id, user)     year Y's approved plan → year Y+1's carried-over
                                             data (as `rotation advance`), kept as an upload
    carry_over(data, district, carry_from)   a new upload for Y+1 checked against it: what
                                             changed per teacher (新增 / 离开 / 变更), and the
                                             rotations in flight taken from the records

The bureau's new workbook brings new hires, leavers, deferrals and demand; who is away on a
rotation, where, until when, and who comes home is what earlier approved plans decided: that
comes from the records, never from the upload's 在岗交流 sheet.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

from models import District, Problem
from models.advance import advance
from models.entities import OngoingRotation, Teacher
from models.experience import Experience, with_experience
from rotation.formats.reading import input_sha256
from rotation.formats.writing import write_district
from rotation.records import NotFound, State
from rotation.records.queries import approved_moves
from rotation.records.repository import CARRIED_KIND
from rotation.service.audit import record
from rotation.service.store import META_FILE, DataDir, new_id, write_json_file

#: At most this many per-teacher lines are kept for the preview (the counts are whole).
MAX_CHANGE_ROWS = 1000
CARRIED_FILE = "input.xlsx"


class NotApproved(ValueError):
    """The next school year starts only from an approved plan."""


@dataclass
class Changes:
    """What a new year's upload changes against the data carried over from the records."""

    carried_upload_id: str
    added: int = 0
    left: int = 0
    changed: int = 0
    rows: list[dict[str, str]] = field(default_factory=list)
    #: Notes on the rotations in flight (taken from the records, not the upload).
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """For the upload's meta.json and the API."""
        return {
            "carried_upload_id": self.carried_upload_id,
            "added": self.added,
            "left": self.left,
            "changed": self.changed,
            "rows": self.rows,
            "notes": self.notes,
        }


def _describe(teacher: Teacher) -> dict[str, Any]:
    return teacher.model_dump(exclude={"row"})


def _shown(value: Any) -> str:
    if value is None or value == () or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def teacher_changes(before: District, after: District, changes: Changes) -> None:
    """Per teacher, what the new upload changes against the carried-over data."""
    old = {t.teacher_id: t for t in before.teachers}
    new = {t.teacher_id: t for t in after.teachers}
    headers = Teacher.columns()
    rows: list[dict[str, str]] = []
    for t in after.teachers:
        if t.teacher_id not in old:
            changes.added += 1
            rows.append({"teacher_id": t.teacher_id, "name": t.name, "change": "新增"})
    for t in before.teachers:
        if t.teacher_id not in new:
            changes.left += 1
            rows.append({"teacher_id": t.teacher_id, "name": t.name, "change": "离开"})
    for t in after.teachers:
        was = old.get(t.teacher_id)
        if was is None:
            continue
        a, b = _describe(was), _describe(t)
        differences = [
            f"{headers.get(k, k)}：{_shown(a[k])} → {_shown(b[k])}" for k in a if a[k] != b.get(k)
        ]
        if differences:
            changes.changed += 1
            rows.append(
                {
                    "teacher_id": t.teacher_id,
                    "name": t.name,
                    "change": "变更",
                    "details": "；".join(differences),
                }
            )
    order = {"新增": 0, "离开": 1, "变更": 2}
    rows.sort(key=lambda r: (order[r["change"]], r["teacher_id"]))
    changes.rows = rows[:MAX_CHANGE_ROWS]


def _ongoing_key(o: OngoingRotation) -> tuple[Any, ...]:
    return (o.teacher_id, o.from_school_id, o.to_school_id, o.start_year, o.end_year, o.kind)


def carry_over(
    data: DataDir, district: District, carry_from: str | None = None
) -> tuple[District, Changes | None]:
    """A new upload against the school year's carried-over data (the one named, or else the
    newest for the district and year): the upload with its rotations in flight from the records,
    and what changed. Unchanged (None) when the year was not started from an approved plan."""
    records = data.records()
    if carry_from:
        try:
            info = records.snapshot(carry_from)
        except NotFound:
            return district, None
        if info.file_kind != CARRIED_KIND:
            return district, None
    else:
        found = records.carried_snapshot(district.name, district.plan_year)
        if found is None:
            return district, None
        info = found
    carried = records.load_snapshot(info.id)
    if carried.plan_year != district.plan_year:
        return district, None
    changes = Changes(carried_upload_id=info.id)
    teacher_changes(carried, district, changes)
    present = {t.teacher_id for t in district.teachers}
    kept = tuple(
        o.model_copy(update={"row": None}) for o in carried.ongoing if o.teacher_id in present
    )
    gone = sorted({o.teacher_id for o in carried.ongoing} - present)
    if gone:
        changes.notes.append(
            f"{len(gone)} 名在岗交流教师不在新上传的教师表中（如 {'、'.join(gone[:5])}），"
            "其交流记录不再计入本学年"
        )
    if {_ongoing_key(o) for o in district.ongoing} != {_ongoing_key(o) for o in kept}:
        changes.notes.append(
            f"在岗交流以记录为准（{len(kept)} 条，来自已审批的方案）；"
            f"上传文件中的「在岗交流」表（{len(district.ongoing)} 条）未采用"
        )
    merged = district.replace(name=carried.name, ongoing=kept)
    return merged, changes


def experience_from_records(data: DataDir, district: District) -> District:
    """The district with its teachers' rotation experience brought up to what the records
    know, when the promotion-experience goal is on in any group (else unchanged): years on
    rotation and schools taught from the approved plans before this school year. The
    workbook's own figures stand when they say more (they may count rotations from before the
    records began)."""
    groups = [district.policy.for_group(g.group_id) for g in district.groups]
    if not any(p.weight_promotion_experience > 0 for p in groups):
        return district
    year = district.plan_year
    served: dict[str, int] = {}
    hosts: dict[str, set[str]] = {}
    for move in approved_moves(data.records(), district.name, returns=False):
        if move.plan_year >= year:
            continue
        done = max(0, min(move.end_year, year - 1) - move.start_year + 1)
        served[move.teacher_id] = served.get(move.teacher_id, 0) + done
        hosts.setdefault(move.teacher_id, set()).add(move.to_school_id)
    experience: dict[str, Experience] = {}
    for t in district.teachers:
        if t.teacher_id not in hosts:
            continue
        schools = 1 + len(hosts[t.teacher_id] - {t.school_id})
        experience[t.teacher_id] = (
            max(t.rotation_years_done or 0, served[t.teacher_id]),
            max(t.schools_taught or 0, schools),
        )
    return with_experience(district, experience)


def start_next_year(data: DataDir, plan_id: str, user: str) -> dict[str, Any]:
    """Year Y+1's data from year Y's approved plan (as `rotation advance`), kept as an upload
    whose file is the carried-over workbook (HR downloads it, brings it up to date, uploads it
    again); its meta data. NotApproved for a plan that is not 已审批; NotFound for none."""
    records = data.records()
    info = records.plan(plan_id)
    if info.state is not State.APPROVED:
        raise NotApproved(
            f"方案当前状态为「{info.state.value}」：只有审批通过的方案才能开始下一学年"
        )
    district = records.load_snapshot(info.snapshot_id)
    plan = records.load_plan(plan_id)
    following = advance(district, plan)
    upload_id = new_id()
    folder = data.upload_dir(upload_id)
    folder.mkdir(parents=True)
    try:
        target = folder / CARRIED_FILE
        write_district(following, target)
        file_bytes = target.read_bytes()
        sha = input_sha256(target)
        records.save_snapshot(
            following,
            file_bytes=file_bytes,
            file_name=f"{following.name}{following.plan_year}学年结转数据.xlsx",
            file_kind=CARRIED_KIND,
            by=user,
            warnings=[],
            snapshot_id=upload_id,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    from rotation.service.uploads import upload_meta

    meta = upload_meta(
        upload_id,
        following,
        user=user,
        filename=f"{following.name}{following.plan_year}学年结转数据.xlsx",
        kind="xlsx",
        input_file=CARRIED_FILE,
        sha=sha,
        warnings=[],
    )
    meta["carried_from_plan"] = plan_id
    write_json_file(folder / META_FILE, meta)
    record(
        data,
        user,
        "next year",
        plan_id=plan_id,
        upload_id=upload_id,
        year=following.plan_year,
        sha256=sha,
    )
    return meta


def merged_problem(note: str) -> Problem:
    """A carry-over note as an upload warning."""
    return Problem(sheet="在岗交流", message=note, severity="warning")
