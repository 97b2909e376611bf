"""Synthetic districts: deterministic, valid, shaped like real ones, and plannable under the rules."""

from __future__ import annotations

import csv
import math
import statistics
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import District, Teacher
from models.requirements import demand_warnings
from models.vocab import (
    STAGES_HOSTED,
    FlowDirection,
    Gender,
    OngoingKind,
    RatioBase,
    RatioScope,
    Stage,
    TeachingStage,
)
from rotation.samples.generate import (
    GANZHOU_CSV,
    GANZHOU_MIXED_GROUP,
    STRUCTURES,
    ganzhou_policy,
    generate_district,
)

#: Subjects a teacher of each stage may plausibly teach (kept apart from the generator's table).
_COMPULSORY = {"语文", "数学", "英语", "道德与法治", "体育", "音乐", "美术", "信息科技", "劳动"}
PLAUSIBLE: dict[TeachingStage, set[str]] = {
    TeachingStage.PRIMARY: _COMPULSORY | {"科学", "综合实践活动"},
    TeachingStage.JUNIOR: _COMPULSORY
    | {"历史", "地理", "物理", "化学", "生物学", "科学", "综合实践活动"},
    TeachingStage.SENIOR: {
        "语文",
        "数学",
        "英语",
        "思想政治",
        "历史",
        "地理",
        "物理",
        "化学",
        "生物学",
        "信息技术",
        "通用技术",
        "体育",
        "音乐",
        "美术",
        "心理健康",
    },
}
#: Vocational schools: general subjects plus specialities (专业课).
VOCATIONAL = {"语文", "数学", "英语", "思想政治", "历史", "体育", "信息技术", "音乐", "美术"} | {
    "计算机应用",
    "机电技术应用",
    "汽车运用与维修",
    "电子技术应用",
    "会计事务",
    "幼儿保育",
    "旅游服务与管理",
    "现代农艺技术",
    "畜禽生产技术",
}


def share(items: list[bool]) -> float:
    return sum(items) / len(items)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 111)


def lead_of(d: District, school_id: str) -> str:
    return d.group(d.school(school_id).group_id).lead_school_id


# -- determinism and arguments ------------------------------------------------------------------


@pytest.mark.parametrize("structure", STRUCTURES)
def test_same_seed_same_district_other_seed_other_district(structure: str) -> None:
    a = generate_district(teachers=1200, seed=5, structure=structure)
    b = generate_district(teachers=1200, seed=5, structure=structure)
    c = generate_district(teachers=1200, seed=6, structure=structure)
    assert a.model_dump() == b.model_dump()
    assert a.model_dump()["teachers"] != c.model_dump()["teachers"]


def test_unknown_structure_and_empty_district_are_refused() -> None:
    with pytest.raises(ValueError, match="structure"):
        generate_district(structure="shanghai")
    with pytest.raises(ValueError, match="teachers"):
        generate_district(teachers=0)


def test_name_plan_year_and_default_policy() -> None:
    d = generate_district(teachers=300, structure="ganzhou", plan_year=2027)
    assert d.name == "甘州区（模拟）"
    assert d.plan_year == 2027
    assert d.policy.district.min_rotation_ratio == Decimal("0.10")
    assert generate_district(teachers=300).name == "闵行区（模拟）"


def test_ganzhou_policy_is_the_ganzhou_variant() -> None:
    p = ganzhou_policy(2025).district
    assert p.plan_year == 2025
    assert p.min_rotation_ratio == Decimal("0.05")
    assert p.ratio_scope == RatioScope.SCHOOL
    assert p.ratio_base == RatioBase.FULL_TIME
    assert set(p.flow_direction) == set(FlowDirection)
    d = generate_district(teachers=500, structure="ganzhou").replace(policy=ganzhou_policy(2025))
    assert d.policy.for_group("GZG1").ratio_scope == RatioScope.SCHOOL
    # the mixed secondary group counts its 5% as a group: its vocational centre has no partner
    mixed = d.group(GANZHOU_MIXED_GROUP)
    assert mixed.name == "中学教育集团"
    assert d.policy.for_group(mixed.group_id).ratio_scope == RatioScope.GROUP
    vocational = [s for s in d.schools_of(mixed.group_id) if s.stage == Stage.VOCATIONAL]
    assert len(vocational) == 1


# -- structures ---------------------------------------------------------------------------------


def test_ganzhou_has_the_real_groups_schools_and_lead_schools() -> None:
    with GANZHOU_CSV.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    d = generate_district(teachers=2000, structure="ganzhou")
    assert len(d.groups) == 6 and len(d.schools) == 43
    assert [s.school_id for s in d.schools] == [f"GZ{i:02d}" for i in range(1, 44)]
    assert [g.group_id for g in d.groups] == [f"GZG{i}" for i in range(1, 7)]
    assert [s.name for s in d.schools] == [r["school"] for r in rows]
    groups = {g.name: g for g in d.groups}
    for school, row in zip(d.schools, rows, strict=True):
        group = groups[row["group_name"]]
        assert school.group_id == group.group_id
        assert d.school(group.lead_school_id).name == row["lead_school"]
        assert group.type == row["group_type"]
        township = row["stage_note"] == "乡镇中心学校"
        assert school.weak == township
        distance = km((school.lon or 0, school.lat or 0), (100.45, 38.93))
        assert (9.5 <= distance <= 30.5) if township else distance <= 4.1
    stages = {s.name: s.stage for s in d.schools}
    assert stages["甘州区南关学校"] == Stage.NINE_YEAR
    assert stages["张掖市第二中学"] == Stage.SENIOR
    assert stages["张掖市职业技术教育中心"] == Stage.VOCATIONAL
    assert stages["张掖市第四中学"] == Stage.JUNIOR
    assert stages["甘州区甘州中学（小学部）"] == Stage.PRIMARY
    assert stages["甘州区新墩镇中心学校"] == Stage.PRIMARY
    sizes = Counter(t.school_id for t in d.teachers)
    by_name = {s.name: sizes[s.school_id] for s in d.schools}
    assert by_name["张掖市第二中学"] > by_name["甘州区南华小学"] > by_name["甘州区新墩镇中心学校"]
    assert by_name["甘州区甘泉街小学"] > by_name["甘州区南华小学"]


def test_minhang_scales_with_the_teacher_count() -> None:
    d = generate_district(teachers=20_000, seed=3, structure="minhang")
    schools, groups = d.schools, d.groups
    assert 240 <= len(schools) <= 300
    assert len({s.school_id for s in schools}) == len({s.name for s in schools}) == len(schools)
    assert all(s.name.startswith("闵行区") for s in schools)
    assert all(s.school_id.startswith("MH") for s in schools)
    assert all(g.group_id.startswith("MHG") for g in groups)
    sizes = Counter(t.school_id for t in d.teachers)
    assert min(sizes.values()) >= 35
    leads = {g.lead_school_id for g in groups}
    assert max(n for sid, n in sizes.items() if sid not in leads) <= 150
    assert max(sizes.values()) <= 320  # a lead holds about a third of its group (一校多区)
    assert 0.18 <= share([s.weak for s in schools]) <= 0.32
    assert {s.stage for s in schools} == {Stage.PRIMARY, Stage.JUNIOR, Stage.NINE_YEAR}
    for g in groups:
        members = d.schools_of(g.group_id)
        assert 3 <= len(members) <= 8
        assert not d.school(g.lead_school_id).weak
        stages = {s.stage for s in members} - {Stage.NINE_YEAR}
        assert len(stages) <= 1, g.name  # single-stage groups, nine-year schools in either
    for s in schools:
        assert km((s.lon or 0, s.lat or 0), (121.38, 31.11)) <= 15.5


# -- shapes of a 5,000-teacher district ---------------------------------------------------------


@pytest.fixture(scope="module", params=STRUCTURES)
def district(request: pytest.FixtureRequest) -> District:
    return generate_district(teachers=5000, seed=11, structure=str(request.param))


def test_shares_are_those_of_real_districts(district: District) -> None:
    teachers = list(district.teachers)
    year = district.plan_year
    assert 0.10 <= share([t.is_backbone for t in teachers]) <= 0.20
    assert 0.30 <= share([district.status(t.teacher_id).eligible for t in teachers]) <= 0.50
    assert 35 <= statistics.median(year - t.birth_year for t in teachers) <= 44
    assert 0.02 <= share([t.deferral is not None for t in teachers]) <= 0.04
    assert 0.05 <= share([t.management for t in teachers]) <= 0.11
    assert 0.07 <= share([t.volunteer for t in teachers]) <= 0.13
    assert 0.10 <= share([t.school_recommended for t in teachers]) <= 0.20
    assert 0.02 <= len(district.ongoing) / len(teachers) <= 0.04
    assert 0 < sum(t.retirement_year is not None for t in teachers) < 0.03 * len(teachers)
    levels = Counter(t.backbone for t in teachers if t.backbone)
    assert levels.most_common(1)[0][0] == "区级骨干"
    assert levels["特级教师"] < levels["学科带头人"] < levels["市级骨干"]
    primary = [
        t.gender == Gender.FEMALE
        for t in teachers
        if district.status(t.teacher_id).teaching_stage == TeachingStage.PRIMARY
    ]
    assert 0.70 <= share(primary) <= 0.85


def test_every_teacher_is_plausible(district: District) -> None:
    year = district.plan_year
    p = district.policy.district
    for t in district.teachers:
        status = district.status(t.teacher_id)
        school = district.school(t.school_id)
        age = year - t.birth_year
        assert 23 <= age <= 60
        assert status.retirement_year > year  # nobody past retirement
        assert t.years_at_school <= age - 21
        assert (t.teaching_stage is not None) == (school.stage == Stage.NINE_YEAR)
        plausible = PLAUSIBLE.get(status.teaching_stage, VOCATIONAL)
        assert t.subject in plausible, (t.subject, status.teaching_stage)
        if t.title == "正高级教师" or t.backbone in ("学科带头人", "特级教师"):
            assert age >= 35
        for pref in t.preferred_schools:
            host = district.school(pref)
            assert host.group_id == school.group_id and pref != school.school_id
            assert status.teaching_stage in STAGES_HOSTED[host.stage]
        if t.preferred_schools:
            assert t.volunteer
    assert p.min_years_at_school == 6


def test_nine_year_schools_have_both_stages(district: District) -> None:
    for school in district.schools:
        if school.stage == Stage.NINE_YEAR:
            stages = {t.teaching_stage for t in district.teachers_of_school(school.school_id)}
            assert stages == {TeachingStage.PRIMARY, TeachingStage.JUNIOR}


def test_demand_can_be_met_from_the_group(district: District) -> None:
    assert any(district.school(r.school_id).weak for r in district.demand)
    assert any(not district.school(r.school_id).weak for r in district.demand)
    assert demand_warnings(district) == []


def test_rows_are_exactly_what_validation_gives(district: District) -> None:
    """Teachers are built on pydantic's trusted path: validating them again changes nothing."""
    for t in district.teachers:
        again = Teacher.model_validate({**t.model_dump(), "row": t.row})
        assert again == t
        assert type(t.gender) is Gender
        assert t.teaching_stage is None or type(t.teaching_stage) is TeachingStage
        assert type(t.preferred_schools) is tuple
    assert district.teachers[0].row == 2


# -- any size, any seed -------------------------------------------------------------------------


def check_consistency(d: District) -> None:
    """Eligibility reasons, ongoing rotations and weak-school demand agree with the rules."""
    year = d.plan_year
    assert d.warnings == []
    covering = {o.teacher_id for o in d.ongoing if o.start_year <= year <= o.end_year}
    for t in d.teachers:
        status = d.status(t.teacher_id)
        p = d.policy.for_group(status.group_id)
        reasons = status.reasons
        assert status.eligible == (not reasons)
        assert any("本校任教" in r for r in reasons) == (t.years_at_school < p.min_years_at_school)
        assert any("退休" in r for r in reasons) == (
            status.retirement_year - year <= p.retirement_buffer_years
        )
        assert any("暂缓" in r for r in reasons) == (t.deferral is not None)
        assert any("在岗交流中" in r for r in reasons) == (t.teacher_id in covering)

    for o in d.ongoing:
        t = d.teacher(o.teacher_id)
        status = d.status(o.teacher_id)
        home, host = d.school(o.from_school_id), d.school(o.to_school_id)
        p = d.policy.for_group(home.group_id)
        assert o.kind == OngoingKind.ROTATION
        assert home.school_id == t.school_id != host.school_id
        assert host.group_id == home.group_id
        assert status.teaching_stage in STAGES_HOSTED[host.stage]
        assert year - 3 <= o.start_year <= year - 1
        assert o.end_year == o.start_year + p.min_tenure_years - 1
        assert t.years_at_school >= p.min_years_at_school + (year - o.start_year)
        assert status.retirement_year - o.start_year > p.retirement_buffer_years
        assert t.deferral is None
        lead = lead_of(d, home.school_id)
        assert lead in (home.school_id, host.school_id)  # default flow directions

    demand_schools = {r.school_id for r in d.demand}
    for school_id in demand_schools:
        school = d.school(school_id)
        if not school.weak:
            continue
        p = d.policy.for_group(school.group_id)
        pool = [
            t
            for other in d.schools_of(school.group_id)
            if other.school_id != school_id
            for t in d.teachers_of_school(other.school_id)
            if d.status(t.teacher_id).eligible
            and d.status(t.teacher_id).teaching_stage in STAGES_HOSTED[school.stage]
        ]
        assert len(pool) >= p.weak_inflow_min
    for r in d.demand:
        assert 1 <= r.count <= 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    teachers=st.integers(min_value=50, max_value=3000),
    seed=st.integers(min_value=0, max_value=2**32),
    structure=st.sampled_from(STRUCTURES),
)
def test_any_generated_district_is_valid_and_consistent(
    teachers: int, seed: int, structure: str
) -> None:
    d = generate_district(teachers=teachers, seed=seed, structure=structure)
    assert len(d.teachers) == teachers
    check_consistency(d)


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("teachers", [1, 10, 43, 44])
def test_tiny_districts_still_construct(structure: str, teachers: int) -> None:
    d = generate_district(teachers=teachers, seed=teachers, structure=structure)
    assert len(d.teachers) == teachers
    check_consistency(d)
