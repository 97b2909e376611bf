"""District invariants and derived eligibility, each with a case that holds and one that breaks."""

from __future__ import annotations

import pytest

from models import Demand, EntrustedPair, Group, InputError, OngoingRotation, Pin, School
from models.requirements import candidates_for, demand_warnings, group_requirement
from models.rules import precheck

from ..conftest import DistrictFactory, teacher  # type: ignore[import-not-found]


def problems_of(
    excinfo: pytest.ExceptionInfo[InputError],
) -> list[tuple[str, int | None, str | None]]:
    return [(p.sheet, p.row, p.column) for p in excinfo.value.errors]


def test_the_tiny_district_is_valid(make_district: DistrictFactory) -> None:
    d = make_district()
    assert len(d.eligible_teachers()) == 5
    assert d.status("T1").group_id == "G1"
    assert d.status("T1").retirement_year == 2035
    assert d.warnings == []


def test_duplicate_teacher_id_names_the_row(make_district: DistrictFactory) -> None:
    with pytest.raises(InputError) as exc:
        make_district(teachers=[teacher("T1", "S1", row=2), teacher("T1", "S2", row=3)])
    assert problems_of(exc) == [("教师", 3, "教师编号")]
    assert "第2行" in exc.value.errors[0].message


def test_unknown_school_and_group_are_both_reported(make_district: DistrictFactory) -> None:
    schools = [
        School(school_id="S1", name="一小", group_id="G1", stage="小学", weak=False, row=2),
        School(school_id="S2", name="二小", group_id="G9", stage="小学", weak=False, row=3),
    ]
    with pytest.raises(InputError) as exc:
        make_district(schools=schools, teachers=[teacher("T1", "S7", row=2)])
    assert ("学校", 3, "集团编号") in problems_of(exc)
    assert ("教师", 2, "学校编号") in problems_of(exc)


def test_lead_school_outside_its_group(make_district: DistrictFactory) -> None:
    groups = [
        Group(group_id="G1", name="甲", lead_school_id="S1", row=2),
        Group(group_id="G2", name="乙", lead_school_id="S1", row=3),
    ]
    with pytest.raises(InputError) as exc:
        make_district(groups=groups)
    assert problems_of(exc) == [("集团", 3, "牵头学校编号")]


def test_nine_year_school_needs_teaching_stage(make_district: DistrictFactory) -> None:
    with pytest.raises(InputError) as exc:
        make_district(teachers=[teacher("T1", "S3", row=5)])
    assert problems_of(exc) == [("教师", 5, "任教学段")]
    d = make_district(teachers=[teacher("T1", "S3", teaching_stage="初中")])
    assert d.status("T1").teaching_stage == "初中"


def test_teaching_stage_must_fit_the_home_school(make_district: DistrictFactory) -> None:
    with pytest.raises(InputError) as exc:
        make_district(teachers=[teacher("T1", "S1", teaching_stage="高中", row=4)])
    assert problems_of(exc) == [("教师", 4, "任教学段")]


def test_ongoing_rotation_years_and_home(make_district: DistrictFactory) -> None:
    bad = OngoingRotation(
        teacher_id="T1",
        from_school_id="S2",
        to_school_id="S2",
        start_year=2024,
        end_year=2023,
        row=2,
    )
    with pytest.raises(InputError) as exc:
        make_district(ongoing=[bad])
    assert set(problems_of(exc)) == {
        ("在岗交流", 2, "流出学校编号"),
        ("在岗交流", 2, "流入学校编号"),
        ("在岗交流", 2, "结束学年"),
    }


def test_pins_deferred_and_contradictory(make_district: DistrictFactory) -> None:
    teachers = [teacher("T1", "S1", deferral="孕期"), teacher("T2", "S1")]
    pins = [
        Pin(teacher_id="T1", kind="必须交流至", school_id="S2", row=2),
        Pin(teacher_id="T2", kind="必须交流至", school_id="S2", row=3),
        Pin(teacher_id="T2", kind="不得交流", row=4),
        Pin(teacher_id="T2", kind="不得交流至", row=5),
    ]
    with pytest.raises(InputError) as exc:
        make_district(teachers=teachers, pins=pins)
    assert problems_of(exc) == [
        ("锁定", 2, "类型"),
        ("锁定", 4, "类型"),
        ("锁定", 5, "学校编号"),
    ]


def test_demand_and_entrusted_references(make_district: DistrictFactory) -> None:
    with pytest.raises(InputError) as exc:
        make_district(
            demand=[
                Demand(school_id="S2", subject="数学", row=2),
                Demand(school_id="S2", subject="数学", row=3),
                Demand(school_id="S9", subject="语文", row=4),
            ],
            entrusted=[EntrustedPair(supporting_school_id="S1", aided_school_id="X", row=2)],
        )
    assert problems_of(exc) == [
        ("托管", 2, "受援学校编号"),
        ("需求", 3, "学科"),
        ("需求", 4, "学校编号"),
    ]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"years_at_school": 5}, "本校任教5年，未满6年"),
        ({"birth_year": 1966, "gender": "男"}, "距退休仅1年"),
        ({"birth_year": 1975}, "距退休仅5年"),
        ({"deferral": "哺乳期"}, "暂缓：哺乳期"),
    ],
)
def test_each_ineligibility_reason(
    make_district: DistrictFactory, overrides: dict[str, object], fragment: str
) -> None:
    d = make_district(teachers=[teacher("T1", "S1", **overrides)])
    status = d.status("T1")
    assert not status.eligible
    assert fragment in status.reason


def test_retirement_boundary_is_strict(make_district: DistrictFactory) -> None:
    """Eligible only if retirement year − plan year > buffer: 6 years left is enough, 5 is not."""
    assert make_district(teachers=[teacher("T1", "S1", birth_year=1976)]).status("T1").eligible
    assert not make_district(teachers=[teacher("T1", "S1", birth_year=1975)]).status("T1").eligible
    explicit = make_district(teachers=[teacher("T1", "S1", birth_year=1975, retirement_year=2033)])
    assert explicit.status("T1").eligible


def test_ongoing_and_returning_teachers_are_not_eligible(make_district: DistrictFactory) -> None:
    ongoing = [
        OngoingRotation(
            teacher_id="T1", from_school_id="S1", to_school_id="S2", start_year=2023, end_year=2025
        ),
        OngoingRotation(
            teacher_id="T2", from_school_id="S1", to_school_id="S2", start_year=2022, end_year=2024
        ),
    ]
    d = make_district(ongoing=ongoing)
    assert "在岗交流中（至2025学年）" in d.status("T1").reason
    assert d.status("T2").returning is not None and not d.status("T2").eligible
    assert d.status("T3").eligible


def test_policy_changes_eligibility(make_district: DistrictFactory) -> None:
    d = make_district(
        teachers=[teacher("T1", "S1", years_at_school=5)], policy={"min_years_at_school": 5}
    )
    assert d.status("T1").eligible
    stricter = d.replace(
        policy=d.policy.model_copy(
            update={"district": d.policy.district.model_copy(update={"min_years_at_school": 6})}
        )
    )
    assert not stricter.status("T1").eligible


def test_group_requirement_counts(make_district: DistrictFactory) -> None:
    teachers = [
        teacher(f"T{i}", "S1", backbone="区级骨干" if i < 3 else None) for i in range(1, 22)
    ]
    teachers.append(teacher("T99", "S2", years_at_school=1))
    req = group_requirement(make_district(teachers=teachers), "G1")
    assert (req.teachers, req.eligible, req.eligible_backbone) == (22, 21, 2)
    assert req.min_rotations == 3  # ceil(21 × 10%)
    assert req.min_backbone == 1  # ceil(3 × 20%)
    per_school = group_requirement(
        make_district(
            teachers=teachers, policy={"ratio_scope": "school", "ratio_base": "full_time"}
        ),
        "G1",
    )
    assert per_school.min_rotations == 3 + 1  # ceil(21 × 10%) + ceil(1 × 10%)


def test_candidates_respect_stage_and_home(make_district: DistrictFactory) -> None:
    teachers = [
        teacher("T1", "S1"),
        teacher("T2", "S3", teaching_stage="初中"),
        teacher("T3", "S3", teaching_stage="小学"),
        teacher("T4", "S2"),
    ]
    d = make_district(teachers=teachers)
    assert [t.teacher_id for t in candidates_for(d, d.school("S2"))] == ["T1", "T3"]
    assert [t.teacher_id for t in candidates_for(d, d.school("S3"))] == ["T1", "T4"]


def test_demand_warnings_before_planning(make_district: DistrictFactory) -> None:
    d = make_district(demand=[Demand(school_id="S2", subject="英语", count=1)])
    messages = demand_warnings(d)
    assert any("英语" in m and "没有符合条件" in m for m in messages)
    assert not any("组团流入" in m for m in messages)
    small = make_district(
        teachers=[teacher("T1", "S1")], demand=[Demand(school_id="S2", subject="数学")]
    )
    assert not any("组团流入" in m for m in demand_warnings(small))
    assert any("组团流入至少3人" in m and "仅1人" in m for m in precheck(small))
