"""min_tenure: new rotations run the full term from the plan year; ongoing ones are never cut short."""

from __future__ import annotations

from models.district import District
from models.plan import RuleCheck
from models.rules.base import Rule, RuleInstance, checked, person
from models.rules.facts import PlanFacts

ID = "min_tenure"


def term(d: District, group_id: str) -> tuple[int, int]:
    """The first and last school year of a new rotation of this group."""
    years = d.policy.for_group(group_id).min_tenure_years
    return d.plan_year, d.plan_year + years - 1


def check(f: PlanFacts) -> list[RuleCheck]:
    """Per group, each new rotation's term; for the district, this year's returns exactly."""
    d = f.district
    year = d.plan_year
    checks = []
    for g in d.groups:
        start, end = term(d, g.group_id)
        wrong = [
            f"{person(f.teacher(r).name, r.teacher_id)}：{r.start_year}-{r.end_year}学年"
            for r in f.by_group.get(g.group_id, [])
            if (r.start_year, r.end_year) != (start, end)
        ]
        checks.append(
            checked(
                d,
                RuleInstance(ID, g.group_id),
                required=f"{year}-{end}学年（{end - start + 1}年）",
                actual=f"{len(wrong)}人期限不符" if wrong else "全部符合",
                ok=not wrong,
                details=tuple(wrong),
                maximum=0,
                count=len(wrong),
            )
        )
    expected = set(f.returns)
    given = set(f.plan.returns)
    cut = [f"{_name(d, r.teacher_id)}（{r.teacher_id}）交流未满提前返回" for r in given - expected]
    missing = [
        f"{_name(d, r.teacher_id)}（{r.teacher_id}）交流期满未安排返回" for r in expected - given
    ]
    checks.append(
        checked(
            d,
            RuleInstance(ID),
            required=f"期满返回{len(expected)}人，其余不得提前结束",
            actual=f"返回{len(given)}人",
            ok=not cut and not missing,
            details=tuple(cut + missing),
            minimum=len(expected),
            maximum=len(expected),
            count=len(given),
        )
    )
    return checks


def _name(d: District, teacher_id: str) -> str:
    t = d.index.teacher.get(teacher_id)
    return t.name if t is not None else "未知教师"


def describe(d: District, inst: RuleInstance) -> str:
    """The term new rotations of the group run."""
    if inst.group_id is None:
        return "在岗交流不得提前结束，期满的须返回"
    start, end = term(d, inst.group_id)
    return f"「{d.group(inst.group_id).name}」新交流期限为{start}-{end}学年"


def label(d: District, inst: RuleInstance) -> str:
    """The group's name; 在岗交流 for this year's returns."""
    return d.group(inst.group_id).name if inst.group_id is not None else "在岗交流"


RULE = Rule(
    id=ID,
    name="交流年限",
    sentence="新交流期限为规定年数，在岗交流不得提前结束",
    parameters=("min_tenure_years",),
    check=check,
    describe=describe,
    relax_priority=None,
    label=label,
)
