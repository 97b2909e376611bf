"""The bureau's procedure on a plan and the history it leaves (SPEC §9-§10), for the web and
the command line: publish the 公示, approve or return, read a teacher's rotations.

A step names the plan's version the caller saw; when someone else moved the plan meanwhile,
the records refuse (StaleVersion) and nothing is written. Without a version the step applies to
the plan as it is now (an API client that does not care), and is still refused when the state
does not allow it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rotation.records import (
    ApprovalEvent,
    HistoryEntry,
    NotFound,
    NotPermitted,
    PlanInfo,
    RecordsError,
    StaleVersion,
)
from rotation.records.approval import ACTION_NAMES, ROLE, Action, State
from rotation.service.accounts import User
from rotation.service.store import DataDir

__all__ = [
    "ACTION_NAMES",
    "ROLE",
    "Action",
    "NotFound",
    "NotPermitted",
    "PlanInfo",
    "RecordsError",
    "StaleVersion",
    "State",
    "approved_plan",
    "events",
    "history",
    "plan_info",
    "published_plan",
    "step",
]


def plan_info(data: DataDir, plan_id: str) -> PlanInfo | None:
    """Where a plan stands (None for a plan the records do not know)."""
    try:
        return data.records().plan(plan_id)
    except NotFound:
        return None


def approved_plan(data: DataDir, info: PlanInfo) -> PlanInfo | None:
    """The plan in force for the same district and school year (the approved one), if any."""
    return data.records().approved_plan(info.district, info.year)


def published_plan(data: DataDir, info: PlanInfo) -> PlanInfo | None:
    """Another plan of the same school year under 公示, if any (one at a time)."""
    return next(
        (
            p
            for p in data.records().plans(info.district, info.year)
            if p.state is State.PUBLISHED and p.id != info.id
        ),
        None,
    )


def events(data: DataDir, plan_id: str) -> list[ApprovalEvent]:
    """The plan's procedure so far, oldest first."""
    return data.records().events(plan_id)


def step(
    data: DataDir,
    plan_id: str,
    action: Action,
    user: User,
    *,
    version: int | None = None,
    comment: str = "",
    start: date | None = None,
    end: date | None = None,
) -> PlanInfo:
    """Take one step (公示 / 审批通过 / 退回) as `user`; RecordsError (NotFound, StaleVersion,
    IllegalTransition, NotPermitted, NotApprovable, YearApproved) or ValueError (a missing
    comment or date) when refused, nothing written then."""
    records = data.records()
    expected = records.plan(plan_id).version if version is None else version
    roles = user.roles
    comment = comment.strip()
    if action is Action.PUBLISH:
        if start is None or end is None:
            raise ValueError("公示须填写开始和结束日期")
        return records.publish(
            plan_id, start=start, end=end, actor=user.name, roles=roles, expected_version=expected
        )
    if action is Action.APPROVE:
        return records.approve(
            plan_id, actor=user.name, roles=roles, expected_version=expected, comment=comment
        )
    return records.return_plan(
        plan_id, actor=user.name, roles=roles, expected_version=expected, comment=comment
    )


def history(data: DataDir, teacher_id: str, district: str | None = None) -> list[dict[str, Any]]:
    """A teacher's rotations in approved plans (SPEC §9's answer, with the district and the
    plan), oldest first; every district that knows the id unless one is named."""
    records = data.records()
    names = [district] if district else records.teacher_districts(teacher_id)
    out = []
    for name in names:
        for entry in records.teacher_history(name, teacher_id):
            out.append(history_json(entry, name))
    return out


def history_json(entry: HistoryEntry, district: str) -> dict[str, Any]:
    """One history entry as the API gives it."""
    return {
        "from_school_id": entry.from_school_id,
        "to_school_id": entry.to_school_id,
        "start_year": entry.start_year,
        "end_year": entry.end_year,
        "kind": entry.kind,
        "status": entry.status,
        "plan_year": entry.plan_year,
        "plan_id": entry.plan_id,
        "district": district,
    }
