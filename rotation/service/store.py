"""The server's data folder: uploads, jobs and plans, each kept under an id the server made.

Nothing a request says ever becomes a path: ids are checked against `ID_PATTERN` (32 hex
digits from uuid4) before a folder is named after them, and file names inside are fixed.

    DATA/
      records.sqlite       the district's records (rotation/records): uploads as checked,
                           plans and where they stand, approvals, rotation history, accounts
                           and the audit log; or a PostgreSQL server named by --database
      uploads/<id>/        the uploaded input as received (input.xlsx, input.json or input/ of
                           CSV files) and meta.json (who, when, SHA-256, summary, warnings)
      jobs/<id>.json       one planning job: options, state, progress, the plan it made
      plans/<id>/          审批表.xlsx, 方案.json, 公示名单.xlsx, review.sqlite, meta.json
      whatif/<id>/         one what-if run (情景比较, 参数扫描, 政策模拟): run.json, its workbook,
                           the scenario files it ran; whatif/inputs/ the years' data workbooks
"""

from __future__ import annotations

import functools
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rotation.records import Records, default_url
from rotation.records.engine import normalise_url

ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")

APPROVAL_FILE = "审批表.xlsx"
PLAN_FILE = "方案.json"
PUBLIC_FILE = "公示名单.xlsx"
REVIEW_FILE = "review.sqlite"
META_FILE = "meta.json"


class UnknownId(LookupError):
    """An id that is malformed or names nothing stored."""


def new_id() -> str:
    """A fresh id for an upload, a job or a plan."""
    return uuid.uuid4().hex


def valid_id(text: str) -> bool:
    """Whether `text` has the shape of an id the server makes."""
    return bool(ID_PATTERN.fullmatch(text))


def check_url(url: str) -> None:
    """ValueError (in Chinese) for a database URL the records cannot use; "" is the default."""
    if url:
        normalise_url(url)


@functools.lru_cache(maxsize=4)
def _opened(url: str, _pid: int) -> Records:
    """One engine per database and process (a forked process must not share its parent's
    connections: the pid is part of the key); the schema is brought up to date the first
    time (a no-op when it is)."""
    return Records.open(url)


def open_records(data: DataDir) -> Records:
    """The records of a data folder, their schema brought up to date (at startup; a server
    that cannot reach its database stops here, before it serves anything)."""
    return data.records()


def write_json_file(path: Path, data: Any) -> None:
    """Replace a small JSON file atomically (a reader never sees half of it)."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temp, path)


def read_json_file(path: Path) -> Any:
    """A JSON file written by `write_json_file`."""
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DataDir:
    """The data folder of one server (or one test), and the database of its records (the
    SQLite file in the folder unless `database` names another)."""

    root: Path
    database: str = ""

    @property
    def url(self) -> str:
        """The records' database URL."""
        return self.database or default_url(self.root)

    def records(self) -> Records:
        """The records, opened once per process (the server's, each job's, each reader's)."""
        return _opened(self.url, os.getpid())

    def ensure(self) -> DataDir:
        """Create the folder and its parts when missing."""
        if not self.root.exists():  # personal data of teachers: nobody else on the machine
            self.root.mkdir(parents=True, mode=0o700)
        for part in ("uploads", "jobs", "plans", "whatif"):
            (self.root / part).mkdir(exist_ok=True)
        return self

    def _checked(self, kind: str, ident: str) -> str:
        if not valid_id(ident):
            raise UnknownId(f"{kind} {ident!r}")
        return ident

    def upload_dir(self, upload_id: str) -> Path:
        """The folder of an upload (UnknownId for an id of the wrong shape)."""
        return self.root / "uploads" / self._checked("upload", upload_id)

    def job_file(self, job_id: str, part: str = "") -> Path:
        """A job's files: its state (jobs/<id>.json), and what its process writes beside it:
        `part` "progress", "result" (JSON) or "log" (the traceback of a failure)."""
        ident = self._checked("job", job_id)
        if part == "log":
            return self.root / "jobs" / f"{ident}.log"
        if part not in ("", "progress", "result"):
            raise UnknownId(part)
        return self.root / "jobs" / (f"{ident}.{part}.json" if part else f"{ident}.json")

    def job_ids(self) -> list[str]:
        """Every job that has a state file."""
        return [
            path.name.removesuffix(".json")
            for path in (self.root / "jobs").glob("*.json")
            if valid_id(path.name.removesuffix(".json"))
        ]

    def plan_dir(self, plan_id: str) -> Path:
        """The folder of a written plan."""
        return self.root / "plans" / self._checked("plan", plan_id)

    def whatif_root(self) -> Path:
        """Where what-if runs keep their results (whatif/<run id>/) and downloads."""
        return self.root / "whatif"

    def whatif_dir(self, run_id: str) -> Path:
        """The folder of a what-if run."""
        return self.whatif_root() / self._checked("run", run_id)

    def upload_meta(self, upload_id: str) -> dict[str, Any]:
        """An upload's meta.json (UnknownId when there is no such upload)."""
        path = self.upload_dir(upload_id) / META_FILE
        if not path.is_file():
            raise UnknownId(f"upload {upload_id}")
        data: dict[str, Any] = read_json_file(path)
        return data

    def plan_meta(self, plan_id: str) -> dict[str, Any]:
        """A plan's meta.json (UnknownId when there is no such plan)."""
        path = self.plan_dir(plan_id) / META_FILE
        if not path.is_file():
            raise UnknownId(f"plan {plan_id}")
        data: dict[str, Any] = read_json_file(path)
        return data

    def plan_file(self, plan_id: str, name: str) -> Path:
        """One of a plan's fixed files (UnknownId when the plan or the file is missing)."""
        if name not in (APPROVAL_FILE, PLAN_FILE, PUBLIC_FILE, REVIEW_FILE):
            raise UnknownId(name)
        path = self.plan_dir(plan_id) / name
        if not path.is_file():
            raise UnknownId(f"plan {plan_id}")
        return path

    def listing(self, part: str, limit: int = 50) -> list[dict[str, Any]]:
        """The newest uploads or plans' meta.json, newest first."""
        folder = self.root / part
        metas: list[dict[str, Any]] = []
        for entry in folder.iterdir() if folder.is_dir() else ():
            meta = entry / META_FILE
            if valid_id(entry.name) and meta.is_file():
                try:
                    metas.append(read_json_file(meta))
                except (OSError, ValueError):
                    continue
        metas.sort(key=lambda m: str(m.get("created", "")), reverse=True)
        return metas[:limit]
