"""走教, solver-free (SPEC §11): km, trips, subsidy, where a teacher is, who may go, the checker."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models import Group, ItinerantDemand, OngoingRotation, School
from models.itinerant import (
    ItinerantAssignment,
    assignment,
    check_itinerant,
    km_between,
    present_school,
    refusal,
    subsidy_per_term,
    trips_per_week,
)
from models.plan import NewRotation, Plan

from ..conftest import build_district, teacher  # type: ignore[import-not-found]

MUSIC = ItinerantDemand(school_id="S2", subject="音乐", periods=4)


def schools(
    s1: tuple[float, float] | None = None, s2: tuple[float, float] | None = None
) -> list[School]:
    def at(point: tuple[float, float] | None) -> dict[str, Any]:
        return {} if point is None else {"lon": point[0], "lat": point[1]}

    return [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False, **at(s1)),
        School(school_id="S2", name="乡镇小学", group_id="G1", stage="小学", weak=True, **at(s2)),
        School(school_id="S3", name="九年制学校", group_id="G1", stage="九年一贯", weak=False),
        School(school_id="S4", name="东区小学", group_id="G2", stage="小学", weak=False),
        School(school_id="S5", name="西区小学", group_id="G2", stage="小学", weak=False),
    ]


GROUPS = [
    Group(group_id="G1", name="城关教育集团", lead_school_id="S1"),
    Group(group_id="G2", name="东西学区", lead_school_id="S4"),
]


def district(teachers: list[Any], **kw: Any) -> Any:
    kw.setdefault("schools", schools())
    return build_district(teachers=teachers, groups=GROUPS, itinerant_demand=[MUSIC], **kw)


def plan(d: Any, *moves: tuple[str, str]) -> Plan:
    return Plan(
        plan_year=2025,
        rotations=tuple(
            NewRotation(
                teacher_id=t,
                from_school_id=d.teacher(t).school_id,
                to_school_id=h,
                start_year=2025,
                end_year=2027,
            )
            for t, h in moves
        ),
    )


def test_km_trips_and_subsidy_are_exact() -> None:
    s = schools((100.0, 38.0), (100.0, 38.1))
    assert km_between(s[0], s[1]) == Decimal("11.1")
    assert km_between(s[0], s[2]) is None
    assert [trips_per_week(n, 2) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    d = district([teacher("M1", "S1", subject="音乐")])
    # 2 × 10 km × ceil(5 / 2) = 3 trips × 18 weeks × 0.5 元
    assert subsidy_per_term(d, d.teacher("M1"), Decimal(10), 5) == Decimal("540.00")
    assert subsidy_per_term(d, d.teacher("M1"), None, 5) == 0
    d = district(
        [teacher("M1", "S1", subject="音乐")],
        policy={"itinerant_subsidy_per_km": "0.8", "itinerant_periods_per_trip": 3},
    )
    assert subsidy_per_term(d, d.teacher("M1"), Decimal("11.1"), 4) == Decimal("639.36")


def test_where_a_teacher_is_that_year() -> None:
    ongoing = [
        OngoingRotation(
            teacher_id="M2", from_school_id="S1", to_school_id="S3", start_year=2024, end_year=2026
        )
    ]
    d = district(
        [
            teacher("M1", "S1", subject="音乐"),
            teacher("M2", "S1", subject="音乐", teaching_stage="小学"),
            teacher("M3", "S1"),
        ],
        ongoing=ongoing,
    )
    p = plan(d, ("M1", "S2"))
    assert [present_school(d, p, t) for t in ("M1", "M2", "M3")] == ["S2", "S3", "S1"]


def test_who_may_go() -> None:
    teachers = [
        teacher("M1", "S1", subject="音乐"),
        teacher("A1", "S1", subject="美术"),
        teacher("D1", "S1", subject="音乐", deferral="病休"),
        teacher("Z1", "S1", subject="音乐", spare_periods=0),
        teacher("G2", "S4", subject="音乐"),
    ]
    d = district(teachers)
    why = {t.teacher_id: refusal(d, t, t.school_id, MUSIC) for t in d.teachers}
    assert why["M1"] is None
    assert why["A1"] == "任教学科为美术，不是音乐"
    assert why["D1"] == "暂缓交流（病休）"
    assert why["Z1"] == "没有可走教课时"
    assert why["G2"] == "不在同一集团（走教范围为集团内）"
    assert refusal(d, d.teacher("M1"), "S2", MUSIC) == "就在该校任教"
    wide = district(teachers, policy={"itinerant_scope": "district"})
    assert refusal(wide, wide.teacher("G2"), "S4", MUSIC) == "学校缺少坐标，只能在本集团内走教"
    near = district(
        teachers, schools=schools((100.0, 38.0), (100.0, 38.1)), policy={"itinerant_max_km": 11}
    )
    assert refusal(near, near.teacher("M1"), "S1", MUSIC) == "距离11.1公里，超过走教距离上限11公里"


def test_the_checker_holds_and_breaks() -> None:
    teachers = [
        teacher("M1", "S1", subject="音乐", spare_periods=3),
        teacher("M2", "S1", subject="音乐"),
    ]
    d = district(teachers, schools=schools((100.0, 38.0), (100.0, 38.1)))
    p = plan(d)
    good = assignment(d, p, "M1", MUSIC, 3)
    assert good.km == Decimal("11.1") and good.subsidy == Decimal("399.60")  # 2×11.1×2×18×0.5
    rest = assignment(d, p, "M2", MUSIC, 1)
    assert check_itinerant(d, p, [good, rest]) == []
    # M2 has room for the 4th period: leaving it out breaks itinerant_coverage
    assert check_itinerant(d, p, [good]) == [
        "缺1课时：尚有1名可走教的音乐教师有余力（教师M2（M2）），未安排"
    ]
    over = assignment(d, p, "M1", MUSIC, 4)
    assert any("超过可走教的3课时" in m for m in check_itinerant(d, p, [over]))
    too_much = [good, assignment(d, p, "M2", MUSIC, 2)]
    assert any("多于需求的4课时" in m for m in check_itinerant(d, p, too_much))
    wrong = ItinerantAssignment(**{**good.model_dump(), "subsidy": Decimal(1)})
    assert any("距离或补助有误" in m for m in check_itinerant(d, p, [wrong]))
    moved = plan(d, ("M1", "S3"))
    assert any("当年在「S3」任教" in m for m in check_itinerant(d, moved, [good]))
    art = ItinerantAssignment(**{**good.model_dump(), "subject": "美术"})
    assert any("没有美术的走教需求" in m for m in check_itinerant(d, p, [art]))
