"""A district across approved school years (issue 15 item 4): statistics, the national
export and the 交流经历证明, on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from openpyxl import load_workbook
from sqlalchemy import event

from models import District
from models.advance import advance
from models.plan import NewRotation, Plan, Return, RotationKind, SolveResult, Verdict
from rotation.formats.safe_write import OutputExists
from rotation.records import NotFound, Records
from rotation.reports.approval_summary import summary_table
from rotation.samples.generate import generate_district
from rotation.service.history import (
    NATIONAL_HEADER,
    YearStatistics,
    certificate,
    district_statistics,
    forget_statistics,
    write_national_export,
)
from solvers.greedy import greedy_plan

from .conftest import ALL_ROLES

DistrictMaker = Callable[[int], District]
TEMPLATES = Path(__file__).resolve().parents[3] / "rotation" / "web" / "templates"

# the generated 120-teacher district: MH0001 the lead, MH0002 the weak school, MH0003 a
# nine-year school; 52 eligible teachers every year, four rotations of earlier years running
LEAD, WEAK, NINE = "MH0001", "MH0002", "MH0003"


def rotation(
    teacher: str, home: str, host: str, year: int, years: int, kind: str = "rotation"
) -> NewRotation:
    return NewRotation(
        teacher_id=teacher,
        from_school_id=home,
        to_school_id=host,
        start_year=year,
        end_year=year + years - 1,
        kind=RotationKind(kind),
    )


def approve(records: Records, district: District, plan: Plan, reference: str | None = None) -> str:
    """Save, publish and approve a plan on its input (made against `reference`, the year's
    approved plan it replaces); the plan's id."""
    year = district.plan_year
    snap = records.save_snapshot(
        district,
        file_bytes=f"{year}".encode(),
        file_name=f"{year}.json",
        file_kind="json",
        by="经办",
    )
    options = {"reference_plan_id": reference} if reference else {}
    run = records.save_plan_run(
        snap.id, SolveResult(status="feasible", plan=plan), options=options, by="经办"
    )
    run = records.publish(
        run.id,
        start=date(year, 6, 1),
        end=date(year, 6, 7),
        actor="审核",
        roles=ALL_ROLES,
        expected_version=run.version,
    )
    records.approve(run.id, actor="局长", roles=ALL_ROLES, expected_version=run.version)
    return run.id


@pytest.fixture
def three_years(records: Records, small_district: DistrictMaker) -> dict[int, str]:
    """Three approved years with hand-picked moves (and a 2026 draft never approved)."""
    plans = {
        2025: Plan(
            plan_year=2025,
            rotations=(
                rotation("MHT000002", LEAD, WEAK, 2025, 3),
                rotation("MHT000003", LEAD, WEAK, 2025, 3),
                rotation("MHT000015", LEAD, WEAK, 2025, 3),  # a backbone teacher
            ),
        ),
        2026: Plan(
            plan_year=2026,
            rotations=(
                rotation("MHT000004", LEAD, NINE, 2026, 1),
                rotation("MHT000065", NINE, WEAK, 2026, 2, "entrusted"),
            ),
        ),
        2027: Plan(
            plan_year=2027,
            rotations=(
                rotation("MHT000004", LEAD, WEAK, 2027, 2),
                rotation("MHT000006", LEAD, NINE, 2027, 3),
            ),
            returns=(
                Return(teacher_id="MHT000004", from_school_id=NINE, to_school_id=LEAD, year=2027),
            ),
        ),
    }
    ids = {}
    for year, plan in plans.items():
        ids[year] = approve(records, small_district(year), plan)
        if year == 2026:  # a draft of the same year, never approved, counts for nothing
            snap = records.save_snapshot(
                small_district(2026),
                file_bytes=b"d",
                file_name="d.json",
                file_kind="json",
                by="经办",
            )
            draft = Plan(plan_year=2026, rotations=(rotation("MHT000008", LEAD, WEAK, 2026, 3),))
            records.save_plan_run(
                snap.id, SolveResult(status="feasible", plan=draft), options={}, by="经办"
            )
    return ids


def test_statistics_by_hand(
    records: Records, small_district: DistrictMaker, three_years: dict[int, str]
) -> None:
    name = small_district(2025).name
    years = district_statistics(records, name)
    assert [(s.year, s.plan_id) for s in years] == [(y, three_years[y]) for y in (2025, 2026, 2027)]
    first, second, third = years
    assert (first.teachers, first.eligible, first.ratio_base, first.minimum) == (120, 52, 52, 6)
    assert (first.rotations, first.backbone, first.weak_inflow, first.weak_teams) == (3, 1, 3, 1)
    assert (first.in_flight, first.returns, first.weak_schools) == (4, 0, 1)
    assert first.ratio == pytest.approx(3 / 52)
    assert first.backbone_share == pytest.approx(1 / 3)
    assert (str(first.min_ratio), str(first.min_backbone_share)) == ("0.10", "0.20")
    # 2026: an entrusted resident counts as a rotation; one newcomer is no team
    assert (second.rotations, second.backbone, second.weak_inflow, second.weak_teams) == (
        2,
        0,
        1,
        0,
    )
    assert (third.rotations, third.returns, third.weak_inflow) == (2, 1, 1)
    schools = {s.school_id: s for s in first.schools}
    assert (schools[LEAD].outflow, schools[LEAD].backbone_outflow, schools[LEAD].inflow) == (
        3,
        1,
        0,
    )
    assert (schools[WEAK].inflow, schools[WEAK].weak, schools[NINE].weak) == (3, True, False)
    assert sum(s.eligible for s in first.schools) == 52
    assert sum(s.in_flight_hosted for s in first.schools) == 4
    late = {s.school_id: s for s in third.schools}
    assert (late[LEAD].returns_home, late[NINE].returns_leaving, late[NINE].inflow) == (1, 1, 1)
    [group] = first.groups
    assert (group.rotations, group.eligible, group.minimum, group.backbone) == (3, 52, 6, 1)


def summary_figures(district: District, plan: Plan) -> dict[str, list[Any]]:
    """The 汇总 sheet's per-group rows and its 全区合计 row, by the first cell."""
    table = summary_table(
        district,
        SolveResult(status="feasible", plan=plan),
        Verdict(approvable=True),
        input_sha256="",
        scenario="",
        timings={},
    )
    names = {g.name for g in district.groups} | {"全区合计"}
    return {row[0]: row[1:] for row in table.plain_rows() if row and row[0] in names}


def assert_as_summary(stats: YearStatistics, district: District, plan: Plan) -> None:
    """Eligible, minimum, rotated, ratio, backbone, share and weak inflow as 汇总 shows them."""
    rows = summary_figures(district, plan)
    total = rows["全区合计"]
    assert [stats.eligible, stats.minimum, stats.rotations, stats.backbone] == [
        total[0],
        total[1],
        total[2],
        total[4],
    ]
    assert stats.weak_inflow == total[6]
    assert stats.ratio == (pytest.approx(total[3]) if total[3] != "—" else None)
    assert stats.backbone_share == (pytest.approx(total[5]) if total[5] != "—" else None)
    for g in stats.groups:
        row = rows[g.name]
        assert [g.eligible, g.minimum, g.rotations, g.backbone, g.weak_inflow] == [
            row[0],
            row[1],
            row[2],
            row[4],
            row[6],
        ]


def test_statistics_agree_with_the_summary_of_each_year(
    records: Records, small_district: DistrictMaker, three_years: dict[int, str]
) -> None:
    for stats in district_statistics(records, small_district(2025).name):
        plan = records.load_plan(stats.plan_id)
        assert_as_summary(stats, small_district(stats.year), plan)


def test_statistics_of_a_planned_chain_of_years(records: Records) -> None:
    """Three consecutive years planned (greedy) and advanced: each year as its own 汇总, and
    the counts a clerk would make from the plan and its input."""
    district = generate_district(teachers=400, seed=3)
    chain = []
    for _ in range(3):
        plan = greedy_plan(district)
        chain.append((district, plan, approve(records, district, plan)))
        district = advance(district, plan)
    years = district_statistics(records, district.name)
    assert [s.plan_id for s in years] == [plan_id for _, _, plan_id in chain]
    for stats, (d, plan, _) in zip(years, chain, strict=True):
        assert_as_summary(stats, d, plan)
        weak = {s.school_id for s in d.schools if s.weak}
        assert stats.rotations == len(plan.rotations) > 0
        assert stats.backbone == sum(d.teacher(r.teacher_id).is_backbone for r in plan.rotations)
        assert stats.weak_inflow == sum(r.to_school_id in weak for r in plan.rotations)
        assert stats.eligible == len(d.eligible_teachers())
        assert stats.returns == len(plan.returns)
        assert stats.in_flight == sum(
            1 for o in d.ongoing if o.start_year <= d.plan_year <= o.end_year
        )
        assert sum(s.outflow for s in stats.schools) == stats.rotations
        assert sum(s.inflow for s in stats.schools) == stats.rotations
    assert years[1].in_flight >= years[0].rotations  # last year's rotations run on


@contextmanager
def counted_selects(records: Records) -> Iterator[list[str]]:
    """The SELECT statements sent to the database inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(records.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(records.engine, "before_cursor_execute", count)


def test_statistics_cost_a_bounded_number_of_queries(
    records: Records, small_district: DistrictMaker
) -> None:
    """Ten approved years: the first time one query for the years, one for the kept
    statistics and one per year; then, from the records (after a restart), two queries; from
    memory one (an approved year's statistics never change)."""
    for year in range(2025, 2035):
        plan = Plan(plan_year=year, rotations=(rotation("MHT000002", LEAD, WEAK, year, 1),))
        approve(records, small_district(year), plan)
    forget_statistics()
    name = small_district(2025).name
    with counted_selects(records) as cold:
        years = district_statistics(records, name)
    assert len(years) == 10
    assert len(cold) <= 2 + 10
    forget_statistics()
    with counted_selects(records) as kept:
        assert district_statistics(records, name) == years
    assert len(kept) == 2
    with counted_selects(records) as warm:
        assert district_statistics(records, name) == years
    assert len(warm) == 1


def test_no_approved_year_no_statistics(records: Records) -> None:
    assert district_statistics(records, "没有记录的区") == []


def sheet_rows(path: Path) -> list[tuple[Any, ...]]:
    workbook = load_workbook(path, read_only=True)
    try:
        [sheet] = workbook.worksheets
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_national_export(
    records: Records, small_district: DistrictMaker, three_years: dict[int, str], tmp_path: Path
) -> None:
    d = small_district(2025)

    def name(teacher_id: str) -> str:
        return d.teacher(teacher_id).name

    lead, weak, nine = (d.school(s).name for s in (LEAD, WEAK, NINE))
    out = tmp_path / "national.xlsx"
    assert write_national_export(records, d.name, out) == 7
    rows = sheet_rows(out)
    assert list(rows[0]) == NATIONAL_HEADER
    assert rows[0][2:] == (
        "交流轮岗类型",
        "是否调动人事关系",
        "开始年月",
        "结束年月",
        "原单位名称",
        "交流轮岗单位名称",
    )
    assert rows[1:] == [
        ("MHT000002", name("MHT000002"), "交流轮岗", "否", "2025-09", "2028-07", lead, weak),
        ("MHT000003", name("MHT000003"), "交流轮岗", "否", "2025-09", "2028-07", lead, weak),
        ("MHT000015", name("MHT000015"), "交流轮岗", "否", "2025-09", "2028-07", lead, weak),
        ("MHT000004", name("MHT000004"), "交流轮岗", "否", "2026-09", "2027-07", lead, nine),
        ("MHT000065", name("MHT000065"), "支教", "否", "2026-09", "2028-07", nine, weak),
        ("MHT000004", name("MHT000004"), "交流轮岗", "否", "2027-09", "2029-07", lead, weak),
        ("MHT000006", name("MHT000006"), "交流轮岗", "否", "2027-09", "2030-07", lead, nine),
    ]
    with pytest.raises(OutputExists):
        write_national_export(records, d.name, out, 2026)
    assert write_national_export(records, d.name, out, 2026, force=True) == 2
    assert [r[0] for r in sheet_rows(out)[1:]] == ["MHT000004", "MHT000065"]
    empty = tmp_path / "none.xlsx"
    assert write_national_export(records, d.name, empty, 2030) == 0
    assert sheet_rows(empty) == [tuple(NATIONAL_HEADER)]


def test_certificate(
    records: Records, small_district: DistrictMaker, three_years: dict[int, str]
) -> None:
    d = small_district(2027)
    cert = certificate(records, d.name, "MHT000004", issued=date(2027, 9, 10))
    assert (cert.name, cert.subject, cert.home_school) == (
        d.teacher("MHT000004").name,
        d.teacher("MHT000004").subject,
        d.school(LEAD).name,
    )
    assert [
        (r.host_school, r.start_year, r.end_year, r.kind, r.status, r.years) for r in cert.rotations
    ] == [
        (d.school(NINE).name, 2026, 2026, "交流轮岗", "已返回", 1),
        (d.school(WEAK).name, 2027, 2028, "交流轮岗", "交流中", 1),  # one year of two so far
    ]
    assert {r.group for r in cert.rotations} == {d.group("MHG001").name}
    assert (cert.total_years, cert.schools, cert.as_of_year) == (2, 3, 2027)
    assert cert.rotations[0].term == "2026-2027学年至2026-2027学年"
    assert cert.bureau == f"{d.name}教育局"
    entrusted = certificate(records, d.name, "MHT000065")
    assert [(r.kind, r.status, r.years) for r in entrusted.rotations] == [("托管常驻", "交流中", 2)]
    assert entrusted.issued == date.today()
    stayed = certificate(records, d.name, "MHT000001")
    assert (stayed.rotations, stayed.total_years, stayed.schools) == ((), 0, 1)
    with pytest.raises(NotFound):
        certificate(records, d.name, "MHT999999")
    with pytest.raises(NotFound):
        certificate(records, "别的区", "MHT000004")


def test_the_certificate_prints_on_a4(
    records: Records, small_district: DistrictMaker, three_years: dict[int, str]
) -> None:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    d = small_district(2027)
    page = env.get_template("certificate.html").render(
        cert=certificate(records, d.name, "MHT000004", issued=date(2027, 9, 10))
    )
    assert "size: A4" in page and "<script" not in page
    for text in (
        "交流经历证明",
        d.teacher("MHT000004").name,
        d.school(WEAK).name,
        "2026-2027学年至2026-2027学年",
        "已返回",
        "交流中",
        "累计交流2学年",
        "（盖章）",
        f"{d.name}教育局",
        "2027年9月10日",
    ):
        assert text in page, text
    none = env.get_template("certificate.html").render(
        cert=certificate(records, d.name, "MHT000001", issued=date(2027, 9, 10))
    )
    assert "无该同志的交流经历" in none and "<table>" not in none


def test_a_year_approved_twice_counts_its_latest_plan(
    records: Records, small_district: DistrictMaker, tmp_path: Path
) -> None:
    d = small_district(2025)
    first = Plan(plan_year=2025, rotations=(rotation("MHT000002", LEAD, WEAK, 2025, 3),))
    first_id = approve(records, d, first)
    again = Plan(
        plan_year=2025,
        rotations=(
            rotation("MHT000003", LEAD, WEAK, 2025, 3),
            rotation("MHT000015", LEAD, NINE, 2025, 3),
        ),
    )
    latest = approve(records, d, again, reference=first_id)
    [stats] = district_statistics(records, d.name)
    assert (stats.plan_id, stats.rotations, stats.backbone) == (latest, 2, 1)
    out = tmp_path / "national.xlsx"
    assert write_national_export(records, d.name, out) == 2
    assert [r[0] for r in sheet_rows(out)[1:]] == ["MHT000003", "MHT000015"]
    assert certificate(records, d.name, "MHT000002").rotations == ()
    assert len(certificate(records, d.name, "MHT000003").rotations) == 1
