"""lead_outflow_ratio: where set, the lead school sends ≥ the share of its own eligible teachers."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.policy import format_param
from models.requirements import ceil_share, lead_eligible, max_outflow, mobility
from models.rules.base import Rule, RuleInstance
from models.rules.common import share_check
from models.rules.facts import PlanFacts

ID = "lead_outflow_ratio"


def instance(d: District, group_id: str) -> RuleInstance:
    """The instance at a group's lead school."""
    return RuleInstance(ID, group_id, d.group(group_id).lead_school_id)


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each group with the parameter set: its lead school's outflow against its share."""
    d = f.district
    checks = []
    for g in d.groups:
        ratio = d.policy.for_group(g.group_id).lead_outflow_ratio
        if ratio is None:
            continue
        eligible = lead_eligible(d, g.group_id)
        out = f.out[g.lead_school_id]
        checks.append(share_check(d, instance(d, g.group_id), eligible, ratio, out))
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """The lead school's minimum and its base."""
    assert inst.group_id is not None
    lead = d.group(inst.group_id).lead_school_id
    eligible = lead_eligible(d, inst.group_id)
    ratio = d.policy.for_group(inst.group_id).lead_outflow_ratio
    assert ratio is not None
    return (
        f"牵头校「{d.school(lead).name}」至少须派出{ceil_share(eligible, ratio)}人"
        f"（符合条件{eligible}人×{format_param('r', ratio)}，向上取整）"
    )


def precheck(d: District) -> list[str]:
    """A lead school whose minimum exceeds its teachers who have anywhere to go."""
    messages = []
    for g in d.groups:
        ratio = d.policy.for_group(g.group_id).lead_outflow_ratio
        if ratio is None:
            continue
        need = ceil_share(lead_eligible(d, g.group_id), ratio)
        can = len(mobility(d).movable[g.lead_school_id])
        why = f"有可去学校的符合条件教师仅{can}人"
        share = d.policy.for_group(g.group_id).max_outflow_share
        if share is not None:
            cap = max_outflow(len(d.teachers_of_school(g.lead_school_id)), share)
            if cap < can:
                can, why = cap, f"单校流出上限仅{cap}人"
        if need > can:
            messages.append(
                f"牵头校「{d.school(g.lead_school_id).name}」至少须派出{need}人，但{why}"
            )
    return messages


RULE = Rule(
    id=ID,
    name="牵头校流出比例",
    sentence="牵头校派出人数不少于其符合条件教师的规定比例",
    parameters=("lead_outflow_ratio",),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=3,
)
