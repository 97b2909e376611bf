"""The province's summary workbook (省汇总.xlsx): every county's plan against the policy.

Sheets:

* ``省汇总`` — one row per county (and scenario or sweep value): teachers, eligible, new
  rotations, the minimum the ratio rule asks, ratio, backbone share, inflow to weak schools,
  status, rule checks failed, conflicts and the first of them, run time, the county's 审批表;
* ``各县区交流比例`` — the ratio of each county per scenario, and a clustered bar chart of it;
* ``情景合计`` — only with several scenarios or a sweep: per scenario, the counties whose rules
  can all be met, teachers, rotations and the province's ratio.

Small (a row per county and scenario): openpyxl's ordinary mode, every cell through `set_cell`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from rotation.formats.safe_write import atomic_write
from rotation.formats.writing import set_cell, style_sheet
from rotation.reports.outcomes import STATUS_WORDS

SUMMARY_SHEET = "省汇总"
RATIO_SHEET = "各县区交流比例"
TOTALS_SHEET = "情景合计"
PERCENT = "0.0%"
#: 状态 of a county whose workbook (or a scenario applied to it) has errors: nothing planned.
INPUT_ERROR = "数据有误"


@dataclass
class CountyRow:
    """One county's plan under one scenario, reduced to what the province compares."""

    county: str  # the workbook's file name without its suffix: the key of its outputs
    district: str  # the district's own name (规则 sheet's district_name, else the file's)
    variant: str  # the scenario's key ("" for the county's own rules)
    scenario: str  # the scenario's name
    status: str  # optimal / feasible / infeasible / unknown, or INPUT_ERROR
    teachers: int = 0
    eligible: int = 0
    rotations: int = 0
    minimum: int = 0
    backbone: int = 0
    weak_inflow: int = 0
    failed_checks: int = 0
    conflicts: int = 0
    messages: tuple[str, ...] = ()
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    @property
    def feasible(self) -> bool:
        """A plan was found and every rule instance holds on it."""
        return self.status in ("optimal", "feasible") and self.failed_checks == 0

    @property
    def ratio(self) -> float | None:
        """New rotations ÷ eligible teachers."""
        return self.rotations / self.eligible if self.eligible and self.planned else None

    @property
    def backbone_share(self) -> float | None:
        """Backbone teachers among the new rotations."""
        return self.backbone / self.rotations if self.rotations and self.planned else None

    @property
    def planned(self) -> bool:
        return self.status in ("optimal", "feasible")

    @property
    def status_text(self) -> str:
        """状态 in words."""
        if self.planned and self.failed_checks:
            return f"{STATUS_WORDS[self.status]}，但 {self.failed_checks} 项核查未通过"
        return STATUS_WORDS.get(self.status, self.status)


SUMMARY_HEADER = [
    "县区",
    "数据文件",
    "情景",
    "专任教师",
    "符合交流条件",
    "新交流",
    "最低要求",
    "交流比例",
    "骨干占比",
    "薄弱学校流入",
    "状态",
    "冲突数",
    "主要冲突",
    "用时(秒)",
    "审批表",
]


def summary_rows(rows: Sequence[CountyRow]) -> list[list[Any]]:
    """The 省汇总 sheet's rows, in the order given."""
    out: list[list[Any]] = []
    for r in rows:
        shown = r.planned
        out.append(
            [
                r.district,
                r.county,
                r.scenario,
                r.teachers or None,
                r.eligible or None,
                r.rotations if shown else None,
                r.minimum or None,
                r.ratio,
                r.backbone_share,
                r.weak_inflow if shown else None,
                r.status_text,
                r.conflicts or None,
                r.messages[0] if r.messages else None,
                round(r.seconds, 1),
                Path(r.files[0]).name if r.files else None,
            ]
        )
    return out


def scenario_order(rows: Sequence[CountyRow]) -> list[tuple[str, str]]:
    """(variant key, scenario name) in first-seen order."""
    seen: dict[str, str] = {}
    for r in rows:
        seen.setdefault(r.variant, r.scenario)
    return list(seen.items())


def totals_rows(rows: Sequence[CountyRow]) -> list[list[Any]]:
    """Per scenario: counties, counties whose rules can all be met, teachers, rotations, ratio."""
    out: list[list[Any]] = []
    for key, name in scenario_order(rows):
        mine = [r for r in rows if r.variant == key]
        eligible = sum(r.eligible for r in mine if r.planned)
        rotations = sum(r.rotations for r in mine if r.planned)
        out.append(
            [
                name,
                len(mine),
                sum(r.feasible for r in mine),
                sum(r.teachers for r in mine),
                sum(r.eligible for r in mine),
                rotations,
                rotations / eligible if eligible else None,
                "、".join(r.district for r in mine if not r.feasible) or "无",
            ]
        )
    return out


TOTALS_HEADER = [
    "情景",
    "县区数",
    "规则均可满足的县区",
    "专任教师",
    "符合交流条件",
    "新交流",
    "交流比例（已编制县区）",
    "规则无法同时满足或数据有误的县区",
]


def _table(
    ws: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], percent: set[int]
) -> None:
    for c, name in enumerate(header, 1):
        set_cell(ws, 1, c, name)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            cell = set_cell(ws, r, c, value)
            if c in percent and value is not None:
                cell.number_format = PERCENT
    style_sheet(ws)


def _ratio_sheet(ws: Any, rows: Sequence[CountyRow]) -> None:
    scenarios = scenario_order(rows)
    counties: dict[str, str] = {}
    for r in rows:
        counties.setdefault(r.county, r.district)
    by = {(r.county, r.variant): r for r in rows}
    header = ["县区", *(name for _, name in scenarios)]
    table = [
        [district, *(by[c, k].ratio if (c, k) in by else None for k, _ in scenarios)]
        for c, district in counties.items()
    ]
    _table(ws, header, table, set(range(2, len(header) + 1)))
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "各县区交流比例（新交流 ÷ 符合交流条件）"
    chart.y_axis.title = "交流比例"
    chart.y_axis.number_format = "0%"
    chart.x_axis.title = "县区"
    chart.y_axis.majorGridlines = None
    data = Reference(ws, min_col=2, max_col=len(header), min_row=1, max_row=1 + len(table))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(table)))
    chart.width = min(60.0, 10.0 + 0.6 * len(table) * max(1, len(scenarios)) ** 0.5)
    chart.height = 10.0
    ws.add_chart(chart, ws.cell(row=len(table) + 3, column=1).coordinate)


def build_summary(rows: Sequence[CountyRow]) -> Workbook:
    """The province's summary workbook in memory."""
    book = Workbook()
    ws = book.active
    ws.title = SUMMARY_SHEET
    _table(ws, SUMMARY_HEADER, summary_rows(rows), {8, 9})
    _ratio_sheet(book.create_sheet(RATIO_SHEET), rows)
    if len(scenario_order(rows)) > 1:
        _table(book.create_sheet(TOTALS_SHEET), TOTALS_HEADER, totals_rows(rows), {7})
    return book


def write_summary(path: Path, rows: Sequence[CountyRow], *, force: bool = False) -> None:
    """Atomically write 省汇总.xlsx."""
    book = build_summary(rows)
    atomic_write(Path(path), book.save, force=force)
