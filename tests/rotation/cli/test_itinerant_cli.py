"""走教 through the command line and the 审批表 (issue 17): generate → plan → check, and a
hand edit of 走教安排 caught by check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from rotation.cli.app import app

runner = CliRunner()


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_generate_plan_and_check_with_itinerant(tmp_path: Path) -> None:
    data = tmp_path / "甘州.xlsx"
    made = run("generate", data, "--teachers", 600, "--structure", "ganzhou", "--seed", 3)
    assert made.exit_code == 0, made.output
    assert "走教需求" in made.output
    book, plan_json = tmp_path / "审批表.xlsx", tmp_path / "方案.json"
    planned = run("plan", data, "-o", book, "--json", plan_json, "--workers", 1)
    assert planned.exit_code == 0, planned.output
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    assert plan["itinerant"], "the generated gaps get 走教 teachers"
    needed = sum(r["needed"] for r in plan["itinerant_summary"])
    short = sum(r["uncovered"] for r in plan["itinerant_summary"])
    people = len({a["teacher_id"] for a in plan["itinerant"]})
    schools = len({a["to_school_id"] for a in plan["itinerant"]})
    served = f"走教：{people} 名教师到 {schools} 所学校走教，"
    if short:
        said = f"{served}每周需 {needed} 课时、已安排 {needed - short} 课时，{short} 课时未能安排"
    else:
        said = f"{served}每周 {needed} 课时全部安排"
    assert said in planned.output
    first = plan["itinerant"][0]
    assert set(first) == {
        "teacher_id",
        "from_school_id",
        "to_school_id",
        "subject",
        "periods",
        "km",
        "subsidy",
    }
    assert {"itinerant_uncovered", "itinerant_travel"} <= set(plan["objective_terms"])
    assert sum(plan["objective_terms"].values()) == plan["objective"]
    rules = {c["rule"] for c in plan["compliance"]}
    assert {"itinerant_qualified", "itinerant_coverage"} <= rules
    assert all(c["ok"] for c in plan["compliance"])
    workbook = openpyxl.load_workbook(book, read_only=True)
    assert {"走教安排", "走教汇总"} <= set(workbook.sheetnames)
    header = [c.value for c in next(workbook["走教安排"].iter_rows(max_row=1))]
    assert header[-2:] == ["单程距离(km)", "每学期交通补助(元)"]
    summary = [c.value for c in next(workbook["学校汇总"].iter_rows(max_row=1))]
    assert summary[-1] == "走教"
    workbook.close()
    for plan_file in (plan_json, book):
        checked = run("check", data, plan_file)
        assert checked.exit_code == 0, checked.output


def test_check_catches_an_edited_subsidy(tmp_path: Path) -> None:
    data = tmp_path / "甘州.xlsx"
    assert run("generate", data, "--teachers", 600, "--structure", "ganzhou").exit_code == 0
    book = tmp_path / "审批表.xlsx"
    assert run("plan", data, "-o", book, "--workers", 1).exit_code == 0
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["走教安排"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("每学期交通补助(元)") + 1)
    cell.value = float(cell.value or 0) + 100
    workbook.save(book)
    checked = run("check", data, book)
    assert checked.exit_code != 0
    assert "距离或补助有误" in checked.output


def test_validate_shows_the_demand_and_what_no_plan_can_cover(tmp_path: Path) -> None:
    """Ganzhou's 甘浚镇 school is 16.3 km from its nearest colleague, beyond the 15 km limit:
    its rows are foreseen short, with the distance."""
    data = tmp_path / "甘州.xlsx"
    assert run("generate", data, "--teachers", 600, "--structure", "ganzhou").exit_code == 0
    shown = run("validate", data)
    assert shown.exit_code == 0, shown.output
    assert "走教需求：" in shown.output and "走教规则：每人每周至多 6 课时" in shown.output
    assert "最近的也在16.3公里外（走教距离上限15公里），预计无法安排" in shown.output
