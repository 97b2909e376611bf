"""eligibility: only eligible teachers move, to a school that teaches their stage, once each."""

from __future__ import annotations

from collections import Counter, defaultdict

from models.district import District
from models.entities import Teacher
from models.plan import RuleCheck
from models.rules.base import Rule, RuleInstance, person
from models.rules.common import count_check
from models.rules.facts import PlanFacts

ID = "eligibility"


def _label(t: Teacher) -> str:
    return person(t.name, t.teacher_id)


def check(f: PlanFacts) -> list[RuleCheck]:
    """Per group: every moving teacher is eligible, leaves the home school for another school
    that hosts their stage, and appears once; unknown teachers are a district-wide failure."""
    d = f.district
    bad: dict[str | None, list[str]] = defaultdict(list)
    seen: Counter[str] = Counter(r.teacher_id for r in f.plan.rotations)
    for r in f.plan.rotations:
        t = d.index.teacher.get(r.teacher_id)
        if t is None:
            bad[None].append(f"教师「{r.teacher_id}」不在「教师」表中")
            continue
        status = d.status(t.teacher_id)
        gid = status.group_id
        if not status.eligible:
            bad[gid].append(f"{_label(t)}不符合交流条件：{status.reason}")
        if r.from_school_id != t.school_id:
            bad[gid].append(f"{_label(t)}的流出学校应为本校「{t.school_id}」")
        host = d.index.school.get(r.to_school_id)
        if host is None:
            bad[gid].append(f"{_label(t)}的流入学校「{r.to_school_id}」不存在")
            continue
        if host.school_id == t.school_id:
            bad[gid].append(f"{_label(t)}的流入学校就是本校")
        if not d.hosts_stage(host.school_id, status.teaching_stage):
            bad[gid].append(
                f"{_label(t)}任教{status.teaching_stage}，与「{host.name}」学段（{host.stage}）不符"
            )
        if seen[r.teacher_id] > 1:
            bad[gid].append(f"{_label(t)}在方案中出现{seen[r.teacher_id]}次")
    checks = [
        count_check(d, RuleInstance(ID, g.group_id), len(f.by_group.get(g.group_id, [])), bad)
        for g in d.groups
    ]
    if bad.get(None):
        checks.append(count_check(d, RuleInstance(ID), 0, bad))
    return checks


def _reason_kind(reason: str, min_years: int) -> str:
    """The category of an ineligibility reason, for counting."""
    for needle, kind in (
        ("未满", f"本校任教未满{min_years}年"),
        ("距退休", "临近退休"),
        ("暂缓", "暂缓交流"),
        ("在岗交流中", "在岗交流中"),
        ("期满返回", "本学年期满返回"),
    ):
        if needle in reason:
            return kind
    return reason


def describe(d: District, inst: RuleInstance) -> str:
    """How many of the group may rotate, and the commonest reasons the others may not."""
    assert inst.group_id is not None
    group = d.group(inst.group_id)
    policy = d.policy.for_group(group.group_id)
    members = [t for s in d.schools_of(group.group_id) for t in d.teachers_of_school(s.school_id)]
    kinds: Counter[str] = Counter()
    for t in members:
        for reason in d.status(t.teacher_id).reasons:
            kinds[_reason_kind(reason, policy.min_years_at_school)] += 1
    n_eligible = sum(1 for t in members if d.status(t.teacher_id).eligible)
    detail = "、".join(f"{k}{n}人" for k, n in kinds.most_common(4))
    return f"「{group.name}」只有符合交流条件的教师才能交流：符合条件{n_eligible}人" + (
        f"，不符合条件{len(members) - n_eligible}人（{detail}）" if detail else ""
    )


def label(d: District, inst: RuleInstance) -> str:
    """The group's name; 全区 for teachers the district does not know."""
    return d.group(inst.group_id).name if inst.group_id is not None else "全区"


RULE = Rule(
    id=ID,
    name="交流资格",
    sentence="只有符合交流条件且学段相符的教师才能交流，每人每年至多一次",
    parameters=(
        "min_years_at_school",
        "retirement_buffer_years",
        "retirement_age_male",
        "retirement_age_female",
    ),
    check=check,
    describe=describe,
    relax_priority=None,
    blame_last=True,
    label=label,
)
