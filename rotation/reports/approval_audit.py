"""`rotation check` on an edited 审批表: what a reader of the workbook can compare must match.

The rule checks see only ids. A clerk reading 交流名单 sees names: a 姓名 or 流入学校 changed by
hand in Excel would pass them and still be signed. So every column of 交流名单 a reader can
compare (`PLAN_COMPARED`) is compared with the data, cell by cell, 在岗交流 with the data's
ongoing rotations, and 公示名单 — what is posted
— must list the same people, schools and terms as 交流名单. Each difference is a sentence
naming the sheet, row, column and both values.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from models import District
from models.plan import NewRotation, RotationKind
from rotation.formats.approval_columns import (
    END_YEAR,
    FROM_SCHOOL_ID,
    KIND,
    KIND_NAMES,
    ONGOING_HEADER,
    ONGOING_READ,
    ONGOING_SHEET,
    PLAN_COMPARED,
    PLAN_HEADER,
    PLAN_READ,
    PLAN_SHEET,
    PUBLIC_COMPARED,
    PUBLIC_HEADER,
    PUBLIC_SHEET,
    START_YEAR,
    TEACHER_ID,
    TERM,
    TO_SCHOOL_ID,
    term_text,
)
from rotation.formats.planio import SheetRows, read_sheet_rows
from rotation.formats.xlsxfast import column_letter
from rotation.reports.approval import ongoing_rows, plan_row

_KINDS = {name: kind for kind, name in KIND_NAMES.items()}


def _where(sheet: SheetRows, row: int, column: str) -> str:
    letter = column_letter(sheet.header[column]) if column in sheet.header else ""
    return f"「{sheet.name}」第{row}行 {letter}列「{column}」"


def _shown(text: str) -> str:
    return f"「{text}」" if text else "空白"


def _unknown_ids(d: District, sheet: SheetRows, row: int, cells: list[str]) -> list[str]:
    """The ids of a row the data does not know, each as a failure."""
    problems = []
    teacher_id = sheet.cell(cells, TEACHER_ID)
    if teacher_id not in d.index.teacher:
        problems.append(f"{_where(sheet, row, TEACHER_ID)}为{_shown(teacher_id)}，数据中没有此教师")
    for column in (FROM_SCHOOL_ID, TO_SCHOOL_ID):
        school_id = sheet.cell(cells, column)
        if school_id not in d.index.school:
            problems.append(f"{_where(sheet, row, column)}为{_shown(school_id)}，数据中没有此学校")
    if not problems:
        home = d.teacher(teacher_id).school_id
        if sheet.cell(cells, FROM_SCHOOL_ID) != home:
            problems.append(
                f"{_where(sheet, row, FROM_SCHOOL_ID)}为「{sheet.cell(cells, FROM_SCHOOL_ID)}」，"
                f"数据中该教师的学校编号为「{home}」"
            )
    return problems


def _row_problems(d: District, sheet: SheetRows, row: int, cells: list[str]) -> list[str]:
    """One 交流名单 row against the data: its ids, its plan year, then every compared column."""
    problems = _unknown_ids(d, sheet, row, cells)
    start = sheet.cell(cells, START_YEAR)
    if start != str(d.plan_year):
        problems.append(
            f"{_where(sheet, row, START_YEAR)}为{_shown(start)}，编制学年为「{d.plan_year}」"
        )
    end = sheet.cell(cells, END_YEAR)
    if not (end.isascii() and end.isdigit()):
        problems.append(f"{_where(sheet, row, END_YEAR)}为{_shown(end)}，应为结束学年（如 2027）")
    kind = sheet.cell(cells, KIND)
    if KIND in sheet.header and kind not in _KINDS:
        choices = "、".join(KIND_NAMES.values())
        problems.append(f"{_where(sheet, row, KIND)}为{_shown(kind)}，应为{choices}之一")
    if problems:
        return problems
    rotation = NewRotation(
        teacher_id=sheet.cell(cells, TEACHER_ID),
        from_school_id=sheet.cell(cells, FROM_SCHOOL_ID),
        to_school_id=sheet.cell(cells, TO_SCHOOL_ID),
        start_year=d.plan_year,
        end_year=d.plan_year,
        kind=_KINDS.get(kind, RotationKind.ROTATION),
    )
    expected = dict(zip(PLAN_HEADER, plan_row(d, 0, rotation, ""), strict=True))
    for column in PLAN_COMPARED:
        if column not in sheet.header:
            continue
        want = "" if expected[column] is None else str(expected[column])
        have = sheet.cell(cells, column)
        if have != want:
            problems.append(f"{_where(sheet, row, column)}为{_shown(have)}，数据中为{_shown(want)}")
    return problems


def _public_key(sheet: SheetRows, cells: list[str], columns: list[str]) -> tuple[str, ...]:
    return tuple(sheet.cell(cells, column) for column in columns)


def _listed_key(sheet: SheetRows, cells: list[str], columns: list[str]) -> tuple[str, ...]:
    """What 公示名单 must show, in `columns`, for a 交流名单 row."""
    start, end = sheet.cell(cells, START_YEAR), sheet.cell(cells, END_YEAR)
    whole = start.isascii() and start.isdigit() and end.isascii() and end.isdigit()
    term = term_text(int(start), int(end)) if whole else ""
    return tuple(term if c == TERM else sheet.cell(cells, c) for c in columns)


def _public_problems(plan: SheetRows, public: SheetRows) -> list[str]:
    """公示名单 against 交流名单: the same rows, in any order."""
    if not public.found:
        return [f"审批表中没有「{PUBLIC_SHEET}」工作表（或其表头不全：{'、'.join(PUBLIC_HEADER)}）"]
    columns = [c for c in PUBLIC_COMPARED if c == TERM or c in plan.header]
    listed = [(row, _listed_key(plan, cells, columns)) for row, cells in plan.rows]
    posted = [(row, _public_key(public, cells, columns)) for row, cells in public.rows]
    missing = _unmatched(listed, [key for _row, key in posted])
    surplus = _unmatched(posted, [key for _row, key in listed])
    problems = []
    for (plan_row_number, want), (row, have) in zip(missing, surplus, strict=False):
        for column, a, b in zip(columns, have, want, strict=True):
            if a != b:
                problems.append(
                    f"{_where(public, row, column)}为{_shown(a)}，"
                    f"「{PLAN_SHEET}」第{plan_row_number}行为{_shown(b)}"
                )
    for row, key in missing[len(surplus) :]:
        problems.append(f"「{PLAN_SHEET}」第{row}行（{'，'.join(key)}）未列入「{PUBLIC_SHEET}」")
    for row, key in surplus[len(missing) :]:
        problems.append(f"「{PUBLIC_SHEET}」第{row}行（{'，'.join(key)}）不在「{PLAN_SHEET}」中")
    return problems


def _unmatched(
    rows: list[tuple[int, tuple[str, ...]]], others: list[tuple[str, ...]]
) -> list[tuple[int, tuple[str, ...]]]:
    """The rows whose key the other sheet does not list (as often)."""
    left = Counter(others)
    result = []
    for row, key in rows:
        if left[key] > 0:
            left[key] -= 1
        else:
            result.append((row, key))
    return result


def _ongoing_problems(d: District, sheet: SheetRows) -> list[str]:
    """在岗交流 against the data's ongoing rotations and returns, row by row (any order)."""
    if not sheet.found:
        return []
    expected = {str(row[0]): row for row in ongoing_rows(d)}
    problems = []
    seen = set()
    for row, cells in sheet.rows:
        teacher_id = sheet.cell(cells, TEACHER_ID)
        want = expected.get(teacher_id)
        if want is None:
            problems.append(
                f"{_where(sheet, row, TEACHER_ID)}为{_shown(teacher_id)}，数据中没有此教师的在岗交流"
            )
            continue
        seen.add(teacher_id)
        for column, value in zip(ONGOING_HEADER, want, strict=True):
            have, text = sheet.cell(cells, column), "" if value is None else str(value)
            if column in sheet.header and have != text:
                problems.append(
                    f"{_where(sheet, row, column)}为{_shown(have)}，数据中为{_shown(text)}"
                )
    for teacher_id, want in expected.items():
        if teacher_id not in seen:
            problems.append(f"数据中{want[1]}（{teacher_id}）的在岗交流未列入「{ONGOING_SHEET}」")
    return problems


def audit_workbook(d: District, path: Path) -> list[str]:
    """Every difference between an approval workbook's readable columns and the data (交流名单,
    在岗交流), and between its 公示名单 and 交流名单; empty when the workbook says what the data
    says."""
    plan = read_sheet_rows(path, PLAN_SHEET, PLAN_READ)
    problems = [
        f"「{PLAN_SHEET}」缺少「{column}」列（表头被改动或删除），该列无法核对"
        for column in PLAN_COMPARED
        if plan.found and column not in plan.header
    ]
    for row, cells in plan.rows:
        problems += _row_problems(d, plan, row, cells)
    problems += _ongoing_problems(d, read_sheet_rows(path, ONGOING_SHEET, ONGOING_READ))
    public = read_sheet_rows(path, PUBLIC_SHEET, PUBLIC_HEADER)
    return problems + _public_problems(plan, public)
