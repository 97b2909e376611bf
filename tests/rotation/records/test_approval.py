"""The procedure: 草稿 → 公示中 → 已审批 or 退回, by role; events appended, never edited; an
approved plan is locked; two clerks at once never overwrite each other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import text

from models import District
from rotation.records import (
    IllegalTransition,
    NotPermitted,
    PlanInfo,
    PlanLocked,
    Records,
    StaleVersion,
    State,
    YearPublished,
)

from .conftest import ALL_ROLES, ResultFactory

DistrictMaker = Callable[[int], District]
START, END = date(2025, 6, 1), date(2025, 6, 7)


@pytest.fixture
def draft(records: Records, small_district: DistrictMaker, make_result: ResultFactory) -> PlanInfo:
    snap = records.save_snapshot(
        small_district(2025), file_bytes=b"x", file_name="a.xlsx", file_kind="xlsx", by="经办"
    )
    result = make_result(2025, [("MHT000001", "MH0001", "MH0002", 2)])
    return records.save_plan_run(snap.id, result, options={}, by="经办")


def test_draft_published_returned_published_approved(records: Records, draft: PlanInfo) -> None:
    plan = records.publish(
        draft.id, start=START, end=END, actor="审核", roles=["审核人"], expected_version=1
    )
    assert (plan.state, plan.version, plan.publish_start, plan.publish_end) == (
        State.PUBLISHED,
        2,
        START,
        END,
    )
    plan = records.return_plan(
        plan.id, actor="局长", roles=["审批人"], expected_version=2, comment="名额不足"
    )
    assert plan.state is State.RETURNED
    changed = records.load_plan(plan.id).model_copy(update={"returns": ()})
    plan = records.replace_plan(plan.id, changed, expected_version=3, by="经办")
    plan = records.publish(
        plan.id, start=START, end=END, actor="审核", roles=["审核人"], expected_version=4
    )
    plan = records.approve(plan.id, actor="局长", roles=["审批人"], expected_version=5)
    assert (plan.state, plan.version) == (State.APPROVED, 6)
    events = records.events(plan.id)
    assert [(e.seq, e.action, e.from_state, e.to_state, e.actor) for e in events] == [
        (1, "publish", State.DRAFT, State.PUBLISHED, "审核"),
        (2, "return", State.PUBLISHED, State.RETURNED, "局长"),
        (3, "publish", State.RETURNED, State.PUBLISHED, "审核"),
        (4, "approve", State.PUBLISHED, State.APPROVED, "局长"),
    ]
    assert events[1].comment == "名额不足" and events[0].start_date == START
    assert all(e.at.tzinfo is not None for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_illegal_steps_are_refused(records: Records, draft: PlanInfo) -> None:
    with pytest.raises(IllegalTransition, match="草稿"):
        records.approve(draft.id, actor="局长", roles=ALL_ROLES, expected_version=1)
    with pytest.raises(IllegalTransition):
        records.return_plan(
            draft.id, actor="局长", roles=ALL_ROLES, expected_version=1, comment="否"
        )
    with pytest.raises(NotPermitted, match="审核人"):
        records.publish(
            draft.id, start=START, end=END, actor="经办", roles=["经办人"], expected_version=1
        )
    with pytest.raises(ValueError, match="结束日期"):
        records.publish(
            draft.id, start=END, end=START, actor="审核", roles=ALL_ROLES, expected_version=1
        )
    plan = records.publish(
        draft.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=1
    )
    with pytest.raises(IllegalTransition, match="公示中"):
        records.publish(
            plan.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=2
        )
    with pytest.raises(NotPermitted, match="审批人"):
        records.approve(plan.id, actor="审核", roles=["审核人"], expected_version=2)
    with pytest.raises(ValueError, match="意见"):
        records.return_plan(plan.id, actor="局长", roles=ALL_ROLES, expected_version=2, comment=" ")
    with pytest.raises(PlanLocked, match="公示中"):
        records.replace_plan(plan.id, records.load_plan(plan.id), expected_version=2, by="经办")
    assert records.plan(plan.id).version == 2 and len(records.events(plan.id)) == 1


def test_an_approved_plan_is_locked(records: Records, draft: PlanInfo) -> None:
    plan = records.publish(
        draft.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=1
    )
    plan = records.approve(plan.id, actor="局长", roles=ALL_ROLES, expected_version=2)
    kept = records.load_plan(plan.id)
    with pytest.raises(PlanLocked, match="已审批"):
        records.replace_plan(
            plan.id, kept.model_copy(update={"rotations": ()}), expected_version=3, by="经办"
        )
    for step in (
        lambda: records.approve(plan.id, actor="局长", roles=ALL_ROLES, expected_version=3),
        lambda: records.return_plan(
            plan.id, actor="局长", roles=ALL_ROLES, expected_version=3, comment="再议"
        ),
        lambda: records.publish(
            plan.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=3
        ),
    ):
        with pytest.raises(IllegalTransition, match="已审批"):
            step()
    # and underneath the repository, the database itself refuses
    for statement in ("UPDATE plan_runs SET plan_data = '{}'", "DELETE FROM plan_runs"):
        with pytest.raises(Exception, match="locked"), records.engine.begin() as connection:
            connection.execute(text(statement))
    assert records.load_plan(plan.id) == kept and records.plan(plan.id) == plan


def test_events_are_never_edited(records: Records, draft: PlanInfo) -> None:
    plan = records.publish(
        draft.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=1
    )
    before = records.events(plan.id)
    for statement in (
        "UPDATE approval_events SET actor = '别人'",
        "UPDATE approval_events SET comment = '改过'",
        "DELETE FROM approval_events",
    ):
        with pytest.raises(Exception, match="append-only"), records.engine.begin() as connection:
            connection.execute(text(statement))
    records.return_plan(plan.id, actor="局长", roles=ALL_ROLES, expected_version=2, comment="退回")
    after = records.events(plan.id)
    assert after[: len(before)] == before and len(after) == 2


def test_a_stale_version_is_refused(records: Records, draft: PlanInfo) -> None:
    plan = records.load_plan(draft.id)
    records.replace_plan(draft.id, plan, expected_version=1, by="甲")
    with pytest.raises(StaleVersion, match="第 1 版") as refused:
        records.replace_plan(
            draft.id, plan.model_copy(update={"rotations": ()}), expected_version=1, by="乙"
        )
    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert records.load_plan(draft.id) == plan


def _race(*writers: Callable[[], object]) -> list[object]:
    """Run the writers at once (each in its own thread, released together); what each
    returned or raised."""
    barrier = threading.Barrier(len(writers))
    outcomes: list[object] = [None] * len(writers)

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = writers[i]()
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_clerks_at_once_one_wins(records: Records, database_url: str, draft: PlanInfo) -> None:
    """Two servers (two engines) change the same plan from the same version: one change is
    kept, the other is refused with StaleVersion, never silently overwritten."""
    other = Records.open(database_url)
    try:
        plan = records.load_plan(draft.id)
        edits = [plan.model_copy(update={"rotations": ()}), plan.model_copy(update={"returns": ()})]
        outcomes = _race(
            lambda: records.replace_plan(draft.id, edits[0], expected_version=1, by="甲"),
            lambda: other.replace_plan(draft.id, edits[1], expected_version=1, by="乙"),
        )
        won = [o for o in outcomes if isinstance(o, PlanInfo)]
        lost = [o for o in outcomes if isinstance(o, StaleVersion)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert won[0].version == 2 and records.plan(draft.id).version == 2
        assert records.load_plan(draft.id) == edits[outcomes.index(won[0])]

        published = records.publish(
            draft.id, start=START, end=END, actor="审核", roles=ALL_ROLES, expected_version=2
        )
        outcomes = _race(
            lambda: records.approve(draft.id, actor="局长", roles=ALL_ROLES, expected_version=3),
            lambda: other.return_plan(
                draft.id, actor="副局长", roles=ALL_ROLES, expected_version=3, comment="再议"
            ),
        )
        won = [o for o in outcomes if isinstance(o, PlanInfo)]
        assert len(won) == 1 and sum(isinstance(o, StaleVersion) for o in outcomes) == 1, outcomes
        events = records.events(draft.id)
        assert len(events) == 2 and events[1].to_state is won[0].state
        assert published.version == 3 and records.plan(draft.id).version == 4
    finally:
        other.close()


def test_one_plan_of_a_year_is_under_publication_at_a_time(
    records: Records, draft: PlanInfo, make_result: ResultFactory
) -> None:
    """Several saved plans per year, one 公示 at a time: a second is refused until the first
    is returned; nothing is written by the refused step."""
    other = records.save_plan_run(
        draft.snapshot_id,
        make_result(2025, [("MHT000002", "MH0001", "MH0002", 2)]),
        options={},
        by="经办",
    )
    records.publish(
        draft.id, start=START, end=END, actor="审核", roles=["审核人"], expected_version=1
    )
    with pytest.raises(YearPublished, match="正在公示"):
        records.publish(
            other.id, start=START, end=END, actor="审核", roles=["审核人"], expected_version=1
        )
    assert records.plan(other.id).state is State.DRAFT and records.events(other.id) == []
    records.return_plan(
        draft.id, actor="局长", roles=["审批人"], expected_version=2, comment="改用另一方案"
    )
    published = records.publish(
        other.id, start=START, end=END, actor="审核", roles=["审核人"], expected_version=1
    )
    assert published.state is State.PUBLISHED
