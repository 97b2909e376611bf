"""solve() on random valid districts: every checker passes, the objective is the plan's own,
runs are deterministic, and splitting into components loses nothing against one big model."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import (
    Demand,
    District,
    EntrustedPair,
    Group,
    InputError,
    OngoingRotation,
    Policy,
    PolicySet,
    School,
    Teacher,
)
from models.objective import evaluate
from models.plan import SolveOptions
from models.rules import violations
from solvers.solve import components, solve, solve_component

SUBJECTS = ("语文", "数学", "英语", "美术")


@st.composite
def districts(draw: st.DrawFn) -> District:
    """1-3 groups of 2-4 primary or junior schools, 3-12 teachers each, random facts."""
    groups, schools, teachers, ongoing, demand = [], [], [], [], []
    n_groups = draw(st.integers(1, 3))
    for g in range(n_groups):
        gid = f"G{g}"
        stage = draw(st.sampled_from(["小学", "初中"]))
        n_schools = draw(st.integers(2, 4))
        groups.append(Group(group_id=gid, name=f"集团{g}", lead_school_id=f"{gid}S0"))
        for s in range(n_schools):
            sid = f"{gid}S{s}"
            weak = s > 0 and draw(st.booleans())
            schools.append(
                School(
                    school_id=sid,
                    name=f"学校{sid}",
                    group_id=gid,
                    stage=stage,
                    weak=weak,
                    lon=100 + s / 10,
                    lat=38 + g / 10,
                )
            )
            for t in range(draw(st.integers(3, 12))):
                tid = f"{sid}T{t}"
                teachers.append(
                    Teacher(
                        teacher_id=tid,
                        name=f"教师{tid}",
                        school_id=sid,
                        subject=draw(st.sampled_from(SUBJECTS)),
                        gender=draw(st.sampled_from(["男", "女"])),
                        birth_year=draw(st.integers(1966, 1998)),
                        years_at_school=draw(st.integers(0, 25)),
                        backbone=draw(st.sampled_from([None, None, None, "区级骨干"])),
                        management=draw(st.booleans()),
                        volunteer=draw(st.booleans()),
                        school_recommended=draw(st.booleans()),
                        preferred_schools=(f"{gid}S0",) if draw(st.booleans()) and s else (),
                    )
                )
            if weak and draw(st.booleans()):
                demand.append(
                    Demand(
                        school_id=sid,
                        subject=draw(st.sampled_from(SUBJECTS)),
                        count=draw(st.integers(1, 2)),
                    )
                )
        if n_schools > 1 and draw(st.booleans()):
            home = next(t for t in teachers if t.school_id == f"{gid}S0")
            ongoing.append(
                OngoingRotation(
                    teacher_id=home.teacher_id,
                    from_school_id=f"{gid}S0",
                    to_school_id=f"{gid}S1",
                    start_year=draw(st.integers(2022, 2025)),
                    end_year=2024 + draw(st.integers(0, 2)),
                )
            )
    entrusted = []
    if n_groups > 1 and draw(st.booleans()):
        entrusted.append(
            EntrustedPair(
                supporting_school_id="G0S1",
                aided_school_id="G1S1",
                min_residents=draw(st.integers(0, 2)),
                min_managers=0,
            )
        )
    policy = Policy(
        plan_year=2025,
        min_rotation_ratio=draw(st.sampled_from(["0.05", "0.1", "0.2"])),
        backbone_share=draw(st.sampled_from(["0", "0.2"])),
        subject_balance_tolerance=draw(st.integers(0, 2)),
        flow_direction=draw(
            st.sampled_from(
                [
                    ("lead_to_member", "member_to_lead"),
                    ("lead_to_member", "member_to_lead", "member_to_member"),
                ]
            )
        ),
        ratio_scope=draw(st.sampled_from(["group", "school"])),
    )
    try:
        return District(
            groups=groups,
            schools=schools,
            teachers=teachers,
            ongoing=ongoing,
            demand=demand,
            entrusted=entrusted,
            policy=PolicySet(district=policy),
        )
    except InputError:  # e.g. an ongoing rotation starting after its end: not a valid district
        return draw(st.nothing())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_every_solved_plan_passes_every_checker(district: District) -> None:
    result = solve(district, SolveOptions(workers=1))
    assert result.status in ("optimal", "infeasible")
    if result.status == "optimal":
        assert violations(district, result.plan) == []
        assert (
            sum(evaluate(district, result.plan).values()) == result.objective == result.best_bound
        )
    else:
        assert result.conflicts, "an infeasible result names the rules involved"
        assert result.plan.rotations == ()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_components_match_the_monolithic_model(district: District) -> None:
    merged = solve(district, SolveOptions(workers=1))
    whole = solve_component(district, 0, [g.group_id for g in district.groups], SolveOptions())
    assert merged.status == whole.status
    if whole.status == "optimal":
        assert merged.objective == whole.objective


@settings(max_examples=5, deadline=None)
@given(districts())
def test_runs_are_deterministic_and_parallel_equals_serial(district: District) -> None:
    first = solve(district, SolveOptions(workers=1))
    again = solve(district, SolveOptions(workers=1))
    parallel = solve(district, SolveOptions(workers=2))
    assert first.plan == again.plan == parallel.plan
    assert first.objective == parallel.objective


def test_entrusted_pairs_join_components() -> None:
    groups = [Group(group_id=g, name=g, lead_school_id=f"{g}S0") for g in ("A", "B", "C")]
    schools = [
        School(school_id=f"{g}S{i}", name=f"{g}{i}", group_id=g, stage="小学", weak=False)
        for g in "ABC"
        for i in range(2)
    ]
    teachers = [
        Teacher(
            teacher_id="T",
            name="x",
            school_id="AS0",
            subject="数学",
            gender="女",
            birth_year=1980,
            years_at_school=3,
        )
    ]
    d = District(
        groups=groups,
        schools=schools,
        teachers=teachers,
        entrusted=[EntrustedPair(supporting_school_id="CS1", aided_school_id="AS1")],
        policy=PolicySet(district=Policy(plan_year=2025)),
    )
    assert components(d) == [["A", "C"], ["B"]]


def test_linear_terms_set_the_objective_as_maximize_would() -> None:
    from ortools.sat.python import cp_model

    from solvers.sat import LinearTerms, SatModel

    model = SatModel()
    a, b, c = (model.new_bool_var(n) for n in "abc")
    model.add(a + b + c <= 2)
    year1, year2 = LinearTerms(), LinearTerms(offset=-4)
    year1.add(a, 5)
    year1.add_all([b], [3])
    year2.add(c, 4)
    joint = LinearTerms()
    joint.extend(year1, 2)  # 10a + 6b
    joint.extend(year2, 1)  # 4c − 4
    joint.maximize(model)
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    assert (solver.value(a), solver.value(b), solver.value(c)) == (1, 1, 0)
    assert solver.objective_value == 12 == solver.best_objective_bound  # 10 + 6 − 4
    reference = cp_model.CpModel()
    x, y, z = (reference.new_bool_var(n) for n in "abc")
    reference.add(x + y + z <= 2)
    reference.maximize(10 * x + 6 * y + 4 * z - 4)
    assert solver.solve(reference) == cp_model.OPTIMAL and solver.objective_value == 12
