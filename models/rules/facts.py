"""The facts of one plan, computed once and shared by everything that reads a plan.

Who moves where, this year's returns, residents of each 托管 pair, rotated junior teachers
present at each school, and the counts per school and subject: the checkers, the objective
evaluation, the explanations, the approval workbook and the scenario summary all read them
here, so that they can never count differently.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from models.district import District
from models.entities import EntrustedPair, School, Teacher
from models.itinerant import present_schools
from models.plan import NewRotation, Plan, Return, RotationKind, returns_of
from models.requirements import ongoing_junior_present, ongoing_residents
from models.vocab import TeachingStage


class Move(NamedTuple):
    """A new rotation matched to the district's records, once."""

    rotation: NewRotation
    teacher: Teacher
    home: School
    host: School


@dataclass
class PlanFacts:
    """Counts derived once from a district and a plan.

    Rotations of teachers the district does not know, or to schools it does not know, are kept
    apart (`unknown`) for the eligibility check and left out of every count."""

    district: District
    plan: Plan
    known: list[NewRotation] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    unknown: list[NewRotation] = field(default_factory=list)
    by_group: dict[str, list[NewRotation]] = field(default_factory=lambda: defaultdict(list))
    by_host: dict[str, list[NewRotation]] = field(default_factory=lambda: defaultdict(list))
    host_of: dict[str, str] = field(default_factory=dict)
    out: Counter[str] = field(default_factory=Counter)
    inflow: Counter[str] = field(default_factory=Counter)
    backbone_out: Counter[str] = field(default_factory=Counter)
    out_subject: Counter[tuple[str, str]] = field(default_factory=Counter)
    in_subject: Counter[tuple[str, str]] = field(default_factory=Counter)
    returns: tuple[Return, ...] = ()
    returns_home: Counter[tuple[str, str]] = field(default_factory=Counter)
    returns_leaving: Counter[tuple[str, str]] = field(default_factory=Counter)
    _junior: dict[str, Counter[str]] = field(default_factory=dict)
    _present: dict[str, str] | None = None

    @classmethod
    def of(cls, district: District, plan: Plan) -> PlanFacts:
        """Tally the plan's moves by school and subject."""
        facts = cls(district, plan)
        index = district.index
        for r in plan.rotations:
            facts.host_of.setdefault(r.teacher_id, r.to_school_id)
            t = index.teacher.get(r.teacher_id)
            if t is None or r.to_school_id not in index.school:
                facts.unknown.append(r)
                continue
            facts.known.append(r)
            facts.moves.append(Move(r, t, index.school[t.school_id], index.school[r.to_school_id]))
            facts.by_host[r.to_school_id].append(r)
            facts.by_group[district.status(t.teacher_id).group_id].append(r)
            facts.out[r.from_school_id] += 1
            facts.inflow[r.to_school_id] += 1
            facts.backbone_out[r.from_school_id] += t.is_backbone
            facts.out_subject[r.from_school_id, t.subject] += 1
            facts.in_subject[r.to_school_id, t.subject] += 1
        facts.returns = returns_of(district)
        for ret in facts.returns:
            subject = district.teacher(ret.teacher_id).subject
            facts.returns_home[ret.to_school_id, subject] += 1
            facts.returns_leaving[ret.from_school_id, subject] += 1
        return facts

    def present(self) -> dict[str, str]:
        """Where each teacher teaches in the plan year (`models.itinerant.present_schools`),
        once for all the 走教 checkers."""
        if self._present is None:
            self._present = present_schools(self.district, self.plan)
        return self._present

    def teacher(self, r: NewRotation) -> Teacher:
        """The teacher of a rotation known to the district."""
        return self.district.teacher(r.teacher_id)

    def junior_present(self, school_id: str) -> Counter[str]:
        """Rotated junior-stage teachers present at a school in the plan year (new + ongoing),
        by subject."""
        if school_id not in self._junior:
            d = self.district
            present = ongoing_junior_present(d, school_id)
            for r in self.by_host.get(school_id, []):
                if d.status(r.teacher_id).teaching_stage == TeachingStage.JUNIOR:
                    present[self.teacher(r).subject] += 1
            self._junior[school_id] = present
        return Counter(self._junior[school_id])

    def residents(self, pair: EntrustedPair) -> list[Teacher]:
        """Residents of a 托管 pair at the aided school this year: new, then ongoing."""
        new = [
            self.teacher(r)
            for r in self.by_host.get(pair.aided_school_id, [])
            if r.kind == RotationKind.ENTRUSTED and r.from_school_id == pair.supporting_school_id
        ]
        return new + ongoing_residents(self.district, pair)
