"""The hard rules of SPEC §4: one module per rule id, each with its id, Chinese name, plain
sentence, parameters, solver-free checker, explanation of an instance and relax priority.

The checkers are the auditor's view of a plan. The solver is never trusted on its own: every
test that solves runs them on the result, and `rotation check` runs them on a plan edited by
hand. The CP-SAT side of each rule lives in `solvers.rules`, under the same module name.
"""

from models.rules.base import Rule, RuleInstance
from models.rules.facts import PlanFacts
from models.rules.registry import RULES, check_plan, describe, label, precheck, violations

__all__ = [
    "RULES",
    "PlanFacts",
    "Rule",
    "RuleInstance",
    "check_plan",
    "describe",
    "label",
    "precheck",
    "violations",
]
