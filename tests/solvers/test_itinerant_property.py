"""走教 on random generated districts (issue 17): every assignment passes the checkers, and the
uncovered periods respect the hand-derived floor (a row nobody qualified can reach stays short;
a subject's rows get no more than the spare periods of those who can reach them)."""

from __future__ import annotations

import pytest

from models.itinerant import coverage, lower_bound_uncovered
from models.plan import SolveOptions
from models.rules import check_plan
from rotation.samples.generate import generate_district
from solvers.solve import solve


@pytest.mark.parametrize(
    ("seed", "structure", "scope"),
    [
        (1, "minhang", "group"),
        (2, "ganzhou", "group"),
        (3, "minhang", "district"),
        (4, "ganzhou", "district"),
    ],
)
def test_random_districts(seed: int, structure: str, scope: str) -> None:
    d = generate_district(teachers=400, seed=seed, structure=structure, itinerant=True)
    assert d.itinerant_demand
    policy = d.policy.district.model_copy(
        update={"itinerant_scope": scope, "itinerant_max_periods": 2 + seed % 3}
    )
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    result = solve(d, SolveOptions(workers=1))
    if result.status not in ("optimal", "feasible"):
        pytest.skip("the rotation rules cannot be met on this draw")
    failing = [c for c in check_plan(d, result.plan) if not c.ok]
    assert failing == []
    gaps = coverage(d, result.plan)
    short = sum(g.uncovered for g in gaps)
    assert short >= lower_bound_uncovered(d, result.plan)
    assert all(g.full and (g.reason != "") == (g.uncovered > 0) for g in gaps)
    assert -result.terms["itinerant_uncovered"] == short * policy.weight_itinerant_uncovered
