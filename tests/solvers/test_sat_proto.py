"""The model builder's straight-to-proto constraints (`require_count`, `at_most_one`, the arcs'
variables copied in one call) write exactly what CpModel's own calls write, in every mode."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from models import District
from models.rules import RuleInstance
from solvers.sat import SLACK_BOUND, Mode, SatBuilder

from ..conftest import build_district, teacher  # type: ignore[import-not-found]

INSTANCE = RuleInstance("subject_balance", "G1", "S1", "数学")


def district() -> District:
    """Ten movable teachers of 城关小学 and two who may not move yet (new arrivals)."""
    teachers = [teacher(f"T{i}", "S1", subject="数学" if i % 2 else "语文") for i in range(10)]
    teachers += [teacher(f"N{i}", "S1", years_at_school=1) for i in range(2)]
    return build_district(teachers=teachers)


def builders(mode: Mode) -> tuple[SatBuilder, SatBuilder]:
    """Two builders of the same component, their arcs made: one for each way of writing."""
    d = district()
    pair = SatBuilder(d, ["G1"], mode=mode), SatBuilder(d, ["G1"], mode=mode)
    for b in pair:
        b.make_arcs()
    return pair


terms = st.lists(st.integers(0, 7), max_size=6)
bounds = st.one_of(st.none(), st.integers(-4, 4))


@settings(max_examples=60, deadline=None)
@example(mode="plan", plus=[1, 2], minus=[], constant=0, lower=2, upper=1)  # bounds cross
@example(mode="explain", plus=[3, 1, 3], minus=[1, 2], constant=2, lower=0, upper=None)
@example(mode="relax", plus=[4, 0], minus=[5], constant=-1, lower=-1, upper=1)
@given(
    mode=st.sampled_from(["plan", "explain", "relax"]),
    plus=terms,
    minus=terms,
    constant=st.integers(-3, 3),
    lower=bounds,
    upper=bounds,
)
def test_require_count_writes_what_cpmodel_writes(
    mode: Mode,
    plus: list[int],
    minus: list[int],
    constant: int,
    lower: int | None,
    upper: int | None,
) -> None:
    """Repeated and cancelling arcs, crossing bounds, open bounds, a constant: the same proto,
    the same guard, the same verdict on the plan without moves."""
    fast, slow = builders(mode)
    assert len(fast.x) >= 8
    fast.require_count(INSTANCE, plus, lower, upper, minus=minus, constant=constant)
    slow.require(INSTANCE, slow.total(plus) - slow.total(minus) + constant, lower, upper)
    assert str(fast.m.proto) == str(slow.m.proto)
    assert fast.zero_breaks == slow.zero_breaks
    assert list(fast.guards) == list(slow.guards)
    assert {k: [v.index for v in vs] for k, vs in fast.slacks.items()} == {
        k: [v.index for v in vs] for k, vs in slow.slacks.items()
    }


def test_a_count_that_cannot_hold_at_zero_is_noted_when_explaining() -> None:
    """At least 2 moves: the plan without moves breaks it; at most 2 moves: it does not."""
    b, _ = builders("explain")
    b.require_count(INSTANCE, [0, 1, 2], 2)
    assert b.zero_breaks == {INSTANCE}
    other = RuleInstance("max_outflow_share", "G1", "S1")
    b.require_count(other, [0, 1, 2], None, 2)
    assert b.zero_breaks == {INSTANCE}
    constraints = b.m.proto.constraints
    domain = list(constraints[len(constraints) - 1].linear.domain)  # (no negative indexes)
    assert domain == [-SLACK_BOUND * 100, 2]


def test_at_most_one_writes_what_cpmodel_writes() -> None:
    fast, slow = builders("plan")
    fast.at_most_one([3, 1, 2])
    slow.m.add_at_most_one(slow.x[i] for i in [3, 1, 2])
    assert str(fast.m.proto) == str(slow.m.proto)


def test_variables_follow_earlier_ones_in_a_shared_model() -> None:
    """A horizon model holds several years' builders in one CpModel: the second builder's arcs
    are the proto's variables after the first's, and its constraints name those."""
    d = district()
    first = SatBuilder(d, ["G1"], mode="plan")
    first.make_arcs()
    second = SatBuilder(d, ["G1"], mode="plan", sat_model=first.m)
    second.make_arcs()
    assert [v.index for v in second.x] == list(range(len(first.x), len(first.x) + len(second.x)))
    second.require_count(INSTANCE, [0, 1], 1)
    constraints = first.m.proto.constraints
    last = constraints[len(constraints) - 1]
    assert list(last.linear.vars) == [second.x[0].index, second.x[1].index]
    assert all(list(first.m.proto.variables[v.index].domain) == [0, 1] for v in second.x)
