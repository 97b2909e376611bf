"""safe_write: only regular files are replaced, never an input or another output; a pair is
put in place together or not at all; an OSError becomes a Chinese WriteFailed."""

from __future__ import annotations

import errno
import os
import pickle
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from rotation.formats import safe_write
from rotation.formats.safe_write import (
    OutputExists,
    OutputRefused,
    Target,
    WriteFailed,
    atomic_write,
    check_targets,
    write_together,
)


def text(content: str) -> safe_write.Writer:
    def write(path: Path) -> None:
        path.write_text(content, encoding="utf-8")

    return write


# -- what may be replaced --------------------------------------------------------------------


def test_a_folder_is_never_replaced_even_with_force(tmp_path: Path) -> None:
    folder = tmp_path / "审批表.xlsx"
    folder.mkdir()
    (folder / "重要.docx").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputRefused, match="是一个文件夹"):
        atomic_write(folder, text("x"), force=True)
    assert (folder / "重要.docx").read_text(encoding="utf-8") == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["审批表.xlsx"]


def test_a_device_node_is_never_replaced(tmp_path: Path) -> None:
    null = Path(os.devnull)
    if not null.exists() or not stat.S_ISCHR(os.stat(null).st_mode):
        pytest.skip("no character device at os.devnull")
    with pytest.raises(OutputRefused, match="设备文件"):
        check_targets([null], force=True)
    link = tmp_path / "out.json"
    link.symlink_to(null)
    with pytest.raises(OutputRefused, match="设备文件（经符号链接）"):
        atomic_write(link, text("x"), force=True)
    assert stat.S_ISCHR(os.stat(null).st_mode) and link.is_symlink()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos here")
def test_a_fifo_and_a_symlink_to_a_folder_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefused, match="命名管道"):
        atomic_write(fifo, text("x"), force=True)
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "link.xlsx"
    link.symlink_to(folder)
    with pytest.raises(OutputRefused, match="文件夹"):
        atomic_write(link, text("x"), force=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink() and folder.is_dir()


def test_a_symlink_to_a_file_is_replaced_by_a_file_leaving_its_target(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text("theirs", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    with pytest.raises(OutputExists):
        atomic_write(link, text("mine"), force=False)
    atomic_write(link, text("mine"), force=True)
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "mine"
    assert target.read_text(encoding="utf-8") == "theirs"


def test_an_input_is_never_an_output_nor_two_outputs_one_file(tmp_path: Path) -> None:
    source = tmp_path / "数据.xlsx"
    source.write_bytes(b"data")
    hard = tmp_path / "hard.xlsx"
    os.link(source, hard)
    soft = tmp_path / "soft.xlsx"
    soft.symlink_to(source)
    for output in (source, tmp_path / "." / "数据.xlsx", hard, soft):
        with pytest.raises(OutputRefused, match="就是输入文件"):
            check_targets([output], [source], force=True)
    with pytest.raises(OutputRefused, match="两个输出是同一个文件"):
        check_targets([tmp_path / "x.json", tmp_path / "x.json"], force=True)
    with pytest.raises(OutputRefused, match="两个输出是同一个文件"):
        write_together([(soft, text("a")), (hard, text("b"))], force=True)
    assert source.read_bytes() == b"data"


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "output"
    not_a_folder.write_text("x", encoding="utf-8")
    with pytest.raises(OutputRefused, match="不是文件夹"):
        check_targets([not_a_folder / "审批表.xlsx"], force=True)


def test_an_empty_folder_takes_a_folder_output_without_force(tmp_path: Path) -> None:
    empty = tmp_path / "csv"
    empty.mkdir()

    def write(path: Path) -> None:
        path.mkdir()
        (path / "a.csv").write_text("one", encoding="utf-8")

    atomic_write(empty, write, force=False, folder_files={"a.csv"})
    assert [p.name for p in empty.iterdir()] == ["a.csv"]
    sub = empty / "a.csv"
    sub.unlink()
    (empty / "a.csv").mkdir()  # a folder named like one of its files is not one of its files
    with pytest.raises(OutputRefused, match="其他内容"):
        check_targets([Target(empty, frozenset({"a.csv"}))], force=True)


# -- a pair, together or not at all ------------------------------------------------------------


def old_pair(tmp_path: Path) -> tuple[Path, Path]:
    book, js = tmp_path / "审批表.xlsx", tmp_path / "方案.json"
    book.write_text("old book", encoding="utf-8")
    js.write_text("old json", encoding="utf-8")
    return book, js


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_second_write_leaves_the_old_pair(
    tmp_path: Path, interrupt: type[BaseException]
) -> None:
    book, js = old_pair(tmp_path)

    def second(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise interrupt

    with pytest.raises(interrupt):
        write_together([(book, text("new book")), (js, second)], force=True)
    assert contents(tmp_path) == {"审批表.xlsx": "old book", "方案.json": "old json"}


def test_a_failed_second_rename_puts_the_old_pair_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, js = old_pair(tmp_path)
    real_link = os.link

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == js:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_link(src, dst, *args, **kwargs)

    def replace(src: Any, dst: Any) -> None:  # the fallback when links fail: fails here too
        if Path(dst) == js and ".tmp-" in Path(src).name:
            raise OSError(errno.ENOSPC, "No space left on device")
        os.rename(src, dst)

    monkeypatch.setattr(safe_write.os, "link", link)
    monkeypatch.setattr(safe_write.os, "replace", replace)
    with pytest.raises(WriteFailed, match="磁盘空间已满"):
        write_together([(book, text("new book")), (js, text("new json"))], force=True)
    monkeypatch.undo()
    assert contents(tmp_path) == {"审批表.xlsx": "old book", "方案.json": "old json"}


def test_a_pair_is_replaced_whole(tmp_path: Path) -> None:
    book, js = old_pair(tmp_path)
    write_together([(book, text("new book")), (js, text("new json"))], force=True)
    assert contents(tmp_path) == {"审批表.xlsx": "new book", "方案.json": "new json"}


def test_a_name_taken_by_a_concurrent_run_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, js = old_pair(tmp_path)
    real_link = os.link

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == js:
            js.write_text("the other run's json", encoding="utf-8")
        real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(safe_write.os, "link", link)
    with pytest.raises(OutputRefused, match="另一个程序正在同时写入"):
        write_together([(book, text("new book")), (js, text("new json"))], force=True)
    assert book.read_text(encoding="utf-8") == "old book"
    assert js.read_text(encoding="utf-8") == "the other run's json"
    assert not any(".tmp-" in p.name for p in tmp_path.iterdir())


# -- a system that refuses the write -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "磁盘空间已满"),
        (errno.EROFS, "只读"),
        (errno.EACCES, "没有写入权限"),
        (getattr(errno, "EDQUOT", errno.ENOSPC), "磁盘"),
    ],
)
def test_an_os_error_names_the_file_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    out = tmp_path / "审批表.xlsx"
    out.write_text("old", encoding="utf-8")

    def fsync(_fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safe_write.os, "fsync", fsync)
    with pytest.raises(WriteFailed) as caught:
        atomic_write(out, text("new"), force=True)
    message = str(caught.value)
    assert message.startswith(f"无法写入 {out}：") and reason in message
    assert contents(tmp_path) == {"审批表.xlsx": "old"}


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs")
def test_a_folder_that_refuses_files_is_a_write_failure() -> None:
    """sysfs refuses new files even to root (chmod would not stop root)."""
    with pytest.raises(WriteFailed, match=re.escape("无法写入 /sys/rotation-test.xlsx")):
        atomic_write(Path("/sys/rotation-test.xlsx"), text("x"), force=False)


def test_the_errors_survive_a_worker_process() -> None:
    """Scenarios are written in worker processes: their errors come back pickled."""
    path = Path("out.xlsx")
    for error in (
        OutputRefused(path, "不会替换"),
        OutputExists(path),
        WriteFailed(path, OSError(errno.ENOSPC, "No space left on device")),
    ):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error) and again.path == path
