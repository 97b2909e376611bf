"""Year to year through the records (rotation/service/years.py), on SQLite and PostgreSQL:
the next year from an approved plan, a new upload checked against it, and the rotation
experience the promotion goal reads, from the approved plans."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from models import District
from models.advance import advance
from models.entities import OngoingRotation
from rotation.records import State
from rotation.service.store import DataDir
from rotation.service.years import (
    NotApproved,
    carry_over,
    experience_from_records,
    start_next_year,
)

from .conftest import ResultFactory
from .test_history import _approved

DistrictMaker = Callable[[int], District]


@pytest.fixture
def data(database_url: str, tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data", database_url).ensure()


def test_the_next_year_starts_from_the_approved_plan_only(
    data: DataDir, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    records = data.records()
    district = small_district(2025)
    plan_id = _approved(records, district, make_result, [("MHT000001", "MH0001", "MH0002", 2)], [])
    meta = start_next_year(data, plan_id, "经办")
    assert (meta["plan_year"], meta["carried_from_plan"]) == (2026, plan_id)
    carried = records.load_snapshot(meta["upload_id"])
    expected = advance(district, records.load_plan(plan_id))
    assert carried.model_dump() == expected.model_dump()
    assert records.carried_snapshot(district.name, 2026) is not None
    snap = records.save_snapshot(
        district, file_bytes=b"x", file_name="x.xlsx", file_kind="xlsx", by="经办"
    )
    draft = records.save_plan_run(snap.id, make_result(2025), options={}, by="经办")
    assert draft.state is State.DRAFT
    with pytest.raises(NotApproved):
        start_next_year(data, draft.id, "经办")


def test_a_new_upload_is_compared_with_the_carried_data(
    data: DataDir, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    records = data.records()
    district = small_district(2025)
    plan_id = _approved(records, district, make_result, [("MHT000001", "MH0001", "MH0002", 2)], [])
    carried = records.load_snapshot(start_next_year(data, plan_id, "经办")["upload_id"])
    teachers = list(carried.teachers)
    gone, renamed = teachers[5], teachers[6]
    teachers = [t for t in teachers if t is not gone]
    teachers[5] = renamed.model_copy(update={"name": "改名"})
    wrong = OngoingRotation(
        teacher_id=teachers[7].teacher_id,
        from_school_id="MH0001",
        to_school_id="MH0003",
        start_year=2024,
        end_year=2026,
    )
    upload = carried.replace(name="别的名字", teachers=tuple(teachers), ongoing=(wrong,))
    merged, changes = carry_over(data, upload)
    assert changes is None  # another district's name: found only when named
    merged, changes = carry_over(data, upload, records.carried_snapshot(carried.name, 2026).id)  # type: ignore[union-attr]
    assert changes is not None
    assert (changes.added, changes.left, changes.changed) == (0, 1, 1)
    assert {(r["teacher_id"], r["change"]) for r in changes.rows} == {
        (gone.teacher_id, "离开"),
        (renamed.teacher_id, "变更"),
    }
    assert "姓名" in next(r["details"] for r in changes.rows if r["change"] == "变更")
    assert merged.name == carried.name
    assert [o.model_dump() for o in merged.ongoing] == [
        o.model_dump() for o in carried.ongoing if o.teacher_id != gone.teacher_id
    ]
    assert any("以记录为准" in n for n in changes.notes)
    _same, unchanged = carry_over(data, carried.replace(), None)
    assert unchanged is not None and (unchanged.added, unchanged.left, unchanged.changed) == (
        0,
        0,
        0,
    )
    assert unchanged.notes == []


def test_experience_comes_from_the_approved_plans_when_the_goal_is_on(
    data: DataDir, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    records = data.records()
    first = small_district(2025)
    _approved(records, first, make_result, [("MHT000001", "MH0001", "MH0002", 1)], [])
    following = small_district(2027)
    assert experience_from_records(data, following) is following  # the goal is off
    policy = following.policy.district.model_copy(update={"weight_promotion_experience": 20})
    on = following.replace(policy=following.policy.model_copy(update={"district": policy}))
    filled = experience_from_records(data, on)
    teacher = filled.index.teacher["MHT000001"]
    assert (teacher.rotation_years_done, teacher.schools_taught) == (1, 2)
    other = filled.index.teacher["MHT000002"]
    assert (other.rotation_years_done, other.schools_taught) == (None, None)  # unknown stays
    # the workbook's own figures stand when they say more
    richer = on.replace(
        teachers=tuple(
            t.model_copy(update={"rotation_years_done": 4, "schools_taught": 3})
            if t.teacher_id == "MHT000001"
            else t
            for t in on.teachers
        )
    )
    kept = experience_from_records(data, richer).index.teacher["MHT000001"]
    assert (kept.rotation_years_done, kept.schools_taught) == (4, 3)
