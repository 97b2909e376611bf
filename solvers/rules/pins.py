"""pins in CP-SAT: must go to X (exactly that move), must stay (no move), must not go to X."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.rules.pins import instance
from models.vocab import PinKind

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One constraint per pin of a teacher of this component (a must-go pin whose move has no
    variable makes the model infeasible, and explain names the pin)."""
    for n, p in enumerate(b.d.pins):
        teacher = b.d.teacher(p.teacher_id)
        if teacher.school_id not in b.school_ids:
            continue
        inst = instance(b.d, n)
        mine = b.by_teacher.get(p.teacher_id, [])
        if p.kind == PinKind.MUST_GO_TO:
            target = [i for i in mine if b.arcs[i].host.school_id == p.school_id]
            b.require(inst, b.total(target), 1, 1)
        elif p.kind == PinKind.MUST_STAY:
            if mine:
                b.require(inst, b.total(mine), 0, 0)
        else:
            target = [i for i in mine if b.arcs[i].host.school_id == p.school_id]
            if target:
                b.require(inst, b.total(target), 0, 0)
