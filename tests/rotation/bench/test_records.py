"""The records benchmark runs end to end on a tiny district (its timings are not checked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rotation.bench.records import bench_records, bench_years, main


def test_the_records_benchmark_on_a_tiny_district(tmp_path: Path) -> None:
    result = bench_records(teachers=300, seed=2, folder=tmp_path, sample=5)
    assert result.teachers == 300 and result.rotations > 0
    assert result.database_mb > 0 and result.history_max_ms >= result.history_median_ms > 0
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone


def test_the_records_benchmark_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--teachers", "200", "--seed", "3"])
    out = capsys.readouterr().out
    assert "load_snapshot_s" in out and "history_median_ms" in out


def test_the_across_years_benchmark_on_a_tiny_district(tmp_path: Path) -> None:
    result = bench_years(teachers=300, years=3, seed=2, folder=tmp_path, sample=4)
    assert (result.years, result.teachers) == (3, 300) and result.rotations > 0
    assert result.export_rows == result.rotations
    assert result.statistics_first_s > 0 and result.certificate_max_ms > 0
    assert list(tmp_path.iterdir()) == []


def test_the_across_years_benchmark_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--teachers", "200", "--seed", "3", "--years", "2"])
    out = capsys.readouterr().out
    assert "statistics_first_s" in out and "export_rows" in out
