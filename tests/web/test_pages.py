"""Every page renders, in Chinese, in single-user mode: home, upload, job, plan, its sheets
(filters, search, paging), flows, a teacher, the audit log, the downloads and the API docs."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from rotation.service.review import FILTERS, MAX_PAGE, Review

from .conftest import (  # type: ignore[import-not-found]
    Planned,
    csrf_of,
    table_rows,
    upload,
    wait_job,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def page(planned: Planned, path: str, **params: Any) -> str:
    """A page's HTML (200, Chinese, no traceback)."""
    answer = planned.client.get(path, params=params)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    text: str = answer.text
    assert CHINESE.search(text), path
    assert "Traceback" not in text
    return text


def review(planned: Planned) -> Review:
    return Review(planned.data / "plans" / planned.plan_id / "review.sqlite")


def sheet_rows(html: str) -> list[list[str]]:
    """The shown rows of a sheet page (header left out)."""
    rows = table_rows(html, "sheet")
    assert rows, "no table on the sheet page"
    return rows[1:]


def count_of(html: str) -> int:
    """共 N 条: how many rows match."""
    found = re.search(r"共 (\d+) 条", html)
    assert found, "no row count on the page"
    return int(found.group(1))


def test_home(planned: Planned) -> None:
    text = page(planned, "/")
    assert "测试区" in text
    assert planned.plan_id in text


def test_the_upload_page(planned: Planned) -> None:
    text = page(planned, f"/uploads/{planned.upload_id}")
    assert "测试区" in text and "2025" in text
    assert planned.plan_id in text  # the plans made from it
    groups = table_rows(text, "groups")
    assert "交流比例" in groups[0] and all(row[groups[0].index("交流比例")] for row in groups[1:])


def test_a_finished_job_page_leads_to_its_plan(planned: Planned) -> None:
    job_id = planned.job["job_id"]
    answer = planned.client.get(f"/jobs/{job_id}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/plans/{planned.plan_id}"
    status = planned.client.get(f"/jobs/{job_id}/status")
    assert status.status_code == 200
    assert status.headers["hx-redirect"] == f"/plans/{planned.plan_id}"
    assert "已完成" in status.text


def test_a_job_page_while_not_done(planned: Planned) -> None:
    job_id = planned.client.post("/api/plans", json={"upload_id": planned.upload_id}).json()[
        "job_id"
    ]
    text = page(planned, f"/jobs/{job_id}")
    assert any(word in text for word in ("排队中", "编制中", "开始编制", "已完成"))
    assert planned.client.delete(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
    text = page(planned, f"/jobs/{job_id}")
    assert "已取消" in text
    status = planned.client.get(f"/jobs/{job_id}/status")
    assert status.status_code == 200 and "hx-redirect" not in status.headers
    assert "已取消" in status.text


def test_the_plan_page(planned: Planned) -> None:
    text = page(planned, f"/plans/{planned.plan_id}")
    assert "测试区" in text
    for _key, (name, _n) in review(planned).sheets().items():
        assert name in text


def all_sheet_keys(planned: Planned) -> list[str]:
    with review(planned) as r:
        return list(r.sheets())


def test_every_sheet_of_the_plan_renders(planned: Planned) -> None:
    with review(planned) as r:
        sheets = r.sheets()
    assert {"rotations", "not_chosen", "ineligible", "compliance"} <= set(sheets)
    for key, (name, n) in sheets.items():
        text = page(planned, f"/plans/{planned.plan_id}/sheets/{key}")
        assert name in text
        assert count_of(text) == n
        assert len(sheet_rows(text)) == min(n, 50)


def test_sheet_paging_and_sizes(planned: Planned) -> None:
    path = f"/plans/{planned.plan_id}/sheets/ineligible"
    with review(planned) as r:
        total = r.sheets()["ineligible"][1]
        second = r.page("ineligible", offset=20, limit=20)
    assert total > 220  # enough rows for the pages below
    first_page = sheet_rows(page(planned, path, size=20))
    second_page = sheet_rows(page(planned, path, size=20, page=2))
    assert len(first_page) == len(second_page) == 20
    assert first_page != second_page
    assert [row[0] for row in second_page] == [str(row[0]) for row in second.rows]
    assert len(sheet_rows(page(planned, path, size=200))) == 200
    for size in (201, 1000, 100000, 0, -5):  # not offered: the default 50
        assert len(sheet_rows(page(planned, path, size=size))) == 50
    for number in (0, -3):
        assert sheet_rows(page(planned, path, page=number, size=20)) == first_page
    last = -(-total // 20)
    assert len(sheet_rows(page(planned, path, page=last, size=20))) == total - 20 * (last - 1)
    past = sheet_rows(page(planned, path, page=last + 5, size=20))  # past the end: the last page
    assert past == sheet_rows(page(planned, path, page=last, size=20))
    wrong = planned.client.get(path, params={"page": "x"})
    assert wrong.status_code == 422 and "Traceback" not in wrong.text


@pytest.mark.parametrize("size", [20, 50, 100, 200, 500])
def test_a_page_never_shows_more_than_200_rows(planned: Planned, size: int) -> None:
    for key in all_sheet_keys(planned):
        rows = sheet_rows(page(planned, f"/plans/{planned.plan_id}/sheets/{key}", size=size))
        assert len(rows) <= min(size if size <= MAX_PAGE else 50, MAX_PAGE)


def test_sheet_filters(planned: Planned) -> None:
    path = f"/plans/{planned.plan_id}/sheets/not_chosen"
    with review(planned) as r:
        subjects = r.choices("not_chosen", "学科")
        header = r.header("not_chosen")
    assert len(subjects) > 1 and set(FILTERS["not_chosen"]) <= set(header)
    subject = subjects[0]
    text = page(planned, path, 学科=subject, size=200)
    shown = table_rows(text, "sheet")
    at = shown[0].index("学科")
    assert shown[1:] and all(row[at] == subject for row in shown[1:])
    with review(planned) as r:
        assert count_of(text) == r.page("not_chosen", filters={"学科": subject}).total
    # Two filters narrow further; a value no row has gives an empty page, not an error.
    school = shown[1][shown[0].index("学校")]
    both = table_rows(page(planned, path, 学科=subject, 学校=school, size=200), "sheet")
    assert both[1:] and all(
        r[at] == subject and r[shown[0].index("学校")] == school for r in both[1:]
    )
    assert sheet_rows(page(planned, path, 学科="没有这个学科")) == []
    # A filter the sheet does not offer is ignored.
    assert count_of(page(planned, path, 流入学校="x")) == count_of(page(planned, path))


def test_sheet_search(planned: Planned) -> None:
    path = f"/plans/{planned.plan_id}/sheets/rotations"
    with review(planned) as r:
        first = r.page("rotations", limit=1)
    name = str(first.rows[0][first.header.index("姓名")])
    text = page(planned, path, q=name)
    assert count_of(text) >= 1 and name in text
    assert all(name in " ".join(row) for row in sheet_rows(text))
    for wildcard in ("%", "_", "%%", "\\"):
        assert count_of(page(planned, path, q=wildcard)) == 0
    assert count_of(page(planned, path, q="x" * 5000)) == 0  # long text is cut, not an error


def test_a_sheet_the_plan_lacks_or_an_unknown_key_is_404(planned: Planned) -> None:
    keys = set(all_sheet_keys(planned))
    for key in ("nothing", "../review", "sheets"):
        answer = planned.client.get(f"/plans/{planned.plan_id}/sheets/{key}")
        assert answer.status_code == 404
        assert CHINESE.search(answer.text)
    if "conflicts" not in keys:
        assert planned.client.get(f"/plans/{planned.plan_id}/sheets/conflicts").status_code == 404


def test_the_flows_page(planned: Planned) -> None:
    text = page(planned, f"/plans/{planned.plan_id}/flows")
    with review(planned) as r:
        groups = [g["name"] for g in r.groups() if r.flows(g["name"])]
    assert groups and all(g in text for g in groups)


def test_teacher_pages(planned: Planned) -> None:
    with review(planned) as r:
        chosen = r.page("rotations", limit=1)
        other = r.page("not_chosen", limit=1)
    chosen_id = str(chosen.rows[0][chosen.header.index("教师编号")])
    other_id = str(other.rows[0][other.header.index("教师编号")])
    text = page(planned, f"/plans/{planned.plan_id}/teachers/{chosen_id}")
    assert chosen_id in text and "入选理由" in text and "未入选原因" not in text
    text = page(planned, f"/plans/{planned.plan_id}/teachers/{other_id}")
    assert other_id in text and "未入选原因" in text and "入选理由</th>" not in text
    assert planned.client.get(f"/plans/{planned.plan_id}/teachers/NOBODY").status_code == 404


def test_the_sheet_links_to_teacher_pages(planned: Planned) -> None:
    text = page(planned, f"/plans/{planned.plan_id}/sheets/rotations")
    links = re.findall(rf'href="/plans/{planned.plan_id}/teachers/([^"]+)"', text)
    assert links
    page(planned, f"/plans/{planned.plan_id}/teachers/{links[0]}")


def test_the_audit_page(planned: Planned) -> None:
    """In a clerk's words: what was done, its outcome, and links to the upload and the plan."""
    rows = table_rows(page(planned, "/audit"), "audit")
    actions = [row[2] for row in rows[1:]]
    assert "上传数据" in actions and "提交编制" in actions and "编制结束" in actions
    upload_row = rows[1 + actions.index("上传数据")]
    assert "检查通过" in upload_row[3] and "SHA-256" in upload_row[3]
    assert "已完成" in rows[1 + actions.index("编制结束")][3]
    text = page(planned, "/audit")
    assert f"/uploads/{planned.upload_id}" in text and f"/plans/{planned.plan_id}" in text


@pytest.mark.parametrize(("path", "sheet"), [("/template.xlsx", "教师"), ("/sample.xlsx", "教师")])
def test_downloads(planned: Planned, path: str, sheet: str) -> None:
    for _ in range(2):  # made once, then served from the data folder
        answer = planned.client.get(path)
        assert answer.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)
        assert sheet in workbook.sheetnames


def test_the_api_docs(planned: Planned) -> None:
    page(planned, "/api/docs")
    answer = planned.client.get("/api/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in (
        "/api/health",
        "/api/login",
        "/api/uploads",
        "/api/plans",
        "/api/jobs/{job_id}",
        "/api/plans/{plan_id}",
        "/api/plans/{plan_id}/workbook",
        "/api/plans/{plan_id}/public-notice",
    ):
        assert path in paths, path
    assert "delete" in paths["/api/jobs/{job_id}"]
    assert not any(not p.startswith("/api/") for p in paths)  # pages stay out of the API


@pytest.mark.parametrize("bad", ["abc", "..%2F..%2Fetc", uuid.uuid4().hex])
def test_pages_of_unknown_ids_are_404_pages(planned: Planned, bad: str) -> None:
    for path in (
        f"/uploads/{bad}",
        f"/jobs/{bad}",
        f"/jobs/{bad}/status",
        f"/plans/{bad}",
        f"/plans/{bad}/sheets/rotations",
        f"/plans/{bad}/flows",
        f"/plans/{bad}/teachers/T1",
    ):
        answer = planned.client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert CHINESE.search(answer.text) and "Traceback" not in answer.text


def test_odd_form_and_query_values_are_answered_never_a_crash(planned: Planned) -> None:
    token = csrf_of(page(planned, "/"))
    path = f"/uploads/{planned.upload_id}/plan"
    for values, status in (
        ({"year": "99999"}, 422),
        ({"year": "二〇二五"}, 303),
        ({"time_limit": "nan"}, 303),
        ({"time_limit": "abc"}, 303),
        ({"time_limit": "-inf"}, 303),
        ({"reference_plan_id": "../x"}, 404),
        ({"reference_plan_id": uuid.uuid4().hex}, 404),
    ):
        answer = planned.client.post(path, data={"csrf_token": token, **values})
        assert answer.status_code == status, values
        if status == 303:
            job_id = answer.headers["location"].rsplit("/", 1)[1]
            assert planned.client.delete(f"/api/jobs/{job_id}").status_code == 200
        else:
            assert CHINESE.search(answer.text) and "Traceback" not in answer.text
    sheet = f"/plans/{planned.plan_id}/sheets/not_chosen"
    last = sheet_rows(page(planned, sheet, page="1000000"))  # far past the end: the last page
    assert last
    for number in ("99999999999999999999", "9223372036854775807"):
        assert sheet_rows(page(planned, sheet, page=number)) == last


def test_the_plan_form_offers_relax_and_passes_it_on(
    local: TestClient, district_xlsx: Path
) -> None:
    upload_id = upload(local, district_xlsx).json()["upload_id"]
    html = local.get(f"/uploads/{upload_id}").text
    assert 'name="relax"' in html and "不得报批" in html
    answer = local.post(
        f"/uploads/{upload_id}/plan",
        data={"csrf_token": csrf_of(html), "relax": "1", "time_limit": "30"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    job = wait_job(local, job_id)
    assert job["state"] == "done"
    assert local.app.state.jobs.get(job_id)["options"]["relax"] is True  # type: ignore[attr-defined]
