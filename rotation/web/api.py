"""The JSON API of SPEC §9 under /api (OpenAPI at /api/openapi.json, docs at /api/docs).

Errors are `{"error": message, "problems": [...]}`; a rejected upload's problems carry the
reader's sheet, row, column and message. The pages call the same service code.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from rotation import __version__
from rotation.service.audit import record
from rotation.service.history import (
    YearStatistics,
    district_statistics,
    fill_statistics,
    missing_statistics,
)
from rotation.service.jobs import MAX_TIME_LIMIT, PlanRequest, QueueFull
from rotation.service.procedure import (
    ROLE,
    Action,
    NotFound,
    NotPermitted,
    PlanInfo,
    RecordsError,
    history,
    plan_info,
    step,
)
from rotation.service.store import (
    APPROVAL_FILE,
    PLAN_FILE,
    PUBLIC_FILE,
    UnknownId,
    read_json_file,
    valid_id,
)
from rotation.service.years import NotApproved, start_next_year
from rotation.web.common import (
    Rejected,
    accounts_of,
    data_of,
    guard_of,
    jobs_of,
    receive_upload,
    require,
    signed_in,
)
from rotation.web.security import COOKIE, SESSION_IDLE_SECONDS

router = APIRouter(prefix="/api")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Login(BaseModel):
    """POST /api/login."""

    username: str = Field(max_length=100)
    password: str = Field(max_length=200)


class PlanOrder(BaseModel):
    """POST /api/plans: which upload, and the plan command's options."""

    upload_id: str = Field(max_length=64)
    year: int | None = Field(None, ge=1990, le=2100)
    relax: bool = False
    time_limit: float | None = Field(None, gt=0, le=MAX_TIME_LIMIT)
    reference_plan_id: str | None = Field(None, max_length=64)
    #: the saved plan's name and note (several plans per school year)
    name: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


@router.get("/health")
def health() -> dict[str, str]:
    """Whether the server answers, and its version."""
    return {"status": "ok", "version": __version__}


@router.post("/login")
def login(body: Login, request: Request) -> Response:
    """Sign in: a session cookie (HttpOnly, SameSite=Strict); 401 otherwise, 429 when too many
    tries failed."""
    return sign_in(request, body.username, body.password, JSONResponse({"username": body.username}))


def sign_in(request: Request, name: str, password: str, response: Response) -> Response:
    """Check a name and password against the accounts and start a session on `response`."""
    guard = guard_of(request)
    address = request.client.host if request.client else ""
    wait = guard.limiter.blocked(address, name)
    if wait:
        record(data_of(request), name, "login", ok=False, address=address, limited=True)
        raise HTTPException(
            429, f"登录失败次数过多，请 {wait} 秒后再试", headers={"Retry-After": str(wait)}
        )
    user = accounts_of(request).verify(name, password)
    if user is None:
        guard.limiter.failed(address, name)
        record(data_of(request), name, "login", ok=False, address=address)
        raise HTTPException(401, "用户名或密码不正确")
    guard.limiter.succeeded(address, name)
    guard.sessions.drop(request.cookies.get(COOKIE))  # a fresh session, never the old one
    current = accounts_of(request).current(user.name)
    sid, _session = guard.sessions.create(user, current[1] if current else "")
    response.set_cookie(
        COOKIE,
        sid,
        max_age=SESSION_IDLE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    record(data_of(request), user.name, "login", ok=True, address=address)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    guard_of(request).sessions.drop(request.cookies.get(COOKIE))
    response = JSONResponse({"status": "ok"})
    response.delete_cookie(COOKIE)
    return response


@router.post("/uploads", status_code=201)
def upload(
    request: Request,
    file: Annotated[UploadFile, File(description=".xlsx、CSV 文件的 .zip 或 .json")],
    year: Annotated[int | None, Form(ge=1990, le=2100)] = None,
    carry_from: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Upload an input; 201 with its summary, or 422 with every problem. For a school year
    started from an approved plan (`carry_from`: the upload_id /api/years/next gave, or found by
    district and year), `changes` says what it changes per teacher."""
    user = require(request, "经办人")
    try:
        meta = receive_upload(request, file, user, year, carry_from)
    except Rejected as rejected:
        return JSONResponse(
            {"error": rejected.message, "problems": rejected.problems},
            status_code=rejected.status,
        )
    return JSONResponse(
        {
            "upload_id": meta["upload_id"],
            "district": meta["district"],
            "plan_year": meta["plan_year"],
            "summary": meta["summary"],
            "warnings": meta["warnings"],
            **({"changes": meta["changes"]} if "changes" in meta else {}),
        },
        status_code=201,
    )


def order_plan(request: Request, order: PlanOrder) -> dict[str, Any]:
    """Queue a plan for an upload (404 for an unknown upload or reference plan)."""
    user = require(request, "经办人")
    data = data_of(request)
    try:
        data.upload_meta(order.upload_id)
        if order.reference_plan_id:
            data.plan_file(order.reference_plan_id, PLAN_FILE)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据或参照方案") from missing
    plan_request = PlanRequest(
        upload_id=order.upload_id,
        year=order.year,
        time_limit=order.time_limit or 60.0,
        relax=order.relax,
        reference_plan_id=order.reference_plan_id,
        name=order.name.strip(),
        note=order.note.strip(),
    )
    try:
        job = jobs_of(request).submit(plan_request, user.name)
    except QueueFull as full:
        raise HTTPException(429, str(full)) from full
    record(
        data,
        user.name,
        "plan requested",
        job_id=job["job_id"],
        upload_id=order.upload_id,
        **({"reference_plan_id": order.reference_plan_id} if order.reference_plan_id else {}),
    )
    return job


@router.post("/plans", status_code=202)
def plan(order: PlanOrder, request: Request) -> dict[str, str]:
    """Start planning an upload; the job's id (follow it at /api/jobs/{job_id})."""
    return {"job_id": order_plan(request, order)["job_id"]}


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the API shows it."""
    view = {k: job.get(k) for k in ("job_id", "state", "progress", "message", "plan_id")}
    if job.get("kind", "plan") != "plan":  # a what-if run (情景比较): its results' id
        view.update(kind=job["kind"], run_id=job.get("run_id"))
    if job.get("problems"):
        view["problems"] = job["problems"]
    return view


@router.get("/jobs/{job_id}")
def job(job_id: str, request: Request) -> dict[str, Any]:
    """A job's state and progress (0…1)."""
    require(request)
    try:
        return job_view(jobs_of(request).get(job_id))
    except UnknownId as missing:
        raise HTTPException(404, "找不到该任务") from missing


@router.delete("/jobs/{job_id}")
def cancel(job_id: str, request: Request) -> dict[str, Any]:
    """Cancel a queued or running job."""
    user = require(request, "经办人")
    try:
        return job_view(jobs_of(request).cancel(job_id, user.name))
    except UnknownId as missing:
        raise HTTPException(404, "找不到该任务") from missing


def plan_path(request: Request, plan_id: str, name: str) -> Any:
    """A plan's file (404 when there is no such plan)."""
    require(request)
    try:
        return data_of(request).plan_file(plan_id, name)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该方案") from missing


@router.get("/plans/{plan_id}")
def plan_json(plan_id: str, request: Request) -> dict[str, Any]:
    """The plan JSON of SPEC §5 with its plan_id, state (草稿 / 公示中 / 已审批 / 退回) and
    version (what an approval step may name: optimistic locking)."""
    data: dict[str, Any] = read_json_file(plan_path(request, plan_id, PLAN_FILE))
    info = plan_info(data_of(request), plan_id)
    if info is None:
        raise HTTPException(404, "找不到该方案")
    return {
        **data,
        "plan_id": plan_id,
        "state": info.state.value,
        "version": info.version,
        "name": info.name,
        "note": info.note,
    }


class Publish(BaseModel):
    """POST /api/plans/{plan_id}/publish: the 公示's first and last day."""

    start: date
    end: date
    version: int | None = Field(None, ge=1, description="看到的方案版本；他人已改动时 409")


class Decide(BaseModel):
    """POST …/approve (comment optional) and …/return (comment required)."""

    comment: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1, description="看到的方案版本；他人已改动时 409")


def take_step(
    request: Request,
    plan_id: str,
    action: Action,
    *,
    version: int | None,
    comment: str = "",
    start: date | None = None,
    end: date | None = None,
) -> PlanInfo:
    """One approval step by the signed-in user, refusals as HTTP errors: 403 without the
    role, 404 for no such plan, 409 when the plan's state or version does not allow it, 422
    for a missing comment or date."""
    user = require(request, ROLE[action])
    data = data_of(request)
    try:
        info = step(
            data,
            plan_id,
            action,
            user,
            version=version,
            comment=comment,
            start=start,
            end=end,
        )
        if action is Action.APPROVE:  # the year's statistics, ready before anyone asks
            jobs_of(request).in_background(fill_statistics, data, info.district)
        return info
    except NotFound as missing:
        raise HTTPException(404, "找不到该方案") from missing
    except NotPermitted as refused:
        raise HTTPException(403, str(refused)) from refused
    except RecordsError as conflict:  # stale version, wrong state, not approvable, year taken
        raise HTTPException(409, str(conflict)) from conflict
    except ValueError as invalid:
        raise HTTPException(422, str(invalid)) from invalid


def state_view(info: PlanInfo) -> dict[str, Any]:
    """A plan's place in the procedure, as the approval calls answer."""
    return {
        "plan_id": info.id,
        "state": info.state.value,
        "version": info.version,
        "publish_start": info.publish_start.isoformat() if info.publish_start else None,
        "publish_end": info.publish_end.isoformat() if info.publish_end else None,
    }


@router.post("/plans/{plan_id}/publish", dependencies=[Depends(signed_in)])
def publish(plan_id: str, body: Publish, request: Request) -> dict[str, Any]:
    """公示 (审核人): the plan's 公示名单 is published from `start` to `end`."""
    info = take_step(
        request, plan_id, Action.PUBLISH, version=body.version, start=body.start, end=body.end
    )
    return state_view(info)


@router.post("/plans/{plan_id}/approve", dependencies=[Depends(signed_in)])
def approve(plan_id: str, body: Decide, request: Request) -> dict[str, Any]:
    """审批通过 (审批人): the plan is locked and its rotations enter the history."""
    info = take_step(request, plan_id, Action.APPROVE, version=body.version, comment=body.comment)
    return state_view(info)


@router.post("/plans/{plan_id}/return", dependencies=[Depends(signed_in)])
def return_plan(plan_id: str, body: Decide, request: Request) -> dict[str, Any]:
    """退回 (审批人) with a comment: the clerk may change the plan and publish it again."""
    info = take_step(request, plan_id, Action.RETURN, version=body.version, comment=body.comment)
    return state_view(info)


class NextYear(BaseModel):
    """POST /api/years/next: the approved plan the next school year starts from."""

    plan_id: str = Field(max_length=64)


def next_year(request: Request, plan_id: str) -> dict[str, Any]:
    """Start the next school year from an approved plan (经办人); the new upload's meta."""
    user = require(request, "经办人")
    if not valid_id(plan_id):
        raise HTTPException(404, "找不到该方案")
    try:
        return start_next_year(data_of(request), plan_id, user.name)
    except NotFound as missing:
        raise HTTPException(404, "找不到该方案") from missing
    except NotApproved as refused:
        raise HTTPException(409, str(refused)) from refused


@router.post("/years/next", status_code=201, dependencies=[Depends(signed_in)])
def years_next(body: NextYear, request: Request) -> dict[str, Any]:
    """Next school year's data from an approved plan (as `rotation advance`): its upload_id.
    Upload the district's new workbook for that year next: its rotations in flight come from
    the records, and the upload says what it changes per teacher."""
    meta = next_year(request, body.plan_id)
    return {"upload_id": meta["upload_id"], "plan_year": meta["plan_year"]}


@router.get("/teachers/{teacher_id}/history")
def teacher_history(
    teacher_id: str, request: Request, district: str | None = None
) -> list[dict[str, Any]]:
    """A teacher's rotations in approved plans, oldest first (every district that knows the
    id, unless `district` names one)."""
    require(request)
    return history(data_of(request), teacher_id[:64], district[:100] if district else None)


def download_name(request: Request, plan_id: str, what: str) -> str:
    """区县 2025学年审批表.xlsx — the name a download is saved under."""
    meta = data_of(request).plan_meta(plan_id)
    return f"{meta.get('district', '')}{meta.get('plan_year', '')}学年{what}.xlsx"


@router.get("/plans/{plan_id}/workbook")
def workbook(plan_id: str, request: Request) -> FileResponse:
    """The 审批表."""
    path = plan_path(request, plan_id, APPROVAL_FILE)
    return FileResponse(path, media_type=XLSX, filename=download_name(request, plan_id, "审批表"))


@router.get("/plans/{plan_id}/public-notice")
def public_notice(plan_id: str, request: Request) -> FileResponse:
    """The 公示名单 alone."""
    path = plan_path(request, plan_id, PUBLIC_FILE)
    return FileResponse(path, media_type=XLSX, filename=download_name(request, plan_id, "公示名单"))


def known_district(request: Request, name: str) -> str:
    """A district the records know (404 otherwise)."""
    name = name[:100]
    if name not in {n for n, _years in data_of(request).records().districts()}:
        raise HTTPException(404, "记录中没有这个区县")
    return name


def statistics_of(request: Request, name: str) -> list[YearStatistics]:
    """Every approved year's statistics; years never computed are computed first in a process
    of their own (a city's inputs are large: the server keeps neither their memory nor the
    interpreter lock)."""
    data = data_of(request)
    if missing_statistics(data.records(), name):
        jobs_of(request).isolated(fill_statistics, data, name)
    return district_statistics(data.records(), name)


@router.get("/districts/{name}/statistics")
def statistics_json(name: str, request: Request) -> list[dict[str, object]]:
    """Each approved school year's district-wide figures (JSON), oldest first."""
    require(request)
    name = known_district(request, name)
    return [
        {
            "year": y.year,
            "plan_id": y.plan_id,
            "teachers": y.teachers,
            "eligible": y.eligible,
            "rotations": y.rotations,
            "minimum": y.minimum,
            "ratio": y.ratio,
            "backbone": y.backbone,
            "backbone_share": y.backbone_share,
            "weak_inflow": y.weak_inflow,
            "weak_teams": y.weak_teams,
            "in_flight": y.in_flight,
            "returns": y.returns,
        }
        for y in statistics_of(request, name)
    ]


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI description (for signed-in users, as every page)."""
    require(request)
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI from the package's own copy (no CDN on an intranet)."""
    require(request)
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, "api_docs.html", {})
    return response
