"""weak_group_inflow: a weak school receives 0 or a team of ≥ weak_inflow_min; with demand, the team."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.requirements import candidates_for, mobility
from models.rules.base import Rule, RuleInstance, checked
from models.rules.common import mix, stage_words
from models.rules.facts import PlanFacts

ID = "weak_group_inflow"


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each weak school's new inflow."""
    d = f.district
    with_demand = {row.school_id for row in d.demand}
    checks = []
    for s in d.schools:
        if not s.weak:
            continue
        k = d.policy.for_group(s.group_id).weak_inflow_min
        n = f.inflow[s.school_id]
        demanded = s.school_id in with_demand
        if demanded:
            required, ok = f"≥{k}人（有需求）", n >= k
        else:
            required, ok = f"0人或≥{k}人", n == 0 or n >= k
        checks.append(
            checked(
                d,
                RuleInstance(ID, s.group_id, s.school_id),
                required=required,
                actual=f"{n}人",
                ok=ok,
                minimum=k if demanded else None,
                count=n,
            )
        )
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """The team size against who in the group could go there."""
    assert inst.school_id is not None
    school = d.school(inst.school_id)
    pool = candidates_for(d, school)
    k = d.policy.for_group(school.group_id).weak_inflow_min
    demand = any(r.school_id == school.school_id for r in d.demand)
    head = (
        f"「{school.name}」有需求，须组团流入至少{k}人"
        if demand
        else f"「{school.name}」如有流入须组团至少{k}人"
    )
    return (
        f"{head}，集团内可派往该校的符合条件{stage_words(d, school)}教师{'仅' if len(pool) < k else '共'}{len(pool)}人"
        + (f"（{mix(pool)}）" if pool else "")
    )


def precheck(d: District) -> list[str]:
    """A weak school with demand whose group cannot send it a team."""
    with_demand = {row.school_id for row in d.demand}
    messages = []
    for s in d.schools:
        if not s.weak or s.school_id not in with_demand:
            continue
        k = d.policy.for_group(s.group_id).weak_inflow_min
        can = sum(mobility(d).can_come[s.school_id].values())
        if can < k:
            messages.append(
                f"薄弱学校「{s.name}」有需求，须组团流入至少{k}人，但可派往该校的符合条件教师"
                f"（学段相符、流动方向允许）仅{can}人"
            )
    return messages


RULE = Rule(
    id=ID,
    name="薄弱学校组团流入",
    sentence="薄弱学校当年新流入为0人或不少于规定人数；有需求的必须不少于规定人数",
    parameters=("weak_inflow_min",),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=7,
)
