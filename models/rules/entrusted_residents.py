"""entrusted_residents: each 托管 pair keeps ≥ min_residents at the aided school, of whom
≥ min_managers are 干部 (new and ongoing residents together)."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.requirements import ongoing_residents
from models.rules.base import Rule, RuleInstance, checked
from models.rules.facts import PlanFacts

ID = "entrusted_residents"


def instance(d: District, n: int) -> RuleInstance:
    """The instance of the n-th 托管 pair, in the supporting unit's group."""
    e = d.entrusted[n]
    group = d.school(e.supporting_school_id).group_id
    return RuleInstance(ID, group, pair=(e.supporting_school_id, e.aided_school_id))


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each pair's residents this year."""
    d = f.district
    checks = []
    for n, e in enumerate(d.entrusted):
        residents = f.residents(e)
        managers = sum(1 for t in residents if t.management)
        checks.append(
            checked(
                d,
                instance(d, n),
                required=f"常驻≥{e.min_residents}人，其中干部≥{e.min_managers}人",
                actual=f"常驻{len(residents)}人，其中干部{managers}人",
                ok=len(residents) >= e.min_residents and managers >= e.min_managers,
                minimum=e.min_residents,
                count=len(residents),
            )
        )
    return checks


def _pair(d: District, inst: RuleInstance) -> tuple[str, str]:
    assert inst.pair is not None
    return inst.pair


def describe(d: District, inst: RuleInstance) -> str:
    """The team the pair needs against whom the supporting unit could send."""
    unit_id, aided_id = _pair(d, inst)
    pair = next(
        e for e in d.entrusted if (e.supporting_school_id, e.aided_school_id) == (unit_id, aided_id)
    )
    unit = d.school(unit_id)
    pool = [
        t
        for t in d.teachers_of_school(unit.school_id)
        if d.status(t.teacher_id).eligible
        and d.hosts_stage(aided_id, d.status(t.teacher_id).teaching_stage)
    ]
    managers = sum(1 for t in pool if t.management)
    return (
        f"「{d.school(aided_id).name}」须有「{unit.name}」常驻至少{pair.min_residents}人、其中干部至少"
        f"{pair.min_managers}人：「{unit.name}」可派的符合条件教师{len(pool)}人，其中干部{managers}人"
    )


def label(d: District, inst: RuleInstance) -> str:
    """Supporting unit → aided school."""
    unit_id, aided_id = _pair(d, inst)
    return f"{d.school(unit_id).name}→{d.school(aided_id).name}"


def precheck(d: District) -> list[str]:
    """A 托管 pair whose supporting unit cannot field the team or its managers."""
    messages = []
    for e in d.entrusted:
        ongoing = ongoing_residents(d, e)
        pool = [
            t
            for t in d.teachers_of_school(e.supporting_school_id)
            if d.status(t.teacher_id).eligible
            and d.hosts_stage(e.aided_school_id, d.status(t.teacher_id).teaching_stage)
        ]
        need = e.min_residents - len(ongoing)
        managers = e.min_managers - sum(1 for t in ongoing if t.management)
        unit, aided = d.school(e.supporting_school_id).name, d.school(e.aided_school_id).name
        if need > len(pool):
            messages.append(f"「{unit}」还须向「{aided}」派常驻{need}人，符合条件的仅{len(pool)}人")
        have = sum(1 for t in pool if t.management)
        if managers > have:
            messages.append(
                f"「{unit}」还须向「{aided}」派干部{managers}人，符合条件的干部仅{have}人"
            )
    return messages


RULE = Rule(
    id=ID,
    name="托管常驻人数",
    sentence="每个托管关系的常驻人数和其中干部人数不少于下限",
    parameters=(),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=4,
    label=label,
)
