"""Writing a file safely: never over an existing one without --force, never half a file.

Every file the product writes goes through `atomic_write` (SPEC §5): a crash leaves the old
output, or nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path


class OutputExists(Exception):
    """The output is already there and --force was not given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"文件已存在：{path}（如需覆盖，请加 --force）")


def atomic_write(path: Path, write: Callable[[Path], None], *, force: bool) -> None:
    """Let `write` fill a temporary file or folder beside `path`, then rename it into place.

    A crash or an exception leaves the old output (or nothing) — never half a workbook. An
    existing file or folder is replaced only with `force`.
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExists(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    temp = path.with_name(f".{path.stem}.tmp-{token}{path.suffix}")
    try:
        write(temp)
        if temp.is_file():
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
        if path.exists() and not force:  # appeared while we were writing
            raise OutputExists(path)
        if path.is_dir() or (temp.is_dir() and path.exists()):
            old = path.with_name(f".{path.name}.old-{token}")
            os.replace(path, old)
            try:
                os.replace(temp, path)
            except BaseException:
                os.replace(old, path)
                raise
            _remove(old)
        else:
            os.replace(temp, path)
    except BaseException:
        _remove(temp)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)
