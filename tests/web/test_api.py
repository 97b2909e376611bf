"""The JSON API of SPEC §9, call by call: answers, shapes, errors, jobs through their states."""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from rotation import __version__
from rotation.formats.reading import read_district
from rotation.web.security import LOGIN_MAX_FAILURES_ADDRESS

from .conftest import (  # type: ignore[import-not-found]
    PASSWORD,
    Planned,
    audit_lines,
    serve,
    upload,
    wait_job,
)

#: Ids that name nothing: a path, a wrong shape, the right shape but never made.
BAD_IDS = ["..%2F..%2Fetc", "..", "abc", "ABCDEF0123456789ABCDEF0123456789", uuid.uuid4().hex]


def is_error(answer: Any, status: int) -> dict[str, Any]:
    """SPEC §9's error body at that status."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "problems"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["problems"], list)
    assert "Traceback" not in answer.text
    return body


def test_health(local: TestClient) -> None:
    answer = local.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "version": __version__}


# -- login ------------------------------------------------------------------------------------


def test_login_sets_an_httponly_strict_session_cookie(guarded: TestClient) -> None:
    assert guarded.get("/api/jobs/" + uuid.uuid4().hex).status_code == 401
    answer = guarded.post("/api/login", json={"username": "clerk", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("rotation_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    # The session works: a signed-in call is no longer 401 (404: the job does not exist).
    is_error(guarded.get("/api/jobs/" + uuid.uuid4().hex), 404)


def test_a_wrong_password_or_name_is_401(guarded: TestClient) -> None:
    body = is_error(
        guarded.post("/api/login", json={"username": "clerk", "password": "wrong-password"}), 401
    )
    assert "密码" in body["error"]
    is_error(guarded.post("/api/login", json={"username": "nobody", "password": PASSWORD}), 401)
    assert (
        "set-cookie"
        not in guarded.post(
            "/api/login", json={"username": "clerk", "password": "nope-nope"}
        ).headers
    )
    assert not guarded.cookies.get("rotation_session")


def test_five_failures_block_logins_with_retry_after(guarded: TestClient) -> None:
    for _ in range(5):
        is_error(guarded.post("/api/login", json={"username": "clerk", "password": "x" * 9}), 401)
    blocked = guarded.post("/api/login", json={"username": "clerk", "password": PASSWORD})
    body = is_error(blocked, 429)
    assert int(blocked.headers["retry-after"]) > 0
    assert "秒" in body["error"]
    assert "set-cookie" not in blocked.headers  # even the right password waits
    # Another name from the same PC may still sign in (failing on purpose must not lock a
    # colleague out), until the address has failed LOGIN_MAX_FAILURES_ADDRESS times in all.
    assert guarded.post("/api/login", json={"username": "admin", "password": PASSWORD}).is_success
    for n in range(LOGIN_MAX_FAILURES_ADDRESS - 5):
        guarded.post("/api/login", json={"username": f"nobody{n}", "password": "x" * 9})
    is_error(guarded.post("/api/login", json={"username": "admin", "password": PASSWORD}), 429)


def test_a_login_body_of_the_wrong_shape_is_422_not_500(guarded: TestClient) -> None:
    body = is_error(guarded.post("/api/login", json={"username": "clerk"}), 422)
    assert body["problems"] and body["problems"][0]["column"] == "password"
    is_error(guarded.post("/api/login", content=b"not json"), 422)


# -- uploads ----------------------------------------------------------------------------------


def test_an_upload_answers_its_summary(local: TestClient, district_xlsx: Path) -> None:
    answer = upload(local, district_xlsx)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"upload_id", "district", "plan_year", "summary", "warnings"}
    district = read_district(district_xlsx)
    assert body["district"] == "测试区" == district.name
    assert body["plan_year"] == 2025
    assert body["summary"] == {
        "groups": len(district.groups),
        "schools": len(district.schools),
        "teachers": len(district.teachers),
        "eligible": len(district.eligible_teachers()),
    }
    assert isinstance(body["warnings"], list)
    assert len(body["upload_id"]) == 32


def test_an_upload_with_a_year_field_plans_that_year(
    local: TestClient, district_xlsx: Path
) -> None:
    answer = local.post(
        "/api/uploads",
        files={"file": (district_xlsx.name, district_xlsx.read_bytes())},
        data={"year": "2024"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["plan_year"] == 2024
    is_error(
        local.post(
            "/api/uploads",
            files={"file": (district_xlsx.name, district_xlsx.read_bytes())},
            data={"year": "1066"},
        ),
        422,
    )


def test_a_rejected_upload_answers_every_problem(local: TestClient, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "集团"
    workbook.active.append(["集团编号", "集团名称", "牵头学校编号"])
    workbook.save(tmp_path / "坏.xlsx")
    body = is_error(upload(local, tmp_path / "坏.xlsx"), 422)
    assert body["problems"]
    for problem in body["problems"]:
        assert {"sheet", "row", "column", "message"} <= set(problem)
    assert {p["sheet"] for p in body["problems"]} >= {"学校", "教师"}


def test_an_upload_without_a_file_is_422(local: TestClient) -> None:
    body = is_error(local.post("/api/uploads", data={"year": "2025"}), 422)
    assert body["problems"][0]["column"] == "file"


# -- plans and jobs ---------------------------------------------------------------------------


def test_a_plan_job_runs_to_done(planned: Planned) -> None:
    job = planned.job
    assert job["seen"][-1] == "done"
    assert set(job["seen"]) <= {"queued", "running", "done"}
    assert job["progress"] == 1.0
    assert len(job["plan_id"]) == 32
    assert (planned.data / "plans" / job["plan_id"]).is_dir()
    again = planned.client.get(f"/api/jobs/{job['job_id']}").json()
    assert {k: again[k] for k in ("state", "progress", "plan_id")} == {
        "state": "done",
        "progress": 1.0,
        "plan_id": job["plan_id"],
    }


def test_jobs_queue_then_run_then_finish(tmp_path: Path, district_xlsx: Path) -> None:
    """One slot: the second job waits (queued) while the first runs; both end done."""
    with serve(tmp_path / "data", slots=1) as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        first = client.post("/api/plans", json={"upload_id": upload_id})
        second = client.post("/api/plans", json={"upload_id": upload_id, "time_limit": 30})
        assert first.status_code == second.status_code == 202
        assert set(first.json()) == {"job_id"}
        assert client.get(f"/api/jobs/{first.json()['job_id']}").json()["state"] == "running"
        waiting = client.get(f"/api/jobs/{second.json()['job_id']}").json()
        assert waiting["state"] == "queued"
        assert waiting["progress"] == 0.0 and waiting["plan_id"] is None
        assert "排队" in waiting["message"]
        done = [wait_job(client, first.json()["job_id"]), wait_job(client, second.json()["job_id"])]
        assert [j["state"] for j in done] == ["done", "done"]
        assert "running" in done[1]["seen"]
        assert done[0]["plan_id"] != done[1]["plan_id"]


def test_plan_options_are_checked(local: TestClient) -> None:
    is_error(local.post("/api/plans", json={"upload_id": uuid.uuid4().hex}), 404)
    is_error(local.post("/api/plans", json={"upload_id": "../../etc"}), 404)
    is_error(local.post("/api/plans", json={}), 422)
    body = is_error(
        local.post("/api/plans", json={"upload_id": uuid.uuid4().hex, "time_limit": -1}), 422
    )
    assert body["problems"][0]["column"] == "time_limit"
    is_error(local.post("/api/plans", json={"upload_id": "a", "time_limit": 1e9}), 422)


def test_a_plan_with_an_unknown_reference_is_404(planned: Planned) -> None:
    body = {"upload_id": planned.upload_id, "reference_plan_id": uuid.uuid4().hex}
    is_error(planned.client.post("/api/plans", json=body), 404)


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cancelling_a_running_job_ends_its_processes(
    tmp_path: Path, big_district_xlsx: Path
) -> None:
    data = tmp_path / "data"
    with serve(data, workers=2) as client:
        upload_id = upload(client, big_district_xlsx).json()["upload_id"]
        job_id = client.post("/api/plans", json={"upload_id": upload_id, "time_limit": 600}).json()[
            "job_id"
        ]
        process = client.app.state.jobs._running[job_id]  # type: ignore[attr-defined]
        end = time.monotonic() + 120
        while time.monotonic() < end:  # until the solver (and its pool) is at work
            job = client.get(f"/api/jobs/{job_id}").json()
            assert job["state"] == "running", job
            if job["progress"] >= 0.05:
                break
            time.sleep(0.02)
        assert process.pid and _group_members(process.pid)
        answer = client.delete(f"/api/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "cancelled"
        end = time.monotonic() + 30
        while _group_members(process.pid) and time.monotonic() < end:
            time.sleep(0.05)
        assert _group_members(process.pid) == []
        assert client.get(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
        assert list((data / "plans").iterdir()) == []
        # Cancelling again, or a finished job, changes nothing.
        assert client.delete(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
    lines = audit_lines(data)
    assert [x["job_id"] for x in lines if x["action"] == "cancel"] == [job_id]


def test_cancelling_a_queued_job(tmp_path: Path, district_xlsx: Path) -> None:
    with serve(tmp_path / "data", slots=1) as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        first = client.post("/api/plans", json={"upload_id": upload_id}).json()["job_id"]
        second = client.post("/api/plans", json={"upload_id": upload_id}).json()["job_id"]
        assert client.delete(f"/api/jobs/{second}").json()["state"] == "cancelled"
        assert wait_job(client, first)["state"] == "done"
        assert client.get(f"/api/jobs/{second}").json()["state"] == "cancelled"
        assert len(list((tmp_path / "data" / "plans").iterdir())) == 1


# -- a plan's files ---------------------------------------------------------------------------


def test_the_plan_json(planned: Planned) -> None:
    answer = planned.client.get(f"/api/plans/{planned.plan_id}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["plan_id"] == planned.plan_id
    assert body["state"] == "草稿"
    assert body["district"] == "测试区" and body["plan_year"] == 2025
    assert body["status"] in ("optimal", "feasible")
    assert body["rotations"] and {"teacher_id", "from_school_id", "to_school_id"} <= set(
        body["rotations"][0]
    )
    stored = json.loads((planned.data / "plans" / planned.plan_id / "方案.json").read_text())
    assert {**stored, "state": "草稿", "version": 1, "name": "", "note": ""} == body


def _xlsx(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in answer.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)


def test_the_workbook_and_the_public_notice(planned: Planned) -> None:
    workbook = _xlsx(planned.client.get(f"/api/plans/{planned.plan_id}/workbook"))
    assert {"汇总", "交流名单", "公示名单"} <= set(workbook.sheetnames)
    notice = planned.client.get(f"/api/plans/{planned.plan_id}/public-notice")
    assert workbook.sheetnames != ["公示名单"]
    assert _xlsx(notice).sheetnames == ["公示名单"]
    assert "filename*=utf-8''" in notice.headers["content-disposition"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_unknown_or_malformed_ids_are_404(planned: Planned, bad: str) -> None:
    client = planned.client
    for path in (
        f"/api/jobs/{bad}",
        f"/api/plans/{bad}",
        f"/api/plans/{bad}/workbook",
        f"/api/plans/{bad}/public-notice",
    ):
        is_error(client.get(path), 404)
    is_error(client.delete(f"/api/jobs/{bad}"), 404)


def test_an_unknown_api_path_is_404_in_the_error_shape(local: TestClient) -> None:
    is_error(local.get("/api/nothing-here"), 404)
    is_error(local.get("/api/plans/a/b/c"), 404)
    assert local.get("/api/plans/../../../etc/passwd").status_code == 404


def test_the_plan_files_stay_inside_the_data_folder(planned: Planned) -> None:
    """Every file a plan has lives in its own folder; nothing was written elsewhere."""
    folder = planned.data / "plans" / planned.plan_id
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["审批表.xlsx", "方案.json", "公示名单.xlsx", "review.sqlite", "meta.json"]
    )
    assert not [p for p in (planned.data / "plans").iterdir() if p.name.startswith(".")]
    assert os.access(folder, os.R_OK)


def test_a_job_cut_short_while_writing_leaves_no_half_plan(
    tmp_path: Path, district_xlsx: Path
) -> None:
    """A job killed while it writes its files leaves them in its staging folder: cancelling
    (and a restart after a crash) removes it, so no half-written plan stays in plans/."""
    data = tmp_path / "data"
    with serve(data) as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        job_id = client.post("/api/plans", json={"upload_id": upload_id}).json()["job_id"]
        staging = data / "plans" / f".{job_id}.tmp"
        staging.mkdir()  # as the job makes it before writing the 审批表
        (staging / "审批表.xlsx").write_bytes(b"half")
        assert client.delete(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
        assert list((data / "plans").iterdir()) == []
    # A server that stopped with a job running: the next one marks it failed and tidies up.
    job_file = data / "jobs" / f"{job_id}.json"
    job = json.loads(job_file.read_text(encoding="utf-8"))
    job_file.write_text(json.dumps({**job, "state": "running"}), encoding="utf-8")
    (data / "plans" / f".{job_id}.tmp").mkdir()
    with serve(data) as client:
        assert client.get(f"/api/jobs/{job_id}").json()["state"] == "failed"
        assert list((data / "plans").iterdir()) == []
