"""An uploaded input: kept as received, read by the same reader as the command line, summed up.

The web application calls `accept_upload` with the bytes it received (already bounded in
size). The file type comes from the content, never from the name the browser sent: a zip with
a workbook inside is an .xlsx (the reader's zip-bomb guard checks it), another zip must hold
only CSV files named after the sheets (checked here: count, sizes, ratio), text starting with
{ is JSON. An input the reader rejects is not kept: its problems go back to the caller.
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from models import District, InputError, Problem
from models.policy import format_param
from models.requirements import group_requirement
from models.rules import precheck
from rotation.formats.reading import input_sha256, read_district, sheet_of
from rotation.reports.summary import hints, itinerant_lines
from rotation.service.audit import now_text, record
from rotation.service.store import META_FILE, DataDir, new_id, write_json_file
from rotation.service.years import carry_over, merged_problem

#: The largest upload accepted (a 200,000-teacher workbook is about 15 MB).
MAX_UPLOAD_BYTES = 64 << 20
#: A zip of CSV files: at most this many members, this much unpacked, this ratio.
MAX_CSV_MEMBERS = 16
MAX_CSV_UNPACKED = 256 << 20
MAX_CSV_MEMBER_BYTES = 128 << 20
MAX_CSV_RATIO = 100

KIND_SUFFIX = {"xlsx": "input.xlsx", "json": "input.json", "csv": "input"}
KIND_NAMES = {"xlsx": "Excel 工作簿", "json": "JSON 文件", "csv": "CSV 压缩包"}


class UploadRefused(ValueError):
    """A file that is not an input at all (wrong type, too large, a hostile archive)."""


@dataclass(frozen=True)
class GroupLine:
    """One group of the upload summary: what `rotation validate` prints per group."""

    name: str
    schools: int
    weak_schools: int
    teachers: int
    eligible: int
    eligible_backbone: int
    min_rotations: int
    min_backbone: int
    min_ratio: str = ""  # the group's min_rotation_ratio as 10% (blank in uploads stored earlier)


def sniff(head: bytes, path: Path) -> str:
    """The input's kind from its first bytes (and, for a zip, its members)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):  # a JSON array: the reader says what the top should be
        return "json"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UploadRefused("文件已损坏或不是完整的压缩文件") from exc
        if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
            return "xlsx"
        return "csv"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRefused("这是旧版 Excel（.xls）文件：请在 Excel/WPS 中另存为 .xlsx 后再上传")
    raise UploadRefused(
        "不支持的文件类型：请上传 .xlsx 工作簿、CSV 文件的 .zip 压缩包或 .json 文件"
    )


def _unpack_csv(archive_path: Path, folder: Path) -> list[Problem]:
    """The CSV files of a zip into `folder`, each under its sheet's own name; problems for
    members that are not input sheets. Names inside the archive never become paths."""
    warnings: list[Problem] = []
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRefused("压缩包已损坏") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_CSV_MEMBERS:
            raise UploadRefused(
                f"压缩包中的文件过多（{len(members)} 个，至多 {MAX_CSV_MEMBERS} 个）"
            )
        folder.mkdir()
        written = 0
        seen: set[str] = set()
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            if name.startswith((".", "__MACOSX")) or "__MACOSX" in member.filename:
                continue
            sheet = sheet_of(name[:-4]) if name.lower().endswith(".csv") else None
            if sheet is None:
                warnings.append(
                    Problem(
                        sheet="",
                        message=f"压缩包中的「{name[:80]}」不是模板中的工作表（应为 工作表名.csv），未读入",
                        severity="warning",
                    )
                )
                continue
            if sheet in seen:
                raise UploadRefused(f"压缩包中有两个「{sheet}」表的 CSV 文件")
            seen.add(sheet)
            # each member read is checked on its own (skipped members cannot pad the ratio)
            ratio = member.file_size / max(1, member.compress_size)
            if member.file_size > MAX_CSV_MEMBER_BYTES or ratio > MAX_CSV_RATIO:
                raise UploadRefused(
                    f"压缩包中的「{name[:80]}」解压后过大或压缩比异常（{ratio:.0f} 倍），已拒绝"
                )
            try:
                with (
                    archive.open(member) as source,
                    open(folder / f"{sheet}.csv", "wb") as target,
                ):
                    while block := source.read(1 << 20):  # counted as it comes, not trusted
                        written += len(block)
                        if written > MAX_CSV_UNPACKED:
                            raise UploadRefused("压缩包解压后过大，已拒绝")
                        target.write(block)
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                RuntimeError,
                NotImplementedError,
            ) as exc:
                # a bad CRC, a cut stream, an encrypted member, an unknown compression method
                raise UploadRefused("压缩包已损坏或已加密，无法解压") from exc
            if (folder / f"{sheet}.csv").stat().st_size > member.file_size:
                raise UploadRefused("压缩包内容与其目录不符，已拒绝")
    if not seen:
        raise UploadRefused(
            "压缩包中没有名为工作表名的 CSV 文件（如 集团.csv、学校.csv、教师.csv）"
        )
    return warnings


def group_lines(district: District) -> list[GroupLine]:
    """Per group: schools, teachers, eligible, backbone and the minimum the rules ask."""
    lines = []
    for group in district.groups:
        req = group_requirement(district, group.group_id)
        lines.append(
            GroupLine(
                group.name,
                req.schools,
                req.weak_schools,
                req.teachers,
                req.eligible,
                req.eligible_backbone,
                req.min_rotations,
                req.min_backbone,
                format_param("min_rotation_ratio", req.min_ratio),
            )
        )
    return lines


def notes(district: District) -> list[str]:
    """What `validate` asks a clerk to look at: rules foreseen to fail, then hints."""
    foreseen = [f"[无法满足] {m}" for m in precheck(district)]
    return foreseen + [f"[提示] {h}" for h in hints(district)]


def problem_json(p: Problem) -> dict[str, Any]:
    """A problem as SPEC §9 gives it: sheet, row, column, message (and its severity)."""
    return {
        "sheet": p.sheet,
        "row": p.row,
        "column": p.column,
        "message": p.message,
        "severity": p.severity,
    }


def accept_upload(
    data: DataDir,
    received: Path,
    *,
    filename: str,
    user: str,
    year: int | None = None,
    carry_from: str | None = None,
) -> dict[str, Any]:
    """Keep a received file as a new upload when the reader accepts it; its meta data.

    Raises UploadRefused (not an input) or InputError (every problem, as `validate` lists
    them); either way nothing is kept. An upload for a school year started from an approved
    plan (`carry_from`, or the district's newest) takes its rotations in flight from the
    records and says what it changes (meta "changes"). Accepted or not, the upload is recorded in the audit
    log with the SHA-256 of what was received (of what is kept, when accepted)."""
    shown = sent_name(filename)
    try:
        meta = _accept(
            data, received, filename=filename, user=user, year=year, carry_from=carry_from
        )
    except (UploadRefused, InputError):
        record(data, user, "upload", accepted=False, filename=shown, sha256=input_sha256(received))
        raise
    record(
        data,
        user,
        "upload",
        accepted=True,
        upload_id=meta["upload_id"],
        filename=shown,
        sha256=meta["sha256"],
    )
    return meta


def _accept(
    data: DataDir,
    received: Path,
    *,
    filename: str,
    user: str,
    year: int | None,
    carry_from: str | None,
) -> dict[str, Any]:
    upload_id = new_id()
    folder = data.upload_dir(upload_id)
    folder.mkdir(parents=True)
    try:
        with open(received, "rb") as handle:
            head = handle.read(8)
        kind = sniff(head, received)
        target = folder / KIND_SUFFIX[kind]
        extra: list[Problem] = []
        if kind == "csv":
            extra = _unpack_csv(received, target)
        else:
            shutil.copyfile(received, target)
        try:
            district = read_district(target, year=year, name=source_name(filename))
        except InputError as error:
            raise InputError(_as_uploaded(error.problems, target.name, filename)) from None
        sha = input_sha256(target)
        district, changes = carry_over(data, district, carry_from)
        if changes is not None:
            extra += [merged_problem(n) for n in changes.notes]
        warnings = [*extra, *district.warnings]
        data.records().save_snapshot(
            district,
            file_bytes=received.read_bytes(),
            file_name=sent_name(filename) or target.name,
            file_kind=kind,
            by=user,
            warnings=warnings,
            snapshot_id=upload_id,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    meta = upload_meta(
        upload_id,
        district,
        user=user,
        filename=sent_name(filename),
        kind=kind,
        input_file=target.name,
        sha=sha,
        warnings=warnings,
    )
    meta["source_name"] = source_name(filename)
    if changes is not None:
        meta["changes"] = changes.as_json()
    write_json_file(folder / META_FILE, meta)
    return meta


def upload_meta(
    upload_id: str,
    district: District,
    *,
    user: str,
    filename: str,
    kind: str,
    input_file: str,
    sha: str,
    warnings: list[Problem],
) -> dict[str, Any]:
    """An upload's meta.json: who, when, what (SHA-256), the summary `validate` prints."""
    return {
        "upload_id": upload_id,
        "created": now_text(),
        "user": user,
        "filename": filename,
        "kind": kind,
        "input_file": input_file,
        "sha256": sha,
        "district": district.name,
        "plan_year": district.plan_year,
        "summary": {
            "groups": len(district.groups),
            "schools": len(district.schools),
            "teachers": len(district.teachers),
            "eligible": len(district.eligible_teachers()),
        },
        "warnings": [problem_json(w) for w in warnings],
        "notes": notes(district),
        "itinerant": itinerant_lines(district),
        "group_lines": [vars(g) for g in group_lines(district)],
    }


def _as_uploaded(problems: list[Problem], stored: str, filename: str) -> list[Problem]:
    """The reader's problems naming the file as the clerk sent it, not as it is kept."""
    sent = sent_name(filename)
    if not sent or sent == stored:
        return problems
    old, new = f"「{stored}」", f"「{sent}」"
    return [p.model_copy(update={"message": p.message.replace(old, new)}) for p in problems]


def sent_name(filename: str) -> str:
    """The name a file was sent under, as shown: its last part (Windows or POSIX separators),
    printable characters only, at most 200 of them; never used as a path."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    return "".join(c for c in name if c.isprintable())[:200]


def source_name(filename: str) -> str | None:
    """The district's name from the uploaded file's name (闵行区2025.xlsx → 闵行区2025), used
    only when the data names no district; shown, never a path."""
    return sent_name(filename).rsplit(".", 1)[0].strip()[:60] or None


def input_path(data: DataDir, upload_id: str) -> Path:
    """The stored input of an upload (the file or CSV folder the reader reads)."""
    meta = data.upload_meta(upload_id)
    name = str(meta["input_file"])
    if name not in KIND_SUFFIX.values():
        raise InputError([Problem(sheet="", message="上传记录已损坏")])
    return data.upload_dir(upload_id) / name
