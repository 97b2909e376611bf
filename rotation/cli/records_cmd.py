"""`rotation backup` / `rotation restore`: a whole district's records (SPEC §10) in one file,
and back into a database without that district. Registered on the main app by `register`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rotation.cli.common import Force, echo, user_errors
from rotation.exit_codes import EXIT_INPUT

#: What the clerk calls each table, and its counting word.
WORDS = (
    ("school_years", "学年", "个"),
    ("input_snapshots", "上传数据", "份"),
    ("plan_runs", "方案", "个"),
    ("approval_events", "审批记录", "条"),
    ("rotation_history", "交流记录", "条"),
    ("pins", "锁定", "条"),
    ("scenarios", "情景", "个"),
    ("users", "账号", "个"),
    ("audit_log", "操作记录", "条"),
)

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="地址",
        help="记录数据库的地址，如 postgresql://用户@主机/库名 或 sqlite:///路径；与 --data 二选一",
    ),
]
DataFolder = Annotated[
    Path | None,
    typer.Option(
        "--data",
        metavar="文件夹",
        help="网页版的数据文件夹，使用其中的 records.sqlite（默认 rotation-data）",
        show_default=False,
    ),
]


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{max(size // 1000, 1)} KB"


def _counts(rows: dict[str, int]) -> str:
    return "，".join(f"{word} {rows[table]} {unit}" for table, word, unit in WORDS)


@user_errors
def backup(
    district: Annotated[str, typer.Option("--district", metavar="区县", help="要备份的区县名称")],
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="文件", help="备份文件（.zip）")
    ],
    database: Database = None,
    data: DataFolder = None,
    users: Annotated[
        bool, typer.Option("--users/--no-users", help="同时备份全部账号（默认备份）")
    ] = True,
    force: Force = False,
) -> None:
    """备份一个区县的全部记录到一个文件：学年、上传的数据、方案及其审批记录、交流记录、锁定、情景、与该区县有关的操作记录和账号。"""
    from rotation.service.backup import DatabaseUrlError, RecordsError
    from rotation.service.backup import backup as run

    try:
        report = run(output, district, database=database, data=data, users=users, force=force)
    except (RecordsError, DatabaseUrlError) as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    echo(
        f"已备份区县「{report.district}」到 {report.path}（{_size(report.size)}）："
        f"{_counts(report.rows)}。文件含教师个人信息，请妥善保管。"
    )


@user_errors
def restore(
    source: Annotated[
        Path, typer.Argument(metavar="备份文件", help="rotation backup 写出的备份文件（.zip）")
    ],
    database: Database = None,
    data: DataFolder = None,
) -> None:
    """把备份文件恢复到数据库：先核对文件（校验值、格式版本），一次写入全部记录；数据库中已有该区县时拒绝（不覆盖、不合并），已有的同名账号保留不动。"""
    from rotation.service.backup import DatabaseUrlError, RecordsError
    from rotation.service.backup import restore as run

    try:
        report = run(source, database=database, data=data)
    except (RecordsError, DatabaseUrlError) as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    made = report.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    echo(
        f"已恢复区县「{report.district}」（{made} 的备份）到 {report.database}："
        f"{_counts(report.rows)}。"
    )
    for name in report.users_kept:
        echo(f"账号「{name}」在数据库中已存在且与备份中的不同：保留了数据库中的账号，未覆盖。")


KINDS = {"rotation": "交流轮岗", "entrusted": "托管常驻", "return": "期满返回"}


@user_errors
def history(
    teacher_id: Annotated[str, typer.Argument(metavar="教师编号", help="要查询的教师编号")],
    district: Annotated[
        str | None, typer.Option("--district", metavar="区县", help="只查这个区县（可选）")
    ] = None,
    database: Database = None,
    data: DataFolder = None,
) -> None:
    """查询一位教师在已审批方案中的交流经历（交流轮岗、托管常驻、期满返回），按学年排列。"""
    from rotation.service.backup import DatabaseUrlError
    from rotation.service.procedure import history as find
    from rotation.service.store import DataDir, check_url

    if database and data:
        echo("--database 与 --data 只能给出一个", err=True)
        raise typer.Exit(EXIT_INPUT)
    try:
        check_url(database or "")
        folder = DataDir(data or Path("rotation-data"), database or "")
        entries = find(folder, teacher_id, district)
    except (ValueError, DatabaseUrlError) as exc:
        echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    if not entries:
        echo(f"已审批的方案中没有教师「{teacher_id}」的交流记录。")
        return
    echo(f"教师「{teacher_id}」的交流经历（来自已审批的方案）：")
    for e in entries:
        echo(
            f"  {e['district']} {e['plan_year']}学年方案：{KINDS.get(str(e['kind']), e['kind'])} "
            f"{e['from_school_id']} → {e['to_school_id']}，"
            f"{e['start_year']}～{e['end_year']}学年，{e['status']}"
        )


def register(app: typer.Typer) -> None:
    """Add `backup`, `restore` and `history` to the main command."""
    app.command()(backup)
    app.command()(restore)
    app.command()(history)
