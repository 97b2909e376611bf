"""The reader's fast path (rows checked column by column, models made without validating each
row again) gives exactly what the per-row path gives: the same rows — values of the same types,
fields set, field order — and, on bad input, the same problems in the same order."""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rotation.formats.reading as reading
from models import (
    Demand,
    District,
    EntrustedPair,
    Group,
    InputError,
    OngoingRotation,
    Pin,
    Row,
    School,
    Teacher,
)
from models.fields import ExcelError
from rotation.formats.reading import Problems, RawSheet, _Failures, _parse_rows, read_district
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district

#: Cells a clerk's workbook, a CSV or a JSON file may hold: good, blank, filler and bad ones.
CELLS: list[Any] = [
    None,
    "",
    "  ",
    "\u3000",
    "无",
    " 无 ",
    "否",
    "是",
    " 是",
    "Y",
    "n/a",
    "-",
    "T1",
    " T2 ",
    "Ｔ３",
    "S1",
    "S1、S2",
    "S1,S1",
    "张三",
    "=1+2",
    "男",
    "女",
    "小学",
    "初中",
    "九年一贯",
    "紧密型",
    "学区",
    "托管常驻",
    "区级骨干",
    "一级教师",
    "1980",
    "１９８０",
    "abc",
    "x" * 32_768,
    1980,
    1980.0,
    1980.5,
    2025,
    2030.0,
    1,
    1.0,
    0,
    0.0,
    -0.0,
    3,
    12.5,
    -200.0,
    121.5,
    float("nan"),
    float("inf"),
    True,
    False,
    ExcelError("#N/A"),
    ExcelError(""),
    date(2020, 1, 2),
    datetime(2020, 1, 2, 3, 4),
    ["S1", "S2"],
    {"a": 1},
]


def _snapshot(items: list[Row]) -> list[Any]:
    """Every row as pydantic holds it: field order, value types and values, fields set."""
    return [
        (
            type(item).__name__,
            [(name, type(value), repr(value)) for name, value in item.__dict__.items()],
            sorted(item.model_fields_set),
            item.__pydantic_extra__,
            item.__pydantic_private__,
        )
        for item in items
    ]


def _parse(model: type[Row], header: list[Any], rows: list[list[Any]], *, fast: bool) -> Any:
    problems = Problems()
    failures = _Failures()
    raw = RawSheet(header, [(n, list(cells)) for n, cells in enumerate(rows, 2)])
    items = _parse_rows(model, raw, problems, failures, fast=fast)
    return (
        _snapshot(items),
        [p.model_dump() for p in problems],
        (failures.sheets, failures.unknown, failures.ids, failures.policy_keys),
    )


def _sheet(model: type[Row]) -> st.SearchStrategy[tuple[list[Any], list[list[Any]]]]:
    """A header with some of the model's columns (some English, in any order) and rows of
    cells that mostly fit their column, some drawn from every kind of cell; some rows short."""
    headers = model.columns()

    def cells_for(header: list[str], good: list[list[Any]]) -> st.SearchStrategy[list[Any]]:
        width = len(header)
        edit = st.tuples(st.integers(0, width - 1), st.sampled_from(CELLS))
        cells = st.one_of(
            st.sampled_from(good),
            st.tuples(st.sampled_from(good), st.lists(edit, max_size=2)).map(
                lambda pair: [dict(pair[1]).get(i, cell) for i, cell in enumerate(pair[0])]
            ),
            st.lists(st.sampled_from(CELLS), min_size=width, max_size=width),
        )
        cut = st.one_of(st.just(width), st.just(width), st.just(width), st.integers(0, width))
        return st.tuples(cells, cut).map(lambda pair: pair[0][: pair[1]])

    def rows_for(header: list[str]) -> st.SearchStrategy[tuple[list[Any], list[list[Any]]]]:
        good = [_good_row(model, header, k) for k in range(6)]
        return st.lists(cells_for(header, good), max_size=12).map(lambda rows: (header, rows))

    names = list(headers)
    return (
        st.permutations(names)
        .flatmap(lambda order: st.integers(1, len(order)).map(lambda k: order[:k]))
        .flatmap(
            lambda chosen: st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)).map(
                lambda english: [
                    n if e else headers[n] for n, e in zip(chosen, english, strict=True)
                ]
            )
        )
        .flatmap(rows_for)
    )


_GOOD: dict[str, list[Any]] = {
    "reason": ["调动", ""],
    "count": [2.0, ""],
    "group_id": ["G1", "G2", 7.0],
    "school_id": ["S1", "S2", " S3", 1001.0],
    "teacher_id": ["T1", "T2", "Ｔ３", 42],
    "lead_school_id": ["S1", "S2"],
    "name": ["城关小学", "张三", "李四 "],
    "type": ["紧密型", "学区", None],
    "stage": ["小学", "初中", "九年一贯"],
    "weak": ["是", "否", True],
    "lon": [121.5, None, "", 0.0],
    "lat": [31.2, None, -0.0],
    "subject": ["语文", "数学"],
    "gender": ["男", "女"],
    "birth_year": [1980.0, 1975, 1990.0],
    "years_at_school": [6.0, 0.0, 12],
    "title": ["一级教师", None, ""],
    "backbone": ["区级骨干", "否", "", None],
    "management": ["是", "否", ""],
    "deferral": ["", "孕期"],
    "volunteer": ["是", ""],
    "preferred_schools": ["S1、S2", "", "S2"],
    "school_recommended": ["否", ""],
    "retirement_year": [2040.0, "", None],
    "teaching_stage": ["初中", "", "小学"],
    "rotation_years_done": ["", 2.0],
    "schools_taught": ["", 3.0],
    "spare_periods": ["", 4.0],
    "from_school_id": ["S1", "S2"],
    "to_school_id": ["S2", "S3"],
    "start_year": [2023.0, 2024.0],
    "end_year": [2025.0, 2026.0],
    "kind": ["交流轮岗", "托管常驻", "", "不得交流"],
    "supporting_school_id": ["S1"],
    "aided_school_id": ["S2"],
    "min_residents": [3.0, "", 0.0],
    "min_managers": [1.0, ""],
}


def _good_row(model: type[Row], header: list[str], k: int) -> list[Any]:
    fields = {h: n for n, h in model.columns().items()} | {n: n for n in model.columns()}
    row = []
    for h in header:
        choices = _GOOD[fields[h]]
        row.append(choices[k % len(choices)])
    return row


def _same(model: type[Row], sheet: tuple[list[Any], list[list[Any]]]) -> None:
    header, rows = sheet
    assert _parse(model, header, rows, fast=True) == _parse(model, header, rows, fast=False)


@pytest.mark.parametrize(
    "model", [Teacher, School, Group, OngoingRotation, EntrustedPair, Pin, Demand]
)
def test_fast_and_per_row_paths_agree_on_any_cells(model: type[Row]) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_sheet(model))
    def check(sheet: tuple[list[Any], list[list[Any]]]) -> None:
        _same(model, sheet)

    check()


def test_fast_path_rows_equal_validated_rows_on_valid_input() -> None:
    header = list(Teacher.columns().values())
    rows = [_good_row(Teacher, header, k) for k in range(30)]
    fast, slow = (_parse(Teacher, header, rows, fast=f) for f in (True, False))
    assert fast == slow
    assert len(fast[0]) == 30 and not fast[1]


def _read(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> District | list[Any]:
    monkeypatch.setattr(reading, "_parse_rows", functools.partial(_parse_rows, fast=fast))
    try:
        return read_district(path)
    except InputError as exc:
        return [p.model_dump() for p in exc.problems]


@pytest.mark.parametrize("structure", ["minhang", "ganzhou"])
def test_a_generated_district_reads_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, structure: str
) -> None:
    path = tmp_path / "d.xlsx"
    write_district(generate_district(teachers=600, seed=3, structure=structure), path)
    fast = _read(path, fast=True, monkeypatch=monkeypatch)
    slow = _read(path, fast=False, monkeypatch=monkeypatch)
    assert isinstance(fast, District) and isinstance(slow, District)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    for table in ("groups", "schools", "teachers", "ongoing", "demand"):
        assert _snapshot(getattr(fast, table)) == _snapshot(getattr(slow, table))
