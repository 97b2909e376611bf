"""Output that never destroys anything (issue 12), through the commands: folders, devices and
inputs are never replaced; the 审批表 and its JSON share a plan_id that readers compare; a disk
that refuses the write and a bug each get a plain Chinese message."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from models import District
from rotation.cli.app import app
from rotation.formats import safe_write
from rotation.formats.planio import read_plan_file, read_plan_id
from rotation.formats.writing import write_district

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def small_district() -> District:
    """Twenty eligible teachers at the lead school and ten at the nine-year school: 3 rotate."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    policy = {"backbone_share": 0, "subject_balance_tolerance": 5}
    return build_district(teachers=teachers, policy=policy)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "数据.xlsx"
    write_district(small_district(), path)
    return path


def plan(source: Path, stem: str, *extra: Any) -> tuple[Path, Path]:
    book, js = source.with_name(f"{stem}-审批表.xlsx"), source.with_name(f"{stem}-方案.json")
    result = run("plan", source, "-o", book, "--json", js, "--workers", "1", *extra)
    assert result.exit_code == 0, result.output
    return book, js


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- only regular files are replaced; inputs and other outputs never ---------------------------


def test_plan_force_never_replaces_a_folder_a_device_or_its_input(
    tmp_path: Path, source: Path
) -> None:
    folder = tmp_path / "审批表.xlsx"
    folder.mkdir()
    (folder / "论文.docx").write_text("keep", encoding="utf-8")
    js = tmp_path / "方案.json"
    before = source.read_bytes()
    for args, message in [
        (("-o", folder, "--json", js), "是一个文件夹"),
        (("-o", tmp_path / "a.xlsx", "--json", folder), "是一个文件夹"),
        (("-o", source, "--json", js), "就是输入文件"),
        (("-o", tmp_path / "a.xlsx", "--json", source), "就是输入文件"),
        (("-o", tmp_path / "x", "--json", tmp_path / "x"), "两个输出是同一个文件"),
    ]:
        result = run("plan", source, *args, "--force")
        assert result.exit_code == 1 and message in result.output, (args, result.output)
        assert "程序内部错误" not in result.output
    assert (folder / "论文.docx").read_text(encoding="utf-8") == "keep"
    assert source.read_bytes() == before
    assert listing(tmp_path) == ["审批表.xlsx", "数据.xlsx"]  # nothing written


@pytest.mark.skipif(
    not os.path.exists(os.devnull) or not stat.S_ISCHR(os.stat(os.devnull).st_mode),
    reason="no character device at os.devnull",
)
def test_plan_force_never_replaces_a_device(tmp_path: Path, source: Path) -> None:
    result = run("plan", source, "-o", os.devnull, "--json", tmp_path / "j.json", "--force")
    assert result.exit_code == 1 and "设备文件" in result.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_reference_plan_and_advance_inputs_are_never_outputs(tmp_path: Path, source: Path) -> None:
    book, js = plan(source, "旧")
    kept = js.read_bytes()
    result = run("plan", source, "-o", tmp_path / "新.xlsx", "--json", js, "--reference", js)
    assert result.exit_code == 1 and "就是输入文件" in result.output
    result = run("advance", source, js, "-o", js, "--force")
    assert result.exit_code == 1 and "就是输入文件" in result.output
    result = run("advance", source, js, "-o", source, "--force")
    assert result.exit_code == 1 and "就是输入文件" in result.output
    assert js.read_bytes() == kept and book.exists()


def test_every_command_refuses_a_folder_output(tmp_path: Path, source: Path) -> None:
    _book, js = plan(source, "本年")
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep", encoding="utf-8")
    for args in (
        ("template", folder, "--force"),
        ("generate", folder, "--teachers", 10, "--force"),
        ("advance", source, js, "-o", folder, "--force"),
    ):
        result = run(*args)
        assert result.exit_code == 1 and "out.xlsx" in result.output, (args, result.output)
    assert listing(folder) == ["keep.txt"]


def test_generate_never_deletes_a_folders_other_content(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    assert run("generate", folder, "--teachers", 10).exit_code == 0  # an empty folder is used
    written = listing(folder)
    assert written and all(name.endswith(".csv") for name in written)
    again = run("generate", folder, "--teachers", 10)
    assert again.exit_code == 1 and "--force" in again.output
    assert run("generate", folder, "--teachers", 10, "--seed", 2, "--force").exit_code == 0
    (folder / "说明.docx").write_text("keep", encoding="utf-8")
    result = run("generate", folder, "--teachers", 10, "--force")
    assert result.exit_code == 1 and "说明.docx" in result.output
    assert listing(folder) == sorted([*written, "说明.docx"])


def test_demo_never_replaces_a_folder_in_its_output_folder(tmp_path: Path) -> None:
    (tmp_path / "甘州区示例数据.xlsx").mkdir()
    (tmp_path / "甘州区示例数据.xlsx" / "keep.txt").write_text("keep", encoding="utf-8")
    result = run("demo", "--out-dir", tmp_path)
    assert result.exit_code == 1 and "是一个文件夹" in result.output
    assert listing(tmp_path) == ["甘州区示例数据.xlsx"]
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x", encoding="utf-8")
    result = run("demo", "--out-dir", not_a_folder)
    assert result.exit_code == 1 and "不是文件夹" in result.output


# -- the 审批表 and its JSON: one plan_id, written together ------------------------------------


def test_the_pair_carries_one_plan_id_and_check_reports_it(source: Path) -> None:
    book, js = plan(source, "方案")
    plan_id = json.loads(js.read_text(encoding="utf-8"))["plan_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", plan_id)
    assert read_plan_id(book) == plan_id
    assert read_plan_file(book).plan_id == read_plan_file(js).plan_id == plan_id
    for plan_file in (book, js):
        result = run("check", source, plan_file)
        assert result.exit_code == 0 and f"方案编号（plan_id）：{plan_id}" in result.output
    _book2, js2 = plan(source, "另一次")
    assert json.loads(js2.read_text(encoding="utf-8"))["plan_id"] != plan_id


def test_a_stale_pair_is_refused_naming_both_files(tmp_path: Path, source: Path) -> None:
    book, js = plan(source, "本年")
    _other_book, other_js = plan(source, "另一次")
    js.write_bytes(other_js.read_bytes())  # as an old run would have left it beside the new 审批表
    for args in (
        ("check", source, js),
        ("check", source, book),
        ("advance", source, js, "-o", tmp_path / "次年.xlsx"),
        (
            "plan",
            source,
            "-o",
            tmp_path / "n.xlsx",
            "--json",
            tmp_path / "n.json",
            "--reference",
            js,
        ),
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert str(book) in result.output and str(js) in result.output
        assert "不是同一次编制" in result.output
    assert not (tmp_path / "次年.xlsx").exists() and not (tmp_path / "n.xlsx").exists()


def test_a_failing_json_write_leaves_the_old_pair(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, js = plan(source, "方案")
    old = book.read_bytes(), js.read_bytes()
    real_write_text = Path.write_text

    def write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.suffix == ".json":
            raise KeyboardInterrupt  # Ctrl-C between the two writes
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)
    result = run("plan", source, "-o", book, "--json", js, "--force", "--workers", "1")
    monkeypatch.undo()
    assert result.exit_code == 1 and "已中断" in result.output
    assert (book.read_bytes(), js.read_bytes()) == old
    assert listing(source.parent) == sorted([source.name, book.name, js.name])


# -- a disk that refuses the write --------------------------------------------------------------


def test_a_full_disk_is_a_plain_message(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safe_write.os, "fsync", fsync)
    book = source.with_name("审批表.xlsx")
    result = run("plan", source, "-o", book, "--json", source.with_name("方案.json"))
    monkeypatch.undo()
    assert result.exit_code == 1
    assert f"无法写入 {book}：磁盘空间已满" in result.output
    assert "程序内部错误" not in result.output
    assert listing(source.parent) == [source.name]


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs")
def test_a_folder_refusing_writes_is_a_plain_message() -> None:
    """sysfs refuses new files even to root, for whom chmod would not."""
    result = run("template", "/sys/模板.xlsx")
    assert result.exit_code == 1 and "无法写入 /sys/模板.xlsx：" in result.output
    assert "程序内部错误" not in result.output


# -- the crash log -------------------------------------------------------------------------------


def test_the_crash_log_is_private_and_follows_no_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (temp / "rotation-error.log").symlink_to(victim)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def boom(*_args: Any, **_kwargs: Any) -> list[str]:
        raise RuntimeError("故意的错误")

    monkeypatch.setattr("rotation.service.workbooks.validate_input", boom)
    result = run("validate", source)
    assert result.exit_code == 1 and "程序内部错误（RuntimeError）" in result.output
    assert victim.read_text(encoding="utf-8") == "keep"
    logs = [p for p in temp.iterdir() if p.name != "rotation-error.log"]
    assert len(logs) == 1 and str(logs[0]) in result.output
    assert stat.S_IMODE(os.stat(logs[0]).st_mode) == 0o600
    assert "故意的错误" in logs[0].read_text(encoding="utf-8")
