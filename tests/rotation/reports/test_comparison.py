"""方案对比 against a scenario that could not be planned: 无法满足 and its conflicts, not 取消."""

from __future__ import annotations

from typing import Any

from rotation.reports.comparison import build_workbook, diff_rows
from rotation.reports.outcomes import GroupFigures, Move, Outcome


def outcome(key: str, status: str, **kw: Any) -> Outcome:
    values: dict[str, Any] = {
        "key": key,
        "name": key,
        "description": "",
        "path": f"{key}.toml",
        "base_label": "测试区",
        "base_id": "base",
        "changes": (),
        "sweep": None,
        "status": status,
        "groups": (GroupFigures("G1", "城关教育集团", 10, 1, 2),),
    }
    values.update(kw)
    return Outcome(**values)


MOVES = {
    "T1": Move("T1", "教师甲", "数学", "城关小学", "乡镇小学"),
    "T2": Move("T2", "教师乙", "语文", "城关小学", "乡镇小学"),
}
CONFLICT = "最低交流比例：「城关教育集团」至少须交流9人，而学科增减平衡最多允许3人"


def test_an_unplanned_scenario_shows_its_conflicts_not_every_teacher_cancelled() -> None:
    base = outcome("基础", "optimal", rotations=2, moves=MOVES)
    strict = outcome("九成", "infeasible", conflicts=(CONFLICT,))
    rows = diff_rows([base, strict], ["基础", "九成"])
    assert [row[1] for row in rows] == ["无法满足"]
    assert rows[0][0] == "九成" and rows[0][-1] == CONFLICT


def test_a_timed_out_scenario_without_conflicts_says_so() -> None:
    base = outcome("基础", "optimal", rotations=2, moves=MOVES)
    rows = diff_rows([base, outcome("超时", "unknown")], ["基础", "超时"])
    assert rows == [
        ["超时", "无法满足", "", "", "", "", "", "", "未求得方案，没有可比较的交流名单"]
    ]


def test_against_an_unplanned_first_scenario_nothing_is_compared() -> None:
    first = outcome("九成", "infeasible", conflicts=(CONFLICT,))
    rows = diff_rows([first, outcome("基础", "optimal", moves=MOVES)], ["九成", "基础"])
    assert [row[1] for row in rows] == ["不比较"] and "无法满足" in rows[0][-1]


def test_planned_scenarios_are_still_compared_teacher_by_teacher() -> None:
    base = outcome("基础", "optimal", moves=MOVES)
    fewer = outcome("少", "optimal", moves={"T1": MOVES["T1"]})
    assert [row[1:3] for row in diff_rows([base, fewer], ["基础", "少"])] == [["取消", "T2"]]


def test_the_group_sheet_marks_the_unplanned_scenario() -> None:
    base = outcome("基础", "optimal", rotations=2, moves=MOVES)
    strict = outcome("九成", "infeasible", conflicts=(CONFLICT,))
    sheet = build_workbook([base, strict])["各集团交流人数"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:3] == ["城关教育集团", 2, "无法满足"]
    assert f"【九成】{CONFLICT}" in [row[0] for row in rows]
