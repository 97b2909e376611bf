"""The one public `solve()`: split the district into independent components, solve each with
CP-SAT (in parallel processes when there are cores to spare), merge, and never raise.

Groups are independent unless a 托管 pair links them, so each connected component of groups is
its own small model. Each model is solved by a single deterministic CP-SAT worker with a rich
LP relaxation (the relaxation of this problem is nearly tight), which keeps runs reproducible.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

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
from solvers.explain import explain_component
from solvers.relax import solve_relaxed
from solvers.sat import Mode, SatBuilder, chosen_rotations, relax_penalty, sat_parameters


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


Progress = Callable[[int, int, ComponentOutcome], None]


def components(district: District) -> list[list[str]]:
    """Groups joined by 托管 pairs, as connected components, in input order."""
    parent = {g.group_id: g.group_id for g in district.groups}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for e in district.entrusted:
        a = find(district.school(e.supporting_school_id).group_id)
        b = find(district.school(e.aided_school_id).group_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    result: dict[str, list[str]] = {}
    for g in district.groups:
        result.setdefault(find(g.group_id), []).append(g.group_id)
    return list(result.values())


_STATUS: dict[cp_model.CpSolverStatus, PlanStatus] = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}


def solve_component(
    district: District, index: int, group_ids: list[str], options: SolveOptions
) -> ComponentOutcome:
    """Build and solve one component's model; on infeasibility, name the colliding rules."""
    mode: Mode = "relax" if options.relax else "plan"
    built = SatBuilder(district, group_ids, mode=mode, reference=options.reference).build()
    start = time.perf_counter()
    if mode == "relax":
        solver, code = solve_relaxed(built, options)
    else:
        solver = sat_parameters(options)
        code = solver.solve(built.sat_model)
    outcome = ComponentOutcome(
        index=index,
        status=_STATUS[code],
        build_seconds=built.build_seconds,
        solve_seconds=time.perf_counter() - start,
    )
    outcome.time_limit_hit = code in (cp_model.FEASIBLE, cp_model.UNKNOWN)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
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


#: The large inputs of the running tasks (see run_components).
SHARED: dict[str, object] = {}


T = TypeVar("T")


def run_components(
    task: Callable[[int, list[str]], T],
    jobs: list[tuple[int, list[str]]],
    workers: int,
    shared: dict[str, object],
    done: Callable[[T], None],
) -> None:
    """Run `task(index, group_ids)` for every job, over a fork pool when workers > 1; `done`
    gets each result as it finishes. Tasks find the large inputs in `SHARED`: forked workers
    inherit them instead of having them pickled with every task."""
    SHARED.update(shared)
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            # Objects that exist now are inherited by the workers: keep the cycle collector
            # off them, so that the workers' collections neither walk nor copy-on-write them.
            gc.freeze()
            try:
                context = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                    futures = [pool.submit(task, i, group_ids) for i, group_ids in jobs]
                    for future in as_completed(futures):
                        done(future.result())
            finally:
                gc.unfreeze()
        else:
            for i, group_ids in sorted(jobs):
                done(task(i, group_ids))
    finally:
        SHARED.clear()


def _solve_shared(index: int, group_ids: list[str]) -> ComponentOutcome:
    """In a forked worker: the district and options were inherited, not pickled per task."""
    district, options = SHARED["district"], SHARED["options"]
    assert isinstance(district, District) and isinstance(options, SolveOptions)
    return solve_component(district, index, group_ids, options)


def largest_first(district: District, parts: list[list[str]]) -> list[int]:
    """Component indices, biggest model first (eligible teachers × schools), so that no big
    model starts last and leaves one core idle at the end; ties keep input order."""
    eligible: dict[str, int] = {}
    for t in district.eligible_teachers():
        gid = district.status(t.teacher_id).group_id
        eligible[gid] = eligible.get(gid, 0) + 1
    size = [
        sum(eligible.get(g, 0) for g in part) * sum(len(district.schools_of(g)) for g in part)
        for part in parts
    ]
    return sorted(range(len(parts)), key=lambda i: -size[i])


def worker_count(options: SolveOptions, jobs: int) -> int:
    """Processes to use: as asked, else one per core, never more than there are jobs."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    wanted = options.workers or cores
    return max(1, min(wanted, jobs))


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

    run_components(
        _solve_shared,
        [(i, parts[i]) for i in largest_first(district, parts)],
        worker_count(options, len(parts)),
        {"district": district, "options": options},
        done,
    )
    return merge(district, outcomes, time.perf_counter() - start, options.reference)


def merge(
    district: District, outcomes: list[ComponentOutcome], wall: float, reference: Plan | None = None
) -> SolveResult:
    """One result from the components' results, in component order."""
    outcomes = sorted(outcomes, key=lambda o: o.index)
    statuses = {o.status for o in outcomes}
    status: PlanStatus
    if "infeasible" in statuses:
        status = "infeasible"
    elif "unknown" in statuses:
        status = "unknown"
    elif "feasible" in statuses:
        status = "feasible"
    else:
        status = "optimal"
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
