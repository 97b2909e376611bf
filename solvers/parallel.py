"""The one way independent tasks (components, horizon components, HiGHS peers, scenarios) run in
worker processes, on Linux and on the bureaus' Windows PCs alike.

A task is a module-level function `task(shared, job)`: `shared` holds the large inputs (the
district, the options) and reaches each worker once, through the pool's initializer — under
`fork` it is inherited without being pickled, under `spawn` it is pickled once in the parent and
unpickled once per worker, never once per task. `job` is small (an index, a few group ids) and
goes with each task; results must be plain picklable data. With one worker everything runs in
this process, in the jobs' order, so a plan never depends on how it was computed.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Literal, TypeVar, cast

from models.plan import StartMethod

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")

#: Worker side only: the shared inputs `_install` received. The parent never writes it.
_WORKER_SHARED: list[object] = []


def cores() -> int:
    """CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - platforms without affinity (Windows)


def worker_count(wanted: int, jobs: int) -> int:
    """Processes to use: `wanted`, else (0) one per core; never more than there are jobs."""
    return max(1, min(wanted or cores(), jobs))


def start_method(method: StartMethod = "auto") -> Literal["fork", "spawn"]:
    """The start method actually used: `fork` only where it exists (not on Windows)."""
    if method != "spawn" and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


@contextmanager
def _paused_cycle_collection() -> Iterator[None]:
    """Pickling a district makes or walks ~10⁶ small acyclic objects: repeated passes of the
    cycle collector over them would cost several times the (un)pickling itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _install(shared: object, pickled: bool) -> None:
    """Pool initializer, in each worker: keep the shared inputs for every task it will run.

    Ctrl-C reaches every process of the console's group: the workers ignore it, so that only
    the parent handles it (and stops them), instead of a worker dying first and the parent
    seeing a broken pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if pickled:
        assert isinstance(shared, bytes)
        with _paused_cycle_collection():
            shared = pickle.loads(shared)
        gc.freeze()  # the worker's own collections need not walk the shared inputs again
    _WORKER_SHARED[:] = [shared]


def _call(task: Callable[[S, J], R], job: J) -> R:
    """In a worker: one task over the installed shared inputs."""
    return task(cast(S, _WORKER_SHARED[0]), job)


def run_tasks(
    task: Callable[[S, J], R],
    shared: S,
    jobs: Sequence[J],
    done: Callable[[R], None],
    *,
    workers: int,
    first: Sequence[int] | None = None,
    method: StartMethod = "auto",
) -> None:
    """Call `done(task(shared, job))` once for every job.

    With `workers` > 1 the tasks run in a pool of processes, started in the order `first` gives
    (indexes into `jobs`, e.g. biggest model first, so that no big one starts last and leaves a
    core idle), and `done` sees each result as it finishes. Otherwise they run here, in the jobs'
    own order. A task that raises makes this raise the same exception, after the tasks already
    running have finished and the others were cancelled."""
    if workers <= 1:
        for job in jobs:
            done(task(shared, job))
        return
    order = list(first) if first is not None else list(range(len(jobs)))
    how = start_method(method)
    if how == "fork":
        # Objects that exist now are inherited by the workers: keep the cycle collector off
        # them, so that the workers' collections neither walk nor copy-on-write them.
        gc.freeze()
        try:
            _pool(task, (shared, False), [jobs[i] for i in order], done, workers, how)
        finally:
            gc.unfreeze()
    else:
        with _paused_cycle_collection():
            payload = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)
        _pool(task, (payload, True), [jobs[i] for i in order], done, workers, how)


def _pool(
    task: Callable[[S, J], R],
    initargs: tuple[object, bool],
    jobs: list[J],
    done: Callable[[R], None],
    workers: int,
    how: str,
) -> None:
    """Submit every job to a fresh pool and hand results to `done` as they complete."""
    context = multiprocessing.get_context(how)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_install, initargs=initargs
    )
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        futures: list[Future[R]] = [pool.submit(_call, task, job) for job in jobs]
        processes = list(pool._processes.values())
        for future in as_completed(futures):
            done(future.result())
    except KeyboardInterrupt:
        _stop(pool, processes)
        raise
    except BrokenProcessPool:
        pool.shutdown(wait=True, cancel_futures=True)
        if any(p.exitcode == -signal.SIGINT for p in processes):
            # A worker hit by Ctrl-C before its initializer ran: the user's interrupt.
            raise KeyboardInterrupt from None
        raise
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor, processes: list[multiprocessing.process.BaseProcess]) -> None:
    """After Ctrl-C: end the workers now rather than wait for their (long) solves."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
