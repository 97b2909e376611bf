"""The meeting's decisions through the API (issue 16): pins kept with the school year, a
re-plan that changes no more than the pin forces and names the pin, saved plans with names and
notes compared side by side, and who may do what."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models import Pin
from models.vocab import PinKind
from rotation.bench.replan import fewest_changes as forced_changes
from rotation.formats.reading import read_district
from rotation.service.store import DataDir

from .conftest import (  # type: ignore[import-not-found]
    audit_lines,
    login,
    plan,
    serve,
    upload,
    wait_job,
)


def rotations(client: TestClient, plan_id: str) -> dict[str, dict[str, Any]]:
    body = client.get(f"/api/plans/{plan_id}").json()
    return {r["teacher_id"]: r for r in body["rotations"]}


def fewest_changes(data: Path, xlsx: Path, plan_id: str, teacher: str) -> set[str]:
    """The teachers whose rotation must change when `teacher` is pinned to stay (the
    benchmark's yardstick: a change weight far above every other term)."""
    reference = DataDir(data).records().load_plan(plan_id)
    pin = Pin(teacher_id=teacher, kind=PinKind.MUST_STAY, reason="x")
    return forced_changes(read_district(xlsx), reference, pin)


def replan(client: TestClient, plan_id: str, **body: Any) -> dict[str, Any]:
    answer = client.post(f"/api/plans/{plan_id}/replan", json=body)
    assert answer.status_code == 202, answer.text
    return wait_job(client, answer.json()["job_id"])


def test_a_pin_is_kept_with_the_year_and_a_replan_changes_only_what_it_forces(
    tmp_path: Path, district_xlsx: Path
) -> None:
    with serve(tmp_path / "data") as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        first = plan(client, upload_id, name="初稿", note="按默认规则")["plan_id"]
        before = rotations(client, first)
        assert client.get(f"/api/plans/{first}").json()["name"] == "初稿"
        assert client.get(f"/api/plans/{first}/pins").json() == []
        teacher = sorted(before)[0]
        pins = f"/api/plans/{first}/pins"
        # refused, each with its reason: no reason, a school the teacher cannot go to, an
        # unknown teacher, an unknown kind
        bad = client.post(pins, json={"teacher_id": teacher, "kind": "不得交流", "reason": " "})
        assert bad.status_code == 422 and "原因" in bad.json()["problems"][0]["message"]
        home = before[teacher]["from_school_id"]
        schools = client.get(f"{pins}/{teacher}/schools").json()["schools"]
        assert schools and home not in {s["school_id"] for s in schools}
        bad = client.post(
            pins,
            json={"teacher_id": teacher, "kind": "必须交流至", "school_id": home, "reason": "x"},
        )
        assert bad.status_code == 422 and "不是该教师可以交流去的学校" in bad.text
        bad = client.post(pins, json={"teacher_id": "NOBODY", "kind": "不得交流", "reason": "x"})
        assert bad.status_code == 422 and "不在本学年的数据中" in bad.text
        bad = client.post(pins, json={"teacher_id": teacher, "kind": "随便", "reason": "x"})
        assert bad.status_code == 422
        reason = "主持区级课题，需留校"
        taken = client.post(
            pins, json={"teacher_id": teacher, "kind": "不得交流", "reason": reason}
        )
        assert taken.status_code == 201, taken.text
        listed = client.get(pins).json()
        assert [(p["teacher_id"], p["kind"], p["reason"], p["source"]) for p in listed] == [
            (teacher, "不得交流", reason, "本学年锁定")
        ]
        # a re-plan against the first plan: the pinned teacher stays, and only what that
        # forces changes (the teacher dropped, at most one colleague of the group added)
        job = replan(client, first, note="会议决定")
        assert job["state"] == "done", job
        second = job["plan_id"]
        after = rotations(client, second)
        assert teacher not in after
        changed = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}
        assert teacher in changed
        assert changed == fewest_changes(tmp_path / "data", district_xlsx, first, teacher)
        body = client.get(f"/api/plans/{second}").json()
        assert body["name"] == "初稿 调整" and body["note"] == "会议决定"
        # the re-plan opens on its 变更对比, the pin's reason in it
        page = client.get(f"/jobs/{job['job_id']}", follow_redirects=False)
        assert page.headers["location"] == f"/plans/{second}/changes"
        changes = client.get(f"/plans/{second}/changes").text
        assert "取消" in changes and reason in changes and "调整前" in changes
        not_chosen = client.get(f"/plans/{second}/sheets/not_chosen", params={"q": teacher}).text
        assert reason in not_chosen
        # a new upload of the same school year keeps the pin
        again = upload(client, district_xlsx).json()["upload_id"]
        third = plan(client, again)["plan_id"]
        assert teacher not in rotations(client, third)
        assert [p["teacher_id"] for p in client.get(f"/api/plans/{third}/pins").json()] == [teacher]
        # the year's saved plans, and two of them compared
        saved = client.get(f"/api/plans/{first}/saved").json()
        assert {s["plan_id"] for s in saved} == {first, second, third}
        assert next(s for s in saved if s["plan_id"] == second)["reference_plan_id"] == first
        compared = client.get(f"/api/plans/{first}/compare/{second}").json()
        labels = {k["label"]: k["values"] for k in compared["kpis"]}
        assert labels["新交流人数（合计）"] == [len(before), len(after)]
        assert labels["方案说明"] == ["按默认规则", "会议决定"]
        rows = {row[2]: row[1] for row in compared["differences"]}
        assert rows[teacher] == "取消" and set(rows) == changed
        # one of the saved plans goes to 公示; another cannot while it is there
        notice = {"start": "2026-06-01", "end": "2026-06-07"}
        assert client.post(f"/api/plans/{second}/publish", json=notice).status_code == 200
        refused = client.post(f"/api/plans/{third}/publish", json=notice)
        assert refused.status_code == 409 and "正在公示" in refused.json()["error"]
        assert "正在公示" in client.get(f"/plans/{third}").text
        # removing the pin: the next plan may move the teacher again
        assert client.delete(f"{pins}/{teacher}").status_code == 200
        assert client.delete(f"{pins}/{teacher}").status_code == 404
        assert client.get(pins).json() == []
        actions = [line["action"] for line in audit_lines(tmp_path / "data")]
        assert "pin set" in actions and "pin removed" in actions


def test_a_pin_that_breaks_the_rules_is_named_in_the_explanation(
    tmp_path: Path, district_xlsx: Path
) -> None:
    """Every eligible teacher of one group pinned to stay: the group's ratio cannot be met,
    and the re-plan's explanation says it is the pins."""
    district = read_district(district_xlsx)
    group = district.groups[0].group_id
    stay = [
        t.teacher_id
        for t in district.eligible_teachers()
        if district.status(t.teacher_id).group_id == group
    ]
    with serve(tmp_path / "data") as client:
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        first = plan(client, upload_id)["plan_id"]
        moves = rotations(client, first)
        # one teacher must go where the plan sends them anyway: a re-plan changes nothing
        target = sorted(t for t in moves if t not in stay)[0]
        taken = client.post(
            f"/api/plans/{first}/pins",
            json={
                "teacher_id": target,
                "kind": "必须交流至",
                "school_id": moves[target]["to_school_id"],
                "reason": "本人申请",
            },
        )
        assert taken.status_code == 201, taken.text
        same = replan(client, first)["plan_id"]
        assert rotations(client, same) == moves
        for t in stay:
            answer = client.post(
                f"/api/plans/{first}/pins",
                json={"teacher_id": t, "kind": "不得交流", "reason": "会议决定留任"},
            )
            assert answer.status_code == 201, answer.text
        job = replan(client, first)
        body = client.get(f"/api/plans/{job['plan_id']}").json()
        assert body["status"] == "infeasible" and body["rotations"] == []
        named = [c for c in body["conflicts"] if c["rule"] == "pins"]
        assert named and any(c.get("teacher_id") in stay for c in named), body["conflicts"]
        page = client.get(f"/plans/{job['plan_id']}").text
        assert "不得交流" in page and "无法" in page


def test_roles_and_the_approved_plan(guarded: TestClient, district_xlsx: Path) -> None:
    """A 经办人 pins, names and re-plans; nobody else may; nobody changes an approved plan."""
    client = guarded
    login(client, "clerk")
    upload_id = upload(client, district_xlsx).json()["upload_id"]
    plan_id = plan(client, upload_id)["plan_id"]
    teacher = sorted(rotations(client, plan_id))[0]
    pin = {"teacher_id": teacher, "kind": "不得交流", "reason": "病假"}
    for role in ("reviewer", "approver", "admin"):
        login(client, role)
        assert client.post(f"/api/plans/{plan_id}/pins", json=pin).status_code == 403
        assert client.delete(f"/api/plans/{plan_id}/pins/{teacher}").status_code == 403
        assert client.post(f"/api/plans/{plan_id}/replan", json={}).status_code == 403
        described = client.post(f"/api/plans/{plan_id}/describe", json={"name": "x"})
        assert described.status_code == 403
    client.cookies.clear()
    assert client.get(f"/api/plans/{plan_id}/pins").status_code == 401
    login(client, "clerk")
    assert client.post(f"/api/plans/{plan_id}/pins", json=pin).status_code == 201
    assert client.post(f"/api/plans/{plan_id}/describe", json={"name": "甲"}).status_code == 200
    login(client, "reviewer")
    assert (
        client.post(
            f"/api/plans/{plan_id}/publish", json={"start": "2026-06-01", "end": "2026-06-07"}
        ).status_code
        == 200
    )
    login(client, "approver")
    assert client.post(f"/api/plans/{plan_id}/approve", json={}).status_code == 200
    login(client, "clerk")  # an approved plan is locked: no pins, no renaming through it
    assert client.post(f"/api/plans/{plan_id}/pins", json=pin).status_code == 409
    assert client.delete(f"/api/plans/{plan_id}/pins/{teacher}").status_code == 409
    assert client.post(f"/api/plans/{plan_id}/describe", json={"name": "乙"}).status_code == 409
    # a change after approval starts as a re-plan against it
    assert client.post(f"/api/plans/{plan_id}/replan", json={}).status_code == 202
