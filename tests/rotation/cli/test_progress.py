"""One progress display for the long commands: phases and parts on stderr, the summary on stdout."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.testing import CliRunner

from models.plan import SolveOptions
from rotation.cli.app import app
from rotation.cli.progress import ProgressDisplay
from rotation.samples.generate import generate_district
from rotation.service.planning import plan_district
from rotation.service.progress import READING, SOLVING, WRITING, Step

runner = CliRunner()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_at_most_one_a_second_and_each_phase_and_the_end() -> None:
    lines: list[str] = []
    clock = Clock()
    with ProgressDisplay(tty=False, write=lines.append, clock=clock, heartbeat=0) as show:
        show(Step(READING))
        clock.now = 2.0
        show(Step(SOLVING))
        for done in range(1, 11):
            clock.now += 0.3
            show(Step(SOLVING, done, 10))
        show(Step(WRITING))
    assert lines[0].startswith("读取数据…") and lines[1].startswith("建模求解…（已用 2.0 秒）")
    counts = [line for line in lines if "/10" in line]
    # 3 s of parts finishing every 0.3 s: about one line a second, and always the last
    assert 2 <= len(counts) <= 4 and "10/10（100%）" in counts[-1]
    assert lines[-1].startswith("核查、写出审批表…")


def test_notes_are_always_shown() -> None:
    lines: list[str] = []
    with ProgressDisplay(tty=False, write=lines.append, clock=Clock(), heartbeat=0) as show:
        for done in (1, 2, 3):
            show(Step("编制各情景", done, 3, note=f"  [{done}/3] 情景{done}：已生成"))
    assert [line for line in lines if "情景" in line and "已生成" in line] == [
        f"  [{d}/3] 情景{d}：已生成" for d in (1, 2, 3)
    ]


def test_on_a_terminal_a_bar_and_one_line_per_finished_phase() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with ProgressDisplay(tty=True, console=console) as show:
        show(Step(READING))
        show(Step(SOLVING, 0, 4))
        for done in range(1, 5):
            show(Step(SOLVING, done, 4))
        show(Step(WRITING))
    text = screen.getvalue()
    for phase in (READING, WRITING):
        assert f"{phase}：完成，用时" in text
    assert "建模求解：完成 4/4，用时" in text


def test_planning_reports_each_phase_and_every_component(tmp_path: Path) -> None:
    district = generate_district(teachers=400, seed=2)
    steps: list[Step] = []
    plan_district(
        district,
        tmp_path / "审批表.xlsx",
        None,
        options=SolveOptions(),
        sha256="",
        report=steps.append,
    )
    assert steps[0] == Step(SOLVING) and steps[-1] == Step(WRITING)
    counted = [s for s in steps if s.total]
    assert counted and counted[-1].done == counted[-1].total == len(district.groups)
    assert [s.done for s in counted] == sorted(s.done for s in counted)


def test_plan_shows_progress_on_stderr_and_the_summary_on_stdout(tmp_path: Path) -> None:
    data = tmp_path / "区.xlsx"
    assert runner.invoke(app, ["generate", str(data), "--teachers", "300"]).exit_code == 0
    result: Any = runner.invoke(app, ["plan", str(data)])
    assert result.exit_code == 0, result.output
    for phase in (READING, SOLVING, WRITING):
        assert f"{phase}…" in result.stderr
    assert "/" in result.stderr  # components done of total
    out = result.stdout.splitlines()
    assert out[0].startswith("已读取 区：") and out[-2].startswith("方案已生成")
    assert out[-1].startswith("走教：")  # generated districts carry 走教需求
    assert "读取数据" not in result.stdout
