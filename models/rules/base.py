"""What every hard rule is made of, and the typed key of one rule instance.

A rule (SPEC §4) has a stable id, a Chinese name, a plain sentence, the policy parameters it
reads, a solver-free checker, a way to state one of its instances with the numbers behind it
(explanations), and a relax priority. Each rule id has one module in this package holding all
of that, and one module in `solvers.rules` holding its CP-SAT constraints.

An instance of a rule is keyed by ids, never by display names: two schools named 中心小学 in
one group are two instances everywhere (guards, slacks, JSON). `label` renders the scope for
people, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.district import District
from models.plan import RuleCheck

if TYPE_CHECKING:
    from models.rules.facts import PlanFacts


@dataclass(frozen=True, slots=True)
class RuleInstance:
    """One rule at one scope, by ids: what a guard literal switches on, a slack relaxes, a
    conflict names and a compliance row checks. Unused parts are None."""

    rule: str
    group_id: str | None = None
    school_id: str | None = None
    subject: str | None = None
    pair: tuple[str, str] | None = None  # a 托管 pair: (supporting unit, aided school)
    pin: int | None = None  # a pin, by its position in the 锁定 table

    def ids(self, d: District) -> dict[str, Any]:
        """The scope's ids for machine-readable output (plan JSON, data frames)."""
        return {
            "group_id": self.group_id,
            "school_id": self.school_id,
            "subject": self.subject,
            "teacher_id": d.pins[self.pin].teacher_id if self.pin is not None else None,
            "supporting_school_id": self.pair[0] if self.pair else None,
            "aided_school_id": self.pair[1] if self.pair else None,
        }


Checker = Callable[["PlanFacts"], list[RuleCheck]]
Describer = Callable[[District, RuleInstance], str]
Labeller = Callable[[District, RuleInstance], str]
Prechecker = Callable[[District], list[str]]


def no_precheck(d: District) -> list[str]:
    """For rules that only shape which moves exist: nothing to foresee."""
    return []


def default_label(d: District, inst: RuleInstance) -> str:
    """Group/school/subject, as reports name a scope."""
    parts = []
    if inst.group_id is not None:
        parts.append(d.group(inst.group_id).name)
    if inst.school_id is not None:
        parts.append(d.school(inst.school_id).name)
    if inst.subject is not None:
        parts.append(inst.subject)
    return "/".join(parts)


@dataclass(frozen=True)
class Rule:
    """A hard rule of SPEC §4: everything about it but its CP-SAT constraints."""

    id: str
    name: str
    sentence: str
    parameters: tuple[str, ...]
    check: Checker
    describe: Describer
    #: Cost of one missing unit under --relax, as a multiple of the relax unit: higher relaxes
    #: later. None: never relaxed (the rule decides which moves exist at all).
    relax_priority: int | None
    #: Explain tries to drop these from a conflict first: where several minimal conflicts exist,
    #: one stated in policy rules reads better than one blaming who is eligible.
    blame_last: bool = False
    label: Labeller = default_label
    #: Cheap necessary conditions, checked by `validate` before anyone waits for a solve: each
    #: message names where the rule cannot be met whatever the plan (counting only, no solver).
    precheck: Prechecker = no_precheck


def checked(
    d: District,
    inst: RuleInstance,
    *,
    required: str,
    actual: str,
    ok: bool,
    details: tuple[str, ...] = (),
    minimum: int | None = None,
    maximum: int | None = None,
    count: int | None = None,
) -> RuleCheck:
    """A compliance row for one instance: its label and ids, the words and the numbers."""
    from models.rules.registry import label

    return RuleCheck(
        rule=inst.rule,
        scope=label(d, inst),
        required=required,
        actual=actual,
        ok=ok,
        details=details,
        minimum=minimum,
        maximum=maximum,
        count=count,
        **inst.ids(d),
    )


def person(name: str, teacher_id: str) -> str:
    """A teacher as reports name one: 姓名（编号）."""
    return f"{name}（{teacher_id}）"
