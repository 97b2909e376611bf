"""What every `rotation` command shares: its Typer setup, plain Chinese output, and the
guard that turns known failures into messages and exit codes (SPEC §6), never a traceback."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

from models import InputError
from rotation.cli.helptext import ChineseCommand, ChineseGroup
from rotation.cli.wording import clerk_words, os_error_text, real_name
from rotation.exit_codes import EXIT_INPUT, EXIT_OK

F = TypeVar("F", bound=Callable[..., Any])


class ChineseTyper(typer.Typer):
    """A Typer app whose commands draw their help and usage errors in Chinese."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[F], F]:
        return super().command(name, cls=cls or ChineseCommand, **kwargs)


def make_app(name: str, help: str) -> typer.Typer:
    """A Typer app as every command group has it: Chinese help at the terminal's width (plain,
    not rich's boxes, which cut long lines), -h as well as --help, no completion, no pretty
    tracebacks."""
    return ChineseTyper(
        name=name,
        help=help,
        cls=ChineseGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def echo(text: str = "", *, err: bool = False) -> None:
    """Print one line for the user."""
    typer.echo(text, err=err)


def report_input_error(error: InputError) -> None:
    """Every problem of a rejected input, errors first, then the warnings."""
    errors = error.errors
    echo(f"输入数据有 {len(errors)} 处错误，未生成任何文件：", err=True)
    for problem in error.problems:
        mark = "错误" if problem.severity == "error" else "提示"
        echo(f"  [{mark}] {clerk_words(str(problem))}", err=True)


def user_errors(func: F) -> F:
    """Turn known failures into Chinese messages and exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rotation.formats.safe_write import OutputRefused, WriteFailed

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            report_input_error(exc)
            raise typer.Exit(EXIT_INPUT) from None
        except (OutputRefused, WriteFailed) as exc:  # OutputExists among them
            echo(str(exc), err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            echo(f"找不到文件或目录：{real_name(str(exc.filename or exc))}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except BrokenPipeError:  # output piped into `head` and cut short: nothing to report
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None
        except PermissionError as exc:
            name = real_name(str(exc.filename or exc))
            echo(f"没有权限读写：{name}（文件是否正在 Excel 中打开？）", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except OSError as exc:  # a full disk, a read-only stick, a name too long
            echo(os_error_text(exc), err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            echo("已中断，未写入未完成的文件。", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except Exception as exc:  # a bug: say so plainly, keep the details for the developers
            log = write_crash_log(traceback.format_exc())
            echo(f"程序内部错误（{type(exc).__name__}）：{clerk_words(str(exc))}", err=True)
            where = f"和错误记录 {log} " if log is not None else ""
            echo(f"输入文件未被修改。请把数据文件{where}发给技术支持。", err=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def write_crash_log(text: str) -> Path | None:
    """The traceback in a new private file of the system temp folder (mode 0600, a fresh name:
    never a name someone planted there); its path, or None when it cannot be written."""
    try:
        handle, name = tempfile.mkstemp(prefix="rotation-error-", suffix=".log")
    except OSError:
        return None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write(text)
    except OSError:
        return None
    return Path(name)


Force = Annotated[bool, typer.Option("--force", help="覆盖已存在的输出文件")]

#: Upper bounds of numeric options, so that a slip of the keyboard (99999999999) is a usage error
#: rather than a run that exhausts memory or never ends.
MAX_TEACHERS = 1_000_000  # a whole province's teachers, for generated data
MAX_WORKERS = 1024
MAX_SECONDS = 86_400.0  # one day
MIN_YEAR, MAX_YEAR = 2000, 2100  # as the 规则 sheet's plan_year

Workers = Annotated[
    int, typer.Option("--workers", min=0, max=MAX_WORKERS, help="并行进程数，0 表示按 CPU 核数")
]
TimeLimit = Annotated[
    float,
    typer.Option(
        "--time-limit",
        min=0.1,
        max=MAX_SECONDS,
        metavar="秒",
        help="每个求解单元的时间上限（秒），仅作保险",
    ),
]
