"""min_tenure in CP-SAT: every new rotation is read back with its group's full term
(`models.rules.min_tenure.term`), and ongoing rotations are input, never decisions — so the rule
needs no constraint."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solvers.sat import SatBuilder

ID = "min_tenure"


def build(b: SatBuilder) -> None:
    """Nothing to add: the term is fixed when the plan is read back from the solution."""
