"""`rotation province` and `rotation generate --province`: every county of a folder planned on
the process pool or on Ray, the same plans either way, a county task killed mid-solve run again
with the same result, scenarios and sweeps across counties, and the summary workbook."""

from __future__ import annotations

import json
import os
import signal
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from models.plan import SolveOptions
from rotation.cli.app import app
from rotation.formats.reading import read_district
from rotation.reports.province import INPUT_ERROR, RATIO_SHEET, SUMMARY_SHEET, TOTALS_SHEET
from rotation.samples.province import county_sizes, province_specs
from rotation.service.province import (
    SUMMARY_NAME,
    CountyJob,
    CountyResult,
    ProvinceShared,
    generate_province,
    plan_county,
    run_province,
    variants_of,
)
from solvers.executors import Executor, ProcessExecutor, RayExecutor
from solvers.solve import solve

runner = CliRunner()


@cache
def _province(root: str) -> Path:
    folder = Path(root) / "province"
    generate_province(folder, counties=3, teachers=1500, seed=4, year=2025, workers=2)
    return folder


@pytest.fixture
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _province(str(tmp_path_factory.getbasetemp()))


def plans(out_dir: Path) -> dict[str, Any]:
    """Each plan JSON's rotations and status, by file name."""
    return {
        p.name: (data["status"], data["rotations"], data["objective"])
        for p in sorted(out_dir.glob("*-方案.json"))
        for data in [json.loads(p.read_text(encoding="utf-8"))]
    }


def test_generated_counties_vary_in_size_and_sum_to_the_total(province: Path) -> None:
    import random

    sizes = county_sizes(100, 1_000_000, random.Random(1))
    assert sum(sizes) == 1_000_000 and min(sizes) >= 300 and max(sizes) > 3 * min(sizes)
    assert province_specs(5, 5000, 2) == province_specs(5, 5000, 2)
    files = sorted(province.glob("*.xlsx"))
    assert len(files) == 3
    districts = [read_district(f) for f in files]
    assert sum(len(d.teachers) for d in districts) == 1500
    assert {d.name for d in districts} == {f.stem for f in files}  # district_name = county


def test_a_province_on_the_pool(province: Path, tmp_path: Path) -> None:
    lines: list[str] = []
    rows = run_province(province, tmp_path, workers=2, echo=lambda text, **_k: lines.append(text))
    assert [r.county for r in rows] == sorted(p.stem for p in province.glob("*.xlsx"))
    assert all(r.feasible and r.rotations > 0 and r.files for r in rows)
    assert all(0.1 <= (r.ratio or 0) < 1 for r in rows)
    book = load_workbook(tmp_path / SUMMARY_NAME)
    assert book.sheetnames == [SUMMARY_SHEET, RATIO_SHEET]
    sheet = book[SUMMARY_SHEET]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["县区", "数据文件", "情景", "专任教师", "符合交流条件", "新交流"]
    assert sheet.max_row == 4
    assert len(book[RATIO_SHEET]._charts) == 1
    assert len(plans(tmp_path)) == 3
    assert len(list(tmp_path.glob("*-审批表.xlsx"))) == 3
    # a second run refuses to overwrite, before any work
    result = runner.invoke(app, ["province", str(province), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "--force" in result.output


def test_without_ray_or_its_address_a_plain_message(
    province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before any Ray test of this module starts a cluster in this process."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    result = runner.invoke(app, ["province", str(province), "-o", str(tmp_path), "--ray", "auto"])
    assert result.exit_code == 1
    assert "RAY_ADDRESS" in result.output or "未安装 Ray" in result.output
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    result = runner.invoke(app, ["province", str(province), "-o", str(tmp_path), "--ray", "local"])
    assert result.exit_code == 1 and "pip install 'rotation[ray]'" in result.output
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_same_plans_on_ray_as_on_the_pool(
    province: Path, tmp_path: Path, ray_cluster: Any
) -> None:
    with ProcessExecutor(2) as pool:
        run_province(province, tmp_path / "pool", executor=pool)
    with RayExecutor("local") as engine:
        run_province(province, tmp_path / "ray", executor=engine)
    assert plans(tmp_path / "pool") == plans(tmp_path / "ray")
    assert len(plans(tmp_path / "ray")) == 3


def killed_mid_solve(shared: tuple[ProvinceShared, str], job: CountyJob) -> CountyResult:
    """The county task, but its first run is killed after its first component is solved."""
    inner, marker_dir = shared
    marker = Path(marker_dir) / job.county
    if not marker.exists():
        marker.touch()
        folder = Path(marker_dir) / f"in-{job.county}"
        folder.mkdir()
        (folder / job.file_name).write_bytes(job.data)
        district = read_district(folder / job.file_name)

        def kill(done: int, _total: int, _outcome: Any) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        solve(district, SolveOptions(workers=1), progress=kill)
    return plan_county(inner, job)


@pytest.mark.parametrize("engine", ["process", "ray"])
def test_a_county_killed_mid_solve_is_planned_again_the_same(
    engine: str, province: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    executor: Executor
    if engine == "ray":
        ray = request.getfixturevalue("ray_cluster")
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        executor = RayExecutor("local")
    else:
        executor = ProcessExecutor(2)
    shared = ProvinceShared(SolveOptions(workers=1), None, tuple(variants_of([], None)), None)
    files = sorted(province.glob("*.xlsx"))
    jobs = [CountyJob(f.stem, f.name, f.read_bytes(), (0,)) for f in files]
    clean = {job.county: plan_county(shared, job) for job in jobs}
    again: list[CountyResult] = []
    executor.run(killed_mid_solve, (shared, str(tmp_path)), jobs, again.append)
    assert len(again) == 3 and all((tmp_path / f.stem).exists() for f in files)
    for result in again:
        row = result.rows[0]
        first = clean[row.county]
        assert (row.status, row.rotations, row.backbone) == (
            first.rows[0].status,
            first.rows[0].rotations,
            first.rows[0].backbone,
        )
        ours, theirs = (json.loads(r.files[0][1]) for r in (result, first))  # type: ignore[index]
        assert ours["rotations"] == theirs["rotations"] and ours["objective"] == theirs["objective"]


def test_scenarios_and_a_sweep_across_counties(province: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "严格.toml"
    scenario.write_text('name = "骨干25%"\n[policy]\nbackbone_share = "25%"\n', "utf-8")
    rows = run_province(
        province,
        tmp_path / "out",
        scenarios=[scenario],
        sweep="min_rotation_ratio=0.10:0.70:0.30",
        workers=2,
    )
    assert len(rows) == 3 * 3
    assert {r.scenario for r in rows} == {
        "骨干25%（min_rotation_ratio=10%）",
        "骨干25%（min_rotation_ratio=40%）",
        "骨干25%（min_rotation_ratio=70%）",
    }
    by_value = {r.scenario[-4:-1]: r for r in rows if r.county == rows[0].county}
    assert by_value["10%"].feasible and not by_value["70%"].feasible
    assert by_value["70%"].conflicts and by_value["70%"].messages
    assert all((r.backbone_share or 0) >= 0.25 for r in rows if r.feasible)
    book = load_workbook(tmp_path / "out" / SUMMARY_NAME)
    assert book.sheetnames == [SUMMARY_SHEET, RATIO_SHEET, TOTALS_SHEET]
    assert book[TOTALS_SHEET].max_row == 4
    names = {p.name for p in (tmp_path / "out").iterdir()}
    county = rows[0].county
    assert f"{county}-严格-min_rotation_ratio-40pct-审批表.xlsx" in names


def test_a_bad_county_is_reported_and_the_others_planned(province: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for f in province.glob("*.xlsx"):
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "坏数据县.xlsx").write_bytes(b"not a workbook")
    (folder / "~$东湖县.xlsx").write_bytes(b"excel's lock file")
    result = runner.invoke(
        app, ["province", str(folder), "-o", str(tmp_path / "out"), "--workers", "2"]
    )
    assert result.exit_code == 1, result.output
    assert "1 个县区数据有误" in result.output
    rows = load_workbook(tmp_path / "out" / SUMMARY_NAME)[SUMMARY_SHEET]
    statuses = [row[10].value for row in rows.iter_rows(min_row=2)]
    assert statuses.count(INPUT_ERROR) == 1 and len(statuses) == 4
    assert len(plans(tmp_path / "out")) == 3


def test_generate_and_plan_a_province_from_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", str(tmp_path / "p"), "--province", "2", "--teachers", "800"]
    )
    assert result.exit_code == 0, result.output
    assert "2 个县区" in result.output and "共 800 名教师" in result.output
    result = runner.invoke(app, ["province", str(tmp_path / "p"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / SUMMARY_NAME).exists()
    too_small = runner.invoke(
        app, ["generate", str(tmp_path / "q"), "--province", "10", "--teachers", "100"]
    )
    assert too_small.exit_code == 1 and "至少需要 3000 名教师" in too_small.output
