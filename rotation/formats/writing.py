"""Writing xlsx cells safely, styling sheets, and the district export.

Every file is written through `safe_write` (`write_together`) (SPEC §5: never overwrite without
--force, never leave half a file after a crash). Every xlsx cell written with openpyxl goes
through `safe_cell` / `set_cell`, so that a name such as "=1+2" stays text and is never run
by Excel as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from models import ROW_MODELS, District
from models.policy import (
    PARAMETER_KEYS,
    POLICY_COLUMNS,
    POLICY_SHEET,
    PREVIEW_KEYS,
    Policy,
    format_param,
    label_of,
)
from rotation.formats.safe_write import OutputRefused, Target, write_together
from rotation.formats.tables import TABLES, is_formula_like
from rotation.formats.widths import column_widths, plain
from rotation.formats.xlsxfast import HEADER_FILL, MARKED_FILL, Table, write_tables

# -- cells ----------------------------------------------------------------------------------


def safe_cell(value: Any, ws: Any = None) -> Any:
    """A value for openpyxl's `ws.append`: risky text becomes a cell pinned as plain text.

    openpyxl stores any string starting with "=" as a formula and "#N/A"-like strings as error
    values; forcing the data type to 's' keeps the text exactly (no apostrophe is added).
    Characters XML cannot hold are dropped rather than failing the whole export.
    """
    value = plain(value)
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if is_formula_like(value) or value in ERROR_CODES:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def set_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one value at (row, column) of an ordinary worksheet, as safely as `safe_cell`."""
    value = plain(value)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        if is_formula_like(value) or value in ERROR_CODES:
            cell.data_type = "s"
    else:
        cell.value = value
    return cell


# -- openpyxl sheets ------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
#: Header fill of ordinary columns, and of marked ones (the template's required columns).
HEADER_PATTERN = PatternFill("solid", fgColor=HEADER_FILL)
MARKED_PATTERN = PatternFill("solid", fgColor=MARKED_FILL)


def style_sheet(
    ws: Any,
    *,
    widths: Sequence[float] | None = None,
    header_rows: int = 1,
    landscape: bool = True,
) -> None:
    """Frozen header, fitted widths and print set-up (fit to page width, header on every page).

    For an ordinary worksheet the widths are fitted to its content when not given. For a
    write-only worksheet call this before `write_rows`, with widths from `column_widths`.
    """
    if widths is None:
        values = ws.iter_rows(values_only=True)
        header = next(values, ())
        widths = column_widths(header, values)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if header_rows:
        ws.freeze_panes = f"A{header_rows + 1}"
        ws.print_title_rows = f"1:{header_rows}"
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def header_cells(ws: Any, header: Sequence[str], marked: Collection[int] = ()) -> list[Any]:
    """Bold, filled header cells; columns whose index is in `marked` get the marked fill."""
    cells = []
    for i, text in enumerate(header):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = HEADER_FONT
        cell.fill = MARKED_PATTERN if i in marked else HEADER_PATTERN
        cells.append(cell)
    return cells


def write_rows(
    ws: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    marked: Collection[int] = (),
) -> None:
    """Append a styled header row, then the rows with every cell passed through `safe_cell`.

    Works on ordinary and write-only worksheets (on an ordinary one, start from an empty sheet).
    """
    ws.append(header_cells(ws, header, marked))
    for row in rows:
        ws.append([safe_cell(v, ws) for v in row])


# -- the district export ----------------------------------------------------------------------

#: Columns of the 规则 sheet beyond POLICY_COLUMNS, for people only (the reader ignores them).
POLICY_LABEL_HEADER = "中文名称"
POLICY_DESCRIPTION_HEADER = "说明"


def required_header_indexes(sheet: str) -> frozenset[int]:
    """Header columns drawn with the marked fill: the columns a sheet cannot do without."""
    for model in ROW_MODELS:
        if sheet == model.SHEET:
            required = model.required_columns()
            return frozenset(i for i, name in enumerate(model.columns()) if name in required)
    return frozenset({0, 2}) if sheet == POLICY_SHEET else frozenset()  # 参数 and 值


def policy_cell(key: str, value: Any) -> Any:
    """A parameter value for a 规则 cell: whole numbers stay numbers, the rest as format_param."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return format_param(key, value) or None


def district_tables(district: District) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Every sheet of the input workbook for this district: (sheet, Chinese header, rows)."""
    tables: list[tuple[str, list[str], list[list[Any]]]] = []
    for model in ROW_MODELS:
        items = getattr(district, TABLES[model])
        if model.PREVIEW and not items:
            continue  # a sheet read but not yet planned: written only when it has rows
        columns = {
            name: header
            for name, header in model.columns().items()
            if name not in model.PREVIEW_COLUMNS
            or any(getattr(item, name) is not None for item in items)
        }
        fields = list(columns)
        rows = []
        for item in items:
            values = item.__dict__
            rows.append([plain(values[f]) for f in fields])
        tables.append((model.SHEET, list(columns.values()), rows))
    policy = district.policy
    rows = [
        [key, label_of(key), policy_cell(key, getattr(policy.district, key)), None]
        for key in PARAMETER_KEYS
        if key not in PREVIEW_KEYS
        or getattr(policy.district, key) != Policy.model_fields[key].default
    ]
    for group_id, overrides in policy.group_overrides.items():
        rows += [
            [key, label_of(key), policy_cell(key, value), group_id]
            for key, value in overrides.items()
        ]
    header = [
        POLICY_COLUMNS["key"][0],
        POLICY_LABEL_HEADER,
        POLICY_COLUMNS["value"][0],
        POLICY_COLUMNS["group_id"][0],
    ]
    tables.append((POLICY_SHEET, header, rows))
    return tables


def district_target(path: Path) -> Target:
    """What `write_district` writes at `path`: a file (.xlsx, .json), or else a folder holding
    one CSV file per sheet (the only files an existing folder there may hold to be replaced)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".json"):
        return Target(path)
    if path.suffix:
        raise OutputRefused(
            path,
            f"不能写入「{path.name}」：输出应为 .xlsx 或 .json 文件，或一个不带扩展名的文件夹（写 CSV）",
        )
    sheets = [model.SHEET for model in ROW_MODELS] + [POLICY_SHEET]
    return Target(path, frozenset(f"{sheet}.csv" for sheet in sheets))


def write_district(district: District, path: Path, *, force: bool = False) -> None:
    """The district as an input workbook (.xlsx), a .json document, or else a folder of CSVs.

    Whatever the format, `read_district` gives the same district back (the district's name is
    the JSON "name", or the file or folder name for the others).
    """
    target = district_target(path)
    suffix = target.path.suffix.lower()
    tables = district_tables(district)

    def writer(temp: Path) -> None:
        if suffix == ".xlsx":
            _write_xlsx(tables, temp)
        elif suffix == ".json":
            _write_json(district.name, tables, temp)
        else:
            _write_csv_folder(tables, temp)

    write_together([(target, writer)], force=force)


def _write_xlsx(tables: list[tuple[str, list[str], list[list[Any]]]], path: Path) -> None:
    write_tables(
        path,
        [
            Table(
                name,
                header,
                rows,
                marked=required_header_indexes(name),
                widths=column_widths(header, rows),
            )
            for name, header, rows in tables
        ],
    )


def _write_json(
    name: str, tables: list[tuple[str, list[str], list[list[Any]]]], path: Path
) -> None:
    # One row object per line: readable, diff-friendly, and json's fast C encoder does the work
    # (an `indent` would switch it to the pure-Python one, 3× slower here).
    parts = ["{\n", f'"name": {json.dumps(name, ensure_ascii=False)}']
    for sheet, header, rows in tables:
        lines = ",\n".join(
            json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) for row in rows
        )
        parts.append(f',\n"{sheet}": [\n{lines}\n]' if rows else f',\n"{sheet}": []')
    parts.append("\n}\n")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(parts))


def csv_text(value: Any) -> Any:
    """A CSV field: formula-like text gets a leading apostrophe (the reader removes it)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def _write_csv_folder(tables: list[tuple[str, list[str], list[list[Any]]]], path: Path) -> None:
    path.mkdir()
    for sheet, header, rows in tables:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([csv_text(v) for v in row] for row in rows)
        # UTF-8 with BOM: what Excel needs to open a Chinese CSV without mojibake.
        (path / f"{sheet}.csv").write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
