"""max_outflow_share in CP-SAT: no school sends more than floor(share × its teachers), where set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.requirements import max_outflow
from models.rules import RuleInstance
from models.rules.max_outflow_share import ID

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One upper bound per school that could send anyone."""
    for s in b.schools:
        share = b.d.policy.for_group(s.group_id).max_outflow_share
        if share is None or not b.by_home[s.school_id]:
            continue
        cap = max_outflow(len(b.d.teachers_of_school(s.school_id)), share)
        inst = RuleInstance(ID, s.group_id, s.school_id)
        b.require_count(inst, b.by_home[s.school_id], None, cap)
