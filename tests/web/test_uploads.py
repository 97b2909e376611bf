"""Uploads through POST /api/uploads: the reader's own bad-input corpus answers 422 with the
very problems `read_district` raises and keeps nothing; files that are not inputs, hostile
archives and oversize bodies are refused; a zip of CSV files and JSON are read like a workbook."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from models import InputError
from rotation.formats.reading import read_district

from ..rotation.formats.test_reading import (  # type: ignore[import-not-found]
    _append_rows,
    _records,
    _rewrite_part,
    edited,
    sheets,
    write_csv_folder,
    write_xlsx,
)
from .conftest import audit_lines, serve, upload_bytes  # type: ignore[import-not-found]

Make = Callable[[Path], Path]
TEACHERS = "xl/worksheets/sheet3.xml"


def _xlsx(data: Any) -> Make:
    return lambda folder: write_xlsx(folder / "d.xlsx", data)


def _policy(*rows: list[Any]) -> Make:
    data = sheets()
    data["规则"] += [list(r) for r in rows]
    return _xlsx(data)


def _json(edit: Callable[[str], str]) -> Make:
    def make(folder: Path) -> Path:
        body = json.dumps({k: _records(v) for k, v in sheets().items()}, ensure_ascii=False)
        path = folder / "d.json"
        path.write_text(edit(body), encoding="utf-8")
        return path

    return make


def _csv(data: Any, edit: Callable[[Path], None] = lambda _folder: None) -> Make:
    def make(folder: Path) -> Path:
        csv_folder = write_csv_folder(folder / "csv", data)
        edit(csv_folder)
        return csv_folder

    return make


def _far_cell(folder: Path) -> Path:
    path = write_xlsx(folder / "d.xlsx", sheets())
    workbook = openpyxl.load_workbook(path)
    workbook["教师"]["XFD1048576"] = "x"
    workbook.save(path)
    return path


def _stray_row(folder: Path) -> Path:
    path = write_xlsx(folder / "d.xlsx", sheets())
    _append_rows(
        path, b'<row r="1048576"><c r="S1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    return path


def _error_values(folder: Path) -> Path:
    path = write_xlsx(folder / "d.xlsx", sheets())
    workbook = openpyxl.load_workbook(path)
    for ref, value in (("F2", "#N/A"), ("F4", "#DIV/0!")):
        workbook["教师"][ref].value = value
        workbook["教师"][ref].data_type = "e"
    workbook.save(path)
    return path


def _nan(folder: Path) -> Path:
    path = write_xlsx(folder / "d.xlsx", edited("教师", 2, "出生年份", 8888))
    _rewrite_part(path, TEACHERS, lambda b: b.replace(b"<v>8888</v>", b"<v>NaN</v>"))
    return path


def _zip_bomb(folder: Path) -> Path:
    path = write_xlsx(folder / "d.xlsx", sheets())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (40 << 20))
    return path


def _stray_quote(folder: Path) -> None:
    file = folder / "教师.csv"
    lines = file.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("李二", '"李二', 1)
    file.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def _bad_encoding(folder: Path) -> None:
    (folder / "教师.csv").write_bytes(b"\x81\x30\xff\xff\x80")


def _every_problem() -> Any:
    data = sheets()
    data["教师"][1][5] = "abc"
    data["教师"][3][0] = "T2"
    data["教师"][4][2] = "S9"
    data["学校"][1][3] = "大学"
    data["规则"].append(["backbone_share", "很多"])
    return data


def _lead_elsewhere() -> Any:
    data = sheets()
    data["集团"].append(["G2", "第二集团", "S2"])
    data["学校"][2][2] = "G2"
    data["学校"].append(["S4", "新区小学", "G2", "小学", "否"])
    data["集团"][1][2] = "S2"
    return data


def _deferred_pin() -> Any:
    data = sheets(锁定=[["教师编号", "类型", "学校编号"], ["T1", "必须交流至", "S2"]])
    data["教师"][0].append("暂缓交流原因")
    data["教师"][1].append("孕期")
    return data


def _missing_column() -> Any:
    data = sheets()
    for row in data["教师"]:
        del row[3]
    return data


def _mistyped_header() -> Any:
    data = sheets()
    data["教师"][0][3] = "任教学科"
    return data


#: The reader's bad inputs (tests/rotation/formats/test_reading.py), each made in a folder.
CORPUS: dict[str, Make] = {
    "missing sheet": _xlsx(sheets(教师=None)),
    "missing column": _xlsx(_missing_column()),
    "mistyped header": _xlsx(_mistyped_header()),
    "empty required cell": _xlsx(edited("教师", 3, "姓名", None)),
    "bad integer": _xlsx(edited("教师", 2, "出生年份", "一九八〇")),
    "date for an integer": _xlsx(edited("教师", 4, "出生年份", date(1985, 3, 1))),
    "out of range": _xlsx(edited("教师", 5, "本校连续任教年限", 99)),
    "bad yes/no": _xlsx(edited("学校", 3, "薄弱学校", "也许")),
    "bad choice": _xlsx(edited("教师", 2, "性别", "未知")),
    "logical value": _xlsx(edited("教师", 2, "出生年份", True)),
    "duplicate id": _xlsx(edited("教师", 4, "教师编号", "T1")),
    "unknown school": _xlsx(edited("教师", 3, "学校编号", "S9")),
    "unknown group": _xlsx(edited("学校", 3, "集团编号", "G9")),
    "lead school elsewhere": _xlsx(_lead_elsewhere()),
    "nine-year stage": _xlsx(edited("教师", 5, "任教学段", None)),
    "ongoing ends first": _xlsx(
        sheets(
            在岗交流=[
                ["教师编号", "流出学校编号", "流入学校编号", "开始学年", "结束学年"],
                ["T1", "S1", "S2", 2024, 2023],
            ]
        )
    ),
    "unknown policy key": _policy(["min_years_at_scool", 5]),
    "bad ratio": _policy(["min_rotation_ratio", "150%"]),
    "duplicate policy key": _policy(["weak_inflow_min", 3], ["weak_inflow_min", 4]),
    "no plan year": _xlsx(sheets(规则=None)),
    "plan year per group": _xlsx(
        sheets(
            规则=[["参数", "值", "集团编号"], ["plan_year", 2025, None], ["plan_year", 2026, "G1"]]
        )
    ),
    "deferred pinned to go": _xlsx(_deferred_pin()),
    "every problem at once": _xlsx(_every_problem()),
    "huge number": _xlsx(edited("教师", 2, "出生年份", "1e999999999")),
    "NaN text": _xlsx(edited("教师", 2, "出生年份", "NaN")),
    "NaN value": _nan,
    "far cell": _far_cell,
    "stray far row": _stray_row,
    "Excel error values": _error_values,
    "blank first row": _xlsx(sheets(需求=[[None, None], ["学校编号", "学科"], ["S2", "数学"]])),
    "empty sheet": _xlsx(sheets(教师=[[None]])),
    "zip bomb": _zip_bomb,
    "csv stray quote": _csv(sheets(), _stray_quote),
    "csv bad encoding": _csv(sheets(), _bad_encoding),
    "csv bad integer": _csv(edited("教师", 4, "出生年份", "0.5")),
    "csv control characters only": _csv(edited("教师", 2, "姓名", "\x00\x07")),
    "json bad row": _json(lambda b: b.replace('"本校连续任教年限": 7', '"本校连续任教年限": "x"')),
    "json huge number": _json(lambda b: b.replace('"出生年份": 1980', '"出生年份": ' + "9" * 5000)),
    "json key twice": _json(
        lambda b: b.replace('"出生年份": 1980', '"出生年份": 1980, "出生年份": 1')
    ),
    "json nesting": lambda f: _text(
        f / "d.json", '{"教师": ' + "[" * 100_000 + "]" * 100_000 + "}"
    ),
    "json broken": lambda f: _text(f / "d.json", "{not json"),
    "json top level list": lambda f: _text(f / "d.json", "[1, 2]"),
    "csv missing sheet": _csv(sheets(教师=None)),
    "json missing sheet": _json(lambda b: b.replace('"教师"', '"备注"')),
    "json plain bytes": lambda f: _bytes(f / "d.json", b"{\xff\xfe\x00"),
}


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def zipped(folder: Path, names: dict[str, str] | None = None) -> bytes:
    """The CSV files of a folder as a zip (member names renamed by `names`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.writestr((names or {}).get(file.name, file.name), file.read_bytes())
    return buffer.getvalue()


def as_upload(path: Path) -> tuple[str, bytes]:
    """What a clerk uploads for an input: the file itself, or a folder of CSVs zipped."""
    if path.is_dir():
        return f"{path.name}.zip", zipped(path)
    return path.name, path.read_bytes()


def reader_problems(path: Path) -> list[dict[str, Any]]:
    """What `read_district` raises for an input, as SPEC §9 gives problems."""
    with pytest.raises(InputError) as excinfo:
        read_district(path)
    return [
        {"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message}
        for p in excinfo.value.problems
    ]


def stored(data: Path) -> list[Path]:
    return sorted((data / "uploads").rglob("*"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    """One single-user server for the rejected uploads (they leave nothing behind)."""
    data = tmp_path_factory.mktemp("uploads") / "data"
    with serve(data) as client:
        yield client, data


def rejected(client: TestClient, name: str, content: bytes) -> dict[str, Any]:
    answer = upload_bytes(client, name, content)
    assert answer.status_code == 422, answer.text[:500]
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "problems"}
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    return body


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_readers_bad_inputs_are_refused_with_its_problems(
    server: tuple[TestClient, Path], tmp_path: Path, case: str
) -> None:
    client, data = server
    path = CORPUS[case](tmp_path)
    expected = reader_problems(path)
    name, content = as_upload(path)
    body = rejected(client, name, content)
    assert [
        {k: p[k] for k in ("sheet", "row", "column", "message")} for p in body["problems"]
    ] == expected
    assert stored(data) == []
    last = audit_lines(data)[-1]
    assert (last["action"], last["accepted"], last["filename"]) == ("upload", False, name)

    assert last["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("d.xlsx", bytes(range(256)) * 4, "不支持的文件类型"),
        ("随机.bin", b"\x00\x01 plain bytes", "不支持的文件类型"),
        ("d.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "另存为 .xlsx"),
        ("d.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "不支持的文件类型"),
        ("d.csv", "教师编号,姓名\nT1,张一\n".encode(), "不支持的文件类型"),
        ("空.xlsx", b"", "不支持的文件类型"),
        ("d.xlsx", b"PK\x03\x04 broken zip", "已损坏"),
    ],
)
def test_files_that_are_not_inputs(
    server: tuple[TestClient, Path], name: str, content: bytes, words: str
) -> None:
    client, data = server
    body = rejected(client, name, content)
    assert words in body["error"]
    assert stored(data) == []


def test_a_zip_of_csv_files_reads_like_the_workbook(local: TestClient, tmp_path: Path) -> None:
    workbook = local.post(
        "/api/uploads",
        files={"file": ("甘州区.xlsx", write_xlsx(tmp_path / "x.xlsx", sheets()).read_bytes())},
    ).json()
    folder = write_csv_folder(tmp_path / "csv", sheets())
    answer = upload_bytes(local, "甘州区.zip", zipped(folder))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["district"] == "甘州区"
    assert {k: body[k] for k in ("district", "plan_year", "summary")} == {
        k: workbook[k] for k in ("district", "plan_year", "summary")
    }


@pytest.mark.parametrize(
    "names",
    [
        {"集团.csv": "../../集团.csv", "学校.csv": "/tmp/学校.csv", "教师.csv": "..\\..\\教师.csv"},
        {"集团.csv": "a/b/../../../集团.csv", "规则.csv": "C:\\规则.csv"},
    ],
)
def test_names_inside_a_zip_never_become_paths(
    local: TestClient, tmp_path: Path, names: dict[str, str]
) -> None:
    folder = write_csv_folder(tmp_path / "src" / "csv", sheets())
    answer = upload_bytes(local, "../../甘州区.zip", zipped(folder, names))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["district"] == "甘州区"  # the file name's last part, never a path
    data = tmp_path / "data"
    kept = data / "uploads" / body["upload_id"] / "input"
    assert sorted(p.name for p in kept.iterdir()) == [
        "学校.csv",
        "教师.csv",
        "规则.csv",
        "集团.csv",
    ]
    outside = [
        p
        for p in tmp_path.rglob("*.csv")
        if not p.is_relative_to(kept) and not p.is_relative_to(tmp_path / "src")
    ]
    assert outside == []
    assert not Path("/tmp/学校.csv").exists()


def test_a_zip_of_other_files_or_too_many_or_too_packed_is_refused(
    server: tuple[TestClient, Path], tmp_path: Path
) -> None:
    client, data = server
    folder = write_csv_folder(tmp_path / "csv", sheets())
    for index in range(20):
        (folder / f"x{index}.csv").write_text("a,b\n", encoding="utf-8")
    assert "过多" in rejected(client, "many.zip", zipped(folder))["error"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("教师.csv", "教师编号\n" + "T1\n" * 2_000_000)
    assert "压缩比异常" in rejected(client, "packed.zip", buffer.getvalue())["error"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("照片.jpg", b"\xff\xd8")
    assert "CSV" in rejected(client, "other.zip", buffer.getvalue())["error"]
    assert stored(data) == []


def test_a_zip_whose_members_lie_about_their_size_is_refused(
    server: tuple[TestClient, Path], tmp_path: Path
) -> None:
    client, data = server
    folder = write_csv_folder(tmp_path / "csv", sheets())
    content = bytearray(zipped(folder))
    # The central directory's uncompressed size of the first member, made smaller.
    at = content.find(b"PK\x01\x02")
    size_at = at + 24
    real = int.from_bytes(content[size_at : size_at + 4], "little")
    content[size_at : size_at + 4] = (real // 2).to_bytes(4, "little")
    body = rejected(client, "lying.zip", bytes(content))
    assert "已损坏" in body["error"]
    assert stored(data) == []


def test_an_encrypted_zip_is_refused(server: tuple[TestClient, Path], tmp_path: Path) -> None:
    client, data = server
    folder = write_csv_folder(tmp_path / "csv", sheets())
    content = bytearray(zipped(folder))
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        while at != -1:  # every member marked encrypted (bit 0 of the flags)
            content[at + flags] |= 1
            at = content.find(signature, at + 4)
    assert "加密" in rejected(client, "secret.zip", bytes(content))["error"]
    assert stored(data) == []


def test_json_input_is_read_and_named_like_the_command_line_names_it(
    local: TestClient, tmp_path: Path
) -> None:
    document: dict[str, Any] = {"区县": "甘州区"}
    for name, rows in sheets().items():
        document[name] = _records(rows)
    path = tmp_path / "导出数据.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    answer = upload_bytes(local, path.name, path.read_bytes())
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] == "甘州区" == read_district(path).name
    assert answer.json()["summary"]["teachers"] == 4
    del document["区县"]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    answer = upload_bytes(local, path.name, path.read_bytes())
    assert answer.json()["district"] == "导出数据" == read_district(path).name


def test_an_upload_over_the_limit_is_413(
    local: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rotation.web.app

    monkeypatch.setattr(rotation.web.app, "MAX_UPLOAD_BYTES", 1000)
    content = b"PK" + b"\0" * (200 << 10)
    answer = upload_bytes(local, "big.xlsx", content)
    assert answer.status_code == 413
    assert answer.json()["problems"] == [] and "过大" in answer.json()["error"]
    assert stored(tmp_path / "data") == []
    # A body sent in chunks, without a declared length, is counted as it arrives.
    boundary = "x-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(20):
            yield b"\0" * (16 << 10)
        yield tail

    answer = local.post(
        "/api/uploads",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == 413, answer.text
    assert stored(tmp_path / "data") == []
    # Other requests carry at most 1 MiB.
    answer = local.post(
        "/api/plans",
        content=b'{"upload_id": "' + b"a" * (2 << 20) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413


def test_an_accepted_upload_is_recorded_with_its_sha256(
    local: TestClient, tmp_path: Path, district_xlsx: Path
) -> None:

    content = district_xlsx.read_bytes()
    body = upload_bytes(local, "测试区.xlsx", content).json()
    line = audit_lines(tmp_path / "data")[-1]
    assert line["action"] == "upload" and line["accepted"] is True
    assert line["upload_id"] == body["upload_id"]
    assert line["sha256"] == hashlib.sha256(content).hexdigest()
    assert line["user"] and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])
    kept = tmp_path / "data" / "uploads" / body["upload_id"]
    assert (kept / "input.xlsx").read_bytes() == content
