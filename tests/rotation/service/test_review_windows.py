"""The review store's shortcuts (stored filter choices, unfiltered windows by row number, the
flows index) give what scanning the sheet tables gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.plan import SolveOptions
from rotation.samples.generate import generate_district
from rotation.service.planning import solve_district, write_plan
from rotation.service.review import FILTERS, Review, save_review


def _store(tmp_path: Path) -> Path:
    district = generate_district(teachers=400, seed=3)
    result, _later = solve_district(district, SolveOptions(workers=1))
    store = tmp_path / "review.sqlite"

    def keep(tables: Any, checks: Any) -> None:
        save_review(store, district, result, checks, tables, {"district": district.name})

    write_plan(district, result, tmp_path / "审批表.xlsx", None, keep=keep)
    return store


def test_choices_and_windows_match_a_scan(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with Review(store) as review:
        sheets = review.sheets()
        assert sheets["rotations"][1] > 0 and sheets["not_chosen"][1] > 0
        for key, (_name, count) in sheets.items():
            header = review.header(key)
            for column in FILTERS.get(key, ()):
                if column not in header:
                    continue
                at = header.index(column)
                scanned = [
                    v
                    for (v,) in review.db.execute(
                        f"SELECT DISTINCT CAST(c{at} AS TEXT) FROM t_{key}"
                        f" WHERE c{at} IS NOT NULL ORDER BY 1"
                    )
                ]
                assert review.choices(key, column, limit=10_000) == scanned
                assert review.choices(key, column, limit=2) == scanned[:2]
            columns = ", ".join(f"c{i}" for i in range(len(header)))
            for offset in (0, 3, max(0, count - 2), count + 10):
                window = review.page(key, offset=offset, limit=20)
                scanned_rows = review.db.execute(
                    f"SELECT {columns} FROM t_{key} ORDER BY n LIMIT 20 OFFSET {offset}"
                ).fetchall()
                assert window.total == count
                assert window.rows == [list(r) for r in scanned_rows]
        groups = review.groups()
        flows = [f for g in groups for f in review.flows(g["name"])]
        assert sum(k for *_names, k in flows) == review.facts()["rotations"]
