"""The records' pages (issue 15): the approval steps on a plan, the next school year, a
teacher's rotation history, the districts and their years.

Each form carries the CSRF token and the plan's version it was drawn from: when a colleague
moved the plan meanwhile, the step is refused (409) and the page says so.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask

from rotation.service.audit import record
from rotation.service.history import (
    certificate,
    write_national_export,
)
from rotation.service.procedure import Action, NotFound, history
from rotation.service.store import UnknownId
from rotation.service.uploads import input_path
from rotation.web.api import XLSX, known_district, next_year, statistics_of, take_step
from rotation.web.charts import bar_chart
from rotation.web.common import data_of, require
from rotation.web.pages import check_csrf, render

router = APIRouter(include_in_schema=False)


def _version(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(422, f"{what}应为日期，如 2026-06-01") from None


@router.post("/plans/{plan_id}/publish")
def publish_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    version: Annotated[str, Form(max_length=12)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    take_step(
        request,
        plan_id,
        Action.PUBLISH,
        version=_version(version),
        start=_day(start, "公示开始"),
        end=_day(end, "公示结束"),
    )
    return RedirectResponse(f"/plans/{plan_id}#procedure", status_code=303)


@router.post("/plans/{plan_id}/approve")
def approve_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    version: Annotated[str, Form(max_length=12)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    take_step(request, plan_id, Action.APPROVE, version=_version(version), comment=comment)
    return RedirectResponse(f"/plans/{plan_id}#procedure", status_code=303)


@router.post("/plans/{plan_id}/return")
def return_form(
    plan_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    version: Annotated[str, Form(max_length=12)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    take_step(request, plan_id, Action.RETURN, version=_version(version), comment=comment)
    return RedirectResponse(f"/plans/{plan_id}#procedure", status_code=303)


@router.post("/plans/{plan_id}/next-year")
def next_year_form(
    plan_id: str, request: Request, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    meta = next_year(request, plan_id)
    return RedirectResponse(f"/uploads/{meta['upload_id']}", status_code=303)


@router.get("/uploads/{upload_id}/input.xlsx")
def upload_input(upload_id: str, request: Request) -> FileResponse:
    """An upload's workbook as kept (for a carried-over year: the data to bring up to date)."""
    require(request)
    data = data_of(request)
    try:
        meta = data.upload_meta(upload_id)
        path = input_path(data, upload_id)
    except (UnknownId, ValueError) as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    if path.suffix != ".xlsx" or not path.is_file():
        raise HTTPException(404, "这份数据不是 Excel 工作簿")
    name = f"{meta.get('district', '')}{meta.get('plan_year', '')}学年数据.xlsx"
    return FileResponse(path, media_type=XLSX, filename=name)


@router.get("/history")
def history_page(request: Request, teacher_id: str = "", district: str = "") -> Response:
    """A teacher's rotations in approved plans (search by 教师编号)."""
    require(request)
    teacher_id = teacher_id.strip()[:64]
    entries = history(data_of(request), teacher_id, district[:100] or None) if teacher_id else []
    names = school_names(request, entries)
    return render(
        request,
        "history.html",
        teacher_id=teacher_id,
        district=district[:100],
        entries=entries,
        names=names,
    )


def school_names(request: Request, entries: list[dict[str, object]]) -> dict[str, str]:
    """School id → name, as the snapshots of the plans the entries come from name them."""
    records = data_of(request).records()
    plans = records.plan_infos({str(e["plan_id"]) for e in entries})
    return records.school_names({p.snapshot_id for p in plans.values()})


@router.get("/districts")
def districts_page(request: Request) -> Response:
    """Every district in the records, its school years and where each year's plans stand."""
    require(request)
    records = data_of(request).records()
    rows = []
    for name, years in records.districts():
        for year in sorted(years, reverse=True):
            plans = records.plans(name, year)
            rows.append(
                {
                    "district": name,
                    "year": year,
                    "plans": plans,
                    "in_force": records.approved_plan(name, year),
                }
            )
    return render(request, "districts.html", rows=rows)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@router.get("/districts/{name}/statistics")
def statistics_page(name: str, request: Request, year: int | None = None) -> Response:
    """The district across approved years: the figures the policy checks, as a table and
    charts, and one year's schools."""
    require(request)
    name = known_district(request, name)
    years = statistics_of(request, name)
    chosen = next((y for y in years if y.year == year), years[-1] if years else None)
    charts = []
    if years:
        labels = [f"{y.year}学年" for y in years]
        charts = [
            bar_chart(
                "各学年：至少交流与已交流人数",
                labels,
                [
                    ("至少交流", [y.minimum for y in years]),
                    ("已交流", [y.rotations for y in years]),
                ],
            ),
            bar_chart(
                "各学年：骨干教师占已交流人数的比例",
                labels,
                [("骨干占比", [y.backbone_share or 0 for y in years])],
                percent=True,
                line=float(years[-1].min_backbone_share),
                line_label=f"规则要求 {float(years[-1].min_backbone_share):.0%}",
            ),
            bar_chart(
                "各学年：流入薄弱学校的人数",
                labels,
                [("薄弱校流入", [y.weak_inflow for y in years])],
            ),
        ]
    return render(
        request,
        "statistics.html",
        district=name,
        years=years,
        chosen=chosen,
        charts=charts,
        pct=_pct,
    )


@router.get("/districts/{name}/national.xlsx")
def national_export(name: str, request: Request, year: int | None = None) -> Response:
    """The approved rotations in the national teacher information system's columns."""
    user = require(request)
    name = known_district(request, name)
    data = data_of(request)
    folder = Path(tempfile.mkdtemp(prefix=".export-", dir=data.root))
    path = folder / "export.xlsx"
    rows = write_national_export(data.records(), name, path, year)
    record(data, user.name, "national export", district=name, year=year, rows=rows)
    shown = f"{name}{year if year else ''}{'学年' if year else ''}交流轮岗信息（国家系统格式）.xlsx"
    return FileResponse(
        path,
        media_type=XLSX,
        filename=shown,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get("/districts/{name}/teachers/{teacher_id}/certificate")
def certificate_page(name: str, teacher_id: str, request: Request) -> Response:
    """A teacher's 交流经历证明, an A4 page to print."""
    user = require(request)
    name = known_district(request, name)
    data = data_of(request)
    try:
        cert = certificate(data.records(), name, teacher_id[:64])
    except NotFound as missing:
        raise HTTPException(404, "记录中没有这位教师") from missing
    record(data, user.name, "certificate", district=name, teacher_id=teacher_id[:64])
    return render(request, "certificate.html", cert=cert)
