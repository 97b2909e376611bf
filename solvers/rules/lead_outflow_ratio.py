"""lead_outflow_ratio in CP-SAT: the lead school sends ≥ ceil(ratio × its eligible), where set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.requirements import ceil_share, lead_eligible
from models.rules.lead_outflow_ratio import instance

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One constraint per group with the parameter set and a positive minimum."""
    for gid in b.group_ids:
        ratio = b.d.policy.for_group(gid).lead_outflow_ratio
        if ratio is None:
            continue
        need = ceil_share(lead_eligible(b.d, gid), ratio)
        if need > 0:
            lead = b.d.group(gid).lead_school_id
            b.require(instance(b.d, gid), b.total(b.by_home[lead]), need)
