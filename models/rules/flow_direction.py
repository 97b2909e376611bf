"""flow_direction: ordinary rotations move only in the directions the group allows."""

from __future__ import annotations

from models.district import District
from models.entities import School
from models.plan import RotationKind, RuleCheck
from models.requirements import FLOW_NAMES, move_type
from models.rules.base import Rule, RuleInstance, checked, person
from models.rules.facts import PlanFacts

ID = "flow_direction"


def allows(d: District, home: School, host: School, kind: RotationKind) -> bool:
    """Whether the group's policy allows this move (托管 residencies always are)."""
    if kind == RotationKind.ENTRUSTED:
        return True
    return move_type(d, home, host) in d.policy.for_group(home.group_id).flow_direction


def check(f: PlanFacts) -> list[RuleCheck]:
    """Per group: each ordinary move inside the group is of an allowed type."""
    d = f.district
    checks = []
    for g in d.groups:
        allowed = d.policy.for_group(g.group_id).flow_direction
        problems = []
        for r in f.by_group.get(g.group_id, []):
            if r.kind == RotationKind.ENTRUSTED:
                continue
            home, host = d.index.school.get(r.from_school_id), d.school(r.to_school_id)
            if home is None or host.group_id != home.group_id:
                continue
            kind = move_type(d, home, host)
            if kind not in allowed:
                t = f.teacher(r)
                problems.append(
                    f"{person(t.name, t.teacher_id)}：{home.name}→{host.name}属于{FLOW_NAMES[kind]}，不在允许方向内"
                )
        checks.append(
            checked(
                d,
                RuleInstance(ID, g.group_id),
                required="、".join(FLOW_NAMES[a] for a in allowed),
                actual=f"{len(problems)}处方向不符" if problems else "全部符合",
                ok=not problems,
                details=tuple(problems),
                maximum=0,
                count=len(problems),
            )
        )
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """The directions the group allows."""
    assert inst.group_id is not None
    allowed = "、".join(FLOW_NAMES[f] for f in d.policy.for_group(inst.group_id).flow_direction)
    return f"「{d.group(inst.group_id).name}」只允许{allowed}方向的交流"


RULE = Rule(
    id=ID,
    name="流动方向",
    sentence="交流只能按允许的方向进行（牵头校与成员校之间等）",
    parameters=("flow_direction",),
    check=check,
    describe=describe,
    relax_priority=None,
    blame_last=True,
)
