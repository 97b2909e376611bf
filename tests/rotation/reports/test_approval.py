"""What the clerk sees in the 审批表: titles, whether it may be signed, 汇总's group table and
chart, parameters and rules in words, AutoFilters, and everyone who may not rotate."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from models import District
from models.plan import NOT_FOR_APPROVAL, SolveOptions, SolveResult
from models.rules import check_plan
from rotation.formats.planio import plan_json, read_plan
from rotation.formats.reading import read_district
from rotation.formats.writing import write_district
from rotation.reports.approval import approval_tables, write_approval_workbook
from rotation.reports.approval_summary import GROUP_HEADER
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]


def district(**policy: Any) -> District:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    teachers += [teacher("Y1", "S1", years_at_school=2), teacher("D1", "S1", deferral="孕期")]
    values = {"backbone_share": 0, "subject_balance_tolerance": 5, **policy}
    return build_district(teachers=teachers, policy=values)


def write(
    d: District, tmp_path: Path, *, relax: bool = False
) -> tuple[Path, SolveResult, dict[str, Any]]:
    result = solve(d, SolveOptions(workers=1, relax=relax))
    checks = check_plan(d, result.plan)
    tables = approval_tables(d, result, checks, input_sha256="ab" * 32, scenario="测试", timings={})
    path = tmp_path / "审批表.xlsx"
    write_approval_workbook(path, tables, force=True)
    return path, result, plan_json(d, result, checks, input_sha256="", timings={})


def first_column(sheet: Any) -> list[Any]:
    return [row[0] for row in sheet.iter_rows(values_only=True)]


def test_district_name_from_the_policy_sheet_titles_every_sheet(tmp_path: Path) -> None:
    source = tmp_path / "比例6.xlsx"
    write_district(district(district_name="闵行区"), source)
    d = read_district(source)
    assert d.name == "闵行区" and d.policy.district.district_name == "闵行区"
    path, _result, data = write(d, tmp_path)
    book = openpyxl.load_workbook(path)
    assert book["汇总"]["A1"].value == "闵行区 2025学年教师交流轮岗方案汇总"
    assert book["审批"]["A1"].value == "闵行区 2025学年教师交流轮岗名单审批"
    assert book["审批"]["B2"].value.startswith("闵行区 2025学年教师交流轮岗名单（共")
    assert book["公示名单"]["A1"].value == "闵行区 2025学年教师交流轮岗人员公示名单"
    assert data["district"] == "闵行区" and data["approvable"] is True and data["notice"] == ""


def test_a_plan_that_breaks_rules_says_so_everywhere(tmp_path: Path) -> None:
    d = district(min_rotation_ratio="90%", subject_balance_tolerance=0)
    path, result, data = write(d, tmp_path, relax=True)
    assert result.shortfalls and result.plan.rotations
    book = openpyxl.load_workbook(path)
    for sheet in ("汇总", "审批", "公示名单"):
        title = book[sheet]["A1"]
        assert NOT_FOR_APPROVAL in title.value and title.font.color.rgb == "FFC00000"
    facts = {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=3, values_only=True)}
    assert "最优" not in facts["求解状态"] and facts["能否报批"] == "不得报批"
    assert first_column(book["审批"])[2] == "经办人（签字）"  # a plan exists: it may be discussed
    assert data["approvable"] is False and data["notice"] == NOT_FOR_APPROVAL


def test_an_infeasible_plan_has_no_signature_block(tmp_path: Path) -> None:
    d = district(min_rotation_ratio="90%", subject_balance_tolerance=0)
    path, result, data = write(d, tmp_path)
    assert result.status == "infeasible"
    book = openpyxl.load_workbook(path)
    cells = [c for row in book["审批"].iter_rows(values_only=True) for c in row if c]
    assert not any("签字" in str(c) for c in cells)
    assert any("不得报批" in str(c) for c in cells)
    assert data["approvable"] is False and "未生成方案" in data["notice"]


def test_summary_has_a_group_table_a_chart_and_run_facts_at_the_bottom(tmp_path: Path) -> None:
    path, result, _data = write(district(), tmp_path)
    sheet = openpyxl.load_workbook(path)["汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if list(row) == GROUP_HEADER)
    group = rows[top + 1]
    assert group[0] == "城关教育集团" and group[3] == len(result.plan.rotations)
    assert group[4] == group[3] / group[1]
    assert sheet.cell(row=top + 2, column=5).number_format == "0.0%"
    labels = first_column(sheet)
    assert labels.index("运行信息（供技术人员核对）") > labels.index("生效参数")
    for jargon in ("目标上界", "输入文件SHA-256", "软件版本"):
        assert labels.index(jargon) > labels.index("运行信息（供技术人员核对）")
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode("utf-8")
        assert "xl/drawings/drawing1.xml" in z.namelist()
    assert "<barChart>" in chart and chart.count("<ser>") == 2 and "'汇总'!$D$" in chart


def test_parameters_and_rules_are_in_words_with_ids_last(tmp_path: Path) -> None:
    path, _result, _data = write(district(), tmp_path)
    book = openpyxl.load_workbook(path)
    params = {row[3]: row[1] for row in book["汇总"].iter_rows(values_only=True) if row[3]}
    assert params["flow_direction"] == "牵头校到成员校、成员校到牵头校"
    assert params["ratio_scope"] == "按集团考核" and params["lead_outflow_ratio"] == "不考核"
    header = [c.value for c in book["规则核查"][1]]
    assert header[0] == "规则" and header[-1] == "规则编号"
    first = [c.value for c in book["规则核查"][2]]
    assert first[0] == "交流资格" and first[-1] == "eligibility"


def test_ratio_by_size_is_an_effective_parameter_in_words(tmp_path: Path) -> None:
    path, _result, data = write(district(min_rotation_ratio_by_size="1-2:10%,3-:12%"), tmp_path)
    book = openpyxl.load_workbook(path)
    rows = [row for row in book["汇总"].iter_rows(values_only=True) if row[3]]
    by_size = next(row for row in rows if row[3] == "min_rotation_ratio_by_size")
    assert by_size[:3] == ("按集团规模的最低交流比例", "1至2所学校 10%；3所及以上学校 12%", "全区")
    assert data["policy"]["min_rotation_ratio_by_size"] == ["1-2:10%", "3-:12%"]
    ratio = next(c for c in data["compliance"] if c["rule"] == "min_rotation_ratio")
    assert ratio["required"] == "≥4人（30×12%，向上取整）"  # 3 schools: 12%, not 10%


def test_long_sheets_have_an_autofilter(tmp_path: Path) -> None:
    path, _result, _data = write(district(), tmp_path)
    book = openpyxl.load_workbook(path)
    for name in ("交流名单", "学校汇总", "规则核查", "未入选名单", "资历说明", "不符合条件名单"):
        assert book[name].auto_filter.ref and book[name].auto_filter.ref.startswith("A1:")
    assert book["公示名单"].freeze_panes == "A3" and book["公示名单"].print_title_rows == "$2:$2"


def test_every_ineligible_teacher_is_listed_with_the_reason(tmp_path: Path) -> None:
    d = district()
    path, _result, _data = write(d, tmp_path)
    rows = list(
        openpyxl.load_workbook(path)["不符合条件名单"].iter_rows(min_row=2, values_only=True)
    )
    assert len(rows) == len(d.teachers) - len(d.eligible_teachers()) == 2
    reasons = {row[0]: row[-1] for row in rows}
    assert reasons == {"Y1": "本校任教2年，未满6年", "D1": "暂缓：孕期"}


def test_check_reads_the_workbook_back_below_the_title_rows(tmp_path: Path) -> None:
    path, result, _data = write(district(), tmp_path)
    assert read_plan(path).rotations == result.plan.rotations
    public = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("公示名单").to_python()
    assert len(public) == len(result.plan.rotations) + 2
