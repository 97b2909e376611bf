"""Which rules collide: a minimal set of conflicting rule instances, in policy words.

CP-SAT's assumptions core is sufficient but not necessarily minimal, so it is shrunk by a
deletion filter: drop one instance at a time and keep it dropped while the rest still cannot
all hold. What remains is minimal: switching off any one member makes the others satisfiable.

The first core is found with the rules that only shape the candidate moves (eligibility and
flow_direction, `blame_last`) held on rather than assumed: their forbidden moves are then fixed
at zero before the search, and the solve is ~5× faster at city scale (BENCHMARKS.md, issue 18).
Those rules join the core as members like any other, so the filter still tests each of them.
A trial of the filter needs no solve when the plan without any move satisfies every instance
it keeps (SatPlanModel.zero_breaks): dropping a ratio often leaves only such instances.

The model counts alike ineligible teachers per host (`SatBuilder`, aggregate): every feasibility
answer, hence the filter's result for a given core, is the same as with one variable per
teacher, but the first core is CP-SAT's choice among many and follows the model's form, so a
group with several minimal conflicts may be explained by another one of them (BENCHMARKS.md,
issue 18, "Explain at city scale, third pass").
"""

from __future__ import annotations

from collections.abc import Iterable

from ortools.sat.python import cp_model

from models.district import District
from models.plan import Conflict, SolveOptions
from models.rules import RULES, RuleInstance, describe, label
from models.rules.subject_balance import describe_many
from solvers.sat import Guard, SatBuilder, SatModel, SatPlanModel, sat_parameters


class ConflictFinder:
    """The explain-mode model of one component, solved under chosen sets of rule instances."""

    def __init__(
        self,
        district: District,
        group_ids: list[str],
        options: SolveOptions,
        *,
        aggregate: bool = True,
    ) -> None:
        self.district = district
        self.options = options
        self.built: SatPlanModel = SatBuilder(
            district, group_ids, mode="explain", aggregate=aggregate
        ).build()
        self.by_key: dict[RuleInstance, Guard] = {g.instance: g for g in self.built.guards}
        self.position = {inst: n for n, inst in enumerate(self.by_key)}
        #: The model with every guard fixed off: each query copies it and switches on only
        #: its own few instances (a trial keeps ~4 of ~80), not every guard anew.
        self.off = SatModel()
        self.off.proto.copy_from(self.built.sat_model.proto)
        self.off.clear_assumptions()
        for guard in self.built.guards:
            domain = self.off.proto.variables[guard.literal.index].domain
            domain[0] = domain[1] = 0

    @property
    def instances(self) -> list[RuleInstance]:
        """Every rule instance of the component."""
        return [g.instance for g in self.built.guards]

    def _copy(self, on: set[RuleInstance], assumed: Iterable[RuleInstance] = ()) -> SatModel:
        """The model with each guard fixed by its domain (on for `on`, off for the rest) except
        those of `assumed`, which are left free and assumed true."""
        free = set(assumed)
        model = SatModel()  # a clone without the pre-PEP 8 aliases CpModel.clone() attaches
        model.proto.copy_from(self.off.proto)
        model.rebuild_constant_map()
        variables = model.proto.variables
        for key in on | free:
            guard = self.by_key.get(key)
            if guard is None:
                continue
            domain = variables[guard.literal.index].domain
            if key in free:
                domain[0], domain[1] = 0, 1
            else:
                domain[0] = domain[1] = 1
        model.proto.assumptions.extend(g.literal.index for k, g in self.by_key.items() if k in free)
        return model

    def _core(self) -> set[RuleInstance] | None:
        """A set of instances that cannot all hold (None when every instance can): an
        assumptions core over the policy rules, the `blame_last` rules held on alongside."""
        held = {k for k in self.by_key if RULES[k.rule].blame_last}
        assumed = [k for k in self.by_key if k not in held]
        model = self._copy(held, assumed)
        solver = sat_parameters(self.options, "explain")  # the full LP proves these quickly
        if solver.solve(model) != cp_model.INFEASIBLE:
            return None
        core = set(solver.sufficient_assumptions_for_infeasibility())
        return held | {k for k in assumed if self.by_key[k].literal.index in core}

    def feasible(self, keys: Iterable[RuleInstance]) -> bool:
        """Whether these rule instances can all hold together (the rest switched off).

        The guards are fixed by their domains rather than assumed: measured far faster on the
        hard counting cases near the limit (BENCHMARKS.md, issue 4)."""
        model = self._copy(set(keys))
        return sat_parameters(self.options, "explain").solve(model) != cp_model.INFEASIBLE

    def zero_holds(self, keys: Iterable[RuleInstance]) -> bool:
        """Whether the plan without any move already shows these instances can all hold
        (none of them is among those it breaks), no solve needed."""
        return self.built.zero_breaks.isdisjoint(keys)

    def _drop_order(self, key: RuleInstance) -> tuple[int, int]:
        """Members tried for removal first; where several minimal sets exist this prefers one
        stated in policy rules over one blaming who is eligible or the allowed directions
        (the rules marked `blame_last`)."""
        return (0 if RULES[key.rule].blame_last else 1), self.position[key]

    def minimal(self) -> list[RuleInstance]:
        """A minimal conflicting set of rule instances (empty when everything can hold)."""
        core = self._core()
        if core is None:
            return []
        return self.shrink(core)

    def shrink(self, core: set[RuleInstance]) -> list[RuleInstance]:
        """The deletion filter: a minimal conflicting subset of `core`, which cannot all hold.
        Its answer depends only on which sets are feasible, not on how the model states them."""
        current = sorted((k for k in self.by_key if k in core), key=self._drop_order)
        i = 0
        while i < len(current):
            trial = current[:i] + current[i + 1 :]
            if self.zero_holds(trial) or self.feasible(trial):
                i += 1
            else:
                current = trial
        return [self.by_key[k].instance for k in current]


def explain_component(
    district: District, group_ids: list[str], options: SolveOptions
) -> list[Conflict]:
    """The minimal set of colliding rule instances of an infeasible component, as Conflicts."""
    instances = ConflictFinder(district, group_ids, options).minimal()
    if not instances:
        names = "、".join(district.group(g).name for g in group_ids)
        return [
            Conflict(
                rule="eligibility",
                scope=names,
                message=f"{names}：规则无法同时满足",
                group=names,
                group_id=group_ids[0],
            )
        ]
    # subject_balance instances of one school become one conflict, where the first one stood.
    subjects: dict[str, list[str]] = {}
    for i in instances:
        if i.rule == "subject_balance" and i.school_id is not None and i.subject is not None:
            subjects.setdefault(i.school_id, []).append(i.subject)
    conflicts = []
    merged: set[str] = set()
    for i in instances:
        school_id = i.school_id or ""
        if i.rule == "subject_balance" and len(subjects.get(school_id, ())) > 1:
            if school_id in merged:
                continue
            merged.add(school_id)
            i = RuleInstance(i.rule, i.group_id, i.school_id)  # the school, all its subjects
            message = describe_many(district, school_id, subjects[school_id])
        else:
            message = describe(district, i)
        conflicts.append(
            Conflict(
                rule=i.rule,
                scope=label(district, i),
                message=f"{RULES[i.rule].name}（{i.rule}）：{message}",
                group=district.group(i.group_id).name if i.group_id is not None else "",
                **i.ids(district),
            )
        )
    return conflicts
