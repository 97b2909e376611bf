"""The blank input workbook a clerk fills in (SPEC §3), generated from the models.

Headers, descriptions, drop-down choices and the 规则 defaults all come from the row models and
the Policy fields, so the template can never say something the reader does not accept.
"""

from __future__ import annotations

import types
import typing
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import tostring

from models import ROW_MODELS, SHOWN_ROW_MODELS, District, Row
from models.fields import to_backbone, to_bool, to_required_bool
from models.policy import (
    POLICY_ALIAS,
    POLICY_COLUMNS,
    POLICY_SHEET,
    SHOWN_PARAMETER_KEYS,
    Policy,
    description_of,
    label_of,
)
from rotation.formats.safe_write import atomic_write
from rotation.formats.tables import REQUIRED_SHEETS
from rotation.formats.widths import column_widths
from rotation.formats.writing import (
    MARKED_PATTERN,
    POLICY_DESCRIPTION_HEADER,
    POLICY_LABEL_HEADER,
    district_tables,
    policy_cell,
    required_header_indexes,
    style_sheet,
    write_rows,
)
from rotation.formats.xlsxfast import Table, write_tables

INSTRUCTIONS_SHEET = "填写说明"
LAST_ROW = 1_048_576  # Excel's last row: drop-downs cover the whole column
_AUTHOR = "rotation"
_WRAP = Alignment(wrap_text=True, vertical="top")

#: The 规则 sheet's columns beyond the models: (header, English name, required, what it is for).
_POLICY_GUIDE: tuple[tuple[str, str, bool, str], ...] = (
    (POLICY_COLUMNS["key"][0], POLICY_COLUMNS["key"][1], True, "参数的英文名（也可写中文名称）"),
    (POLICY_LABEL_HEADER, "", False, "参数的中文名称，仅供阅读，程序不读取"),
    (
        POLICY_COLUMNS["value"][0],
        POLICY_COLUMNS["value"][1],
        True,
        "参数取值；已预填默认值。比例可写 10% 或 0.1，多个值用逗号分隔",
    ),
    (
        POLICY_COLUMNS["group_id"][0],
        POLICY_COLUMNS["group_id"][1],
        False,
        "留空表示全区；填写集团编号表示只对该集团生效（plan_year 除外），需另起一行",
    ),
    (POLICY_DESCRIPTION_HEADER, "", False, "参数说明，仅供阅读，程序不读取"),
)

_NOTES = (
    "填写须知",
    "1. 橙色表头为必填列，蓝色表头为可选列；把鼠标移到表头上可看到该列的说明。",
    "2. 集团、学校、教师三张表必须填写；在岗交流、需求、托管、锁定没有内容时保留表头即可。",
    "3. 每行一条记录，第1行为列名；列的顺序可以调整，多出的列会被忽略，列名也可用英文列名。",
    "4. 编号按文字填写，前导零会保留（如 007）；多个编号用顿号“、”或逗号分隔。",
    "5. 规则表已列出全部参数及默认值：plan_year（编制学年）须填写，或在命令行使用 --year。",
    "6. 是/否 列也接受 Y/N、TRUE/FALSE、1/0；带下拉箭头的列请从列表中选择。",
    "7. 比例：带 % 的按百分数（1.5% 即 1.5%）；不带 % 的 0 到 1 之间按小数（0.15 即 15%，1 即 100%）；"
    "不带 % 而大于 1 的按百分数理解（15 即 15%）并给出提示，请尽量写成 15%；超过 100% 不接受。",
    "8. 可选列不填就留空；填写的“无”“/”“-”等占位词按空白处理，并会提示所在行。",
)


def write_template(path: Path, *, force: bool = False) -> None:
    """Write the blank input workbook (refuses to overwrite without `force`)."""
    atomic_write(Path(path), _build, force=force)


def _build(path: Path) -> None:
    workbook = Workbook()
    guide = workbook.active
    guide.title = INSTRUCTIONS_SHEET
    _guide_sheet(guide)
    for model in SHOWN_ROW_MODELS:
        _data_sheet(workbook.create_sheet(model.SHEET), model)
    _policy_sheet(workbook.create_sheet(POLICY_SHEET))
    workbook.save(path)


def _enum_of(annotation: Any) -> type[StrEnum] | None:
    candidates = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, StrEnum):
            return candidate
    return None


def _is_union(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union


def column_choices(model: type[Row], name: str) -> tuple[list[str], bool] | None:
    """Drop-down values for a column and whether other values are refused, if it has any."""
    info = model.model_fields[name]
    validators = {getattr(m, "func", None) for m in info.metadata}
    if validators & {to_bool, to_required_bool}:
        return ["是", "否"], True
    if to_backbone in validators:
        return ["是", "否"], False  # a level name (区级骨干…) is accepted too
    enum = _enum_of(info.annotation)
    if enum is not None:
        return [m.value for m in enum], True
    return None


def _list_validation(choices: list[str], strict: bool) -> DataValidation:
    validation = DataValidation(
        type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
    )
    validation.showErrorMessage = strict
    validation.errorTitle = "输入有误"
    validation.error = "请从下拉列表中选择：" + "、".join(choices)
    return validation


def _whole_validation(model: type[Row], name: str) -> DataValidation | None:
    info = model.model_fields[name]
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if low is None or high is None or _enum_of(info.annotation) is not None:
        return None
    if info.annotation not in (int, int | None):
        return None
    validation = DataValidation(
        type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True
    )
    validation.errorTitle = "输入有误"
    validation.error = f"应为 {low} 到 {high} 之间的整数"
    return validation


def column_validations(model: type[Row]) -> list[DataValidation]:
    """The drop-downs and number ranges of a data sheet's columns, each over its whole column."""
    validations = []
    for i, name in enumerate(model.shown_columns(), 1):
        letter = get_column_letter(i)
        choices = column_choices(model, name)
        validation = (
            _list_validation(*choices) if choices is not None else _whole_validation(model, name)
        )
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            validations.append(validation)
    return validations


def _data_sheet(ws: Any, model: type[Row]) -> None:
    columns = model.shown_columns()
    names = list(columns)
    required = model.required_columns()
    header = list(columns.values())
    write_rows(ws, header, [], marked={i for i, n in enumerate(names) if n in required})
    for i, name in enumerate(names, 1):
        description = model.model_fields[name].description or ""
        need = "必填" if name in required else "可选"
        ws.cell(row=1, column=i).comment = Comment(
            f"{need}（英文列名 {name}）\n{description}", _AUTHOR, height=120, width=260
        )
    for validation in column_validations(model):
        ws.add_data_validation(validation)
    widths = [max(w, 12.0) for w in column_widths(header, [])]
    style_sheet(ws, widths=widths)


def _policy_choices(key: str) -> list[str] | None:
    annotation = Policy.model_fields[key].annotation
    if annotation is bool:
        return ["是", "否"]
    enum = _enum_of(annotation)
    return [m.value for m in enum] if enum is not None else None


def _policy_sheet(ws: Any) -> None:
    header = [h for h, _alias, _required, _what in _POLICY_GUIDE]
    marked = {i for i, (_h, _a, required, _w) in enumerate(_POLICY_GUIDE) if required}
    defaults = Policy()
    rows = [
        [
            key,
            label_of(key),
            None if key == "plan_year" else policy_cell(key, getattr(defaults, key)),
            None,
            description_of(key),
        ]
        for key in SHOWN_PARAMETER_KEYS
    ]
    write_rows(ws, header, rows, marked=marked)
    for (cell,) in ws.iter_rows(min_row=2, min_col=len(header), max_col=len(header)):
        cell.alignment = _WRAP
    value_column = header.index(POLICY_COLUMNS["value"][0]) + 1
    for number, key in enumerate(SHOWN_PARAMETER_KEYS, 2):
        cell = ws.cell(row=number, column=value_column)
        if key == "plan_year":
            cell.fill = MARKED_PATTERN
            cell.comment = Comment(
                "必填：编制学年，如 2025（或在命令行使用 --year）", _AUTHOR, height=80, width=220
            )
        validation = policy_validation(key, cell.coordinate)
        if validation is not None:
            ws.add_data_validation(validation)
    style_sheet(ws)


def policy_validation(key: str, coordinate: str) -> DataValidation | None:
    """The drop-down of a 规则 value cell, for a parameter with a fixed set of values."""
    choices = _policy_choices(key)
    if choices is None:
        return None
    validation = _list_validation(choices, True)
    validation.add(coordinate)
    return validation


def _guide_sheet(ws: Any) -> None:
    header, rows = guide_table()
    write_rows(ws, header, rows)
    for (cell,) in ws.iter_rows(min_row=2, max_row=len(rows) - len(_NOTES), min_col=7, max_col=7):
        cell.alignment = _WRAP
    widths = column_widths(header, rows[: -len(_NOTES)])
    style_sheet(ws, widths=widths)


def guide_table() -> tuple[list[str], list[list[Any]]]:
    """The 填写说明 sheet: every column of every sheet and what to write in it, then the notes."""
    header = ["工作表", "工作表英文名", "是否必需", "列名", "英文列名", "是否必填", "说明"]
    rows: list[list[Any]] = []
    for model in SHOWN_ROW_MODELS:
        needed = "必需" if model.SHEET in REQUIRED_SHEETS else "可选"
        required = model.required_columns()
        for name, title in model.shown_columns().items():
            rows.append(
                [
                    model.SHEET,
                    model.ALIAS,
                    needed,
                    title,
                    name,
                    "必填" if name in required else "可选",
                    model.model_fields[name].description or "",
                ]
            )
    for title, alias, required_column, what in _POLICY_GUIDE:
        rows.append(
            [
                POLICY_SHEET,
                POLICY_ALIAS,
                "可选",
                title,
                alias,
                "必填" if required_column else "可选",
                what,
            ]
        )
    rows.append([])
    rows += [[note] for note in _NOTES]
    return header, rows


def write_filled_workbook(district: District, path: Path, *, force: bool = False) -> None:
    """The district as an input workbook as good as the template (`rotation advance`): the
    填写说明 sheet first, the same drop-downs and number ranges, the 规则 sheet's 中文名称 and
    说明 columns. `read_district` gives the same district back. Written by the streaming writer,
    so a large district takes seconds; only the header comments of the template are left out
    (the 填写说明 sheet says the same)."""
    guide_header, guide_rows = guide_table()
    tables = [
        Table(
            INSTRUCTIONS_SHEET,
            guide_header,
            guide_rows,
            widths=column_widths(guide_header, guide_rows[: -len(_NOTES)]),
        )
    ]
    for name, header, rows in district_tables(district):
        if name == POLICY_SHEET:
            header = [*header, POLICY_DESCRIPTION_HEADER]
            rows = [[*row, description_of(str(row[0]))] for row in rows]
            value = get_column_letter(header.index(POLICY_COLUMNS["value"][0]) + 1)
            found = (policy_validation(str(row[0]), f"{value}{n}") for n, row in enumerate(rows, 2))
            validations = [v for v in found if v is not None]
        else:
            model = next(m for m in ROW_MODELS if name == m.SHEET)
            validations = column_validations(model)
        widths = [max(w, 12.0) for w in column_widths(header, rows)]
        xml = [tostring(v.to_tree()).decode() for v in validations]
        marked = required_header_indexes(name)
        tables.append(Table(name, header, rows, marked=marked, widths=widths, validations=xml))
    atomic_write(Path(path), lambda temp: write_tables(temp, tables), force=force)
