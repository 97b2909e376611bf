"""Planning several school years at once, so that this year's choices leave room for the next.

Year k of the horizon is the district advanced k times with no new rotations (years at school
grow, ongoing rotations come home); one SatBuilder per year adds its rules to one shared CP-SAT
model, linked across years: a teacher moves at most once in the horizon (a new rotation lasts
at least as long as the horizon, so nobody chosen in it is back before it ends), the ratio base
of a later year leaves out teachers already chosen, and rotated teachers who arrived earlier
still count towards a weak junior high's exam-subject demand. The objective adds up every
year's soft terms. The first year is firm; the later ones are indicative (预排).
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
from models.plan import NewRotation, Plan, PlanStatus, SolveOptions, returns_of
from models.rules.min_rotation_ratio import instance
from models.vocab import TeachingStage
from solvers.components import components, largest_first
from solvers.parallel import run_tasks, worker_count
from solvers.sat import LinearTerms, SatBuilder, SatModel, chosen_rotations, sat_parameters
from solvers.status import sat_status, worst_status


class HorizonResult(BaseModel):
    """Plans for each year of the horizon: the first firm, the rest indicative."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    status: PlanStatus
    plans: tuple[Plan, ...]
    objective: int | None = None
    objectives: tuple[int, ...] = ()
    wall_seconds: float = 0.0


def horizon_districts(district: District, years: int) -> list[District]:
    """The district as each year of the horizon begins, before any new rotation."""
    result = [district]
    for _ in range(years - 1):
        last = result[-1]
        result.append(advance(last, Plan(plan_year=last.plan_year, returns=returns_of(last))))
    return result


def solve_horizon(
    district: District, years: int, options: SolveOptions | None = None
) -> HorizonResult:
    """Plan `years` school years jointly, component by component; never raises."""
    options = options or SolveOptions()
    start = time.perf_counter()
    tenure = min(district.policy.for_group(g.group_id).min_tenure_years for g in district.groups)
    years = max(1, min(years, tenure))
    worlds = horizon_districts(district, years)
    for world in worlds:
        seniority_ranks(world), fair_outflow(world)
    parts = components(district)
    outcomes: list[_Outcome] = []
    run_tasks(
        _solve_part,
        (worlds, options),
        list(enumerate(parts)),
        outcomes.append,
        workers=worker_count(options.workers, len(parts)),
        first=largest_first(district, parts),
        method=options.start_method,
    )
    outcomes.sort(key=lambda o: o.index)
    total = sum(o.objective for o in outcomes)
    per_year = [
        [r for o in outcomes if o.per_year for r in o.per_year[k]] for k in range(len(worlds))
    ]
    status = worst_status(o.status for o in outcomes)
    solved = status in ("optimal", "feasible")
    plans = tuple(
        Plan(plan_year=w.plan_year, rotations=tuple(r) if solved else (), returns=returns_of(w))
        for w, r in zip(worlds, per_year, strict=True)
    )
    return HorizonResult(
        status=status,
        plans=plans,
        objective=total if solved else None,
        objectives=tuple(sum(evaluate(w, p).values()) for w, p in zip(worlds, plans, strict=True))
        if solved
        else (),
        wall_seconds=time.perf_counter() - start,
    )


@dataclass
class _Outcome:
    """One component's joint plan: each year's new rotations."""

    index: int
    status: PlanStatus
    objective: int = 0
    per_year: list[list[NewRotation]] = field(default_factory=list)


def _solve_part(
    shared: tuple[list[District], SolveOptions], job: tuple[int, list[str]]
) -> _Outcome:
    """One component over the horizon, in a worker process or here (see solvers.parallel)."""
    worlds, options = shared
    index, group_ids = job
    return _solve_component(worlds, index, group_ids, options)


def _solve_component(
    worlds: list[District], index: int, group_ids: list[str], options: SolveOptions
) -> _Outcome:
    """One CP-SAT model for these groups over every year of the horizon."""
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
    objective = LinearTerms()
    for k, builder in enumerate(builders):
        objective.extend(builder.objective_terms(), len(builders) - k)
    objective.maximize(model)
    solver = sat_parameters(options, "full_lp")  # the joint model: measured so far with these
    code = solver.solve(model)
    outcome = _Outcome(index, sat_status(code))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return outcome
    outcome.objective = round(solver.objective_value)
    outcome.per_year = [
        chosen_rotations(world, b.arcs, b.x, solver)
        for world, b in zip(worlds, builders, strict=True)
    ]
    return outcome


def _link(builder: SatBuilder, earlier: list[SatBuilder]) -> None:
    """Tell a later year's builder who was already chosen and who is still present."""
    d = builder.d
    chosen: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    junior_in: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for b in earlier:
        for arc, x in zip(b.arcs, b.x, strict=True):
            chosen[arc.teacher.teacher_id].append(x)
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
