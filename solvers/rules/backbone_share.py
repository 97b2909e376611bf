"""backbone_share in CP-SAT: per ratio scope, q·backbone ≥ p·rotated for the share p/q, exactly."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from models.rules.backbone_share import ID
from models.rules.min_rotation_ratio import instance

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One constraint per ratio scope with a non-zero share."""
    for unit in b.ratio_units():
        share = Fraction(b.d.policy.for_group(unit.group_id).backbone_share)
        if share == 0:
            continue
        outs = [i for s in unit.school_ids for i in b.by_home[s]]
        backbone = [i for i in outs if b.arcs[i].teacher.is_backbone]
        balance = share.denominator * b.total(backbone) - share.numerator * b.total(outs)
        b.require(instance(ID, unit), balance, 0, unit=share.denominator)
