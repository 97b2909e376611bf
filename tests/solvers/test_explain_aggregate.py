"""The explain model's aggregated ineligible teachers: alike ineligible teachers of one school
share one count variable per host, and every query the conflict finder asks has the same answer
as with one 0-1 variable per teacher and host."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Demand, District, Pin
from models.plan import SolveOptions
from models.rules import RuleInstance
from solvers.explain import ConflictFinder
from solvers.sat import Mode, SatBuilder

from ..conftest import build_district, teacher  # type: ignore[import-not-found]
from .test_precheck import hard_districts  # type: ignore[import-not-found]

LENIENT = {"backbone_share": 0, "subject_balance_tolerance": 10}


def finders(d: District) -> tuple[ConflictFinder, ConflictFinder]:
    """The conflict finder of the whole district with one variable per teacher, and aggregated."""
    groups = [g.group_id for g in d.groups]
    plain = ConflictFinder(d, groups, SolveOptions(), aggregate=False)
    return plain, ConflictFinder(d, groups, SolveOptions())


def counts(finder: ConflictFinder) -> dict[str, list[tuple[int, int]]]:
    """Per teacher whose arcs count several, the domains of those arcs' variables."""
    built, proto = finder.built, finder.built.sat_model.proto
    result: dict[str, list[tuple[int, int]]] = {}
    for arc, x in zip(built.arcs, built.x, strict=True):
        low, high = proto.variables[x.index].domain
        if high > 1:
            result.setdefault(arc.teacher.teacher_id, []).append((low, high))
    return result


def assert_same_answers(d: District) -> None:
    """Both finders name the same instances, agree on the whole set and on every set that leaves
    one instance out, shrink the per-teacher core to the same minimal set, and the aggregated
    finder's own minimal set is minimal for the per-teacher model too."""
    plain, aggregated = finders(d)
    keys = plain.instances
    assert aggregated.instances == keys
    for trial in [keys] + [keys[:i] + keys[i + 1 :] for i in range(len(keys))]:
        assert plain.feasible(trial) == aggregated.feasible(trial), trial
    core = plain._core()
    assert (core is None) == (aggregated._core() is None)
    if core is None:
        return
    assert aggregated.shrink(core) == plain.shrink(core)
    found = aggregated.minimal()
    assert not plain.feasible(found)
    for k in found:
        assert plain.feasible([x for x in found if x != k])


def test_alike_ineligible_teachers_share_one_count_per_host() -> None:
    """Ten new 数学 teachers of 城关小学 are one class (two hosts: one count each, 0..10); the
    two new 语文 teachers another; the weak team against eligibility is found as before."""
    teachers = [teacher("L1", "S1"), teacher("L2", "S1", subject="语文")]
    teachers += [teacher(f"Y{i}", "S1", years_at_school=2) for i in range(10)]
    teachers += [teacher(f"C{i}", "S1", years_at_school=2, subject="语文") for i in range(2)]
    teachers += [teacher(f"W{i}", "S2") for i in range(5)]
    d = build_district(
        teachers=teachers, demand=[Demand(school_id="S2", subject="数学")], policy=LENIENT
    )
    plain, aggregated = finders(d)
    assert counts(aggregated) == {"Y0": [(0, 10), (0, 10)], "C0": [(0, 2), (0, 2)]}
    assert not counts(plain)
    assert len(aggregated.built.x) == len(plain.built.x) - 2 * (9 + 1)
    found = aggregated.minimal()
    assert found == plain.minimal()
    assert {k.rule for k in found} == {"weak_group_inflow", "eligibility"}
    assert_same_answers(d)


def test_a_class_moves_at_most_its_size_over_all_hosts() -> None:
    """Three alike new teachers of 城关小学 may go to two hosts, yet only three can move: with
    every full-time teacher to rotate and a junior teacher who has nowhere to go, the ratio
    fails alone even without eligibility (4 of 5 at most); at 80 % it needs eligibility off."""
    teachers = [teacher("T1", "S1")]
    teachers += [teacher(f"Y{i}", "S1", years_at_school=1) for i in range(3)]
    teachers += [teacher("Z", "S3", teaching_stage="初中")]
    for ratio, rules in (
        ("100%", {"min_rotation_ratio"}),
        ("80%", {"min_rotation_ratio", "eligibility"}),
    ):
        policy = {**LENIENT, "min_rotation_ratio": ratio, "ratio_base": "full_time"}
        d = build_district(teachers=teachers, policy=policy)
        _, aggregated = finders(d)
        assert counts(aggregated) == {"Y0": [(0, 3), (0, 3)]}
        assert {k.rule for k in aggregated.minimal()} == rules
        assert_same_answers(d)


def test_a_weak_school_may_receive_a_whole_class() -> None:
    """A weak school without demand takes 0 or at least 3: its upper side counts the class's
    teachers, not its one arc, so three alike new teachers may all go there once eligibility
    is off (the ratio asks every full-time teacher to rotate)."""
    schools = [s for s in build_district().schools if s.school_id != "S3"]
    teachers = [teacher(f"Y{i}", "S1", years_at_school=1) for i in range(3)]
    teachers.append(teacher("W0", "S2"))
    policy = {**LENIENT, "min_rotation_ratio": "100%", "ratio_base": "full_time"}
    d = build_district(teachers=teachers, schools=schools, policy=policy)
    _, aggregated = finders(d)
    assert counts(aggregated) == {"Y0": [(0, 3)]}
    assert {k.rule for k in aggregated.minimal()} == {"min_rotation_ratio", "eligibility"}
    assert_same_answers(d)


def test_a_pinned_ineligible_teacher_keeps_their_own_moves() -> None:
    """A pin names one teacher, so a pinned teacher is never counted with alike others."""
    teachers = [teacher(f"L{i}", "S1") for i in range(20)]
    teachers += [teacher(f"NEW{i}", "S1", years_at_school=1) for i in range(3)]
    pins = [Pin(teacher_id="NEW0", kind="必须交流至", school_id="S3", reason="校长提名")]
    d = build_district(teachers=teachers, pins=pins, policy=LENIENT)
    _, aggregated = finders(d)
    assert counts(aggregated) == {"NEW1": [(0, 2), (0, 2)]}
    assert {a.teacher.teacher_id for a in aggregated.built.arcs} >= {"NEW0", "NEW1"}
    assert {k.rule for k in aggregated.minimal()} == {"pins", "eligibility"}
    assert_same_answers(d)


def test_the_plan_and_relax_models_never_aggregate() -> None:
    """Only the explain model counts classes: a plan reads each teacher's move back."""
    teachers = [teacher(f"Y{i}", "S1", years_at_school=1) for i in range(3)]
    d = build_district(teachers=[*teachers, teacher("T1", "S1")], policy=LENIENT)
    modes: list[Mode] = ["plan", "relax"]
    for mode in modes:
        builder = SatBuilder(d, ["G1"], mode=mode)
        builder.build()
        assert not builder.stands_for and not builder.aggregate


@st.composite
def alike_districts(draw: st.DrawFn) -> District:
    """Hard random districts, often with their new teachers made alike so that classes form."""
    d = draw(hard_districts())
    if not draw(st.booleans()):
        return d
    subject = draw(st.sampled_from(["语文", "数学"]))
    teachers = [
        t.model_copy(update={"subject": subject, "management": False, "backbone": None})
        if t.years_at_school < d.policy.district.min_years_at_school
        else t
        for t in d.teachers
    ]
    return d.replace(teachers=teachers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alike_districts())
def test_aggregation_changes_no_answer(district: District) -> None:
    assert_same_answers(district)


def test_instances_are_keyed_alike_in_both_models() -> None:
    """Guards are made in the same order (the drop order breaks ties by it)."""
    teachers = [teacher(f"L{i}", "S1") for i in range(4)]
    teachers += [teacher(f"Y{i}", "S2", years_at_school=1) for i in range(4)]
    plain, aggregated = finders(build_district(teachers=teachers))
    assert plain.instances == aggregated.instances
    assert RuleInstance("eligibility", "G1") in plain.instances
