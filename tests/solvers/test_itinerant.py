"""走教 as a second stage (SPEC §11): tiny instances with a known optimum, re-checked."""

from __future__ import annotations

from typing import Any

from models import ItinerantDemand
from models.itinerant import check_itinerant, coverage
from models.plan import Plan
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
