"""What the clerk sees of the command line itself: help and usage errors, in Chinese, whole."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from rotation.cli.app import app, main
from rotation.cli.helptext import display_width, wrap

runner = CliRunner()

#: English a clerk should never meet in the help: Click's headings and typer's type names.
DENIED = (
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "required",
    "default",
    "Show this message",
    "<bool>",
    "<path>",
    "<int",
    "<float",
    "list[",
    "[x>=",
    "TEXT",
    "INTEGER",
    "PATH",
    "Error",
)


def every_command() -> list[list[str]]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    paths: list[list[str]] = [[]]
    for name, command in group.commands.items():
        paths.append([name])
        if isinstance(command, typer.core.TyperGroup):
            paths += [[name, sub] for sub in command.commands]
    return paths


@pytest.mark.parametrize("path", every_command(), ids=lambda p: " ".join(p) or "rotation")
def test_help_is_chinese_and_whole_at_80_columns(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("用法：rotation")
    assert "选项：" in text and "显示本帮助并退出" in text
    for word in DENIED:
        assert word not in text, (word, text)
    assert "…" not in text  # nothing cut short
    for line in text.splitlines():
        assert display_width(line) <= 80, line


def test_short_help_option_and_every_command_described() -> None:
    text = runner.invoke(app, ["-h"], env={"COLUMNS": "80"}).output
    for name in ("template", "validate", "plan", "check", "advance", "scenario"):
        assert re.search(rf"^  {name} +\S", text, re.MULTILINE), name
    # the long descriptions come out whole: the last words of advance's are there
    assert "年限加一年。" in text.replace("\n", "").replace(" ", "")


def test_placeholders_defaults_and_ranges_in_chinese() -> None:
    text = runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "80"}).output
    assert "用法：rotation plan [选项] 数据文件" in text
    assert "--time-limit 秒" in text and "--year 学年" in text and "-o, --output 文件" in text
    assert "取值：0.1 到 86400 之间的数值；默认值：60" in text
    assert "取值：1 到 5 之间的整数；默认值：1" in text


def test_help_wraps_to_a_narrow_terminal() -> None:
    text = runner.invoke(app, ["scenario", "compare", "--help"], env={"COLUMNS": "50"}).output
    assert all(display_width(line) <= 50 for line in text.splitlines())
    assert "min_rotation_ratio=0.10:0.20:0.02" in "".join(text.split())  # cut, not dropped


def test_wrap_counts_cjk_as_two_and_keeps_punctuation_with_its_word() -> None:
    lines = wrap("规则无法同时满足时，仍编制最接近的方案", 20)
    assert all(display_width(line) <= 20 for line in lines)
    assert "".join(lines) == "规则无法同时满足时，仍编制最接近的方案"
    assert not any(line.startswith("，") for line in lines)
    assert wrap("方案 JSON，默认 output", 80) == ["方案 JSON，默认 output"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["plan"], "错误：缺少参数：数据文件"),
        (["plan", "x.xlsx", "--no-such-option"], "错误：没有这个选项：--no-such-option"),
        (["plan", "x.xlsx", "--workres", "2"], "您是否想用：--force、--workers"),
        (
            ["plan", "x.xlsx", "--workers", "-1"],
            "错误：--workers 的取值无效：应为 0 到 1024 之间的整数",
        ),
        (["generate", "y.xlsx", "--teachers", "99999999999"], "应为 10 到 1000000 之间的整数"),
        (["plan", "x.xlsx", "--time-limit", "1e9"], "应为 0.1 到 86400 之间的数值"),
        (["plan", "x.xlsx", "--year", "99999"], "应为 2000 到 2100 之间的整数"),
        (["generate", "y.xlsx", "--year", "1"], "应为 2000 到 2100 之间的整数"),
        (["scenario", "run", "x.toml", "--workers", "99999"], "应为 0 到 1024 之间的整数"),
        (
            ["plan", "x.xlsx", "--year", "abc"],
            "错误：--year 的取值无效：应为 2000 到 2100 之间的整数",
        ),
        (["plan", "x.xlsx", "--year"], "错误：选项 --year 后面需要给出取值"),
        (["plan", "x.xlsx", "y.xlsx"], "错误：多余的参数：y.xlsx"),
        (["advance", "a.xlsx", "b.json"], "错误：缺少必填选项 -o/--output"),
        (["generate", "x.xlsx", "--structure", "foo"], "应为以下之一：ganzhou、minhang"),
        (["pln"], "错误：没有这个命令：pln。您是否想用：plan"),
    ],
)
def test_usage_errors_in_chinese_exit_1(
    argv: list[str], expected: str, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setattr(sys, "argv", ["rotation", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.startswith("错误："), err  # the error first, then the usage line
    for word in ("Usage", "Error", "Try ", "Invalid", "Missing", "No such"):
        assert word not in err, err
