"""Help and usage errors in Chinese, complete at any terminal width (80 columns and up).

Typer draws its help with Click's or rich's English headings ("Usage:", "Options", "[required]")
and type names (``<int range>``, ``<path>``), and rich cuts long descriptions with "…". The
command and group classes here render the help themselves: Chinese headings and placeholders,
every description wrapped (not cut) by display width, a CJK character counting two columns.
Usage mistakes (an unknown option, a missing argument, a bad value) are reworded the same way.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from difflib import get_close_matches
from enum import Enum
from pathlib import Path
from typing import IO, Any

import typer
from typer import _click
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

HELP_OPTION_HELP = "显示本帮助并退出"
#: The widest help drawn, even on a wider terminal: long lines are hard to read.
MAX_WIDTH = 100
#: The option column of the help never grows beyond this; longer names get their own line.
TERM_COLUMN = 26

_NO_LINE_START = set("，。、；：？！）」』》”’%")
_NO_LINE_END = set("（「『《“‘")
_TOKENS = re.compile(r"[!-~]+|\s+|.", re.DOTALL)


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """The text broken into lines of at most `width` columns: between any two CJK characters,
    at spaces between ASCII words; a line never starts with closing punctuation."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if token.isspace():
            if line:
                line += " "
            continue
        while display_width(token) > width:  # a word longer than a line: cut it
            room = width - display_width(line)
            if room <= 0:
                lines.append(line.rstrip())
                line, room = "", width
            line, token = line + token[:room], token[room:]
        if display_width(line + token) <= width or not line.strip():
            line += token
            continue
        line = line.rstrip()
        carry = ""
        if token[0] in _NO_LINE_START and display_width(line[-1]) == 2 and len(line) > 1:
            line, carry = line[:-1], line[-1]
        while len(line) > 1 and line[-1] in _NO_LINE_END:
            line, carry = line[:-1], line[-1] + carry
        lines.append(line)
        line = carry + token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def help_width() -> int:
    """The terminal's width (COLUMNS when set), at most MAX_WIDTH, at least 40."""
    return max(40, min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns))


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def placeholder(param: TyperArgument | TyperOption) -> str:
    """The Chinese placeholder of a parameter's value: its metavar, else from its type."""
    if param.metavar:
        return param.metavar
    desc = param.type_descriptor
    annotation = desc.annotation
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if desc.is_list:
        annotation = getattr(annotation, "__args__", (str,))[0]
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "文件"
    if annotation is int:
        return "整数"
    if annotation is float:
        return "数值"
    return "文字"


def value_rule(param: TyperArgument | TyperOption) -> str:
    """What a value must be, for the help and for an error: "不小于 0 的整数"."""
    desc = param.type_descriptor
    annotation = desc.annotation
    kind = {int: "整数", float: "数值"}.get(annotation, "")
    low, high = param.min, param.max
    if desc.is_choice:
        return "以下之一：" + "、".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if low is not None and high is not None:
        return f"{_number(low)} 到 {_number(high)} 之间的{kind}"
    if low is not None:
        return f"不小于 {_number(low)} 的{kind}"
    if high is not None:
        return f"不大于 {_number(high)} 的{kind}"
    return kind


def _default_text(param: TyperOption) -> str:
    default = param.default
    if param.secondary_opts and isinstance(default, bool):
        return param.opts[0] if default else param.secondary_opts[0]
    if default is None or isinstance(default, bool | list | tuple) or not param.show_default:
        return ""
    if isinstance(default, Enum):
        return str(default.value)
    return _number(default)


def option_record(param: TyperOption) -> tuple[str, str]:
    """The option's names with its placeholder, and its description; what the value may be
    and its default on a line of their own."""
    names = ", ".join(sorted(param.opts, key=lambda o: (o.startswith("--"), o)))
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    if not param.is_flag:
        names += f" {placeholder(param)}"
    extras = []
    if param.required:
        extras.append("必填")
    rule = value_rule(param) if param.min is not None or param.max is not None else ""
    if rule:
        extras.append(f"取值：{rule}")
    default = _default_text(param)
    if default:
        extras.append(f"默认值：{default}")
    text = param.help or ""
    return names, text + ("\n" + "；".join(extras) if extras else "")


def argument_record(param: TyperArgument) -> tuple[str, str]:
    """The argument's placeholder, and its description."""
    name = placeholder(param) + ("..." if param.nargs == -1 else "")
    return name, (param.help or "") + ("（必填）" if param.required else "（可省略）")


def definition_list(rows: Sequence[tuple[str, str]], width: int) -> list[str]:
    """Two columns, the second wrapped; a first column wider than TERM_COLUMN on its own line."""
    column = min(TERM_COLUMN, max((display_width(t) for t, _d in rows), default=0)) + 4
    lines: list[str] = []
    for term, text in rows:
        body = [line for part in text.split("\n") for line in wrap(part, width - column)] or [""]
        if display_width(term) + 4 <= column:
            pad = " " * (column - 2 - display_width(term))
            lines.append(f"  {term}{pad}{body[0]}".rstrip())
            body = body[1:]
        else:
            lines.append(f"  {term}")
        lines += [" " * column + line for line in body]
    return lines


def usage_line(command: _click.Command, ctx: _click.Context) -> str:
    """用法：rotation plan [选项] 输入"""
    pieces = ["[选项]"]
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = placeholder(param) + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append("命令 [参数]...")
    return f"用法：{ctx.command_path} {' '.join(pieces)}"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def render_help(command: _click.Command, ctx: _click.Context) -> str:
    """The whole help of a command or group, at the terminal's width."""
    width = help_width()
    lines = wrap(usage_line(command, ctx), width)
    for paragraph in _paragraphs(command.help or ""):
        lines += ["", *("  " + line for line in wrap(paragraph, width - 2))]
    params = command.get_params(ctx)
    arguments = [argument_record(p) for p in params if isinstance(p, TyperArgument)]
    options = [option_record(p) for p in params if isinstance(p, TyperOption) and not p.hidden]
    sections: list[tuple[str, list[tuple[str, str]]]] = [("参数", arguments), ("选项", options)]
    if isinstance(command, TyperGroup):
        commands = [
            (name, _paragraphs(sub.help or "")[0] if sub.help else "")
            for name in command.list_commands(ctx)
            if (sub := command.get_command(ctx, name)) is not None and not sub.hidden
        ]
        sections.append(("命令", commands))
    for title, rows in sections:
        if rows:
            lines += ["", f"{title}：", *definition_list(rows, width)]
    return "\n".join(lines) + "\n"


def _choices(exc: NoSuchOption) -> str:
    options = sorted(exc.possibilities or ())
    return f"。您是否想用：{'、'.join(options)}" if options else ""


def usage_error_text(exc: UsageError) -> str:
    """A Click usage error in the clerk's words."""
    if isinstance(exc, MissingParameter) and exc.param is not None:
        param = exc.param
        if isinstance(param, TyperArgument):
            return f"缺少参数：{placeholder(param)}"
        return f"缺少必填选项 {'/'.join(param.opts)}"
    if isinstance(exc, NoSuchOption):
        return f"没有这个选项：{exc.option_name}{_choices(exc)}"
    if isinstance(exc, BadOptionUsage):
        if "requires" in exc.message:
            return f"选项 {exc.option_name} 后面需要给出取值"
        if "does not take" in exc.message:
            return f"选项 {exc.option_name} 不接受取值"
        return f"选项 {exc.option_name} 的用法有误"
    if isinstance(exc, BadParameter) and exc.param is not None:
        param = exc.param
        if isinstance(param, TyperArgument | TyperOption):
            name = "/".join(param.opts) if isinstance(param, TyperOption) else placeholder(param)
            rule = value_rule(param)
            space = " " if rule[:1].isdigit() else ""
            return f"{name} 的取值无效" + (f"：应为{space}{rule}" if rule else "")
    extra = re.match(r"Got unexpected extra argument\(?s?\)? \((.*)\)", exc.message)
    if extra:
        return f"多余的参数：{extra.group(1)}（含空格的文件名请加引号）"
    unknown = re.match(r"No such command '(.*?)'", exc.message)
    if unknown:
        return f"没有这个命令：{unknown.group(1)}{_command_hint(exc.ctx, unknown.group(1))}"
    return f"命令行用法有误（{exc.message}）"


def _command_hint(ctx: _click.Context | None, typo: str) -> str:
    command = ctx.command if ctx is not None else None
    if not isinstance(command, TyperGroup):
        return ""
    matches = get_close_matches(typo, list(command.commands))
    return f"。您是否想用：{'、'.join(matches)}" if matches else ""


class ChineseUsageError(UsageError):
    """A usage error already in Chinese, shown with the Chinese usage line and help hint."""

    def show(self, file: IO[Any] | None = None) -> None:
        lines = [f"错误：{self.message}"]  # first: the one line the clerk must read
        if self.ctx is not None:
            lines += [
                "",
                usage_line(self.ctx.command, self.ctx),
                f"查看帮助：{self.ctx.command_path} --help",
            ]
        typer.echo("\n".join(lines), err=True, file=file)


@contextmanager
def chinese_usage_errors() -> Iterator[None]:
    """Re-raise Click's usage errors as ChineseUsageError (the help for no arguments as is)."""
    try:
        yield
    except (ChineseUsageError, NoArgsIsHelpError):
        raise
    except UsageError as exc:
        raise ChineseUsageError(usage_error_text(exc), exc.ctx) from None


def _help_option(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = HELP_OPTION_HELP
    return option


class _Chinese(_click.Command):
    """Help, usage line and usage errors in Chinese, for commands and groups alike (mixed in
    before typer's own class, so `super()` reaches it)."""

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        formatter.write(render_help(self, ctx))

    def get_usage(self, ctx: _click.Context) -> str:
        return usage_line(self, ctx)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        return _help_option(super().get_help_option(ctx))

    def make_context(self, *args: Any, **kwargs: Any) -> _click.Context:
        with chinese_usage_errors():
            return super().make_context(*args, **kwargs)


class ChineseCommand(_Chinese, TyperCommand):
    """A command whose help, usage line and usage errors are Chinese."""


class ChineseGroup(_Chinese, TyperGroup):
    """A command group whose help, usage line and usage errors are Chinese."""

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        with chinese_usage_errors():
            return super().resolve_command(ctx, args)
