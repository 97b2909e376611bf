"""entrusted_residents in CP-SAT: per 托管 pair, residents (new + ongoing) ≥ the minimum, and
干部 among them ≥ the minimum of managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.plan import RotationKind
from models.requirements import ongoing_residents
from models.rules.entrusted_residents import instance

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """Two constraints per pair whose supporting unit is in this component."""
    for n, e in enumerate(b.d.entrusted):
        if e.supporting_school_id not in b.school_ids:
            continue
        arcs = [
            i
            for i in b.by_home[e.supporting_school_id]
            if b.arcs[i].host.school_id == e.aided_school_id
            and b.arcs[i].kind == RotationKind.ENTRUSTED
        ]
        ongoing = ongoing_residents(b.d, e)
        managers_now = sum(1 for t in ongoing if t.management)
        managers = [i for i in arcs if b.arcs[i].teacher.management]
        inst = instance(b.d, n)
        b.require(inst, b.total(arcs), e.min_residents - len(ongoing))
        b.require(inst, b.total(managers), e.min_managers - managers_now)
