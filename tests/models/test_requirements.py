"""Long-run estimates the validate summary warns about."""

from __future__ import annotations

from models import District
from models.requirements import lead_pool_warnings, unmovable_warnings

from ..conftest import build_district, teacher  # type: ignore[import-not-found]


def _district(lead: int, member: int, **policy: str) -> District:
    teachers = [teacher(f"L{i}", "S1") for i in range(lead)]
    teachers += [teacher(f"M{i}", "S2") for i in range(member)]
    return build_district(teachers=teachers, policy=policy)


def test_a_small_lead_school_is_warned_about() -> None:
    """32 eligible → at least 4 rotations a year, 2 of them from the lead; each lead teacher
    sent is out of the pool for 3 + 6 years: 18 teachers needed, the lead has 2."""
    (note,) = lead_pool_warnings(_district(2, 30))
    assert "牵头校每年须派出约2人" in note and "长期需约18名" in note and "只有2名" in note


def test_no_warning_for_a_large_lead_or_other_flows() -> None:
    assert lead_pool_warnings(_district(30, 2)) == []
    flows = "lead_to_member,member_to_lead,member_to_member"
    assert lead_pool_warnings(_district(2, 30, flow_direction=flows)) == []
    assert lead_pool_warnings(_district(2, 30, subject_balance_tolerance="1")) == []


def test_eligible_teachers_with_nowhere_to_go_are_warned_about() -> None:
    """Junior-stage teachers of the nine-year member S3: the lead S1 is a primary school and
    moves go lead ↔ member only, so they count in the base but cannot move."""
    teachers = [teacher(f"L{i}", "S1") for i in range(4)]
    teachers += [teacher(f"J{i}", "S3", teaching_stage="初中") for i in range(3)]
    d = build_district(teachers=teachers)
    (note,) = unmovable_warnings(d)
    assert "符合条件的7名教师中有3名" in note and "其余4人" in note
    assert unmovable_warnings(build_district(teachers=teachers[:4])) == []
