"""within_group: moves stay inside the teacher's group, except along a 托管 pair."""

from __future__ import annotations

from collections import defaultdict

from models.district import District
from models.entities import School
from models.plan import RotationKind, RuleCheck
from models.requirements import is_entrusted_pair
from models.rules.base import Rule, RuleInstance, person
from models.rules.common import count_check
from models.rules.facts import PlanFacts

ID = "within_group"


def hosts(d: District, home: School) -> list[tuple[School, RotationKind]]:
    """Every school a teacher of `home` could be sent to, with the kind of move: the group's
    other schools (ordinary rotation), then the schools it supports under 托管 (residency)."""
    aided = d.memo("aided_by", _aided_by).get(home.school_id, [])
    result = [
        (host, RotationKind.ROTATION)
        for host in d.schools_of(home.group_id)
        if host.school_id != home.school_id and host.school_id not in aided
    ]
    return result + [(d.school(h), RotationKind.ENTRUSTED) for h in sorted(aided)]


def _aided_by(d: District) -> dict[str, list[str]]:
    aided: dict[str, list[str]] = defaultdict(list)
    for e in d.entrusted:
        aided[e.supporting_school_id].append(e.aided_school_id)
    return dict(aided)


def check(f: PlanFacts) -> list[RuleCheck]:
    """Per group: no move leaves the group unless it follows a 托管 pair, and every entrusted
    move follows one."""
    d = f.district
    bad: dict[str | None, list[str]] = defaultdict(list)
    for g in d.groups:
        for r in f.by_group.get(g.group_id, []):
            t = f.teacher(r)
            host = d.school(r.to_school_id)
            pair = is_entrusted_pair(d, r.from_school_id, r.to_school_id)
            if r.kind == RotationKind.ENTRUSTED and not pair:
                bad[g.group_id].append(
                    f"{person(t.name, t.teacher_id)}按托管常驻派往「{host.name}」，但两校之间没有托管关系"
                )
            elif host.group_id != g.group_id and not pair:
                bad[g.group_id].append(f"{person(t.name, t.teacher_id)}派往集团外的「{host.name}」")
    return [
        count_check(d, RuleInstance(ID, g.group_id), len(f.by_group.get(g.group_id, [])), bad)
        for g in d.groups
    ]


def describe(d: District, inst: RuleInstance) -> str:
    """The rule as it applies to the group."""
    assert inst.group_id is not None
    return f"「{d.group(inst.group_id).name}」的教师只能在本集团内交流（托管关系除外）"


RULE = Rule(
    id=ID,
    name="集团内交流",
    sentence="交流限于本集团学校之间（托管关系除外）",
    parameters=(),
    check=check,
    describe=describe,
    relax_priority=None,
)
