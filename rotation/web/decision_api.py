"""The meeting's calls (issue 16, SPEC §9): pins of a plan's school year, a re-plan against a
plan with as few changes as possible, a saved plan's name and note, the year's saved plans and
two of them compared. Every call needs a session; changes need the 经办人 role; an approved
plan is locked (409)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rotation.records import NotFound, PlanInfo, RecordsError
from rotation.service.audit import record
from rotation.service.decisions import (
    MAX_REASON,
    PinRefused,
    PinView,
    compare,
    describe,
    pin_choices,
    pins_of,
    plan_kpis,
    plan_title,
    remove_pin,
    set_pin,
)
from rotation.service.jobs import MAX_TIME_LIMIT
from rotation.service.procedure import plan_info
from rotation.service.store import UnknownId, valid_id
from rotation.web.api import PlanOrder, order_plan, state_view
from rotation.web.common import data_of, require, signed_in

router = APIRouter(prefix="/api")


def known_plan(request: Request, plan_id: str) -> PlanInfo:
    """A plan the records know (404 otherwise)."""
    info = plan_info(data_of(request), plan_id) if valid_id(plan_id) else None
    if info is None:
        raise HTTPException(404, "找不到该方案")
    return info


def pin_json(view: PinView) -> dict[str, Any]:
    """A pin as the API gives it."""
    return {
        "teacher_id": view.teacher_id,
        "teacher_name": view.teacher_name,
        "kind": view.kind,
        "school_id": view.school_id,
        "school_name": view.school_name,
        "reason": view.reason,
        "source": view.source,
        "created_by": view.by,
        "created_at": view.at.isoformat() if view.at else None,
        "active": not view.inactive,
    }


class PinOrder(BaseModel):
    """POST /api/plans/{plan_id}/pins: a decision about one teacher for the school year."""

    teacher_id: str = Field(max_length=64)
    kind: str = Field(max_length=10, description="不得交流 / 必须交流至 / 不得交流至")
    school_id: str | None = Field(None, max_length=64)
    reason: str = Field(max_length=MAX_REASON)


def refused(error: PinRefused) -> JSONResponse:
    """A pin that cannot be taken: 422 with each problem."""
    problems = [
        {"sheet": "锁定", "row": None, "column": "", "message": m} for m in str(error).split("；")
    ]
    return JSONResponse({"error": "无法锁定", "problems": problems}, status_code=422)


@router.get("/plans/{plan_id}/pins", dependencies=[Depends(signed_in)])
def list_pins(plan_id: str, request: Request) -> list[dict[str, Any]]:
    """The pins that hold for the plan's school year (taken here and from the 锁定 sheet)."""
    info = known_plan(request, plan_id)
    return [pin_json(v) for v in pins_of(data_of(request), info)]


@router.post("/plans/{plan_id}/pins", status_code=201, dependencies=[Depends(signed_in)])
def add_pin(plan_id: str, body: PinOrder, request: Request) -> Any:
    """Pin a teacher for the plan's school year (经办人), with a reason; replaces the teacher's
    earlier pin. 422 when the pin cannot be taken (a school the teacher cannot go to…), 409
    through an approved plan."""
    user = require(request, "经办人")
    info = known_plan(request, plan_id)
    try:
        view = set_pin(
            data_of(request),
            info,
            teacher_id=body.teacher_id.strip(),
            kind=body.kind.strip(),
            school_id=body.school_id,
            reason=body.reason,
            by=user.name,
        )
    except PinRefused as error:
        return refused(error)
    except RecordsError as locked:
        raise HTTPException(409, str(locked)) from locked
    return pin_json(view)


@router.delete("/plans/{plan_id}/pins/{teacher_id}", dependencies=[Depends(signed_in)])
def delete_pin(plan_id: str, teacher_id: str, request: Request) -> dict[str, Any]:
    """Remove a teacher's pin taken here (经办人); 404 when there is none, 409 for a pin of
    the uploaded 锁定 sheet (changed in the workbook) or through an approved plan."""
    user = require(request, "经办人")
    info = known_plan(request, plan_id)
    try:
        remove_pin(data_of(request), info, teacher_id[:64], by=user.name)
    except NotFound as missing:
        raise HTTPException(404, "该教师没有本学年的锁定") from missing
    except (PinRefused, RecordsError) as error:
        raise HTTPException(409, str(error)) from error
    return {"removed": teacher_id, "pins": list_pins(plan_id, request)}


@router.get("/plans/{plan_id}/pins/{teacher_id}/schools", dependencies=[Depends(signed_in)])
def pin_schools(plan_id: str, teacher_id: str, request: Request) -> dict[str, Any]:
    """The schools a 必须交流至 pin on this teacher may name (the picker's list)."""
    info = known_plan(request, plan_id)
    choices, why = pin_choices(data_of(request), info, teacher_id[:64])
    return {"schools": [{"school_id": i, "name": n} for i, n in choices], "note": why}


class Replan(BaseModel):
    """POST /api/plans/{plan_id}/replan: plan the school year again against this plan."""

    time_limit: float | None = Field(None, gt=0, le=MAX_TIME_LIMIT)
    name: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


@router.post("/plans/{plan_id}/replan", status_code=202, dependencies=[Depends(signed_in)])
def replan(plan_id: str, body: Replan, request: Request) -> dict[str, str]:
    """Re-plan with the year's pins, changing as few of this plan's rotations as the rules
    and pins allow (`--reference`); the new plan opens on its 变更对比. The job's id."""
    job = order_replan(request, plan_id, body.name, body.note, body.time_limit)
    return {"job_id": job["job_id"]}


def order_replan(
    request: Request, plan_id: str, name: str, note: str, time_limit: float | None = None
) -> dict[str, Any]:
    """Queue a re-plan of the plan's school year against it (the API's and the page's)."""
    info = known_plan(request, plan_id)
    try:
        upload_id = str(data_of(request).plan_meta(plan_id)["upload_id"])
    except (UnknownId, KeyError) as missing:
        raise HTTPException(404, "找不到该方案的上传数据") from missing
    order = PlanOrder(
        upload_id=upload_id,
        year=info.year,
        time_limit=time_limit,
        reference_plan_id=plan_id,
        name=name.strip() or f"{plan_title(info)} 调整",
        note=note.strip(),
    )
    return order_plan(request, order)


class Describe(BaseModel):
    """POST /api/plans/{plan_id}/describe: a saved plan's name and note."""

    name: str = Field(max_length=100)
    note: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1, description="看到的方案版本；他人已改动时 409")


@router.post("/plans/{plan_id}/describe", dependencies=[Depends(signed_in)])
def describe_plan(plan_id: str, body: Describe, request: Request) -> dict[str, Any]:
    """Name a saved plan and note why it was made (经办人; refused once approved)."""
    user = require(request, "经办人")
    info = known_plan(request, plan_id)
    try:
        info = describe(
            data_of(request),
            info,
            name=body.name,
            note=body.note,
            version=body.version,
            by=user.name,
        )
    except RecordsError as conflict:
        raise HTTPException(409, str(conflict)) from conflict
    except ValueError as invalid:
        raise HTTPException(422, str(invalid)) from invalid
    return {**state_view(info), "name": info.name, "note": info.note}


def saved_json(info: PlanInfo, rotations: int | None) -> dict[str, Any]:
    """One saved plan of a year, as the API lists it."""
    return {
        "plan_id": info.id,
        "name": info.name,
        "title": plan_title(info),
        "note": info.note,
        "state": info.state.value,
        "status": info.status,
        "version": info.version,
        "approvable": info.approvable,
        "rotations": rotations,
        "reference_plan_id": info.reference_plan_id,
        "created_by": info.created_by,
        "created_at": info.created_at.isoformat(),
    }


@router.get("/plans/{plan_id}/saved", dependencies=[Depends(signed_in)])
def saved_plans(plan_id: str, request: Request) -> list[dict[str, Any]]:
    """Every saved plan of this plan's school year, newest first."""
    info = known_plan(request, plan_id)
    data = data_of(request)
    out = []
    for other in data.records().plans(info.district, info.year):
        try:
            rotations = data.plan_meta(other.id).get("rotations")
        except UnknownId:
            rotations = None
        out.append(saved_json(other, rotations))
    return out


@router.get("/plans/{plan_id}/compare/{other_id}", dependencies=[Depends(signed_in)])
def compare_json(plan_id: str, other_id: str, request: Request) -> dict[str, Any]:
    """Two plans of the same school year side by side: KPIs, rotations per group, and each
    teacher whose rotation differs."""
    first, second = known_plan(request, plan_id), known_plan(request, other_id)
    try:
        compared = compare(data_of(request), first, second)
    except ValueError as invalid:
        raise HTTPException(422, str(invalid)) from invalid
    a, b = compared.outcomes
    record(data_of(request), require(request).name, "plans compared", plan_id=plan_id)
    return {
        "plans": [saved_json(first, a.rotations), saved_json(second, b.rotations)],
        "kpis": [
            {"label": label, "values": values}
            for label, values, _fmt in plan_kpis(list(compared.outcomes))
        ],
        "groups": [
            {"group_id": ga.group_id, "name": ga.name, "rotated": [ga.rotated, gb.rotated]}
            for ga, gb in zip(a.groups, b.groups, strict=False)
        ],
        "differences": compared.differences(),
    }
