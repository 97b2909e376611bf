"""Every component model of a generated district built and solved one after the other in this
process, in CPU seconds per model: how a CP-SAT setting changes the solve phase (issue 18).

The solve phase's cost is a sum over hundreds of small models, and a setting that helps most
of them can leave one model proving its optimum for seconds; so this prints the sum, the
median model and the ten slowest models beside the rest. `--param key=value` overrides a CP-SAT
parameter of both stages (the second adds its tree search); `--one-stage` solves each model in
one call of CP-SAT's default search, as before the two-stage solve
(`solvers.sat.solve_to_optimality`). Objectives are summed so that settings can be seen to
agree on the optimum. Nothing is written.

    .venv/bin/python -m rotation.bench.models --teachers 100000 --seed 1 \
        [--one-stage] [--param use_sat_inprocessing=true]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.objective import fair_outflow, seniority_ranks
from models.plan import SolveOptions
from rotation.bench.run import parse_sat_param, sat_overrides
from rotation.samples.generate import generate_district
from solvers import sat
from solvers.components import components
from solvers.sat import SatBuilder, solve_to_optimality


@dataclass(frozen=True)
class ModelRun:
    """One component's model: CPU seconds to build and to solve it, and what came out."""

    index: int
    decisions: int
    build: float
    solve: float
    status: str
    objective: int


def run(
    teachers: int, seed: int, structure: str, params: dict[str, str], *, one_stage: bool
) -> list[ModelRun]:
    """Build and solve every component model of the generated district, one at a time."""
    district = generate_district(teachers=teachers, seed=seed, structure=structure)
    seniority_ranks(district), fair_outflow(district)
    options = SolveOptions(workers=1, explain=False)
    runs = []
    with sat_overrides(params):  # both stages start from these settings
        for index, group_ids in enumerate(components(district)):
            start = time.process_time()
            built = SatBuilder(district, group_ids).build()
            built_at = time.process_time()
            if one_stage:
                solver = sat.sat_parameters(options)
                code = solver.solve(built.sat_model)
            else:
                solver, code = solve_to_optimality(built.sat_model, built.x, options)
            end = time.process_time()
            solved = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            runs.append(
                ModelRun(
                    index=index,
                    decisions=len(built.x),
                    build=built_at - start,
                    solve=end - built_at,
                    status=solver.status_name(code),
                    objective=round(solver.objective_value) if solved else 0,
                )
            )
    return runs


def report(runs: list[ModelRun]) -> list[str]:
    """The summary lines: sums, the median model, the ten slowest against the rest."""
    times = sorted((r.solve for r in runs), reverse=True)
    statuses = sorted({r.status for r in runs})
    lines = [
        f"模型 {len(runs)} 个：建模 CPU {sum(r.build for r in runs):.2f} s，"
        f"求解 CPU {sum(times):.2f} s（中位数 {statistics.median(times) * 1000:.1f} ms，"
        f"最慢 10 个 {sum(times[:10]):.2f} s，其余 {sum(times[10:]):.2f} s），"
        f"目标值合计 {sum(r.objective for r in runs)}，状态 {'、'.join(statuses)}"
    ]
    for r in sorted(runs, key=lambda r: r.solve, reverse=True)[:5]:
        lines.append(
            f"  第 {r.index} 个模型：{r.decisions} 个决策变量，求解 {r.solve:.3f} s，{r.status}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--structure", default="minhang", choices=("minhang", "ganzhou"))
    parser.add_argument(
        "--param", action="append", default=[], type=parse_sat_param, metavar="KEY=VALUE"
    )
    parser.add_argument("--one-stage", action="store_true")
    args = parser.parse_args(argv)
    params = dict(args.param)
    runs = run(args.teachers, args.seed, args.structure, params, one_stage=args.one_stage)
    for line in report(runs):
        print(line)


if __name__ == "__main__":
    main()
