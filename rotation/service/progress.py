"""Progress of a long use case, reported step by step to whoever shows it (the CLI's bar).

A use case calls its `Report` with a `Step` at the start of each phase and as parts of a phase
finish; it never prints. Phases of planning: 读取, 建模求解 (one part per component), 核查、写出.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

READING = "读取数据"
SOLVING = "建模求解"
WRITING = "核查、写出审批表"
SCENARIOS = "编制各情景"
EXPLAINING = "说明首个无法满足的取值"
COMPARISON = "写出方案对比"


@dataclass(frozen=True)
class Step:
    """Where a use case is: its phase, parts done of total (total 0: not counted), and a line
    worth keeping on screen once the step is shown (a finished scenario, say)."""

    phase: str
    done: int = 0
    total: int = 0
    note: str = ""


Report = Callable[[Step], None]


def silent(_step: Step) -> None:
    """The report of a caller that shows no progress."""
