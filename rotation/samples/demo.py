"""The two bundled demo districts (`rotation demo`)."""

from __future__ import annotations

from models import District
from rotation.samples.generate import ganzhou_policy, generate_district

DEMO_YEAR = 2025


def demo_districts() -> list[tuple[str, str, District]]:
    """The two bundled samples: Ganzhou's real group structure under the Ganzhou rule variant
    (5% of full-time teachers per school, point-to-point) with 走教需求 at its small rural
    schools (急缺教师送教走教 inside the group), and a Minhang-like district under the
    default rules."""
    ganzhou = generate_district(
        teachers=2400, seed=2025, structure="ganzhou", plan_year=DEMO_YEAR, itinerant=True
    )
    ganzhou = ganzhou.replace(policy=ganzhou_policy(DEMO_YEAR))
    minhang = generate_district(teachers=3000, seed=2025, structure="minhang", plan_year=DEMO_YEAR)
    return [
        ("甘州区示例", "甘州区口径（每校专任教师5%，点对点）", ganzhou),
        ("闵行区示例", "默认规则", minhang),
    ]
