"""`rotation history TEACHER_ID`: a teacher's rotations from the approved plans in the
records (the web's data folder, or a database by URL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from models.plan import NewRotation, Plan, SolveResult
from rotation.cli.app import app
from rotation.samples.generate import generate_district
from rotation.service.store import DataDir

runner = CliRunner()
ROLES = ("经办人", "审核人", "审批人", "管理员")


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _approve(data: DataDir, *, approve: bool) -> str:
    district = generate_district(teachers=120, seed=1, plan_year=2025)
    records = data.records()
    snap = records.save_snapshot(
        district, file_bytes=b"x", file_name="x.xlsx", file_kind="xlsx", by="经办"
    )
    teacher = district.teachers[0]
    other = next(s.school_id for s in district.schools if s.school_id != teacher.school_id)
    plan = Plan(
        plan_year=2025,
        rotations=(
            NewRotation(
                teacher_id=teacher.teacher_id,
                from_school_id=teacher.school_id,
                to_school_id=other,
                start_year=2025,
                end_year=2027,
            ),
        ),
    )
    run_ = records.save_plan_run(
        snap.id, SolveResult(status="optimal", plan=plan), options={}, by="经办"
    )
    if approve:
        run_ = records.publish(
            run_.id,
            start=date(2025, 6, 1),
            end=date(2025, 6, 7),
            actor="审核",
            roles=ROLES,
            expected_version=run_.version,
        )
        records.approve(run_.id, actor="局长", roles=ROLES, expected_version=run_.version)
    return teacher.teacher_id


def test_history_lists_the_approved_rotations(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data").ensure()
    teacher = _approve(data, approve=True)
    result = run("history", teacher, "--data", tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert "交流轮岗" in result.output and "2025～2027学年，交流中" in result.output
    by_url = run("history", teacher, "--database", data.url, "--district", "闵行区（模拟）")
    assert by_url.exit_code == 0 and "交流轮岗" in by_url.output


def test_a_draft_leaves_no_history_and_bad_options_are_said_plainly(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data").ensure()
    teacher = _approve(data, approve=False)
    result = run("history", teacher, "--data", tmp_path / "data")
    assert result.exit_code == 0 and "没有教师" in result.output
    both = run("history", teacher, "--data", tmp_path, "--database", data.url)
    assert both.exit_code == 1 and "只能给出一个" in both.output
    bad = run("history", teacher, "--database", "mysql://x/y")
    assert bad.exit_code == 1 and "不支持的数据库" in bad.output and "Traceback" not in bad.output
