"""Decisions taken in the meeting (issue 16): pins on teachers kept with the school year,
re-plans against a plan with as few changes as possible, saved plans with a name and a note,
and two plans compared side by side.

A year's pins live in the records, beside the pins of the uploaded 锁定 sheet: a pin taken in
the web application replaces the sheet's pin on the same teacher, and both hold in every plan
of that school year made afterwards (a new upload of the year keeps them). A pin cannot be set
through an approved plan: it is locked; a change after approval starts as a re-plan against it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import District, Pin
from models.plan import Plan, SolveResult
from models.rules import PlanFacts
from models.rules import pins as pins_rule
from models.rules.pins import pin_hosts
from models.rules.within_group import hosts
from models.vocab import PinKind
from rotation.records import NotFound, PinRecord, PlanInfo, PlanLocked, State
from rotation.reports.comparison import SECTIONS, diff_rows, figure_text, kpi_rows
from rotation.reports.outcomes import Outcome, plan_outcome
from rotation.service.store import DataDir

#: Longest reason a pin keeps (the 审批表 cell shows it whole).
MAX_REASON = 500


class PinRefused(ValueError):
    """A pin that cannot be taken as asked; the message says why, in Chinese."""


@dataclass(frozen=True)
class PinView:
    """One pin of a school year as the pages list it."""

    teacher_id: str
    teacher_name: str
    home: str
    kind: str
    school_id: str | None
    school_name: str
    reason: str
    #: 本学年锁定 (taken in the web application, removable) or 上传数据 (the 锁定 sheet)
    source: str
    by: str = ""
    at: datetime | None = None
    #: why the pin does not apply to this upload's data (a teacher no longer in it)
    inactive: str = ""

    @property
    def removable(self) -> bool:
        """Pins taken in the web application can be removed there; the sheet's in the sheet."""
        return self.source == YEAR_PIN


YEAR_PIN = "本学年锁定"
SHEET_PIN = "上传数据"


_SNAPSHOTS: OrderedDict[tuple[str, str], District] = OrderedDict()
_SNAPSHOTS_KEPT = 4
_SNAPSHOTS_LOCK = threading.Lock()


def snapshot_district(data: DataDir, snapshot_id: str) -> District:
    """A snapshot's checked district, kept for the last few looked at: a snapshot never
    changes, and a 100,000-teacher one takes seconds to load."""
    key = (data.url, snapshot_id)
    with _SNAPSHOTS_LOCK:
        district = _SNAPSHOTS.get(key)
        if district is not None:
            _SNAPSHOTS.move_to_end(key)
            return district
    district = data.records().load_snapshot(snapshot_id)
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS[key] = district
        while len(_SNAPSHOTS) > _SNAPSHOTS_KEPT:
            _SNAPSHOTS.popitem(last=False)
    return district


def with_year_pins(district: District, year_pins: list[Pin]) -> District:
    """The district with its school year's pins: each replaces the sheet's pin on the same
    teacher; pins on teachers the data no longer holds are left out."""
    if not year_pins:
        return district
    kept = [p for p in year_pins if p.teacher_id in district.index.teacher]
    pinned = {p.teacher_id for p in kept}
    merged = (*(p for p in district.pins if p.teacher_id not in pinned), *kept)
    return district.replace(pins=merged)


def _school_name(d: District, school_id: str | None) -> str:
    if school_id is None:
        return ""
    return d.school(school_id).name if school_id in d.index.school else school_id


def _view(d: District, pin: Pin, source: str, record: PinRecord | None = None) -> PinView:
    t = d.index.teacher.get(pin.teacher_id)
    return PinView(
        teacher_id=pin.teacher_id,
        teacher_name=t.name if t else "",
        home=_school_name(d, t.school_id) if t else "",
        kind=pin.kind.value,
        school_id=pin.school_id,
        school_name=_school_name(d, pin.school_id),
        reason=pin.reason or "",
        source=source,
        by=record.created_by if record else "",
        at=record.created_at if record else None,
        inactive="" if t else "该教师不在本学年的数据中，锁定不起作用",
    )


def pins_of(data: DataDir, info: PlanInfo) -> list[PinView]:
    """The pins that hold for the plan's school year: those taken in the web application and
    those of the uploaded 锁定 sheet they do not replace, by teacher id."""
    d = snapshot_district(data, info.snapshot_id)
    taken = data.records().pin_records(info.district, info.year)
    pinned = {r.pin.teacher_id for r in taken}
    views = [_view(d, r.pin, YEAR_PIN, r) for r in taken]
    views += [_view(d, p, SHEET_PIN) for p in d.pins if p.teacher_id not in pinned]
    return sorted(views, key=lambda v: v.teacher_id)


def pin_choices(
    data: DataDir, info: PlanInfo, teacher_id: str
) -> tuple[list[tuple[str, str]], str]:
    """The schools a 必须交流至 pin on this teacher may name, as (id, name), and — when there
    are none — why not (the teacher may not move this year)."""
    d = snapshot_district(data, info.snapshot_id)
    if teacher_id not in d.index.teacher:
        return [], "该教师不在本学年的数据中"
    choices = [(s.school_id, s.name) for s in pin_hosts(d, teacher_id)]
    if choices:
        return choices, ""
    status = d.status(teacher_id)
    if not status.eligible:
        return [], f"该教师本学年不符合交流条件（{status.reason}），只能锁定为「不得交流」"
    return [], "该教师所在集团没有可以接收其学段的学校"


def _editable(info: PlanInfo) -> None:
    if info.state is State.APPROVED:
        raise PlanLocked(info.id, info.state.value)


def set_pin(
    data: DataDir,
    info: PlanInfo,
    *,
    teacher_id: str,
    kind: str,
    school_id: str | None,
    reason: str,
    by: str,
) -> PinView:
    """Take a pin for the plan's school year (replacing the teacher's earlier one); PinRefused
    with every problem at once when it cannot be taken, PlanLocked through an approved plan."""
    _editable(info)
    d = snapshot_district(data, info.snapshot_id)
    problems = []
    reason = reason.strip()
    school_id = (school_id or "").strip() or None
    try:
        pin_kind = PinKind(kind)
    except ValueError:
        pin_kind = None
        problems.append("类型应为「不得交流」「必须交流至」或「不得交流至」")
    if not reason:
        problems.append("请填写锁定原因（会写入审批表）")
    elif len(reason) > MAX_REASON:
        problems.append(f"锁定原因不能超过 {MAX_REASON} 字")
    teacher = d.index.teacher.get(teacher_id)
    if teacher is None:
        problems.append(f"教师「{teacher_id}」不在本学年的数据中")
    elif pin_kind is PinKind.MUST_STAY:
        school_id = None
    elif pin_kind is PinKind.MUST_GO_TO:
        choices, why = pin_choices(data, info, teacher_id)
        if school_id is None:
            problems.append("「必须交流至」须选择流入学校")
        elif school_id not in {c[0] for c in choices}:
            problems.append(
                why
                or f"「{_school_name(d, school_id)}」不是该教师可以交流去的学校"
                "（须为本集团或托管关系中接收其学段、且符合流向规则的学校）"
            )
    elif pin_kind is PinKind.MUST_NOT_GO_TO:
        home = d.school(teacher.school_id)
        if school_id is None:
            problems.append("「不得交流至」须选择学校")
        elif school_id not in {h.school_id for h, _ in hosts(d, home)}:
            problems.append(f"「{_school_name(d, school_id)}」本来就不在该教师可交流的学校之中")
    if problems or pin_kind is None:
        raise PinRefused("；".join(problems))
    pin = Pin(teacher_id=teacher_id, kind=pin_kind, school_id=school_id, reason=reason)
    data.records().set_pin(info.district, info.year, pin, by=by)
    return _view(d, pin, YEAR_PIN)


def remove_pin(data: DataDir, info: PlanInfo, teacher_id: str, *, by: str) -> None:
    """Remove a pin taken in the web application; NotFound when the teacher has none there
    (a pin of the uploaded 锁定 sheet is changed in the workbook), PinRefused for that one."""
    _editable(info)
    if data.records().remove_pin(info.district, info.year, teacher_id, by=by):
        return
    d = snapshot_district(data, info.snapshot_id)
    if any(p.teacher_id == teacher_id for p in d.pins):
        raise PinRefused("这条锁定来自上传数据的「锁定」表：请在工作簿中修改后重新上传")
    raise NotFound("锁定", teacher_id)


def describe(
    data: DataDir, info: PlanInfo, *, name: str, note: str, version: int | None, by: str
) -> PlanInfo:
    """Name a saved plan and note why it was made (refused once approved)."""
    name, note = name.strip(), note.strip()
    if len(name) > 100 or len(note) > 2000:
        raise ValueError("方案名称不能超过 100 字，备注不能超过 2000 字")
    return data.records().describe_plan(
        info.id,
        name=name,
        note=note,
        expected_version=info.version if version is None else version,
        by=by,
    )


def plan_title(info: PlanInfo) -> str:
    """How a plan is called on the pages: its name, else when it was made."""
    return info.name or f"方案 {info.created_at:%m-%d %H:%M}（{info.id[:6]}）"


@dataclass(frozen=True)
class Compared:
    """Two plans of the same school year side by side."""

    first: PlanInfo
    second: PlanInfo
    outcomes: tuple[Outcome, Outcome]

    @property
    def names(self) -> list[str]:
        """The two plans' titles."""
        return [plan_title(self.first), plan_title(self.second)]

    def kpis(self) -> list[tuple[str, list[tuple[str, bool]], bool]]:
        """(figure, each value as text and whether it is a number, whether the figure is a
        heading)."""
        return [
            (
                label,
                [
                    (figure_text(v, fmt), isinstance(v, (int, float)) and not isinstance(v, bool))
                    for v in values
                ],
                label in SECTIONS,
            )
            for label, values, fmt in plan_kpis(list(self.outcomes))
        ]

    def differences(self) -> list[list[Any]]:
        """Each teacher whose rotation differs, against the first plan (the workbook's 人员差异)."""
        return diff_rows(list(self.outcomes), self.names)


def _outcome(data: DataDir, info: PlanInfo, key: str) -> Outcome:
    """A saved plan's figures, judged on the data it was made from; how many of the year's
    pins as they stand now it breaks (a plan made before a pin was taken may) is counted
    apart, so that its figures still show."""
    records = data.records()
    d = snapshot_district(data, info.snapshot_id)
    result: SolveResult = records.load_result(info.id)
    outcome = plan_outcome(d, result, key=key, name=plan_title(info))
    outcome.description = info.note
    outcome.base_id = f"{info.district}/{info.year}"  # plans of one year compare teacher by teacher
    pinned = with_year_pins(d, records.pins(info.district, info.year))
    checks = pins_rule.check(PlanFacts.of(pinned, result.plan))
    outcome.broken_pins = sum(not c.ok for c in checks)
    return outcome


#: The comparison figures that say something about a saved plan (not the scenario file's).
_SCENARIO_ONLY = frozenset(
    {"情景文件", "基础数据", "改动", "运行", "运行时间（秒，编制及写文件）", "其中求解（秒）"}
)


def plan_kpis(outcomes: list[Outcome]) -> list[tuple[str, list[Any], str | None]]:
    """The comparison workbook's figures for saved plans (方案说明 is the plan's note), and
    how many of the year's pins each breaks."""
    rows = [row for row in kpi_rows(outcomes) if row[0] not in _SCENARIO_ONLY]
    at = next(i for i, row in enumerate(rows) if row[0] == "规则核查未通过（项）") + 1
    broken = [o.broken_pins for o in outcomes]
    rows.insert(at, ("不符合本学年现行锁定（条）", broken, None))
    return rows


def compare(data: DataDir, first: PlanInfo, second: PlanInfo) -> Compared:
    """The figures of two plans (each judged on its own snapshot's data and the year's pins
    as they are now: a plan made before a pin shows where it breaks it) for the comparison
    page: KPIs, rotations per group, teacher-level differences."""
    if (first.district, first.year) != (second.district, second.year):
        raise ValueError("只能比较同一区县、同一学年的方案")
    return Compared(first, second, (_outcome(data, first, "a"), _outcome(data, second, "b")))


def reference_of(data: DataDir, info: PlanInfo) -> PlanInfo | None:
    """The plan this one was re-planned against, when the records still know it."""
    if info.reference_plan_id is None:
        return None
    try:
        return data.records().plan(info.reference_plan_id)
    except NotFound:
        return None


def stored_plan(data: DataDir, plan_id: str) -> Plan:
    """A plan as the records keep it."""
    return data.records().load_plan(plan_id)
