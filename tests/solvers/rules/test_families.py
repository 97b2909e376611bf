"""One rule family at a time, in the style of the CP-SAT Primer's test-driven rostering: build a
model with only the candidate moves and that family's constraints on a district of a handful of
teachers, optimise a plain count, and compare with the optimum worked out by hand. The rule's
own solver-free checker must pass on the result.

End-to-end tests (tests/solvers/test_rules.py) solve with every rule at once; these pin each
family down on its own, so a broken family fails here by name."""

from __future__ import annotations

from typing import Any, Literal

from ortools.sat.python import cp_model

from models import Demand, District, Group, Pin, School
from models.plan import Plan, SolveOptions, returns_of
from models.rules import RULES, PlanFacts
from solvers.rules import BUILDERS
from solvers.sat import SatBuilder, chosen_rotations, sat_parameters

from ...conftest import (  # type: ignore[import-not-found]
    build_district,
    entrusted_district,
    junior_district,
    teacher,
)

Sense = Literal["min", "max"]


def optimum(d: District, family: str, sense: Sense, **counted: Any) -> tuple[int, Plan]:
    """Optimise the number of moves (only those to `counted["to"]` when given) under the
    candidate moves and one rule family; returns the optimum and the plan."""
    b = SatBuilder(d, [g.group_id for g in d.groups])
    b.make_arcs()
    BUILDERS["eligibility"](b)  # one move per teacher: part of every model
    BUILDERS[family](b)
    to = counted.get("to")
    chosen = [
        x for arc, x in zip(b.arcs, b.x, strict=True) if to is None or arc.host.school_id == to
    ]
    total = cp_model.LinearExpr.sum(chosen)
    if sense == "min":
        b.m.minimize(total)
    else:
        b.m.maximize(total)
    solver = sat_parameters(SolveOptions())
    assert solver.solve(b.m) == cp_model.OPTIMAL
    plan = Plan(
        plan_year=d.plan_year,
        rotations=tuple(chosen_rotations(d, b.arcs, b.x, solver)),
        returns=returns_of(d),
    )
    failing = [c for c in RULES[family].check(PlanFacts.of(d, plan)) if not c.ok]
    assert failing == [], failing
    return round(solver.objective_value), plan


def test_eligibility_only_eligible_teachers_move_once() -> None:
    d = build_district(
        teachers=[
            teacher("T1", "S1"),
            teacher("T2", "S1", years_at_school=2),  # too new
            teacher("T3", "S1", deferral="病休"),
        ]
    )
    best, plan = optimum(d, "eligibility", "max")
    assert best == 1 and [r.teacher_id for r in plan.rotations] == ["T1"]


def test_within_group_keeps_moves_in_the_group() -> None:
    schools = [
        School(school_id="S1", name="甲校", group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="乙校", group_id="G1", stage="小学", weak=False),
        School(school_id="B1", name="丙校", group_id="G2", stage="小学", weak=False),
        School(school_id="B2", name="丁校", group_id="G2", stage="小学", weak=False),
    ]
    groups = [
        Group(group_id="G1", name="一集团", lead_school_id="S1"),
        Group(group_id="G2", name="二集团", lead_school_id="B1"),
    ]
    d = build_district(schools=schools, groups=groups, teachers=[teacher("T1", "S1")])
    best, plan = optimum(d, "within_group", "max", to="B2")
    assert best == 0 and plan.rotations == ()


def test_flow_direction_member_to_member_forbidden_by_default() -> None:
    d = build_district(teachers=[teacher("T1", "S2"), teacher("T2", "S2")])
    best, _ = optimum(d, "flow_direction", "max", to="S3")  # S2 → S3 is member → member
    assert best == 0
    allowed = build_district(
        teachers=[teacher("T1", "S2"), teacher("T2", "S2")],
        policy={"flow_direction": "lead_to_member,member_to_lead,member_to_member"},
    )
    assert optimum(allowed, "flow_direction", "max", to="S3")[0] == 2


def test_min_rotation_ratio_minimum_is_the_ceiling() -> None:
    d = build_district(policy={"min_rotation_ratio": "50%"})  # 5 eligible → ⌈2.5⌉ = 3
    assert optimum(d, "min_rotation_ratio", "min")[0] == 3


def test_backbone_share_caps_the_rotation_at_what_backbone_allows() -> None:
    teachers = [teacher(f"T{i}", "S1") for i in range(1, 6)]
    teachers[0] = teacher("T1", "S1", backbone="区级骨干")
    d = build_district(teachers=teachers, policy={"backbone_share": "50%"})
    best, plan = optimum(d, "backbone_share", "max")  # 1 backbone ≥ 50 % of at most 2
    assert best == 2 and "T1" in {r.teacher_id for r in plan.rotations}


def test_lead_outflow_ratio_minimum_from_the_lead_school() -> None:
    d = build_district(policy={"lead_outflow_ratio": "40%"})  # 5 eligible at S1 → 2
    best, plan = optimum(d, "lead_outflow_ratio", "min")
    assert best == 2 and {r.from_school_id for r in plan.rotations} == {"S1"}


def test_weak_group_inflow_team_or_nobody() -> None:
    two = build_district(teachers=[teacher("T1", "S1"), teacher("T2", "S1")])
    assert optimum(two, "weak_group_inflow", "max", to="S2")[0] == 0  # 1 or 2 is no team
    three = build_district(teachers=[teacher(f"T{i}", "S1") for i in range(1, 4)])
    assert optimum(three, "weak_group_inflow", "max", to="S2")[0] == 3
    asked = build_district(demand=[Demand(school_id="S2", subject="数学", count=1)])
    assert optimum(asked, "weak_group_inflow", "min")[0] == 3  # demand: a team of 3 at least


def test_exam_subject_focus_only_exam_subjects_and_demand_covered() -> None:
    teachers = [
        teacher("T1", "S1", subject="数学"),
        teacher("T2", "S1", subject="音乐"),
        teacher("T3", "S1", subject="语文"),
    ]
    d = junior_district(teachers=teachers)
    best, plan = optimum(d, "exam_subject_focus", "max", to="S2")
    assert best == 2 and "T2" not in {r.teacher_id for r in plan.rotations}
    asked = junior_district(
        teachers=teachers, demand=[Demand(school_id="S2", subject="语文", count=1)]
    )
    best, plan = optimum(asked, "exam_subject_focus", "min")
    assert best == 1 and plan.rotations[0].teacher_id == "T3"


def test_min_tenure_new_rotations_run_the_full_term() -> None:
    d = build_district(policy={"min_tenure_years": 4})
    _, plan = optimum(d, "min_tenure", "max")
    assert {(r.start_year, r.end_year) for r in plan.rotations} == {(2025, 2028)}


def test_subject_balance_moves_are_exchanges() -> None:
    teachers = [teacher(f"A{i}", "S1") for i in range(3)] + [
        teacher(f"B{i}", "S2") for i in range(2)
    ]
    d = build_district(teachers=teachers)
    # S1 ↔ S2 only as pairs of the same subject; S3 has nobody to send back: 2 + 2 moves.
    best, plan = optimum(d, "subject_balance", "max")
    assert best == 4 and all(r.to_school_id != "S3" for r in plan.rotations)


def test_entrusted_residents_team_with_a_manager() -> None:
    teachers = [
        teacher("T1", "S1"),
        teacher("T2", "S1"),
        teacher("T3", "S1"),
        teacher("T4", "S1", management=True),
    ]
    d = entrusted_district(teachers)
    best, plan = optimum(d, "entrusted_residents", "min")
    assert best == 3 and "T4" in {r.teacher_id for r in plan.rotations}


def test_max_outflow_share_caps_each_school() -> None:
    d = build_district(policy={"max_outflow_share": "40%"})  # ⌊5 × 0.4⌋ = 2
    assert optimum(d, "max_outflow_share", "max")[0] == 2


def test_pins_force_and_forbid() -> None:
    d = build_district(
        pins=[
            Pin(teacher_id="T1", kind="必须交流至", school_id="S3"),
            Pin(teacher_id="T2", kind="不得交流"),
            Pin(teacher_id="T3", kind="不得交流至", school_id="S2"),
        ]
    )
    best, plan = optimum(d, "pins", "min")
    assert best == 1 and plan.rotations[0].teacher_id == "T1"
    assert plan.rotations[0].to_school_id == "S3"
    best, plan = optimum(d, "pins", "max")
    assert best == 4 and "T2" not in {r.teacher_id for r in plan.rotations}
    assert all(r.to_school_id != "S2" for r in plan.rotations if r.teacher_id == "T3")
