"""flow_direction in CP-SAT: ordinary moves in a direction the group does not allow get no
variable; when explaining they exist, held at zero by the group's guard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.entities import School
from models.plan import RotationKind
from models.rules import flow_direction as rule

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "flow_direction"


def allows(b: SatBuilder, home: School, host: School, kind: RotationKind) -> bool:
    """Whether the group's policy allows this move (托管 residencies always are)."""
    return rule.allows(b.d, home, host, kind)


def build(b: SatBuilder) -> None:
    """Moves against the allowed directions (explain mode only) at zero."""
    b.hold_blocked(ID)
