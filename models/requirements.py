"""What the rules will demand of each group, computed without a solver (SPEC §4).

Ratios are exact: "≥10% of N" means ≥ ceil(N × 10/100), computed on Decimals, never floats.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from models.district import District
from models.entities import EntrustedPair, ItinerantDemand, School, Teacher
from models.itinerant import (
    present_schools,
    qualification_refusal,
    reach_refusal,
    school_km,
    spare_periods,
)
from models.plan import Plan
from models.vocab import (
    FlowDirection,
    ItinerantScope,
    OngoingKind,
    RatioBase,
    RatioScope,
    Stage,
    TeachingStage,
)


def ceil_share(count: int, ratio: Decimal) -> int:
    """The smallest whole number ≥ count × ratio, exactly."""
    return math.ceil(Decimal(count) * ratio)


class GroupRequirement(BaseModel):
    """A group's size and the minimum numbers its plan must reach."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    min_ratio: Decimal
    schools: int
    weak_schools: int
    teachers: int
    eligible: int
    eligible_backbone: int
    ratio_base: int
    min_rotations: int
    min_backbone: int


def is_weak_junior(school: School) -> bool:
    """A weak school with a junior-high stage, where exam_subject_focus applies."""
    return school.weak and school.stage in (Stage.JUNIOR, Stage.NINE_YEAR)


def min_ratio(district: District, group_id: str) -> Decimal:
    """The min_rotation_ratio a group is held to: its own row, else its size's range of
    min_rotation_ratio_by_size, else the district's (models.policy.PolicySet.min_ratio)."""
    return min_ratio_source(district, group_id)[0]


def min_ratio_source(district: District, group_id: str) -> tuple[Decimal, str]:
    """The group's min_rotation_ratio and, in Chinese, where it comes from."""
    return district.policy.min_ratio(group_id, len(district.schools_of(group_id)))


def base_count(district: District, teachers: list[Teacher]) -> int:
    """The ratio base of a set of teachers under the policy of their (single) group."""
    if not teachers:
        return 0
    status = district.index.status  # the dict itself: 10⁵ look-ups per city
    policy = district.policy.for_group(status[teachers[0].teacher_id].group_id)
    if policy.ratio_base == RatioBase.FULL_TIME:
        return len(teachers)
    return sum(1 for t in teachers if status[t.teacher_id].eligible)


def group_requirement(district: District, group_id: str) -> GroupRequirement:
    """Minimum rotations and backbone teachers that min_rotation_ratio and backbone_share demand.

    With ratio_scope = school the minimum is the sum of each school's own minimum; the backbone
    minimum is the share of that total (the least the plan can be held to).
    """
    return district.memo(f"group_requirement|{group_id}", lambda d: _requirement(d, group_id))


def _requirement(district: District, group_id: str) -> GroupRequirement:
    policy = district.policy.for_group(group_id)
    schools = district.schools_of(group_id)
    by_school = {s.school_id: district.teachers_of_school(s.school_id) for s in schools}
    members = [t for ts in by_school.values() for t in ts]
    status = district.index.status
    eligible = [t for t in members if status[t.teacher_id].eligible]
    ratio = min_ratio(district, group_id)
    base = base_count(district, members)
    if policy.ratio_scope == RatioScope.SCHOOL:
        minimum = sum(ceil_share(base_count(district, ts), ratio) for ts in by_school.values())
    else:
        minimum = ceil_share(base, ratio)
    return GroupRequirement(
        group_id=group_id,
        min_ratio=ratio,
        schools=len(schools),
        weak_schools=sum(1 for s in schools if s.weak),
        teachers=len(members),
        eligible=len(eligible),
        eligible_backbone=sum(1 for t in eligible if t.is_backbone),
        ratio_base=base,
        min_rotations=minimum,
        min_backbone=ceil_share(minimum, policy.backbone_share),
    )


def candidates_for(district: District, host: School) -> list[Teacher]:
    """Eligible teachers of the host's group, from other schools, whose stage the host takes."""
    result = []
    for school in district.schools_of(host.group_id):
        if school.school_id == host.school_id:
            continue
        for t in district.teachers_of_school(school.school_id):
            status = district.status(t.teacher_id)
            if status.eligible and district.hosts_stage(host.school_id, status.teaching_stage):
                result.append(t)
    return result


def demand_warnings(district: District) -> list[str]:
    """Demand the group cannot meet from its own eligible teachers, said before planning.

    Only what no rule enforces: a weak school's team and exam-subject demand at weak junior
    highs are hard rules, foreseen by their rules' pre-checks (models.rules.precheck)."""
    messages: list[str] = []
    demand_by_school: dict[str, list[tuple[str, int]]] = {}
    for row in district.demand:
        demand_by_school.setdefault(row.school_id, []).append((row.subject, row.count))
    for school in district.schools:
        rows = demand_by_school.get(school.school_id)
        if not rows:
            continue
        policy = district.policy.for_group(school.group_id)
        subjects = Counter(t.subject for t in candidates_for(district, school))
        for subject, count in rows:
            if is_weak_junior(school) and subject in policy.exam_subjects:
                continue
            available = subjects[subject]
            if available == 0:
                messages.append(
                    f"「{school.name}」需要学科「{subject}」{count}人，"
                    f"但集团内没有符合条件的{subject}教师可派往该校"
                )
            elif available < count:
                messages.append(
                    f"「{school.name}」需要「{subject}」{count}人，集团内符合条件的仅{available}人"
                )
    return messages


# -- the scopes and shapes the rules are stated over (shared by checkers, solver, explanations) --


@dataclass(frozen=True)
class RatioUnit:
    """Where the ratio rules count: a whole group, or one school when ratio_scope = school."""

    group_id: str
    school_id: str | None  # None: the whole group
    teachers: list[Teacher]
    school_ids: list[str]


def ratio_scopes(district: District, group_ids: Iterable[str] | None = None) -> list[RatioUnit]:
    """Each ratio scope of the given groups (default all), in input order."""
    scopes = []
    for g in district.groups if group_ids is None else [district.group(x) for x in group_ids]:
        policy = district.policy.for_group(g.group_id)
        schools = district.schools_of(g.group_id)
        if policy.ratio_scope == RatioScope.SCHOOL:
            for s in schools:
                scopes.append(
                    RatioUnit(
                        g.group_id,
                        s.school_id,
                        district.teachers_of_school(s.school_id),
                        [s.school_id],
                    )
                )
        else:
            members = [t for s in schools for t in district.teachers_of_school(s.school_id)]
            scopes.append(RatioUnit(g.group_id, None, members, [s.school_id for s in schools]))
    return scopes


def move_type(district: District, home: School, host: School) -> FlowDirection:
    """Lead → member, member → lead, or member → member within one group."""
    lead = district.group(home.group_id).lead_school_id
    if home.school_id == lead:
        return FlowDirection.LEAD_TO_MEMBER
    if host.school_id == lead:
        return FlowDirection.MEMBER_TO_LEAD
    return FlowDirection.MEMBER_TO_MEMBER


FLOW_NAMES = {
    FlowDirection.LEAD_TO_MEMBER: "牵头校→成员校",
    FlowDirection.MEMBER_TO_LEAD: "成员校→牵头校",
    FlowDirection.MEMBER_TO_MEMBER: "成员校→成员校",
}


def is_entrusted_pair(district: District, home: str, host: str) -> bool:
    """Whether (home → host) follows a 托管 pair, the only way across groups."""
    return any(
        e.supporting_school_id == home and e.aided_school_id == host for e in district.entrusted
    )


def max_outflow(count: int, share: Decimal) -> int:
    """The most a school of `count` teachers may send: floor(count × share), exactly."""
    return math.floor(Decimal(count) * share)


def lead_eligible(district: District, group_id: str) -> int:
    """Eligible teachers of a group's lead school: the base of lead_outflow_ratio."""
    lead = district.group(group_id).lead_school_id
    return sum(
        1 for t in district.teachers_of_school(lead) if district.status(t.teacher_id).eligible
    )


def ongoing_junior_present(district: District, school_id: str) -> Counter[str]:
    """Junior-stage teachers on an ongoing rotation at a school in the plan year, by subject."""
    present = district.memo("ongoing_junior_present", _ongoing_junior_present)
    return Counter(present.get(school_id, ()))


def _ongoing_junior_present(district: District) -> dict[str, Counter[str]]:
    year = district.plan_year
    present: dict[str, Counter[str]] = {}
    for o in district.ongoing:
        if (
            o.start_year <= year <= o.end_year
            and district.status(o.teacher_id).teaching_stage == TeachingStage.JUNIOR
        ):
            present.setdefault(o.to_school_id, Counter())[
                district.teacher(o.teacher_id).subject
            ] += 1
    return present


def ongoing_residents(district: District, pair: EntrustedPair) -> list[Teacher]:
    """Teachers of a 托管 pair's supporting unit already resident at the aided school this year."""
    year = district.plan_year
    return [
        district.teacher(o.teacher_id)
        for o in district.ongoing
        if o.kind == OngoingKind.ENTRUSTED
        and o.from_school_id == pair.supporting_school_id
        and o.to_school_id == pair.aided_school_id
        and o.start_year <= year <= o.end_year
    ]


def returns_by_school(district: District) -> dict[str, list[tuple[str, int]]]:
    """This year's returns as (subject, +1) at the home school and (subject, −1) at the host."""
    return district.memo("returns_by_school", _returns_by_school)


def _returns_by_school(district: District) -> dict[str, list[tuple[str, int]]]:
    year = district.plan_year
    result: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for o in district.ongoing:
        if o.end_year < year:
            subject = district.teacher(o.teacher_id).subject
            result[o.from_school_id].append((subject, +1))
            result[o.to_school_id].append((subject, -1))
    return dict(result)


# -- who could move where at all: the counts the pre-checks compare with what rules demand ------


@dataclass
class Mobility:
    """Eligible teachers who have at least one possible host (stage taught there, inside the
    group or along a 托管 pair, in an allowed direction), and for each host, by (subject,
    stage), how many such teachers could come. Counting only: no solver."""

    movable: dict[str, list[Teacher]]
    can_come: dict[str, Counter[tuple[str, TeachingStage]]]


def mobility(district: District) -> Mobility:
    """Who could move where, computed once per district."""
    return district.memo("mobility", _mobility)


def _hosts(district: District, home: School) -> list[School]:
    aided = {
        e.aided_school_id for e in district.entrusted if e.supporting_school_id == home.school_id
    }
    allowed = district.policy.for_group(home.group_id).flow_direction
    hosts = [
        h
        for h in district.schools_of(home.group_id)
        if h.school_id != home.school_id
        and h.school_id not in aided
        and move_type(district, home, h) in allowed
    ]
    return hosts + [district.school(a) for a in sorted(aided)]


def _mobility(district: District) -> Mobility:
    movable: dict[str, list[Teacher]] = {s.school_id: [] for s in district.schools}
    can_come: dict[str, Counter[tuple[str, TeachingStage]]] = {
        s.school_id: Counter() for s in district.schools
    }
    for home in district.schools:
        pools: dict[TeachingStage, list[Teacher]] = defaultdict(list)
        for t in district.teachers_of_school(home.school_id):
            status = district.status(t.teacher_id)
            if status.eligible:
                pools[status.teaching_stage].append(t)
        hosts = _hosts(district, home)
        for stage, teachers in pools.items():
            takers = [h for h in hosts if district.hosts_stage(h.school_id, stage)]
            if not takers:
                continue
            movable[home.school_id] += teachers
            subjects = Counter(t.subject for t in teachers)
            for h in takers:
                for subject, n in subjects.items():
                    can_come[h.school_id][subject, stage] += n
    return Mobility(movable, can_come)


def lead_pool_warnings(district: District) -> list[str]:
    """Groups whose lead school cannot keep up year after year (a long-run estimate, not a
    failure this year). When moves may only go lead ↔ member, the ratio is counted per group and
    subject_balance_tolerance is 0, every rotation is a same-subject exchange with the lead, so
    the lead sends at least half of each year's minimum; a teacher it sends is away for
    min_tenure_years and qualifies again min_years_at_school years after coming home. A lead
    with fewer teachers than half the minimum × that cycle runs out within a few years."""
    exchange = {FlowDirection.LEAD_TO_MEMBER, FlowDirection.MEMBER_TO_LEAD}
    notes = []
    for group in district.groups:
        p = district.policy.for_group(group.group_id)
        if not set(p.flow_direction) <= exchange or p.subject_balance_tolerance != 0:
            continue
        if p.ratio_scope != RatioScope.GROUP:
            continue
        need = math.ceil(group_requirement(district, group.group_id).min_rotations / 2)
        cycle = p.min_tenure_years + p.min_years_at_school
        lead = district.school(group.lead_school_id)
        staff = len(district.teachers_of_school(lead.school_id))
        if need * cycle > staff:
            notes.append(
                f"「{group.name}」只允许牵头校与成员校之间交流且各学科增减须平衡，每学年的交流都是"
                f"与牵头校「{lead.name}」的同学科对等交换，牵头校每年须派出约{need}人；派出教师"
                f"{p.min_tenure_years}年后返回、再满{p.min_years_at_school}年才重新符合条件，"
                f"长期需约{need * cycle}名教师轮换，而牵头校只有{staff}名专任教师：连续几个学年后"
                "牵头校将无人可派（可考虑允许成员校之间交流，或设学科增减容差）"
            )
    return notes


#: Share of a group's eligible teachers with nowhere to go from which validate warns.
UNMOVABLE_SHARE = Decimal("0.25")


def unmovable_warnings(district: District) -> list[str]:
    """Groups where eligible teachers count in the ratio base though no school they may go to
    teaches their stage (e.g. junior-high members of a group led by a senior high, moves lead ↔
    member only) — a quarter of them or more: the others carry the whole minimum, every year."""
    movable = {t.teacher_id for ts in mobility(district).movable.values() for t in ts}
    notes = []
    for group in district.groups:
        p = district.policy.for_group(group.group_id)
        if p.ratio_base != RatioBase.ELIGIBLE:
            continue
        stuck = [
            t
            for s in district.schools_of(group.group_id)
            for t in district.teachers_of_school(s.school_id)
            if district.status(t.teacher_id).eligible and t.teacher_id not in movable
        ]
        req = group_requirement(district, group.group_id)
        if stuck and len(stuck) >= UNMOVABLE_SHARE * req.eligible:
            notes.append(
                f"「{group.name}」符合条件的{req.eligible}名教师中有{len(stuck)}名在允许的交流方向上"
                f"没有任教学段相符的学校可去，但计入交流比例基数：至少{req.min_rotations}人的交流"
                f"全部由其余{req.eligible - len(stuck)}人承担，连续几个学年后可能无人可派"
            )
    return notes


class _Kind(NamedTuple):
    """What decides whether a teacher may cover a 走教需求 row, wherever they end up."""

    subject: str
    stage: TeachingStage
    not_deferred: bool
    has_room: bool
    group_id: str
    places: tuple[str, ...]


def itinerant_warnings(district: District) -> list[str]:
    """走教需求 no plan can cover, said before planning (the plan still comes out; 走教汇总 then
    gives the uncovered periods)."""
    return [message for message, _ in itinerant_foresight(district)]


def itinerant_foresight(district: District) -> list[tuple[str, int]]:
    """Each foreseen 走教 gap with the periods that stay uncovered at least, whatever the plan.

    Sound whatever the rotations: a teacher is counted at every school they may teach at this
    year (where they stand, and any host if eligible), with all their spare periods."""
    from models.rules.within_group import hosts  # models.rules imports this module

    rows = district.itinerant_demand
    if not rows:
        return []
    subjects = {r.subject for r in rows}
    # teachers alike in everything a refusal looks at (subject, stage, deferral, spare periods,
    # home group's policy, the schools they may be at) are answered once, as a kind
    kinds: dict[_Kind, list[Teacher]] = {}
    standing = present_schools(district, Plan(plan_year=district.plan_year))
    for t in district.teachers:
        if t.subject not in subjects:
            continue
        status = district.status(t.teacher_id)
        here = [standing[t.teacher_id]]
        if status.eligible:
            here += [h.school_id for h, _ in hosts(district, district.school(t.school_id))]
        kind = _Kind(
            t.subject,
            status.teaching_stage,
            t.deferral is None,
            spare_periods(district, t) > 0,
            status.group_id,
            tuple(here),
        )
        kinds.setdefault(kind, []).append(t)
    # kinds by (group of a school they may teach at, or "" for all, subject)
    by_subject: defaultdict[tuple[str, str], list[_Kind]] = defaultdict(list)
    for kind in kinds:
        by_subject["", kind.subject].append(kind)
        for group_id in sorted({district.school(p).group_id for p in kind.places}):
            by_subject[group_id, kind.subject].append(kind)
    bases = {kind: kind._replace(places=()) for kind in kinds}
    qualified_for: dict[tuple[_Kind, str], str | None] = {}

    reach: dict[tuple[str, str, str], str | None] = {}

    def refusals(kind: _Kind, row: ItinerantDemand) -> list[str] | None:
        """None if the kind may cover `row` from some school they may be at, else why not (one
        reason per school: qualification, or reach)."""
        t = kinds[kind][0]
        key = (bases[kind], row.school_id)
        if key not in qualified_for:  # where they teach only matters at the row's own school
            qualified_for[key] = qualification_refusal(district, t, "", row)
        why: list[str] = []
        for place in kind.places:
            refused = qualified_for[key]
            if refused is None and place == row.school_id:
                refused = qualification_refusal(district, t, place, row)
            if refused is None:
                at = (kind.group_id, place, row.school_id)
                if at not in reach:
                    reach[at] = reach_refusal(district, t, place, row)
                refused = reach[at]
                if refused is None:
                    return None
            why.append(refused)
        return why

    messages: list[tuple[str, int]] = []
    need: Counter[tuple[str, str]] = Counter()
    helpers: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        school = district.school(row.school_id)
        policy = district.policy.for_group(school.group_id)
        unit = school.group_id if policy.itinerant_scope == ItinerantScope.GROUP else ""
        who: list[str] = []
        nearest: Decimal | None = None
        qualified = 0
        for kind in by_subject[unit, row.subject]:
            why = refusals(kind, row)
            if why is None:
                who += [t.teacher_id for t in kinds[kind]]
                continue
            if unit and kind.group_id != unit:
                continue
            far = [p for p, w in zip(kind.places, why, strict=True) if w.startswith("距离")]
            if far:
                qualified += len(kinds[kind])
                closest = min(school_km(district, p, row.school_id) or Decimal(0) for p in far)
                nearest = closest if nearest is None else min(nearest, closest)
        if not who:
            scope = "本集团" if unit else "全区"
            if nearest is not None:
                because = (
                    f"{scope}{qualified}名可走教的{row.subject}教师最近的也在{nearest}公里外"
                    f"（走教距离上限{policy.itinerant_max_km}公里）"
                )
            else:
                because = f"{scope}没有任教该学段、未暂缓交流、有可走教课时的{row.subject}教师"
            messages.append(
                (
                    f"走教需求「{school.name}」{row.subject}每周{row.periods}课时：{because}，"
                    "预计无法安排",
                    row.periods,
                )
            )
            continue
        need[unit, row.subject] += row.periods
        helpers[unit, row.subject].update(who)
    for (unit, subject), periods in need.items():
        room = sum(spare_periods(district, district.teacher(t)) for t in helpers[unit, subject])
        if room < periods:
            scope = f"「{district.group(unit).name}」" if unit else "全区"
            messages.append(
                (
                    f"{scope}{subject}走教需求每周{periods}课时，能去走教的{subject}教师"
                    f"可走教课时合计仅{room}课时，至少{periods - room}课时预计无法安排",
                    periods - room,
                )
            )
    return messages
