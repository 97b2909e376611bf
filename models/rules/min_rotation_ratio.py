"""min_rotation_ratio: per group (or school), rotated ≥ the ratio of the ratio base, rounded up."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.policy import format_param
from models.requirements import (
    RatioUnit,
    base_count,
    ceil_share,
    min_ratio,
    min_ratio_source,
    mobility,
    ratio_scopes,
)
from models.rules.base import Rule, RuleInstance
from models.rules.common import share_check
from models.rules.facts import PlanFacts
from models.vocab import RatioBase

ID = "min_rotation_ratio"


def instance(rule: str, unit: RatioUnit) -> RuleInstance:
    """The instance of a ratio rule over one ratio scope."""
    return RuleInstance(rule, unit.group_id, unit.school_id)


def unit_of(d: District, inst: RuleInstance) -> RatioUnit:
    """The ratio scope an instance of a ratio rule counts over."""
    assert inst.group_id is not None
    return next(u for u in ratio_scopes(d, [inst.group_id]) if u.school_id == inst.school_id)


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each ratio scope sends out at least its share."""
    d = f.district
    return [
        share_check(
            d,
            instance(ID, unit),
            base_count(d, unit.teachers),
            min_ratio(d, unit.group_id),
            sum(f.out[s] for s in unit.school_ids),
        )
        for unit in ratio_scopes(d)
    ]


def describe(d: District, inst: RuleInstance) -> str:
    """The minimum, the base it comes from, and how many could go at all."""
    from models.rules.registry import label

    unit = unit_of(d, inst)
    policy = d.policy.for_group(unit.group_id)
    base = base_count(d, unit.teachers)
    ratio, source = min_ratio_source(d, unit.group_id)
    need = ceil_share(base, ratio)
    word = "全部专任教师" if policy.ratio_base == RatioBase.FULL_TIME else "符合条件教师"
    eligible = [t for t in unit.teachers if d.status(t.teacher_id).eligible]
    where = "" if source == "全区" else f"；{source}"
    return (
        f"「{label(d, inst)}」至少须交流{need}人（{word}{base}人×"
        f"{format_param('r', ratio)}，向上取整{where}），符合条件的教师{len(eligible)}人"
    )


def precheck(d: District) -> list[str]:
    """A scope whose minimum exceeds the eligible teachers who have anywhere to go."""
    movable = mobility(d).movable
    messages = []
    for unit in ratio_scopes(d):
        need = ceil_share(base_count(d, unit.teachers), min_ratio(d, unit.group_id))
        can = sum(len(movable[s]) for s in unit.school_ids)
        if need > can:
            messages.append(
                f"「{label_of_unit(d, unit)}」至少须交流{need}人，但符合条件且有可去学校"
                f"（学段相符、流动方向允许）的教师仅{can}人"
            )
    return messages


def label_of_unit(d: District, unit: RatioUnit) -> str:
    """A ratio scope as reports name it."""
    from models.rules.registry import label

    return label(d, instance(ID, unit))


RULE = Rule(
    id=ID,
    name="最低交流比例",
    sentence="交流人数不少于计算基数的规定比例（向上取整）",
    parameters=("min_rotation_ratio", "min_rotation_ratio_by_size", "ratio_scope", "ratio_base"),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=6,
)
