"""The rules of 走教 (SPEC §11, issue 17): a family of their own beside SPEC §4's rules.

SPEC §4 lists the rotation rules; 走教 rules are not among them and are not constraints of the
rotation model (走教 is planned after the rotations, `solvers.itinerant`), so they are kept out
of `RULES` (no CP-SAT module per id, no relax priority) and listed here under stable ids
`itinerant_*`. Each has a Chinese name, a sentence and a solver-free checker; `check_plan` adds
their instances after SPEC §4's (规则核查, the plan JSON's `compliance`, `rotation check`).

- `itinerant_qualified`: each assignment — a 走教需求 row of that school and subject exists; the
  teacher teaches the subject and a stage the school teaches, is not deferred, and travels from
  where they teach that year (a teacher rotated this year from the host school).
- `itinerant_reach`: each assignment — within `itinerant_scope` and `itinerant_max_km` (without
  coordinates the same group only), with km and subsidy as SPEC §11 computes them.
- `itinerant_periods`: each teacher — weekly 走教 periods ≤ 可走教课时 (or itinerant_max_periods).
- `itinerant_schools`: each teacher — schools served ≤ itinerant_max_schools.
- `itinerant_coverage`: each 走教需求 row — never over-covered, and short only when no qualified
  teacher within reach has room left.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from models.district import District
from models.entities import ItinerantDemand
from models.itinerant import (
    coverage,
    policy_of,
    qualification_refusal,
    reach_refusal,
    school_km,
    spare_periods,
    subsidy_per_term,
)
from models.plan import ItinerantAssignment, Plan, RuleCheck
from models.rules.base import Checker, Rule, RuleInstance
from models.rules.facts import PlanFacts

QUALIFIED = "itinerant_qualified"
REACH = "itinerant_reach"
PERIODS = "itinerant_periods"
SCHOOLS = "itinerant_schools"
COVERAGE = "itinerant_coverage"


def _who(d: District, teacher_id: str) -> str:
    t = d.index.teacher.get(teacher_id)
    return f"{t.name}（{teacher_id}）" if t is not None else f"（{teacher_id}）"


def _school_name(d: District, school_id: str) -> str:
    s = d.index.school.get(school_id)
    return s.name if s is not None else school_id


def _scope(d: District, a: ItinerantAssignment) -> str:
    return f"{_who(d, a.teacher_id)}→{_school_name(d, a.to_school_id)}/{a.subject}"


def _row(
    d: District, rule: str, a: ItinerantAssignment, required: str, problems: list[str]
) -> RuleCheck:
    school = d.index.school.get(a.to_school_id)
    return RuleCheck(
        rule=rule,
        scope=_scope(d, a),
        required=required,
        actual="；".join(problems) if problems else "符合",
        ok=not problems,
        group_id=school.group_id if school is not None else None,
        school_id=a.to_school_id,
        subject=a.subject,
        teacher_id=a.teacher_id,
        details=tuple(problems),
    )


def _rows(d: District) -> dict[tuple[str, str], ItinerantDemand]:
    return {(r.school_id, r.subject): r for r in d.itinerant_demand}


def check_qualified(f: PlanFacts) -> list[RuleCheck]:
    """Each assignment: the row exists, the subject and stage, no deferral, where from."""
    d, plan = f.district, f.plan
    if not plan.itinerant:
        return []
    rows = _rows(d)
    present = f.present()
    checks = []
    for a in plan.itinerant:
        problems: list[str] = []
        who = _who(d, a.teacher_id)
        row = rows.get((a.to_school_id, a.subject))
        teacher = d.index.teacher.get(a.teacher_id)
        if teacher is None:
            problems.append(f"教师「{a.teacher_id}」不在「教师」表中")
        elif row is None:
            problems.append(f"{who}：「{a.to_school_id}」没有{a.subject}的走教需求")
        else:
            here = present[a.teacher_id]
            if a.from_school_id != here:
                problems.append(f"{who}：当年在「{here}」任教，不是「{a.from_school_id}」")
            why = qualification_refusal(d, teacher, here, row)
            if why is not None:
                problems.append(f"{who}不能到「{_school_name(d, row.school_id)}」走教：{why}")
        if a.periods <= 0:
            problems.append(f"{who}：走教课时应为正数")
        checks.append(_row(d, QUALIFIED, a, "学科、学段相符，未暂缓，从当年任教学校出发", problems))
    return checks


def check_reach(f: PlanFacts) -> list[RuleCheck]:
    """Each assignment: scope and distance; km and subsidy recomputed."""
    d, plan = f.district, f.plan
    if not plan.itinerant:
        return []
    rows = _rows(d)
    present = f.present()
    checks = []
    for a in plan.itinerant:
        teacher = d.index.teacher.get(a.teacher_id)
        row = rows.get((a.to_school_id, a.subject))
        if teacher is None or row is None:
            continue  # itinerant_qualified names it
        policy = policy_of(d, a.teacher_id)
        problems: list[str] = []
        who = _who(d, a.teacher_id)
        here = present[a.teacher_id]
        why = reach_refusal(d, teacher, here, row)
        if why is not None:
            problems.append(f"{who}不能到「{_school_name(d, row.school_id)}」走教：{why}")
        km = school_km(d, here, row.school_id)
        subsidy = subsidy_per_term(d, teacher, km, a.periods)
        if (a.km, a.subsidy) != (km, subsidy):
            problems.append(f"{who}：距离或补助有误（应为 {km} 公里、{subsidy} 元）")
        scope = "本集团" if policy.itinerant_scope == "group" else "全区"
        checks.append(_row(d, REACH, a, f"{scope}、单程≤{policy.itinerant_max_km}公里", problems))
    return checks


def check_periods(f: PlanFacts) -> list[RuleCheck]:
    """Each teacher who goes: weekly periods within 可走教课时."""
    d = f.district
    total: Counter[str] = Counter()
    for a in f.plan.itinerant:
        total[a.teacher_id] += a.periods
    checks = []
    for teacher_id, periods in total.items():
        teacher = d.index.teacher.get(teacher_id)
        if teacher is None:
            continue
        cap = spare_periods(d, teacher)
        ok = periods <= cap
        checks.append(
            RuleCheck(
                rule=PERIODS,
                scope=_who(d, teacher_id),
                required=f"≤{cap}课时/周",
                actual=f"{periods}课时/周",
                ok=ok,
                group_id=d.status(teacher_id).group_id,
                teacher_id=teacher_id,
                maximum=cap,
                count=periods,
                details=()
                if ok
                else (f"{_who(d, teacher_id)}每周走教{periods}课时，超过可走教的{cap}课时",),
            )
        )
    return checks


def check_schools(f: PlanFacts) -> list[RuleCheck]:
    """Each teacher who goes: the number of schools served."""
    d = f.district
    served: defaultdict[str, set[str]] = defaultdict(set)
    for a in f.plan.itinerant:
        served[a.teacher_id].add(a.to_school_id)
    checks = []
    for teacher_id, schools in served.items():
        if teacher_id not in d.index.teacher:
            continue
        cap = policy_of(d, teacher_id).itinerant_max_schools
        ok = len(schools) <= cap
        checks.append(
            RuleCheck(
                rule=SCHOOLS,
                scope=_who(d, teacher_id),
                required=f"≤{cap}所",
                actual=f"{len(schools)}所",
                ok=ok,
                group_id=d.status(teacher_id).group_id,
                teacher_id=teacher_id,
                maximum=cap,
                count=len(schools),
                details=()
                if ok
                else (f"{_who(d, teacher_id)}到{len(schools)}所学校走教，超过上限{cap}所",),
            )
        )
    return checks


def check_coverage(f: PlanFacts) -> list[RuleCheck]:
    """Each 走教需求 row: covered in full, or short for a reason the rules accept."""
    d = f.district
    given: Counter[tuple[str, str]] = Counter()
    for a in f.plan.itinerant:
        given[a.to_school_id, a.subject] += a.periods
    checks = []
    for gap in coverage(d, f.plan, f.present()):
        total = given[gap.school_id, gap.subject]
        problems: list[str] = []
        if total > gap.needed:
            problems.append(
                f"「{_school_name(d, gap.school_id)}」{gap.subject}走教{total}课时，"
                f"多于需求的{gap.needed}课时"
            )
        if not gap.full:
            problems.append(f"缺{gap.uncovered}课时：{gap.reason}")
        actual = f"已安排{min(total, gap.needed)}课时"
        if gap.uncovered:
            actual += f"，缺{gap.uncovered}课时（{gap.reason}）"
        checks.append(
            RuleCheck(
                rule=COVERAGE,
                scope=f"{_school_name(d, gap.school_id)}/{gap.subject}",
                required=f"{gap.needed}课时/周（无人可派时可缺）",
                actual="；".join(problems) if problems else actual,
                ok=not problems,
                group_id=d.school(gap.school_id).group_id,
                school_id=gap.school_id,
                subject=gap.subject,
                minimum=gap.needed,
                count=min(total, gap.needed),
                details=tuple(problems),
            )
        )
    return checks


def _sentence(rule: str) -> str:
    return ITINERANT_RULES[rule].sentence


def _describe(d: District, inst: RuleInstance) -> str:
    return _sentence(inst.rule)


def _label(d: District, inst: RuleInstance) -> str:
    parts = [_school_name(d, inst.school_id)] if inst.school_id else []
    return "/".join(parts + ([inst.subject] if inst.subject else []))


def _rule(rule: str, name: str, sentence: str, parameters: tuple[str, ...], check: Checker) -> Rule:
    return Rule(
        id=rule,
        name=name,
        sentence=sentence,
        parameters=parameters,
        check=check,
        describe=_describe,
        relax_priority=None,
        label=_label,
    )


#: The 走教 rules by id, in the order 规则核查 lists them.
ITINERANT_RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule(
            QUALIFIED,
            "走教资格",
            "走教教师任教所服务学校需求的学科和该校开设的学段，未暂缓交流，"
            "从当年任教的学校出发（当年交流的教师从流入学校出发）",
            (),
            check_qualified,
        ),
        _rule(
            REACH,
            "走教距离",
            "走教学校在走教范围（本集团或全区）内，单程距离不超过上限；"
            "学校无坐标时只在本集团内走教；距离和补助按坐标计算",
            (
                "itinerant_scope",
                "itinerant_max_km",
                "itinerant_periods_per_trip",
                "itinerant_subsidy_per_km",
                "itinerant_weeks_per_term",
            ),
            check_reach,
        ),
        _rule(
            PERIODS,
            "走教课时",
            "每名教师每周走教课时不超过其可走教课时（未填按走教每周课时上限）",
            ("itinerant_max_periods",),
            check_periods,
        ),
        _rule(
            SCHOOLS,
            "走教学校数",
            "每名教师走教的学校数不超过上限",
            ("itinerant_max_schools",),
            check_schools,
        ),
        _rule(
            COVERAGE,
            "走教需求",
            "每条走教需求尽可能全部安排；只在走教范围内没有符合条件的教师，"
            "或他们的课时、学校数都已用满时才可缺课时",
            (),
            check_coverage,
        ),
    )
}


def check_itinerant_rules(facts: PlanFacts) -> list[RuleCheck]:
    """Every 走教 rule instance of the plan (none when the district has no 走教 and the plan
    none)."""
    if not facts.district.itinerant_demand and not facts.plan.itinerant:
        return []
    return [c for rule in ITINERANT_RULES.values() for c in rule.check(facts)]


def itinerant_problems(district: District, plan: Plan) -> list[str]:
    """Every way a plan's 走教 breaks the rules (Chinese), empty when it holds."""
    checks = check_itinerant_rules(PlanFacts.of(district, plan))
    return [m for c in checks if not c.ok for m in (c.details or (c.actual,))]
