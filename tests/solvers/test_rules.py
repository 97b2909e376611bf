"""Each hard rule: a plan that satisfies it, a forced violation the solver refuses (naming the
rule), a checker that catches a hand-made violation, and tiny instances with a known optimum.

Every solved plan is re-checked with the solver-free checkers of models.rules."""

from __future__ import annotations

from typing import Any

from models import Demand, District, Group, OngoingRotation, Pin, School
from models.objective import evaluate
from models.plan import NewRotation, Plan, SolveResult, returns_of
from models.rules import check_plan, violations
from solvers.solve import solve

from ..conftest import (  # type: ignore[import-not-found]
    build_district,
    entrusted_district,
    junior_district,
    teacher,
)


def solved(district: District) -> SolveResult:
    """Solve, then insist the plan passes every checker and the objective is the plan's."""
    result = solve(district)
    if result.status in ("optimal", "feasible"):
        assert violations(district, result.plan) == []
        assert sum(evaluate(district, result.plan).values()) == result.objective
    return result


def moves(result: SolveResult) -> set[tuple[str, str]]:
    return {(r.teacher_id, r.to_school_id) for r in result.plan.rotations}


def conflict_rules(result: SolveResult) -> set[str]:
    return {c.rule for c in result.conflicts}


def failing(district: District, rotations: list[tuple[str, str]]) -> set[str]:
    """Rules a hand-made plan breaks, by the checkers alone."""
    year = district.plan_year
    plan = Plan(
        plan_year=year,
        rotations=tuple(
            NewRotation(
                teacher_id=t,
                from_school_id=district.teacher(t).school_id,
                to_school_id=h,
                start_year=year,
                end_year=year + 2,
            )
            for t, h in rotations
        ),
        returns=returns_of(district),
    )
    return {c.rule for c in check_plan(district, plan) if not c.ok}


def pool(school: str, n: int, prefix: str, **kw: Any) -> list[Any]:
    return [teacher(f"{prefix}{i}", school, **kw) for i in range(1, n + 1)]


# -- min_rotation_ratio + subject_balance + weak_group_inflow ---------------------------------


def test_minimal_exchange_is_the_optimum() -> None:
    """20 eligible maths teachers at the lead, 10 at the weak member: 10% of 30 = 3 must rotate;
    a weak school takes a team of ≥3 and subject balance makes it an exchange, so the optimum
    is 3 out and 3 back, the most senior of each school (ranks 0,1,2 → seniority 2×3)."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", years_at_school=20 - i) for i in range(10)]
    result = solved(build_district(teachers=teachers, policy={"backbone_share": 0}))
    assert result.status == "optimal"
    assert moves(result) == {
        ("L0", "S2"),
        ("L1", "S2"),
        ("L2", "S2"),
        ("W0", "S1"),
        ("W1", "S1"),
        ("W2", "S1"),
    }
    assert result.terms["rotation"] == -600
    assert result.terms["seniority"] == -10 * (0 + 1 + 2) * 2


def test_ratio_checker_catches_a_short_plan() -> None:
    d = build_district(
        teachers=pool("S1", 20, "L") + pool("S2", 10, "W"), policy={"backbone_share": 0}
    )
    assert "min_rotation_ratio" in failing(d, [("L1", "S2"), ("W1", "S1")])
    assert "weak_group_inflow" in failing(d, [("L1", "S2"), ("W1", "S1")])
    assert (
        failing(d, [(f"L{i}", "S2") for i in (1, 2, 3)] + [(f"W{i}", "S1") for i in (1, 2, 3)])
        == set()
    )


def test_ratio_that_cannot_be_met_names_the_rule() -> None:
    d = build_district(
        teachers=pool("S1", 3, "L") + pool("S2", 1, "W"),
        policy={"min_rotation_ratio": "50%", "backbone_share": 0},
    )
    result = solved(d)
    assert result.status == "infeasible"
    assert "min_rotation_ratio" in conflict_rules(result)


def test_subject_balance_forbids_a_one_way_move() -> None:
    d = build_district(
        teachers=pool("S1", 20, "L") + pool("S2", 10, "W", subject="语文"),
        policy={"backbone_share": 0},
    )
    result = solved(d)
    assert result.status == "infeasible"
    assert "subject_balance" in conflict_rules(result)
    assert "subject_balance" in failing(d, [(f"L{i}", "S2") for i in (1, 2, 3)])
    tolerant = solved(
        d.replace(
            policy=d.policy.model_copy(
                update={
                    "district": d.policy.district.model_copy(
                        update={"subject_balance_tolerance": 3}
                    )
                }
            )
        )
    )
    assert tolerant.status == "optimal"


# -- backbone_share ------------------------------------------------------------------------------


def test_backbone_share_picks_a_backbone_teacher() -> None:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers.append(teacher("LB", "S1", years_at_school=7, backbone="区级骨干"))
    teachers += [teacher(f"W{i}", "S2", years_at_school=20 - i) for i in range(10)]
    teachers.append(teacher("WB", "S2", years_at_school=7, backbone="市级骨干"))
    result = solved(build_district(teachers=teachers))
    assert result.status == "optimal"
    # 6 rotate (3 each way), so ceil(6 × 20%) = 2 backbone: both juniors are chosen over seniors
    assert {("LB", "S2"), ("WB", "S1")} <= moves(result)
    assert len(moves(result)) == 6


def test_backbone_share_without_backbone_teachers_is_infeasible() -> None:
    d = build_district(teachers=pool("S1", 20, "L") + pool("S2", 10, "W"))
    result = solved(d)
    assert result.status == "infeasible"
    assert "backbone_share" in conflict_rules(result)
    assert "backbone_share" in failing(
        d, [(f"L{i}", "S2") for i in (1, 2, 3)] + [(f"W{i}", "S1") for i in (1, 2, 3)]
    )


# -- eligibility, flow_direction and pins ----------------------------------------------------


def test_pins_force_and_forbid() -> None:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", years_at_school=20 - i) for i in range(10)]
    pins = [
        Pin(teacher_id="L10", kind="必须交流至", school_id="S2", reason="本人申请"),
        Pin(teacher_id="L0", kind="不得交流", reason="毕业班"),
    ]
    result = solved(build_district(teachers=teachers, pins=pins, policy={"backbone_share": 0}))
    assert result.status == "optimal"
    assert ("L10", "S2") in moves(result)
    assert "L0" not in {t for t, _ in moves(result)}


def test_pin_to_an_ineligible_teacher_is_reported() -> None:
    teachers = pool("S1", 20, "L") + pool("S2", 10, "W") + [teacher("N", "S1", years_at_school=2)]
    d = build_district(
        teachers=teachers,
        pins=[Pin(teacher_id="N", kind="必须交流至", school_id="S2")],
        policy={"backbone_share": 0},
    )
    result = solved(d)
    assert result.status == "infeasible"
    assert "pins" in conflict_rules(result)
    assert "eligibility" in failing(d, [("N", "S2")])
    assert "pins" in failing(d, [("W1", "S1")])


def test_flow_direction_blocks_member_to_member() -> None:
    """S2 (weak primary) and S3 (nine-year) are both members: no move between them by default."""
    teachers = pool("S2", 10, "W") + [
        teacher(f"N{i}", "S3", teaching_stage="小学") for i in range(10)
    ]
    teachers.append(teacher("L1", "S1", years_at_school=1))
    d = build_district(teachers=teachers, policy={"backbone_share": 0})
    assert solved(d).status == "infeasible"
    assert "flow_direction" in failing(d, [("W1", "S3")])
    open_d = build_district(
        teachers=teachers,
        policy={
            "backbone_share": 0,
            "flow_direction": "lead_to_member,member_to_lead,member_to_member",
        },
    )
    result = solved(open_d)
    assert result.status == "optimal"
    assert {h for _, h in moves(result)} == {"S2", "S3"}


def test_eligibility_checker_catches_stage_and_status() -> None:
    teachers = [
        *pool("S1", 5, "L"),
        teacher("J", "S3", teaching_stage="初中"),
        teacher("Y", "S1", years_at_school=1),
    ]
    d = build_district(teachers=teachers)
    assert "eligibility" in failing(d, [("J", "S1")])
    assert "eligibility" in failing(d, [("Y", "S2")])


# -- exam_subject_focus -------------------------------------------------------------------------


def test_weak_junior_gets_only_exam_subjects() -> None:
    teachers = [
        teacher(f"A{i}", "S1", subject="美术", years_at_school=40 - i, birth_year=1975 + i % 3)
        for i in range(10)
    ]
    teachers += [teacher(f"M{i}", "S1", subject="数学", years_at_school=7) for i in range(10)]
    teachers += [teacher(f"W{i}", "S2", subject="数学" if i < 5 else "美术") for i in range(10)]
    d = junior_district(teachers=teachers, policy={"backbone_share": 0, "min_years_at_school": 6})
    result = solved(d)
    assert result.status == "optimal"
    assert all(d.teacher(t).subject == "数学" for t, h in moves(result) if h == "S2")
    assert "exam_subject_focus" in failing(
        d, [("A1", "S2"), ("A2", "S2"), ("A3", "S2"), ("W5", "S1"), ("W6", "S1"), ("W7", "S1")]
    )


def test_exam_demand_counts_ongoing_rotations() -> None:
    teachers = [teacher(f"M{i}", "S1", subject="英语") for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", subject="英语") for i in range(10)]
    teachers.append(teacher("OLD", "S1", subject="英语", years_at_school=10))
    ongoing = [
        OngoingRotation(
            teacher_id="OLD", from_school_id="S1", to_school_id="S2", start_year=2024, end_year=2026
        )
    ]
    demand = [Demand(school_id="S2", subject="英语", count=4)]
    d = junior_district(
        teachers=teachers, ongoing=ongoing, demand=demand, policy={"backbone_share": 0}
    )
    result = solved(d)
    assert result.status == "optimal"
    assert sum(1 for _, h in moves(result) if h == "S2") == 3  # 3 new + 1 ongoing ≥ 4
    too_much = junior_district(
        teachers=teachers,
        ongoing=ongoing,
        demand=[Demand(school_id="S2", subject="英语", count=30)],
        policy={"backbone_share": 0},
    )
    assert "exam_subject_focus" in conflict_rules(solved(too_much))


# -- min_tenure and returns ----------------------------------------------------------------------


def test_returns_are_refilled_and_new_terms_run_three_years() -> None:
    """A maths teacher returns from the weak school: it needs a maths refill, so a team of 3."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=20 - i) for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", years_at_school=12 - i) for i in range(10)]
    teachers.append(teacher("BACK", "S1", years_at_school=10))
    ongoing = [
        OngoingRotation(
            teacher_id="BACK",
            from_school_id="S1",
            to_school_id="S2",
            start_year=2022,
            end_year=2024,
        )
    ]
    d = build_district(teachers=teachers, ongoing=ongoing, policy={"backbone_share": 0})
    result = solved(d)
    assert result.status == "optimal"
    assert [r.teacher_id for r in result.plan.returns] == ["BACK"]
    inflow = sum(1 for _, h in moves(result) if h == "S2")
    outflow = sum(1 for _, h in moves(result) if h == "S1")
    assert inflow - outflow == 1 and inflow >= 3
    assert {(r.start_year, r.end_year) for r in result.plan.rotations} == {(2025, 2027)}
    cut = result.plan.model_copy(update={"returns": ()})
    assert "min_tenure" in {c.rule for c in check_plan(d, cut) if not c.ok}


# -- entrusted_residents and max_outflow_share -----------------------------------------------


def test_entrusted_residents_cross_groups_with_a_manager() -> None:
    teachers = [teacher(f"S{i}", "S1", management=i == 5) for i in range(10)]
    teachers += [teacher(f"T{i}", "S2") for i in range(3)] + [
        teacher(f"A{i}", "A2", years_at_school=1) for i in range(3)
    ]
    d = entrusted_district(
        teachers,
        policy={"backbone_share": 0, "min_rotation_ratio": 0, "subject_balance_tolerance": 5},
    )
    result = solved(d)
    assert result.status == "optimal"
    residents = [r for r in result.plan.rotations if r.to_school_id == "A1"]
    assert len(residents) == 3 and all(r.kind == "entrusted" for r in residents)
    assert any(d.teacher(r.teacher_id).management for r in residents)
    assert "entrusted_residents" in failing(d, [("S1", "A1")])


def test_max_outflow_share_caps_a_school() -> None:
    teachers = pool("S1", 20, "L") + pool("S2", 10, "W")
    d = build_district(teachers=teachers, policy={"backbone_share": 0, "max_outflow_share": "30%"})
    result = solved(d)
    assert result.status == "optimal"
    d_tight = build_district(
        teachers=teachers, policy={"backbone_share": 0, "max_outflow_share": "25%"}
    )
    assert solved(d_tight).status == "infeasible"  # the weak school may send 2, but needs 3 back
    assert "max_outflow_share" in conflict_rules(solved(d_tight))
    assert "max_outflow_share" in failing(
        d_tight, [(f"L{i}", "S2") for i in (1, 2, 3)] + [(f"W{i}", "S1") for i in (1, 2, 3)]
    )


# -- within_group and lead_outflow_ratio ---------------------------------------------------------


def two_groups(**kw: Any) -> District:
    schools = [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False),
        School(school_id="S3", name="城关二小", group_id="G1", stage="小学", weak=False),
        School(school_id="X1", name="外集团小学", group_id="G2", stage="小学", weak=False),
        School(school_id="X2", name="外集团二小", group_id="G2", stage="小学", weak=False),
    ]
    groups = [
        Group(group_id="G1", name="城关集团", lead_school_id="S1"),
        Group(group_id="G2", name="外集团", lead_school_id="X1"),
    ]
    teachers = pool("S1", 10, "L") + pool("S3", 10, "N") + pool("X1", 10, "X") + pool("X2", 10, "Y")
    return build_district(
        schools=schools, groups=groups, teachers=teachers, policy={"backbone_share": 0}, **kw
    )


def test_moves_stay_inside_the_group() -> None:
    d = two_groups()
    result = solved(d)
    assert result.status == "optimal"
    for r in result.plan.rotations:
        assert d.school(r.to_school_id).group_id == d.school(r.from_school_id).group_id
    assert "within_group" in failing(d, [("L1", "X1")])
    forced = two_groups(pins=[Pin(teacher_id="L1", kind="必须交流至", school_id="X1")])
    assert "pins" in conflict_rules(solved(forced))


def test_lead_outflow_ratio_has_a_known_optimum() -> None:
    """Lead S1 must send ≥ ceil(20% of 20) = 4; balance sends 4 back: the 4 most senior each way."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    d = build_district(teachers=teachers, policy={"backbone_share": 0, "lead_outflow_ratio": "20%"})
    result = solved(d)
    assert result.status == "optimal"
    assert moves(result) == {(f"L{i}", "S3") for i in range(4)} | {
        (f"N{i}", "S1") for i in range(4)
    }
    without = solved(build_district(teachers=teachers, policy={"backbone_share": 0}))
    assert len(moves(without)) == 4  # ceil(30 × 10%) = 3, and an exchange is even
    assert "lead_outflow_ratio" in failing(d, [("L0", "S3"), ("N0", "S1")])
    too_much = build_district(
        teachers=teachers, policy={"backbone_share": 0, "lead_outflow_ratio": "100%"}
    )
    assert "lead_outflow_ratio" in conflict_rules(solved(too_much))


# -- min_rotation_ratio_by_size ----------------------------------------------------------------


def two_sizes(
    policy: dict[str, Any], overrides: dict[str, dict[str, Any]] | None = None
) -> District:
    """G1: 2 primary schools of 10 teachers; G2: 3 primary schools of 5. Nobody weak, every
    teacher eligible and equally senior, moves lead ↔ member, subject balance 0."""
    from decimal import Decimal

    from models import PolicySet

    schools = [
        School(school_id="S1", name="一小", group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="二小", group_id="G1", stage="小学", weak=False),
        School(school_id="S4", name="四小", group_id="G2", stage="小学", weak=False),
        School(school_id="S5", name="五小", group_id="G2", stage="小学", weak=False),
        School(school_id="S6", name="六小", group_id="G2", stage="小学", weak=False),
    ]
    groups = [
        Group(group_id="G1", name="两校集团", lead_school_id="S1"),
        Group(group_id="G2", name="三校集团", lead_school_id="S4"),
    ]
    teachers = pool("S1", 10, "A") + pool("S2", 10, "B")
    teachers += pool("S4", 5, "D") + pool("S5", 5, "E") + pool("S6", 5, "F")
    d = build_district(
        teachers=teachers, schools=schools, groups=groups, policy={"backbone_share": 0, **policy}
    )
    if overrides:
        typed = {g: {k: Decimal(v) for k, v in values.items()} for g, values in overrides.items()}
        d = d.replace(policy=PolicySet(district=d.policy.district, group_overrides=typed))
    return d


def rotated_by_group(result: SolveResult) -> dict[str, int]:
    group = {"S1": "G1", "S2": "G1", "S4": "G2", "S5": "G2", "S6": "G2"}
    counts = {"G1": 0, "G2": 0}
    for r in result.plan.rotations:
        counts[group[r.from_school_id]] += 1
    return counts


def test_ratio_by_size_gives_groups_of_different_sizes_different_minimums() -> None:
    """1-2 schools 10%, 3 and more 40% (district 25%, unused). G1: ceil(20 × 10%) = 2, one
    exchange S1 ↔ S2. G2: ceil(15 × 40%) = 6; with subject balance every member takes back
    what it sends and the lead sends a + b, takes c + d with a = c, b = d, so 2(a + b) ≥ 6:
    exactly 6. Each rotation costs weight_rotation and nothing rewards one, so the optimum
    rotates 2 + 6."""
    d = two_sizes({"min_rotation_ratio": "25%", "min_rotation_ratio_by_size": "1-2:10%,3-:40%"})
    from models.requirements import group_requirement

    assert [group_requirement(d, g).min_rotations for g in ("G1", "G2")] == [2, 6]
    result = solved(d)
    assert result.status == "optimal"
    assert rotated_by_group(result) == {"G1": 2, "G2": 6}
    assert result.terms["rotation"] == -100 * 8
    checks = {(c.rule, c.group_id): c for c in check_plan(d, result.plan)}
    assert checks["min_rotation_ratio", "G2"].required == "≥6人（15×40%，向上取整）"
    assert checks["min_rotation_ratio", "G1"].required == "≥2人（20×10%，向上取整）"


def test_ratio_by_size_checker_holds_and_breaks() -> None:
    d = two_sizes({"min_rotation_ratio": "10%", "min_rotation_ratio_by_size": "1-2:10%,3-:40%"})
    g1 = [("A1", "S2"), ("B1", "S1")]
    g2_four = [("D1", "S5"), ("E1", "S4"), ("D2", "S6"), ("F1", "S4")]
    assert "min_rotation_ratio" in failing(d, g1 + g2_four)  # G2 needs 6: 4 is short
    g2_six = [*g2_four, ("D3", "S5"), ("E2", "S4")]
    assert failing(d, g1 + g2_six) == set()
    plain = two_sizes({"min_rotation_ratio": "10%"})
    assert failing(plain, g1 + g2_four) == set()  # without the ranges 10% of 15 → 2


def test_a_groups_own_ratio_row_overrides_its_size_range() -> None:
    d = two_sizes(
        {"min_rotation_ratio_by_size": "1-2:10%,3-:40%"},
        overrides={"G2": {"min_rotation_ratio": "0.1"}},
    )
    result = solved(d)
    assert result.status == "optimal"
    assert rotated_by_group(result) == {"G1": 2, "G2": 2}


def test_groups_larger_than_the_last_range_use_the_district_ratio() -> None:
    d = two_sizes({"min_rotation_ratio": "40%", "min_rotation_ratio_by_size": "1-2:10%"})
    result = solved(d)
    assert result.status == "optimal"
    assert rotated_by_group(result) == {"G1": 2, "G2": 6}
    from models.rules import RuleInstance, describe

    text = describe(d, RuleInstance("min_rotation_ratio", "G2", None))
    assert "至少须交流6人" in text and "不在按规模分段内" in text
    text = describe(d, RuleInstance("min_rotation_ratio", "G1", None))
    assert "至少须交流2人" in text and "按集团规模分段：1至2所学校 10%" in text


def test_precheck_and_conflicts_use_the_size_range() -> None:
    from models.rules import precheck

    d = two_sizes({"min_rotation_ratio_by_size": "1-2:10%,3-:100%", "ratio_base": "full_time"})
    d = d.replace(
        teachers=[
            t if t.school_id != "S6" else t.model_copy(update={"years_at_school": 1})
            for t in d.teachers
        ]
    )
    assert any("至少须交流15人" in m and "仅10人" in m for m in precheck(d))
    result = solved(d)
    assert result.status == "infeasible"
    assert "min_rotation_ratio" in conflict_rules(result)
