"""What the records hand back: plain frozen values, never rows bound to a session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models import Pin
from rotation.records.approval import State


@dataclass(frozen=True)
class SnapshotInfo:
    """An uploaded input, without its bytes or its data."""

    id: str
    district: str
    year: int
    file_name: str
    file_kind: str
    sha256: str
    teachers: int
    warnings: list[dict[str, Any]]
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class PlanInfo:
    """A planning run and where it stands, without the plan itself. `version` is what a
    change must name (optimistic locking)."""

    id: str
    snapshot_id: str
    district: str
    year: int
    status: str
    objective: int | None
    state: State
    version: int
    options: dict[str, Any]
    timings: dict[str, Any]
    publish_start: date | None
    publish_end: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    approvable: bool = True
    notice: str = ""
    #: the clerk's name and note for this plan among the year's saved plans
    name: str = ""
    note: str = ""

    @property
    def reference_plan_id(self) -> str | None:
        """The plan this one was re-planned against (as few changes as possible), if any."""
        value = self.options.get("reference_plan_id")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class PinRecord:
    """A pin of a school year as the records keep it: the decision, who took it, when."""

    pin: Pin
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class ApprovalEvent:
    """One step of a plan's procedure."""

    seq: int
    action: str
    from_state: State
    to_state: State
    actor: str
    at: datetime
    comment: str
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One move of a teacher from an approved plan (SPEC §9's history answer). `kind` is
    rotation, entrusted or return; `status` 交流中 until a later approved plan brings the
    teacher home from that school, then 已返回 (a return itself is 已返回)."""

    plan_year: int
    kind: str
    from_school_id: str
    to_school_id: str
    start_year: int
    end_year: int
    status: str
    plan_id: str


@dataclass(frozen=True)
class UserInfo:
    """An account: name, argon2 hash, roles."""

    name: str
    password_hash: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class AuditLine:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
