"""`rotation bench --web` on a tiny district: the real server is started, driven and stopped,
and every figure is reported (no timing is asserted)."""

from __future__ import annotations

from rotation.bench.web import (
    KINDS,
    LOAD_HEADER,
    MEMORY_HEADER,
    ROUND_HEADER,
    percentile,
    run_web_bench,
    slope,
)


def test_web_bench_reports_every_part() -> None:
    lines: list[str] = []
    (row,) = run_web_bench(
        [300], workers=1, rounds=1, clients=2, requests=3, plans=2, echo=lines.append
    )
    assert row.teachers == 300 and row.server_start_s > 0
    (one,) = row.rounds
    assert one.cli_s > 0 and one.web_s >= one.upload_s + one.plan_s + one.page_s > 0
    assert row.median_ratio is not None and row.median_ratio > 0
    assert row.load is not None
    assert row.load.clients == 2 and row.load.requests == 6 and row.load.overall.errors == 0
    assert {k.kind for k in row.load.kinds} <= set(KINDS) and len(row.load.kinds) >= 3
    assert all(0 < k.p50_ms <= k.p95_ms <= k.max_ms for k in row.load.kinds)
    assert row.memory is not None and row.memory.plans == 2
    assert len(row.memory.after_mib) == 2 and row.memory.first > 0 and row.memory.peak > 0
    for header in (ROUND_HEADER, LOAD_HEADER, MEMORY_HEADER):
        assert header in lines
    assert any(line.startswith("| 300 | all |") for line in lines)


def test_percentile_and_slope() -> None:
    assert percentile([], 0.95) == 0.0
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert slope([5.0]) == 0.0
    assert slope([1.0, 2.0, 3.0]) == 1.0
    assert slope([4.0, 4.0, 4.0, 4.0]) == 0.0
