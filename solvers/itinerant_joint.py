"""走教 in one CP-SAT model with the rotations (issue 17 item 4): the alternative to the second
stage (`solvers.itinerant`), built to measure the two against each other. Not what `solve()`
does: BENCHMARKS.md, 走教 (issue 17), says why.

Each component's rotation model (`solvers.sat.SatBuilder`, every rotation rule as in a plan) gets
the 走教 of its rows. Where a teacher is that year is no longer known: at the standing school
(home, or the host of a running rotation) unless the model moves them, else at the chosen host.
Teachers alike in everything 走教 sees (subject, stage, deferral, spare periods, backbone, home
group and standing school) form a kind; how many of a kind are at a school is a sum of its
members' move variables, and — as in the second stage — those who serve one row each are counted
per (location, row, periods), each count with its exact cost. Teachers who may serve several rows
keep variables of their own per (location, row), allowed only while they are there.

The objective is the second stage's order made one: fewest uncovered periods first (weighted
above the most everything else can differ by), then the rotation objective and the 走教 terms
together, in the 走教 model's units (0.1 km of travel, ×10 for backbone periods and squared
loads; the rotation objective ×10 to match). With itinerant_scope = group 走教 stays inside a
group, so the components are the rotation model's; any group with scope district joins every
group into one model.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from models.district import District
from models.entities import Teacher
from models.itinerant import (
    assignment,
    policy_of,
    present_schools,
    refusal,
    school_km,
    spare_periods,
)
from models.objective import evaluate, fair_outflow, seniority_ranks
from models.plan import (
    ItinerantAssignment,
    NewRotation,
    Plan,
    PlanStatus,
    SolveOptions,
    SolveResult,
    returns_of,
)
from models.vocab import ItinerantScope
from solvers.components import components, largest_first
from solvers.itinerant import ProtoWriter, _Costs, _Kind
from solvers.parallel import run_tasks, worker_count
from solvers.sat import SatBuilder, chosen_rotations, sat_parameters
from solvers.status import sat_status, worst_status

#: The rotation objective's points against the 走教 model's units (0.1 km, ×10 periods).
ROTATION_SCALE = 10


@dataclass
class JointOutcome:
    """One component's rotations and 走教 assignments."""

    index: int
    status: PlanStatus
    rotations: list[NewRotation] = field(default_factory=list)
    assignments: list[ItinerantAssignment] = field(default_factory=list)
    time_limit_hit: bool = False
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    variables: int = 0


def joint_components(district: District) -> list[list[str]]:
    """The rotation model's components, or every group in one when any group's 走教 reaches
    the whole district (itinerant_scope = district links them)."""
    parts = components(district)
    scopes = {district.policy.for_group(g.group_id).itinerant_scope for g in district.groups}
    if ItinerantScope.DISTRICT in scopes and len(parts) > 1:
        return [[g for part in parts for g in part]]
    return parts


def solve_joint(district: District, options: SolveOptions | None = None) -> SolveResult:
    """Rotations and 走教 of the plan year, one CP-SAT model per component. No explanations
    or --relax here (the second stage's `solve()` has them)."""
    options = options or SolveOptions()
    start = time.perf_counter()
    parts = joint_components(district)
    seniority_ranks(district), fair_outflow(district)  # once, shared by every component
    standing = present_schools(district, Plan(plan_year=district.plan_year))
    outcomes: list[JointOutcome] = []
    run_tasks(
        _component_task,
        (district, options, standing),
        list(enumerate(parts)),
        outcomes.append,
        workers=worker_count(options.workers, len(parts)),
        first=largest_first(district, parts),
        method=options.start_method,
    )
    outcomes.sort(key=lambda o: o.index)
    status = worst_status(o.status for o in outcomes)
    solved = status in ("optimal", "feasible")
    assignments = sorted(
        (a for o in outcomes for a in o.assignments),
        key=lambda a: (a.to_school_id, a.subject, a.teacher_id),
    )
    plan = Plan(
        plan_year=district.plan_year,
        rotations=tuple(r for o in outcomes for r in o.rotations) if solved else (),
        returns=returns_of(district),
        itinerant=tuple(assignments) if solved else (),
    )
    terms = evaluate(district, plan) if solved else {}
    objective = sum(terms.values()) if solved else None
    return SolveResult(
        status=status,
        plan=plan,
        objective=objective,
        best_bound=objective if status == "optimal" else None,
        terms=terms,
        components=len(outcomes),
        time_limit_hit=any(o.time_limit_hit for o in outcomes),
        build_seconds=sum(o.build_seconds for o in outcomes),
        solve_seconds=sum(o.solve_seconds for o in outcomes),
        wall_seconds=time.perf_counter() - start,
    )


def _component_task(
    shared: tuple[District, SolveOptions, dict[str, str]], job: tuple[int, list[str]]
) -> JointOutcome:
    """One component, in a worker process or here (module-level: spawn pickles it by name)."""
    district, options, standing = shared
    index, group_ids = job
    return solve_joint_component(district, index, group_ids, options, standing)


def solve_joint_component(
    district: District,
    index: int,
    group_ids: list[str],
    options: SolveOptions,
    standing: dict[str, str],
) -> JointOutcome:
    """Build and solve one component's joint model."""
    start = time.perf_counter()
    b = SatBuilder(district, group_ids)
    b.constraints()
    rotation = b.objective_terms()
    writer = ProtoWriter(b.m)
    itinerant = _ItinerantPart(district, b, writer, standing)
    itinerant.build()
    # Minimise: weight × uncovered + 走教 terms − ROTATION_SCALE × rotation objective.
    proto = writer.proto
    rotation_spread = 0
    for var, coef in zip(rotation.indices, rotation.coefficients, strict=True):
        domain = list(proto.variables[var].domain)
        rotation_spread += abs(coef) * (domain[-1] - domain[0])
    weight = itinerant.spread + ROTATION_SCALE * rotation_spread + 1
    short = list(itinerant.short.values())
    writer.minimize(
        short + itinerant.cost_vars + rotation.indices,
        [weight] * len(short)
        + itinerant.cost_coeffs
        + [-ROTATION_SCALE * c for c in rotation.coefficients],
        -ROTATION_SCALE * rotation.offset,
    )
    built = time.perf_counter()
    solver = sat_parameters(options)
    code = solver.solve(b.m)
    outcome = JointOutcome(
        index=index,
        status=sat_status(code),
        time_limit_hit=code in (cp_model.FEASIBLE, cp_model.UNKNOWN),
        build_seconds=built - start,
        solve_seconds=time.perf_counter() - built,
        variables=writer.size,
    )
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        outcome.rotations = chosen_rotations(district, b.arcs, b.x, solver)
        outcome.assignments = itinerant.read(list(solver.response_proto.solution))
    return outcome


@dataclass
class _JointKind:
    """Teachers alike in all 走教 sees, at one standing school; `moves[tid]`: each member's
    (host, index of the move's variable in the proto) in the rotation model."""

    members: list[str]
    spare: int
    backbone: bool
    per_trip: int
    max_schools: int
    standing: str
    first: Teacher
    moves: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class _ItinerantPart:
    """The 走教 variables and constraints of one component, added to its rotation model."""

    def __init__(
        self, district: District, b: SatBuilder, writer: ProtoWriter, standing: dict[str, str]
    ) -> None:
        self.d = district
        self.b = b
        self.w = writer
        self.standing = standing
        self.rows = list(district.itinerant_demand)
        self.part = [i for i, r in enumerate(self.rows) if r.school_id in b.school_ids]
        self.costs = _Costs.of(district, self.rows, self.part)
        self.by_row: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        self.cost_vars: list[int] = []
        self.cost_coeffs: list[int] = []
        self.spread = 0
        self.short: dict[int, int] = {}
        #: counted: (kind, location, [(row, periods, count variable)])
        self.counted: list[tuple[_JointKind, str, list[tuple[int, int, int]]]] = []
        #: named: (teacher, location, row, periods variable)
        self.named: list[tuple[str, str, int, int]] = []
        self._reach: dict[tuple[object, ...], list[tuple[int, int]]] = {}

    def kinds(self) -> list[_JointKind]:
        """The component's teachers of a demanded subject, by kind, in the district's order."""
        subjects = {self.rows[i].subject for i in self.part}
        x = self.b.x
        kinds: dict[tuple[object, ...], _JointKind] = {}
        for t in self.d.teachers:
            tid = t.teacher_id
            if t.subject not in subjects:
                continue
            arcs = self.b.by_teacher.get(tid, [])
            here = self.standing[tid]
            if not arcs and here not in self.b.school_ids:
                continue
            status = self.d.status(tid)
            policy = policy_of(self.d, tid)
            spare = spare_periods(self.d, t)
            key = (
                t.subject,
                status.teaching_stage,
                t.deferral is None,
                spare,
                t.is_backbone,
                status.group_id,
                here,
            )
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = _JointKind(
                    [],
                    spare,
                    t.is_backbone,
                    policy.itinerant_periods_per_trip,
                    policy.itinerant_max_schools,
                    here,
                    t,
                )
            kind.members.append(tid)
            kind.moves[tid] = [(self.b.arcs[a].host.school_id, x[a].index) for a in arcs]
        return list(kinds.values())

    def reach(self, kind: _JointKind, location: str) -> list[tuple[int, int]]:
        """(row, 0.1 km one way) of the component's rows a teacher of `kind` at `location`
        may cover."""
        t = kind.first
        key = (
            t.subject,
            self.d.status(t.teacher_id).teaching_stage,
            t.deferral is None,
            kind.spare > 0,
            self.d.status(t.teacher_id).group_id,
            location,
        )
        if key not in self._reach:
            found = []
            for i in self.part:
                row = self.rows[i]
                if row.subject == t.subject and refusal(self.d, t, location, row) is None:
                    km = school_km(self.d, location, row.school_id)
                    found.append((i, 0 if km is None else int(km * 10)))
            self._reach[key] = found
        return self._reach[key]

    def build(self) -> None:
        for kind in self.kinds():
            hosts = sorted({host for moves in kind.moves.values() for host, _x in moves})
            places = [kind.standing, *hosts]
            reach = {place: self.reach(kind, place) for place in places}
            reach = {place: arcs for place, arcs in reach.items() if arcs}
            if not reach:
                continue
            rows = {i for arcs in reach.values() for i, _t in arcs}
            every = tuple(sorted({arc for arcs in reach.values() for arc in arcs}))
            whole = _Kind(every, kind.spare, kind.backbone, kind.per_trip, kind.max_schools)
            if kind.max_schools == 1 or len(rows) == 1:
                self.counts(kind, reach)
                self.spread += len(kind.members) * self.costs.worst(whole)
            else:
                for tid in kind.members:
                    self.teacher(kind, tid, reach)
        for i in self.part:
            variables, coefficients = self.by_row[i]
            periods = self.rows[i].periods
            u = self.short[i] = self.w.var(0, periods)
            self.w.linear([*variables, u], [*coefficients, 1], periods, periods)

    def counts(self, kind: _JointKind, reach: dict[str, list[tuple[int, int]]]) -> None:
        """Members of `kind` at each place, counted per (row, periods)."""
        for place, arcs in reach.items():
            if place == kind.standing:
                moving = [x for moves in kind.moves.values() for _h, x in moves]
                bound = len(kind.members)
            else:
                moving = [x for moves in kind.moves.values() for h, x in moves if h == place]
                bound = len(moving)
            if bound == 0:
                continue
            shape = _Kind(tuple(arcs), kind.spare, kind.backbone, kind.per_trip, 1)
            choices = []
            for i, tenths in arcs:
                for q in range(1, min(kind.spare, self.rows[i].periods) + 1):
                    c = self.w.var(0, bound)
                    self.by_row[i][0].append(c)
                    self.by_row[i][1].append(q)
                    self.cost_vars.append(c)
                    self.cost_coeffs.append(self.costs.unit(shape, i, tenths, q))
                    choices.append((i, q, c))
            counts = [c for _i, _q, c in choices]
            if place == kind.standing:  # Σ counts ≤ members − those who move away
                self.w.linear(counts + moving, [1] * (len(counts) + len(moving)), 0, bound)
            else:  # Σ counts ≤ those who move here
                self.w.linear(counts + moving, [1] * len(counts) + [-1] * len(moving), -bound, 0)
            self.counted.append((kind, place, choices))

    def teacher(self, kind: _JointKind, tid: str, reach: dict[str, list[tuple[int, int]]]) -> None:
        """One teacher who may serve several rows: periods per (place, row), allowed only while
        the teacher is at that place."""
        moves = kind.moves[tid]
        there: dict[str, list[int]] = defaultdict(list)  # place → the literals "is there"
        for host, x in moves:
            there[host].append(x)
        if moves and kind.standing in reach:  # "stays": 1 − Σ moves
            stay = self.w.var(0, 1)
            xs = [x for _h, x in moves]
            self.w.linear([stay, *xs], [1] * (len(xs) + 1), 1, 1)
            there[kind.standing] = [stay]
        ys: list[int] = []
        load: list[int] = []
        for place, arcs in reach.items():
            where = there.get(place, [])
            if place != kind.standing and not where:
                continue
            shape = _Kind(tuple(arcs), kind.spare, kind.backbone, kind.per_trip, kind.max_schools)
            for i, tenths in arcs:
                cap = min(kind.spare, self.rows[i].periods)
                p, y, trips = self.w.var(0, cap), self.w.var(0, 1), self.w.var(0, cap)
                self.named.append((tid, place, i, p))
                self.w.linear([p, y], [1, -cap], -cap, 0)  # p ≤ cap × y
                self.w.linear([p, y], [1, -1], 0, cap)  # p ≥ y
                if where:  # y ≤ there (always there: the standing school of one who stays)
                    self.w.linear([y, *where], [1] + [-1] * len(where), -len(where), 0)
                self.w.linear([trips, p], [kind.per_trip, -1], 0, kind.per_trip * cap)
                self.by_row[i][0].append(p)
                self.by_row[i][1].append(1)
                self.cost_vars.append(trips)
                self.cost_coeffs.append(self.costs.travel * 2 * tenths)
                if kind.backbone and self.costs.weak[i]:
                    self.cost_vars.append(p)
                    self.cost_coeffs.append(-self.costs.backbone)
                ys.append(y)
                load.append(p)
                self.spread += self.costs.travel * 2 * tenths * -(-cap // shape.per_trip)
        self.w.linear(ys, [1] * len(ys), 0, kind.max_schools)
        steps = [self.w.var(0, 1) for _k in range(kind.spare)]
        self.w.linear(steps + load, [1] * len(steps) + [-1] * len(load), 0, 0)
        for lower, upper in pairwise(steps):
            self.w.implies(upper, lower)
        self.cost_vars += steps
        self.cost_coeffs += [self.costs.even * (2 * k - 1) for k in range(1, kind.spare + 1)]
        self.spread += self.costs.even * kind.spare**2
        self.spread += self.costs.backbone * kind.spare if kind.backbone else 0

    def read(self, value: list[int]) -> list[ItinerantAssignment]:
        """The assignments of a solution: counts handed to the members at each place, in
        their order."""
        empty = Plan(plan_year=self.d.plan_year)
        chosen = []
        for kind, place, choices in self.counted:
            if place == kind.standing:
                here = [
                    tid for tid in kind.members if not any(value[x] for _h, x in kind.moves[tid])
                ]
            else:
                here = [
                    tid
                    for tid in kind.members
                    if any(value[x] for h, x in kind.moves[tid] if h == place)
                ]
            given = iter(here)
            for i, q, c in choices:
                for _n in range(value[c]):
                    chosen.append(assignment(self.d, empty, next(given), self.rows[i], q, place))
        for tid, place, i, p in self.named:
            if value[p] > 0:
                chosen.append(assignment(self.d, empty, tid, self.rows[i], value[p], place))
        return chosen
