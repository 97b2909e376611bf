"""`rotation serve`: run the web application with uvicorn, and open the browser on this PC."""

from __future__ import annotations

import os
import threading
import webbrowser

import uvicorn

from rotation.service.accounts import Accounts
from rotation.service.store import DataDir
from rotation.web.app import WebSettings, create_app
from rotation.web.security import is_loopback


class NoAccounts(RuntimeError):
    """Serving beyond the loopback needs accounts first."""


def serve(settings: WebSettings, *, host: str, port: int, open_browser: bool, login: bool) -> None:
    """Serve until interrupted. Off the loopback (or with `login`) every page needs an account."""
    single_user = is_loopback(host) and not login
    if not single_user and not Accounts(DataDir(settings.data, settings.database)).exist():
        raise NoAccounts(
            f"在 {host} 上提供服务需要登录：请先用 rotation user add 用户名 --data {settings.data} "
            "创建账号"
        )
    settings.single_user = single_user
    os.umask(0o077)  # teachers' personal data: the files the server writes are its own alone
    app = create_app(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    print(f"教师交流轮岗方案编制：{url}（按 Ctrl+C 停止）", flush=True)
    if open_browser and is_loopback(host):
        threading.Timer(1.5, lambda: webbrowser.open(url)).start()
    # proxy headers off: a local caller must not choose the address the audit log records
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
    )
