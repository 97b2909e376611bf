"""走教 input (SPEC §11, issue 17): the 走教需求 sheet, the teachers' 可走教课时 column and the
itinerant_* parameters, read and checked, and shown in the reports once planned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from models import InputError, ItinerantDemand
from models.plan import SolveOptions
from models.policy import ITINERANT_KEYS, parse_param
from models.rules import check_plan
from models.vocab import ItinerantScope
from rotation.formats.planio import plan_json
from rotation.formats.reading import read_district
from rotation.formats.writing import district_tables, write_district
from rotation.reports.approval import approval_tables
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]
from .test_reading import only, problems, sheets, write_xlsx


def with_itinerant() -> Any:
    teachers = [teacher("T1", "S1", spare_periods=4), teacher("T2", "S1")]
    d = build_district(
        teachers=teachers,
        itinerant_demand=[ItinerantDemand(school_id="S2", subject="音乐", periods=4)],
        policy={"itinerant_max_km": 20, "itinerant_scope": "district"},
    )
    return d


def test_the_sheet_column_and_keys_read_from_xlsx(tmp_path: Path) -> None:
    data = sheets()
    data["走教需求"] = [["学校编号", "学科", "每周课时"], ["S2", "音乐", 4]]
    data["教师"][0].append("可走教课时")
    data["教师"][1].append(6)
    data["规则"] += [
        ["走教距离上限(公里)", 20],
        ["itinerant_scope", "全区"],
        ["itinerant_subsidy_per_km", "0.6元"],
    ]
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert [(r.school_id, r.subject, r.periods) for r in district.itinerant_demand] == [
        ("S2", "音乐", 4)
    ]
    assert (
        district.teacher("T1").spare_periods == 6 and district.teacher("T2").spare_periods is None
    )
    p = district.policy.district
    assert (p.itinerant_max_km, p.itinerant_scope) == (20, ItinerantScope.DISTRICT)
    assert p.itinerant_subsidy_per_km == Decimal("0.6")
    assert (p.itinerant_max_periods, p.itinerant_periods_per_trip) == (6, 2)  # defaults
    notes = [w.message for w in district.warnings]
    assert not any("走教" in n for n in notes), notes


@pytest.mark.parametrize("target", ["测试区.xlsx", "测试区.json", "测试区"])
def test_it_round_trips_through_every_format(tmp_path: Path, target: str) -> None:
    d = with_itinerant()
    write_district(d, tmp_path / target)
    assert read_district(tmp_path / target).model_dump() == d.model_dump()


def test_without_it_the_export_has_an_empty_sheet_and_no_warning() -> None:
    tables = {name: (header, rows) for name, header, rows in district_tables(build_district())}
    assert tables["走教需求"][1] == [] and "可走教课时" in tables["教师"][0]
    assert not any("走教" in w.message for w in build_district().warnings)


def test_reports_show_it_once_planned() -> None:
    d = with_itinerant()
    d = d.replace(
        teachers=(*d.teachers, teacher("M1", "S1", subject="音乐")),
        policy=d.policy.model_copy(
            update={"district": d.policy.district.model_copy(update={"min_rotation_ratio": 0})}
        ),
    )
    result = solve(d, SolveOptions(workers=1))
    assert result.status == "optimal"
    assert [(a.teacher_id, a.periods) for a in result.plan.itinerant] == [("M1", 4)]
    checks = check_plan(d, result.plan)
    data = plan_json(d, result, checks, input_sha256="", timings={})
    assert set(data["policy"]) >= ITINERANT_KEYS and "itinerant" in data
    tables = approval_tables(d, result, checks, input_sha256="", scenario="", timings={})
    assert {"走教安排", "走教汇总"} <= {t.name for t in tables}


@pytest.mark.parametrize(
    ("sheet", "rows", "column", "words"),
    [
        ("走教需求", [["S9", "音乐", 2]], "学校编号", "学校「S9」不在「学校」表中"),
        ("走教需求", [["S2", "音乐", 2], ["S2", "音乐", 3]], "学科", "走教需求重复（与第2行相同）"),
        ("走教需求", [["S2", "音乐", 0]], "每周课时", ""),
        ("走教需求", [["S2", "音乐", "两节"]], "每周课时", ""),
    ],
)
def test_bad_rows_name_the_cell(
    tmp_path: Path, sheet: str, rows: list[list[Any]], column: str, words: str
) -> None:
    data = sheets()
    data[sheet] = [["学校编号", "学科", "每周课时"], *rows]
    found = [p for p in problems(write_xlsx(tmp_path / "d.xlsx", data)) if p[0] == sheet]
    assert found and all(p[2] == column for p in found), found
    assert words in found[-1][3]


def test_bad_spare_periods_name_the_cell(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0].append("可走教课时")
    data["教师"][1].append(99)
    sheet, row, column, _message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("教师", 2, "可走教课时")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("itinerant_scope", "全市", "group、district"),
        ("itinerant_subsidy_per_km", "五毛", "应为金额"),
        ("itinerant_subsidy_per_km", "0.555", "至多两位小数"),
        ("itinerant_periods_per_trip", 0, "应在 1 到 10 之间"),
        ("itinerant_max_schools", "1.5", "应为整数"),
    ],
)
def test_bad_itinerant_parameters_name_the_cell(
    tmp_path: Path, key: str, value: Any, words: str
) -> None:
    data = sheets()
    data["规则"].append([key, value])
    sheet, row, column, message = only(write_xlsx(tmp_path / "d.xlsx", data))
    assert (sheet, row, column) == ("规则", 3, "值")
    assert words in message, message


def test_subsidy_spellings() -> None:
    assert parse_param("itinerant_subsidy_per_km", "0.5元") == Decimal("0.5")
    assert parse_param("itinerant_subsidy_per_km", 1) == Decimal(1)
    with pytest.raises(InputError):
        build_district(
            itinerant_demand=[ItinerantDemand(school_id="S2", subject="音乐", periods=2)] * 2
        )
