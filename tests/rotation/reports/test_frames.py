"""pandas views hold the same rows as the 审批表 sheets and the plan JSON."""

from __future__ import annotations

import subprocess
import sys

from models.plan import SolveOptions
from models.rules import check_plan
from rotation.reports.approval import approval_tables
from rotation.reports.frames import approval_frames, compliance_frame, rotations_frame
from rotation.samples.generate import generate_district
from solvers.solve import solve


def test_frames_match_the_workbook_and_the_json() -> None:
    d = generate_district(teachers=300, seed=4)
    result = solve(d, SolveOptions(workers=1))
    checks = check_plan(d, result.plan)
    frames = approval_frames(d, result, checks)
    tables = approval_tables(d, result, checks, input_sha256="", scenario="", timings={})
    assert list(frames) == [t.name for t in tables]
    for t in tables:
        assert frames[t.name].columns.tolist() == t.plain_header()
        frame = frames[t.name].astype(object)
        assert frame.where(frame.notna(), None).values.tolist() == t.plain_rows()
    assert len(frames["交流名单"]) == len(result.plan.rotations) > 0
    rotations = rotations_frame(result.plan)
    assert rotations["teacher_id"].tolist() == [r.teacher_id for r in result.plan.rotations]
    compliance = compliance_frame(checks)
    assert len(compliance) == len(checks)
    ratio = compliance[compliance["rule"] == "min_rotation_ratio"]
    assert ratio["group_id"].notna().all() and (ratio["count"] >= ratio["minimum"]).all()


def test_the_command_line_does_not_load_pandas() -> None:
    code = "import sys, rotation.cli.app; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
