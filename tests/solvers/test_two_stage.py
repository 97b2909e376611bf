"""The plan's two-stage solve (solvers.sat.solve_to_optimality): the tree search that takes
over a model the default search has not closed proves the same optimum, from the hint."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from models.district import District
from models.plan import SolveOptions
from rotation.samples.generate import generate_district
from solvers import sat
from solvers.components import components
from solvers.sat import SatBuilder, chosen_rotations, sat_parameters, solve_to_optimality

OPTIONS = SolveOptions(workers=1, explain=False)


def _one_stage(
    district: District, group_ids: list[str]
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    built = SatBuilder(district, group_ids).build()
    solver = sat_parameters(OPTIONS)
    return solver, solver.solve(built.sat_model)


@pytest.mark.parametrize(
    ("teachers", "seed", "structure"), [(1500, 2, "minhang"), (600, 1, "ganzhou")]
)
@pytest.mark.parametrize("budget", [0.0, 0.002])
def test_the_tree_search_proves_the_same_optimum(
    monkeypatch: pytest.MonkeyPatch, teachers: int, seed: int, structure: str, budget: float
) -> None:
    """With no budget (or a tiny one) every model goes to the second stage, with or without a
    plan to hint: each still ends proven optimal at the one-stage optimum, deterministically."""
    monkeypatch.setattr(sat, "QUICK_PROOF_DTIME", budget)
    d = generate_district(teachers=teachers, seed=seed, structure=structure)
    for group_ids in components(d):
        reference, reference_code = _one_stage(d, group_ids)
        runs = []
        for _ in range(2):
            built = SatBuilder(d, group_ids).build()
            solver, code = solve_to_optimality(built.sat_model, built.x, OPTIONS)
            assert code == reference_code
            if code == cp_model.OPTIMAL:
                assert solver.objective_value == solver.best_objective_bound
                assert solver.objective_value == reference.objective_value
                runs.append(chosen_rotations(d, built.arcs, built.x, solver))
            assert not built.sat_model.proto.solution_hint.vars
        assert not runs or runs[0] == runs[1]


def test_the_first_stage_answers_the_easy_models() -> None:
    """A model the default search closes within its budget is not solved twice."""
    d = generate_district(teachers=300, seed=1)
    group_ids = components(d)[0]
    built = SatBuilder(d, group_ids).build()
    solver, code = solve_to_optimality(built.sat_model, built.x, OPTIONS)
    assert code == cp_model.OPTIMAL
    assert solver.parameters.max_deterministic_time == sat.QUICK_PROOF_DTIME
    assert not solver.parameters.optimize_with_lb_tree_search
