"""The soft goals (SPEC §4) as named terms, evaluated on a plan without a solver.

The CP-SAT model takes its coefficients from the same functions, so the objective a solve
reports can be recomputed from the plan alone, term by term.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from models.district import District
from models.entities import School, Teacher
from models.experience import lacks_promotion_experience
from models.itinerant import loads, uncovered, weekly_km
from models.plan import Plan
from models.policy import Policy
from models.requirements import base_count, ceil_share, min_ratio
from models.rules.facts import PlanFacts


@dataclass(frozen=True)
class Term:
    """A soft goal: its key, Chinese name, weight parameter and sign (+1 reward, −1 penalty)."""

    key: str
    name: str
    weight: str
    sign: int


TERMS: tuple[Term, ...] = (
    Term("rotation", "交流人数", "weight_rotation", -1),
    Term("seniority", "资历优先", "weight_seniority", -1),
    Term("backbone_to_weak", "骨干到薄弱校", "weight_backbone_to_weak", +1),
    Term("volunteer", "自愿交流", "weight_volunteer", +1),
    Term("recommended", "学校推荐", "weight_recommended", +1),
    Term("preference", "意向学校", "weight_preference", +1),
    Term("demand", "满足学校需求", "weight_demand", +1),
    Term("commute", "通勤距离", "weight_commute", -1),
    Term("outflow_spread", "流出均衡", "weight_outflow_spread", -1),
    Term("promotion_experience", "补足晋升经历", "weight_promotion_experience", +1),
    Term("itinerant_uncovered", "走教缺课时", "weight_itinerant_uncovered", -1),
    Term("itinerant_travel", "走教路程", "weight_itinerant_travel", -1),
    Term("itinerant_backbone_to_weak", "骨干到薄弱校走教", "weight_itinerant_backbone_to_weak", +1),
    Term("itinerant_even_load", "走教负担均衡", "weight_itinerant_even_load", -1),
    Term("plan_change", "少改动", "weight_plan_change", -1),
)
#: The 走教 terms: the second stage (solvers.itinerant) optimises them, the first stage none.
ITINERANT_TERMS: tuple[str, ...] = (
    "itinerant_uncovered",
    "itinerant_travel",
    "itinerant_backbone_to_weak",
    "itinerant_even_load",
)
TERM_BY_KEY = {t.key: t for t in TERMS}


def seniority_ranks(district: District) -> dict[str, int]:
    """For each eligible teacher, how many eligible colleagues of the same school and subject have
    strictly more years at the school: choosing a teacher passes over that many seniors at most."""
    return district.memo("seniority_ranks", _seniority_ranks)


def _seniority_ranks(district: District) -> dict[str, int]:
    pools: dict[tuple[str, str], list[Teacher]] = defaultdict(list)
    for t in district.eligible_teachers():
        pools[t.school_id, t.subject].append(t)
    ranks: dict[str, int] = {}
    for pool in pools.values():
        years = sorted((t.years_at_school for t in pool), reverse=True)
        for t in pool:
            ranks[t.teacher_id] = _count_greater(years, t.years_at_school)
    return ranks


def _count_greater(descending: list[int], value: int) -> int:
    low, high = 0, len(descending)
    while low < high:
        mid = (low + high) // 2
        if descending[mid] > value:
            low = mid + 1
        else:
            high = mid
    return low


def distance_km(a: School, b: School) -> int:
    """Great-circle distance between two schools, whole km; 0 when either has no coordinates."""
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return 0
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return round(2 * 6371.0 * math.asin(math.sqrt(min(1.0, h))))


def arc_terms(
    teacher: Teacher, home: School, host: School, rank: int, policy: Policy
) -> dict[str, int]:
    """Unweighted amount of each per-move term when `teacher` moves from `home` to `host`
    (`policy`, the home group's, says how much experience promotion needs)."""
    return {
        "rotation": 1,
        "seniority": rank,
        "backbone_to_weak": int(teacher.is_backbone and host.weak),
        "volunteer": int(teacher.volunteer),
        "recommended": int(teacher.school_recommended),
        "preference": int(host.school_id in teacher.preferred_schools),
        "commute": distance_km(home, host),
        "promotion_experience": int(lacks_promotion_experience(teacher, policy)),
    }


def arc_score(policy: Policy, amounts: dict[str, int]) -> int:
    """Signed, weighted value of one move's per-move terms."""
    return sum(
        TERM_BY_KEY[k].sign * getattr(policy, TERM_BY_KEY[k].weight) * v for k, v in amounts.items()
    )


def teacher_score(policy: Policy, teacher: Teacher, rank: int) -> int:
    """The part of a move's score that depends on the teacher alone (the solver's fast path)."""
    return (
        -policy.weight_rotation
        - policy.weight_seniority * rank
        + policy.weight_volunteer * teacher.volunteer
        + policy.weight_recommended * teacher.school_recommended
        + policy.weight_promotion_experience * lacks_promotion_experience(teacher, policy)
    )


def host_score(policy: Policy, teacher: Teacher, host: School, km: int) -> int:
    """The part of a move's score that depends on where the teacher goes.

    teacher_score + host_score == arc_score(arc_terms(...)); a test holds them together."""
    return (
        policy.weight_backbone_to_weak * (teacher.is_backbone and host.weak)
        + policy.weight_preference * (host.school_id in teacher.preferred_schools)
        - policy.weight_commute * km
    )


def fair_outflow(district: District) -> dict[str, int]:
    """Each school's own share of its group's minimum: ceil(ratio × the school's ratio base).

    Sending more than this from one school while others send less is what outflow_spread
    discourages."""
    return district.memo("fair_outflow", _fair_outflow)


def _fair_outflow(district: District) -> dict[str, int]:
    result: dict[str, int] = {}
    for s in district.schools:
        result[s.school_id] = ceil_share(
            base_count(district, district.teachers_of_school(s.school_id)),
            min_ratio(district, s.group_id),
        )
    return result


def reference_hosts(district: District, reference: Plan | None) -> dict[str, str]:
    """Teacher → host of a reference plan's rotations, for teachers still in the district."""
    if reference is None:
        return {}
    return {
        r.teacher_id: r.to_school_id
        for r in reference.rotations
        if r.teacher_id in district.index.teacher
    }


def evaluate(
    district: District,
    plan: Plan,
    reference: Plan | None = None,
    facts: PlanFacts | None = None,
) -> dict[str, int]:
    """Each term's signed, weighted contribution to the objective of a plan (higher is better).

    With a reference plan, plan_change costs each teacher whose assignment differs from it
    (kept elsewhere, dropped or added) one weight_plan_change. Moves the district does not know
    (a hand-edited plan) count for nothing here: the checkers report them."""
    facts = facts or PlanFacts.of(district, plan)
    ranks = seniority_ranks(district)
    with_itinerant = bool(district.itinerant_demand or plan.itinerant)
    totals: Counter[str] = Counter(
        {t.key: 0 for t in TERMS if with_itinerant or t.key not in ITINERANT_TERMS}
    )
    for _r, teacher, home, host in facts.moves:
        policy = district.policy.for_group(home.group_id)
        rank = ranks.get(teacher.teacher_id, 0)
        for key, amount in arc_terms(teacher, home, host, rank, policy).items():
            term = TERM_BY_KEY[key]
            totals[key] += term.sign * getattr(policy, term.weight) * amount
    for row in district.demand:
        policy = district.policy.for_group(district.school(row.school_id).group_id)
        totals["demand"] += policy.weight_demand * min(
            row.count, facts.in_subject[row.school_id, row.subject]
        )
    totals.update(itinerant_terms(district, plan))
    fair = fair_outflow(district)
    for s in district.schools:
        policy = district.policy.for_group(s.group_id)
        totals["outflow_spread"] -= policy.weight_outflow_spread * max(
            0, facts.out[s.school_id] - fair[s.school_id]
        )
    if reference is None:
        return dict(totals)
    before = reference_hosts(district, reference)
    after = {r.teacher_id: r.to_school_id for r in plan.rotations}
    for teacher_id in before.keys() | after.keys():
        if before.get(teacher_id) != after.get(teacher_id):
            group = district.status(teacher_id).group_id
            totals["plan_change"] -= district.policy.for_group(group).weight_plan_change
    return dict(totals)


def itinerant_amounts(district: District, plan: Plan) -> dict[str, int]:
    """Unweighted 走教 amounts of a plan: uncovered periods a week, km travelled a week (both
    ways, whole km), periods backbone teachers give weak schools, and the sum of the squares of
    each teacher's weekly 走教 periods (even load: two teachers at 3 count 18, one at 6 counts
    36)."""
    travel = sum((weekly_km(district, a) for a in plan.itinerant), start=Decimal(0))
    backbone = 0
    for a in plan.itinerant:
        teacher = district.index.teacher.get(a.teacher_id)
        school = district.index.school.get(a.to_school_id)
        if teacher is not None and school is not None and teacher.is_backbone and school.weak:
            backbone += a.periods
    return {
        "itinerant_uncovered": sum(uncovered(district, plan.itinerant).values()),
        "itinerant_travel": int(travel.to_integral_value(rounding=ROUND_HALF_UP)),
        "itinerant_backbone_to_weak": backbone,
        "itinerant_even_load": sum(n * n for n in loads(plan).values()),
    }


def itinerant_terms(district: District, plan: Plan) -> dict[str, int]:
    """Each 走教 term's signed, weighted contribution (district-wide weights; 0 without 走教)."""
    if not district.itinerant_demand and not plan.itinerant:
        return {}
    policy = district.policy.district
    return {
        key: TERM_BY_KEY[key].sign * getattr(policy, TERM_BY_KEY[key].weight) * amount
        for key, amount in itinerant_amounts(district, plan).items()
    }
