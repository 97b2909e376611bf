"""`rotation plan`, `check` and `demo` through the CLI: exit codes, files, and what they contain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from models import District, Pin
from models.advance import retirees
from rotation.cli.app import app
from rotation.formats.reading import read_district
from rotation.formats.writing import write_district

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()

APPROVAL_SHEETS = [
    "汇总",
    "交流名单",
    "在岗交流",
    "学校汇总",
    "规则核查",
    "未入选名单",
    "不符合条件名单",
    "资历说明",
    "审批",
    "公示名单",
]


def tight_district(**kw: Any) -> District:
    """No weak school, lenient balance: the optimum rotates exactly the minimum ceil(30×10%)=3."""
    teachers = [teacher(f"L{i}", "S1", years_at_school=30 - i) for i in range(20)]
    teachers += [
        teacher(f"N{i}", "S3", years_at_school=20 - i, teaching_stage="小学") for i in range(10)
    ]
    teachers[0] = teacher("L0", "S1", years_at_school=30, name='=HYPERLINK("http://x","点我")')
    policy = {"backbone_share": 0, "subject_balance_tolerance": 5, **kw.pop("policy", {})}
    return build_district(teachers=teachers, policy=policy, **kw)


def run(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Path, Path, Path]:
    source = tmp_path / "数据.xlsx"
    write_district(tight_district(), source)
    out, js = tmp_path / "审批表.xlsx", tmp_path / "方案.json"
    result = run("plan", source, "-o", out, "--json", js, "--workers", "1")
    assert result.exit_code == 0, result.output
    return source, out, js


def test_plan_writes_the_workbook_and_json(planned: tuple[Path, Path, Path]) -> None:
    _source, out, js = planned
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == APPROVAL_SHEETS
    data = json.loads(js.read_text(encoding="utf-8"))
    for key in (
        "plan_year",
        "status",
        "objective",
        "best_bound",
        "input_sha256",
        "policy",
        "rotations",
        "returns",
        "compliance",
        "conflicts",
        "timings",
    ):
        assert key in data
    assert data["schema_version"] == 1 and data["status"] == "optimal"
    assert len(data["rotations"]) == 3
    assert set(data["timings"]) == {"read", "build", "solve", "solve_wall", "write"}
    assert all(c["ok"] for c in data["compliance"])
    assert data["rotations"][0].keys() == {
        "teacher_id",
        "from_school_id",
        "to_school_id",
        "start_year",
        "end_year",
        "kind",
    }
    assert sum(data["objective_terms"].values()) == data["objective"]


def test_workbook_is_print_ready_and_formula_proof(planned: tuple[Path, Path, Path]) -> None:
    _source, out, _js = planned
    book = openpyxl.load_workbook(out)
    sheet = book["交流名单"]
    header = [c.value for c in sheet[1]]
    assert (
        header[:3] == ["序号", "教师编号", "姓名"] and "考核单位" in header and "入选理由" in header
    )
    assert sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1"
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x","点我")' in names  # the most senior: chosen, kept as text
    for row in sheet.iter_rows(min_row=2):
        assert row[2].data_type == "s"
        assert row[14].value == row[9].value  # 考核单位 = the host school
    public = book["公示名单"]
    assert public["A1"].value == "数据 2025学年教师交流轮岗人员公示名单"
    assert [c.value for c in public[2]] == [
        "序号",
        "姓名",
        "学科",
        "流出学校",
        "流入学校",
        "交流期限",
    ]


def test_plan_is_deterministic(tmp_path: Path, planned: tuple[Path, Path, Path]) -> None:
    source, _out, js = planned
    again = tmp_path / "again.json"
    assert run("plan", source, "-o", tmp_path / "again.xlsx", "--json", again).exit_code == 0
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in (js, again))
    for data in (first, second):
        data.pop("timings"), data.pop("plan_id")
    assert first == second


def test_check_accepts_the_plan_and_catches_a_hand_edit(
    tmp_path: Path, planned: tuple[Path, Path, Path]
) -> None:
    source, out, js = planned
    assert run("check", source, js).exit_code == 0
    assert run("check", source, out).exit_code == 0
    data = json.loads(js.read_text(encoding="utf-8"))
    data["rotations"].pop()
    edited = tmp_path / "改过的方案.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("check", source, edited)
    assert result.exit_code == 2
    assert "最低交流比例（min_rotation_ratio）" in result.output and "要求≥3人" in result.output
    book = openpyxl.load_workbook(out)
    book["交流名单"].delete_rows(2)
    edited_book = tmp_path / "改过的审批表.xlsx"
    book.save(edited_book)
    assert run("check", source, edited_book).exit_code == 2


def test_plan_refuses_to_overwrite(planned: tuple[Path, Path, Path]) -> None:
    source, out, js = planned
    result = run("plan", source, "-o", out, "--json", js)
    assert result.exit_code == 1 and "--force" in result.output
    assert run("plan", source, "-o", out, "--json", js, "--force").exit_code == 0


def test_infeasible_plan_exits_2_and_explains(tmp_path: Path) -> None:
    district = tight_district(
        policy={"min_rotation_ratio": "90%"}, pins=[Pin(teacher_id="L0", kind="不得交流")]
    )
    source = tmp_path / "数据.xlsx"
    write_district(district, source)
    out, js = tmp_path / "审批表.xlsx", tmp_path / "方案.json"
    result = run("plan", source, "-o", out, "--json", js)
    assert result.exit_code == 2
    assert "min_rotation_ratio" in result.output and "城关教育集团" in result.output
    assert "不可行说明" in openpyxl.load_workbook(out).sheetnames
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["status"] == "infeasible" and data["rotations"] == []
    assert {c["rule"] for c in data["conflicts"]} >= {"min_rotation_ratio"}


def test_bad_input_exits_1_without_writing(tmp_path: Path) -> None:
    source = tmp_path / "数据.json"
    source.write_text('{"集团": []}', encoding="utf-8")
    result = run("plan", source, "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_demo_plans_both_samples_cleanly(tmp_path: Path) -> None:
    result = run("demo", "--out-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.count("求解：最优") == 2
    assert result.output.count("规则核查未通过 0 项") == 2
    assert result.output.count("走教：") == 1  # the Ganzhou sample carries 走教需求
    for stem in ("甘州区示例", "闵行区示例"):
        assert (
            run("check", tmp_path / f"{stem}数据.xlsx", tmp_path / f"{stem}-方案.json").exit_code
            == 0
        )


def test_public_notice_shows_the_term_in_school_years(planned: tuple[Path, Path, Path]) -> None:
    _source, out, _js = planned
    rows = list(openpyxl.load_workbook(out)["公示名单"].iter_rows(min_row=3, values_only=True))
    assert rows and all(row[5] == "2025-2026学年至2027-2028学年" for row in rows)


def infeasible_source(tmp_path: Path) -> Path:
    """Ratio 90% cannot be met while subject balance allows at most ±5 per school."""
    district = tight_district(
        policy={"min_rotation_ratio": "90%"}, pins=[Pin(teacher_id="L0", kind="不得交流")]
    )
    source = tmp_path / "数据.xlsx"
    write_district(district, source)
    return source


def test_explain_names_the_colliding_rules_with_numbers(tmp_path: Path) -> None:
    result = run("explain", infeasible_source(tmp_path))
    assert result.exit_code == 2
    assert "相互冲突的规则" in result.output and "【城关教育集团】" in result.output
    assert (
        "最低交流比例（min_rotation_ratio）：「城关教育集团」至少须交流27人（符合条件教师30人×90%，向上取整）"
        in result.output
    )
    assert "学科增减平衡（subject_balance）" in result.output


def test_explain_on_a_satisfiable_district(planned: tuple[Path, Path, Path]) -> None:
    source, _out, _js = planned
    result = run("explain", source)
    assert result.exit_code == 0
    assert "全部规则可以同时满足" in result.output


def test_relax_writes_the_closest_plan_and_marks_each_shortfall(tmp_path: Path) -> None:
    source = infeasible_source(tmp_path)
    out, js = tmp_path / "审批表.xlsx", tmp_path / "方案.json"
    result = run("plan", source, "-o", out, "--json", js, "--relax")
    assert result.exit_code == 2
    assert "--relax" in result.output and "缺" in result.output
    assert "未满足全部规则，仅供讨论，不得报批" in result.output
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["rotations"] and data["shortfalls"]
    gaps = [s["missing"] for s in data["shortfalls"]]
    assert f"处、共缺{sum(gaps)}" in result.output  # the totals line, per rule
    failed = {c["rule"] for c in data["compliance"] if not c["ok"]}
    assert failed == {s["rule"] for s in data["shortfalls"]}
    assert "eligibility" not in failed and "min_tenure" not in failed
    book = openpyxl.load_workbook(out)
    rows = list(book["不可行说明"].iter_rows(min_row=2, values_only=True))
    assert rows and all(str(r[4]).startswith("缺") for r in rows)
    results = {r[4] for r in book["规则核查"].iter_rows(min_row=2, values_only=True)}
    assert results == {"通过", "未通过"}
    assert run("check", source, js).exit_code == 2


def test_advance_then_plan_the_next_year(tmp_path: Path, planned: tuple[Path, Path, Path]) -> None:
    source, _out, js = planned
    following = tmp_path / "下一学年.xlsx"
    result = run("advance", source, js, "-o", following)
    assert result.exit_code == 0, result.output
    assert "已生成 2026 学年数据" in result.output
    nxt = read_district(following)
    assert nxt.plan_year == 2026
    retired = {t.teacher_id for t in retirees(read_district(source))}
    assert f"到 2026 学年退休的 {len(retired)} 名教师已删除" in result.output
    assert not retired & {t.teacher_id for t in nxt.teachers}
    chosen = {r["teacher_id"] for r in json.loads(js.read_text(encoding="utf-8"))["rotations"]}
    assert {o.teacher_id for o in nxt.ongoing} == chosen
    assert run(
        "plan", following, "-o", tmp_path / "次年审批表.xlsx", "--json", tmp_path / "次年.json"
    ).exit_code in (0, 2)


def test_replan_against_a_reference_writes_the_change_sheet(
    tmp_path: Path, planned: tuple[Path, Path, Path]
) -> None:
    source, _out, js = planned
    chosen = json.loads(js.read_text(encoding="utf-8"))["rotations"][0]["teacher_id"]
    book = openpyxl.load_workbook(source)
    sheet = book["教师"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("教师编号")].value == chosen:
            row[header.index("暂缓交流原因")].value = "病休"
    changed = tmp_path / "六月数据.xlsx"
    book.save(changed)
    out = tmp_path / "重新编制.xlsx"
    result = run("plan", changed, "-o", out, "--json", tmp_path / "重新.json", "--reference", js)
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out)["变更对比"].iter_rows(min_row=2, values_only=True))
    kinds = [r[0] for r in rows]
    assert kinds.count("取消") == 1 and kinds.count("新增") == 1 and kinds.count("保留") == 2
    cancelled = next(r for r in rows if r[0] == "取消")
    assert cancelled[1] == chosen and "暂缓：病休" in cancelled[7]


def test_plan_says_which_columns_it_did_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rotation.cli.messages.SHOWN_WARNINGS", 2)
    source = tmp_path / "数据.xlsx"
    write_district(tight_district(), source)
    book = openpyxl.load_workbook(source)
    sheet = book["教师"]
    sheet.cell(row=1, column=sheet.max_column + 1, value="备注")
    book.save(source)
    result = run("plan", source, "-o", tmp_path / "审批表.xlsx", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "提示：「教师」表第1行：以下列不是模板中的列名，未读入：「备注」" in result.output
    assert "提示：「教师」表第2行「本校连续任教年限」列" in result.output
    assert "提示：另有 2 条提示，可用 rotation validate" in result.output  # 4 in all


def test_long_lists_of_shortfalls_are_cut_and_point_to_the_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rotation.cli.messages.SHOWN_ITEMS", 1)
    source = tmp_path / "数据.xlsx"  # exact balance: every move leaves two schools off balance
    policy = {"min_rotation_ratio": "90%", "subject_balance_tolerance": 0}
    write_district(tight_district(policy=policy), source)
    result = run(
        "plan", source, "-o", tmp_path / "审批表.xlsx", "--json", tmp_path / "p.json", "--relax"
    )
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    shown = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(shown) == 1
    assert len(data["shortfalls"]) > 1
    assert f"……其余 {len(data['shortfalls']) - 1} 条见审批表「不可行说明」" in result.output
