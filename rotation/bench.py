"""`rotation bench`: end-to-end timings on generated districts, against the greedy baseline.

Each size runs the whole path a bureau runs — read the workbook, build and solve, write the
approval workbook — with each phase timed, plus the hand-style greedy plan of the same district
in the same process, so that ratios stay meaningful on a noisy machine.
"""

from __future__ import annotations

import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from models.objective import evaluate
from models.plan import SolveOptions
from models.rules import check_plan, violations
from rotation import __version__
from rotation.generate import generate_district
from rotation.reading import read_district
from rotation.report import approval_tables, write_approval_workbook
from rotation.writing import write_district
from solvers.greedy import greedy_plan
from solvers.solve import solve


class BenchRow(BaseModel):
    """One district size's measurements."""

    teachers: int
    groups: int
    eligible: int
    read_s: float
    build_s: float
    solve_s: float
    solve_wall_s: float
    write_s: float
    total_s: float
    status: str
    objective: int | None
    best_bound: int | None
    gap: float | None
    rotations: int
    broken: int
    greedy_s: float
    greedy_objective: int
    greedy_broken: int
    peak_mb: float


def peak_mb() -> float:
    """Peak resident memory of this process and its finished children, MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def bench_size(teachers: int, *, seed: int, structure: str, options: SolveOptions) -> BenchRow:
    """Generate, write, then time read → solve → write for one size, and the greedy baseline."""
    generated = generate_district(teachers=teachers, seed=seed, structure=structure)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "district.xlsx"
        write_district(generated, source)
        start = time.perf_counter()
        district = read_district(source)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        result = solve(district, options)
        solve_wall = time.perf_counter() - start
        start = time.perf_counter()
        checks = check_plan(district, result.plan)
        tables = approval_tables(
            district, result, checks, input_sha256="", scenario="bench", timings={}
        )
        write_approval_workbook(Path(tmp) / "approval.xlsx", tables, force=True)
        write_s = time.perf_counter() - start
    start = time.perf_counter()
    baseline = greedy_plan(district)
    greedy_s = time.perf_counter() - start
    return BenchRow(
        teachers=teachers,
        groups=len(district.groups),
        eligible=len(district.eligible_teachers()),
        read_s=read_s,
        build_s=result.build_seconds,
        solve_s=result.solve_seconds,
        solve_wall_s=solve_wall,
        write_s=write_s,
        total_s=read_s + solve_wall + write_s,
        status=result.status,
        objective=result.objective,
        best_bound=result.best_bound,
        gap=result.gap,
        rotations=len(result.plan.rotations),
        broken=sum(1 for c in checks if not c.ok),
        greedy_s=greedy_s,
        greedy_objective=sum(evaluate(district, baseline).values()),
        greedy_broken=len(violations(district, baseline)),
        peak_mb=peak_mb(),
    )


def run_bench(
    sizes: Iterable[int],
    *,
    seed: int = 1,
    structure: str = "minhang",
    options: SolveOptions | None = None,
    echo: Callable[[str], None] = print,
) -> list[BenchRow]:
    """Every size in ascending order (so the peak memory column grows with the size)."""
    rows = []
    for size in sorted(sizes):
        row = bench_size(size, seed=seed, structure=structure, options=options or SolveOptions())
        rows.append(row)
        echo(table_line(row))
    return rows


TABLE_HEADER = (
    "| teachers | groups | eligible | read s | build s (Σ) | solve s (Σ) | solve wall s | write s | "
    "end-to-end s | status | objective | bound | gap | rotations | rules broken | greedy s | "
    "greedy objective | greedy rules broken | peak MiB |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def table_line(r: BenchRow) -> str:
    """One Markdown table row."""
    gap = "—" if r.gap is None else f"{r.gap:.2%}"
    return (
        f"| {r.teachers:,} | {r.groups} | {r.eligible:,} | {r.read_s:.2f} | {r.build_s:.2f} | {r.solve_s:.2f} | "
        f"{r.solve_wall_s:.2f} | {r.write_s:.2f} | {r.total_s:.2f} | {r.status} | {r.objective} | {r.best_bound} | "
        f"{gap} | {r.rotations} | {r.broken} | {r.greedy_s:.2f} | {r.greedy_objective} | {r.greedy_broken} | "
        f"{r.peak_mb:.0f} |"
    )


def machine_line() -> str:
    """Where the figures were measured."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"rotation {__version__}, Python {platform.python_version()}, {platform.machine()}, {cores} cores"
