"""within_group in CP-SAT: a move's host is another school of the teacher's group, or the aided
school of a 托管 pair of the home school — no other host gets a variable, so the rule needs no
constraint of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.entities import School
from models.plan import RotationKind
from models.rules import within_group as rule

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "within_group"


def hosts(b: SatBuilder, home: School) -> list[tuple[School, RotationKind]]:
    """Every school a teacher of `home` could be sent to (the domain's list: the pin picker of
    the web application offers the same)."""
    return rule.hosts(b.d, home)


def build(b: SatBuilder) -> None:
    """Nothing to add: the candidate hosts already keep every move inside the rule."""
