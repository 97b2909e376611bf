"""`rotation bench` on a tiny district: every phase timed, peers agree, overrides checked."""

from __future__ import annotations

import pytest

from models.plan import SolveOptions
from rotation.bench.run import CPU_HEADER, PEER_HEADER, PHASE_HEADER, parse_sat_param, run_bench


def test_bench_rows_and_tables() -> None:
    lines: list[str] = []
    (row,) = run_bench(
        [400],
        options=SolveOptions(workers=1),
        isolate=False,
        sat_params={"cp_model_presolve": "false"},
        echo=lines.append,
    )
    assert row.status == "optimal" and row.gap == 0 and row.broken == 0
    assert row.read_s > 0 and row.solve_wall_s > 0 and row.write_s > 0
    assert row.total_s >= row.read_s + row.solve_wall_s
    assert row.peer is not None and row.peer.per_group_objective == row.objective
    assert (
        row.peer.monolithic_status == "optimal" and row.peer.monolithic_objective == row.objective
    )
    assert row.ratio_per_group is not None and row.greedy_broken >= 0
    assert PHASE_HEADER in lines and PEER_HEADER in lines and CPU_HEADER in lines
    assert row.read_cpu_s is not None and row.read_cpu_s > 0 and row.plan_main_cpu_s
    assert row.workers_cpu_s == 0 and row.ratio_cpu is None  # one worker: no pool
    assert any(line.startswith("| 400 |") for line in lines)


def test_sat_param_overrides_are_checked() -> None:
    assert parse_sat_param("cp_model_presolve=false") == ("cp_model_presolve", "false")
    assert parse_sat_param("search_branching=FIXED_SEARCH")[1] == "FIXED_SEARCH"
    for bad in ("no_such_param=1", "cp_model_presolve", "cp_model_presolve=maybe"):
        with pytest.raises(ValueError):
            parse_sat_param(bad)


def test_bench_counts_the_pools_cpu_seconds() -> None:
    lines: list[str] = []
    (row,) = run_bench(
        [1500], options=SolveOptions(workers=2), isolate=False, monolithic_max=0, echo=lines.append
    )
    assert row.workers_cpu_s and row.peer is not None and row.peer.per_group_workers_cpu_s
    assert row.ratio_cpu is not None and row.ratio_cpu > 0
    assert any(line.startswith("| 1,500 |") and line.count("|") == 7 for line in lines)


def test_the_per_model_bench_agrees_across_settings() -> None:
    """`python -m rotation.bench.models`: one row per component model, and the two-stage
    solve, the one-stage solve and an overridden setting all reach the same optimum."""
    from rotation.bench.models import report, run

    two = run(1500, 2, "minhang", {}, one_stage=False)
    one = run(1500, 2, "minhang", {"use_sat_inprocessing": "true"}, one_stage=True)
    assert len(two) == len(one) > 1
    assert [r.objective for r in two] == [r.objective for r in one]
    assert {r.status for r in two} == {"OPTIMAL"}
    assert "目标值合计" in report(two)[0]


def test_sat_param_overrides_reach_every_solver_solve_makes() -> None:
    """`--sat-param` reaches both stages of a plan's solve and a lost district's checks, and
    nothing is left changed afterwards."""
    import solvers.sat
    import solvers.solve
    from models.plan import SolveOptions
    from rotation.bench.run import sat_overrides

    options = SolveOptions()
    with sat_overrides({"random_seed": "7"}):
        assert solvers.sat.sat_parameters(options).parameters.random_seed == 7
        assert vars(solvers.solve)["sat_parameters"](options, "explain").parameters.random_seed == 7
    assert solvers.sat.sat_parameters(options).parameters.random_seed == 0
    assert vars(solvers.solve)["sat_parameters"](options).parameters.random_seed == 0
