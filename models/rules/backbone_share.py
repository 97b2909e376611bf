"""backbone_share: in each ratio scope, backbone teachers ≥ the share of those rotated."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.policy import format_param
from models.requirements import base_count, ceil_share, min_ratio, mobility, ratio_scopes
from models.rules.base import Rule, RuleInstance
from models.rules.common import mix, share_check
from models.rules.facts import PlanFacts
from models.rules.min_rotation_ratio import instance, label_of_unit, unit_of

ID = "backbone_share"


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each ratio scope's backbone teachers sent reach the share of all it sends."""
    d = f.district
    return [
        share_check(
            d,
            instance(ID, unit),
            sum(f.out[s] for s in unit.school_ids),
            d.policy.for_group(unit.group_id).backbone_share,
            sum(f.backbone_out[s] for s in unit.school_ids),
        )
        for unit in ratio_scopes(d)
    ]


def describe(d: District, inst: RuleInstance) -> str:
    """The backbone teachers the minimum needs against those who could go."""
    from models.rules.registry import label

    unit = unit_of(d, inst)
    policy = d.policy.for_group(unit.group_id)
    need = ceil_share(base_count(d, unit.teachers), min_ratio(d, unit.group_id))
    eligible = [t for t in unit.teachers if d.status(t.teacher_id).eligible]
    backbone = [t for t in eligible if t.is_backbone]
    return (
        f"「{label(d, inst)}」交流教师中骨干须不少于{format_param('r', policy.backbone_share)}（至少交流{need}人时须骨干"
        f"{ceil_share(need, policy.backbone_share)}人），符合条件的骨干教师仅{len(backbone)}人"
        + (f"（{mix(backbone)}）" if backbone else "")
    )


def precheck(d: District) -> list[str]:
    """A scope whose minimum rotation needs more backbone teachers than could go."""
    movable = mobility(d).movable
    messages = []
    for unit in ratio_scopes(d):
        policy = d.policy.for_group(unit.group_id)
        need = ceil_share(base_count(d, unit.teachers), min_ratio(d, unit.group_id))
        backbone = ceil_share(need, policy.backbone_share)
        can = sum(1 for s in unit.school_ids for t in movable[s] if t.is_backbone)
        if backbone > can:
            messages.append(
                f"「{label_of_unit(d, unit)}」至少交流{need}人时须有骨干{backbone}人，"
                f"但符合条件且有可去学校的骨干教师仅{can}人"
            )
    return messages


RULE = Rule(
    id=ID,
    name="骨干教师占比",
    sentence="交流教师中骨干教师不少于规定比例（向上取整）",
    parameters=("backbone_share",),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=5,
)
