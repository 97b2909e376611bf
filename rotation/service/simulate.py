"""Policy simulation (`rotation simulate`): a district and a policy planned N school years forward.

Each year of each scenario: plan with the scenario's policy (as `rotation plan`), carry the plan
over to the next year (`models.advance.advance`, as `rotation advance`: the year's retirees
leave), and replace each retiree with a new teacher of the same school and subject, 0 years at
the school, and a backbone appointment for a retired backbone teacher
(`rotation.samples.hires`, seeded: the same arguments give the same simulation). A year whose rules cannot all be met (or that finds no plan
in time) is recorded with the names of the colliding rules and stops that scenario's chain.

Several scenarios run in parallel over the one process runner (`solvers.parallel`), one per
core, as `rotation scenario` runs them; the cores left over go to each scenario's components.
Progress lines (one per year) come back from the workers through a queue and are printed here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue as queues
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from models import District, InputError, Problem
from models.advance import advance, retirees
from models.plan import Plan, SolveOptions, SolveResult
from models.requirements import group_requirement
from models.rules import RULES, check_plan
from rotation.formats.safe_write import check_targets
from rotation.memory import paused_cycle_collection
from rotation.reports.simulation import (
    CHECK_FAILED,
    DONE,
    FAILED,
    UNSOLVED,
    GroupYear,
    Simulation,
    YearResult,
    write_simulation,
)
from rotation.samples.hires import with_hires
from rotation.scenarios.model import Scenario, load_scenarios
from rotation.service.scenarios import scenario_inputs
from solvers.parallel import cores, run_tasks

Echo = Callable[..., None]
Say = Callable[[str], None]

#: Conflicts kept in words per failed year.
MAX_MESSAGES = 10


def next_year(district: District, plan: Plan, seed: int) -> tuple[District, Counter[str]]:
    """Next year's district after `plan`: advanced (retirees leave there), each retiree replaced
    by a new hire and backbone appointments (rotation.samples.hires); retirees by group."""
    leaving = retirees(district)
    by_group = Counter(district.status(t.teacher_id).group_id for t in leaving)
    following = advance(district, plan)
    if not leaving:
        return following, by_group
    return with_hires(following, leaving, seed), by_group


# -- one year's figures -----------------------------------------------------------------------


def year_figures(
    district: District,
    plan: Plan,
    rotated_ever: set[str],
    pool: set[str],
    turnover: Counter[str],
) -> tuple[GroupYear, ...]:
    """Per group: this year's rotations and the shares reached so far (`rotated_ever` and
    `pool` already include this year's rotations and eligible teachers)."""
    index = district.index
    rotations: Counter[str] = Counter()
    backbone: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    for r in plan.rotations:
        gid = index.status[r.teacher_id].group_id
        rotations[gid] += 1
        backbone[gid] += index.teacher[r.teacher_id].is_backbone
        weak[gid] += index.school[r.to_school_id].weak
    teachers: Counter[str] = Counter()
    in_pool: Counter[str] = Counter()
    ever: Counter[str] = Counter()
    for tid, s in index.status.items():
        teachers[s.group_id] += 1
        in_pool[s.group_id] += tid in pool
        ever[s.group_id] += tid in rotated_ever
    figures = []
    for g in district.groups:
        gid = g.group_id
        req = group_requirement(district, gid)
        figures.append(
            GroupYear(
                gid,
                g.name,
                teachers=teachers[gid],
                eligible=req.eligible,
                ratio_base=req.ratio_base,
                minimum=req.min_rotations,
                rotations=rotations[gid],
                backbone=backbone[gid],
                weak_inflow=weak[gid],
                pool=in_pool[gid],
                rotated_ever=ever[gid],
                retired=turnover[gid],
                hired=turnover[gid],
            )
        )
    return tuple(figures)


def _failure(index: int, year: int, result: SolveResult, broken: int) -> YearResult:
    if result.status == "infeasible":
        status = FAILED
    elif result.status == "unknown":
        status = UNSOLVED
    else:
        status = CHECK_FAILED
    rules = dict.fromkeys(RULES[c.rule].name for c in result.conflicts)
    messages = [c.message for c in result.conflicts[:MAX_MESSAGES]]
    if broken:
        messages.append(f"规则核查有 {broken} 项未通过")
    return YearResult(index, year, status, rules=tuple(rules), messages=tuple(messages))


def progress_line(name: str, years: int, r: YearResult) -> str:
    """One line per simulated year."""
    if r.ok:
        total = r.total
        share = f"{total.coverage:.1%}" if total.coverage is not None else "—"
        what = (
            f"新交流 {total.rotations} 人，交流覆盖率 {share}，退休离岗/新入职 {total.retired} 人"
        )
        took = f"用时 {r.seconds:.1f} 秒（求解 {r.solve_seconds:.1f} 秒）"
    else:
        what = f"{r.status}（{'、'.join(r.rules) or '无冲突说明'}），{name}的模拟在此停止"
        took = f"用时 {r.seconds:.1f} 秒"
    return f"第{r.index}/{years}学年：{name}，{r.year}学年{what}，{took}"


def simulate_scenario(
    s: Scenario, years: int, options: SolveOptions, *, seed: int = 1, say: Say | None = None
) -> Simulation:
    """One scenario planned `years` school years forward (stopping at a year that fails)."""
    from solvers.solve import solve

    start = time.perf_counter()
    district = s.district
    sim = Simulation(s.key, s.name, s.base_label, str(s.path), years, district.plan_year)
    rotated_ever = {o.teacher_id for o in district.ongoing}  # ongoing or just completed
    pool = set(rotated_ever)
    turnover: Counter[str] = Counter()
    for k in range(1, years + 1):
        began = time.perf_counter()
        result = solve(district, options)
        with paused_cycle_collection():  # many small acyclic objects: teachers, checks
            solved = result.status in ("optimal", "feasible")
            broken = sum(not c.ok for c in check_plan(district, result.plan)) if solved else 0
            if not solved or broken:
                outcome = _failure(k, district.plan_year, result, broken)
            else:
                rotated_ever |= {r.teacher_id for r in result.plan.rotations}
                pool |= {t.teacher_id for t in district.index.eligible} | rotated_ever
                figures = year_figures(district, result.plan, rotated_ever, pool, turnover)
                outcome = YearResult(
                    k,
                    district.plan_year,
                    DONE,
                    groups=figures,
                    rotated_ids=tuple(r.teacher_id for r in result.plan.rotations),
                )
                if k < years:
                    district, turnover = next_year(district, result.plan, seed)
        seconds = time.perf_counter() - began
        outcome = replace(outcome, seconds=seconds, solve_seconds=result.wall_seconds)
        sim.results.append(outcome)
        if say is not None:
            say(progress_line(s.name, years, outcome))
        if not outcome.ok:
            break
    sim.seconds = time.perf_counter() - start
    return sim


# -- several scenarios, in parallel -----------------------------------------------------------

Shared = tuple[list[Scenario], int, SolveOptions, int, Any]


def _simulate_job(shared: Shared, index: int) -> tuple[int, Simulation]:
    """One scenario's chain, in a worker process (module-level: spawn pickles it by name); its
    yearly lines go back through the shared queue."""
    scenarios, years, options, seed, lines = shared
    return index, simulate_scenario(scenarios[index], years, options, seed=seed, say=lines.put)


def run_simulations(
    scenarios: Sequence[Scenario],
    years: int,
    *,
    options: SolveOptions,
    seed: int = 1,
    processes: int = 0,
    echo: Echo | None = None,
) -> list[Simulation]:
    """Every scenario simulated, in parallel processes (`processes`, 0 = one per core); the
    simulations in the order given."""
    say = echo or (lambda *_a, **_k: None)
    total = len(scenarios)
    available = processes or cores()
    pool_size = max(1, min(available, total))
    options = options.model_copy(update={"workers": max(1, available // pool_size)})
    how = f"{pool_size} 个进程并行模拟" if pool_size > 1 else "依次模拟"
    say(f"共 {total} 个情景，各模拟 {years} 个学年，{how}…", err=True)
    start = time.perf_counter()
    if pool_size == 1:
        results = [
            simulate_scenario(s, years, options, seed=seed, say=lambda t: say(t, err=True))
            for s in scenarios
        ]
    else:
        results = _in_processes(scenarios, years, options, seed, pool_size, say)
    say(f"全部完成，用时 {time.perf_counter() - start:.1f} 秒。", err=True)
    return results


def _in_processes(
    scenarios: Sequence[Scenario],
    years: int,
    options: SolveOptions,
    seed: int,
    pool_size: int,
    say: Echo,
) -> list[Simulation]:
    """The scenarios over the one process runner (solvers.parallel); a thread here prints the
    workers' yearly lines as they arrive."""
    done: dict[int, Simulation] = {}
    with multiprocessing.Manager() as manager:
        lines = manager.Queue()
        finished = threading.Event()

        def relay() -> None:
            while not (finished.is_set() and lines.empty()):
                with contextlib.suppress(queues.Empty):
                    say(lines.get(timeout=0.2), err=True)

        printer = threading.Thread(target=relay, daemon=True)
        printer.start()
        try:
            run_tasks(
                _simulate_job,
                (list(scenarios), years, options, seed, lines),
                list(range(len(scenarios))),
                lambda r: done.__setitem__(r[0], r[1]),
                workers=pool_size,
                method=options.start_method,
            )
        finally:
            finished.set()
            printer.join()
    return [done[i] for i in range(len(scenarios))]


# -- the command ------------------------------------------------------------------------------


def _data_scenario(path: Path, year: int | None) -> Scenario:
    from rotation.formats.reading import input_sha256, read_district

    district = read_district(path, year=year)
    name = district.name if district.name != "未命名区县" else path.stem
    return Scenario(
        path=path,
        key=path.stem,
        name=name,
        description="",
        district=district,
        base_label=f"数据：{path.name}（按其规则表）",
        base_id=f"input|{input_sha256(path)}|{year}",
        source=path,
    )


def load_inputs(
    paths: Sequence[Path], *, year: int | None = None, teachers: int | None = None
) -> list[Scenario]:
    """Each argument as a scenario: a .toml file is a scenario file, anything else the bureau's
    data (workbook, CSV folder or JSON) under its own 规则 sheet; every problem at once."""
    problems: list[Problem] = []
    loaded: dict[int, Scenario] = {}
    tomls = [(i, Path(p)) for i, p in enumerate(paths) if Path(p).suffix.lower() == ".toml"]
    try:
        found = load_scenarios([p for _, p in tomls], teachers=teachers)
        loaded.update({i: s for (i, _), s in zip(tomls, found, strict=True)})
    except InputError as exc:
        problems += exc.problems
    keys = {s.key for s in loaded.values()}
    for i, p in enumerate(paths):
        if i in loaded or Path(p).suffix.lower() == ".toml":
            continue
        try:
            s = _data_scenario(Path(p), year)
        except InputError as exc:
            problems += [Problem(sheet="", message=f"「{p}」有 {len(exc.errors)} 处错误：")]
            problems += exc.problems
            continue
        key, n = s.key, 2
        while key in keys:
            key, n = f"{s.key}-{n}", n + 1
        keys.add(key)
        loaded[i] = replace(s, key=key)
    if problems:
        raise InputError(problems)
    return [loaded[i] for i in range(len(paths))]


def simulate_files(
    paths: Sequence[Path],
    output: Path,
    *,
    years: int,
    year: int | None = None,
    teachers: int | None = None,
    seed: int = 1,
    time_limit: float = 60.0,
    processes: int = 0,
    force: bool = False,
    echo: Echo | None = None,
) -> list[Simulation]:
    """`rotation simulate`: every input simulated and the workbook written; the simulations."""
    check_targets([output], [Path(p) for p in paths], force=force)
    scenarios = load_inputs(paths, year=year, teachers=teachers)
    check_targets([output], scenario_inputs(scenarios), force=force)
    simulations = run_simulations(
        scenarios,
        years,
        options=SolveOptions(time_limit=time_limit),
        seed=seed,
        processes=processes,
        echo=echo,
    )
    write_simulation(output, simulations, force=force)
    return simulations
