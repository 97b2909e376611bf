"""Explanations: crafted conflicts give exactly the expected rules, provably minimal; --relax
gives a best plan anyway; every passed-over senior teacher has a reason."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from models import Demand, District, Group, Pin, School
from models.explain import not_chosen_reasons, selection_reasons, seniority_pairs
from models.plan import SolveOptions
from models.rules import RuleInstance, describe, violations
from solvers.explain import ConflictFinder, explain_component
from solvers.solve import ComponentOutcome, solve, solve_component

from ..conftest import (  # type: ignore[import-not-found]
    build_district,
    entrusted_district,
    junior_district,
    teacher,
)
from .test_precheck import hard_districts  # type: ignore[import-not-found]
from .test_solve import districts  # type: ignore[import-not-found]


def conflict(d: District) -> tuple[set[str], list[str]]:
    """The rule ids of the minimal conflict, after proving it minimal by solving every subset
    that leaves one member out."""
    finder = ConflictFinder(d, [g.group_id for g in d.groups], SolveOptions())
    found = finder.minimal()
    keys = list(found)
    assert keys, "the district should be infeasible"
    assert not finder.feasible(keys)
    for k in keys:
        assert finder.feasible([x for x in keys if x != k]), (
            f"dropping {k} should make the rest feasible"
        )
    return {i.rule for i in found}, [describe(d, i) for i in found]


def lenient(**policy: Any) -> dict[str, Any]:
    return {"backbone_share": 0, "subject_balance_tolerance": 10, **policy}


def test_ratio_against_subject_balance() -> None:
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"W{i}", "S2", subject="语文") for i in range(10)
    ]
    every_way = "lead_to_member,member_to_lead,member_to_member"
    rules, _ = conflict(
        build_district(teachers=teachers, policy={"backbone_share": 0, "flow_direction": every_way})
    )
    assert rules == {"min_rotation_ratio", "subject_balance"}


def test_balance_instances_of_one_school_read_as_one_conflict() -> None:
    teachers = (
        [teacher(f"L{i}", "S1") for i in range(10)]
        + [teacher(f"E{i}", "S1", subject="英语") for i in range(10)]
        + [teacher(f"W{i}", "S2", subject="语文") for i in range(10)]
    )
    every_way = "lead_to_member,member_to_lead,member_to_member"
    d = build_district(teachers=teachers, policy={"backbone_share": 0, "flow_direction": every_way})
    rules, _ = conflict(d)  # minimal: the ratio and balance of 数学, 英语 (S1) and 语文 (S2)
    assert rules == {"min_rotation_ratio", "subject_balance"}
    found = explain_component(d, ["G1"], SolveOptions())
    assert [(c.rule, c.scope) for c in found] == [
        ("min_rotation_ratio", "城关教育集团"),
        ("subject_balance", "城关教育集团/城关小学"),  # 数学 and 英语 together
        ("subject_balance", "城关教育集团/乡镇小学/语文"),
    ]
    assert found[1].message == (
        "学科增减平衡（subject_balance）：「城关小学」2个学科的流入与流出之差均须在±0人以内；"
        "各学科本校可派出/集团内可派入的符合条件教师：数学10/0、英语10/0"
    )


def test_weak_team_against_eligibility_names_the_numbers() -> None:
    teachers = [teacher("L1", "S1"), teacher("L2", "S1", subject="语文")]
    teachers += [teacher(f"Y{i}", "S1", years_at_school=2) for i in range(10)]
    teachers += [teacher(f"W{i}", "S2") for i in range(5)]
    d = build_district(
        teachers=teachers, demand=[Demand(school_id="S2", subject="数学")], policy=lenient()
    )
    rules, messages = conflict(d)
    assert rules == {"weak_group_inflow", "eligibility"}
    text = "；".join(messages)
    assert (
        "「乡镇小学」有需求，须组团流入至少3人，集团内可派往该校的符合条件小学教师仅2人（数学1、语文1）"
        in text
    )
    assert "不符合条件10人（本校任教未满6年10人）" in text  # the ineligible pool, by reason


def test_exam_subjects_against_demand_for_a_team() -> None:
    teachers = [teacher("P1", "S1", subject="物理")] + [
        teacher(f"A{i}", "S1", subject="美术") for i in range(10)
    ]
    teachers += [teacher(f"W{i}", "S2", subject="美术") for i in range(5)]
    d = junior_district(
        teachers=teachers, demand=[Demand(school_id="S2", subject="物理")], policy=lenient()
    )
    rules, messages = conflict(d)
    assert rules == {"weak_group_inflow", "exam_subject_focus"}
    assert any(
        "只能流入考试计分科目教师" in m and "其中考试科目1人（物理1）" in m for m in messages
    )


def test_entrusted_residents_against_eligibility() -> None:
    teachers = [teacher("S01", "S1", management=True), teacher("S02", "S1")]
    teachers += [teacher(f"Y{i}", "S1", years_at_school=1) for i in range(6)]
    d = entrusted_district(
        teachers, supporting_name="支援小学", policy=lenient(min_rotation_ratio=0)
    )
    rules, messages = conflict(d)
    assert rules == {"entrusted_residents", "eligibility"}
    assert any(
        "「受援小学」须有「支援小学」常驻至少3人、其中干部至少1人：「支援小学」可派的符合条件教师2人，其中干部1人"
        in m
        for m in messages
    )


def test_backbone_share_against_a_small_backbone_pool() -> None:
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"N{i}", "S3", teaching_stage="小学") for i in range(10)
    ]
    rules, messages = conflict(
        build_district(teachers=teachers, policy={"subject_balance_tolerance": 10})
    )
    assert rules == {"backbone_share", "min_rotation_ratio"}
    assert any("符合条件的骨干教师仅0人" in m for m in messages)


def test_a_pin_on_an_ineligible_teacher_names_pin_and_eligibility() -> None:
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"N{i}", "S3", teaching_stage="小学") for i in range(10)
    ]
    teachers.append(teacher("NEW", "S1", years_at_school=1))
    pins = [Pin(teacher_id="NEW", kind="必须交流至", school_id="S3", reason="校长提名")]
    rules, messages = conflict(build_district(teachers=teachers, pins=pins, policy=lenient()))
    assert rules == {"pins", "eligibility"}
    assert any(
        "人事锁定：教师NEW（NEW）必须交流至「九年制学校」，原因：校长提名；但该教师不符合交流条件"
        in m
        for m in messages
    )


def test_relax_gives_a_best_plan_with_shortfalls_in_priority_order() -> None:
    """Ratio vs balance: --relax keeps the ratio (priority 6) and lets balance (1) fall short."""
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"W{i}", "S2", subject="语文") for i in range(10)
    ]
    d = build_district(teachers=teachers, policy={"backbone_share": 0})
    result = solve(d, SolveOptions(relax=True, workers=1))
    assert result.status == "optimal"
    assert len(result.plan.rotations) >= 3
    assert {s.rule for s in result.shortfalls} == {"subject_balance"}
    assert {c.rule for c in violations(d, result.plan)} == {"subject_balance"}
    assert all(d.status(r.teacher_id).eligible for r in result.plan.rotations)
    assert {s.scope for s in result.shortfalls} == {c.scope for c in violations(d, result.plan)}


def test_relax_on_a_satisfiable_district_changes_nothing() -> None:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", years_at_school=20 - i) for i in range(10)]
    d = build_district(teachers=teachers, policy={"backbone_share": 0})
    strict, relaxed = (
        solve(d, SolveOptions(workers=1)),
        solve(d, SolveOptions(relax=True, workers=1)),
    )
    assert (
        relaxed.shortfalls == ()
        and relaxed.plan == strict.plan
        and relaxed.objective == strict.objective
    )


def test_backbone_choice_over_seniors_is_explained() -> None:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers.append(teacher("LB", "S1", years_at_school=7, backbone="区级骨干"))
    teachers += [teacher(f"W{i}", "S2", years_at_school=20 - i) for i in range(10)]
    teachers.append(teacher("WB", "S2", years_at_school=7, backbone="市级骨干"))
    d = build_district(teachers=teachers)
    result = solve(d, SolveOptions(workers=1))
    pairs = seniority_pairs(d, result.plan)
    over_lb = {p.passed_over for p in pairs if p.chosen == "LB"}
    assert over_lb == {f"L{i}" for i in range(2, 20)}  # L0, L1 were chosen too
    assert {p.rule for p in pairs if p.chosen == "LB"} == {"backbone_share"}
    reasons = selection_reasons(d, result.plan)
    assert reasons["LB"].startswith("本校任教7年；区级骨干；满足乡镇小学组团流入")
    assert (
        "同校同学科已选教师LB（本校任教7年）：教师LB是骨干教师"
        in not_chosen_reasons(d, result.plan)["L5"]
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_no_senior_is_passed_over_without_a_reason(district: District) -> None:
    result = solve(district, SolveOptions(workers=1))
    if result.status != "optimal":
        return
    for pair in seniority_pairs(district, result.plan):
        assert "并列" not in pair.reason, pair
    reasons = not_chosen_reasons(district, result.plan)
    assert set(reasons) == {t.teacher_id for t in district.eligible_teachers()} - {
        r.teacher_id for r in result.plan.rotations
    }


def twin_schools_district(**kw: Any) -> District:
    """G1: lead S1; S2 and S3 both named 中心小学, both weak and both asking for a team."""
    schools = [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="中心小学", group_id="G1", stage="小学", weak=True),
        School(school_id="S3", name="中心小学", group_id="G1", stage="小学", weak=True),
    ]
    demand = [Demand(school_id="S2", subject="数学"), Demand(school_id="S3", subject="数学")]
    return build_district(schools=schools, demand=demand, **kw)


def test_same_named_schools_are_two_instances_when_explaining() -> None:
    """Only 2 eligible teachers for two weak schools that each need a team of 3."""
    d = twin_schools_district(teachers=[teacher("T1", "S1"), teacher("T2", "S1")])
    assert any("中心小学" in p.message and "重复" in p.message for p in d.warnings)
    finder = ConflictFinder(d, ["G1"], SolveOptions())
    weak = [i for i in finder.instances if i.rule == "weak_group_inflow"]
    assert {i.school_id for i in weak} == {"S2", "S3"}
    conflicts = explain_component(d, ["G1"], SolveOptions())
    assert [(c.rule, c.school_id) for c in conflicts] in (
        [("weak_group_inflow", "S2")],
        [("weak_group_inflow", "S3")],
    )
    assert conflicts[0].group_id == "G1" and conflicts[0].scope == "城关教育集团/中心小学"


def test_same_named_schools_fall_short_separately_under_relax() -> None:
    d = twin_schools_district(
        teachers=[teacher("T1", "S1"), teacher("T2", "S1")],
        policy={"backbone_share": 0, "subject_balance_tolerance": 10},
    )
    result = solve(d, SolveOptions(relax=True, workers=1))
    short = {(s.rule, s.school_id): s.missing for s in result.shortfalls}
    assert set(short) == {("weak_group_inflow", "S2"), ("weak_group_inflow", "S3")}
    assert sum(short.values()) == 4  # two teachers for two teams of three
    checks = [c for c in violations(d, result.plan) if c.rule == "weak_group_inflow"]
    assert {c.school_id for c in checks} == {"S2", "S3"}
    assert {s.scope for s in result.shortfalls} == {"城关教育集团/中心小学"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hard_districts())
def test_the_plan_without_moves_decides_only_what_it_shows(district: District) -> None:
    """The deletion filter skips the solve for a set of instances that the plan without any
    move satisfies (SatPlanModel.zero_breaks): such sets must be feasible to the solver, and
    the explain model must keep the shape that argument rests on (every constraint an
    at-most-one, the size of a class of alike ineligible teachers — a sum of counts of at most
    n — or switched by exactly one guard; guards in no sum)."""
    finder = ConflictFinder(district, [g.group_id for g in district.groups], SolveOptions())
    guards = {g.literal.index for g in finder.built.guards}
    for constraint in finder.built.sat_model.proto.constraints:
        if constraint.has_at_most_one():
            assert not constraint.enforcement_literal
            assert guards.isdisjoint(constraint.at_most_one.literals)
            continue
        assert constraint.has_linear()
        assert guards.isdisjoint(constraint.linear.vars)
        if constraint.enforcement_literal:
            assert [lit in guards for lit in constraint.enforcement_literal] == [True]
        else:  # a class size: counts (coefficient 1) summing to 0..n
            assert set(constraint.linear.coeffs) == {1}
            assert constraint.linear.domain[0] == 0 < constraint.linear.domain[1]
    shown = [k for k in finder.instances if finder.zero_holds([k])]
    assert finder.zero_holds(shown)
    assert finder.feasible(shown)
    for k in finder.instances:
        if not finder.zero_holds([k]):
            assert k in finder.built.zero_breaks


def test_a_conflict_whose_filter_skips_solves_is_still_minimal() -> None:
    """Ratio vs backbone: dropping the ratio is shown feasible by the plan without moves."""
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"N{i}", "S3", teaching_stage="小学") for i in range(10)
    ]
    d = build_district(teachers=teachers, policy={"subject_balance_tolerance": 10})
    finder = ConflictFinder(d, ["G1"], SolveOptions())
    ratio = [k for k in finder.instances if k.rule == "min_rotation_ratio"]
    assert ratio and all(k in finder.built.zero_breaks for k in ratio)
    assert any(k.rule == "backbone_share" and finder.zero_holds([k]) for k in finder.instances)
    rules, _ = conflict(d)
    assert rules == {"backbone_share", "min_rotation_ratio"}


def test_after_an_infeasible_component_the_others_are_only_checked() -> None:
    """The district has no plan once one component is infeasible: later components (in this
    process) are checked for feasibility, not optimised; the result is what it always was."""
    every_way = "lead_to_member,member_to_lead,member_to_member"
    schools = [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="乡镇小学", group_id="G1", stage="小学", weak=True),
        School(school_id="S4", name="东关小学", group_id="G2", stage="小学", weak=False),
        School(school_id="S5", name="东乡小学", group_id="G2", stage="小学", weak=False),
    ]
    groups = [
        Group(group_id="G1", name="城关教育集团", lead_school_id="S1"),
        Group(group_id="G2", name="东关教育集团", lead_school_id="S4"),
    ]
    teachers = [teacher(f"L{i}", "S1") for i in range(20)]
    teachers += [teacher(f"W{i}", "S2", subject="语文") for i in range(10)]
    teachers += [teacher(f"E{i}", "S4") for i in range(10)]
    teachers += [teacher(f"F{i}", "S5") for i in range(10)]
    d = build_district(
        teachers=teachers,
        schools=schools,
        groups=groups,
        policy={"backbone_share": 0, "flow_direction": every_way},
    )
    seen: list[ComponentOutcome] = []
    result = solve(d, SolveOptions(workers=1), progress=lambda _i, _n, o: seen.append(o))
    assert [o.status for o in seen] == ["infeasible", "feasible"]
    assert not seen[1].rotations and not seen[1].time_limit_hit and seen[1].objective is None
    assert result.status == "infeasible" and not result.plan.rotations
    assert list(result.conflicts) == explain_component(d, ["G1"], SolveOptions())
    alone = solve_component(d, 1, ["G2"], SolveOptions())
    assert alone.status == "optimal" and alone.rotations
    lost = solve_component(d, 0, ["G1"], SolveOptions(), lost=True)
    assert lost.status == "infeasible" and lost.conflicts == list(result.conflicts)


def test_each_query_fixes_exactly_its_own_guards() -> None:
    """Queries copy the all-off model and switch on only their own instances: every guard is
    on, assumed or off as asked, whatever the queries before, and the built model is untouched."""
    teachers = [teacher(f"L{i}", "S1") for i in range(20)] + [
        teacher(f"W{i}", "S2", subject="语文") for i in range(10)
    ]
    d = build_district(teachers=teachers, policy={"backbone_share": 0})
    finder = ConflictFinder(d, ["G1"], SolveOptions())
    keys = finder.instances
    on, assumed = set(keys[::3]), keys[1::3]
    for _ in range(2):
        model = finder._copy(on, assumed)
        for guard in finder.built.guards:
            domain = list(model.proto.variables[guard.literal.index].domain)
            if guard.instance in assumed:
                assert domain == [0, 1]
            else:
                assert domain == [1, 1] if guard.instance in on else [0, 0]
        indices = [finder.by_key[k].literal.index for k in assumed]
        assert list(model.proto.assumptions) == indices
    for guard in finder.built.guards:
        assert list(finder.built.sat_model.proto.variables[guard.literal.index].domain) == [0, 1]
    assert finder.feasible(set()) and finder.feasible([*keys[:1], RuleInstance("pins", "X")])
