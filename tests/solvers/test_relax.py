"""--relax is lexicographic in the units people read: one person short of a higher-priority rule
is never traded for any number short of a lower one; shortfalls are counted in people."""

from __future__ import annotations

from itertools import pairwise

import pytest
from ortools.sat.python import cp_model

from models.plan import SolveOptions
from models.rules import RULES, RuleInstance
from solvers.relax import solve_relaxed
from solvers.sat import SatBuilder
from solvers.solve import solve

from ..conftest import build_district, teacher  # type: ignore[import-not-found]

RELAXABLE = sorted(
    (r for r in RULES.values() if r.relax_priority is not None),
    key=lambda r: -(r.relax_priority or 0),
)
PAIRS = [(hi.id, lo.id) for hi, lo in pairwise(RELAXABLE)]


@pytest.mark.parametrize(("higher", "lower"), PAIRS)
def test_each_priority_beats_any_amount_of_the_next(higher: str, lower: str) -> None:
    """The higher rule wants one person, the lower wants none of three people who come
    together: weights 9 vs 8 would give up the one; lexicographic keeps it."""
    d = build_district(teachers=[teacher("T1", "S1")], policy={"backbone_share": 0})
    b = SatBuilder(d, ["G1"], mode="relax")
    b.make_arcs()
    y = [b.m.new_bool_var(f"y{i}") for i in range(3)]
    b.m.add(y[0] == y[1])
    b.m.add(y[1] == y[2])
    b.require(RuleInstance(higher, "G1"), y[0], 1)
    b.require(RuleInstance(lower, "G1"), cp_model.LinearExpr.sum(y), None, 0)
    b.objective()
    built = b.result(0.0)
    solver, code = solve_relaxed(built, SolveOptions())
    assert code == cp_model.OPTIMAL
    assert solver.value(y[0]) == 1
    short = {s.instance.rule: sum(solver.value(v) for v in s.variables) for s in built.slacks}
    assert short == {higher: 0, lower: 3}


def test_backbone_shortfall_is_counted_in_teachers() -> None:
    """Four rotations at a 50 % share need two backbone teachers; none can go: 2 short, not the
    4 units of the exact form 2·backbone − rotated ≥ 0."""
    d = build_district(
        teachers=[teacher(f"T{i}", "S1") for i in range(4)],
        policy={
            "min_rotation_ratio": "100%",
            "backbone_share": "50%",
            "subject_balance_tolerance": 10,
        },
    )
    result = solve(d, SolveOptions(relax=True, workers=1))
    short = {s.rule: s.missing for s in result.shortfalls}
    assert short == {"backbone_share": 2}
    assert len(result.plan.rotations) == 4  # the ratio (priority 6) holds, backbone (5) gives


def test_a_pin_is_not_broken_to_save_backbone_teachers() -> None:
    """Three must-go pins of non-backbone teachers under a 100 % backbone share: the pins hold
    and the backbone share falls short (the old weighting broke the pins)."""
    from models import Pin

    d = build_district(
        teachers=[teacher(f"T{i}", "S1") for i in range(5)],
        pins=[Pin(teacher_id=f"T{i}", kind="必须交流至", school_id="S3") for i in range(3)],
        policy={"backbone_share": "100%", "subject_balance_tolerance": 10},
    )
    result = solve(d, SolveOptions(relax=True, workers=1))
    assert {r.teacher_id for r in result.plan.rotations} >= {"T0", "T1", "T2"}
    assert {s.rule for s in result.shortfalls} == {"backbone_share"}
    assert result.shortfalls[0].missing == len(result.plan.rotations)
