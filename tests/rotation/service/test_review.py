"""A plan's review store (review.sqlite): the 审批表's sheets paged, filtered and searched on the
server, filter choices, a teacher's rows, the facts, groups and flows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models import District
from models.plan import SolveOptions
from rotation.service.planning import solve_district, write_plan
from rotation.service.review import FILTERS, MAX_PAGE, SHEET_KEYS, Review, save_review

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

#: Names with LIKE's wildcards and its escape character in them.
ODD_NAMES = {"T1": "张%三", "T2": "李_四", "T3": "王\\五", "T4": "赵六", "T5": "钱七Ab"}


def district() -> District:
    """S1 (lead) with 24 eligible teachers, five of them oddly named; S3 with 6 newcomers."""
    teachers = [
        teacher(f"T{i}", "S1", name=ODD_NAMES.get(f"T{i}", f"教师{i:02d}"), years_at_school=30 - i)
        for i in range(1, 25)
    ]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=1, teaching_stage="小学", subject="语文")
        for i in range(6)
    ]
    policy = {"backbone_share": 0, "subject_balance_tolerance": 5}
    return build_district(teachers=teachers, policy=policy)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    folder = tmp_path_factory.mktemp("review")
    d = district()
    result, later = solve_district(d, SolveOptions(workers=1))
    assert result.status == "optimal"
    path = folder / "review.sqlite"

    def keep(tables: Any, checks: Any) -> None:
        save_review(path, d, result, checks, tables, {"district": d.name, "plan_year": 2025})

    write_plan(d, result, folder / "审批表.xlsx", folder / "方案.json", later=later, keep=keep)
    with Review(path) as review:
        yield review


def names(review: Review, key: str, **kwargs: Any) -> list[str]:
    window = review.page(key, limit=MAX_PAGE, **kwargs)
    at = window.header.index("姓名")
    return sorted(str(row[at]) for row in window.rows)


def everyone(review: Review) -> list[str]:
    return sorted(names(review, "rotations") + names(review, "not_chosen"))


def test_the_store_keeps_the_sheets_and_the_facts(store: Review) -> None:
    sheets = store.sheets()
    assert {"rotations", "not_chosen", "ineligible", "compliance", "schools"} <= set(sheets)
    assert all(sheets[key][0] == SHEET_KEYS[key] for key in sheets)
    facts = store.facts()
    assert facts["district"] == "测试区" and facts["plan_year"] == 2025
    assert facts["status"] == "optimal" and facts["rotations"] == sheets["rotations"][1]
    assert facts["rotations"] >= 1
    assert store.header("rotations")[-1] == "自愿交流"  # the list filters on it
    assert set(ODD_NAMES.values()) <= set(everyone(store))


def test_a_sheet_not_kept_or_unknown_has_no_header(store: Review) -> None:
    with pytest.raises(KeyError):
        store.header("nothing")
    with pytest.raises(KeyError):
        store.header("sheets; DROP TABLE sheets")
    missing = [key for key in SHEET_KEYS if key not in store.sheets()]
    assert missing  # e.g. 不可行说明 of a feasible plan
    with pytest.raises(KeyError):
        store.page(missing[0])


def test_paging(store: Review) -> None:
    total = store.sheets()["ineligible"][1]
    assert total >= 6
    whole = store.page("ineligible", limit=MAX_PAGE)
    assert whole.total == total == len(whole.rows)
    parts = [store.page("ineligible", offset=o, limit=4).rows for o in range(0, total, 4)]
    assert [row for part in parts for row in part] == whole.rows
    assert all(len(part) <= 4 for part in parts)
    assert store.page("ineligible", offset=total + 10).rows == []
    assert store.page("ineligible", offset=total + 10).total == total
    assert store.page("ineligible", offset=-5, limit=2).rows == whole.rows[:2]
    assert store.page("ineligible", limit=0).limit == 1
    assert store.page("ineligible", limit=10_000).limit == MAX_PAGE
    assert len(store.page("schools", limit=10_000).rows) <= MAX_PAGE


def test_filters(store: Review) -> None:
    subjects = store.choices("not_chosen", "学科")
    assert subjects == sorted(set(subjects)) and "数学" in subjects
    window = store.page("not_chosen", filters={"学科": "数学"}, limit=MAX_PAGE)
    at = window.header.index("学科")
    assert window.rows and all(row[at] == "数学" for row in window.rows)
    assert window.total == len(window.rows)
    # A number is matched as the text a filter sends.
    years = window.header.index("本校任教年限")
    value = str(window.rows[0][years])
    narrowed = store.page("not_chosen", filters={"学科": "数学", "本校任教年限": value})
    assert narrowed.total >= 1 and all(str(r[years]) == value for r in narrowed.rows)
    # Empty values and columns the sheet lacks are ignored; a value nobody has finds nothing.
    all_rows = store.page("not_chosen", limit=MAX_PAGE).rows
    assert store.page("not_chosen", filters={"学科": ""}, limit=MAX_PAGE).rows == all_rows
    assert store.page("not_chosen", filters={"没有的列": "x"}, limit=MAX_PAGE).rows == all_rows
    assert store.page("not_chosen", filters={"学科": "' OR '1'='1"}).total == 0
    assert store.page("not_chosen", filters={"学科": "数学%"}).total == 0


def test_search(store: Review) -> None:
    assert names(store, "not_chosen", search="教师0") + names(store, "rotations", search="教师0")
    for key in ("rotations", "not_chosen"):
        for name in names(store, key, search="教师"):
            assert "教师" in name
    # Case does not matter; several words must all be found.
    found = names(store, "rotations", search="ab") + names(store, "not_chosen", search="AB")
    assert found == ["钱七Ab"]
    key = "rotations" if "钱七Ab" in names(store, "rotations") else "not_chosen"
    assert names(store, key, search="钱七  t5") == ["钱七Ab"]  # name and id, in any cells
    assert names(store, key, search="钱七 没有") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("%", ["张%三"]), ("_", ["李_四"]), ("\\", ["王\\五"]), ("%三", ["张%三"])],
)
def test_search_takes_wildcards_literally(store: Review, text: str, expected: list[str]) -> None:
    found = [
        name
        for key in ("rotations", "not_chosen", "ineligible")
        for name in names(store, key, search=text)
    ]
    assert found == expected


def test_choices(store: Review) -> None:
    for key, columns in FILTERS.items():
        if key not in store.sheets():
            continue
        for column in columns:
            values = store.choices(key, column)
            assert values == sorted(set(values))
            assert None not in values
    assert store.choices("rotations", "没有的列") == []
    assert len(store.choices("not_chosen", "姓名", limit=3)) == 3
    assert store.choices("compliance", "结果") == ["通过"]


def test_a_teachers_rows(store: Review) -> None:
    chosen = store.page("rotations", limit=1)
    tid = str(chosen.rows[0][chosen.header.index("教师编号")])
    found = store.teacher_rows(tid)
    assert set(found) == {"rotations"}
    header, (row,) = found["rotations"]
    assert "入选理由" in header and row[header.index("教师编号")] == tid
    assert set(store.teacher_rows("N0")) == {"ineligible"}
    assert store.teacher_rows("nobody") == {}
    assert store.teacher_rows("' OR 1=1 --") == {}


def test_groups_and_flows(store: Review) -> None:
    (group,) = store.groups()
    assert group["name"] == "城关教育集团"
    assert group["rotated"] == store.facts()["rotations"]
    flows = store.flows("城关教育集团")
    assert sum(k for *_ids, k in flows) == group["rotated"]
    assert all(a != b for a, _an, b, _bn, _k in flows)
    assert store.flows("没有的集团") == []


def test_the_store_is_opened_read_only(store: Review, tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        store.db.execute("DELETE FROM facts")
