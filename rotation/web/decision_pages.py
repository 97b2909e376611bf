"""The meeting's pages (issue 16): a teacher's pin, the year's pins and saved plans, a re-plan
that opens on its 变更对比 with the figures before → after, and two plans side by side.

Forms carry the CSRF token; every change needs the 经办人 role (the service refuses changes
through an approved plan) and lands in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from rotation.records import NotFound, RecordsError
from rotation.service.decisions import (
    PinRefused,
    compare,
    describe,
    pin_choices,
    pins_of,
    plan_title,
    reference_of,
    remove_pin,
    set_pin,
)
from rotation.service.jobs import MAX_TIME_LIMIT
from rotation.service.review import SHEET_KEYS, Review
from rotation.web.charts import bar_chart
from rotation.web.common import data_of, require
from rotation.web.decision_api import known_plan, order_replan, saved_plans
from rotation.web.pages import PlanView, _plan, check_csrf, render

router = APIRouter(include_in_schema=False)

PIN_KINDS = ("不得交流", "必须交流至", "不得交流至")
CHANGE_ORDER = ("取消", "改派", "新增", "保留")


def _teacher_context(view: PlanView, teacher_id: str) -> dict[str, Any]:
    with Review(view.store) as review:
        found = review.teacher_rows(teacher_id)
    if not found:
        raise HTTPException(404, "本方案中没有这位教师")
    name = next(
        (
            rows[0][header.index(column)]
            for column in ("姓名", "教师")
            for header, rows in found.values()
            if column in header
        ),
        None,
    )
    return {
        **view.head(),
        "found": found,
        "teacher_id": teacher_id,
        "teacher_name": name,
        "names": SHEET_KEYS,
    }


def teacher_page_response(
    request: Request, view: PlanView, teacher_id: str, *, errors: str = "", status: int = 200
) -> Response:
    """A teacher's rows in every sheet, and the pin card: the teacher's pin for the school
    year, and (经办人, plan not approved) the form to take one."""
    data = data_of(request)
    context = _teacher_context(view, teacher_id)
    pin = next((p for p in pins_of(data, view.info) if p.teacher_id == teacher_id), None)
    choices, why = pin_choices(data, view.info, teacher_id)
    return render(
        request,
        "teacher.html",
        status=status,
        **context,
        pin=pin,
        pin_kinds=PIN_KINDS,
        pin_schools=choices,
        pin_note=why,
        pin_errors=[e for e in errors.split("；") if e],
    )


@router.get("/plans/{plan_id}/teachers/{teacher_id}")
async def teacher_page(plan_id: str, teacher_id: str, request: Request) -> Response:
    view = _plan(request, plan_id)
    return teacher_page_response(request, view, teacher_id[:64])


@router.post("/plans/{plan_id}/pins")
def pin_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    teacher_id: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=10)] = "",
    school_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    view = _plan(request, plan_id)
    teacher_id = teacher_id.strip()
    try:
        set_pin(
            data_of(request),
            view.info,
            teacher_id=teacher_id,
            kind=kind,
            school_id=school_id if kind != "不得交流" else None,
            reason=reason,
            by=user.name,
        )
    except PinRefused as refused:
        if not teacher_id:
            raise HTTPException(422, str(refused)) from refused
        try:
            return teacher_page_response(request, view, teacher_id, errors=str(refused), status=422)
        except HTTPException:  # a teacher this plan does not know: say it on its own
            raise HTTPException(422, str(refused)) from refused
    except RecordsError as locked:
        raise HTTPException(409, str(locked)) from locked
    return RedirectResponse(
        f"/plans/{plan_id}/teachers/{quote(teacher_id, safe='')}#pin", status_code=303
    )


@router.post("/plans/{plan_id}/pins/{teacher_id}/remove")
def pin_remove_form(
    plan_id: str, teacher_id: str, request: Request, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    info = known_plan(request, plan_id)
    try:
        remove_pin(data_of(request), info, teacher_id[:64], by=user.name)
    except NotFound as missing:
        raise HTTPException(404, "该教师没有本学年的锁定") from missing
    except (PinRefused, RecordsError) as refused:
        raise HTTPException(409, str(refused)) from refused
    return RedirectResponse(f"/plans/{plan_id}/decisions#pins", status_code=303)


@router.get("/plans/{plan_id}/decisions")
def decisions_page(plan_id: str, request: Request, teacher: str = "") -> Response:
    """锁定与调整: the year's pins, the re-plan, the plan's name and note, the year's plans."""
    view = _plan(request, plan_id)
    if teacher.strip():  # the 'pin a teacher' box: straight to the teacher's card
        target = quote(teacher.strip()[:64], safe="")
        return RedirectResponse(f"/plans/{plan_id}/teachers/{target}#pin", status_code=303)
    data = data_of(request)
    return render(
        request,
        "decisions.html",
        **view.head(),
        key="decisions",
        pins=pins_of(data, view.info),
        saved=saved_plans(plan_id, request),
        title=plan_title(view.info),
        max_time=int(MAX_TIME_LIMIT),
    )


@router.post("/plans/{plan_id}/describe")
def describe_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    info = known_plan(request, plan_id)
    try:
        describe(
            data_of(request),
            info,
            name=name,
            note=note,
            version=int(version) if version.strip().isdigit() else None,
            by=user.name,
        )
    except RecordsError as conflict:
        raise HTTPException(409, str(conflict)) from conflict
    except ValueError as invalid:
        raise HTTPException(422, str(invalid)) from invalid
    return RedirectResponse(f"/plans/{plan_id}/decisions", status_code=303)


@router.post("/plans/{plan_id}/replan")
def replan_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    require(request, "经办人")
    job = order_replan(request, plan_id, name, note)
    return RedirectResponse(f"/jobs/{job['job_id']}", status_code=303)


def _figures(view: PlanView) -> dict[str, Any]:
    """A plan's headline figures from its review store (cheap: nothing recomputed)."""
    facts, groups = view.static.facts, view.static.groups
    rotated = sum(g["rotated"] for g in groups)
    backbone = sum(g["backbone"] for g in groups)
    return {
        "status": facts.get("status"),
        "rotations": facts.get("rotations"),
        "returns": facts.get("returns"),
        "backbone": backbone,
        "backbone_share": f"{backbone / rotated:.1%}" if rotated else "—",
        "weak_inflow": sum(g["weak_inflow"] for g in groups),
        "failing_checks": facts.get("failing_checks"),
        "objective": facts.get("objective"),
    }


FIGURE_NAMES = {
    "status": "求解结果",
    "rotations": "新交流（人）",
    "returns": "期满返回（人）",
    "backbone": "其中骨干（人）",
    "backbone_share": "骨干占比",
    "weak_inflow": "流入薄弱学校（人）",
    "failing_checks": "规则核查未通过（项）",
    "objective": "目标值（越大越好）",
}


@router.get("/plans/{plan_id}/changes")
def changes_page(plan_id: str, request: Request) -> Response:
    """A re-plan's 变更对比: how many kept / dropped / moved / added, the headline figures
    before → after, and every row that is not simply kept, with its reason."""
    view = _plan(request, plan_id)
    if "changes" not in view.static.sheets:
        return RedirectResponse(f"/plans/{plan_id}", status_code=303)
    with Review(view.store) as review:
        window = review.page("changes", limit=1_000_000)
    kind = window.header.index("变化")
    counts = {k: 0 for k in CHANGE_ORDER}
    shown: list[list[Any]] = []
    for row in window.rows:
        counts[str(row[kind])] = counts.get(str(row[kind]), 0) + 1
        if row[kind] != "保留" and len(shown) < 2000:
            shown.append(row)
    before = None
    reference = reference_of(data_of(request), view.info)
    if reference is not None:
        try:
            before = _figures(_plan(request, reference.id))
        except HTTPException:
            before = None
    return render(
        request,
        "changes.html",
        **view.head(),
        key="before-after",
        counts=counts,
        header=window.header,
        rows=shown,
        more=sum(v for k, v in counts.items() if k != "保留") - len(shown),
        before=before,
        after=_figures(view),
        figure_names=FIGURE_NAMES,
        reference=reference,
        reference_title=plan_title(reference) if reference else "",
    )


@router.get("/plans/{plan_id}/compare")
def compare_pick(plan_id: str, request: Request, other: str = "") -> Response:
    """The year's plan list's compare button: on to the pair's page."""
    known_plan(request, plan_id)
    if not other.strip():
        return RedirectResponse(f"/plans/{plan_id}/decisions#saved", status_code=303)
    return RedirectResponse(
        f"/plans/{plan_id}/compare/{quote(other.strip()[:64], safe='')}", status_code=303
    )


@router.get("/plans/{plan_id}/compare/{other_id}")
def compare_page(plan_id: str, other_id: str, request: Request) -> Response:
    """Two saved plans of one school year side by side: figures, rotations per group,
    teacher-level differences."""
    require(request)
    first, second = known_plan(request, plan_id), known_plan(request, other_id)
    data = data_of(request)
    try:
        compared = compare(data, first, second)
    except ValueError as invalid:
        raise HTTPException(422, str(invalid)) from invalid
    a, b = compared.outcomes
    # the two plans are 甲 and 乙 in the chart's legend (titles may share a long prefix)
    names = [f"甲：{plan_title(first)}", f"乙：{plan_title(second)}"]
    labels = sorted({g.name for g in a.groups} | {g.name for g in b.groups})
    by_name = [{g.name: g.rotated for g in o.groups} for o in (a, b)]
    chart = bar_chart(
        "各集团新交流人数",
        labels,
        [
            (n, [float(m.get(label, 0)) for label in labels])
            for n, m in zip(("甲方案", "乙方案"), by_name, strict=True)
        ],
    )
    kpis = compared.kpis()
    return render(
        request,
        "compare.html",
        first=first,
        second=second,
        names=names,
        kpis=kpis,
        chart=chart,
        differences=compared.differences(),
    )
