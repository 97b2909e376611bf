"""The `rotation` command: a thin typer layer over reading, planning and writing.

Exit codes (SPEC §6): 0 = done, 1 = bad input or usage, 2 = rules cannot all be met.
No traceback ever reaches the user: every known failure is turned into a Chinese message.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from rotation.cli.common import (
    MAX_SECONDS,
    MAX_TEACHERS,
    MAX_YEAR,
    MIN_YEAR,
    Force,
    TimeLimit,
    Workers,
    echo,
    make_app,
    user_errors,
)
from rotation.cli.records_cmd import register as register_records
from rotation.cli.scenario import scenario_app
from rotation.exit_codes import EXIT_INPUT, EXIT_OK, EXIT_RULES

app = make_app(
    "rotation", "教师交流轮岗方案编制工具：读取教育局的数据工作簿，校验、编制并输出审批表。"
)


Year = Annotated[
    int | None,
    typer.Option(
        "--year",
        min=MIN_YEAR,
        max=MAX_YEAR,
        metavar="学年",
        help="编制学年（起始年份，如 2025），覆盖规则表中的 plan_year",
    ),
]


@app.command()
@user_errors
def template(
    out: Annotated[Path, typer.Argument(metavar="文件", help="要生成的空白数据工作簿（.xlsx）")],
    force: Force = False,
) -> None:
    """生成空白数据工作簿模板（含填写说明、下拉选项和默认规则）。"""
    from rotation.service.workbooks import make_template

    make_template(out, force=force)
    echo(f"已生成模板：{out}")


@app.command()
@user_errors
def validate(
    input: Annotated[
        Path, typer.Argument(metavar="数据文件", help="数据工作簿（.xlsx）、CSV 文件夹或 .json")
    ],
    year: Year = None,
) -> None:
    """校验数据工作簿：全部错误一次列出；通过时按集团给出汇总和需要注意的提示。"""
    from rotation.service.workbooks import validate_input

    for line in validate_input(input, year=year):
        echo(line)


@app.command()
@user_errors
def plan(
    input: Annotated[
        Path, typer.Argument(metavar="数据文件", help="数据工作簿（.xlsx）、CSV 文件夹或 .json")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="文件",
            help="审批表（.xlsx），默认与输入同目录的「<输入名>-审批表.xlsx」",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option(
            "--json", metavar="文件", help="方案 JSON，默认与输入同目录的「<输入名>-方案.json」"
        ),
    ] = None,
    year: Year = None,
    time_limit: TimeLimit = 60.0,
    workers: Workers = 0,
    relax: Annotated[
        bool, typer.Option("--relax", help="规则无法同时满足时，仍编制最接近的方案，并标明每处缺口")
    ] = False,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            metavar="文件",
            help="参考方案（方案 JSON 或审批表）：数据变化后重新编制时尽量少改动",
        ),
    ] = None,
    horizon: Annotated[
        int,
        typer.Option(
            "--horizon",
            min=1,
            max=5,
            metavar="学年数",
            help="联合编制的学年数：本学年为正式方案，之后各年为预排",
        ),
    ] = 1,
    force: Force = False,
) -> None:
    """编制下一学年的交流方案，输出审批表和方案 JSON。规则无法同时满足时退出码为 2。"""
    from rotation.cli.messages import report_read, report_result
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.planning import check_plan_targets, plan_input, read_input
    from rotation.service.progress import READING, Step

    output = output or input.with_name(f"{input.stem}-审批表.xlsx")
    json_out = json_out or input.with_name(f"{input.stem}-方案.json")
    check_plan_targets(input, output, json_out, reference, force=force)
    with ProgressDisplay() as show:
        show(Step(READING))
        district, read_seconds = read_input(input, year=year)
        report_read(district, input, echo)
        result = plan_input(
            input,
            district,
            output,
            json_out,
            read_seconds=read_seconds,
            time_limit=time_limit,
            workers=workers,
            force=force,
            echo=echo,
            relax=relax,
            reference=reference,
            horizon=horizon,
            report=show,
        )
    raise typer.Exit(report_result(result, output, json_out, echo, district))


@app.command()
@user_errors
def check(
    input: Annotated[
        Path, typer.Argument(metavar="数据文件", help="数据工作簿（.xlsx）、CSV 文件夹或 .json")
    ],
    plan_file: Annotated[
        Path, typer.Argument(metavar="方案文件", help="方案 JSON 或审批表（.xlsx）")
    ],
    year: Year = None,
) -> None:
    """只用文件（不调用求解器）重新核查方案是否符合全部规则：符合退出码 0，否则 2。"""
    from rotation.cli.messages import report_check
    from rotation.service.checking import check_plan_file

    checked = check_plan_file(input, plan_file, year=year)
    if checked.plan_id is not None:
        echo(f"方案编号（plan_id）：{checked.plan_id}")
    else:
        echo("方案文件未记录方案编号（plan_id）：可能由旧版本生成，或审批表的「汇总」表已删改。")
    if checked.checks is None:
        echo(
            f"方案的学年（{checked.plan.plan_year}）与数据的编制学年（{checked.district.plan_year}）不一致",
            err=True,
        )
        raise typer.Exit(EXIT_RULES)
    raise typer.Exit(
        report_check(checked.checks, len(checked.plan.rotations), echo, checked.mismatches)
    )


@app.command()
@user_errors
def explain(
    input: Annotated[
        Path, typer.Argument(metavar="数据文件", help="数据工作簿（.xlsx）、CSV 文件夹或 .json")
    ],
    year: Year = None,
    workers: Workers = 0,
) -> None:
    """说明规则能否同时满足：不能时列出相互冲突的最少规则（含具体人数）；能时说明资历优先的例外。"""
    from rotation.cli.messages import report_explanation
    from rotation.service.checking import explain_input

    explanation = explain_input(input, year=year, workers=workers)
    raise typer.Exit(report_explanation(explanation, echo))


@app.command()
@user_errors
def advance(
    input: Annotated[
        Path,
        typer.Argument(metavar="数据文件", help="本学年的数据工作簿（.xlsx）、CSV 文件夹或 .json"),
    ],
    plan_file: Annotated[
        Path, typer.Argument(metavar="方案文件", help="本学年已批准的方案 JSON 或审批表")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", metavar="文件", help="下一学年的数据工作簿（.xlsx、.json 或文件夹）"
        ),
    ],
    year: Year = None,
    force: Force = False,
) -> None:
    """由本学年数据和已批准方案生成下一学年的数据：新交流转为在岗交流，期满者返回原校，年限加一年。"""
    from rotation.service.advancing import check_advance_targets, read_approved, write_next_year

    check_advance_targets(input, plan_file, output, force=force)
    approved = read_approved(input, plan_file, year=year)
    if approved.broken:
        echo(
            f"提示：该方案有 {approved.broken} 项规则核查未通过（可用 rotation check 查看），仍按已批准方案结转。",
            err=True,
        )
    following = write_next_year(approved, output, force=force)
    returning = sum(1 for o in following.ongoing if o.end_year < following.plan_year)
    retired = len(approved.district.teachers) - len(following.teachers)
    basis = f"（依据方案 {approved.plan_id}）" if approved.plan_id else ""
    echo(
        f"已生成 {following.plan_year} 学年数据{basis}：{output}。在岗交流 {len(following.ongoing)} 人"
        f"（其中本学年期满返回 {returning} 人），需求 {len(following.demand)} 条；"
        f"到 {following.plan_year} 学年退休的 {retired} 名教师已删除；"
        "锁定已清空，请补入新进教师（本校连续任教年限填 0），核对暂缓交流、需求和人员变动后再编制。"
    )


class Structure(StrEnum):
    """Bundled group structures for synthetic districts."""

    GANZHOU = "ganzhou"
    MINHANG = "minhang"


@app.command()
@user_errors
def generate(
    out: Annotated[
        Path, typer.Argument(metavar="输出", help="输出：.xlsx、.json，或一个文件夹（写 CSV）")
    ],
    teachers: Annotated[
        int, typer.Option("--teachers", min=10, max=MAX_TEACHERS, metavar="人数", help="教师人数")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子：相同种子生成相同数据")] = 1,
    structure: Annotated[
        Structure, typer.Option("--structure", help="集团结构：ganzhou（甘州区真实结构）或 minhang")
    ] = Structure.MINHANG,
    year: Annotated[
        int, typer.Option("--year", min=MIN_YEAR, max=MAX_YEAR, metavar="学年", help="编制学年")
    ] = 2025,
    itinerant: Annotated[
        bool,
        typer.Option(
            "--itinerant/--no-itinerant", help="在小规模学校和薄弱学校生成走教需求（默认生成）"
        ),
    ] = True,
    province: Annotated[
        int | None,
        typer.Option(
            "--province",
            min=1,
            max=1000,
            metavar="县区数",
            help="生成一个省：输出为文件夹，写出这么多个县区的数据工作簿，规模各异，"
            "教师总数为 --teachers",
        ),
    ] = None,
    workers: Workers = 0,
    force: Force = False,
) -> None:
    """生成模拟区县数据（用于演示和测试，真实教师数据不公开）；加 --province 生成多个县区。"""
    if province is not None:
        _generate_province(out, province, teachers, seed, year, workers, force)
        return
    from rotation.service.workbooks import generate_sample

    district = generate_sample(
        out,
        teachers=teachers,
        seed=seed,
        structure=structure.value,
        year=year,
        force=force,
        itinerant=itinerant,
    )
    eligible = len(district.eligible_teachers())
    rows = district.itinerant_demand
    extra = (
        f"，走教需求 {len(rows)} 条（每周共 {sum(r.periods for r in rows)} 课时）" if rows else ""
    )
    echo(
        f"已生成 {out}：{len(district.groups)} 个集团，{len(district.schools)} 所学校，"
        f"{len(district.teachers)} 名教师（符合交流条件 {eligible} 名）{extra}"
    )


def _generate_province(
    out: Path, counties: int, teachers: int, seed: int, year: int, workers: int, force: bool
) -> None:
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.province import generate_province

    with ProgressDisplay() as show:
        made = generate_province(
            out,
            counties=counties,
            teachers=teachers,
            seed=seed,
            year=year,
            workers=workers,
            force=force,
            report=show,
        )
    sizes = sorted(c.teachers for c in made)
    echo(
        f"已在 {out} 生成 {len(made)} 个县区的数据工作簿：共 {sum(sizes)} 名教师"
        f"（符合交流条件 {sum(c.eligible for c in made)} 名），"
        f"每县 {sizes[0]}–{sizes[-1]} 名，中位数 {sizes[len(sizes) // 2]} 名"
    )


@app.command()
@user_errors
def province(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="文件夹", help="各县区的数据工作簿（.xlsx 或 .json，每个文件一个县区）"
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out-dir",
            metavar="文件夹",
            help="输出文件夹：省汇总.xlsx，以及每个县区的审批表和方案 JSON",
        ),
    ] = Path("output/province"),
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="local|auto|地址",
            help="在 Ray 集群上编制：local 在本机启动，auto 连接环境变量 RAY_ADDRESS 所指的集群，"
            "或直接给出集群地址；不加则用本机进程池",
        ),
    ] = None,
    scenario: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="情景文件",
            help="情景文件（.toml，可重复）：其规则改动用于每个县区（[base] 可省略，按各县区数据）",
        ),
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            metavar="参数=起:止:步长",
            help="参数扫描，如 min_rotation_ratio=0.10:0.15:0.05：每个县区每个取值编制一次",
        ),
    ] = None,
    year: Year = None,
    workers: Workers = 0,
    time_limit: TimeLimit = 60.0,
    force: Force = False,
) -> None:
    """编制全省（多个县区）方案：本机进程池或 Ray 集群并行，写出省汇总.xlsx 和各县区审批表。"""
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.province import INPUT_ERROR, SUMMARY_NAME, run_province

    with ProgressDisplay() as show:
        rows = run_province(
            folder,
            out_dir,
            scenarios=scenario or [],
            sweep=sweep,
            year=year,
            time_limit=time_limit,
            workers=workers,
            ray=ray,
            force=force,
            echo=echo,
            report=show,
        )
    counties = len({r.county for r in rows})
    echo(f"已写出 {out_dir / SUMMARY_NAME}：{counties} 个县区、{len(rows)} 个方案")
    bad = sorted({r.district for r in rows if r.status == INPUT_ERROR})
    if bad:
        echo(f"{len(bad)} 个县区数据有误，未编制：{'、'.join(bad)}", err=True)
        raise typer.Exit(EXIT_INPUT)
    failed = [r for r in rows if not r.feasible and sweep is None]
    if failed:
        names = "、".join(sorted({r.district for r in failed}))
        echo(f"{len(failed)} 个方案的规则无法同时满足：{names}（说明见其审批表）", err=True)
        raise typer.Exit(EXIT_RULES)


@app.command()
@user_errors
def demo(
    out_dir: Annotated[Path, typer.Option("--out-dir", metavar="文件夹", help="输出文件夹")] = Path(
        "output"
    ),
) -> None:
    """演示：生成两个内置示例区县（甘州区真实集团结构、闵行区式），编制方案并输出审批表。"""
    from rotation.cli.progress import ProgressDisplay
    from rotation.service.demo import run_demo

    with ProgressDisplay() as show:
        lines, clean = run_demo(out_dir, report=show)
    for line in lines:
        echo(line)
    if not clean:
        raise typer.Exit(EXIT_RULES)


app.add_typer(scenario_app, name="scenario")  # help: scenario_app's own


DataFolder = Annotated[
    Path,
    typer.Option(
        "--data", metavar="文件夹", help="网页版的数据文件夹（上传的数据、方案、账号、操作记录）"
    ),
]

Database = Annotated[
    str,
    typer.Option(
        "--database",
        metavar="URL",
        help="记录数据库；默认为数据文件夹中的 SQLite 文件 records.sqlite，"
        "也可为 PostgreSQL 服务器，如 postgresql://用户@主机/库名",
    ),
]


def data_dir(data: Path, database: str) -> Any:
    """The web application's data folder and records database (a URL the records cannot use
    is a usage error, said in Chinese)."""
    from rotation.service.store import DataDir, check_url

    try:
        check_url(database)
    except ValueError as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    return DataDir(data, database)


@app.command()
@user_errors
def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听地址；本机以外的地址（如 0.0.0.0）须登录")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    data: DataFolder = Path("rotation-data"),
    login: Annotated[bool, typer.Option("--login", help="本机使用也要求登录")] = False,
    samples: Annotated[
        bool, typer.Option("--samples", help="数据文件夹为空时载入并编制两个内置示例区县")
    ] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="不自动打开浏览器")] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=64, help="同时编制的方案数")] = 1,
    workers: Workers = 0,
    database: Database = "",
) -> None:
    """网页版：在浏览器中上传数据、检查、编制、审阅并下载审批表（默认 http://127.0.0.1:8000/）。"""
    from rotation.web.app import WebSettings
    from rotation.web.server import NoAccounts
    from rotation.web.server import serve as run

    data_dir(data, database)
    settings = WebSettings(
        data=data, slots=jobs, workers=workers, samples=samples, database=database
    )
    try:
        run(settings, host=host, port=port, open_browser=not no_browser, login=login)
    except NoAccounts as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None


user_app = make_app("user", "网页版的账号：创建、重设密码、列出。")
app.add_typer(user_app, name="user")
register_records(app)  # backup, restore, history

Roles = Annotated[
    list[str] | None,
    typer.Option("--role", help="角色：经办人、审核人、审批人、管理员（可多次给出）；默认 经办人"),
]


@user_app.command("add")
@user_errors
def user_add(
    name: Annotated[str, typer.Argument(metavar="用户名", help="登录用的用户名")],
    role: Roles = None,
    data: DataFolder = Path("rotation-data"),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码（供脚本使用）")
    ] = False,
    reset: Annotated[bool, typer.Option("--reset", help="用户已存在时重设其密码和角色")] = False,
    database: Database = "",
) -> None:
    """创建网页版账号（密码以 argon2 散列保存，不保存明文）。"""
    from rotation.service.accounts import AccountError, Accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        user = Accounts(data_dir(data, database)).add(
            name, password, role or ["经办人"], replace=reset
        )
    except AccountError as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    echo(f"已创建账号「{user.name}」，角色：{'、'.join(user.roles)}（数据文件夹 {data}）")


@user_app.command("list")
@user_errors
def user_list(data: DataFolder = Path("rotation-data"), database: Database = "") -> None:
    """列出网页版的账号和角色。"""
    from rotation.service.accounts import Accounts

    for name, roles in Accounts(data_dir(data, database)).names():
        echo(f"{name}：{'、'.join(roles)}")


@app.command()
@user_errors
def simulate(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="数据或情景文件",
            help="数据工作簿（.xlsx）、CSV 文件夹或 .json（按其规则表），或情景文件（.toml），可给多个",
            show_default=False,
        ),
    ],
    years: Annotated[
        int, typer.Option("--years", min=1, max=30, metavar="学年数", help="模拟的学年数")
    ] = 5,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="文件", help="政策模拟工作簿（.xlsx）")
    ] = Path("政策模拟.xlsx"),
    year: Year = None,
    seed: Annotated[
        int,
        typer.Option("--seed", metavar="整数", help="新入职教师的随机种子：相同种子得到相同结果"),
    ] = 1,
    teachers: Annotated[
        int | None,
        typer.Option(
            "--teachers",
            min=10,
            max=MAX_TEACHERS,
            metavar="人数",
            help="只对情景的示例数据（generate）有效：按此教师人数生成",
        ),
    ] = None,
    workers: Workers = 0,
    time_limit: TimeLimit = 60.0,
    force: Force = False,
) -> None:
    """政策模拟：按各情景的规则逐年编制方案并结转（退休离岗、新教师入职），写出逐年指标和趋势图。某学年规则无法满足时该情景停止，退出码为 2。"""
    from rotation.service.simulate import simulate_files

    simulations = simulate_files(
        inputs,
        output,
        years=years,
        year=year,
        teachers=teachers,
        seed=seed,
        time_limit=time_limit,
        processes=workers,
        force=force,
        echo=echo,
    )
    echo(f"已写出政策模拟：{output}（{len(simulations)} 个情景，各 {years} 个学年）")
    for s in simulations:
        echo(f"  {s.name}：{s.conclusion}")
    failed = [s for s in simulations if s.failed is not None]
    if failed:
        names = "、".join(s.name for s in failed)
        echo(f"{len(failed)} 个情景在模拟期内出现规则无法同时满足的学年：{names}", err=True)
        raise typer.Exit(EXIT_RULES)


@app.command()
@user_errors
def bench(
    sizes: Annotated[
        str, typer.Option("--sizes", metavar="人数,人数", help="教师人数，逗号分隔")
    ] = "10000,50000",
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = 1,
    structure: Annotated[
        Structure, typer.Option("--structure", help="集团结构")
    ] = Structure.MINHANG,
    workers: Workers = 0,
    peer: Annotated[
        bool,
        typer.Option(
            "--peer/--no-peer", help="同时用 HiGHS 求解同一模型（逐集团、整体各一次）作对照"
        ),
    ] = True,
    monolithic_max: Annotated[
        int,
        typer.Option(
            "--monolithic-max",
            min=0,
            max=MAX_TEACHERS,
            metavar="人数",
            help="HiGHS 整体模型只在不超过此人数的规模上运行",
        ),
    ] = 100_000,
    peer_time_limit: Annotated[
        float,
        typer.Option(
            "--peer-time-limit",
            min=1,
            max=MAX_SECONDS,
            metavar="秒",
            help="HiGHS 整体模型的时间上限（秒）",
        ),
    ] = 120.0,
    isolate: Annotated[
        bool,
        typer.Option("--isolate/--no-isolate", help="每个规模在新进程中测量（峰值内存按规模计）"),
    ] = True,
    sat_param: Annotated[
        list[str] | None,
        typer.Option(
            "--sat-param",
            metavar="参数=值",
            help="试验用的 CP-SAT 参数，如 cp_model_presolve=false（可重复）",
        ),
    ] = None,
    years: Annotated[
        int,
        typer.Option(
            "--years",
            min=0,
            help="连续编制的学年数：每个规模逐年编制→核查→进入下一学年（退休离开、新教师补入）",
        ),
    ] = 0,
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help="测网页版：启动 rotation serve，上传→编制→结果页与命令行对比，并发访问结果页，"
            "连续编制时服务器内存",
        ),
    ] = False,
    rounds: Annotated[
        int, typer.Option("--rounds", min=0, max=100, help="--web：命令行与网页端到端对比的轮数")
    ] = 1,
    clients: Annotated[
        int, typer.Option("--clients", min=0, max=200, help="--web：并发访问结果页的客户端数")
    ] = 20,
    requests: Annotated[
        int, typer.Option("--requests", min=0, max=10_000, help="--web：每个客户端的请求数")
    ] = 50,
    think: Annotated[
        float,
        typer.Option(
            "--think",
            min=0,
            max=60,
            help="--web：每个客户端两次请求之间的平均间隔（秒），0 为连续请求",
        ),
    ] = 0.0,
    plans: Annotated[
        int,
        typer.Option("--plans", min=0, max=1000, help="--web：同一上传连续编制的次数（测内存）"),
    ] = 0,
    province: Annotated[
        Path | None,
        typer.Option(
            "--province",
            metavar="文件夹",
            help="测全省：分别在本机进程池和本机 Ray 集群上编制此文件夹中的各县区，"
            "计时并测峰值内存，再测每个任务的开销",
        ),
    ] = None,
    engines: Annotated[
        str, typer.Option("--engines", metavar="引擎", help="--province：pool、ray，逗号分隔")
    ] = "pool,ray",
    province_sweep: Annotated[
        str | None,
        typer.Option("--province-sweep", metavar="参数=起:止:步长", help="--province：参数扫描"),
    ] = None,
) -> None:
    """性能测试：在模拟区县上计时（读取、建模、求解、写审批表），与手工式贪心方案及 HiGHS 对照。"""
    from models.plan import SolveOptions
    from rotation.bench.run import machine_line, run_bench

    numbers, overrides = _bench_arguments(sizes, sat_param)
    echo(machine_line() + "".join(f"; {k}={v}" for k, v in overrides.items()))
    if province is not None:
        from rotation.bench.province import bench_province

        bench_province(
            province,
            Path("output/bench-province"),
            engines=tuple(e.strip() for e in engines.split(",") if e.strip()),
            sweep=province_sweep,
            echo=echo,
        )
        return
    if web:
        from rotation.bench.web import run_web_bench

        run_web_bench(
            numbers,
            seed=seed,
            structure=structure.value,
            workers=workers,
            rounds=rounds,
            clients=clients,
            requests=requests,
            think=think,
            plans=plans,
            echo=echo,
        )
        return
    if years:
        from rotation.bench.years import bench_years

        bench_years(
            numbers, years, seed=seed, structure=structure.value, workers=workers, echo=echo
        )
        return
    run_bench(
        numbers,
        seed=seed,
        structure=structure.value,
        options=SolveOptions(workers=workers),
        peer=peer,
        monolithic_max=monolithic_max,
        peer_time_limit=peer_time_limit,
        isolate=isolate,
        sat_params=overrides,
        echo=echo,
    )


def _bench_arguments(sizes: str, sat_param: list[str] | None) -> tuple[list[int], dict[str, str]]:
    """`bench`'s sizes and CP-SAT overrides, or a usage error (exit 1)."""
    from rotation.bench.run import parse_sat_param

    try:
        numbers = [int(s) for s in sizes.replace("，", ",").split(",") if s.strip()]
    except ValueError:
        echo(f"--sizes 应为逗号分隔的整数：{sizes}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    try:
        overrides = dict(parse_sat_param(p) for p in sat_param or [])
    except ValueError as exc:
        echo(f"--sat-param：{exc}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    if not numbers or min(numbers) < 1 or max(numbers) > MAX_TEACHERS:
        echo(f"--sizes 应为 1 到 {MAX_TEACHERS} 之间的整数：{sizes}", err=True)
        raise typer.Exit(EXIT_INPUT)
    return numbers, overrides


def main() -> None:
    """Console entry point: usage mistakes (a missing argument, an unknown option) exit 1 as
    SPEC §6 says, not the 2 typer would use, which means "rules cannot all be met" here."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        sys.exit(EXIT_INPUT)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
