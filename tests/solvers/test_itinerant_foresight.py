"""What `validate` foresees of 走教 never exceeds what a plan then leaves uncovered."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.itinerant import coverage
from models.plan import Plan, SolveOptions
from models.requirements import itinerant_foresight
from rotation.samples.generate import generate_district
from solvers.itinerant import plan_itinerant
from solvers.solve import solve


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(1, 10_000),
    structure=st.sampled_from(["minhang", "ganzhou"]),
    scope=st.sampled_from(["group", "district"]),
    max_km=st.sampled_from([5, 10, 15]),
    max_periods=st.integers(1, 6),
)
def test_foreseen_gaps_are_a_floor(
    seed: int, structure: str, scope: str, max_km: int, max_periods: int
) -> None:
    d = generate_district(teachers=400, seed=seed, structure=structure, itinerant=True)
    policy = d.policy.district.model_copy(
        update={
            "itinerant_scope": scope,
            "itinerant_max_km": max_km,
            "itinerant_max_periods": max_periods,
        }
    )
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    floor = sum(periods for _, periods in itinerant_foresight(d))
    # whatever the rotations: nobody moved, and the optimised plan when the rules can be met
    stay = Plan(plan_year=d.plan_year)
    plans = [stay.model_copy(update={"itinerant": plan_itinerant(d, stay).assignments})]
    result = solve(d, SolveOptions(workers=1))
    if result.status in ("optimal", "feasible"):
        plans.append(result.plan)
    for plan in plans:
        assert sum(g.uncovered for g in coverage(d, plan)) >= floor
