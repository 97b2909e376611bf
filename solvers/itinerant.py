"""走教 as a second stage after the rotation plan (SPEC §11, issue 17).

With the plan fixed, each teacher's school that year is known, so 走教 is a small assignment of
periods: p[t, r] periods of 走教需求 row r taught by teacher t, y[t, r] whether t goes there at
all. Within spare periods and itinerant_max_schools; trips[t, r] ≥ p / itinerant_periods_per_trip.
Solved lexicographically: first as few uncovered periods as possible (fixed), then the weighted
rest (`models.objective`'s 走教 terms): travel (km a week, both ways), backbone teachers to weak
schools, and an even load (the sum of squared weekly loads: 3 + 3 beats 6 + 0). Each connected
part of teachers and rows is a model of its own.

Why a second stage and not one model with the rotations: BENCHMARKS.md, 走教 (issue 17).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.district import District
from models.entities import ItinerantDemand, Teacher
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
    """The 走教 assignments for the plan year, given the rotation plan.

    Rows and teachers fall apart into independent parts (a row only reaches teachers of its
    subject, within the group or distance): each connected part is its own small model, and a
    row nobody can reach stays uncovered without one."""
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
    built = time.perf_counter()
    chosen: list[ItinerantAssignment] = []
    missing: dict[tuple[str, str], int] = {}
    proven = True
    covered_rows: set[int] = set()
    for part in _parts(arcs):
        covered_rows |= {i for _t, i in part}
        found, left, ok = _solve_part(district, rows, part, present, time_limit, workers)
        if found is None:
            return ItinerantResult(
                "unknown",
                [],
                build_seconds=built - start,
                solve_seconds=time.perf_counter() - built,
            )
        chosen += found
        missing.update(left)
        proven = proven and ok
    for i, row in enumerate(rows):
        if i not in covered_rows:
            missing[row.school_id, row.subject] = row.periods
    chosen.sort(key=lambda a: (a.to_school_id, a.subject, a.teacher_id))
    return ItinerantResult(
        "optimal" if proven else "feasible",
        chosen,
        missing,
        build_seconds=built - start,
        solve_seconds=time.perf_counter() - built,
    )


def _parts(arcs: dict[tuple[str, int], int]) -> list[dict[tuple[str, int], int]]:
    """The arcs split into connected parts (teachers and rows linked by an arc), in the order
    of their first arc."""
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for tid, i in arcs:
        a, b = find(("t", tid)), find(("r", i))
        if a != b:
            parent[b] = a
    parts: dict[object, dict[tuple[str, int], int]] = {}
    for key, tenths in arcs.items():
        parts.setdefault(find(("r", key[1])), {})[key] = tenths
    return list(parts.values())


def _solve_part(
    district: District,
    rows: list[ItinerantDemand],
    arcs: dict[tuple[str, int], int],
    present: dict[str, str],
    time_limit: float,
    workers: int,
) -> tuple[list[ItinerantAssignment] | None, dict[tuple[str, str], int], bool]:
    """One part, lexicographically: fewest uncovered periods, then the weighted 走教 terms.
    (assignments or None when no solution was found, uncovered periods per row, proven)."""
    weights = district.policy.district
    model = cp_model.CpModel()
    p: dict[tuple[str, int], cp_model.IntVar] = {}
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    trips: dict[tuple[str, int], cp_model.IntVar] = {}
    by_teacher: dict[str, list[tuple[str, int]]] = {}
    by_row: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    spare = {tid: spare_periods(district, district.teacher(tid)) for tid, _i in arcs}
    for tid, i in arcs:
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
    squares = []
    loads: dict[str, cp_model.IntVar] = {}
    for tid, keys in by_teacher.items():
        load = loads[tid] = model.new_int_var(0, spare[tid], f"load_{tid}")
        model.add(load == sum(p[k] for k in keys))
        model.add(sum(y[k] for k in keys) <= policy_of(district, tid).itinerant_max_schools)
        square = model.new_int_var(0, spare[tid] ** 2, f"square_{tid}")
        model.add_element(load, [n * n for n in range(spare[tid] + 1)], square)
        squares.append(square)
    short = {}
    for i in sorted(by_row):
        u = model.new_int_var(0, rows[i].periods, f"u_{i}")
        model.add(sum(by_row[i]) + u == rows[i].periods)
        short[i] = u
    model.minimize(sum(short.values()))
    solver = _solver(time_limit, workers)
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, {}, False
    proven = code == cp_model.OPTIMAL
    model.add(sum(short.values()) <= round(solver.objective_value))
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
        + 10 * weights.weight_itinerant_even_load * sum(squares)
    )
    # the first stage's assignment is a solution of the second: start from it
    for var in p.values():
        model.add_hint(var, solver.value(var))
    second = _solver(time_limit, workers)
    code = second.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver, proven = second, proven and code == cp_model.OPTIMAL
    chosen = [
        assignment(
            district,
            Plan(plan_year=district.plan_year),
            tid,
            rows[i],
            solver.value(var),
            present[tid],
        )
        for (tid, i), var in p.items()
        if solver.value(var) > 0
    ]
    missing = {
        (rows[i].school_id, rows[i].subject): solver.value(u)
        for i, u in short.items()
        if solver.value(u)
    }
    return chosen, missing, proven


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
