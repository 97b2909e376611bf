"""What the records refuse, each with a message for the clerk (Chinese) and the facts."""

from __future__ import annotations


class RecordsError(Exception):
    """Anything the records refuse to do."""


class NotFound(RecordsError, LookupError):
    """No snapshot, plan or user by that id or name."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"找不到{kind}：{key}")
        self.kind = kind
        self.key = key


class StaleVersion(RecordsError):
    """Someone changed the plan since the caller read it (optimistic locking): reload, retry."""

    def __init__(self, plan_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"方案已被他人修改（您看到的是第 {expected} 版，现在是第 {actual} 版），请刷新后重试"
        )
        self.plan_id = plan_id
        self.expected = expected
        self.actual = actual


class IllegalTransition(RecordsError):
    """A step the procedure does not allow from the plan's state (e.g. approving a draft)."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(f"方案当前状态为「{state}」，不能{action}")
        self.state = state
        self.action = action


class PlanLocked(RecordsError):
    """The plan cannot change in its state (公示中, 已审批)."""

    def __init__(self, plan_id: str, state: str) -> None:
        super().__init__(f"方案处于「{state}」状态，已锁定，不能修改")
        self.plan_id = plan_id
        self.state = state


class NotPermitted(RecordsError):
    """The user lacks the role a step needs."""

    def __init__(self, actor: str, role: str, action: str) -> None:
        super().__init__(f"用户「{actor}」没有「{role}」角色，不能{action}")
        self.actor = actor
        self.role = role


class YearApproved(RecordsError):
    """The school year already has an approved plan: a change after approval is a new plan
    made against it (参照方案), which then takes its place."""

    def __init__(self, plan_id: str, year: int) -> None:
        super().__init__(
            f"{year} 学年已有审批通过的方案（{plan_id[:8]}）：审批后的调整须以该方案为参照方案"
            "重新编制，新方案审批通过后取代原方案"
        )
        self.plan_id = plan_id
        self.year = year


class YearPublished(RecordsError):
    """Another plan of the school year is under 公示: the bureau publishes one list a year."""

    def __init__(self, plan_id: str, year: int) -> None:
        super().__init__(
            f"{year} 学年已有方案（{plan_id[:8]}）正在公示：一个学年同时只公示一个方案，"
            "请先由审批人退回该方案"
        )
        self.plan_id = plan_id
        self.year = year


class NotApprovable(RecordsError):
    """A plan the rules do not allow to be sent up (infeasible, or relaxed rules broken)."""

    def __init__(self, plan_id: str) -> None:
        super().__init__("该方案不满足全部规则（标注「不得报批」），不能公示或审批")
        self.plan_id = plan_id
