"""The pre-checks `validate` runs (models.rules.precheck) never cry wolf: whenever one says a
rule cannot be met, the solver agrees the district is infeasible. And each catches its case."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Demand, District, Pin, PolicySet
from models.plan import SolveOptions
from models.rules import RULES, precheck
from solvers.solve import solve

from ..conftest import (  # type: ignore[import-not-found]
    build_district,
    entrusted_district,
    junior_district,
    teacher,
)
from .test_solve import districts  # type: ignore[import-not-found]


@st.composite
def hard_districts(draw: st.DrawFn) -> District:
    """Random districts under demanding parameters, where pre-checks have something to find."""
    d = draw(districts())
    policy = d.policy.district.model_copy(
        update={
            "min_rotation_ratio": Decimal(draw(st.sampled_from(["0.1", "0.3", "0.5", "0.8"]))),
            "backbone_share": Decimal(draw(st.sampled_from(["0", "0.2", "0.5"]))),
            "lead_outflow_ratio": draw(st.sampled_from([None, Decimal("0.3")])),
            "max_outflow_share": draw(st.sampled_from([None, Decimal("0.2")])),
        }
    )
    return d.replace(policy=PolicySet(district=policy))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hard_districts())
def test_a_foreseen_failure_is_a_real_one(district: District) -> None:
    found = precheck(district)
    if found:
        result = solve(district, SolveOptions(workers=1, explain=False))
        assert result.status == "infeasible", found


def test_ratio_beyond_those_who_can_move() -> None:
    d = build_district(
        teachers=[teacher("T1", "S1"), teacher("T2", "S1", years_at_school=1)],
        policy={"min_rotation_ratio": "100%", "ratio_base": "full_time", "backbone_share": 0},
    )
    assert any(m.startswith("最低交流比例（min_rotation_ratio）") for m in precheck(d))


def test_backbone_beyond_those_who_can_move() -> None:
    d = build_district(policy={"backbone_share": "50%", "min_rotation_ratio": "40%"})
    assert [m for m in precheck(d) if "backbone_share" in m]


LENIENT = {"backbone_share": 0, "subject_balance_tolerance": 10}


def test_lead_outflow_beyond_the_lead() -> None:
    d = build_district(
        teachers=[teacher("T1", "S1"), teacher("T2", "S1", deferral="病休")],
        policy={"lead_outflow_ratio": "100%", **LENIENT},
    )
    assert precheck(d) == []  # the deferred teacher is not in the base either
    three = [teacher(f"T{i}", "S1") for i in range(3)]
    d = build_district(
        teachers=three, policy={"lead_outflow_ratio": "100%", "max_outflow_share": "40%", **LENIENT}
    )
    found = [m for m in precheck(d) if "lead_outflow_ratio" in m]
    assert found and "单校流出上限仅1人" in found[0]


def test_weak_team_and_exam_demand() -> None:
    small = build_district(
        teachers=[teacher("T1", "S1")], demand=[Demand(school_id="S2", subject="数学")]
    )
    assert [m for m in precheck(small) if "weak_group_inflow" in m]
    junior = junior_district(
        teachers=[teacher(f"T{i}", "S1", subject="数学") for i in range(4)],
        demand=[Demand(school_id="S2", subject="语文")],
    )
    assert [m for m in precheck(junior) if "exam_subject_focus" in m and "语文" in m]


def test_entrusted_team_and_managers() -> None:
    d = entrusted_district([teacher("T1", "S1"), teacher("T2", "S1")])
    found = [m for m in precheck(d) if "entrusted_residents" in m]
    assert len(found) == 2  # 3 residents from 2 teachers; 1 manager from none


def test_max_outflow_caps_the_minimum() -> None:
    d = build_district(policy={"max_outflow_share": "20%", "min_rotation_ratio": "60%"})
    assert [m for m in precheck(d) if "max_outflow_share" in m]


def test_impossible_pin() -> None:
    d = build_district(
        teachers=[teacher("T1", "S1", years_at_school=2), teacher("T2", "S1")],
        pins=[Pin(teacher_id="T1", kind="必须交流至", school_id="S2")],
    )
    found = [m for m in precheck(d) if m.startswith("人事锁定（pins）")]
    assert found and "不符合交流条件" in found[0]


def test_balance_at_the_lead_caps_the_group() -> None:
    """Only the lead's 2 teachers can be matched: with tolerance 0 at most 4 moves."""
    teachers = [teacher("L1", "S1"), teacher("L2", "S1")] + [
        teacher(f"M{i}", "S2") for i in range(8)
    ]
    d = build_district(teachers=teachers, policy={"min_rotation_ratio": "60%", "backbone_share": 0})
    found = [m for m in precheck(d) if "subject_balance" in m]
    assert found and "至多交流4人" in found[0]
    assert solve(d, SolveOptions(workers=1, explain=False)).status == "infeasible"


def test_returns_that_cannot_be_balanced() -> None:
    from models import OngoingRotation

    teachers = [teacher("R1", "S1", years_at_school=0), teacher("T2", "S2", subject="语文")]
    ongoing = [
        OngoingRotation(
            teacher_id="R1", from_school_id="S1", to_school_id="S2", start_year=2022, end_year=2024
        )
    ]
    d = build_district(teachers=teachers, ongoing=ongoing, policy={"min_rotation_ratio": 0})
    found = [m for m in precheck(d) if "subject_balance" in m and "无法平衡" in m]
    assert found


def test_every_rule_has_a_precheck_hook() -> None:
    assert all(callable(r.precheck) for r in RULES.values())
    assert precheck(build_district(policy=LENIENT)) == []
    # the default tiny district: only S1 has teachers, so no subject can be balanced
    found = precheck(build_district())
    assert found and solve(build_district(), SolveOptions(workers=1)).status == "infeasible"
