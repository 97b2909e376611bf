"""`rotation check` on an edited 审批表: names, schools and 公示名单 are compared, not only ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from models import District, OngoingRotation
from models.plan import SolveOptions
from models.rules import check_plan
from rotation import api
from rotation.cli.app import app
from rotation.formats.planio import plan_json, write_json_text
from rotation.formats.writing import write_district
from rotation.reports.approval import approval_tables, write_approval_workbook
from rotation.reports.approval_audit import audit_workbook
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()


def small_district() -> District:
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    back_home = OngoingRotation(
        teacher_id="L19", from_school_id="S1", to_school_id="S3", start_year=2022, end_year=2024
    )
    policy = {"backbone_share": 0, "subject_balance_tolerance": 5}
    return build_district(teachers=teachers, ongoing=[back_home], policy=policy)


@pytest.fixture
def written(tmp_path: Path) -> tuple[District, Path, Path, Path]:
    """The data, its 审批表 and plan JSON, as `rotation plan` writes them."""
    district = small_district()
    source = tmp_path / "数据.xlsx"
    write_district(district, source)
    result = solve(district, SolveOptions(workers=1))
    checks = check_plan(district, result.plan)
    tables = approval_tables(district, result, checks, input_sha256="", scenario="测试", timings={})
    book = tmp_path / "审批表.xlsx"
    write_approval_workbook(book, tables, force=False)
    js = tmp_path / "方案.json"
    data = plan_json(district, result, checks, input_sha256="", timings={})
    js.write_text(write_json_text(data), encoding="utf-8")
    return district, source, book, js


def edit(book: Path, sheet: str, cell: str, value: Any) -> None:
    workbook = openpyxl.load_workbook(book)
    workbook[sheet][cell] = value
    workbook.save(book)


def check(source: Path, plan: Path) -> Any:
    return runner.invoke(app, ["check", str(source), str(plan)])


def test_an_untouched_workbook_passes(written: tuple[District, Path, Path, Path]) -> None:
    district, source, book, _js = written
    assert audit_workbook(district, book) == []
    assert api.compare_workbook(district, book) == []
    result = check(source, book)
    assert result.exit_code == 0, result.output
    assert "不一致" not in result.output


def test_a_changed_name_fails_naming_sheet_row_and_column(
    written: tuple[District, Path, Path, Path],
) -> None:
    _district, source, book, _js = written
    was = openpyxl.load_workbook(book)["交流名单"]["C2"].value
    edit(book, "交流名单", "C2", "张三")
    result = check(source, book)
    assert result.exit_code == 2
    assert f"「交流名单」第2行 C列「姓名」为「张三」，数据中为「{was}」" in result.output
    # 公示名单 still shows the real name: it no longer equals 交流名单
    assert f"「公示名单」第3行 B列「姓名」为「{was}」，「交流名单」第2行为「张三」" in result.output


def test_a_changed_host_school_name_fails(written: tuple[District, Path, Path, Path]) -> None:
    district, _source, book, _js = written
    edit(book, "交流名单", "J2", "别的学校")
    edit(book, "交流名单", "O2", "别的学校")
    problems = audit_workbook(district, book)
    assert any("J列「流入学校」为「别的学校」，数据中为「" in p for p in problems)
    assert any("O列「考核单位」为「别的学校」" in p for p in problems)


@pytest.mark.parametrize(
    ("cell", "value", "column"),
    [("D2", "体育", "学科"), ("F2", "市级骨干", "骨干"), ("K2", "别的集团", "集团")],
)
def test_every_readable_column_is_compared(
    written: tuple[District, Path, Path, Path], cell: str, value: str, column: str
) -> None:
    district, _source, book, _js = written
    edit(book, "交流名单", cell, value)
    problems = audit_workbook(district, book)
    assert len([p for p in problems if f"「交流名单」第2行 {cell[0]}列「{column}」" in p]) == 1


def test_public_notice_must_list_the_same_rows(written: tuple[District, Path, Path, Path]) -> None:
    district, _source, book, _js = written
    workbook = openpyxl.load_workbook(book)
    public = workbook["公示名单"]
    public["F3"] = "2025-2026学年至2026-2027学年"
    public.append([99, "外人", "数学", "城关小学", "九年制学校", "2025-2026学年至2027-2028学年"])
    workbook.save(book)
    problems = audit_workbook(district, book)
    assert any(
        "「公示名单」第3行 F列「交流期限」为「2025-2026学年至2026-2027学年」" in p for p in problems
    )
    assert any(
        "（外人，数学，城关小学，九年制学校" in p and "不在「交流名单」中" in p for p in problems
    )


def test_rows_in_another_order_are_the_same_notice(
    written: tuple[District, Path, Path, Path],
) -> None:
    district, _source, book, _js = written
    workbook = openpyxl.load_workbook(book)
    public = workbook["公示名单"]
    rows = [[c.value for c in row] for row in public.iter_rows(min_row=3)]
    for r, values in enumerate(reversed(rows), 3):
        for c, value in enumerate(values, 1):
            public.cell(row=r, column=c, value=value)
    workbook.save(book)
    assert audit_workbook(district, book) == []


def test_a_mistyped_school_id_is_a_failure_not_a_crash(
    written: tuple[District, Path, Path, Path],
) -> None:
    _district, source, book, _js = written
    edit(book, "交流名单", "I2", "S9")
    result = check(source, book)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "「交流名单」第2行 I列「流入学校编号」为「S9」，数据中没有此学校" in result.output
    assert "[未通过]" in result.output  # the rule checks fail it too


def test_a_return_of_an_unknown_teacher_in_the_json_is_a_failed_rule(
    written: tuple[District, Path, Path, Path],
) -> None:
    _district, source, _book, js = written
    data = json.loads(js.read_text(encoding="utf-8"))
    data["returns"].append(
        {"teacher_id": "X1", "from_school_id": "S3", "to_school_id": "S1", "year": 2025}
    )
    js.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = check(source, js)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "[未通过]" in result.output and "X1" in result.output


def test_ongoing_rotations_are_compared_too(written: tuple[District, Path, Path, Path]) -> None:
    district, _source, book, _js = written
    edit(book, "在岗交流", "B2", "王五")
    problems = audit_workbook(district, book)
    assert problems == ["「在岗交流」第2行 B列「姓名」为「王五」，数据中为「教师L19」"]
    edit(book, "在岗交流", "A2", None)
    edit(book, "在岗交流", "B2", None)
    assert "数据中教师L19（L19）的在岗交流未列入「在岗交流」" in audit_workbook(district, book)


def test_cleared_cells_are_mismatches_naming_each_cell(
    written: tuple[District, Path, Path, Path],
) -> None:
    """A cell emptied in Excel (its value deleted, not openpyxl's cell(r, c, None), which
    changes nothing) is a blank where the data has a value."""
    district, _source, book, _js = written
    workbook = openpyxl.load_workbook(book)
    for ref in ("C2", "D2", "H2", "J2", "K2", "O2"):
        workbook["交流名单"][ref].value = None
    for ref in ("B4", "C4", "E4", "F4"):
        workbook["公示名单"][ref].value = None
    workbook["在岗交流"]["B2"].value = None
    workbook.save(book)
    problems = audit_workbook(district, book)
    for where in (
        "C列「姓名」",
        "D列「学科」",
        "H列「流出学校」",
        "J列「流入学校」",
    ):
        assert any(f"「交流名单」第2行 {where}为空白，数据中为「" in p for p in problems), where
    assert any("「交流名单」第2行 K列「集团」为空白" in p for p in problems)
    assert any("「交流名单」第2行 O列「考核单位」为空白" in p for p in problems)
    for where in ("B列「姓名」", "C列「学科」", "E列「流入学校」", "F列「交流期限」"):
        assert any(f"「公示名单」第4行 {where}为空白" in p for p in problems), where
    assert any("「在岗交流」第2行 B列「姓名」为空白，数据中为「教师L19」" in p for p in problems)


def test_a_renamed_header_is_a_missing_column_not_a_blank_in_every_row(
    written: tuple[District, Path, Path, Path],
) -> None:
    district, source, book, _js = written
    edit(book, "交流名单", "C1", "名字")
    assert audit_workbook(district, book) == [
        "「交流名单」缺少「姓名」列（表头被改动或删除），该列无法核对"
    ]
    assert check(source, book).exit_code == 2


@pytest.mark.parametrize("value", [2026, 2025.5, "2025学年"])
def test_a_wrong_start_year_in_one_row_is_a_mismatch_at_its_cell(
    written: tuple[District, Path, Path, Path], value: Any
) -> None:
    _district, source, book, _js = written
    edit(book, "交流名单", "L2", value)
    result = check(source, book)
    assert result.exit_code == 2, result.output
    assert f"「交流名单」第2行 L列「开始学年」为「{value}」，编制学年为「2025」" in result.output
    assert "未通过" not in result.output.replace("0 项未通过", "")  # the plan itself still holds
    edit(book, "交流名单", "M2", "明年")
    assert "M列「结束学年」为「明年」" in check(source, book).output
