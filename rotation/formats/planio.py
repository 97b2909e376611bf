"""The plan JSON (SPEC §5, `schema_version: 1`) and reading a plan back for `rotation check`.

A plan comes back either from its JSON or from the approval workbook's 交流名单 sheet, which is
what an auditor has after HR edited the list by hand in Excel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import District, InputError, Problem
from models.objective import TERMS
from models.plan import NewRotation, Plan, Return, RotationKind, RuleCheck, SolveResult
from models.policy import PARAMETER_KEYS, format_param
from rotation import __version__
from rotation.formats.approval_columns import (
    END_YEAR,
    FROM_SCHOOL_ID,
    KIND,
    KIND_NAMES,
    ONGOING_READ,
    ONGOING_SHEET,
    PLAN_READ,
    PLAN_SHEET,
    RETURN_YEAR,
    RETURNING,
    START_YEAR,
    STATUS,
    TEACHER_ID,
    TO_SCHOOL_ID,
)

SCHEMA_VERSION = 1


def policy_json(district: District) -> dict[str, Any]:
    """Effective parameters: the district's, plus each group's overrides."""
    district_policy = district.policy.district
    result: dict[str, Any] = {
        key: _jsonable(getattr(district_policy, key)) for key in PARAMETER_KEYS
    }
    overrides = {
        gid: {key: _jsonable(value) for key, value in values.items()}
        for gid, values in district.policy.group_overrides.items()
    }
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
) -> dict[str, Any]:
    """The machine contract: everything at the top level, ids exactly as in the input."""
    return {
        "schema_version": SCHEMA_VERSION,
        "software_version": __version__,
        "district": district.name,
        "plan_year": district.plan_year,
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "objective_terms": {t.key: result.terms.get(t.key, 0) for t in TERMS}
        if result.terms
        else {},
        "input_sha256": input_sha256,
        "policy": policy_json(district),
        "rotations": [r.model_dump(mode="json") for r in result.plan.rotations],
        "returns": [r.model_dump(mode="json") for r in result.plan.returns],
        "compliance": [c.model_dump(mode="json", exclude={"details"}) for c in compliance],
        "conflicts": [c.model_dump(mode="json") for c in result.conflicts],
        "shortfalls": [s.model_dump(mode="json") for s in result.shortfalls],
        "timings": {k: round(v, 3) for k, v in timings.items()},
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


def read_plan(path: Path) -> Plan:
    """A plan from its JSON or from an approval workbook; InputError when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(sheet="", message=f"找不到方案文件：{path}")])
    if path.suffix.lower() == ".json":
        return _plan_from_json(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _plan_from_workbook(path)
    raise InputError([Problem(sheet="", message=f"方案文件应为 .json 或审批表 .xlsx：{path.name}")])


def _plan_from_json(path: Path) -> Plan:
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
        return Plan(
            plan_year=data["plan_year"],
            rotations=tuple(NewRotation(**r) for r in data.get("rotations", [])),
            returns=tuple(Return(**r) for r in data.get("returns", [])),
        )
    except (KeyError, TypeError, ValidationError) as exc:
        raise InputError(
            [Problem(sheet="", message=f"「{path.name}」内容不完整：{_what_is_wrong(exc)}")]
        ) from None


def _what_is_wrong(exc: Exception) -> str:
    """The fields of a plan JSON that are missing or wrong, without pydantic's English."""
    if isinstance(exc, ValidationError):
        fields = dict.fromkeys(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return "以下字段缺失或取值有误：" + "、".join(fields)
    if isinstance(exc, KeyError):
        return f"缺少「{exc.args[0]}」"
    return '调动或返回的记录应为对象，如 {"teacher_id": ...}'


def _plan_from_workbook(path: Path) -> Plan:
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
    problems: list[Problem] = []
    rotations: list[NewRotation] = []
    header, body = _header_and_body(rows)
    needed = PLAN_READ
    missing = [h for h in needed if h not in header]
    if missing:
        raise InputError(
            [Problem(sheet=PLAN_SHEET, row=1, column=h, message="缺少此列") for h in missing]
        )
    kinds = {v: k for k, v in KIND_NAMES.items()}
    for offset, cells in enumerate(body, start=2):
        values = {h: _text(cells[i]) if i < len(cells) else "" for h, i in header.items()}
        if not any(values.get(h) for h in needed):
            continue
        try:
            rotations.append(
                NewRotation(
                    teacher_id=values[TEACHER_ID],
                    from_school_id=values[FROM_SCHOOL_ID],
                    to_school_id=values[TO_SCHOOL_ID],
                    start_year=int(values[START_YEAR]),
                    end_year=int(values[END_YEAR]),
                    kind=kinds.get(values.get(KIND, ""), RotationKind.ROTATION),
                )
            )
        except ValueError:
            problems.append(
                Problem(sheet=PLAN_SHEET, row=offset, message="开始学年、结束学年应为整数")
            )
    if problems:
        raise InputError(problems)
    returns = _returns_from_workbook(book)
    year = rotations[0].start_year if rotations else (returns[0].year if returns else 0)
    return Plan(plan_year=year, rotations=tuple(rotations), returns=tuple(returns))


def _returns_from_workbook(book: Any) -> list[Return]:
    if ONGOING_SHEET not in book.sheet_names:
        return []
    header, body = _header_and_body(
        book.get_sheet_by_name(ONGOING_SHEET).to_python(skip_empty_area=False)
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


def _header_and_body(rows: list[list[Any]]) -> tuple[dict[str, int], list[list[Any]]]:
    if not rows:
        return {}, []
    header = {_text(h): i for i, h in enumerate(rows[0]) if _text(h)}
    return header, rows[1:]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()
