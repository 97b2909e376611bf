"""走教 (SPEC §11), solver-free: where a teacher is that year, who may teach where, the trips and
the subsidy, and a checker for a set of 走教 assignments.

Arithmetic is exact (Decimal): trips per week = ceil(periods / itinerant_periods_per_trip);
subsidy per term = 2 × km × trips per week × itinerant_weeks_per_term × itinerant_subsidy_per_km,
rounded to the fen; km is the great-circle distance between the two schools, to 0.1 km.

The rules a 走教 assignment must meet are in `models.rules.itinerant` (ids `itinerant_*`); the
second-stage CP-SAT model that makes the assignments is `solvers.itinerant`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from models.district import District
from models.entities import ItinerantDemand, School, Teacher
from models.plan import ItinerantAssignment, Plan
from models.policy import Policy
from models.vocab import ItinerantScope

EARTH_RADIUS_KM = 6371.0

__all__ = ["ItinerantAssignment"]


def km_between(a: School, b: School) -> Decimal | None:
    """Great-circle distance in km to 0.1 km; None when either school has no coordinates."""
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return None
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
    return Decimal(repr(km)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def school_km(district: District, a: str, b: str) -> Decimal | None:
    """km_between two schools of the district by id, each pair computed once per district:
    the arcs, the assignments and three checkers all ask for the same few thousand pairs."""
    cache = district.memo("itinerant_km", _no_km)
    if (a, b) not in cache:
        cache[a, b] = km_between(district.school(a), district.school(b))
    return cache[a, b]


def _no_km(district: District) -> dict[tuple[str, str], Decimal | None]:
    return {}


def trips_per_week(periods: int, periods_per_trip: int) -> int:
    """Round trips a week: ceil(periods / periods per trip)."""
    return -(-periods // periods_per_trip)


def subsidy_per_term(
    district: District, teacher: Teacher, km: Decimal | None, periods: int
) -> Decimal:
    """2 × km × trips per week × weeks per term × 元 per km, to the fen (0 without km)."""
    if km is None or periods == 0:
        return Decimal(0)
    policy = district.policy.for_group(district.status(teacher.teacher_id).group_id)
    trips = trips_per_week(periods, policy.itinerant_periods_per_trip)
    amount = 2 * km * trips * policy.itinerant_weeks_per_term * policy.itinerant_subsidy_per_km
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def present_school(district: District, plan: Plan, teacher_id: str) -> str:
    """Where a teacher teaches in the plan year: the host of a new or running rotation, else
    the home school (also for one coming home this year)."""
    for rotation in plan.rotations:
        if rotation.teacher_id == teacher_id:
            return rotation.to_school_id
    return _standing_school(district, teacher_id)


def present_schools(district: District, plan: Plan) -> dict[str, str]:
    """present_school of every teacher at once (one pass over the plan)."""
    hosts = {r.teacher_id: r.to_school_id for r in plan.rotations}
    status = district.index.status
    present = {}
    for t in district.teachers:
        here = hosts.get(t.teacher_id)
        if here is None:
            ongoing = status[t.teacher_id].ongoing
            here = t.school_id if ongoing is None else ongoing.to_school_id
        present[t.teacher_id] = here
    return present


def _standing_school(district: District, teacher_id: str) -> str:
    status = district.status(teacher_id)
    if status.ongoing is not None:
        return status.ongoing.to_school_id
    return district.teacher(teacher_id).school_id


def policy_of(district: District, teacher_id: str) -> Policy:
    """The policy of a teacher's (home) group: it sets their 走教 limits and subsidy."""
    return district.policy.for_group(district.status(teacher_id).group_id)


def spare_periods(district: District, teacher: Teacher) -> int:
    """The teacher's own 可走教课时, else the policy's itinerant_max_periods."""
    if teacher.spare_periods is not None:
        return teacher.spare_periods
    return policy_of(district, teacher.teacher_id).itinerant_max_periods


def qualification_refusal(
    district: District, teacher: Teacher, present: str, row: ItinerantDemand
) -> str | None:
    """Why `teacher` may not teach `row` whatever the distance (Chinese), or None: the subject
    and a stage the school teaches; not deferred; some spare periods; not the school itself."""
    status = district.status(teacher.teacher_id)
    there = district.school(row.school_id)
    if teacher.subject != row.subject:
        return f"任教学科为{teacher.subject}，不是{row.subject}"
    if not district.hosts_stage(there.school_id, status.teaching_stage):
        return f"任教学段（{status.teaching_stage}）与「{there.name}」不符"
    if teacher.deferral is not None:
        return f"暂缓交流（{teacher.deferral}）"
    if spare_periods(district, teacher) <= 0:
        return "没有可走教课时"
    if present == there.school_id:
        return "就在该校任教"
    return None


def reach_refusal(
    district: District, teacher: Teacher, present: str, row: ItinerantDemand
) -> str | None:
    """Why the school of `row` is out of reach from `present` (Chinese), or None: within
    itinerant_scope and itinerant_max_km; without coordinates, the same group only."""
    policy = policy_of(district, teacher.teacher_id)
    here, there = district.school(present), district.school(row.school_id)
    same_group = here.group_id == there.group_id
    if policy.itinerant_scope == ItinerantScope.GROUP and not same_group:
        return "不在同一集团（走教范围为集团内）"
    km = school_km(district, here.school_id, there.school_id)
    if km is None:
        return None if same_group else "学校缺少坐标，只能在本集团内走教"
    if km > policy.itinerant_max_km:
        return f"距离{km}公里，超过走教距离上限{policy.itinerant_max_km}公里"
    return None


def refusal(district: District, teacher: Teacher, present: str, row: ItinerantDemand) -> str | None:
    """Why `teacher`, teaching at `present`, may not cover `row` (Chinese), or None if they may."""
    return qualification_refusal(district, teacher, present, row) or reach_refusal(
        district, teacher, present, row
    )


def assignment(
    district: District,
    plan: Plan,
    teacher_id: str,
    row: ItinerantDemand,
    periods: int,
    present: str | None = None,
) -> ItinerantAssignment:
    """The assignment of `periods` periods of `row` to a teacher, with its km and subsidy."""
    teacher = district.teacher(teacher_id)
    present = present or present_school(district, plan, teacher_id)
    km = school_km(district, present, row.school_id)
    return ItinerantAssignment(
        teacher_id=teacher_id,
        from_school_id=present,
        to_school_id=row.school_id,
        subject=row.subject,
        periods=periods,
        km=km,
        subsidy=subsidy_per_term(district, teacher, km, periods),
    )


def trips_of(district: District, a: ItinerantAssignment) -> int:
    """Round trips a week of one assignment (the teacher's group's periods per trip)."""
    if a.teacher_id not in district.index.teacher:
        return trips_per_week(a.periods, 2)
    return trips_per_week(a.periods, policy_of(district, a.teacher_id).itinerant_periods_per_trip)


def weekly_km(district: District, a: ItinerantAssignment) -> Decimal:
    """Km travelled a week for one assignment: 2 × one way × trips (0 without coordinates)."""
    if a.km is None:
        return Decimal(0)
    return 2 * a.km * trips_of(district, a)


def loads(plan: Plan) -> Counter[str]:
    """Weekly 走教 periods of each teacher."""
    total: Counter[str] = Counter()
    for a in plan.itinerant:
        total[a.teacher_id] += a.periods
    return total


def schools_served(plan: Plan) -> defaultdict[str, set[str]]:
    """The schools each teacher goes to."""
    served: defaultdict[str, set[str]] = defaultdict(set)
    for a in plan.itinerant:
        served[a.teacher_id].add(a.to_school_id)
    return served


def uncovered(
    district: District, assignments: list[ItinerantAssignment] | tuple[ItinerantAssignment, ...]
) -> dict[tuple[str, str], int]:
    """Periods of each 走教需求 row (school, subject) no assignment covers."""
    given: Counter[tuple[str, str]] = Counter()
    for a in assignments:
        given[a.to_school_id, a.subject] += a.periods
    return {
        (r.school_id, r.subject): max(0, r.periods - given[r.school_id, r.subject])
        for r in district.itinerant_demand
    }


class ItinerantGap(BaseModel):
    """One 走教需求 row after planning: needed, covered, uncovered and, when short, why —
    `full` is False when a qualified teacher within reach still had room (the plan is then
    not as full as it can be: the coverage rule fails)."""

    model_config = ConfigDict(frozen=True)

    school_id: str
    subject: str
    needed: int
    covered: int
    uncovered: int
    reason: str = ""
    full: bool = True


def coverage(
    district: District, plan: Plan, present: dict[str, str] | None = None
) -> list[ItinerantGap]:
    """Each 走教需求 row, in input order: how much the plan covers, and why the rest is not.

    A row may stay short for two reasons only: no teacher qualified for it is within reach, or
    every one who is has no room left (spare periods used, or already at itinerant_max_schools
    elsewhere). Stated with the numbers behind it. `present`: present_schools, when the caller
    has it already."""
    if not district.itinerant_demand:
        return []
    present = present if present is not None else present_schools(district, plan)
    load = loads(plan)
    served = schools_served(plan)
    given: Counter[tuple[str, str]] = Counter()
    for a in plan.itinerant:
        given[a.to_school_id, a.subject] += a.periods
    by_subject: defaultdict[str, list[Teacher]] = defaultdict(list)
    for t in district.teachers:
        by_subject[t.subject].append(t)
    gaps = []
    for row in district.itinerant_demand:
        covered = min(row.periods, given[row.school_id, row.subject])
        short = row.periods - covered
        reason, full = "", True
        if short:
            reason, full = _why_short(district, row, by_subject[row.subject], present, load, served)
        gaps.append(
            ItinerantGap(
                school_id=row.school_id,
                subject=row.subject,
                needed=row.periods,
                covered=covered,
                uncovered=short,
                reason=reason,
                full=full,
            )
        )
    return gaps


def _why_short(
    district: District,
    row: ItinerantDemand,
    colleagues: list[Teacher],
    present: dict[str, str],
    load: Counter[str],
    served: defaultdict[str, set[str]],
) -> tuple[str, bool]:
    """Why a row stays short (Chinese), and whether that is a reason the rules accept."""
    subject = row.subject
    if not colleagues:
        return f"区内没有{subject}教师", True
    refused: list[str] = []
    qualified: list[Teacher] = []
    far: list[Decimal] = []
    # refusal reads of a teacher only these: asked once per such kind (the short rows of a
    # large district would otherwise ask it of every colleague, row by row)
    asked: dict[tuple[object, ...], str | None] = {}
    status = district.index.status
    for t in colleagues:
        here = present[t.teacher_id]
        stage, group = status[t.teacher_id].teaching_stage, status[t.teacher_id].group_id
        key = (stage, t.deferral, t.spare_periods, here, group)
        if key not in asked:
            asked[key] = refusal(district, t, here, row)
        why = asked[key]
        if why is None:
            qualified.append(t)
        else:
            refused.append(why)
            if why.startswith("距离"):  # qualified and in scope, only too far
                far.append(school_km(district, here, row.school_id) or Decimal(0))
    if not qualified and far:
        policy = district.policy.for_group(district.school(row.school_id).group_id)
        scope = "本集团" if policy.itinerant_scope == ItinerantScope.GROUP else "区内"
        return (
            f"走教范围内没有符合条件的{subject}教师：{scope}{len(far)}名可走教的{subject}教师"
            f"最近的也在{min(far)}公里外（走教距离上限{policy.itinerant_max_km}公里）",
            True,
        )
    if not qualified:
        common = max(dict.fromkeys(refused), key=refused.count)
        return (
            f"走教范围内没有符合条件的{subject}教师（区内{len(refused)}名{subject}教师均不符合，"
            f"最常见原因：{common}，{refused.count(common)}名）",
            True,
        )
    with_room = [t for t in qualified if _has_room(district, t, row, load, served)]
    if with_room:
        names = "、".join(f"{t.name}（{t.teacher_id}）" for t in with_room[:3])
        return (
            f"尚有{len(with_room)}名可走教的{subject}教师有余力（{names}），未安排",
            False,
        )
    full = [t for t in qualified if load[t.teacher_id] >= spare_periods(district, t)]
    spare = sum(spare_periods(district, t) for t in full)
    parts = [f"{len(full)}名可走教课时已排满（共{spare}课时）"] if full else []
    if len(full) < len(qualified):
        parts.append(f"{len(qualified) - len(full)}名已达走教学校数上限")
    return (
        f"走教范围内{len(qualified)}名符合条件的{subject}教师均已用满：{'，'.join(parts)}",
        True,
    )


def _has_room(
    district: District,
    teacher: Teacher,
    row: ItinerantDemand,
    load: Counter[str],
    served: defaultdict[str, set[str]],
) -> bool:
    """Whether a qualified teacher could still take a period of `row`."""
    if load[teacher.teacher_id] >= spare_periods(district, teacher):
        return False
    schools = served[teacher.teacher_id]
    limit = policy_of(district, teacher.teacher_id).itinerant_max_schools
    return row.school_id in schools or len(schools) < limit


def lower_bound_uncovered(district: District, plan: Plan) -> int:
    """A hand-checkable floor on the uncovered periods of any 走教 plan given the rotations:
    a row nobody qualified can reach stays short in full; each subject's rows together can get
    no more than the spare periods of the teachers who can reach at least one of them."""
    present = present_schools(district, plan)
    floor = 0
    by_subject: defaultdict[str, list[ItinerantDemand]] = defaultdict(list)
    for row in district.itinerant_demand:
        by_subject[row.subject].append(row)
    for subject, rows in by_subject.items():
        colleagues = [t for t in district.teachers if t.subject == subject]
        reachable = 0
        need = 0
        helpers: set[str] = set()
        for row in rows:
            who = [
                t for t in colleagues if refusal(district, t, present[t.teacher_id], row) is None
            ]
            if not who:
                floor += row.periods
                continue
            need += row.periods
            helpers |= {t.teacher_id for t in who}
        reachable = sum(spare_periods(district, district.teacher(t)) for t in helpers)
        floor += max(0, need - reachable)
    return floor


def check_itinerant(
    district: District,
    plan: Plan,
    assignments: list[ItinerantAssignment] | tuple[ItinerantAssignment, ...],
) -> list[str]:
    """Every way the assignments break the 走教 rules (Chinese), empty when they hold."""
    from models.rules.itinerant import itinerant_problems

    return itinerant_problems(district, plan.model_copy(update={"itinerant": tuple(assignments)}))
