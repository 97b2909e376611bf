"""The public Python API does the yearly job end to end, as the README's example shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import InputError
from models.policy import parse_param
from rotation import api
from rotation.formats.safe_write import OutputExists
from rotation.samples.generate import generate_district


def test_the_yearly_job_through_the_api(tmp_path: Path) -> None:
    source = generate_district(teachers=400, seed=7)
    data = tmp_path / "区县.xlsx"
    assert len(api.save_district(source, data)) == 64
    district = api.read(data)
    result = api.plan(district, workers=1)
    assert result.status == "optimal" and result.plan.rotations
    checks = api.write(district, result, tmp_path / "审批表.xlsx", tmp_path / "方案.json")
    assert all(c.ok for c in checks)
    assert api.read_plan(tmp_path / "方案.json") == result.plan
    assert api.read_plan(tmp_path / "审批表.xlsx").rotations == result.plan.rotations
    assert all(c.ok for c in api.check(district, result.plan))
    with pytest.raises(OutputExists):
        api.write(district, result, tmp_path / "审批表.xlsx")
    frames = api.frames(district, result)
    assert len(frames["交流名单"]) == len(result.plan.rotations)
    assert set(frames["规则核查(ids)"]["rule"]) >= {"min_rotation_ratio", "subject_balance"}
    following = api.advance(district, result.plan)
    assert following.plan_year == district.plan_year + 1
    assert api.explain(district, workers=1) == []


def test_api_explains_and_refuses_bad_input(tmp_path: Path) -> None:
    source = generate_district(teachers=400, seed=7)
    policy = source.policy.district.model_copy(
        update={"min_rotation_ratio": parse_param("min_rotation_ratio", "60%")}
    )
    hard = source.replace(policy=source.policy.model_copy(update={"district": policy}))
    conflicts = api.explain(hard, workers=1)
    assert conflicts and all(c.group_id for c in conflicts)
    assert api.plan(hard, workers=1).status == "infeasible"
    bad = tmp_path / "bad.json"
    bad.write_text('{"集团": []}', encoding="utf-8")
    with pytest.raises(InputError):
        api.read(bad)
