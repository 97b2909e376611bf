"""Reading the bureau's workbook: every kind of bad input is located by sheet, Excel row and column.

Each test writes a small workbook with openpyxl (as a clerk's Excel would), breaks one thing and
checks the problem the reader reports. The good cases check the formats read the same district.
"""

from __future__ import annotations

import copy
import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from models import InputError
from rotation.formats.reading import input_sha256, read_district

Sheets = dict[str, list[list[Any]]]

BASE: Sheets = {
    "集团": [["集团编号", "集团名称", "牵头学校编号"], ["G1", "城关教育集团", "S1"]],
    "学校": [
        ["学校编号", "学校名称", "集团编号", "学段", "薄弱学校"],
        ["S1", "城关小学", "G1", "小学", "否"],
        ["S2", "乡镇小学", "G1", "小学", "是"],
        ["S3", "九年制学校", "G1", "九年一贯", "否"],
    ],
    "教师": [
        [
            "教师编号",
            "姓名",
            "学校编号",
            "学科",
            "性别",
            "出生年份",
            "本校连续任教年限",
            "任教学段",
        ],
        ["T1", "张一", "S1", "数学", "女", 1980, 8, None],
        ["T2", "李二", "S1", "语文", "男", 1982, 7, None],
        ["T3", "王三", "S2", "英语", "女", 1985, 9, None],
        ["T4", "赵四", "S3", "物理", "男", 1979, 10, "初中"],
    ],
    "规则": [["参数", "值"], ["plan_year", 2025]],
}


def sheets(**changes: list[list[Any]] | None) -> Sheets:
    """A deep copy of BASE; a sheet given as None is left out."""
    result = copy.deepcopy(BASE)
    for name, rows in changes.items():
        if rows is None:
            result.pop(name)
        else:
            result[name] = rows
    return result


def write_xlsx(path: Path, data: Sheets) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in data.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    workbook.save(path)
    return path


def problems(path: Path, **kwargs: Any) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(InputError) as excinfo:
        read_district(path, **kwargs)
    return [(p.sheet, p.row, p.column, p.message) for p in excinfo.value.errors]


def only(path: Path, **kwargs: Any) -> tuple[str, int | None, str | None, str]:
    """The single error the input has."""
    found = problems(path, **kwargs)
    assert len(found) == 1, found
    return found[0]


def edited(sheet: str, row: int, column: str, value: Any) -> Sheets:
    """BASE with one cell changed (row as Excel numbers it, column by header)."""
    data = sheets()
    header = data[sheet][0]
    data[sheet][row - 1][header.index(column)] = value
    return data


# -- the good case -------------------------------------------------------------------------


def test_a_valid_workbook_reads(tmp_path: Path) -> None:
    district = read_district(write_xlsx(tmp_path / "甘州区.xlsx", sheets()))
    assert district.name == "甘州区"
    assert district.plan_year == 2025
    assert [t.teacher_id for t in district.teachers] == ["T1", "T2", "T3", "T4"]
    assert [t.row for t in district.teachers] == [2, 3, 4, 5]
    assert district.teacher("T4").teaching_stage == "初中"


def test_year_option_overrides_plan_year(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    assert read_district(path, year=2027).plan_year == 2027
    assert only(path, year=1900)[3].startswith("命令行 --year 1900")


def test_blank_rows_and_unknown_columns_are_ignored(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0].append("备注")
    data["教师"][1].append("随便写点")
    data["教师"].insert(3, [None] * 8)
    data["教师"].insert(3, ["  ", "", None, "　", None, None, None, None])
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert [t.row for t in district.teachers] == [2, 3, 6, 7]
    (warning,) = district.warnings  # ignored, but said: nothing is dropped silently
    assert (warning.sheet, warning.row, warning.severity) == ("教师", 1, "warning")
    assert warning.message == "以下列不是模板中的列名，未读入：「备注」"


def test_a_mistyped_optional_header_is_named_with_the_likely_column(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0].append("自愿交流否")  # meant: 自愿交流
    for row in data["教师"][1:]:
        row.append("是")
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert not any(t.volunteer for t in district.teachers)  # not read …
    (warning,) = district.warnings  # … and said so, with the column it probably meant
    assert "第I列「自愿交流否」不是模板中的列名，未读入；是否应为「自愿交流」？" in warning.message


def test_a_mistyped_required_header_gets_a_hint_beside_the_error(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0][3] = "任教学科"  # meant: 学科
    with pytest.raises(InputError) as excinfo:
        read_district(write_xlsx(tmp_path / "d.xlsx", data))
    messages = [(p.severity, p.message) for p in excinfo.value.problems]
    assert ("error", "缺少必填列「学科」（英文列名 subject）") in messages
    assert any(sev == "warning" and "是否应为「学科」" in m for sev, m in messages)


def test_the_templates_own_columns_raise_no_warning(tmp_path: Path) -> None:
    data = sheets(
        规则=[
            ["参数", "中文名称", "值", "集团编号", "说明"],
            ["plan_year", "编制学年", 2025, None, "…"],
        ]
    )
    assert read_district(write_xlsx(tmp_path / "d.xlsx", data)).warnings == []


def test_ids_keep_leading_zeros_and_numbers_become_text(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][1][0] = "007"
    data["教师"][2][0] = 1001  # typed as a number: Excel stores 1001, calamine reads 1001.0
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert [t.teacher_id for t in district.teachers][:2] == ["007", "1001"]


def test_full_width_digits_and_chinese_separators(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0] += ["意向学校", "干部"]
    data["教师"][1][5] = "１９８０"
    data["教师"][1] += ["S2、S3", "Y"]
    data["教师"][2] += ["S2，S3；S1", "TRUE"]
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert district.teacher("T1").birth_year == 1980
    assert district.teacher("T1").preferred_schools == ("S2", "S3")
    assert district.teacher("T2").preferred_schools == ("S2", "S3", "S1")
    assert district.teacher("T1").management and district.teacher("T2").management


def test_english_sheet_names_and_headers(tmp_path: Path) -> None:
    chinese = read_district(write_xlsx(tmp_path / "d.xlsx", sheets()))
    english: Sheets = {
        "Groups": [["group_id", "NAME", "lead_school_id"], *BASE["集团"][1:]],
        "schools": [["school_id", "name", "group_id", "stage", "weak"], *BASE["学校"][1:]],
        "TEACHERS": [
            [
                "Teacher_ID",
                "name",
                "school_id",
                "subject",
                "gender",
                "birth_year",
                "years_at_school",
                "teaching_stage",
            ],
            *BASE["教师"][1:],
        ],
        "policy": [["key", "value"], ["plan_year", 2025]],
    }
    (tmp_path / "en").mkdir()
    other = read_district(write_xlsx(tmp_path / "en" / "d.xlsx", english))
    assert other.model_dump() == chinese.model_dump()


def test_headers_match_after_spaces_and_full_width_are_folded(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0][0] = " 教师 编号 "
    data["学校"][0][4] = "薄弱学校\u3000"
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert district.teacher("T1").name == "张一"


# -- one test per kind of problem ----------------------------------------------------------


def test_missing_sheet(tmp_path: Path) -> None:
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", sheets(教师=None)))
    assert (sheet, row, column) == ("教师", None, None)
    assert "缺少「教师」工作表" in message and "teachers" in message


def test_missing_column(tmp_path: Path) -> None:
    data = sheets()
    for row in data["教师"]:
        del row[3]  # 学科
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("教师", 1, "学科")
    assert "缺少必填列「学科」" in message


def test_duplicate_column_header(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0].append("name")  # the English alias of 姓名, in column I
    for row in data["教师"][1:]:
        row.append("重复")
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("教师", 1, "姓名")
    assert "第B列和第I列" in message


def test_empty_required_cell(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 3, "姓名", None))
    assert only(path) == ("教师", 3, "姓名", "必填，不能为空")


def test_bad_integer(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 2, "出生年份", "一九八〇"))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 2, "出生年份")
    assert "应为整数" in message


def test_date_in_an_integer_column(tmp_path: Path) -> None:
    from datetime import date

    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 4, "出生年份", date(1985, 3, 1)))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 4, "出生年份")
    assert "1985-03-01" in message and "日期" in message and "常规" in message


def test_out_of_range(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 5, "本校连续任教年限", 99))
    assert only(path) == ("教师", 5, "本校连续任教年限", "「99」应不大于 60")


def test_bad_yes_no(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("学校", 3, "薄弱学校", "也许"))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("学校", 3, "薄弱学校")
    assert "应填 是 或 否" in message


def test_bad_enum(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 2, "性别", "未知"))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 2, "性别")
    assert "男、女" in message


def test_duplicate_id(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 4, "教师编号", "T1"))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 4, "教师编号")
    assert "重复" in message and "第2行" in message


def test_unknown_school_reference(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 3, "学校编号", "S9"))
    assert only(path) == ("教师", 3, "学校编号", "学校「S9」不在「学校」表中")


def test_unknown_group_reference(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("学校", 3, "集团编号", "G9"))
    assert only(path) == ("学校", 3, "集团编号", "集团「G9」不在「集团」表中")


def test_lead_school_not_in_its_group(tmp_path: Path) -> None:
    data = sheets()
    data["集团"].append(["G2", "第二集团", "S2"])
    data["学校"][2][2] = "G2"
    data["学校"].append(["S4", "新区小学", "G2", "小学", "否"])
    data["集团"][1][2] = "S2"  # G1's lead school S2 now belongs to G2
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("集团", 2, "牵头学校编号")
    assert "不属于本集团" in message


def test_nine_year_school_teacher_needs_a_teaching_stage(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 5, "任教学段", None))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 5, "任教学段")
    assert "九年一贯" in message


def test_ongoing_rotation_ending_before_it_starts(tmp_path: Path) -> None:
    data = sheets(
        在岗交流=[
            ["教师编号", "流出学校编号", "流入学校编号", "开始学年", "结束学年"],
            ["T1", "S1", "S2", 2024, 2023],
        ]
    )
    path = write_xlsx(tmp_path / "d.xlsx", data)
    assert only(path) == ("在岗交流", 2, "结束学年", "结束学年2023早于开始学年2024")


def test_unknown_policy_key_suggests_the_nearest(tmp_path: Path) -> None:
    data = sheets()
    data["规则"].append(["min_years_at_scool", 5])
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "参数")
    assert "min_years_at_scool" in message and "是否指 min_years_at_school" in message


@pytest.mark.parametrize("value", ["abc", "150%", -0.1])
def test_bad_ratio_value(tmp_path: Path, value: Any) -> None:
    data = sheets()
    data["规则"].append(["min_rotation_ratio", value])
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "值")
    assert message


def test_ratios_in_every_spelling(tmp_path: Path) -> None:
    data = sheets()
    data["规则"] += [["min_rotation_ratio", "15%"], ["backbone_share", 0.25]]
    data["规则"].append(["lead_outflow_ratio", "“20%”"])
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    policy = district.policy.district
    assert (policy.min_rotation_ratio, policy.backbone_share) == (Decimal("0.15"), Decimal("0.25"))
    assert policy.lead_outflow_ratio == Decimal("0.2")


def test_plan_year_missing(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", sheets(规则=None))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("规则", None, "参数")
    assert "plan_year" in message and "--year" in message
    assert read_district(path, year=2025).plan_year == 2025


def test_blank_plan_year_value_means_not_set(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", sheets(规则=[["参数", "值"], ["plan_year", None]]))
    assert only(path)[:3] == ("规则", None, "参数")


def test_plan_year_cannot_be_set_per_group(tmp_path: Path) -> None:
    data = sheets(
        规则=[["参数", "值", "集团编号"], ["plan_year", 2025, None], ["plan_year", 2026, "G1"]]
    )
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "集团编号")
    assert "只能对全区设置" in message


def test_group_overrides_and_their_unknown_groups(tmp_path: Path) -> None:
    data = sheets(
        规则=[
            ["参数", "中文名称", "值", "集团编号", "说明"],
            ["plan_year", "编制学年", 2025, None, "忽略"],
            ["最低交流比例", "", "15%", "G1", ""],
            ["min_rotation_ratio", "", "20%", "G9", ""],
        ]
    )
    path = write_xlsx(tmp_path / "d.xlsx", data)
    assert only(path) == ("规则", 4, "集团编号", "集团「G9」不在「集团」表中")
    del data["规则"][3]
    district = read_district(write_xlsx(tmp_path / "ok.xlsx", data))
    assert district.policy.for_group("G1").min_rotation_ratio == Decimal("0.15")


def test_duplicate_policy_key(tmp_path: Path) -> None:
    data = sheets()
    data["规则"] += [["weak_inflow_min", 3], ["weak_inflow_min", 4]]
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 4, "参数")
    assert "第3行" in message


def test_pin_of_a_deferred_teacher_to_must_go(tmp_path: Path) -> None:
    data = sheets(锁定=[["教师编号", "类型", "学校编号"], ["T1", "必须交流至", "S2"]])
    data["教师"][0].append("暂缓交流原因")
    data["教师"][1].append("孕期")
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("锁定", 2, "类型")
    assert "暂缓" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][1][5] = "abc"  # bad integer, row 2
    data["教师"][3][0] = "T2"  # duplicate id, row 4
    data["教师"][4][2] = "S9"  # unknown school, row 5
    data["学校"][1][3] = "大学"  # bad enum, row 2
    data["规则"].append(["backbone_share", "很多"])  # bad ratio, row 3
    found = [(s, r, c) for s, r, c, _ in problems(write_xlsx(tmp_path / "d.xlsx", data))]
    assert found == [
        ("学校", 2, "学段"),
        ("教师", 2, "出生年份"),
        ("教师", 4, "教师编号"),
        ("教师", 5, "学校编号"),
        ("规则", 3, "值"),
    ]


def test_rows_that_failed_do_not_cause_unknown_reference_noise(tmp_path: Path) -> None:
    data = sheets()
    data["学校"][2][4] = "也许"  # S2 fails to parse …
    data["教师"][3][2] = "S2"  # … so T3's reference to S2 is not reported,
    data["教师"][4][2] = "S8"  # but a truly unknown school still is.
    data["教师"][4][7] = None
    found = [(s, r, c) for s, r, c, _ in problems(write_xlsx(tmp_path / "d.xlsx", data))]
    assert found == [("学校", 3, "薄弱学校"), ("教师", 5, "学校编号")]


def test_a_failed_id_cell_silences_references_to_that_sheet(tmp_path: Path) -> None:
    data = sheets()
    data["集团"][1][0] = None  # the only group has no id
    found = [(s, r, c) for s, r, c, _ in problems(write_xlsx(tmp_path / "d.xlsx", data))]
    assert found == [("集团", 2, "集团编号")]


# -- files that are not workbooks --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("d.xlsx", b"this is not a zip file", "已损坏"),
        ("d.xlsx", b"PK\x03\x04 broken zip", "已损坏"),
        ("d.xls", b"\xd0\xcf\x11\xe0 not really ole", "已损坏"),
        ("d.txt", b"hello", "不支持的文件类型"),
        ("d.csv", b"a,b\n1,2\n", "单个 CSV"),
        ("d.json", b"{not json", "不是有效的 JSON"),
        ("d.json", b"[1, 2]", "顶层应为对象"),
    ],
)
def test_corrupt_or_unsupported_file(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("", None, None)
    assert words in message


def test_missing_input(tmp_path: Path) -> None:
    assert "找不到" in only(tmp_path / "nothing.xlsx")[3]


# -- CSV folders and JSON ------------------------------------------------------------------


def write_csv_folder(folder: Path, data: Sheets, encoding: str = "utf-8-sig") -> Path:
    folder.mkdir(parents=True)
    for name, rows in data.items():
        with open(folder / f"{name}.csv", "w", encoding=encoding, newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_each_csv_encoding_reads_the_same(tmp_path: Path, encoding: str) -> None:
    expected = read_district(write_xlsx(tmp_path / "甘州区.xlsx", sheets()))
    folder = write_csv_folder(tmp_path / encoding / "甘州区", sheets(), encoding)
    assert read_district(folder).model_dump() == expected.model_dump()


def test_csv_that_is_neither_utf8_nor_gbk(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "d", sheets())
    (folder / "教师.csv").write_bytes(b"\xff\xfe\xfa\xfb\x80\x80")
    assert any("教师.csv" in m for _s, _r, _c, m in problems(folder))
    (folder / "教师.csv").write_bytes(b"\x81\x30\xff\xff\x80")
    sheet, _row, _column, message = only(folder)
    assert sheet == "教师" and "编码" in message


def test_csv_rows_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][1][1] = "张\n一"  # a line break inside a quoted field is still one Excel row
    data["教师"][3][5] = "abc"
    folder = write_csv_folder(tmp_path / "d", data)
    assert only(folder)[:3] == ("教师", 4, "出生年份")


def test_json_rows_are_numbered_by_position(tmp_path: Path) -> None:
    document: dict[str, Any] = {"区县": "甘州区"}
    for name, rows in sheets().items():
        document[name] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    document["规则"] = {"plan_year": 2025, "min_rotation_ratio": "5%"}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    district = read_district(path)
    assert district.name == "甘州区"
    assert district.policy.district.min_rotation_ratio == Decimal("0.05")
    document["teachers"] = document.pop("教师")
    document["teachers"][1]["本校连续任教年限"] = "many"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert only(path)[:3] == ("教师", 2, "本校连续任教年限")


def test_input_sha256_of_file_and_folder(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    assert len(input_sha256(path)) == 64
    folder = write_csv_folder(tmp_path / "d", sheets())
    before = input_sha256(folder)
    (folder / "备注.txt").write_text("not a sheet", encoding="utf-8")
    assert input_sha256(folder) == before
    (folder / "教师.csv").write_text("教师编号\n", encoding="utf-8")
    assert input_sha256(folder) != before


def test_a_sheet_whose_first_row_is_blank(tmp_path: Path) -> None:
    data = sheets(需求=[[None, None], ["学校编号", "学科"], ["S2", "数学"]])
    assert only(write_xlsx(tmp_path / "d.xlsx", data))[:3] == ("需求", 1, None)
    data = sheets(教师=[[None]])
    sheet, row, column, message = only(write_xlsx(tmp_path / "e.xlsx", data))
    assert (sheet, row, column) == ("教师", 1, None) and "工作表是空的" in message
    assert read_district(write_xlsx(tmp_path / "f.xlsx", sheets(需求=[[None]]))).demand == ()


# -- hardened input (issue 12): one test per class of hostile or sloppy input --------------


@pytest.mark.parametrize(
    "text", ["1e999999999", "-1e999999999", "Infinity", "NaN", "-inf", "9" * 5000]
)
def test_huge_or_non_finite_numbers_are_refused_at_once(tmp_path: Path, text: str) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 2, "出生年份", text))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 2, "出生年份")
    assert "应为整数" in message and len(message) < 120
    policy = [["参数", "值"], ["plan_year", text]]
    path = write_xlsx(tmp_path / "p.xlsx", sheets(规则=policy))
    assert "应为整数" in only(path)[3]


def test_huge_numbers_in_json_are_named_at_their_cell(tmp_path: Path) -> None:
    data = json.loads(json.dumps(sheets()))
    body = json.dumps({k: _records(v) for k, v in data.items()}, ensure_ascii=False)
    body = body.replace('"出生年份": 1980', '"出生年份": ' + "9" * 5000, 1)
    body = body.replace('"出生年份": 1982', '"出生年份": Infinity', 1)
    path = tmp_path / "d.json"
    path.write_text(body, encoding="utf-8")
    found = problems(path)
    assert [(s, r, c) for s, r, c, _m in found] == [
        ("教师", 1, "出生年份"),
        ("教师", 2, "出生年份"),
    ]


def _records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _rewrite_part(path: Path, part: str, edit: Any) -> None:
    """Rewrite one part of a zip (an .xlsx) through `edit(bytes) -> bytes`."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        items = [(i, source.read(i)) for i in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info.filename, edit(data) if info.filename == part else data)


def test_a_far_cell_is_refused_before_the_excel_library_allocates_it(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    workbook = openpyxl.load_workbook(path)
    workbook["教师"]["XFD1048576"] = "x"
    workbook.save(path)
    sheet, _row, _column, message = only(path)
    assert sheet == "教师" and "XFD1048576" in message and "超过 200 列" in message
    # The same far cell behind a <dimension> that claims a small sheet: the scan finds it.
    part = "xl/worksheets/sheet3.xml"
    _rewrite_part(path, part, lambda b: b.replace(b"A1:XFD1048576", b"A1:H5"))
    assert "的数据延伸到 XFD1048576" in only(path)[3]
    # Far down rather than far right: 200 columns × 1,000,000 rows is too many cells.
    path = write_xlsx(tmp_path / "e.xlsx", sheets())
    workbook = openpyxl.load_workbook(path)
    workbook["教师"]["GR1000000"] = "x"
    workbook.save(path)
    _rewrite_part(path, part, lambda b: b.replace(b"A1:GR1000000", b"A1:H5"))
    assert "的数据延伸到 GR1000000" in only(path)[3]


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (40 << 20))
    assert "压缩比异常" in only(path)[3]


def test_deeply_nested_json_and_toml_are_clear_errors(tmp_path: Path) -> None:
    from rotation.scenarios.model import read_spec

    path = tmp_path / "d.json"
    path.write_text('{"教师": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    assert "嵌套层数过多" in only(path)[3]
    spec = tmp_path / "s.toml"
    spec.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        read_spec(spec)
    assert "嵌套层数过多" in excinfo.value.errors[0].message


def test_excel_error_values_are_named_not_read_as_blank(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0].append("暂缓交流原因")
    for row in data["教师"][1:]:
        row.append(None)
    path = write_xlsx(tmp_path / "d.xlsx", data)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["教师"]
    for ref, value in (("F2", "#N/A"), ("I3", "#REF!"), ("F4", "#DIV/0!")):
        sheet[ref].value = value
        sheet[ref].data_type = "e"
    workbook.save(path)
    found = problems(path)
    assert [(s, r, c) for s, r, c, _m in found] == [
        ("教师", 2, "出生年份"),
        ("教师", 3, "暂缓交流原因"),
        ("教师", 4, "出生年份"),
    ]
    assert "#N/A" in found[0][3] and "Excel 错误值" in found[0][3]
    assert "#REF!" in found[1][3]


def test_a_stray_quote_in_csv_is_reported_and_no_row_is_lost(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "csv", sheets())
    file = folder / "教师.csv"
    lines = file.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("李二", '"李二', 1)  # an opening quote never closed
    file.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    sheet, row, _column, message = only(folder)
    assert (sheet, row) == ("教师", 3)
    assert "第3行" in message and "引号" in message
    lines[2] = lines[2].replace('"李二', '李"二', 1)  # a quote inside a cell stays text
    file.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert read_district(folder).teacher("T2").name == '李"二'


def test_a_cell_over_excels_character_limit_is_refused(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "csv", edited("教师", 3, "姓名", "名" * 32_768))
    sheet, row, column, message = only(folder)
    assert (sheet, row, column) == ("教师", 3, "姓名")
    assert "32767" in message


def test_filler_words_in_optional_columns_are_blank_with_one_warning_per_column(
    tmp_path: Path,
) -> None:
    data = sheets()
    data["教师"][0] += ["暂缓交流原因", "骨干", "预计退休学年"]
    fillers = [["无", "/", "—"], ["否", "否", "无"], ["-", "无", None], ["孕期", "区级骨干", None]]
    for row, extra in zip(data["教师"][1:], fillers, strict=True):
        row += extra
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    deferred = {t.teacher_id: t.deferral for t in district.teachers}
    assert deferred == {"T1": None, "T2": None, "T3": None, "T4": "孕期"}
    assert [t.backbone for t in district.teachers] == [None, None, None, "区级骨干"]
    warnings = [w.message for w in district.warnings if "占位词" in w.message]
    assert warnings == [
        "「教师」表「暂缓交流原因」列第2、3、4行（共3处）填写了「无」「否」「-」等占位词，按空白处理",
        "「教师」表「骨干」列第2行（共1处）填写了「/」等占位词，按空白处理",
        "「教师」表「预计退休学年」列第2、3行（共2处）填写了「—」「无」等占位词，按空白处理",
    ]


def test_an_ongoing_rotation_that_ended_years_ago_is_an_error(tmp_path: Path) -> None:
    rows = [
        ["教师编号", "流出学校编号", "流入学校编号", "开始学年", "结束学年"],
        ["T1", "S1", "S2", 2021, 2023],  # ended two school years before 2025: not ongoing
        ["T2", "S1", "S2", 2022, 2024],  # ended last school year: comes home now
    ]
    path = write_xlsx(tmp_path / "d.xlsx", sheets(在岗交流=rows))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("在岗交流", 2, "结束学年")
    assert "2023学年结束" in message


def test_ratio_writing_rule_warns_on_bare_numbers_and_refuses_over_100_percent(
    tmp_path: Path,
) -> None:
    policy = [
        ["参数", "值"],
        ["plan_year", 2025],
        ["min_rotation_ratio", "15"],
        ["backbone_share", 1],
        ["max_outflow_share", "1.5"],
        ["lead_outflow_ratio", "20%"],
    ]
    district = read_district(write_xlsx(tmp_path / "d.xlsx", sheets(规则=policy)))
    values = district.policy.district
    assert values.min_rotation_ratio == Decimal("0.15")
    assert values.backbone_share == 1
    assert values.max_outflow_share == Decimal("0.015")
    notes = [(w.row, w.message) for w in district.warnings if w.sheet == "规则"]
    assert [row for row, _m in notes] == [3, 4, 5]
    assert "按 15% 理解" in notes[0][1] and "按 100% 理解" in notes[1][1]
    policy[2][1] = "150"
    assert "0% 到 100%" in only(write_xlsx(tmp_path / "e.xlsx", sheets(规则=policy)))[3]


@pytest.mark.parametrize(
    ("name", "content"),
    [("d.xlsx", b"\x00\x01 plain bytes named .xlsx"), ("d.xlsx", b"PK\x03\x04 broken zip")],
)
def test_messages_about_broken_files_carry_no_library_english(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message = only(path)[3]
    assert "另存为 .xlsx" in message
    assert not any(word in message for word in ("Cfb", "Zip", "error", "Error", "http"))


def test_an_unexpected_validation_error_is_worded_without_library_english() -> None:
    from models.fields import zh_message

    error: Any = {
        "type": "some_new_pydantic_check",
        "loc": ("x",),
        "msg": "Input should be",
        "input": "q",
    }
    assert zh_message(error) == "「q」取值无效"
    error["input"] = "x" * 100
    assert zh_message(error) == "取值无效"


def _append_rows(path: Path, rows: bytes) -> None:
    part = "xl/worksheets/sheet3.xml"
    _rewrite_part(path, part, lambda b: b.replace(b"</sheetData>", rows + b"</sheetData>"))


def test_cells_and_rows_without_a_reference_count_where_the_library_puts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell without r="…" sits after the previous cell of its row, a row without it after the
    previous row: the guard follows them, so they cannot widen or lengthen a sheet unseen."""
    from rotation.formats import xlsxguard

    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    _append_rows(path, b"<row>" + b'<c t="inlineStr"><is><t>x</t></is></c>' * 300 + b"</row>")
    sheet, _row, _column, message = only(path)
    assert sheet == "教师" and "超过 200 列" in message and "GS" in message
    monkeypatch.setattr(xlsxguard, "MAX_ROWS", 1000)
    path = write_xlsx(tmp_path / "e.xlsx", sheets())
    _append_rows(path, b"<row/>" * 1000 + b'<row><c t="inlineStr"><is><t>x</t></is></c></row>')
    assert "超过 1000 行" in only(path)[3]
    # A cell without r in a row that has one: at that row.
    path = write_xlsx(tmp_path / "f.xlsx", sheets())
    _append_rows(path, b'<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>')
    assert "A1048576" in only(path)[3]


def test_one_stray_far_cell_is_refused_but_an_empty_one_and_a_lying_range_are_not(
    tmp_path: Path,
) -> None:
    """A value at A1048576 below a short sheet would make the library allocate a million rows
    of the header's width; a formatted empty cell there (which it skips) and a <dimension>
    claiming XFD1048576 over a small sheet (which it ignores) do no harm."""
    path = write_xlsx(tmp_path / "d.xlsx", sheets())
    _append_rows(
        path, b'<row r="1048576"><c r="S1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    sheet, _row, _column, message = only(path)
    assert sheet == "教师" and "S1048576" in message and "请删除远处多余的单元格" in message
    path = write_xlsx(tmp_path / "e.xlsx", sheets())
    _append_rows(path, b'<row r="1048576"><c r="A1048576" s="1"/><c r="XFD1048576"></c></row>')
    assert read_district(path).teacher("T2").name == "李二"
    part = "xl/worksheets/sheet3.xml"
    _rewrite_part(
        path,
        part,
        lambda b: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', b),
    )
    assert read_district(path).teacher("T2").name == "李二"


def test_a_nan_number_is_an_error_wherever_it_stands(tmp_path: Path) -> None:
    """`<v>NaN</v>` is a value the library reads as a float NaN, not an empty cell: an error in
    a required column and in an optional one with a default (需求.人数) alike."""
    demand = [["学校编号", "学科", "人数"], ["S2", "数学", 7777]]
    data = edited("教师", 2, "出生年份", 8888)
    data["需求"] = demand
    path = write_xlsx(tmp_path / "d.xlsx", data)
    for part in ("xl/worksheets/sheet3.xml", "xl/worksheets/sheet5.xml"):
        _rewrite_part(path, part, lambda b: re.sub(rb"<v>(8888|7777)</v>", b"<v>NaN</v>", b))
    found = problems(path)
    assert [(s, r, c) for s, r, c, _m in found] == [("教师", 2, "出生年份"), ("需求", 2, "人数")]
    assert all("「NaN（非数字）」应为整数" in m for *_w, m in found)


def test_a_logical_value_in_a_number_cell_is_named_as_excel_shows_it(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 2, "出生年份", True))
    assert only(path)[3] == "「逻辑值 TRUE」应为整数"


def test_control_characters_are_left_out_and_a_name_of_only_them_is_missing(
    tmp_path: Path,
) -> None:
    folder = write_csv_folder(tmp_path / "csv", sheets())
    file = folder / "教师.csv"
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.replace("李二", "李\x00二").replace("张一", "\x00\x07"), "utf-8-sig")
    sheet, row, column, message = only(folder)
    assert (sheet, row, column, message) == ("教师", 2, "姓名", "必填，不能为空")
    file.write_text(text.replace("李二", "李\x00二"), "utf-8-sig")
    assert read_district(folder).teacher("T2").name == "李二"
    body = json.dumps({k: _records(v) for k, v in sheets().items()}, ensure_ascii=False)
    path = tmp_path / "d.json"
    path.write_text(body.replace('"张一"', '"\\u0000"'), encoding="utf-8")
    assert only(path)[1:] == (1, "姓名", "必填，不能为空")


def test_a_json_key_given_twice_is_an_error_naming_it(tmp_path: Path) -> None:
    body = json.dumps({k: _records(v) for k, v in sheets().items()}, ensure_ascii=False)
    path = tmp_path / "d.json"
    path.write_text(body.replace('"出生年份": 1980', '"出生年份": 1980, "出生年份": 1990'), "utf-8")
    assert "「出生年份」出现了不止一次" in only(path)[3]


@pytest.mark.parametrize("text", ["1e-400", "0.5", "2025.5"])
def test_a_number_that_is_not_whole_is_quoted_as_written(tmp_path: Path, text: str) -> None:
    """In JSON and CSV, where the text is at hand: 1e-400 is not 0."""
    body = json.dumps({k: _records(v) for k, v in sheets().items()}, ensure_ascii=False)
    path = tmp_path / "d.json"
    path.write_text(body.replace('"出生年份": 1980', f'"出生年份": {text}', 1), "utf-8")
    _sheet, row, column, message = only(path)
    assert (row, column) == (1, "出生年份")
    assert message.startswith(f"「{text}」") and message.endswith("应为整数")
    folder = write_csv_folder(tmp_path / "csv", edited("教师", 2, "出生年份", text))
    message = only(folder)[3]
    assert message.startswith(f"「{text}」") and message.endswith("应为整数")


def test_a_tiny_number_in_a_workbook_is_not_read_as_zero(tmp_path: Path) -> None:
    """`<v>1e-400</v>` underflows to 0 in the Excel library: the guard keeps its text."""
    path = write_xlsx(tmp_path / "d.xlsx", edited("教师", 2, "本校连续任教年限", 8888))
    part = "xl/worksheets/sheet3.xml"
    _rewrite_part(path, part, lambda b: b.replace(b"<v>8888</v>", b"<v>1e-400</v>"))
    sheet, row, column, message = only(path)
    assert (sheet, row, column) == ("教师", 2, "本校连续任教年限")
    assert message.startswith("「1e-400」") and message.endswith("应为整数")


def test_a_flood_of_problems_is_cut_short(tmp_path: Path) -> None:
    """A million bad rows give the first MAX_PROBLEMS problems and a line saying the rest were not
    checked, not a million messages (memory, and a page nobody reads)."""
    from rotation.formats.reading import MAX_PROBLEMS

    path = tmp_path / "flood.json"
    path.write_text('{"教师": [' + ",".join(["0"] * 200_000) + "]}", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_district(path)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == MAX_PROBLEMS + 1
    assert any("问题过多，只列出前" in m for m in messages)


def test_a_json_documents_own_name_beats_the_name_the_file_was_sent_under(
    tmp_path: Path,
) -> None:
    """The web keeps uploads as input.json and passes the sent file's name: a document that
    names its district keeps that name, as on the command line."""
    document: dict[str, Any] = {"区县": "甘州区", **{k: _records(v) for k, v in sheets().items()}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert read_district(path, name="导出数据").name == "甘州区"
    del document["区县"]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert read_district(path, name="导出数据").name == "导出数据"
    workbook = write_xlsx(tmp_path / "input.xlsx", sheets())
    assert read_district(workbook, name="导出数据").name == "导出数据"


# -- min_rotation_ratio_by_size ----------------------------------------------------------------


def test_ratio_by_size_reads_and_round_trips(tmp_path: Path) -> None:
    data = sheets()
    data["规则"].append(["按集团规模的最低交流比例", "1-4：10％，5-8:12%，9+:15%"])
    policy = read_district(write_xlsx(tmp_path / "d.xlsx", data)).policy.district
    bands = policy.min_rotation_ratio_by_size
    assert bands is not None
    assert [(b.low, b.high, b.ratio) for b in bands] == [
        (1, 4, Decimal("0.1")),
        (5, 8, Decimal("0.12")),
        (9, None, Decimal("0.15")),
    ]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2-4:10%,5-:15%", "应从 1 所学校起"),
        ("1-4:10%,4-8:12%", "重叠"),
        ("1-4:10%,6-8:12%", "缺少 5 所学校"),
        ("1-:10%,5-8:12%", "只能是最后一段"),
        ("1-4:10%,5-8:120%", "0% 到 100%"),
        ("1-4:10%,8-5:12%", "上限 5 小于下限 8"),
        ("十所:10%", "无法识别"),
        (0.1, "无法识别"),
    ],
)
def test_bad_ratio_by_size_names_the_cell_and_the_format(
    tmp_path: Path, value: Any, words: str
) -> None:
    data = sheets()
    data["规则"].append(["min_rotation_ratio_by_size", value])
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "值")
    assert "min_rotation_ratio_by_size（按集团规模的最低交流比例）" in message
    assert words in message
    if words not in ("0% 到 100%", "上限 5 小于下限 8"):
        assert "1-4:10%,5-8:12%,9-:15%" in message  # the expected writing


def test_ratio_by_size_is_district_wide_only(tmp_path: Path) -> None:
    data = sheets(
        规则=[
            ["参数", "值", "集团编号"],
            ["plan_year", 2025, None],
            ["min_rotation_ratio_by_size", "1-:10%", "G1"],
        ]
    )
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "集团编号")
    assert "只能对全区设置" in message
