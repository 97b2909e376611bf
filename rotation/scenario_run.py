"""Running scenarios: each one solved (and its plan written), in parallel across the cores.

Scenarios are independent, so they run in a pool of processes, one scenario each at a time;
when there are fewer scenarios than cores, each scenario's components share the cores left
over. Components are solved deterministically whatever the number of processes, so a plan is
the same as a lone `rotation plan` of the scenario's data. Progress is printed as each
scenario finishes. Every result is reduced, inside its worker, to an `Outcome`: the figures the
comparison workbook shows and the moves its teacher-level sheet compares — small enough to send
back from a process.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from models.objective import distance_km
from models.plan import SolveOptions, SolveResult
from models.requirements import group_requirement, is_weak_junior
from models.rules import RULES, ongoing_junior_present, violations
from models.vocab import TeachingStage
from rotation.scenario import Scenario
from solvers.parallel import cores, run_tasks

STATUS_WORDS = {
    "optimal": "最优",
    "feasible": "可行（未证明最优）",
    "infeasible": "规则无法同时满足",
    "unknown": "未求得方案",
}

Echo = Callable[..., None]
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

    @property
    def feasible(self) -> bool:
        """A plan was found and every rule instance holds on it."""
        return self.status in ("optimal", "feasible") and self.failed_checks == 0

    @property
    def status_text(self) -> str:
        """求解状态 in words."""
        return STATUS_WORDS.get(self.status, self.status)


def output_paths(out_dir: Path, key: str) -> tuple[Path, Path, Path]:
    """Where a scenario's input workbook, approval workbook and plan JSON go."""
    return (
        out_dir / f"{key}-数据.xlsx",
        out_dir / f"{key}-审批表.xlsx",
        out_dir / f"{key}-方案.json",
    )


def summarise(s: Scenario, result: SolveResult, seconds: float, files: Sequence[Path]) -> Outcome:
    """The figures of one solved scenario."""
    d = s.district
    plan = result.plan
    solved = result.status in ("optimal", "feasible")
    outcome = Outcome(
        key=s.key,
        name=s.name,
        description=s.description,
        path=str(s.path),
        base_label=s.base_label,
        base_id=s.base_id,
        changes=s.changes,
        sweep=s.sweep,
        status=result.status,
        failed_checks=len(violations(d, plan)) if solved else 0,
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
        seconds=seconds,
        files=tuple(str(f) for f in files),
    )
    rotated: Counter[str] = Counter()
    junior_in: Counter[tuple[str, str]] = Counter()
    arriving: Counter[tuple[str, str]] = Counter()
    for r in plan.rotations:
        t = d.teacher(r.teacher_id)
        home, host = d.school(r.from_school_id), d.school(r.to_school_id)
        rotated[d.status(t.teacher_id).group_id] += 1
        outcome.backbone += int(t.is_backbone)
        outcome.weak_inflow += int(host.weak)
        arriving[host.school_id, t.subject] += 1
        if d.status(t.teacher_id).teaching_stage == TeachingStage.JUNIOR:
            junior_in[host.school_id, t.subject] += 1
        if home.lon is not None and host.lon is not None:
            outcome.commute_km += distance_km(home, host)
            outcome.commuters += 1
        outcome.moves[t.teacher_id] = Move(t.teacher_id, t.name, t.subject, home.name, host.name)
    present: dict[str, Counter[str]] = {}
    for row in d.demand:
        school = d.school(row.school_id)
        outcome.demand += row.count
        outcome.demand_met += min(row.count, arriving[row.school_id, row.subject])
        policy = d.policy.for_group(school.group_id)
        if is_weak_junior(school) and row.subject in policy.exam_subjects:
            if row.school_id not in present:
                present[row.school_id] = ongoing_junior_present(d, row.school_id)
            here = junior_in[row.school_id, row.subject] + present[row.school_id][row.subject]
            outcome.exam_demand += row.count
            outcome.exam_covered += min(row.count, here)
    figures = []
    for g in d.groups:
        req = group_requirement(d, g.group_id)
        outcome.minimum += req.min_rotations
        figures.append(
            GroupFigures(g.group_id, g.name, req.eligible, req.min_rotations, rotated[g.group_id])
        )
    outcome.groups = tuple(figures)
    return outcome


def run_one(s: Scenario, out_dir: Path | None, options: SolveOptions, force: bool) -> Outcome:
    """Solve one scenario; with `out_dir`, write its input workbook, 审批表 and plan JSON."""
    from rotation.planning import plan_district
    from rotation.reading import input_sha256
    from rotation.writing import write_district
    from solvers.solve import solve

    start = time.perf_counter()
    files: list[Path] = []
    if out_dir is None:
        result = solve(s.district, options)
    else:
        data, approval, plan_json = output_paths(out_dir, s.key)
        write_district(s.district, data, force=force)
        result = plan_district(
            s.district,
            approval,
            plan_json,
            options=options,
            sha256=input_sha256(data),
            scenario=s.name,
            force=force,
        )
        files = [data, approval, plan_json]
    return summarise(s, result, time.perf_counter() - start, files)


Shared = tuple[list[Scenario], Path | None, SolveOptions, bool]


def _run_job(shared: Shared, job: tuple[int, bool]) -> tuple[int, Outcome]:
    """One scenario, in a worker process or here (module-level: spawn pickles it by name)."""
    scenarios, out_dir, options, force = shared
    index, explain = job
    options = options.model_copy(update={"explain": explain})
    return index, run_one(scenarios[index], out_dir, options, force)


def progress_line(done: int, total: int, o: Outcome) -> str:
    """One line per finished scenario."""
    if o.feasible:
        what = f"{o.status_text}，新交流 {o.rotations} 人"
    elif o.status in ("optimal", "feasible"):
        what = f"{o.status_text}，但规则核查有 {o.failed_checks} 项未通过"
    else:
        what = o.status_text
    return f"  [{done}/{total}] {o.name}：{what}，用时 {o.seconds:.1f} 秒"


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    out_dir: Path | None,
    options: SolveOptions,
    processes: int = 0,
    force: bool = False,
    echo: Echo | None = None,
    explain: Callable[[Scenario], bool] | None = None,
) -> list[Outcome]:
    """Every scenario solved, in parallel processes (`processes`, 0 = one per core); the
    outcomes in the order given. Outputs that exist already are refused before any solving.
    `explain` says which scenarios, when infeasible, get their colliding rules named (default:
    all, as `options.explain` says)."""
    say = echo or (lambda *_a, **_k: None)
    if out_dir is not None and not force:
        from rotation.writing import OutputExists

        for s in scenarios:
            for path in output_paths(out_dir, s.key):
                if path.exists():
                    raise OutputExists(path)
    total = len(scenarios)
    available = processes or cores()
    pool_size = max(1, min(available, total))
    # cores left over when there are fewer scenarios than cores go to each one's components
    options = options.model_copy(update={"workers": max(1, available // pool_size)})
    how = f"{pool_size} 个进程并行编制" if pool_size > 1 else "依次编制"
    say(f"共 {total} 个方案，{how}…", err=True)
    start = time.perf_counter()
    outcomes: dict[int, Outcome] = {}

    def done(result: tuple[int, Outcome]) -> None:
        outcomes[result[0]] = result[1]
        say(progress_line(len(outcomes), total, result[1]), err=True)

    run_tasks(
        _run_job,
        (list(scenarios), out_dir, options, force),
        [(i, options.explain and (explain is None or explain(s))) for i, s in enumerate(scenarios)],
        done,
        workers=pool_size,
        method=options.start_method,
    )
    say(f"全部完成，用时 {time.perf_counter() - start:.1f} 秒。", err=True)
    return [outcomes[i] for i in range(total)]


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
