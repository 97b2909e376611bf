"""Executors: where independent tasks run — the local process pool, or a Ray cluster.

`solvers.parallel.run_tasks` runs one solve's components on this machine. An `Executor` runs
coarser tasks (a whole county, a scenario) that may number in the thousands and may belong on
many machines, with one contract for both engines:

* a task is a module-level function `task(shared, job)`; `shared` (small: options) reaches each
  worker once, `job` is plain data (a county's workbook as bytes, never an open file or an
  OR-Tools object: CP-SAT models are built where the task runs, they cannot be pickled);
* results are plain picklable data, handed to `done` in this process as each task finishes
  (progress), in completion order — callers index them, so the outcome never depends on order;
* `jobs` is consumed lazily, keeping at most `window` tasks submitted, so that the caller's
  memory holds a few jobs' data at a time, not the whole province's;
* a task whose worker is lost (killed, out of memory, a machine gone) is run again, up to
  `retries` more times; an exception the task raises itself is not retried: it stops the run
  and is raised here.

`ProcessExecutor` is the default (clerk PCs, CI): a pool of processes on this machine, replaced
when a worker dies. `RayExecutor` joins or starts a Ray cluster (`pip install rotation[ray]`):
``local`` starts one on this machine, ``auto`` joins the one `RAY_ADDRESS` names, anything else
is the address of a running cluster. Ray is imported only by `RayExecutor`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from models.plan import StartMethod
from solvers.parallel import _call, _install, _paused_cycle_collection, cores, start_method

S = TypeVar("S")
J = TypeVar("J")
R = TypeVar("R")

#: How many more times a task whose worker was lost is run.
RETRIES = 2

#: Object store of a Ray cluster started here (`--ray local`): tasks' data is small (a county's
#: workbook and its outputs), so a cap keeps Ray's shared memory from claiming RAM it won't use.
LOCAL_OBJECT_STORE = 512 * 1024 * 1024


class WorkerLost(RuntimeError):
    """A task's worker was lost more often than `retries` allows."""


class Executor(ABC):
    """Runs `task(shared, job)` for every job; see the module's contract."""

    name: str = ""
    retries: int = RETRIES

    @property
    @abstractmethod
    def slots(self) -> int:
        """Tasks that run at once."""

    @abstractmethod
    def run(
        self,
        task: Callable[[S, J], R],
        shared: S,
        jobs: Iterable[J],
        done: Callable[[R], None],
        *,
        window: int = 0,
    ) -> None:
        """Call `done(task(shared, job))` for every job, as each finishes; at most `window`
        tasks submitted at once (0: twice the slots)."""

    def close(self) -> None:
        """Give back what the executor holds (a Ray cluster it started)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _window(self, window: int) -> int:
        return max(1, window or 2 * self.slots)


class ProcessExecutor(Executor):
    """A pool of `workers` processes on this machine (0: one per core); a new pool replaces one
    a lost worker broke, and the tasks it had not finished run again there."""

    name = "process"

    def __init__(
        self, workers: int = 0, *, method: StartMethod = "auto", retries: int = RETRIES
    ) -> None:
        self.workers = max(1, workers or cores())
        self.method = method
        self.retries = retries
        #: Pools started so far (the first plus one per lost worker), for tests and reports.
        self.pools_started = 0

    @property
    def slots(self) -> int:
        return self.workers

    def run(
        self,
        task: Callable[[S, J], R],
        shared: S,
        jobs: Iterable[J],
        done: Callable[[R], None],
        *,
        window: int = 0,
    ) -> None:
        how = start_method(self.method)
        if how == "fork":
            initargs: tuple[object, bool] = (shared, False)
        else:
            with _paused_cycle_collection():
                initargs = (pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL), True)
        source = iter(jobs)
        again: deque[tuple[int, J]] = deque()  # jobs whose worker was lost, with their attempt
        limit = self._window(window)
        while True:
            pending = self._one_pool(task, initargs, how, source, again, done, limit)
            if not pending:
                return
            for attempt, job in pending:
                if attempt >= self.retries:
                    raise WorkerLost(f"任务的工作进程 {attempt + 1} 次意外退出，已停止")
                again.append((attempt + 1, job))

    def _one_pool(
        self,
        task: Callable[[S, J], R],
        initargs: tuple[object, bool],
        how: str,
        source: Iterator[J],
        again: deque[tuple[int, J]],
        done: Callable[[R], None],
        limit: int,
    ) -> list[tuple[int, J]]:
        """Run jobs (`again` first, then `source`) in one pool until all are done ([]), or the
        pool breaks: then the jobs it had not finished, with their attempts."""
        if how == "fork":
            gc.freeze()  # what exists now is inherited: keep the workers' collections off it
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(how),
            initializer=_install,
            initargs=initargs,
        )
        self.pools_started += 1
        running: dict[Future[R], tuple[int, J]] = {}
        try:

            def fill() -> None:
                while len(running) < limit:
                    if again:
                        attempt, job = again.popleft()
                    else:
                        job = next(source, _END)
                        if job is _END:
                            return
                        attempt = 0
                    running[pool.submit(_call, task, job)] = (attempt, job)

            fill()
            broken = False
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        broken = True
                        continue
                    running.pop(future)
                    if error is not None:
                        raise error
                    done(future.result())
                if broken:
                    lost = list(running.values())
                    pool.shutdown(wait=True, cancel_futures=True)
                    return lost
                fill()
        except KeyboardInterrupt:
            for process in list(pool._processes.values()):
                if process.is_alive():
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            if how == "fork":
                gc.unfreeze()
        pool.shutdown(wait=True)
        return []


_END: Any = object()


def _ray_call(task: Callable[[Any, Any], Any], shared: Any, job: Any) -> Any:
    """On a Ray worker: one task (Ray resolves the shared inputs' reference before the call)."""
    return task(shared, job)


class RayExecutor(Executor):
    """Tasks on a Ray cluster: `address` ``local`` starts one on this machine (stopped again by
    `close`), ``auto`` joins the cluster `RAY_ADDRESS` names, else a cluster's address. A Ray
    already initialised in this process (a test's fixture) is used as it is and left running."""

    name = "ray"

    def __init__(
        self,
        address: str = "local",
        *,
        cpus: int = 0,
        object_store: int = LOCAL_OBJECT_STORE,
        retries: int = RETRIES,
    ) -> None:
        import ray

        self.retries = retries
        self.owned = False
        if not ray.is_initialized():
            if address == "local":
                ray.init(
                    num_cpus=cpus or cores(),
                    object_store_memory=object_store,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    # Ray runs its workers at nice 15 by default: on this machine they would
                    # yield to every other job, the pool's workers do not
                    _system_config={"worker_niceness": 0},
                )
            else:
                if address == "auto" and not os.environ.get("RAY_ADDRESS"):
                    raise ValueError("--ray auto 需要环境变量 RAY_ADDRESS（Ray 集群地址）")
                ray.init(
                    address="auto" if address == "auto" else address,
                    log_to_driver=False,
                    configure_logging=False,
                )
            self.owned = True
        self._ray: Any = ray

    @property
    def slots(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def run(
        self,
        task: Callable[[S, J], R],
        shared: S,
        jobs: Iterable[J],
        done: Callable[[R], None],
        *,
        window: int = 0,
    ) -> None:
        ray = self._ray
        remote = ray.remote(_ray_call).options(num_cpus=1, max_retries=self.retries)
        shared_ref = ray.put(shared)
        source = iter(jobs)
        limit = self._window(window)
        running: list[Any] = []

        def fill() -> None:
            while len(running) < limit:
                job = next(source, _END)
                if job is _END:
                    return
                running.append(remote.remote(task, shared_ref, job))

        try:
            fill()
            while running:
                finished, rest = ray.wait(running, num_returns=1)
                running[:] = rest
                for ref in finished:
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        raise exc.as_instanceof_cause() from None
                    except (
                        ray.exceptions.WorkerCrashedError,
                        ray.exceptions.NodeDiedError,
                    ) as exc:
                        raise WorkerLost(
                            f"任务的工作进程 {self.retries + 1} 次意外退出，已停止"
                        ) from exc
                    done(result)
                fill()
        except BaseException:
            for ref in running:
                ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self.owned:
            self._ray.shutdown()
            self.owned = False


def make_executor(ray: str | None, *, workers: int = 0, method: StartMethod = "auto") -> Executor:
    """The process pool, or with `ray` (``local``, ``auto`` or an address) a Ray cluster."""
    if ray:
        return RayExecutor(ray)
    return ProcessExecutor(workers, method=method)
