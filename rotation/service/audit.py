"""Who did what, when: the audit log in the records (table audit_log, append-only).

Every upload (accepted or not, with the input's SHA-256), planning job, cancellation, login,
account change and approval step is recorded. A data folder used before the records kept the
log in audit.jsonl; that file is left as it was (read it with any text editor).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rotation.service.store import DataDir


def now_text() -> str:
    """The local time, to the second, as the records show it."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def record(data: DataDir, user: str, action: str, **detail: Any) -> None:
    """Append one line: user, action and its details (ids, SHA-256, outcome); the time is the
    database's row's."""
    data.records().audit(user, action, **detail)


def entries(data: DataDir, limit: int = 200) -> list[dict[str, Any]]:
    """The newest lines of the log, newest first, as dicts: time (local), user, action and the
    details."""
    return [
        {
            **line.detail,
            "time": line.at.astimezone().isoformat(timespec="seconds"),
            "user": line.actor,
            "action": line.action,
        }
        for line in data.records().audit_lines(limit)
    ]
