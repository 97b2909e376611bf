"""The executor contract, for the local process pool and for Ray (a local cluster of 2 CPUs):
every job's result reaches `done` once, as tasks finish; jobs are taken lazily, a window at a
time; a task's own exception stops the run and surfaces here; a task whose worker is killed is
run again with the same result, and one that keeps losing its worker stops the run.

Tasks run in other processes: under the pool (fork) they are found by name, on Ray workers this
module is pickled by value (test modules are not importable there)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from solvers.executors import Executor, ProcessExecutor, RayExecutor, WorkerLost


def square(shared: int, job: int) -> tuple[int, int]:
    return job, job * job + shared


def fail_on_three(shared: int, job: int) -> int:
    if job == 3:
        raise ValueError("任务自己的错误")
    return job


def killed_once(shared: str, job: int) -> tuple[int, int]:
    """Kills its own worker the first time each job runs (a marker file remembers)."""
    marker = Path(shared) / f"started-{job}"
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return job, 10 * job


def always_killed(shared: str, job: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return job


@pytest.fixture(params=["process", "ray"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    if request.param == "process":
        yield ProcessExecutor(2, retries=2)
        return
    ray = request.getfixturevalue("ray_cluster")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with RayExecutor("local", retries=2) as engine:
        assert not engine.owned  # the fixture's cluster: used, and left running
        yield engine


def test_every_result_once_as_tasks_finish_and_jobs_taken_lazily(executor: Executor) -> None:
    taken: list[int] = []
    seen: list[tuple[int, int]] = []
    most_in_flight = 0

    def jobs() -> Iterator[int]:
        for j in range(12):
            taken.append(j)
            yield j

    def done(result: tuple[int, int]) -> None:
        nonlocal most_in_flight
        seen.append(result)
        most_in_flight = max(most_in_flight, len(taken) - len(seen) + 1)

    executor.run(square, 5, jobs(), done, window=3)
    assert sorted(seen) == [(j, j * j + 5) for j in range(12)]
    assert most_in_flight <= 3 + 1  # never more than the window taken ahead
    assert executor.slots == 2


def test_a_task_exception_stops_the_run_and_surfaces(executor: Executor) -> None:
    with pytest.raises(ValueError, match="任务自己的错误"):
        executor.run(fail_on_three, 0, range(6), lambda _r: None)


def test_a_killed_worker_s_task_is_retried_with_the_same_result(
    executor: Executor, tmp_path: Path
) -> None:
    results: list[tuple[int, int]] = []
    executor.run(killed_once, str(tmp_path), [1, 2, 3], results.append)
    assert sorted(results) == [(1, 10), (2, 20), (3, 30)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["started-1", "started-2", "started-3"]


def test_a_task_that_keeps_losing_its_worker_stops_the_run(
    executor: Executor, tmp_path: Path
) -> None:
    executor.retries = 1
    with pytest.raises(WorkerLost):
        executor.run(always_killed, str(tmp_path), [1], lambda _r: None)


def test_the_pool_replaces_a_broken_pool(tmp_path: Path) -> None:
    pool = ProcessExecutor(2)
    results: list[Any] = []
    pool.run(square, 1, range(4), results.append)
    assert pool.pools_started == 1 and len(results) == 4
    pool.run(killed_once, str(tmp_path), [7], results.append)
    assert pool.pools_started == 3 and results[-1] == (7, 70)
