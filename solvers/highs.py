"""The MIP peer of the benchmark: the very model CP-SAT solves, handed to HiGHS.

`to_mip` translates a built CP-SAT model generically — integer variables with their domains,
linear constraints (an enforcement literal becomes a big-M term from the variables' bounds),
at_most_one / exactly_one / bool_or / enforced bool_and, and the linear objective — into an
OR-Tools `pywraplp` model for HiGHS (shipped inside OR-Tools, so no new dependency). Nothing
is re-derived from the district, so both solvers see the same formulation by construction.
The planner itself never uses this module: it exists so that `rotation bench` can compare
CP-SAT against a strong MIP solver on the same instance, per group and monolithically.

HiGHS runs with a relative gap of 0 on one thread (`HIGHS_OPTIONS`). OR-Tools' bridge returns
a solution only when HiGHS reports optimality, with the objective as its bound: so "optimal"
here means proven to HiGHS's absolute gap (1e-6), and a time limit leaves status "unknown".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from models.district import District
from models.objective import fair_outflow, seniority_ranks
from models.plan import PlanStatus, StartMethod
from solvers.components import components, largest_first
from solvers.parallel import run_tasks, worker_count
from solvers.sat import SatBuilder
from solvers.status import mip_status, worst_status

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: The same four words as a plan's status (solvers.status maps HiGHS's codes to them).
MipStatus = PlanStatus


class UnsupportedModel(ValueError):
    """The CP-SAT model uses a constraint that has no direct linear translation here."""


@dataclass
class MipModel:
    """A translated model: the HiGHS solver holding it, and how to read CP-SAT's objective."""

    solver: pywraplp.Solver
    #: CP-SAT reports scaling × (Σ coeffs·x + offset); a negative scaling means "maximise".
    scaling: float
    offset: float
    translate_seconds: float


@dataclass(frozen=True)
class MipOutcome:
    """What HiGHS made of one model, in CP-SAT's objective units, and where the time went."""

    status: MipStatus
    objective: int | None
    best_bound: int | None
    solve_seconds: float
    translate_seconds: float
    build_seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    index: int = 0


def _bound(value: int) -> float:
    if value <= INT64_MIN:
        return -math.inf
    if value >= INT64_MAX:
        return math.inf
    return float(value)


class _Rows:
    """MPModelProto rows over CP-SAT variables, with literals and enforcement resolved."""

    def __init__(self, mp: linear_solver_pb2.MPModelProto, lows: list[int], highs: list[int]):
        self.mp = mp
        self.lows = lows
        self.highs = highs

    def add(self, indices: list[int], coeffs: list[float], low: float, high: float) -> None:
        if len(set(indices)) != len(indices):  # merge repeated variables (x and not x, big-M)
            merged: dict[int, float] = {}
            for i, k in zip(indices, coeffs, strict=True):
                merged[i] = merged.get(i, 0.0) + k
            indices = [i for i, k in merged.items() if k]
            coeffs = [k for k in merged.values() if k]
        row = self.mp.constraint.add(lower_bound=low, upper_bound=high)
        row.var_index.extend(indices)
        row.coefficient.extend(coeffs)

    def add_literals(
        self, refs: list[int], low: float, high: float, enforcement: list[int]
    ) -> None:
        """low ≤ Σ literals ≤ high; a negative ref −i−1 is the literal not x_i = 1 − x_i."""
        indices = [r if r >= 0 else -r - 1 for r in refs]
        coeffs = [1.0 if r >= 0 else -1.0 for r in refs]
        negated = sum(1 for r in refs if r < 0)
        self.add_enforced(indices, coeffs, low - negated, high - negated, enforcement)

    def add_enforced(
        self,
        indices: list[int],
        coeffs: list[float],
        low: float,
        high: float,
        enforcement: list[int],
    ) -> None:
        """low ≤ Σ coeffs·x ≤ high whenever every enforcement literal holds: big-M terms from
        the variables' bounds relax each side by (number of false enforcement literals)·M."""
        if not enforcement:
            self.add(indices, coeffs, low, high)
            return
        pairs = list(zip(indices, coeffs, strict=True))
        floor = sum(k * (self.lows[i] if k > 0 else self.highs[i]) for i, k in pairs)
        ceiling = sum(k * (self.highs[i] if k > 0 else self.lows[i]) for i, k in pairs)
        # Σ(1 − e) over the enforcement literals = Σ off_k·x + off_constant
        off_index = [r if r >= 0 else -r - 1 for r in enforcement]
        off_coeff = [-1.0 if r >= 0 else 1.0 for r in enforcement]
        off_constant = float(sum(1 for r in enforcement if r >= 0))
        if low > floor:  # Σ ≥ low − M·Σ(1 − e)
            big = low - floor
            self.add(
                indices + off_index,
                coeffs + [big * k for k in off_coeff],
                low - big * off_constant,
                math.inf,
            )
        if high < ceiling:  # Σ ≤ high + M·Σ(1 − e)
            big = ceiling - high
            self.add(
                indices + off_index,
                coeffs + [-big * k for k in off_coeff],
                -math.inf,
                high + big * off_constant,
            )


def to_mip(model: cp_model.CpModel, *, threads: int = 1) -> MipModel:
    """The CP-SAT model as a HiGHS MIP over the same variables; raises UnsupportedModel for
    constraints outside linear / at_most_one / exactly_one / bool_or / bool_and, for domains
    with holes and for floating-point objectives."""
    start = time.perf_counter()
    proto = model.proto
    mp = linear_solver_pb2.MPModelProto()
    lows: list[int] = []
    highs: list[int] = []
    for n, v in enumerate(proto.variables):
        domain = list(v.domain)
        if len(domain) != 2:
            raise UnsupportedModel(f"variable {n} has a domain with holes: {domain}")
        lows.append(domain[0])
        highs.append(domain[1])
        mp.variable.add(
            lower_bound=_bound(domain[0]), upper_bound=_bound(domain[1]), is_integer=True
        )
    rows = _Rows(mp, lows, highs)
    for n, c in enumerate(proto.constraints):
        enforcement = list(c.enforcement_literal)
        if c.has_linear():
            domain = list(c.linear.domain)
            if len(domain) != 2:
                raise UnsupportedModel(f"constraint {n}: linear domain with holes {domain}")
            rows.add_enforced(
                list(c.linear.vars),
                [float(k) for k in c.linear.coeffs],
                _bound(domain[0]),
                _bound(domain[1]),
                enforcement,
            )
        elif c.has_at_most_one():
            rows.add_literals(list(c.at_most_one.literals), -math.inf, 1, enforcement)
        elif c.has_exactly_one():
            rows.add_literals(list(c.exactly_one.literals), 1, 1, enforcement)
        elif c.has_bool_or():
            rows.add_literals(list(c.bool_or.literals), 1, math.inf, enforcement)
        elif c.has_bool_and():
            for ref in c.bool_and.literals:
                rows.add_literals([ref], 1, 1, enforcement)
        else:
            raise UnsupportedModel(f"constraint {n} has no linear translation here: {c}")
    if proto.has_floating_point_objective():
        raise UnsupportedModel("floating-point objectives are not translated")
    scaling, offset = 1.0, 0.0
    if proto.has_objective():
        o = proto.objective
        scaling = o.scaling_factor or 1.0
        offset = o.offset
        for ref, k in zip(o.vars, o.coeffs, strict=True):
            if ref >= 0:
                mp.variable[ref].objective_coefficient += k
            else:  # k·(not x) = k − k·x
                mp.variable[-ref - 1].objective_coefficient -= k
                offset += k
    mp.maximize = False
    solver = pywraplp.Solver.CreateSolver("HIGHS")
    if solver is None:  # pragma: no cover - OR-Tools wheels always ship HiGHS
        raise UnsupportedModel("this OR-Tools build has no HiGHS")
    error = solver.LoadModelFromProto(mp)
    if error:
        raise UnsupportedModel(error)
    solver.SuppressOutput()
    solver.SetNumThreads(threads)
    return MipModel(solver, scaling, offset, time.perf_counter() - start)


#: HiGHS options, passed as OR-Tools hands them over (its HiGHS interface ignores the generic
#: MPSolverParameters and SetNumThreads, but applies this string): prove optimality exactly
#: (the default relative gap, 1e-4, stops 10 objective units short at 100,000 teachers) on one
#: thread per model, as each CP-SAT model gets one worker.
HIGHS_OPTIONS = "mip_rel_gap=0,threads=1"


def solve_mip(mip: MipModel, *, time_limit: float = 60.0) -> MipOutcome:
    """Solve to proven optimality (relative gap 0) or the time limit.

    OR-Tools' HiGHS bridge returns values only for an optimal model, and then reports the
    objective as the bound; a run stopped by the time limit therefore has neither."""
    solver = mip.solver
    solver.SetTimeLimit(max(1, round(time_limit * 1000)))
    solver.SetSolverSpecificParametersAsString(HIGHS_OPTIONS)  # False, yet stored and applied
    start = time.perf_counter()
    code = solver.Solve()
    seconds = time.perf_counter() - start
    status = mip_status(code)
    objective = None
    if status == "optimal":
        objective = round(mip.scaling * (solver.Objective().Value() + mip.offset))
    elif status == "feasible":
        status = "unknown"  # stopped at the time limit; the bridge hands back no solution
    return MipOutcome(
        status=status,
        objective=objective,
        best_bound=objective,
        solve_seconds=seconds,
        translate_seconds=mip.translate_seconds,
        variables=solver.NumVariables(),
        constraints=solver.NumConstraints(),
    )


def solve_groups_mip(
    district: District, group_ids: list[str], *, time_limit: float = 60.0, index: int = 0
) -> MipOutcome:
    """Build the plan-mode CP-SAT model of these groups, translate it, solve it with HiGHS."""
    built = SatBuilder(district, group_ids, mode="plan").build()
    outcome = solve_mip(to_mip(built.sat_model), time_limit=time_limit)
    return replace(outcome, build_seconds=built.build_seconds, index=index)


def monolithic(district: District, *, time_limit: float = 60.0) -> MipOutcome:
    """The whole district as one MIP (every group in one model)."""
    return solve_groups_mip(district, [g.group_id for g in district.groups], time_limit=time_limit)


@dataclass(frozen=True)
class PeerRun:
    """HiGHS on every component's model, as `solve()` runs CP-SAT on them."""

    outcomes: tuple[MipOutcome, ...]
    wall_seconds: float
    workers: int

    @property
    def status(self) -> MipStatus:
        """The weakest status of any component (as `solve()` merges them)."""
        return worst_status(o.status for o in self.outcomes)

    @property
    def objective(self) -> int | None:
        """Sum over the components, when every one has a solution."""
        values = [o.objective for o in self.outcomes]
        return None if None in values else sum(v or 0 for v in values)

    @property
    def best_bound(self) -> int | None:
        """Sum of the components' bounds, when every one has one."""
        values = [o.best_bound for o in self.outcomes]
        return None if None in values else sum(v or 0 for v in values)

    def total(self, name: str) -> float:
        """Σ of one timing over the components (build_seconds, translate_seconds…)."""
        return float(sum(getattr(o, name) for o in self.outcomes))


def _solve_part(shared: tuple[District, float], job: tuple[int, list[str]]) -> MipOutcome:
    """One component's MIP, in a worker process or here (see solvers.parallel)."""
    district, time_limit = shared
    index, group_ids = job
    return solve_groups_mip(district, group_ids, time_limit=time_limit, index=index)


def per_component(
    district: District,
    *,
    workers: int = 0,
    time_limit: float = 60.0,
    method: StartMethod = "auto",
) -> PeerRun:
    """One HiGHS MIP per component (groups linked by 托管 pairs) over the same process pool as
    `solve()`: one thread per model, biggest models first."""
    start = time.perf_counter()
    parts = components(district)
    seniority_ranks(district), fair_outflow(district)  # as solve() does before starting workers
    count = worker_count(workers, len(parts))
    outcomes: list[MipOutcome] = []
    run_tasks(
        _solve_part,
        (district, float(time_limit)),
        list(enumerate(parts)),
        outcomes.append,
        workers=count,
        first=largest_first(district, parts),
        method=method,
    )
    outcomes.sort(key=lambda o: o.index)
    return PeerRun(tuple(outcomes), time.perf_counter() - start, count)
