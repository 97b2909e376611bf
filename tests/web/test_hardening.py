"""What a red-team pass found, each closed: sessions that outlived a password reset, lock-outs
from another PC, uploads read before the sender was known, a padded CSV zip, problem floods,
links built from the Host header, ids that climb out of their path, proxies in front of the
single-user mode, lone surrogates, gaps in the audit log."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from rotation.service.accounts import Accounts
from rotation.service.audit import entries, record
from rotation.service.store import DataDir
from rotation.web.security import LOGIN_MAX_FAILURES, LoginLimiter

from .conftest import (  # type: ignore[import-not-found]
    PASSWORD,
    Planned,
    audit_lines,
    login,
    upload,
    upload_bytes,
)


def test_a_reset_password_ends_the_session_and_a_new_role_applies_at_once(
    guarded: TestClient, tmp_path: Path
) -> None:
    login(guarded, "clerk")
    assert guarded.get("/api/jobs/" + "0" * 32).status_code == 404  # signed in
    data = DataDir(tmp_path / "data")
    Accounts(data).add("clerk", "a-new-password-1", ["经办人"], replace=True)
    assert guarded.get("/api/jobs/" + "0" * 32).status_code == 401  # the session is gone
    login(guarded, "clerk", "a-new-password-1")
    records = data.records()
    account = records.user("clerk")
    assert account is not None  # a role taken away (the password kept)
    records.save_user("clerk", account.password_hash, ["审核人"], by="test")
    answer = guarded.post("/api/plans", json={"upload_id": "0" * 32})
    assert answer.status_code == 403


def test_signing_in_again_replaces_the_old_session(guarded: TestClient) -> None:
    login(guarded, "clerk")
    old = guarded.cookies.get("rotation_session")
    login(guarded, "clerk")
    assert guarded.cookies.get("rotation_session") != old
    guarded.cookies.set("rotation_session", str(old))
    assert guarded.get("/api/jobs/" + "0" * 32).status_code == 401


def test_failures_from_one_pc_do_not_lock_the_name_out_elsewhere() -> None:
    limiter = LoginLimiter()
    for _ in range(LOGIN_MAX_FAILURES):
        limiter.failed("10.0.0.66", "approver")
    assert limiter.blocked("10.0.0.66", "approver") > 0
    assert limiter.blocked("10.0.0.7", "approver") == 0  # the approver at her own PC
    for n in range(30):  # one address guessing many names is stopped too
        limiter.failed("10.0.0.99", f"user{n}")
    assert limiter.blocked("10.0.0.99", "someone-else") > 0


def test_an_upload_from_someone_not_signed_in_is_refused_unread(guarded: TestClient) -> None:
    answer = guarded.post(
        "/api/uploads",
        content=b"x" * 1000,
        headers={"content-type": "multipart/form-data; boundary=zzz", "content-length": "1000"},
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "请先登录"
    page = guarded.post(
        "/uploads", content=b"x", headers={"content-type": "multipart/form-data; boundary=z"}
    )
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_a_refused_file_says_why_in_problems_too(local: TestClient) -> None:
    answer = upload_bytes(local, "报告.pdf", b"%PDF-1.4 not an input")
    assert answer.status_code == 422
    body = answer.json()
    assert body["problems"] and body["problems"][0]["message"] == body["error"]


def _zip(members: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_padded_csv_zip_cannot_hide_a_bomb(local: TestClient, tmp_path: Path) -> None:
    """The ratio is checked on each CSV read, so random padding that is skipped cannot lower
    the archive's overall ratio below the limit."""
    bomb = b"T1," * (4 << 20)  # 12 MB packing about a thousand times
    padding = os.urandom(300_000)
    answer = upload_bytes(local, "区.zip", _zip({"教师.csv": bomb, "padding.bin": padding}))
    assert answer.status_code == 422
    assert "压缩比异常" in answer.json()["error"]
    assert not any((tmp_path / "data" / "uploads").iterdir())


def test_a_flood_of_problems_is_cut_short_in_the_answer(local: TestClient) -> None:
    flood = ('{"教师": [' + ",".join(["0"] * 100_000) + "]}").encode()
    answer = upload_bytes(local, "区.json", flood)
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert len(problems) <= 1001
    assert any("问题过多" in p["message"] for p in problems)


def test_lone_surrogates_in_json_are_dropped_not_a_crash(
    local: TestClient, district_xlsx: Path, tmp_path: Path
) -> None:
    from rotation.formats.reading import read_district
    from rotation.formats.writing import write_district

    district = read_district(district_xlsx)
    path = tmp_path / "区.json"
    write_district(district, path)
    text = path.read_text(encoding="utf-8")
    name = district.teachers[0].name
    path.write_text(text.replace(f'"{name}"', f'"{name}\\ud800"', 1), encoding="utf-8")
    answer = upload(local, path)
    assert answer.status_code == 201, answer.text


def test_pager_links_are_relative_and_a_page_past_the_end_is_the_last(
    planned: Planned,
) -> None:
    client = planned.client
    base = f"/plans/{planned.plan_id}/sheets/not_chosen"
    html = client.get(base + "?size=20").text
    assert 'href="?size=20&amp;page=2"' in html  # relative: never a name from the Host header
    assert "http://" not in html.split('class="pager"')[1].split("</div>")[0]
    last = client.get(base + "?size=20&page=999999").text
    assert "第 999999 /" not in last and "上一页" in last


def test_a_teacher_id_never_climbs_out_of_its_path() -> None:
    from rotation.service.review import Page
    from rotation.web.pages import sheet_rows

    window = Page(["教师编号", "姓名"], [["../../audit", "<b>王</b>"], ["a/b c", None]], 2, 0, 50)
    html = str(sheet_rows("p" * 32, window, [0, 1], 0))
    assert 'href="/plans/pppppppppppppppppppppppppppppppp/teachers/..%2F..%2Faudit"' in html
    assert "/teachers/a%2Fb%20c" in html
    assert "&lt;b&gt;王&lt;/b&gt;" in html and "<b>" not in html


def test_the_single_user_mode_refuses_requests_through_a_proxy(local: TestClient) -> None:
    answer = local.get("/", headers={"x-forwarded-for": "10.1.2.3"})
    assert answer.status_code == 400
    assert "代理" in answer.json()["error"]


def test_the_api_description_needs_a_session_off_the_loopback(guarded: TestClient) -> None:
    assert guarded.get("/api/openapi.json").status_code == 401
    assert guarded.get("/api/docs").status_code == 401
    login(guarded, "reviewer")
    assert guarded.get("/api/openapi.json").json()["info"]["title"]


def test_the_audit_page_shows_names_with_line_separators(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    record(data, "admin\u2028x", "login", ok=False)
    record(data, "clerk", "upload", accepted=True)
    assert [e["user"] for e in entries(data)] == ["clerk", "admin\u2028x"]


def test_account_changes_and_rate_limited_logins_are_recorded(
    guarded: TestClient, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    Accounts(DataDir(data)).add("newclerk", PASSWORD, ["经办人"])
    for _ in range(LOGIN_MAX_FAILURES + 1):
        guarded.post("/api/login", json={"username": "admin", "password": "wrong-password"})
    lines = audit_lines(data)
    assert any(x["action"] == "account added" and x["account"] == "newclerk" for x in lines)
    assert any(x["action"] == "login" and x.get("limited") for x in lines)
