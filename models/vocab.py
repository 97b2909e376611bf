"""The product's fixed vocabulary (SPEC §2): stages, group types, kinds of rotation and pin.

Enum values are the Chinese words the bureau writes in its workbook; English aliases are accepted
on input so that HR systems can export either.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TypeVar, cast


class Stage(StrEnum):
    """学段 of a school."""

    PRIMARY = "小学"
    JUNIOR = "初中"
    NINE_YEAR = "九年一贯"
    SENIOR = "高中"
    VOCATIONAL = "职业"


class TeachingStage(StrEnum):
    """任教学段 of a teacher: the stage actually taught (a nine-year school has two)."""

    PRIMARY = "小学"
    JUNIOR = "初中"
    SENIOR = "高中"
    VOCATIONAL = "职业"


#: Which teaching stages a school of each stage can host.
STAGES_HOSTED: dict[Stage, frozenset[TeachingStage]] = {
    Stage.PRIMARY: frozenset({TeachingStage.PRIMARY}),
    Stage.JUNIOR: frozenset({TeachingStage.JUNIOR}),
    Stage.NINE_YEAR: frozenset({TeachingStage.PRIMARY, TeachingStage.JUNIOR}),
    Stage.SENIOR: frozenset({TeachingStage.SENIOR}),
    Stage.VOCATIONAL: frozenset({TeachingStage.VOCATIONAL}),
}


class GroupType(StrEnum):
    """集团类型."""

    CLOSE = "紧密型"
    ALLIANCE = "联盟型"
    DISTRICT = "学区"


class Gender(StrEnum):
    """性别."""

    MALE = "男"
    FEMALE = "女"


class OngoingKind(StrEnum):
    """类型 of an ongoing rotation."""

    ROTATION = "交流轮岗"
    ENTRUSTED = "托管常驻"


class PinKind(StrEnum):
    """类型 of an HR pin (锁定)."""

    MUST_GO_TO = "必须交流至"
    MUST_STAY = "不得交流"
    MUST_NOT_GO_TO = "不得交流至"


class FlowDirection(StrEnum):
    """Allowed move types between a group's lead school and its members."""

    LEAD_TO_MEMBER = "lead_to_member"
    MEMBER_TO_LEAD = "member_to_lead"
    MEMBER_TO_MEMBER = "member_to_member"


class RatioScope(StrEnum):
    """Where the rotation ratio is counted."""

    GROUP = "group"
    SCHOOL = "school"


class ItinerantScope(StrEnum):
    """Where a 走教 teacher may teach: schools of their own group, or the whole district."""

    GROUP = "group"
    DISTRICT = "district"


class RatioBase(StrEnum):
    """What the rotation ratio is a share of."""

    ELIGIBLE = "eligible"
    FULL_TIME = "full_time"


#: Chinese and English spellings accepted for each enum value, beyond the value itself.
ALIASES: dict[type[StrEnum], dict[str, str]] = {
    Stage: {
        "primary": "小学",
        "junior": "初中",
        "junior_high": "初中",
        "九年一贯制": "九年一贯",
        "九年制": "九年一贯",
        "nine_year": "九年一贯",
        "senior": "高中",
        "senior_high": "高中",
        "vocational": "职业",
        "职高": "职业",
        "中职": "职业",
    },
    TeachingStage: {
        "primary": "小学",
        "junior": "初中",
        "junior_high": "初中",
        "senior": "高中",
        "senior_high": "高中",
        "vocational": "职业",
        "职高": "职业",
        "中职": "职业",
    },
    GroupType: {
        "close": "紧密型",
        "紧密": "紧密型",
        "alliance": "联盟型",
        "联盟": "联盟型",
        "district": "学区",
    },
    Gender: {"male": "男", "m": "男", "female": "女", "f": "女"},
    OngoingKind: {
        "rotation": "交流轮岗",
        "交流": "交流轮岗",
        "entrusted": "托管常驻",
        "托管": "托管常驻",
    },
    PinKind: {
        "must_go_to": "必须交流至",
        "must_stay": "不得交流",
        "must_not_go_to": "不得交流至",
    },
    FlowDirection: {},
    RatioScope: {"集团": "group", "学校": "school"},
    ItinerantScope: {"集团": "group", "集团内": "group", "全区": "district", "区内": "district"},
    RatioBase: {"符合条件": "eligible", "全部专任教师": "full_time", "专任教师": "full_time"},
}


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], text: str) -> E | None:
    """The enum member a user's spelling means, or None when it means none."""
    key = text.strip()
    table = _spellings(enum)
    member = table.get(key)
    if member is None:
        member = table.get(key.lower())
    return cast(E | None, member)


@cache
def _spellings(enum: type[StrEnum]) -> dict[str, StrEnum]:
    """Every accepted spelling of an enum's members: value, name, aliases (lower-cased too)."""
    table: dict[str, StrEnum] = {}
    for alias, value in ALIASES.get(enum, {}).items():
        table[alias] = enum(value)
        table[alias.lower()] = enum(value)
    for member in enum:
        table[member.name.lower()] = member
        table[member.value] = member
    return table


def enum_choices(enum: type[StrEnum]) -> str:
    """The accepted values of an enum, as a Chinese list for messages."""
    return "、".join(m.value for m in enum)
