"""The objective's terms: the solver's fast coefficients equal the term-by-term evaluation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models import Policy, School, Teacher
from models.objective import arc_score, arc_terms, distance_km, host_score, teacher_score


@given(
    backbone=st.booleans(),
    weak=st.booleans(),
    volunteer=st.booleans(),
    recommended=st.booleans(),
    preferred=st.booleans(),
    rank=st.integers(0, 50),
    lon=st.floats(100, 101),
    weights=st.lists(st.integers(0, 100), min_size=10, max_size=10),
    years_done=st.none() | st.integers(0, 5),
    schools=st.none() | st.integers(1, 4),
    needs=st.tuples(st.integers(0, 4), st.integers(1, 4)),
)
def test_fast_coefficients_equal_the_terms(
    backbone: bool,
    weak: bool,
    volunteer: bool,
    recommended: bool,
    preferred: bool,
    rank: int,
    lon: float,
    weights: list[int],
    years_done: int | None,
    schools: int | None,
    needs: tuple[int, int],
) -> None:
    keys = [
        "weight_rotation",
        "weight_seniority",
        "weight_backbone_to_weak",
        "weight_volunteer",
        "weight_recommended",
        "weight_preference",
        "weight_demand",
        "weight_commute",
        "weight_outflow_spread",
        "weight_promotion_experience",
    ]
    policy = Policy(
        **dict(zip(keys, weights, strict=True)),
        promotion_rotation_years=needs[0],
        promotion_schools=needs[1],
    )
    home = School(
        school_id="A", name="甲", group_id="G", stage="小学", weak=False, lon=100.0, lat=38.0
    )
    host = School(
        school_id="B", name="乙", group_id="G", stage="小学", weak=weak, lon=lon, lat=38.1
    )
    t = Teacher(
        teacher_id="T",
        name="王",
        school_id="A",
        subject="数学",
        gender="女",
        birth_year=1980,
        years_at_school=9,
        backbone="是" if backbone else None,
        volunteer=volunteer,
        school_recommended=recommended,
        preferred_schools=("B",) if preferred else (),
        rotation_years_done=years_done,
        schools_taught=schools,
    )
    slow = arc_score(policy, arc_terms(t, home, host, rank, policy))
    assert slow == teacher_score(policy, t, rank) + host_score(
        policy, t, host, distance_km(home, host)
    )


def test_distance_is_whole_km_and_zero_without_coordinates() -> None:
    a = School(
        school_id="A", name="甲", group_id="G", stage="小学", weak=False, lon=100.45, lat=38.93
    )
    b = School(
        school_id="B", name="乙", group_id="G", stage="小学", weak=False, lon=100.45, lat=39.03
    )
    c = School(school_id="C", name="丙", group_id="G", stage="小学", weak=False)
    assert distance_km(a, b) == 11  # 0.1° of latitude ≈ 11.1 km
    assert distance_km(a, c) == 0
