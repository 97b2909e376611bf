"""The meeting in a real browser (issue 16): the clerk pins a teacher to stay with a reason,
pins two more, re-plans against the draft, reads exactly the expected 变更对比 rows and the
reason in 未入选名单, and compares the two saved plans side by side.

The same real server and Debian Chromium as test_browser.py (its fixtures); screenshots
14-17 with ROTATION_SCREENSHOTS=DIR.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from models import Pin
from models.plan import NewRotation, Plan
from models.vocab import PinKind
from rotation.bench.replan import fewest_changes
from rotation.formats.reading import read_district

from . import test_browser as walk  # type: ignore[attr-defined]
from .test_browser import USER, Screenshots, Workbooks, _sign_in  # type: ignore[attr-defined]

# the walk's fixtures: its server (a module of its own here), Chromium, a page, the workbooks
server = walk.server
browser = walk.browser
page = walk.page
workbooks = walk.workbooks


def forced_changes(xlsx: Path, rotations: list[dict[str, str]], pins: list[Pin]) -> set[str]:
    """The teachers whose rotation must change under these pins, against the draft."""
    district = read_district(xlsx)
    reference = Plan(
        plan_year=district.plan_year,
        rotations=tuple(NewRotation.model_validate(r) for r in rotations),
    )
    return fewest_changes(district, reference, *pins)


def _pin(
    page: Page, plan_url: str, teacher_id: str, kind: str, reason: str, school: str = ""
) -> None:
    page.goto(plan_url + "/decisions")
    page.locator("#pin-teacher-form input[name=teacher]").fill(teacher_id)
    page.locator("#pin-teacher-form button").click()
    expect(page.locator("#pin-form")).to_be_visible()
    page.locator("#pin-kind").select_option(kind)
    if school:
        expect(page.locator("#pin-school")).to_be_visible()
        page.locator("#pin-school").select_option(school)
    else:
        expect(page.locator("#pin-school")).to_be_hidden()
    page.locator("#pin-reason").fill(reason)
    page.locator("#pin-button").click()
    expect(page.locator("#current-pin")).to_contain_text(reason)


def test_the_meeting_pins_replans_and_compares(page: Page, workbooks: Workbooks) -> None:
    shots = Screenshots()
    _sign_in(page, USER)
    page.locator("#upload-file").set_input_files(workbooks.good)
    page.locator("#upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    page.locator("#plan-button").click()
    page.wait_for_url(re.compile(r"/plans/[^/]+$"))
    draft_url = page.url
    draft = page.request.get(draft_url.replace("/plans/", "/api/plans/")).json()
    rotations = sorted(draft["rotations"], key=lambda r: r["teacher_id"])
    stays, goes, avoids = rotations[0], rotations[1], rotations[2]
    reason = "主持区级课题，本学年留校"

    # three decisions: one must stay, one must go where the draft sends them anyway, one must
    # not go to the school the draft sends them to
    _pin(page, draft_url, stays["teacher_id"], "不得交流", reason)
    shots.take(page, "14-pin-teacher")
    _pin(page, draft_url, goes["teacher_id"], "必须交流至", "本人申请", goes["to_school_id"])
    _pin(page, draft_url, avoids["teacher_id"], "不得交流至", "家庭原因", avoids["to_school_id"])
    page.goto(draft_url + "/decisions")
    expect(page.locator("#pin-table tr")).to_have_count(4)
    expect(page.locator("#pin-table")).to_contain_text(reason)
    shots.take(page, "15-decisions")

    page.locator("#replan-form input[name=note]").fill("按会议决定调整")
    page.locator("#replan-button").click()
    page.wait_for_url(re.compile(r"/plans/[^/]+/changes$"), timeout=180_000)
    expected = forced_changes(
        workbooks.good,
        draft["rotations"],
        [
            Pin(teacher_id=stays["teacher_id"], kind=PinKind.MUST_STAY, reason=reason),
            Pin(
                teacher_id=goes["teacher_id"],
                kind=PinKind.MUST_GO_TO,
                school_id=goes["to_school_id"],
                reason="本人申请",
            ),
            Pin(
                teacher_id=avoids["teacher_id"],
                kind=PinKind.MUST_NOT_GO_TO,
                school_id=avoids["to_school_id"],
                reason="家庭原因",
            ),
        ],
    )
    rows = page.locator("#changes tr")
    expect(rows).to_have_count(len(expected) + 1)
    shown = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(1, len(expected) + 1)}
    assert shown == expected
    dropped = page.locator("#changes tr", has_text=stays["teacher_id"])
    expect(dropped).to_contain_text("取消")
    expect(dropped).to_contain_text(reason)
    expect(page.locator("#before-after")).to_contain_text("调整前")
    shots.take(page, "16-changes")

    new_url = page.url.removesuffix("/changes")
    page.goto(new_url + "/sheets/not_chosen")
    page.locator("#search").fill(stays["teacher_id"])
    expect(page.locator("#sheet-table")).to_contain_text(reason)

    page.goto(new_url + "/decisions")
    expect(page.locator("#saved-table tr")).to_have_count(3)
    page.locator("#saved-table input[type=radio]").check()
    page.locator("#compare-button").click()
    expect(page).to_have_url(re.compile(r"/compare/"))
    expect(page.locator("#differences")).to_contain_text(stays["teacher_id"])
    expect(page.locator("#compare-kpis")).to_contain_text("按会议决定调整")
    shots.take(page, "17-compare")
