"""走教 (SPEC §11), solver-free: where a teacher is that year, who may teach where, the trips and
the subsidy, and a checker for a set of 走教 assignments.

Arithmetic is exact (Decimal): trips per week = ceil(periods / itinerant_periods_per_trip);
subsidy per term = 2 × km × trips per week × itinerant_weeks_per_term × itinerant_subsidy_per_km,
rounded to the fen; km is the great-circle distance between the two schools, to 0.1 km.

Preview: nothing outside tests uses this module yet (the planning side is still to come).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from models.district import District
from models.entities import ItinerantDemand, School, Teacher
from models.plan import Plan
from models.vocab import ItinerantScope

EARTH_RADIUS_KM = 6371.0


class ItinerantAssignment(BaseModel):
    """One teacher teaching `periods` periods a week of `subject` at another school."""

    model_config = ConfigDict(frozen=True)

    teacher_id: str
    from_school_id: str  # where the teacher is that year
    to_school_id: str
    subject: str
    periods: int
    km: Decimal | None  # one way; None when a school has no coordinates
    subsidy: Decimal  # 元 per term


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
    status = district.status(teacher_id)
    if status.ongoing is not None:
        return status.ongoing.to_school_id
    return district.teacher(teacher_id).school_id


def spare_periods(district: District, teacher: Teacher) -> int:
    """The teacher's own 可走教课时, else the policy's itinerant_max_periods."""
    if teacher.spare_periods is not None:
        return teacher.spare_periods
    return district.policy.for_group(
        district.status(teacher.teacher_id).group_id
    ).itinerant_max_periods


def refusal(district: District, teacher: Teacher, present: str, row: ItinerantDemand) -> str | None:
    """Why `teacher`, teaching at `present`, may not cover `row` (Chinese), or None if they may:
    the subject and a stage the school teaches; not deferred; some spare periods; another
    school, within itinerant_scope and itinerant_max_km (without coordinates: the same group)."""
    status = district.status(teacher.teacher_id)
    policy = district.policy.for_group(status.group_id)
    here, there = district.school(present), district.school(row.school_id)
    if teacher.subject != row.subject:
        return f"任教学科为{teacher.subject}，不是{row.subject}"
    if not district.hosts_stage(there.school_id, status.teaching_stage):
        return f"任教学段（{status.teaching_stage}）与「{there.name}」不符"
    if teacher.deferral is not None:
        return f"暂缓交流（{teacher.deferral}）"
    if spare_periods(district, teacher) <= 0:
        return "没有可走教课时"
    if here.school_id == there.school_id:
        return "就在该校任教"
    same_group = here.group_id == there.group_id
    if policy.itinerant_scope == ItinerantScope.GROUP and not same_group:
        return "不在同一集团（走教范围为集团内）"
    km = km_between(here, there)
    if km is None:
        return None if same_group else "学校缺少坐标，只能在本集团内走教"
    if km > policy.itinerant_max_km:
        return f"距离{km}公里，超过走教距离上限{policy.itinerant_max_km}公里"
    return None


def assignment(
    district: District, plan: Plan, teacher_id: str, row: ItinerantDemand, periods: int
) -> ItinerantAssignment:
    """The assignment of `periods` periods of `row` to a teacher, with its km and subsidy."""
    teacher = district.teacher(teacher_id)
    present = present_school(district, plan, teacher_id)
    km = km_between(district.school(present), district.school(row.school_id))
    return ItinerantAssignment(
        teacher_id=teacher_id,
        from_school_id=present,
        to_school_id=row.school_id,
        subject=row.subject,
        periods=periods,
        km=km,
        subsidy=subsidy_per_term(district, teacher, km, periods),
    )


def uncovered(
    district: District, assignments: list[ItinerantAssignment]
) -> dict[tuple[str, str], int]:
    """Periods of each 走教需求 row (school, subject) no assignment covers."""
    given: Counter[tuple[str, str]] = Counter()
    for a in assignments:
        given[a.to_school_id, a.subject] += a.periods
    return {
        (r.school_id, r.subject): max(0, r.periods - given[r.school_id, r.subject])
        for r in district.itinerant_demand
    }


def check_itinerant(
    district: District, plan: Plan, assignments: list[ItinerantAssignment]
) -> list[str]:
    """Every way the assignments break SPEC §11 (Chinese), empty when they hold."""
    problems: list[str] = []
    rows = {(r.school_id, r.subject): r for r in district.itinerant_demand}
    periods: Counter[str] = Counter()
    schools: defaultdict[str, set[str]] = defaultdict(set)
    given: Counter[tuple[str, str]] = Counter()
    for a in assignments:
        teacher = district.teacher(a.teacher_id)
        row = rows.get((a.to_school_id, a.subject))
        who = f"{teacher.name}（{a.teacher_id}）"
        if row is None:
            problems.append(f"{who}：「{a.to_school_id}」没有{a.subject}的走教需求")
            continue
        present = present_school(district, plan, a.teacher_id)
        if a.from_school_id != present:
            problems.append(f"{who}：当年在「{present}」任教，不是「{a.from_school_id}」")
        why = refusal(district, teacher, present, row)
        if why is not None:
            problems.append(f"{who}不能到「{district.school(row.school_id).name}」走教：{why}")
        if a.periods <= 0:
            problems.append(f"{who}：走教课时应为正数")
        expected = assignment(district, plan, a.teacher_id, row, a.periods)
        if (a.km, a.subsidy) != (expected.km, expected.subsidy):
            problems.append(
                f"{who}：距离或补助有误（应为 {expected.km} 公里、{expected.subsidy} 元）"
            )
        periods[a.teacher_id] += a.periods
        schools[a.teacher_id].add(a.to_school_id)
        given[a.to_school_id, a.subject] += a.periods
    for teacher_id, total in periods.items():
        teacher = district.teacher(teacher_id)
        policy = district.policy.for_group(district.status(teacher_id).group_id)
        if total > spare_periods(district, teacher):
            problems.append(
                f"{teacher.name}（{teacher_id}）每周走教{total}课时，超过可走教的"
                f"{spare_periods(district, teacher)}课时"
            )
        if len(schools[teacher_id]) > policy.itinerant_max_schools:
            problems.append(
                f"{teacher.name}（{teacher_id}）到{len(schools[teacher_id])}所学校走教，"
                f"超过上限{policy.itinerant_max_schools}所"
            )
    for key, total in given.items():
        row = rows.get(key)
        if row is not None and total > row.periods:
            problems.append(
                f"「{district.school(key[0]).name}」{key[1]}走教{total}课时，多于需求的{row.periods}课时"
            )
    return problems
