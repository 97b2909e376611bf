"""Policy simulation (`rotation simulate`): the year chain, its indicators checked by hand on a
tiny district, the workbook's sheets and charts, and the exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from models import District, OngoingRotation
from models.plan import Plan, SolveOptions
from rotation.cli.app import app
from rotation.formats.writing import write_district
from rotation.reports.simulation import (
    CHARTS_SHEET,
    DISTRICT_SHEET,
    DONE,
    FAILED,
    GROUPS_SHEET,
    INDICATORS,
    NOTES_SHEET,
    Simulation,
)
from rotation.samples.generate import generate_district
from rotation.scenarios.model import Scenario
from rotation.service.simulate import next_year, simulate_scenario

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()
OPTIONS = SolveOptions(workers=1)


def tiny(a: int = 4, b: int = 4, ratio: str = "25%") -> District:
    """G1: lead S1 and member S2 (primary, not weak) with `a` and `b` eligible math teachers;
    T9 (S1) on an ongoing rotation to S2, Y1 (S1) too new to rotate, R1 (S2) retiring in 2026.
    """
    teachers = [teacher(f"A{i}", "S1") for i in range(a)]
    teachers += [teacher(f"B{i}", "S2") for i in range(b)]
    teachers += [
        teacher("T9", "S1"),
        teacher("Y1", "S1", years_at_school=2),
        teacher("R1", "S2", subject="语文", retirement_year=2026),
    ]
    ongoing = [
        OngoingRotation(
            teacher_id="T9", from_school_id="S1", to_school_id="S2", start_year=2024, end_year=2026
        )
    ]
    schools = build_district().schools[:2]
    d = build_district(
        teachers=teachers,
        ongoing=ongoing,
        schools=list(schools),
        policy={"min_rotation_ratio": ratio, "backbone_share": "0%"},
    )
    return d.replace(schools=tuple(s.model_copy(update={"weak": False}) for s in d.schools))


def scenario_of(d: District, name: str = "小区县") -> Scenario:
    return Scenario(Path("tiny.xlsx"), "tiny", name, "", d, "测试数据", "tiny")


def test_indicators_by_hand_on_a_tiny_district() -> None:
    sim = simulate_scenario(scenario_of(tiny()), 2, OPTIONS)
    assert [r.status for r in sim.results] == [DONE, DONE]
    first, second = sim.results
    # 8 eligible, 25% → 2 a year, one each way (subject balance)
    assert len(first.rotated_ids) == 2 and len(second.rotated_ids) == 2
    distinct = set(first.rotated_ids) | set(second.rotated_ids)
    assert len(distinct) == 4 and distinct <= {f"A{i}" for i in range(4)} | {
        f"B{i}" for i in range(4)
    }
    y1, y2 = first.total, second.total
    assert (y1.teachers, y1.eligible, y1.ratio_base, y1.rotations) == (11, 8, 8, 2)
    assert y1.ratio == 2 / 8
    # rotated at least once: this year's 2 and T9 (ongoing in the input); pool: 8 eligible + T9
    assert (y1.rotated_ever, y1.pool) == (3, 9)
    assert y1.coverage == 3 / 9 and y1.experience == 3 / 11
    # year 2: R1 retired (2026 ≤ 2026) and a new teacher came; 6 still eligible → 2 more
    assert (y2.retired, y2.hired, y2.teachers) == (1, 1, 11)
    assert (y2.eligible, y2.rotations) == (6, 2)
    assert y2.rotated_ever == len(distinct | {"T9"}) == 5
    assert y2.pool == 9  # the new teacher and Y1 were never eligible
    assert y2.coverage == 5 / 9 and y2.experience == 5 / 11
    assert y2.backbone_share == 0 and y2.weak_inflow == 0
    assert [g.group_id for g in second.groups] == ["G1"]


def test_a_year_that_cannot_be_planned_stops_the_chain() -> None:
    # 2 + 1 eligible, 50%: year 1 swaps two (ceil(3 × 50%)); year 2 has one eligible teacher
    # and must move him (ceil(1 × 50%)), which subject balance forbids
    sim = simulate_scenario(scenario_of(tiny(a=2, b=1, ratio="50%")), 4, OPTIONS)
    assert [r.status for r in sim.results] == [DONE, FAILED]
    failed = sim.failed
    assert failed is not None and failed.index == 2 and failed.year == 2026
    assert "学科增减平衡" in failed.rules and failed.groups == ()
    assert "第2学年（2026学年）无法满足" in sim.conclusion


def test_retirees_leave_and_hires_take_their_place() -> None:
    d = tiny()
    following, retired = next_year(d, Plan(plan_year=2025), seed=7)
    assert following.plan_year == 2026
    assert "R1" not in following.index.teacher and retired == {"G1": 1}
    (hire,) = [t for t in following.teachers if t.teacher_id.startswith("NEW2026")]
    assert (hire.school_id, hire.subject, hire.years_at_school) == ("S2", "语文", 0)
    assert 2026 - 30 <= hire.birth_year <= 2026 - 24
    again, _ = next_year(d, Plan(plan_year=2025), seed=7)
    assert again == following  # seeded: deterministic
    assert len(following.teachers) == len(d.teachers)


# -- the command and its workbook -------------------------------------------------------------


@pytest.fixture(scope="module")
def district_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 800-teacher district (2 groups) as a workbook."""
    path = tmp_path_factory.mktemp("sim") / "区县.xlsx"
    write_district(generate_district(teachers=800, seed=3, structure="minhang"), path)
    return path


def _workbook(path: Path) -> Any:
    return openpyxl.load_workbook(path)


def _check_workbook(path: Path, scenarios: int, years: int, groups: int) -> None:
    book = _workbook(path)
    assert book.sheetnames == [NOTES_SHEET, DISTRICT_SHEET, CHARTS_SHEET, GROUPS_SHEET]
    assert book[DISTRICT_SHEET].max_row == 1 + scenarios * years
    assert book[GROUPS_SHEET].max_row == 1 + scenarios * years * groups
    charts = book[CHARTS_SHEET]._charts
    assert len(charts) == len(INDICATORS)
    assert all(len(chart.series) == scenarios for chart in charts)


def test_simulate_a_workbook_input(district_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "模拟.xlsx"
    result = runner.invoke(
        app, ["simulate", str(district_file), "--years", "3", "-o", str(out), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "第3/3学年" in result.output  # progress (stderr is mixed in)
    _check_workbook(out, scenarios=1, years=3, groups=2)
    rows = list(_workbook(out)[GROUPS_SHEET].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in rows] == [
        (y, g) for y in (2025, 2026, 2027) for g in ("MHG001", "MHG002")
    ]


def test_simulate_two_scenario_files(district_file: Path, tmp_path: Path) -> None:
    files = []
    for name, ratio in (("十", "10%"), ("十二", "12%")):
        path = tmp_path / f"{ratio[:-1]}.toml"
        path.write_text(
            f'name = "交流比例{name}"\n[base]\ninput = "{district_file}"\n'
            f'[policy]\nmin_rotation_ratio = "{ratio}"\n',
            encoding="utf-8",
        )
        files.append(str(path))
    out = tmp_path / "模拟.xlsx"
    result = runner.invoke(
        app, ["simulate", *files, "--years", "3", "-o", str(out), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    # two processes; their progress lines come back through a queue and are printed here
    assert "2 个进程并行模拟" in result.output
    assert "第3/3学年：交流比例十，2027学年" in result.output
    assert "第3/3学年：交流比例十二，2027学年" in result.output
    _check_workbook(out, scenarios=2, years=3, groups=2)
    chart = _workbook(out)[CHARTS_SHEET]
    assert [chart.cell(2, c).value for c in (2, 3)] == ["交流比例十", "交流比例十二"]


def test_exit_codes_bad_input_and_rules_not_met(tmp_path: Path) -> None:
    bad = tmp_path / "坏.toml"
    bad.write_text('name = "坏"\n[base]\ninput = "无此文件.xlsx"\n', encoding="utf-8")
    out = tmp_path / "模拟.xlsx"
    result = runner.invoke(app, ["simulate", str(bad), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    missing = runner.invoke(app, ["simulate", str(tmp_path / "无.xlsx"), "-o", str(out)])
    assert missing.exit_code == 1 and not out.exists()

    data = tmp_path / "小区县.xlsx"
    write_district(tiny(a=2, b=1, ratio="50%"), data)
    result = runner.invoke(app, ["simulate", str(data), "--years", "3", "-o", str(out)])
    assert result.exit_code == 2, result.output
    book = _workbook(out)
    rows = list(book[DISTRICT_SHEET].iter_rows(min_row=2, values_only=True))
    assert [r[3] for r in rows] == [DONE, FAILED]
    assert "学科增减平衡" in rows[1][4] and "模拟在此停止" in rows[1][4]
    notes = [c for row in book[NOTES_SHEET].iter_rows(values_only=True) for c in row if c]
    assert any("第2学年（2026学年）无法满足" in str(c) for c in notes)
    assert any(str(c).startswith("学科增减平衡（subject_balance）") for c in notes)


def test_simulation_is_deterministic() -> None:
    d = tiny()
    runs: list[Simulation] = [simulate_scenario(scenario_of(d), 2, OPTIONS) for _ in range(2)]
    assert [r.rotated_ids for r in runs[0].results] == [r.rotated_ids for r in runs[1].results]
