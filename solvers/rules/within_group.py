"""within_group in CP-SAT: a move's host is another school of the teacher's group, or the aided
school of a 托管 pair of the home school — no other host gets a variable, so the rule needs no
constraint of its own."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from models.district import District
from models.entities import School
from models.plan import RotationKind

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "within_group"


def hosts(b: SatBuilder, home: School) -> list[tuple[School, RotationKind]]:
    """Every school a teacher of `home` could be sent to, with the kind of move: the group's
    other schools (ordinary rotation), then the schools it supports under 托管 (residency)."""
    aided = b.d.memo("aided_by", _aided_by).get(home.school_id, [])
    result = [
        (host, RotationKind.ROTATION)
        for host in b.d.schools_of(home.group_id)
        if host.school_id != home.school_id and host.school_id not in aided
    ]
    return result + [(b.d.school(h), RotationKind.ENTRUSTED) for h in sorted(aided)]


def _aided_by(d: District) -> dict[str, list[str]]:
    aided: dict[str, list[str]] = defaultdict(list)
    for e in d.entrusted:
        aided[e.supporting_school_id].append(e.aided_school_id)
    return dict(aided)


def build(b: SatBuilder) -> None:
    """Nothing to add: the candidate hosts already keep every move inside the rule."""
