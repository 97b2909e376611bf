"""Checks on an .xlsx workbook before the Excel library reads it.

The library (calamine) holds a sheet as one dense grid from A1 to its farthest cell and
unpacks every part in memory: a 26 KB workbook with one cell at XFD1048576 would ask for
512 GB and abort the process, and a small zip may unpack to gigabytes. So the zip's sizes
are checked first, then each input sheet's real extent, by streaming the sheet XML once: the
cell references (``r="XFD5"``) past column Z or row 99,999, and — for the rare sheet whose rows
or cells omit ``r`` — the positions the library gives them. The declared range
(``<dimension ref>``) is not trusted either way: the library does not use it. The same pass
notes Excel error values (#N/A, #REF!…), which the library reads as blank cells.

The limits are named here and listed in README.md (输入限制 / input limits).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree import ElementTree

from rotation.formats.xlsxfast import column_letter

#: Total unpacked size of all parts of a workbook.
MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB
#: Unpacked size of one part (a sheet, the shared strings).
MAX_PART_BYTES = 512 << 20  # 512 MiB
#: Unpacked / packed size of a part larger than `RATIO_CHECK_BYTES`: real workbooks pack
#: 5-20 times; far more means a crafted file (a zip bomb).
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_BYTES = 16 << 20  # 16 MiB
#: Columns of one input sheet (the widest template sheet has fewer than 30).
MAX_COLUMNS = 200
#: Rows of one input sheet: Excel's own limit.
MAX_ROWS = 1_048_576
#: Cells from A1 to a sheet's farthest cell holding a value: the library allocates every one of
#: them (some 50 bytes each). 100,000 teachers × 16 columns are 1,600,000; a single stray
#: cell at A1048576 below 16 columns would be 16,777,216.
MAX_SHEET_CELLS = 5_000_000
#: Size of the small XML parts (workbook.xml and its relationships) parsed as documents.
_MAX_INDEX_BYTES = 16 << 20
_CHUNK = 8 << 20

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: A cell reference past column Z or at row 100,000 or beyond: rare in real input sheets.
#: (Starting with the literal r=" lets the regex engine skip ahead fast; the character before
#: is checked on the few matches.)
_FAR_REF = re.compile(rb'r="[A-Z](?:[A-Z]|\d{6})')
_REF = re.compile(rb'r="([A-Z]+)(\d+)"')
_SPACES = frozenset(b" \t\r\n")


class WorkbookRefused(Exception):
    """The workbook (or one of its sheets) is over a limit; the message is Chinese."""

    def __init__(self, message: str, sheet: str = "") -> None:
        super().__init__(message)
        self.sheet = sheet


@dataclass
class SheetScan:
    """What the scan found in one sheet: its extent and Excel error values by (row, column),
    both counted from 1."""

    rows: int = 0
    columns: int = 0
    #: Besides Excel error values: numbers too small for the library ("#NUM:1e-400").
    #: The cells that reach the farthest row and column (A1048576), for messages.
    far_row: str = "A1"
    far_column: str = "A1"
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


def column_number(letters: bytes | str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    number = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(ch) - 64
    return number


def scan_workbook(path: str, wanted: Callable[[str], bool]) -> dict[str, SheetScan]:
    """Sheet name → scan, for the sheets `wanted` accepts; WorkbookRefused over a limit.

    A file that is not a zip is left to the library (an .xls or a password-protected .xlsx
    are not zips); a zip without worksheet parts (.ods, .xlsb) gets the size checks only.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return {}
    with archive:
        _check_sizes(archive)
        parts = _sheet_parts(archive)
        scans: dict[str, SheetScan] = {}
        for name, part in parts.items():
            if wanted(name) and part in archive.NameToInfo:
                scans[name] = _scan_sheet(archive, part, name)
        return scans


def _check_sizes(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise WorkbookRefused(
            f"工作簿解压后共 {total >> 20} MB，超过上限 {MAX_UNPACKED_BYTES >> 20} MB："
            "文件异常（可能是压缩炸弹），请只保留需要的工作表后另存"
        )
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise WorkbookRefused(
                f"工作簿中的「{info.filename}」解压后 {info.file_size >> 20} MB，"
                f"超过上限 {MAX_PART_BYTES >> 20} MB：请删除多余的内容后另存"
            )
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_BYTES and info.file_size / packed > MAX_COMPRESSION_RATIO:
            raise WorkbookRefused(
                f"工作簿中的「{info.filename}」压缩比异常（{info.file_size // packed} 倍）："
                "文件可能是恶意构造的，未读取"
            )


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part (xl/worksheets/sheet1.xml), from workbook.xml and its rels."""
    book = _small_xml(archive, "xl/workbook.xml")
    rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.get("Id")}
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID))
        name = sheet.get("name")
        if not target or name is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts[name] = _normalise_part(part)
    return parts


def _normalise_part(part: str) -> str:
    pieces: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if pieces:
                pieces.pop()
        elif piece and piece != ".":
            pieces.append(piece)
    return "/".join(pieces)


def _small_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    info = archive.NameToInfo.get(name)
    if info is None or info.file_size > _MAX_INDEX_BYTES:
        return None
    try:
        return ElementTree.fromstring(archive.read(info))
    except (ElementTree.ParseError, zipfile.BadZipFile, ValueError, OSError):
        return None  # the library will say the file is damaged


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """The part's bytes in pieces that end after a complete cell (``</c>``) where possible."""
    carry = b""
    while True:
        block = handle.read(_CHUNK)
        if not block:
            if carry:
                yield carry
            return
        data = carry + block
        cut = data.rfind(b"</c>")
        if cut < 0 or len(data) - cut > _CHUNK:
            cut = max(len(data) - 64, 0)  # keep a short overlap for references split apart
            yield data
            carry = data[cut:]
            continue
        yield data[: cut + 4]
        carry = data[cut + 4 :]


def _scan_sheet(archive: zipfile.ZipFile, part: str, name: str) -> SheetScan:
    scan = SheetScan()
    positional = False
    with archive.open(part) as handle:
        for chunk in _chunks(handle):
            if scan.columns == 0:
                scan.columns = _first_row_width(chunk)
            positional = positional or _lacks_references(chunk)
            for match in _FAR_REF.finditer(chunk):
                at = match.start()
                ref = _REF.match(chunk, at) if at and chunk[at - 1] in _SPACES else None
                if ref is not None:
                    _note_cell(scan, chunk, at, column_number(ref.group(1)), int(ref.group(2)))
            if b't="e"' in chunk:
                _error_cells(chunk, scan.errors)
            if b"e-" in chunk or b"E-" in chunk:
                _tiny_numbers(chunk, scan.errors)
    if positional:
        _scan_positions(archive, part, name, scan)
    _check_extent(scan, name)
    return scan


def _note_cell(scan: SheetScan, chunk: bytes, at: int, column: int, row: int) -> None:
    """Widen the scan's extent to a far cell, unless the cell holds no value: the library
    leaves such cells (a formatted empty cell) out of its grid."""
    if column <= scan.columns and row <= scan.rows:
        return
    if not _within(scan.rows, scan.columns, row, column) and not _has_value(chunk, at):
        return
    if row > scan.rows:
        scan.rows, scan.far_row = row, f"{column_letter(column - 1)}{row}"
    if column > scan.columns:
        scan.columns, scan.far_column = column, f"{column_letter(column - 1)}{row}"


def _first_row_width(chunk: bytes) -> int:
    """Columns of the first row (the header): the width of the grid below it, as far as the
    scan, which notes only cells past column Z, can tell."""
    start = chunk.find(b"<row")
    end = chunk.find(b"</row>", start) if start >= 0 else -1
    refs = _REF.findall(chunk, start, end) if end >= 0 else []
    return max((column_number(letters) for letters, _row in refs), default=0)


def _within(rows: int, columns: int, row: int, column: int) -> bool:
    rows, columns = max(rows, row, 1), max(columns, column, 1)
    return columns <= MAX_COLUMNS and rows <= MAX_ROWS and rows * columns <= MAX_SHEET_CELLS


def _has_value(chunk: bytes, at: int) -> bool:
    """Whether the cell whose tag holds position `at` has content (a value, a string, a
    formula); a cell cut off at the end of the piece counts as having one."""
    end = chunk.find(b">", at)
    if end < 0:
        return True
    if chunk[end - 1 : end] == b"/":
        return False
    close = chunk.find(b"c>", end)
    body = chunk[end:close] if close >= 0 else chunk[end:]
    return close < 0 or any(tag in body for tag in (b"v>", b"<is", b":is", b"f>", b"<f", b":f"))


def _lacks_references(chunk: bytes) -> bool:
    """Whether this piece may hold a cell without an ``r`` attribute (or a cell tag with a
    namespace prefix), found by counting: true for every such piece, rarely for others. (A row
    without ``r`` matters only through cells without one.)"""
    missing = chunk.count(b"<c") - chunk.count(b'<c r="')
    return (missing > 0 and missing != chunk.count(b"<co")) or b":c" in chunk


#: Start tags of rows and cells with their attributes (an ``r`` among them or not).
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_ATTR_R = re.compile(rb"""\sr\s*=\s*["']([A-Z]*)(\d*)["']""")


def _scan_positions(archive: zipfile.ZipFile, part: str, name: str, scan: SheetScan) -> None:
    """The extent of a sheet some of whose rows or cells omit ``r``: the library puts such a row
    after the previous one and such a cell after the previous cell of its row. One more pass
    over the tags, stopped as soon as a limit is passed."""
    row = column = 0
    with archive.open(part) as handle:
        for chunk in _tag_chunks(handle):
            for tag in _TAG.finditer(chunk):
                ref = _ATTR_R.search(tag.group(2))
                if tag.group(1) == b"row":
                    row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                    column = 0
                    continue
                if ref and ref.group(1):
                    column = column_number(ref.group(1))
                    row = int(ref.group(2) or row)
                else:
                    column += 1
                _note_cell(scan, chunk, tag.start(), column, row)
                if not _within(scan.rows, scan.columns, 0, 0):
                    _check_extent(scan, name)


def _tag_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """The part's bytes in pieces that end after a tag's ``>``, so that no tag is cut."""
    carry = b""
    while block := handle.read(_CHUNK):
        data = carry + block
        cut = data.rfind(b">") + 1
        if cut == 0 and len(data) > _CHUNK:
            cut = len(data)  # no tag at all in a whole piece: nothing to keep
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _check_extent(scan: SheetScan, name: str) -> None:
    rows, columns = max(scan.rows, 1), max(scan.columns, 1)
    far = scan.far_row
    if columns > MAX_COLUMNS:
        reason, far = f"超过 {MAX_COLUMNS} 列", scan.far_column
    elif rows > MAX_ROWS:
        reason = f"超过 {MAX_ROWS} 行"
    elif rows * columns > MAX_SHEET_CELLS:
        reason = f"从 A1 起共 {rows} 行 × {columns} 列，超过 {MAX_SHEET_CELLS} 个单元格"
    else:
        return
    raise WorkbookRefused(
        f"工作表「{name}」的数据延伸到 {far} 单元格，{reason}：请删除远处多余的单元格"
        "（选中多余的行和列后“删除”，不是只清除内容），保存后重试",
        sheet=name,
    )


_CELL_TAG = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


_TINY = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?)\br="([A-Z]+)(\d+)"([^>]*)>\s*<(?:\w+:)?v>([^<]*[eE]-[^<]*)<'
)


def _tiny_numbers(chunk: bytes, found: dict[tuple[int, int], str]) -> None:
    """Numbers written with a negative power of ten so small (1e-400) that the library reads
    them as 0: their text, so that a whole-number column can refuse them as written."""
    for match in _TINY.finditer(chunk):
        before, letters, row, after, text = match.groups()
        kind = re.search(rb'\bt="(\w+)"', before + after)
        if kind is not None and kind.group(1) != b"n":
            continue
        written = text.decode("ascii", "replace").strip()
        try:
            number = float(written)
        except ValueError:
            continue
        if number == 0 and any(c in "123456789" for c in written.lower().partition("e")[0]):
            found[(int(row), column_number(letters))] = "#NUM:" + written


def _error_cells(chunk: bytes, errors: dict[tuple[int, int], str]) -> None:
    """Cells of type e (an Excel error value such as #N/A) in this piece of the sheet."""
    at = chunk.find(b't="e"')
    while at >= 0:
        start = chunk.rfind(b"<", 0, at)
        tag = _CELL_TAG.match(chunk, start) if start >= 0 else None
        end = chunk.find(b"</", at)
        close = chunk.find(b"c>", end) if end >= 0 else -1
        if tag is not None and close >= 0:
            value = _VALUE.search(chunk, at, close + 2)
            text = value.group(1).decode("utf-8", "replace") if value else "#错误"
            errors[(int(tag.group(2)), column_number(tag.group(1)))] = text
        at = chunk.find(b't="e"', at + 5)
