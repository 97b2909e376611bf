"""eligibility in CP-SAT: which teachers get move variables at all, and once each.

Ineligible teachers, and hosts that do not teach a teacher's stage, get no variable in plan and
relax mode. When explaining, an ineligible teacher's moves (to stage-compatible hosts in allowed
directions) exist too, held at zero by the group's guard, so that a conflict can name this rule;
alike ineligible teachers of a school share one count variable per host (`SatBuilder`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.district import TeacherStatus
from models.entities import School
from models.vocab import TeachingStage

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "eligibility"


def takes(b: SatBuilder, host: School, stage: TeachingStage) -> bool:
    """Whether a host teaches this stage: no move variable exists otherwise, in any mode."""
    return b.d.hosts_stage(host.school_id, stage)


def may_move(status: TeacherStatus) -> bool:
    """Whether a teacher's moves are real candidates; an ineligible teacher's exist only when
    explaining, held at zero by this rule's guard."""
    return status.eligible


def build(b: SatBuilder) -> None:
    """At most one move per teacher (an aggregated class of n alike teachers: at most n moves
    over its hosts); ineligible teachers' moves (explain mode only) at zero."""
    for teacher_id, indices in b.by_teacher.items():
        if len(indices) <= 1:
            continue
        size = b.stands_for.get(teacher_id, 1)
        if size == 1:
            b.at_most_one(indices)
        else:
            b.m.add_linear_constraint(b.total(indices), 0, size)
    b.hold_blocked(ID)
