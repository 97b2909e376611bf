"""Writing: atomic replacement, formula-proof cells, and district exports that read back equal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from models import Demand, District, EntrustedPair, Group, OngoingRotation, Pin, PolicySet, School
from models.policy import Policy, parse_param
from rotation.formats.reading import read_district
from rotation.formats.safe_write import OutputExists, OutputRefused, atomic_write
from rotation.formats.tables import is_formula_like
from rotation.formats.widths import column_widths, display_width
from rotation.formats.writing import (
    safe_cell,
    style_sheet,
    write_district,
    write_rows,
)

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

RISKY = ["=1+2", "@x", "+86 123", "-1", " =SUM(A1)", "\t=cmd", "\r=cmd", "#N/A", "=", "'=x"]


def rich_district() -> District:
    """The tiny test district with every optional table, odd texts and group overrides."""
    schools = [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False),
        School(
            school_id="S2",
            name="乡镇小学",
            group_id="G1",
            stage="小学",
            weak=True,
            lon=100.4,
            lat=38.9,
        ),
        School(school_id="007", name="九年制学校", group_id="G1", stage="九年一贯", weak=False),
        School(school_id="S4", name="东区小学", group_id="G2", stage="小学", weak=False),
        School(school_id="S5", name="西区小学", group_id="G2", stage="小学", weak=True),
    ]
    teachers = [
        teacher("T1", "S1", name="=1+2", backbone="市级骨干", management=True),
        teacher("T2", "S1", name="@x", preferred_schools=("S2", "007"), volunteer=True),
        teacher("T3", "S2", name="-张三", title="一级教师", retirement_year=2040),
        teacher("0042", "007", teaching_stage="初中", deferral="哺乳期", gender="男"),
        teacher("T5", "S4", school_recommended=True, subject="语文"),
        teacher("T6", "S5", subject="英语"),
    ]
    policy = PolicySet(
        district=Policy(
            plan_year=2025,
            min_rotation_ratio=Decimal("0.125"),
            min_rotation_ratio_by_size=parse_param("min_rotation_ratio_by_size", "1-2:8%,3-:12.5%"),
            lead_outflow_ratio=Decimal("0.2"),
            exam_subjects=("语文", "数学"),
            exam_inflow_only=False,
        ),
        group_overrides={"G2": {"min_years_at_school": 5, "max_outflow_share": Decimal("0.3")}},
    )
    return build_district(
        groups=[
            Group(group_id="G1", name="城关教育集团", lead_school_id="S1", type="紧密型"),
            Group(group_id="G2", name="东西学区", lead_school_id="S4"),
        ],
        schools=schools,
        teachers=teachers,
        ongoing=[
            OngoingRotation(
                teacher_id="T3",
                from_school_id="S2",
                to_school_id="S1",
                start_year=2023,
                end_year=2025,
            )
        ],
        demand=[Demand(school_id="S2", subject="数学", count=2)],
        entrusted=[EntrustedPair(supporting_school_id="S1", aided_school_id="S2")],
        pins=[
            Pin(teacher_id="T1", kind="必须交流至", school_id="S2", reason="组织安排"),
            Pin(teacher_id="T2", kind="不得交流"),
        ],
    ).replace(policy=policy)


# -- atomic writes ---------------------------------------------------------------------------


def test_atomic_write_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.txt"
    atomic_write(out, lambda p: p.write_text("one", encoding="utf-8"), force=False)
    with pytest.raises(OutputExists) as excinfo:
        atomic_write(out, lambda p: p.write_text("two", encoding="utf-8"), force=False)
    assert excinfo.value.path == out
    assert out.read_text(encoding="utf-8") == "one"
    atomic_write(out, lambda p: p.write_text("two", encoding="utf-8"), force=True)
    assert out.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old", encoding="utf-8")

    def crash(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(out, crash, force=True)
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_folder_output_replaces_only_a_folder_of_its_own_files(tmp_path: Path) -> None:
    out = tmp_path / "csv"

    def folder(content: str, *, force: bool) -> None:
        def write(path: Path) -> None:
            path.mkdir()
            (path / "a.csv").write_text(content, encoding="utf-8")

        atomic_write(out, write, force=force, folder_files={"a.csv"})

    folder("one", force=False)
    with pytest.raises(OutputExists):
        folder("two", force=False)
    folder("two", force=True)
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    assert (out / "a.csv").read_text(encoding="utf-8") == "two"
    (out / "说明.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputRefused, match="其他内容"):
        folder("three", force=True)
    assert (out / "说明.txt").read_text(encoding="utf-8") == "keep"
    assert (out / "a.csv").read_text(encoding="utf-8") == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["csv"]


def test_write_district_refuses_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "d.xlsx"
    out.write_bytes(b"keep")
    with pytest.raises(OutputExists):
        write_district(rich_district(), out)
    assert out.read_bytes() == b"keep"


# -- formula-proof cells ---------------------------------------------------------------------


def test_what_counts_as_formula_like() -> None:
    assert all(is_formula_like(text) for text in RISKY if text not in ("#N/A", "'=x"))
    assert not any(is_formula_like(text) for text in ("张三", "S1", "1-2", "a=b", "", "'=x"))


def test_safe_cells_keep_the_exact_text_and_are_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "safe.xlsx"
    workbook = openpyxl.Workbook()
    ws = workbook.active
    write_rows(ws, ["姓名", "数字"], [[text, 1] for text in RISKY])
    style_sheet(ws)
    workbook.save(path)

    reread = openpyxl.load_workbook(path)["Sheet"]
    assert [c.data_type for c in reread["A"][1:]] == ["s"] * len(RISKY)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Sheet").to_python()
    # XML itself turns a carriage return into a line feed; everything else is kept exactly.
    assert [r[0] for r in rows[1:]] == [text.replace("\r", "\n") for text in RISKY]
    assert reread.freeze_panes == "A2"
    assert reread.print_title_rows == "$1:$1"
    assert reread.page_setup.orientation == "landscape"
    assert reread["A1"].font.b


def test_safe_cell_passes_other_values_through() -> None:
    assert safe_cell("张三") == "张三"
    assert safe_cell(3) == 3
    assert safe_cell(True) == "是"
    assert safe_cell(("S1", "S2")) == "S1、S2"
    assert safe_cell(None) is None
    assert safe_cell("a\x01b") == "ab"


def test_widths_count_chinese_characters_double() -> None:
    assert display_width("ab") == 2 and display_width("教师") == 4
    widths = column_widths(["编号", "姓名"], [["T1", "欧阳" * 50]])
    assert widths[0] == 7 and widths[1] == 60
    assert display_width("ＡＢ") == 4 and display_width("a教") == 3 and display_width(12) == 2
    # a text met again is measured from memory: the same widths
    rows = [["T1", "张三"], ["T22", "张三"], ["T1", "欧阳修文"]]
    assert column_widths(["编号", "姓名"], rows) == [7.0, 10.0]


def test_shared_strings_escape_only_what_needs_it() -> None:
    from rotation.formats.xlsxfast import _shared_strings, _xml_text

    plain = ["张三", "=1+2", " lead ", "007"]
    special = ["a\r\nb", "<&>", "x\x01y", "\ufffe"]
    for texts in (plain, plain + special):
        strings = {t: i for i, t in enumerate(texts)}
        items = "".join(f'<si><t xml:space="preserve">{_xml_text(t)}</t></si>' for t in texts)
        assert items in _shared_strings(strings)


# -- the district export ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["测试区.xlsx", "测试区.json", "测试区"])
def test_written_district_reads_back_equal(tmp_path: Path, target: str) -> None:
    district = rich_district()
    out = tmp_path / target
    write_district(district, out)
    assert read_district(out).model_dump() == district.model_dump()


def test_the_three_formats_read_the_same(tmp_path: Path) -> None:
    district = rich_district()
    dumps = []
    for sub, target in (("a", "测试区.xlsx"), ("b", "other.json"), ("c", "测试区")):
        out = tmp_path / sub / target
        write_district(district, out)
        dumps.append(read_district(out).model_dump())
    assert dumps[0] == dumps[1] == dumps[2]


def test_xlsx_export_has_chinese_sheets_and_text_cells(tmp_path: Path) -> None:
    out = tmp_path / "测试区.xlsx"
    write_district(rich_district(), out)
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [
        "集团",
        "学校",
        "教师",
        "在岗交流",
        "需求",
        "托管",
        "锁定",
        "走教需求",
        "规则",
    ]
    teachers = workbook["教师"]
    assert teachers["A1"].value == "教师编号" and teachers.freeze_panes == "A2"
    assert teachers["B2"].value == "=1+2" and teachers["B2"].data_type == "s"
    assert teachers["A5"].value == "0042"
    rules = [row for row in workbook["规则"].iter_rows(min_row=2, values_only=True)]
    assert ("min_rotation_ratio", "最低交流比例", "12.5%", None) in rules
    assert ("max_outflow_share", "单校流出比例上限", "30%", "G2") in rules


def test_csv_export_is_utf8_with_bom_and_guards_formulas(tmp_path: Path) -> None:
    out = tmp_path / "测试区"
    write_district(rich_district(), out)
    raw = (out / "教师.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "'=1+2" in text and "'@x" in text and "'-张三" in text
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{s}.csv"
        for s in ("集团", "学校", "教师", "在岗交流", "需求", "托管", "锁定", "走教需求", "规则")
    )


def test_fast_xlsx_tables_keep_text_exactly(tmp_path: Path) -> None:
    from rotation.formats.xlsxfast import Table, column_letter, write_tables

    texts = ["\r=cmd", "a\r\nb", "=1+2", "#N/A", "<&>\"'", " lead ", "007", "x\x01y"]
    path = tmp_path / "t.xlsx"
    write_tables(path, [Table("表一", ["文字", "数"], [[t, i] for i, t in enumerate(texts)])])
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表一").to_python()
    assert [r[0] for r in rows[1:]] == [t.replace("\x01", "") for t in texts]
    assert [r[1] for r in rows[1:]] == list(range(len(texts)))
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_streaming_writer_titles_filters_styles_and_charts(tmp_path: Path) -> None:
    """A title row above the header, an AutoFilter, named styles and a supplied chart part."""
    import zipfile

    from openpyxl.chart import BarChart, Reference
    from openpyxl.xml.functions import tostring

    from rotation.formats.xlsxfast import Chart, Styled, Table, write_tables

    bars = BarChart()
    bars.add_data(Reference(openpyxl.Workbook().active, min_col=2, min_row=2, max_row=4))
    chart = tostring(bars._write())
    table = Table(
        "表",
        ["名称", "比例"],
        [["甲", Styled(0.125, "percent")], [Styled("小计", "section"), True]],
        title=Styled("闵行区 2025学年标题", "warning_title"),
        autofilter=True,
        columns=3,
        charts=[Chart(chart, (4, 1), (10, 12))],
    )
    path = tmp_path / "t.xlsx"
    write_tables(path, [table, Table("二", ["a"], [[1]])])
    sheet = openpyxl.load_workbook(path)["表"]
    assert len(sheet._charts) == 1
    assert sheet["A1"].value == "闵行区 2025学年标题" and sheet["A1"].font.color.rgb == "FFC00000"
    assert [c.value for c in sheet[2]][:2] == ["名称", "比例"]
    assert sheet["B3"].value == 0.125 and sheet["B3"].number_format == "0.0%"
    assert sheet["B4"].value is True and sheet["A4"].font.bold
    assert sheet.auto_filter.ref == "A2:C4" and sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$2:$2" and "A1:C1" in sheet.merged_cells
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/charts/chart1.xml") == chart
        assert "drawing1.xml" in z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    assert "/xl/charts/chart1.xml" in types and "/xl/drawings/drawing1.xml" in types


def test_the_zip_threads_errors_reach_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    import rotation.formats.xlsxfast as xlsxfast

    table = xlsxfast.Table("表一", ["文字"], [["甲"], ["乙"]])
    real_write = xlsxfast._Part.write

    def full(self: object, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    # an error in the zip's own thread (the disk is full): the caller sees it, not a ValueError
    # about a part left open
    monkeypatch.setattr(zipfile._ZipWriteFile, "write", full)
    with pytest.raises(OSError, match="No space"):
        xlsxfast.write_tables(tmp_path / "a.xlsx", [table])
    monkeypatch.undo()

    # an error while making the rows: raised as it is, the zip's thread ended
    def broken(out: object, table: object, strings: object) -> None:
        real_write(out, b"<worksheet>")  # type: ignore[arg-type]
        raise RuntimeError("bug")

    monkeypatch.setattr(xlsxfast, "_write_sheet", broken)
    with pytest.raises(RuntimeError, match="bug"):
        xlsxfast.write_tables(tmp_path / "b.xlsx", [table])
    monkeypatch.undo()
    xlsxfast.write_tables(tmp_path / "c.xlsx", [table])
    rows = CalamineWorkbook.from_path(str(tmp_path / "c.xlsx")).get_sheet_by_name("表一")
    assert rows.to_python() == [["文字"], ["甲"], ["乙"]]
