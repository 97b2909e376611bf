"""Reading the bureau's input (SPEC §3): an Excel workbook, a folder of CSV files, or JSON.

All three become the same raw tables (a header and numbered rows), which the row models of
`models.entities` parse cell by cell. Every problem — a missing sheet or column, a bad value,
a duplicate id, an unknown reference — is collected and raised at once as `InputError`, each
located by sheet, row number as Excel shows it, and Chinese column header.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from inspect import signature
from itertools import repeat
from pathlib import Path
from types import UnionType
from typing import Any, NoReturn, Union, cast, get_args, get_origin

import annotated_types
from pydantic import BeforeValidator, ValidationError
from pydantic_core import ErrorDetails
from python_calamine import CalamineWorkbook, PasswordError

from models import (
    ROW_MODELS,
    Demand,
    District,
    EntrustedPair,
    Group,
    InputError,
    ItinerantDemand,
    OngoingRotation,
    Pin,
    PolicySet,
    Problem,
    Row,
    School,
    Teacher,
)
from models.fields import (
    MAX_CELL_CHARS,
    ExcelError,
    fillers_for,
    is_blank,
    to_text,
    zh_message,
)
from models.policy import (
    DISTRICT_ONLY,
    MAX_NUMBER_CHARS,
    POLICY_ALIAS,
    POLICY_COLUMNS,
    POLICY_SHEET,
    Policy,
    PolicyValueError,
    check_policy_values,
    format_param,
    label_of,
    parse_param,
    ratio_note,
    resolve_key,
)
from rotation.formats.tables import REQUIRED_SHEETS, TABLES, is_formula_like
from rotation.formats.xlsxfast import column_letter
from rotation.formats.xlsxguard import SheetScan, WorkbookRefused, scan_workbook
from rotation.memory import paused_cycle_collection

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
#: Sheets whose rows other sheets refer to, and the field holding each row's id.
_ID_FIELDS: dict[str, str] = {
    Group.SHEET: "group_id",
    School.SHEET: "school_id",
    Teacher.SHEET: "teacher_id",
}


def normalise_name(text: Any) -> str:
    """A sheet name or header as compared: full-width folded (NFKC), no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()


_SHEETS: dict[str, str] = {}
for _model in ROW_MODELS:
    _SHEETS[normalise_name(_model.SHEET)] = _model.SHEET
    _SHEETS[normalise_name(_model.ALIAS)] = _model.SHEET
_SHEETS[normalise_name(POLICY_SHEET)] = POLICY_SHEET
_SHEETS[normalise_name(POLICY_ALIAS)] = POLICY_SHEET
_ALIASES: dict[str, str] = {m.SHEET: m.ALIAS for m in ROW_MODELS} | {POLICY_SHEET: POLICY_ALIAS}


def sheet_of(name: str) -> str | None:
    """The input sheet a sheet, file or JSON key name means (Chinese or English), if any."""
    return _SHEETS.get(normalise_name(name))


# -- raw tables -------------------------------------------------------------------------------


@dataclass
class RawSheet:
    """One table as found in the input, before parsing.

    `rows` yields (row number as the user sees it, cells aligned with `header`); `header_row`
    is None for JSON, which has no header row; `broken` says some rows could not be read.
    """

    header: Sequence[Any]
    rows: Iterable[tuple[int, Sequence[Any]]]
    header_row: int | None = 1
    broken: bool = False


#: At most this many problems are listed; reading stops at the next one. A file with a million
#: bad rows must cost neither a million messages' memory nor a page nobody reads to the end.
MAX_PROBLEMS = 1000


class _TooMany(Exception):
    """Raised by `Problems` once it is full; carries what was found so far."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(len(problems))
        self.problems = problems


class Problems(list[Problem]):
    """The problems of one input as they are found, up to MAX_PROBLEMS (then _TooMany)."""

    def append(self, problem: Problem) -> None:
        super().append(problem)
        if len(self) >= MAX_PROBLEMS:
            raise _TooMany(list(self))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)


@dataclass
class Source:
    """What a loader found: tables by canonical sheet name, problems, the district's name."""

    kind: str  # "xlsx", "csv" or "json": chooses how a missing sheet is described
    name: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=Problems)
    #: The name comes from the data itself (a JSON "name"), not from the file's name.
    named: bool = False

    def add(self, sheet: str, found_as: str, raw: RawSheet) -> None:
        """Keep one table, or report that two tables mean the same sheet."""
        if sheet in self.sheets:
            self.problems.append(
                Problem(
                    sheet=sheet,
                    message=f"「{found_as}」与另一个「{sheet}」重复（中文名和英文名只能用其一）",
                )
            )
        else:
            self.sheets[sheet] = raw

    def missing_message(self, sheet: str) -> str:
        """How to tell the user a required sheet is absent, in the words of this source."""
        alias = _ALIASES[sheet]
        if self.kind == "csv":
            return f"文件夹中缺少「{sheet}.csv」（也可命名为 {alias}.csv）"
        if self.kind == "json":
            return f"JSON 中缺少「{sheet}」（也可用 {alias}）"
        return f"缺少「{sheet}」工作表（也可命名为 {alias}）"


def _fail(message: str) -> NoReturn:
    raise InputError([Problem(sheet="", message=message)])


def require_input(path: Path) -> None:
    """InputError when the input file or folder does not exist: before any progress is shown."""
    if not path.exists():
        _fail(f"找不到输入文件或文件夹：{path}")


def _load(path: Path) -> Source:
    require_input(path)
    suffix = path.suffix.lower()
    try:
        if path.is_dir():
            return _load_csv_folder(path)
        if suffix == ".json":
            return _load_json(path)
    except OSError as exc:
        _fail(f"无法读取「{exc.filename or path}」（{exc.strerror or exc}）")
    if suffix in EXCEL_SUFFIXES:
        return _load_workbook(path)
    if suffix == ".csv":
        _fail(
            f"「{path.name}」是单个 CSV 文件：请把各表的 CSV（集团.csv、学校.csv、教师.csv…）"
            "放在同一个文件夹中，并指定该文件夹"
        )
    _fail(
        f"不支持的文件类型「{path.suffix or '无扩展名'}」（{path.name}）："
        "请提供 .xlsx 工作簿、CSV 文件夹或 .json 文件"
    )


#: How a zip file (.xlsx) and an OLE file (.xls, or an .xlsx with an opening password) begin.
_ZIP_MAGIC = b"PK"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def _check_workbook(path: Path) -> dict[str, SheetScan]:
    """The pre-read checks of `xlsxguard`; a clear message for a file that is no workbook."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        _fail(
            f"无法打开「{path.name}」（{exc.strerror or exc}）：是否没有读取权限，或正被其他程序占用？"
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and not head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        _fail(
            f"「{path.name}」不是 Excel 工作簿：文件内容不是 .xlsx 格式（可能已损坏，"
            "或是把其他文件改成了 .xlsx 扩展名）。请在 Excel 或 WPS 中打开后另存为 .xlsx"
        )
    try:
        return scan_workbook(str(path), lambda name: sheet_of(name) is not None)
    except WorkbookRefused as exc:
        raise InputError([Problem(sheet=sheet_of(exc.sheet) or "", message=str(exc))]) from None
    except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
        return {}  # an unreadable zip: the library below words it


def _load_workbook(path: Path) -> Source:
    scans = _check_workbook(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        _fail(f"「{path.name}」设置了打开密码：请在 Excel 中取消密码后另存，再重试")
    except OSError as exc:
        _fail(f"无法打开「{path.name}」（{exc}）：是否没有读取权限，或正被其他程序占用？")
    except Exception:  # calamine raises several kinds for a damaged file
        _fail(
            f"无法读取「{path.name}」：文件已损坏，或不是 Excel 工作簿。"
            "请在 Excel 或 WPS 中打开后另存为 .xlsx，再重试"
        )
    source = Source("xlsx", path.stem)
    try:
        for found in workbook.sheet_names:
            sheet = sheet_of(found)
            if sheet is None:
                continue
            try:
                data = workbook.get_sheet_by_name(found).to_python(skip_empty_area=False)
            except Exception:
                message = (
                    f"无法读取工作表「{found}」：内容已损坏，请在 Excel 中复制到新工作簿后另存"
                )
                source.problems.append(Problem(sheet=sheet, message=message))
                continue
            scan = scans.get(found)
            if scan is not None and scan.errors:
                _mark_errors(data, scan)
            header = data[0] if data else []
            rows = zip(itertools.count(2), itertools.islice(data, 1, None), strict=False)
            source.add(sheet, found, RawSheet(header, rows))
    finally:
        workbook.close()
    return source


def _mark_errors(data: list[list[Any]], scan: SheetScan) -> None:
    """Put the Excel error values the library reads as blank back into their cells, and the
    text of numbers it reads as 0 though written otherwise (1e-400)."""
    for (row, column), text in scan.errors.items():
        if row <= len(data) and column <= len(data[row - 1]):
            number = text.removeprefix("#NUM:")  # a number read as 0: its text, as written
            data[row - 1][column - 1] = number if number != text else ExcelError(text)


def decode_csv(raw: bytes) -> str:
    """CSV text in UTF-8 (with or without BOM), else GB18030/GBK as Chinese Excel and WPS save."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _sheet_files(folder: Path) -> list[tuple[str, Path]]:
    """The CSV files of a folder that are input sheets, in name order."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    return [(sheet, p) for p in files if (sheet := sheet_of(p.stem)) is not None]


def _unquote(cells: list[str]) -> list[str]:
    """Undo the apostrophe our CSV writer puts before formula-like text."""
    return [c[1:] if c[:1] == "'" and is_formula_like(c[1:]) else c for c in cells]


def _load_csv_folder(folder: Path) -> Source:
    source = Source("csv", folder.resolve().name)
    for sheet, file in _sheet_files(folder):
        raw = file.read_bytes()
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            source.problems.append(
                Problem(
                    sheet=sheet,
                    message=f"「{file.name}」是 UTF-16 编码（Excel 的“Unicode 文本”）："
                    "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
                )
            )
            continue
        try:
            text = without_controls(decode_csv(raw))
        except UnicodeDecodeError:
            source.problems.append(
                Problem(
                    sheet=sheet,
                    message=f"无法识别「{file.name}」的文字编码（既不是 UTF-8 也不是 GBK）："
                    "请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”",
                )
            )
            continue
        records = _csv_records(sheet, file.name, text, source.problems)
        if records is None:
            continue
        header = records[0] if records else []
        rows = ((n, _unquote(r)) for n, r in enumerate(itertools.islice(records, 1, None), 2))
        source.add(sheet, file.name, RawSheet(header, rows))
    return source


def _csv_records(
    sheet: str, file_name: str, text: str, problems: list[Problem]
) -> list[list[str]] | None:
    """The records of one CSV file; None after reporting a quote error.

    A stray " opens a quoted cell that runs on to the next " — possibly many lines below —
    and the rows in between would silently vanish into one cell. So a cell spanning lines
    that holds a comma (a row swallowed whole) is reported as an unpaired quote.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    line = 1
    try:
        for record in reader:
            swallowed = next((c for c in record if "\n" in c and "," in c), None)
            if swallowed is not None:
                problems.append(_quote_problem(sheet, file_name, len(records) + 1, line))
                return None
            records.append(record)
            line = reader.line_num + 1
    except csv.Error:
        problems.append(_quote_problem(sheet, file_name, len(records) + 1, line))
        return None
    return records


def _quote_problem(sheet: str, file_name: str, row: int, line: int) -> Problem:
    return Problem(
        sheet=sheet,
        row=row,
        message=f'「{file_name}」第{line}行（第{row}条记录）的英文引号 " 没有配对，'
        "其后的内容无法分行读取：请删除多余的引号（文字中的引号请用中文引号“”）后重新保存",
    )


#: Control characters (NUL…), never part of a name or a value: an unseen one could make a
#: required cell look filled; and lone surrogate halves (a JSON "\\ud800" decodes to one, which
#: no file can store: writing the 审批表 would fail). Tab and line breaks are left to the CSV
#: and text rules.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def without_controls(text: str) -> str:
    """The text without control characters (one search over the whole text first)."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (not the last one silently winning)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _json_object_without_controls(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose texts lose their control characters (written as \\u0000…)."""
    return _json_object([(k, without_controls(v) if type(v) is str else v) for k, v in pairs])


#: A control character written as a JSON escape (raw control characters are invalid JSON).
_JSON_CONTROL = re.compile(r"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F]")


def _json_int(text: str) -> int | str:
    """JSON whole numbers; too long ones stay text for the cell check to name them."""
    return int(text) if len(text) <= MAX_NUMBER_CHARS else text


def _json_float(text: str) -> float | str:
    """JSON decimals; one that is not finite or underflows to 0 (1e-400) stays text for the cell
    check to quote as written."""
    value = float(text)
    if not math.isfinite(value):
        return text
    if value == 0 and any(c in "123456789" for c in text.lower().partition("e")[0]):
        return text
    return value


def _load_json(path: Path) -> Source:
    try:
        text = decode_csv(path.read_bytes())
        hook = _json_object_without_controls if _JSON_CONTROL.search(text) else _json_object
        document = json.loads(
            text,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=str,
            object_pairs_hook=hook,
        )
    except RecursionError:
        _fail(f"「{path.name}」嵌套层数过多（括号一层套一层），不是本程序的输入格式")
    except _DuplicateKey as exc:
        _fail(f"「{path.name}」的同一个对象中「{exc.key}」出现了不止一次：请只保留一个")
    except json.JSONDecodeError as exc:
        _fail(f"「{path.name}」不是有效的 JSON：第{exc.lineno}行第{exc.colno}列（{exc.msg}）")
    except UnicodeDecodeError:
        _fail(f"「{path.name}」不是 UTF-8 或 GBK 编码的文本：请另存为 UTF-8")
    except ValueError:
        _fail(f"「{path.name}」不是有效的 JSON")
    if not isinstance(document, dict):
        _fail(f'「{path.name}」的顶层应为对象，如 {{"集团": [...], "学校": [...], "教师": [...]}}')
    name = path.stem
    named = False
    for key in ("name", "区县"):
        value = document.get(key)
        if isinstance(value, str) and value.strip():
            name, named = value.strip(), True
            break
    source = Source("json", name, named=named)
    for key, value in document.items():
        sheet = sheet_of(key)
        if sheet is None:
            continue
        if sheet == POLICY_SHEET and isinstance(value, dict):
            header_key, header_value = POLICY_COLUMNS["key"][0], POLICY_COLUMNS["value"][0]
            value = [{header_key: k, header_value: v} for k, v in value.items()]
        if not isinstance(value, list):
            source.problems.append(Problem(sheet=sheet, message=f"「{key}」应为列表，每项一行"))
            continue
        source.add(sheet, key, _json_table(sheet, value, source.problems))
    return source


def _json_table(sheet: str, items: list[Any], problems: list[Problem]) -> RawSheet:
    columns: dict[str, None] = {}
    objects: list[tuple[int, dict[str, Any]]] = []
    broken = False
    for number, item in enumerate(items, 1):
        if isinstance(item, dict):
            columns.update(dict.fromkeys(item))
            objects.append((number, item))
        else:
            problems.append(
                Problem(sheet=sheet, row=number, message='应为对象，如 {"列名": 值, ...}')
            )
            broken = True
    header = list(columns)
    rows = [(n, [item.get(h) for h in header]) for n, item in objects]
    return RawSheet(header, rows, header_row=None, broken=broken)


# -- parsing ----------------------------------------------------------------------------------


@dataclass
class _Failures:
    """Rows that could not be parsed, so that their absence is not reported a second time."""

    sheets: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # sheets with a failed row of unknown id
    ids: dict[str, set[str]] = field(default_factory=dict)
    policy_keys: set[str] = field(default_factory=set)

    def add(self, sheet: str, raw_id: Any = None) -> None:
        self.sheets.add(sheet)
        if sheet not in _ID_FIELDS:
            return
        try:
            ident = to_text(raw_id)
        except (ValueError, TypeError):
            self.unknown.add(sheet)
            return
        self.ids.setdefault(sheet, set()).add(ident)

    def whole(self, sheet: str) -> None:
        self.sheets.add(sheet)
        self.unknown.add(sheet)

    def covers(self, sheet: str, ident: str) -> bool:
        """Whether a row with this id may have been among the failed ones."""
        return sheet in self.unknown or ident in self.ids.get(sheet, set())


def _lookup(model: type[Row]) -> dict[str, str]:
    """Normalised Chinese header and English field name → field name."""
    result: dict[str, str] = {}
    for name, header in model.columns().items():
        result[normalise_name(header)] = name
        result[normalise_name(name)] = name
    return result


_LOOKUPS = {m: _lookup(m) for m in ROW_MODELS}


def _map_header(
    sheet: str,
    raw: RawSheet,
    lookup: dict[str, str],
    headers: dict[str, str],
    required: Iterable[str],
    problems: list[Problem],
    ignored: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], list[str]]:
    """Field → column index; reports duplicate and missing required columns, and columns
    that were not read (warnings: a mistyped optional header must not drop data silently)."""
    index: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for i, cell in enumerate(raw.header):
        if is_blank(cell):
            continue
        name = lookup.get(normalise_name(cell))
        if name is None:
            if normalise_name(cell) not in ignored:
                unknown.append((i, str(cell).strip()))
            continue
        if name in index:
            first = index[name]
            if raw.header_row is None:
                where = f"「{raw.header[first]}」和「{cell}」"
            else:
                where = f"第{column_letter(first)}列和第{column_letter(i)}列"
            problems.append(
                Problem(
                    sheet=sheet,
                    row=raw.header_row,
                    column=headers[name],
                    message=f"「{headers[name]}」列出现了两次（{where}），请删除多余的一列",
                )
            )
            continue
        index[name] = i
    _unread_columns(sheet, raw, unknown, headers, index, problems)
    missing = [n for n in required if n not in index]
    for name in missing:
        problems.append(
            Problem(
                sheet=sheet,
                row=raw.header_row,
                column=headers[name],
                message=f"缺少必填列「{headers[name]}」（英文列名 {name}）",
            )
        )
    return index, missing


def _unread_columns(
    sheet: str,
    raw: RawSheet,
    unknown: list[tuple[int, str]],
    headers: dict[str, str],
    index: dict[str, int],
    problems: list[Problem],
) -> None:
    """Warn about columns that are not read: one by one where the header looks like a
    mistyped column of ours, the others together."""
    if not unknown:
        return
    absent = {normalise_name(h): h for n, h in headers.items() if n not in index}
    absent.update({normalise_name(n): headers[n] for n in headers if n not in index})
    others = []
    for i, cell in unknown:
        where = cell if raw.header_row is None else f"第{column_letter(i)}列「{cell}」"
        close = difflib.get_close_matches(normalise_name(cell), list(absent), n=1, cutoff=0.6)
        if close:
            message = f"{where}不是模板中的列名，未读入；是否应为「{absent[close[0]]}」？"
            problems.append(
                Problem(sheet=sheet, row=raw.header_row, message=message, severity="warning")
            )
        else:
            others.append(f"「{cell}」")
    if others:
        message = f"以下列不是模板中的列名，未读入：{'、'.join(others)}"
        problems.append(
            Problem(sheet=sheet, row=raw.header_row, message=message, severity="warning")
        )


def _date_message(value: Any) -> str:
    shown = value.isoformat() if isinstance(value, date | time) else str(value)
    if isinstance(value, datetime) and value.time() == time(0):
        shown = value.date().isoformat()
    return f"「{shown}」是日期或时间，此处不应填日期：请把单元格格式改为“常规”后重新输入"


def _cell_problem(sheet: str, row: int, headers: dict[str, str], error: ErrorDetails) -> Problem:
    loc = error["loc"]
    column = headers.get(str(loc[0])) if loc else None
    value = error.get("input")
    if isinstance(value, date | time | timedelta):
        message = _date_message(value)
    else:
        message = zh_message(error)
    return Problem(sheet=sheet, row=row, column=column, message=message)


def _no_header(sheet: str, raw: RawSheet, problems: list[Problem], failures: _Failures) -> bool:
    """Whether the header row is blank; reported when rows follow or a required sheet is empty."""
    if not all(is_blank(h) for h in raw.header):
        return False
    if raw.header_row is None:  # an empty JSON list
        return True
    if any(not is_blank(c) for _n, cells in raw.rows for c in cells):
        message = "第1行是空的：第1行应为列名，数据从第2行开始"
    elif sheet in REQUIRED_SHEETS:
        message = "工作表是空的：第1行应为列名，数据从第2行开始"
    else:
        return True  # an optional sheet left empty
    problems.append(Problem(sheet=sheet, row=raw.header_row, message=message))
    failures.whole(sheet)
    return True


@dataclass
class _CellNotes:
    """What the cell loop found besides values: fillers read as blank (warned about per
    column) and cells that cannot be used at all (errors, each with its cell)."""

    sheet: str
    headers: dict[str, str]
    fillers: dict[str, dict[int, str]] = field(default_factory=dict)  # field → row → word
    counts: dict[str, int] = field(default_factory=dict)  # field → rows with a filler
    bad: list[Problem] = field(default_factory=list)

    def filler(self, name: str, row: int, word: str) -> None:
        rows = self.fillers.setdefault(name, {})
        self.counts[name] = self.counts.get(name, 0) + 1
        if len(rows) < 11:  # the message names ten rows and says 等
            rows[row] = word

    def unusable(self, name: str, row: int, value: str) -> None:
        if type(value) is ExcelError:
            message = f"单元格是 Excel 错误值「{value}」（公式出错或引用失效）：请改为实际的值"
        else:
            message = (
                f"内容有 {len(value)} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS} 个：请删减"
            )
        self.bad.append(
            Problem(sheet=self.sheet, row=row, column=self.headers[name], message=message)
        )

    def warnings(self) -> list[Problem]:
        """One warning per column that had filler words."""
        found = []
        for name, rows in self.fillers.items():
            numbers = list(rows)
            total = self.counts.get(name, len(numbers))
            shown = "、".join(str(n) for n in numbers[:10]) + ("等" if total > 10 else "")
            words = "」「".join(dict.fromkeys(rows.values()))
            column = self.headers[name]
            message = (
                f"「{self.sheet}」表「{column}」列第{shown}行（共{total}处）"
                f"填写了「{words}」等占位词，按空白处理"
            )
            found.append(
                Problem(sheet=self.sheet, column=column, message=message, severity="warning")
            )
        return found


#: One column as the cell loop reads it: field name, column index, filler words (None for a
#: required column).
_Plan = list[tuple[str, int, frozenset[str] | None]]


def _cell_plan(model: type[Row], index: dict[str, int]) -> _Plan:
    required = model.required_columns()
    plan: _Plan = []
    for name, i in index.items():
        fillers = None
        if name not in required:
            validators = [getattr(m, "func", None) for m in model.model_fields[name].metadata]
            fillers = fillers_for(validators[0] if validators else None)
        plan.append((name, i, fillers))
    return plan


def _row_data(cells: Sequence[Any], plan: _Plan, number: int, notes: _CellNotes) -> dict[str, Any]:
    """The filled-in cells of one row by field; blanks and fillers left out."""
    data: dict[str, Any] = {}
    width = len(cells)
    for name, i, fillers in plan:
        if i >= width:
            continue
        value = cells[i]
        if value is None or value == "":
            continue
        kind = type(value)
        if kind is str:
            if fillers is not None and value in fillers:
                notes.filler(name, number, value)
                continue
            if len(value) > MAX_CELL_CHARS:
                notes.unusable(name, number, value)
            elif not value.strip():
                continue
            elif fillers is not None and len(value) < 6 and value.strip() in fillers:
                notes.filler(name, number, value.strip())
                continue
        elif kind is ExcelError:
            notes.unusable(name, number, value)
        data[name] = value
    return data


#: A column's cell as the fast path classifies it: blank (the field is left out, as `_row_data`
#: leaves it out), or in need of the per-row path (a filler word, an unusable cell, a value its
#: validator refuses or would not keep as it is).
_BLANK = object()
_SLOW = object()


#: A field's check on a filled-in cell: the value `model_validate` would keep, or _SLOW.
_Check = Callable[[Any], Any]


def _check(
    parse: Callable[[Any], Any],
    kinds: tuple[type, ...],
    items: type | None,
    low: tuple[Any, bool] | None,
    high: tuple[Any, bool] | None,
) -> _Check:
    """A field's own before-validator, then what pydantic's schema would do after it: nothing,
    when the value has one of `kinds` exactly (a subclass may be converted), its items (of a
    tuple) are `items`, and it lies within the bounds (bound, inclusive)."""

    def value_of(cell: Any) -> Any:
        try:
            value = parse(cell)
        except Exception:  # the per-row path words it (or raises it, as before)
            return _SLOW
        if type(value) not in kinds:
            return _SLOW
        if value is None:
            return value
        if items is not None and any(type(v) is not items for v in value):
            return _SLOW
        if low is not None and not (value >= low[0] if low[1] else value > low[0]):
            return _SLOW
        if high is not None and not (value <= high[0] if high[1] else value < high[0]):
            return _SLOW
        return value

    return value_of


def _kinds(annotation: Any) -> tuple[tuple[type, ...], type | None] | None:
    """The exact types pydantic keeps unchanged for a field's annotation (and a tuple's item
    type); None for an annotation the fast path does not know."""
    if get_origin(annotation) in (Union, UnionType):
        kinds: list[type] = []
        items = None
        for arg in get_args(annotation):
            found = _kinds(arg)
            if found is None:
                return None
            kinds.extend(found[0])
            items = items or found[1]
        return tuple(kinds), items
    if annotation is type(None):
        return (type(None),), None
    if get_origin(annotation) is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis and args[0] is str:
            return (tuple,), str
        return None
    if annotation in (str, int, float, bool):
        return (annotation,), None
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return (annotation,), None
    return None


def _checks(model: type[Row]) -> dict[str, _Check] | None:
    """How the fast path checks each column of a row model; None when a field is more than
    one before-validator and simple bounds, or the model validates more (then its sheets take
    the per-row path)."""
    decorators = model.__pydantic_decorators__
    if (
        decorators.model_validators
        or decorators.field_validators
        or model.__pydantic_post_init__
        or model.__private_attributes__
    ):
        return None
    checks: dict[str, _Check] = {}
    for name in model.columns():
        field = model.model_fields[name]
        if field.alias is not None or field.validation_alias is not None:
            return None
        kinds = _kinds(field.annotation)
        parsers = [m.func for m in field.metadata if isinstance(m, BeforeValidator)]
        if kinds is None or len(parsers) != 1 or len(signature(parsers[0]).parameters) != 1:
            return None  # none, several, or one that wants pydantic's ValidationInfo
        low: tuple[Any, bool] | None = None
        high: tuple[Any, bool] | None = None
        for meta in field.metadata:
            if isinstance(meta, annotated_types.Ge):
                low = (meta.ge, True)
            elif isinstance(meta, annotated_types.Gt):
                low = (meta.gt, False)
            elif isinstance(meta, annotated_types.Le):
                high = (meta.le, True)
            elif isinstance(meta, annotated_types.Lt):
                high = (meta.lt, False)
            elif not isinstance(meta, BeforeValidator):
                return None
        parse = cast(Callable[[Any], Any], parsers[0])
        checks[name] = _check(parse, kinds[0], kinds[1], low, high)
    return checks


_CHECKS = {m: _checks(m) for m in ROW_MODELS}


def _column_values(
    cells: Sequence[Any], value_of: _Check, fillers: frozenset[str] | None
) -> list[Any]:
    """One column's field values, _BLANK or _SLOW, cell by cell as `_row_data` and the field's
    validator see them; each distinct value is checked once (most columns repeat a few)."""
    words = fillers or frozenset()

    def text(value: str) -> Any:
        if len(value) > MAX_CELL_CHARS:
            return _SLOW
        stripped = value.strip()
        if not stripped:  # no filler word is blank
            return _BLANK
        if value in words or (len(value) < 6 and stripped in words):
            return _SLOW
        return value_of(value)

    kinds = set(map(type, cells))
    if kinds == {str}:
        seen = {c: text(c) for c in set(cells)}
        return list(map(seen.__getitem__, cells))
    if kinds in ({int}, {float}) and _zero_signless(value_of):
        seen = {c: value_of(c) for c in set(cells)}  # equal numbers of one type: one value
        return list(map(seen.__getitem__, cells))
    values = []
    for cell in cells:
        kind = type(cell)
        if kind is str:
            value = text(cell)
        elif cell is None or cell == "":
            value = _BLANK
        elif kind is ExcelError:
            value = _SLOW
        else:
            value = value_of(cell)
        values.append(value)
    return values


def _zero_signless(value_of: _Check) -> bool:
    """Whether a field's value of 0.0 and -0.0 is the same (they are one key of a dict)."""
    plus, minus = value_of(0.0), value_of(-0.0)
    return type(plus) is type(minus) and repr(plus) == repr(minus)


def _checked_rows(
    model: type[Row], rows: list[tuple[int, Sequence[Any]]], plan: _Plan, needed: list[str]
) -> list[Row | None]:
    """The rows that pass every check as models, None for the others (by position).

    A model is made from the values its own validators gave, as `model_validate` would have
    made it (the same values, fields set and field order) but without validating each row
    again: at city scale that was most of reading (100,000 teacher rows). Blank rows, like
    rows with a blank required cell, are left to the per-row path."""
    checks = _CHECKS[model]
    if checks is None or not rows or not needed:
        return [None] * len(rows)
    cells = [c for _n, c in rows]
    width = max(i for _name, i, _fillers in plan) + 1
    if min(map(len, cells)) < width:
        cells = [[*c, *[None] * (width - len(c))] if len(c) < width else c for c in cells]
    table = list(zip(*cells, strict=False))  # column by column
    defaults = {
        n: f.get_default(call_default_factory=True)
        for n, f in model.model_fields.items()
        if not f.is_required()
    }
    slow: set[int] = set()
    always = {"row"}  # the fields every row sets
    mixed: list[tuple[str, list[Any]]] = []  # the fields some rows leave blank
    by_field: dict[str, Iterable[Any]] = {"row": [n for n, _c in rows]}
    for name, i, fillers in plan:
        values = _column_values(table[i], checks[name], fillers)
        if values.count(_SLOW):
            slow.update(k for k, v in enumerate(values) if v is _SLOW)
        blanks = values.count(_BLANK)
        if not blanks:
            always.add(name)
            by_field[name] = values
        elif name in needed:  # the per-row path words the blank required cell
            slow.update(k for k, v in enumerate(values) if v is _BLANK)
            always.add(name)
            by_field[name] = values
        else:
            default = defaults[name]
            by_field[name] = [default if v is _BLANK else v for v in values]
            if blanks < len(values):
                mixed.append((name, values))
    fields = list(model.model_fields)
    columns = [by_field.get(n) or repeat(defaults.get(n), len(rows)) for n in fields]
    # Which of the sometimes-blank fields a row sets: one pattern of a few per row.
    filled = [[v is not _BLANK for v in values] for _n, values in mixed]
    patterns = zip(*filled, strict=True) if filled else repeat(())
    names: dict[tuple[bool, ...], frozenset[str]] = {}
    result: list[Row | None] = [None] * len(rows)
    new = object.__new__
    set_attribute = object.__setattr__
    dicts = map(dict, map(zip, repeat(fields), zip(*columns, strict=True)))
    for k, (value, pattern) in enumerate(zip(dicts, patterns, strict=False)):
        if slow and k in slow:
            continue
        given = names.get(pattern)
        if given is None:
            chosen = [n for (n, _v), f in zip(mixed, pattern, strict=True) if f]
            given = names[pattern] = frozenset(always.union(chosen))
        item = new(model)
        set_attribute(item, "__dict__", value)
        set_attribute(item, "__pydantic_fields_set__", set(given))
        set_attribute(item, "__pydantic_extra__", None)
        set_attribute(item, "__pydantic_private__", None)
        result[k] = item
    return result


def _parse_rows(
    model: type[Row],
    raw: RawSheet,
    problems: list[Problem],
    failures: _Failures,
    *,
    fast: bool = True,
) -> list[Row]:
    """The rows of one sheet that parse; every bad cell becomes a Problem.

    With `fast`, the sheet's cells are first checked column by column (`_checked_rows`) and
    the rows that pass become models without pydantic's per-row validation; any other row —
    a bad, blank-required or filler cell — takes the per-row path below, which words its
    problems. Both give the same rows (tests/rotation/formats/test_fast_rows.py)."""
    sheet = model.SHEET
    headers = model.columns()
    if _no_header(sheet, raw, problems, failures):
        return []
    required = [n for n in headers if n in model.required_columns()]
    index, missing = _map_header(sheet, raw, _LOOKUPS[model], headers, required, problems)
    # Required fields get None when blank so that their own validator words the message.
    needed = [n for n in required if n in index]
    plan = _cell_plan(model, index)
    notes = _CellNotes(sheet, headers)
    id_field = _ID_FIELDS.get(sheet)
    items: list[Row] = []
    validate = model.model_validate
    rows: Iterable[tuple[int, Sequence[Any]]] = raw.rows
    checked: Iterable[Row | None] = repeat(None)
    if fast and not missing:
        rows = list(rows)
        checked = _checked_rows(model, rows, plan, needed)
    for (number, cells), ready in zip(rows, checked, strict=False):
        if ready is not None:
            items.append(ready)
            continue
        data = _row_data(cells, plan, number, notes)
        if not data:
            continue  # a blank row (or only unknown columns filled in)
        for name in needed:
            if name not in data:
                data[name] = None
        data["row"] = number
        unusable = {str(p.column) for p in notes.bad}
        if unusable:
            problems.extend(notes.bad)
            notes.bad.clear()
            for name in list(data):
                if headers.get(name) in unusable:
                    data[name] = None if name in needed else _SKIPPED
            data = {k: v for k, v in data.items() if v is not _SKIPPED}
        try:
            item = validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                if error["loc"] and error["loc"][0] in missing:
                    continue  # already reported once as a missing column
                if error["loc"] and headers.get(str(error["loc"][0])) in unusable:
                    continue  # already reported as an unusable cell
                problems.append(_cell_problem(sheet, number, headers, error))
            failures.add(sheet, data.get(id_field) if id_field else None)
            continue
        if unusable:
            failures.add(sheet, data.get(id_field) if id_field else None)
        else:
            items.append(item)
    problems.extend(notes.warnings())
    if missing or raw.broken:
        failures.whole(sheet)
    return items


_SKIPPED = object()


@dataclass
class _PolicyResult:
    policy: PolicySet
    group_rows: dict[str, int]  # group id → first 规则 row naming it


#: The template's own explanatory columns of the 规则 sheet: not read, and nothing to warn about.
_POLICY_NOTES = frozenset(normalise_name(h) for h in ("中文名称", "说明", "label", "description"))


def _policy_headers() -> tuple[dict[str, str], dict[str, str]]:
    lookup: dict[str, str] = {}
    headers: dict[str, str] = {}
    for name, (header, alias) in POLICY_COLUMNS.items():
        lookup[normalise_name(header)] = name
        lookup[normalise_name(alias)] = name
        headers[name] = header
    return lookup, headers


def _parse_policy(
    raw: RawSheet | None, year: int | None, problems: list[Problem], failures: _Failures
) -> _PolicyResult:
    """The 规则 sheet: district values and group overrides, each row checked on its own."""
    district: dict[str, Any] = {}
    overrides: dict[str, dict[str, Any]] = {}
    group_rows: dict[str, int] = {}
    lookup, headers = _policy_headers()
    key_h, value_h, group_h = headers["key"], headers["value"], headers["group_id"]

    def problem(row: int, column: str, message: str, key: str | None) -> None:
        problems.append(Problem(sheet=POLICY_SHEET, row=row, column=column, message=message))
        failures.sheets.add(POLICY_SHEET)
        if key is not None:
            failures.policy_keys.add(key)

    if raw is not None and not _no_header(POLICY_SHEET, raw, problems, failures):
        index, missing = _map_header(
            POLICY_SHEET, raw, lookup, headers, ("key", "value"), problems, _POLICY_NOTES
        )
        if missing:
            failures.whole(POLICY_SHEET)
        seen: dict[tuple[str | None, str], int] = {}
        for number, cells in () if missing else raw.rows:
            key_cell, value_cell, group_cell = (
                cells[i] if (i := index.get(name)) is not None and i < len(cells) else None
                for name in ("key", "value", "group_id")
            )
            if is_blank(key_cell) and is_blank(value_cell) and is_blank(group_cell):
                continue
            if is_blank(key_cell):
                problem(number, key_h, "参数名为空", None)
                continue
            try:
                key = resolve_key(str(key_cell))
            except PolicyValueError as exc:
                problem(number, key_h, str(exc), None)
                continue
            group: str | None = None
            if not is_blank(group_cell):
                try:
                    group = to_text(group_cell)
                except ValueError as exc:
                    problem(number, group_h, str(exc), key)
                    continue
            if group is not None and key in DISTRICT_ONLY:
                problem(
                    number,
                    group_h,
                    f"{key}（{label_of(key)}）只能对全区设置，不能按集团设置：请清空集团编号",
                    key,
                )
                continue
            value = _policy_value(key, value_cell, number, value_h, problem)
            if value is _BAD:
                continue
            problems.extend(_ratio_warning(key, value_cell, number, value_h))
            earlier = seen.get((group, key))
            if earlier is not None:
                problem(number, key_h, f"参数 {key} 重复（与第{earlier}行相同）", key)
                continue
            seen[(group, key)] = number
            if group is None:
                district[key] = value
            else:
                overrides.setdefault(group, {})[key] = value
                group_rows.setdefault(group, number)
    if year is not None:
        try:
            check_policy_values({"plan_year": year})
            district["plan_year"] = year
        except PolicyValueError as exc:
            problems.append(Problem(sheet="", message=f"命令行 --year {year}：{exc}"))
    try:
        policy = PolicySet(district=check_policy_values(district), group_overrides=overrides)
    except PolicyValueError as exc:  # not expected: every value was checked on its own
        problems.append(Problem(sheet=POLICY_SHEET, message=str(exc)))
        policy = PolicySet()
    return _PolicyResult(policy, group_rows)


_BAD = object()


def _ratio_warning(key: str, cell: Any, row: int, column: str) -> list[Problem]:
    """The warning for a ratio written as a bare number (see `models.policy.parse_ratio`)."""
    note = ratio_note(key, cell)
    if note is None:
        return []
    message = f"{key}（{label_of(key)}）：{note}"
    return [
        Problem(sheet=POLICY_SHEET, row=row, column=column, message=message, severity="warning")
    ]


_Report = Callable[[int, str, str, str | None], None]


def _policy_value(key: str, cell: Any, row: int, column: str, problem: _Report) -> Any:
    """One parameter's typed value, or _BAD after reporting why it cannot be used."""
    label = label_of(key)
    if type(cell) is ExcelError:
        message = f"单元格是 Excel 错误值「{cell}」（公式出错或引用失效）：请改为实际的值"
        problem(row, column, f"{key}（{label}）：{message}", key)
        return _BAD
    if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
        problem(
            row, column, f"{key}（{label}）：内容超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符", key
        )
        return _BAD
    if isinstance(cell, date | time | timedelta):
        problem(row, column, f"{key}（{label}）：{_date_message(cell)}", key)
        return _BAD
    try:
        value = parse_param(key, cell)
    except (ValueError, TypeError, ArithmeticError) as exc:
        message = str(exc)
        if message == "值为空":
            default = format_param(key, Policy.model_fields[key].default)
            message = f"值为空：如用默认值，请填 {default}，或删除这一行"
        problem(row, column, f"{key}（{label}）：{message}", key)
        return _BAD
    try:
        check_policy_values({key: value})
    except PolicyValueError as exc:
        problem(row, column, str(exc), key)
        return _BAD
    return value


# -- putting the district together ------------------------------------------------------------


def _references() -> dict[tuple[str, str], tuple[str, str | None]]:
    """(sheet, column) of a District problem → (sheet it refers to, field holding the ids)."""
    pairs: list[tuple[type[Row], str, type[Row]]] = [
        (School, "group_id", Group),
        (Group, "lead_school_id", School),
        (Teacher, "school_id", School),
        (Teacher, "preferred_schools", School),
        (OngoingRotation, "teacher_id", Teacher),
        (OngoingRotation, "from_school_id", School),
        (OngoingRotation, "to_school_id", School),
        (Demand, "school_id", School),
        (EntrustedPair, "supporting_school_id", School),
        (EntrustedPair, "aided_school_id", School),
        (Pin, "teacher_id", Teacher),
        (Pin, "school_id", School),
        (ItinerantDemand, "school_id", School),
    ]
    refs: dict[tuple[str, str], tuple[str, str | None]] = {
        (m.SHEET, m.columns()[f]): (t.SHEET, f) for m, f, t in pairs
    }
    # "a group with fewer than 2 schools" depends on every school row
    refs[(Group.SHEET, Group.columns()["group_id"])] = (School.SHEET, None)
    return refs


_REFERENCES = _references()


def _caused_by_failures(
    problem: Problem, failures: _Failures, rows: dict[tuple[str, int], Row]
) -> bool:
    """Whether a District problem may only come from rows that failed to parse."""
    if not failures.sheets:
        return False
    if problem.row is None and problem.column is None:
        return problem.sheet in failures.sheets  # "没有任何教师" and the like
    if problem.sheet == POLICY_SHEET and problem.row is None:
        return "plan_year" in failures.policy_keys or POLICY_SHEET in failures.unknown
    ref = _REFERENCES.get((problem.sheet, problem.column or ""))
    if ref is None:
        return False
    target, id_field = ref
    if target not in failures.sheets:
        return False
    if id_field is None or target in failures.unknown or problem.row is None:
        return True
    item = rows.get((problem.sheet, problem.row))
    if item is None:
        return False
    value = getattr(item, id_field)
    ids = (value,) if isinstance(value, str) else tuple(value or ())
    return any(failures.covers(target, i) for i in ids)


def read_district(path: Path, *, year: int | None = None, name: str | None = None) -> District:
    """The district in an .xlsx/.xls workbook, a folder of CSV files or a .json document.

    `year` (the --year option) overrides the 规则 sheet's plan_year. The district is named by
    the 规则 sheet's district_name, else by a JSON document's own "name", else by `name` (the
    file's name as its user knows it: the web keeps uploads under names of its own), else by the
    file's name. Raises InputError listing
    every problem found — cell by cell and across rows — and nothing else for bad input.
    """
    with paused_cycle_collection():
        try:
            return _read_district(path, year, name)
        except _TooMany as many:
            shown = [p for p in many.problems if p.severity == "error"] or many.problems
            raise InputError(
                [
                    *shown,
                    Problem(
                        sheet="",
                        message=f"问题过多，只列出前 {len(shown)} 处，其余未检查："
                        "请先改正这些（常见原因：列错位、整列格式不对、选错了文件）后重新检查",
                    ),
                ]
            ) from None


def _read_district(path: Path, year: int | None, known_as: str | None = None) -> District:
    source = _load(Path(path))
    problems = Problems(source.problems)
    failures = _Failures()
    for p in source.problems:  # a sheet that could not be read counts as wholly failed
        if p.sheet:
            failures.whole(p.sheet)
    tables: dict[str, list[Row]] = {}
    for model in ROW_MODELS:
        raw = source.sheets.get(model.SHEET)
        if raw is None:
            if model.SHEET in REQUIRED_SHEETS and model.SHEET not in failures.sheets:
                message = source.missing_message(model.SHEET)
                problems.append(Problem(sheet=model.SHEET, message=message))
                failures.whole(model.SHEET)
            tables[TABLES[model]] = []
            continue
        tables[TABLES[model]] = _parse_rows(model, raw, problems, failures)
    result = _parse_policy(source.sheets.get(POLICY_SHEET), year, problems, failures)

    try:
        given = source.name if source.named else known_as
        name = result.policy.district.district_name or given or source.name
        district = District.model_validate({"name": name, "policy": result.policy, **tables})
    except InputError as exc:
        found = exc.problems
    except ValidationError as exc:  # not expected: the rows are already models
        found = [Problem(sheet="", message=f"数据无法组装（{exc.error_count()} 处）")]
    else:
        if not any(p.severity == "error" for p in problems):
            district.add_warnings(problems)
            return district
        found = district.warnings

    rows = {(item.SHEET, item.row): item for items in tables.values() for item in items if item.row}
    kept = [
        p
        for p in found
        if not (
            p.sheet == POLICY_SHEET and p.column == POLICY_COLUMNS["group_id"][0] and p.row is None
        )
        and not _caused_by_failures(p, failures, rows)
    ]
    # Unknown groups in the 规则 sheet, located at their row (District knows no rows there).
    group_ids = {g.group_id for g in tables["groups"] if isinstance(g, Group)}
    for group_id, number in result.group_rows.items():
        if group_id not in group_ids and not failures.covers(Group.SHEET, group_id):
            kept.append(
                Problem(
                    sheet=POLICY_SHEET,
                    row=number,
                    column=POLICY_COLUMNS["group_id"][0],
                    message=f"集团「{group_id}」不在「集团」表中",
                )
            )
    raise InputError(problems + kept)


def input_sha256(path: Path) -> str:
    """SHA-256 of the input file; for a CSV folder, of its sheet files in name order.

    For a folder each sheet file contributes its name, a NUL byte and its bytes, so that the
    hash changes when a file is renamed as well as when it is edited.
    """
    path = Path(path)
    digest = hashlib.sha256()
    try:
        if path.is_dir():
            for _sheet, file in _sheet_files(path):
                digest.update(file.name.encode("utf-8") + b"\0")
                digest.update(file.read_bytes())
        else:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    except OSError as exc:
        _fail(f"无法读取输入：{path}（{exc.strerror or exc}）")
    return digest.hexdigest()
