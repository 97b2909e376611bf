"""`rotation user add` / `user list` (the web's accounts) and `rotation serve` refusing to serve
beyond the loopback without accounts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rotation.cli.app import app
from rotation.service.accounts import Accounts
from rotation.service.store import DataDir

runner = CliRunner()
PASSWORD = "correct-horse-9"


def run(*args: Any, stdin: str | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def test_user_add_reads_the_password_from_stdin_and_keeps_only_its_hash(tmp_path: Path) -> None:
    result = run(
        "user", "add", "张经办", "--role", "经办人", "--role", "管理员", "--data", tmp_path,
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "已创建账号「张经办」" in result.output and "经办人、管理员" in result.output
    account = DataDir(tmp_path).records().user("张经办")
    assert account is not None and account.password_hash.startswith("$argon2id$")
    user = Accounts(DataDir(tmp_path)).verify("张经办", PASSWORD)
    assert user is not None and user.roles == ("经办人", "管理员")


def test_user_add_defaults_to_the_clerk_role_and_user_list_shows_accounts(tmp_path: Path) -> None:
    for name in ("b-user", "a-user"):
        result = run("user", "add", name, "--data", tmp_path, "--password-stdin", stdin=PASSWORD)
        assert result.exit_code == 0, result.output
    listing = run("user", "list", "--data", tmp_path)
    assert listing.exit_code == 0
    assert listing.output.splitlines() == ["a-user：经办人", "b-user：经办人"]
    assert run("user", "list", "--data", tmp_path / "empty").output == ""


@pytest.mark.parametrize(
    ("args", "password", "words"),
    [
        (["clerk"], "short", "至少 8 个字符"),
        (["clerk", "--role", "校长"], PASSWORD, "角色应为"),
        (["../etc/passwd"], PASSWORD, "用户名只能"),
        (["有 空格"], PASSWORD, "用户名只能"),
    ],
)
def test_user_add_refuses_bad_accounts(
    tmp_path: Path, args: list[str], password: str, words: str
) -> None:
    result = run("user", "add", *args, "--data", tmp_path, "--password-stdin", stdin=password)
    assert result.exit_code == 1
    assert words in result.output
    assert DataDir(tmp_path).records().users() == []
    assert "Traceback" not in result.output


def test_user_add_refuses_an_existing_name_unless_reset(tmp_path: Path) -> None:
    add = ("user", "add", "clerk", "--data", tmp_path, "--password-stdin")
    assert run(*add, stdin=PASSWORD).exit_code == 0
    again = run(*add, stdin="another-password")
    assert again.exit_code == 1 and "已存在" in again.output
    assert Accounts(DataDir(tmp_path)).verify("clerk", PASSWORD) is not None
    reset = run(*add, "--reset", "--role", "审核人", stdin="another-password")
    assert reset.exit_code == 0, reset.output
    user = Accounts(DataDir(tmp_path)).verify("clerk", "another-password")
    assert user is not None and user.roles == ("审核人",)
    assert Accounts(DataDir(tmp_path)).verify("clerk", PASSWORD) is None


def _serve(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    """`rotation serve` in its own process: should it serve after all, the timeout ends it."""
    command = [str(Path(sys.executable).with_name("rotation")), "serve", "--no-browser"]
    return subprocess.run(
        [*command, "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_refuses_to_serve_beyond_the_loopback_without_accounts(tmp_path: Path) -> None:
    result = _serve("--host", "0.0.0.0", "--port", "1", data=tmp_path / "data")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "需要登录" in result.stderr and "rotation user add" in result.stderr
    assert "Traceback" not in result.stderr
    assert "http://" not in result.stdout  # it never said it was serving


@pytest.mark.parametrize("args", [("--host", "192.168.1.20"), ("--host", "::"), ("--login",)])
def test_serve_refuses_every_login_mode_without_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    import uvicorn

    def never(*_args: Any, **_kwargs: Any) -> None:  # a guard: fail at once rather than serve
        raise AssertionError("rotation serve started serving")

    monkeypatch.setattr(uvicorn, "run", never)
    result = run("serve", "--no-browser", "--data", tmp_path / "data", *args)
    assert result.exit_code == 1, result.output
    assert "需要登录" in result.output and "rotation user add" in result.output
