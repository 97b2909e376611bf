"""走教 as a second stage after the rotation plan (SPEC §11, issue 17).

With the plan fixed, each teacher's school that year is known, so 走教 is a small assignment of
periods: p[t, r] periods of 走教需求 row r taught by teacher t, y[t, r] whether t goes there at
all. Within spare periods and itinerant_max_schools; trips[t, r] ≥ p / itinerant_periods_per_trip.
Solved lexicographically: first as few uncovered periods as possible (fixed), then the weighted
rest (`models.objective`'s 走教 terms): travel (km a week, both ways), backbone teachers to weak
schools, and an even load (the largest weekly 走教 load).

Why a second stage and not one model with the rotations: BENCHMARKS.md, 走教 (issue 17).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.district import District
from models.entities import Teacher
from models.itinerant import (
    ItinerantAssignment,
    assignment,
    km_between,
    policy_of,
    present_schools,
    refusal,
    spare_periods,
)
from models.objective import itinerant_terms
from models.plan import Plan, SolveOptions, SolveResult


@dataclass
class ItinerantResult:
    """The assignments of the plan year, and how the search went."""

    status: str  # optimal / feasible / unknown
    assignments: list[ItinerantAssignment]
    uncovered: dict[tuple[str, str], int] = field(default_factory=dict)
    build_seconds: float = 0.0
    solve_seconds: float = 0.0


def plan_itinerant(
    district: District, plan: Plan, *, time_limit: float = 10.0, workers: int = 1
) -> ItinerantResult:
    """The 走教 assignments for the plan year, given the rotation plan."""
    start = time.perf_counter()
    rows = list(district.itinerant_demand)
    present = present_schools(district, plan)
    by_subject: defaultdict[str, list[Teacher]] = defaultdict(list)
    for t in district.teachers:
        by_subject[t.subject].append(t)
    arcs: dict[tuple[str, int], int] = {}  # (teacher, row) → 0.1 km one way
    for i, row in enumerate(rows):
        there = district.school(row.school_id)
        for t in by_subject.get(row.subject, ()):
            if refusal(district, t, present[t.teacher_id], row) is not None:
                continue
            km = km_between(district.school(present[t.teacher_id]), there)
            arcs[t.teacher_id, i] = 0 if km is None else int(km * 10)
    weights = district.policy.district
    model = cp_model.CpModel()
    p: dict[tuple[str, int], cp_model.IntVar] = {}
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    trips: dict[tuple[str, int], cp_model.IntVar] = {}
    by_teacher: dict[str, list[tuple[str, int]]] = {}
    by_row: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    spare = {tid: spare_periods(district, district.teacher(tid)) for tid, _i in arcs}
    for (tid, i), _tenths in arcs.items():
        cap = min(spare[tid], rows[i].periods)
        p[tid, i] = model.new_int_var(0, cap, f"p_{tid}_{i}")
        y[tid, i] = model.new_bool_var(f"y_{tid}_{i}")
        model.add(p[tid, i] <= cap * y[tid, i])
        model.add(p[tid, i] >= y[tid, i])
        per_trip = policy_of(district, tid).itinerant_periods_per_trip
        trips[tid, i] = model.new_int_var(0, cap, f"trips_{tid}_{i}")
        model.add(per_trip * trips[tid, i] >= p[tid, i])
        by_teacher.setdefault(tid, []).append((tid, i))
        by_row[i].append(p[tid, i])
    most = model.new_int_var(0, max(spare.values(), default=0), "largest_load")
    for tid, keys in by_teacher.items():
        load = sum(p[k] for k in keys)
        model.add(load <= spare[tid])
        model.add(sum(y[k] for k in keys) <= policy_of(district, tid).itinerant_max_schools)
        model.add(most >= load)
    short = []
    for i, row in enumerate(rows):
        u = model.new_int_var(0, row.periods, f"u_{i}")
        model.add(sum(by_row[i]) + u == row.periods)
        short.append(u)
    model.minimize(sum(short))
    built = time.perf_counter()
    solver = _solver(time_limit, workers)
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ItinerantResult(
            "unknown", [], build_seconds=built - start, solve_seconds=time.perf_counter() - built
        )
    proven = code == cp_model.OPTIMAL
    model.add(sum(short) <= round(solver.objective_value))
    # the 走教 terms of models.objective, ×10 so that travel counts in 0.1 km
    travel = sum(2 * tenths * trips[k] for k, tenths in arcs.items())
    backbone = sum(
        p[(tid, i)]
        for (tid, i) in arcs
        if district.teacher(tid).is_backbone and district.school(rows[i].school_id).weak
    )
    model.minimize(
        weights.weight_itinerant_travel * travel
        - 10 * weights.weight_itinerant_backbone_to_weak * backbone
        + 10 * weights.weight_itinerant_even_load * most
    )
    # the first stage's assignment is a solution of the second: start from it
    for var in p.values():
        model.add_hint(var, solver.value(var))
    second = _solver(time_limit, workers)
    code = second.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver, proven = second, proven and code == cp_model.OPTIMAL
    chosen = [
        assignment(district, plan, tid, rows[i], solver.value(var), present[tid])
        for (tid, i), var in p.items()
        if solver.value(var) > 0
    ]
    chosen.sort(key=lambda a: (a.to_school_id, a.subject, a.teacher_id))
    missing = {
        (row.school_id, row.subject): solver.value(short[i])
        for i, row in enumerate(rows)
        if solver.value(short[i])
    }
    return ItinerantResult(
        "optimal" if proven else "feasible",
        chosen,
        missing,
        build_seconds=built - start,
        solve_seconds=time.perf_counter() - built,
    )


def with_itinerant(district: District, result: SolveResult, options: SolveOptions) -> SolveResult:
    """A solved rotation result with its 走教 planned (the plan's `itinerant`), the 走教 terms
    added to its objective and bound, and the stage's time added to build, solve and wall.
    Unchanged when the district has no 走教需求 or no plan was found."""
    if not district.itinerant_demand or result.status not in ("optimal", "feasible"):
        return result
    start = time.perf_counter()
    found = plan_itinerant(district, result.plan, time_limit=options.time_limit, workers=1)
    plan = result.plan.model_copy(update={"itinerant": tuple(found.assignments)})
    added = itinerant_terms(district, plan)
    terms = {**result.terms, **added}
    gain = sum(added.values())
    status = result.status if found.status == "optimal" else "feasible"
    return result.model_copy(
        update={
            "plan": plan,
            "status": status,
            "terms": terms,
            "objective": None if result.objective is None else result.objective + gain,
            "best_bound": None if result.best_bound is None else result.best_bound + gain,
            "time_limit_hit": result.time_limit_hit or found.status != "optimal",
            "build_seconds": result.build_seconds + found.build_seconds,
            "solve_seconds": result.solve_seconds + found.solve_seconds,
            "wall_seconds": result.wall_seconds + time.perf_counter() - start,
            "itinerant_seconds": time.perf_counter() - start,
        }
    )


def _solver(time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver
