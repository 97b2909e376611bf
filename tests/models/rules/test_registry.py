"""Every rule id of SPEC §4 has all its parts: the domain module and the solver module."""

from __future__ import annotations

import importlib

import pytest

from models.policy import Policy
from models.rules import RULES, RuleInstance, label
from solvers.rules import BUILDERS, MODULES

from ...conftest import build_district, teacher  # type: ignore[import-not-found]

#: SPEC §4's rule ids, in its order: the registry must hold exactly these.
SPEC_RULES = [
    "eligibility",
    "within_group",
    "flow_direction",
    "min_rotation_ratio",
    "backbone_share",
    "lead_outflow_ratio",
    "weak_group_inflow",
    "exam_subject_focus",
    "min_tenure",
    "subject_balance",
    "entrusted_residents",
    "max_outflow_share",
    "pins",
]


def test_registries_hold_every_spec_rule_in_order() -> None:
    assert list(RULES) == SPEC_RULES
    assert list(BUILDERS) == SPEC_RULES


@pytest.mark.parametrize("rule_id", SPEC_RULES)
def test_each_rule_has_every_part(rule_id: str) -> None:
    domain = importlib.import_module(f"models.rules.{rule_id}")
    solver = importlib.import_module(f"solvers.rules.{rule_id}")
    rule = domain.RULE
    assert rule is RULES[rule_id] and rule.id == rule_id
    assert rule.name and rule.sentence and rule.sentence[-1] not in "。."
    assert callable(rule.check) and callable(rule.describe) and callable(rule.label)
    assert rule.check.__doc__ and rule.describe.__doc__
    assert callable(solver.build) and solver.build.__doc__
    assert MODULES[rule_id] is solver
    fields = Policy.model_fields
    for parameter in rule.parameters:
        assert parameter in fields, f"{rule_id} reads unknown parameter {parameter}"


def test_relax_priorities_are_distinct_and_only_for_counting_rules() -> None:
    priorities = {r.id: r.relax_priority for r in RULES.values()}
    never = {k for k, v in priorities.items() if v is None}
    assert never == {"eligibility", "within_group", "flow_direction", "min_tenure"}
    given = [v for v in priorities.values() if v is not None]
    assert len(given) == len(set(given))
    # HR's own decisions relax last, subject balance first (SPEC §4 and the guide).
    assert max(given) == priorities["pins"] and min(given) == priorities["subject_balance"]


def test_every_instance_checked_has_a_label_and_ids() -> None:
    d = build_district()
    for rule in RULES.values():
        inst = RuleInstance(rule.id, "G1")
        if rule.id in ("min_tenure", "eligibility"):
            assert label(d, RuleInstance(rule.id))  # the district-wide instance
        if rule.id not in ("entrusted_residents", "pins"):
            assert label(d, inst).startswith("城关教育集团")
    ids = RuleInstance("subject_balance", "G1", "S1", "数学").ids(d)
    assert ids == {
        "group_id": "G1",
        "school_id": "S1",
        "subject": "数学",
        "teacher_id": None,
        "supporting_school_id": None,
        "aided_school_id": None,
    }


def test_instances_are_keyed_by_ids_not_names() -> None:
    """Two schools of one name are two instances; the label is the only place names appear."""
    a = RuleInstance("weak_group_inflow", "G1", "S1")
    b = RuleInstance("weak_group_inflow", "G1", "S2")
    assert a != b and len({a, b}) == 2
    d = build_district(teachers=[teacher("T1", "S1")])
    assert label(d, a) == "城关教育集团/城关小学"


def test_compliance_rows_carry_ids_and_numbers() -> None:
    from models.plan import NewRotation, Plan
    from models.rules import check_plan

    d = build_district(policy={"min_rotation_ratio": "50%", "backbone_share": 0})
    plan = Plan(
        plan_year=2025,
        rotations=(
            NewRotation(
                teacher_id="T1",
                from_school_id="S1",
                to_school_id="S3",
                start_year=2025,
                end_year=2027,
            ),
        ),
    )
    rows = {(c.rule, c.school_id, c.subject): c for c in check_plan(d, plan)}
    ratio = rows["min_rotation_ratio", None, None]
    assert (ratio.group_id, ratio.minimum, ratio.count, ratio.ok) == ("G1", 3, 1, False)
    balance = rows["subject_balance", "S3", "数学"]
    assert (balance.minimum, balance.maximum, balance.count, balance.ok) == (0, 0, 1, False)
    assert balance.scope == "城关教育集团/九年制学校/数学"
