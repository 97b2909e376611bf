"""The FastAPI application: its state, middleware, error answers and startup.

`create_app` builds one server: a data folder, the job queue (worker processes), the security
guard, the Jinja2 templates and the static files (htmx and Swagger UI are shipped in the
package: intranets have no CDN).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rotation import __version__
from rotation.service.accounts import Accounts
from rotation.service.jobs import JobManager
from rotation.service.store import DataDir, open_records
from rotation.service.uploads import MAX_UPLOAD_BYTES
from rotation.web.common import BodyTooLarge
from rotation.web.security import SAFE_METHODS, Guard, host_allowed, same_origin

HERE = Path(__file__).parent
log = logging.getLogger("rotation.web")
#: Requests other than uploads carry small bodies (a login, a plan's options, a form).
MAX_FORM_BYTES = 1 << 20
UPLOAD_PATHS = ("/api/uploads", "/uploads")


@dataclass
class WebSettings:
    """How one server runs."""

    data: Path
    single_user: bool = True
    slots: int = 1
    workers: int = 0
    samples: bool = False
    #: The records' database URL ("" = records.sqlite in the data folder).
    database: str = ""


#: Uploads received at once; more wait for none of them (503), so that a few slow or hostile
#: clients cannot hold the server's disk and connections.
MAX_CONCURRENT_UPLOADS = 4


class LimitBody:
    """Before any parser spools a body: an upload from someone not signed in is refused (it is
    never read), at most MAX_CONCURRENT_UPLOADS are received at once, and bodies beyond their
    limit are refused while they arrive (413): uploads up to MAX_UPLOAD_BYTES (plus the
    form's own bytes), others 1 MiB."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard
        self.uploading = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in UPLOAD_PATHS and scope.get("method") == "POST":
            if self.guard.user(Request(scope).cookies) is None:
                await _refuse(scope, send, 401, "请先登录")
                return
            if self.uploading >= MAX_CONCURRENT_UPLOADS:
                await _refuse(scope, send, 503, "正在上传的文件过多，请稍后再试")
                return
            self.uploading += 1
            try:
                await self._limited(scope, receive, send, MAX_UPLOAD_BYTES + (64 << 10))
            finally:
                self.uploading -= 1
            return
        await self._limited(scope, receive, send, MAX_FORM_BYTES)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, 413, BodyTooLarge().detail)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send)


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """Answer without reading the body: JSON for the API, the login page for a page."""
    response: Response
    if status == 401 and not str(scope.get("path", "")).startswith("/api"):
        response = Response(status_code=303, headers={"Location": "/login"})
    else:
        response = api_error(status, message)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _too_large_body(exc: BaseException) -> bool:
    """Whether FastAPI's "error parsing the body" (400) was LimitBody's refusal, raised while
    a form was parsed (and wrapped in an exception group by the parser's task group)."""
    cause = exc.__cause__
    if isinstance(cause, BaseExceptionGroup):
        _match, rest = cause.split(BodyTooLarge)
        return rest is None
    return isinstance(cause, BodyTooLarge)


#: Headers a reverse proxy adds: behind one, "loopback" is every intranet user.
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "via", "x-real-ip")


def secure(response: Response) -> Response:
    """The headers every answer carries (error answers too)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def wants_json(request: Request) -> bool:
    """API calls answer in JSON; pages answer with pages."""
    return request.url.path.startswith("/api")


def api_error(status: int, message: str, problems: list[dict[str, Any]] | None = None) -> Response:
    """SPEC §9's error body."""
    return JSONResponse({"error": message, "problems": problems or []}, status_code=status)


def create_app(settings: WebSettings) -> FastAPI:
    """One server's application."""
    data = DataDir(settings.data, settings.database).ensure()
    open_records(data)  # the schema brought up to date before anything is served
    jobs = JobManager(data, slots=settings.slots, workers=settings.workers)
    accounts = Accounts(data)
    accounts.import_legacy()  # users.json of a data folder used before the records
    guard = Guard(single_user=settings.single_user, accounts=accounts)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        if settings.samples:
            from rotation.web.samples import load_samples

            load_samples(data, jobs)
        try:
            yield
        finally:
            jobs.shutdown()

    app = FastAPI(
        title="教师交流轮岗方案编制 API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by api.py, behind the same login as everything else
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.data = data
    app.state.jobs = jobs
    app.state.guard = guard
    app.state.accounts = accounts
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["version"] = __version__
    templates.env.auto_reload = False  # the package's templates do not change while serving
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def checks(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        host = request.headers.get("host", "")
        if guard.single_user and not host_allowed(host):
            return secure(api_error(400, "单机模式只接受本机地址（127.0.0.1 或 localhost）的访问"))
        if guard.single_user and any(h in request.headers for h in PROXY_HEADERS):
            return secure(
                api_error(
                    400,
                    "单机模式（不需登录）不能经代理服务器访问：请用 rotation serve --login 或"
                    " --host 启动，并为每位用户创建账号",
                )
            )
        if request.method not in SAFE_METHODS and not same_origin(
            request.headers, request.url.scheme, host
        ):
            return secure(api_error(403, "请求来自其他网站，已拒绝"))
        return secure(await call_next(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _too_large_body(exc):
            exc = BodyTooLarge()
        message = exc.detail if isinstance(exc.detail, str) else "请求有误"
        if message == "There was an error parsing the body":
            message = "请求内容无法解析（表单或 JSON 格式不对）"
        headers = getattr(exc, "headers", None)
        if wants_json(request):
            response = api_error(exc.status_code, message)
        elif exc.status_code == 401:
            response = Response(status_code=303, headers={"Location": "/login"})
        else:
            response = templates.TemplateResponse(
                request,
                "error.html",
                {"status": exc.status_code, "message": message, "user": None},
                status_code=exc.status_code,
            )
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "sheet": "",
                "row": None,
                "column": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": str(e.get("msg", "")),
            }
            for e in exc.errors()
        ]
        if wants_json(request):
            return api_error(422, "请求参数有误", problems)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": 422, "message": "请求参数有误", "user": None},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # the whole story for the administrator (the server's log), a plain line for the user
        log.error("%s %s 出错", request.method, request.url.path, exc_info=exc)
        if wants_json(request):
            return secure(api_error(500, "服务器内部错误，请联系管理员"))
        return secure(HTMLResponse("服务器内部错误，请联系管理员", status_code=500))

    from rotation.web.api import router as api_router
    from rotation.web.decision_api import router as decision_api_router
    from rotation.web.decision_pages import router as decision_page_router
    from rotation.web.pages import router as page_router
    from rotation.web.records_pages import router as records_router
    from rotation.web.whatif_pages import api as whatif_api
    from rotation.web.whatif_pages import router as whatif_router

    app.include_router(api_router)
    app.include_router(decision_api_router)
    app.include_router(whatif_api)
    app.include_router(records_router)
    app.include_router(decision_page_router)
    app.include_router(whatif_router)
    app.include_router(page_router)
    app.add_middleware(LimitBody, guard=guard)
    return app
