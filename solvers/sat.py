"""The CP-SAT model of one plan year for a set of groups (a component of the district).

One decision per possible move: `x[a]` = teacher moves along arc a (home → host). Candidate arcs
already respect eligibility, stage, within_group (or a 托管 pair) and flow_direction; every other
hard rule of SPEC §4 is one method below, named after its rule id. When `explain` is set, each
rule instance's constraints are enforced only under its own guard literal, so an infeasible
model can be traced back to named rule instances through the assumptions core.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from models.district import District
from models.entities import School, Teacher
from models.objective import (
    distance_km,
    fair_outflow,
    host_score,
    seniority_ranks,
    teacher_score,
)
from models.plan import RotationKind
from models.requirements import base_count, ceil_share, is_weak_junior
from models.rules import max_outflow, move_type, ongoing_junior_present, ratio_scopes
from models.vocab import OngoingKind, PinKind, TeachingStage


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


@dataclass(frozen=True)
class Arc:
    """A possible move of one teacher to one host school."""

    teacher: Teacher
    home: School
    host: School
    kind: RotationKind


@dataclass(frozen=True)
class Guard:
    """The literal that switches one rule instance on, with the words to report it."""

    rule: str
    scope: str
    literal: cp_model.IntVar


@dataclass
class SatPlanModel:
    """A built CP-SAT model with the bookkeeping needed to read a plan back from it."""

    sat_model: cp_model.CpModel
    arcs: list[Arc]
    x: list[cp_model.IntVar]
    guards: list[Guard] = field(default_factory=list)
    build_seconds: float = 0.0


class SatBuilder:
    """Builds the CP-SAT model for the groups of one component, one rule family per method."""

    def __init__(self, district: District, group_ids: list[str], *, explain: bool = False) -> None:
        self.d = district
        self.group_ids = list(group_ids)
        self.groups = set(group_ids)
        self.explain = explain
        self.m = cp_model.CpModel()
        self.schools = [s for g in self.group_ids for s in district.schools_of(g)]
        self.school_ids = {s.school_id for s in self.schools}
        self.year = district.plan_year
        self.arcs: list[Arc] = []
        self.x: list[cp_model.IntVar] = []
        self.guards: list[Guard] = []
        self.by_teacher: dict[str, list[int]] = defaultdict(list)
        self.by_host: dict[str, list[int]] = defaultdict(list)
        self.by_home: dict[str, list[int]] = defaultdict(list)
        self._ratio_scopes: list[tuple[str, str, list[Teacher], list[str]]] | None = None

    # -- plumbing --------------------------------------------------------------------------
    def guard(self, rule: str, scope: str) -> list[cp_model.IntVar]:
        """The enforcement literal of one rule instance (none unless explaining)."""
        if not self.explain:
            return []
        literal = self.m.new_bool_var(f"guard[{rule}|{scope}]")
        self.guards.append(Guard(rule, scope, literal))
        return [literal]

    def total(self, indices: list[int]) -> cp_model.LinearExpr:
        """Number of chosen arcs among `indices`."""
        return cp_model.LinearExpr.sum([self.x[i] for i in indices])

    def scope_name(self, school: School) -> str:
        """Group/school, as reports name a scope."""
        return f"{self.d.group(school.group_id).name}/{school.name}"

    # -- building --------------------------------------------------------------------------
    def build(self) -> SatPlanModel:
        """Every rule family, then the objective."""
        start = time.perf_counter()
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
        self.objective()
        return SatPlanModel(self.m, self.arcs, self.x, self.guards, time.perf_counter() - start)

    def eligibility(self) -> None:
        """Only eligible teachers move, once at most, to a stage-compatible school of their group
        in an allowed direction (within_group, flow_direction), or along a 托管 pair; new
        rotations all run min_tenure_years, so min_tenure needs no decision."""
        d = self.d
        aided_by: dict[str, list[str]] = defaultdict(list)
        for e in d.entrusted:
            aided_by[e.supporting_school_id].append(e.aided_school_id)
        for home in self.schools:
            policy = d.policy.for_group(home.group_id)
            hosts: list[tuple[School, RotationKind]] = []
            entrusted_hosts = set(aided_by.get(home.school_id, []))
            for host in d.schools_of(home.group_id):
                if host.school_id == home.school_id or host.school_id in entrusted_hosts:
                    continue
                if move_type(d, home, host) in policy.flow_direction:
                    hosts.append((host, RotationKind.ROTATION))
            hosts += [(d.school(h), RotationKind.ENTRUSTED) for h in sorted(entrusted_hosts)]
            for teacher in d.teachers_of_school(home.school_id):
                status = d.status(teacher.teacher_id)
                if not status.eligible:
                    continue
                for host, kind in hosts:
                    if d.hosts_stage(host.school_id, status.teaching_stage):
                        self._add_arc(Arc(teacher, home, host, kind))
        for indices in self.by_teacher.values():
            if len(indices) > 1:
                self.m.add_at_most_one(self.x[i] for i in indices)

    def _add_arc(self, arc: Arc) -> None:
        index = len(self.arcs)
        self.arcs.append(arc)
        self.x.append(self.m.new_bool_var(""))  # names cost time at city scale; arcs[i] says it
        self.by_teacher[arc.teacher.teacher_id].append(index)
        self.by_host[arc.host.school_id].append(index)
        self.by_home[arc.home.school_id].append(index)

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
            if need > 0:
                outs = [i for s in schools for i in self.by_home[s]]
                self.m.add(self.total(outs) >= need).only_enforce_if(
                    self.guard("min_rotation_ratio", scope)
                )

    def backbone_share(self) -> None:
        """In the same scope, backbone ≥ share × rotated: q·backbone ≥ p·rotated, exactly."""
        for gid, scope, _teachers, schools in self._scopes():
            share = Fraction(self.d.policy.for_group(gid).backbone_share)
            if share == 0:
                continue
            outs = [i for s in schools for i in self.by_home[s]]
            backbone = [i for i in outs if self.arcs[i].teacher.is_backbone]
            self.m.add(
                share.denominator * self.total(backbone) >= share.numerator * self.total(outs)
            ).only_enforce_if(self.guard("backbone_share", scope))

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
                self.m.add(self.total(self.by_home[lead]) >= need).only_enforce_if(
                    self.guard("lead_outflow_ratio", self.scope_name(self.d.school(lead)))
                )

    def weak_group_inflow(self) -> None:
        """A weak school's new inflow is 0 or ≥ k; with demand rows, ≥ k."""
        with_demand = {row.school_id for row in self.d.demand}
        for s in self.schools:
            if not s.weak:
                continue
            k = self.d.policy.for_group(s.group_id).weak_inflow_min
            inflow = self.total(self.by_host[s.school_id])
            guard = self.guard("weak_group_inflow", self.scope_name(s))
            if s.school_id in with_demand:
                self.m.add(inflow >= k).only_enforce_if(guard)
            elif len(self.by_host[s.school_id]) > 0:
                receives = self.m.new_bool_var(f"receives[{s.school_id}]")
                self.m.add(inflow >= k).only_enforce_if([receives, *guard])
                self.m.add(inflow == 0).only_enforce_if([~receives, *guard])

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
                    self.m.add(self.total(off) == 0).only_enforce_if(
                        self.guard("exam_subject_focus", self.scope_name(s))
                    )
            ongoing = ongoing_junior_present(self.d, s.school_id)
            for row in self.d.demand:
                if row.school_id != s.school_id or row.subject not in exam:
                    continue
                same = [i for i in junior if self.arcs[i].teacher.subject == row.subject]
                need = row.count - ongoing[row.subject]
                if need > 0:
                    self.m.add(self.total(same) >= need).only_enforce_if(
                        self.guard("exam_subject_focus", f"{self.scope_name(s)}/{row.subject}")
                    )

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
            guard = self.guard("subject_balance", f"{self.scope_name(school)}/{subject}")
            self.m.add_linear_constraint(net, -tol, tol).only_enforce_if(guard)

    def entrusted_residents(self) -> None:
        """Each 托管 pair: residents (new + ongoing) ≥ min, of whom 干部 ≥ min managers."""
        year = self.year
        for e in self.d.entrusted:
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
            scope = f"{self.d.school(e.supporting_school_id).name}→{self.d.school(e.aided_school_id).name}"
            guard = self.guard("entrusted_residents", scope)
            self.m.add(self.total(arcs) + len(ongoing) >= e.min_residents).only_enforce_if(guard)
            self.m.add(self.total(managers) + managers_now >= e.min_managers).only_enforce_if(guard)

    def max_outflow_share(self) -> None:
        """No school sends more than floor(share × its full-time teachers), where set."""
        for s in self.schools:
            share = self.d.policy.for_group(s.group_id).max_outflow_share
            if share is None or not self.by_home[s.school_id]:
                continue
            cap = max_outflow(len(self.d.teachers_of_school(s.school_id)), share)
            self.m.add(self.total(self.by_home[s.school_id]) <= cap).only_enforce_if(
                self.guard("max_outflow_share", self.scope_name(s))
            )

    def pins(self) -> None:
        """HR's decisions: must go to X, must stay, must not go to X."""
        for p in self.d.pins:
            teacher = self.d.teacher(p.teacher_id)
            if teacher.school_id not in self.school_ids:
                continue
            guard = self.guard("pins", f"{teacher.name}（{teacher.teacher_id}）{p.kind}")
            mine = self.by_teacher.get(p.teacher_id, [])
            if p.kind == PinKind.MUST_GO_TO:
                target = [i for i in mine if self.arcs[i].host.school_id == p.school_id]
                self.m.add(self.total(target) == 1).only_enforce_if(guard)
            elif p.kind == PinKind.MUST_STAY:
                if mine:
                    self.m.add(self.total(mine) == 0).only_enforce_if(guard)
            else:
                target = [i for i in mine if self.arcs[i].host.school_id == p.school_id]
                if target:
                    self.m.add(self.total(target) == 0).only_enforce_if(guard)

    # -- objective -------------------------------------------------------------------------
    def objective(self) -> None:
        """Maximise the weighted soft terms (models.objective): per-move terms, demand met,
        outflow beyond each school's fair share."""
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
        parts: list[cp_model.LinearExprT] = [cp_model.LinearExpr.weighted_sum(self.x, coefficients)]
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
            parts.append(weight * met)
        fair = fair_outflow(self.d)
        for s in self.schools:
            weight = self.d.policy.for_group(s.group_id).weight_outflow_spread
            outs = self.by_home[s.school_id]
            if weight == 0 or len(outs) <= fair[s.school_id]:
                continue
            over = self.m.new_int_var(0, len(outs), f"over[{s.school_id}]")
            self.m.add(over >= self.total(outs) - fair[s.school_id])
            parts.append(-weight * over)
        self.m.maximize(cp_model.LinearExpr.sum(parts))
