"""The approval workbook (审批表, SPEC §5): what the bureau signs, posts and files.

Every sheet is a plain styled table (frozen header, fitted widths, landscape, fit to page
width, header repeated on each printed page; AutoFilter on the long ones), written by the
streaming writer so that a city's plan is written in seconds. Text is always stored as text,
never as a formula. 汇总 (approval_summary.py), 审批 and 公示名单 carry a title row naming the
district and year, marked in red when the plan may not be signed (`models.plan.verdict`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models import District
from models.explain import PassedOver, not_chosen_reasons, selection_reasons, seniority_pairs
from models.itinerant import coverage, trips_of
from models.objective import distance_km
from models.plan import NewRotation, Plan, RuleCheck, SolveResult, Verdict, verdict
from models.rules import RULES, PlanFacts
from models.rules.registry import rule_name
from models.rules.subject_balance import allowed as balance_range
from rotation.formats.approval_columns import (
    ITINERANT_HEADER,
    ITINERANT_SHEET,
    ITINERANT_SUMMARY_HEADER,
    ITINERANT_SUMMARY_SHEET,
    KIND_NAMES,
    ONGOING_HEADER,
    ONGOING_SHEET,
    PLAN_HEADER,
    PLAN_SHEET,
    PUBLIC_HEADER,
    PUBLIC_SHEET,
    RETURNING,
    SERVING,
)
from rotation.formats.approval_columns import term_text as term_years
from rotation.formats.safe_write import atomic_write
from rotation.formats.widths import column_widths
from rotation.formats.xlsxfast import Table, write_tables
from rotation.reports.approval_summary import heading, summary_table, title_cell


def term_text(r: NewRotation) -> str:
    """交流期限 as posted: 2025-2026学年至2027-2028学年."""
    return term_years(r.start_year, r.end_year)


def plan_row(d: District, n: int, r: NewRotation, reason: str) -> list[Any]:
    """One row of 交流名单, in PLAN_HEADER's order."""
    t = d.teacher(r.teacher_id)
    home, host = d.school(r.from_school_id), d.school(r.to_school_id)
    km = distance_km(home, host) if home.lon is not None and host.lon is not None else None
    return [
        n,
        t.teacher_id,
        t.name,
        t.subject,
        t.title,
        t.backbone or "否",
        home.school_id,
        home.name,
        host.school_id,
        host.name,
        d.group(home.group_id).name,
        r.start_year,
        r.end_year,
        KIND_NAMES[r.kind],
        host.name,
        km,
        reason,
    ]


def plan_rows(d: District, result: SolveResult, reasons: dict[str, str]) -> list[list[Any]]:
    """交流名单: one row per new rotation, with its 入选理由 (`selection_reasons`)."""
    return [
        plan_row(d, n, r, reasons[r.teacher_id]) for n, r in enumerate(result.plan.rotations, 1)
    ]


def ongoing_rows(d: District) -> list[list[Any]]:
    """在岗交流: rotations still running, and those ending with a return home this year."""
    year = d.plan_year
    rows = []
    for o in d.ongoing:
        if o.start_year > year:
            continue
        t = d.teacher(o.teacher_id)
        returning = o.end_year < year
        rows.append(
            [
                t.teacher_id,
                t.name,
                t.subject,
                o.from_school_id,
                d.school(o.from_school_id).name,
                o.to_school_id,
                d.school(o.to_school_id).name,
                o.start_year,
                o.end_year,
                o.kind.value,
                RETURNING if returning else SERVING,
                year if returning else None,
            ]
        )
    return rows


def school_rows(d: District, facts: PlanFacts) -> list[list[Any]]:
    """学校汇总: per school and subject, staff, this year's movements, and the range the
    subject balance allows the net change (SPEC §4: −tolerance … tolerance + returns home)."""
    staff: Counter[tuple[str, str]] = Counter((t.school_id, t.subject) for t in d.teachers)
    itinerant = with_itinerant(d, facts.plan)
    served: Counter[tuple[str, str]] = Counter()
    for a in facts.plan.itinerant:
        served[a.to_school_id, a.subject] += a.periods
    subjects_at: dict[str, set[str]] = {}
    for sid, subj in [*staff, *facts.in_subject, *served]:
        subjects_at.setdefault(sid, set()).add(subj)
    rows = []
    for s in d.schools:
        tol = d.policy.for_group(s.group_id).subject_balance_tolerance
        for subject in sorted(subjects_at.get(s.school_id, ())):
            key = (s.school_id, subject)
            out, inflow = facts.out_subject[key], facts.in_subject[key]
            back, leaving = facts.returns_home[key], facts.returns_leaving[key]
            low, high = balance_range(tol, back)
            rows.append(
                [
                    d.group(s.group_id).name,
                    s.school_id,
                    s.name,
                    "是" if s.weak else "否",
                    subject,
                    staff[key],
                    out,
                    inflow,
                    back,
                    leaving,
                    inflow + back - out - leaving,
                    f"{low}～+{high}" if low != -high else f"±{high}",
                    *([served[key] or None] if itinerant else []),
                ]
            )
    return rows


def with_itinerant(d: District, plan: Plan) -> bool:
    """Whether the 审批表 shows 走教: the district asks for it, or the plan has some."""
    return bool(d.itinerant_demand or plan.itinerant)


def itinerant_rows(d: District, plan: Plan) -> list[list[Any]]:
    """走教安排: one row per assignment, with trips a week, km one way and the term's subsidy."""
    rows = []
    for n, a in enumerate(plan.itinerant, 1):
        t = d.index.teacher.get(a.teacher_id)
        here, there = d.index.school.get(a.from_school_id), d.index.school.get(a.to_school_id)
        rows.append(
            [
                n,
                a.teacher_id,
                t.name if t else "",
                a.subject,
                a.from_school_id,
                here.name if here else "",
                a.to_school_id,
                there.name if there else "",
                a.periods,
                trips_of(d, a),
                None if a.km is None else float(a.km),
                float(a.subsidy),
            ]
        )
    return rows


def itinerant_summary_rows(d: District, plan: Plan) -> list[list[Any]]:
    """走教汇总: per school and subject of 走教需求 — needed, covered, uncovered, who, why."""
    who: dict[tuple[str, str], list[str]] = {}
    for a in plan.itinerant:
        t = d.index.teacher.get(a.teacher_id)
        name = t.name if t else a.teacher_id
        who.setdefault((a.to_school_id, a.subject), []).append(f"{name}（{a.periods}课时）")
    rows = []
    for gap in coverage(d, plan):
        s = d.school(gap.school_id)
        rows.append(
            [
                d.group(s.group_id).name,
                s.school_id,
                s.name,
                "是" if s.weak else "否",
                gap.subject,
                gap.needed,
                gap.covered,
                gap.uncovered,
                "、".join(who.get((gap.school_id, gap.subject), [])),
                gap.reason,
            ]
        )
    return rows


SCHOOL_HEADER = [
    "集团",
    "学校编号",
    "学校",
    "薄弱学校",
    "学科",
    "专任教师",
    "流出",
    "流入",
    "期满返回本校",
    "期满离开",
    "净变化",
    "允许范围",
]


def compliance_rows(checks: Sequence[RuleCheck]) -> list[list[Any]]:
    """规则核查: every rule instance with required vs actual (the rule's id last)."""
    return [
        [
            rule_name(c.rule),
            c.scope,
            c.required,
            c.actual,
            "通过" if c.ok else "未通过",
            "；".join(c.details[:20]) + ("…" if len(c.details) > 20 else ""),
            c.rule,
        ]
        for c in checks
    ]


COMPLIANCE_HEADER = ["规则", "范围", "要求", "实际", "结果", "说明", "规则编号"]


def ineligible_rows(d: District) -> list[list[Any]]:
    """不符合条件名单: every teacher who may not rotate this year, with every reason."""
    where = {s.school_id: (s.name, d.group(s.group_id).name) for s in d.schools}
    status = d.index.status
    rows = []
    for t in d.teachers:
        reasons = status[t.teacher_id].reasons
        if reasons:
            school, group = where[t.school_id]
            rows.append(
                [
                    t.teacher_id,
                    t.name,
                    school,
                    group,
                    t.subject,
                    t.years_at_school,
                    "；".join(reasons),
                ]
            )
    return rows


INELIGIBLE_HEADER = ["教师编号", "姓名", "学校", "集团", "学科", "本校任教年限", "不符合条件原因"]


def not_chosen_rows(d: District, result: SolveResult, pairs: list[PassedOver]) -> list[list[Any]]:
    """未入选名单: eligible teachers not chosen, with the reason in plain words."""
    if result.status not in ("optimal", "feasible"):
        reasons = {
            t.teacher_id: "方案未生成（规则无法同时满足，见不可行说明）"
            for t in d.eligible_teachers()
        }
    else:
        reasons = not_chosen_reasons(d, result.plan, pairs)
    rows = []
    where = {s.school_id: (s.name, d.group(s.group_id).name) for s in d.schools}
    for t in d.eligible_teachers():
        if t.teacher_id not in reasons:
            continue
        school, group = where[t.school_id]
        rows.append(
            [
                t.teacher_id,
                t.name,
                school,
                group,
                t.subject,
                t.years_at_school,
                t.backbone or "否",
                "是" if t.volunteer else "否",
                reasons[t.teacher_id],
            ]
        )
    return rows


def seniority_rows(d: District, pairs: list[PassedOver]) -> list[list[Any]]:
    """资历说明: each less senior teacher chosen over a more senior colleague, and why."""
    rows = []
    for n, p in enumerate(pairs, 1):
        chosen, senior = d.teacher(p.chosen), d.teacher(p.passed_over)
        rule = RULES[p.rule].name if p.rule in RULES else "综合目标"
        rows.append(
            [
                n,
                d.school(chosen.school_id).name,
                chosen.subject,
                f"{chosen.name}（{chosen.teacher_id}）",
                chosen.years_at_school,
                f"{senior.name}（{senior.teacher_id}）",
                senior.years_at_school,
                rule,
                p.reason,
            ]
        )
    return rows


SENIORITY_HEADER = [
    "序号",
    "学校",
    "学科",
    "入选教师",
    "本校年限",
    "年限更长未入选",
    "本校年限",
    "依据",
    "说明",
]


NOT_CHOSEN_HEADER = [
    "教师编号",
    "姓名",
    "学校",
    "集团",
    "学科",
    "本校任教年限",
    "骨干",
    "自愿交流",
    "未入选原因",
]


def conflict_rows(d: District, result: SolveResult) -> list[list[Any]]:
    """不可行说明: which rules collide, where, and by how much; or, for a relaxed plan, each
    rule instance it falls short of."""
    if result.shortfalls:
        return [
            [n, s.rule, RULES[s.rule].name, s.scope, f"缺{s.missing}", s.message]
            for n, s in enumerate(result.shortfalls, 1)
        ]
    return [
        [n, c.rule, RULES[c.rule].name if c.rule in RULES else c.rule, c.scope, "", c.message]
        for n, c in enumerate(result.conflicts, 1)
    ]


def change_rows(
    d: District, result: SolveResult, reference: Plan, reasons: dict[str, str]
) -> list[list[Any]]:
    """变更对比: each rotation kept, dropped, moved or added against the reference plan, and why."""
    before = {r.teacher_id: r for r in reference.rotations}
    after = {r.teacher_id: r for r in result.plan.rotations}
    pins = {p.teacher_id: p for p in d.pins}

    def school_name(school_id: str | None) -> str:
        if school_id is None:
            return ""
        return d.school(school_id).name if school_id in d.index.school else school_id

    def why_not(teacher_id: str, host: str) -> str:
        if teacher_id not in d.index.teacher:
            return "该教师已不在数据中"
        status = d.status(teacher_id)
        if not status.eligible:
            return f"现不符合交流条件：{status.reason}"
        pin = pins.get(teacher_id)
        if pin is not None and (pin.kind.value == "不得交流" or pin.school_id == host):
            return f"人事锁定{pin.kind.value}{school_name(pin.school_id)}" + (
                f"（{pin.reason}）" if pin.reason else ""
            )
        if host in d.index.school and not d.hosts_stage(host, status.teaching_stage):
            return "原流入学校已不接收该学段"
        return "数据或规则变化后，为满足规则与需求重新安排"

    rows: list[list[Any]] = []
    for teacher_id in [*before, *(t for t in after if t not in before)]:
        old, new = before.get(teacher_id), after.get(teacher_id)
        t = d.index.teacher.get(teacher_id)
        name, subject = (t.name, t.subject) if t else ("", "")
        either = old or new
        home = school_name(either.from_school_id if either else None)
        if old and new and old.to_school_id == new.to_school_id:
            change, reason = "保留", "与参考方案相同"
        elif old and new:
            change, reason = (
                "改派",
                f"{why_not(teacher_id, old.to_school_id)}；{reasons[teacher_id]}",
            )
        elif old:
            change, reason = "取消", why_not(teacher_id, old.to_school_id)
        else:
            change, reason = "新增", reasons[teacher_id]
        rows.append(
            [
                change,
                teacher_id,
                name,
                subject,
                home,
                school_name(old.to_school_id if old else None),
                school_name(new.to_school_id if new else None),
                reason,
            ]
        )
    order = {"取消": 0, "改派": 1, "新增": 2, "保留": 3}
    rows.sort(key=lambda row: order[row[0]])
    return rows


def later_rows(d: District, later: tuple[Plan, ...]) -> list[list[Any]]:
    """预排: the later years of a multi-year plan — indicative, to be re-planned each year."""
    rows: list[list[Any]] = []
    for plan in later:
        for r in plan.rotations:
            t = d.teacher(r.teacher_id)
            rows.append(
                [
                    f"{plan.plan_year}-{plan.plan_year + 1}学年",
                    "预排",
                    t.teacher_id,
                    t.name,
                    t.subject,
                    d.school(r.from_school_id).name,
                    d.school(r.to_school_id).name,
                    term_text(r),
                ]
            )
    return rows


LATER_HEADER = ["学年", "状态", "教师编号", "姓名", "学科", "流出学校", "流入学校", "交流期限"]


CHANGE_HEADER = ["变化", "教师编号", "姓名", "学科", "流出学校", "原流入学校", "新流入学校", "原因"]


APPROVAL_ROWS = [
    ["经办人（签字）", "", "日期", ""],
    ["审核人（签字）", "", "日期", ""],
    ["审批人（签字）", "", "日期", ""],
    ["单位（盖章）", "", "日期", ""],
]


def public_rows(d: District, result: SolveResult) -> list[list[Any]]:
    """公示名单: only what may be posted — no ids, ages or personal reasons."""
    return [
        [
            n,
            d.teacher(r.teacher_id).name,
            d.teacher(r.teacher_id).subject,
            d.school(r.from_school_id).name,
            d.school(r.to_school_id).name,
            term_text(r),
        ]
        for n, r in enumerate(result.plan.rotations, 1)
    ]


#: Long sheets get an AutoFilter on their header.
FILTERED = frozenset(
    {
        PLAN_SHEET,
        ITINERANT_SHEET,
        ITINERANT_SUMMARY_SHEET,
        "学校汇总",
        "规则核查",
        "未入选名单",
        "资历说明",
        "不符合条件名单",
    }
)


def approval_sheet(d: District, result: SolveResult, v: Verdict) -> Table:
    """审批: the signature block, under a title that says when the plan may not be signed; no
    signature block at all when no plan was found."""
    subject = f"{heading(d, '教师交流轮岗名单')}（共{len(result.plan.rotations)}人）"
    if result.status in ("optimal", "feasible"):
        rows = APPROVAL_ROWS
    else:
        rows = [["说明", v.notice, "", ""], ["", "原因见「不可行说明」", "", ""]]
    header = ["审批事项", subject, "", ""]
    return Table(
        "审批",
        header,
        rows,
        widths=column_widths(header, rows),
        title=title_cell(d, "教师交流轮岗名单审批", v),
    )


def public_sheet(d: District, result: SolveResult, v: Verdict) -> Table:
    """公示名单, under its title (marked when the plan may not be signed)."""
    rows = public_rows(d, result)
    return Table(
        PUBLIC_SHEET,
        PUBLIC_HEADER,
        rows,
        widths=column_widths(PUBLIC_HEADER, rows),
        title=title_cell(d, "教师交流轮岗人员公示名单", v),
    )


def approval_tables(
    d: District,
    result: SolveResult,
    checks: Sequence[RuleCheck],
    *,
    input_sha256: str,
    scenario: str,
    timings: dict[str, float],
    reference: Plan | None = None,
    later: tuple[Plan, ...] = (),
    plan_id: str = "",
    facts: PlanFacts | None = None,
) -> list[Table]:
    """Every sheet of the approval workbook, in the order SPEC §5 lists them (变更对比 after
    交流名单 when re-planning against a reference; 不符合条件名单 after 未入选名单). `facts`:
    the plan's, when the caller has them already (the checks were made from them)."""
    facts = facts or PlanFacts.of(d, result.plan)
    reasons = selection_reasons(d, result.plan, facts)
    pairs = seniority_pairs(d, result.plan)
    v = verdict(result, checks)
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (PLAN_SHEET, PLAN_HEADER, plan_rows(d, result, reasons)),
        *(
            [("变更对比", CHANGE_HEADER, change_rows(d, result, reference, reasons))]
            if reference
            else []
        ),
        *([("预排", LATER_HEADER, later_rows(d, later))] if later else []),
        *(
            [
                (ITINERANT_SHEET, ITINERANT_HEADER, itinerant_rows(d, result.plan)),
                (
                    ITINERANT_SUMMARY_SHEET,
                    ITINERANT_SUMMARY_HEADER,
                    itinerant_summary_rows(d, result.plan),
                ),
            ]
            if with_itinerant(d, result.plan) and result.status in ("optimal", "feasible")
            else []
        ),
        (ONGOING_SHEET, ONGOING_HEADER, ongoing_rows(d)),
        (
            "学校汇总",
            SCHOOL_HEADER + (["走教"] if with_itinerant(d, result.plan) else []),
            school_rows(d, facts),
        ),
        ("规则核查", COMPLIANCE_HEADER, compliance_rows(checks)),
        ("未入选名单", NOT_CHOSEN_HEADER, not_chosen_rows(d, result, pairs)),
        ("不符合条件名单", INELIGIBLE_HEADER, ineligible_rows(d)),
        ("资历说明", SENIORITY_HEADER, seniority_rows(d, pairs)),
    ]
    if result.status == "infeasible" or result.shortfalls:
        header = ["序号", "规则编号", "规则", "范围", "缺口", "说明"]
        sheets.append(("不可行说明", header, conflict_rows(d, result)))
    summary = summary_table(
        d,
        result,
        v,
        input_sha256=input_sha256,
        scenario=scenario,
        timings=timings,
        plan_id=plan_id,
    )
    tables = [
        Table(
            name,
            header,
            rows,
            widths=column_widths(header, rows),
            autofilter=name in FILTERED,
        )
        for name, header, rows in sheets
    ]
    return [summary, *tables, approval_sheet(d, result, v), public_sheet(d, result, v)]


def write_approval_workbook(path: Path, tables: list[Table], *, force: bool) -> None:
    """Atomically write the approval workbook."""
    atomic_write(path, lambda temp: write_tables(temp, tables), force=force)
