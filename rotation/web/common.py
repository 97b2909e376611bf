"""What the API and the pages share: the app's state, the signed-in user, receiving uploads."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, UploadFile

from models import InputError
from rotation.service.accounts import Accounts, User
from rotation.service.jobs import JobManager
from rotation.service.store import DataDir, valid_id
from rotation.service.uploads import (
    MAX_UPLOAD_BYTES,
    UploadRefused,
    accept_upload,
    problem_json,
)
from rotation.web.security import Guard


class BodyTooLarge(HTTPException):
    """A request body beyond its limit: answered 413 like any HTTP error."""

    def __init__(self) -> None:
        super().__init__(413, f"文件过大：至多 {MAX_UPLOAD_BYTES >> 20} MB")


def spool(source: Any, limit: int = MAX_UPLOAD_BYTES) -> Path:
    """Copy an uploaded file to a temporary file of ours, refusing more than `limit` bytes."""
    total = 0
    with tempfile.NamedTemporaryFile(prefix="rotation-upload-", delete=False) as handle:
        try:
            while block := source.read(1 << 20):
                total += len(block)
                if total > limit:
                    raise BodyTooLarge
                handle.write(block)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    return Path(handle.name)


#: Reading a workbook takes memory in this process: at most two at once.
_reading = threading.BoundedSemaphore(2)


def data_of(request: Request) -> DataDir:
    """The server's data folder."""
    data: DataDir = request.app.state.data
    return data


def jobs_of(request: Request) -> JobManager:
    """The server's job queue."""
    jobs: JobManager = request.app.state.jobs
    return jobs


def guard_of(request: Request) -> Guard:
    """The server's security state."""
    guard: Guard = request.app.state.guard
    return guard


def accounts_of(request: Request) -> Accounts:
    """The server's accounts."""
    accounts: Accounts = request.app.state.accounts
    return accounts


def user_of(request: Request) -> User | None:
    """The signed-in user (the local user in single-user mode), or None."""
    return guard_of(request).user(request.cookies)


def require(request: Request, role: str | None = None) -> User:
    """The signed-in user, who must hold `role` when given (401 / 403 otherwise)."""
    user = user_of(request)
    if user is None:
        raise HTTPException(401, "请先登录")
    if role is not None and not user.can(role):
        raise HTTPException(403, f"此操作需要「{role}」角色")
    return user


def signed_in(request: Request) -> User:
    """A dependency: 401 before the request's body is even looked at (a caller without a
    session learns nothing about what the call expects)."""
    return require(request)


class Rejected(Exception):
    """An upload that was not kept: the message and every problem."""

    def __init__(self, status: int, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems


def receive_upload(
    request: Request,
    file: UploadFile,
    user: User,
    year: int | None = None,
    carry_from: str | None = None,
) -> dict[str, Any]:
    """Keep an uploaded input (its meta data), or raise Rejected with every problem; either
    way the service records it in the audit log with the input's SHA-256."""
    temp = spool(file.file)
    try:
        with _reading:
            return jobs_of(request).isolated(
                accept_upload,
                data_of(request),
                temp,
                filename=file.filename or "",
                user=user.name,
                year=year,
                carry_from=carry_from if carry_from and valid_id(carry_from) else None,
            )
    except UploadRefused as refused:
        problem = {"sheet": "", "row": None, "column": None, "message": str(refused)}
        raise Rejected(422, str(refused), [problem]) from refused
    except InputError as error:
        raise Rejected(
            422,
            f"输入数据有 {len(error.errors)} 处错误，未保存",
            [problem_json(p) for p in error.problems],
        ) from error
    finally:
        temp.unlink(missing_ok=True)
