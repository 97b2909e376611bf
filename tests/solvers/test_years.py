"""Across school years: plan → advance → plan for five years, and re-planning with few changes."""

from __future__ import annotations

from models.advance import advance
from models.plan import SolveOptions
from models.policy import parse_param
from models.rules import violations
from rotation.samples.generate import generate_district
from solvers.solve import solve


def test_five_years_of_plans_each_pass_every_rule() -> None:
    """Subject balance with tolerance 1: under the default 0 a 2,000-teacher district runs out of
    same-subject exchange partners by the third or fourth year (see BENCHMARKS/notes)."""
    d = generate_district(teachers=2000, seed=3, structure="minhang")
    policy = d.policy.district.model_copy(update={"subject_balance_tolerance": 1})
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    for year in range(2025, 2030):
        assert d.plan_year == year
        result = solve(d, SolveOptions(workers=1))
        assert result.status == "optimal", [c.message for c in result.conflicts]
        assert violations(d, result.plan) == []  # tenure, refills, eligibility… all re-checked
        away = {o.teacher_id for o in d.ongoing if o.end_year >= year}
        chosen = {r.teacher_id for r in result.plan.rotations}
        assert not chosen & away, "nobody is chosen while on rotation"
        assert all(r.end_year == year + 2 for r in result.plan.rotations)
        assert {r.teacher_id for r in result.plan.returns} == {
            o.teacher_id for o in d.ongoing if o.end_year < year
        }
        d = advance(d, result.plan)


def test_replanning_after_a_deferral_changes_only_that_teacher() -> None:
    """One chosen teacher is deferred in June. A colleague of the same school and subject can
    take the same move, so the closest plan replaces exactly one teacher: ≤ 2 changed rows
    (one removed, one added) — the bound asserted here. (Seed 3: since the generator's lead
    schools hold a third of their group, seed 5's closest plan also drops a now unneeded pair.)"""
    d = generate_district(teachers=2000, seed=3, structure="minhang")
    first = solve(d, SolveOptions(workers=1))
    assert first.status == "optimal"
    chosen = {r.teacher_id for r in first.plan.rotations}
    target = next(
        r
        for r in first.plan.rotations
        if not d.teacher(r.teacher_id).is_backbone
        and any(
            t.subject == d.teacher(r.teacher_id).subject
            and t.teacher_id not in chosen
            and not t.is_backbone
            and d.status(t.teacher_id).teaching_stage == d.status(r.teacher_id).teaching_stage
            for t in d.eligible_teachers()
            if t.school_id == r.from_school_id
        )
    )
    teachers = tuple(
        t.model_copy(update={"deferral": "病休"}) if t.teacher_id == target.teacher_id else t
        for t in d.teachers
    )
    changed = d.replace(teachers=teachers)
    again = solve(changed, SolveOptions(workers=1, reference=first.plan))
    assert again.status == "optimal"
    assert violations(changed, again.plan) == []
    before = {(r.teacher_id, r.to_school_id) for r in first.plan.rotations}
    after = {(r.teacher_id, r.to_school_id) for r in again.plan.rotations}
    assert len(before ^ after) <= 2
    assert target.teacher_id not in {t for t, _ in after}
    fresh = solve(changed, SolveOptions(workers=1))
    assert len(before ^ {(r.teacher_id, r.to_school_id) for r in fresh.plan.rotations}) >= len(
        before ^ after
    )
    assert again.terms["plan_change"] == -parse_param("weight_plan_change", "50") * len(
        {t for t, _ in before ^ after}
    )


def test_three_year_horizon_firm_year_passes_and_later_years_are_disjoint() -> None:
    from solvers.horizon import solve_horizon

    d = generate_district(teachers=600, seed=3, structure="minhang")
    policy = d.policy.district.model_copy(update={"subject_balance_tolerance": 1})
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    joint = solve_horizon(d, 3, SolveOptions(workers=1, time_limit=5))
    assert joint.status in ("optimal", "feasible")
    assert [p.plan_year for p in joint.plans] == [2025, 2026, 2027]
    assert violations(d, joint.plans[0]) == []  # the firm year meets every rule on its own
    seen: set[str] = set()
    for plan in joint.plans:
        movers = {r.teacher_id for r in plan.rotations}
        assert not movers & seen, "a teacher moves at most once in the horizon"
        seen |= movers
        assert plan.rotations


def test_horizon_components_in_parallel_give_the_serial_plans() -> None:
    from solvers.horizon import solve_horizon
    from solvers.solve import components

    d = generate_district(teachers=1000, seed=1, structure="minhang")
    policy = d.policy.district.model_copy(update={"subject_balance_tolerance": 1})
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    assert len(components(d)) == 2
    serial = solve_horizon(d, 3, SolveOptions(workers=1, time_limit=60))
    parallel = solve_horizon(d, 3, SolveOptions(workers=2, time_limit=60))
    assert serial.status == parallel.status == "optimal"
    assert parallel.plans == serial.plans and parallel.objective == serial.objective
    assert violations(d, parallel.plans[0]) == []
