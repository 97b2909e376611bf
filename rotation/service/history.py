"""A district across school years, from its records (issue 15 item 4): the statistics of each
approved year, the export for the national teacher information system, and the data of a
teacher's 交流经历证明 (its print view is rotation/web/templates/certificate.html).

    district_statistics(records, "闵行区")                 # [YearStatistics, …] oldest first
    write_national_export(records, "闵行区", path, year=2025)
    certificate(records, "闵行区", "MHT000001")

A year's statistics need its whole input validated (about 0.3 s for 10,000 teachers), so they
are kept in memory once computed, by plan id: an approved plan and its input never change
(the records lock both), so what was computed stays true. A later call costs one query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

from pydantic import TypeAdapter

from models.plan import RotationKind
from rotation.formats.safe_write import atomic_write
from rotation.formats.xlsxfast import write_tables
from rotation.memory import paused_cycle_collection
from rotation.records import NotFound, Records
from rotation.records.queries import (
    SnapshotNames,
    approved_input,
    approved_moves,
    approved_plans,
    snapshot_names,
)
from rotation.records.repository import RETURN_KIND
from rotation.reports.history import (
    NATIONAL_HEADER,
    Certificate,
    CertifiedRotation,
    GroupYear,
    NationalRow,
    SchoolYear,
    Served,
    YearStatistics,
    certificate_of,
    national_table,
    year_statistics,
)
from rotation.service.store import DataDir

__all__ = [
    "NATIONAL_HEADER",
    "Certificate",
    "CertifiedRotation",
    "GroupYear",
    "SchoolYear",
    "YearStatistics",
    "certificate",
    "district_statistics",
    "fill_statistics",
    "forget_statistics",
    "missing_statistics",
    "national_rows",
    "write_national_export",
    "year_statistics_of",
]

#: Approved years whose statistics stay in memory (a few kB each).
CACHED_YEARS = 512
_NO_NAMES = SnapshotNames("", 0, {}, {}, {})
_cache: OrderedDict[str, YearStatistics] = OrderedDict()
_lock = threading.Lock()


def _cached(plan_id: str) -> YearStatistics | None:
    with _lock:
        found = _cache.get(plan_id)
        if found is not None:
            _cache.move_to_end(plan_id)
        return found


def _keep(stats: YearStatistics) -> None:
    with _lock:
        _cache[stats.plan_id] = stats
        while len(_cache) > CACHED_YEARS:
            _cache.popitem(last=False)


def forget_statistics() -> None:
    """Empty the in-memory statistics (benchmarks time the first computation)."""
    with _lock:
        _cache.clear()


_STATISTICS = TypeAdapter(YearStatistics)


def year_statistics_of(records: Records, plan_id: str) -> YearStatistics:
    """One approved plan's statistics: from memory, else from the records (kept there the
    first time they were computed), else computed now and kept."""
    found = _cached(plan_id)
    if found is None:
        kept = records.year_statistics([plan_id]).get(plan_id)
        found = _STATISTICS.validate_json(kept) if kept is not None else _computed(records, plan_id)
        _keep(found)
    return found


def _computed(records: Records, plan_id: str) -> YearStatistics:
    """Compute a year's statistics from its plan and input, and keep them in the records."""
    with paused_cycle_collection():
        plan, district = approved_input(records, plan_id)
        found = year_statistics(district, plan, plan_id)
    records.save_year_statistics(plan_id, _STATISTICS.dump_json(found).decode())
    return found


def missing_statistics(records: Records, district: str) -> list[str]:
    """The approved plans whose statistics were never computed (the web computes them in a
    process of its own: a city's input is large)."""
    plans = [a.plan_id for a in approved_plans(records, district)]
    kept = records.year_statistics(plans)
    return [p for p in plans if p not in kept and _cached(p) is None]


def fill_statistics(data: DataDir, district: str) -> int:
    """Compute and keep the statistics of every approved year that has none (run by the web in
    a process of its own); how many were computed."""
    records = data.records()
    missing = missing_statistics(records, district)
    for plan_id in missing:
        year_statistics_of(records, plan_id)
    return len(missing)


def district_statistics(records: Records, district: str) -> list[YearStatistics]:
    """Each approved school year's statistics, oldest first: two queries when every year was
    computed before, more per year that was not."""
    plans = [a.plan_id for a in approved_plans(records, district)]
    kept = records.year_statistics([p for p in plans if _cached(p) is None])
    for data in kept.values():
        _keep(_STATISTICS.validate_json(data))
    out = []
    for plan_id in plans:
        found = _cached(plan_id)
        if found is None:
            found = _computed(records, plan_id)
            _keep(found)
        out.append(found)
    return out


def national_rows(records: Records, district: str, year: int | None = None) -> list[NationalRow]:
    """The approved rotations of a district (of the plans of `year` only, when given), by
    start year and teacher; names from the input each plan was made from. Of a school year
    approved twice, only the latest approved plan counts (as for the statistics)."""
    current = {a.plan_id for a in approved_plans(records, district, year)}
    moves = [
        m
        for m in approved_moves(records, district, year=year, returns=False)
        if m.plan_id in current
    ]
    with paused_cycle_collection():
        names = snapshot_names(
            records, {m.snapshot_id for m in moves}, teachers={m.teacher_id for m in moves}
        )
    rows = []
    for m in moves:
        known = names.get(m.snapshot_id)
        teacher = known.teachers.get(m.teacher_id) if known else None
        rows.append(
            NationalRow(
                teacher_id=m.teacher_id,
                name=teacher.name if teacher else "",
                kind=RotationKind(m.kind),
                start_year=m.start_year,
                end_year=m.end_year,
                home_school=_school_name(known, m.from_school_id),
                host_school=_school_name(known, m.to_school_id),
            )
        )
    rows.sort(key=lambda r: (r.start_year, r.teacher_id))
    return rows


def _school_name(names: SnapshotNames | None, school_id: str) -> str:
    """A school's name in an input, or its id where the input does not know it."""
    school = names.schools.get(school_id) if names else None
    return school.name if school else school_id


def _group_name(names: SnapshotNames | None, school_id: str) -> str:
    school = names.schools.get(school_id) if names else None
    return names.groups.get(school.group_id, "") if names and school else ""


def write_national_export(
    records: Records, district: str, path: Path, year: int | None = None, *, force: bool = False
) -> int:
    """Write the national system's 交流轮岗 record (.xlsx, row 1 the header) of a district's
    approved rotations, of one school year when `year` is given; the number of rows. An
    existing file is replaced only with `force`."""
    rows = national_rows(records, district, year)
    table = national_table(rows)
    atomic_write(Path(path), lambda temp: write_tables(temp, [table]), force=force)
    return len(rows)


def certificate(
    records: Records, district: str, teacher_id: str, *, issued: date | None = None
) -> Certificate:
    """A teacher's 交流经历证明: name and home school from the latest approved input that lists
    the teacher, each rotation's schools and group as named in its own plan's input, its status
    as the teacher's history says (`Records.teacher_history`); of a school year approved twice,
    the latest approved plan only. NotFound when no approved input knows the teacher. Reads the
    latest input and those of the teacher's rotations; the older ones only for a teacher the
    latest no longer lists."""
    plans = approved_plans(records, district)
    if not plans:
        raise NotFound("教师", teacher_id)
    moves = approved_moves(records, district, teacher_id=teacher_id)
    snapshot_of = {m.plan_id: m.snapshot_id for m in moves}
    current = {a.plan_id for a in plans}
    history = [
        h
        for h in records.teacher_history(district, teacher_id)
        if h.kind != RETURN_KIND and h.plan_id in current
    ]
    with paused_cycle_collection():
        wanted = {plans[-1].snapshot_id, *snapshot_of.values()}
        names = snapshot_names(records, wanted, teachers={teacher_id})
        if teacher_id not in names.get(plans[-1].snapshot_id, _NO_NAMES).teachers:
            older = {a.snapshot_id for a in plans} - wanted
            names |= snapshot_names(records, older, teachers={teacher_id})
    latest = next(
        (
            names[a.snapshot_id]
            for a in reversed(plans)
            if teacher_id in names.get(a.snapshot_id, _NO_NAMES).teachers
        ),
        None,
    )
    if latest is None:
        raise NotFound("教师", teacher_id)
    teacher = latest.teachers[teacher_id]
    served = []
    for h in history:
        own = names.get(snapshot_of.get(h.plan_id, ""), latest)
        served.append(
            Served(
                kind=h.kind,
                home_school=_school_name(own, h.from_school_id),
                host_school=_school_name(own, h.to_school_id),
                group=_group_name(own, h.to_school_id),
                host_school_id=h.to_school_id,
                start_year=h.start_year,
                end_year=h.end_year,
                status=h.status,
            )
        )
    return certificate_of(
        district=district,
        teacher_id=teacher_id,
        name=teacher.name,
        subject=teacher.subject,
        home_school_id=teacher.school_id,
        home_school=_school_name(latest, teacher.school_id),
        served=served,
        as_of_year=plans[-1].year,
        issued=issued or date.today(),
    )
