"""A written plan's review store: the 审批表's sheets in one SQLite file, paged on the server.

The web pages show a plan from the same tables the 审批表 was written from (never a second
computation that could disagree), kept in `review.sqlite` beside the workbook: one table per
sheet (columns c0…cN in the sheet's order, and a lower-cased `search` text), the per-group
figures of 汇总, the school-to-school flows, and the plan's facts. A page asks for one window
of rows with filters and a search; no page reads more than it shows.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import District
from models.plan import RuleCheck, SolveResult, verdict
from rotation.formats.xlsxfast import Styled, Table
from rotation.reports.approval_summary import group_figures

#: The sheets kept for review, by the key pages use in their addresses.
SHEET_KEYS: dict[str, str] = {
    "rotations": "交流名单",
    "itinerant": "走教安排",
    "itinerant_summary": "走教汇总",
    "changes": "变更对比",
    "later": "预排",
    "ongoing": "在岗交流",
    "schools": "学校汇总",
    "compliance": "规则核查",
    "not_chosen": "未入选名单",
    "ineligible": "不符合条件名单",
    "seniority": "资历说明",
    "conflicts": "不可行说明",
}
#: Columns a page may filter on, per sheet (others are searched as text).
FILTERS: dict[str, tuple[str, ...]] = {
    "rotations": ("集团", "流出学校", "流入学校", "学科", "骨干", "自愿交流"),
    "not_chosen": ("集团", "学校", "学科", "骨干", "自愿交流"),
    "ineligible": ("集团", "学校", "学科"),
    "schools": ("集团", "学校", "学科", "薄弱学校"),
    "compliance": ("规则", "结果"),
    "ongoing": ("流出学校", "流入学校", "状态"),
    "seniority": ("学校", "学科"),
    "itinerant": ("学科", "本校（当年）", "走教学校"),
    "itinerant_summary": ("集团", "学校", "学科", "薄弱学校"),
}
#: Where each sheet keeps the teacher id, for a teacher's page.
TEACHER_COLUMN = {
    "rotations": "教师编号",
    "itinerant": "教师编号",
    "not_chosen": "教师编号",
    "ineligible": "教师编号",
}
MAX_PAGE = 200


def _plain(value: Any) -> Any:
    if isinstance(value, Styled):
        value = value.value
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


@dataclass(frozen=True)
class Page:
    """One window of a sheet: its header, rows, and how many rows match in all."""

    header: list[str]
    rows: list[list[Any]]
    total: int
    offset: int
    limit: int


def _distinct(rows: list[list[Any]], at: int) -> list[str]:
    """A column's distinct values as SQLite's CAST(… AS TEXT) gives them (None left out)."""
    return sorted({str(row[at]) for row in rows if at < len(row) and row[at] is not None})


def _volunteer_column(d: District, header: list[str], rows: list[list[Any]]) -> None:
    """交流名单 gains 自愿交流 (the list filters on it; the 审批表 does not print it)."""
    at = header.index("教师编号")
    header.append("自愿交流")
    for row in rows:
        teacher = d.teacher(str(row[at]))
        row.append("是" if teacher.volunteer else "否")


def save_review(
    path: Path,
    d: District,
    result: SolveResult,
    checks: Sequence[RuleCheck],
    tables: Sequence[Table],
    facts: dict[str, Any],
) -> None:
    """Write the review store of a plan from the tables its 审批表 was written from."""
    by_name = {t.name: t for t in tables}
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("CREATE TABLE sheets (key TEXT PRIMARY KEY, name TEXT, header TEXT, n INT)")
        db.execute(
            "CREATE TABLE choices (key TEXT, col TEXT, value TEXT, PRIMARY KEY (key, col, value))"
            " WITHOUT ROWID"
        )
        for key, name in SHEET_KEYS.items():
            table = by_name.get(name)
            if table is None:
                continue
            header = [str(h) for h in table.header]
            rows = [[_plain(c) for c in row] for row in table.rows]
            if key == "rotations":
                _volunteer_column(d, header, rows)
            width = max([len(header), *(len(r) for r in rows)])
            columns = ", ".join(f"c{i}" for i in range(width))
            db.execute(f"CREATE TABLE t_{key} (n INTEGER PRIMARY KEY, {columns}, search TEXT)")
            marks = ", ".join("?" for _ in range(width + 2))
            db.executemany(
                f"INSERT INTO t_{key} VALUES ({marks})",
                (
                    [
                        n,
                        *row,
                        *([None] * (width - len(row))),
                        " ".join("" if c is None else str(c) for c in row).lower(),
                    ]
                    for n, row in enumerate(rows)
                ),
            )
            db.execute(
                "INSERT INTO sheets VALUES (?, ?, ?, ?)",
                (key, name, json.dumps(header, ensure_ascii=False), len(rows)),
            )
            teacher = TEACHER_COLUMN.get(key)
            if teacher in header:
                db.execute(f"CREATE INDEX i_{key} ON t_{key} (c{header.index(teacher)})")
            db.executemany(
                "INSERT INTO choices VALUES (?, ?, ?)",
                [
                    (key, column, value)
                    for column in FILTERS.get(key, ())
                    if column in header
                    for value in _distinct(rows, header.index(column))
                ],
            )
        db.execute(
            "CREATE TABLE groups (n INT, name TEXT, eligible INT, minimum INT, rotated INT,"
            " base INT, backbone INT, weak_inflow INT)"
        )
        db.executemany(
            "INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (n, f.name, f.eligible, f.minimum, f.rotated, f.base, f.backbone, f.weak_inflow)
                for n, f in enumerate(group_figures(d, result))
            ],
        )
        flows: Counter[tuple[str, str, str]] = Counter()
        for r in result.plan.rotations:
            group = d.group(d.school(r.from_school_id).group_id).name
            flows[(group, r.from_school_id, r.to_school_id)] += 1
        db.execute(
            "CREATE TABLE flows (grp TEXT, from_id TEXT, from_name TEXT, to_id TEXT,"
            " to_name TEXT, count INT)"
        )
        db.executemany(
            "INSERT INTO flows VALUES (?, ?, ?, ?, ?, ?)",
            [
                (g, a, d.school(a).name, b, d.school(b).name, k)
                for (g, a, b), k in sorted(flows.items())
            ],
        )
        db.execute("CREATE INDEX i_flows ON flows (grp)")
        v = verdict(result, checks)
        all_facts = {
            **facts,
            "status": result.status,
            "approvable": v.approvable,
            "notice": v.notice,
            "objective": result.objective,
            "best_bound": result.best_bound,
            "terms": result.terms,
            "rotations": len(result.plan.rotations),
            "returns": len(result.plan.returns),
            "failing_checks": sum(1 for c in checks if not c.ok),
            "checks": len(checks),
            "relax": bool(result.shortfalls) or facts.get("relax", False),
            "horizon": result.horizon.reason if result.horizon else "",
        }
        db.execute("CREATE TABLE facts (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany(
            "INSERT INTO facts VALUES (?, ?)",
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in all_facts.items()],
        )
        db.commit()
    finally:
        db.close()


class Review:
    """Read access to one plan's review store (opened read-only, per request)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        """Release the file."""
        self.db.close()

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def facts(self) -> dict[str, Any]:
        """The plan's facts: status, verdict, objective, counts, district, year…"""
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM facts")}

    def sheets(self) -> dict[str, tuple[str, int]]:
        """The sheets kept: key → (Chinese name, rows)."""
        return {k: (name, n) for k, name, n in self.db.execute("SELECT key, name, n FROM sheets")}

    def header(self, key: str) -> list[str]:
        """A sheet's column names (KeyError when the plan has no such sheet)."""
        return self._sheet(key)[0]

    def _sheet(self, key: str) -> tuple[list[str], int]:
        """A sheet's column names and row count (KeyError when the plan has no such sheet)."""
        if key not in SHEET_KEYS:
            raise KeyError(key)
        row = self.db.execute("SELECT header, n FROM sheets WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        header: list[str] = json.loads(row[0])
        return header, int(row[1])

    def page(
        self,
        key: str,
        *,
        filters: dict[str, str] | None = None,
        search: str = "",
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """One window of a sheet's rows matching every filter (column = value) and the search
        text (in any cell); filters on columns the sheet lacks are ignored."""
        header, count = self._sheet(key)
        where: list[str] = []
        args: list[Any] = []
        for column, value in (filters or {}).items():
            if column in header and value != "":
                where.append(f"CAST(c{header.index(column)} AS TEXT) = ?")
                args.append(value)
        if search.strip():
            for word in search.lower().split()[:5]:
                where.append("search LIKE ? ESCAPE '\\'")
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                args.append(f"%{escaped}%")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        limit = max(1, min(limit, MAX_PAGE))
        offset = max(0, offset)
        columns = ", ".join(f"c{i}" for i in range(len(header)))
        if where:
            total = self.db.execute(f"SELECT COUNT(*) FROM t_{key}{clause}", args).fetchone()[0]
            rows = self.db.execute(
                f"SELECT {columns} FROM t_{key}{clause} ORDER BY n LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        else:  # rows are numbered 0…count-1: a window is a range of the primary key
            total = count
            rows = self.db.execute(
                f"SELECT {columns} FROM t_{key} WHERE n >= ? ORDER BY n LIMIT ?", (offset, limit)
            ).fetchall()
        return Page(header, [list(r) for r in rows], int(total), offset, limit)

    def choices(self, key: str, column: str, limit: int = 300) -> list[str]:
        """The distinct values of a column, for a filter's drop-down (a filter column's are
        stored with the plan; another column's are scanned)."""
        header = self.header(key)
        if column not in header:
            return []
        stored = column in FILTERS.get(key, ())
        with contextlib.suppress(sqlite3.OperationalError):  # stores written before `choices`
            if not stored:
                raise sqlite3.OperationalError
            return [
                value
                for (value,) in self.db.execute(
                    "SELECT value FROM choices WHERE key = ? AND col = ? ORDER BY value LIMIT ?",
                    (key, column, limit),
                )
            ]
        at = header.index(column)
        rows = self.db.execute(
            f"SELECT DISTINCT CAST(c{at} AS TEXT) FROM t_{key} WHERE c{at} IS NOT NULL"
            f" ORDER BY 1 LIMIT ?",
            (limit,),
        )
        return [r[0] for r in rows]

    def teacher_rows(self, teacher_id: str) -> dict[str, tuple[list[str], list[list[Any]]]]:
        """Every sheet row about one teacher: sheet key → (header, rows) — several in 走教安排
        when the teacher serves more than one school."""
        found: dict[str, tuple[list[str], list[list[Any]]]] = {}
        for key, column in TEACHER_COLUMN.items():
            try:
                header = self.header(key)
            except KeyError:
                continue
            columns = ", ".join(f"c{i}" for i in range(len(header)))
            rows = self.db.execute(
                f"SELECT {columns} FROM t_{key} WHERE c{header.index(column)} = ? ORDER BY rowid",
                (teacher_id,),
            ).fetchall()
            if rows:
                found[key] = (header, [list(row) for row in rows])
        return found

    def groups(self) -> list[dict[str, Any]]:
        """汇总's per-group figures."""
        cursor = self.db.execute(
            "SELECT name, eligible, minimum, rotated, base, backbone, weak_inflow FROM groups"
            " ORDER BY n"
        )
        names = ["name", "eligible", "minimum", "rotated", "base", "backbone", "weak_inflow"]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def flows(self, group: str) -> list[tuple[str, str, str, str, int]]:
        """A group's moves: (from id, from name, to id, to name, teachers)."""
        return [
            (a, an, b, bn, k)
            for a, an, b, bn, k in self.db.execute(
                "SELECT from_id, from_name, to_id, to_name, count FROM flows WHERE grp = ?"
                " ORDER BY from_id, to_id",
                (group,),
            )
        ]
