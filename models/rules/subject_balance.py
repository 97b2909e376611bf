"""subject_balance: per school and subject, with net = (inflow + returns home) − (outflow +
returns leaving), −tolerance ≤ net ≤ tolerance + returns home. Rotation is an exchange and
leaves no school short of a subject; a teacher coming home may leave the home school one above
(returns are not the planner's choice), never short: a teacher leaving a host is refilled.
(SPEC §4, amended December 2026: returns home were symmetric, which made realistic districts
infeasible within 2-4 years under the defaults.)"""

from __future__ import annotations

from collections import Counter

from models.district import District
from models.plan import RuleCheck
from models.requirements import (
    base_count,
    candidates_for,
    ceil_share,
    min_ratio,
    mobility,
    ratio_scopes,
)
from models.rules.base import Rule, RuleInstance, checked
from models.rules.facts import PlanFacts
from models.rules.min_rotation_ratio import label_of_unit
from models.vocab import FlowDirection

ID = "subject_balance"


def allowed(tol: int, home: int) -> tuple[int, int]:
    """The range net may take at a school and subject: [−tol, tol + returns home]."""
    return -tol, tol + home


def range_words(tol: int, home: int) -> str:
    """The range in words, as 规则核查 and explanations state it."""
    low, high = allowed(tol, home)
    if low == -high:
        return f"±{high}人以内"
    return f"{low:+d}至{high:+d}人之间"


def check(f: PlanFacts) -> list[RuleCheck]:
    """Every (school, subject) that gains or loses anyone this year."""
    d = f.district
    keys = sorted(
        set(f.in_subject) | set(f.out_subject) | set(f.returns_home) | set(f.returns_leaving)
    )
    checks = []
    for school_id, subject in keys:
        s = d.index.school.get(school_id)
        if s is None:  # a move from a school that does not exist: eligibility names it
            continue
        tol = d.policy.for_group(s.group_id).subject_balance_tolerance
        gain = f.in_subject[school_id, subject] + f.returns_home[school_id, subject]
        loss = f.out_subject[school_id, subject] + f.returns_leaving[school_id, subject]
        net = gain - loss
        home = f.returns_home[school_id, subject]
        low, high = allowed(tol, home)
        checks.append(
            checked(
                d,
                RuleInstance(ID, s.group_id, school_id, subject),
                required=f"增减在{range_words(tol, home)}",
                actual=f"增{gain}人、减{loss}人，净{net:+d}人",
                ok=low <= net <= high,
                minimum=low,
                maximum=high,
                count=net,
            )
        )
    return checks


def counts(d: District, school_id: str, subject: str) -> tuple[int, int, int, int]:
    """Returning home, leaving (returns), eligible who could leave, eligible group colleagues
    who could come."""
    year = d.plan_year
    home = leaving = 0
    for o in d.ongoing:
        if o.end_year < year and d.teacher(o.teacher_id).subject == subject:
            home += o.from_school_id == school_id
            leaving += o.to_school_id == school_id
    can_leave = sum(
        1
        for t in d.teachers_of_school(school_id)
        if t.subject == subject and d.status(t.teacher_id).eligible
    )
    can_come = sum(1 for t in candidates_for(d, d.school(school_id)) if t.subject == subject)
    return home, leaving, can_leave, can_come


def describe(d: District, inst: RuleInstance) -> str:
    """One school and subject: the returns and who could move either way."""
    assert inst.school_id is not None and inst.subject is not None
    school = d.school(inst.school_id)
    tolerance = d.policy.for_group(school.group_id).subject_balance_tolerance
    home, leaving, can_leave, can_come = counts(d, school.school_id, inst.subject)
    return (
        f"「{school.name}」{inst.subject}学科流入与流出之差须在{range_words(tolerance, home)}："
        f"期满返回本校{home}人、期满离开{leaving}人，本校可派出的符合条件{inst.subject}教师{can_leave}人，"
        f"集团内可派入的{can_come}人"
    )


def describe_many(d: District, school_id: str, subjects: list[str]) -> str:
    """Several subjects of one school in one sentence: a conflict at a high ratio can involve
    most subjects of a school, and one line each is hard to read."""
    school = d.school(school_id)
    tolerance = d.policy.for_group(school.group_id).subject_balance_tolerance
    pools, returns = [], []
    coming_home = False
    for subject in subjects:
        home, leaving, can_leave, can_come = counts(d, school_id, subject)
        pools.append(f"{subject}{can_leave}/{can_come}")
        coming_home = coming_home or home > 0
        if home or leaving:
            returns.append(f"{subject}{home}/{leaving}")
    extra = "（有教师期满返回本校的学科可多出返回的人数）" if coming_home else ""
    text = (
        f"「{school.name}」{len(subjects)}个学科的流入与流出之差均须在±{tolerance}人以内{extra}；"
        f"各学科本校可派出/集团内可派入的符合条件教师：{'、'.join(pools)}"
    )
    return text + (f"；期满返回本校/期满离开：{'、'.join(returns)}" if returns else "")


def precheck(d: District) -> list[str]:
    """Per school and subject: whether any inflow and outflow within reach keeps the net in
    range given this year's returns; per ratio scope: whether its minimum fits under the most
    each school could send while every subject stays balanced."""
    m = mobility(d)
    fixed: Counter[tuple[str, str]] = Counter()  # returns home − returns leaving
    home: Counter[tuple[str, str]] = Counter()  # returns home
    for o in d.ongoing:
        if o.end_year < d.plan_year:
            subject = d.teacher(o.teacher_id).subject
            fixed[o.from_school_id, subject] += 1
            home[o.from_school_id, subject] += 1
            fixed[o.to_school_id, subject] -= 1
    leave: Counter[tuple[str, str]] = Counter(
        (s, t.subject) for s, teachers in m.movable.items() for t in teachers
    )
    come: Counter[tuple[str, str]] = Counter()
    for s, counts in m.can_come.items():
        for (subject, _stage), n in counts.items():
            come[s, subject] += n
    messages = []
    cap: Counter[str] = Counter()
    subjects = _subjects(leave)  # once: per group it was a pass over every school's subjects
    for key in sorted(set(leave) | set(fixed)):
        school_id, subject = key
        school = d.school(school_id)
        tol = d.policy.for_group(school.group_id).subject_balance_tolerance
        low, high = (bound - fixed[key] for bound in allowed(tol, home[key]))  # inflow − outflow
        if -leave[key] > high or come[key] < low:
            messages.append(_stuck(school.name, subject, fixed[key], leave[key], come[key], tol))
        cap[school_id] += max(0, min(leave[key], come[key] - low))
    for unit in ratio_scopes(d):
        policy = d.policy.for_group(unit.group_id)
        need = ceil_share(base_count(d, unit.teachers), min_ratio(d, unit.group_id))
        tol = policy.subject_balance_tolerance
        can = sum(cap[s] for s in unit.school_ids)
        star = (
            _star_bound(d, unit.group_id, subjects, leave, fixed, home)
            if unit.school_id is None
            else can
        )
        where = f"「{label_of_unit(d, unit)}」至少须交流{need}人，但"
        if need > star and star < can:
            lead = d.school(d.group(unit.group_id).lead_school_id).name
            messages.append(
                f"{where}集团内只能在牵头校与成员校之间交流，牵头校「{lead}」每个学科派出与接收的"
                f"人数须相抵（容差±{tol}人），按其可派出的符合条件教师至多交流{star}人"
            )
        elif need > can:
            messages.append(
                f"{where}各校各学科须流入流出相抵（容差±{tol}人），按可派出与可派入的人数至多交流{can}人"
            )
    return messages


def _star_bound(
    d: District,
    group_id: str,
    subjects: list[str],
    leave: Counter[tuple[str, str]],
    fixed: Counter[tuple[str, str]],
    home: Counter[tuple[str, str]],
) -> int:
    """The most a group can rotate when every move starts or ends at the lead school (member →
    member not allowed) and each subject balances at the lead: per subject, the lead sends at
    most what it has and receives at most what the members have, within the tolerance of what
    it sends. Groups in a 托管 pair are left unbounded (residents move past the lead)."""
    directions = d.policy.for_group(group_id).flow_direction
    entrusted = {e.supporting_school_id for e in d.entrusted} | {
        e.aided_school_id for e in d.entrusted
    }
    schools = d.schools_of(group_id)
    if FlowDirection.MEMBER_TO_MEMBER in directions or any(
        s.school_id in entrusted for s in schools
    ):
        return sum(leave[s.school_id, j] for s in schools for j in subjects)
    lead = d.group(group_id).lead_school_id
    tol = d.policy.for_group(group_id).subject_balance_tolerance
    total = 0
    for subject in subjects:
        most_out = leave[lead, subject] if FlowDirection.LEAD_TO_MEMBER in directions else 0
        members = sum(leave[s.school_id, subject] for s in schools if s.school_id != lead)
        most_in = members if FlowDirection.MEMBER_TO_LEAD in directions else 0
        f = fixed[lead, subject]
        low, high = (bound - f for bound in allowed(tol, home[lead, subject]))
        best = 0
        for out in range(most_out + 1):  # inflow − outflow at the lead within [low, high]
            top = min(most_in, out + high)
            if top >= max(0, out + low):
                best = max(best, out + top)
        total += best
    return total


def _subjects(counts: Counter[tuple[str, str]]) -> list[str]:
    return sorted({subject for _school, subject in counts})


def _stuck(school: str, subject: str, fixed: int, leave: int, come: int, tol: int) -> str:
    """One school and subject whose returns cannot be balanced by anyone within reach."""
    returns = f"期满返回净{fixed:+d}人" if fixed else "无期满返回"
    return (
        f"「{school}」{subject}学科{returns}，流入与流出之差不得少于−{tol}人，"
        f"但本校可派出{leave}人、可派入{come}人，无法平衡"
    )


RULE = Rule(
    id=ID,
    name="学科增减平衡",
    sentence="每校每学科流入与流出之差不超过容差，交流不造成学科缺人",
    parameters=("subject_balance_tolerance",),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=1,
)
