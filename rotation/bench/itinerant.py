"""走教 with the rotation plan (issue 17's target: on a 10,000-teacher district with 300 走教需求
rows, rotation + 走教 within 1.5× the rotation plan alone, both measured in one run).

One generated district (minhang structure), planned in alternating rounds without and with
its 300 走教需求 rows (`rotation.samples.generate.itinerant_demand(district, rows=300)`: weak
and small schools first, then by size); each round times `solve()` (every component and, with
the rows, the 走教 stage) and the checkers (`check_plan`, the 走教 rules included). Printed as
one line per round and the medians; nothing is written to the repository.

    .venv/bin/python -m rotation.bench.itinerant --teachers 10000 --rows 300 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from models import District
from models.itinerant import coverage
from models.plan import SolveOptions
from models.rules import check_plan
from rotation.samples.generate import generate_district, itinerant_demand
from solvers.solve import solve


def timed(district: District, options: SolveOptions) -> tuple[float, float, float, str, str]:
    """(solve seconds, of which the 走教 stage, check seconds, status, 走教 in words)."""
    start = time.perf_counter()
    result = solve(district, options)
    solved = time.perf_counter() - start
    checks = check_plan(district, result.plan)
    checked = time.perf_counter() - start - solved
    failing = sum(not c.ok for c in checks)
    words = f"{failing} 条规则未通过"
    if district.itinerant_demand:
        gaps = coverage(district, result.plan)
        words += (
            f"；走教 {len(result.plan.itinerant)} 人次，需求 {sum(g.needed for g in gaps)} 课时，"
            f"安排 {sum(g.covered for g in gaps)}，缺 {sum(g.uncovered for g in gaps)}"
        )
    return solved, result.itinerant_seconds, checked, result.status, words


def main() -> None:
    parser = argparse.ArgumentParser(description="走教与交流方案一同编制的用时")
    parser.add_argument("--teachers", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--structure", default="minhang")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    alone = generate_district(teachers=args.teachers, seed=args.seed, structure=args.structure)
    rows = itinerant_demand(alone, rows=args.rows)
    both = alone.replace(itinerant_demand=rows)
    print(
        f"{args.teachers} 名教师，{len(alone.schools)} 所学校；走教需求 {len(rows)} 条，"
        f"每周 {sum(r.periods for r in rows)} 课时"
    )
    options = SolveOptions(workers=args.workers)
    plain: list[float] = []
    joint: list[float] = []
    stage: list[float] = []
    for n in range(1, args.rounds + 1):
        a, _, a_check, a_status, a_words = timed(alone, options)
        b, b_stage, b_check, b_status, b_words = timed(both, options)
        plain.append(a + a_check)
        joint.append(b + b_check)
        stage.append(b_stage)
        print(
            f"第{n}轮  仅交流 {a:.2f} s + 核查 {a_check:.2f} s（{a_status}，{a_words}）；"
            f"交流+走教 {b:.2f} s（其中走教 {b_stage:.2f} s）+ 核查 {b_check:.2f} s"
            f"（{b_status}，{b_words}）"
        )
    p, j = statistics.median(plain), statistics.median(joint)
    print(
        f"中位数：仅交流 {p:.2f} s，交流+走教 {j:.2f} s（走教阶段 {statistics.median(stage):.2f} s），"
        f"比值 {j / p:.2f}（目标 ≤ 1.5）"
    )


if __name__ == "__main__":
    main()
