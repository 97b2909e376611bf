"""走教 as a second stage after the rotation plan (SPEC §11; preview: not wired into plan yet).

With the plan fixed, each teacher's school that year is known, so 走教 is a small assignment of
periods: p[t, r] periods of 走教需求 row r taught by teacher t, y[t, r] whether t goes there at
all. Within spare periods and itinerant_max_schools; trips[t, r] ≥ p / itinerant_periods_per_trip.
Solved lexicographically: first as few uncovered periods as possible (fixed), then the rest:
travel (0.1 km × trips, both ways, per week), backbone teachers to weak schools, and an even
load (the largest weekly 走教 load).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.district import District
from models.entities import ItinerantDemand
from models.itinerant import (
    ItinerantAssignment,
    assignment,
    km_between,
    present_school,
    refusal,
    spare_periods,
)
from models.plan import Plan
from models.policy import Policy

#: Weights of the second level (after uncovered periods): per 0.1 km travelled a week, per
#: period a backbone teacher gives a weak school, per period of the largest load.
WEIGHT_TRAVEL = 1
WEIGHT_BACKBONE_TO_WEAK = 5
WEIGHT_EVEN_LOAD = 5


@dataclass
class ItinerantResult:
    """The assignments, and for each 走教需求 row left short: periods and the reason."""

    status: str  # optimal / feasible / unknown
    assignments: list[ItinerantAssignment]
    uncovered: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)


def plan_itinerant(
    district: District, plan: Plan, *, time_limit: float = 10.0, workers: int = 1
) -> ItinerantResult:
    """The 走教 assignments for the plan year, given the rotation plan."""
    rows = list(district.itinerant_demand)
    present = {
        t.teacher_id: present_school(district, plan, t.teacher_id) for t in district.teachers
    }
    arcs: dict[tuple[str, int], int] = {}  # (teacher, row) → 0.1 km one way
    reasons: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    for i, row in enumerate(rows):
        for t in district.teachers:
            if t.subject != row.subject:
                continue
            why = refusal(district, t, present[t.teacher_id], row)
            if why is not None:
                reasons[i].append(why)
                continue
            km = km_between(district.school(present[t.teacher_id]), district.school(row.school_id))
            arcs[t.teacher_id, i] = 0 if km is None else int(km * 10)
    model = cp_model.CpModel()
    p: dict[tuple[str, int], cp_model.IntVar] = {}
    y: dict[tuple[str, int], cp_model.IntVar] = {}
    trips: dict[tuple[str, int], cp_model.IntVar] = {}
    by_teacher: dict[str, list[tuple[str, int]]] = {}
    for (tid, i), _tenths in arcs.items():
        cap = min(spare_periods(district, district.teacher(tid)), rows[i].periods)
        p[tid, i] = model.new_int_var(0, cap, f"p_{tid}_{i}")
        y[tid, i] = model.new_bool_var(f"y_{tid}_{i}")
        model.add(p[tid, i] <= cap * y[tid, i])
        model.add(p[tid, i] >= y[tid, i])
        per_trip = _policy(district, tid).itinerant_periods_per_trip
        trips[tid, i] = model.new_int_var(0, cap, f"trips_{tid}_{i}")
        model.add(per_trip * trips[tid, i] >= p[tid, i])
        by_teacher.setdefault(tid, []).append((tid, i))
    load_cap = max((spare_periods(district, district.teacher(t)) for t in by_teacher), default=0)
    most = model.new_int_var(0, load_cap, "largest_load")
    for tid, keys in by_teacher.items():
        teacher = district.teacher(tid)
        load = sum(p[k] for k in keys)
        model.add(load <= spare_periods(district, teacher))
        model.add(sum(y[k] for k in keys) <= _policy(district, tid).itinerant_max_schools)
        model.add(most >= load)
    short = []
    for i, row in enumerate(rows):
        given = [p[k] for k in p if k[1] == i]
        u = model.new_int_var(0, row.periods, f"u_{i}")
        model.add(sum(given) + u == row.periods)
        short.append(u)
    model.minimize(sum(short))
    solver = _solver(time_limit, workers)
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ItinerantResult("unknown", [])
    proven = code == cp_model.OPTIMAL
    model.add(sum(short) <= int(solver.objective_value))
    travel = sum(2 * tenths * trips[k] for k, tenths in arcs.items())
    backbone = sum(
        p[(tid, i)]
        for (tid, i) in arcs
        if district.teacher(tid).is_backbone and district.school(rows[i].school_id).weak
    )
    model.minimize(
        WEIGHT_TRAVEL * travel - WEIGHT_BACKBONE_TO_WEAK * backbone + WEIGHT_EVEN_LOAD * most
    )
    second = _solver(time_limit, workers)
    code = second.solve(model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver, proven = second, proven and code == cp_model.OPTIMAL
    chosen = [
        assignment(district, plan, tid, rows[i], solver.value(var))
        for (tid, i), var in p.items()
        if solver.value(var) > 0
    ]
    missing = {}
    for i, row in enumerate(rows):
        left = solver.value(short[i])
        if left:
            missing[row.school_id, row.subject] = (
                left,
                _why_short(district, row, reasons[i], arcs, i),
            )
    return ItinerantResult("optimal" if proven else "feasible", chosen, missing)


def _policy(district: District, teacher_id: str) -> Policy:
    return district.policy.for_group(district.status(teacher_id).group_id)


def _solver(time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver


def _why_short(
    district: District,
    row: ItinerantDemand,
    refused: list[str],
    arcs: dict[tuple[str, int], int],
    i: int,
) -> str:
    """Why a 走教需求 row stays short, in Chinese."""
    if not any(k[1] == i for k in arcs):
        if not refused:
            return f"区内没有{row.subject}教师"
        common = max(set(refused), key=refused.count)
        return f"没有可到该校走教的{row.subject}教师（{len(refused)}名{row.subject}教师均不符合，最常见原因：{common}）"
    return f"可到该校走教的{row.subject}教师课时或走教学校数已用满"
