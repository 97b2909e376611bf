"""Consecutive school years in memory: plan → check → advance → new hires → plan…

A bureau runs the plan every year; this drives a generated district through `years` of them
under its own rules, as `rotation bench --years N` and the years test do. Each year is planned,
every rule re-checked without the solver, then the district is advanced (retirees leave) and
each retiree is replaced by a new hire of the same school and subject (rotation.samples.hires).
The chain stops at the first year that cannot be planned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from pydantic import BaseModel

from models.advance import advance, retirees
from models.district import District
from models.plan import Conflict, SolveOptions
from models.rules import check_plan
from rotation.samples.generate import generate_district
from rotation.samples.hires import with_hires
from solvers.solve import solve


class YearRow(BaseModel):
    """One planned year of the chain."""

    plan_year: int
    teachers: int
    eligible: int
    status: str
    rotations: int
    backbone: int  # among the new rotations
    returns: int
    retired: int  # leave before next year
    failed_checks: int
    seconds: float  # build and solve, wall clock
    conflicts: tuple[Conflict, ...] = ()


def run_years(
    district: District, years: int, options: SolveOptions, *, seed: int = 1
) -> Iterator[YearRow]:
    """Plan `years` consecutive school years from `district`, one row per year, stopping after
    the first year that is not solved."""
    d = district
    for _ in range(years):
        start = time.perf_counter()
        result = solve(d, options)
        seconds = time.perf_counter() - start
        solved = result.status in ("optimal", "feasible")
        leaving = retirees(d)
        yield YearRow(
            plan_year=d.plan_year,
            teachers=len(d.teachers),
            eligible=len(d.eligible_teachers()),
            status=result.status,
            rotations=len(result.plan.rotations),
            backbone=sum(d.teacher(r.teacher_id).is_backbone for r in result.plan.rotations),
            returns=len(result.plan.returns),
            retired=len(leaving),
            failed_checks=sum(not c.ok for c in check_plan(d, result.plan)) if solved else 0,
            seconds=round(seconds, 2),
            conflicts=result.conflicts,
        )
        if not solved:
            return
        d = with_hires(advance(d, result.plan), leaving, seed)


def year_table(rows: list[YearRow], echo: Callable[[str], None]) -> None:
    """The chain as a Markdown table; each year's time against the first (a one-year plan of
    a freshly generated district of the same size)."""
    echo(
        "| 学年 | 教师 | 符合条件 | 状态 | 新交流 | 其中骨干 | 期满返回 | 退休 | 未通过核查 | 秒 | 与首年之比 |"
    )
    echo("|---|---|---|---|---|---|---|---|---|---|---|")
    first = rows[0].seconds if rows else 0.0
    for r in rows:
        ratio = f"{r.seconds / first:.2f}" if first > 0 else "—"
        echo(
            f"| {r.plan_year} | {r.teachers:,} | {r.eligible:,} | {r.status} | {r.rotations} | "
            f"{r.backbone} | {r.returns} | {r.retired} | {r.failed_checks} | {r.seconds:.2f} | {ratio} |"
        )
    for r in rows:
        for c in r.conflicts:
            echo(f"  {r.plan_year}：{c.message}")


def bench_years(
    sizes: list[int],
    years: int,
    *,
    seed: int,
    structure: str,
    workers: int,
    echo: Callable[[str], None],
) -> None:
    """`rotation bench --years N`: the chain on a generated district of each size, one table
    per size."""
    for size in sizes:
        echo(f"\n{structure} {size:,} 人，种子 {seed}，连续 {years} 学年（默认规则）")
        district = generate_district(teachers=size, seed=seed, structure=structure)
        rows: list[YearRow] = []
        for row in run_years(district, years, SolveOptions(workers=workers), seed=seed):
            rows.append(row)
        year_table(rows, echo)
