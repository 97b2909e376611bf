"""情景比较 (issue 16): what-if scenarios of a school year, their runs and results, in pages and
in a JSON mirror under /api.

Pages: /whatif (the uploads to start from), /uploads/{id}/whatif (the year's scenarios, the
form that writes one, and the forms that run 方案比较, 参数扫描 and 政策模拟), /whatif/{run}
(the results: KPIs, charts, 人员差异, 无法满足 with its conflicts, the sweep's boundary, the
simulation's line charts) and its downloads. Writing and running need the 经办人 role; looking
needs a session. Every action goes to the audit log (the service records it).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from models import InputError
from rotation.service.audit import record
from rotation.service.jobs import MAX_TIME_LIMIT, QueueFull
from rotation.service.store import UnknownId
from rotation.service.uploads import problem_json
from rotation.service.whatif import (
    BASE_ID,
    DEFAULT_SWEEP,
    KIND_NAMES,
    MAX_RUN_SCENARIOS,
    MAX_YEARS,
    DeferRow,
    DemandRow,
    ScenarioForm,
    WhatIfError,
    WhatIfRequest,
    YearChoices,
    base_text,
    check_request,
    delete_scenario,
    parse_defer_lines,
    parse_demand_lines,
    read_run,
    run_file,
    run_zip,
    save_scenario,
    scenario_of,
    scenario_zip,
    sweep_choices,
    sweep_text,
    toml_name,
    upload_runs,
    year_choices,
    year_info,
    year_scenarios,
)
from rotation.web.api import XLSX
from rotation.web.charts import bar_chart, line_chart
from rotation.web.common import data_of, jobs_of, require, signed_in
from rotation.web.pages import check_csrf, render

router = APIRouter(include_in_schema=False)
#: Every call needs a session, checked before a body is looked at (401, not 422).
api = APIRouter(prefix="/api", tags=["情景比较"], dependencies=[Depends(signed_in)])
ZIP = "application/zip"
MAX_VALUE = 200


def _choices(request: Request, upload_id: str) -> YearChoices:
    try:
        return year_choices(data_of(request), upload_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing


def _toml_response(name: str, text: str) -> Response:
    return PlainTextResponse(
        text,
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}"},
    )


def _error(status: int, message: str, problems: list[dict[str, Any]]) -> Response:
    """SPEC §9's error body."""
    return JSONResponse({"error": message, "problems": problems}, status_code=status)


# -- reading the scenario form ----------------------------------------------------------------


def form_of(fields: dict[str, str], choices: YearChoices) -> tuple[ScenarioForm, list[str]]:
    """The scenario form's fields as a ScenarioForm, and every problem of the fields
    themselves (unknown keys, values too long, lines that cannot be read)."""
    problems: list[str] = []
    labels = {c.key: c.label for c in (*choices.parameters, *choices.weights)}
    group_keys = {c.key for c in choices.group_parameters}
    groups = dict(choices.groups)
    schools = {sid for sid, _n, _g, _w in choices.schools}

    def value(name: str) -> str:
        text = str(fields.get(name, "")).strip()
        if len(text) > MAX_VALUE:
            problems.append(f"「{name}」过长（至多 {MAX_VALUE} 个字）")
            return text[:MAX_VALUE]
        return text

    policy: dict[str, str] = {}
    weights: dict[str, str] = {}
    weak: list[str] = []
    not_weak: list[str] = []
    for name in fields:
        if name.startswith(("policy.", "weight.")):
            key = name.split(".", 1)[1]
            if key not in labels:
                problems.append(f"未知的参数「{key[:40]}」")
                continue
            text = value(name)
            if text:
                (weights if name.startswith("weight.") else policy)[key] = text
        elif name.startswith("school."):
            sid = name.split(".", 1)[1]
            choice = value(name)
            if not choice:
                continue
            if sid not in schools or choice not in ("weak", "not_weak"):
                problems.append(f"薄弱学校：无法识别「{sid[:40]}」的选择")
                continue
            (weak if choice == "weak" else not_weak).append(sid)
    group_policy: list[tuple[str, str, str]] = []
    for n in range(1, 6):
        gid, key, text = value(f"gp_group_{n}"), value(f"gp_key_{n}"), value(f"gp_value_{n}")
        if not (gid or key or text):
            continue
        where = f"按集团设置第{n}行"
        if gid not in groups:
            problems.append(f"{where}：请选择集团")
        elif key not in group_keys:
            problems.append(f"{where}：请选择参数")
        elif not text:
            problems.append(f"{where}：请填写取值")
        else:
            group_policy.append((gid, key, text))
    defer, defer_problems = parse_defer_lines(str(fields.get("defer", ""))[:100_000])
    demand, demand_problems = parse_demand_lines(str(fields.get("demand", ""))[:100_000])
    form = ScenarioForm(
        name=value("name"),
        description=str(fields.get("description", "")).strip()[:1000],
        policy=policy,
        group_policy=tuple(group_policy),
        weights=weights,
        weak_schools=tuple(weak),
        not_weak_schools=tuple(not_weak),
        defer=tuple(defer),
        demand=tuple(demand),
    )
    return form, problems + defer_problems + demand_problems


async def _create(request: Request, upload_id: str, form: ScenarioForm, problems: list[str]) -> str:
    """Check and keep a scenario (in a helper process: the upload's data is read there);
    InputError with every problem."""
    user = require(request, "经办人")
    data = data_of(request)
    jobs = jobs_of(request)
    return await run_in_threadpool(
        jobs.isolated, save_scenario, data, upload_id, form, user.name, problems=problems
    )


# -- pages ------------------------------------------------------------------------------------


@router.get("/whatif")
def whatif_home(request: Request) -> Response:
    """The uploads a clerk can start from (newest first)."""
    require(request)
    return render(request, "whatif_home.html", uploads=data_of(request).listing("uploads", 30))


def whatif_context(request: Request, upload_id: str) -> dict[str, Any]:
    choices = _choices(request, upload_id)
    data = data_of(request)
    sweep_key, sweep_from, sweep_to, sweep_step = DEFAULT_SWEEP
    return {
        "choices": choices,
        "info": choices.info,
        "upload_id": upload_id,
        "scenarios": year_scenarios(data, upload_id),
        "runs": upload_runs(data, upload_id),
        "base_id": BASE_ID,
        "sweep_keys": sweep_choices(),
        "sweep_default": {"key": sweep_key, "from": sweep_from, "to": sweep_to, "step": sweep_step},
        "max_scenarios": MAX_RUN_SCENARIOS,
        "max_years": MAX_YEARS,
        "max_time": int(MAX_TIME_LIMIT),
        "values": {},
        "problems": [],
        "run_problems": [],
    }


@router.get("/uploads/{upload_id}/whatif")
def whatif_page(upload_id: str, request: Request) -> Response:
    require(request)
    return render(request, "whatif.html", **whatif_context(request, upload_id))


@router.post("/uploads/{upload_id}/scenarios")
async def scenario_form(upload_id: str, request: Request) -> Response:
    raw = await request.form()
    check_csrf(request, str(raw.get("csrf_token", "")))
    require(request, "经办人")
    fields = {k: v for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    choices = _choices(request, upload_id)
    form, problems = form_of(fields, choices)
    try:
        await _create(request, upload_id, form, problems)
    except InputError as invalid:
        context = whatif_context(request, upload_id)
        context.update(values=fields, problems=[problem_json(p) for p in invalid.problems])
        return render(request, "whatif.html", status=422, **context)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    return RedirectResponse(f"/uploads/{upload_id}/whatif#scenarios", status_code=303)


@router.post("/uploads/{upload_id}/scenarios/{scenario_id}/delete")
def scenario_delete_form(
    upload_id: str, scenario_id: str, request: Request, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    try:
        delete_scenario(data_of(request), upload_id, scenario_id, user.name)
    except (UnknownId, LookupError) as missing:
        raise HTTPException(404, "找不到该情景（可能已被删除）") from missing
    return RedirectResponse(f"/uploads/{upload_id}/whatif#scenarios", status_code=303)


@router.get("/uploads/{upload_id}/scenarios/{scenario_id}/toml")
def scenario_toml(upload_id: str, scenario_id: str, request: Request) -> Response:
    """A scenario file; its [base] input names the data workbook of the .zip download."""
    require(request)
    data = data_of(request)
    try:
        if scenario_id == BASE_ID:
            name, text = "基准", base_text(year_info(data, upload_id))
        else:
            name, text = scenario_of(data, upload_id, scenario_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该情景") from missing
    return _toml_response(toml_name(name), text)


@router.get("/uploads/{upload_id}/scenarios/{scenario_id}/zip")
async def scenario_zip_download(upload_id: str, scenario_id: str, request: Request) -> Response:
    """The scenario file beside the year's data workbook: runs with the command line as is."""
    user = require(request)
    data = data_of(request)
    try:
        name = "基准" if scenario_id == BASE_ID else scenario_of(data, upload_id, scenario_id)[0]
        path: Path = await run_in_threadpool(
            jobs_of(request).isolated, scenario_zip, data, upload_id, scenario_id
        )
    except UnknownId as missing:
        raise HTTPException(404, "找不到该情景") from missing
    record(data, user.name, "download", upload_id=upload_id, scenario_id=scenario_id, what="zip")
    return FileResponse(
        path,
        media_type=ZIP,
        filename=f"情景-{name}.zip",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _float(text: str, default: float) -> float:
    if not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        return math.nan


def _int(text: str, default: int) -> int:
    text = text.strip()
    if not text:
        return default
    return int(text) if text.isdigit() and len(text) < 6 else -1


def order_run(request: Request, whatif: WhatIfRequest) -> dict[str, Any]:
    """Queue a run (WhatIfError with every problem; 404 for an unknown upload)."""
    user = require(request, "经办人")
    data = data_of(request)
    try:
        check_request(data, whatif, MAX_TIME_LIMIT)
        job = jobs_of(request).submit(whatif, user.name)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    except QueueFull as full:
        raise HTTPException(429, str(full)) from full
    record(
        data,
        user.name,
        "whatif requested",
        kind=whatif.kind,
        job_id=job["job_id"],
        upload_id=whatif.upload_id,
        scenario_ids=list(whatif.scenario_ids),
        sweep=whatif.sweep or None,
        years=whatif.years if whatif.kind == "simulate" else None,
    )
    return job


@router.post("/uploads/{upload_id}/whatif/run")
async def run_form(upload_id: str, request: Request) -> Response:
    raw = await request.form()
    check_csrf(request, str(raw.get("csrf_token", "")))
    require(request, "经办人")
    kind = str(raw.get("kind", ""))[:20]
    ids = [str(v)[:64] for v in raw.getlist("scenario")][: MAX_RUN_SCENARIOS + 5]

    def field(name: str) -> str:
        return str(raw.get(name, ""))[:40]

    sweep = ""
    if kind == "sweep":
        sweep = sweep_text(
            field("sweep_key"), field("sweep_from"), field("sweep_to"), field("sweep_step")
        )
    whatif = WhatIfRequest(
        kind=kind,
        upload_id=upload_id,
        scenario_ids=tuple(ids),
        sweep=sweep,
        years=_int(field("years"), 5),
        time_limit=_float(field("time_limit"), 60.0),
    )
    try:
        job = order_run(request, whatif)
    except WhatIfError as invalid:
        context = whatif_context(request, upload_id)
        context.update(run_problems=invalid.problems, run_kind=kind)
        return render(request, "whatif.html", status=422, **context)
    return RedirectResponse(f"/jobs/{job['job_id']}", status_code=303)


def _run(request: Request, run_id: str) -> dict[str, Any]:
    require(request)
    try:
        return read_run(data_of(request), run_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该运行结果") from missing


def run_charts(run: dict[str, Any]) -> dict[str, Any]:
    """The result page's SVG charts."""
    charts: dict[str, Any] = {}
    if run.get("group_labels"):
        charts["groups"] = bar_chart(
            "各集团新交流人数（按方案；无法满足的方案不画）",
            run["group_labels"],
            [(name, values) for name, values in run["group_series"]],
        )
    sweeps = []
    for s in run.get("sweeps") or []:
        labels = [p["value"] + ("" if p["feasible"] else "（无法满足）") for p in s["points"]]
        sweeps.append(
            bar_chart(
                f"参数扫描：{s['label']}（{s['key']}）",
                labels,
                [
                    ("规则要求至少交流", [p["minimum"] for p in s["points"]]),
                    ("新交流人数", [p["rotations"] or 0 for p in s["points"]]),
                ],
            )
        )
    charts["sweeps"] = sweeps
    charts["lines"] = [
        line_chart(
            f"{ind['label']}（全区，按情景）",
            [str(y) for y in run.get("years", [])],
            [(name, values) for name, values in ind["series"]],
            percent=ind["percent"],
        )
        for ind in run.get("indicators") or []
    ]
    return charts


@router.get("/whatif/{run_id}")
def run_page(run_id: str, request: Request) -> Response:
    run = _run(request, run_id)
    return render(request, "whatif_run.html", run=run, run_id=run_id, charts=run_charts(run))


@router.get("/whatif/{run_id}/workbook")
def run_workbook(run_id: str, request: Request) -> Response:
    user = require(request)
    data = data_of(request)
    try:
        path, title = run_file(data, run_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该运行结果") from missing
    record(data, user.name, "download", run_id=run_id, what="workbook")
    return FileResponse(path, media_type=XLSX, filename=title)


@router.get("/whatif/{run_id}/scenarios.zip")
async def run_scenarios_zip(run_id: str, request: Request) -> Response:
    user = require(request)
    data = data_of(request)
    run = _run(request, run_id)
    try:
        path: Path = await run_in_threadpool(jobs_of(request).isolated, run_zip, data, run_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该运行结果") from missing
    record(data, user.name, "download", run_id=run_id, what="zip")
    name = f"{run['district']}{run['year']}学年{run['kind_name']}-情景文件.zip"
    return FileResponse(path, media_type=ZIP, filename=name)


# -- the JSON mirror --------------------------------------------------------------------------


class GroupValue(BaseModel):
    group: str = Field(max_length=64)
    key: str = Field(max_length=64)
    value: str = Field(max_length=MAX_VALUE)


class DeferItem(BaseModel):
    teacher: str = Field(max_length=64)
    reason: str = Field("", max_length=200)


class DemandItem(BaseModel):
    school: str = Field(max_length=64)
    subject: str = Field(max_length=64)
    count: int = Field(ge=0, le=1000)


class ScenarioOrder(BaseModel):
    """A scenario as the form writes it: blank or missing values stay as the data has them."""

    name: str = Field(max_length=MAX_VALUE)
    description: str = Field("", max_length=1000)
    policy: dict[str, str] = Field(default_factory=dict, max_length=100)
    group_policy: list[GroupValue] = Field(default_factory=list, max_length=100)
    weights: dict[str, str] = Field(default_factory=dict, max_length=100)
    weak_schools: list[str] = Field(default_factory=list, max_length=5000)
    not_weak_schools: list[str] = Field(default_factory=list, max_length=5000)
    defer: list[DeferItem] = Field(default_factory=list, max_length=20000)
    demand: list[DemandItem] = Field(default_factory=list, max_length=20000)


class RunOrder(BaseModel):
    """A run: 方案比较 (2–8 scenarios), 参数扫描 (one scenario and ``key=start:stop:step``) or
    政策模拟 (1–8 scenarios, 1–10 years); "base" is the upload's data as it is."""

    upload_id: str = Field(max_length=64)
    kind: str = Field(max_length=20)
    scenario_ids: list[str] = Field(max_length=20)
    sweep: str = Field("", max_length=200)
    years: int = Field(5, ge=-1, le=1000)
    time_limit: float = Field(60.0, allow_inf_nan=False)


@api.get("/uploads/{upload_id}/scenarios")
def api_scenarios(upload_id: str, request: Request) -> list[dict[str, Any]]:
    """The school year's scenarios (the upload's year): id, name, description, changes."""
    require(request)
    try:
        shown = year_scenarios(data_of(request), upload_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    return [
        {
            "scenario_id": s.scenario_id,
            "name": s.name,
            "description": s.description,
            "changes": s.summary,
            "file_name": s.file_name,
        }
        for s in shown
    ]


@api.post("/uploads/{upload_id}/scenarios", status_code=201, response_model=None)
async def api_scenario_create(
    upload_id: str, order: ScenarioOrder, request: Request
) -> dict[str, Any] | Response:
    """Check a scenario against the upload's data and keep it: 201 {"scenario_id"}, or 422
    with every problem."""
    require(request, "经办人")
    form = ScenarioForm(
        name=order.name,
        description=order.description,
        policy={k: v for k, v in order.policy.items() if v.strip()},
        group_policy=tuple((g.group, g.key, g.value) for g in order.group_policy),
        weights={k: v for k, v in order.weights.items() if v.strip()},
        weak_schools=tuple(order.weak_schools),
        not_weak_schools=tuple(order.not_weak_schools),
        defer=tuple(DeferRow(d.teacher, d.reason) for d in order.defer),
        demand=tuple(DemandRow(d.school, d.subject, d.count) for d in order.demand),
    )
    try:
        scenario_id = await _create(request, upload_id, form, [])
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    except InputError as invalid:
        return _error(
            422,
            f"情景有 {len(invalid.errors)} 处错误，未保存",
            [problem_json(p) for p in invalid.problems],
        )
    return {"scenario_id": scenario_id, "name": order.name.strip()}


@api.delete("/uploads/{upload_id}/scenarios/{scenario_id}")
def api_scenario_delete(upload_id: str, scenario_id: str, request: Request) -> dict[str, Any]:
    user = require(request, "经办人")
    try:
        name = delete_scenario(data_of(request), upload_id, scenario_id, user.name)
    except (UnknownId, LookupError) as missing:
        raise HTTPException(404, "找不到该情景") from missing
    return {"scenario_id": scenario_id, "name": name, "deleted": True}


@api.post("/whatif", status_code=202, response_model=None)
def api_run(order: RunOrder, request: Request) -> dict[str, Any] | Response:
    """Start a run; its job's id (GET /api/jobs/{job_id} gives its run_id when done)."""
    whatif = WhatIfRequest(
        kind=order.kind,
        upload_id=order.upload_id,
        scenario_ids=tuple(order.scenario_ids),
        sweep=order.sweep,
        years=order.years,
        time_limit=order.time_limit,
    )
    try:
        job = order_run(request, whatif)
    except WhatIfError as invalid:
        problems = [
            {"sheet": "", "row": None, "column": None, "message": p} for p in invalid.problems
        ]
        return _error(422, "运行参数有误", problems)
    return {"job_id": job["job_id"]}


@api.get("/whatif/{run_id}")
def api_run_result(run_id: str, request: Request) -> dict[str, Any]:
    """A run's results: KPIs per scenario, groups, 人员差异, 无法满足 with conflicts, the
    sweep's rows and boundary, or the simulation's indicators per year."""
    return _run(request, run_id)


__all__ = ["KIND_NAMES", "api", "router"]
