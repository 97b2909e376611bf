"""The one public `solve()`: split the district into independent components, solve each with
CP-SAT (in parallel processes when there are cores to spare), merge, and never raise.

Groups are independent unless a 托管 pair links them, so each connected component of groups is
its own small model (solvers.components), and solvers.parallel runs them. Each model is solved
by a single deterministic CP-SAT worker with a rich LP relaxation (the relaxation of this
problem is nearly tight), which keeps runs reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.district import District
from models.objective import evaluate, fair_outflow, seniority_ranks
from models.plan import (
    Conflict,
    NewRotation,
    Plan,
    PlanStatus,
    RotationKind,
    Shortfall,
    SolveOptions,
    SolveResult,
    returns_of,
)
from models.rules import describe, label
from solvers.components import components, largest_first
from solvers.explain import explain_component
from solvers.itinerant import (
    ItinerantResult,
    combined,
    local_scope,
    plan_itinerant,
    with_itinerant,
)
from solvers.parallel import run_tasks, worker_count
from solvers.relax import solve_relaxed
from solvers.sat import (
    Mode,
    SatBuilder,
    chosen_rotations,
    relax_penalty,
    sat_parameters,
    solve_to_optimality,
)
from solvers.status import sat_status, worst_status


@dataclass
class ComponentOutcome:
    """The result of solving one component."""

    index: int
    status: PlanStatus
    rotations: list[NewRotation] = field(default_factory=list)
    objective: int | None = None
    best_bound: int | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    time_limit_hit: bool = False
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    itinerant: ItinerantResult | None = None


Progress = Callable[[int, int, ComponentOutcome], None]


def solve_component(
    district: District,
    index: int,
    group_ids: list[str],
    options: SolveOptions,
    *,
    lost: bool = False,
) -> ComponentOutcome:
    """Build and solve one component's model; on infeasibility, name the colliding rules.

    `lost`: another component is already known infeasible, so the district has no plan and
    this one's best plan would be thrown away: it is only checked for feasibility (and
    explained when infeasible), its status "feasible" at best, with no rotations."""
    mode: Mode = "relax" if options.relax else "plan"
    lost = lost and mode == "plan"
    built = SatBuilder(district, group_ids, mode=mode, reference=options.reference).build(
        objective=not lost
    )
    start = time.perf_counter()
    if mode == "relax":
        solver, code = solve_relaxed(built, options)
    elif lost:
        # Only feasibility is asked once lost: explain's settings find or refute a plan without
        # an objective faster (full LP, no cuts: 1.96 → 1.64 CPU s over the 241 such checks of
        # the 137-group district, BENCHMARKS.md issue 18).
        solver = sat_parameters(options, "explain")
        code = solver.solve(built.sat_model)
    else:
        solver, code = solve_to_optimality(built.sat_model, built.x, options)
    outcome = ComponentOutcome(
        index=index,
        status=sat_status(code),
        build_seconds=built.build_seconds,
        solve_seconds=time.perf_counter() - start,
    )
    outcome.time_limit_hit = code in (cp_model.FEASIBLE, cp_model.UNKNOWN)
    if lost and code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        outcome.status, outcome.time_limit_hit = "feasible", False
    elif code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        penalty = 0
        for slack in built.slacks:
            missing = sum(solver.value(v) for v in slack.variables)
            if missing:
                inst = slack.instance
                penalty += relax_penalty(inst.rule) * missing
                outcome.shortfalls.append(
                    Shortfall(
                        rule=inst.rule,
                        scope=label(district, inst),
                        missing=missing,
                        message=describe(district, inst),
                        **inst.ids(district),
                    )
                )
        outcome.objective = round(solver.objective_value) + penalty
        outcome.best_bound = round(solver.best_objective_bound) + penalty
        outcome.rotations = chosen_rotations(district, built.arcs, built.x, solver)
    elif code == cp_model.INFEASIBLE and options.explain:
        outcome.conflicts = explain_component(district, group_ids, options)
    return outcome


@dataclass
class Seen:
    """What one process has learnt during one solve() call: each worker has its own copy
    (inherited or unpickled with the shared inputs), so nothing crosses processes."""

    infeasible: bool = False


def _solve_part(
    shared: tuple[District, SolveOptions, Seen], job: tuple[int, list[str]]
) -> ComponentOutcome:
    """One component, in a worker process or here (module-level: spawn pickles it by name).
    Once this process has met an infeasible component the district has no plan: the later
    ones are only checked and explained, not optimised (the merged result is the same)."""
    district, options, seen = shared
    index, group_ids = job
    lost = seen.infeasible
    outcome = solve_component(district, index, group_ids, options, lost=lost)
    seen.infeasible = lost or outcome.status == "infeasible"
    if not lost and local_scope(district) and outcome.status in ("optimal", "feasible"):
        # 走教 within groups: this component's rows depend on its rotations only, so they are
        # planned here, in the same worker, instead of after every component (BENCHMARKS.md,
        # 走教: the stage then shares the pool's cores without a pool of its own)
        rotations = Plan(plan_year=district.plan_year, rotations=tuple(outcome.rotations))
        outcome.itinerant = plan_itinerant(
            district, rotations, time_limit=options.time_limit, group_ids=group_ids
        )
    return outcome


def solve(
    district: District, options: SolveOptions | None = None, progress: Progress | None = None
) -> SolveResult:
    """Plan the district's new rotations for its plan year. Never raises for infeasible or
    timed-out runs: the status says what happened."""
    options = options or SolveOptions()
    start = time.perf_counter()
    parts = components(district)
    seniority_ranks(district), fair_outflow(district)  # computed once, shared by every component
    outcomes: list[ComponentOutcome] = []

    def done(outcome: ComponentOutcome) -> None:
        outcomes.append(outcome)
        if progress:
            progress(len(outcomes), len(parts), outcome)

    run_tasks(
        _solve_part,
        (district, options, Seen()),
        list(enumerate(parts)),
        done,
        workers=worker_count(options.workers, len(parts)),
        first=largest_first(district, parts),
        method=options.start_method,
    )
    merged = merge(district, outcomes, time.perf_counter() - start, options.reference)
    found = [o.itinerant for o in outcomes if o.itinerant is not None]
    if local_scope(district) and len(found) == len(outcomes):
        return with_itinerant(district, merged, options, combined(found))
    return with_itinerant(district, merged, options)


def merge(
    district: District, outcomes: list[ComponentOutcome], wall: float, reference: Plan | None = None
) -> SolveResult:
    """One result from the components' results, in component order."""
    outcomes = sorted(outcomes, key=lambda o: o.index)
    status = worst_status(o.status for o in outcomes)
    rotations = tuple(r for o in outcomes for r in o.rotations)
    plan = Plan(
        plan_year=district.plan_year,
        rotations=rotations if status in ("optimal", "feasible") else (),
        returns=returns_of(district),
    )
    solved = status in ("optimal", "feasible")
    return SolveResult(
        status=status,
        plan=plan,
        objective=sum(o.objective or 0 for o in outcomes) if solved else None,
        best_bound=sum(o.best_bound or 0 for o in outcomes) if solved else None,
        terms=evaluate(district, plan, reference) if solved else {},
        conflicts=tuple(c for o in outcomes for c in o.conflicts),
        shortfalls=tuple(s for o in outcomes for s in o.shortfalls),
        components=len(outcomes),
        time_limit_hit=any(o.time_limit_hit for o in outcomes),
        build_seconds=sum(o.build_seconds for o in outcomes),
        solve_seconds=sum(o.solve_seconds for o in outcomes),
        wall_seconds=wall,
    )


__all__ = ["RotationKind", "components", "solve"]
