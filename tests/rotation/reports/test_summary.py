"""`rotation validate`'s summary: the ratio each group is held to."""

from __future__ import annotations

from rotation.reports.summary import summary_lines

from ...conftest import build_district, teacher  # type: ignore[import-not-found]


def test_summary_shows_the_ranges_and_each_groups_ratio() -> None:
    teachers = [teacher(f"L{i}", "S1") for i in range(20)]
    d = build_district(teachers=teachers, policy={"min_rotation_ratio_by_size": "1-2:10%,3-:15%"})
    lines = summary_lines(d)
    assert any(
        line.startswith("按集团规模的最低交流比例：1至2所学校 10%；3所及以上学校 15%")
        for line in lines
    )
    header = next(line for line in lines if line.startswith("集团 |"))
    assert "交流比例" in header.split(" | ")
    assert "城关教育集团 | 3 | 1 | 20 | 20 | 0 | 15% | 3 | 1" in lines  # ceil(20 × 15%)
    plain = summary_lines(build_district(teachers=teachers))
    assert not any(line.startswith("按集团规模") for line in plain)
    assert "城关教育集团 | 3 | 1 | 20 | 20 | 0 | 10% | 2 | 1" in plain
