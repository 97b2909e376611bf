"""走教 gaps foreseen before planning (`rotation validate`, the upload page): only what no plan
can cover, whatever the rotations, with the periods and the reason."""

from __future__ import annotations

from models import ItinerantDemand
from models.itinerant import coverage
from models.plan import Plan
from models.requirements import itinerant_foresight, itinerant_warnings

from ..conftest import build_district, teacher  # type: ignore[import-not-found]
from .test_itinerant import GROUPS, district, schools


def test_a_qualified_teacher_in_reach_leaves_nothing_to_say() -> None:
    assert itinerant_warnings(district([teacher("M1", "S1", subject="音乐")])) == []


def test_no_teacher_of_the_subject_in_the_group() -> None:
    d = district([teacher("T1", "S1"), teacher("G2", "S4", subject="音乐")])
    assert itinerant_foresight(d) == [
        (
            "走教需求「乡镇小学」音乐每周4课时：本集团没有任教该学段、未暂缓交流、有可走教课时的"
            "音乐教师，预计无法安排",
            4,
        )
    ]
    # district-wide 走教 without coordinates keeps to the group too: still no one
    assert len(itinerant_foresight(district(d.teachers, policy={"itinerant_scope": "district"})))


def test_too_far_says_how_far_the_nearest_is() -> None:
    far = schools((100.0, 38.0), (100.0, 38.3))  # S1 → S2: 33.4 km
    d = district([teacher("M1", "S1", subject="音乐", years_at_school=2)], schools=far)
    assert itinerant_foresight(d) == [
        (
            "走教需求「乡镇小学」音乐每周4课时：本集团1名可走教的音乐教师最近的也在33.4公里外"
            "（走教距离上限15公里），预计无法安排",
            4,
        )
    ]


def test_after_planning_the_same_distance_is_the_reason() -> None:
    far = schools((100.0, 38.0), (100.0, 38.3))
    d = district([teacher("M1", "S1", subject="音乐", years_at_school=2)], schools=far)
    (gap,) = coverage(d, Plan(plan_year=2025))
    assert (gap.uncovered, gap.reason) == (
        4,
        "走教范围内没有符合条件的音乐教师：本集团1名可走教的音乐教师最近的也在33.4公里外"
        "（走教距离上限15公里）",
    )


def test_a_teacher_who_may_rotate_counts_from_every_host() -> None:
    """Eligible, M1 may be sent to S3 (no coordinates, same group), from where S2 is in reach:
    nothing is certain before planning."""
    far = schools((100.0, 38.0), (100.0, 38.3))
    d = district([teacher("M1", "S1", subject="音乐")], schools=far)
    assert itinerant_warnings(d) == []


def test_the_spare_periods_of_all_who_can_reach_fall_short() -> None:
    d = build_district(
        teachers=[
            teacher("M1", "S1", subject="音乐"),
            teacher("M2", "S3", subject="音乐", teaching_stage="小学"),
        ],
        groups=GROUPS,
        schools=schools(),
        itinerant_demand=[ItinerantDemand(school_id="S2", subject="音乐", periods=15)],
    )
    # 6 + 6 spare periods (the default) against 15
    assert itinerant_foresight(d) == [
        (
            "「城关教育集团」音乐走教需求每周15课时，能去走教的音乐教师可走教课时合计仅12课时，"
            "至少3课时预计无法安排",
            3,
        )
    ]
    roomy = build_district(
        teachers=[
            teacher("M1", "S1", subject="音乐", spare_periods=10),
            teacher("M2", "S3", subject="音乐", teaching_stage="小学"),
        ],
        groups=GROUPS,
        schools=schools(),
        itinerant_demand=[ItinerantDemand(school_id="S2", subject="音乐", periods=15)],
    )
    assert itinerant_foresight(roomy) == []
