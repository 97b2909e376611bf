"""subject_balance: per school and subject, (inflow + returns home) − (outflow + returns leaving)
stays within ± tolerance: rotation is an exchange and leaves no school short of a subject."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.requirements import candidates_for
from models.rules.base import Rule, RuleInstance, checked
from models.rules.facts import PlanFacts

ID = "subject_balance"


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
        checks.append(
            checked(
                d,
                RuleInstance(ID, s.group_id, school_id, subject),
                required=f"增减在±{tol}人以内",
                actual=f"增{gain}人、减{loss}人，净{net:+d}人",
                ok=abs(net) <= tol,
                minimum=-tol,
                maximum=tol,
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
        f"「{school.name}」{inst.subject}学科流入与流出之差须在±{tolerance}人以内："
        f"期满返回本校{home}人、期满离开{leaving}人，本校可派出的符合条件{inst.subject}教师{can_leave}人，"
        f"集团内可派入的{can_come}人"
    )


def describe_many(d: District, school_id: str, subjects: list[str]) -> str:
    """Several subjects of one school in one sentence: a conflict at a high ratio can involve
    most subjects of a school, and one line each is hard to read."""
    school = d.school(school_id)
    tolerance = d.policy.for_group(school.group_id).subject_balance_tolerance
    pools, returns = [], []
    for subject in subjects:
        home, leaving, can_leave, can_come = counts(d, school_id, subject)
        pools.append(f"{subject}{can_leave}/{can_come}")
        if home or leaving:
            returns.append(f"{subject}{home}/{leaving}")
    text = (
        f"「{school.name}」{len(subjects)}个学科的流入与流出之差均须在±{tolerance}人以内；"
        f"各学科本校可派出/集团内可派入的符合条件教师：{'、'.join(pools)}"
    )
    return text + (f"；期满返回本校/期满离开：{'、'.join(returns)}" if returns else "")


RULE = Rule(
    id=ID,
    name="学科增减平衡",
    sentence="每校每学科流入与流出之差不超过容差，交流不造成学科缺人",
    parameters=("subject_balance_tolerance",),
    check=check,
    describe=describe,
    relax_priority=1,
)
