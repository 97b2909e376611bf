"""Storing and reloading a school year in the records (issue 15): ≤ 5 s each on SQLite for a
100,000-teacher year, a teacher's history < 50 ms; and a district across ten approved years
(issue 15 item 4): its statistics < 1 s.

    .venv/bin/python -m rotation.bench.records --teachers 100000
    .venv/bin/python -m rotation.bench.records --teachers 10000 --years 10

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

from models.advance import advance, retirees
from models.plan import SolveResult
from rotation.records import Records
from rotation.records.engine import default_url
from rotation.samples.generate import generate_district
from rotation.samples.hires import with_hires
from rotation.service.history import (
    certificate,
    district_statistics,
    forget_statistics,
    write_national_export,
)
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


class YearsBench(BaseModel):
    """Seconds for a district's statistics across its approved years, computed and then from
    memory; milliseconds per teacher for a history and a certificate (median and worst of the
    sample); seconds for the national export of every approved rotation."""

    teachers: int
    years: int
    rotations: int
    statistics_first_s: float
    statistics_again_s: float
    #: after a restart: the statistics kept in the records, none in memory
    statistics_kept_s: float
    history_median_ms: float
    history_max_ms: float
    certificate_median_ms: float
    certificate_max_ms: float
    export_rows: int
    export_s: float


def _approve(records: Records, result: SolveResult, snapshot_id: str) -> None:
    run = records.save_plan_run(snapshot_id, result, options={}, by="bench")
    year = result.plan.plan_year
    run = records.publish(
        run.id,
        start=date(year, 6, 1),
        end=date(year, 6, 7),
        actor="bench",
        roles=ROLES,
        expected_version=run.version,
    )
    records.approve(run.id, actor="bench", roles=ROLES, expected_version=run.version)


def bench_years(
    teachers: int = 10_000,
    years: int = 10,
    seed: int = 1,
    folder: Path | None = None,
    sample: int = 20,
) -> YearsBench:
    """Time a district's statistics, histories, certificates and national export across
    `years` approved school years of a generated district of `teachers`."""
    district = generate_district(teachers=teachers, seed=seed)
    moved: list[str] = []
    rotations = 0
    with tempfile.TemporaryDirectory(dir=folder) as temp:
        root = Path(temp)
        records = Records.open(default_url(root))
        try:
            for _ in range(years):
                plan = greedy_plan(district)
                snap = records.save_snapshot(
                    district, file_bytes=b"bench", file_name="bench.json", file_kind="json", by="b"
                )
                _approve(records, SolveResult(status="feasible", plan=plan), snap.id)
                moved += [r.teacher_id for r in plan.rotations[:sample]]
                rotations += len(plan.rotations)
                leaving = retirees(district)
                district = with_hires(advance(district, plan), leaving, seed)
            forget_statistics()
            stats, first = _timed(lambda: district_statistics(records, district.name))
            if len(stats) != years:
                raise AssertionError(f"{len(stats)} years of statistics, not {years}")
            _, again = _timed(lambda: district_statistics(records, district.name))
            forget_statistics()  # as after a restart: kept in the records, not in memory
            _, kept = _timed(lambda: district_statistics(records, district.name))
            picked = moved[:: max(1, len(moved) // sample)][:sample]
            records.teacher_history(district.name, picked[0])  # compiled once, untimed
            history, certificates = [], []
            for teacher_id in picked:
                start = time.perf_counter()
                records.teacher_history(district.name, teacher_id)
                history.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                certificate(records, district.name, teacher_id)
                certificates.append((time.perf_counter() - start) * 1000)
            rows, export = _timed(
                lambda: write_national_export(records, district.name, root / "national.xlsx")
            )
        finally:
            records.close()
    return YearsBench(
        teachers=teachers,
        years=years,
        rotations=rotations,
        statistics_first_s=round(first, 3),
        statistics_again_s=round(again, 4),
        statistics_kept_s=round(kept, 4),
        history_median_ms=round(statistics.median(history), 2),
        history_max_ms=round(max(history), 2),
        certificate_median_ms=round(statistics.median(certificates), 1),
        certificate_max_ms=round(max(certificates), 1),
        export_rows=rows,
        export_s=round(export, 3),
    )


def main(argv: list[str] | None = None) -> None:
    """Print the timings as a table of step and value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teachers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--years", type=int, default=0, help="approved years for the across-years timings"
    )
    args = parser.parse_args(argv)
    result: BaseModel = (
        bench_years(args.teachers, args.years, args.seed)
        if args.years
        else bench_records(args.teachers, args.seed)
    )
    for name, value in result.model_dump().items():
        print(f"{name:22} {value}")


if __name__ == "__main__":
    main()
