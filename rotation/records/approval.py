"""The bureau's procedure for a plan, as states (SPEC §10), without a database.

    草稿 ──公示──> 公示中 ──审批──> 已审批   (locked: nothing changes any more)
                    │  ^
                  退回  公示 (again, after the clerk's changes)
                    v  │
                    退回

A plan's content may change only while it is 草稿 or 退回. Publishing needs the 审核人 role,
approving and returning the 审批人 role; returning needs a comment, publishing a start and an
end date.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from enum import StrEnum

from rotation.records.errors import IllegalTransition, NotPermitted


class State(StrEnum):
    """Where a plan stands."""

    DRAFT = "草稿"
    PUBLISHED = "公示中"
    APPROVED = "已审批"
    RETURNED = "退回"


class Action(StrEnum):
    """A step of the procedure (stored in approval_events.action)."""

    PUBLISH = "publish"
    APPROVE = "approve"
    RETURN = "return"


#: The step's name in messages.
ACTION_NAMES = {Action.PUBLISH: "公示", Action.APPROVE: "审批通过", Action.RETURN: "退回"}
#: (state, step) → the next state; any other pair is refused.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.PUBLISH): State.PUBLISHED,
    (State.RETURNED, Action.PUBLISH): State.PUBLISHED,
    (State.PUBLISHED, Action.APPROVE): State.APPROVED,
    (State.PUBLISHED, Action.RETURN): State.RETURNED,
}
#: The role each step needs.
ROLE = {Action.PUBLISH: "审核人", Action.APPROVE: "审批人", Action.RETURN: "审批人"}
#: States in which the plan itself may still be changed.
EDITABLE = frozenset({State.DRAFT, State.RETURNED})


def next_state(state: State, action: Action) -> State:
    """The state after `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[state, action]
    except KeyError:
        raise IllegalTransition(state.value, ACTION_NAMES[action]) from None


def check_step(
    action: Action,
    *,
    actor: str,
    roles: Collection[str],
    comment: str,
    start: date | None,
    end: date | None,
) -> None:
    """Refuse a step its user may not take or whose details are missing."""
    if ROLE[action] not in roles:
        raise NotPermitted(actor, ROLE[action], ACTION_NAMES[action])
    if action is Action.RETURN and not comment.strip():
        raise ValueError("退回方案须填写意见")
    if action is Action.PUBLISH:
        if start is None or end is None:
            raise ValueError("公示须填写开始和结束日期")
        if end < start:
            raise ValueError("公示结束日期早于开始日期")
