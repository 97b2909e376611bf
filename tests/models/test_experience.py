"""Rotation experience for promotion (issue 15): who lacks it, its 入选理由 line, filling it from
history (with_experience) and carrying it to next year (advance)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import InputError, OngoingRotation, Policy
from models.advance import advance
from models.experience import lacks_promotion_experience, promotion_reason, with_experience
from models.plan import NewRotation, Plan, returns_of

from ..conftest import build_district, teacher  # type: ignore[import-not-found]


def test_unknown_experience_never_lacks() -> None:
    policy = Policy()
    assert not lacks_promotion_experience(teacher("T", "S1"), policy)
    assert lacks_promotion_experience(teacher("T", "S1", rotation_years_done=1), policy)
    assert lacks_promotion_experience(teacher("T", "S1", schools_taught=1), policy)
    enough = teacher("T", "S1", rotation_years_done=2, schools_taught=2)
    assert not lacks_promotion_experience(enough, policy)
    assert lacks_promotion_experience(enough, Policy(promotion_schools=3))


@given(
    years=st.none() | st.integers(0, 10),
    schools=st.none() | st.integers(1, 6),
    need_years=st.integers(0, 8),
    need_schools=st.integers(1, 5),
    more=st.integers(0, 3),
)
def test_lacking_is_each_known_count_below_its_threshold_and_monotone(
    years: int | None, schools: int | None, need_years: int, need_schools: int, more: int
) -> None:
    t = teacher("T", "S1", rotation_years_done=years, schools_taught=schools)
    policy = Policy(promotion_rotation_years=need_years, promotion_schools=need_schools)
    expected = (years is not None and years < need_years) or (
        schools is not None and schools < need_schools
    )
    assert lacks_promotion_experience(t, policy) == expected
    stricter = Policy(
        promotion_rotation_years=need_years + more, promotion_schools=min(10, need_schools + more)
    )
    assert lacks_promotion_experience(t, stricter) >= expected


def test_reason_line_only_while_the_goal_is_on() -> None:
    t = teacher("T", "S1", rotation_years_done=1, schools_taught=1)
    assert promotion_reason(t, Policy()) is None  # weight 0: off
    on = Policy(weight_promotion_experience=20)
    assert promotion_reason(t, on) == "尚缺晋升所需交流经历（已交流1年、任教1所学校；要求2年、2所）"
    partial = teacher("T", "S1", schools_taught=1)
    assert promotion_reason(partial, on) == "尚缺晋升所需交流经历（任教1所学校；要求2年、2所）"
    assert promotion_reason(teacher("T", "S1", rotation_years_done=3, schools_taught=2), on) is None


def test_with_experience_fills_listed_teachers_only() -> None:
    d = build_district(teachers=[teacher("T1", "S1"), teacher("T2", "S1", schools_taught=3)])
    filled = with_experience(d, {"T1": (1, 2), "GONE": (4, 4)})
    assert (filled.teacher("T1").rotation_years_done, filled.teacher("T1").schools_taught) == (1, 2)
    assert (filled.teacher("T2").rotation_years_done, filled.teacher("T2").schools_taught) == (
        None,
        3,
    )
    assert filled.eligible_teachers() == [filled.teacher("T1"), filled.teacher("T2")]
    assert with_experience(d, {}) is d


def test_with_experience_refuses_values_out_of_range() -> None:
    d = build_district(teachers=[teacher("T1", "S1"), teacher("T2", "S1")])
    with pytest.raises(InputError) as excinfo:
        with_experience(d, {"T1": (-1, 1), "T2": (0, 0)})
    found = {(p.sheet, p.column, p.message) for p in excinfo.value.errors}
    assert found == {
        ("教师", "已交流年限", "教师T1的已交流年限「-1」应为 0 到 60 的整数"),
        ("教师", "任教过的学校数", "教师T2的任教过的学校数「0」应为 1 到 60 的整数"),
    }


def test_years_without_a_second_school_are_questioned() -> None:
    d = build_district(teachers=[teacher("T1", "S1", rotation_years_done=2, schools_taught=1)])
    assert [(w.column, w.severity) for w in d.warnings] == [("任教过的学校数", "warning")]


def test_advance_adds_a_year_away_and_a_school_for_a_new_rotation() -> None:
    teachers = [
        teacher("NEW", "S1", rotation_years_done=0, schools_taught=1),
        teacher("AWAY", "S1", rotation_years_done=1, schools_taught=2),
        teacher("BACK", "S1", rotation_years_done=3, schools_taught=2),
        teacher("HOME", "S1", rotation_years_done=0, schools_taught=1),
        teacher("UNKNOWN", "S1"),
    ]
    ongoing = [
        OngoingRotation(
            teacher_id="AWAY",
            from_school_id="S1",
            to_school_id="S3",
            start_year=2024,
            end_year=2026,
        ),
        OngoingRotation(  # came home as 2025 began: 2025 was spent at home
            teacher_id="BACK",
            from_school_id="S1",
            to_school_id="S3",
            start_year=2022,
            end_year=2024,
        ),
    ]
    d = build_district(teachers=teachers, ongoing=ongoing)
    moves = (
        NewRotation(
            teacher_id="NEW", from_school_id="S1", to_school_id="S3", start_year=2025, end_year=2027
        ),
        NewRotation(
            teacher_id="UNKNOWN",
            from_school_id="S1",
            to_school_id="S3",
            start_year=2025,
            end_year=2027,
        ),
    )
    nxt = advance(d, Plan(plan_year=2025, rotations=moves, returns=returns_of(d)))
    after = {t.teacher_id: (t.rotation_years_done, t.schools_taught) for t in nxt.teachers}
    assert after == {
        "NEW": (1, 2),
        "AWAY": (2, 2),
        "BACK": (3, 2),
        "HOME": (0, 1),
        "UNKNOWN": (None, None),
    }
