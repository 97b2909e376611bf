"""From one school year to the next: this year's input plus its approved plan → next year's input.

New rotations become ongoing; rotations whose last year was this one stay listed so that next
year's plan sees the return (and refills the gap it leaves), and their teachers' years at the
home school restart at 0; rotations that already came home leave the sheet. Everyone at home
gains a year at their school; ages follow from birth years. Teachers who retire by next year
(retirement year ≤ next plan year, as the district derives it) leave the data, with their
在岗交流 rows: the host no longer has them, and the home school does not see them return.
Pins were this year's decisions and are dropped: HR enters next year's own. Deferrals stay for
HR to review. Known rotation experience (已交流年限, 任教过的学校数) grows: a year spent at a
host adds a year, a rotation starting this year adds a school (a host taught at before would
count twice: HR or the records' history corrects it). A 需求 row carries over only for what the rotated teachers present at that school
next year do not already cover (so a met request is not asked again every year; a retiree no
longer covers anything); HR reviews and adds next year's requests. New hires are HR's to add
(本校连续任教年限 0): advance never invents teachers.
"""

from __future__ import annotations

from collections import Counter

from models.district import District
from models.entities import Demand, OngoingRotation, Teacher
from models.experience import experience_after_year
from models.plan import Plan, RotationKind
from models.policy import PolicySet
from models.problems import InputError, Problem
from models.vocab import OngoingKind

KIND_OF = {
    RotationKind.ROTATION: OngoingKind.ROTATION,
    RotationKind.ENTRUSTED: OngoingKind.ENTRUSTED,
}


def advance(district: District, plan: Plan) -> District:
    """Next school year's district, after `plan` has been carried out."""
    year = district.plan_year
    _check_plan(district, plan)
    leaving = {t.teacher_id for t in retirees(district)}
    ongoing, came_home = _next_ongoing(district, plan)
    ongoing = [o for o in ongoing if o.teacher_id not in leaving]
    started = {r.teacher_id for r in plan.rotations}
    teachers = _next_teachers(district, ongoing, came_home, leaving, started)
    policy = district.policy
    return District(
        name=district.name,
        groups=tuple(g.model_copy(update={"row": None}) for g in district.groups),
        schools=tuple(s.model_copy(update={"row": None}) for s in district.schools),
        teachers=tuple(teachers),
        ongoing=tuple(ongoing),
        demand=tuple(_next_demand(district, ongoing)),
        entrusted=tuple(e.model_copy(update={"row": None}) for e in district.entrusted),
        pins=(),
        policy=PolicySet(
            district=policy.district.model_copy(update={"plan_year": year + 1}),
            group_overrides=policy.group_overrides,
        ),
    )


def retirees(district: District) -> list[Teacher]:
    """Teachers who retire by next school year (retirement year ≤ plan year + 1): they are not
    in next year's data."""
    following = district.plan_year + 1
    return [
        t for t in district.teachers if district.status(t.teacher_id).retirement_year <= following
    ]


def _check_plan(district: District, plan: Plan) -> None:
    """The plan is this year's and names only teachers of the data."""
    year = district.plan_year
    if plan.rotations and plan.plan_year != year:
        message = f"方案的学年（{plan.plan_year}）与数据的编制学年（{year}）不一致"
        raise InputError([Problem(sheet="", message=message)])
    unknown = [r.teacher_id for r in plan.rotations if r.teacher_id not in district.index.teacher]
    if unknown:
        raise InputError(
            [Problem(sheet="", message=f"方案中的教师不在数据中：{'、'.join(unknown[:10])}")]
        )


def _next_ongoing(district: District, plan: Plan) -> tuple[list[OngoingRotation], set[str]]:
    """Rotations still running or ending this year (new ones added), and who came home this
    year (their rows are history now)."""
    year = district.plan_year
    ongoing: list[OngoingRotation] = []
    came_home: set[str] = set()
    for o in district.ongoing:
        if o.end_year < year:  # came home at the start of this year: history now
            came_home.add(o.teacher_id)
        else:
            ongoing.append(o.model_copy(update={"row": None}))
    for r in plan.rotations:
        ongoing.append(
            OngoingRotation(
                teacher_id=r.teacher_id,
                from_school_id=r.from_school_id,
                to_school_id=r.to_school_id,
                start_year=r.start_year,
                end_year=r.end_year,
                kind=KIND_OF[r.kind],
            )
        )
    return ongoing, came_home


def _next_teachers(
    district: District,
    ongoing: list[OngoingRotation],
    came_home: set[str],
    leaving: set[str],
    started: set[str],
) -> list[Teacher]:
    """Everyone but the retirees, a year on: years at school grow at home, freeze while away,
    restart at 0 for those coming home next year; a year away adds a rotation year and a
    rotation started this year a school (models.experience)."""
    year = district.plan_year
    away = {o.teacher_id for o in ongoing}
    away_this_year = {o.teacher_id for o in ongoing if o.start_year <= year}
    returning_next = {o.teacher_id for o in ongoing if o.end_year == year}
    teachers: list[Teacher] = []
    for t in district.teachers:
        if t.teacher_id in leaving:
            continue
        if t.teacher_id in returning_next:
            years = 0  # comes home as next year begins: the count restarts
        elif t.teacher_id in came_home:
            years = 1  # came home this year and has now spent it at home
        elif t.teacher_id in away:
            years = t.years_at_school  # away at the host: no years at home accrue
        else:
            years = t.years_at_school + 1
        experience = experience_after_year(
            t, t.teacher_id in away_this_year, t.teacher_id in started
        )
        teachers.append(t.model_copy(update={"years_at_school": years, "row": None, **experience}))
    return teachers


def _next_demand(district: District, ongoing: list[OngoingRotation]) -> list[Demand]:
    """需求 rows less the rotated teachers present at the school next year."""
    following = district.plan_year + 1
    subject_of = {t.teacher_id: t.subject for t in district.teachers}
    present = Counter(
        (o.to_school_id, subject_of[o.teacher_id])
        for o in ongoing
        if o.start_year <= following <= o.end_year
    )
    demand = []
    for row in district.demand:
        still = row.count - present[row.school_id, row.subject]
        if still > 0:
            demand.append(row.model_copy(update={"count": still, "row": None}))
    return demand
