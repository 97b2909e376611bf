"""Shapes several rules share: a person-by-person check and an at-least-a-share check."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from models.district import District
from models.entities import School, Teacher
from models.plan import RuleCheck
from models.policy import format_param
from models.requirements import ceil_share
from models.rules.base import RuleInstance, checked
from models.vocab import TeachingStage


def count_check(
    d: District, inst: RuleInstance, total: int, bad: dict[str | None, list[str]]
) -> RuleCheck:
    """「N人全部符合」 or the problems found, for rules that hold person by person."""
    problems = tuple(dict.fromkeys(bad.get(inst.group_id, [])))
    return checked(
        d,
        inst,
        required="全部符合",
        actual=f"{total}人中{len(problems)}处不符" if problems else f"{total}人全部符合",
        ok=not problems,
        details=problems,
        maximum=0,
        count=len(problems),
    )


def share_check(
    d: District, inst: RuleInstance, base: int, ratio: Decimal, actual: int
) -> RuleCheck:
    """At least ⌈base × ratio⌉ people: the shape of every ratio rule."""
    need = ceil_share(base, ratio)
    return checked(
        d,
        inst,
        required=f"≥{need}人（{base}×{format_param('r', ratio)}，向上取整）",
        actual=f"{actual}人",
        ok=actual >= need,
        minimum=need,
        count=actual,
    )


def mix(teachers: list[Teacher]) -> str:
    """Subjects and counts of a set of teachers, commonest first: 数学2、语文1."""
    counts = Counter(t.subject for t in teachers)
    return "、".join(f"{s}{n}" for s, n in counts.most_common())


def stage_words(d: District, school: School) -> str:
    """The teaching stages a school takes, in words: 小学、初中."""
    return "、".join(sorted({s.value for s in TeachingStage if d.hosts_stage(school.school_id, s)}))
