"""A whole district in one file and back: every row the same after a restore (also from SQLite
to PostgreSQL and back), other districts left behind, damaged or unknown files refused with
nothing written, a district restored only once, accounts never overwritten; and the commands."""

from __future__ import annotations

import hashlib
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from models import District, Pin
from rotation.cli.app import app
from rotation.records import Records, State, migrate
from rotation.records.backup import (
    FORMAT_VERSION,
    MANIFEST,
    TABLES,
    BackupError,
    backup_district,
    restore_district,
)
from rotation.records.engine import make_engine
from rotation.records.schema import Base

from .conftest import ALL_ROLES, BACKENDS, ResultFactory, fresh_database

DistrictMaker = Callable[[int], District]
OTHER = "别的区"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$"
runner = CliRunner()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """More empty databases, of either backend, for restoring into."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def make(backend: str) -> str:
            folder = tmp_path / f"target-{next(numbers)}"
            folder.mkdir()
            return stack.enter_context(fresh_database(backend, folder))

        yield make


def _plan(
    records: Records, snapshot: str, make_result: ResultFactory, year: int, *moves: Any
) -> str:
    return records.save_plan_run(
        snapshot, make_result(year, list(moves)), options={"relax": False}, by="经办"
    ).id


def _step(records: Records, plan_id: str, *steps: str) -> None:
    for step in steps:
        plan = records.plan(plan_id)
        common: dict[str, Any] = {
            "actor": "局长",
            "roles": ALL_ROLES,
            "expected_version": plan.version,
        }
        year = plan.year
        if step == "publish":
            records.publish(plan_id, start=date(year, 6, 1), end=date(year, 6, 7), **common)
        elif step == "approve":
            records.approve(plan_id, comment="同意", **common)
        else:
            records.return_plan(plan_id, comment="人数不足，请补充", **common)


def populate(records: Records, district: DistrictMaker, make_result: ResultFactory) -> str:
    """Two school years with plans in every state, pins, scenarios, accounts, and another
    district beside it; the district's name."""
    name = district(2025).name
    for year in (2025, 2026):
        snap = records.save_snapshot(
            district(year),
            file_bytes=b"PK\x03\x04\x00\xff binary " + str(year).encode(),
            file_name=f"{year}年数据.xlsx",
            file_kind="xlsx",
            by="经办",
        )
        approved = _plan(records, snap.id, make_result, year, ("MHT000001", "MH0001", "MH0002", 2))
        _step(records, approved, "publish", "approve")
        returned = _plan(records, snap.id, make_result, year)
        _step(records, returned, "publish", "return")
        records.replace_plan(
            returned,
            records.load_plan(approved),
            expected_version=records.plan(returned).version,
            by="经办",
        )
        _step(records, _plan(records, snap.id, make_result, year), "publish")
        _plan(records, snap.id, make_result, year)  # a draft
        records.save_scenario(
            name, year, name="多派骨干", text="[policy]\nmin = 0.1\n", by="经办", plan_id=approved
        )
        pin = Pin.model_validate(
            {
                "teacher_id": "MHT000005",
                "kind": "必须交流至",
                "school_id": "MH0002",
                "reason": "支教",
            }
        )
        records.set_pin(name, year, pin, by="经办")
        records.set_pin(name, year, pin.model_copy(update={"teacher_id": "MHT000006"}), by="经办")
        records.remove_pin(name, year, "MHT000006", by="经办")
    records.save_scenario(name, 2026, name="无方案", text="", by="经办")
    records.save_user("张三", HASH + "a", ["经办人"], by="管理员")
    records.save_user("李四", HASH + "b", ["审核人", "审批人"], by="管理员")
    records.audit("张三", "login")
    other = district(2025).model_copy(update={"name": OTHER})
    snap = records.save_snapshot(
        other, file_bytes=b"other", file_name="o.xlsx", file_kind="xlsx", by="别人"
    )
    _step(
        records,
        _plan(records, snap.id, make_result, 2025, ("MHT000002", "MH0001", "MH0003", 1)),
        "publish",
        "approve",
    )
    records.set_pin(OTHER, 2025, pin, by="别人")
    records.save_scenario(OTHER, 2025, name="别的", text="", by="别人")
    return name


def dump(url: str, name: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the district's records as plain dicts, in key order: auto-numbered ids
    left out, references to them by name (district) and year (school year)."""
    engine = make_engine(url)
    tables = Base.metadata.tables
    try:
        with engine.connect() as connection:
            rows = {
                t: [
                    dict(r)
                    for r in connection.execute(
                        select(tables[t]).order_by(tables[t].c.id)
                    ).mappings()
                ]
                for t in TABLES
            }
    finally:
        engine.dispose()
    districts = {r["id"]: r["name"] for r in rows["districts"]}
    years = {r["id"]: (districts[r["district_id"]], r["year"]) for r in rows["school_years"]}
    for table, lines in rows.items():
        numbered = tables[table].c.id.type.python_type is int
        for line in lines:
            if numbered:
                del line["id"]
            if "district_id" in line:
                line["district_id"] = districts[line["district_id"]]
            if "school_year_id" in line:
                line["school_year_id"] = years[line["school_year_id"]]
            for key, value in line.items():
                if isinstance(value, memoryview):
                    line[key] = bytes(value)
    ids = {
        r["id"]
        for t in ("input_snapshots", "plan_runs", "scenarios")
        for r in rows[t]
        if r["school_year_id"][0] == name
    }
    plans = {r["id"] for r in rows["plan_runs"] if r["school_year_id"][0] == name}

    def ours(table: str, line: dict[str, Any]) -> bool:
        if table == "districts":
            return bool(line["name"] == name)
        if table == "users":
            return True
        if table == "approval_events":
            return line["plan_run_id"] in plans
        if table == "audit_log":
            detail = line["detail"]
            if line["action"] in ("district backed up", "district restored"):
                return False
            return detail.get("district") == name or bool(set(map(str, detail.values())) & ids)
        key = line.get("district_id") or line["school_year_id"][0]
        return bool(key == name)

    return {t: [line for line in lines if ours(t, line)] for t, lines in rows.items()}


@pytest.mark.parametrize("target_backend", BACKENDS)
def test_a_district_round_trip(
    records: Records,
    database_url: str,
    target_backend: str,
    fresh: Callable[[str], str],
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    name = populate(records, small_district, make_result)
    before = dump(database_url, name)
    assert {p.state for y in (2025, 2026) for p in records.plans(name, y)} == set(State)
    assert all(before[t] for t in TABLES), [t for t in TABLES if not before[t]]
    file = tmp_path / "备份.zip"
    report = backup_district(database_url, name, file)
    assert report.rows == {t: len(before[t]) for t in TABLES}
    assert report.rows["school_years"] == 2 and report.rows["plan_runs"] == 8
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temporary name, then renamed

    target = fresh(target_backend)
    restored = restore_district(target, file)
    assert restored.rows == report.rows
    assert (restored.users_added, restored.users_kept) == (("张三", "李四"), ())
    after = dump(target, name)
    for table in TABLES:
        assert after[table] == before[table], table
    assert dump(target, OTHER)["districts"] == []

    again = Records.open(target)
    try:
        for year in (2025, 2026):
            assert again.plans(name, year) == records.plans(name, year)
            assert again.pins(name, year) == records.pins(name, year)
            for plan in records.plans(name, year):
                assert again.events(plan.id) == records.events(plan.id)
                assert again.load_result(plan.id) == records.load_result(plan.id)
                assert again.load_snapshot(plan.snapshot_id) == records.load_snapshot(
                    plan.snapshot_id
                )
                assert again.snapshot_file(plan.snapshot_id) == records.snapshot_file(
                    plan.snapshot_id
                )
        assert again.teacher_history(name, "MHT000001") == records.teacher_history(
            name, "MHT000001"
        )
        assert [line.action for line in again.audit_lines(1)] == ["district restored"]
    finally:
        again.close()


def test_other_districts_stay_behind(
    records: Records,
    database_url: str,
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    name = populate(records, small_district, make_result)
    file = tmp_path / "b.zip"
    backup_district(records, name, file)
    with zipfile.ZipFile(file) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        text = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("tables/"))
    assert manifest["district"] == name and manifest["format_version"] == FORMAT_VERSION
    assert manifest["schema_revision"] == migrate.head()
    assert OTHER.encode() not in text and "别人".encode() not in text
    assert b'"login"' not in text  # a login names no district
    with pytest.raises(BackupError, match=f"没有区县「不存在」.*{OTHER}"):
        backup_district(records, "不存在", tmp_path / "c.zip")
    assert not (tmp_path / "c.zip").exists()
    # the backup is in the source's audit log
    assert records.audit_lines(1)[0].action == "district backed up"


def _rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))


def _manifest_change(**fields: Any) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        return json.dumps({**json.loads(data), **fields}).encode()

    return change


def _untouched(url: str) -> bool:
    return (
        migrate.current(url) is None
        if url.startswith("postgresql")
        else not Path(url.removeprefix("sqlite:///")).exists()
    )


def test_damaged_or_unknown_files_are_refused_with_nothing_written(
    records: Records,
    database_url: str,
    fresh: Callable[[str], str],
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    name = populate(records, small_district, make_result)
    good = tmp_path / "good.zip"
    backup_district(records, name, good)
    data = good.read_bytes()
    cases: dict[str, str] = {}

    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    cases[str(cut)] = "已损坏"
    flipped = tmp_path / "flipped.zip"
    middle = len(data) // 3
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    cases[str(flipped)] = "已损坏"
    edited = tmp_path / "edited.zip"
    _rezip(
        good,
        edited,
        lambda n, d: d.replace("同意".encode(), "反对".encode()) if "approval" in n else d,
    )
    cases[str(edited)] = "approval_events.jsonl 的 SHA-256 校验值不符"
    newer = tmp_path / "newer.zip"
    _rezip(good, newer, _manifest_change(format_version=FORMAT_VERSION + 1))
    cases[str(newer)] = "格式版本（2）较新"
    future = tmp_path / "future.zip"
    _rezip(good, future, _manifest_change(schema_revision="9999"))
    cases[str(future)] = "较新版本的程序（数据库结构版本 9999）"
    stranger = tmp_path / "stranger.zip"
    _rezip(good, stranger, lambda n, d: d if n != MANIFEST else b'{"format": "x"}')
    cases[str(stranger)] = "不是区县备份文件"
    plain = tmp_path / "plain.zip"
    plain.write_bytes(b"not a zip at all")
    cases[str(plain)] = "已损坏"

    target = fresh(database_url.split(":")[0].split("+")[0])
    for path, message in cases.items():
        with pytest.raises(BackupError, match=message):
            restore_district(target, Path(path))
        assert _untouched(target), path
    restore_district(target, good)  # the good one is restored


def test_a_district_is_restored_once_and_accounts_are_never_overwritten(
    records: Records,
    database_url: str,
    fresh: Callable[[str], str],
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    name = populate(records, small_district, make_result)
    file = tmp_path / "b.zip"
    backup_district(records, name, file)
    with pytest.raises(BackupError, match="已有区县"):
        restore_district(records, file)  # into its own source

    target = Records.open(fresh(database_url.split(":")[0].split("+")[0]))
    try:
        target.save_user("张三", HASH + "a", ["经办人"], by="管理员")  # the same account
        target.save_user("李四", HASH + "other", ["经办人"], by="管理员")  # another 李四
        report = restore_district(target, file)
        assert (report.users_added, report.users_kept) == ((), ("李四",))
        kept = target.user("李四")
        assert kept is not None and kept.password_hash == HASH + "other"
        counts = _counts(target)
        with pytest.raises(BackupError, match="已有区县「闵行区（模拟）」"):
            restore_district(target, file)
        assert _counts(target) == counts
    finally:
        target.close()


def _counts(records: Records) -> dict[str, int]:
    with records.engine.connect() as connection:
        return {
            t: connection.scalar(select(func.count()).select_from(Base.metadata.tables[t])) or 0
            for t in TABLES
        }


def test_backup_and_restore_commands(
    records: Records,
    database_url: str,
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    name = populate(records, small_district, make_result)
    file = tmp_path / "闵行区备份.zip"
    made = runner.invoke(
        app, ["backup", "--database", database_url, "--district", name, "-o", str(file)]
    )
    assert made.exit_code == 0, made.output
    assert f"已备份区县「{name}」" in made.output and "方案 8 个" in made.output
    again = runner.invoke(
        app, ["backup", "--database", database_url, "--district", name, "-o", str(file)]
    )
    assert again.exit_code == 1 and "--force" in again.output
    both = [*("backup", "--database", database_url, "--data", str(tmp_path)), "-o", "n.zip"]
    both_result = runner.invoke(app, [*both, "--district", name])
    assert both_result.exit_code == 1 and "只能给出一个" in both_result.output
    missing = runner.invoke(
        app, ["backup", "--database", database_url, "--district", "无此区", "-o", "x.zip"]
    )
    assert missing.exit_code == 1 and "没有区县「无此区」" in missing.output

    data = tmp_path / "新数据"
    restored = runner.invoke(app, ["restore", str(file), "--data", str(data)])
    assert restored.exit_code == 0, restored.output
    assert f"已恢复区县「{name}」" in restored.output and "records.sqlite" in restored.output
    assert (data / "records.sqlite").is_file()
    twice = runner.invoke(app, ["restore", str(file), "--data", str(data)])
    assert twice.exit_code == 1 and "已有区县" in twice.output
    assert "Traceback" not in twice.output
    nothing = runner.invoke(
        app, ["backup", "--data", str(tmp_path / "空"), "--district", name, "-o", "n.zip"]
    )
    assert nothing.exit_code == 1 and "找不到记录数据库" in nothing.output
    assert not (tmp_path / "空").exists()


def _as_revision_0002(source: Path, target: Path) -> None:
    """The backup as the program of revision 0002 wrote it: plan runs without name and note."""
    dropped = ("name", "note")
    with zipfile.ZipFile(source) as old:
        members = {item.filename: old.read(item.filename) for item in old.infolist()}
    lines = [json.loads(raw) for raw in members["tables/plan_runs.jsonl"].splitlines() if raw]
    text = "".join(
        json.dumps({k: v for k, v in line.items() if k not in dropped}, ensure_ascii=False) + "\n"
        for line in lines
    )
    members["tables/plan_runs.jsonl"] = text.encode()
    manifest = json.loads(members[MANIFEST])
    manifest["schema_revision"] = "0002"
    table = manifest["tables"]["plan_runs"]
    table["columns"] = [c for c in table["columns"] if c not in dropped]
    data = members["tables/plan_runs.jsonl"]
    manifest["members"]["tables/plan_runs.jsonl"] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    members[MANIFEST] = json.dumps(manifest, ensure_ascii=False).encode()
    with zipfile.ZipFile(target, "w") as new:
        for name, content in members.items():
            new.writestr(name, content)


def test_a_backup_of_an_older_revision_restores(
    records: Records,
    database_url: str,
    fresh: Callable[[str], str],
    small_district: DistrictMaker,
    make_result: ResultFactory,
    tmp_path: Path,
) -> None:
    """A district backed up before plans had names (revision 0002) restores into this
    program's schema: the columns added since take their defaults; a column the program does
    not know is still refused."""
    name = populate(records, small_district, make_result)
    good = tmp_path / "good.zip"
    backup_district(records, name, good)
    older = tmp_path / "0002.zip"
    _as_revision_0002(good, older)
    target = fresh(database_url.split(":")[0].split("+")[0])
    restore_district(target, older)
    restored = Records.open(target)
    try:
        plans = [p for y in (2025, 2026) for p in restored.plans(name, y)]
        assert plans and all((p.name, p.note) == ("", "") for p in plans)
        assert {p.id for p in plans} == {p.id for y in (2025, 2026) for p in records.plans(name, y)}
    finally:
        restored.close()
    unknown = tmp_path / "unknown.zip"

    def extra_column(n: str, d: bytes) -> bytes:
        if n != MANIFEST:
            return d
        manifest = json.loads(d)
        manifest["tables"]["plan_runs"]["columns"].append("colour")
        return json.dumps(manifest).encode()

    _rezip(good, unknown, extra_column)
    with pytest.raises(BackupError, match="列不一致"):
        restore_district(fresh(database_url.split(":")[0].split("+")[0]), unknown)
