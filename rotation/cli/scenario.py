"""`rotation scenario …`: run what-if scenario files and compare their plans side by side.

Exit codes as everywhere (SPEC §6): 0 = done, 1 = a bad scenario file or usage (nothing is run),
2 = a scenario's rules cannot all be met (everything else is still written). The values of a
``--sweep`` beyond the point where the rules stop being satisfiable are its result, not a
failure: a sweep exits 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rotation.cli.common import (
    MAX_TEACHERS,
    Force,
    TimeLimit,
    Workers,
    echo,
    make_app,
    user_errors,
)
from rotation.exit_codes import EXIT_RULES

scenario_app = make_app(
    "scenario", "情景方案：按情景文件（.toml）改动规则参数或数据，编制并并排比较各方案。"
)


Files = Annotated[
    list[Path],
    typer.Argument(
        metavar="情景文件",
        help="情景文件（.toml），可给多个，如 scenarios/*.toml",
        show_default=False,
    ),
]
Teachers = Annotated[
    int | None,
    typer.Option(
        "--teachers",
        min=10,
        max=MAX_TEACHERS,
        metavar="人数",
        help="只对示例数据（generate）有效：按此教师人数生成，用于快速试算",
    ),
]


@scenario_app.command("validate")
@user_errors
def validate(files: Files, teachers: Teachers = None) -> None:
    """只检查情景文件（不编制）：列出每个文件的全部错误，或每个情景的基础数据和改动。"""
    from rotation.service.scenarios import check_scenarios

    for s in check_scenarios(files, teachers=teachers):
        d = s.district
        echo(f"{s.path}：{s.name}")
        echo(
            f"  {s.base_label}；{len(d.groups)} 个集团、{len(d.schools)} 所学校、"
            f"{len(d.teachers)} 名教师，符合交流条件 {len(d.eligible_teachers())} 名"
        )
        for change in s.changes or ("（无改动：按基础数据及其规则编制）",):
            echo(f"  - {change}")


@scenario_app.command("run")
@user_errors
def run(
    files: Files,
    out_dir: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out-dir",
            metavar="文件夹",
            help="输出文件夹：每个情景的数据、审批表和方案 JSON",
        ),
    ] = Path("output/scenarios"),
    workers: Workers = 0,
    time_limit: TimeLimit = 60.0,
    teachers: Teachers = None,
    force: Force = False,
) -> None:
    """编制每个情景的方案：写出其数据工作簿、审批表和方案 JSON（可用 rotation check 复核）。"""
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.scenarios import run_scenario_files

    with ProgressDisplay() as show:
        outcomes = run_scenario_files(
            files,
            out_dir=out_dir,
            time_limit=time_limit,
            processes=workers,
            teachers=teachers,
            force=force,
            echo=echo,
            report=show,
        )
    for o in outcomes:
        echo(f"{o.name}：{o.status_text}" + (f"，新交流 {o.rotations} 人" if o.feasible else ""))
        for path in o.files:
            echo(f"  {path}")
        for message in o.conflicts[:5]:
            echo(f"  冲突：{message}", err=True)
    failed = [o for o in outcomes if not o.feasible]
    if failed:
        names = "、".join(o.name for o in failed)
        echo(
            f"{len(failed)} 个情景的规则无法同时满足：{names}（说明见其审批表的不可行说明）",
            err=True,
        )
        raise typer.Exit(EXIT_RULES)


@scenario_app.command("compare")
@user_errors
def compare(
    files: Files,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="文件", help="方案对比工作簿（.xlsx）")
    ] = Path("方案对比.xlsx"),
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            metavar="参数=起:止:步长",
            help="参数扫描：参数=起:止:步长（含止值），如 min_rotation_ratio=0.10:0.20:0.02，"
            "对每个情景生成一组方案，找出规则从哪个取值起无法同时满足",
        ),
    ] = None,
    plans: Annotated[
        Path | None,
        typer.Option(
            "--plans", metavar="文件夹", help="同时把每个方案的数据、审批表和方案 JSON 写到此文件夹"
        ),
    ] = None,
    workers: Workers = 0,
    time_limit: TimeLimit = 60.0,
    teachers: Teachers = None,
    force: Force = False,
) -> None:
    """编制各情景的方案并写出方案对比工作簿：每个情景一列的指标、各集团交流人数柱状图、与第一个情景的逐人差异。"""
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.scenarios import compare_scenarios

    with ProgressDisplay() as show:
        outcomes, summaries = compare_scenarios(
            files,
            output,
            sweep=sweep,
            plans=plans,
            time_limit=time_limit,
            processes=workers,
            teachers=teachers,
            force=force,
            echo=echo,
            report=show,
        )
    echo(f"已写出方案对比：{output}（{len(outcomes)} 个方案）")
    for s in summaries:
        echo(f"  {s.name}：{s.conclusion}")
    failed = [o for o in outcomes if not o.feasible and o.sweep is None]
    if failed:
        names = "、".join(o.name for o in failed)
        echo(f"{len(failed)} 个情景的规则无法同时满足：{names}", err=True)
        raise typer.Exit(EXIT_RULES)
