"""The web job writes its review store in a forked child beside the 审批表
(rotation.service.jobs.beside): the work is done, a failure reaches the job, nothing is left
running (the join waits for the child)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rotation.service.jobs import beside


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _fail(path: Path) -> None:
    raise OSError(f"磁盘已满：{path}")


def test_the_task_is_done_when_the_join_returns(tmp_path: Path) -> None:
    target = tmp_path / "review.sqlite"
    join = beside(_write, target, "结果页数据")
    join()
    assert target.read_text(encoding="utf-8") == "结果页数据"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the child is forked where fork exists")
def test_a_failure_in_the_child_reaches_the_job(tmp_path: Path) -> None:
    join = beside(_fail, tmp_path / "review.sqlite")
    with pytest.raises(ChildProcessError, match="_fail"):
        join()
    assert not (tmp_path / "review.sqlite").exists()
