"""exam_subject_focus in CP-SAT: at weak junior highs, junior inflow teaches exam subjects, and
each exam-subject demand row is covered by rotated junior teachers present (new + ongoing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.requirements import is_weak_junior, ongoing_junior_present
from models.rules import RuleInstance
from models.rules.exam_subject_focus import ID
from models.vocab import TeachingStage

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """Per weak junior high: non-exam junior arrivals at zero; per exam demand row, arrivals of
    the subject ≥ demand − ongoing (plus earlier years' arrivals in a horizon)."""
    for s in b.schools:
        if not is_weak_junior(s):
            continue
        policy = b.d.policy.for_group(s.group_id)
        exam = set(policy.exam_subjects)
        junior = [
            i
            for i in b.by_host[s.school_id]
            if b.d.status(b.arcs[i].teacher.teacher_id).teaching_stage == TeachingStage.JUNIOR
        ]
        if policy.exam_inflow_only:
            off = [i for i in junior if b.arcs[i].teacher.subject not in exam]
            if off:
                b.require(RuleInstance(ID, s.group_id, s.school_id), b.total(off), 0, 0)
        ongoing = ongoing_junior_present(b.d, s.school_id)
        for row in b.d.demand:
            if row.school_id != s.school_id or row.subject not in exam:
                continue
            same = [i for i in junior if b.arcs[i].teacher.subject == row.subject]
            need = row.count - ongoing[row.subject]
            earlier = b.extra_present.get((s.school_id, row.subject))
            inst = RuleInstance(ID, s.group_id, s.school_id, row.subject)
            if earlier is not None:
                b.require(inst, b.total(same) + earlier, need)
            elif need > 0:
                b.require(inst, b.total(same), need)
