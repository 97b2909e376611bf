"""The CP-SAT model of one plan year for a set of groups (a component of the district).

One decision per possible move: `x[a]` = teacher moves along arc a (home → host). Every hard
rule of SPEC §4 adds its constraints from its own module in `solvers.rules`, and every
constraint belongs to a rule instance keyed by ids (`models.rules.RuleInstance`: rule × group /
school / subject / 托管 pair / pin). This module is the plumbing they share. Three modes:

* ``plan`` — candidate arcs already respect eligibility, stage, within_group (or a 托管 pair)
  and flow_direction; the other rules are plain constraints.
* ``explain`` — each instance is enforced only under its own guard literal, and arcs that
  eligibility or flow_direction forbid are added too, forced to zero under their group's guard,
  so that an infeasibility core can name those rules as well. No objective.
* ``relax`` — each instance gets shortfall variables instead, penalised by its rule's relax
  priority far above the soft goals; eligibility and tenure never relax (they shape the arcs).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from ortools.sat.python import cp_model

from models.district import District, TeacherStatus
from models.entities import School, Teacher
from models.objective import (
    distance_km,
    fair_outflow,
    host_score,
    reference_hosts,
    seniority_ranks,
    teacher_score,
)
from models.plan import NewRotation, Plan, RotationKind, SolveOptions
from models.policy import Policy
from models.requirements import RatioUnit, ratio_scopes
from models.rules import RULES, RuleInstance
from models.rules.min_tenure import term
from models.vocab import TeachingStage
from solvers.rules import BUILDERS
from solvers.rules import eligibility as eligibility_rule
from solvers.rules import flow_direction as flow_rule
from solvers.rules import within_group as within_group_rule

Purpose = Literal["plan", "full_lp", "explain"]


def sat_parameters(options: SolveOptions, purpose: Purpose = "plan") -> cp_model.CpSolver:
    """A solver configured for reproducible runs on many small models (BENCHMARKS.md, city scale).

    One worker and a fixed seed make runs deterministic. Presolve, symmetry detection and deep
    probing cost more than they save on models of a few hundred Booleans (19.4 → 4.1 CPU s for
    the 242 models of a 100,000-teacher district). For plans (and --relax), the linear
    relaxation of the counting rules with cuts: since the amended subject balance (returns home
    may leave a school one above) the full relaxation without cuts left a few models searching
    for seconds (9.5 → 4.6 CPU s over the 242 models, the slowest 3.6 → 0.2 s). Explaining keeps
    the full relaxation without cuts: it proves the near-limit counting subsets of the deletion
    filter fastest (infeasible ratio sweeps 12.7 → 0.2 s; with the plan's settings explain was
    many times slower). `explain` is the full relaxation without clause inprocessing: the
    deletion filter's hundreds of short solves at city scale, 15 % less CPU (issue 18). Plans
    run without clause inprocessing too, in two stages (`solve_to_optimality`): −24 % CPU over
    eight generated districts of 10,000–100,000 teachers, the same optima (BENCHMARKS.md,
    issue 18, "The solve phase in two stages").
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.random_seed = 0
    p.cp_model_presolve = False
    p.add_lp_constraints_lazily = False
    p.cp_model_probing_level = 1
    p.symmetry_level = 0
    if purpose == "plan":
        p.linearization_level = 1
        p.max_num_cuts = 10000
    else:
        p.linearization_level = 2
        p.max_num_cuts = 0
    if purpose in ("plan", "explain"):
        p.use_sat_inprocessing = False
    p.max_time_in_seconds = options.time_limit
    return solver


#: Deterministic time (CP-SAT's own work units, the same on every machine) the default search
#: gets before a plan's model moves on to the tree search: most models are proven optimal well
#: within it (BENCHMARKS.md, issue 18, "The solve phase in two stages").
QUICK_PROOF_DTIME = 0.05


def solve_to_optimality(
    model: cp_model.CpModel, decisions: list[cp_model.IntVar], options: SolveOptions
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve a plan's model, returning the solver that holds the answer and its status.

    CP-SAT's default search proves most of these small models optimal in a few milliseconds,
    but on one model in a few dozen it finds the optimum at once and then spends seconds
    closing a 3 % gap that HiGHS's branch and bound closes in milliseconds. So the default
    search gets a short deterministic budget; a model still open after it is handed, with the
    best plan found as a hint, to CP-SAT's LP tree search (`optimize_with_lb_tree_search`),
    which closes such gaps the way a MIP solver does (and is slower on the easy models, so it
    is not the first choice). Both stages are deterministic, so runs stay reproducible."""
    start = time.perf_counter()
    first = sat_parameters(options)
    first.parameters.max_deterministic_time = QUICK_PROOF_DTIME
    code = first.solve(model)
    left = options.time_limit - (time.perf_counter() - start)
    if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID) or left <= 0:
        return first, code
    model.proto.clear_solution_hint()
    if code == cp_model.FEASIBLE:
        for variable in decisions:
            model.add_hint(variable, first.value(variable))
    second = sat_parameters(options)
    second.parameters.optimize_with_lb_tree_search = True
    second.parameters.max_time_in_seconds = left
    second_code = second.solve(model)
    model.proto.clear_solution_hint()
    if code == cp_model.FEASIBLE and (
        second_code == cp_model.UNKNOWN
        or (
            second_code == cp_model.FEASIBLE
            and second.objective_value < first.objective_value  # plans maximise
        )
    ):
        return first, code  # the time ran out before the tree search matched the first plan
    return second, second_code


class Arc(NamedTuple):
    """A possible move of one teacher to one host school (a tuple: hundreds of thousands of
    these are made at city scale)."""

    teacher: Teacher
    home: School
    host: School
    kind: RotationKind


@dataclass
class LinearTerms:
    """A linear objective as variable indices and coefficients, written straight into the
    proto: CpModel.maximize() walks an expression tree, 15× slower at city scale."""

    indices: list[int] = field(default_factory=list)
    coefficients: list[int] = field(default_factory=list)
    offset: int = 0

    def add(self, variable: cp_model.IntVar, coefficient: int) -> None:
        self.indices.append(variable.index)
        self.coefficients.append(coefficient)

    def add_all(self, variables: list[cp_model.IntVar], coefficients: list[int]) -> None:
        self.indices += [v.index for v in variables]
        self.coefficients += coefficients

    def extend(self, other: LinearTerms, factor: int = 1) -> None:
        """Add `factor` × other (other's variables must not already be here)."""
        self.indices += other.indices
        self.coefficients += [factor * c for c in other.coefficients]
        self.offset += factor * other.offset

    def maximize(self, sat_model: cp_model.CpModel) -> None:
        """Set as the objective to maximise (CP-SAT stores −terms minimised, scaling −1)."""
        proto = sat_model.proto
        proto.clear_objective()
        proto.clear_floating_point_objective()
        objective = proto.objective
        objective.vars.extend(self.indices)
        objective.coeffs.extend([-c for c in self.coefficients])
        objective.offset = -self.offset
        objective.scaling_factor = -1.0


def chosen_rotations(
    district: District, arcs: list[Arc], x: list[cp_model.IntVar], solver: cp_model.CpSolver
) -> list[NewRotation]:
    """The new rotations a solved model chose, each for its group's full term."""
    result = []
    for arc, variable in zip(arcs, x, strict=True):
        if solver.boolean_value(variable):
            start, end = term(district, arc.home.group_id)
            result.append(
                NewRotation(
                    teacher_id=arc.teacher.teacher_id,
                    from_school_id=arc.home.school_id,
                    to_school_id=arc.host.school_id,
                    start_year=start,
                    end_year=end,
                    kind=arc.kind,
                )
            )
    return result


class SatModel(cp_model.CpModel):
    """A CpModel without the pre-PEP 8 method aliases, which cost 1 ms per model to attach
    (a quarter of a second over the 242 models of a 100,000-teacher district)."""

    def _add_pre_pep8_methods(self) -> None:
        pass


#: Owns the variable protos that models copy (`SatBuilder._add_variables`), one per domain.
_TEMPLATES = SatModel()
_RANGES: dict[int, Any] = {}


def _range_proto(size: int) -> Any:
    """The proto of a variable with domain 0..size, to be copied into models."""
    proto = _RANGES.get(size)
    if proto is None:
        proto = _RANGES[size] = _TEMPLATES.proto.variables.add()
        proto.domain.extend((0, size))
    return proto


_BOOLEAN_PROTO = _range_proto(1)

Mode = Literal["plan", "explain", "relax"]

RELAX_UNIT = 10_000_000
SLACK_BOUND = 1_000_000


def relax_penalty(rule: str) -> int:
    """What one missing unit of a rule costs in --relax mode: its relax priority (each rule
    module's) × RELAX_UNIT, far above every soft goal."""
    priority = RULES[rule].relax_priority
    assert priority is not None, f"{rule} never relaxes"
    return RELAX_UNIT * priority


@dataclass(frozen=True)
class Guard:
    """The literal that switches one rule instance on (explain mode)."""

    instance: RuleInstance
    literal: cp_model.IntVar


@dataclass(frozen=True)
class Slack:
    """Shortfall variables of one rule instance (relax mode)."""

    instance: RuleInstance
    variables: tuple[cp_model.IntVar, ...]


@dataclass
class SatPlanModel:
    """A built CP-SAT model with the bookkeeping needed to read a plan back from it."""

    sat_model: cp_model.CpModel
    arcs: list[Arc]
    #: One variable per arc: 0-1, or in explain mode, for an aggregated class's arc, how many of
    #: the class move along it.
    x: list[cp_model.IntVar]
    guards: list[Guard] = field(default_factory=list)
    slacks: list[Slack] = field(default_factory=list)
    build_seconds: float = 0.0
    objective: LinearTerms | None = None
    #: Explain mode: the rule instances whose constraints every variable at zero breaks. In
    #: that mode every variable but the guards may be zero and the only constraints no guard
    #: switches off are at-most-ones and the class sizes (a sum ≤ n), so instances outside this
    #: set can all hold together.
    zero_breaks: set[RuleInstance] = field(default_factory=set)


class Alike(NamedTuple):
    """What the explain model's constraints read of an ineligible teacher of one home school:
    the subject (subject_balance, exam_subject_focus), backbone (backbone_share), 干部
    (entrusted_residents) and teaching stage (hosts, exam_subject_focus). Every other rule
    reads only the home and host schools and the kind of the move, which the home fixes."""

    subject: str
    backbone: bool
    management: bool
    stage: TeachingStage


class SatBuilder:
    """Builds the CP-SAT model for the groups of one component: the candidate moves, then each
    rule's constraints from its module in `solvers.rules`, then the objective.

    `aggregate` (explain mode only): the ineligible, unpinned teachers of one home school who
    are `Alike` share one count variable per host (0..how many they are) instead of a 0-1
    variable each, the representative's arc standing for all of them. No rule tells them apart
    and none of them may move while eligibility holds, so every query has the same answer with
    a third fewer variables (BENCHMARKS.md, issue 18, "Explain at city scale, third pass")."""

    def __init__(
        self,
        district: District,
        group_ids: list[str],
        *,
        mode: Mode = "plan",
        reference: Plan | None = None,
        sat_model: cp_model.CpModel | None = None,
        aggregate: bool = True,
    ) -> None:
        self.d = district
        self.reference = reference
        #: Multi-year planning hooks (solvers.horizon): per ratio-scope instance, teachers of the
        #: base already chosen in an earlier year; per (school, subject), junior teachers who
        #: arrived in an earlier year and are still there.
        self.base_discount: dict[RuleInstance, cp_model.LinearExpr] = {}
        self.extra_present: dict[tuple[str, str], cp_model.LinearExpr] = {}
        #: … and per (school, subject), every teacher who arrived in an earlier year: a demand
        #: row they cover no longer asks for a team (models.advance carries only what is left).
        self.earlier_arrivals: dict[tuple[str, str], cp_model.LinearExpr] = {}
        self.group_ids = list(group_ids)
        self.groups = set(group_ids)
        self.mode = mode
        self.m = sat_model if sat_model is not None else SatModel()
        self.schools = [s for g in self.group_ids for s in district.schools_of(g)]
        self.school_ids = {s.school_id for s in self.schools}
        self.year = district.plan_year
        self.arcs: list[Arc] = []
        self.x: list[cp_model.IntVar] = []
        self.guards: dict[RuleInstance, Guard] = {}
        self.slacks: dict[RuleInstance, list[cp_model.IntVar]] = {}
        #: Explain mode: the instances the plan without any move breaks (see SatPlanModel).
        self.zero_breaks: set[RuleInstance] = set()
        #: Arcs that exist only when explaining, per rule and group: held at zero by its guard.
        self.blocked: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.by_teacher: dict[str, list[int]] = defaultdict(list)
        self.by_host: dict[str, list[int]] = defaultdict(list)
        self.by_home: dict[str, list[int]] = defaultdict(list)
        self.aggregate = aggregate and mode == "explain"
        #: Aggregated explain mode: how many alike teachers each representative's arcs count
        #: (the variables' upper bound); absent means one.
        self.stands_for: dict[str, int] = {}
        self._ratio_units: list[RatioUnit] | None = None
        self._arcs_made = False
        self._x_base = 0
        self._constraints = self.m.proto.constraints
        self._objective: LinearTerms | None = None

    # -- plumbing --------------------------------------------------------------------------
    def require(
        self,
        inst: RuleInstance,
        expr: cp_model.LinearExpr,
        lower: int | None = None,
        upper: int | None = None,
        *,
        relaxable: bool = True,
        unit: int = 1,
    ) -> None:
        """lower ≤ expr ≤ upper, as one constraint of rule instance `inst`, in this mode's way.

        `unit` is how much of `expr` one person is (a share kept exact as q·backbone − p·rotated
        counts a backbone teacher as q): under --relax a shortfall is counted in people."""
        low = -SLACK_BOUND * 100 if lower is None else lower
        high = SLACK_BOUND * 100 if upper is None else upper
        if self.mode == "plan":
            self.m.add_linear_constraint(expr, low, high)
        elif self.mode == "explain":
            guard = self._guard(inst)
            constraint = self.m.add_linear_constraint(expr, low, high)
            constraint.only_enforce_if(guard.literal)
            domain = constraint.proto.linear.domain  # the constant folded in: the sum at zero is 0
            if not any(domain[j] <= 0 <= domain[j + 1] for j in range(0, len(domain), 2)):
                self.zero_breaks.add(inst)
        elif not relaxable:
            self.m.add_linear_constraint(expr, low, high)
        else:
            slack = self.slacks.setdefault(inst, [])
            adjusted = expr
            if lower is not None:
                short = self.m.new_int_var(0, SLACK_BOUND, "")
                slack.append(short)
                adjusted = adjusted + unit * short
            if upper is not None:
                over = self.m.new_int_var(0, SLACK_BOUND, "")
                slack.append(over)
                adjusted = adjusted - unit * over
            self.m.add_linear_constraint(adjusted, low, high)

    def require_count(
        self,
        inst: RuleInstance,
        plus: Sequence[int],
        lower: int | None = None,
        upper: int | None = None,
        *,
        minus: Sequence[int] = (),
        constant: int = 0,
    ) -> None:
        """lower ≤ total(plus) − total(minus) + constant ≤ upper: `require` for counts of moves.

        Outside --relax it is written straight into the proto — about 10⁴ such constraints per
        city-scale model, which CpModel's expressions make 3× dearer — as the very constraint
        CpModel writes: terms in variable order, zero coefficients dropped, the constant moved
        into the bounds, no domain at all when the bounds cross."""
        if self.mode == "relax":
            self.require(inst, self.total(plus) - self.total(minus) + constant, lower, upper)
            return
        low = (-SLACK_BOUND * 100 if lower is None else lower) - constant
        high = (SLACK_BOUND * 100 if upper is None else upper) - constant
        terms = [*plus, *minus]
        if len(set(terms)) < len(terms):  # an arc twice: CpModel adds up its coefficients
            weights: dict[int, int] = {}
            for i in plus:
                weights[i] = weights.get(i, 0) + 1
            for i in minus:
                weights[i] = weights.get(i, 0) - 1
            arcs = sorted(i for i, w in weights.items() if w)
            coefficients = [weights[i] for i in arcs]
        elif minus:
            pairs = sorted(zip(terms, [1] * len(plus) + [-1] * len(minus), strict=True))
            arcs = [i for i, _ in pairs]
            coefficients = [c for _, c in pairs]
        else:
            arcs = sorted(plus)
            coefficients = [1] * len(arcs)
        guard = self._guard(inst) if self.mode == "explain" else None
        constraint = self._constraints.add()
        if guard is not None:
            constraint.enforcement_literal.append(guard.literal.index)
            if not low <= 0 <= high:  # the sum at zero breaks it
                self.zero_breaks.add(inst)
        linear = constraint.linear
        base = self._x_base
        linear.vars.extend([base + i for i in arcs])
        linear.coeffs.extend(coefficients)
        if low <= high:
            linear.domain.extend((low, high))

    def at_most_one(self, indices: Sequence[int]) -> None:
        """At most one of the arcs `indices` chosen (written straight into the proto, as
        CpModel.add_at_most_one writes it: one per teacher, ~10⁴ per city-scale model)."""
        base = self._x_base
        self._constraints.add().at_most_one.literals.extend([base + i for i in indices])

    def _guard(self, inst: RuleInstance) -> Guard:
        """Explain mode: the literal that switches `inst` on, made at its first constraint."""
        guard = self.guards.get(inst)
        if guard is None:
            guard = Guard(inst, self.m.new_bool_var(f"guard[{len(self.guards)}]"))
            self.guards[inst] = guard
        return guard

    def total(self, indices: Sequence[int]) -> cp_model.LinearExpr:
        """Number of teachers moving along the arcs `indices` (an aggregated arc counts all its
        teachers)."""
        return cp_model.LinearExpr.sum([self.x[i] for i in indices])

    def most(self, indices: list[int]) -> int:
        """The largest value `total(indices)` can take: one per arc, or the size of an
        aggregated arc's class."""
        if not self.stands_for:
            return len(indices)
        return sum(self.stands_for.get(self.arcs[i].teacher.teacher_id, 1) for i in indices)

    def ratio_units(self) -> list[RatioUnit]:
        """The ratio scopes of this component's groups, computed once."""
        if self._ratio_units is None:
            self._ratio_units = ratio_scopes(self.d, self.group_ids)
        return self._ratio_units

    def hold_blocked(self, rule: str) -> None:
        """Explain mode: the arcs `rule` forbids, per group, at zero under the group's guard."""
        groups = self.blocked.get(rule, {})
        for gid in sorted(groups, key=lambda g: self.d.group(g).name):
            self.require_count(RuleInstance(rule, gid), groups[gid], 0, 0)

    # -- building --------------------------------------------------------------------------
    def build(self, *, objective: bool = True) -> SatPlanModel:
        """Every rule family, then the objective (none when explaining, or when only
        feasibility is asked: `objective=False`)."""
        start = time.perf_counter()
        self.constraints()
        if objective and self.mode != "explain":
            self.objective()
        return self.result(time.perf_counter() - start)

    def result(self, seconds: float) -> SatPlanModel:
        """The model and its bookkeeping."""
        return SatPlanModel(
            self.m,
            self.arcs,
            self.x,
            list(self.guards.values()),
            [Slack(inst, tuple(v)) for inst, v in self.slacks.items()],
            seconds,
            self._objective,
            self.zero_breaks,
        )

    def constraints(self) -> None:
        """The candidate moves, then every hard rule's constraints, in SPEC §4 order."""
        self.make_arcs()
        for build in BUILDERS.values():
            build(self)

    def make_arcs(self) -> None:
        """One 0-1 variable per candidate move: hosts from within_group, directions from
        flow_direction, teachers from eligibility. When explaining, moves that only eligibility
        or only flow_direction forbids exist too, recorded in `blocked` for their rule."""
        if self._arcs_made:
            return
        self._arcs_made = True
        d = self.d
        explain = self.mode == "explain"
        pinned = {p.teacher_id for p in d.pins} if self.aggregate else set()
        arcs = self.arcs
        first_arc = len(arcs)
        sizes: dict[int, int] = {}  # arcs of aggregated classes: their size (else one)
        by_host = self.by_host
        for home in self.schools:
            hosts = [
                (host, kind, flow_rule.allows(self, home, host, kind))
                for host, kind in within_group_rule.hosts(self, home)
            ]
            if not explain:
                hosts = [h for h in hosts if h[2]]
            by_stage: dict[TeachingStage, list[tuple[School, RotationKind, bool]]] = {}
            teachers = d.teachers_of_school(home.school_id)
            statuses = [d.status(t.teacher_id) for t in teachers]
            classes = self._classes(teachers, statuses, pinned) if self.aggregate else {}
            home_first = len(arcs)
            for teacher, status in zip(teachers, statuses, strict=True):
                eligible = eligibility_rule.may_move(status)
                if not eligible and not explain:
                    continue
                size = 1
                if classes:
                    size = classes.get(teacher.teacher_id, 1)
                    if size == 0:
                        continue  # counted by the first teacher of its class
                    if size > 1:
                        self.stands_for[teacher.teacher_id] = size
                stage = status.teaching_stage
                if stage not in by_stage:
                    by_stage[stage] = [
                        h for h in hosts if eligibility_rule.takes(self, h[0], stage)
                    ]
                teacher_first = len(arcs)
                for host, kind, allowed in by_stage[stage]:
                    if not eligible and not allowed:
                        continue
                    index = len(arcs)
                    arcs.append(Arc(teacher, home, host, kind))
                    by_host[host.school_id].append(index)
                    if not eligible:
                        self.blocked[eligibility_rule.ID][home.group_id].append(index)
                    elif not allowed:
                        self.blocked[flow_rule.ID][home.group_id].append(index)
                if len(arcs) > teacher_first:
                    self.by_teacher[teacher.teacher_id].extend(range(teacher_first, len(arcs)))
                    if size > 1:
                        sizes.update(dict.fromkeys(range(teacher_first, len(arcs)), size))
            if len(arcs) > home_first:
                self.by_home[home.school_id].extend(range(home_first, len(arcs)))
        self._add_variables(len(arcs) - first_arc, sizes)

    def _add_variables(self, count: int, sizes: dict[int, int]) -> None:
        """The arcs' variables, in the arcs' order: 0-1, or 0..size for an aggregated class's
        arc (`sizes`, by arc index). Copied into the proto in one call and wrapped by index:
        4× faster than creating them one by one (~10⁵ per model at city scale), the same proto."""
        variables = self.m.proto.variables
        base = len(variables)
        first = len(self.x)
        self._x_base = base - first  # x[i] is the proto's variable _x_base + i
        protos = [_BOOLEAN_PROTO] * count
        for i, size in sizes.items():
            protos[i - first] = _range_proto(size)
        variables.extend(protos)
        proto = self.m.proto
        self.x.extend([cp_model.IntVar(proto, i) for i in range(base, base + count)])

    @staticmethod
    def _classes(
        teachers: list[Teacher], statuses: list[TeacherStatus], pinned: set[str]
    ) -> dict[str, int]:
        """Per ineligible, unpinned teacher of one home school: the size of their `Alike` class
        for its first member, 0 for the others (whom the first one's arcs count)."""
        first: dict[Alike, str] = {}
        sizes: dict[str, int] = {}
        for teacher, status in zip(teachers, statuses, strict=True):
            if eligibility_rule.may_move(status) or teacher.teacher_id in pinned:
                continue
            key = Alike(
                teacher.subject, teacher.is_backbone, teacher.management, status.teaching_stage
            )
            head = first.setdefault(key, teacher.teacher_id)
            sizes[head] = sizes.get(head, 0) + 1
            if head != teacher.teacher_id:
                sizes[teacher.teacher_id] = 0
        return sizes

    # -- objective -------------------------------------------------------------------------
    def plan_change(self, coefficients: list[int], policies: dict[str, Policy]) -> int:
        """Re-planning: each teacher whose assignment differs from the reference costs
        weight_plan_change. Adds the per-move part to `coefficients`; returns the constant part
        (every reference move counted as changed until its arc is chosen)."""
        before = reference_hosts(self.d, self.reference)
        constant = 0
        for teacher_id in before:
            group_id = self.d.status(teacher_id).group_id
            if group_id in self.groups:
                constant -= policies[group_id].weight_plan_change
        for i, arc in enumerate(self.arcs):
            weight = policies[arc.home.group_id].weight_plan_change
            was = before.get(arc.teacher.teacher_id)
            if was is None:
                coefficients[i] -= weight
            elif was == arc.host.school_id:
                coefficients[i] += weight
        return constant

    def objective(self) -> None:
        """Maximise the weighted soft terms."""
        self._objective = self.objective_terms()
        self._objective.maximize(self.m)

    def objective_terms(self) -> LinearTerms:
        """The weighted soft terms (models.objective): per-move terms, demand met, outflow
        beyond each school's fair share; in relax mode minus the shortfall penalties."""
        ranks = seniority_ranks(self.d)
        policies = {g: self.d.policy.for_group(g) for g in self.group_ids}
        km: dict[tuple[str, str], int] = {}
        by_teacher: dict[str, int] = {}
        coefficients = []
        for arc in self.arcs:
            policy = policies[arc.home.group_id]
            tid = arc.teacher.teacher_id
            if tid not in by_teacher:
                by_teacher[tid] = teacher_score(policy, arc.teacher, ranks.get(tid, 0))
            pair = (arc.home.school_id, arc.host.school_id)
            if pair not in km:
                km[pair] = distance_km(arc.home, arc.host)
            coefficients.append(
                by_teacher[tid] + host_score(policy, arc.teacher, arc.host, km[pair])
            )
        terms = LinearTerms()
        if self.reference is not None:
            terms.offset += self.plan_change(coefficients, policies)
        terms.add_all(self.x, coefficients)
        for row in self.d.demand:
            if row.school_id not in self.school_ids:
                continue
            weight = self.d.policy.for_group(self.d.school(row.school_id).group_id).weight_demand
            arriving = [
                i
                for i in self.by_host[row.school_id]
                if self.arcs[i].teacher.subject == row.subject
            ]
            if weight == 0 or not arriving:
                continue
            met = self.m.new_int_var(
                0, min(row.count, len(arriving)), f"met[{row.school_id}|{row.subject}]"
            )
            self.m.add(met <= self.total(arriving))
            terms.add(met, weight)
        fair = fair_outflow(self.d)
        for s in self.schools:
            weight = self.d.policy.for_group(s.group_id).weight_outflow_spread
            outs = self.by_home[s.school_id]
            if weight == 0 or len(outs) <= fair[s.school_id]:
                continue
            over = self.m.new_int_var(0, len(outs), f"over[{s.school_id}]")
            self.m.add(over >= self.total(outs) - fair[s.school_id])
            terms.add(over, -weight)
        for inst, variables in self.slacks.items():
            penalty = relax_penalty(inst.rule)
            terms.add_all(variables, [-penalty] * len(variables))
        return terms
