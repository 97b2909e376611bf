"""The CP-SAT side of each hard rule: one module per rule id, under the same name as its domain
module in `models.rules`, each with `build(builder)` adding that rule's constraints.

Candidate moves are shaped by eligibility (who may move), within_group (to which schools) and
flow_direction (in which directions); the rest are counting constraints over those moves.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from solvers.rules import (
    backbone_share,
    eligibility,
    entrusted_residents,
    exam_subject_focus,
    flow_direction,
    lead_outflow_ratio,
    max_outflow_share,
    min_rotation_ratio,
    min_tenure,
    pins,
    subject_balance,
    weak_group_inflow,
    within_group,
)

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

#: In SPEC §4 order, as the rules are added to a model.
MODULES: dict[str, ModuleType] = {
    "eligibility": eligibility,
    "within_group": within_group,
    "flow_direction": flow_direction,
    "min_rotation_ratio": min_rotation_ratio,
    "backbone_share": backbone_share,
    "lead_outflow_ratio": lead_outflow_ratio,
    "weak_group_inflow": weak_group_inflow,
    "exam_subject_focus": exam_subject_focus,
    "min_tenure": min_tenure,
    "subject_balance": subject_balance,
    "entrusted_residents": entrusted_residents,
    "max_outflow_share": max_outflow_share,
    "pins": pins,
}

BUILDERS: dict[str, Callable[[SatBuilder], None]] = {
    rule: module.build for rule, module in MODULES.items()
}
