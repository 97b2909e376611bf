"""A minimal streaming .xlsx writer for big plain tables (the district export).

openpyxl spends ~20 µs per cell on this machine: a 100,000-teacher district took 32 s to write,
with or without lxml, and xlsxwriter 20 s. Writing the few XML parts Excel needs directly takes
about 2 s. Only what a data table needs is supported: text (always as shared strings, so a
value such as "=1+2" is text and never a formula), numbers, blanks; a styled and frozen header
row; fitted column widths; landscape print set-up fitted to the page width with the header row
repeated on every printed page; optionally a title row above the header (merged across the
table), an AutoFilter on the header, a few named cell styles (`Styled`) and charts whose XML the
caller supplies (`Chart`); data validations (drop-downs) given as XML. Anything richer
(comments, wrapped text) is written with openpyxl through `rotation.formats.writing`.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Characters XML 1.0 cannot carry at all; they are dropped rather than failing the export.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROWS_PER_CHUNK = 2000

#: Header fills: ordinary columns and marked (required) ones; the same colours as openpyxl sheets.
HEADER_FILL = "FFDDEBF7"
MARKED_FILL = "FFFCE4D6"


#: Named cell styles (`Styled.style`) → cellXfs index in `_STYLES`.
STYLES = {
    "header": 1,
    "marked": 2,
    "title": 3,
    "warning_title": 4,
    "section": 5,
    "percent": 6,
    "warning": 7,
}


@dataclass(frozen=True)
class Styled:
    """A cell drawn with one of the named `STYLES` (a section heading, a percentage…)."""

    value: Any
    style: str


@dataclass(frozen=True)
class Chart:
    """A chart part (a `c:chartSpace` document) anchored over cells: 0-based (column, row) of
    its top-left and bottom-right corners."""

    xml: bytes
    top_left: tuple[int, int]
    bottom_right: tuple[int, int]


@dataclass
class Table:
    """One sheet: header, rows, the header columns drawn with the marked fill, column widths;
    optionally a title row above the header, an AutoFilter, a minimum number of columns (when
    some rows are wider than the header) and charts."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    marked: frozenset[int] = field(default_factory=frozenset)
    widths: Sequence[float] | None = None
    title: Styled | None = None
    autofilter: bool = False
    columns: int = 0
    charts: Sequence[Chart] = ()
    #: ``<dataValidation>`` elements (drop-downs, whole-number ranges) as XML text.
    validations: Sequence[str] = ()

    @property
    def header_row(self) -> int:
        """The 1-based row of the header (2 below a title)."""
        return 2 if self.title is not None else 1

    def plain_header(self) -> list[str]:
        """The header, padded with blank names to `columns`."""
        header = list(self.header)
        return header + [""] * (self.columns - len(header))

    def plain_rows(self) -> list[list[Any]]:
        """The rows as values (styles dropped), padded to `columns` when it is set."""
        width = self.columns
        result = []
        for row in self.rows:
            values = [c.value if isinstance(c, Styled) else c for c in row]
            result.append(values + [None] * (width - len(values)) if width else values)
        return result


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_tables(path: Path, tables: Sequence[Table]) -> None:
    """Write the tables as one workbook at `path` (callers make it atomic).

    The zip is written by a thread of its own (`_ZipWriter`): deflating a city's ~50 MB of sheet
    XML (zlib lets other threads run meanwhile) overlaps with making the next rows' XML here."""
    strings: dict[str, int] = {}
    charts = 0
    zf = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
    with zf, _ZipWriter(zf) as writer:
        for number, table in enumerate(tables, 1):
            with writer.part(f"xl/worksheets/sheet{number}.xml") as out:
                _write_sheet(out, table, strings)
            if table.charts:
                writer.submit(partial(_write_drawing, zf, number, table.charts, charts + 1))
                charts += len(table.charts)
        drawings = [n for n, t in enumerate(tables, 1) if t.charts]
        for name, text in (
            ("xl/sharedStrings.xml", _shared_strings(strings)),
            ("xl/styles.xml", _STYLES),
            ("xl/workbook.xml", _workbook(tables)),
            ("xl/_rels/workbook.xml.rels", _workbook_rels(len(tables))),
            ("_rels/.rels", _ROOT_RELS),
            ("[Content_Types].xml", _content_types(len(tables), drawings, charts)),
        ):
            writer.submit(partial(zf.writestr, name, text))


class _ZipWriter:
    """Runs every operation on one zip file, in order, in a thread of its own; the first error
    is raised here (at the next `submit`, or on leaving). After an error only the closing of
    open parts still runs, as it would on leaving their `with` blocks."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.jobs: queue.Queue[tuple[Callable[[], object], bool] | None] = queue.Queue(16)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xlsx-zip", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.jobs.get()) is not None:
            job, always = item
            if self.error is None or always:
                try:
                    job()
                except BaseException as exc:  # raised again in the caller's thread
                    self.error = self.error or exc

    def submit(self, job: Callable[[], object]) -> None:
        """Queue one operation on the zip (raises an earlier operation's error)."""
        if self.error is not None:
            raise self.error
        self.jobs.put((job, False))

    @contextmanager
    def part(self, name: str) -> Iterator[_Part]:
        """A part written piece by piece; closed on leaving, whatever happens."""
        handle: list[IO[bytes]] = []
        self.submit(lambda: handle.append(self.zf.open(name, "w", force_zip64=True)))
        try:
            yield _Part(self, handle)
        finally:
            self.jobs.put((lambda: handle and handle[0].close(), True))

    def __enter__(self) -> _ZipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


@dataclass
class _Part:
    """A zip part being written through a `_ZipWriter`: what `_write_sheet` writes to."""

    writer: _ZipWriter
    handle: list[IO[bytes]]

    def write(self, data: bytes) -> None:
        self.writer.submit(lambda: self.handle[0].write(data))


def _write_drawing(zf: zipfile.ZipFile, sheet: int, charts: Sequence[Chart], first: int) -> None:
    """The sheet's drawing part (drawing{sheet}.xml) holding its charts, chart{first}… ."""
    anchors = []
    rels = []
    for offset, chart in enumerate(charts):
        number = first + offset
        zf.writestr(f"xl/charts/chart{number}.xml", chart.xml)
        rels.append(
            f'<Relationship Id="rId{offset + 1}" Type="{_REL}/chart" '
            f'Target="../charts/chart{number}.xml"/>'
        )
        (c1, r1), (c2, r2) = chart.top_left, chart.bottom_right
        anchors.append(
            "<xdr:twoCellAnchor>"
            f"<xdr:from><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{c2}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r2}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{offset + 2}" name="图表 {offset + 1}"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            f'</xdr:xfrm><a:graphic><a:graphicData uri="{_CHART}">'
            f'<c:chart xmlns:c="{_CHART}" r:id="rId{offset + 1}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>"
            "</xdr:twoCellAnchor>"
        )
    zf.writestr(
        f"xl/drawings/drawing{sheet}.xml",
        f'{_XML_HEAD}<xdr:wsDr xmlns:xdr="{_XDR}" xmlns:a="{_DRAWING}" xmlns:r="{_REL}">'
        f"{''.join(anchors)}</xdr:wsDr>",
    )
    zf.writestr(
        f"xl/drawings/_rels/drawing{sheet}.xml.rels",
        f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>',
    )
    zf.writestr(
        f"xl/worksheets/_rels/sheet{sheet}.xml.rels",
        f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/drawing" Target="../drawings/drawing{sheet}.xml"/></Relationships>',
    )


def _write_sheet(out: IO[bytes] | _Part, table: Table, strings: dict[str, int]) -> None:
    width = max(len(table.header), table.columns, 1)
    letters = [column_letter(i) for i in range(width)]
    top = table.header_row
    last = f"{letters[-1]}{len(table.rows) + top}"
    out.write(_sheet_head(table, letters, last).encode())
    if table.title is not None:
        out.write(
            f'<row r="1" ht="24" customHeight="1">{_cell("A1", table.title, strings)}</row>'.encode()
        )
    header = "".join(
        f'<c r="{letters[i]}{top}" s="{2 if i in table.marked else 1}" t="s">'
        f"<v>{_string_index(str(h), strings)}</v></c>"
        for i, h in enumerate(table.header)
    )
    out.write(f'<row r="{top}">{header}</row>'.encode())
    chunk: list[str] = []
    for number, row in enumerate(table.rows, top + 1):
        cells = []
        for letter, value in zip(letters, row, strict=False):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                index = strings.get(value)
                if index is None:
                    index = _string_index(value, strings)
                cells.append(f'<c r="{letter}{number}" t="s"><v>{index}</v></c>')
            elif kind is int or kind is Decimal or (kind is float and math.isfinite(value)):
                cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
            else:
                cells.append(_cell(f"{letter}{number}", value, strings))
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) >= _ROWS_PER_CHUNK:
            out.write("".join(chunk).encode())
            chunk.clear()
    out.write("".join(chunk).encode())
    out.write(_sheet_tail(table, letters, last).encode())


def _sheet_head(table: Table, letters: list[str], last: str) -> str:
    widths = table.widths or [10.0] * len(table.header)
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:.1f}" customWidth="1"/>'
        for i, w in enumerate(widths, 1)
    )
    top = table.header_row
    return (
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{top}" topLeftCell="A{top + 1}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{top + 1}" sqref="A{top + 1}"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
    )


def _sheet_tail(table: Table, letters: list[str], last: str) -> str:
    """After the rows, in the order the schema requires: AutoFilter, the title's merged cells,
    print set-up, the drawing."""
    tail = "</sheetData>"
    if table.autofilter:
        tail += f'<autoFilter ref="A{table.header_row}:{last}"/>'
    if table.title is not None and len(letters) > 1:
        tail += f'<mergeCells count="1"><mergeCell ref="A1:{letters[-1]}1"/></mergeCells>'
    if table.validations:
        count = len(table.validations)
        tail += f'<dataValidations count="{count}">{"".join(table.validations)}</dataValidations>'
    tail += (
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    )
    if table.charts:
        tail += '<drawing r:id="rId1"/>'
    return tail + "</worksheet>"


def _cell(ref: str, value: Any, strings: dict[str, int]) -> str:
    """A cell that is not plain text or a plain number: a boolean, a styled value, other."""
    style = ""
    if isinstance(value, Styled):
        style = f' s="{STYLES[value.style]}"'
        value = value.value
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    return f'<c r="{ref}"{style} t="s"><v>{_string_index(str(value), strings)}</v></c>'


def _string_index(text: str, strings: dict[str, int]) -> int:
    index = strings.get(text)
    if index is None:
        index = strings[text] = len(strings)
    return index


def _xml_text(text: str) -> str:
    """Escaped element text; a carriage return as a character reference, or XML drops it."""
    text = escape(_ILLEGAL.sub("", text))
    return text.replace("\r", "&#13;") if "\r" in text else text


#: What `_xml_text` changes: most texts have none of it, and are written as they are.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _shared_strings(strings: dict[str, int]) -> str:
    texts = list(strings)
    if _SPECIAL.search("".join(texts)):
        texts = [_xml_text(s) if _SPECIAL.search(s) else s for s in texts]
    items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in texts)
    count = len(strings)
    return f'{_XML_HEAD}<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{count}">{items}</sst>'


def _workbook(tables: Sequence[Table]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(t.name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(tables, 1)
    )
    titles = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{escape(_quoted_sheet(t.name))}!${t.header_row}:${t.header_row}</definedName>"
        for i, t in enumerate(tables)
    )
    titles += "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted_sheet(t.name))}!$A${t.header_row}:"
        f"${column_letter(max(len(t.header), t.columns, 1) - 1)}${len(t.rows) + t.header_row}"
        "</definedName>"
        for i, t in enumerate(tables)
        if t.autofilter
    )
    names = f"<definedNames>{titles}</definedNames>" if titles else ""
    return (
        f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets>{names}</workbook>"
    )


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook_rels(count: int) -> str:
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    rels += f'<Relationship Id="rId{count + 1}" Type="{kind}/styles" Target="styles.xml"/>'
    rels += (
        f'<Relationship Id="rId{count + 2}" Type="{kind}/sharedStrings" '
        'Target="sharedStrings.xml"/>'
    )
    return f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'


def _content_types(count: int, drawings: Sequence[int] = (), charts: int = 0) -> str:
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    drawing = "application/vnd.openxmlformats-officedocument.drawing"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{office}.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/drawings/drawing{i}.xml" ContentType="{drawing}+xml"/>'
        for i in drawings
    )
    sheets += "".join(
        f'<Override PartName="/xl/charts/chart{i}.xml" ContentType="{drawing}ml.chart+xml"/>'
        for i in range(1, charts + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f"{sheets}"
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
        "</Types>"
    )


_ROOT_RELS = (
    f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)

_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<fonts count="6">'
    '<font><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/><family val="2"/><charset val="134"/></font>'
    '<font><b/><sz val="14"/><color rgb="FFC00000"/><name val="等线"/><family val="2"/>'
    '<charset val="134"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF1F4E79"/><name val="等线"/><family val="2"/>'
    '<charset val="134"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFC00000"/><name val="等线"/><family val="2"/>'
    '<charset val="134"/></font>'
    "</fonts>"
    '<fills count="4">'
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="{HEADER_FILL}"/><bgColor indexed="64"/>'
    "</patternFill></fill>"
    f'<fill><patternFill patternType="solid"><fgColor rgb="{MARKED_FILL}"/><bgColor indexed="64"/>'
    "</patternFill></fill>"
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="3" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="4" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="5" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
