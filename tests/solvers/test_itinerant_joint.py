"""走教 in one model with the rotations (issue 17 item 4): its plans pass every checker, and
with the rotations free it never leaves more periods uncovered than the second stage."""

from __future__ import annotations

import pytest

from models.itinerant import coverage
from models.objective import ITINERANT_TERMS
from models.plan import Plan, SolveOptions
from models.rules import check_plan
from rotation.samples.generate import generate_district
from solvers.itinerant_joint import joint_components, solve_joint
from solvers.solve import solve


@pytest.mark.parametrize(
    ("teachers", "seed", "structure", "scope", "schools"),
    [
        (400, 1, "minhang", "group", 1),
        (400, 3, "minhang", "district", 1),
        (400, 4, "ganzhou", "district", 1),
        (400, 3, "minhang", "group", 2),
        (1000, 5, "minhang", "group", 1),
        (1000, 6, "minhang", "group", 2),
    ],
)
def test_joint_plans_pass_every_rule_and_cover_at_least_as_much(
    teachers: int, seed: int, structure: str, scope: str, schools: int
) -> None:
    d = generate_district(teachers=teachers, seed=seed, structure=structure, itinerant=True)
    policy = d.policy.district.model_copy(
        update={"itinerant_scope": scope, "itinerant_max_schools": schools}
    )
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    staged = solve(d, SolveOptions(workers=1))
    if staged.status not in ("optimal", "feasible"):
        pytest.skip("the rotation rules cannot be met on this draw")
    joint = solve_joint(d, SolveOptions(workers=1))
    assert joint.status == "optimal"
    assert [c for c in check_plan(d, joint.plan) if not c.ok] == []
    assert joint.plan.itinerant

    def short(plan: Plan) -> int:
        return sum(g.uncovered for g in coverage(d, plan))

    assert short(joint.plan) <= short(staged.plan)
    assert (
        joint.terms["itinerant_uncovered"] == -short(joint.plan) * policy.weight_itinerant_uncovered
    )
    if short(joint.plan) == short(staged.plan):
        # the same coverage: the rotations and the 走教 terms together are no worse (to within
        # the rounding of the km a week, which the model counts in 0.1 km)
        def rest(terms: dict[str, int]) -> int:
            rotation = sum(v for k, v in terms.items() if k not in ITINERANT_TERMS)
            return rotation + sum(v for k, v in terms.items() if k in ITINERANT_TERMS)

        assert rest(joint.terms) >= rest(staged.terms) - 1
    expected = 1 if scope == "district" else len(d.groups)
    assert len(joint_components(d)) <= expected


def test_joint_plan_is_the_same_in_one_process_or_two() -> None:
    """…and a teacher the model rotates this year goes to 走教 from the new host (the place
    is the model's choice, and itinerant_qualified checks it)."""
    d = generate_district(teachers=1000, seed=5, structure="minhang", itinerant=True)
    one = solve_joint(d, SolveOptions(workers=1))
    two = solve_joint(d, SolveOptions(workers=2))
    assert (one.plan.rotations, one.plan.itinerant) == (two.plan.rotations, two.plan.itinerant)
    hosts = {r.teacher_id: r.to_school_id for r in one.plan.rotations}
    assert any(hosts.get(a.teacher_id) == a.from_school_id for a in one.plan.itinerant)
