"""The benchmark's MIP peer: the CP-SAT model translated for HiGHS has the same optimum."""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from models.plan import SolveOptions
from rotation.samples.generate import generate_district
from solvers.highs import (
    UnsupportedModel,
    monolithic,
    per_component,
    solve_groups_mip,
    solve_mip,
    to_mip,
)
from solvers.sat import SatBuilder, sat_parameters
from solvers.solve import components, solve, solve_component


@pytest.mark.parametrize(
    ("teachers", "seed", "structure"),
    [(900, 1, "minhang"), (1500, 2, "minhang"), (400, 3, "ganzhou"), (600, 1, "ganzhou")],
)
def test_highs_matches_cp_sat_per_component_and_monolithic(
    teachers: int, seed: int, structure: str
) -> None:
    d = generate_district(teachers=teachers, seed=seed, structure=structure)
    options = SolveOptions(workers=1, explain=False)
    total, statuses = 0, set()
    for i, group_ids in enumerate(components(d)):
        ours = solve_component(d, i, group_ids, options)
        peer = solve_groups_mip(d, group_ids)
        assert ours.status == peer.status in ("optimal", "infeasible")
        assert peer.objective == peer.best_bound == ours.objective
        total += peer.objective or 0
        statuses.add(peer.status)
    whole = monolithic(d)
    result = solve(d, options)
    assert (
        whole.status == result.status == ("infeasible" if "infeasible" in statuses else "optimal")
    )
    if whole.status == "optimal":
        assert whole.objective == total == result.objective


def test_the_peer_pool_sums_the_components() -> None:
    d = generate_district(teachers=1200, seed=4)
    run = per_component(d, workers=2)
    assert run.status == "optimal" and len(run.outcomes) == len(components(d))
    assert [o.index for o in run.outcomes] == list(range(len(run.outcomes)))
    assert run.objective == run.best_bound == solve(d, SolveOptions(workers=1)).objective
    assert run.total("solve_seconds") > 0 and run.total("translate_seconds") > 0


def _random_model(rng: random.Random) -> cp_model.CpModel:
    """Booleans and small integers; enforced linears, negated literals, every Boolean form."""
    m = cp_model.CpModel()
    b = [m.new_bool_var(f"b{i}") for i in range(8)]
    y = [m.new_int_var(-3, 5, f"y{i}") for i in range(3)]
    for _ in range(4):
        terms = rng.sample(b + y, 4)
        expr = sum(rng.randint(-3, 3) * v for v in terms)
        low = rng.randint(-6, 1)
        ct = m.add_linear_constraint(expr, low, low + rng.randint(0, 8))
        if rng.random() < 0.6:
            lits = rng.sample(b, rng.randint(1, 2))
            ct.only_enforce_if([lit if rng.random() < 0.5 else ~lit for lit in lits])
    m.add_at_most_one([b[0], ~b[1], b[2]])
    m.add_bool_or([b[3], ~b[4]])
    m.add_exactly_one([b[5], b[6], ~b[7]])
    m.add_bool_and([b[2], ~b[6]]).only_enforce_if(b[4])
    m.maximize(sum(rng.randint(-5, 9) * v for v in b + y) + 7)
    return m


@pytest.mark.parametrize("seed", range(12))
def test_translation_keeps_the_optimum_of_random_models(seed: int) -> None:
    model = _random_model(random.Random(seed))
    solver = sat_parameters(SolveOptions())
    code = solver.solve(model)
    peer = solve_mip(to_mip(model))
    if code == cp_model.INFEASIBLE:
        assert peer.status == "infeasible"
    else:
        assert code == cp_model.OPTIMAL and peer.status == "optimal"
        assert peer.objective == round(solver.objective_value) == peer.best_bound


def test_explain_mode_guards_translate_as_big_m() -> None:
    """Every rule instance under its guard literal: with all guards on, as feasible as CP-SAT."""
    d = generate_district(teachers=500, seed=2)
    group_ids = components(d)[0]
    built = SatBuilder(d, group_ids, mode="explain").build()
    for guard in built.guards:
        built.sat_model.add(guard.literal == 1)
    solver = sat_parameters(SolveOptions())
    feasible = solver.solve(built.sat_model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert solve_mip(to_mip(built.sat_model)).status == ("optimal" if feasible else "infeasible")


def test_constraints_without_a_linear_form_are_refused() -> None:
    m = cp_model.CpModel()
    x = m.new_int_var_from_domain(cp_model.Domain.from_values([0, 2, 4]), "x")
    m.maximize(x)
    with pytest.raises(UnsupportedModel, match="holes"):
        to_mip(m)
    m = cp_model.CpModel()
    a, b = m.new_int_var(0, 3, "a"), m.new_int_var(0, 3, "b")
    m.add_multiplication_equality(a, [b, b])
    with pytest.raises(UnsupportedModel, match="no linear translation"):
        to_mip(m)
