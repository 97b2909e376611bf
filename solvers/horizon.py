"""Planning several school years at once, so that this year's choices leave room for the next.

Year k of the horizon is the district advanced k times with no new rotations (years at school
grow, ongoing rotations come home); one SatBuilder per year adds its rules to one shared CP-SAT
model, linked across years: a teacher moves at most once in the horizon (a new rotation lasts
at least as long as the horizon, so nobody chosen in it is back before it ends), the ratio base
of a later year leaves out teachers already chosen, and rotated teachers who arrived earlier
still count towards a weak junior high's exam-subject demand and, once they cover a weak
school's 需求 rows, spare it a new team. The first year is firm; the later ones are indicative
(预排).

The years are optimised in order (lexicographically): this year's plan is the best one, by this
year's soft terms, among those that leave every later year of the horizon possible (the joint
model with this year's terms as its only objective); it is carried out (models.advance) and the
next year is planned the same way over the remaining years, down to a last year planned alone.
Each year's plan thus has the one-year optimum's value whenever that leaves the later years
possible,
and the indicative years are what planning again next year would give on unchanged data. A
weighted sum of the years (×3, ×2, ×1 before) traded firm-year quality for indicative years
and was slow to prove (most 6,000-teacher components still open after 30 s; each model here
takes well under a second, BENCHMARKS.md "Across years").

When the years cannot all be met, each failing component is planned year by year with the
one-year model (plan → advance → plan) to find the first year that cannot be met alone, and
solvers.explain names that year's colliding rule instances.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict

from models.advance import advance
from models.district import District
from models.objective import evaluate, fair_outflow, seniority_ranks
from models.plan import Conflict, NewRotation, Plan, PlanStatus, SolveOptions, returns_of
from models.rules.min_rotation_ratio import instance
from models.vocab import TeachingStage
from solvers.components import components, largest_first
from solvers.parallel import run_tasks, worker_count
from solvers.sat import SatBuilder, SatModel, chosen_rotations, sat_parameters
from solvers.solve import solve_component
from solvers.status import sat_status, worst_status


class HorizonFailure(BaseModel):
    """Why one component's years cannot all be met: the first year its year-by-year plans
    cannot meet (None when none was found) and that year's minimal conflicting rules."""

    model_config = ConfigDict(frozen=True)

    group_ids: tuple[str, ...]
    year: int | None
    conflicts: tuple[Conflict, ...] = ()


class HorizonResult(BaseModel):
    """Plans for each year of the horizon (`years`, capped by the shortest minimum tenure): the
    first firm, the rest indicative; none of them unless every year could be planned."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    status: PlanStatus
    years: int
    plans: tuple[Plan, ...]
    objective: int | None = None
    objectives: tuple[int, ...] = ()
    failures: tuple[HorizonFailure, ...] = ()
    wall_seconds: float = 0.0

    @property
    def failed_year(self) -> int | None:
        """The earliest year that cannot be met (None when the years can all be met)."""
        years = [f.year for f in self.failures if f.year is not None]
        return min(years) if years else None

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """The colliding rule instances of the earliest failing year, every component's."""
        year = self.failed_year
        return tuple(c for f in self.failures if f.year == year for c in f.conflicts)


def horizon_districts(district: District, years: int) -> list[District]:
    """The district as each year of the horizon begins, before any new rotation."""
    result = [district]
    for _ in range(years - 1):
        last = result[-1]
        result.append(advance(last, Plan(plan_year=last.plan_year, returns=returns_of(last))))
    return result


def horizon_years(district: District, years: int) -> int:
    """The years actually planned jointly: at most the shortest minimum tenure, so that nobody
    chosen in the horizon comes home before it ends."""
    tenure = min(district.policy.for_group(g.group_id).min_tenure_years for g in district.groups)
    return max(1, min(years, tenure))


def solve_horizon(
    district: District, years: int, options: SolveOptions | None = None
) -> HorizonResult:
    """Plan `years` school years, each the best that leaves the later ones possible; never
    raises. Year by year: every component's joint model over the remaining years gives this
    year's plan, which is then carried out (models.advance) before the next year is planned."""
    options = options or SolveOptions()
    start = time.perf_counter()
    years = horizon_years(district, years)
    parts = components(district)
    current = district
    plans: list[Plan] = []
    objectives: list[int] = []
    statuses: list[PlanStatus] = []
    for k in range(years):
        outcomes = _plan_year(horizon_districts(current, years - k), parts, options)
        status = worst_status(o.status for o in outcomes)
        statuses.append(status)
        if status not in ("optimal", "feasible"):
            return HorizonResult(
                status=status,
                years=years,
                plans=(),
                failures=tuple(o.failure for o in outcomes if o.failure is not None),
                wall_seconds=time.perf_counter() - start,
            )
        rotations = tuple(r for o in outcomes for r in o.rotations)
        plan = Plan(plan_year=current.plan_year, rotations=rotations, returns=returns_of(current))
        plans.append(plan)
        objectives.append(sum(evaluate(current, plan).values()))
        if k + 1 < years:
            current = advance(current, plan)
    return HorizonResult(
        status=worst_status(statuses),
        years=years,
        plans=tuple(plans),
        objective=sum(objectives),
        objectives=tuple(objectives),
        wall_seconds=time.perf_counter() - start,
    )


def _plan_year(
    worlds: list[District], parts: list[list[str]], options: SolveOptions
) -> list[_Outcome]:
    """This year's plan of every component, each jointly with the remaining years."""
    for world in worlds:
        seniority_ranks(world), fair_outflow(world)
    outcomes: list[_Outcome] = []
    run_tasks(
        _solve_part,
        (worlds, options),
        list(enumerate(parts)),
        outcomes.append,
        workers=worker_count(options.workers, len(parts)),
        first=largest_first(worlds[0], parts),
        method=options.start_method,
    )
    return sorted(outcomes, key=lambda o: o.index)


@dataclass
class _Outcome:
    """One component's plan for the first year of its horizon."""

    index: int
    status: PlanStatus
    rotations: list[NewRotation] = field(default_factory=list)
    failure: HorizonFailure | None = None


def _solve_part(
    shared: tuple[list[District], SolveOptions], job: tuple[int, list[str]]
) -> _Outcome:
    """One component over the horizon, in a worker process or here (see solvers.parallel)."""
    worlds, options = shared
    index, group_ids = job
    return solve_first_year(worlds, index, group_ids, options)


@dataclass
class JointModel:
    """One CP-SAT model of a component over every year of the horizon, and its years."""

    model: SatModel
    builders: list[SatBuilder]


def build_joint(worlds: list[District], group_ids: list[str]) -> JointModel:
    """Every year's rules on one model, linked; no objective yet."""
    model = SatModel()
    builders: list[SatBuilder] = []
    for k, world in enumerate(worlds):
        builder = SatBuilder(world, group_ids, sat_model=model)
        if k:
            _link(builder, builders)
        builder.constraints()
        builders.append(builder)
    arcs_of: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for builder in builders:
        for arc, x in zip(builder.arcs, builder.x, strict=True):
            arcs_of[arc.teacher.teacher_id].append(x)
    for xs in arcs_of.values():
        if len(xs) > 1:
            model.add_at_most_one(xs)
    return JointModel(model, builders)


def solve_first_year(
    worlds: list[District], index: int, group_ids: list[str], options: SolveOptions
) -> _Outcome:
    """The component's best plan for the first year among those that leave every later year
    of the horizon possible: the joint model with the first year's soft terms as objective."""
    joint = build_joint(worlds, group_ids)
    first = joint.builders[0]
    first.objective_terms().maximize(joint.model)
    solver = sat_parameters(options, "full_lp")
    code = solver.solve(joint.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        outcome = _Outcome(index, sat_status(code))
        if code == cp_model.INFEASIBLE and options.explain:
            outcome.failure = first_failing_year(worlds[0], group_ids, len(worlds), options)
        return outcome
    rotations = chosen_rotations(worlds[0], first.arcs, first.x, solver)
    return _Outcome(index, sat_status(code), rotations)


def first_failing_year(
    district: District, group_ids: list[str], years: int, options: SolveOptions
) -> HorizonFailure:
    """The component planned year by year with the one-year model (plan → advance → plan): the
    first year that cannot be met alone, and its minimal conflicting rule instances."""
    d = district
    for _ in range(years):
        one = solve_component(d, 0, group_ids, options)
        if one.status not in ("optimal", "feasible"):
            return HorizonFailure(
                group_ids=tuple(group_ids), year=d.plan_year, conflicts=tuple(one.conflicts)
            )
        plan = Plan(plan_year=d.plan_year, rotations=tuple(one.rotations), returns=returns_of(d))
        d = advance(d, plan)
    return HorizonFailure(group_ids=tuple(group_ids), year=None)


def _link(builder: SatBuilder, earlier: list[SatBuilder]) -> None:
    """Tell a later year's builder who was already chosen and who is still present."""
    d = builder.d
    chosen: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    junior_in: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    arrived: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for b in earlier:
        for arc, x in zip(b.arcs, b.x, strict=True):
            chosen[arc.teacher.teacher_id].append(x)
            arrived[arc.host.school_id, arc.teacher.subject].append(x)
            if b.d.status(arc.teacher.teacher_id).teaching_stage == TeachingStage.JUNIOR:
                junior_in[arc.host.school_id, arc.teacher.subject].append(x)
    for unit in builder.ratio_units():
        xs = [
            x
            for t in unit.teachers
            if d.status(t.teacher_id).eligible
            for x in chosen.get(t.teacher_id, [])
        ]
        builder.base_discount[instance("min_rotation_ratio", unit)] = cp_model.LinearExpr.sum(xs)
    for key, xs in junior_in.items():
        builder.extra_present[key] = cp_model.LinearExpr.sum(xs)
    for key, xs in arrived.items():
        builder.earlier_arrivals[key] = cp_model.LinearExpr.sum(xs)
