"""The records through the web application (issue 15): the approval steps with their roles and
versions, three school years run end to end (upload, plan, 公示, approve, next year), the
rotation history checked against the approved plans, and the pages that show them."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from models import District
from models.entities import Teacher
from rotation.formats.reading import read_district
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.store import DataDir

from ..rotation.records.conftest import (  # type: ignore[import-not-found]
    BACKENDS,
    fresh_database,
)
from .conftest import (  # type: ignore[import-not-found]
    audit_lines,
    csrf_of,
    login,
    plan,
    serve,
    table_rows,
    upload,
    upload_bytes,
)

PUBLISH = {"start": "2026-06-01", "end": "2026-06-07"}


def approved(client: TestClient, plan_id: str) -> dict[str, Any]:
    """Publish and approve a plan (the single user holds every role)."""
    answer = client.post(f"/api/plans/{plan_id}/publish", json=PUBLISH)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "公示中"
    answer = client.post(f"/api/plans/{plan_id}/approve", json={"comment": "同意"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["state"] == "已审批"
    return body


def test_a_plan_goes_through_the_procedure(local: TestClient, district_xlsx: Path) -> None:
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    plan_id = plan(local, upload_id)["plan_id"]
    body = local.get(f"/api/plans/{plan_id}").json()
    assert (body["state"], body["version"]) == ("草稿", 1)
    # approving a draft, returning without a comment, publishing backwards: refused
    assert local.post(f"/api/plans/{plan_id}/approve", json={}).status_code == 409
    wrong = {"start": "2026-06-07", "end": "2026-06-01"}
    assert local.post(f"/api/plans/{plan_id}/publish", json=wrong).status_code == 422
    published = local.post(f"/api/plans/{plan_id}/publish", json={**PUBLISH, "version": 1})
    assert published.json() == {
        "plan_id": plan_id,
        "state": "公示中",
        "version": 2,
        "publish_start": "2026-06-01",
        "publish_end": "2026-06-07",
    }
    assert local.post(f"/api/plans/{plan_id}/return", json={"comment": " "}).status_code == 422
    # a step naming the version seen before a colleague's step: refused, nothing written
    stale = local.post(f"/api/plans/{plan_id}/approve", json={"version": 1})
    assert stale.status_code == 409 and "第 1 版" in stale.json()["error"]
    returned = local.post(f"/api/plans/{plan_id}/return", json={"comment": "请补充说明"})
    assert returned.json()["state"] == "退回"
    local.post(f"/api/plans/{plan_id}/publish", json=PUBLISH)
    assert local.post(f"/api/plans/{plan_id}/approve", json={}).json()["state"] == "已审批"
    # locked: nothing more
    for step, body_ in (("publish", PUBLISH), ("return", {"comment": "x"}), ("approve", {})):
        assert local.post(f"/api/plans/{plan_id}/{step}", json=body_).status_code == 409
    page = local.get(f"/plans/{plan_id}").text
    assert "已审批" in page and "请补充说明" in page and "开始 2026 学年" in page
    actions = [x["action"] for x in audit_lines(local.app.state.data.root)]  # type: ignore[attr-defined]
    assert actions.count("plan publish") == 2 and actions.count("plan approve") == 1


def test_two_clerks_at_once_never_overwrite_each_other(
    local: TestClient, district_xlsx: Path
) -> None:
    """Eight approvers send 审批通过 for the version they saw, all at once: one wins, the others
    are told the plan changed; one event is appended."""
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    plan_id = plan(local, upload_id)["plan_id"]
    version = local.post(f"/api/plans/{plan_id}/publish", json=PUBLISH).json()["version"]
    answers: list[int] = []
    start = threading.Barrier(8)

    def approve() -> None:
        start.wait()
        answer = local.post(f"/api/plans/{plan_id}/approve", json={"version": version})
        answers.append(answer.status_code)

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] + [409] * 7
    records = local.app.state.data.records()  # type: ignore[attr-defined]
    assert [e.action for e in records.events(plan_id)] == ["publish", "approve"]


def test_roles_are_enforced_on_every_step(guarded: TestClient, district_xlsx: Path) -> None:
    login(guarded, "clerk")
    upload_id = upload(guarded, district_xlsx).json()["upload_id"]
    plan_id = plan(guarded, upload_id)["plan_id"]
    assert guarded.post(f"/api/plans/{plan_id}/publish", json=PUBLISH).status_code == 403
    login(guarded, "approver")
    assert guarded.post(f"/api/plans/{plan_id}/publish", json=PUBLISH).status_code == 403
    assert guarded.post("/api/uploads", files={"file": ("a.xlsx", b"PK")}).status_code == 403
    login(guarded, "reviewer")
    assert guarded.post(f"/api/plans/{plan_id}/publish", json=PUBLISH).status_code == 200
    assert guarded.post(f"/api/plans/{plan_id}/approve", json={}).status_code == 403
    assert guarded.post("/api/years/next", json={"plan_id": plan_id}).status_code == 403
    login(guarded, "approver")
    page = guarded.get(f"/plans/{plan_id}").text
    assert 'id="approve-form"' in page and 'id="publish-form"' not in page
    assert guarded.post(f"/api/plans/{plan_id}/approve", json={}).status_code == 200
    login(guarded, "clerk")
    page = guarded.get(f"/plans/{plan_id}").text
    assert 'id="approve-form"' not in page and 'id="next-year-form"' in page
    token = csrf_of(page)
    for step in ("publish", "approve", "return"):  # the pages' forms check roles as the API
        form = {"csrf_token": token, "comment": "x", "start": "2026-06-01", "end": "2026-06-02"}
        assert guarded.post(f"/plans/{plan_id}/{step}", data=form).status_code == 403
    assert guarded.get("/audit").status_code == 403
    assert guarded.post("/api/years/next", json={"plan_id": plan_id}).status_code == 201
    login(guarded, "admin")  # 管理员 manages accounts and reads the log: no plan steps
    assert guarded.post("/api/years/next", json={"plan_id": plan_id}).status_code == 403
    assert guarded.post(f"/api/plans/{plan_id}/return", json={"comment": "x"}).status_code == 403
    lines = guarded.get("/audit").text
    assert "plan approve" in lines or "审批通过" in lines


def _next_workbook(carried: Path, target: Path, hire: str) -> tuple[District, set[str], str]:
    """Bring a carried-over workbook up to date as HR would: one teacher leaves (not one away
    on a rotation), one is hired, one changes subject; and the 在岗交流 sheet is emptied (the
    records must win). The district, who left, who changed."""
    district = read_district(carried)
    away = {o.teacher_id for o in district.ongoing}
    staying = [t for t in district.teachers if t.teacher_id not in away]
    leaver, changed = staying[0], staying[1]
    teachers = [t for t in district.teachers if t.teacher_id != leaver.teacher_id]
    teachers = [
        t.model_copy(update={"subject": "心理健康"}) if t.teacher_id == changed.teacher_id else t
        for t in teachers
    ]
    teachers.append(
        Teacher.model_validate(
            {
                **staying[2].model_dump(exclude={"row"}),
                "teacher_id": hire,
                "name": "新教师",
                "years_at_school": 0,
            }
        )
    )
    updated = district.replace(teachers=tuple(teachers), ongoing=())
    write_district(updated, target)
    return district, {leaver.teacher_id}, changed.teacher_id


def _moves(client: TestClient, plan_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Per teacher, the plan's rotations and returns as the history gives them."""
    body = client.get(f"/api/plans/{plan_id}").json()
    moves: dict[str, list[tuple[Any, ...]]] = {}
    for r in body["returns"]:
        moves.setdefault(r["teacher_id"], []).append(
            ("return", r["from_school_id"], r["to_school_id"], r["year"], r["year"])
        )
    for r in body["rotations"]:
        moves.setdefault(r["teacher_id"], []).append(
            (r["kind"], r["from_school_id"], r["to_school_id"], r["start_year"], r["end_year"])
        )
    return moves


@pytest.fixture(scope="module")
def minhang_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """闵行区.xlsx: 600 generated teachers in Minhang's groups, whose default rules hold three
    years running (Ganzhou's do not from the second year: issue 13)."""
    path = tmp_path_factory.mktemp("minhang") / "闵行区.xlsx"
    write_district(generate_district(teachers=600, seed=7, structure="minhang"), path)
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bureau_runs_three_school_years(tmp_path: Path, minhang_xlsx: Path, backend: str) -> None:
    """Upload, plan, 公示, approve, next year — three times, on SQLite and on PostgreSQL; every
    teacher's history is the approved plans' moves, the yearly statistics and the export are the
    plans', the next years' uploads show what changed and take the rotations in flight from the
    records."""
    with fresh_database(backend, tmp_path) as url:
        _three_years(tmp_path, minhang_xlsx, url)


def _three_years(tmp_path: Path, district_xlsx: Path, url: str) -> None:
    data = tmp_path / "data"
    expected: dict[str, list[tuple[Any, ...]]] = {}
    with serve(data, database=url) as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        plan_ids = []
        for year in (2025, 2026, 2027):
            plan_id = plan(client, upload_id)["plan_id"]
            assert client.get(f"/api/plans/{plan_id}").json()["plan_year"] == year
            approved(client, plan_id)
            plan_ids.append(plan_id)
            for teacher, moves in _moves(client, plan_id).items():
                expected.setdefault(teacher, []).extend(moves)
            started = client.post("/api/years/next", json={"plan_id": plan_id})
            assert started.status_code == 201, started.text
            carried_id = started.json()["upload_id"]
            assert started.json()["plan_year"] == year + 1
            carried = tmp_path / f"carried{year}.xlsx"
            carried.write_bytes(client.get(f"/uploads/{carried_id}/input.xlsx").content)
            target = tmp_path / f"闵行区{year + 1}.xlsx"
            before, left, changed = _next_workbook(carried, target, f"NEW{year}")
            answer = client.post(
                "/api/uploads",
                files={"file": (target.name, target.read_bytes())},
                data={"carry_from": carried_id},
            )
            assert answer.status_code == 201, answer.text
            body = answer.json()
            changes = body["changes"]
            assert (changes["added"], changes["left"], changes["changed"]) == (1, 1, 1)
            rows = {(r["teacher_id"], r["change"]) for r in changes["rows"]}
            assert rows == {(f"NEW{year}", "新增"), (left.pop(), "离开"), (changed, "变更")}
            assert any("以记录为准" in n for n in changes["notes"]) == bool(before.ongoing)
            upload_id = body["upload_id"]
            stored = DataDir(data, url).records().load_snapshot(upload_id)
            # from the records, not the upload
            assert [o.model_dump() for o in stored.ongoing] == [
                o.model_dump() for o in before.ongoing
            ]
            page = client.get(f"/uploads/{upload_id}").text
            assert "与结转数据相比的变化" in page and "心理健康" in page
        assert expected, "three years without a single rotation prove nothing"
        for teacher, moves in expected.items():
            found = client.get(f"/api/teachers/{teacher}/history").json()
            assert [
                (e["kind"], e["from_school_id"], e["to_school_id"], e["start_year"], e["end_year"])
                for e in found
            ] == moves
            for e in found:
                home_later = any(
                    m[0] == "return" and m[1] == e["to_school_id"]
                    for m in moves[found.index(e) + 1 :]
                )
                assert e["status"] == (
                    "已返回" if e["kind"] == "return" or home_later else "交流中"
                )
        # the yearly statistics and the export agree with the approved plans
        stats = client.get("/api/districts/闵行区/statistics").json()
        plans = [client.get(f"/api/plans/{p}").json() for p in plan_ids]
        assert [(s["year"], s["plan_id"]) for s in stats] == [
            (2025, plan_ids[0]),
            (2026, plan_ids[1]),
            (2027, plan_ids[2]),
        ]
        assert [s["rotations"] for s in stats] == [len(p["rotations"]) for p in plans]
        assert [s["returns"] for s in stats] == [len(p["returns"]) for p in plans]
        for s in stats:
            assert s["rotations"] >= s["minimum"] > 0
            assert s["backbone_share"] >= 0.2
        page = client.get("/districts/闵行区/statistics", params={"year": 2026}).text
        assert len(table_rows(page, "years-table")) == 4 and "<svg" in page
        assert "2026学年：各校" in page
        export = client.get("/districts/闵行区/national.xlsx")
        assert export.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(export.content), read_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[0][2:] == (
            "交流轮岗类型",
            "是否调动人事关系",
            "开始年月",
            "结束年月",
            "原单位名称",
            "交流轮岗单位名称",
        )
        assert len(rows) - 1 == sum(len(p["rotations"]) for p in plans)
        teacher = next(iter(expected))
        certificate = client.get(f"/districts/闵行区/teachers/{teacher}/certificate")
        assert certificate.status_code == 200 and "交流经历证明" in certificate.text
        assert client.get("/districts/闵行区/teachers/NOBODY/certificate").status_code == 404
        assert client.get("/districts/无此区/statistics").status_code == 404
        page = client.get("/history", params={"teacher_id": teacher}).text
        assert len(table_rows(page, "history")) == len(expected[teacher]) + 1
        years = client.get("/districts").text
        assert all(p in years for p in plan_ids)
        assert client.get("/api/teachers/NOBODY/history").json() == []


def test_the_next_year_needs_an_approved_plan(local: TestClient, district_xlsx: Path) -> None:
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    plan_id = plan(local, upload_id)["plan_id"]
    refused = local.post("/api/years/next", json={"plan_id": plan_id})
    assert refused.status_code == 409 and "审批通过" in refused.json()["error"]
    assert local.post("/api/years/next", json={"plan_id": "0" * 32}).status_code == 404
    assert local.post("/api/years/next", json={"plan_id": "../x"}).status_code == 404


def test_a_change_after_approval_is_a_new_plan_against_it(
    local: TestClient, district_xlsx: Path
) -> None:
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    first = plan(local, upload_id)["plan_id"]
    approved(local, first)
    other = plan(local, upload_id)["plan_id"]
    local.post(f"/api/plans/{other}/publish", json=PUBLISH)
    refused = local.post(f"/api/plans/{other}/approve", json={})
    assert refused.status_code == 409 and "参照方案" in refused.json()["error"]
    # one plan of the year under 公示 at a time: the refused one is returned first
    local.post(f"/api/plans/{other}/return", json={"comment": "未以已审批方案为参照"})
    second = plan(local, upload_id, reference_plan_id=first)["plan_id"]
    approved(local, second)
    records = local.app.state.data.records()  # type: ignore[attr-defined]
    in_force = records.approved_plan("测试区", 2025)
    assert in_force is not None and in_force.id == second
    teacher = local.get(f"/api/plans/{second}").json()["rotations"][0]["teacher_id"]
    history = local.get(f"/api/teachers/{teacher}/history").json()
    assert {e["plan_id"] for e in history} == {second}


def test_the_procedure_through_the_pages(local: TestClient, district_xlsx: Path) -> None:
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    plan_id = plan(local, upload_id)["plan_id"]
    page = local.get(f"/plans/{plan_id}").text
    token = csrf_of(page)
    form = {"csrf_token": token, "version": "1", "start": "2026-06-01", "end": "2026-06-07"}
    assert local.post(f"/plans/{plan_id}/publish", data=form).status_code == 303
    again = local.post(f"/plans/{plan_id}/publish", data=form)  # the same form, sent twice
    assert again.status_code == 409 and "刷新" in again.text
    page = local.get(f"/plans/{plan_id}").text
    assert "公示期 2026-06-01 至 2026-06-07" in page
    form = {"csrf_token": token, "version": "2"}
    assert local.post(f"/plans/{plan_id}/approve", data=form).status_code == 303
    answer = local.post(f"/plans/{plan_id}/next-year", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/uploads/")
    page = local.get(answer.headers["location"]).text
    assert "由已审批方案结转的数据" in page and "2026学年" in page
    no_token = local.post(f"/plans/{plan_id}/approve", data={"version": "3"})
    assert no_token.status_code == 403
    bad = upload_bytes(local, "x.xlsx", b"\x00")
    assert bad.status_code == 422


def test_an_approved_year_has_its_statistics_before_anyone_asks(
    tmp_path: Path, district_xlsx: Path
) -> None:
    """Approving starts the year's statistics in a process of its own: the statistics page
    then reads them from the records instead of computing them."""

    data = tmp_path / "data"
    with serve(data) as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        plan_id = plan(client, upload_id)["plan_id"]
        approved(client, plan_id)
        records = DataDir(data).records()
        deadline = time.monotonic() + 120
        while not records.year_statistics([plan_id]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert plan_id in records.year_statistics([plan_id])
