"""情景比较 in the web application (issue 16): scenarios written from a form or the JSON API,
checked against the year's data (every problem at once) and kept with the school year; runs
(方案比较, 参数扫描, 政策模拟) in jobs; the results pages; downloads that the command line
runs unchanged; roles; the audit log.

The district is 测试区 (600 generated teachers, Ganzhou's groups): at min_rotation_ratio 10% its
rules can all be met, from 12–15% on they cannot (the 中学教育集团 has too few eligible
teachers), so a sweep over 10%…20% has its boundary inside."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from rotation.service.scenarios import compare_scenarios
from rotation.service.simulate import simulate_files

from .conftest import (  # type: ignore[import-not-found]
    audit_lines,
    csrf_of,
    login,
    serve,
    table_rows,
    upload,
    wait_job,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, district_xlsx: Path) -> Any:
    """A single-user server holding 测试区.xlsx (one per module): (client, data, upload_id)."""
    data = tmp_path_factory.mktemp("whatif") / "data"
    with serve(data) as client:
        answer = upload(client, district_xlsx)
        assert answer.status_code == 201, answer.text
        yield client, data, answer.json()["upload_id"]


def _district(client: TestClient, upload_id: str) -> dict[str, Any]:
    """Schools, groups and teachers of the upload, read off the what-if page and the API."""
    page = client.get(f"/uploads/{upload_id}/whatif")
    assert page.status_code == 200, page.text
    schools = [r for r in table_rows(page.text, "school-choices")[1:]]
    return {"page": page.text, "schools": schools}


def _scenario(client: TestClient, upload_id: str, **body: Any) -> Any:
    return client.post(f"/api/uploads/{upload_id}/scenarios", json=body)


def _run(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/whatif", json=body)
    assert answer.status_code == 202, answer.text
    job = wait_job(client, answer.json()["job_id"])
    assert job["state"] == "done", job
    assert job["kind"] == body["kind"]
    run = client.get(f"/api/whatif/{job['run_id']}")
    assert run.status_code == 200
    return {**run.json(), "run_id": job["run_id"], "job_id": job["job_id"]}


def _ids(client: TestClient, upload_id: str) -> dict[str, str]:
    listed = client.get(f"/api/uploads/{upload_id}/scenarios").json()
    return {s["name"]: s["scenario_id"] for s in listed}


def test_a_scenario_is_checked_against_the_data_every_problem_at_once(server: Any) -> None:
    client, _data, upload_id = server
    start = client.get("/whatif")  # the nav's 情景比较: the uploads to start from
    assert start.status_code == 200 and f"/uploads/{upload_id}/whatif" in start.text
    assert f'href="/uploads/{upload_id}/whatif"' in client.get(f"/uploads/{upload_id}").text
    bad = _scenario(
        client,
        upload_id,
        name="有错的情景",
        policy={"min_rotation_ratio": "很多", "no_such_rule": "1"},
        group_policy=[{"group": "G99", "key": "min_rotation_ratio", "value": "15%"}],
        weak_schools=["NO-SCHOOL"],
        defer=[{"teacher": "NO-TEACHER", "reason": "产假"}],
        demand=[{"school": "NO-SCHOOL-2", "subject": "数学", "count": 2}],
    )
    assert bad.status_code == 422, bad.text
    messages = [p["message"] for p in bad.json()["problems"]]
    text = "\n".join(messages)
    for expected in ("min_rotation_ratio", "no_such_rule", "G99", "NO-SCHOOL", "NO-TEACHER"):
        assert expected in text, text
    assert len(messages) >= 6
    assert _ids(client, upload_id).get("有错的情景") is None  # nothing kept
    # a name is required, unique in the school year, and 基准 is the data itself
    assert _scenario(client, upload_id, name=" ").status_code == 422
    assert _scenario(client, upload_id, name="基准").status_code == 422
    assert (
        client.post("/api/uploads/" + "0" * 32 + "/scenarios", json={"name": "x"}).status_code
        == 404
    )


def test_the_form_writes_a_scenario_and_the_toml_runs_with_the_command_line(
    server: Any, tmp_path: Path
) -> None:
    client, _data, upload_id = server
    page = _district(client, upload_id)
    csrf = csrf_of(page["page"])
    school_id = page["schools"][0][0].rsplit("（", 1)[1].rstrip("）")
    # problems of the fields themselves and of the data: all shown, the values kept
    refused = client.post(
        f"/uploads/{upload_id}/scenarios",
        data={
            "csrf_token": csrf,
            "name": "",
            "policy.min_rotation_ratio": "abc",
            "demand": "只有两项 2",
            "defer": "NOPE 产假",
        },
    )
    assert refused.status_code == 422
    problems = [r[-1] for r in table_rows(refused.text, "")[1:]] or refused.text
    assert "情景名称：必填" in refused.text
    assert "学校需求第1行" in refused.text
    assert "NOPE" in refused.text
    assert "abc" in refused.text or "min_rotation_ratio" in refused.text
    assert 'value="abc"' in refused.text  # what was typed is kept
    del problems
    made = client.post(
        f"/uploads/{upload_id}/scenarios",
        data={
            "csrf_token": csrf,
            "name": "表单情景",
            "description": "比例 10%，一校改为薄弱",
            "policy.min_rotation_ratio": "10%",
            f"school.{school_id}": "weak",
            "demand": f"{school_id} 数学 1",
        },
    )
    assert made.status_code == 303, made.text
    listed = client.get(f"/uploads/{upload_id}/whatif")
    rows = table_rows(listed.text, "scenario-list")
    assert [r[0] for r in rows[1:]] == ["基准", "表单情景"]
    assert "标为薄弱 1 所" in rows[2][2] and "需求 1 条" in rows[2][2]
    scenario_id = _ids(client, upload_id)["表单情景"]
    toml = client.get(f"/uploads/{upload_id}/scenarios/{scenario_id}/toml")
    assert toml.status_code == 200
    assert 'input = "测试区.xlsx"' in toml.text and "weak_schools" in toml.text
    # the .zip: the file and the year's data side by side; the command line's compare runs it
    bundle = client.get(f"/uploads/{upload_id}/scenarios/{scenario_id}/zip")
    assert bundle.status_code == 200
    folder = tmp_path / "zip"
    zipfile.ZipFile(io.BytesIO(bundle.content)).extractall(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["测试区.xlsx", "表单情景.toml", "说明.txt"]
    outcomes, _ = compare_scenarios(
        [folder / "表单情景.toml"],
        tmp_path / "方案对比.xlsx",
        sweep=None,
        plans=None,
        time_limit=60,
        processes=1,
        teachers=None,
        force=False,
        echo=lambda *a, **k: None,
    )
    assert outcomes[0].feasible and "标为薄弱学校" in "".join(outcomes[0].changes)
    # deleted from the page: gone from the list
    deleted = client.post(
        f"/uploads/{upload_id}/scenarios/{scenario_id}/delete", data={"csrf_token": csrf}
    )
    assert deleted.status_code == 303
    assert "表单情景" not in _ids(client, upload_id)
    again = client.post(
        f"/uploads/{upload_id}/scenarios/{scenario_id}/delete", data={"csrf_token": csrf}
    )
    assert again.status_code == 404


def test_compare_shows_kpis_groups_differences_and_unmet(server: Any, tmp_path: Path) -> None:
    client, data, upload_id = server
    assert (
        _scenario(client, upload_id, name="比例10%", policy={"backbone_share": "10%"}).status_code
        == 201
    )
    tight = _scenario(
        client,
        upload_id,
        name="比例20%",
        description="提高比例",
        policy={"min_rotation_ratio": "20%"},
    )
    assert tight.status_code == 201, tight.text
    ids = _ids(client, upload_id)
    run = _run(
        client,
        upload_id=upload_id,
        kind="compare",
        scenario_ids=["base", ids["比例10%"], ids["比例20%"]],
    )
    assert run["names"] == ["基准", "比例10%", "比例20%"]
    assert run["feasible"] == [True, True, False]
    # the infeasible one: 无法满足 with its conflicts, never every teacher cancelled
    assert [u["name"] for u in run["unmet"]] == ["比例20%"]
    assert run["unmet"][0]["conflicts"]
    mine = [r for r in run["diff_rows"] if r[0] == "比例20%"]
    assert mine and all(r[1] == "无法满足" for r in mine)
    assert not any(r[1] == "取消" for r in mine)
    page = client.get(f"/whatif/{run['run_id']}")
    assert page.status_code == 200
    kpis = table_rows(page.text, "kpis")
    assert kpis[0] == ["指标", "基准", "比例10%", "比例20%"]
    met = next(r for r in kpis if r[0] == "规则全部满足")
    assert met[1:] == ["是", "是", "否"]
    assert "无法满足" in page.text and page.text.count("<svg") == 1
    assert table_rows(page.text, "diff")[0][0] == "方案"
    # the comparison workbook: the CLI's sheets
    book = client.get(f"/whatif/{run['run_id']}/workbook")
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    assert sheets == ["方案对比", "各集团交流人数", "人员差异"]
    # the run's files run unchanged with the command line, to the same figures
    bundle = client.get(f"/whatif/{run['run_id']}/scenarios.zip")
    folder = tmp_path / "run"
    zipfile.ZipFile(io.BytesIO(bundle.content)).extractall(folder)
    files = [folder / name for name in run["files"]]
    assert [f.name for f in files] == ["基准.toml", "比例10%.toml", "比例20%.toml"]
    outcomes, _ = compare_scenarios(
        files,
        tmp_path / "方案对比.xlsx",
        sweep=None,
        plans=None,
        time_limit=60,
        processes=1,
        teachers=None,
        force=False,
        echo=lambda *a, **k: None,
    )
    web = next(r for r in run["kpis"] if r[0] == "新交流人数（合计）")[2]
    assert [o.feasible for o in outcomes] == [True, True, False]
    assert [str(o.rotations) for o in outcomes[:2]] == web[:2]
    actions = [line["action"] for line in audit_lines(data)]
    for action in ("scenario saved", "whatif requested", "whatif", "download", "scenario deleted"):
        assert action in actions


def test_a_sweep_states_where_the_rules_stop_being_met(server: Any) -> None:
    client, _data, upload_id = server
    form = client.get(f"/uploads/{upload_id}/whatif")
    csrf = csrf_of(form.text)
    answer = client.post(
        f"/uploads/{upload_id}/whatif/run",
        data={
            "csrf_token": csrf,
            "kind": "sweep",
            "scenario": "base",
            "sweep_key": "min_rotation_ratio",
            "sweep_from": "10%",
            "sweep_to": "20%",
            "sweep_step": "2%",
        },
    )
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[1]
    job = wait_job(client, job_id)
    assert job["state"] == "done", job
    moved = client.get(f"/jobs/{job_id}")
    assert moved.status_code == 303 and moved.headers["location"] == f"/whatif/{job['run_id']}"
    run = client.get(f"/api/whatif/{job['run_id']}").json()
    (sweep,) = run["sweeps"]
    assert [p["value"] for p in sweep["points"]] == ["10%", "12%", "14%", "16%", "18%", "20%"]
    ok = [p["feasible"] for p in sweep["points"]]
    assert ok[0] and not ok[-1] and ok == sorted(ok, reverse=True)
    last = sweep["points"][ok.index(False) - 1]["value"]
    first = sweep["points"][ok.index(False)]["value"]
    assert sweep["conclusion"] == (
        f"min_rotation_ratio 取 {last} 及之前的值时规则可以同时满足，从 {first} 起无法同时满足"
    )
    assert sweep["points"][ok.index(False)]["conflicts"]  # the boundary is explained
    page = client.get(f"/whatif/{job['run_id']}")
    assert sweep["conclusion"] in page.text
    assert len(table_rows(page.text, "sweep-table")) == 7


def test_a_simulation_draws_its_line_charts(server: Any, tmp_path: Path) -> None:
    client, _data, upload_id = server
    run = _run(client, upload_id=upload_id, kind="simulate", scenario_ids=["base"], years=2)
    assert run["years"] == [2025, 2026]
    assert [i["label"] for i in run["indicators"]][:3] == ["新交流人数", "交流比例", "骨干教师占比"]
    # this small district's second year cannot meet its rules: the chain stops there, said so
    (conclusion,) = run["conclusions"]
    assert not conclusion["ok"] and conclusion["conclusion"].startswith(
        "第2学年（2026学年）无法满足"
    )
    assert conclusion["messages"]
    page = client.get(f"/whatif/{run['run_id']}")
    assert page.text.count("<circle") == 6  # one point per indicator: the first year
    assert "第2学年（2026学年）无法满足" in page.text
    book = client.get(f"/whatif/{run['run_id']}/workbook")
    assert "趋势图" in openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    bundle = client.get(f"/whatif/{run['run_id']}/scenarios.zip")
    folder = tmp_path / "sim"
    zipfile.ZipFile(io.BytesIO(bundle.content)).extractall(folder)
    (simulation,) = simulate_files(
        [folder / "基准.toml"], tmp_path / "政策模拟.xlsx", years=2, processes=1
    )
    web = run["indicators"][0]["series"][0][1]
    assert [float(r.total.rotations) if r.ok else None for r in simulation.results] == web
    assert simulation.conclusion == conclusion["conclusion"]


def test_run_requests_are_checked_every_problem_at_once(server: Any) -> None:
    client, _data, upload_id = server
    bad = client.post(
        "/api/whatif",
        json={"upload_id": upload_id, "kind": "compare", "scenario_ids": ["base"], "time_limit": 0},
    )
    assert bad.status_code == 422
    messages = [p["message"] for p in bad.json()["problems"]]
    assert len(messages) == 2 and "2 到 8" in messages[0] and "时间上限" in messages[1]
    sweep = client.post(
        "/api/whatif",
        json={
            "upload_id": upload_id,
            "kind": "sweep",
            "scenario_ids": ["base", "nope"],
            "sweep": "min_rotation_ratio=0.10:0.20:0",
        },
    )
    assert sweep.status_code == 422
    text = " ".join(p["message"] for p in sweep.json()["problems"])
    assert "一个情景" in text and "步长不能为 0" in text and "不属于本学年" in text
    years = client.post(
        "/api/whatif",
        json={"upload_id": upload_id, "kind": "simulate", "scenario_ids": ["base"], "years": 11},
    )
    assert years.status_code == 422 and "1 到 10" in years.text
    csrf = csrf_of(client.get(f"/uploads/{upload_id}/whatif").text)
    page = client.post(
        f"/uploads/{upload_id}/whatif/run",
        data={"csrf_token": csrf, "kind": "simulate", "years": "x"},
    )
    assert page.status_code == 422
    assert "请选择 1 到 8 个情景" in page.text and "学年数应为 1 到 10" in page.text
    no_token = client.post(f"/uploads/{upload_id}/whatif/run", data={"kind": "compare"})
    assert no_token.status_code == 403
    assert client.get("/whatif/" + "0" * 32).status_code == 404
    assert client.get("/whatif/not-an-id/workbook").status_code == 404


def test_only_the_clerk_writes_and_runs_scenarios(
    tmp_path: Path, users_json: Path, district_xlsx: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / users_json.name).write_bytes(users_json.read_bytes())
    with serve(data, single_user=False) as client:
        assert client.get("/whatif").status_code == 303  # to the login page
        assert client.post("/api/whatif", json={}).status_code == 401
        login(client, "clerk")
        upload_id = upload(client, district_xlsx).json()["upload_id"]
        made = _scenario(
            client, upload_id, name="经办人的情景", policy={"min_rotation_ratio": "10%"}
        )
        assert made.status_code == 201, made.text
        scenario_id = made.json()["scenario_id"]
        started = client.post(
            "/api/whatif",
            json={"upload_id": upload_id, "kind": "compare", "scenario_ids": ["base", scenario_id]},
        )
        assert started.status_code == 202
        assert wait_job(client, started.json()["job_id"])["state"] == "done"
        for name in ("reviewer", "approver", "admin"):
            client.post("/api/logout")
            client.cookies.clear()
            login(client, name)
            assert client.get(f"/api/uploads/{upload_id}/scenarios").status_code == 200
            page = client.get(f"/uploads/{upload_id}/whatif")
            assert page.status_code == 200 and "scenario-form" not in page.text
            assert _scenario(client, upload_id, name=f"{name}的情景").status_code == 403
            run = {"upload_id": upload_id, "kind": "compare", "scenario_ids": ["base", scenario_id]}
            assert client.post("/api/whatif", json=run).status_code == 403
            gone = client.delete(f"/api/uploads/{upload_id}/scenarios/{scenario_id}")
            assert gone.status_code == 403
            csrf = csrf_of(page.text) if 'name="csrf_token"' in page.text else ""
            form = {"csrf_token": csrf, "name": "x"}
            assert client.post(f"/uploads/{upload_id}/scenarios", data=form).status_code == 403
            form = {"csrf_token": csrf, "kind": "compare", "scenario": "base"}
            assert client.post(f"/uploads/{upload_id}/whatif/run", data=form).status_code == 403
            deleting = client.post(
                f"/uploads/{upload_id}/scenarios/{scenario_id}/delete", data={"csrf_token": csrf}
            )
            assert deleting.status_code == 403
        assert [s["name"] for s in client.get(f"/api/uploads/{upload_id}/scenarios").json()] == [
            "经办人的情景"
        ]


def test_a_run_is_cancelled_with_its_process(local: TestClient, big_district_xlsx: Path) -> None:
    upload_id = upload(local, big_district_xlsx).json()["upload_id"]
    started = local.post(
        "/api/whatif",
        json={"upload_id": upload_id, "kind": "simulate", "scenario_ids": ["base"], "years": 10},
    )
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    for _ in range(600):
        if local.get(f"/api/jobs/{job_id}").json()["state"] == "running":
            break
        time.sleep(0.05)
    cancelled = local.delete(f"/api/jobs/{job_id}")
    assert cancelled.json()["state"] == "cancelled"
    job = wait_job(local, job_id)
    assert job["state"] == "cancelled" and job["run_id"] is None
    data = Path(local.app.state.data.root)  # type: ignore[attr-defined]
    assert not [p for p in (data / "whatif").iterdir() if p.name != "inputs"]
