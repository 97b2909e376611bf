"""subject_balance in CP-SAT: per school and subject, with net = inflow + returns home −
outflow − returns leaving, −tolerance ≤ net ≤ tolerance + returns home."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from models.requirements import returns_by_school
from models.rules import RuleInstance
from models.rules.subject_balance import ID, allowed

if TYPE_CHECKING:
    from solvers.sat import SatBuilder


def build(b: SatBuilder) -> None:
    """One two-sided constraint per (school, subject) that any move or return touches."""
    returns = returns_by_school(b.d)
    fixed: dict[tuple[str, str], int] = defaultdict(int)
    home: dict[tuple[str, str], int] = defaultdict(int)
    for school_id in b.school_ids:
        for subject, change in returns.get(school_id, ()):
            fixed[school_id, subject] += change
            home[school_id, subject] += change > 0
    inflow: dict[tuple[str, str], list[int]] = defaultdict(list)
    outflow: dict[tuple[str, str], list[int]] = defaultdict(list)
    arcs = b.arcs
    for i, arc in enumerate(arcs):
        inflow[arc.host.school_id, arc.teacher.subject].append(i)
    for indices in b.by_teacher.values():  # a teacher's arcs: one home, one subject
        if indices:
            arc = arcs[indices[0]]
            outflow[arc.home.school_id, arc.teacher.subject].extend(indices)
    tolerance = {g: b.d.policy.for_group(g).subject_balance_tolerance for g in b.group_ids}
    for key in sorted(set(inflow) | set(outflow) | set(fixed)):
        school_id, subject = key
        group_id = b.d.school(school_id).group_id
        tol = tolerance[group_id]
        low, high = allowed(tol, home.get(key, 0))
        b.require_count(
            RuleInstance(ID, group_id, school_id, subject),
            inflow.get(key, []),
            low,
            high,
            minus=outflow.get(key, []),
            constant=fixed.get(key, 0),
        )
