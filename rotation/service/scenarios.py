"""Running scenarios: each one solved (and its plan written), in parallel across the cores.

Scenarios are independent, so they run in a pool of processes, one scenario each at a time;
when there are fewer scenarios than cores, each scenario's components share the cores left
over. Components are solved deterministically whatever the number of processes, so a plan is
the same as a lone `rotation plan` of the scenario's data. Progress is printed as each
scenario finishes. Every result is reduced, inside its worker, to an `Outcome`: the figures the
comparison workbook shows and the moves its teacher-level sheet compares — small enough to send
back from a process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from models import InputError, Problem
from models.plan import SolveOptions
from models.policy import PolicyValueError
from rotation.formats.safe_write import check_targets
from rotation.reports.comparison import write_comparison
from rotation.reports.outcomes import (
    Outcome,
    SweepSummary,
    boundaries,
    summarise,
    sweep_summaries,
)
from rotation.scenarios.model import Scenario, load_scenarios, parse_sweep, sweep_family
from rotation.service.progress import COMPARISON, EXPLAINING, SCENARIOS, Report, Step, silent
from solvers.parallel import cores, run_tasks

Echo = Callable[..., None]


def output_paths(out_dir: Path, key: str) -> tuple[Path, Path, Path]:
    """Where a scenario's input workbook, approval workbook and plan JSON go."""
    return (
        out_dir / f"{key}-数据.xlsx",
        out_dir / f"{key}-审批表.xlsx",
        out_dir / f"{key}-方案.json",
    )


def run_one(s: Scenario, out_dir: Path | None, options: SolveOptions, force: bool) -> Outcome:
    """Solve one scenario; with `out_dir`, write its input workbook, 审批表 and plan JSON."""
    from rotation.formats.reading import input_sha256
    from rotation.formats.writing import write_district
    from rotation.service.planning import plan_district
    from solvers.solve import solve

    start = time.perf_counter()
    files: list[Path] = []
    if out_dir is None:
        result = solve(s.district, options)
    else:
        data, approval, plan_json = output_paths(out_dir, s.key)
        write_district(s.district, data, force=force)
        result = plan_district(
            s.district,
            approval,
            plan_json,
            options=options,
            sha256=input_sha256(data),
            scenario=s.name,
            force=force,
        )
        files = [data, approval, plan_json]
    return summarise(s, result, time.perf_counter() - start, files)


def scenario_inputs(scenarios: Sequence[Scenario]) -> list[Path]:
    """What scenarios read: their files and their base data files (never an output)."""
    return [s.path for s in scenarios] + [s.source for s in scenarios if s.source is not None]


Shared = tuple[list[Scenario], Path | None, SolveOptions, bool]


def _run_job(shared: Shared, job: tuple[int, bool]) -> tuple[int, Outcome]:
    """One scenario, in a worker process or here (module-level: spawn pickles it by name)."""
    scenarios, out_dir, options, force = shared
    index, explain = job
    options = options.model_copy(update={"explain": explain})
    return index, run_one(scenarios[index], out_dir, options, force)


def progress_line(done: int, total: int, o: Outcome) -> str:
    """One line per finished scenario."""
    if o.feasible:
        what = f"{o.status_text}，新交流 {o.rotations} 人"
    elif o.status in ("optimal", "feasible"):
        what = f"{o.status_text}，但规则核查有 {o.failed_checks} 项未通过"
    else:
        what = o.status_text
    return f"  [{done}/{total}] {o.name}：{what}，用时 {o.seconds:.1f} 秒"


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    out_dir: Path | None,
    options: SolveOptions,
    processes: int = 0,
    force: bool = False,
    echo: Echo | None = None,
    explain: Callable[[Scenario], bool] | None = None,
    report: Report = silent,
) -> list[Outcome]:
    """Every scenario solved, in parallel processes (`processes`, 0 = one per core); the
    outcomes in the order given. Outputs that exist already are refused before any solving.
    `explain` says which scenarios, when infeasible, get their colliding rules named (default:
    all, as `options.explain` says). Each finished scenario goes to `report`, with its line."""
    say = echo or (lambda *_a, **_k: None)
    if out_dir is not None:
        check_targets(
            (p for s in scenarios for p in output_paths(out_dir, s.key)),
            scenario_inputs(scenarios),
            force=force,
        )
    total = len(scenarios)
    available = processes or cores()
    pool_size = max(1, min(available, total))
    # cores left over when there are fewer scenarios than cores go to each one's components
    options = options.model_copy(update={"workers": max(1, available // pool_size)})
    how = f"{pool_size} 个进程并行编制" if pool_size > 1 else "依次编制"
    say(f"共 {total} 个方案，{how}…", err=True)
    start = time.perf_counter()
    outcomes: dict[int, Outcome] = {}
    report(Step(SCENARIOS, 0, total))

    def done(result: tuple[int, Outcome]) -> None:
        outcomes[result[0]] = result[1]
        line = progress_line(len(outcomes), total, result[1])
        report(Step(SCENARIOS, len(outcomes), total, note=line))

    run_tasks(
        _run_job,
        (list(scenarios), out_dir, options, force),
        [(i, options.explain and (explain is None or explain(s))) for i, s in enumerate(scenarios)],
        done,
        workers=pool_size,
        method=options.start_method,
    )
    say(f"全部完成，用时 {time.perf_counter() - start:.1f} 秒。", err=True)
    return [outcomes[i] for i in range(total)]


def check_scenarios(files: Sequence[Path], *, teachers: int | None = None) -> list[Scenario]:
    """`rotation scenario validate`: every scenario file read and applied to its base data."""
    return load_scenarios(files, teachers=teachers)


def run_scenario_files(
    files: Sequence[Path],
    *,
    out_dir: Path,
    time_limit: float,
    processes: int,
    teachers: int | None,
    force: bool,
    echo: Echo,
    report: Report = silent,
) -> list[Outcome]:
    """`rotation scenario run`: each scenario's input workbook, 审批表 and plan JSON written."""
    scenarios = load_scenarios(files, teachers=teachers)
    return run_scenarios(
        scenarios,
        out_dir=out_dir,
        options=SolveOptions(time_limit=time_limit),
        processes=processes,
        force=force,
        echo=echo,
        report=report,
    )


def compare_scenarios(
    files: Sequence[Path],
    output: Path,
    *,
    sweep: str | None,
    plans: Path | None,
    time_limit: float,
    processes: int,
    teachers: int | None,
    force: bool,
    echo: Echo,
    report: Report = silent,
) -> tuple[list[Outcome], list[SweepSummary]]:
    """`rotation scenario compare`: every scenario (or sweep value) planned, the first value of
    each sweep whose rules cannot be met explained, and the comparison workbook written."""
    check_targets([output], files, force=force)
    if sweep is not None:  # a bad sweep is reported before any file is read
        try:
            parse_sweep(sweep)
        except PolicyValueError as exc:
            raise InputError([Problem(sheet="", message=f"--sweep：{exc}")]) from None
    scenarios = load_scenarios(files, teachers=teachers)
    if sweep is not None:
        scenarios = sweep_scenarios(scenarios, sweep)
    plan_files = [p for s in scenarios for p in output_paths(plans, s.key)] if plans else []
    check_targets([output, *plan_files], scenario_inputs(scenarios), force=force)
    outcomes, summaries = compare_loaded(
        scenarios,
        options=SolveOptions(time_limit=time_limit),
        plans=plans,
        processes=processes,
        force=force,
        echo=echo,
        report=report,
    )
    report(Step(COMPARISON))
    write_comparison(output, outcomes, summaries, force=force)
    return outcomes, summaries


def sweep_scenarios(scenarios: Sequence[Scenario], sweep: str) -> list[Scenario]:
    """Each scenario once per value of `sweep` (``key=start:stop:step``); InputError (Chinese)
    when the sweep cannot be used."""
    try:
        family = parse_sweep(sweep)
        return [member for s in scenarios for member in sweep_family(s, family)]
    except PolicyValueError as exc:
        raise InputError([Problem(sheet="", message=f"--sweep：{exc}")]) from None


def compare_loaded(
    scenarios: Sequence[Scenario],
    *,
    options: SolveOptions,
    plans: Path | None = None,
    processes: int = 0,
    force: bool = False,
    echo: Echo | None = None,
    report: Report = silent,
) -> tuple[list[Outcome], list[SweepSummary]]:
    """Loaded scenarios (sweep members among them) planned, and the first value of each sweep
    whose rules cannot be met explained: what the comparison workbook shows."""
    say = echo or (lambda *_a, **_k: None)
    outcomes = run_scenarios(
        scenarios,
        out_dir=plans,
        options=options,
        processes=processes,
        force=force,
        echo=echo,
        explain=lambda s: s.sweep is None,  # sweeps: only their boundary, below
        report=report,
    )
    edge = boundaries(outcomes)
    if edge:
        say("说明参数扫描中首个无法满足的取值…", err=True)
        explained = run_scenarios(
            [scenarios[i] for i in edge],
            out_dir=plans,
            options=options,
            processes=processes,
            force=True,  # replaces the files just written for these values
            echo=echo,
            report=lambda step: report(replace(step, phase=EXPLAINING)),
        )
        for i, o in zip(edge, explained, strict=True):
            outcomes[i] = o
    return outcomes, sweep_summaries(outcomes)
