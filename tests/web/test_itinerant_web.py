"""走教 in the browser's pages (issue 17): the upload page foresees the gaps no plan can cover,
the plan has its 走教安排 and 走教汇总 tabs, and a teacher serving two schools shows both."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.review import Review

from .conftest import plan, serve, table_rows, upload  # type: ignore[import-not-found]


def test_itinerant_pages(tmp_path: Path) -> None:
    d = generate_district(teachers=600, seed=7, structure="ganzhou", itinerant=True)
    policy = d.policy.district.model_copy(update={"itinerant_max_schools": 2})
    d = d.replace(policy=d.policy.model_copy(update={"district": policy}))
    source = tmp_path / "走教区.xlsx"
    write_district(d, source)
    with serve(tmp_path / "data") as client:
        answer = upload(client, source)
        assert answer.status_code == 201, answer.text
        upload_id = answer.json()["upload_id"]
        shown = client.get(f"/uploads/{upload_id}").text
        assert "走教需求「" in shown and "预计无法安排" in shown
        assert 'id="itinerant-card"' in shown and "走教规则：每人每周至多 6 课时、2 所外校" in shown
        job = plan(client, upload_id)
        assert job["state"] == "done", job
        plan_id = job["plan_id"]
        store = tmp_path / "data" / "plans" / plan_id / "review.sqlite"
        with Review(store) as review:
            given = review.page("itinerant", limit=200)
            summary = review.page("itinerant_summary", limit=200)
        assert given.rows and summary.rows
        for key, rows in (("itinerant", given.rows), ("itinerant_summary", summary.rows)):
            html = client.get(f"/plans/{plan_id}/sheets/{key}").text
            assert f"共 {len(rows)} 条" in html and len(table_rows(html, "sheet")) > 1
        column = given.header.index("教师编号")
        twice = [t for t, n in Counter(str(r[column]) for r in given.rows).items() if n > 1]
        assert twice, "with two schools allowed, someone serves two"
        html = client.get(f"/plans/{plan_id}/teachers/{twice[0]}").text
        served = [r for r in given.rows if str(r[column]) == twice[0]]
        assert "走教安排（2 条）" in html
        name = str(served[0][given.header.index("教师")])
        assert f'<h2 id="teacher-name">{name}（{twice[0]}）</h2>' in html
        school = given.header.index("走教学校")
        assert all(str(r[school]) in html for r in served)
