"""Storing and reloading a school year in the records (issue 15): ≤ 5 s each on SQLite for a
100,000-teacher year, a teacher's history < 50 ms.

    .venv/bin/python -m rotation.bench.records --teachers 100000

A generated district (not timed) and its greedy plan (not timed) go through a fresh SQLite file
in a temporary folder: the snapshot is saved (the upload's bytes — here the district's JSON —
its SHA-256 and the checked district) and loaded back into a checked District; the plan run is
saved and loaded back; the plan is published and approved (its rotations and returns joining the
rotation history); then the history of a sample of teachers (every few hundredth, and some who
moved) is read, one at a time, after one untimed read that compiles the query.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from models.plan import SolveResult
from rotation.records import Records
from rotation.records.engine import default_url
from rotation.samples.generate import generate_district
from solvers.greedy import greedy_plan

T = TypeVar("T")
ROLES = ("审核人", "审批人")


class RecordsBench(BaseModel):
    """Seconds per step (history: milliseconds per teacher, median and worst of the sample)."""

    teachers: int
    rotations: int
    returns: int
    database_mb: float
    store_snapshot_s: float
    load_snapshot_s: float
    store_plan_s: float
    load_plan_s: float
    approve_s: float
    history_median_ms: float
    history_max_ms: float


def _timed(step: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = step()
    return value, time.perf_counter() - start


def bench_records(
    teachers: int = 100_000, seed: int = 1, folder: Path | None = None, sample: int = 50
) -> RecordsBench:
    """Time the records' round trips for a generated district of `teachers`."""
    district = generate_district(teachers=teachers, seed=seed)
    plan = greedy_plan(district)
    result = SolveResult(status="feasible", plan=plan)
    upload = district.model_dump_json().encode("utf-8")
    with tempfile.TemporaryDirectory(dir=folder) as temp:
        root = Path(temp)
        records = Records.open(default_url(root))
        try:
            snap, store_snapshot = _timed(
                lambda: records.save_snapshot(
                    district,
                    file_bytes=upload,
                    file_name="bench.json",
                    file_kind="json",
                    by="bench",
                )
            )
            loaded, load_snapshot = _timed(lambda: records.load_snapshot(snap.id))
            if loaded.model_dump() != district.model_dump():
                raise AssertionError("the district came back changed")
            run, store_plan = _timed(
                lambda: records.save_plan_run(snap.id, result, options={}, by="bench")
            )
            again, load_plan = _timed(lambda: records.load_plan(run.id))
            if again != plan:
                raise AssertionError("the plan came back changed")
            start = time.perf_counter()
            run = records.publish(
                run.id,
                start=date(district.plan_year, 6, 1),
                end=date(district.plan_year, 6, 7),
                actor="bench",
                roles=ROLES,
                expected_version=run.version,
            )
            records.approve(run.id, actor="bench", roles=ROLES, expected_version=run.version)
            approve = time.perf_counter() - start
            ids = [t.teacher_id for t in district.teachers]
            picked = ids[:: max(1, len(ids) // sample)][:sample]
            moved = [r.teacher_id for r in plan.rotations][:sample]
            records.teacher_history(district.name, ids[0])  # the query compiled once, untimed
            times = []
            for teacher_id in picked + moved:
                start = time.perf_counter()
                records.teacher_history(district.name, teacher_id)
                times.append((time.perf_counter() - start) * 1000)
        finally:
            records.close()
        size = sum(p.stat().st_size for p in root.iterdir()) / 1e6
    return RecordsBench(
        teachers=teachers,
        rotations=len(plan.rotations),
        returns=len(plan.returns),
        database_mb=round(size, 1),
        store_snapshot_s=round(store_snapshot, 3),
        load_snapshot_s=round(load_snapshot, 3),
        store_plan_s=round(store_plan, 3),
        load_plan_s=round(load_plan, 3),
        approve_s=round(approve, 3),
        history_median_ms=round(statistics.median(times), 2),
        history_max_ms=round(max(times), 2),
    )


def main(argv: list[str] | None = None) -> None:
    """Print the timings as a table of step and value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = bench_records(args.teachers, args.seed)
    for name, value in result.model_dump().items():
        print(f"{name:20} {value}")


if __name__ == "__main__":
    main()
