"""The CP-SAT model of one plan year for a set of groups (a component of the district).

One decision per possible move: `x[a]` = teacher moves along arc a (home → host). Every hard
rule of SPEC §4 is one method below, named after its rule id, and every constraint belongs to a
named rule instance (`RuleInstance`: rule × group / school / subject / pin). Three modes:

* ``plan`` — candidate arcs already respect eligibility, stage, within_group (or a 托管 pair)
  and flow_direction; the other rules are plain constraints.
* ``explain`` — each instance is enforced only under its own guard literal, and arcs that
  eligibility or flow_direction forbid are added too, forced to zero under their group's guard,
  so that an infeasibility core can name those rules as well. No objective.
* ``relax`` — each instance gets shortfall variables instead, penalised by `RELAX_PRIORITY`
  far above the soft goals; eligibility and tenure never relax (they shape the arcs).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, NamedTuple

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

from models.district import District
from models.entities import School, Teacher
from models.explain import RuleInstance
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
from models.requirements import base_count, ceil_share, is_weak_junior
from models.rules import max_outflow, move_type, ongoing_junior_present, ratio_scopes
from models.vocab import OngoingKind, PinKind, RatioBase, TeachingStage


def returns_by_school(d: District) -> dict[str, list[tuple[str, int]]]:
    """This year's returns as (subject, +1) at the home school and (subject, −1) at the host."""
    year = d.plan_year
    result: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for o in d.ongoing:
        if o.end_year < year:
            subject = d.teacher(o.teacher_id).subject
            result[o.from_school_id].append((subject, +1))
            result[o.to_school_id].append((subject, -1))
    return dict(result)


def sat_parameters(options: SolveOptions) -> cp_model.CpSolver:
    """A solver configured for reproducible runs on many small models (BENCHMARKS.md, city scale).

    One worker and a fixed seed make runs deterministic. The full LP relaxation (nearly
    integral here) proves the counting rules quickly; presolve, probing, symmetry detection and
    cuts cost more than they save on models of a few hundred Booleans (19.4 → 4.1 CPU s for the
    242 models of a 100,000-teacher district; infeasible ratio sweeps 12.7 → 0.2 s).
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.random_seed = 0
    p.linearization_level = 2
    p.cp_model_presolve = False
    p.add_lp_constraints_lazily = False
    p.max_num_cuts = 0
    p.cp_model_probing_level = 1
    p.symmetry_level = 0
    p.max_time_in_seconds = options.time_limit
    return solver


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
    year = district.plan_year
    result = []
    for arc, variable in zip(arcs, x, strict=True):
        if solver.boolean_value(variable):
            years = district.policy.for_group(arc.home.group_id).min_tenure_years
            result.append(
                NewRotation(
                    teacher_id=arc.teacher.teacher_id,
                    from_school_id=arc.home.school_id,
                    to_school_id=arc.host.school_id,
                    start_year=year,
                    end_year=year + years - 1,
                    kind=arc.kind,
                )
            )
    return result


_BOOLEAN = Domain(0, 1)


class SatModel(cp_model.CpModel):
    """A CpModel without the pre-PEP 8 method aliases, which cost 1 ms per model to attach
    (a quarter of a second over the 242 models of a 100,000-teacher district)."""

    def _add_pre_pep8_methods(self) -> None:
        pass


Mode = Literal["plan", "explain", "relax"]

#: How much one missing unit of each rule costs in --relax mode, as a multiple of RELAX_UNIT.
#: Higher relaxes last: HR's own decisions, then the exam-subject and team rules protecting
#: weak schools, then the headline ratios; subject balance, a management convenience, first.
RELAX_PRIORITY: dict[str, int] = {
    "pins": 9,
    "exam_subject_focus": 8,
    "weak_group_inflow": 7,
    "min_rotation_ratio": 6,
    "backbone_share": 5,
    "entrusted_residents": 4,
    "lead_outflow_ratio": 3,
    "max_outflow_share": 2,
    "subject_balance": 1,
}
RELAX_UNIT = 10_000_000
SLACK_BOUND = 1_000_000


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
    x: list[cp_model.IntVar]
    guards: list[Guard] = field(default_factory=list)
    slacks: list[Slack] = field(default_factory=list)
    build_seconds: float = 0.0


class SatBuilder:
    """Builds the CP-SAT model for the groups of one component, one rule family per method."""

    def __init__(
        self,
        district: District,
        group_ids: list[str],
        *,
        mode: Mode = "plan",
        reference: Plan | None = None,
        sat_model: cp_model.CpModel | None = None,
    ) -> None:
        self.d = district
        self.reference = reference
        #: Multi-year planning hooks (solvers.horizon): per ratio scope, teachers of the base
        #: already chosen in an earlier year; per (school, subject), junior teachers who arrived
        #: in an earlier year and are still there.
        self.base_discount: dict[str, cp_model.LinearExpr] = {}
        self.extra_present: dict[tuple[str, str], cp_model.LinearExpr] = {}
        self.group_ids = list(group_ids)
        self.groups = set(group_ids)
        self.mode = mode
        self.m = sat_model if sat_model is not None else SatModel()
        self.schools = [s for g in self.group_ids for s in district.schools_of(g)]
        self.school_ids = {s.school_id for s in self.schools}
        self.year = district.plan_year
        self.arcs: list[Arc] = []
        self.x: list[cp_model.IntVar] = []
        self.guards: dict[str, Guard] = {}
        self.slacks: dict[str, list[cp_model.IntVar]] = {}
        self.instances: dict[str, RuleInstance] = {}
        self.blocked: dict[str, list[int]] = defaultdict(list)
        self.by_teacher: dict[str, list[int]] = defaultdict(list)
        self.by_host: dict[str, list[int]] = defaultdict(list)
        self.by_home: dict[str, list[int]] = defaultdict(list)
        self._ratio_scopes: list[tuple[str, str, list[Teacher], list[str]]] | None = None

    # -- plumbing --------------------------------------------------------------------------
    def require(
        self,
        inst: RuleInstance,
        expr: cp_model.LinearExpr,
        lower: int | None = None,
        upper: int | None = None,
        *,
        relaxable: bool = True,
    ) -> None:
        """lower ≤ expr ≤ upper, as one constraint of rule instance `inst`, in this mode's way."""
        low = -SLACK_BOUND * 100 if lower is None else lower
        high = SLACK_BOUND * 100 if upper is None else upper
        if self.mode == "plan":
            self.m.add_linear_constraint(expr, low, high)
        elif self.mode == "explain":
            guard = self.guards.get(inst.key)
            if guard is None:
                guard = Guard(inst, self.m.new_bool_var(f"guard[{inst.key}]"))
                self.guards[inst.key] = guard
            self.m.add_linear_constraint(expr, low, high).only_enforce_if(guard.literal)
        elif not relaxable:
            self.m.add_linear_constraint(expr, low, high)
        else:
            self.instances[inst.key] = inst
            slack = self.slacks.setdefault(inst.key, [])
            adjusted = expr
            if lower is not None:
                short = self.m.new_int_var(0, SLACK_BOUND, "")
                slack.append(short)
                adjusted = adjusted + short
            if upper is not None:
                over = self.m.new_int_var(0, SLACK_BOUND, "")
                slack.append(over)
                adjusted = adjusted - over
            self.m.add_linear_constraint(adjusted, low, high)

    def total(self, indices: list[int]) -> cp_model.LinearExpr:
        """Number of chosen arcs among `indices`."""
        return cp_model.LinearExpr.sum([self.x[i] for i in indices])

    def scope_name(self, school: School) -> str:
        """Group/school, as reports name a scope."""
        return f"{self.d.group(school.group_id).name}/{school.name}"

    def at_school(self, rule: str, school: School, subject: str | None = None) -> RuleInstance:
        """A rule instance scoped to one school (and subject)."""
        scope = self.scope_name(school) + (f"/{subject}" if subject else "")
        return RuleInstance(rule, scope, school.group_id, school.school_id, subject)

    # -- building --------------------------------------------------------------------------
    def build(self) -> SatPlanModel:
        """Every rule family, then the objective (none when explaining)."""
        start = time.perf_counter()
        self.constraints()
        if self.mode != "explain":
            self.objective()
        return self.result(time.perf_counter() - start)

    def result(self, seconds: float) -> SatPlanModel:
        """The model and its bookkeeping."""
        return SatPlanModel(
            self.m,
            self.arcs,
            self.x,
            list(self.guards.values()),
            [Slack(self.instances[k], tuple(v)) for k, v in self.slacks.items()],
            seconds,
        )

    def constraints(self) -> None:
        """Every hard rule family, in SPEC §4 order."""
        self.eligibility()
        self.min_rotation_ratio()
        self.backbone_share()
        self.lead_outflow_ratio()
        self.weak_group_inflow()
        self.exam_subject_focus()
        self.subject_balance()
        self.entrusted_residents()
        self.max_outflow_share()
        self.pins()

    def eligibility(self) -> None:
        """Only eligible teachers move, once at most, to a stage-compatible school of their group
        in an allowed direction (within_group, flow_direction), or along a 托管 pair; new
        rotations all run min_tenure_years, so min_tenure needs no decision. When explaining,
        the arcs eligibility or flow_direction forbid exist too, held at zero by their guard."""
        d = self.d
        explain = self.mode == "explain"
        aided_by: dict[str, list[str]] = defaultdict(list)
        for e in d.entrusted:
            aided_by[e.supporting_school_id].append(e.aided_school_id)
        for home in self.schools:
            group = d.group(home.group_id)
            policy = d.policy.for_group(home.group_id)
            hosts: list[tuple[School, RotationKind, bool]] = []
            entrusted_hosts = set(aided_by.get(home.school_id, []))
            for host in d.schools_of(home.group_id):
                if host.school_id == home.school_id or host.school_id in entrusted_hosts:
                    continue
                allowed = move_type(d, home, host) in policy.flow_direction
                if allowed or explain:
                    hosts.append((host, RotationKind.ROTATION, allowed))
            hosts += [(d.school(h), RotationKind.ENTRUSTED, True) for h in sorted(entrusted_hosts)]
            for teacher in d.teachers_of_school(home.school_id):
                status = d.status(teacher.teacher_id)
                if not status.eligible and not explain:
                    continue
                for host, kind, allowed in hosts:
                    if not d.hosts_stage(host.school_id, status.teaching_stage):
                        continue
                    if not status.eligible and not allowed:
                        continue
                    index = self._add_arc(Arc(teacher, home, host, kind))
                    if not status.eligible:
                        self.blocked[f"eligibility|{group.name}"].append(index)
                    elif not allowed:
                        self.blocked[f"flow_direction|{group.name}"].append(index)
        for indices in self.by_teacher.values():
            if len(indices) > 1:
                self.m.add_at_most_one(self.x[i] for i in indices)
        for key, indices in sorted(self.blocked.items()):
            rule, scope = key.split("|", 1)
            gid = self.arcs[indices[0]].home.group_id
            self.require(RuleInstance(rule, scope, gid), self.total(indices), 0, 0)

    def _add_arc(self, arc: Arc) -> int:
        index = len(self.arcs)
        self.arcs.append(arc)
        # A bare 0-1 variable: new_bool_var() is 2.5× slower (names, checks); arcs[i] names it.
        self.x.append(cp_model.IntVar(self.m.model_proto).with_domain(_BOOLEAN))
        self.by_teacher[arc.teacher.teacher_id].append(index)
        self.by_host[arc.host.school_id].append(index)
        self.by_home[arc.home.school_id].append(index)
        return index

    def _scopes(self) -> list[tuple[str, str, list[Teacher], list[str]]]:
        if self._ratio_scopes is None:
            self._ratio_scopes = ratio_scopes(self.d, self.group_ids)
        return self._ratio_scopes

    def min_rotation_ratio(self) -> None:
        """Per group (or school), rotated ≥ ceil(ratio × base)."""
        for gid, scope, teachers, schools in self._scopes():
            need = ceil_share(
                base_count(self.d, teachers), self.d.policy.for_group(gid).min_rotation_ratio
            )
            outs = [i for s in schools for i in self.by_home[s]]
            inst = RuleInstance("min_rotation_ratio", scope, gid)
            earlier = self.base_discount.get(scope)
            policy = self.d.policy.for_group(gid)
            if earlier is not None and policy.ratio_base == RatioBase.ELIGIBLE:
                # rotated ≥ ratio × (base − chosen earlier), exactly: q·rotated + p·earlier ≥ p·base
                ratio = Fraction(policy.min_rotation_ratio)
                base = base_count(self.d, teachers)
                expr = ratio.denominator * self.total(outs) + ratio.numerator * earlier
                self.require(inst, expr, ratio.numerator * base)
            elif need > 0:
                self.require(inst, self.total(outs), need)

    def backbone_share(self) -> None:
        """In the same scope, backbone ≥ share × rotated: q·backbone ≥ p·rotated, exactly."""
        for gid, scope, _teachers, schools in self._scopes():
            share = Fraction(self.d.policy.for_group(gid).backbone_share)
            if share == 0:
                continue
            outs = [i for s in schools for i in self.by_home[s]]
            backbone = [i for i in outs if self.arcs[i].teacher.is_backbone]
            balance = share.denominator * self.total(backbone) - share.numerator * self.total(outs)
            self.require(RuleInstance("backbone_share", scope, gid), balance, 0)

    def lead_outflow_ratio(self) -> None:
        """The lead school sends ≥ ceil(ratio × its eligible teachers), where set."""
        for gid in self.group_ids:
            ratio = self.d.policy.for_group(gid).lead_outflow_ratio
            if ratio is None:
                continue
            lead = self.d.group(gid).lead_school_id
            eligible = sum(
                1 for t in self.d.teachers_of_school(lead) if self.d.status(t.teacher_id).eligible
            )
            need = ceil_share(eligible, ratio)
            if need > 0:
                inst = self.at_school("lead_outflow_ratio", self.d.school(lead))
                self.require(inst, self.total(self.by_home[lead]), need)

    def weak_group_inflow(self) -> None:
        """A weak school's new inflow is 0 or ≥ k; with demand rows, ≥ k."""
        with_demand = {row.school_id for row in self.d.demand}
        for s in self.schools:
            if not s.weak:
                continue
            k = self.d.policy.for_group(s.group_id).weak_inflow_min
            arriving = self.by_host[s.school_id]
            inflow = self.total(arriving)
            inst = self.at_school("weak_group_inflow", s)
            if s.school_id in with_demand:
                self.require(inst, inflow, k)
            elif arriving:
                receives = self.m.new_bool_var("")
                self.require(inst, inflow - k * receives, 0)
                self.require(inst, inflow - len(arriving) * receives, None, 0, relaxable=False)

    def exam_subject_focus(self) -> None:
        """At weak junior highs: junior inflow teaches exam subjects; exam demand is covered."""
        for s in self.schools:
            if not is_weak_junior(s):
                continue
            policy = self.d.policy.for_group(s.group_id)
            exam = set(policy.exam_subjects)
            junior = [
                i
                for i in self.by_host[s.school_id]
                if self.d.status(self.arcs[i].teacher.teacher_id).teaching_stage
                == TeachingStage.JUNIOR
            ]
            if policy.exam_inflow_only:
                off = [i for i in junior if self.arcs[i].teacher.subject not in exam]
                if off:
                    self.require(self.at_school("exam_subject_focus", s), self.total(off), 0, 0)
            ongoing = ongoing_junior_present(self.d, s.school_id)
            for row in self.d.demand:
                if row.school_id != s.school_id or row.subject not in exam:
                    continue
                same = [i for i in junior if self.arcs[i].teacher.subject == row.subject]
                need = row.count - ongoing[row.subject]
                earlier = self.extra_present.get((s.school_id, row.subject))
                inst = self.at_school("exam_subject_focus", s, row.subject)
                if earlier is not None:
                    self.require(inst, self.total(same) + earlier, need)
                elif need > 0:
                    self.require(inst, self.total(same), need)

    def subject_balance(self) -> None:
        """Per school and subject: |in + returns home − out − returns leaving| ≤ tolerance."""
        returns = self.d.memo("returns_by_school", returns_by_school)
        fixed: dict[tuple[str, str], int] = defaultdict(int)
        for school_id in self.school_ids:
            for subject, change in returns.get(school_id, ()):
                fixed[school_id, subject] += change
        inflow: dict[tuple[str, str], list[int]] = defaultdict(list)
        outflow: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, arc in enumerate(self.arcs):
            inflow[arc.host.school_id, arc.teacher.subject].append(i)
            outflow[arc.home.school_id, arc.teacher.subject].append(i)
        tolerance = {
            g: self.d.policy.for_group(g).subject_balance_tolerance for g in self.group_ids
        }
        for key in sorted(set(inflow) | set(outflow) | set(fixed)):
            school_id, subject = key
            school = self.d.school(school_id)
            tol = tolerance[school.group_id]
            net = (
                self.total(inflow.get(key, []))
                - self.total(outflow.get(key, []))
                + fixed.get(key, 0)
            )
            self.require(self.at_school("subject_balance", school, subject), net, -tol, tol)

    def entrusted_residents(self) -> None:
        """Each 托管 pair: residents (new + ongoing) ≥ min, of whom 干部 ≥ min managers."""
        year = self.year
        for n, e in enumerate(self.d.entrusted):
            if e.supporting_school_id not in self.school_ids:
                continue
            arcs = [
                i
                for i in self.by_home[e.supporting_school_id]
                if self.arcs[i].host.school_id == e.aided_school_id
                and self.arcs[i].kind == RotationKind.ENTRUSTED
            ]
            ongoing = [
                o
                for o in self.d.ongoing
                if o.kind == OngoingKind.ENTRUSTED
                and o.from_school_id == e.supporting_school_id
                and o.to_school_id == e.aided_school_id
                and o.start_year <= year <= o.end_year
            ]
            managers_now = sum(1 for o in ongoing if self.d.teacher(o.teacher_id).management)
            managers = [i for i in arcs if self.arcs[i].teacher.management]
            unit, aided = self.d.school(e.supporting_school_id), self.d.school(e.aided_school_id)
            inst = RuleInstance(
                "entrusted_residents",
                f"{unit.name}→{aided.name}",
                unit.group_id,
                aided.school_id,
                index=n,
            )
            self.require(inst, self.total(arcs), e.min_residents - len(ongoing))
            self.require(inst, self.total(managers), e.min_managers - managers_now)

    def max_outflow_share(self) -> None:
        """No school sends more than floor(share × its full-time teachers), where set."""
        for s in self.schools:
            share = self.d.policy.for_group(s.group_id).max_outflow_share
            if share is None or not self.by_home[s.school_id]:
                continue
            cap = max_outflow(len(self.d.teachers_of_school(s.school_id)), share)
            inst = self.at_school("max_outflow_share", s)
            self.require(inst, self.total(self.by_home[s.school_id]), None, cap)

    def pins(self) -> None:
        """HR's decisions: must go to X, must stay, must not go to X."""
        for n, p in enumerate(self.d.pins):
            teacher = self.d.teacher(p.teacher_id)
            if teacher.school_id not in self.school_ids:
                continue
            home = self.d.school(teacher.school_id)
            scope = f"{teacher.name}（{teacher.teacher_id}）{p.kind.value}" + (
                self.d.school(p.school_id).name if p.school_id else ""
            )
            inst = RuleInstance("pins", scope, home.group_id, p.school_id, index=n)
            mine = self.by_teacher.get(p.teacher_id, [])
            if p.kind == PinKind.MUST_GO_TO:
                target = [i for i in mine if self.arcs[i].host.school_id == p.school_id]
                self.require(inst, self.total(target), 1, 1)
            elif p.kind == PinKind.MUST_STAY:
                if mine:
                    self.require(inst, self.total(mine), 0, 0)
            else:
                target = [i for i in mine if self.arcs[i].host.school_id == p.school_id]
                if target:
                    self.require(inst, self.total(target), 0, 0)

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
        self.objective_terms().maximize(self.m)

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
        for key, variables in self.slacks.items():
            penalty = RELAX_UNIT * RELAX_PRIORITY[self.instances[key].rule]
            terms.add_all(variables, [-penalty] * len(variables))
        return terms
