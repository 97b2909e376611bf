"""The records benchmark runs end to end on a tiny district (its timings are not checked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rotation.bench.records import bench_records, main


def test_the_records_benchmark_on_a_tiny_district(tmp_path: Path) -> None:
    result = bench_records(teachers=300, seed=2, folder=tmp_path, sample=5)
    assert result.teachers == 300 and result.rotations > 0
    assert result.database_mb > 0 and result.history_max_ms >= result.history_median_ms > 0
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone


def test_the_records_benchmark_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--teachers", "200", "--seed", "3"])
    out = capsys.readouterr().out
    assert "load_snapshot_s" in out and "history_median_ms" in out
