"""Cell-level types: how one value the bureau typed becomes a typed field, with Chinese errors.

The same annotated types serve the workbook, CSV and JSON readers and scenario edits, so a
value means the same thing whatever file it came from.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import ErrorDetails, PydanticCustomError

from models.policy import (
    PolicyValueError,
    normalise_text,
    number_words,
    parse_bool,
    parse_int,
)
from models.vocab import enum_choices, parse_enum


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("zh", message)


def is_blank(value: Any) -> bool:
    """Empty cell: None, or only spaces. (A NaN number is a value, and an error: a cell holding
    `<v>NaN</v>` is not an empty cell.)"""
    if value is None:
        return True
    if type(value) is str:
        return not value.strip()  # str.strip also removes the full-width space
    return isinstance(value, str) and not normalise_text(value)


def to_id(value: Any) -> str:
    """An id: a number typed into the cell keeps its digits (1001.0 → "1001"); full-width
    letters and digits are folded (ＧＺ０１ → GZ01) so that references match."""
    if type(value) is str and value.isascii():  # nothing to fold: only trim
        text = value.strip()
        if text:
            return text
    return normalise_text(to_text(value))


def to_text(value: Any) -> str:
    """Required text, kept as typed apart from surrounding spaces (names keep their （）)."""
    if type(value) is str:  # the common case, first (100,000s of cells at city scale)
        text = value.strip()
        if text:
            return text
        raise _fail("必填，不能为空")
    if is_blank(value):
        raise _fail("必填，不能为空")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(f"「{number_words(value)}」不是有效的内容")
    if isinstance(value, _DATES):
        raise _fail("应为文字，不应是日期")
    return str(value).strip()


_DATES = (datetime, date)


def to_optional_text(value: Any) -> str | None:
    """Optional text; blank becomes None."""
    if type(value) is str:
        return value.strip() or None
    return None if is_blank(value) else to_text(value)


def to_optional_id(value: Any) -> str | None:
    """Optional id; blank becomes None."""
    return None if is_blank(value) else to_id(value)


def to_int(value: Any) -> int:
    """Required whole number."""
    kind = type(value)
    if kind is int:
        return int(value)
    if kind is float and value.is_integer():
        return int(value)
    if is_blank(value):
        raise _fail("必填，不能为空")
    try:
        return parse_int(value)
    except PolicyValueError as exc:
        raise _fail(str(exc)) from None


def to_optional_int(value: Any) -> int | None:
    """Optional whole number."""
    return None if is_blank(value) else to_int(value)


def to_float(value: Any) -> float:
    """Required decimal number (coordinates)."""
    if is_blank(value):
        raise _fail("必填，不能为空")
    shown = number_words(value) if isinstance(value, bool | float) else str(value)
    if isinstance(value, bool):
        raise _fail(f"「{shown}」应为数字")
    try:
        number = float(normalise_text(str(value)))
    except ValueError:
        raise _fail(f"「{shown}」应为数字") from None
    if not math.isfinite(number):
        raise _fail(f"「{shown}」应为数字")
    return number


def to_optional_float(value: Any) -> float | None:
    """Optional decimal number."""
    return None if is_blank(value) else to_float(value)


def to_bool(value: Any) -> bool:
    """是/否; blank means 否 (optional yes/no columns)."""
    if type(value) is bool:  # JSON, and the records' stored districts: nothing to parse
        return value
    if type(value) is str:
        known = _BOOLS.get(value)
        if known is not None:
            return known
    if is_blank(value):
        return False
    try:
        result = parse_bool(value)
    except PolicyValueError as exc:
        raise _fail(str(exc)) from None
    if type(value) is str and len(_BOOLS) < _CACHE_SIZE:
        _BOOLS[value] = result
    return result


#: Cells already understood (是, 否, Y…): a yes/no column repeats a handful of spellings.
_BOOLS: dict[str, bool] = {}
_CACHE_SIZE = 4096


def to_required_bool(value: Any) -> bool:
    """是/否 that must be filled in."""
    if is_blank(value):
        raise _fail("必填，应填 是 或 否")
    return to_bool(value)


_NOT_BACKBONE = {"否", "n", "no", "false", "0", "无", "不是", "非骨干", "×", "f"}
_YES = {"是", "y", "yes", "true", "1", "√", "t"}


def to_backbone(value: Any) -> str | None:
    """骨干: 是/否 or a level name (区级骨干, 学科带头人…); any level counts, None when not."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "骨干" if value else None
    if isinstance(value, int | float) and value in (0, 1):
        return "骨干" if value else None
    text = normalise_text(str(value))
    if text.lower() in _NOT_BACKBONE:
        return None
    if text.lower() in _YES:
        return "骨干"
    return text


_SEPARATORS = re.compile(r"[,，、;；/\s]+")


def to_id_list(value: Any) -> tuple[str, ...]:
    """Ids separated by 、 , ， ; or spaces."""
    if type(value) is list and not value:  # JSON's [] (the records' stored districts)
        return ()
    if is_blank(value):
        return ()
    if isinstance(value, list | tuple):
        return tuple(to_id(v) for v in value if not is_blank(v))
    if isinstance(value, float) and value.is_integer():
        return (str(int(value)),)
    text = normalise_text(str(value))
    return tuple(dict.fromkeys(p for p in _SEPARATORS.split(text) if p))


def enum_parser(enum: type[StrEnum], required: bool = True) -> Any:
    """A before-validator turning a user's spelling into an enum member."""

    known: dict[str, StrEnum] = {}  # spellings already understood (a column repeats a few)

    def parse(value: Any) -> Any:
        if type(value) is str:
            member = known.get(value)
            if member is not None:
                return member
        if is_blank(value):
            if required:
                raise _fail(f"必填，可选：{enum_choices(enum)}")
            return None
        if isinstance(value, enum):
            return value
        member = parse_enum(enum, to_text(value))
        if member is None:
            raise _fail(f"「{value}」无效，可选：{enum_choices(enum)}")
        if type(value) is str and len(known) < _CACHE_SIZE:
            known[value] = member
        return member

    return BeforeValidator(parse)


Id = Annotated[str, BeforeValidator(to_id)]
Text = Annotated[str, BeforeValidator(to_text)]
OptText = Annotated[str | None, BeforeValidator(to_optional_text)]
OptId = Annotated[str | None, BeforeValidator(to_optional_id)]
Int = Annotated[int, BeforeValidator(to_int)]
OptInt = Annotated[int | None, BeforeValidator(to_optional_int)]
OptFloat = Annotated[float | None, BeforeValidator(to_optional_float)]
YesNo = Annotated[bool, BeforeValidator(to_bool)]
RequiredYesNo = Annotated[bool, BeforeValidator(to_required_bool)]
Backbone = Annotated[str | None, BeforeValidator(to_backbone)]
IdList = Annotated[tuple[str, ...], BeforeValidator(to_id_list)]


def zh_message(error: ErrorDetails) -> str:
    """A pydantic error in the words an HR clerk reads."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "zh":
        return error["msg"]
    if kind == "missing":
        return "必填，不能为空"
    if kind == "greater_than_equal":
        return f"「{error['input']}」应不小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"「{error['input']}」应不大于 {ctx.get('le')}"
    if kind == "greater_than":
        return f"「{error['input']}」应大于 {ctx.get('gt')}"
    if kind == "less_than":
        return f"「{error['input']}」应小于 {ctx.get('lt')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"「{error['input']}」应为整数"
    if kind in ("float_parsing", "float_type"):
        return f"「{error['input']}」应为数字"
    if kind == "extra_forbidden":
        return "不认识的列"
    if kind in ("string_type", "string_too_long", "string_too_short"):
        return "应为文字"
    if kind in ("bool_type", "bool_parsing"):
        return "应填 是 或 否"
    if kind in ("too_short", "too_long", "list_type", "tuple_type"):
        return "应为一个或多个用顿号分隔的值"
    shown = str(error.get("input", ""))
    if shown and len(shown) <= 30:
        return f"「{shown}」取值无效"
    return "取值无效"  # never the library's English wording


class ExcelError(str):
    """An Excel error value (#N/A, #REF!, #DIV/0!…) found in a cell: never a blank."""

    __slots__ = ()


#: Excel's limit on the characters of one cell; longer text makes a corrupt workbook.
MAX_CELL_CHARS = 32_767

#: Words a clerk types to mean "nothing here" in an optional column: read as blank, with a
#: warning naming the cells. A column's own answers are not fillers there (否 in a 是/否
#: column, 无 in 骨干): see `fillers_for`.
FILLER_WORDS: tuple[str, ...] = (
    "无",
    "暂无",
    "没有",
    "否",
    "空",
    "不适用",
    "/",
    "／",
    "\\",
    "-",
    "－",
    "--",
    "—",
    "——",
    "–",
    "N/A",
    "n/a",
    "NA",
    "na",
    "null",
    "NULL",
    "None",
    "none",
)

#: Fillers that are an answer in the yes/no and 骨干 columns (meaning 否).
_ANSWER_WORDS = frozenset({"否", "无", "没有"})


def fillers_for(validator: Any) -> frozenset[str]:
    """The filler words of an optional column parsed by `validator`."""
    if validator in (to_bool, to_required_bool, to_backbone):
        return frozenset(FILLER_WORDS) - _ANSWER_WORDS
    return frozenset(FILLER_WORDS)
