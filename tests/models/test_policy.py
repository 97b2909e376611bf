"""Policy parameters: how a clerk's spelling of each value is read, and exact ratio arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.policy import (
    DISTRICT_ONLY,
    PARAMETER_KEYS,
    Policy,
    PolicySet,
    PolicyValueError,
    check_policy_values,
    description_of,
    display_param,
    format_param,
    label_of,
    parse_param,
    resolve_key,
)
from models.requirements import ceil_share
from models.vocab import FlowDirection, RatioScope


@pytest.mark.parametrize("text", ["0.05", "5%", '"5%"', "５％", 0.05, "5", 5])
def test_ratios_in_every_spelling(text: object) -> None:
    assert parse_param("min_rotation_ratio", text) == Decimal("0.05")


@pytest.mark.parametrize("text", ["abc", "150%", "-1%", True])
def test_bad_ratio_is_rejected_in_chinese(text: object) -> None:
    with pytest.raises(PolicyValueError, match="比例"):
        parse_param("backbone_share", text)


def test_optional_ratio_blank_means_off() -> None:
    assert parse_param("lead_outflow_ratio", "") is None
    assert parse_param("max_outflow_share", "不限") is None


def test_lists_with_chinese_separators() -> None:
    assert parse_param("exam_subjects", "语文，数学、英语") == ("语文", "数学", "英语")
    assert parse_param("flow_direction", "lead_to_member, member_to_member") == (
        FlowDirection.LEAD_TO_MEMBER,
        FlowDirection.MEMBER_TO_MEMBER,
    )
    with pytest.raises(PolicyValueError, match="未知流动方向"):
        parse_param("flow_direction", "lead_to_lead")


def test_enums_and_bools() -> None:
    assert parse_param("ratio_scope", "学校") == RatioScope.SCHOOL
    assert parse_param("exam_inflow_only", "否") is False
    assert parse_param("min_years_at_school", "６") == 6
    with pytest.raises(PolicyValueError, match="整数"):
        parse_param("min_years_at_school", "6.5")


def test_unknown_key_suggests_the_nearest() -> None:
    with pytest.raises(PolicyValueError, match="min_rotation_ratio"):
        resolve_key("min_rotaton_ratio")
    assert resolve_key("最低交流比例") == "min_rotation_ratio"
    assert resolve_key(" plan_year ") == "plan_year"
    # A label with full-width punctuation, as the template shows it (the text is NFKC-folded).
    assert resolve_key("权重：资历优先") == "weight_seniority"
    assert resolve_key("权重:补足晋升经历") == "weight_promotion_experience"


def test_out_of_range_values_name_the_parameter() -> None:
    with pytest.raises(PolicyValueError, match="min_years_at_school"):
        check_policy_values({"min_years_at_school": 99})


def test_every_parameter_has_label_description_and_formats() -> None:
    default = Policy()
    for key in PARAMETER_KEYS:
        assert label_of(key) and description_of(key)
        value = getattr(default, key)
        text = format_param(key, value)
        if value is not None:
            assert parse_param(key, text) == value


def test_group_overrides_apply_to_that_group_only() -> None:
    policy = PolicySet(
        district=Policy(plan_year=2025),
        group_overrides={"G2": {"min_rotation_ratio": Decimal("0.2")}},
    )
    assert policy.for_group("G1").min_rotation_ratio == Decimal("0.1")
    assert policy.for_group("G2").min_rotation_ratio == Decimal("0.2")
    assert policy.for_group("G2").plan_year == 2025


def test_plan_year_missing_is_a_clear_error() -> None:
    with pytest.raises(PolicyValueError, match="--year"):
        _ = PolicySet().plan_year


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=0, max_value=100))
def test_ceil_share_is_exact(count: int, percent: int) -> None:
    result = ceil_share(count, Decimal(percent) / 100)
    assert result * 100 >= count * percent
    assert (result - 1) * 100 < count * percent


def test_ceil_share_known_values() -> None:
    assert ceil_share(30, Decimal("0.1")) == 3
    assert ceil_share(31, Decimal("0.1")) == 4
    assert ceil_share(20, Decimal("0.05")) == 1
    assert ceil_share(0, Decimal("0.1")) == 0


@pytest.mark.parametrize(
    "text", ["1e999999999", "-1E999999999", "Infinity", "nan", "sNaN", "9" * 5000, float("inf")]
)
def test_numbers_are_bounded_before_they_are_converted(text: object) -> None:
    with pytest.raises(PolicyValueError, match="整数"):
        parse_param("min_years_at_school", text)
    with pytest.raises(PolicyValueError, match="比例"):
        parse_param("min_rotation_ratio", text)


def test_district_name_is_a_district_wide_text_parameter() -> None:
    assert resolve_key("区县名称") == "district_name"
    assert parse_param("district_name", " 闵行区 ") == "闵行区"
    assert parse_param("district_name", "") is None
    assert "district_name" in DISTRICT_ONLY
    assert display_param("district_name", None) == "未填（标题用数据文件名）"
    assert (
        display_param("flow_direction", Policy().flow_direction) == "牵头校到成员校、成员校到牵头校"
    )


# -- min_rotation_ratio_by_size ----------------------------------------------------------------


def _bands(text: str) -> Policy:
    return check_policy_values(
        {"min_rotation_ratio_by_size": parse_param("min_rotation_ratio_by_size", text)}
    )


def test_ratio_by_size_spellings_formats_and_words() -> None:
    policy = _bands("1-4:10%, 5~8：0.12；9+:15")
    value = policy.min_rotation_ratio_by_size
    assert format_param("min_rotation_ratio_by_size", value) == "1-4:10%,5-8:12%,9-:15%"
    assert display_param("min_rotation_ratio_by_size", value) == (
        "1至4所学校 10%；5至8所学校 12%；9所及以上学校 15%"
    )
    assert parse_param("min_rotation_ratio_by_size", "1:5%,2-:8%") == parse_param(
        "min_rotation_ratio_by_size", ["1:5%", "2-:8%"]
    )
    assert parse_param("min_rotation_ratio_by_size", "") is None
    assert display_param("min_rotation_ratio_by_size", None).startswith("不分段")
    assert "min_rotation_ratio_by_size" in DISTRICT_ONLY
    assert resolve_key("按集团规模的最低交流比例") == "min_rotation_ratio_by_size"


@pytest.mark.parametrize(
    "text", ["abc", "0-4:10%", "1-4:10%,3-:5%", "1-4:10%,9-:5%", "1-:5%,2-:5%", "1-4:-5%"]
)
def test_bad_ratio_by_size_is_refused_with_the_writing(text: str) -> None:
    with pytest.raises(PolicyValueError) as excinfo:
        parse_param("min_rotation_ratio_by_size", text)
    assert "「" in str(excinfo.value)


def test_min_ratio_precedence_group_row_then_size_then_district() -> None:
    district = _bands("1-4:10%,5-8:12%").model_copy(update={"min_rotation_ratio": Decimal("0.2")})
    policies = PolicySet(
        district=district, group_overrides={"G2": {"min_rotation_ratio": Decimal("0.3")}}
    )
    assert policies.min_ratio("G1", 3)[0] == Decimal("0.1")
    assert policies.min_ratio("G1", 5)[0] == Decimal("0.12")
    assert policies.min_ratio("G1", 9) == (
        Decimal("0.2"),
        "集团有9所学校，不在按规模分段内，按全区最低交流比例",
    )
    assert policies.min_ratio("G2", 3) == (Decimal("0.3"), "比例为本集团单独设置")
    assert PolicySet(
        district=district.model_copy(update={"min_rotation_ratio_by_size": None})
    ).min_ratio("G1", 3) == (Decimal("0.2"), "全区")


@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=6),
    st.lists(st.integers(0, 100), min_size=6, max_size=6),
    st.booleans(),
)
def test_ratio_by_size_round_trips_and_covers_each_size_once(
    widths: list[int], percents: list[int], open_end: bool
) -> None:
    parts, low = [], 1
    for i, width in enumerate(widths):
        high = low + width - 1
        last = i == len(widths) - 1
        span = f"{low}-" if last and open_end else f"{low}-{high}"
        parts.append(f"{span}:{percents[i]}%")
        low = high + 1
    bands = parse_param("min_rotation_ratio_by_size", ",".join(parts))
    assert parse_param("min_rotation_ratio_by_size", format_param("", bands)) == bands
    policies = PolicySet(district=check_policy_values({"min_rotation_ratio_by_size": bands}))
    for size in range(1, low + 3):
        covering = [b for b in bands if b.covers(size)]
        assert len(covering) <= 1
        ratio, _ = policies.min_ratio("G", size)
        expected = covering[0].ratio if covering else policies.district.min_rotation_ratio
        assert ratio == expected
    assert open_end or not any(b.covers(low) for b in bands)
