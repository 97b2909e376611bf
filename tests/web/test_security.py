"""Who may do what: sessions off the loopback, roles, CSRF tokens, origins, the single-user
mode's Host check (DNS rebinding), security headers, argon2 passwords and the audit log."""

from __future__ import annotations

import re
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from rotation.records.engine import SQLITE_FILE
from rotation.service.accounts import USERS_FILE, Accounts
from rotation.service.store import DataDir
from rotation.web.api import router as api_router
from rotation.web.pages import router as page_router
from rotation.web.security import host_allowed, is_loopback

from .conftest import (  # type: ignore[import-not-found]
    LOCAL,
    PASSWORD,
    audit_lines,
    csrf_of,
    login,
    serve,
    upload,
    wait_job,
)

#: Calls anyone may make: the health check, signing in and out.
OPEN = {
    ("GET", "/api/health"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),
    ("GET", "/login"),
    ("POST", "/login"),
}
PARAMS = {"key": "rotations", "teacher_id": "T1"}


def routes(_client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the application serves, path parameters filled with ids."""
    found = []
    for route in [*api_router.routes, *page_router.routes]:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), uuid.uuid4().hex), route.path)
        found += [(method, path) for method in sorted(route.methods) if method != "HEAD"]
    return found


def test_the_route_list_covers_the_application(guarded: TestClient) -> None:
    found = {(m, re.sub(r"[0-9a-f]{32}", "ID", p)) for m, p in routes(guarded)}
    assert {
        ("GET", "/"),
        ("GET", "/plans/ID/sheets/rotations"),
        ("POST", "/uploads/ID/plan"),
        ("POST", "/api/uploads"),
        ("DELETE", "/api/jobs/ID"),
        ("GET", "/audit"),
    } <= found


def test_off_the_loopback_every_page_needs_a_session(guarded: TestClient) -> None:
    checked = 0
    for method, path in routes(guarded):
        if (method, path) in OPEN or path.startswith("/api"):
            continue
        answer = guarded.request(method, path)
        if method == "GET":
            assert answer.status_code == 303, (path, answer.status_code)
            assert answer.headers["location"] == "/login"
        else:  # a form post without a session has no CSRF token either
            assert answer.status_code in (303, 403, 422), (method, path, answer.status_code)
            assert answer.status_code != 200
        checked += 1
    assert checked >= 12
    assert guarded.get("/login").status_code == 200


def test_off_the_loopback_every_api_call_needs_a_session(guarded: TestClient) -> None:
    checked = 0
    for method, path in routes(guarded):
        if (method, path) in OPEN or not path.startswith("/api"):
            continue
        body: dict[str, Any] = {"upload_id": uuid.uuid4().hex} if path == "/api/plans" else {}
        if path == "/api/uploads":
            answer = guarded.post(path, files={"file": ("a.xlsx", b"PK")})
        else:
            answer = guarded.request(method, path, json=body or None)
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert set(answer.json()) == {"error", "problems"}
        checked += 1
    assert checked >= 7
    assert not list((guarded.app.state.data.root / "uploads").iterdir())  # type: ignore[attr-defined]


def test_a_user_without_the_clerk_role_may_not_upload_plan_or_cancel(
    guarded: TestClient, district_xlsx: Path
) -> None:
    login(guarded, "reviewer")
    answer = upload(guarded, district_xlsx)
    assert answer.status_code == 403 and "经办人" in answer.json()["error"]
    answer = guarded.post("/api/plans", json={"upload_id": uuid.uuid4().hex})
    assert answer.status_code == 403
    assert guarded.delete(f"/api/jobs/{uuid.uuid4().hex}").status_code == 403
    token = csrf_of(guarded.get("/").text)
    files = {"file": (district_xlsx.name, district_xlsx.read_bytes())}
    answer = guarded.post("/uploads", files=files, data={"csrf_token": token})
    assert answer.status_code == 403 and "经办人" in answer.text
    ident = uuid.uuid4().hex
    assert guarded.post(f"/uploads/{ident}/plan", data={"csrf_token": token}).status_code == 403
    assert guarded.post(f"/jobs/{ident}/cancel", data={"csrf_token": token}).status_code == 403
    assert not list((guarded.app.state.data.root / "uploads").iterdir())  # type: ignore[attr-defined]
    # Reading is for every signed-in user.
    assert guarded.get("/").status_code == 200


def test_only_an_administrator_sees_the_audit_log(guarded: TestClient) -> None:
    login(guarded, "clerk")
    answer = guarded.get("/audit")
    assert answer.status_code == 403 and "管理员" in answer.text
    login(guarded, "admin")
    answer = guarded.get("/audit")
    assert answer.status_code == 200
    assert "clerk" in answer.text  # the logins are listed


def test_page_posts_need_the_sessions_csrf_token(guarded: TestClient, district_xlsx: Path) -> None:
    login(guarded, "clerk")
    token = csrf_of(guarded.get("/").text)
    files = {"file": (district_xlsx.name, district_xlsx.read_bytes())}
    data_dir: Path = guarded.app.state.data.root  # type: ignore[attr-defined]

    for sent in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": token[:-1]}):
        answer = guarded.post("/uploads", files=files, data=sent)
        assert answer.status_code == 403, sent
    assert not list((data_dir / "uploads").iterdir())
    answer = guarded.post("/uploads", files=files, data={"csrf_token": token})
    assert answer.status_code == 303
    upload_id = answer.headers["location"].rsplit("/", 1)[1]
    assert guarded.get(f"/uploads/{upload_id}").status_code == 200

    for sent in ({}, {"csrf_token": "forged"}):
        assert guarded.post(f"/uploads/{upload_id}/plan", data=sent).status_code == 403
    assert not list((data_dir / "jobs").iterdir())
    answer = guarded.post(f"/uploads/{upload_id}/plan", data={"csrf_token": token})
    assert answer.status_code == 303
    first = answer.headers["location"].rsplit("/", 1)[1]
    # htmx sends the token as a header instead.
    answer = guarded.post(f"/uploads/{upload_id}/plan", headers={"X-CSRF-Token": token})
    assert answer.status_code == 303
    second = answer.headers["location"].rsplit("/", 1)[1]

    for sent in ({}, {"csrf_token": "forged"}):
        assert guarded.post(f"/jobs/{second}/cancel", data=sent).status_code == 403
    assert guarded.get(f"/api/jobs/{second}").json()["state"] in ("queued", "running", "done")
    answer = guarded.post(f"/jobs/{second}/cancel", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == f"/jobs/{second}"
    assert wait_job(guarded, first)["state"] == "done"
    assert guarded.get(f"/api/jobs/{second}").json()["state"] in ("cancelled", "done")

    for sent in ({}, {"csrf_token": "forged"}):
        assert guarded.post("/logout", data=sent).status_code == 403
    assert guarded.get("/").status_code == 200  # still signed in
    answer = guarded.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert guarded.get("/").status_code == 303
    assert guarded.get(f"/api/jobs/{first}").status_code == 401


def test_a_token_belongs_to_its_session(tmp_path: Path, users_json: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / USERS_FILE).write_bytes(users_json.read_bytes())
    with serve(data, single_user=False) as first, serve(data, single_user=False) as second:
        login(first, "clerk")
        login(second, "clerk")
        token = csrf_of(first.get("/").text)
        assert csrf_of(second.get("/").text) != token
        assert second.post("/logout", data={"csrf_token": token}).status_code == 403


def test_the_single_user_mode_checks_csrf_too(local: TestClient, district_xlsx: Path) -> None:
    files = {"file": (district_xlsx.name, district_xlsx.read_bytes())}
    assert local.post("/uploads", files=files).status_code == 403
    token = csrf_of(local.get("/").text)
    assert local.post("/uploads", files=files, data={"csrf_token": token}).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1.evil.example"},
        {"Origin": "https://127.0.0.1:8443"},
        {"Referer": "http://evil.example/page"},
    ],
)
def test_a_post_from_another_site_is_refused(
    local: TestClient, district_xlsx: Path, headers: dict[str, str]
) -> None:
    files = {"file": (district_xlsx.name, district_xlsx.read_bytes())}
    token = csrf_of(local.get("/").text)
    for answer in (
        local.post("/api/uploads", files=files, headers=headers),
        local.post("/api/plans", json={"upload_id": uuid.uuid4().hex}, headers=headers),
        local.delete(f"/api/jobs/{uuid.uuid4().hex}", headers=headers),
        local.post("/api/login", json={"username": "a", "password": "b"}, headers=headers),
        local.post("/uploads", files=files, data={"csrf_token": token}, headers=headers),
    ):
        assert answer.status_code == 403, headers
        assert set(answer.json()) == {"error", "problems"}
    assert not list((local.app.state.data.root / "uploads").iterdir())  # type: ignore[attr-defined]
    # Reading from another site's link is fine (GET is safe).
    assert local.get("/", headers=headers).status_code == 200


def test_a_post_from_the_servers_own_pages_passes(local: TestClient, district_xlsx: Path) -> None:
    files = {"file": (district_xlsx.name, district_xlsx.read_bytes())}
    answer = local.post("/api/uploads", files=files, headers={"Origin": LOCAL})
    assert answer.status_code == 201
    answer = local.post("/api/uploads", files=files, headers={"Referer": f"{LOCAL}/uploads/x"})
    assert answer.status_code == 201


def test_the_origin_check_holds_in_login_mode(guarded: TestClient) -> None:
    answer = guarded.post(
        "/api/login",
        json={"username": "clerk", "password": PASSWORD},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "127.0.0.1.evil.example",
        "127.0.0.1.nip.io:8000",
        "localhost.evil.example",
        "192.168.1.20:8000",
        "0.0.0.0:8000",
        "",
    ],
)
def test_the_single_user_mode_refuses_other_host_names(tmp_path: Path, host: str) -> None:
    with serve(tmp_path / "data") as client:
        for path in ("/", "/api/health", "/plans/" + uuid.uuid4().hex, "/template.xlsx"):
            answer = client.get(path, headers={"Host": host})
            assert answer.status_code == 400, (host, path)
            assert "本机" in answer.json()["error"]
        assert client.post("/api/login", headers={"Host": host}, json={}).status_code == 400


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.9.9.9"],
)
def test_the_single_user_mode_serves_loopback_names(local: TestClient, host: str) -> None:
    assert local.get("/api/health", headers={"Host": host}).status_code == 200


def test_loopback_listening_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.1.1"))
    for host in ("0.0.0.0", "::", "192.168.1.2", "127.0.0.1.evil.example", "127.evil", ""):
        assert not is_loopback(host), host
    assert not host_allowed("127.0.0.1.evil.example:80")


def test_login_mode_does_not_depend_on_the_host_name(guarded: TestClient) -> None:
    answer = guarded.get("/api/health", headers={"Host": "rotation.bureau.example"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/api/health", "/api/jobs/" + uuid.uuid4().hex, "/plans/abc", "/template.xlsx"]
)
def test_security_headers(local: TestClient, path: str) -> None:
    headers = local.get(path).headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_passwords_are_kept_as_argon2id_hashes(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    accounts = Accounts(data)
    accounts.add("clerk", PASSWORD, ["经办人"])
    accounts.add("审核员", "另一个密码12345", ["审核人", "审批人"])
    data.records().close()  # everything in the database file
    database = (tmp_path / "data" / SQLITE_FILE).read_bytes()
    assert PASSWORD.encode() not in database
    assert "另一个密码12345".encode() not in database
    users = {u.name: u for u in data.records().users()}
    assert all(u.password_hash.startswith("$argon2id$") for u in users.values())
    assert users["审核员"].roles == ("审核人", "审批人")
    assert stat.S_IMODE((tmp_path / "data" / SQLITE_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert accounts.verify("clerk", PASSWORD) is not None
    assert accounts.verify("clerk", PASSWORD + "x") is None


def test_the_audit_log_records_who_did_what(
    guarded: TestClient, district_xlsx: Path, tmp_path: Path
) -> None:
    import hashlib

    guarded.post("/api/login", json={"username": "clerk", "password": "wrong-one!"})
    login(guarded, "clerk")
    good = district_xlsx.read_bytes()
    upload_id = upload(guarded, district_xlsx).json()["upload_id"]
    bad = b"\x00 not an input"
    assert guarded.post("/api/uploads", files={"file": ("坏.xlsx", bad)}).status_code == 422
    first = guarded.post("/api/plans", json={"upload_id": upload_id}).json()["job_id"]
    second = guarded.post("/api/plans", json={"upload_id": upload_id}).json()["job_id"]
    assert guarded.delete(f"/api/jobs/{second}").json()["state"] == "cancelled"
    plan_id = wait_job(guarded, first)["plan_id"]

    lines = audit_lines(tmp_path / "data")
    for line in lines:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", line["time"])
        assert line["user"]
    logins = [(x["user"], x["ok"]) for x in lines if x["action"] == "login"]
    assert logins == [("clerk", False), ("clerk", True)]
    uploads = [x for x in lines if x["action"] == "upload"]
    assert [(x["user"], x["accepted"], x["sha256"]) for x in uploads] == [
        ("clerk", True, hashlib.sha256(good).hexdigest()),
        ("clerk", False, hashlib.sha256(bad).hexdigest()),
    ]
    assert uploads[0]["upload_id"] == upload_id and uploads[1]["filename"] == "坏.xlsx"
    requested = [x["job_id"] for x in lines if x["action"] == "plan requested"]
    assert requested == [first, second]
    cancels = [(x["user"], x["job_id"]) for x in lines if x["action"] == "cancel"]
    assert cancels == [("clerk", second)]
    plans = [x for x in lines if x["action"] == "plan"]
    assert [(x["user"], x["job_id"], x["plan_id"], x["state"]) for x in plans] == [
        ("clerk", first, plan_id, "done")
    ]
    assert plans[0]["sha256"] == hashlib.sha256(good).hexdigest()
