"""Writing files without ever destroying one (SPEC §5, issue 12). The whole rule lives here:

- Only regular files (or a symlink to one) are ever replaced, and only with --force. A folder, a
  device such as /dev/null, a fifo, a socket, or a symlink to any of them is refused, whatever
  --force says.
- A command's inputs are never its outputs, and no two outputs are the same file (resolved
  paths compared, and through symlinks and hard links with os.path.samefile).
- A folder output (the CSV folder of a district) replaces an existing folder only when that
  folder holds nothing but the files it writes, and only with --force; an empty folder is used.
- Every output is written under a temporary name beside it first. Outputs written together (the
  审批表 and its plan JSON) are put in place together: once every new file is complete, the old
  ones are moved aside, the new ones linked into place (a name that reappears meanwhile, from a
  concurrent run, is refused), and only then are the old ones deleted. Any failure or Ctrl-C
  before the end puts the old files back, so a crash leaves the old pair or the new pair, never
  a new 审批表 beside an old JSON (and the two carry the same plan_id for readers to compare).
- An OSError while writing (read-only disk, full disk, quota, no permission) becomes
  `WriteFailed`, naming the file and the reason in Chinese.

`check_targets` is what commands call before any work; `write_together` / `atomic_write` apply
the same check again just before writing.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Writer = Callable[[Path], None]


class OutputRefused(Exception):
    """An output path the product will not write to; the message says why, in Chinese."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # raised in a scenario's worker process too
        return (OutputRefused, (self.path, str(self)))


class OutputExists(OutputRefused):
    """The output is already there and --force was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, f"文件已存在：{path}。如需覆盖，请加 --force。")

    def __reduce__(self) -> tuple[Any, ...]:
        return (OutputExists, (self.path,))


class WriteFailed(Exception):
    """The system refused to write an output (read-only or full disk, no permission…)."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.error = error
        super().__init__(
            f"无法写入 {path}：{write_error_reason(error)}。该文件未写入，原有文件（如有）保持不变。"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (WriteFailed, (self.path, self.error))


_REASONS = {
    errno.EACCES: "没有写入权限（文件是否正在 Excel 中打开？）",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "所在的磁盘或文件夹是只读的",
    errno.ENOSPC: "磁盘空间已满",
    getattr(errno, "EDQUOT", -1): "超出了磁盘配额",
    errno.ENAMETOOLONG: "文件名太长",
    errno.ENOENT: "所在文件夹不存在或无法创建文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EEXIST: "路径中有同名文件",
    errno.EIO: "磁盘读写出错",
}


def write_error_reason(error: OSError) -> str:
    """Why a write failed, for people."""
    reason = _REASONS.get(error.errno or 0)
    if reason is not None:
        return reason
    return f"系统错误 {error.strerror or error}"


@dataclass(frozen=True)
class Target:
    """An output path; `folder_files` for a folder output: the only files it writes (and the
    only ones an existing folder there may hold to be replaced)."""

    path: Path
    folder_files: frozenset[str] | None = None


def as_target(output: Path | Target) -> Target:
    """A Target for a plain path (a file output)."""
    return output if isinstance(output, Target) else Target(Path(output))


def check_targets(
    outputs: Iterable[Path | Target | None],
    inputs: Iterable[Path | None] = (),
    *,
    force: bool,
) -> None:
    """OutputRefused (OutputExists without --force) for the first output that may not be
    written: see the module's rule. Call before any work; nothing is written here."""
    sources = [Path(i) for i in inputs if i is not None]
    seen: list[Path] = []
    for target in (as_target(o) for o in outputs if o is not None):
        path = target.path
        for source in sources:
            if same_file(path, source):
                raise OutputRefused(
                    path, f"输出文件 {path} 就是输入文件 {source}：不会覆盖输入，请另选输出文件名。"
                )
        for other in seen:
            if same_file(path, other):
                raise OutputRefused(
                    path, f"两个输出是同一个文件：{other} 与 {path}，请为它们指定不同的文件名。"
                )
        _check_kind(target, force)
        seen.append(path)


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file: equal once resolved, or, when both exist, the
    same file through symlinks or hard links."""
    if os.path.exists(a) and os.path.exists(b):
        try:
            if os.path.samefile(a, b):
                return True
        except OSError:
            pass
    return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()


_KIND_NAMES = (
    (stat.S_ISCHR, "设备文件"),
    (stat.S_ISBLK, "设备文件"),
    (stat.S_ISFIFO, "命名管道"),
    (stat.S_ISSOCK, "套接字"),
)


def _check_kind(target: Target, force: bool) -> None:
    """Refuse an output that is not a regular file (or a folder output's own folder)."""
    path = target.path
    parent = path.parent
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise OutputRefused(path, f"{parent} 不是文件夹，无法在其中写入 {path.name}。")
    try:
        link = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:  # a symlink to nothing: only the link would be replaced
        mode = link.st_mode
    is_link = stat.S_ISLNK(link.st_mode)
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        if not force:
            raise OutputExists(path)
        return
    if stat.S_ISDIR(mode):
        _check_folder(target, force, is_link)
        return
    kind = next((name for test, name in _KIND_NAMES if test(mode)), "特殊文件")
    via = "（经符号链接）" if is_link else ""
    raise OutputRefused(path, f"{path} 是{kind}{via}，不是普通文件：不会替换它，请另选输出文件名。")


def _check_folder(target: Target, force: bool, is_link: bool) -> None:
    path = target.path
    if target.folder_files is None or is_link:
        raise OutputRefused(
            path, f"{path} 是一个文件夹：不会删除或替换文件夹，请另选输出文件名（含扩展名）。"
        )
    entries = sorted(os.listdir(path))
    others = [
        e
        for e in entries
        if e not in target.folder_files or os.path.islink(path / e) or not os.path.isfile(path / e)
    ]
    if others:
        raise OutputRefused(
            path,
            f"文件夹 {path} 中还有其他内容（如 {others[0]}）：不会删除它们，"
            "请另选一个新文件夹或空文件夹。",
        )
    if entries and not force:
        raise OutputExists(path)


def atomic_write(
    path: Path,
    write: Writer,
    *,
    force: bool,
    folder_files: Collection[str] | None = None,
    inputs: Iterable[Path | None] = (),
) -> None:
    """Let `write` fill a temporary file (or, for a folder output, a folder) beside `path`,
    then put it in place; see the module's rule for what may be replaced."""
    files = frozenset(folder_files) if folder_files is not None else None
    write_together([(Target(Path(path), files), write)], force=force, inputs=inputs)


def write_together(
    outputs: Sequence[tuple[Path | Target, Writer]],
    *,
    force: bool,
    inputs: Iterable[Path | None] = (),
) -> None:
    """Write every output under a temporary name, then put them all in place together, or
    none (old files restored) when anything fails before the end."""
    targets = [as_target(t) for t, _ in outputs]
    sources = list(inputs)
    check_targets(targets, sources, force=force)
    token = secrets.token_hex(4)
    temps: list[Path] = []
    try:
        for target, (_, write) in zip(targets, outputs, strict=True):
            temp = _temp_name(target.path, token)
            temps.append(temp)
            with _failing_as(target.path):
                target.path.parent.mkdir(parents=True, exist_ok=True)
                write(temp)
                _sync(temp)
        check_targets(targets, sources, force=force)  # changed while we were writing?
        _commit([(temp, t.path) for temp, t in zip(temps, targets, strict=True)], token)
    finally:
        for temp in temps:
            _remove(temp)


@contextmanager
def _failing_as(path: Path) -> Iterator[None]:
    """Turn an OSError into WriteFailed naming `path`."""
    try:
        yield
    except OSError as exc:
        raise WriteFailed(path, exc) from exc


def _temp_name(path: Path, token: str) -> Path:
    """A hidden name beside `path`, keeping its suffix."""
    return path.with_name(f".{path.stem}.tmp-{token}{path.suffix}")


def _sync(temp: Path) -> None:
    if temp.is_file():
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())


def _commit(pairs: list[tuple[Path, Path]], token: str) -> None:
    """Move the old outputs aside, link the new ones in, then delete the old ones; on any
    failure remove what was placed and put the old ones back."""
    moved: list[tuple[Path, Path]] = []
    placed: list[tuple[Path, Path]] = []
    try:
        for _temp, path in pairs:
            if os.path.lexists(path):
                backup = path.with_name(f".{path.name}.old-{token}")
                with _failing_as(path):
                    os.replace(path, backup)
                moved.append((backup, path))
        for temp, path in pairs:
            with _failing_as(path):
                _place(temp, path)
            placed.append((temp, path))
    except BaseException:
        for temp, path in reversed(placed):
            if not os.path.lexists(temp) or same_file(temp, path):
                with suppress(OSError):
                    _remove(path)
        for backup, path in reversed(moved):
            if not os.path.lexists(path):  # else another run's file is there: keep the backup
                with suppress(OSError):
                    os.replace(backup, path)
        raise
    for backup, _path in moved:
        _remove(backup)


def _place(temp: Path, path: Path) -> None:
    """Put a complete temporary output at `path`, which must not exist (it was moved aside):
    one that reappeared meanwhile comes from another run writing the same file."""
    if os.path.lexists(path):
        raise _concurrent(path)
    if temp.is_dir():
        os.rename(temp, path)
        return
    try:
        os.link(temp, path)  # fails, rather than replaces, when the name was taken meanwhile
    except FileExistsError:
        raise _concurrent(path) from None
    except OSError:  # no hard links on this file system (FAT, some network shares)
        os.replace(temp, path)


def _concurrent(path: Path) -> OutputRefused:
    return OutputRefused(path, f"另一个程序正在同时写入 {path}：本次未写入，请稍后重试。")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink(missing_ok=True)
