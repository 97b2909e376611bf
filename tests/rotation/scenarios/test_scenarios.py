"""What-if scenarios: the file format and its errors, applying edits, running, comparing, sweeps,
and every shipped scenario run small with its plan re-checked by `rotation check`."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from models import District, InputError
from models.plan import SolveOptions
from models.rules import violations
from models.vocab import OngoingKind, PinKind, RatioScope
from rotation.cli.app import app
from rotation.formats.writing import write_district
from rotation.reports.outcomes import sweep_summaries
from rotation.samples.entrusted import (
    UNITS_GROUP,
    entrusted_policy,
    generate_entrusted_district,
    read_pairs,
)
from rotation.samples.generate import ganzhou_policy
from rotation.scenarios.model import (
    SCENARIO_DIR,
    _Errors,
    apply_spec,
    load_scenario,
    parse_sweep,
    read_spec,
    sweep_family,
)
from rotation.service.scenarios import run_scenarios
from solvers.solve import solve

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted(SCENARIO_DIR.glob("*.toml"))
#: Size the shipped scenarios are tried at (their own sizes are for people, not tests).
SMALL = 900
#: Whether each shipped scenario's rules can all be met (at SMALL and at its own size).
EXPECTED_FEASIBLE = {
    "minhang_default": True,
    "minhang_15pct": True,
    "ganzhou": True,
    "ganzhou_new_weak_schools": True,
    "shanghai_model_groups": True,
    "beijing_short_terms": True,
    "shanghai_entrusted": True,
}


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def tiny_district() -> District:
    """G1: five eligible primary teachers at the lead S1 who may move; five junior teachers at
    the nine-year S3 who count in the ratio base but have nowhere to go: at most 50% rotate."""
    teachers = [
        teacher(f"L{i}", "S1", subject=s, years_at_school=20 - i)
        for i, s in enumerate(["数学", "语文", "英语", "数学", "语文"])
    ]
    teachers += [teacher(f"J{i}", "S3", teaching_stage="初中") for i in range(5)]
    return build_district(
        teachers=teachers, policy={"backbone_share": 0, "subject_balance_tolerance": 10}
    )


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A folder with the tiny district as 数据.xlsx."""
    write_district(tiny_district(), tmp_path / "数据.xlsx")
    return tmp_path


def scenario_file(folder: Path, stem: str, body: str) -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(body, encoding="utf-8")
    return path


TINY_BASE = """
[base]
input = "数据.xlsx"
"""


# -- the shipped scenarios ----------------------------------------------------------------------


def test_every_shipped_scenario_is_listed_here() -> None:
    assert {p.stem for p in SHIPPED} == set(EXPECTED_FEASIBLE)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads_with_a_chinese_description(path: Path) -> None:
    spec = read_spec(path)
    assert spec.name and len(spec.description) > 40
    assert spec.base.generate is not None  # no big data files in the repository
    assert path.stem in (ROOT / "docs" / "使用说明.md").read_text(encoding="utf-8")


def test_shipped_scenarios_run_small_and_their_plans_pass_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("scenario", "run", *SHIPPED, "--teachers", SMALL, "-o", out)
    expected = 0 if all(EXPECTED_FEASIBLE.values()) else 2
    assert result.exit_code == expected, result.output
    assert "[7/7]" in result.output
    for path in SHIPPED:
        data, plan = out / f"{path.stem}-数据.xlsx", out / f"{path.stem}-方案.json"
        assert (out / f"{path.stem}-审批表.xlsx").exists()
        status = json.loads(plan.read_text(encoding="utf-8"))["status"]
        feasible = status in ("optimal", "feasible")
        assert feasible == EXPECTED_FEASIBLE[path.stem], (path.stem, status)
        checked = run("check", data, plan)
        assert checked.exit_code == (0 if feasible else 2), checked.output


def test_ganzhou_scenario_is_the_ganzhou_variant() -> None:
    s = load_scenario(SCENARIO_DIR / "ganzhou.toml", teachers=200)
    assert s.district.policy == ganzhou_policy(2025)


def test_entrusted_scenario_uses_the_entrusted_policy() -> None:
    s = load_scenario(SCENARIO_DIR / "shanghai_entrusted.toml", teachers=400)
    assert s.district.policy == entrusted_policy(2025)


def test_model_groups_override_only_their_groups() -> None:
    s = load_scenario(SCENARIO_DIR / "shanghai_model_groups.toml", teachers=SMALL)
    policy = s.district.policy
    assert policy.for_group("MHG001").lead_outflow_ratio == Decimal("0.2")
    assert policy.for_group("MHG002").backbone_share == Decimal("0.3")
    assert policy.district.lead_outflow_ratio is None


# -- the entrusted sample -----------------------------------------------------------------------


def test_entrusted_district_meets_the_resident_rule() -> None:
    """SPEC's entrusted_residents (≥3 residents, ≥1 of them 干部, new + ongoing) holds for all 38
    pairs of the 2021 list, across groups, with non-school units stationing their staff."""
    d = generate_entrusted_district(teachers=600, seed=3).replace(policy=entrusted_policy(2025))
    pairs = read_pairs()
    assert len(d.entrusted) == len(pairs) == 38
    units = d.schools_of(UNITS_GROUP)
    assert {"上海名师培训中心", "静安区教育学会"} <= {u.name for u in units}
    assert all(d.school(e.aided_school_id).weak for e in d.entrusted)
    result = solve(d, SolveOptions(workers=1))
    assert result.status == "optimal"
    assert violations(d, result.plan) == []
    for e in d.entrusted:
        new = [
            r
            for r in result.plan.rotations
            if (r.from_school_id, r.to_school_id) == (e.supporting_school_id, e.aided_school_id)
        ]
        ongoing = [
            o
            for o in d.ongoing
            if o.kind == OngoingKind.ENTRUSTED
            and (o.from_school_id, o.to_school_id) == (e.supporting_school_id, e.aided_school_id)
        ]
        assert len(new) + len(ongoing) >= 3
        assert all(r.kind == "entrusted" for r in new)
    crossing = [
        r
        for r in result.plan.rotations
        if d.school(r.from_school_id).group_id != d.school(r.to_school_id).group_id
    ]
    assert len(crossing) > 30


# -- the file format and its errors -------------------------------------------------------------


def test_a_bad_file_names_the_file_the_key_and_the_problem(tiny: Path) -> None:
    bad = scenario_file(
        tiny,
        "坏情景",
        'name = "坏情景"\n'
        + TINY_BASE
        + """
[policy]
min_rotaton_ratio = "15%"
backbone_share = "abc"

[group_policy.G9]
backbone_share = "30%"

[weights]
min_rotation_ratio = 1

[edits]
weak_schools = ["S9"]

[[edits.pins]]
teacher = "T404"
kind = "必须交流至"
school = "S2"
""",
    )
    result = run("scenario", "validate", bad)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "坏情景.toml" in line]
    expected = [
        "[policy] min_rotaton_ratio：未知参数「min_rotaton_ratio」，是否指 min_rotation_ratio",
        "[policy] backbone_share：backbone_share（骨干教师占比下限）：「abc」不是比例",
        "[weights] min_rotation_ratio：min_rotation_ratio（最低交流比例）不是权重",
        "[group_policy.G9]：集团「G9」不在基础数据中，是否指 G1？",
        "[edits] weak_schools 第1项：学校「S9」不在基础数据中",
        "[edits.pins] 第1项 teacher：教师「T404」不在基础数据中",
    ]
    for text in expected:
        assert any(text in line for line in lines), (text, result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "x"\npolcy = 1\n' + TINY_BASE, "polcy：未知的键，是否指 policy？"),
        (TINY_BASE, "name：缺少此项（必填）"),
        ("name = 方案一\n" + TINY_BASE, "第1行第8列：不是有效的 TOML"),
        (
            'name = "x"\n[base]\ninput = "数据.xlsx"\ngenerate = { structure = "minhang" }\n',
            "base：应填写 input（数据文件）或 generate（示例数据）二者之一",
        ),
        (
            'name = "x"\n[base]\ngenerate = { structure = "shenzhen" }\n',
            "[base.generate] structure：「shenzhen」无效",
        ),
        (
            'name = "x"\n[base]\ngenerate = { structure = "minhang", teachrs = 10 }\n',
            "[base.generate] teachrs：未知的键，是否指 teachers？",
        ),
        ('name = "x"\n[base]\ninput = "无此文件.xlsx"\n', "[base] input：找不到数据文件"),
        (
            'name = "x"\n' + TINY_BASE + '[[edits.pins]]\nteacher = "L0"\nkind = "调走"\n',
            "[edits.pins] 第1项 kind：「调走」无效",
        ),
        (
            'name = "x"\n' + TINY_BASE + "[group_policy.G1]\nplan_year = 2026\n",
            "[group_policy.G1] plan_year：plan_year（编制学年）只能对全区设置",
        ),
        (
            'name = "x"\n'
            + TINY_BASE
            + '[group_policy.G1]\nmin_rotation_ratio_by_size = "1-:5%"\n',
            "min_rotation_ratio_by_size（按集团规模的最低交流比例）只能对全区设置",
        ),
        (
            'name = "x"\n' + TINY_BASE + '[policy]\nmin_rotation_ratio_by_size = "2-:5%"\n',
            "「2-:5%」应从 1 所学校起",
        ),
        (
            'name = "x"\n'
            + TINY_BASE
            + '[edits]\ndefer = [{ teacher = "L0" }]\n[[edits.pins]]\n'
            + 'teacher = "L0"\nkind = "必须交流至"\nschool = "S2"\n',
            "应用情景后数据有误：「锁定」表「类型」列：该教师暂缓交流",
        ),
    ],
)
def test_each_kind_of_mistake_is_said_plainly(tiny: Path, body: str, message: str) -> None:
    path = scenario_file(tiny, "情景", body)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    texts = [str(p) for p in caught.value.problems]
    assert any(f"「{path}」" in t and message in t for t in texts), texts


def test_ratio_by_size_in_a_scenario_as_text_or_array(tiny: Path) -> None:
    for value in ('"1-2:10%,3-:50%"', '["1-2:10%", "3-:50%"]'):
        body = f'name = "x"\n{TINY_BASE}[policy]\nmin_rotation_ratio_by_size = {value}\n'
        district = load_scenario(scenario_file(tiny, "分段", body)).district
        bands = district.policy.district.min_rotation_ratio_by_size
        assert bands is not None and str(bands[1]) == "3-:50%"
        from models.requirements import group_requirement

        assert group_requirement(district, "G1").min_ratio == Decimal("0.5")  # 3 schools


def test_applying_a_scenario_leaves_the_base_alone(tiny: Path) -> None:
    base = tiny_district()
    spec_path = scenario_file(
        tiny,
        "改动",
        'name = "改动"\n'
        + TINY_BASE
        + """
[policy]
"最低交流比例" = 0.15
flow_direction = "lead_to_member, member_to_lead, member_to_member"

[group_policy.G1]
backbone_share = "30%"

[weights]
seniority = 25

[edits]
weak_schools = ["S3"]
not_weak_schools = ["S2"]
defer = [{ teacher = "L4", reason = "哺乳期" }]
demand = [{ school = "S3", subject = "数学", count = 2 }]
pins = [{ teacher = "L0", kind = "must_go_to", school = "S3", reason = "支教" }]
""",
    )
    spec = read_spec(spec_path)
    district, changes = apply_spec(base, spec, _Errors(spec_path))
    p = district.policy
    assert p.district.min_rotation_ratio == Decimal("0.15")
    assert p.district.weight_seniority == 25 and len(p.district.flow_direction) == 3
    assert p.for_group("G1").backbone_share == Decimal("0.3")
    assert district.school("S3").weak and not district.school("S2").weak
    assert district.teacher("L4").deferral == "哺乳期"
    assert [(d.school_id, d.subject, d.count) for d in district.demand] == [("S3", "数学", 2)]
    assert [(x.teacher_id, x.kind, x.school_id) for x in district.pins] == [
        ("L0", PinKind.MUST_GO_TO, "S3")
    ]
    assert len(changes) == 9
    # the base is as it was
    assert base == tiny_district()
    assert base.school("S2").weak and base.teacher("L4").deferral is None and not base.pins


def test_demand_edits_replace_or_remove_rows(tiny: Path) -> None:
    base = tiny_district().replace(demand=())
    first = scenario_file(
        tiny,
        "一",
        'name = "一"\n' + TINY_BASE + '[[edits.demand]]\nschool = "S2"\nsubject = "数学"\n',
    )
    d, _ = apply_spec(base, read_spec(first), _Errors(first))
    assert [(x.school_id, x.count) for x in d.demand] == [("S2", 1)]
    again = scenario_file(
        tiny,
        "二",
        'name = "二"\n'
        + TINY_BASE
        + '[[edits.demand]]\nschool = "S2"\nsubject = "数学"\ncount = 0\n',
    )
    removed, changes = apply_spec(d, read_spec(again), _Errors(again))
    assert removed.demand == () and changes == ["需求：乡镇小学数学 1人 → 0人"]


def test_a_scenario_may_name_the_district_for_its_titles(tiny: Path) -> None:
    path = scenario_file(
        tiny, "名", 'name = "名"\n' + TINY_BASE + '[policy]\ndistrict_name = "闵行区"\n'
    )
    named, changes = apply_spec(tiny_district(), read_spec(path), _Errors(path))
    assert named.name == "闵行区" and changes == ["district_name（区县名称）：不设 → 闵行区"]


# -- running, comparing, sweeping ---------------------------------------------------------------


def test_compare_has_one_column_per_scenario_and_the_chart(tiny: Path) -> None:
    a = scenario_file(tiny, "a", 'name = "基础"\ndescription = "默认"\n' + TINY_BASE)
    b = scenario_file(
        tiny,
        "b",
        'name = "=一半"\n' + TINY_BASE + '[policy]\nmin_rotation_ratio = "50%"\n',
    )
    out = tiny / "方案对比.xlsx"
    result = run("scenario", "compare", a, b, "-o", out, "--workers", 2)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["方案对比", "各集团交流人数", "人员差异"]
    sheet = book["方案对比"]
    header = [c.value for c in sheet[1]]
    assert header == ["指标", "基础", "=一半"]
    assert sheet.cell(row=1, column=3).data_type == "s"  # a name like a formula stays text
    figures = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert figures["新交流人数（合计）"] == (1, 5)
    assert figures["规则全部满足"] == ("是", "是")
    for label in ("骨干教师占比", "流入薄弱学校（人）", "平均通勤距离（km）", "　资历优先"):
        assert label in figures
    assert figures["　城关教育集团"] == (1, 5)
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode("utf-8")
    assert "<barChart>" in xml and xml.count("<ser>") == 2
    diff = list(book["人员差异"].iter_rows(min_row=2, values_only=True))
    added = sorted(row[2] for row in diff if row[1] == "新增")
    assert len(added) == 4 and {row[1] for row in diff} <= {"新增", "改派"}
    assert {row[0] for row in diff} == {"=一半"}


def test_a_sweep_finds_where_the_rules_stop_being_satisfiable(tiny: Path) -> None:
    a = scenario_file(tiny, "a", 'name = "基础"\n' + TINY_BASE)
    out = tiny / "扫描.xlsx"
    result = run("scenario", "compare", a, "-o", out, "--sweep", "min_rotation_ratio=10%:90%:20%")
    assert result.exit_code == 0, result.output  # the infeasible values are the sweep's answer
    conclusion = "min_rotation_ratio 取 50% 及之前的值时规则可以同时满足，从 70% 起无法同时满足"
    assert conclusion in result.output
    book = openpyxl.load_workbook(out)
    rows = list(book["参数扫描"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[3]) for r in rows[:5]] == [
        ("10%", "是"),
        ("30%", "是"),
        ("50%", "是"),
        ("70%", "否"),
        ("90%", "否"),
    ]
    assert rows[3][8] and "最低交流比例" in rows[3][8]  # why 70% cannot be met
    assert rows[5][3] == conclusion
    assert len([c.value for c in book["方案对比"][1]]) == 6


def test_sweep_values_and_their_errors() -> None:
    sweep = parse_sweep("min_rotation_ratio=0.10:0.20:0.02")
    assert sweep.texts == ("10%", "12%", "14%", "16%", "18%", "20%")
    assert parse_sweep("最低交流比例=10%:20%:5%").values == (
        Decimal("0.1"),
        Decimal("0.15"),
        Decimal("0.2"),
    )
    assert parse_sweep("weak_inflow_min=5:2:-1").values == (5, 4, 3, 2)
    for bad, message in [
        ("min_rotation_ratio", "应写成 参数=起:止:步长"),
        ("min_rotaton_ratio=0.1:0.2:0.1", "是否指 min_rotation_ratio"),
        ("ratio_scope=1:2:1", "不是比例或整数参数"),
        ("min_rotation_ratio=0.1:0.2:0", "步长不能为 0"),
        ("min_rotation_ratio=0.2:0.1:0.1", "步长方向"),
        ("min_rotation_ratio=0:1:0.01", "最多"),
        ("weak_inflow_min=0:3:1", "应在 1 到 50 之间"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_sweep(bad)


def test_huge_numbers_in_sweeps_and_scenario_values_are_clear_errors(tiny: Path) -> None:
    for bad in (
        "min_years_at_school=1:1e999999999:1",
        "min_years_at_school=1:3:" + "9" * 5000,
        "min_rotation_ratio=0.1:Infinity:0.1",
        "min_rotation_ratio=0.1:0.2:1e-999999999",
    ):
        with pytest.raises(ValueError) as excinfo:
            parse_sweep(bad)
        assert len(str(excinfo.value)) < 120
    body = 'name = "大数"\n' + TINY_BASE + '\n[policy]\nmin_years_at_school = "1e999999999"\n'
    body += "weak_inflow_min = inf\n"
    path = scenario_file(tiny, "big", body)
    with pytest.raises(InputError) as excinfo:
        load_scenario(path)
    messages = [p.message for p in excinfo.value.errors]
    assert len(messages) == 2 and all("整数" in m for m in messages), messages


def test_bad_sweep_is_a_usage_error(tiny: Path) -> None:
    a = scenario_file(tiny, "a", 'name = "基础"\n' + TINY_BASE)
    result = run("scenario", "compare", a, "-o", tiny / "x.xlsx", "--sweep", "ratio_scope=1:2:1")
    assert result.exit_code == 1 and "--sweep" in result.output
    assert not (tiny / "x.xlsx").exists()


def test_a_ratio_sweep_over_size_ranges_is_refused(tiny: Path) -> None:
    body = 'name = "分段"\n' + TINY_BASE + '[policy]\nmin_rotation_ratio_by_size = "1-:10%"\n'
    a = scenario_file(tiny, "a", body)
    args = ("scenario", "compare", a, "-o", tiny / "x.xlsx", "--sweep")
    result = run(*args, "min_rotation_ratio=0.1:0.2:0.1")
    assert result.exit_code == 1 and 'min_rotation_ratio_by_size = "无"' in result.output
    assert not (tiny / "x.xlsx").exists()
    cleared = scenario_file(tiny, "b", body.replace('"1-:10%"', '"无"'))
    family = sweep_family(load_scenario(cleared), parse_sweep("min_rotation_ratio=0.1:0.2:0.1"))
    assert len(family) == 2


def test_parallel_runs_equal_serial_runs(tiny: Path) -> None:
    a = load_scenario(scenario_file(tiny, "a", 'name = "基础"\n' + TINY_BASE))
    family = sweep_family(a, parse_sweep("min_rotation_ratio=0.1:0.5:0.2"))
    serial = run_scenarios(family, out_dir=None, options=SolveOptions(), processes=1)
    parallel = run_scenarios(family, out_dir=None, options=SolveOptions(), processes=2)
    assert [o.moves for o in serial] == [o.moves for o in parallel]
    assert [o.key for o in parallel] == [s.key for s in family]
    summary = sweep_summaries(parallel)
    assert len(summary) == 1 and "均可同时满足" in summary[0].conclusion


def test_run_refuses_to_overwrite_and_reports_infeasible_scenarios(tiny: Path) -> None:
    ok = scenario_file(tiny, "ok", 'name = "可行"\n' + TINY_BASE)
    too_much = scenario_file(
        tiny, "too_much", 'name = "八成"\n' + TINY_BASE + '[policy]\nmin_rotation_ratio = "80%"\n'
    )
    out = tiny / "out"
    result = run("scenario", "run", ok, too_much, "-o", out)
    assert result.exit_code == 2
    assert "八成" in result.output and "规则无法同时满足" in result.output
    book = openpyxl.load_workbook(out / "too_much-审批表.xlsx")
    assert "不可行说明" in book.sheetnames  # written all the same, with the explanation
    assert run("check", out / "ok-数据.xlsx", out / "ok-方案.json").exit_code == 0
    again = run("scenario", "run", ok, "-o", out)
    assert again.exit_code == 1 and "--force" in again.output
    assert run("scenario", "run", ok, "-o", out, "--force").exit_code == 0


def test_scenario_of_another_base_is_not_compared_teacher_by_teacher(tiny: Path) -> None:
    a = scenario_file(tiny, "a", 'name = "小区县"\n' + TINY_BASE)
    b = scenario_file(
        tiny,
        "b",
        'name = "甘州"\n[base]\ngenerate = { structure = "ganzhou", teachers = 300, seed = 5 }\n'
        + "[policy]\nmin_rotation_ratio = 0\nbackbone_share = 0\n",
    )
    out = tiny / "c.xlsx"
    result = run("scenario", "compare", a, b, "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out)["人员差异"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["不比较"]


def test_teachers_override_changes_only_generated_bases(tiny: Path) -> None:
    a = scenario_file(tiny, "a", 'name = "小"\n' + TINY_BASE)
    assert len(load_scenario(a, teachers=500).district.teachers) == 10
    s = load_scenario(SCENARIO_DIR / "minhang_default.toml", teachers=300)
    assert len(s.district.teachers) == 300 and "300名教师" in s.base_label
    assert s.district.policy.district.ratio_scope == RatioScope.GROUP


@pytest.mark.parametrize("doc", ["README.md", "docs/使用说明.md"])
def test_the_documented_example_is_a_valid_scenario(doc: str, tmp_path: Path) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "例.toml"
    path.write_text(block, encoding="utf-8")
    spec = read_spec(path)
    assert spec.policy == {"min_rotation_ratio": "15%"} and spec.edits.pins
    if spec.base.generate is not None:  # the README's runs on the bundled sample as written
        s = load_scenario(path)
        assert s.district.policy.for_group("MHG001").lead_outflow_ratio == Decimal("0.2")
        assert s.district.teacher("MHT000123").deferral == "病休"


def test_the_figures_of_a_plan_with_exam_demand_at_a_new_weak_junior_high() -> None:
    s = load_scenario(SCENARIO_DIR / "ganzhou_new_weak_schools.toml", teachers=SMALL)
    (o,) = run_scenarios([s], out_dir=None, options=SolveOptions(), processes=1)
    assert o.feasible and o.rotations == len(o.moves) > 0
    assert (o.exam_demand, o.exam_covered) == (2, 2)  # 金安苑学校（初中部）: 数学, 英语
    assert o.demand_met <= o.demand and o.weak_inflow >= 6
    assert o.commuters == o.rotations and o.commute_km > 0  # Ganzhou schools have coordinates
    assert sum(g.rotated for g in o.groups) == o.rotations
    assert all(g.rotated >= g.minimum for g in o.groups)
    assert sum(o.terms.values()) == o.objective
    assert any("GZ09" in c for c in o.changes)


def test_scenario_outputs_never_replace_a_folder_or_the_base_data(tiny: Path) -> None:
    ok = scenario_file(tiny, "ok", 'name = "可行"\n' + TINY_BASE)
    out = tiny / "out"
    (out / "ok-审批表.xlsx").mkdir(parents=True)
    (out / "ok-审批表.xlsx" / "keep.txt").write_text("keep", encoding="utf-8")
    result = run("scenario", "run", ok, "-o", out, "--force")
    assert result.exit_code == 1 and "是一个文件夹" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["ok-审批表.xlsx"]
    folder = tiny / "对比.xlsx"
    folder.mkdir()
    result = run("scenario", "compare", ok, "-o", folder, "--force")
    assert result.exit_code == 1 and "是一个文件夹" in result.output
    # a base data file that a run would overwrite is an input, never an output
    (tiny / "ok-数据.xlsx").write_bytes((tiny / "数据.xlsx").read_bytes())
    on_output = scenario_file(tiny, "ok", 'name = "可行"\n[base]\ninput = "ok-数据.xlsx"\n')
    before = (tiny / "ok-数据.xlsx").read_bytes()
    result = run("scenario", "run", on_output, "-o", tiny, "--force")
    assert result.exit_code == 1 and "就是输入文件" in result.output
    assert (tiny / "ok-数据.xlsx").read_bytes() == before
    result = run("scenario", "compare", ok, "-o", ok, "--force")
    assert result.exit_code == 1 and "就是输入文件" in result.output
