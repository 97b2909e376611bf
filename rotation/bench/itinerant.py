"""走教 with the rotation plan (issue 17's target: on a 10,000-teacher district with 300 走教需求
rows, rotation + 走教 within 1.5× the rotation plan alone, both measured in one run).

One generated district (minhang structure), planned in alternating rounds without and with
its 300 走教需求 rows (`rotation.samples.generate.itinerant_demand(district, rows=300)`: weak
and small schools first, then by size); each round times `solve()` (every component and, with
the rows, the 走教 stage) and the checkers (`check_plan`, the 走教 rules included), in wall
seconds and in CPU seconds of this process and its reaped workers (steadier when other jobs
share the cores). "其中走教" is the result's itinerant_seconds: with itinerant_scope = group the
sum of the components' 走教 seconds, spent in the workers alongside the rotations. With `--joint`, each round also plans rotations and 走教 in one CP-SAT model
per component (`solvers.itinerant_joint`) and compares it with the second stage: time, the
rotation objective (every non-走教 term), uncovered periods, travel and the other 走教 terms.
Printed as one line per round and the medians; nothing is written to the repository.

    .venv/bin/python -m rotation.bench.itinerant --teachers 10000 --rows 300 --rounds 3 --joint
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from models import District
from models.itinerant import coverage
from models.objective import ITINERANT_TERMS, itinerant_amounts
from models.plan import SolveOptions, SolveResult
from models.rules import check_plan
from rotation.samples.generate import generate_district, itinerant_demand
from solvers.solve import solve


def cpu_seconds() -> float:
    """CPU seconds of this process and of its workers that have ended (the pools are closed
    after each solve)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime


@dataclass
class Run:
    """One planning of the district, checked."""

    solved: float
    checked: float
    cpu: float
    result: SolveResult
    words: str

    @property
    def total(self) -> float:
        return self.solved + self.checked

    def line(self) -> str:
        stage = f"（其中走教 {self.result.itinerant_seconds:.2f} s）" if self.stage else ""
        return (
            f"{self.solved:.2f} s{stage} + 核查 {self.checked:.2f} s，CPU {self.cpu:.2f} s"
            f"（{self.result.status}，{self.words}）"
        )

    @property
    def stage(self) -> bool:
        return self.result.itinerant_seconds > 0


def timed(
    district: District,
    options: SolveOptions,
    planner: Callable[[District, SolveOptions], SolveResult] = solve,
) -> Run:
    """Plan and check once."""
    cpu = cpu_seconds()
    start = time.perf_counter()
    result = planner(district, options)
    solved = time.perf_counter() - start
    checks = check_plan(district, result.plan)
    checked = time.perf_counter() - start - solved
    cpu = cpu_seconds() - cpu
    failing = sum(not c.ok for c in checks)
    words = f"{failing} 条规则未通过"
    if district.itinerant_demand and result.terms:
        gaps = coverage(district, result.plan)
        amounts = itinerant_amounts(district, result.plan)
        rotation = sum(v for k, v in result.terms.items() if k not in ITINERANT_TERMS)
        words += (
            f"；交流目标值 {rotation}；走教 {len(result.plan.itinerant)} 人次，"
            f"需求 {sum(g.needed for g in gaps)} 课时，安排 {sum(g.covered for g in gaps)}，"
            f"缺 {sum(g.uncovered for g in gaps)}；每周路程 {amounts['itinerant_travel']} 公里，"
            f"骨干到薄弱校 {amounts['itinerant_backbone_to_weak']} 课时，"
            f"课时平方和 {amounts['itinerant_even_load']}；"
            f"走教各项合计 {sum(v for k, v in result.terms.items() if k in ITINERANT_TERMS)}"
        )
    return Run(solved, checked, cpu, result, words)


def main() -> None:
    parser = argparse.ArgumentParser(description="走教与交流方案一同编制的用时")
    parser.add_argument("--teachers", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--structure", default="minhang")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--joint", action="store_true", help="另用交流与走教合一的模型编制，与两阶段比较"
    )
    parser.add_argument("--scope", choices=("group", "district"), default="group")
    args = parser.parse_args()
    alone = generate_district(teachers=args.teachers, seed=args.seed, structure=args.structure)
    rows = itinerant_demand(alone, rows=args.rows)
    scope = alone.policy.district.model_copy(update={"itinerant_scope": args.scope})
    both = alone.replace(
        itinerant_demand=rows, policy=alone.policy.model_copy(update={"district": scope})
    )
    print(
        f"{args.teachers} 名教师，{len(alone.schools)} 所学校；走教需求 {len(rows)} 条，"
        f"每周 {sum(r.periods for r in rows)} 课时；走教范围 {args.scope}"
    )
    options = SolveOptions(workers=args.workers)
    runs: dict[str, list[Run]] = {"alone": [], "both": [], "joint": []}
    for n in range(1, args.rounds + 1):
        plain = timed(alone, options)
        staged = timed(both, options)
        runs["alone"].append(plain)
        runs["both"].append(staged)
        print(f"第{n}轮  仅交流 {plain.line()}\n      交流+走教（两阶段） {staged.line()}")
        if args.joint:
            from solvers.itinerant_joint import solve_joint

            joint = timed(both, options, solve_joint)
            runs["joint"].append(joint)
            print(f"      交流+走教（合一模型） {joint.line()}")

    def median(key: str, of: Callable[[Run], float]) -> float:
        return statistics.median(of(r) for r in runs[key])

    p, b = median("alone", lambda r: r.total), median("both", lambda r: r.total)
    pc, bc = median("alone", lambda r: r.cpu), median("both", lambda r: r.cpu)
    stage = median("both", lambda r: r.result.itinerant_seconds)
    print(
        f"中位数：仅交流 {p:.2f} s，交流+走教 {b:.2f} s（走教阶段 {stage:.2f} s），"
        f"比值 {b / p:.2f}（目标 ≤ 1.5）；CPU {pc:.2f} s 对 {bc:.2f} s，比值 {bc / pc:.2f}"
    )
    if args.joint:
        j, jc = median("joint", lambda r: r.total), median("joint", lambda r: r.cpu)
        print(
            f"合一模型：{j:.2f} s（CPU {jc:.2f} s），为两阶段的 {j / b:.2f} 倍（CPU {jc / bc:.2f} 倍）"
        )


if __name__ == "__main__":
    main()
