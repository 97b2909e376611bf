"""From one school year to the next: this year's input plus its approved plan → next year's input.

New rotations become ongoing; rotations whose last year was this one stay listed so that next
year's plan sees the return (and refills the gap it leaves), and their teachers' years at the
home school restart at 0; rotations that already came home leave the sheet. Everyone at home
gains a year at their school; ages follow from birth years. Pins were this year's decisions and
are dropped: HR enters next year's own. Deferrals stay for HR to review. A 需求 row carries over
only for what the rotated teachers present at that school next year do not already cover (so a
met request is not asked again every year); HR reviews and adds next year's requests.
"""

from __future__ import annotations

from models.district import District
from models.entities import OngoingRotation, Teacher
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
    if plan.rotations and plan.plan_year != year:
        raise InputError(
            [
                Problem(
                    sheet="",
                    message=f"方案的学年（{plan.plan_year}）与数据的编制学年（{year}）不一致",
                )
            ]
        )
    unknown = [r.teacher_id for r in plan.rotations if r.teacher_id not in district.index.teacher]
    if unknown:
        raise InputError(
            [Problem(sheet="", message=f"方案中的教师不在数据中：{'、'.join(unknown[:10])}")]
        )

    ongoing: list[OngoingRotation] = []
    came_home: set[str] = set()
    away: set[str] = set()
    for o in district.ongoing:
        if o.end_year < year:  # came home at the start of this year: history now
            came_home.add(o.teacher_id)
        else:
            ongoing.append(o.model_copy(update={"row": None}))
            away.add(o.teacher_id)
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
        away.add(r.teacher_id)
    returning_next = {o.teacher_id for o in ongoing if o.end_year == year}

    teachers: list[Teacher] = []
    for t in district.teachers:
        if t.teacher_id in returning_next:
            years = 0  # comes home as next year begins: the count restarts
        elif t.teacher_id in came_home:
            years = 1  # came home this year and has now spent it at home
        elif t.teacher_id in away:
            years = t.years_at_school  # away at the host: no years at home accrue
        else:
            years = t.years_at_school + 1
        teachers.append(t.model_copy(update={"years_at_school": years, "row": None}))

    demand = []
    present: dict[tuple[str, str], int] = {}
    subject_of = {t.teacher_id: t.subject for t in district.teachers}
    for o in ongoing:
        if o.start_year <= year + 1 <= o.end_year:
            key = (o.to_school_id, subject_of[o.teacher_id])
            present[key] = present.get(key, 0) + 1
    for row in district.demand:
        still = row.count - present.get((row.school_id, row.subject), 0)
        if still > 0:
            demand.append(row.model_copy(update={"count": still, "row": None}))

    policy = district.policy
    next_policy = PolicySet(
        district=policy.district.model_copy(update={"plan_year": year + 1}),
        group_overrides=policy.group_overrides,
    )
    return District(
        name=district.name,
        groups=tuple(g.model_copy(update={"row": None}) for g in district.groups),
        schools=tuple(s.model_copy(update={"row": None}) for s in district.schools),
        teachers=tuple(teachers),
        ongoing=tuple(ongoing),
        demand=tuple(demand),
        entrusted=tuple(e.model_copy(update={"row": None}) for e in district.entrusted),
        pins=(),
        policy=next_policy,
    )
