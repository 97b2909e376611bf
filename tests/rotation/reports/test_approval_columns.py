"""The 交流名单 and 在岗交流 sheets: what the approval workbook writes is what `check` reads."""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from models import OngoingRotation
from models.plan import SolveOptions
from models.rules import check_plan
from rotation.formats import approval_columns as columns
from rotation.formats.planio import read_plan
from rotation.reports.approval import approval_tables, write_approval_workbook
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]


def test_the_columns_read_back_are_columns_written() -> None:
    assert set(columns.PLAN_READ) | {columns.KIND} <= set(columns.PLAN_HEADER)
    assert set(columns.ONGOING_READ) <= set(columns.ONGOING_HEADER)
    assert len(set(columns.PLAN_HEADER)) == len(columns.PLAN_HEADER)
    assert len(set(columns.ONGOING_HEADER)) == len(columns.ONGOING_HEADER)


def test_the_writers_header_rows_are_what_the_reader_expects(tmp_path: Path) -> None:
    """Write a real 审批表, read its header rows back, and read the plan back from it."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    back_home = OngoingRotation(
        teacher_id="L19", from_school_id="S1", to_school_id="S3", start_year=2022, end_year=2024
    )
    policy = {"backbone_share": 0, "subject_balance_tolerance": 5}
    district = build_district(teachers=teachers, ongoing=[back_home], policy=policy)
    result = solve(district, SolveOptions(workers=1))
    assert result.plan.rotations and result.plan.returns
    tables = approval_tables(
        district,
        result,
        check_plan(district, result.plan),
        input_sha256="0" * 64,
        scenario="测试",
        timings={},
    )
    path = tmp_path / "审批表.xlsx"
    write_approval_workbook(path, tables, force=False)

    book = CalamineWorkbook.from_path(str(path))
    header = {
        name: book.get_sheet_by_name(name).to_python()[0]
        for name in (columns.PLAN_SHEET, columns.ONGOING_SHEET)
    }
    assert header[columns.PLAN_SHEET] == columns.PLAN_HEADER
    assert header[columns.ONGOING_SHEET] == columns.ONGOING_HEADER

    again = read_plan(path)
    assert again.rotations == result.plan.rotations
    assert again.returns == result.plan.returns
