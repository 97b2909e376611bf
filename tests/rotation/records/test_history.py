"""The rotation history comes from approved plans only, one teacher over three school years."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from models import District
from rotation.records import HistoryEntry, Records

from .conftest import ALL_ROLES, Back, Move, ResultFactory

DistrictMaker = Callable[[int], District]


def _approved(
    records: Records,
    district: District,
    make_result: ResultFactory,
    rotations: list[Move],
    returns: list[Back],
) -> str:
    year = district.plan_year
    snap = records.save_snapshot(
        district,
        file_bytes=f"{year}".encode(),
        file_name=f"{year}.xlsx",
        file_kind="xlsx",
        by="经办",
    )
    plan = records.save_plan_run(
        snap.id, make_result(year, rotations, returns), options={}, by="经办"
    )
    plan = records.publish(
        plan.id,
        start=date(year, 6, 1),
        end=date(year, 6, 7),
        actor="审核",
        roles=ALL_ROLES,
        expected_version=plan.version,
    )
    records.approve(plan.id, actor="局长", roles=ALL_ROLES, expected_version=plan.version)
    return plan.id


def test_a_teacher_over_three_years(
    records: Records, small_district: DistrictMaker, make_result: ResultFactory
) -> None:
    name = small_district(2025).name
    first = _approved(
        records,
        small_district(2025),
        make_result,
        [("MHT000001", "MH0001", "MH0002", 2), ("MHT000002", "MH0001", "MH0003", 3)],
        [],
    )
    # a draft of the next year that is never approved leaves no history
    snap = records.save_snapshot(
        small_district(2026), file_bytes=b"draft", file_name="d.xlsx", file_kind="xlsx", by="经办"
    )
    records.save_plan_run(
        snap.id, make_result(2026, [("MHT000001", "MH0002", "MH0003", 1)]), options={}, by="经办"
    )
    second = _approved(
        records, small_district(2026), make_result, [("MHT000003", "MH0002", "MH0001", 1)], []
    )
    third = _approved(
        records,
        small_district(2027),
        make_result,
        [("MHT000001", "MH0001", "MH0003", 2)],
        [("MHT000001", "MH0002", "MH0001")],
    )
    assert records.teacher_history(name, "MHT000001") == [
        HistoryEntry(2025, "rotation", "MH0001", "MH0002", 2025, 2026, "已返回", first),
        HistoryEntry(2027, "return", "MH0002", "MH0001", 2027, 2027, "已返回", third),
        HistoryEntry(2027, "rotation", "MH0001", "MH0003", 2027, 2028, "交流中", third),
    ]
    assert [h.plan_id for h in records.teacher_history(name, "MHT000003")] == [second]
    assert [h.status for h in records.teacher_history(name, "MHT000002")] == ["交流中"]
    assert records.teacher_history(name, "MHT000099") == []
    assert records.teacher_history("别的区", "MHT000001") == []
