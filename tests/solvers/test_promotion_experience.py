"""The promotion-experience goal (issue 15) in the CP-SAT model: it decides between otherwise
equal candidates when its weight is set, is reported as its own term, explains itself in 入选理由
and 未入选原因, and changes nothing while its weight is 0 (the default)."""

from __future__ import annotations

import random
from typing import Any

from models import District, Teacher
from models.experience import with_experience
from models.explain import not_chosen_reasons, selection_reasons
from models.objective import evaluate
from models.rules import violations
from solvers.solve import solve

from ..conftest import build_district, teacher  # type: ignore[import-not-found]

#: One rotation out of two eligible teachers (10% of 2, rounded up) from lead S1 to S3 (S2 is
#: weak, so a single arrival there would break 组团流入); no coordinates, so no commute.
TINY = {"backbone_share": 0, "subject_balance_tolerance": 1}


def tiny(a: Teacher, b: Teacher, **policy: Any) -> District:
    return build_district(teachers=[a, b], policy={**TINY, **policy})


def chosen(d: District) -> list[str]:
    result = solve(d)
    assert result.status == "optimal"
    return [r.teacher_id for r in result.plan.rotations]


def test_the_goal_picks_whoever_lacks_the_experience() -> None:
    lacking = {"rotation_years_done": 0, "schools_taught": 1}
    done = {"rotation_years_done": 2, "schools_taught": 2}
    on = {"weight_promotion_experience": 20}
    assert chosen(tiny(teacher("A", "S1", **lacking), teacher("B", "S1", **done), **on)) == ["A"]
    assert chosen(tiny(teacher("A", "S1", **done), teacher("B", "S1", **lacking), **on)) == ["B"]
    # Off (the default) the two are tied: either is optimal, at the same objective.
    off = solve(tiny(teacher("A", "S1", **lacking), teacher("B", "S1", **done)))
    assert off.objective == -100 and len(off.plan.rotations) == 1


def test_hand_derived_optimum_with_and_without_the_goal() -> None:
    """A lacks experience; B does not but volunteers (+20). Choosing A scores −100 + 30 = −70
    with weight 30, B −100 + 20 = −80; with the goal off A scores −100 and B wins."""
    a = teacher("A", "S1", rotation_years_done=1, schools_taught=1)
    b = teacher("B", "S1", rotation_years_done=2, schools_taught=2, volunteer=True)
    off = solve(tiny(a, b))
    assert [r.teacher_id for r in off.plan.rotations] == ["B"] and off.objective == -80
    assert off.terms["promotion_experience"] == 0
    d = tiny(a, b, weight_promotion_experience=30)
    on = solve(d)
    assert [(r.teacher_id, r.to_school_id) for r in on.plan.rotations] == [("A", "S3")]
    assert on.objective == on.best_bound == -70
    assert {k: v for k, v in on.terms.items() if v} == {
        "rotation": -100,
        "promotion_experience": 30,
    }
    assert evaluate(d, on.plan) == on.terms
    assert violations(d, on.plan) == []


def test_reasons_name_the_missing_experience() -> None:
    # B is one year more senior and volunteers: only the goal (weight 40) puts A first.
    a = teacher("A", "S1", rotation_years_done=1, schools_taught=1)
    b = teacher("B", "S1", years_at_school=9, volunteer=True)
    d = tiny(a, b, weight_promotion_experience=40)
    plan = solve(d).plan
    assert [r.teacher_id for r in plan.rotations] == ["A"]
    assert selection_reasons(d, plan)["A"].endswith(
        "尚缺晋升所需交流经历（已交流1年、任教1所学校；要求2年、2所）"
    )
    assert "补足晋升经历" in not_chosen_reasons(d, plan)["B"]
    off = tiny(a, b)
    off_plan = solve(off).plan
    assert [r.teacher_id for r in off_plan.rotations] == ["B"]
    assert "晋升" not in selection_reasons(off, off_plan)["B"]


def test_group_override_turns_the_goal_on_for_one_group_only() -> None:
    a = teacher("A", "S1", rotation_years_done=1, schools_taught=1)
    b = teacher("B", "S1", volunteer=True)
    d = tiny(a, b)
    overrides = {"G1": {"weight_promotion_experience": 30}}
    d = d.replace(policy=d.policy.model_copy(update={"group_overrides": overrides}))
    assert chosen(d) == ["A"]


def test_off_by_default_the_plan_is_the_same_whatever_the_experience() -> None:
    from rotation.samples.generate import generate_district

    district = generate_district(teachers=600, seed=3, structure="minhang", plan_year=2025)
    rng = random.Random(5)
    history = {t.teacher_id: (rng.randint(0, 3), rng.randint(1, 3)) for t in district.teachers}
    filled = with_experience(district, history)
    before, after = solve(district), solve(filled)
    assert after.plan == before.plan and after.objective == before.objective
    assert after.terms == before.terms and after.terms["promotion_experience"] == 0
    weight = 25
    on_district = filled.replace(
        policy=filled.policy.model_copy(
            update={
                "district": filled.policy.district.model_copy(
                    update={"weight_promotion_experience": weight}
                )
            }
        )
    )
    on = solve(on_district)
    lacking = sum(
        1
        for r in on.plan.rotations
        if on_district.teacher(r.teacher_id).rotation_years_done in (0, 1)
        or on_district.teacher(r.teacher_id).schools_taught == 1
    )
    assert on.terms["promotion_experience"] == weight * lacking > 0
    assert evaluate(on_district, on.plan) == on.terms
    assert violations(on_district, on.plan) == []
    assert on.objective is not None and before.objective is not None
    assert on.objective >= before.objective + weight * sum(
        1
        for r in before.plan.rotations
        if history[r.teacher_id][0] < 2 or history[r.teacher_id][1] < 2
    )
