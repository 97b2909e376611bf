"""The last word before the clerk reads a message: libraries' English and our temporary file
names rewritten in the clerk's words.

Readers wrap what a library says (zipfile, calamine, json, pydantic) into their own Chinese
message, often with the library's text in brackets; and a failed write names the hidden
temporary file beside the output (``.审批表.tmp-3f9a.xlsx``). Whatever reaches the screen from
the command line passes through `clerk_words` first.
"""

from __future__ import annotations

import errno
import re

#: A hidden temporary file of an atomic write, ``.<stem>.tmp-<token><suffix>`` → ``<stem><suffix>``.
_TEMP_NAME = re.compile(r"\.([^/\\\s]+?)\.tmp-[0-9A-Za-z_-]+(\.[0-9A-Za-z]+)?")

_NOT_XLSX = "可能是改了扩展名的其他文件：请在 Excel 中打开，另存为 .xlsx 工作簿"
_ENCRYPTED = "可能是加了打开密码的工作簿或旧版 .xls：请在 Excel 中去掉密码，另存为 .xlsx"

#: (English pattern, Chinese); the first that matches a bracketed part or a tail replaces it.
_LIBRARY_TEXT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), chinese)
    for pattern, chinese in (
        (r"invalid zip archive[^）)]*", _NOT_XLSX),
        (r"file is not a zip file[^）)]*", _NOT_XLSX),
        (r"bad ?zip ?file[^）)]*", _NOT_XLSX),
        (r"bad magic number[^）)]*", _NOT_XLSX),
        (r"cfb error[^）)]*", _ENCRYPTED),
        (r"xls error[^）)]*", _ENCRYPTED),
        (r"Expecting value", "此处缺少值"),
        (r"Expecting property name enclosed in double quotes", "此处应为带英文双引号的列名"),
        (r"Expecting ',' delimiter", "此处缺少英文逗号"),
        (r"Expecting ':' delimiter", "此处缺少英文冒号"),
        (r"Unterminated string starting at", "引号没有配对，字符串从此处开始"),
        (r"Extra data", "JSON 已结束，其后还有多余内容"),
        (r"Invalid control character at", "字符串中有不允许的控制字符（如换行）"),
        (r"Invalid \\?escape", "反斜杠 \\ 的用法无效（路径中的 \\ 请写成 \\\\ 或 /）"),
        (r"Illegal trailing comma before end of (object|array)", "最后一项之后多了逗号"),
    )
)
_JSON_PLACE = re.compile(r":? line (\d+) column (\d+) \(char \d+\)")
_PYDANTIC_URL = re.compile(r"\s*For further information visit https?://\S+")

_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "所在位置只读（如光盘或受保护的 U 盘）",
    errno.EACCES: "没有权限（文件是否正在 Excel 中打开？）",
    errno.EPERM: "没有权限（文件是否正在 Excel 中打开？）",
    errno.ENAMETOOLONG: "文件名或路径太长",
    errno.EBUSY: "文件正被其他程序占用",
    errno.EIO: "读写磁盘出错",
    errno.EINVAL: "文件名中有不允许的字符",
    errno.EXDEV: "无法在不同磁盘之间移动文件",
}


def real_name(text: str) -> str:
    """Temporary file names of atomic writes replaced by the file they were to become."""
    return _TEMP_NAME.sub(lambda m: m.group(1) + (m.group(2) or ""), text)


def clerk_words(text: str) -> str:
    """A message as the clerk should read it: no temporary names, no library English."""
    text = _PYDANTIC_URL.sub("", real_name(text))
    text = _JSON_PLACE.sub(lambda m: f"：第{m.group(1)}行第{m.group(2)}列", text)
    for pattern, chinese in _LIBRARY_TEXT:
        text = pattern.sub(chinese, text)
    return text


def os_error_text(exc: OSError) -> str:
    """A failed read or write: which file, and why, in Chinese."""
    reason = _OS_ERRORS.get(exc.errno or 0, f"系统错误 {exc.errno}" if exc.errno else "系统错误")
    name = exc.filename if exc.filename is not None else ""
    where = f"：{real_name(str(name))}" if name else ""
    return f"无法读写文件{where}（{reason}）"
