"""Policy parameters (SPEC §4): one object drives the 规则 sheet, the template, scenarios and reports.

Every parameter carries its default, type, allowed range, a Chinese label and a one-line Chinese
description in its pydantic field, so that no other module keeps a second copy of them.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.vocab import (
    FlowDirection,
    ItinerantScope,
    RatioBase,
    RatioScope,
    enum_choices,
    parse_enum,
)

POLICY_SHEET = "规则"
POLICY_ALIAS = "policy"
#: 规则 sheet columns: field → (Chinese header, English alias).
POLICY_COLUMNS: dict[str, tuple[str, str]] = {
    "key": ("参数", "key"),
    "value": ("值", "value"),
    "group_id": ("集团编号", "group_id"),
}

DEFAULT_EXAM_SUBJECTS: tuple[str, ...] = (
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "道德与法治",
    "历史",
    "体育",
)


class SizeBand(BaseModel):
    """One range of min_rotation_ratio_by_size: groups of `low`..`high` schools (no upper end
    when `high` is None) rotate at least `ratio` of their ratio base."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: int = Field(ge=1)
    high: int | None = Field(default=None, ge=1)
    ratio: Decimal = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> SizeBand:
        if self.high is not None and self.high < self.low:
            raise ValueError("上限小于下限")
        return self

    def covers(self, schools: int) -> bool:
        """Whether a group of this many schools falls in the range."""
        return self.low <= schools and (self.high is None or schools <= self.high)

    def __str__(self) -> str:
        span = f"{self.low}-" if self.high is None else f"{self.low}-{self.high}"
        if self.high == self.low:
            span = str(self.low)
        return f"{span}:{format_param('', self.ratio)}"

    def words(self) -> str:
        """The range in Chinese, as reports show it: 1至4所学校 10%, 9所及以上 15%."""
        if self.high is None:
            span = f"{self.low}所及以上"
        elif self.high == self.low:
            span = f"{self.low}所"
        else:
            span = f"{self.low}至{self.high}所"
        return f"{span}学校 {format_param('', self.ratio)}"


def _param(default: Any, label: str, description: str, **kwargs: Any) -> Any:
    """A policy field with its Chinese label kept beside the description."""
    return Field(default, description=description, json_schema_extra={"label": label}, **kwargs)


class Policy(BaseModel):
    """Effective rule parameters for one scope (the district, or one group's overrides applied)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    district_name: str | None = _param(
        None,
        "区县名称",
        "审批表、公示名单等标题中的区县名称，如 闵行区；留空时用数据文件名",
        min_length=1,
        max_length=40,
    )
    plan_year: int | None = _param(
        None,
        "编制学年",
        "正在编制方案的学年，按起始年份填写（如2025表示2025-2026学年）",
        ge=2000,
        le=2100,
    )
    min_years_at_school: int = _param(
        6, "本校最低任教年限", "本校连续任教满此年限的教师方可参加交流", ge=0, le=40
    )
    retirement_buffer_years: int = _param(
        5, "距退休年限下限", "距退休年份须多于此年数方可参加交流", ge=0, le=20
    )
    retirement_age_male: int = _param(
        60, "男教师退休年龄", "未填预计退休学年时，男教师按此年龄推算", ge=45, le=70
    )
    retirement_age_female: int = _param(
        55, "女教师退休年龄", "未填预计退休学年时，女教师按此年龄推算", ge=45, le=70
    )
    flow_direction: tuple[FlowDirection, ...] = _param(
        (FlowDirection.LEAD_TO_MEMBER, FlowDirection.MEMBER_TO_LEAD),
        "允许的流动方向",
        "可选 lead_to_member（牵头校到成员校）、member_to_lead（成员校到牵头校）、"
        "member_to_member（成员校之间），逗号分隔",
        min_length=1,
    )
    min_rotation_ratio: Decimal = _param(
        Decimal("0.10"), "最低交流比例", "交流人数不少于计算基数的此比例（向上取整）", ge=0, le=1
    )
    min_rotation_ratio_by_size: tuple[SizeBand, ...] | None = _param(
        None,
        "按集团规模的最低交流比例",
        "按集团所含学校数分段设定最低交流比例，如 1-4:10%,5-8:12%,9-:15%（从1所起、由小到大、"
        "不重叠不间断，最后一段可不写上限）；集团单独设置的最低交流比例优先；"
        "学校数不在任何一段内的集团按最低交流比例；留空表示不分段",
    )
    ratio_scope: RatioScope = _param(
        RatioScope.GROUP, "比例考核范围", "group：按集团整体考核；school：按每所学校分别考核"
    )
    ratio_base: RatioBase = _param(
        RatioBase.ELIGIBLE, "比例计算基数", "eligible：符合交流条件的教师；full_time：全部专任教师"
    )
    backbone_share: Decimal = _param(
        Decimal("0.20"),
        "骨干教师占比下限",
        "交流教师中骨干教师不少于此比例（向上取整）",
        ge=0,
        le=1,
    )
    lead_outflow_ratio: Decimal | None = _param(
        None,
        "牵头校流出比例下限",
        "牵头校派出人数不少于其符合条件教师的此比例；留空表示不考核",
        ge=0,
        le=1,
    )
    weak_inflow_min: int = _param(
        3,
        "薄弱学校组团流入人数",
        "薄弱学校当年新流入人数为0或不少于此数；有需求的薄弱学校必须不少于此数",
        ge=1,
        le=50,
    )
    exam_inflow_only: bool = _param(
        True, "薄弱初中只进考试科目", "是：流入薄弱初中（初中学段）的教师须任教学业水平考试计分科目"
    )
    exam_subjects: tuple[str, ...] = _param(
        DEFAULT_EXAM_SUBJECTS, "考试计分科目", "学业水平考试计分科目，逗号分隔"
    )
    min_tenure_years: int = _param(
        3, "交流最短年限", "新交流期限为此年数：结束学年 = 开始学年 + 年数 − 1", ge=1, le=10
    )
    subject_balance_tolerance: int = _param(
        0, "学科增减容差", "每校每学科（流入+返回）−（流出+离开）的绝对值不超过此数", ge=0, le=100
    )
    max_outflow_share: Decimal | None = _param(
        None,
        "单校流出比例上限",
        "每校一年流出人数不超过其专任教师的此比例；留空表示不限",
        ge=0,
        le=1,
    )

    promotion_rotation_years: int = _param(
        2,
        "晋升所需交流年限",
        "晋升干部所需的累计交流年数（闵行：集团内交流满2年）；教师已交流年限少于此数即尚缺"
        "晋升所需交流经历（权重：补足晋升经历 为0时不考虑）",
        ge=0,
        le=20,
    )
    promotion_schools: int = _param(
        2,
        "晋升所需任教学校数",
        "评聘职称所需的任教学校数（闵行：2所及以上，含本校）；任教过的学校少于此数即尚缺"
        "晋升所需交流经历（权重：补足晋升经历 为0时不考虑）",
        ge=1,
        le=10,
    )

    # 走教 (SPEC §11, issue 17): planned after the rotations (solvers.itinerant).
    itinerant_max_periods: int = _param(
        6,
        "走教每周课时上限",
        "教师未填可走教课时时，每周到外校走教的课时上限",
        ge=0,
        le=40,
    )
    itinerant_max_schools: int = _param(
        1, "走教学校数上限", "每名教师同一学年至多到几所外校走教", ge=1, le=10
    )
    itinerant_max_km: int = _param(
        15,
        "走教距离上限(公里)",
        "原校到走教学校的距离上限；学校无坐标时只能在本集团学校之间走教",
        ge=0,
        le=500,
    )
    itinerant_scope: ItinerantScope = _param(
        ItinerantScope.GROUP,
        "走教范围",
        "group：只在本集团学校之间走教；district：可到全区学校走教",
    )
    itinerant_periods_per_trip: int = _param(
        2,
        "每次走教课时数",
        "一次往返连续上的课时数，用于计算每周往返次数（课时数÷此数，向上取整）",
        ge=1,
        le=10,
    )
    itinerant_subsidy_per_km: Decimal = _param(
        Decimal("0.5"),
        "走教交通补助(元/公里)",
        "每公里的交通补助；每学期补助 = 2 × 距离 × 每周往返次数 × 每学期周数 × 此数",
        ge=0,
        le=100,
    )
    itinerant_weeks_per_term: int = _param(
        18, "每学期周数", "计算每学期走教补助用的教学周数", ge=1, le=30
    )

    weight_rotation: int = _param(
        100,
        "权重：控制交流人数",
        "每多交流一名教师的基础扣分，避免超出规则和需求的交流",
        ge=0,
        le=10_000,
    )
    weight_seniority: int = _param(
        10,
        "权重：资历优先",
        "同校同学科中，每有一名任教年限更长的教师排在入选者之前时的扣分（年限长者优先）",
        ge=0,
        le=10_000,
    )
    weight_backbone_to_weak: int = _param(
        30, "权重：骨干到薄弱校", "每名骨干教师交流到薄弱学校的奖励", ge=0, le=10_000
    )
    weight_volunteer: int = _param(
        20, "权重：自愿交流", "每名自愿交流教师入选的奖励", ge=0, le=10_000
    )
    weight_recommended: int = _param(
        10, "权重：学校推荐", "每名学校推荐教师入选的奖励", ge=0, le=10_000
    )
    weight_preference: int = _param(
        20, "权重：意向学校", "教师交流到其意向学校的奖励", ge=0, le=10_000
    )
    weight_demand: int = _param(
        30,
        "权重：满足学校需求",
        "需求表中每满足一人的奖励（薄弱学校的组团和考试科目要求另按硬性规则）",
        ge=0,
        le=10_000,
    )
    weight_commute: int = _param(
        2, "权重：通勤距离", "原校到流入学校每公里距离的扣分（需学校坐标）", ge=0, le=10_000
    )
    weight_outflow_spread: int = _param(
        5, "权重：流出均衡", "单校流出人数超过其按比例应承担人数时，每多一人的扣分", ge=0, le=10_000
    )
    weight_promotion_experience: int = _param(
        0,
        "权重：补足晋升经历",
        "每名尚缺晋升所需交流经历（已交流年限或任教过的学校数少于要求）的教师入选的奖励；"
        "默认0即不考虑；教师表未填已交流年限、任教过的学校数的教师不计",
        ge=0,
        le=10_000,
    )
    weight_itinerant_uncovered: int = _param(
        100,
        "权重：走教缺课时",
        "走教需求每周每缺一课时的扣分；走教安排先求缺课时最少，再顾及以下几项",
        ge=0,
        le=10_000,
    )
    weight_itinerant_travel: int = _param(
        1,
        "权重：走教路程",
        "走教教师每周往返路程每公里的扣分（需学校坐标）",
        ge=0,
        le=10_000,
    )
    weight_itinerant_backbone_to_weak: int = _param(
        5,
        "权重：骨干到薄弱校走教",
        "骨干教师到薄弱学校走教每周每课时的奖励",
        ge=0,
        le=10_000,
    )
    weight_itinerant_even_load: int = _param(
        1,
        "权重：走教负担均衡",
        "每名走教教师每周走教课时数的平方之和，每一单位的扣分（两人各3课时计18，"
        "一人6课时计36：负担均摊到多名教师）",
        ge=0,
        le=10_000,
    )
    weight_plan_change: int = _param(
        50, "权重：少改动", "重新编制时每处与参考方案不同的扣分", ge=0, le=10_000
    )

    @field_validator("exam_subjects")
    @classmethod
    def _distinct_subjects(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(s.strip() for s in value if s.strip()))
        return cleaned

    @field_validator("min_rotation_ratio_by_size")
    @classmethod
    def _contiguous_bands(cls, value: tuple[SizeBand, ...] | None) -> tuple[SizeBand, ...] | None:
        if value is not None:
            check_bands(value)
        return value

    @field_validator("flow_direction")
    @classmethod
    def _distinct_flows(cls, value: tuple[FlowDirection, ...]) -> tuple[FlowDirection, ...]:
        return tuple(dict.fromkeys(value))


#: Parameters that only make sense district-wide.
DISTRICT_ONLY: frozenset[str] = frozenset(
    {"plan_year", "district_name", "min_rotation_ratio_by_size"}
    | {k for k in Policy.model_fields if k.startswith("weight_itinerant_")}
)

PARAMETER_KEYS: tuple[str, ...] = tuple(Policy.model_fields)

#: The 走教 parameters (SPEC §11).
ITINERANT_KEYS: frozenset[str] = frozenset(
    k for k in PARAMETER_KEYS if k.startswith(("itinerant_", "weight_itinerant_"))
)
#: Parameters read and checked but not yet used by planning: left out of the template, the
#: 审批表, the plan JSON and the district export (unless set), and the reader warns when one is
#: set. Empty since 走教 is planned (issue 17); kept for the next input that lands ahead of its
#: planning side.
PREVIEW_KEYS: frozenset[str] = frozenset()
#: The parameters the template, the 审批表 and the plan JSON show.
SHOWN_PARAMETER_KEYS: tuple[str, ...] = tuple(k for k in PARAMETER_KEYS if k not in PREVIEW_KEYS)


def label_of(key: str) -> str:
    """The Chinese label of a parameter."""
    extra = Policy.model_fields[key].json_schema_extra
    assert isinstance(extra, dict)
    return str(extra["label"])


def description_of(key: str) -> str:
    """The Chinese one-line description of a parameter."""
    return Policy.model_fields[key].description or ""


def is_weight(key: str) -> bool:
    """Soft-goal weights are named weight_*; everything else is a hard-rule parameter."""
    return key.startswith("weight_")


class PolicyValueError(ValueError):
    """A parameter key or value the user wrote cannot be used; the message is Chinese."""


def resolve_key(text: str) -> str:
    """The parameter key a user wrote (English key or Chinese label), or PolicyValueError."""
    key = normalise_text(text)
    if key in Policy.model_fields:
        return key
    # Labels are folded as the text is (NFKC makes 权重：资历优先 权重:资历优先).
    by_label = {normalise_text(label_of(k)): k for k in PARAMETER_KEYS}
    if key in by_label:
        return by_label[key]
    candidates = list(PARAMETER_KEYS) + list(by_label)
    near = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    hint = ""
    if near:
        guess = by_label.get(near[0], near[0])
        hint = f"，是否指 {guess}（{label_of(guess)}）？"
    raise PolicyValueError(f"未知参数「{key}」{hint}")


_FULLWIDTH = str.maketrans({"，": ",", "、": ",", "；": ",", ";": ",", "％": "%"})


def normalise_text(text: str) -> str:
    """Fold full-width digits and letters (NFKC) and trim spaces."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


RATIO_KEYS: frozenset[str] = frozenset(
    {"min_rotation_ratio", "backbone_share", "lead_outflow_ratio", "max_outflow_share"}
)


def parse_ratio(value: Any) -> Decimal:
    """A ratio, the one rule for every place a ratio is typed (规则 sheet, scenarios, --sweep):

    - with a percent sign it is a percentage: 5%, "5%", 1.5% (also full-width ％);
    - a bare number from 0 to 1 is a fraction: 0.05 is 5 %, 1 is 100 %;
    - a bare number above 1 and up to 100 is taken as a percentage (15 is 15 %, 1.5 is 1.5 %),
      with a warning from `ratio_note`, since 1 and 1.5 then mean very different things;
    - above 100 % or below 0 is refused.
    """
    if isinstance(value, bool):
        raise PolicyValueError("应为比例，如 10% 或 0.1")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise PolicyValueError("应为比例，如 10% 或 0.1")
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = normalise_text(str(value)).strip("\"'“”").translate(_FULLWIDTH).replace(" ", "")
        percent = text.endswith("%")
        try:
            result = parse_number_text(text.rstrip("%"), value)
        except PolicyValueError:
            raise PolicyValueError(f"「{_shorten(value)}」不是比例，应写成 10% 或 0.1") from None
        if percent:
            return _check_ratio(result / 100)
    if result > 1:
        result = result / 100
    return _check_ratio(result)


def ratio_note(key: str, value: Any) -> str | None:
    """A warning for a ratio written as a bare number that `parse_ratio` read as a
    percentage, or as exactly 1 (100 %); None when the writing is unambiguous."""
    if key not in RATIO_KEYS or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = normalise_text(value).strip("\"'“”").replace(" ", "")
        if not text or text.endswith(("%", "％")):
            return None
        try:
            number = parse_number_text(text, value)
        except PolicyValueError:
            return None
    elif isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        return None
    if not number.is_finite():
        return None
    shown = f"{number.normalize():f}"
    if number == 1:
        return f"「{shown}」按 100% 理解；如指 1%，请写成 1% 或 0.01"
    if 1 < number <= 100:
        return f"「{shown}」按 {shown}% 理解；为免误解，请写成 {shown}% 或小数"
    return None


def _check_ratio(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > 1:
        raise PolicyValueError("比例应在 0% 到 100% 之间")
    return value.normalize() if value != 0 else Decimal(0)


_TRUE = {"是", "y", "yes", "true", "1", "对", "√", "t"}
_FALSE = {"否", "n", "no", "false", "0", "不", "×", "f"}


#: The writing of min_rotation_ratio_by_size, quoted in its errors.
SIZE_BANDS_FORMAT = (
    "应写成「学校数范围:比例」并用逗号分隔，如 1-4:10%,5-8:12%,9-:15%"
    "（从1所学校起，由小到大、不重叠不间断，只有最后一段可不写上限）"
)
#: Most ranges and largest school count min_rotation_ratio_by_size may name.
MAX_SIZE_BANDS = 20
MAX_GROUP_SCHOOLS = 10_000

_BAND = re.compile(r"^(\d{1,5})(?:(-|~)(\d{1,5})?)?:(.+)$")


def parse_size_bands(value: Any) -> tuple[SizeBand, ...]:
    """min_rotation_ratio_by_size as written: `1-4:10%,5-8:12%,9-:15%` (full-width punctuation,
    ～ for -, 9+ for 9- also accepted); a single number is a range of one size (3:10%)."""
    if isinstance(value, list | tuple) and all(isinstance(v, SizeBand) for v in value):
        return check_bands(tuple(value))
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        value = ",".join(value)  # a TOML or JSON array of ranges
    if not isinstance(value, str) or len(value) > 400:
        raise PolicyValueError(f"「{_shorten(value)}」无法识别；{SIZE_BANDS_FORMAT}")
    text = normalise_text(value).strip("\"'“”").replace("：", ":").translate(_FULLWIDTH)
    text = re.sub(r"\s+", "", text).replace("+:", "-:")
    parts = [p for p in text.split(",") if p]
    if not parts:
        raise PolicyValueError(SIZE_BANDS_FORMAT)
    if len(parts) > MAX_SIZE_BANDS:
        raise PolicyValueError(f"分段过多（{len(parts)}段，至多{MAX_SIZE_BANDS}段）")
    bands = []
    for part in parts:
        match = _BAND.match(part)
        if match is None:
            raise PolicyValueError(f"「{_shorten(part)}」无法识别；{SIZE_BANDS_FORMAT}")
        low = int(match.group(1))
        high: int | None = low if match.group(2) is None else None
        if match.group(3) is not None:
            high = int(match.group(3))
        if low < 1 or low > MAX_GROUP_SCHOOLS or (high is not None and high > MAX_GROUP_SCHOOLS):
            raise PolicyValueError(f"「{part}」学校数应在 1 到 {MAX_GROUP_SCHOOLS} 之间")
        if high is not None and high < low:
            raise PolicyValueError(f"「{part}」上限 {high} 小于下限 {low}")
        try:
            ratio = parse_ratio(match.group(4))
        except PolicyValueError as exc:
            raise PolicyValueError(f"「{part}」：{exc}") from None
        bands.append(SizeBand(low=low, high=high, ratio=ratio))
    return check_bands(tuple(bands))


def check_bands(bands: tuple[SizeBand, ...]) -> tuple[SizeBand, ...]:
    """Ranges from 1 school up, ascending, without overlap or gap, open-ended only last."""
    if not bands:
        raise PolicyValueError(SIZE_BANDS_FORMAT)
    if bands[0].low != 1:
        raise PolicyValueError(f"第一段「{bands[0]}」应从 1 所学校起；{SIZE_BANDS_FORMAT}")
    for before, after in itertools.pairwise(bands):
        if before.high is None:
            raise PolicyValueError(
                f"「{before}」不写上限，只能是最后一段，其后不能再有「{after}」；{SIZE_BANDS_FORMAT}"
            )
        if after.low <= before.high:
            raise PolicyValueError(
                f"「{after}」与前一段「{before}」重叠（或未按从小到大排列）；{SIZE_BANDS_FORMAT}"
            )
        if after.low > before.high + 1:
            gap = (
                f"{before.high + 1}"
                if after.low == before.high + 2
                else f"{before.high + 1}-{after.low - 1}"
            )
            raise PolicyValueError(
                f"「{before}」与「{after}」之间缺少 {gap} 所学校的一段；{SIZE_BANDS_FORMAT}"
            )
    return bands


def parse_bool(value: Any) -> bool:
    """是/否, Y/N, TRUE/FALSE, 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = normalise_text(str(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PolicyValueError(f"「{value}」应填 是 或 否")


def split_list(value: Any) -> list[str]:
    """Items of a list written with , ， 、 ； or ; between them."""
    if isinstance(value, list | tuple):
        return [normalise_text(str(v)) for v in value if normalise_text(str(v))]
    text = normalise_text(str(value)).translate(_FULLWIDTH)
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


#: Parameters a blank (or 无 / 不限 / off) turns off.
OPTIONAL_KEYS: frozenset[str] = frozenset(
    {
        "lead_outflow_ratio",
        "max_outflow_share",
        "plan_year",
        "district_name",
        "min_rotation_ratio_by_size",
    }
)


def parse_param(key: str, value: Any) -> Any:
    """The typed value of one parameter as a user wrote it; blank means 'off' for optional ones."""
    field = Policy.model_fields[key]
    blank = value is None or (isinstance(value, str) and not normalise_text(value))
    off = blank or (isinstance(value, str) and normalise_text(value) in ("无", "不限", "off"))
    if key in OPTIONAL_KEYS and off:
        return None
    if blank:
        raise PolicyValueError("值为空")
    if key == "district_name":
        return normalise_text(str(value))
    if key in RATIO_KEYS:
        return parse_ratio(value)
    if key == "min_rotation_ratio_by_size":
        return parse_size_bands(value)
    if key == "exam_inflow_only":
        return parse_bool(value)
    if key == "exam_subjects":
        return tuple(split_list(value))
    if key == "flow_direction":
        flows = []
        for item in split_list(value):
            flow = parse_enum(FlowDirection, item)
            if flow is None:
                raise PolicyValueError(
                    f"未知流动方向「{item}」，可选：{enum_choices(FlowDirection)}"
                )
            flows.append(flow)
        return tuple(flows)
    if key == "ratio_scope":
        scope = parse_enum(RatioScope, str(value))
        if scope is None:
            raise PolicyValueError(f"应为 {enum_choices(RatioScope)} 之一")
        return scope
    if key == "itinerant_scope":
        reach = parse_enum(ItinerantScope, str(value))
        if reach is None:
            raise PolicyValueError(f"应为 {enum_choices(ItinerantScope)} 之一")
        return reach
    if key == "itinerant_subsidy_per_km":
        return parse_amount(value)
    if key == "ratio_base":
        base = parse_enum(RatioBase, str(value))
        if base is None:
            raise PolicyValueError(f"应为 {enum_choices(RatioBase)} 之一")
        return base
    assert field.annotation in (int, int | None)
    return parse_int(value)


#: Longest number a cell may hold as text (digits, sign, point, exponent): a year, a count or a
#: ratio never needs more; longer text is refused before any conversion.
MAX_NUMBER_CHARS = 40
#: Largest power of ten a number written with an exponent (1e5) may carry.
MAX_NUMBER_EXPONENT = 40


def parse_number_text(text: str, shown: Any) -> Decimal:
    """A finite number of bounded size written as text; PolicyValueError otherwise.

    The bounds are checked before converting, so that 1e999999999 or 5,000 digits cannot
    make the reader hang or run out of memory; Infinity and NaN are not numbers here.
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise PolicyValueError(f"「{_shorten(shown)}」不是有效的数字（位数过多）")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise PolicyValueError(f"「{_shorten(shown)}」不是数字") from None
    if not number.is_finite():
        raise PolicyValueError(f"「{_shorten(shown)}」不是有限的数字")
    if number and abs(number.adjusted()) > MAX_NUMBER_EXPONENT:
        raise PolicyValueError(f"「{_shorten(shown)}」超出可用的数值范围")
    return number


def _shorten(value: Any, limit: int = 30) -> str:
    """A value as quoted in a message: very long text is cut."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}…（共{len(text)}个字符）"


def number_words(value: bool | float) -> str:
    """A cell's logical value or odd number as a clerk knows it: 逻辑值 TRUE (as Excel shows it),
    NaN（非数字）, 无穷大; other numbers as %g."""
    if isinstance(value, bool):
        return f"逻辑值 {str(value).upper()}"
    if math.isnan(value):
        return "NaN（非数字）"
    if math.isinf(value):
        return "无穷大" if value > 0 else "负无穷大"
    return f"{value:g}"


def parse_int(value: Any) -> int:
    """A whole number, also when Excel stored it as 6.0 or the user typed full-width digits."""
    if isinstance(value, bool):
        raise PolicyValueError(f"「{number_words(value)}」应为整数")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise PolicyValueError(f"「{number_words(value)}」应为整数")
    if isinstance(value, Decimal):
        number = value
        if not number.is_finite() or (number and abs(number.adjusted()) > MAX_NUMBER_EXPONENT):
            raise PolicyValueError(f"「{_shorten(value)}」应为整数")
    else:
        text = normalise_text(str(value)).replace(",", "")
        try:
            number = parse_number_text(text, value)
        except PolicyValueError as exc:
            raise PolicyValueError(f"{exc}，应为整数") from None
    if number != number.to_integral_value():
        raise PolicyValueError(f"「{_shorten(value)}」应为整数")
    return int(number)


def parse_amount(value: Any) -> Decimal:
    """An amount of money in 元 (0.5, "0.5元"), at most two decimals."""
    if isinstance(value, bool):
        raise PolicyValueError(f"「{number_words(value)}」应为金额，如 0.5")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise PolicyValueError(f"「{number_words(value)}」应为金额，如 0.5")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = normalise_text(str(value)).replace(" ", "").removesuffix("元")
        try:
            number = parse_number_text(text, value)
        except PolicyValueError:
            raise PolicyValueError(f"「{_shorten(value)}」应为金额（元），如 0.5") from None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise PolicyValueError(f"「{_shorten(value)}」应为金额（元），至多两位小数")
    return number.normalize() if number else Decimal(0)


def itinerant_keys_set(policy: PolicySet) -> list[str]:
    """The 走教 parameters a 规则 sheet or scenario set (district or group), in key order."""
    written = {
        k for k in ITINERANT_KEYS if getattr(policy.district, k) != Policy.model_fields[k].default
    }
    for overrides in policy.group_overrides.values():
        written |= ITINERANT_KEYS & set(overrides)
    return sorted(written, key=PARAMETER_KEYS.index)


def format_param(key: str, value: Any) -> str:
    """A parameter value as the 规则 sheet and reports show it."""
    if value is None:
        return ""
    if key == "itinerant_subsidy_per_km":
        return f"{Decimal(value).normalize():f}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        percent = (value * 100).normalize()
        return f"{percent:f}%"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


#: Enum values as reports show them to people.
_VALUE_WORDS = {
    "lead_to_member": "牵头校到成员校",
    "member_to_lead": "成员校到牵头校",
    "member_to_member": "成员校之间",
    "group": "按集团考核",
    "school": "按学校考核",
    "eligible": "符合交流条件的教师",
    "full_time": "全部专任教师",
}

#: What a blank optional parameter means.
_BLANK_WORDS = {
    "district_name": "未填（标题用数据文件名）",
    "plan_year": "未填",
    "lead_outflow_ratio": "不考核",
    "max_outflow_share": "不限",
    "min_rotation_ratio_by_size": "不分段（各集团按最低交流比例）",
}


def display_param(key: str, value: Any) -> str:
    """A parameter value in Chinese words for reports (format_param gives the 规则 sheet's
    spelling, which the reader accepts back)."""
    if value is None:
        return _BLANK_WORDS.get(key, "未设")
    if key == "min_rotation_ratio_by_size":
        return "；".join(band.words() for band in value)
    if isinstance(value, tuple):
        return "、".join(_VALUE_WORDS.get(str(v), str(v)) for v in value)
    if isinstance(value, str) and value in _VALUE_WORDS:
        return _VALUE_WORDS[value]
    return format_param(key, value)


def check_policy_values(values: dict[str, Any]) -> Policy:
    """A Policy from typed values, with range errors in Chinese (PolicyValueError)."""
    try:
        return Policy(**values)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            ctx = err.get("ctx") or {}
            if (
                "ge" in ctx
                or "le" in ctx
                or err["type"] in ("greater_than_equal", "less_than_equal")
            ):
                field = Policy.model_fields[key]
                low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
                high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
                parts.append(f"{key}（{label_of(key)}）应在 {low} 到 {high} 之间")
            else:
                parts.append(f"{key}（{label_of(key)}）取值无效")
        raise PolicyValueError("；".join(parts)) from None


class PolicySet(BaseModel):
    """The district's parameters plus each group's overrides (the 规则 sheet's third column)."""

    model_config = ConfigDict(frozen=True)

    district: Policy = Field(default_factory=Policy)
    group_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def for_group(self, group_id: str) -> Policy:
        """Effective parameters for one group."""
        overrides = self.group_overrides.get(group_id)
        if not overrides:
            return self.district
        return self.district.model_copy(update=overrides)

    def min_ratio(self, group_id: str, schools: int) -> tuple[Decimal, str]:
        """The min_rotation_ratio of a group of `schools` schools and where it comes from
        (Chinese, for explanations): the group's own min_rotation_ratio when it sets one, else
        the range of min_rotation_ratio_by_size its size falls in, else the district's."""
        own = self.group_overrides.get(group_id, {})
        if "min_rotation_ratio" in own:
            return own["min_rotation_ratio"], "比例为本集团单独设置"
        policy = self.district
        for band in policy.min_rotation_ratio_by_size or ():
            if band.covers(schools):
                return band.ratio, f"按集团规模分段：{band.words()}"
        if policy.min_rotation_ratio_by_size:
            return (
                policy.min_rotation_ratio,
                f"集团有{schools}所学校，不在按规模分段内，按全区最低交流比例",
            )
        return policy.min_rotation_ratio, "全区"

    def with_plan_year(self, year: int) -> PolicySet:
        """The same parameters planning another school year (--year)."""
        district = self.district.model_copy(update={"plan_year": year})
        return self.model_copy(update={"district": district})

    @property
    def plan_year(self) -> int:
        """The school year being planned; the reader guarantees it is set."""
        if self.district.plan_year is None:
            raise PolicyValueError(
                "未指定编制学年：请在规则表填写 plan_year，或在命令行使用 --year"
            )
        return self.district.plan_year
