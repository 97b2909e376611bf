"""The district's records in a database (SPEC §10, issue 15): SQLite in the data folder by
default, PostgreSQL by URL.

    engine.py      connections from a URL (SQLite pragmas, psycopg 3)
    schema.py      the tables (SQLAlchemy 2 typed models)
    migrations/    Alembic: env.py and versions/, run by migrate.py (`upgrade(url)` at startup)
    approval.py    the procedure's states and steps (草稿 → 公示中 → 已审批 / 退回), no database
    repository.py  Records: every operation in one transaction, optimistic locking on plans
    backup.py      a whole district in one file (a zip with a manifest) and back
    data.py        the plain values the repository returns
    queries.py     read-only queries across school years (statistics, exports, certificates)
    errors.py      what it refuses (NotFound, StaleVersion, IllegalTransition, PlanLocked, …)

Imports models (the data it keeps) and nothing else of the application; only this package
imports SQLAlchemy and Alembic.
"""

from rotation.records.approval import Action, State
from rotation.records.data import (
    ApprovalEvent,
    AuditLine,
    HistoryEntry,
    PinRecord,
    PlanInfo,
    SnapshotInfo,
    UserInfo,
)
from rotation.records.engine import DatabaseUrlError, default_url, make_engine
from rotation.records.errors import (
    IllegalTransition,
    NotApprovable,
    NotFound,
    NotPermitted,
    PlanLocked,
    RecordsError,
    StaleVersion,
    YearApproved,
    YearPublished,
)
from rotation.records.migrate import upgrade
from rotation.records.repository import Records

__all__ = [
    "Action",
    "ApprovalEvent",
    "AuditLine",
    "DatabaseUrlError",
    "HistoryEntry",
    "IllegalTransition",
    "NotApprovable",
    "NotFound",
    "NotPermitted",
    "PinRecord",
    "PlanInfo",
    "PlanLocked",
    "Records",
    "RecordsError",
    "SnapshotInfo",
    "StaleVersion",
    "State",
    "UserInfo",
    "YearApproved",
    "YearPublished",
    "default_url",
    "make_engine",
    "upgrade",
]
