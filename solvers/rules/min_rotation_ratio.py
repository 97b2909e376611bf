"""min_rotation_ratio in CP-SAT: per ratio scope, rotated ≥ ceil(ratio × base)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from models.requirements import base_count, ceil_share, min_ratio
from models.rules.min_rotation_ratio import ID, instance
from models.vocab import RatioBase

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One constraint per ratio scope. In a later year of a horizon, teachers of the base chosen
    in an earlier year leave the base: rotated ≥ ratio × (base − earlier), kept exact as
    q·rotated + p·earlier ≥ p·base."""
    for unit in b.ratio_units():
        policy = b.d.policy.for_group(unit.group_id)
        base = base_count(b.d, unit.teachers)
        need = ceil_share(base, min_ratio(b.d, unit.group_id))
        outs = [i for s in unit.school_ids for i in b.by_home[s]]
        inst = instance(ID, unit)
        earlier = b.base_discount.get(inst)
        if earlier is not None and policy.ratio_base == RatioBase.ELIGIBLE:
            ratio = Fraction(min_ratio(b.d, unit.group_id))
            expr = ratio.denominator * b.total(outs) + ratio.numerator * earlier
            b.require(inst, expr, ratio.numerator * base, unit=ratio.denominator)
        elif need > 0:
            b.require_count(inst, outs, need)
