"""The district: every table of the bureau's workbook, checked once and indexed.

Constructing a `District` either yields an object whose references all resolve and whose
derived facts (each teacher's group, teaching stage, retirement year and eligibility with its
reason) are computed once, or raises `InputError` listing every problem found.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.entities import (
    Demand,
    EntrustedPair,
    Group,
    ItinerantDemand,
    OngoingRotation,
    Pin,
    Row,
    School,
    Teacher,
)
from models.policy import POLICY_SHEET, PolicySet
from models.problems import InputError, Problem
from models.vocab import STAGES_HOSTED, Gender, PinKind, Stage, TeachingStage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TeacherStatus:
    """What the district derives about one teacher for the plan year (plain: 100k are built)."""

    teacher_id: str
    group_id: str
    teaching_stage: TeachingStage
    retirement_year: int
    eligible: bool
    reasons: tuple[str, ...] = ()
    ongoing: OngoingRotation | None = None
    returning: OngoingRotation | None = None

    @property
    def reason(self) -> str:
        """All reasons a teacher may not rotate, as one Chinese sentence."""
        return "；".join(self.reasons)


class District(BaseModel):
    """The bureau's whole input for one plan year."""

    model_config = ConfigDict(frozen=True)

    name: str = "未命名区县"
    groups: tuple[Group, ...]
    schools: tuple[School, ...]
    teachers: tuple[Teacher, ...]
    ongoing: tuple[OngoingRotation, ...] = ()
    demand: tuple[Demand, ...] = ()
    entrusted: tuple[EntrustedPair, ...] = ()
    pins: tuple[Pin, ...] = ()
    itinerant_demand: tuple[ItinerantDemand, ...] = ()
    policy: PolicySet = Field(default_factory=PolicySet)

    @model_validator(mode="after")
    def _check_and_derive(self) -> District:
        problems = find_problems(self)
        if any(p.severity == "error" for p in problems):
            raise InputError(problems)
        self.__dict__["index"] = DistrictIndex(self, problems)
        return self

    @cached_property
    def index(self) -> DistrictIndex:
        """Look-up tables and derived facts, built once (a plain object: fast in hot loops)."""
        return DistrictIndex(self, find_problems(self))

    def replace(self, **changes: Any) -> District:
        """A new, re-checked district with some tables or the policy replaced."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return District(**data)

    # -- look-ups ---------------------------------------------------------------------------
    @property
    def plan_year(self) -> int:
        """The school year being planned."""
        return self.policy.plan_year

    @property
    def warnings(self) -> list[Problem]:
        """Things a clerk should look at that do not stop planning."""
        return list(self.index.warnings)

    def add_warnings(self, problems: list[Problem]) -> None:
        """Warnings found on the way in (columns not read), shown before the district's own."""
        self.index.warnings[:0] = problems

    def group(self, group_id: str) -> Group:
        """The group with this id."""
        return self.index.group[group_id]

    def school(self, school_id: str) -> School:
        """The school with this id."""
        return self.index.school[school_id]

    def teacher(self, teacher_id: str) -> Teacher:
        """The teacher with this id."""
        return self.index.teacher[teacher_id]

    def status(self, teacher_id: str) -> TeacherStatus:
        """Derived facts (eligibility and its reason) for one teacher."""
        return self.index.status[teacher_id]

    def schools_of(self, group_id: str) -> list[School]:
        """Schools of one group, in input order."""
        return list(self.index.by_group[group_id])

    def teachers_of_school(self, school_id: str) -> list[Teacher]:
        """Teachers whose home school this is, in input order."""
        return list(self.index.by_school[school_id])

    def eligible_teachers(self) -> list[Teacher]:
        """Teachers who may be chosen this year (before the host's stage is known)."""
        return list(self.index.eligible)

    def hosts_stage(self, school_id: str, stage: TeachingStage) -> bool:
        """Whether a school can take a teacher of this teaching stage."""
        return stage in STAGES_HOSTED[self.index.school[school_id].stage]

    def memo(self, key: str, compute: Callable[[District], T]) -> T:
        """A derived value computed once per district (ranks, fair shares…)."""
        cache = self.index.memo
        if key not in cache:
            cache[key] = compute(self)
        return cast(T, cache[key])


class DistrictIndex:
    """Plain look-up tables of a checked district: dictionary access without pydantic overhead."""

    def __init__(self, d: District, warnings: list[Problem]) -> None:
        self.warnings = warnings
        self.group = {g.group_id: g for g in d.groups}
        self.school = {s.school_id: s for s in d.schools}
        self.teacher = {t.teacher_id: t for t in d.teachers}
        self.status = _derive_status(d)
        self.by_school: dict[str, list[Teacher]] = {s.school_id: [] for s in d.schools}
        for t in d.teachers:
            self.by_school[t.school_id].append(t)
        self.by_group: dict[str, list[School]] = {g.group_id: [] for g in d.groups}
        for s in d.schools:
            self.by_group[s.group_id].append(s)
        self.eligible = [t for t in d.teachers if self.status[t.teacher_id].eligible]
        self.memo: dict[str, object] = {}


def _locate(item: Row, column: str | None, message: str, severity: str = "error") -> Problem:
    return Problem(
        sheet=item.SHEET,
        row=item.row,
        column=column,
        message=message,
        severity=severity,
    )


def _duplicates(items: Sequence[Row], key: str, header: str) -> Iterable[Problem]:
    first: dict[Any, Row] = {}
    for item in items:
        value = getattr(item, key)
        if value in first:
            where = f"第{first[value].row}行" if first[value].row is not None else "前面"
            yield _locate(item, header, f"编号「{value}」重复（与{where}相同）")
        else:
            first[value] = item


def find_problems(d: District) -> list[Problem]:
    """Every broken invariant of the district, and the warnings worth showing."""
    problems: list[Problem] = []
    add = problems.append
    problems += _duplicates(d.groups, "group_id", "集团编号")
    problems += _duplicates(d.schools, "school_id", "学校编号")
    problems += _duplicates(d.teachers, "teacher_id", "教师编号")
    group_ids = {g.group_id for g in d.groups}
    schools = {s.school_id: s for s in d.schools}
    teachers = {t.teacher_id: t for t in d.teachers}

    problems += _table_problems(d, group_ids, schools, teachers)
    problems += _teacher_problems(d, group_ids, schools, teachers)
    problems += _ongoing_problems(d, group_ids, schools, teachers)
    problems += _demand_problems(d, group_ids, schools, teachers)
    problems += _entrusted_problems(d, group_ids, schools, teachers)
    problems += _pin_problems(d, teachers, schools)
    problems += _itinerant_problems(d, schools)

    year = d.policy.district.plan_year
    if year is None:
        add(
            Problem(
                sheet=POLICY_SHEET,
                column="参数",
                message="未指定编制学年：请在规则表填写 plan_year，或在命令行使用 --year",
            )
        )
    for gid in d.policy.group_overrides:
        if gid not in group_ids:
            add(
                Problem(
                    sheet=POLICY_SHEET, column="集团编号", message=f"集团「{gid}」不在「集团」表中"
                )
            )
    return problems


def _table_problems(
    d: District, group_ids: set[str], schools: dict[str, School], teachers: dict[str, Teacher]
) -> list[Problem]:
    """Empty tables, schools and their groups, lead schools."""
    problems: list[Problem] = []
    add = problems.append
    if not d.groups:
        add(Problem(sheet=Group.SHEET, message="没有任何集团"))
    if not d.schools:
        add(Problem(sheet=School.SHEET, message="没有任何学校"))
    if not d.teachers:
        add(Problem(sheet=Teacher.SHEET, message="没有任何教师"))

    named: dict[tuple[str, str], School] = {}
    for s in d.schools:
        if s.group_id not in group_ids:
            add(_locate(s, "集团编号", f"集团「{s.group_id}」不在「集团」表中"))
        first = named.setdefault((s.group_id, s.name), s)
        if first is not s:
            where = f"第{first.row}行（{first.school_id}）" if first.row else first.school_id
            message = f"学校名称「{s.name}」与{where}在同一集团内重复：两校按编号区分，审批表中请核对学校编号"
            add(_locate(s, "学校名称", message, "warning"))
        if (s.lon is None) != (s.lat is None):
            add(_locate(s, "经度" if s.lon is None else "纬度", "经度和纬度应同时填写或同时留空"))
    members: dict[str, int] = Counter(s.group_id for s in d.schools)
    for g in d.groups:
        lead = schools.get(g.lead_school_id)
        if lead is None:
            add(_locate(g, "牵头学校编号", f"牵头学校「{g.lead_school_id}」不在「学校」表中"))
        elif lead.group_id != g.group_id:
            add(
                _locate(
                    g,
                    "牵头学校编号",
                    f"牵头学校「{lead.name}」不属于本集团（属于「{lead.group_id}」）",
                )
            )
        if members.get(g.group_id, 0) < 2:
            add(_locate(g, "集团编号", "集团内学校少于2所，无法在集团内交流", "warning"))
    return problems


def _teacher_problems(
    d: District, group_ids: set[str], schools: dict[str, School], teachers: dict[str, Teacher]
) -> list[Problem]:
    """Each teacher row against the schools and the plan year."""
    problems: list[Problem] = []
    add = problems.append
    for t in d.teachers:
        school = schools.get(t.school_id)
        if school is None:
            add(_locate(t, "学校编号", f"学校「{t.school_id}」不在「学校」表中"))
            continue
        hosted = STAGES_HOSTED[school.stage]
        if t.teaching_stage is None and school.stage == Stage.NINE_YEAR:
            add(
                _locate(
                    t, "任教学段", f"「{school.name}」是九年一贯学校，须填写任教学段（小学或初中）"
                )
            )
        elif t.teaching_stage is not None and t.teaching_stage not in hosted:
            add(
                _locate(
                    t, "任教学段", f"任教学段「{t.teaching_stage}」与学校学段「{school.stage}」不符"
                )
            )
        for pref in t.preferred_schools:
            if pref not in schools:
                add(_locate(t, "意向学校", f"意向学校「{pref}」不在「学校」表中"))
        if t.retirement_year is not None and t.retirement_year < t.birth_year + 40:
            add(
                _locate(
                    t, "预计退休学年", f"预计退休学年{t.retirement_year}早于出生年份加40年，请核对"
                )
            )
        if t.rotation_years_done and t.schools_taught == 1:
            message = f"已交流{t.rotation_years_done}年，任教过的学校数却只有1所（含本校），请核对"
            add(_locate(t, "任教过的学校数", message, "warning"))
        year = d.policy.district.plan_year
        if year is not None and t.years_at_school > year - t.birth_year - 18:
            add(
                _locate(
                    t, "本校连续任教年限", "任教年限超过（编制学年−出生年份−18），请核对", "warning"
                )
            )
    return problems


def _ongoing_problems(
    d: District, group_ids: set[str], schools: dict[str, School], teachers: dict[str, Teacher]
) -> list[Problem]:
    """Each 在岗交流 row: its teacher, schools and years."""
    problems: list[Problem] = []
    add = problems.append
    seen_ongoing: dict[str, list[OngoingRotation]] = defaultdict(list)
    for o in d.ongoing:
        teacher = teachers.get(o.teacher_id)
        if teacher is None:
            add(_locate(o, "教师编号", f"教师「{o.teacher_id}」不在「教师」表中"))
        elif teacher.school_id != o.from_school_id:
            add(
                _locate(
                    o,
                    "流出学校编号",
                    f"流出学校应为该教师人事关系所在学校「{teacher.school_id}」，而不是「{o.from_school_id}」",
                )
            )
        for header, sid in (("流出学校编号", o.from_school_id), ("流入学校编号", o.to_school_id)):
            if sid not in schools:
                add(_locate(o, header, f"学校「{sid}」不在「学校」表中"))
        if o.from_school_id == o.to_school_id:
            add(_locate(o, "流入学校编号", "流入学校与流出学校相同"))
        if o.end_year < o.start_year:
            add(_locate(o, "结束学年", f"结束学年{o.end_year}早于开始学年{o.start_year}"))
        for other in seen_ongoing[o.teacher_id]:
            if o.start_year <= other.end_year and other.start_year <= o.end_year:
                add(_locate(o, "教师编号", f"该教师的交流与第{other.row}行的交流时间重叠"))
        seen_ongoing[o.teacher_id].append(o)
        year = d.policy.district.plan_year
        if year is not None and o.start_year > year:
            add(_locate(o, "开始学年", f"开始学年{o.start_year}晚于编制学年{year}"))
        if year is not None and o.start_year <= o.end_year < year - 1:
            message = (
                f"该交流已于{o.end_year}学年结束，不是仍在进行或上一学年（{year - 1}）刚结束的交流："
                "请从「在岗交流」表中删除这一行"
            )
            add(_locate(o, "结束学年", message))
    return problems


def _demand_problems(
    d: District, group_ids: set[str], schools: dict[str, School], teachers: dict[str, Teacher]
) -> list[Problem]:
    """Each 需求 row: a known school, one row per school and subject."""
    problems: list[Problem] = []
    add = problems.append
    demand_seen: dict[tuple[str, str], Demand] = {}
    for dm in d.demand:
        if dm.school_id not in schools:
            add(_locate(dm, "学校编号", f"学校「{dm.school_id}」不在「学校」表中"))
        key = (dm.school_id, dm.subject)
        if key in demand_seen:
            add(
                _locate(
                    dm,
                    "学科",
                    f"同一学校同一学科的需求重复（与第{demand_seen[key].row}行相同），请合并为一行",
                )
            )
        else:
            demand_seen[key] = dm
    return problems


def _itinerant_problems(d: District, schools: dict[str, School]) -> list[Problem]:
    """Each 走教需求 row: a known school, one row per school and subject."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], ItinerantDemand] = {}
    for row in d.itinerant_demand:
        if row.school_id not in schools:
            problems.append(_locate(row, "学校编号", f"学校「{row.school_id}」不在「学校」表中"))
        key = (row.school_id, row.subject)
        if key in seen:
            message = f"同一学校同一学科的走教需求重复（与第{seen[key].row}行相同），请合并为一行"
            problems.append(_locate(row, "学科", message))
        else:
            seen[key] = row
    return problems


def _entrusted_problems(
    d: District, group_ids: set[str], schools: dict[str, School], teachers: dict[str, Teacher]
) -> list[Problem]:
    """Each 托管 row: known schools, no duplicates, consistent minimums."""
    problems: list[Problem] = []
    add = problems.append
    pair_seen: set[tuple[str, str]] = set()
    for e in d.entrusted:
        for header, sid in (
            ("支援单位编号", e.supporting_school_id),
            ("受援学校编号", e.aided_school_id),
        ):
            if sid not in schools:
                add(_locate(e, header, f"学校「{sid}」不在「学校」表中"))
        if e.supporting_school_id == e.aided_school_id:
            add(_locate(e, "受援学校编号", "受援学校与支援单位相同"))
        if (e.supporting_school_id, e.aided_school_id) in pair_seen:
            add(_locate(e, "受援学校编号", "托管关系重复"))
        pair_seen.add((e.supporting_school_id, e.aided_school_id))
        if e.min_managers > e.min_residents:
            add(_locate(e, "管理人员下限", "管理人员下限大于常驻人数下限"))
    return problems


def _pin_problems(
    d: District, teachers: dict[str, Teacher], schools: dict[str, School]
) -> list[Problem]:
    problems: list[Problem] = []
    by_teacher: dict[str, list[Pin]] = defaultdict(list)
    for p in d.pins:
        teacher = teachers.get(p.teacher_id)
        if teacher is None:
            problems.append(_locate(p, "教师编号", f"教师「{p.teacher_id}」不在「教师」表中"))
        if p.kind == PinKind.MUST_STAY:
            if p.school_id is not None:
                problems.append(_locate(p, "学校编号", "「不得交流」不需要填写学校编号", "warning"))
        elif p.school_id is None:
            problems.append(_locate(p, "学校编号", f"「{p.kind}」须填写学校编号"))
        elif p.school_id not in schools:
            problems.append(_locate(p, "学校编号", f"学校「{p.school_id}」不在「学校」表中"))
        elif teacher is not None and p.school_id == teacher.school_id:
            problems.append(_locate(p, "学校编号", "锁定的学校就是该教师的本校"))
        if teacher is not None and teacher.deferral and p.kind == PinKind.MUST_GO_TO:
            problems.append(
                _locate(p, "类型", f"该教师暂缓交流（{teacher.deferral}），不能同时锁定为必须交流")
            )
        for other in by_teacher[p.teacher_id]:
            clash = (
                (
                    p.kind == PinKind.MUST_GO_TO
                    and other.kind == PinKind.MUST_GO_TO
                    and p.school_id != other.school_id
                )
                or {p.kind, other.kind} == {PinKind.MUST_GO_TO, PinKind.MUST_STAY}
                or (
                    {p.kind, other.kind} == {PinKind.MUST_GO_TO, PinKind.MUST_NOT_GO_TO}
                    and p.school_id == other.school_id
                )
            )
            if clash:
                problems.append(_locate(p, "类型", f"与第{other.row}行对同一教师的锁定相互矛盾"))
        by_teacher[p.teacher_id].append(p)
    return problems


def retirement_year(teacher: Teacher, male_age: int, female_age: int) -> int:
    """The school year a teacher retires: the given one, else birth year plus retirement age."""
    if teacher.retirement_year is not None:
        return teacher.retirement_year
    age = male_age if teacher.gender == Gender.MALE else female_age
    return teacher.birth_year + age


def _derive_status(d: District) -> dict[str, TeacherStatus]:
    year = d.plan_year
    ongoing: dict[str, OngoingRotation] = {}
    returning: dict[str, OngoingRotation] = {}
    for o in d.ongoing:
        if o.start_year <= year <= o.end_year:
            ongoing[o.teacher_id] = o
        elif o.end_year < year:
            returning[o.teacher_id] = o
    policies = {g.group_id: d.policy.for_group(g.group_id) for g in d.groups}
    # Per school, once: its group, that group's policy and the default teaching stage.
    per_school = {
        s.school_id: (s.group_id, policies[s.group_id], next(iter(STAGES_HOSTED[s.stage])))
        for s in d.schools
    }
    result: dict[str, TeacherStatus] = {}
    male = Gender.MALE
    for t in d.teachers:
        tid = t.teacher_id
        gid, p, default_stage = per_school[t.school_id]
        stage = t.teaching_stage or default_stage
        retire = t.retirement_year
        if retire is None:  # as retirement_year() derives it
            age = p.retirement_age_male if t.gender == male else p.retirement_age_female
            retire = t.birth_year + age
        reasons: list[str] = []
        if t.years_at_school < p.min_years_at_school:
            reasons.append(f"本校任教{t.years_at_school}年，未满{p.min_years_at_school}年")
        if retire - year <= p.retirement_buffer_years:
            reasons.append(f"距退休仅{retire - year}年（须多于{p.retirement_buffer_years}年）")
        if t.deferral:
            reasons.append(f"暂缓：{t.deferral}")
        current = ongoing.get(tid) if ongoing else None
        if current is not None:
            reasons.append(f"在岗交流中（至{current.end_year}学年）")
        back = returning.get(tid) if returning else None
        if back is not None:
            reasons.append("本学年交流期满返回原校")
        result[tid] = TeacherStatus(
            teacher_id=tid,
            group_id=gid,
            teaching_stage=stage,
            retirement_year=retire,
            eligible=not reasons,
            reasons=tuple(reasons),
            ongoing=current,
            returning=back,
        )
    return result
