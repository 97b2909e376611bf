"""What one scenario produced, reduced to the figures the comparison workbook shows and the
moves its teacher-level sheet compares (small enough to send back from a worker process), and
where a parameter sweep stops letting the rules be met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models import District
from models.objective import distance_km
from models.plan import SolveResult
from models.requirements import group_requirement, is_weak_junior
from models.rules import RULES, PlanFacts, check_plan
from rotation.scenarios.model import Scenario

STATUS_WORDS = {
    "optimal": "最优",
    "feasible": "可行（未证明最优）",
    "infeasible": "规则无法同时满足",
    "unknown": "未求得方案",
}

#: Conflicts kept per scenario (the 审批表's 不可行说明 has them all).
MAX_CONFLICTS = 20


@dataclass(frozen=True)
class Move:
    """One new rotation, as the teacher-level comparison shows it."""

    teacher_id: str
    name: str
    subject: str
    home: str
    host: str


@dataclass(frozen=True)
class GroupFigures:
    """One group's rotation figures in one scenario."""

    group_id: str
    name: str
    eligible: int
    minimum: int
    rotated: int


@dataclass
class Outcome:
    """What one scenario produced, reduced to what reports compare."""

    key: str
    name: str
    description: str
    path: str
    base_label: str
    base_id: str
    changes: tuple[str, ...]
    sweep: tuple[str, str] | None
    status: str
    failed_checks: int = 0
    rotations: int = 0
    returns: int = 0
    objective: int | None = None
    best_bound: int | None = None
    terms: dict[str, int] = field(default_factory=dict)
    teachers: int = 0
    eligible: int = 0
    minimum: int = 0
    backbone: int = 0
    weak_inflow: int = 0
    exam_demand: int = 0
    exam_covered: int = 0
    demand: int = 0
    demand_met: int = 0
    commute_km: int = 0
    commuters: int = 0
    groups: tuple[GroupFigures, ...] = ()
    moves: dict[str, Move] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()
    solve_seconds: float = 0.0
    seconds: float = 0.0
    files: tuple[str, ...] = ()
    #: a saved plan compared with another: the school year's pins (as they stand) it breaks
    broken_pins: int | None = None

    @property
    def feasible(self) -> bool:
        """A plan was found and every rule instance holds on it."""
        return self.status in ("optimal", "feasible") and self.failed_checks == 0

    @property
    def status_text(self) -> str:
        """求解状态 in words."""
        return STATUS_WORDS.get(self.status, self.status)


def summarise(s: Scenario, result: SolveResult, seconds: float, files: Sequence[Path]) -> Outcome:
    """The figures of one solved scenario."""
    outcome = plan_outcome(s.district, result, key=s.key, name=s.name)
    outcome.description = s.description
    outcome.path = str(s.path)
    outcome.base_label = s.base_label
    outcome.base_id = s.base_id
    outcome.changes = s.changes
    outcome.sweep = s.sweep
    outcome.seconds = seconds
    outcome.files = tuple(str(f) for f in files)
    return outcome


def plan_outcome(d: District, result: SolveResult, *, key: str, name: str) -> Outcome:
    """The figures of one plan of a district (a scenario's, or a saved plan of the records
    compared with another), for the comparison tables."""
    plan = result.plan
    solved = result.status in ("optimal", "feasible")
    facts = PlanFacts.of(d, plan)
    outcome = Outcome(
        key=key,
        name=name,
        description="",
        path="",
        base_label="",
        base_id="",
        changes=(),
        sweep=None,
        status=result.status,
        failed_checks=sum(not c.ok for c in check_plan(d, plan, facts)) if solved else 0,
        rotations=len(plan.rotations),
        returns=len(plan.returns),
        objective=result.objective,
        best_bound=result.best_bound,
        terms=dict(result.terms),
        teachers=len(d.teachers),
        eligible=len(d.eligible_teachers()),
        conflicts=tuple(c.message for c in result.conflicts[:MAX_CONFLICTS])
        + tuple(f"{RULES[x.rule].name}：缺{x.missing}。{x.message}" for x in result.shortfalls),
        solve_seconds=result.wall_seconds,
    )
    for r, t, home, host in facts.moves:
        outcome.backbone += int(t.is_backbone)
        outcome.weak_inflow += int(host.weak)
        if home.lon is not None and host.lon is not None:
            outcome.commute_km += distance_km(home, host)
            outcome.commuters += 1
        outcome.moves[t.teacher_id] = Move(r.teacher_id, t.name, t.subject, home.name, host.name)
    for row in d.demand:
        school = d.school(row.school_id)
        outcome.demand += row.count
        outcome.demand_met += min(row.count, facts.in_subject[row.school_id, row.subject])
        policy = d.policy.for_group(school.group_id)
        if is_weak_junior(school) and row.subject in policy.exam_subjects:
            outcome.exam_demand += row.count
            outcome.exam_covered += min(row.count, facts.junior_present(row.school_id)[row.subject])
    figures = []
    for g in d.groups:
        req = group_requirement(d, g.group_id)
        outcome.minimum += req.min_rotations
        rotated = len(facts.by_group.get(g.group_id, []))
        figures.append(GroupFigures(g.group_id, g.name, req.eligible, req.min_rotations, rotated))
    outcome.groups = tuple(figures)
    return outcome


@dataclass(frozen=True)
class SweepSummary:
    """Where a swept parameter stops letting the rules be met, for one scenario file."""

    path: str
    name: str
    key: str
    rows: tuple[Outcome, ...]
    conclusion: str


def sweep_summary(family: Sequence[Outcome]) -> SweepSummary:
    """The boundary of one sweep family: the last value that works before the first that does
    not (values in the order swept), or which values work when it is not a single switch."""
    first = family[0]
    assert first.sweep is not None
    key = first.sweep[0]
    values = [o.sweep[1] if o.sweep else "" for o in family]
    ok = [o.feasible for o in family]
    base_name = first.name.rsplit("（", 1)[0]
    if all(ok):
        text = f"{key} 取 {values[0]} 至 {values[-1]} 时，规则均可同时满足"
    elif not any(ok):
        text = f"{key} 取 {values[0]} 至 {values[-1]} 时，规则均无法同时满足"
    else:
        switch = next(i for i in range(1, len(ok)) if ok[i] != ok[i - 1])
        single = all(v == ok[0] for v in ok[:switch]) and all(v == ok[switch] for v in ok[switch:])
        if single and ok[0]:
            text = (
                f"{key} 取 {values[switch - 1]} 及之前的值时规则可以同时满足，"
                f"从 {values[switch]} 起无法同时满足"
            )
        elif single:
            text = (
                f"{key} 取 {values[switch - 1]} 及之前的值时规则无法同时满足，"
                f"从 {values[switch]} 起可以同时满足"
            )
        else:
            good = "、".join(v for v, k in zip(values, ok, strict=True) if k)
            bad = "、".join(v for v, k in zip(values, ok, strict=True) if not k)
            text = f"{key} 取 {good} 时规则可以同时满足；取 {bad} 时无法同时满足"
    unknown = [v for v, o in zip(values, family, strict=True) if o.status == "unknown"]
    if unknown:
        text += f"（{'、'.join(unknown)} 在时间上限内未求得方案，按无法满足计）"
    return SweepSummary(first.path, base_name, key, tuple(family), text)


def boundaries(outcomes: Sequence[Outcome]) -> list[int]:
    """Indexes of the first sweep member of each family whose rules cannot all be met: the one
    worth explaining (explaining every value past the boundary would cost the most time)."""
    found: dict[str, int] = {}
    for i, o in enumerate(outcomes):
        family = o.path
        if o.sweep is not None and not o.feasible and family not in found:
            found[family] = i
    return sorted(found.values())


def sweep_summaries(outcomes: Sequence[Outcome]) -> list[SweepSummary]:
    """One summary per swept scenario file, in order."""
    families: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.sweep is not None:
            families.setdefault(o.path, []).append(o)
    return [sweep_summary(f) for f in families.values()]
