"""The HR office's pages, in Chinese: upload and check, plan with progress, review, download.

Each page calls the service layer the API calls; forms carry the session's CSRF token and htmx
sends it as X-CSRF-Token. Tables are paged on the server (at most 200 rows a page).
"""

from __future__ import annotations

import functools
import math
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from pydantic import ValidationError

from rotation.service.audit import entries
from rotation.service.jobs import MAX_TIME_LIMIT, STATE_NAMES
from rotation.service.procedure import PlanInfo, approved_plan, events, plan_info, published_plan
from rotation.service.review import FILTERS, SHEET_KEYS, Page, Review
from rotation.service.store import REVIEW_FILE, UnknownId, valid_id
from rotation.service.workbooks import generate_sample, make_template
from rotation.web.api import XLSX, PlanOrder, order_plan, sign_in
from rotation.web.charts import bar_chart
from rotation.web.common import (
    Rejected,
    data_of,
    guard_of,
    jobs_of,
    receive_upload,
    require,
    user_of,
)
from rotation.web.security import COOKIE

router = APIRouter(include_in_schema=False)
PAGE_SIZES = (20, 50, 100, 200)
#: Beyond any sheet's last page (and within SQLite's integers: a bigger page number was a 500).
MAX_PAGE_NUMBER = 1_000_000
#: Columns the browser's tables leave out (the 审批表 has them; filters still use them).
HIDDEN: dict[str, frozenset[str]] = {
    "rotations": frozenset({"流出学校编号", "流入学校编号", "考核单位", "集团", "交流类型"}),
    "not_chosen": frozenset({"集团"}),
    "ineligible": frozenset({"集团"}),
}
STATUS_NAMES = {
    "optimal": "最优（已证明）",
    "feasible": "可行（未证明最优）",
    "infeasible": "规则无法同时满足",
    "unknown": "未求得方案",
}


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page with the user, the CSRF token and the flags every page needs."""
    guard = guard_of(request)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request,
        name,
        {
            "user": user_of(request),
            "csrf": guard.csrf_token(request.cookies),
            "single_user": guard.single_user,
            "state_names": STATE_NAMES,
            "status_names": STATUS_NAMES,
            **context,
        },
        status_code=status,
    )
    return response


def check_csrf(request: Request, token: str | None) -> None:
    """A form or htmx call must carry the session's token."""
    sent = token or request.headers.get("x-csrf-token")
    if not guard_of(request).csrf_ok(request.cookies, sent):
        raise HTTPException(403, "页面已过期，请刷新后重试")


# -- sign in ----------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    if guard_of(request).single_user:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", message="")


@router.post("/login")
def login_form(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        return sign_in(request, username, password, RedirectResponse("/", status_code=303))
    except HTTPException as failed:
        return render(request, "login.html", status=failed.status_code, message=failed.detail)


@router.post("/logout")
def logout_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    guard_of(request).sessions.drop(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- home, template, upload -------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    require(request)
    data = data_of(request)
    plans = data.listing("plans", 20)
    infos = data.records().plan_infos([str(p["plan_id"]) for p in plans if "plan_id" in p])
    plans = [
        {**p, "state": infos[p["plan_id"]].state.value} for p in plans if p["plan_id"] in infos
    ]
    return render(
        request,
        "index.html",
        uploads=data.listing("uploads", 20),
        plans=plans,
        jobs=[j for j in jobs_of(request).recent(10) if j.get("state") in ("queued", "running")],
    )


def _cached(request: Request, name: str, make: Any) -> Path:
    path: Path = data_of(request).root / name
    if not path.is_file():
        with tempfile.TemporaryDirectory(dir=data_of(request).root) as folder:
            temp = Path(folder) / name
            make(temp)
            temp.replace(path)
    return path


@router.get("/template.xlsx")
def template(request: Request) -> FileResponse:
    """The blank input workbook with instructions."""
    require(request)
    path = _cached(request, "模板.xlsx", lambda p: make_template(p, force=True))
    return FileResponse(path, media_type=XLSX, filename="教师交流轮岗数据模板.xlsx")


@router.get("/sample.xlsx")
def sample(request: Request) -> FileResponse:
    """A filled sample workbook (a generated district of 600 teachers)."""
    require(request)

    def make(path: Path) -> None:
        generate_sample(path, teachers=600, seed=2025, structure="minhang", year=2025, force=True)

    path = _cached(request, "示例数据.xlsx", make)
    return FileResponse(path, media_type=XLSX, filename="示例数据.xlsx")


@router.post("/uploads")
def upload_form(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
    year: Annotated[str, Form(max_length=8)] = "",
    carry_from: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    plan_year = int(year) if year.strip().isdigit() else None
    try:
        meta = receive_upload(request, file, user, plan_year, carry_from or None)
    except Rejected as rejected:
        errors = [p for p in rejected.problems if p.get("severity") != "warning"]
        warnings = [p for p in rejected.problems if p.get("severity") == "warning"]
        return render(
            request,
            "rejected.html",
            status=rejected.status,
            message=rejected.message,
            errors=errors,
            warnings=warnings,
            filename=file.filename or "",
        )
    return RedirectResponse(f"/uploads/{meta['upload_id']}", status_code=303)


@router.get("/uploads/{upload_id}")
def upload_page(upload_id: str, request: Request) -> Response:
    require(request)
    try:
        meta = data_of(request).upload_meta(upload_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该上传数据") from missing
    plans = [p for p in data_of(request).listing("plans", 200) if p.get("upload_id") == upload_id]
    return render(request, "upload.html", meta=meta, plans=plans, max_time=int(MAX_TIME_LIMIT))


@router.post("/uploads/{upload_id}/plan")
def plan_form(
    upload_id: str,
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    year: Annotated[str, Form(max_length=8)] = "",
    time_limit: Annotated[str, Form(max_length=8)] = "60",
    relax: Annotated[str, Form(max_length=8)] = "",
    reference_plan_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        seconds = float(time_limit or 60)
    except ValueError:
        seconds = 60.0
    if not math.isfinite(seconds):
        seconds = 60.0
    try:
        order = PlanOrder(
            upload_id=upload_id,
            year=int(year) if year.strip().isdigit() else None,
            time_limit=min(max(seconds, 1.0), MAX_TIME_LIMIT),
            relax=relax in ("1", "on", "true"),
            reference_plan_id=reference_plan_id or None,
            name=name.strip(),
            note=note.strip(),
        )
    except ValidationError as invalid:  # a year out of range
        raise HTTPException(422, "编制参数有误：学年应在 1990 到 2100 之间") from invalid
    job = order_plan(request, order)
    return RedirectResponse(f"/jobs/{job['job_id']}", status_code=303)


# -- jobs -------------------------------------------------------------------------------------


def _job(request: Request, job_id: str) -> dict[str, Any]:
    try:
        return jobs_of(request).get(job_id)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该任务") from missing


def finished_page(job: dict[str, Any]) -> str:
    """Where a finished job sends the browser ("" when nowhere): its plan — for a re-plan
    against another plan, the plan's 调整前后 — or its what-if run."""
    options = job.get("options") or {}
    if job.get("plan_id"):
        if options.get("reference_plan_id"):
            return f"/plans/{job['plan_id']}/changes"
        return f"/plans/{job['plan_id']}"
    if job.get("run_id"):
        return f"/whatif/{job['run_id']}"
    return ""


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request) -> Response:
    require(request)
    job = _job(request, job_id)
    if job.get("state") == "done" and finished_page(job):
        return RedirectResponse(finished_page(job), status_code=303)
    return render(request, "job.html", job=job)


@router.get("/jobs/{job_id}/status")
def job_status(job_id: str, request: Request) -> Response:
    """The progress part of the job page, polled by htmx; sends the browser on when done."""
    require(request)
    job = _job(request, job_id)
    response = render(request, "job_status.html", job=job)
    if job.get("state") == "done" and finished_page(job):
        response.headers["HX-Redirect"] = finished_page(job)
    return response


@router.post("/jobs/{job_id}/cancel")
def job_cancel(job_id: str, request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    user = require(request, "经办人")
    try:
        jobs_of(request).cancel(job_id, user.name)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该任务") from missing
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


# -- a plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStatic:
    """What never changes in a plan's review store (it is written once): its facts, sheets,
    per-group figures, and each filter's drop-down options drawn as HTML. Kept for the last
    plans looked at, so that a page asks the store only for its own rows."""

    facts: dict[str, Any]
    sheets: dict[str, tuple[str, int]]
    groups: list[dict[str, Any]]
    options: dict[tuple[str, str], str]
    #: The overview's per-group rows and bar charts, drawn once (242 groups at 100,000
    #: teachers: tens of milliseconds a request otherwise).
    group_rows: Markup
    charts: list[Markup]


@dataclass(frozen=True)
class PlanView:
    """One plan as its pages see it: its meta data, its review store and the store's static
    part."""

    plan_id: str
    meta: dict[str, Any]
    store: Path
    static: PlanStatic
    #: Where the plan stands in the bureau's procedure (the records).
    info: PlanInfo

    def head(self) -> dict[str, Any]:
        """What every page of the plan shows at its top (plan_head.html)."""
        return {
            "plan_id": self.plan_id,
            "meta": self.meta,
            "facts": self.static.facts,
            "sheets": self.static.sheets,
            "info": self.info,
        }


def _plan(request: Request, plan_id: str) -> PlanView:
    """A plan for a signed-in user (404 when there is no such plan)."""
    require(request)
    data = data_of(request)
    try:
        meta = data.plan_meta(plan_id)
        store = data.plan_file(plan_id, REVIEW_FILE)
    except UnknownId as missing:
        raise HTTPException(404, "找不到该方案") from missing
    info = plan_info(data, plan_id)
    if info is None:  # files the records never took in (a job cut short): not a plan
        raise HTTPException(404, "找不到该方案")
    return PlanView(plan_id, meta, store, plan_static(store, store.stat().st_mtime_ns), info)


@functools.lru_cache(maxsize=16)
def plan_static(store: Path, _version: int) -> PlanStatic:
    """The static part of one plan's store (its path and modification time are the key)."""
    with Review(store) as review:
        sheets = review.sheets()
        options = {
            (key, column): "".join(
                f'<option value="{escape(v)}">{escape(v)}</option>'
                for v in review.choices(key, column)
            )
            for key, columns in FILTERS.items()
            if key in sheets
            for column in columns
        }
        groups = review.groups()
        facts = review.facts()
    return PlanStatic(
        facts,
        sheets,
        groups,
        options,
        group_rows(groups),
        plan_charts(groups, facts.get("backbone_share")),
    )


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def group_rows(groups: list[dict[str, Any]]) -> Markup:
    """The rows of the overview's group table (a rotated count under its minimum in red)."""
    parts = []
    for g in groups:
        rotated = str(g["rotated"])
        if g["rotated"] < g["minimum"]:
            rotated = f'<span class="badge bad">{rotated}</span>'
        parts.append(
            f'<tr><td>{escape(g["name"])}</td><td class="num">{g["eligible"]}</td>'
            f'<td class="num">{g["minimum"]}</td><td class="num">{rotated}</td>'
            f'<td class="num">{_share(g["rotated"], g["base"])}</td>'
            f'<td class="num">{g["backbone"]}</td>'
            f'<td class="num">{_share(g["backbone"], g["rotated"])}</td>'
            f'<td class="num">{g["weak_inflow"]}</td></tr>\n'
        )
    return Markup("".join(parts))


#: Columns whose long texts wrap (reasons and explanations).
REASON_COLUMNS = frozenset({"入选理由", "未入选原因", "不符合条件原因", "说明", "依据"})


def sheet_rows(plan_id: str, window: Page, shown: list[int], teacher_column: int) -> Markup:
    """A window's rows as HTML, drawn here rather than by the template: a page of 50 rows and
    a dozen columns is 600 escaped cells, the largest part of a sheet page's time."""
    reason = [window.header[i] in REASON_COLUMNS for i in shown]
    parts = []
    for row in window.rows:
        parts.append("<tr>")
        for i, wraps in zip(shown, reason, strict=True):
            c = row[i]
            if c is None:
                parts.append("<td></td>")
            elif i == teacher_column and c:
                text = escape(c)
                parts.append(
                    f'<td><a href="/plans/{plan_id}/teachers/{quote(str(c), safe="")}">'
                    f"{text}</a></td>"
                )
            elif isinstance(c, (int, float)) and not isinstance(c, bool):
                parts.append(f'<td class="num">{c}</td>')
            elif wraps or (isinstance(c, str) and len(c) > 24):
                parts.append(f'<td class="reason">{escape(c)}</td>')
            else:
                parts.append(f"<td>{escape(c)}</td>")
        parts.append("</tr>\n")
    return Markup("".join(parts))


def select_options(static: PlanStatic, key: str, column: str, chosen: str) -> Markup:
    """A filter's options with the chosen one selected (the rest drawn once per plan)."""
    html = static.options.get((key, column), "")
    if chosen:
        mark = f'<option value="{escape(chosen)}">'
        html = html.replace(mark, mark[:-1] + " selected>", 1)
    return Markup(html)


def plan_charts(groups: list[dict[str, Any]], backbone_share: float | None) -> list[Markup]:
    """The overview's bar charts per group; the backbone chart draws the district's minimum
    share."""
    if not groups:
        return []
    labels = [g["name"] for g in groups]
    rotated = [g["rotated"] for g in groups]
    return [
        bar_chart(
            "各集团：至少交流与已交流人数",
            labels,
            [("至少交流", [g["minimum"] for g in groups]), ("已交流", rotated)],
        ),
        bar_chart(
            "各集团：骨干教师占已交流人数的比例",
            labels,
            [("骨干占比", [g["backbone"] / g["rotated"] if g["rotated"] else 0 for g in groups])],
            percent=True,
            line=backbone_share,
            line_label=f"全区规则要求 {float(backbone_share or 0):.0%}",
        ),
        bar_chart(
            "各集团：流入薄弱学校的人数",
            labels,
            [("薄弱校流入", [g["weak_inflow"] for g in groups])],
        ),
    ]


@router.get("/plans/{plan_id}")
async def plan_page(plan_id: str, request: Request) -> Response:
    view = _plan(request, plan_id)
    static = view.static
    conflicts = None
    if "conflicts" in static.sheets:
        with Review(view.store) as review:
            conflicts = review.page("conflicts", limit=200)
    data = data_of(request)
    return render(
        request,
        "plan.html",
        **view.head(),
        events=events(data, plan_id),
        in_force=approved_plan(data, view.info),
        under_notice=published_plan(data, view.info),
        today=date.today().isoformat(),
        groups=static.groups,
        group_rows=static.group_rows,
        charts=static.charts,
        conflicts=conflicts,
    )


@router.get("/plans/{plan_id}/sheets/{key}")
async def sheet_page(
    plan_id: str,
    key: str,
    request: Request,
    q: str = "",
    page: int = 1,
    size: int = 50,
) -> Response:
    if key not in SHEET_KEYS:
        raise HTTPException(404, "没有这张表")
    view = _plan(request, plan_id)
    static = view.static
    if key not in static.sheets:
        raise HTTPException(404, "本方案没有这张表")
    size = size if size in PAGE_SIZES else 50
    page = min(max(1, page), MAX_PAGE_NUMBER)
    filters = {
        column: request.query_params.get(column, "")[:100] for column in FILTERS.get(key, ())
    }
    with Review(view.store) as review:
        window = review.page(
            key, filters=filters, search=q[:100], offset=(page - 1) * size, limit=size
        )
        pages = max(1, -(-window.total // size))
        if page > pages:  # past the end (an old link, a hand-made address): the last page
            page = pages
            window = review.page(
                key, filters=filters, search=q[:100], offset=(page - 1) * size, limit=size
            )
    choices = {
        column: select_options(static, key, column, filters[column])
        for column in FILTERS.get(key, ())
    }
    kept = {c: v for c, v in filters.items() if v}
    if q:
        kept["q"] = q[:100]
    if size != 50:
        kept["size"] = str(size)

    def link(number: int) -> str:
        """A relative link to another page of the same view (never the Host header's name)."""
        return "?" + urlencode({**kept, "page": str(number)})

    shown = [i for i, h in enumerate(window.header) if h not in HIDDEN.get(key, ())]
    teacher_column = window.header.index("教师编号") if "教师编号" in window.header else -1
    context: dict[str, Any] = {
        **view.head(),
        "key": key,
        "title": SHEET_KEYS[key],
        "window": window,
        "filters": filters,
        "choices": choices,
        "q": q,
        "page": page,
        "pages": pages,
        "size": size,
        "sizes": PAGE_SIZES,
        "previous_link": link(page - 1),
        "next_link": link(page + 1),
        "teacher_column": teacher_column,
        "shown": shown,
        "rows": sheet_rows(plan_id, window, shown, teacher_column),
    }
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "sheet-table":
        return render(request, "sheet_table.html", **context)
    return render(request, "sheet.html", **context)


def flow_table(
    sources: list[tuple[str, str]],
    targets: list[tuple[str, str]],
    counts: dict[tuple[str, str], int],
) -> Markup:
    """One group's school-to-school matrix as HTML: rows flow out, columns flow in, darker
    cells more teachers. Drawn in Python, not by the template: at 100,000 teachers the flows
    page has ~9,000 cells, which took Jinja ~100 ms a request."""
    top = max(counts.values())
    parts = ['<div class="scroll"><table class="data matrix">\n<tr><th>流出 ＼ 流入</th>']
    parts += [f'<th title="{escape(b)}">{escape(bn)}</th>' for b, bn in targets]
    parts.append("</tr>\n")
    for a, an in sources:
        parts.append(f'<tr><th title="{escape(a)}">{escape(an)}</th>\n')
        for b, _bn in targets:
            k = counts.get((a, b), 0)
            shade = (0.12 + 0.6 * k / top) if k else 0
            colour = "#fff" if k and k / top > 0.6 else "inherit"
            parts.append(
                f'\n<td class="cell" style="background: rgba(31, 95, 168, {shade}); '
                f'color: {colour}">{k if k else ""}</td>'
            )
        parts.append("</tr>")
    parts.append("\n</table></div>")
    return Markup("".join(parts))


@functools.lru_cache(maxsize=4)
def flow_matrices(store: Path, _version: int) -> list[dict[str, Any]]:
    """Every group's flow matrix of one plan (the store's path and modification time are the
    key: a plan's store is written once)."""
    matrices = []
    with Review(store) as review:
        for group in review.groups():
            flows = review.flows(group["name"])
            if not flows:
                continue
            sources = sorted({(a, an) for a, an, _b, _bn, _k in flows})
            targets = sorted({(b, bn) for _a, _an, b, bn, _k in flows})
            counts = {(a, b): k for a, _an, b, _bn, k in flows}
            matrices.append(
                {
                    "group": group["name"],
                    "total": sum(counts.values()),
                    "table": flow_table(sources, targets, counts),
                }
            )
    return matrices


@router.get("/plans/{plan_id}/flows")
async def flows_page(plan_id: str, request: Request) -> Response:
    view = _plan(request, plan_id)
    matrices = flow_matrices(view.store, view.store.stat().st_mtime_ns)
    return render(request, "flows.html", **view.head(), matrices=matrices)


@router.get("/audit")
def audit_page(request: Request) -> Response:
    """Who did what (管理员), in words a clerk reads: the action, its outcome, links."""
    require(request, "管理员")
    return render(
        request, "audit.html", lines=[audit_line(e) for e in entries(data_of(request), 300)]
    )


ACTION_NAMES = {
    "upload": "上传数据",
    "plan requested": "提交编制",
    "plan": "编制结束",
    "cancel": "取消编制",
    "scenario saved": "保存情景",
    "scenario deleted": "删除情景",
    "whatif requested": "提交情景运行",
    "whatif": "情景运行结束",
    "download": "下载",
    "login": "登录",
    "account added": "创建账号",
    "account reset": "重设账号",
    "pin set": "锁定教师",
    "pin removed": "移除锁定",
    "plan described": "方案命名",
    "plans compared": "比较方案",
}


WHATIF_KINDS = {"compare": "方案比较", "sweep": "参数扫描", "simulate": "政策模拟"}


def audit_line(entry: dict[str, Any]) -> dict[str, Any]:
    """One audit entry for the page: local time, the action in Chinese, its details in words,
    and links to the upload or plan it names."""
    details: list[str] = []
    if "accepted" in entry:
        details.append("检查通过" if entry["accepted"] else "数据有误，未保存")
    if "ok" in entry:
        details.append("成功" if entry["ok"] else "密码错误")
    if entry.get("limited"):
        details.append("失败次数过多，已暂停")
    if "state" in entry:
        details.append(STATE_NAMES.get(str(entry["state"]), str(entry["state"])))
    if entry.get("kind") in WHATIF_KINDS:
        details.append(WHATIF_KINDS[str(entry["kind"])])
    if entry.get("name"):
        details.append(f"情景「{entry['name']}」")
    if entry.get("what"):
        details.append({"zip": "情景文件和数据", "workbook": "工作簿"}.get(str(entry["what"]), ""))
    if entry.get("teacher_id"):
        details.append(
            f"教师 {entry['teacher_id']}" + (f"「{entry['kind']}」" if entry.get("kind") else "")
        )
    if entry.get("reference_plan_id"):
        details.append("以原方案为参照重新编制")
    if entry.get("action") == "plan described" and entry.get("name"):
        details.append(f"名称「{entry['name']}」")
    if entry.get("filename"):
        details.append(f"文件「{entry['filename']}」")
    if entry.get("account"):
        roles = "、".join(str(r) for r in entry.get("roles") or [])
        details.append(f"账号「{entry['account']}」（{roles}）")
    if entry.get("address"):
        details.append(f"地址 {entry['address']}")
    if entry.get("sha256"):
        details.append(f"SHA-256 {str(entry['sha256'])[:16]}…")
    links = [
        (label, f"/{kind}/{entry[key]}")
        for key, kind, label in (
            ("upload_id", "uploads", "数据"),
            ("plan_id", "plans", "方案"),
            ("job_id", "jobs", "任务"),
            ("run_id", "whatif", "情景结果"),
        )
        if isinstance(entry.get(key), str) and valid_id(entry[key])
    ]
    return {
        "time": str(entry.get("time", ""))[:19].replace("T", " "),
        "user": entry.get("user", ""),
        "action": ACTION_NAMES.get(str(entry.get("action")), str(entry.get("action", ""))),
        "details": "；".join(details),
        "links": links,
    }
