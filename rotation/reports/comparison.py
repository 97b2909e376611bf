"""The comparison workbook (方案对比.xlsx): scenarios side by side before a bureau decides.

Sheets:

* ``方案对比`` — one row per figure, one column per scenario: whether the rules can all be met,
  rotations in total and per group, ratio, backbone share, inflow to weak schools, exam-subject
  demand covered at weak junior highs, demand met, average commute, the objective and each of
  its terms, run time, and what the scenario changes.
* ``各集团交流人数`` — rotations per group per scenario, and a clustered bar chart of them.
* ``人员差异`` — teacher by teacher, what each scenario does differently from the first one
  (新增 / 取消 / 改派); scenarios on different base data are not compared teacher by teacher,
  and a scenario whose rules cannot all be met shows 无法满足 with its conflicts (never every
  teacher 取消); 各集团交流人数 marks its groups 无法满足 too.
* ``参数扫描`` — only after ``--sweep``: each value's result, and where the rules stop being
  satisfiable.

Small enough for openpyxl's ordinary mode; every cell goes through `set_cell` (text that looks
like a formula stays text).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font

from models.objective import TERMS
from rotation.formats.safe_write import atomic_write
from rotation.formats.writing import (
    HEADER_FONT,
    HEADER_PATTERN,
    set_cell,
    style_sheet,
)
from rotation.reports.outcomes import Outcome, SweepSummary

COMPARE_SHEET = "方案对比"
GROUPS_SHEET = "各集团交流人数"
DIFF_SHEET = "人员差异"
SWEEP_SHEET = "参数扫描"
PERCENT = "0.0%"
SECTION_FONT = Font(bold=True, color="FF1F4E79")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


#: The headings among kpi_rows' figures (their values are all None; a figure may be too).
SECTIONS = frozenset({"结果", "目标分项", "运行", "各集团新交流人数", "冲突说明"})


def figure_text(value: Any, fmt: str | None) -> str:
    """A comparison figure as a page shows it ("—" for none)."""
    if value is None:
        return "—"
    if fmt and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def kpi_rows(outcomes: Sequence[Outcome]) -> list[tuple[str, list[Any], str | None]]:
    """(figure, one value per scenario, number format); a figure of None values is a section."""
    rows: list[tuple[str, list[Any], str | None]] = []

    def add(label: str, values: list[Any], fmt: str | None = None) -> None:
        rows.append((label, values, fmt))

    add("方案说明", [o.description for o in outcomes])
    add("情景文件", [o.path for o in outcomes])
    add("基础数据", [o.base_label for o in outcomes])
    add("改动", ["\n".join(o.changes) or "（无改动：按基础数据及其规则编制）" for o in outcomes])
    add("结果", [None] * len(outcomes))
    add("规则全部满足", ["是" if o.feasible else "否" for o in outcomes])
    add("求解状态", [o.status_text for o in outcomes])
    add("规则核查未通过（项）", [o.failed_checks if o.rotations else None for o in outcomes])
    add("教师人数", [o.teachers for o in outcomes])
    add("符合交流条件人数", [o.eligible for o in outcomes])
    add("规则要求至少交流（人）", [o.minimum for o in outcomes])
    add("新交流人数（合计）", [o.rotations if o.feasible else None for o in outcomes])
    add(
        "交流比例（新交流÷符合条件）",
        [_share(o.rotations, o.eligible) if o.feasible else None for o in outcomes],
        PERCENT,
    )
    add(
        "骨干教师占比",
        [_share(o.backbone, o.rotations) if o.feasible else None for o in outcomes],
        PERCENT,
    )
    add("流入薄弱学校（人）", [o.weak_inflow if o.feasible else None for o in outcomes])
    add(
        "薄弱初中考试科目需求覆盖",
        [_share(o.exam_covered, o.exam_demand) if o.feasible else None for o in outcomes],
        PERCENT,
    )
    add(
        "学校需求满足",
        [_share(o.demand_met, o.demand) if o.feasible else None for o in outcomes],
        PERCENT,
    )
    add(
        "平均通勤距离（km）",
        [
            round(o.commute_km / o.commuters, 1) if o.commuters and o.feasible else None
            for o in outcomes
        ],
    )
    add("期满返回人数", [o.returns for o in outcomes])
    add("目标值（越大越好）", [o.objective for o in outcomes])
    add("目标上界", [o.best_bound for o in outcomes])
    add("目标分项", [None] * len(outcomes))
    for term in TERMS:
        add(f"　{term.name}", [o.terms.get(term.key) if o.terms else None for o in outcomes])
    add("运行", [None] * len(outcomes))
    add("运行时间（秒，编制及写文件）", [round(o.seconds, 2) for o in outcomes])
    add("其中求解（秒）", [round(o.solve_seconds, 2) for o in outcomes])
    add("各集团新交流人数", [None] * len(outcomes))
    for gid, name in group_order(outcomes):
        values = []
        for o in outcomes:
            found = next((g for g in o.groups if g.group_id == gid and g.name == name), None)
            values.append(found.rotated if found and o.feasible else None)
        add(f"　{name}", values)
    add("冲突说明", [None] * len(outcomes))
    add(
        "规则冲突（节选）",
        ["\n".join(o.conflicts[:5]) if o.conflicts else None for o in outcomes],
    )
    return rows


def group_order(outcomes: Sequence[Outcome]) -> list[tuple[str, str]]:
    """Every (group id, name) of any scenario, in order of first appearance."""
    seen: dict[tuple[str, str], None] = {}
    for o in outcomes:
        for g in o.groups:
            seen.setdefault((g.group_id, g.name), None)
    return list(seen)


def column_names(outcomes: Sequence[Outcome]) -> list[str]:
    """One distinct column title per scenario (the name, with the file when names repeat)."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.name] = counts.get(o.name, 0) + 1
    return [o.name if counts[o.name] == 1 else f"{o.name}（{o.key}）" for o in outcomes]


def _header(ws: Any, values: Sequence[str]) -> None:
    for col, value in enumerate(values, 1):
        cell = set_cell(ws, 1, col, value)
        cell.font = HEADER_FONT
        cell.fill = HEADER_PATTERN
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _compare_sheet(ws: Any, outcomes: Sequence[Outcome], names: list[str]) -> None:
    _header(ws, ["指标", *names])
    for r, (label, values, fmt) in enumerate(kpi_rows(outcomes), 2):
        head = set_cell(ws, r, 1, label)
        if label in SECTIONS:
            head.font = SECTION_FONT
            continue
        for c, value in enumerate(values, 2):
            cell = set_cell(ws, r, c, value if value is not None else "—")
            if fmt and value is not None:
                cell.number_format = fmt
            if isinstance(value, str) and len(value) > 30:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [30.0] + [min(48.0, max(16.0, 2.2 * len(n) + 4)) for n in names]
    style_sheet(ws, widths=widths)
    ws.freeze_panes = "B2"


def _groups_sheet(ws: Any, outcomes: Sequence[Outcome], names: list[str]) -> BarChart:
    groups = group_order(outcomes)
    _header(ws, ["集团", *names])
    for r, (gid, name) in enumerate(groups, 2):
        set_cell(ws, r, 1, name)
        for c, o in enumerate(outcomes, 2):
            found = next((g for g in o.groups if g.group_id == gid and g.name == name), None)
            if found is not None and not planned(o):
                set_cell(ws, r, c, UNMET)
            else:
                set_cell(ws, r, c, found.rotated if found and o.feasible else None)
    style_sheet(ws)
    notes = ["空白：该方案没有这个集团", f"{UNMET}：该方案的规则无法同时满足，冲突如下"]
    for o, name in zip(outcomes, names, strict=True):
        if not planned(o):
            notes += [f"【{name}】{c}" for c in o.conflicts] or [f"【{name}】{o.status_text}"]
    for offset, note in enumerate(notes):
        set_cell(ws, len(groups) + 2 + offset, 1, note)
    groups_shown = len(groups) + len(notes)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "各集团新交流人数（按方案）"
    chart.y_axis.title = "新交流人数"
    chart.x_axis.title = "集团"
    chart.y_axis.majorGridlines = None
    data = Reference(ws, min_col=2, max_col=1 + len(outcomes), min_row=1, max_row=1 + len(groups))
    categories = Reference(ws, min_col=1, min_row=2, max_row=1 + len(groups))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    chart.width = min(40.0, 8.0 + 1.2 * len(groups) * max(1, len(outcomes)) ** 0.5)
    chart.height = 10.0
    anchor = ws.cell(row=groups_shown + 3, column=1).coordinate
    ws.add_chart(chart, anchor)
    return chart


DIFF_HEADER = [
    "方案",
    "变化",
    "教师编号",
    "姓名",
    "学科",
    "流出学校",
    "第一个方案的流入学校",
    "本方案的流入学校",
    "说明",
]

#: 变化 of a scenario the rules could not be met in (no plan to compare teacher by teacher).
UNMET = "无法满足"


def planned(o: Outcome) -> bool:
    """A plan was found (it may still break rules under --relax)."""
    return o.status in ("optimal", "feasible")


def unmet_rows(o: Outcome, name: str) -> list[list[Any]]:
    """A scenario without a plan: 无法满足 and each of its conflicts, instead of every teacher
    of the first plan marked 取消."""
    blank = ["", "", "", "", "", ""]
    if not o.conflicts:
        return [[name, UNMET, *blank, f"{o.status_text}，没有可比较的交流名单"]]
    return [[name, UNMET, *blank, conflict] for conflict in o.conflicts]


def _note(name: str, change: str, text: str) -> list[Any]:
    return [name, change, "", "", "", "", "", "", text]


def _teacher_rows(first: Outcome, o: Outcome, name: str) -> list[list[Any]]:
    """A planned scenario against the planned first one, teacher by teacher."""
    mine: list[list[Any]] = []
    for tid in sorted(set(first.moves) | set(o.moves)):
        a, b = first.moves.get(tid), o.moves.get(tid)
        move = b or a
        assert move is not None
        if a is None:
            change = "新增"
        elif b is None:
            change = "取消"
        elif a.host != b.host:
            change = "改派"
        else:
            continue
        host_a, host_b = (a.host if a else ""), (b.host if b else "")
        mine.append([name, change, tid, move.name, move.subject, move.home, host_a, host_b, ""])
    order = {"新增": 0, "取消": 1, "改派": 2}
    mine.sort(key=lambda row: (order[row[1]], row[2]))
    return mine or [_note(name, "无差异", "与第一个方案的交流名单完全相同")]


def diff_rows(outcomes: Sequence[Outcome], names: list[str]) -> list[list[Any]]:
    """Each scenario after the first against the first, teacher by teacher; a scenario whose
    rules cannot be met shows 无法满足 and its conflicts."""
    if not outcomes:
        return []
    first = outcomes[0]
    rows: list[list[Any]] = []
    for o, name in zip(outcomes[1:], names[1:], strict=True):
        if o.base_id != first.base_id:
            rows.append(_note(name, "不比较", "基础数据与第一个方案不同，不逐人比较"))
        elif not planned(o):
            rows += unmet_rows(o, name)
        elif not planned(first):
            rows.append(_note(name, "不比较", f"第一个方案（{names[0]}）{UNMET}，不逐人比较"))
        else:
            rows += _teacher_rows(first, o, name)
    return rows


SWEEP_HEADER = [
    "情景",
    "参数",
    "取值",
    "规则全部满足",
    "求解状态",
    "新交流人数",
    "目标值",
    "运行时间（秒）",
    "冲突说明（节选）",
]


def sweep_rows(summaries: Sequence[SweepSummary]) -> list[list[Any]]:
    """Each sweep value's result, then the conclusion of its family."""
    rows: list[list[Any]] = []
    for s in summaries:
        for o in s.rows:
            rows.append(
                [
                    s.name,
                    s.key,
                    o.sweep[1] if o.sweep else "",
                    "是" if o.feasible else "否",
                    o.status_text,
                    o.rotations if o.feasible else None,
                    o.objective,
                    round(o.seconds, 2),
                    "\n".join(o.conflicts[:3]) or None,
                ]
            )
        rows.append([s.name, s.key, "结论", s.conclusion, None, None, None, None, None])
        rows.append([None] * len(SWEEP_HEADER))
    return rows[:-1]


def _table_sheet(ws: Any, header: list[str], rows: list[list[Any]]) -> None:
    _header(ws, header)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            set_cell(ws, r, c, value)
    style_sheet(ws)


def build_workbook(outcomes: Sequence[Outcome], sweeps: Sequence[SweepSummary] = ()) -> Workbook:
    """The comparison workbook in memory."""
    names = column_names(outcomes)
    book = Workbook()
    compare = book.active
    compare.title = COMPARE_SHEET
    _compare_sheet(compare, outcomes, names)
    _groups_sheet(book.create_sheet(GROUPS_SHEET), outcomes, names)
    _table_sheet(book.create_sheet(DIFF_SHEET), DIFF_HEADER, diff_rows(outcomes, names))
    if sweeps:
        sheet = book.create_sheet(SWEEP_SHEET)
        _table_sheet(sheet, SWEEP_HEADER, sweep_rows(sweeps))
        for row in sheet.iter_rows(min_row=2):
            if row[2].value == "结论":
                for cell in row:
                    cell.font = SECTION_FONT
    return book


def write_comparison(
    path: Path,
    outcomes: Sequence[Outcome],
    sweeps: Sequence[SweepSummary] = (),
    *,
    force: bool = False,
) -> None:
    """Atomically write the comparison workbook."""
    book = build_workbook(outcomes, sweeps)
    atomic_write(Path(path), book.save, force=force)
