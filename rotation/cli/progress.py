"""One progress display for a long command, on stderr: a live bar on a terminal, plain lines
in a log. The final summary still goes to stdout, after the display has closed.

On a terminal the bar shows the phase, the parts done of total and the time so far, refreshed
several times a second; each finished phase is left as one line above it. Elsewhere (stderr
piped or redirected) a line is written when a phase starts, then at most one a second as parts
finish, and a "仍在进行" line when nothing has been written for `heartbeat` seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import typer

from rotation.service.progress import Step

#: Seconds between two count lines in a log.
LINE_INTERVAL = 1.0


def _seconds(value: float) -> str:
    return f"{value:.1f} 秒"


class ProgressDisplay:
    """Shows the Steps a use case reports; use as a context manager and pass it as `report`."""

    def __init__(
        self,
        *,
        tty: bool | None = None,
        write: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = 5.0,
        console: Any = None,
    ) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.write = write or (lambda text: typer.echo(text, err=True))
        self.clock = clock
        self.heartbeat = heartbeat
        self.phase = self.count = ""
        self.started = self.phase_started = self.last_line = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._bar: Any = None
        self._task: Any = None
        self._ticker: threading.Thread | None = None
        self._console = console

    def __enter__(self) -> ProgressDisplay:
        if self.tty:
            self._start_bar()
        elif self.heartbeat > 0:
            self._ticker = threading.Thread(target=self._keep_alive, daemon=True)
            self._ticker.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            if kind is None and self.phase:
                self._finish_phase()
            self._bar.stop()

    def __call__(self, step: Step) -> None:
        with self._lock:
            if step.phase != self.phase:
                self._new_phase(step.phase)
            self.count = f"{step.done}/{step.total}" if step.total else ""
            if step.note:
                self._line(step.note)
            if self._bar is not None:
                if self._task is None:
                    self._task = self._bar.add_task(step.phase, count=self.count)
                self._bar.update(
                    self._task,
                    description=step.phase,
                    total=step.total or None,
                    completed=step.done,
                    count=self.count,
                )
            elif step.total and not step.note:
                now = self.clock()
                if step.done == step.total or now - self.last_line >= LINE_INTERVAL:
                    share = step.done * 100 // step.total
                    self._line(
                        f"  {step.phase} {step.done}/{step.total}（{share}%），"
                        f"已用 {_seconds(now - self.started)}"
                    )

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("已用"),
            TimeElapsedColumn(),
            console=self._console or Console(stderr=True),
            transient=True,
            # stdout on the same terminal is printed above the bar; elsewhere left alone
            redirect_stdout=sys.stdout.isatty(),
        )
        self._bar.start()

    def _new_phase(self, phase: str) -> None:
        if self._bar is not None:
            if self.phase:
                self._finish_phase()
        else:
            self._line(f"{phase}…（已用 {_seconds(self.clock() - self.started)}）")
        self.phase, self.phase_started = phase, self.clock()

    def _finish_phase(self) -> None:
        took = self.clock() - self.phase_started
        count = f" {self.count}" if self.count else ""
        self._bar.console.print(
            f"  {self.phase}：完成{count}，用时 {_seconds(took)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, highlight=False, markup=False, soft_wrap=True)
        else:
            self.write(text)
        self.last_line = self.clock()

    def _keep_alive(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                now = self.clock()
                if self.phase and now - self.last_line >= self.heartbeat:
                    self._line(f"  {self.phase}：仍在进行，已用 {_seconds(now - self.started)}")
