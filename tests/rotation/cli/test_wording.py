"""Failures the clerk meets, in the clerk's words: no library English, no temporary names."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import rotation.service.workbooks
from rotation.cli.app import app
from rotation.cli.wording import clerk_words, os_error_text, real_name

runner = CliRunner()

#: Library English that must never reach the screen.
ENGLISH = (
    "zip",
    "Zip",
    "EOCD",
    "Expecting",
    "char ",
    "pydantic",
    "validation error",
    "Cfb",
    ".tmp",
)


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def assert_clerk_words(output: str) -> None:
    for word in ENGLISH:
        assert word not in output, (word, output)
    assert "Traceback" not in output


def test_a_text_file_named_xlsx(tmp_path: Path) -> None:
    fake = tmp_path / "数据.xlsx"
    fake.write_text("姓名,学校\n张三,一中\n", encoding="utf-8")
    result = run("validate", fake)
    assert result.exit_code == 1
    assert "另存为 .xlsx" in result.output and "数据.xlsx" in result.output
    assert_clerk_words(result.output)


def test_a_json_with_a_syntax_error_says_where_in_chinese(tmp_path: Path) -> None:
    broken = tmp_path / "数据.json"
    broken.write_text('{"集团": [\n  {"集团编号": "G1",}\n]}', encoding="utf-8")
    result = run("validate", broken)
    assert result.exit_code == 1
    assert "第2行第17列" in result.output and "带英文双引号的列名" in result.output
    assert_clerk_words(result.output)


def test_a_plan_json_with_a_syntax_error_or_missing_fields(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    assert run("generate", data, "--teachers", "60").exit_code == 0
    plan = tmp_path / "方案.json"
    plan.write_text('{"schema_version": 1, "plan_year": 2025,', encoding="utf-8")
    result = run("check", data, plan)
    assert result.exit_code == 1 and "「方案.json」不是有效的 JSON：第1行" in result.output
    assert "「方案.json」表" not in result.output
    assert_clerk_words(result.output)
    plan.write_text('{"schema_version": 1, "plan_year": 2025, "rotations": [{"teacher_id": "T1"}]}')
    result = run("check", data, plan)
    assert result.exit_code == 1 and "字段缺失或取值有误：from_school_id" in result.output
    assert_clerk_words(result.output)


def test_a_missing_file(tmp_path: Path) -> None:
    result = run("plan", tmp_path / "没有这个文件.xlsx")
    assert result.exit_code == 1
    assert "找不到" in result.output and "没有这个文件.xlsx" in result.output
    assert_clerk_words(result.output)


def test_a_failed_write_names_the_output_not_its_temporary_file(
    tmp_path: Path, monkeypatch: Any
) -> None:
    temp = str(tmp_path / ".模板.tmp-3f9a_b.xlsx")

    def denied(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", temp)

    monkeypatch.setattr(rotation.service.workbooks, "make_template", denied)
    result = run("template", tmp_path / "模板.xlsx")
    assert result.exit_code == 1
    assert str(tmp_path / "模板.xlsx") in result.output and "Excel 中打开" in result.output
    assert_clerk_words(result.output)

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", temp)

    monkeypatch.setattr(rotation.service.workbooks, "make_template", full)
    result = run("template", tmp_path / "模板.xlsx")
    assert result.exit_code == 1 and "磁盘空间不足" in result.output
    assert "程序内部错误" not in result.output and "No space" not in result.output
    assert_clerk_words(result.output)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("无法读取「a.xlsx」（File is not a zip file）", "另存为 .xlsx"),
        ("无法读取「a.xlsx」（Cfb error: invalid header）", "打开密码"),
        ("不是有效的 JSON：Expecting ',' delimiter: line 3 column 5 (char 40)", "第3行第5列"),
        ("Unterminated string starting at", "引号没有配对"),
        ("x\n  For further information visit https://errors.pydantic.dev/2.12/v/missing", "x"),
    ],
)
def test_clerk_words(english: str, chinese: str) -> None:
    text = clerk_words(english)
    assert chinese in text
    assert "https" not in text and "zip" not in text and "Expecting" not in text


def test_temporary_names_and_os_errors() -> None:
    assert real_name("/home/a/.审批表.tmp-x1Y2.xlsx") == "/home/a/审批表.xlsx"
    assert real_name("/home/a/.数据.tmp-x1Y2") == "/home/a/数据"
    text = os_error_text(OSError(errno.EROFS, "Read-only file system", "/mnt/u/.a.tmp-1.json"))
    assert text == "无法读写文件：/mnt/u/a.json（所在位置只读（如光盘或受保护的 U 盘））"
