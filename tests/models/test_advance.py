"""advance(): next year's district from this year's and its plan."""

from __future__ import annotations

from models import Demand, OngoingRotation, Pin
from models.advance import advance, retirees
from models.plan import NewRotation, Plan, returns_of

from ..conftest import build_district, teacher  # type: ignore[import-not-found]


def test_advance_moves_everyone_on_one_year() -> None:
    teachers = [teacher(f"T{i}", "S1", years_at_school=8 + i) for i in range(4)]
    teachers += [teacher("W1", "S2", years_at_school=9), teacher("OLD", "S2", years_at_school=0)]
    ongoing = [
        OngoingRotation(
            teacher_id="T2", from_school_id="S1", to_school_id="S2", start_year=2023, end_year=2025
        ),
        OngoingRotation(
            teacher_id="T3", from_school_id="S1", to_school_id="S2", start_year=2024, end_year=2026
        ),
        OngoingRotation(
            teacher_id="OLD", from_school_id="S2", to_school_id="S1", start_year=2022, end_year=2024
        ),
    ]
    demand = [Demand(school_id="S2", subject="数学", count=3)]
    pins = [Pin(teacher_id="T0", kind="不得交流", reason="毕业班")]
    d = build_district(teachers=teachers, ongoing=ongoing, demand=demand, pins=pins)
    plan = Plan(
        plan_year=2025,
        rotations=(
            NewRotation(
                teacher_id="T1",
                from_school_id="S1",
                to_school_id="S2",
                start_year=2025,
                end_year=2027,
            ),
        ),
        returns=returns_of(d),
    )
    nxt = advance(d, plan)
    assert nxt.plan_year == 2026
    years = {t.teacher_id: t.years_at_school for t in nxt.teachers}
    assert years["T0"] == 9  # at home: one more year
    assert years["T1"] == 9  # left this year: frozen while away
    assert years["T2"] == 0  # last year at the host was 2025: home as 2026 begins
    assert years["T3"] == 11  # still away
    assert years["OLD"] == 1  # came home in 2025, has now spent a year at home
    assert {(o.teacher_id, o.end_year) for o in nxt.ongoing} == {
        ("T2", 2025),
        ("T3", 2026),
        ("T1", 2027),
    }
    assert [r.teacher_id for r in returns_of(nxt)] == ["T2"]
    assert nxt.status("T2").returning is not None and not nxt.status("T2").eligible
    assert nxt.pins == ()
    # two rotated maths teachers present at S2 in 2026 (T3, T1): one more is still wanted
    assert [(r.school_id, r.subject, r.count) for r in nxt.demand] == [("S2", "数学", 1)]
    assert d.plan_year == 2025 and len(d.ongoing) == 3  # the input is never changed


def test_a_retiree_leaves_the_next_years_data() -> None:
    """Female, born 1971: retires in 2026 at 55 (the default), so 2026's data no longer has her;
    an explicit 预计退休学年 counts too; one a year later stays."""
    teachers = [
        teacher("STAY", "S1"),
        teacher("AGE55", "S1", birth_year=1971),
        teacher("GIVEN", "S1", retirement_year=2026),
        teacher("LATER", "S1", birth_year=1972),
    ]
    d = build_district(teachers=teachers)
    assert [t.teacher_id for t in retirees(d)] == ["AGE55", "GIVEN"]
    nxt = advance(d, Plan(plan_year=2025, rotations=(), returns=returns_of(d)))
    assert [t.teacher_id for t in nxt.teachers] == ["STAY", "LATER"]
    assert nxt.status("LATER").retirement_year == 2027


def test_a_retiree_on_rotation_leaves_with_the_row_and_demand_carries_over() -> None:
    """A maths teacher at the host S2 until 2026 retires in 2026: the row goes with her, and
    S2's request for 2 maths teachers is then covered by one rotated teacher only (T1's row)."""
    teachers = [
        teacher("T1", "S1"),
        teacher("OLD", "S1", birth_year=1971),
        teacher("BACK", "S1", birth_year=1971),
    ]
    ongoing = [
        OngoingRotation(
            teacher_id="T1", from_school_id="S1", to_school_id="S2", start_year=2024, end_year=2026
        ),
        OngoingRotation(
            teacher_id="OLD", from_school_id="S1", to_school_id="S2", start_year=2024, end_year=2026
        ),
        OngoingRotation(  # would come home in 2026, retires instead
            teacher_id="BACK",
            from_school_id="S1",
            to_school_id="S2",
            start_year=2023,
            end_year=2025,
        ),
    ]
    demand = [Demand(school_id="S2", subject="数学", count=2)]
    d = build_district(teachers=teachers, ongoing=ongoing, demand=demand)
    nxt = advance(d, Plan(plan_year=2025, rotations=(), returns=returns_of(d)))
    assert [t.teacher_id for t in nxt.teachers] == ["T1"]
    assert [o.teacher_id for o in nxt.ongoing] == ["T1"]
    assert returns_of(nxt) == ()
    assert [(r.school_id, r.subject, r.count) for r in nxt.demand] == [("S2", "数学", 1)]
