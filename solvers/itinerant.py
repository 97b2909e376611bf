"""走教 as a second stage after the rotation plan (SPEC §11, issue 17).

With the plan fixed, each teacher's school that year is known, so 走教 is a small assignment of
periods to 走教需求 rows, within spare periods and itinerant_max_schools, trips a week =
ceil(periods / itinerant_periods_per_trip). Lexicographic: first as few uncovered periods as
possible, then the weighted rest (`models.objective`'s 走教 terms): travel (km a week, both
ways), backbone teachers to weak schools, and an even load (the sum of squared weekly loads:
3 + 3 beats 6 + 0) — one solve, the uncovered periods weighted above the most the rest can
differ by. Each connected part of teachers and rows is solved on its own: a part of one row by
an exact dynamic programme (`_single_row`), the others as a CP-SAT model written straight into
its proto (`_part_model`). Teachers alike in everything the model sees who serve one row each
are counted per (row, periods), not named; the others have variables of their own.

When every group's 走教 stays inside the group (`local_scope`, the default), `solve()` plans each
component's 走教 in the component's own task, right after its rotations; otherwise after every
component, the parts in the worker pool when there are many (`POOL_ARCS`).

Why a second stage and not one model with the rotations (`solvers.itinerant_joint`, measured):
BENCHMARKS.md, 走教 (issue 17).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from models.district import District
from models.entities import ItinerantDemand, Teacher
from models.itinerant import (
    ItinerantAssignment,
    assignment,
    policy_of,
    present_schools,
    refusal,
    school_km,
    spare_periods,
)
from models.objective import itinerant_terms
from models.plan import Plan, SolveOptions, SolveResult, StartMethod
from models.vocab import ItinerantScope
from solvers.parallel import _paused_cycle_collection, run_tasks, worker_count
from solvers.sat import SatModel

#: Below this many arcs (teacher, row) the stage runs in this process: starting the pool
#: (forking a process that holds the district) costs more than the second core saves. The
#: benchmark's 5,380 arcs: 0.49 s in one process against 0.69 s in two (medians of 6, load 3.6).
POOL_ARCS = 20_000


@dataclass
class ItinerantResult:
    """The assignments of the plan year, and how the search went."""

    status: str  # optimal / feasible / unknown
    assignments: list[ItinerantAssignment]
    uncovered: dict[tuple[str, str], int] = field(default_factory=dict)
    build_seconds: float = 0.0
    solve_seconds: float = 0.0


def plan_itinerant(
    district: District,
    plan: Plan,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    processes: int = 1,
    pool_from: int = 0,
    method: StartMethod = "auto",
    group_ids: list[str] | None = None,
) -> ItinerantResult:
    """The 走教 assignments for the plan year, given the rotation plan (with `group_ids`: the
    rows at those groups' schools only, given their rotations; see `local_scope`).

    Rows and teachers fall apart into independent parts (a row only reaches teachers of its
    subject, within the group or distance): each connected part is its own small model, and a
    row nobody can reach stays uncovered without one. With `processes` > 1 and at least
    `pool_from` arcs (teacher, row) the parts are solved in that many worker processes
    (largest first); the result is the same.

    The cycle collector is paused meanwhile: the stage makes some 10⁵ short-lived objects,
    and each full collection walks the district's as well (0.425 → 0.389 s of CPU on the
    benchmark, medians of 5)."""
    with _paused_cycle_collection():
        return _plan_itinerant(
            district, plan, time_limit, workers, processes, pool_from, method, group_ids
        )


def _plan_itinerant(
    district: District,
    plan: Plan,
    time_limit: float,
    workers: int,
    processes: int,
    pool_from: int,
    method: StartMethod,
    group_ids: list[str] | None,
) -> ItinerantResult:
    start = time.perf_counter()
    rows = list(district.itinerant_demand)
    only: set[int] | None = None
    if group_ids is None:
        teachers: list[Teacher] = list(district.teachers)
        present = present_schools(district, plan)
    else:
        schools = {s.school_id for g in group_ids for s in district.schools_of(g)}
        only = {i for i, row in enumerate(rows) if row.school_id in schools}
        teachers = _teachers_at(district, schools)
        hosts = {r.teacher_id: r.to_school_id for r in plan.rotations}
        standing = _standing(district)
        present = {
            t.teacher_id: hosts.get(t.teacher_id) or standing[t.teacher_id] for t in teachers
        }
    arcs = _arcs(district, rows, present, teachers, only)
    parts = _parts(arcs)
    built = time.perf_counter()
    outcomes: dict[int, _PartOutcome] = {}

    def done(outcome: tuple[int, _PartOutcome]) -> None:
        outcomes[outcome[0]] = outcome[1]

    run_tasks(
        _part_task,
        (district, rows, present, time_limit, workers),
        list(enumerate(parts)),
        done,
        workers=processes if len(parts) > 1 and len(arcs) >= pool_from else 1,
        first=sorted(range(len(parts)), key=lambda n: -len(parts[n])),
        method=method,
    )
    seconds = time.perf_counter() - built
    if any(found is None for found, _left, _ok in outcomes.values()):
        return ItinerantResult("unknown", [], build_seconds=built - start, solve_seconds=seconds)
    chosen = [a for found, _left, _ok in outcomes.values() for a in found or ()]
    chosen.sort(key=lambda a: (a.to_school_id, a.subject, a.teacher_id))
    left = {key: n for _found, short, _ok in outcomes.values() for key, n in short.items()}
    covered_rows = {i for part in parts for _t, i in part}
    missing: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        if only is not None and i not in only:
            continue
        key = (row.school_id, row.subject)
        if i not in covered_rows:
            missing[key] = row.periods
        elif left.get(key):
            missing[key] = left[key]
    proven = all(ok for _found, _left, ok in outcomes.values())
    return ItinerantResult(
        "optimal" if proven else "feasible",
        chosen,
        missing,
        build_seconds=built - start,
        solve_seconds=seconds,
    )


_PartOutcome = tuple[list[ItinerantAssignment] | None, dict[tuple[str, str], int], bool]


def _part_task(
    shared: tuple[District, list[ItinerantDemand], dict[str, str], float, int],
    job: tuple[int, dict[tuple[str, int], int]],
) -> tuple[int, _PartOutcome]:
    """One part, in a worker process or here (module-level: spawn pickles it by name)."""
    district, rows, present, time_limit, workers = shared
    index, arcs = job
    return index, _solve_part(district, rows, arcs, present, time_limit, workers)


def _arcs(
    district: District,
    rows: list[ItinerantDemand],
    present: dict[str, str],
    teachers: list[Teacher] | None = None,
    only: set[int] | None = None,
) -> dict[tuple[str, int], int]:
    """(teacher, row) → 0.1 km one way, for every teacher who may cover the row (of
    `teachers`, by default all; of the rows numbered in `only`, by default all).

    `refusal` reads of a teacher only the subject, the teaching stage, whether deferred, whether
    any spare periods, the present school and the (home) group's policy: it is asked once per
    such kind of teacher and row, and the km once per pair of schools."""
    demanded = {row.subject for row in rows}
    kinds: dict[tuple[object, ...], list[Teacher]] = {}
    for t in district.teachers if teachers is None else teachers:
        if t.subject not in demanded:
            continue
        status = district.status(t.teacher_id)
        key = (
            t.subject,
            status.teaching_stage,
            t.deferral is None,
            spare_periods(district, t) > 0,
            present[t.teacher_id],
            status.group_id,
        )
        kinds.setdefault(key, []).append(t)
    by_subject: defaultdict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if only is None or i in only:
            by_subject[row.subject].append(i)
    row_group = [district.school(row.school_id).group_id for row in rows]
    km: dict[tuple[str, str], int] = {}
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for members in kinds.values():
        first = members[0]
        here = present[first.teacher_id]
        candidates = by_subject[first.subject]
        if policy_of(district, first.teacher_id).itinerant_scope == ItinerantScope.GROUP:
            # refusal would say 不在同一集团 to the others: ask it only about these
            group = district.school(here).group_id
            candidates = [i for i in candidates if row_group[i] == group]
        for i in candidates:
            if refusal(district, first, here, rows[i]) is not None:
                continue
            there = rows[i].school_id
            if (here, there) not in km:
                one_way = school_km(district, here, there)
                km[here, there] = 0 if one_way is None else int(one_way * 10)
            found[i] += [(t.teacher_id, km[here, there]) for t in members]
    # rows in input order, each row's teachers in the district's order (as teacher by teacher)
    order = district.memo("teacher_order", _teacher_order)
    return {
        (tid, i): tenths
        for i in sorted(found)
        for tid, tenths in sorted(found[i], key=lambda x: order[x[0]])
    }


def _teacher_order(district: District) -> dict[str, int]:
    return {t.teacher_id: n for n, t in enumerate(district.teachers)}


def _standing(district: District) -> dict[str, str]:
    """Where each teacher is in the plan year unless the plan moves them (once per district)."""
    return district.memo(
        "standing_schools", lambda d: present_schools(d, Plan(plan_year=d.plan_year))
    )


def _teachers_at(district: District, schools: set[str]) -> list[Teacher]:
    """Teachers who may teach at one of `schools` in the plan year: those at home there, and
    those a running rotation keeps there."""
    standing = _standing(district)
    found = [t for s in sorted(schools) for t in district.teachers_of_school(s)]
    homes = {t.teacher_id for t in found}
    found += [
        district.teacher(o.teacher_id)
        for o in district.ongoing
        if o.to_school_id in schools
        and o.teacher_id not in homes
        and standing[o.teacher_id] == o.to_school_id
    ]
    return found


def local_scope(district: District) -> bool:
    """Whether 走教 may be planned component by component, each right after its own rotations
    (in the same task of the worker pool, `solvers.solve`): every group's itinerant_scope is
    group, so a row is reached only from schools of its own group, by teachers whose place
    that year only that component's rotations decide (or none: the standing school)."""
    return bool(district.itinerant_demand) and all(
        district.policy.for_group(g.group_id).itinerant_scope == ItinerantScope.GROUP
        for g in district.groups
    )


def combined(results: list[ItinerantResult]) -> ItinerantResult:
    """The 走教 of every component as one result (each planned with its own rotations)."""
    statuses = {r.status for r in results}
    status = (
        "unknown" if "unknown" in statuses else "feasible" if "feasible" in statuses else "optimal"
    )
    chosen = [a for r in results for a in r.assignments]
    chosen.sort(key=lambda a: (a.to_school_id, a.subject, a.teacher_id))
    return ItinerantResult(
        status,
        chosen if status != "unknown" else [],
        {key: n for r in results for key, n in r.uncovered.items()},
        build_seconds=sum(r.build_seconds for r in results),
        solve_seconds=sum(r.solve_seconds for r in results),
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


@dataclass(frozen=True)
class _Kind:
    """All the model sees of a teacher: the rows within reach (row, 0.1 km one way), spare
    periods, backbone or not, and the home group's periods per trip and school limit."""

    arcs: tuple[tuple[int, int], ...]
    spare: int
    backbone: bool
    per_trip: int
    max_schools: int

    @property
    def single(self) -> bool:
        """Whether a teacher of this kind serves at most one row (then its cost is a sum over
        (row, periods) choices, and interchangeable teachers can be counted, not named)."""
        return self.max_schools == 1 or len(self.arcs) == 1


def _kinds(district: District, arcs: dict[tuple[str, int], int]) -> dict[_Kind, list[str]]:
    """The part's teachers by kind, each kind's teachers in their first arc's order, the kinds
    in the order of their first teacher."""
    by_teacher: dict[str, list[tuple[int, int]]] = {}
    for (tid, i), tenths in arcs.items():
        by_teacher.setdefault(tid, []).append((i, tenths))
    kinds: dict[_Kind, list[str]] = {}
    for tid, reach in by_teacher.items():
        teacher = district.teacher(tid)
        policy = policy_of(district, tid)
        kind = _Kind(
            tuple(sorted(reach)),
            spare_periods(district, teacher),
            teacher.is_backbone,
            policy.itinerant_periods_per_trip,
            policy.itinerant_max_schools,
        )
        kinds.setdefault(kind, []).append(tid)
    return kinds


@dataclass(frozen=True)
class _Costs:
    """The weighted 走教 terms of one choice, in the model's units (0.1 km of travel; ×10 for
    backbone periods and squared loads, so that the three weights stay integers)."""

    travel: int
    backbone: int
    even: int
    weak: dict[int, bool]  # whether the school of each of the part's rows is weak

    @classmethod
    def of(cls, district: District, rows: list[ItinerantDemand], part: list[int]) -> _Costs:
        weights = district.policy.district
        return cls(
            weights.weight_itinerant_travel,
            10 * weights.weight_itinerant_backbone_to_weak,
            10 * weights.weight_itinerant_even_load,
            {i: district.school(rows[i].school_id).weak for i in part},
        )

    def unit(self, kind: _Kind, i: int, tenths: int, q: int) -> int:
        """One teacher of `kind` giving row i q periods, alone: travel by its trips, the square
        of the load, minus the backbone periods at a weak school."""
        cost = self.even * q * q + self.travel * 2 * tenths * -(-q // kind.per_trip)
        if kind.backbone and self.weak[i]:
            cost -= self.backbone * q
        return cost

    def worst(self, kind: _Kind) -> int:
        """The most one teacher of `kind` can add to the weighted terms, or take off."""
        travel = max(tenths * -(-kind.spare // kind.per_trip) for _i, tenths in kind.arcs)
        extra = self.backbone * kind.spare if kind.backbone else 0
        return self.even * kind.spare**2 + self.travel * 2 * travel + extra


def _solve_part(
    district: District,
    rows: list[ItinerantDemand],
    arcs: dict[tuple[str, int], int],
    present: dict[str, str],
    time_limit: float,
    workers: int,
) -> _PartOutcome:
    """One part, lexicographically: fewest uncovered periods, then the weighted 走教 terms.
    (assignments or None when no solution was found, uncovered periods per row, proven).

    A part of one row is a knapsack over its teachers, solved exactly by a dynamic programme
    (`_single_row`); the others are a CP-SAT model each (`_part_model`)."""
    part = sorted({i for _t, i in arcs})
    costs = _Costs.of(district, rows, part)
    kinds = _kinds(district, arcs)
    if len(part) == 1:
        row = rows[part[0]]
        given, left = _single_row(row.periods, kinds, costs)
        empty = Plan(plan_year=district.plan_year)
        chosen = [assignment(district, empty, tid, row, q, present[tid]) for tid, _i, q in given]
        return chosen, {(row.school_id, row.subject): left} if left else {}, True
    return _part_model(district, rows, kinds, costs, present, time_limit, workers)


def _single_row(
    periods: int, kinds: dict[_Kind, list[str]], costs: _Costs
) -> tuple[list[tuple[str, int, int]], int]:
    """The lexicographic optimum of a part with one row: ((teacher, row, periods) given, periods
    left uncovered).

    Each teacher gives the row 0..min(spare, periods) periods at that choice's own cost (not
    convex: trips step up), so this is a knapsack: best[j] is the least cost of giving exactly
    j periods with the teachers so far, one teacher at a time; the answer is the largest
    reachable j at its least cost. A kind needs no more members than the row has periods (each
    member used gives one at least). Exact, like CP-SAT on the same part (a test compares
    them); ties keep the earlier teachers' smaller choices, so it is deterministic."""
    best: list[int | None] = [0] + [None] * periods
    steps: list[tuple[_Kind, list[int]]] = []
    for kind in kinds:
        ((i, tenths),) = kind.arcs
        cap = min(kind.spare, periods)
        unit = [0] + [costs.unit(kind, i, tenths, q) for q in range(1, cap + 1)]
        for _n in range(min(len(kinds[kind]), periods)):
            new = list(best)
            took = [0] * (periods + 1)
            for j in range(1, periods + 1):
                for q in range(1, min(cap, j) + 1):
                    before = best[j - q]
                    if before is not None:
                        value = before + unit[q]
                        current = new[j]
                        if current is None or value < current:
                            new[j] = value
                            took[j] = q
            steps.append((kind, took))
            best = new
    j = max(n for n, value in enumerate(best) if value is not None)
    left = periods - j
    by_kind: dict[_Kind, list[int]] = defaultdict(list)
    for kind, took in reversed(steps):
        if took[j]:
            by_kind[kind].append(took[j])
            j -= took[j]
    given = []
    for kind, members in kinds.items():
        ((i, _tenths),) = kind.arcs
        for tid, q in zip(members, sorted(by_kind.get(kind, [])), strict=False):
            given.append((tid, i, q))
    return given, left


class ProtoWriter:
    """A CP-SAT model written straight into its proto, variables by index: building the 107
    models of the benchmark through CpModel's expressions was half the 走教 stage. Writes into
    `model` when given (the joint model adds 走教 to a rotation model)."""

    def __init__(self, model: cp_model.CpModel | None = None) -> None:
        self.model = model if model is not None else SatModel()
        self.proto = self.model.proto
        self.size = len(self.proto.variables)

    def var(self, low: int, high: int) -> int:
        self.proto.variables.add().domain.extend([low, high])
        self.size += 1
        return self.size - 1

    def linear(self, variables: list[int], coefficients: list[int], low: int, high: int) -> None:
        """low ≤ Σ coefficient × variable ≤ high."""
        c = self.proto.constraints.add().linear
        c.vars.extend(variables)
        c.coeffs.extend(coefficients)
        c.domain.extend([low, high])

    def implies(self, a: int, b: int) -> None:
        """Boolean a ⇒ Boolean b."""
        c = self.proto.constraints.add()
        c.enforcement_literal.append(a)
        c.bool_and.literals.append(b)

    def minimize(self, variables: list[int], coefficients: list[int], offset: int = 0) -> None:
        """Σ coefficient × variable + offset, as the only objective."""
        self.proto.clear_objective()
        self.proto.clear_floating_point_objective()
        self.proto.objective.vars.extend(variables)
        self.proto.objective.coeffs.extend(coefficients)
        self.proto.objective.offset = offset


def _part_model(
    district: District,
    rows: list[ItinerantDemand],
    kinds: dict[_Kind, list[str]],
    costs: _Costs,
    present: dict[str, str],
    time_limit: float,
    workers: int,
) -> _PartOutcome:
    """A part of several rows as one CP-SAT model.

    Interchangeable teachers (the same `_Kind`) who serve at most one row each are one integer
    per (row, periods): how many of them give that row that many periods, each choice with its
    exact cost (travel by its trips, backbone periods, the square of the load). Teachers who may
    serve several rows keep variables of their own, their squared load a sum of increments
    1, 3, 5, … (convex: the cheapest come first). The uncovered periods weigh more than the rest
    can ever differ by, so one solve is the lexicographic optimum."""
    m = ProtoWriter()
    by_row: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    cost_vars: list[int] = []
    cost_coeffs: list[int] = []
    spread = 0  # how far the weighted terms can differ between two solutions, at most
    counted: list[tuple[list[str], list[tuple[int, int, int]]]] = []
    named: list[tuple[str, int, int]] = []
    for kind, members in kinds.items():
        if kind.single:
            choices = []
            for i, tenths in kind.arcs:
                into = by_row[i]
                for q in range(1, min(kind.spare, rows[i].periods) + 1):
                    x = m.var(0, len(members))
                    into[0].append(x)
                    into[1].append(q)
                    cost_vars.append(x)
                    cost_coeffs.append(costs.unit(kind, i, tenths, q))
                    choices.append((i, q, x))
            m.linear([x for _i, _q, x in choices], [1] * len(choices), 0, len(members))
            counted.append((members, choices))
            spread += len(members) * costs.worst(kind)
            continue
        for tid in members:
            ys = []
            load = []
            for i, tenths in kind.arcs:
                cap = min(kind.spare, rows[i].periods)
                p, y, trips = m.var(0, cap), m.var(0, 1), m.var(0, cap)
                named.append((tid, i, p))
                m.linear([p, y], [1, -cap], -cap, 0)  # p ≤ cap × y
                m.linear([p, y], [1, -1], 0, cap)  # p ≥ y
                m.linear([trips, p], [kind.per_trip, -1], 0, kind.per_trip * cap)
                by_row[i][0].append(p)
                by_row[i][1].append(1)
                cost_vars.append(trips)
                cost_coeffs.append(costs.travel * 2 * tenths)
                if kind.backbone and costs.weak[i]:
                    cost_vars.append(p)
                    cost_coeffs.append(-costs.backbone)
                ys.append(y)
                load.append(p)
                spread += costs.travel * 2 * tenths * -(-cap // kind.per_trip)
            m.linear(ys, [1] * len(ys), 0, kind.max_schools)
            steps = [m.var(0, 1) for _k in range(kind.spare)]
            m.linear(steps + load, [1] * len(steps) + [-1] * len(load), 0, 0)
            for lower, upper in pairwise(steps):
                m.implies(upper, lower)
            cost_vars += steps
            cost_coeffs += [costs.even * (2 * k - 1) for k in range(1, kind.spare + 1)]
            spread += costs.even * kind.spare**2
            spread += costs.backbone * kind.spare if kind.backbone else 0
    short = {}
    for i in sorted(by_row):
        variables, coefficients = by_row[i]
        u = short[i] = m.var(0, rows[i].periods)
        m.linear([*variables, u], [*coefficients, 1], rows[i].periods, rows[i].periods)
    m.minimize(list(short.values()) + cost_vars, [spread + 1] * len(short) + cost_coeffs)
    solver = _solver(time_limit, workers)
    if not named:
        # Counts only: a small integer program whose LP is nearly tight. Presolve costs more
        # than it saves here (0.41 s against 1.05 s of solving for the 107 parts of the
        # benchmark, both proven optimal); the LP constraints all in from the start; no
        # probing (the 89 multi-row parts 0.39-0.45 → 0.29-0.33 s of CPU, all proven).
        solver.parameters.cp_model_presolve = False
        solver.parameters.add_lp_constraints_lazily = False
        solver.parameters.cp_model_probing_level = 0
    code = solver.solve(m.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, {}, False
    value = list(solver.response_proto.solution)
    empty = Plan(plan_year=district.plan_year)
    chosen = []
    for members, choices in counted:
        given = iter(members)
        for i, q, x in choices:
            for _n in range(value[x]):
                tid = next(given)
                chosen.append(assignment(district, empty, tid, rows[i], q, present[tid]))
    for tid, i, p in named:
        if value[p] > 0:
            chosen.append(assignment(district, empty, tid, rows[i], value[p], present[tid]))
    missing = {(rows[i].school_id, rows[i].subject): value[u] for i, u in short.items() if value[u]}
    return chosen, missing, code == cp_model.OPTIMAL


def with_itinerant(
    district: District,
    result: SolveResult,
    options: SolveOptions,
    found: ItinerantResult | None = None,
) -> SolveResult:
    """A solved rotation result with its 走教 planned (the plan's `itinerant`), the 走教 terms
    added to its objective and bound, and the stage's time added to build, solve and wall.
    Unchanged when the district has no 走教需求 or no plan was found. `found`: the 走教 already
    planned with the components (`local_scope`; its time is in the result's wall already, and
    `itinerant_seconds` is then the sum of the components' 走教 seconds)."""
    if not district.itinerant_demand or result.status not in ("optimal", "feasible"):
        return result
    start = time.perf_counter()
    earlier = 0.0
    if found is None:
        found = plan_itinerant(
            district,
            result.plan,
            time_limit=options.time_limit,
            processes=worker_count(options.workers, len(district.itinerant_demand)),
            pool_from=POOL_ARCS,
            method=options.start_method,
        )
    else:
        earlier = found.build_seconds + found.solve_seconds
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
            "itinerant_seconds": earlier + time.perf_counter() - start,
        }
    )


def _solver(time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver
