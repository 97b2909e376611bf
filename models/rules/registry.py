"""Every hard rule of SPEC §4, by id, in SPEC order: the one list the rest of the product reads."""

from __future__ import annotations

from models.district import District
from models.plan import Plan, RuleCheck
from models.rules import (
    backbone_share,
    eligibility,
    entrusted_residents,
    exam_subject_focus,
    flow_direction,
    lead_outflow_ratio,
    max_outflow_share,
    min_rotation_ratio,
    min_tenure,
    pins,
    subject_balance,
    weak_group_inflow,
    within_group,
)
from models.rules.base import Rule, RuleInstance
from models.rules.facts import PlanFacts
from models.rules.itinerant import ITINERANT_RULES, check_itinerant_rules

RULES: dict[str, Rule] = {
    module.RULE.id: module.RULE
    for module in (
        eligibility,
        within_group,
        flow_direction,
        min_rotation_ratio,
        backbone_share,
        lead_outflow_ratio,
        weak_group_inflow,
        exam_subject_focus,
        min_tenure,
        subject_balance,
        entrusted_residents,
        max_outflow_share,
        pins,
    )
}


#: SPEC §4's rules and the 走教 family (models.rules.itinerant), for naming a rule id.
ALL_RULES: dict[str, Rule] = {**RULES, **ITINERANT_RULES}


def rule_name(rule: str) -> str:
    """The Chinese name of a rule id (the id itself for one this program does not know)."""
    return ALL_RULES[rule].name if rule in ALL_RULES else rule


def label(d: District, inst: RuleInstance) -> str:
    """The scope of an instance as people read it (the one place labels are made)."""
    return RULES[inst.rule].label(d, inst)


def describe(d: District, inst: RuleInstance) -> str:
    """The instance as an HR clerk would state it, with the numbers behind it."""
    return RULES[inst.rule].describe(d, inst)


def precheck(d: District) -> list[str]:
    """Where rules cannot be met whatever the plan, foreseen by counting, each message led by
    the rule's name and id; empty when no cheap check finds a problem (the solver still may)."""
    return [
        f"{rule.name}（{rule.id}）：{message}"
        for rule in RULES.values()
        for message in rule.precheck(d)
    ]


def check_plan(district: District, plan: Plan, facts: PlanFacts | None = None) -> list[RuleCheck]:
    """Every rule instance of the plan, in SPEC §4 order, then the 走教 rules'."""
    facts = facts or PlanFacts.of(district, plan)
    return [c for rule in RULES.values() for c in rule.check(facts)] + check_itinerant_rules(facts)


def violations(district: District, plan: Plan) -> list[RuleCheck]:
    """Only the failing rule instances."""
    return [c for c in check_plan(district, plan) if not c.ok]
