"""The one process runner and the one status module: the same plan whether workers fork, spawn
or do not exist, one `done` per job, a failing task surfacing in the parent, and one way of
combining statuses.

Tasks run under spawn must be importable by name in a fresh interpreter, so these tests use the
library's own task functions or the standard library's (test modules are not importable there).
"""

from __future__ import annotations

import operator
import pickle
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from models.district import District
from models.plan import SolveOptions
from models.policy import PolicySet
from rotation.samples.generate import generate_district
from rotation.scenarios.model import Scenario
from rotation.service.scenarios import run_scenarios
from solvers.components import components, largest_first
from solvers.highs import per_component
from solvers.horizon import solve_horizon
from solvers.parallel import run_tasks, start_method, worker_count
from solvers.solve import Seen, _solve_part, solve
from solvers.status import SAT_STATUS, mip_status, sat_status, worst_status


@cache
def district() -> District:
    """A generated district of five groups, so five components: small enough to spawn fast."""
    d = generate_district(2000, seed=3)
    assert len(components(d)) == 5
    return d


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_spawn_fork_and_serial_give_the_same_plan(method: str) -> None:
    d = district()
    serial = solve(d, SolveOptions(workers=1))
    pooled = solve(d, SolveOptions(workers=2, start_method=method))
    assert serial.status == "optimal" and serial.plan.rotations
    assert pooled.plan == serial.plan
    assert (pooled.objective, pooled.best_bound, pooled.terms) == (
        serial.objective,
        serial.best_bound,
        serial.terms,
    )
    assert pooled.components == serial.components == 5


def test_the_horizon_and_the_highs_peer_spawn_too() -> None:
    small = generate_district(1500)  # joint models of two years are harder: keep them small
    policy = small.policy.district.model_copy(update={"subject_balance_tolerance": 1})
    small = small.replace(policy=small.policy.model_copy(update={"district": policy}))
    assert len(components(small)) == 4
    serial = solve_horizon(small, 2, SolveOptions(workers=1))
    spawned = solve_horizon(small, 2, SolveOptions(workers=2, start_method="spawn"))
    assert serial.status == spawned.status == "optimal"
    assert serial.plans == spawned.plans and serial.objective == spawned.objective
    d = district()
    alone = per_component(d, workers=1, time_limit=30.0)
    peer = per_component(d, workers=2, time_limit=30.0, method="spawn")
    assert peer.status == alone.status == "optimal"
    assert [(o.index, o.objective) for o in peer.outcomes] == [
        (o.index, o.objective) for o in alone.outcomes
    ]


def test_scenarios_spawn_with_the_same_moves() -> None:
    d = generate_district(1000)
    scenarios = [Scenario(Path(f"{k}.toml"), k, k, "", d, "基础数据", "base") for k in ("甲", "乙")]
    serial = run_scenarios(scenarios, out_dir=None, options=SolveOptions(), processes=1)
    spawned = run_scenarios(
        scenarios, out_dir=None, options=SolveOptions(start_method="spawn"), processes=2
    )
    assert [o.key for o in spawned] == ["甲", "乙"]
    assert [o.moves for o in spawned] == [o.moves for o in serial]
    assert serial[0].moves


@pytest.mark.parametrize(("workers", "method"), [(1, "auto"), (2, "fork"), (2, "spawn")])
def test_done_is_called_once_per_job(workers: int, method: str) -> None:
    results: list[int] = []
    jobs = list(range(7))
    run_tasks(operator.add, 100, jobs, results.append, workers=workers, method=method)  # type: ignore[arg-type]
    assert sorted(results) == [100 + j for j in jobs]
    if workers == 1:
        assert results == [100 + j for j in jobs]  # in-process: the jobs' own order


def test_serial_runs_keep_the_jobs_order_and_largest_first_orders_every_component() -> None:
    seen: list[int] = []
    run_tasks(operator.add, 0, [5, 6, 7], seen.append, workers=1, first=[2, 1, 0])
    assert seen == [5, 6, 7]
    d = district()
    parts = components(d)
    order = largest_first(d, parts)
    assert sorted(order) == list(range(len(parts)))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_task_that_raises_in_a_worker_raises_in_the_parent(method: str) -> None:
    results: list[float] = []
    with pytest.raises(ZeroDivisionError):
        run_tasks(
            operator.truediv,
            1.0,
            [1.0, 0.0, 2.0, 4.0],
            results.append,
            workers=2,
            method=method,  # type: ignore[arg-type]
        )


def test_a_failing_solver_task_raises_its_own_error_in_the_parent() -> None:
    with pytest.raises(KeyError):  # a group the district does not have
        run_tasks(
            _solve_part,
            (district(), SolveOptions(), Seen()),
            [(0, ["没有这个集团"]), (1, [components(district())[0][0]])],
            lambda _o: None,
            workers=2,
            method="fork",
        )


def test_an_infeasible_district_under_spawn_is_a_status_not_an_error() -> None:
    d = district()
    policy = d.policy.district.model_copy(update={"min_rotation_ratio": Decimal("0.9")})
    impossible = d.replace(policy=PolicySet(district=policy))
    options = SolveOptions(workers=2, start_method="spawn", explain=False)
    result = solve(impossible, options)
    assert result.status == "infeasible" and not result.plan.rotations
    assert result == solve(impossible, options.model_copy(update={"workers": 1})).model_copy(
        update={
            "wall_seconds": result.wall_seconds,
            "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds,
        }
    )


def test_the_start_method_falls_back_to_spawn_only_where_fork_is_missing() -> None:
    assert start_method("spawn") == "spawn"
    assert start_method("auto") == start_method("fork") == "fork"  # Linux has fork
    assert SolveOptions().start_method == "auto"
    assert worker_count(0, 1) == 1 and worker_count(3, 2) == 2 and worker_count(1, 9) == 1


def test_a_district_pickles_with_its_derived_facts() -> None:
    """What spawn sends each worker: the district, its look-ups and memoised shares."""
    d = district()
    solve(d, SolveOptions(workers=1))  # fills the memo (ranks, fair shares, requirements)
    copy = pickle.loads(pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == d
    assert copy.index.memo.keys() == d.index.memo.keys()
    assert copy.eligible_teachers() == d.eligible_teachers()


def test_statuses_map_and_the_worst_one_wins() -> None:
    assert sat_status(cp_model.OPTIMAL) == "optimal"
    assert sat_status(cp_model.FEASIBLE) == "feasible"
    assert sat_status(cp_model.INFEASIBLE) == "infeasible"
    assert sat_status(cp_model.UNKNOWN) == sat_status(cp_model.MODEL_INVALID) == "unknown"
    assert len(SAT_STATUS) == 5
    assert mip_status(pywraplp.Solver.OPTIMAL) == "optimal"
    assert mip_status(pywraplp.Solver.INFEASIBLE) == "infeasible"
    assert mip_status(pywraplp.Solver.NOT_SOLVED) == "unknown"
    assert worst_status([]) == "optimal"
    assert worst_status(["optimal", "optimal"]) == "optimal"
    assert worst_status(["optimal", "feasible"]) == "feasible"
    assert worst_status(["feasible", "unknown", "optimal"]) == "unknown"
    assert worst_status(["unknown", "infeasible", "feasible"]) == "infeasible"


_INTERRUPTED_RUN = """
import os, sys, time
from solvers.parallel import run_tasks

def block(shared, job):
    os.write(1, b"started\\n")  # one write: the two lines never interleave
    time.sleep(600)

try:
    run_tasks(block, None, [1, 2], print, workers=2, method="{method}")
except KeyboardInterrupt:
    print("interrupted", flush=True)
except BaseException as exc:
    print("other", type(exc).__name__, flush=True)
"""


@pytest.mark.skipif(start_method("auto") != "fork", reason="needs fork and process groups")
def test_ctrl_c_while_workers_run_is_an_interrupt_not_a_broken_pool() -> None:
    """Ctrl-C reaches the whole process group: the workers must not die of it before the parent
    handles it, so the parent sees KeyboardInterrupt (never BrokenProcessPool) and stops them."""
    import os
    import signal
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_RUN.format(method="fork")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout is not None
    started = [child.stdout.readline(), child.stdout.readline()]  # both workers are solving
    assert started == ["started\n", "started\n"]
    os.killpg(child.pid, signal.SIGINT)  # as the console does on Ctrl-C
    rest, _ = child.communicate(timeout=120)
    assert rest.strip() == "interrupted"
    assert child.returncode == 0


def _sigint_handler(shared: None, job: int) -> bool:
    import signal

    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def _die_of_ctrl_c(shared: None, job: int) -> None:
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as if Ctrl-C came before the initializer
    os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.skipif(start_method("auto") != "fork", reason="the tasks here are not importable")
def test_workers_ignore_ctrl_c_and_a_worker_killed_by_it_is_an_interrupt() -> None:
    seen: list[bool] = []
    run_tasks(_sigint_handler, None, [1, 2], seen.append, workers=2, method="fork")
    assert seen == [True, True]
    with pytest.raises(KeyboardInterrupt):
        run_tasks(_die_of_ctrl_c, None, [1, 2], print, workers=2, method="fork")
