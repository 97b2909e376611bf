"""Fixtures of the web tests: small generated districts, servers on a temporary data folder
(their job queue running: `with TestClient(app)` starts the lifespan), and helpers to upload,
plan and follow a job to its end. Real components only: the reader, the planner in worker
processes, the review store."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.accounts import USERS_FILE
from rotation.service.audit import entries
from rotation.service.store import DataDir
from rotation.web.app import WebSettings, create_app

#: Single-user mode accepts only a loopback Host header.
LOCAL = "http://127.0.0.1"
#: How long a job may take before a test gives up on it (never a timing assertion: a bound).
JOB_DEADLINE = 180.0
PASSWORD = "correct-horse-9"
#: Accounts of the login-mode tests: name → roles.
USERS: dict[str, list[str]] = {
    "clerk": ["经办人"],
    "reviewer": ["审核人"],
    "approver": ["审批人"],
    "admin": ["管理员"],
}


@pytest.fixture(scope="session")
def district_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """测试区.xlsx: 600 generated teachers in Ganzhou's 6 groups and 43 schools (plans in a second)."""
    path = tmp_path_factory.mktemp("input") / "测试区.xlsx"
    write_district(generate_district(teachers=600, seed=7, structure="ganzhou"), path)
    return path


@pytest.fixture(scope="session")
def big_district_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """大区.xlsx: 5,000 teachers in 12 groups, for a job that is still running when cancelled."""
    path = tmp_path_factory.mktemp("big") / "大区.xlsx"
    write_district(generate_district(teachers=5000, seed=7, structure="minhang"), path)
    return path


@contextmanager
def serve(data: Path, *, single_user: bool = True, **settings: Any) -> Iterator[TestClient]:
    """A server on `data` with its job queue started, and a client on the loopback."""
    app = create_app(WebSettings(data=data, single_user=single_user, **settings))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as client:
        yield client


@pytest.fixture
def local(tmp_path: Path) -> Iterator[TestClient]:
    """A fresh single-user server on tmp_path/data."""
    with serve(tmp_path / "data") as client:
        yield client


@pytest.fixture(scope="session")
def users_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """users.json as a data folder made before the records kept it: the accounts of USERS,
    all with PASSWORD (argon2 takes a while: hashed once). A server moves them into its
    records when it starts."""
    folder = tmp_path_factory.mktemp("accounts")
    hasher = PasswordHasher()
    hashed = hasher.hash(PASSWORD)
    users = {name: {"hash": hashed, "roles": roles} for name, roles in USERS.items()}
    path = folder / USERS_FILE
    path.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def guarded(tmp_path: Path, users_json: Path) -> Iterator[TestClient]:
    """A fresh login-mode server (not signed in) with the accounts of USERS."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(users_json, data / users_json.name)
    with serve(data, single_user=False) as client:
        yield client


def audit_lines(data: Path) -> list[dict[str, Any]]:
    """The data folder's audit log, oldest first."""
    return list(reversed(entries(DataDir(data), 100_000)))


def login(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Sign in through the API (the session cookie stays in the client)."""
    answer = client.post("/api/login", json={"username": name, "password": password})
    assert answer.status_code == 200, answer.text


def upload(client: TestClient, path: Path, name: str | None = None) -> Any:
    """POST /api/uploads with a file (under `name`, or its own)."""
    return client.post("/api/uploads", files={"file": (name or path.name, path.read_bytes())})


def upload_bytes(client: TestClient, name: str, content: bytes) -> Any:
    """POST /api/uploads with bytes under a file name."""
    return client.post("/api/uploads", files={"file": (name, content)})


def wait_job(client: TestClient, job_id: str, deadline: float = JOB_DEADLINE) -> dict[str, Any]:
    """Poll GET /api/jobs/{id} until the job has ended; its last state (the states seen are
    under "seen")."""
    seen: list[str] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        answer = client.get(f"/api/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        if not seen or seen[-1] != job["state"]:
            seen.append(job["state"])
        if job["state"] in ("done", "failed", "cancelled"):
            return {**job, "seen": seen}
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end within {deadline} s: {seen}")


def plan(client: TestClient, upload_id: str, **options: Any) -> dict[str, Any]:
    """Plan an upload through the API and wait for the job's end."""
    answer = client.post("/api/plans", json={"upload_id": upload_id, **options})
    assert answer.status_code == 202, answer.text
    return wait_job(client, answer.json()["job_id"])


@dataclass
class Planned:
    """A server holding one upload and the plan made from it."""

    client: TestClient
    data: Path
    upload_id: str
    job: dict[str, Any]

    @property
    def plan_id(self) -> str:
        return str(self.job["plan_id"])


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory, district_xlsx: Path) -> Iterator[Planned]:
    """A single-user server with 测试区.xlsx uploaded and planned (one per test module)."""
    data = tmp_path_factory.mktemp("planned") / "data"
    with serve(data) as client:
        answer = upload(client, district_xlsx)
        assert answer.status_code == 201, answer.text
        upload_id = answer.json()["upload_id"]
        job = plan(client, upload_id)
        assert job["state"] == "done", job
        yield Planned(client, data, upload_id, job)


# -- reading pages ----------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class _Table(HTMLParser):
    """The rows of one <table id=…> (header row included)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The rows (header first) of the table with that id on a page."""
    parser = _Table(table_id)
    parser.feed(html)
    return parser.rows
