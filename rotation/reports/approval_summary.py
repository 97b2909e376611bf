"""The 审批表's 汇总 sheet: what the plan is and whether it may be signed, each group's figures
as a table with a bar chart, the objective's terms, the effective parameters in words, and, at
the bottom, the run information only a technician needs (bound, input hash, version, timings).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from models import District
from models.objective import TERMS
from models.plan import HorizonNote, SolveResult, Verdict
from models.policy import PREVIEW_KEYS, SHOWN_PARAMETER_KEYS, display_param, label_of
from models.requirements import group_requirement
from rotation import __version__
from rotation.formats.approval_columns import PLAN_ID_LABEL, SUMMARY_SHEET
from rotation.formats.widths import column_widths
from rotation.formats.xlsxfast import Chart, Styled, Table

SUMMARY_HEADER = ["项目", "内容", "说明"]
#: The per-group figures: one column each (the chart draws 至少交流 and 已交流).
GROUP_HEADER = ["集团", "符合条件", "至少交流", "已交流", "比例", "骨干", "骨干占比", "薄弱校流入"]
#: The columns the summary spans: the group table is its widest part.
SUMMARY_COLUMNS = len(GROUP_HEADER)

STATUS_NAMES = {
    "optimal": "最优（已证明）",
    "feasible": "可行（未证明最优）",
    "infeasible": "规则无法同时满足",
    "unknown": "未求得方案",
}

TIMING_NAMES = {
    "read": "读取",
    "build": "建模（各模型合计）",
    "solve": "求解（各模型合计）",
    "solve_wall": "建模与求解（实耗）",
    "write": "核查与写出",
}


def heading(d: District, what: str) -> str:
    """A title: 「闵行区 2025学年教师交流轮岗名单」."""
    return f"{d.name} {d.plan_year}学年{what}"


def title_cell(d: District, what: str, v: Verdict) -> Styled:
    """A sheet's title row, in red with the notice when the plan may not be signed."""
    if v.approvable:
        return Styled(heading(d, what), "title")
    return Styled(f"{heading(d, what)}（{v.notice}）", "warning_title")


def elapsed(timings: dict[str, float]) -> float:
    """End-to-end seconds: build and solve overlap across processes, so count their wall time."""
    if "solve_wall" in timings:
        return timings.get("read", 0.0) + timings["solve_wall"] + timings.get("write", 0.0)
    return sum(timings.values())


def status_text(result: SolveResult, v: Verdict) -> str:
    """求解状态 in words; a relaxed plan is never called optimal."""
    if result.shortfalls:
        return "放宽规则后求得的最接近方案（未满足全部规则）"
    if not v.approvable and result.status in ("optimal", "feasible"):
        return f"{STATUS_NAMES[result.status]}，但规则核查有未通过项"
    return STATUS_NAMES[result.status]


def _section(title: str) -> list[Any]:
    return [Styled(title, "section")]


def _header(values: list[str]) -> list[Any]:
    return [Styled(v, "header") for v in values]


@dataclass(frozen=True)
class GroupFigure:
    """One group's row of the summary."""

    name: str
    eligible: int
    minimum: int
    rotated: int
    base: int
    backbone: int
    weak_inflow: int

    def row(self) -> list[Any]:
        ratio = self.rotated / self.base if self.base else None
        share = self.backbone / self.rotated if self.rotated else None
        return [
            self.name,
            self.eligible,
            self.minimum,
            self.rotated,
            Styled(ratio, "percent") if ratio is not None else "—",
            self.backbone,
            Styled(share, "percent") if share is not None else "—",
            self.weak_inflow,
        ]


def group_figures(d: District, result: SolveResult) -> list[GroupFigure]:
    """Per group: eligible, the minimum the rules ask, rotated, backbone, weak-school inflow."""
    rotated: Counter[str] = Counter()
    backbone: Counter[str] = Counter()
    weak_in: Counter[str] = Counter()
    for r in result.plan.rotations:
        gid = d.status(r.teacher_id).group_id
        rotated[gid] += 1
        backbone[gid] += int(d.teacher(r.teacher_id).is_backbone)
        weak_in[gid] += int(d.school(r.to_school_id).weak)
    figures = []
    for g in d.groups:
        req = group_requirement(d, g.group_id)
        figures.append(
            GroupFigure(
                name=g.name,
                eligible=req.eligible,
                minimum=req.min_rotations,
                rotated=rotated[g.group_id],
                base=req.ratio_base,
                backbone=backbone[g.group_id],
                weak_inflow=weak_in[g.group_id],
            )
        )
    return figures


def _total(figures: list[GroupFigure]) -> GroupFigure:
    return GroupFigure(
        name="全区合计",
        eligible=sum(f.eligible for f in figures),
        minimum=sum(f.minimum for f in figures),
        rotated=sum(f.rotated for f in figures),
        base=sum(f.base for f in figures),
        backbone=sum(f.backbone for f in figures),
        weak_inflow=sum(f.weak_inflow for f in figures),
    )


def _fact_rows(d: District, result: SolveResult, v: Verdict, scenario: str) -> list[list[Any]]:
    ineligible = len(d.teachers) - len(d.eligible_teachers())
    return [
        ["区县", d.name, ""],
        ["编制学年", f"{d.plan_year}-{d.plan_year + 1}学年", ""],
        ["方案", scenario, ""],
        ["求解状态", status_text(result, v), "已达时间上限" if result.time_limit_hit else ""],
        [
            "能否报批",
            "可以报批" if v.approvable else Styled("不得报批", "warning"),
            Styled(v.notice, "warning") if not v.approvable else v.notice,
        ],
        ["新交流人数", len(result.plan.rotations), "见「交流名单」"],
        ["期满返回人数", len(result.plan.returns), "见「在岗交流」"],
        ["不符合交流条件人数", ineligible, "逐人原因见「不符合条件名单」"],
    ]


def horizon_rows(note: HorizonNote | None) -> list[list[Any]]:
    """--horizon: planned jointly with the later years, or why not (the first year that
    cannot be met and its colliding rules, one row each)."""
    if note is None:
        return []
    rows = [[], _section("多学年联合编制"), ["联合编制学年数", note.years, ""]]
    if note.joint:
        rows.append(["结果", "已联合编制", "本学年为正式方案，之后各年为预排（见「预排」）"])
        return rows
    rows.append(["结果", Styled("无法联合编制", "warning"), Styled(note.reason, "warning")])
    rows.append(["无法满足的学年", f"{note.year}学年" if note.year is not None else "未能确定", ""])
    rows += [["冲突规则", c.scope, c.message] for c in note.conflicts]
    return rows


def _parameter_rows(d: District) -> list[list[Any]]:
    rows = [_section("生效参数"), _header(["参数", "值", "适用范围", "参数名"])]
    for key in SHOWN_PARAMETER_KEYS:
        value = getattr(d.policy.district, key)
        rows.append([label_of(key), display_param(key, value), "全区", key])
    for gid, overrides in d.policy.group_overrides.items():
        for key, value in overrides.items():
            if key in PREVIEW_KEYS:
                continue
            rows.append([label_of(key), display_param(key, value), d.group(gid).name, key])
    return rows


def _run_rows(
    result: SolveResult, input_sha256: str, timings: dict[str, float], plan_id: str
) -> list[list[Any]]:
    spent = "；".join(f"{TIMING_NAMES[k]} {v:.2f}" for k, v in timings.items() if k in TIMING_NAMES)
    same = "与方案 JSON 的 plan_id 相同：两份文件出自同一次编制"
    return [
        _section("运行信息（供技术人员核对）"),
        *([[PLAN_ID_LABEL, plan_id, same]] if plan_id else []),
        ["目标值", result.objective, "越大越好"],
        ["目标上界", result.best_bound, "目标值等于上界即已证明最优"],
        ["运行时间(秒)", round(elapsed(timings), 2), spent],
        ["输入文件SHA-256", input_sha256, "用于核对审批表出自哪一份数据"],
        ["软件版本", __version__, ""],
    ]


def group_chart(first_row: int, last_row: int, columns: int) -> Chart:
    """A clustered bar chart of 至少交流 and 已交流 per group, from the summary's group table
    (1-based rows of its header and last group), placed to the right of the table."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.xml.functions import tostring

    sheet = Workbook().active
    sheet.title = SUMMARY_SHEET
    chart = BarChart()
    chart.type = "bar"  # horizontal: long Chinese group names read along the axis
    chart.grouping = "clustered"
    chart.title = "各集团交流人数"
    chart.y_axis.title = "人数"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # groups top to bottom, as in the table
    minimum, rotated = GROUP_HEADER.index("至少交流") + 1, GROUP_HEADER.index("已交流") + 1
    data = Reference(sheet, min_col=minimum, max_col=rotated, min_row=first_row, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first_row + 1, max_row=last_row))
    # explicit colours: the streaming writer has no theme for scheme colours to come from
    for series, colour in zip(chart.series, ("A5A5A5", "4472C4"), strict=False):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    height = max(16, 2 * (last_row - first_row))
    return Chart(
        xml=tostring(chart._write()),
        top_left=(columns + 1, first_row - 2),
        bottom_right=(columns + 9, first_row - 2 + height),
    )


def summary_table(
    d: District,
    result: SolveResult,
    v: Verdict,
    *,
    input_sha256: str,
    scenario: str,
    timings: dict[str, float],
    plan_id: str = "",
) -> Table:
    """汇总: facts, per-group figures with a chart, objective terms, parameters, run facts."""
    rows = _fact_rows(d, result, v, scenario) + horizon_rows(result.horizon)
    rows += [[], _section("各集团指标"), _header(GROUP_HEADER)]
    header_row = len(rows) + 2  # 1-based, below the title and the sheet's header rows
    figures = group_figures(d, result)
    rows += [f.row() for f in figures]
    last_group_row = header_row + len(figures)
    rows.append(
        [Styled(c, "section") if i == 0 else c for i, c in enumerate(_total(figures).row())]
    )
    rows += [[], _section("目标分项"), _header(["分项", "得分", "权重"])]
    for term in TERMS:
        weight = getattr(d.policy.district, term.weight)
        rows.append([term.name, result.terms.get(term.key, 0), weight])
    rows += [[], *_parameter_rows(d), [], *_run_rows(result, input_sha256, timings, plan_id)]
    charts = [group_chart(header_row, last_group_row, SUMMARY_COLUMNS)] if figures else []
    plain = [[c.value if isinstance(c, Styled) else c for c in row] for row in rows]
    widths = column_widths(SUMMARY_HEADER + [""] * (SUMMARY_COLUMNS - 3), plain)
    return Table(
        SUMMARY_SHEET,
        SUMMARY_HEADER,
        rows,
        widths=[min(w, 40.0) for w in widths],
        title=title_cell(d, "教师交流轮岗方案汇总", v),
        columns=SUMMARY_COLUMNS,
        charts=charts,
    )
