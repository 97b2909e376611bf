"""eligibility in CP-SAT: which teachers get move variables at all, and once each.

Ineligible teachers, and hosts that do not teach a teacher's stage, get no variable in plan and
relax mode. When explaining, an ineligible teacher's moves (to stage-compatible hosts in allowed
directions) exist too, held at zero by the group's guard, so that a conflict can name this rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.district import TeacherStatus
from models.entities import School

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "eligibility"


def may_move(b: SatBuilder, status: TeacherStatus, host: School) -> bool | None:
    """True: a real candidate move; None: only when explaining (held at zero by this rule's
    guard); False: never a variable (the host does not teach the teacher's stage)."""
    if not b.d.hosts_stage(host.school_id, status.teaching_stage):
        return False
    return True if status.eligible else None


def build(b: SatBuilder) -> None:
    """At most one move per teacher; ineligible teachers' moves (explain mode only) at zero."""
    for indices in b.by_teacher.values():
        if len(indices) > 1:
            b.m.add_at_most_one(b.x[i] for i in indices)
    b.hold_blocked(ID)
