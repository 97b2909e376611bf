"""走教 as a second stage (SPEC §11): tiny instances with a known optimum, re-checked."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import ItinerantDemand
from models.itinerant import check_itinerant, coverage
from models.plan import Plan
from rotation.samples.generate import generate_district
from solvers.itinerant import plan_itinerant

from ..conftest import teacher  # type: ignore[import-not-found]
from ..models.test_itinerant import district, schools


def solved(d: Any) -> Any:
    p = Plan(plan_year=2025)
    result = plan_itinerant(d, p)
    assert result.status == "optimal"
    assert check_itinerant(d, p, result.assignments) == []
    return result


def test_without_coordinates_the_load_is_shared() -> None:
    """4 periods, two music teachers and no distances: 2 + 2 keeps the largest load lowest."""
    d = district(
        [
            teacher("M1", "S1", subject="音乐"),
            teacher("M2", "S3", subject="音乐", teaching_stage="小学"),
        ]
    )
    result = solved(d)
    assert sorted((a.teacher_id, a.periods) for a in result.assignments) == [("M1", 2), ("M2", 2)]
    assert result.uncovered == {}


def test_the_near_teacher_goes_when_distance_is_known() -> None:
    """S1 is 11.1 km from S2: M1 covers all 4 periods in 2 trips a week; M4, in another group,
    is out of scope (itinerant_scope = group). Subsidy 2 × 11.1 × 2 × 18 × 0.5 = 399.60 元."""
    d = district(
        [teacher("M1", "S1", subject="音乐"), teacher("M4", "S4", subject="音乐")],
        schools=schools((100.0, 38.0), (100.0, 38.1)),
    )
    result = solved(d)
    assert [(a.teacher_id, a.from_school_id, a.periods) for a in result.assignments] == [
        ("M1", "S1", 4)
    ]
    assert str(result.assignments[0].subsidy) == "399.60"


def test_short_rows_say_how_many_periods_and_why() -> None:
    d = district(
        [
            teacher("M1", "S1", subject="音乐", spare_periods=1),
            teacher("P1", "S1", subject="体育", deferral="孕期"),
        ],
    )
    d = d.replace(
        itinerant_demand=(
            ItinerantDemand(school_id="S2", subject="音乐", periods=4),
            ItinerantDemand(school_id="S2", subject="美术", periods=2),
            ItinerantDemand(school_id="S2", subject="体育", periods=2),
        )
    )
    result = solved(d)
    assert [(a.teacher_id, a.periods) for a in result.assignments] == [("M1", 1)]
    assert result.uncovered == {("S2", "音乐"): 3, ("S2", "美术"): 2, ("S2", "体育"): 2}
    p = Plan(plan_year=2025, itinerant=tuple(result.assignments))
    why = {(g.school_id, g.subject): g for g in coverage(d, p)}
    assert why["S2", "音乐"].reason == (
        "走教范围内1名符合条件的音乐教师均已用满：1名可走教课时已排满（共1课时）"
    )
    assert why["S2", "美术"].reason == "区内没有美术教师"
    assert why["S2", "体育"].reason == (
        "走教范围内没有符合条件的体育教师（区内1名体育教师均不符合，最常见原因：暂缓交流（孕期），1名）"
    )
    assert all(g.full for g in why.values())


def test_one_school_each_unless_allowed_more() -> None:
    d = district([teacher("M1", "S1", subject="音乐")])
    d = d.replace(
        itinerant_demand=(
            ItinerantDemand(school_id="S2", subject="音乐", periods=2),
            ItinerantDemand(school_id="S3", subject="音乐", periods=2),
        )
    )
    assert sum(a.periods for a in solved(d).assignments) == 2  # itinerant_max_schools = 1
    two = d.replace(
        policy=d.policy.model_copy(
            update={"district": d.policy.district.model_copy(update={"itinerant_max_schools": 2})}
        )
    )
    assert sum(a.periods for a in solved(two).assignments) == 4


def test_interchangeable_teachers_are_counted_then_named_one_school_each() -> None:
    """Three music teachers alike in all the model sees, 4 + 2 periods at S2 and S3: the
    evenest load is 2 + 2 + 2, each teacher at one school (itinerant_max_schools = 1)."""
    d = district([teacher(f"M{n}", "S1", subject="音乐") for n in (1, 2, 3)])
    d = d.replace(
        itinerant_demand=(
            ItinerantDemand(school_id="S2", subject="音乐", periods=4),
            ItinerantDemand(school_id="S3", subject="音乐", periods=2),
        )
    )
    result = solved(d)
    assert sorted(a.periods for a in result.assignments) == [2, 2, 2]
    assert sorted(a.teacher_id for a in result.assignments) == ["M1", "M2", "M3"]
    assert sorted(a.to_school_id for a in result.assignments) == ["S2", "S2", "S3"]


def _reference(d: Any, p: Plan) -> tuple[int, int]:
    """The first formulation of the stage (one variable per teacher and row, two solves:
    fewest uncovered, then the weighted terms), its optimum as (uncovered, weighted ×10)."""
    from ortools.sat.python import cp_model

    from models.itinerant import policy_of, present_schools, spare_periods
    from solvers.itinerant import _arcs

    rows = list(d.itinerant_demand)
    arcs = _arcs(d, rows, present_schools(d, p))
    w = d.policy.district
    m = cp_model.CpModel()
    x, trips, by_row, by_teacher = {}, {}, defaultdict(list), defaultdict(list)
    for (tid, i), _tenths in arcs.items():
        cap = min(spare_periods(d, d.teacher(tid)), rows[i].periods)
        x[tid, i] = m.new_int_var(0, cap, "")
        y = m.new_bool_var("")
        m.add(x[tid, i] <= cap * y)
        m.add(x[tid, i] >= y)
        trips[tid, i] = m.new_int_var(0, cap, "")
        m.add(policy_of(d, tid).itinerant_periods_per_trip * trips[tid, i] >= x[tid, i])
        by_row[i].append(x[tid, i])
        by_teacher[tid].append((x[tid, i], y))
    squares = []
    for tid, pairs in by_teacher.items():
        spare = spare_periods(d, d.teacher(tid))
        load = m.new_int_var(0, spare, "")
        m.add(load == sum(v for v, _y in pairs))
        m.add(sum(y for _v, y in pairs) <= policy_of(d, tid).itinerant_max_schools)
        square = m.new_int_var(0, spare**2, "")
        m.add_element(load, [n * n for n in range(spare + 1)], square)
        squares.append(square)
    us = [m.new_int_var(0, r.periods, "") for r in rows]
    for i, r in enumerate(rows):
        m.add(sum(by_row[i]) + us[i] == r.periods)
    short = sum(us)
    m.minimize(short)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m) == cp_model.OPTIMAL
    fewest = round(solver.objective_value)
    m.add(short <= fewest)
    m.minimize(
        w.weight_itinerant_travel * sum(2 * t * trips[k] for k, t in arcs.items())
        - 10
        * w.weight_itinerant_backbone_to_weak
        * sum(
            x[k]
            for k in arcs
            if d.teacher(k[0]).is_backbone and d.school(rows[k[1]].school_id).weak
        )
        + 10 * w.weight_itinerant_even_load * sum(squares)
    )
    assert solver.solve(m) == cp_model.OPTIMAL
    return fewest, round(solver.objective_value)


def _value(d: Any, assignments: Any, uncovered: dict[Any, int]) -> tuple[int, int]:
    from models.itinerant import trips_of

    w = d.policy.district
    load: Counter[str] = Counter()
    value = 0
    for a in assignments:
        load[a.teacher_id] += a.periods
        tenths = 0 if a.km is None else int(a.km * 10)
        value += w.weight_itinerant_travel * 2 * tenths * trips_of(d, a)
        if d.teacher(a.teacher_id).is_backbone and d.school(a.to_school_id).weak:
            value -= 10 * w.weight_itinerant_backbone_to_weak * a.periods
    value += 10 * w.weight_itinerant_even_load * sum(n * n for n in load.values())
    return sum(uncovered.values()), value


@pytest.mark.parametrize(
    ("seed", "structure", "scope", "schools"),
    [(1, "minhang", "group", 1), (2, "ganzhou", "district", 1), (3, "minhang", "group", 2)],
)
def test_same_optimum_as_one_variable_per_teacher(
    seed: int, structure: str, scope: str, schools: int
) -> None:
    """Counting interchangeable teachers, one weighted solve and the parts in two processes
    find the optimum of the per-teacher, two-solve formulation; the same plan either way."""
    d = generate_district(teachers=300, seed=seed, structure=structure, itinerant=True)
    policy = d.policy.district.model_copy(
        update={"itinerant_scope": scope, "itinerant_max_schools": schools}
    )
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    p = Plan(plan_year=d.plan_year)
    result = plan_itinerant(d, p)
    assert result.status == "optimal"
    assert check_itinerant(d, p, result.assignments) == []
    assert _value(d, result.assignments, result.uncovered) == _reference(d, p)
    again = plan_itinerant(d, p, processes=2)
    assert (again.assignments, again.uncovered) == (result.assignments, result.uncovered)


def _knapsack_reference(periods: int, kinds: Any, costs: Any) -> tuple[int, int]:
    """A part of one row as CP-SAT sees it, teacher by teacher (one 0-1 variable per teacher and
    number of periods), two solves: (fewest uncovered, least cost among those)."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    given, cost = [], []
    for kind, members in kinds.items():
        ((i, tenths),) = kind.arcs
        for _tid in members:
            picks = {q: m.new_bool_var("") for q in range(1, min(kind.spare, periods) + 1)}
            m.add(sum(picks.values()) <= 1)
            given += [q * z for q, z in picks.items()]
            cost += [costs.unit(kind, i, tenths, q) * z for q, z in picks.items()]
    covered = sum(given)
    m.add(covered <= periods)
    m.maximize(covered)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m) == cp_model.OPTIMAL
    most = round(solver.objective_value)
    m.add(covered >= most)
    m.minimize(sum(cost))
    assert solver.solve(m) == cp_model.OPTIMAL
    return periods - most, round(solver.objective_value)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    periods=st.integers(1, 14),
    weights=st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 20)),
    weak=st.booleans(),
    drawn=st.lists(
        st.tuples(
            st.integers(0, 150),  # 0.1 km one way
            st.integers(1, 8),  # spare periods
            st.booleans(),  # backbone
            st.integers(1, 3),  # periods per trip
            st.integers(1, 4),  # teachers of the kind
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_one_row_dynamic_programme_equals_cp_sat(
    periods: int, weights: tuple[int, int, int], weak: bool, drawn: list[Any]
) -> None:
    """The knapsack DP of a single-row part reaches CP-SAT's lexicographic optimum, and what it
    hands out is what it claims: each teacher once, within spare periods and the row."""
    from solvers.itinerant import _Costs, _Kind, _single_row

    costs = _Costs(*weights, weak={0: weak})
    kinds: dict[Any, list[str]] = {}
    for n, (tenths, spare, backbone, per_trip, count) in enumerate(drawn):
        kind = _Kind(((0, tenths),), spare, backbone, per_trip, 1)
        kinds.setdefault(kind, []).extend(f"T{n}_{k}" for k in range(count))
    handed, left = _single_row(periods, kinds, costs)
    by_id = {tid: kind for kind, members in kinds.items() for tid in members}
    assert len({tid for tid, _i, _q in handed}) == len(handed)
    assert all(0 < q <= by_id[tid].spare for tid, _i, q in handed)
    assert sum(q for _t, _i, q in handed) + left == periods
    value = sum(costs.unit(by_id[tid], 0, by_id[tid].arcs[0][1], q) for tid, _i, q in handed)
    assert (left, value) == _knapsack_reference(periods, kinds, costs)


@pytest.mark.parametrize("workers", [1, 2])
def test_within_groups_each_component_plans_its_own_itinerant(workers: int) -> None:
    """With itinerant_scope = group, solve() plans each component's 走教 right after its
    rotations, in the same task: the same assignments as the stage after every component."""
    from models.plan import SolveOptions
    from solvers.itinerant import local_scope
    from solvers.solve import solve

    d = generate_district(teachers=1000, seed=5, structure="minhang", itinerant=True)
    assert local_scope(d)
    result = solve(d, SolveOptions(workers=workers))
    assert result.status == "optimal"
    assert result.plan.itinerant
    after = plan_itinerant(d, result.plan.model_copy(update={"itinerant": ()}))
    assert tuple(after.assignments) == result.plan.itinerant
    policy = d.policy.district.model_copy(update={"itinerant_scope": "district"})
    assert not local_scope(d.replace(policy=d.policy.model_copy(update={"district": policy})))
