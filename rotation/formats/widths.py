"""What a cell shows and how wide its column must be: plain Python, no Excel library.

The approval workbook's fast writer (`xlsxfast`) and the openpyxl sheets (`writing`) both size
their columns from here. Keeping openpyxl out of this module keeps it out of `rotation explain`
and `rotation check`, which write no workbook (≈ 0.25 s of their start; `plan` loads it only
to draw the summary's chart).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any


def plain(value: Any) -> Any:
    """A domain value as a cell shows it: 是/否, the Chinese enum value, ids joined with 、."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        return "、".join(str(plain(v)) for v in value)
    return value


MAX_WIDTH = 60.0
WIDTH_SAMPLE = 500


def display_width(value: Any) -> int:
    """How many Latin characters wide a value shows; CJK characters count double."""
    if value is None:
        return 0
    text = str(plain(value))
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def column_widths(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sample: int = WIDTH_SAMPLE
) -> list[float]:
    """Column widths fitted to the header and the first `sample` rows, capped at MAX_WIDTH.

    Each distinct text is measured once: a sheet's columns repeat their names, subjects and
    reasons (a city's 审批表 measures ~40,000 cells)."""
    widths = [display_width(h) + 3 for h in header]  # bold header plus the filter arrow
    measured: dict[str, int] = {}
    for count, row in enumerate(rows):
        if count >= sample:
            break
        for i, value in enumerate(row[: len(widths)]):
            if type(value) is str:
                w = measured.get(value)
                if w is None:
                    w = measured[value] = display_width(value) + 2
            else:
                w = display_width(value) + 2
            if w > widths[i]:
                widths[i] = w
    return [min(max(w, 6), MAX_WIDTH) for w in widths]
