"""The plan JSON (SPEC §5, `schema_version: 1`) and reading a plan back for `rotation check`.

A plan comes back either from its JSON or from the approval workbook's 交流名单 sheet, which is
what an auditor has after HR edited the list by hand in Excel.

The JSON and the 审批表 of one run carry the same `plan_id` (the JSON's top level, the 汇总 row
PLAN_ID_LABEL). Reading a plan file also looks at its companion — the other file of the pair
beside it (`X-方案.json` ↔ `X-审批表.xlsx`, or `X.json` ↔ `X.xlsx`) — and refuses the pair
when both carry a plan_id and the two differ: one of them is stale.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import District, InputError, Problem
from models.itinerant import coverage
from models.objective import ITINERANT_TERMS, TERMS
from models.plan import (
    HorizonNote,
    ItinerantAssignment,
    NewRotation,
    Plan,
    Return,
    RotationKind,
    RuleCheck,
    SolveResult,
    verdict,
)
from models.policy import PREVIEW_KEYS, SHOWN_PARAMETER_KEYS, format_param
from rotation import __version__
from rotation.formats.approval_columns import (
    END_YEAR,
    FROM_SCHOOL_ID,
    ITINERANT_KM,
    ITINERANT_PERIODS,
    ITINERANT_READ,
    ITINERANT_SHEET,
    ITINERANT_SUBJECT,
    ITINERANT_SUBSIDY,
    KIND,
    KIND_NAMES,
    ONGOING_READ,
    ONGOING_SHEET,
    PLAN_ID_LABEL,
    PLAN_READ,
    PLAN_SHEET,
    PRESENT_SCHOOL_ID,
    RETURN_YEAR,
    RETURNING,
    SERVED_SCHOOL_ID,
    START_YEAR,
    STATUS,
    SUMMARY_SHEET,
    TEACHER_ID,
    TO_SCHOOL_ID,
)

SCHEMA_VERSION = 1


def policy_json(district: District) -> dict[str, Any]:
    """Effective parameters: the district's, plus each group's overrides."""
    district_policy = district.policy.district
    result: dict[str, Any] = {
        key: _jsonable(getattr(district_policy, key)) for key in SHOWN_PARAMETER_KEYS
    }
    overrides = {
        gid: {key: _jsonable(value) for key, value in values.items() if key not in PREVIEW_KEYS}
        for gid, values in district.policy.group_overrides.items()
    }
    overrides = {gid: values for gid, values in overrides.items() if values}
    if overrides:
        result["group_overrides"] = overrides
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return format_param("", value) if not isinstance(value, float) else value


def plan_json(
    district: District,
    result: SolveResult,
    compliance: list[RuleCheck],
    *,
    input_sha256: str,
    timings: dict[str, float],
    plan_id: str = "",
) -> dict[str, Any]:
    """The machine contract: everything at the top level, ids exactly as in the input;
    `approvable` is false (with a Chinese `notice`) when the plan breaks rules or is missing."""
    judged = verdict(result, compliance)
    return {
        "schema_version": SCHEMA_VERSION,
        "software_version": __version__,
        **({"plan_id": plan_id} if plan_id else {}),
        "district": district.name,
        "plan_year": district.plan_year,
        "status": result.status,
        "approvable": judged.approvable,
        "notice": judged.notice,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "objective_terms": {
            t.key: result.terms.get(t.key, 0)
            for t in TERMS
            if t.key in result.terms or t.key not in ITINERANT_TERMS
        }
        if result.terms
        else {},
        "input_sha256": input_sha256,
        "policy": policy_json(district),
        "rotations": [r.model_dump(mode="json") for r in result.plan.rotations],
        "returns": [r.model_dump(mode="json") for r in result.plan.returns],
        **(
            itinerant_json(district, result)
            if district.itinerant_demand or result.plan.itinerant
            else {}
        ),
        "compliance": [c.model_dump(mode="json", exclude={"details"}) for c in compliance],
        "conflicts": [c.model_dump(mode="json") for c in result.conflicts],
        "shortfalls": [s.model_dump(mode="json") for s in result.shortfalls],
        "timings": {k: round(v, 3) for k, v in timings.items()},
        **({"horizon": horizon_json(result.horizon)} if result.horizon is not None else {}),
    }


def itinerant_json(district: District, result: SolveResult) -> dict[str, Any]:
    """SPEC §11: `itinerant` (each assignment: km one way, subsidy in 元 per term, as numbers)
    and `itinerant_summary` (each 走教需求 row: needed, covered, uncovered and why)."""
    return {
        "itinerant": [
            {
                **a.model_dump(mode="json", exclude={"km", "subsidy"}),
                "km": None if a.km is None else float(a.km),
                "subsidy": float(a.subsidy),
            }
            for a in result.plan.itinerant
        ],
        "itinerant_summary": [
            g.model_dump(mode="json", exclude={"full"})
            for g in (
                coverage(district, result.plan) if result.status in ("optimal", "feasible") else []
            )
        ],
    }


def horizon_json(note: HorizonNote) -> dict[str, Any]:
    """--horizon: whether the years were planned jointly; if not, the first year that cannot
    be met and its colliding rules."""
    return {
        "years": note.years,
        "joint": note.joint,
        **({} if note.joint else {"year": note.year, "reason": note.reason}),
        "conflicts": [c.model_dump(mode="json") for c in note.conflicts],
    }


def write_json_text(data: dict[str, Any]) -> str:
    """Stable, readable JSON: Chinese kept as is, one key per line, one list item per line.

    `indent` would switch json to its pure-Python encoder (0.5 s for a city's plan); items
    are dumped compactly by the C encoder instead, which also keeps diffs one line per row.
    """

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            body = ",\n".join(f"    {dump(item)}" for item in value)
            text = f"[\n{body}\n  ]"
        elif isinstance(value, dict) and value:
            body = ",\n".join(f"    {dump(k)}: {dump(v)}" for k, v in value.items())
            text = f"{{\n{body}\n  }}"
        else:
            text = dump(value)
        lines.append(f"  {dump(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def new_plan_id() -> str:
    """A fresh plan_id, shared by the JSON and the 审批表 written together."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class PlanFile:
    """A plan read back, with the plan_id its file carries (None for files without one: older
    versions, or a 审批表 rebuilt by hand)."""

    path: Path
    plan: Plan
    plan_id: str | None


def read_plan(path: Path) -> Plan:
    """A plan from its JSON or from an approval workbook; InputError when it cannot be read
    (or when the other file of its pair beside it carries a different plan_id)."""
    return read_plan_file(path).plan


def read_plan_file(path: Path, *, lenient_years: bool = False) -> PlanFile:
    """A plan and its plan_id from its JSON or approval workbook; InputError when it cannot be
    read, or when its companion beside it carries a different plan_id.

    `lenient_years` (for `check`, which names such cells itself): a 交流名单 row whose 开始学年
    or 结束学年 is not a whole number, or whose 开始学年 is not the one most rows have, is left
    out of the plan instead of making the file unreadable."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(sheet="", message=f"找不到方案文件：{path}")])
    suffix = path.suffix.lower()
    if suffix == ".json":
        plan, plan_id = _plan_from_json(path)
    elif suffix in (".xlsx", ".xlsm"):
        plan, plan_id = _plan_from_workbook(path, lenient_years)
    else:
        raise InputError(
            [Problem(sheet="", message=f"方案文件应为 .json 或审批表 .xlsx：{path.name}")]
        )
    if plan_id is not None:
        for other in companions(path):
            other_id = read_plan_id(other)
            if other_id is not None and other_id != plan_id:
                raise InputError([mismatch_problem(path, plan_id, other, other_id)])
    return PlanFile(path, plan, plan_id)


def mismatch_problem(path: Path, plan_id: str, other: Path, other_id: str) -> Problem:
    """The error of two files of one pair that come from different runs."""
    return Problem(
        sheet="",
        message=f"{path}（方案编号 {plan_id}）与 {other}（方案编号 {other_id}）不是同一次编制的结果，"
        "其中一份已过时。请确认使用哪一份，并删除或改名另一份后重试。",
    )


def companions(path: Path) -> list[Path]:
    """The existing other files of the pair `path` belongs to: X-方案.json ↔ X-审批表.xlsx,
    X.json ↔ X.xlsx."""
    path = Path(path)
    stem, suffix = path.stem, path.suffix.lower()
    names: list[str] = []
    if suffix == ".json":
        names.append(f"{stem}.xlsx")
        if stem.endswith("-方案"):
            names.append(f"{stem.removesuffix('-方案')}-审批表.xlsx")
    elif suffix in (".xlsx", ".xlsm"):
        names.append(f"{stem}.json")
        if stem.endswith("-审批表"):
            names.append(f"{stem.removesuffix('-审批表')}-方案.json")
    found = [path.with_name(n) for n in names]
    return [p for p in found if p.is_file() and p.resolve() != path.resolve()]


def read_plan_id(path: Path) -> str | None:
    """The plan_id a plan JSON or 审批表 carries; None when it has none or is not one."""
    try:
        if Path(path).suffix.lower() == ".json":
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
            return _json_plan_id(data) if isinstance(data, dict) else None
        from python_calamine import CalamineWorkbook

        return _workbook_plan_id(CalamineWorkbook.from_path(str(path)))
    except Exception:  # not a plan file of ours: no plan_id to compare
        return None


def _json_plan_id(data: dict[str, Any]) -> str | None:
    value = data.get("plan_id")
    return value if isinstance(value, str) and value else None


def _workbook_plan_id(book: Any) -> str | None:
    if SUMMARY_SHEET not in book.sheet_names:
        return None
    for row in book.get_sheet_by_name(SUMMARY_SHEET).to_python(skip_empty_area=False):
        if len(row) > 1 and _text(row[0]) == PLAN_ID_LABEL:
            return _text(row[1]) or None
    return None


def _plan_from_json(path: Path) -> tuple[Plan, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        where = f"第{exc.lineno}行第{exc.colno}列（{exc.msg}）"
        raise InputError(
            [Problem(sheet="", message=f"「{path.name}」不是有效的 JSON：{where}")]
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            [Problem(sheet="", message=f"「{path.name}」不是 UTF-8 编码的 JSON 文本")]
        ) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            [
                Problem(
                    sheet="",
                    message=f"「{path.name}」不是本工具输出的方案 JSON（schema_version 应为 1）",
                )
            ]
        )
    try:
        plan = Plan(
            plan_year=data["plan_year"],
            rotations=tuple(NewRotation(**r) for r in data.get("rotations", [])),
            returns=tuple(Return(**r) for r in data.get("returns", [])),
            itinerant=tuple(_assignment(a) for a in data.get("itinerant", [])),
        )
    except (KeyError, TypeError, ValidationError, InvalidOperation) as exc:
        raise InputError(
            [Problem(sheet="", message=f"「{path.name}」内容不完整：{_what_is_wrong(exc)}")]
        ) from None
    return plan, _json_plan_id(data)


def _assignment(a: Any) -> ItinerantAssignment:
    """One entry of the JSON's `itinerant`; km and subsidy exactly as written (11.1, not the
    float nearest to it)."""
    if not isinstance(a, dict):
        raise TypeError(a)
    exact = {k: None if a.get(k) is None else Decimal(str(a[k])) for k in ("km", "subsidy")}
    return ItinerantAssignment(**{**a, **exact})


def _what_is_wrong(exc: Exception) -> str:
    """The fields of a plan JSON that are missing or wrong, without pydantic's English."""
    if isinstance(exc, ValidationError):
        fields = dict.fromkeys(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return "以下字段缺失或取值有误：" + "、".join(fields)
    if isinstance(exc, KeyError):
        return f"缺少「{exc.args[0]}」"
    return '调动或返回的记录应为对象，如 {"teacher_id": ...}'


def _plan_from_workbook(path: Path, lenient_years: bool = False) -> tuple[Plan, str | None]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(
            [Problem(sheet="", message=f"无法打开审批表「{path.name}」（{exc}）")]
        ) from None
    if PLAN_SHEET not in book.sheet_names:
        raise InputError([Problem(sheet=PLAN_SHEET, message=f"审批表中没有「{PLAN_SHEET}」工作表")])
    rows = book.get_sheet_by_name(PLAN_SHEET).to_python(skip_empty_area=False)
    needed = PLAN_READ
    header, body, top = _header_and_body(rows, needed)
    missing = [h for h in needed if h not in header]
    if missing:
        raise InputError(
            [Problem(sheet=PLAN_SHEET, row=top, column=h, message="缺少此列") for h in missing]
        )
    rows_read: list[tuple[int, dict[str, str]]] = []
    for offset, cells in enumerate(body, start=top + 1):
        values = {h: _text(cells[i]) if i < len(cells) else "" for h, i in header.items()}
        if any(values.get(h) for h in needed):
            rows_read.append((offset, values))
    rotations = _workbook_rotations(rows_read, lenient_years)
    returns = _returns_from_workbook(book)
    year = rotations[0].start_year if rotations else (returns[0].year if returns else 0)
    plan = Plan(
        plan_year=year,
        rotations=tuple(rotations),
        returns=tuple(returns),
        itinerant=tuple(_itinerant_from_workbook(book)),
    )
    return plan, _workbook_plan_id(book)


def _year(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _workbook_rotations(
    rows: list[tuple[int, dict[str, str]]], lenient_years: bool
) -> list[NewRotation]:
    """The 交流名单 rows as rotations. A row whose years are not whole numbers is an InputError,
    or with `lenient_years` takes the 开始学年 most rows have (and their usual term)."""
    years = [(_year(v[START_YEAR]), _year(v[END_YEAR])) for _row, v in rows]
    bad = [row for (row, _v), (a, b) in zip(rows, years, strict=True) if a is None or b is None]
    if bad and not lenient_years:
        message = "开始学年、结束学年应为整数"
        raise InputError([Problem(sheet=PLAN_SHEET, row=row, message=message) for row in bad])
    whole = [(a, b) for a, b in years if a is not None and b is not None]
    usual = Counter(a for a, _b in whole).most_common(1)[0][0] if whole else 0
    span = Counter(b - a for a, b in whole).most_common(1)[0][0] if whole else 0
    kinds = {v: k for k, v in KIND_NAMES.items()}
    rotations = []
    for (_row, values), (start, end) in zip(rows, years, strict=True):
        if lenient_years:
            end = end if start == usual and end is not None else usual + span
            start = usual
        assert start is not None and end is not None
        rotations.append(
            NewRotation(
                teacher_id=values[TEACHER_ID],
                from_school_id=values[FROM_SCHOOL_ID],
                to_school_id=values[TO_SCHOOL_ID],
                start_year=start,
                end_year=end,
                kind=kinds.get(values.get(KIND, ""), RotationKind.ROTATION),
            )
        )
    return rotations


def _returns_from_workbook(book: Any) -> list[Return]:
    if ONGOING_SHEET not in book.sheet_names:
        return []
    header, body, _top = _header_and_body(
        book.get_sheet_by_name(ONGOING_SHEET).to_python(skip_empty_area=False), ONGOING_READ
    )
    if not set(ONGOING_READ) <= set(header):
        return []
    result = []
    for cells in body:
        values = {h: _text(cells[i]) if i < len(cells) else "" for h, i in header.items()}
        if values[STATUS] == RETURNING and values[RETURN_YEAR]:
            result.append(
                Return(
                    teacher_id=values[TEACHER_ID],
                    from_school_id=values[TO_SCHOOL_ID],
                    to_school_id=values[FROM_SCHOOL_ID],
                    year=int(values[RETURN_YEAR]),
                )
            )
    return result


def _itinerant_from_workbook(book: Any) -> list[ItinerantAssignment]:
    """走教安排 read back (SPEC §11): every row's ids, periods, km and subsidy, or an error
    naming the cell."""
    if ITINERANT_SHEET not in book.sheet_names:
        return []
    rows = book.get_sheet_by_name(ITINERANT_SHEET).to_python(skip_empty_area=False)
    header, body, top = _header_and_body(rows, ITINERANT_READ)
    missing = [h for h in ITINERANT_READ if h not in header]
    if missing:
        raise InputError(
            [Problem(sheet=ITINERANT_SHEET, row=top, column=h, message="缺少此列") for h in missing]
        )
    result: list[ItinerantAssignment] = []
    problems: list[Problem] = []
    for number, cells in enumerate(body, start=top + 1):
        values = {h: _text(cells[i]) if i < len(cells) else "" for h, i in header.items()}
        if not any(values.get(h) for h in ITINERANT_READ):
            continue

        def bad(column: str, message: str, number: int = number) -> None:
            problems.append(
                Problem(sheet=ITINERANT_SHEET, row=number, column=column, message=message)
            )

        periods = values[ITINERANT_PERIODS]
        if not (periods.isascii() and periods.isdigit()):
            bad(ITINERANT_PERIODS, f"「{periods}」应为整数课时")
            continue
        exact: dict[str, Decimal | None] = {}
        for column in (ITINERANT_KM, ITINERANT_SUBSIDY):
            text = values[column]
            try:
                exact[column] = None if not text and column == ITINERANT_KM else Decimal(text)
            except InvalidOperation:
                bad(column, f"「{text}」应为数字")
        if len(exact) < 2:
            continue
        subsidy = exact[ITINERANT_SUBSIDY]
        assert subsidy is not None
        result.append(
            ItinerantAssignment(
                teacher_id=values[TEACHER_ID],
                from_school_id=values[PRESENT_SCHOOL_ID],
                to_school_id=values[SERVED_SCHOOL_ID],
                subject=values[ITINERANT_SUBJECT],
                periods=int(periods),
                km=exact[ITINERANT_KM],
                subsidy=subsidy,
            )
        )
    if problems:
        raise InputError(problems)
    return result


#: How far down a header row is looked for (a title row may stand above it).
_HEADER_SEARCH = 5


def _header_and_body(
    rows: list[list[Any]], needed: Sequence[str] = ()
) -> tuple[dict[str, int], list[list[Any]], int]:
    """The header (name → column), the rows below it, and the header's 1-based row: the first
    of the top rows holding every `needed` column (a title row above it is skipped)."""
    for number, cells in enumerate(rows[:_HEADER_SEARCH], 1):
        header = {_text(h): i for i, h in enumerate(cells) if _text(h)}
        if needed and set(needed) <= set(header):
            return header, rows[number:], number
    if not rows:
        return {}, [], 1
    return {_text(h): i for i, h in enumerate(rows[0]) if _text(h)}, rows[1:], 1


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class SheetRows:
    """One sheet of an approval workbook as text: its header, and each row below it with its
    row number as Excel shows it; `found` is False when the sheet or its header is missing."""

    name: str
    found: bool
    header: dict[str, int]
    rows: list[tuple[int, list[str]]]

    def cell(self, cells: list[str], column: str) -> str:
        """The text of `column` in a row ('' when the column is absent)."""
        i = self.header.get(column)
        return cells[i] if i is not None and i < len(cells) else ""


def read_sheet_rows(path: Path, sheet: str, needed: Sequence[str]) -> SheetRows:
    """The text of a sheet of an approval workbook below the header holding `needed`; blank
    rows are left out. For `check`, which compares 交流名单 and 公示名单 with the data."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError([Problem(sheet=path.name, message=f"无法打开审批表：{exc}")]) from None
    if sheet not in book.sheet_names:
        return SheetRows(sheet, False, {}, [])
    header, body, top = _header_and_body(
        book.get_sheet_by_name(sheet).to_python(skip_empty_area=False), needed
    )
    if not set(needed) <= set(header):
        return SheetRows(sheet, False, header, [])
    rows = []
    for number, cells in enumerate(body, start=top + 1):
        texts = [_text(c) for c in cells]
        if any(texts):
            rows.append((number, texts))
    return SheetRows(sheet, True, header, rows)
