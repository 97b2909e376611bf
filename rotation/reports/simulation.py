"""The policy-simulation workbook (政策模拟.xlsx): N school years planned forward per scenario.

The figures (`GroupYear`, `YearResult`, `Simulation`) are plain data, filled by
`rotation.service.simulate` and small enough to send back from a worker process. Sheets:

* ``说明`` — what was simulated: each scenario, its base data, how far it got (a year whose rules
  cannot all be met stops that scenario's chain, with the colliding rules named), and what each
  indicator means.
* ``全区指标`` — one row per scenario and year, the district-wide figures.
* ``趋势图`` — one native Excel line chart per indicator, one line per scenario, each beside the
  small table it is drawn from.
* ``各集团指标`` — one row per scenario, year and group.

Small enough for openpyxl's ordinary mode; every cell goes through `set_cell`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font

from rotation.formats.safe_write import atomic_write
from rotation.formats.writing import HEADER_FONT, HEADER_PATTERN, set_cell, style_sheet

NOTES_SHEET = "说明"
DISTRICT_SHEET = "全区指标"
CHARTS_SHEET = "趋势图"
GROUPS_SHEET = "各集团指标"
PERCENT = "0.0%"
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, color="FF1F4E79")
DISTRICT = "全区"

#: Year statuses in words.
DONE = "已编制"
FAILED = "无法满足"
UNSOLVED = "未求得方案"
CHECK_FAILED = "规则核查未通过"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class GroupYear:
    """One group's (or the whole district's) figures in one simulated school year."""

    group_id: str
    name: str
    teachers: int = 0
    eligible: int = 0
    ratio_base: int = 0
    minimum: int = 0
    rotations: int = 0
    backbone: int = 0
    weak_inflow: int = 0
    pool: int = 0  # present teachers ever eligible in the simulation, or ever rotated
    rotated_ever: int = 0  # present teachers who have rotated at least once (ongoing counts)
    retired: int = 0  # left at the start of this year (retirement)
    hired: int = 0  # new hires at the start of this year

    @property
    def ratio(self) -> float | None:
        """交流比例: new rotations ÷ the ratio base (eligible or all full-time teachers)."""
        return _share(self.rotations, self.ratio_base)

    @property
    def backbone_share(self) -> float | None:
        """骨干占比: backbone teachers among the new rotations."""
        return _share(self.backbone, self.rotations)

    @property
    def coverage(self) -> float | None:
        """交流覆盖率: rotated at least once ÷ teachers ever eligible (or rotated)."""
        return _share(self.rotated_ever, self.pool)

    @property
    def experience(self) -> float | None:
        """多校经历占比: rotated at least once ÷ all teachers present."""
        return _share(self.rotated_ever, self.teachers)


def add_up(group_id: str, name: str, parts: Sequence[GroupYear]) -> GroupYear:
    """The sum of several groups' figures."""
    return GroupYear(
        group_id,
        name,
        **{
            key: sum(getattr(p, key) for p in parts)
            for key in (
                "teachers",
                "eligible",
                "ratio_base",
                "minimum",
                "rotations",
                "backbone",
                "weak_inflow",
                "pool",
                "rotated_ever",
                "retired",
                "hired",
            )
        },
    )


@dataclass(frozen=True)
class YearResult:
    """One simulated school year of one scenario."""

    index: int  # 1 … years
    year: int  # the plan year (2025 for 2025-2026)
    status: str  # DONE, FAILED, UNSOLVED or CHECK_FAILED
    groups: tuple[GroupYear, ...] = ()
    rules: tuple[str, ...] = ()  # names of the colliding rules, when the year failed
    messages: tuple[str, ...] = ()  # the first conflicts in words
    rotated_ids: tuple[str, ...] = ()  # teachers whose new rotation starts this year
    seconds: float = 0.0  # the year: plan, check, figures, carry-over
    solve_seconds: float = 0.0  # of which building and solving

    @property
    def ok(self) -> bool:
        """The year was planned with every rule met."""
        return self.status == DONE

    @property
    def total(self) -> GroupYear:
        """District-wide figures."""
        return add_up("", DISTRICT, self.groups)


@dataclass
class Simulation:
    """One scenario's chain of simulated years."""

    key: str
    name: str
    base_label: str
    path: str
    years: int  # asked for
    start_year: int
    results: list[YearResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> YearResult | None:
        """The year that stopped the chain, if one did."""
        return next((r for r in self.results if not r.ok), None)

    @property
    def conclusion(self) -> str:
        """How far the chain got, in words."""
        bad = self.failed
        if bad is None:
            return f"{self.years}个学年均已编制，规则全部满足"
        rules = "、".join(bad.rules) or "（未求得方案，无冲突说明）"
        return (
            f"第{bad.index}学年（{bad.year}学年）{bad.status}：{rules}；"
            f"模拟在此停止，之后的学年未模拟"
        )


# -- indicators -------------------------------------------------------------------------------

Getter = Callable[[GroupYear], float | int | None]

#: (name, value, number format) of each charted indicator.
INDICATORS: tuple[tuple[str, Getter, str | None], ...] = (
    ("新交流人数", lambda g: g.rotations, None),
    ("交流比例", lambda g: g.ratio, PERCENT),
    ("骨干教师占比", lambda g: g.backbone_share, PERCENT),
    ("流入薄弱学校人数", lambda g: g.weak_inflow, None),
    ("交流覆盖率", lambda g: g.coverage, PERCENT),
    ("多校任教经历占比", lambda g: g.experience, PERCENT),
)

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("新交流人数", "本学年新开始交流的教师人数（不含在岗交流）"),
    ("交流比例", "新交流人数 ÷ 比例基数（规则 ratio_base：符合交流条件的教师，或全部专任教师）"),
    ("骨干教师占比", "新交流教师中骨干教师所占比例"),
    ("流入薄弱学校人数", "本学年新流入薄弱学校的教师人数"),
    (
        "交流覆盖率",
        "至少交流过一次的在职教师 ÷ 曾符合交流条件的在职教师（模拟开始以来任一学年符合条件，"
        "或已交流过）；输入数据中在岗交流（含本学年期满返回）的教师算作已交流",
    ),
    (
        "多校任教经历占比",
        "至少交流过一次（在岗或已期满）的在职教师 ÷ 全部在职教师，即在两所及以上学校任教过的教师比例",
    ),
    (
        "退休离岗 / 新入职",
        "每学年初，预计退休学年不晚于该学年的教师离岗，同校同学科补充同样人数的新教师",
    ),
    (
        "新入职教师",
        "本校连续任教年限为0，24–30岁，按随机种子生成：相同参数得到相同结果；退休骨干教师由同校35岁以上教师接任骨干",
    ),
    (
        "未模拟的变化",
        "骨干评定、调入调出、学校增减和新的需求不在模拟之内：新教师均非骨干，需求只按结转减少",
    ),
)


# -- the workbook -----------------------------------------------------------------------------


def column_names(simulations: Sequence[Simulation]) -> list[str]:
    """One distinct title per scenario (the name, with the key when names repeat)."""
    counts: dict[str, int] = {}
    for s in simulations:
        counts[s.name] = counts.get(s.name, 0) + 1
    return [s.name if counts[s.name] == 1 else f"{s.name}（{s.key}）" for s in simulations]


def _header(ws: Any, row: int, values: Sequence[str], col: int = 1) -> None:
    for c, value in enumerate(values, col):
        cell = set_cell(ws, row, c, value)
        cell.font = HEADER_FONT
        cell.fill = HEADER_PATTERN
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _notes_sheet(ws: Any, simulations: Sequence[Simulation], names: list[str]) -> None:
    set_cell(ws, 1, 1, "政策模拟：按各情景的规则逐年编制交流方案并结转").font = TITLE_FONT
    _header(ws, 3, ["情景", "基础数据", "情景文件 / 数据", "起始学年", "模拟学年数", "结果"])
    row = 4
    for s, name in zip(simulations, names, strict=True):
        values = [name, s.base_label, s.path, s.start_year, s.years, s.conclusion]
        for c, value in enumerate(values, 1):
            set_cell(ws, row, c, value)
        row += 1
    row += 1
    set_cell(ws, row, 1, "每学年的步骤").font = SECTION_FONT
    steps = (
        "1. 按情景的规则编制本学年交流方案（与 rotation plan 相同）；",
        "2. 按方案结转到下一学年（与 rotation advance 相同：新交流转为在岗，期满返回，年限加一）；",
        "3. 退休教师离岗，同校同学科补充同样人数的新教师。",
        "某学年规则无法同时满足时，记录相互冲突的规则，该情景的模拟在此停止。",
    )
    for text in steps:
        row += 1
        set_cell(ws, row, 1, text)
    row += 2
    set_cell(ws, row, 1, "指标说明").font = SECTION_FONT
    for label, text in DEFINITIONS:
        row += 1
        set_cell(ws, row, 1, label)
        set_cell(ws, row, 2, text)
    failed = [
        (bad, name)
        for s, name in zip(simulations, names, strict=True)
        if (bad := s.failed) is not None
    ]
    if failed:
        row += 2
        set_cell(ws, row, 1, "无法满足的学年：冲突说明（节选）").font = SECTION_FONT
    for bad, name in failed:
        for message in bad.messages or (bad.status,):
            row += 1
            set_cell(ws, row, 1, f"{name}，{bad.year}学年")
            set_cell(ws, row, 2, message).alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=6)
    style_sheet(ws, widths=[22.0, 40.0, 36.0, 10.0, 12.0, 60.0], header_rows=0)


FIGURE_HEADER = [
    "教师人数",
    "符合交流条件",
    "比例基数",
    "规则要求至少交流",
    "新交流人数",
    "交流比例",
    "骨干人数",
    "骨干教师占比",
    "流入薄弱学校人数",
    "曾符合条件或已交流",
    "至少交流过一次",
    "交流覆盖率",
    "多校任教经历占比",
    "学年初退休离岗",
    "学年初新入职",
]
_FIGURE_FORMATS = {5: PERCENT, 7: PERCENT, 11: PERCENT, 12: PERCENT}


def figure_values(g: GroupYear) -> list[Any]:
    """The columns of FIGURE_HEADER for one group (or the district)."""
    return [
        g.teachers,
        g.eligible,
        g.ratio_base,
        g.minimum,
        g.rotations,
        g.ratio,
        g.backbone,
        g.backbone_share,
        g.weak_inflow,
        g.pool,
        g.rotated_ever,
        g.coverage,
        g.experience,
        g.retired,
        g.hired,
    ]


def _figure_row(ws: Any, row: int, lead: list[Any], g: GroupYear | None) -> None:
    for c, value in enumerate(lead, 1):
        set_cell(ws, row, c, value)
    if g is None:
        return
    for i, value in enumerate(figure_values(g)):
        cell = set_cell(ws, row, len(lead) + 1 + i, value)
        if i in _FIGURE_FORMATS and value is not None:
            cell.number_format = _FIGURE_FORMATS[i]


def _district_sheet(ws: Any, simulations: Sequence[Simulation], names: list[str]) -> None:
    lead = ["情景", "学年", "模拟年次", "状态", "冲突规则"]
    _header(ws, 1, lead + FIGURE_HEADER)
    row = 2
    for s, name in zip(simulations, names, strict=True):
        for r in s.results:
            note = "" if r.ok else ("、".join(r.rules) or r.status) + "。模拟在此停止"
            values: list[Any] = [name, r.year, f"第{r.index}/{s.years}学年", r.status, note]
            _figure_row(ws, row, values, r.total if r.ok else None)
            row += 1
    style_sheet(ws)
    ws.freeze_panes = "B2"


def _groups_sheet(ws: Any, simulations: Sequence[Simulation], names: list[str]) -> None:
    lead = ["情景", "学年", "集团编号", "集团"]
    _header(ws, 1, lead + FIGURE_HEADER)
    row = 2
    for s, name in zip(simulations, names, strict=True):
        for r in s.results:
            if not r.ok:
                set_cell(ws, row, 1, name)
                set_cell(ws, row, 2, r.year)
                set_cell(ws, row, 4, f"{r.status}：{'、'.join(r.rules)}。模拟在此停止")
                row += 1
                continue
            for g in r.groups:
                _figure_row(ws, row, [name, r.year, g.group_id, g.name], g)
                row += 1
    style_sheet(ws)
    ws.freeze_panes = "E2"


def _charts_sheet(ws: Any, simulations: Sequence[Simulation], names: list[str]) -> list[LineChart]:
    years = sorted({r.year for s in simulations for r in s.results})
    charts: list[LineChart] = []
    block = max(len(years) + 3, 18)  # rows per indicator: its table, and room for the chart
    for i, (label, get, fmt) in enumerate(INDICATORS):
        top = 1 + i * block
        set_cell(ws, top, 1, label).font = SECTION_FONT
        _header(ws, top + 1, ["学年", *names])
        for r, year in enumerate(years, top + 2):
            set_cell(ws, r, 1, year)
            for c, s in enumerate(simulations, 2):
                found = next((y for y in s.results if y.year == year and y.ok), None)
                cell = set_cell(ws, r, c, get(found.total) if found else None)
                if fmt:
                    cell.number_format = fmt
        chart = LineChart()
        chart.title = f"{label}（全区，按情景）"
        chart.y_axis.title = label
        chart.x_axis.title = "学年"
        chart.x_axis.delete = chart.y_axis.delete = False  # shown (openpyxl 3.1 omits it)
        if fmt:
            chart.y_axis.number_format = PERCENT  # "0%" repeats 11% 11% 11% on a narrow range
        last = top + 1 + len(years)
        data = Reference(ws, min_col=2, max_col=1 + len(simulations), min_row=top + 1, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=top + 2, max_row=last))
        chart.width, chart.height = 18.0, 8.0
        ws.add_chart(chart, ws.cell(row=top, column=len(simulations) + 3).coordinate)
        charts.append(chart)
    style_sheet(ws, widths=[10.0] + [max(14.0, 2.2 * len(n)) for n in names], header_rows=0)
    return charts


def build_workbook(simulations: Sequence[Simulation]) -> Workbook:
    """The simulation workbook in memory."""
    names = column_names(simulations)
    book = Workbook()
    notes = book.active
    notes.title = NOTES_SHEET
    _notes_sheet(notes, simulations, names)
    _district_sheet(book.create_sheet(DISTRICT_SHEET), simulations, names)
    _charts_sheet(book.create_sheet(CHARTS_SHEET), simulations, names)
    _groups_sheet(book.create_sheet(GROUPS_SHEET), simulations, names)
    return book


def write_simulation(path: Path, simulations: Sequence[Simulation], *, force: bool = False) -> None:
    """Atomically write the simulation workbook."""
    book = build_workbook(simulations)
    atomic_write(Path(path), book.save, force=force)
