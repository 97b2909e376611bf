"""The promotion-experience input (issue 15): the 教师 sheet's optional 已交流年限 and 任教过的学校数
columns in xlsx, CSV and JSON, the 规则 keys in the template, and the 交流名单's 入选理由."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl

from models.policy import label_of
from models.rules import check_plan
from rotation.formats.reading import read_district
from rotation.formats.template import write_template
from rotation.formats.writing import write_district
from rotation.reports.approval import approval_tables
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]
from .test_reading import only, problems, sheets, write_csv_folder, write_xlsx

HEADERS = ["已交流年限", "任教过的学校数"]


def with_experience(*rows: list[Any]) -> dict[str, list[list[Any]]]:
    """The reading tests' workbook with the two columns, one value pair per teacher row."""
    data = sheets()
    data["教师"][0] += HEADERS
    for row, values in zip(data["教师"][1:], rows, strict=False):
        row += values
    for row in data["教师"][1 + len(rows) :]:
        row += [None, None]
    return data


def test_the_columns_are_optional_and_read(tmp_path: Path) -> None:
    district = read_district(write_xlsx(tmp_path / "none.xlsx", sheets()))
    assert {(t.rotation_years_done, t.schools_taught) for t in district.teachers} == {(None, None)}
    data = with_experience([1, 2], ["０", "1"], [None, 3])
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    found = {t.teacher_id: (t.rotation_years_done, t.schools_taught) for t in district.teachers}
    assert found == {"T1": (1, 2), "T2": (0, 1), "T3": (None, 3), "T4": (None, None)}
    assert not [w for w in district.warnings if w.column in HEADERS]


def test_english_aliases_are_accepted(tmp_path: Path) -> None:
    data = sheets()
    data["教师"][0] += ["rotation_years_done", "schools_taught"]
    for row in data["教师"][1:]:
        row += [2, 3]
    district = read_district(write_xlsx(tmp_path / "d.xlsx", data))
    assert {(t.rotation_years_done, t.schools_taught) for t in district.teachers} == {(2, 3)}


def test_bad_values_name_sheet_row_and_column(tmp_path: Path) -> None:
    data = with_experience(["两年", 2], [1, 0], [61, 2.5])
    found = problems(write_xlsx(tmp_path / "d.xlsx", data))
    messages = {(s, r, c): m for s, r, c, m in found}
    assert sorted(messages) == [
        ("教师", 2, "已交流年限"),
        ("教师", 3, "任教过的学校数"),
        ("教师", 4, "任教过的学校数"),
        ("教师", 4, "已交流年限"),
    ]
    assert "应为整数" in messages["教师", 2, "已交流年限"]
    assert messages["教师", 3, "任教过的学校数"] == "「0」应不小于 1"
    assert messages["教师", 4, "已交流年限"] == "「61」应不大于 60"
    assert "应为整数" in messages["教师", 4, "任教过的学校数"]


def test_placeholder_words_read_as_blank_with_a_warning(tmp_path: Path) -> None:
    district = read_district(write_xlsx(tmp_path / "d.xlsx", with_experience(["无", "/"])))
    assert (district.teacher("T1").rotation_years_done, district.teacher("T1").schools_taught) == (
        None,
        None,
    )
    assert {w.column for w in district.warnings} >= set(HEADERS)


def test_csv_and_json_read_the_same_columns(tmp_path: Path) -> None:
    data = with_experience([1, 2], [3, 2])
    expected = read_district(write_xlsx(tmp_path / "d.xlsx", data)).model_dump()
    assert read_district(write_csv_folder(tmp_path / "csv" / "d", data)).model_dump() == expected
    document: dict[str, Any] = {
        name: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        for name, rows in data.items()
        if name != "规则"
    }
    document["规则"] = {"plan_year": 2025}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert read_district(path).model_dump() == expected
    document["教师"][1]["任教过的学校数"] = "two"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert only(path)[:3] == ("教师", 2, "任教过的学校数")


def test_policy_keys_by_name_or_chinese_label(tmp_path: Path) -> None:
    data = sheets()
    data["规则"] += [
        [label_of("weight_promotion_experience"), 20],
        ["promotion_rotation_years", 3],
        [label_of("promotion_schools"), "3"],
    ]
    policy = read_district(write_xlsx(tmp_path / "d.xlsx", data)).policy.district
    assert (
        policy.weight_promotion_experience,
        policy.promotion_rotation_years,
        policy.promotion_schools,
    ) == (20, 3, 3)
    data["规则"][-1] = ["promotion_schools", 0]
    sheet, _row, _column, message = only(write_xlsx(tmp_path / "bad.xlsx", data))
    assert sheet == "规则" and "promotion_schools" in message


def test_template_shows_the_columns_and_the_keys_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    write_template(path)
    workbook = openpyxl.load_workbook(path)
    headers = [c.value for c in workbook["教师"][1]]
    assert set(HEADERS) <= set(headers)
    rules = {row[0]: row[2] for row in workbook["规则"].iter_rows(min_row=2, values_only=True)}
    assert rules["promotion_rotation_years"] == 2
    assert rules["promotion_schools"] == 2
    assert rules["weight_promotion_experience"] == 0


def test_export_round_trip_and_the_approval_reason(tmp_path: Path) -> None:
    teachers = [
        teacher("A", "S1", rotation_years_done=1, schools_taught=1),
        teacher("B", "S1", rotation_years_done=4, schools_taught=3),
    ]
    d = build_district(
        teachers=teachers,
        policy={
            "backbone_share": 0,
            "subject_balance_tolerance": 1,
            "weight_promotion_experience": 20,
        },
    )
    write_district(d, tmp_path / "d.xlsx")
    again = read_district(tmp_path / "d.xlsx")
    assert again.teacher("A").schools_taught == 1 and again.teacher("B").rotation_years_done == 4
    assert again.policy.district.weight_promotion_experience == 20
    result = solve(d)
    checks = check_plan(d, result.plan)
    tables = approval_tables(d, result, checks, input_sha256="", scenario="测试", timings={})
    listing = next(t for t in tables if t.name == "交流名单")
    terms = next(t for t in tables if t.name == "汇总")
    assert ["补足晋升经历", 20, 20] in [list(row[:3]) for row in terms.rows]
    reason = listing.rows[0][listing.header.index("入选理由")]
    assert "尚缺晋升所需交流经历（已交流1年、任教1所学校；要求2年、2所）" in reason
