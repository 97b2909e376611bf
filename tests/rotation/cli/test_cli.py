"""template, validate and generate through the CLI: exit codes and what the clerk reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from models import Demand, School
from rotation.cli.app import app
from rotation.formats.reading import read_district
from rotation.formats.writing import write_district

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_help_on_every_command() -> None:
    for command in ("template", "validate", "plan", "check", "generate", "demo", "bench"):
        result = run(command, "--help")
        assert result.exit_code == 0, command
    assert "教师交流轮岗" in run("--help").output


def test_template_writes_a_workbook_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    assert run("template", out).exit_code == 0
    assert "填写说明" in openpyxl.load_workbook(out).sheetnames
    again = run("template", out)
    assert again.exit_code == 1 and "--force" in again.output


def test_validate_prints_the_group_summary_and_warnings(tmp_path: Path) -> None:
    schools = [
        School(school_id="S1", name="城区初中", group_id="G1", stage="初中", weak=False),
        School(school_id="S2", name="乡镇初中", group_id="G1", stage="初中", weak=True),
    ]
    teachers = [
        teacher(f"T{i}", "S1", subject="数学", backbone="区级骨干" if i == 0 else None)
        for i in range(12)
    ]
    district = build_district(
        schools=schools, teachers=teachers, demand=[Demand(school_id="S2", subject="物理")]
    )
    source = tmp_path / "数据.xlsx"
    write_district(district, source)
    result = run("validate", source)
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output
    assert "城关教育集团 | 2 | 1 | 12 | 12 | 1 | 10% | 2 | 1" in result.output
    assert "物理" in result.output and "[无法满足] 薄弱初中考试科目" in result.output


def test_validate_lists_every_error_and_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "数据.xlsx"
    write_district(build_district(), source)
    book = openpyxl.load_workbook(source)
    sheet = book["教师"]
    sheet["G2"] = "六"  # 本校连续任教年限
    sheet["C3"] = "S9"  # 学校编号
    book.save(source)
    result = run("validate", source)
    assert result.exit_code == 1
    assert "「教师」表第2行「本校连续任教年限」列" in result.output
    assert "「教师」表第3行「学校编号」列" in result.output
    assert "Traceback" not in result.output


def test_validate_needs_a_plan_year(tmp_path: Path) -> None:
    source = tmp_path / "数据.xlsx"
    write_district(build_district(), source)
    book = openpyxl.load_workbook(source)
    for row in book["规则"].iter_rows(min_row=2):
        if row[0].value == "plan_year":
            row[2].value = None
    book.save(source)
    result = run("validate", source)
    assert result.exit_code == 1 and "--year" in result.output
    assert run("validate", source, "--year", "2026").exit_code == 0


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "没有这个文件.xlsx")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    # plan says so before it shows any progress ("读取数据…").
    result = run("plan", tmp_path / "没有这个文件.xlsx")
    assert result.exit_code == 1 and "找不到输入文件或文件夹" in result.output
    assert "读取数据" not in result.output


def test_generate_refuses_an_unknown_suffix_instead_of_a_folder_named_like_a_file(
    tmp_path: Path,
) -> None:
    result = run("generate", tmp_path / "x.txt", "--teachers", "300")
    assert result.exit_code == 1
    assert "输出应为 .xlsx 或 .json 文件，或一个不带扩展名的文件夹" in result.output
    assert not (tmp_path / "x.txt").exists()


def test_generate_each_format_reads_back_the_same(tmp_path: Path) -> None:
    outputs = [tmp_path / "模拟.xlsx", tmp_path / "模拟.json", tmp_path / "模拟"]
    for out in outputs:
        result = run("generate", out, "--teachers", "300", "--seed", "7", "--structure", "ganzhou")
        assert result.exit_code == 0, result.output
        assert "6 个集团，43 所学校，300 名教师" in result.output
    dumps = [read_district(p).model_dump(exclude={"name"}) for p in outputs]
    assert dumps[0] == dumps[1] == dumps[2]


def test_an_internal_error_is_reported_without_a_traceback(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import rotation.service.workbooks

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rotation.service.workbooks, "read_district", broken)
    result = run("validate", tmp_path / "x.xlsx")
    assert result.exit_code == 1
    assert "程序内部错误（ZeroDivisionError）" in result.output and "Traceback" not in result.output


def test_usage_mistakes_exit_1_through_the_console_entry(monkeypatch: Any, capsys: Any) -> None:
    import sys

    import pytest

    from rotation.cli.app import main

    for argv in (["rotation", "plan"], ["rotation", "plan", "x.xlsx", "--no-such-option"]):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exit_info:
            main()
        assert exit_info.value.code == 1
    monkeypatch.setattr(sys, "argv", ["rotation", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
