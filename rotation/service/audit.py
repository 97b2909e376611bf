"""Who did what, when: one JSON line per action in the data folder's audit.jsonl.

Every upload (accepted or not, with the input's SHA-256), planning job, cancellation, login and
account change is recorded. The records issue moves this into the database; the line format
is kept simple so that it can be imported then.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.jsonl"
_lock = threading.Lock()


def now_text() -> str:
    """The local time, to the second, as the records show it."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def record(root: Path, user: str, action: str, **detail: Any) -> None:
    """Append one line: time, user, action and its details (ids, SHA-256, outcome)."""
    line = json.dumps(
        {"time": now_text(), "user": user, "action": action, **detail}, ensure_ascii=False
    )
    data = (line + "\n").encode("utf-8")
    with _lock:
        fd = os.open(root / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def entries(root: Path, limit: int = 200) -> list[dict[str, Any]]:
    """The newest lines of the log, newest first."""
    path = root / AUDIT_FILE
    if not path.is_file():
        return []
    # split on newlines only: splitlines() also breaks at U+2028 and the like, which json.dumps
    # leaves in a name, and would hide that line from the page
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line][-limit:]
    out = []
    for line in reversed(lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
