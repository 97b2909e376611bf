"""`rotation bench`: end-to-end timings on generated districts, against the greedy baseline and a
MIP peer (HiGHS on the very same models), so that ratios stay meaningful on a noisy machine.

Each size runs the path a bureau runs — read the workbook, build and solve, check the plan and
write the approval workbook and the plan JSON — with each phase timed, in a fresh Python
process (so that its peak memory is that size's own). The same process then times the
hand-style greedy plan and, unless switched off, HiGHS: once per component over the same process
pool as ours (one thread per model) and once on the whole district as one monolithic model.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model
from pydantic import BaseModel

from models.objective import evaluate
from models.plan import SolveOptions
from models.rules import violations
from rotation import __version__
from rotation.formats.reading import read_district
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.planning import plan_district
from solvers.components import components
from solvers.greedy import greedy_plan
from solvers.highs import monolithic as highs_monolithic
from solvers.highs import per_component
from solvers.parallel import worker_count
from solvers.sat import Purpose


class PeerRow(BaseModel):
    """HiGHS on the same instance: per component (same pool as ours) and monolithic."""

    per_group_status: str
    per_group_objective: int | None
    per_group_build_s: float
    per_group_translate_s: float
    per_group_solve_s: float
    per_group_wall_s: float
    #: CPU seconds of the pool's workers (build, translate, solve), whatever else the machine ran.
    per_group_workers_cpu_s: float | None = None
    monolithic_status: str | None = None  # None: not run at this size
    monolithic_objective: int | None = None
    monolithic_build_s: float | None = None
    monolithic_translate_s: float | None = None
    monolithic_solve_s: float | None = None
    monolithic_limit_s: float | None = None


class BenchRow(BaseModel):
    """One district size's measurements."""

    teachers: int
    groups: int
    components: int
    eligible: int
    workers: int
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
    peak_mb: float
    worker_peak_mb: float
    greedy_s: float
    greedy_objective: int
    greedy_broken: int
    peer: PeerRow | None = None
    #: CPU seconds (not elapsed): of reading; of the main process while planning (ranks, merging,
    #: checks, 审批表, JSON); of the pool's workers (building and solving; 0 without a pool).
    read_cpu_s: float | None = None
    plan_main_cpu_s: float | None = None
    workers_cpu_s: float | None = None

    @property
    def ratio_cpu(self) -> float | None:
        """Our workers' CPU seconds over HiGHS per group's (both build; HiGHS also translates):
        the per-group comparison that other jobs on the machine do not skew."""
        if self.peer is None or not self.peer.per_group_workers_cpu_s or not self.workers_cpu_s:
            return None
        return self.workers_cpu_s / self.peer.per_group_workers_cpu_s

    @property
    def ratio_per_group(self) -> float | None:
        """Our Σ CP-SAT solve seconds over HiGHS's Σ per-group solve seconds."""
        if self.peer is None or not self.peer.per_group_solve_s:
            return None
        return self.solve_s / self.peer.per_group_solve_s

    @property
    def ratio_wall(self) -> float | None:
        """Our solve() wall over HiGHS per-group pool wall (both build their models)."""
        if self.peer is None or not self.peer.per_group_wall_s:
            return None
        return self.solve_wall_s / self.peer.per_group_wall_s

    @property
    def ratio_monolithic(self) -> float | None:
        """Our solve() wall over HiGHS's monolithic solve time (1 thread)."""
        if self.peer is None or not self.peer.monolithic_solve_s:
            return None
        return self.solve_wall_s / self.peer.monolithic_solve_s


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the pool's workers, once shut down)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process, and of its largest finished child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints its banner from C++ whatever it is told)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def measure(
    source: Path,
    *,
    options: SolveOptions,
    peer: bool = True,
    monolithic: bool = True,
    peer_time_limit: float = 120.0,
    sat_params: dict[str, str] | None = None,
) -> BenchRow:
    """Time read → plan (build, solve, check, approval workbook, JSON) on one workbook, then
    the greedy baseline and the HiGHS peers on the same district."""
    with sat_overrides(sat_params or {}):
        return _measure(source, options, peer, monolithic, peer_time_limit)


def _measure(
    source: Path, options: SolveOptions, peer: bool, monolithic: bool, peer_time_limit: float
) -> BenchRow:
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        district = read_district(source)
        read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu, workers_cpu = time.perf_counter(), time.process_time(), children_cpu()
        result = plan_district(
            district,
            Path(tmp) / "approval.xlsx",
            Path(tmp) / "plan.json",
            options=options,
            sha256="",
            read_seconds=read_s,
        )
        plan_s, plan_cpu = time.perf_counter() - start, time.process_time() - cpu
        workers_cpu = children_cpu() - workers_cpu
    own, workers = peak_mb()  # before the baseline and the peers add their own
    start = time.perf_counter()
    baseline = greedy_plan(district)
    greedy_s = time.perf_counter() - start
    checks = violations(district, result.plan)
    peer_row = None
    if peer:
        with quiet_stdout():
            peer_cpu = children_cpu()
            run = per_component(
                district,
                workers=options.workers,
                time_limit=options.time_limit,
                method=options.start_method,
            )
            peer_row = PeerRow(
                per_group_status=run.status,
                per_group_objective=run.objective,
                per_group_build_s=run.total("build_seconds"),
                per_group_translate_s=run.total("translate_seconds"),
                per_group_solve_s=run.total("solve_seconds"),
                per_group_wall_s=run.wall_seconds,
                per_group_workers_cpu_s=children_cpu() - peer_cpu,
            )
            if monolithic:
                whole = highs_monolithic(district, time_limit=peer_time_limit)
                peer_row = peer_row.model_copy(
                    update={
                        "monolithic_status": whole.status,
                        "monolithic_objective": whole.objective,
                        "monolithic_build_s": whole.build_seconds,
                        "monolithic_translate_s": whole.translate_seconds,
                        "monolithic_solve_s": whole.solve_seconds,
                        "monolithic_limit_s": peer_time_limit,
                    }
                )
    parts = len(components(district))
    return BenchRow(
        teachers=len(district.teachers),
        groups=len(district.groups),
        components=parts,
        eligible=len(district.eligible_teachers()),
        workers=worker_count(options.workers, parts),
        read_s=read_s,
        build_s=result.build_seconds,
        solve_s=result.solve_seconds,
        solve_wall_s=result.wall_seconds,
        write_s=plan_s - result.wall_seconds,
        total_s=read_s + plan_s,
        status=result.status,
        objective=result.objective,
        best_bound=result.best_bound,
        gap=result.gap,
        rotations=len(result.plan.rotations),
        broken=len(checks),
        peak_mb=own,
        worker_peak_mb=workers,
        greedy_s=greedy_s,
        greedy_objective=sum(evaluate(district, baseline).values()),
        greedy_broken=len(violations(district, baseline)),
        peer=peer_row,
        read_cpu_s=read_cpu,
        plan_main_cpu_s=plan_cpu,
        workers_cpu_s=workers_cpu,
    )


def parse_sat_param(text: str) -> tuple[str, str]:
    """KEY=VALUE of a CP-SAT parameter (checked against SatParameters); raises ValueError."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise ValueError(f"应为 参数=值：{text}")
    _set_sat_param(cp_model.CpSolver().parameters, key, value)
    return key, value


def _set_sat_param(params: Any, key: str, value: str) -> None:
    if not hasattr(params, key):
        raise ValueError(f"CP-SAT 没有参数 {key}")
    current = getattr(params, key)
    parsed: Any
    if isinstance(current, bool):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{key} 应为 true 或 false：{value}")
        parsed = value.lower() in ("true", "1")
    elif isinstance(current, int | float):
        parsed = type(current)(value)
    else:
        members = getattr(type(current), "__members__", {})
        if value not in members:
            raise ValueError(f"{key} 可选：{', '.join(members)}")
        parsed = members[value]
    setattr(params, key, parsed)


@contextlib.contextmanager
def sat_overrides(params: dict[str, str]) -> Iterator[None]:
    """Measure CP-SAT parameters other than the product's (`--sat-param`): every solver that
    `solve()` creates, in this process and in its forked workers, gets them on top."""
    if not params:
        yield
        return
    import solvers.sat
    import solvers.solve

    # solve() makes its solvers in solvers.solve (a district already lost) and in
    # solvers.sat (both stages of solve_to_optimality): each module's name is replaced
    namespaces = [vars(solvers.solve), vars(solvers.sat)]
    original = solvers.sat.sat_parameters

    def configured(options: SolveOptions, purpose: Purpose = "plan") -> cp_model.CpSolver:
        solver: cp_model.CpSolver = original(options, purpose)
        for key, value in params.items():
            _set_sat_param(solver.parameters, key, value)
        return solver

    for namespace in namespaces:
        namespace["sat_parameters"] = configured
    try:
        yield
    finally:
        for namespace in namespaces:
            namespace["sat_parameters"] = original


def _child() -> None:
    """Entry of the fresh process that measures one size: arguments and result as JSON files."""
    args = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    row = measure(
        Path(args["source"]),
        options=SolveOptions.model_validate(args["options"]),
        peer=args["peer"],
        monolithic=args["monolithic"],
        peer_time_limit=args["peer_time_limit"],
        sat_params=args["sat_params"],
    )
    Path(args["result"]).write_text(row.model_dump_json(), encoding="utf-8")


def bench_size(
    teachers: int,
    *,
    seed: int,
    structure: str,
    options: SolveOptions,
    peer: bool = True,
    monolithic: bool = True,
    peer_time_limit: float = 120.0,
    isolate: bool = True,
    sat_params: dict[str, str] | None = None,
) -> BenchRow:
    """Generate and export one district, then measure it (in a fresh process when isolated)."""
    generated = generate_district(teachers=teachers, seed=seed, structure=structure)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "district.xlsx"
        write_district(generated, source)
        del generated
        if not isolate:
            return measure(
                source,
                options=options,
                peer=peer,
                monolithic=monolithic,
                peer_time_limit=peer_time_limit,
                sat_params=sat_params,
            )
        args = Path(tmp) / "args.json"
        result = Path(tmp) / "row.json"
        args.write_text(
            json.dumps(
                {
                    "source": str(source),
                    "options": options.model_dump(mode="json"),
                    "peer": peer,
                    "monolithic": monolithic,
                    "peer_time_limit": peer_time_limit,
                    "sat_params": sat_params or {},
                    "result": str(result),
                }
            ),
            encoding="utf-8",
        )
        code = "from rotation.bench.run import _child; _child()"
        subprocess.run(
            [sys.executable, "-c", code, str(args)], check=True, stdout=subprocess.DEVNULL
        )
        return BenchRow.model_validate_json(result.read_text(encoding="utf-8"))


def run_bench(
    sizes: Iterable[int],
    *,
    seed: int = 1,
    structure: str = "minhang",
    options: SolveOptions | None = None,
    peer: bool = True,
    monolithic_max: int = 100_000,
    peer_time_limit: float = 120.0,
    isolate: bool = True,
    sat_params: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
) -> list[BenchRow]:
    """Every size in ascending order; both tables are printed once all sizes are done."""
    rows = []
    for size in sorted(sizes):
        row = bench_size(
            size,
            seed=seed,
            structure=structure,
            options=options or SolveOptions(),
            peer=peer,
            monolithic=size <= monolithic_max,
            peer_time_limit=peer_time_limit,
            isolate=isolate,
            sat_params=sat_params,
        )
        rows.append(row)
        echo(f"{size:,} 名教师：端到端 {row.total_s:.2f} 秒，{row.status}")
    echo("")
    echo(PHASE_HEADER)
    for row in rows:
        echo(phase_line(row))
    if peer:
        echo("")
        echo(PEER_HEADER)
        for row in rows:
            echo(peer_line(row))
    echo("")
    echo(CPU_HEADER)
    for row in rows:
        echo(cpu_line(row))
    return rows


PHASE_HEADER = (
    "| teachers | groups | read s | build Σ s | solve Σ s | solve wall s | write s | "
    "end-to-end s | status | objective | bound | gap | rules broken | peak MiB main / worker | "
    "greedy objective | greedy rules broken |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
)

PEER_HEADER = (
    "| teachers | models | CP-SAT Σ solve s | HiGHS per group Σ solve s | **ratio Σ** | "
    "our solve wall s | HiGHS per group wall s | ratio wall | HiGHS Σ translate s | "
    "HiGHS per group objective | HiGHS monolithic solve s | monolithic translate s | "
    "monolithic status | monolithic objective | ratio ours/mono |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
)


CPU_HEADER = (
    "| teachers | read CPU s | plan CPU s, main process | our workers CPU s (build + solve) | "
    "HiGHS per group workers CPU s (build + translate + solve) | ratio CPU |\n"
    "|---:|---:|---:|---:|---:|---:|"
)


def cpu_line(r: BenchRow) -> str:
    """One Markdown row of the CPU-seconds table."""
    peer = r.peer.per_group_workers_cpu_s if r.peer is not None else None
    return (
        f"| {r.teachers:,} | {_num(r.read_cpu_s)} | {_num(r.plan_main_cpu_s)} | "
        f"{_num(r.workers_cpu_s)} | {_num(peer)} | {_num(r.ratio_cpu)} |"
    )


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    return "—" if value is None else fmt.format(value)


def phase_line(r: BenchRow) -> str:
    """One Markdown row of the phase table."""
    gap = "—" if r.gap is None else f"{r.gap:.2%}"
    return (
        f"| {r.teachers:,} | {r.groups} | {r.read_s:.2f} | {r.build_s:.2f} | {r.solve_s:.2f} | "
        f"{r.solve_wall_s:.2f} | {r.write_s:.2f} | {r.total_s:.2f} | {r.status} | "
        f"{_num(r.objective, '{}')} | {_num(r.best_bound, '{}')} | {gap} | {r.broken} | "
        f"{r.peak_mb:.0f} / {r.worker_peak_mb:.0f} | {r.greedy_objective} | {r.greedy_broken} |"
    )


def peer_line(r: BenchRow) -> str:
    """One Markdown row of the peer table."""
    p = r.peer
    if p is None:
        return f"| {r.teachers:,} | {r.components} | {r.solve_s:.2f} |" + " — |" * 12
    mono_status = "not run" if p.monolithic_status is None else p.monolithic_status
    if p.monolithic_status == "unknown":
        mono_status = f"time limit {p.monolithic_limit_s:.0f} s"

    def objective(value: int | None) -> str:
        differs = value is not None and value != r.objective
        return _num(value, "{}") + (" ≠ ours" if differs else "")

    return (
        f"| {r.teachers:,} | {r.components} | {r.solve_s:.2f} | {p.per_group_solve_s:.2f} | "
        f"**{_num(r.ratio_per_group)}** | {r.solve_wall_s:.2f} | {p.per_group_wall_s:.2f} | "
        f"{_num(r.ratio_wall)} | {p.per_group_translate_s:.2f} | "
        f"{objective(p.per_group_objective)} | {_num(p.monolithic_solve_s)} | "
        f"{_num(p.monolithic_translate_s)} | {mono_status} | "
        f"{objective(p.monolithic_objective)} | {_num(r.ratio_monolithic)} |"
    )


def machine_line() -> str:
    """Where the figures were measured."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"rotation {__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{platform.processor() or platform.system()}, {cores} cores"
    )
