"""weak_group_inflow in CP-SAT: a weak school's new inflow is 0 or ≥ k; with demand rows, ≥ k."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.rules import RuleInstance
from models.rules.weak_group_inflow import ID

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """Per weak school: inflow ≥ k with demand; otherwise inflow ≥ k·receives and
    inflow ≤ (possible arrivals)·receives for a Boolean `receives` (the ≤ side never relaxes)."""
    with_demand = {row.school_id for row in b.d.demand}
    for s in b.schools:
        if not s.weak:
            continue
        k = b.d.policy.for_group(s.group_id).weak_inflow_min
        arriving = b.by_host[s.school_id]
        inflow = b.total(arriving)
        inst = RuleInstance(ID, s.group_id, s.school_id)
        if s.school_id in with_demand:
            b.require(inst, inflow, k)
        elif arriving:
            receives = b.m.new_bool_var("")
            b.require(inst, inflow - k * receives, 0)
            b.require(inst, inflow - len(arriving) * receives, None, 0, relaxable=False)
