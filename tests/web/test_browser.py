"""End to end in a real browser: the HR clerk's whole afternoon, through Chromium.

A real server (`rotation serve --login`, uvicorn in a process of its own, with an account made
by `rotation user add`) and Debian's Chromium driven by Playwright: log in, upload a workbook
with errors and read the problems table, upload the fixed one, plan and watch the progress bar
until htmx sends the browser to the plan, review the 交流名单 (filter, search, a teacher's
入选理由), download the 审批表 and check it with `rotation check`, log out.

Chromium is not downloaded (`playwright install` is never run): the test launches the system's
/usr/bin/chromium. Without it the test is skipped, except under CI (CI set), where it fails.

With ROTATION_SCREENSHOTS=DIR the same walk also saves the documentation screenshots
(1300×900 PNG) into DIR: `make screenshots` retakes docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1300, "height": 900}
USER = "李经办"
REVIEWER = "王审核"
APPROVER = "赵局长"
PASSWORD = "browser-test-密码-2025"
#: Waits for the server and the browser (generous: CI machines are slow; nothing is timed).
TIMEOUT_MS = 60_000
#: Reports the progress bar's value to the test whenever the page (or htmx) shows a new one.
WATCH_PROGRESS = """
new MutationObserver(() => {
  const bar = document.querySelector("#job-status [role=progressbar]");
  const value = bar && bar.getAttribute("aria-valuenow");
  if (value !== null && value !== window.lastProgress) {
    window.lastProgress = value;
    window.reportProgress(value);
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""
BIN = Path(sys.executable).parent
expect.set_options(timeout=TIMEOUT_MS)


def _rotation(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "rotation"), *args], capture_output=True, text=True, check=False, **kw
    )


# -- fixtures ---------------------------------------------------------------------------------


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; under CI its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (Debian package chromium; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message + " — required under CI")
    pytest.skip(message)


@dataclass
class Workbooks:
    """The generated district's workbook and a copy with two broken cells."""

    good: Path
    broken: Path


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> Workbooks:
    folder = tmp_path_factory.mktemp("workbooks")
    good = folder / "闵行区.xlsx"  # the district is named after the file
    district = generate_district(teachers=900, seed=7, structure="minhang", plan_year=2025)
    write_district(district, good)
    book = openpyxl.load_workbook(good)
    sheet = book["教师"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=5, column=header.index("出生年份") + 1, value="一九八零")
    sheet.cell(row=9, column=header.index("性别") + 1, value="未知")
    broken = folder / "闵行区-有错.xlsx"
    book.save(broken)
    return Workbooks(good=good, broken=broken)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rotation serve --login` on a free loopback port, with one 经办人 account; its URL."""
    require_chromium()
    data = tmp_path_factory.mktemp("data")
    made = _rotation(
        "user", "add", USER, "--role", "经办人", "--data", str(data), "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    for name, role in ((REVIEWER, "审核人"), (APPROVER, "审批人")):
        made = _rotation(
            "user", "add", name, "--role", role, "--data", str(data), "--password-stdin",
            input=PASSWORD + "\n",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    port = _free_port()
    log = data / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(BIN / "rotation"), "serve", "--login", "--no-browser", "--port", str(port),
             "--data", str(data)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer /api/health:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server, viewport=VIEWPORT, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


class Screenshots:
    """Saves the documentation screenshots when ROTATION_SCREENSHOTS names a folder."""

    def __init__(self) -> None:
        folder = os.environ.get("ROTATION_SCREENSHOTS")
        self.folder = Path(folder) if folder else None
        if self.folder is None:
            return
        fonts = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        )
        if not fonts.stdout.strip():
            pytest.fail("no Chinese font: install fonts-noto-cjk before taking screenshots")
        self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> None:
        if self.folder is None:
            return
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(self.folder / f"{name}.png"))


# -- the walk ---------------------------------------------------------------------------------


def test_clerk_walks_through_upload_plan_review_download(
    page: Page, server: str, workbooks: Workbooks, tmp_path: Path
) -> None:
    shots = Screenshots()

    # Everything needs a session: the home page sends the browser to the login page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("用户名").fill(USER)
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".notice")).to_be_visible()
    page.get_by_label("用户名").fill(USER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("header .who")).to_contain_text(USER)
    expect(page.locator("#upload-form")).to_be_visible()

    # A workbook with two broken cells: not kept, every problem with its sheet, row, column.
    page.locator("#upload-file").set_input_files(workbooks.broken)
    page.locator("#upload-button").click()
    expect(page.locator("h1")).to_have_text("数据有误，未保存")
    expect(page.locator("#rejected-message")).to_contain_text(workbooks.broken.name)
    rows = page.locator("table.problems tr")
    expect(rows).to_have_count(3)
    assert rows.nth(0).locator("th").all_inner_texts() == ["#", "工作表", "行", "列", "问题"]
    problems = [r.locator("td").all_inner_texts()[1:4] for r in rows.all()[1:]]
    assert problems == [["教师", "5", "出生年份"], ["教师", "9", "性别"]]
    expect(rows.nth(1)).to_contain_text("一九八零")
    shots.take(page, "02-upload-problems")

    # The fixed workbook (the rejected page offers the form again): its summary per group.
    page.locator("#upload-file").set_input_files(workbooks.good)
    page.locator("#upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    expect(page.locator("h1")).to_contain_text("数据检查通过")
    expect(page.locator(".kpi").nth(2)).to_contain_text("900")
    expect(page.locator("#groups tr")).to_have_count(3)
    shots.take(page, "03-upload-summary")

    # Plan: the job page polls its progress (htmx) and, when done, htmx sends the browser on.
    seen: list[str] = []  # the bar's value each time the page shows it
    page.expose_function("reportProgress", lambda value: seen.append(value))
    page.add_init_script(WATCH_PROGRESS)
    redirects: list[str] = []
    page.on("response", lambda r: redirects.append(r.headers.get("hx-redirect", "")))
    page.locator("#plan-button").click()
    expect(page).to_have_url(re.compile(r"/jobs/[^/]+$"))
    expect(page.locator("#job-status .progress")).to_be_visible()
    expect(page.locator("#job-state")).to_have_text(re.compile("排队中|编制中"))
    shots.take(page, "04-job-progress")
    page.wait_for_url(re.compile(r"/plans/[^/]+$"))
    plan_url = page.url
    assert plan_url.removeprefix(server) in redirects  # htmx's redirect, from the status poll
    values = [int(v) for v in seen]
    assert values, "the progress bar was never shown"
    assert values == sorted(values)
    assert all(0 <= v <= 100 for v in values)
    expect(page.locator("#verdict")).to_contain_text("可以报批")
    expect(page.locator("#group-kpis tr")).to_have_count(3)
    expect(page.locator("svg.chart")).to_have_count(3)
    shots.take(page, "05-plan")

    # The rotation list: a filter and a search narrow it (htmx swaps the table).
    page.locator("nav.tabs a", has_text="交流名单").click()
    expect(page).to_have_url(re.compile(r"/sheets/rotations"))
    count = page.locator("#row-count")
    total = int(re.findall(r"共 (\d+) 条", count.inner_text())[0])
    assert total > 5
    shots.take(page, "06-rotations")
    sheet = page.locator("#sheet")
    header = sheet.locator("tr").first.locator("th").all_inner_texts()
    school_col = header.index("流出学校")
    school = sheet.locator("tr").nth(1).locator("td").nth(school_col).inner_text()
    page.locator("select[name='流出学校']").select_option(school)
    expect(page).to_have_url(re.compile(r"%E6%B5%81%E5%87%BA%E5%AD%A6%E6%A0%A1=.+"))
    expect(count).not_to_have_text(re.compile(rf"共 {total} 条"))
    filtered = sheet.locator("tr").all()[1:]
    assert filtered
    assert all(r.locator("td").nth(school_col).inner_text() == school for r in filtered)
    name_col = header.index("姓名")
    name = filtered[0].locator("td").nth(name_col).inner_text()
    page.locator("select[name='流出学校']").select_option("")
    expect(count).to_contain_text(f"共 {total} 条")
    page.locator("#search").fill(name)
    expect(count).not_to_have_text(re.compile(rf"共 {total} 条"))
    found = sheet.locator("tr").all()[1:]
    assert found
    assert all(name in r.inner_text() for r in found)

    # A teacher's page: why chosen.
    teacher_id = found[0].locator("td a").first.inner_text()
    found[0].locator("td a").first.click()
    expect(page).to_have_url(re.compile(rf"/teachers/{re.escape(teacher_id)}$"))
    expect(page.locator("#teacher-name")).to_have_text(f"{name}（{teacher_id}）")
    card = page.locator("#teacher-rotations")
    expect(card).to_contain_text(name)
    reason = card.locator("tr", has=page.locator("th", has_text="入选理由")).locator("td")
    expect(reason).not_to_be_empty()
    page.locator("#teacher-name").evaluate("heading => heading.scrollIntoView()")
    shots.take(page, "08-teacher")

    # The flows page (one matrix per group).
    page.goto(plan_url + "/flows")
    expect(page.locator("table.matrix")).to_have_count(2)
    shots.take(page, "07-flows")

    # The home page lists the upload and the plan.
    page.goto("/")
    expect(page.locator("#plans tr")).to_have_count(2)
    expect(page.locator("#uploads tr")).to_have_count(2)
    shots.take(page, "01-home")

    # The 审批表, checked by the command line against the same input: every rule holds.
    page.goto(plan_url)
    with page.expect_download() as downloading:
        page.locator("#download-workbook").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".xlsx")
    assert "审批表" in download.suggested_filename
    approval = tmp_path / "审批表.xlsx"
    download.save_as(approval)
    checked = _rotation("check", str(workbooks.good), str(approval))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Log out: the session is gone, and the home page sends the browser to the login page.
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def _sign_in(page: Page, name: str) -> None:
    """Log out whoever is signed in, and log in as `name`."""
    page.goto("/")
    if page.locator("#logout").count():
        page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text(name)


def test_the_bureau_approves_and_starts_the_next_year(
    page: Page, workbooks: Workbooks, tmp_path: Path
) -> None:
    """公示 by the 审核人, 审批通过 by the 审批人, the next school year started by the clerk from
    the approved plan, its workbook brought up to date and uploaded (the changes per teacher
    shown), and a rotated teacher's history with the printable 交流经历证明."""
    shots = Screenshots()
    _sign_in(page, USER)
    page.locator("#upload-file").set_input_files(workbooks.good)
    page.locator("#upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    page.locator("#plan-button").click()
    page.wait_for_url(re.compile(r"/plans/[^/]+$"))
    plan_url = page.url
    expect(page.locator("#plan-state")).to_have_text("草稿")
    expect(page.locator("#publish-form")).to_have_count(0)  # a clerk cannot publish
    rotated = page.request.get(plan_url.replace("/plans/", "/api/plans/")).json()["rotations"]
    teacher_id = rotated[0]["teacher_id"]

    _sign_in(page, REVIEWER)
    page.goto(plan_url)
    page.locator("#publish-form input[name=start]").fill("2026-06-01")
    page.locator("#publish-form input[name=end]").fill("2026-06-07")
    page.locator("#publish-button").click()
    expect(page.locator("#plan-state")).to_have_text("公示中")
    expect(page.locator("#approve-form")).to_have_count(0)  # a reviewer cannot approve

    _sign_in(page, APPROVER)
    page.goto(plan_url)
    page.locator("#approve-form input[name=comment]").fill("同意")
    page.locator("#approve-button").click()
    expect(page.locator("#plan-state")).to_have_text("已审批")
    expect(page.locator("#events tr")).to_have_count(3)
    expect(page.locator("#events")).to_contain_text("赵局长")
    page.locator("#procedure").scroll_into_view_if_needed()
    shots.take(page, "09-approved")

    _sign_in(page, USER)
    page.goto(plan_url)
    page.locator("#next-year-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    expect(page.locator("#carried")).to_contain_text("由已审批方案结转的数据")
    expect(page.locator("h1")).to_contain_text("2026学年")
    with page.expect_download() as downloading:
        page.locator("#download-carried").click()
    carried = tmp_path / "结转.xlsx"
    downloading.value.save_as(carried)
    # HR brings it up to date: a new hire (a copy of the last row under a new id) and a
    # teacher who changed subject
    book = openpyxl.load_workbook(carried)
    sheet = book["教师"]
    header = [c.value for c in sheet[1]]
    last = [c.value for c in sheet[sheet.max_row]]
    last[header.index("教师编号")] = "NEW2026"
    last[header.index("姓名")] = "新教师"
    sheet.append(last)
    sheet.cell(row=3, column=header.index("学科") + 1, value="心理健康")
    updated = tmp_path / "闵行区2026.xlsx"
    book.save(updated)
    page.locator("#carry-upload-form input[type=file]").set_input_files(updated)
    page.locator("#carry-upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    changes = page.locator("#changes")
    expect(changes).to_contain_text("与结转数据相比的变化")
    expect(page.locator("#change-rows tr")).to_have_count(3)
    expect(changes).to_contain_text("NEW2026")
    expect(changes).to_contain_text("心理健康")
    changes.scroll_into_view_if_needed()
    shots.take(page, "10-next-year-changes")

    page.goto("/history")
    page.locator("#history-form input[name=teacher_id]").fill(teacher_id)
    page.locator("#history-form button").click()
    expect(page.locator("#history tr")).to_have_count(2)
    expect(page.locator("#history")).to_contain_text("交流中")
    shots.take(page, "11-history")
    page.locator("#certificate-link").first.click()
    expect(page.locator("h1")).to_contain_text("交流经历证明")
    shots.take(page, "12-certificate")
    page.goto("/districts")
    page.locator("#years a", has_text="闵行区").first.click()
    expect(page.locator("#years-table tr")).to_have_count(2)
    expect(page.locator("svg.chart")).to_have_count(3)
    shots.take(page, "13-statistics")


def test_the_clerk_compares_scenarios_sweeps_and_simulates(
    page: Page, workbooks: Workbooks, tmp_path: Path
) -> None:
    """情景比较: two scenarios written in the form (one whose rules cannot all be met), compared
    with the data as it is; the default sweep of min_rotation_ratio (10 % … 20 %) and its
    boundary read off the page; a simulation's line charts; the run's files run by the command
    line. Ganzhou's 600 teachers: the rules hold at 10 % and stop holding from 12–14 % on."""
    shots = Screenshots()
    workbook = tmp_path / "甘州区.xlsx"
    write_district(generate_district(teachers=600, seed=7, structure="ganzhou"), workbook)
    _sign_in(page, USER)
    page.locator("#upload-file").set_input_files(workbook)
    page.locator("#upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    page.locator("#whatif-link").click()
    expect(page.locator("h1")).to_have_text("甘州区 2025学年：情景比较")
    expect(page.locator("#scenario-list tr")).to_have_count(2)  # the header and 基准

    form = page.locator("#scenario-form")
    form.locator("input[name=name]").fill("骨干放宽、新增薄弱校")
    form.locator("input[name=description]").fill("骨干占比下限降到 10%，一所学校改为薄弱学校")
    form.locator("input[name='policy.backbone_share']").fill("10%")
    form.locator("summary", has_text="薄弱学校").click()
    choice = page.locator("#school-choices select").first
    choice.select_option("weak")
    shots.take(page, "20-whatif-form")
    page.locator("#save-scenario").click()
    expect(page.locator("#scenario-list tr")).to_have_count(3)
    form = page.locator("#scenario-form")
    form.locator("input[name=name]").fill("比例提高到20%")
    form.locator("input[name='policy.min_rotation_ratio']").fill("二十")
    page.locator("#save-scenario").click()  # a value the rules cannot read: shown, not kept
    expect(page.locator("#scenario-problems")).to_be_visible()
    expect(page.locator("table.problems")).to_contain_text("min_rotation_ratio")
    form.locator("input[name='policy.min_rotation_ratio']").fill("20%")
    page.locator("#save-scenario").click()
    expect(page.locator("#scenario-list tr")).to_have_count(4)

    # compare the three (all ticked): 无法满足 with its conflicts for the 20 % scenario
    page.locator("#compare-button").click()
    page.wait_for_url(re.compile(r"/whatif/[0-9a-f]+$"))
    expect(page.locator("h1")).to_contain_text("方案比较")
    header = page.locator("#kpis tr").first.locator("th").all_inner_texts()
    assert header == ["指标", "基准", "骨干放宽、新增薄弱校", "比例提高到20%"]
    met = page.locator("#kpis tr", has=page.locator("td", has_text="规则全部满足"))
    assert met.locator("td").all_inner_texts()[1:] == ["是", "是", "否"]
    expect(page.locator("#unmet")).to_contain_text("比例提高到20%：无法满足")
    expect(page.locator("#unmet li").first).to_be_visible()
    expect(page.locator("#groups-chart svg.chart")).to_have_count(1)
    expect(page.locator("#diff")).to_contain_text("无法满足")
    shots.take(page, "21-whatif-compare")
    page.locator("#unmet").scroll_into_view_if_needed()
    shots.take(page, "21-whatif-compare-unmet")
    with page.expect_download() as downloading:
        page.locator("#download-scenarios").click()
    bundle = tmp_path / "情景.zip"
    downloading.value.save_as(bundle)
    folder = tmp_path / "情景"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    tomls = sorted(str(p) for p in folder.glob("*.toml"))
    assert len(tomls) == 3
    compared = _rotation("scenario", "compare", *tomls, "-o", str(tmp_path / "对比.xlsx"))
    assert compared.returncode == 2, compared.stdout + compared.stderr  # 20 %: rules not met
    assert "比例提高到20%" in compared.stderr
    assert (tmp_path / "对比.xlsx").is_file()

    # the default sweep on the data as it is: where the rules stop being met
    page.locator("a", has_text="返回情景比较").click()
    sweep = page.locator("#sweep-form")
    assert sweep.locator("input[name=sweep_from]").input_value() == "10%"
    assert sweep.locator("input[name=sweep_to]").input_value() == "20%"
    page.locator("#sweep-button").click()
    page.wait_for_url(re.compile(r"/whatif/[0-9a-f]+$"))
    conclusion = page.locator("#sweep-conclusion").inner_text()
    found = re.fullmatch(
        r"min_rotation_ratio 取 (\d+%) 及之前的值时规则可以同时满足，从 (\d+%) 起无法同时满足",
        conclusion,
    )
    assert found, conclusion
    rows = page.locator("#sweep-table tr").all()[1:]
    assert [r.locator("td").first.inner_text() for r in rows] == [
        "10%", "12%", "14%", "16%", "18%", "20%"
    ]  # fmt: skip
    first_unmet = next(r for r in rows if "否" in r.locator("td").nth(1).inner_text())
    assert first_unmet.locator("td").first.inner_text() == found.group(2)
    shots.take(page, "22-whatif-sweep")

    # a simulation over four years of 闵行区 (whose rules hold year after year) as it is and
    # with a higher ratio (written through the JSON API this time): the line charts
    page.goto("/")
    page.locator("#upload-file").set_input_files(workbooks.good)
    page.locator("#upload-button").click()
    expect(page).to_have_url(re.compile(r"/uploads/[^/]+$"))
    upload_id = page.url.rsplit("/", 1)[1]
    made = page.request.post(
        f"/api/uploads/{upload_id}/scenarios",
        data={"name": "比例提高到15%", "policy": {"min_rotation_ratio": "15%"}},
    )
    assert made.status == 201, made.text()
    page.goto(f"/uploads/{upload_id}/whatif")
    page.locator("#simulate-form input[type=checkbox]").nth(1).check()
    page.locator("#simulate-form input[name=years]").fill("4")
    page.locator("#simulate-button").click()
    page.wait_for_url(re.compile(r"/whatif/[0-9a-f]+$"))
    expect(page.locator("h1")).to_contain_text("政策模拟")
    expect(page.locator("#line-charts svg.chart")).to_have_count(6)
    expect(page.locator("#conclusions tr")).to_have_count(3)
    expect(page.locator("#line-charts polyline")).to_have_count(12)  # 6 charts × 2 scenarios
    page.locator("#line-charts").scroll_into_view_if_needed()
    shots.take(page, "23-whatif-simulation")
