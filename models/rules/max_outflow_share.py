"""max_outflow_share: where set, no school sends out more than the share of its full-time teachers."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.policy import format_param
from models.requirements import (
    base_count,
    ceil_share,
    max_outflow,
    min_ratio,
    mobility,
    ratio_scopes,
)
from models.rules.base import Rule, RuleInstance, checked
from models.rules.facts import PlanFacts
from models.rules.min_rotation_ratio import label_of_unit

ID = "max_outflow_share"


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each school of a group with the parameter set."""
    d = f.district
    checks = []
    for s in d.schools:
        share = d.policy.for_group(s.group_id).max_outflow_share
        if share is None:
            continue
        staff = len(d.teachers_of_school(s.school_id))
        cap = max_outflow(staff, share)
        checks.append(
            checked(
                d,
                RuleInstance(ID, s.group_id, s.school_id),
                required=f"≤{cap}人（{staff}×{format_param('r', share)}，向下取整）",
                actual=f"{f.out[s.school_id]}人",
                ok=f.out[s.school_id] <= cap,
                maximum=cap,
                count=f.out[s.school_id],
            )
        )
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """The school's cap and where it comes from."""
    assert inst.school_id is not None
    school = d.school(inst.school_id)
    share = d.policy.for_group(school.group_id).max_outflow_share
    assert share is not None
    staff = len(d.teachers_of_school(school.school_id))
    return f"「{school.name}」一年至多流出{max_outflow(staff, share)}人（专任教师{staff}人×{format_param('r', share)}，向下取整）"


def precheck(d: District) -> list[str]:
    """A ratio scope whose minimum cannot be sent within each school's cap."""
    movable = mobility(d).movable
    messages = []
    for unit in ratio_scopes(d):
        policy = d.policy.for_group(unit.group_id)
        share = policy.max_outflow_share
        if share is None:
            continue
        need = ceil_share(base_count(d, unit.teachers), min_ratio(d, unit.group_id))
        can = sum(
            min(len(movable[s]), max_outflow(len(d.teachers_of_school(s)), share))
            for s in unit.school_ids
        )
        if need > can:
            messages.append(
                f"「{label_of_unit(d, unit)}」至少须交流{need}人，但各校流出上限"
                f"（专任教师×{format_param('r', share)}）内至多可派{can}人"
            )
    return messages


RULE = Rule(
    id=ID,
    name="单校流出上限",
    sentence="每校一年流出人数不超过其专任教师的规定比例",
    parameters=("max_outflow_share",),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=2,
)
