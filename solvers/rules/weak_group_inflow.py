"""weak_group_inflow in CP-SAT: a weak school's new inflow is 0 or ≥ k; with demand, ≥ k."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from models.entities import Demand
from models.rules import RuleInstance
from models.rules.weak_group_inflow import ID

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """Per weak school: inflow ≥ k with demand; otherwise inflow ≥ k·receives and
    inflow ≤ (possible arrivals)·receives for a Boolean `receives` (the ≤ side never relaxes).

    In a later year of a horizon, a demand row that teachers arriving in earlier years may cover
    asks for a team only while they do not: `asks` ≥ 1 unless every row is covered."""
    rows: dict[str, list[Demand]] = {}
    for row in b.d.demand:
        rows.setdefault(row.school_id, []).append(row)
    for s in b.schools:
        if not s.weak:
            continue
        k = b.d.policy.for_group(s.group_id).weak_inflow_min
        arriving = b.by_host[s.school_id]
        inflow = b.total(arriving)
        inst = RuleInstance(ID, s.group_id, s.school_id)
        demand = rows.get(s.school_id, [])
        covered = [b.earlier_arrivals.get((s.school_id, r.subject)) for r in demand]
        if demand and any(e is None for e in covered):
            b.require(inst, inflow, k)
            continue
        if not arriving and not demand:
            continue
        receives = b.m.new_bool_var("")
        b.require(inst, inflow - k * receives, 0)
        b.require(inst, inflow - b.most(arriving) * receives, None, 0, relaxable=False)
        for row, earlier in zip(demand, covered, strict=True):
            assert earlier is not None
            asked: cp_model.LinearExpr = earlier + row.count * receives
            b.require(inst, asked, row.count, relaxable=False)
