"""Why each teacher was or was not chosen, computed from the district and the plan (no solver).

How a rule instance is stated in a conflict lives with its rule (`models.rules`); this module
explains people:

* `selection_reasons` says why each chosen teacher moves; `seniority_pairs` lists every pair
  where a less senior teacher of the same school and subject was chosen over a more senior one,
  with the rule or goal that made the difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from models.district import District
from models.entities import Pin, Teacher
from models.experience import promotion_reason
from models.objective import TERM_BY_KEY, arc_terms, seniority_ranks
from models.plan import NewRotation, Plan, RotationKind
from models.requirements import ceil_share, move_type, ratio_scopes
from models.rules import PlanFacts, RuleInstance, label
from models.vocab import PinKind, TeachingStage

# -- why each chosen teacher moves ------------------------------------------------------------


def selection_reasons(d: District, plan: Plan, facts: PlanFacts | None = None) -> dict[str, str]:
    """For every new rotation: seniority, backbone, and which rule or demand the move serves."""
    facts = facts or PlanFacts.of(d, plan)
    inflow = facts.inflow
    demand: dict[tuple[str, str], int] = defaultdict(int)
    for row in d.demand:
        demand[row.school_id, row.subject] += row.count
    reverse = {
        (r.from_school_id, r.to_school_id, d.teacher(r.teacher_id).subject) for r in facts.known
    }
    refill = facts.returns_leaving
    pins = {p.teacher_id: p for p in d.pins if p.kind == PinKind.MUST_GO_TO}
    result: dict[str, str] = {}
    for r in facts.known:
        t = d.teacher(r.teacher_id)
        host = d.school(r.to_school_id)
        policy = d.policy.for_group(host.group_id)
        parts = [f"本校任教{t.years_at_school}年"]
        if t.is_backbone:
            parts.append(t.backbone or "骨干")
        if t.management:
            parts.append("干部")
        if r.teacher_id in pins:
            pin = pins[r.teacher_id]
            parts.append(f"人事锁定{('：' + pin.reason) if pin.reason else ''}")
        if r.kind == RotationKind.ENTRUSTED:
            parts.append(f"托管常驻{host.name}")
        served = []
        if host.weak and inflow[host.school_id] >= policy.weak_inflow_min:
            served.append("组团流入")
        if demand.get((host.school_id, t.subject)):
            served.append(f"{t.subject}需求")
        if refill[host.school_id, t.subject]:
            served.append(f"{t.subject}期满返回后的补缺")
        if served:
            parts.append(f"满足{host.name}{'、'.join(served)}")
        elif not host.weak:
            parts.append(f"交流至{host.name}")
        if (r.to_school_id, r.from_school_id, t.subject) in reverse:
            parts.append("与流入学校同学科对流（学科平衡）")
        if t.volunteer:
            parts.append("本人自愿")
        if t.school_recommended:
            parts.append("学校推荐")
        if host.school_id in t.preferred_schools:
            parts.append("意向学校")
        promotion = promotion_reason(t, d.policy.for_group(d.status(t.teacher_id).group_id))
        if promotion:
            parts.append(promotion)
        result[r.teacher_id] = "；".join(parts)
    return result


# -- who was passed over for whom --------------------------------------------------------------


@dataclass(frozen=True)
class PassedOver:
    """A more senior teacher not chosen while a less senior one of the same school and subject was."""

    chosen: str
    passed_over: str
    rule: str
    reason: str


def seniority_pairs(d: District, plan: Plan) -> list[PassedOver]:
    """Every (chosen, more senior not chosen) pair in the same school and subject, with what made
    the difference: a hard rule the swap would break, else the soft goals the chosen one wins.

    Swapping two teachers of the same school and subject changes no school's subject counts, so
    only the facts that differ between the two can matter: teaching stage, pins, backbone status
    where the backbone share is tight, managers where a 托管 pair needs them, and the soft terms.
    """
    chosen_ids = {r.teacher_id for r in plan.rotations}
    pools: dict[tuple[str, str], list[Teacher]] = defaultdict(list)
    for t in d.eligible_teachers():
        pools[t.school_id, t.subject].append(t)
    scope_of = _scope_of_school(d)
    backbone_slack = _backbone_slack(d, plan, scope_of)
    manager_slack = _manager_slack(d, plan)
    ranks = seniority_ranks(d)
    pins: dict[str, list[Pin]] = defaultdict(list)
    for p in d.pins:
        pins[p.teacher_id].append(p)
    result = []
    for r in plan.rotations:
        c = d.teacher(r.teacher_id)
        for s in pools.get((c.school_id, c.subject), []):
            if s.teacher_id in chosen_ids or s.years_at_school <= c.years_at_school:
                continue
            facts = _SwapFacts(scope_of, backbone_slack, manager_slack, ranks, pins)
            rule, reason = _swap_reason(d, r, c, s, facts)
            result.append(
                PassedOver(chosen=c.teacher_id, passed_over=s.teacher_id, rule=rule, reason=reason)
            )
    return result


def _scope_of_school(d: District) -> dict[str, RuleInstance]:
    """Each school's backbone_share instance (its group's, or its own with ratio_scope = school)."""
    scope = {}
    for unit in ratio_scopes(d):
        for s in unit.school_ids:
            scope[s] = RuleInstance("backbone_share", unit.group_id, unit.school_id)
    return scope


def _backbone_slack(
    d: District, plan: Plan, scope_of: dict[str, RuleInstance]
) -> dict[RuleInstance, int]:
    """Per ratio scope: backbone chosen minus the least the backbone share needs."""
    rotated: Counter[RuleInstance] = Counter()
    backbone: Counter[RuleInstance] = Counter()
    for r in plan.rotations:
        inst = scope_of[r.from_school_id]
        rotated[inst] += 1
        backbone[inst] += d.teacher(r.teacher_id).is_backbone
    slack = {}
    for inst in set(scope_of.values()):
        assert inst.group_id is not None
        slack[inst] = backbone[inst] - ceil_share(
            rotated[inst], d.policy.for_group(inst.group_id).backbone_share
        )
    return slack


def _manager_slack(d: District, plan: Plan) -> dict[tuple[str, str], int]:
    slack = {}
    for e in d.entrusted:
        managers = sum(
            1
            for r in plan.rotations
            if r.kind == RotationKind.ENTRUSTED
            and r.from_school_id == e.supporting_school_id
            and r.to_school_id == e.aided_school_id
            and d.teacher(r.teacher_id).management
        )
        slack[e.supporting_school_id, e.aided_school_id] = managers - e.min_managers
    return slack


@dataclass(frozen=True)
class _SwapFacts:
    """What `_swap_reason` looks up, computed once per plan."""

    scope_of: dict[str, RuleInstance]
    backbone_slack: dict[RuleInstance, int]
    manager_slack: dict[tuple[str, str], int]
    ranks: dict[str, int]
    pins: dict[str, list[Pin]]


def _swap_reason(
    d: District, r: NewRotation, c: Teacher, s: Teacher, facts: _SwapFacts
) -> tuple[str, str]:
    host = d.school(r.to_school_id)
    s_stage = d.status(s.teacher_id).teaching_stage
    if not d.hosts_stage(host.school_id, s_stage):
        return "eligibility", f"{s.name}任教{s_stage.value}，{host.name}不接收该学段"
    for p in facts.pins.get(s.teacher_id, []):
        if p.kind == PinKind.MUST_STAY or p.school_id == host.school_id:
            return "pins", f"{s.name}已锁定{p.kind.value}" + (f"（{p.reason}）" if p.reason else "")
    for p in facts.pins.get(c.teacher_id, []):
        if p.kind == PinKind.MUST_GO_TO and p.school_id == host.school_id:
            return "pins", f"{c.name}已锁定必须交流至{host.name}" + (
                f"（{p.reason}）" if p.reason else ""
            )
    scope = facts.scope_of[c.school_id]
    if c.is_backbone and not s.is_backbone and facts.backbone_slack.get(scope, 0) <= 0:
        return "backbone_share", f"{c.name}是骨干教师，{label(d, scope)}的骨干占比须达到要求"
    if (
        r.kind == RotationKind.ENTRUSTED
        and c.management
        and not s.management
        and facts.manager_slack.get((r.from_school_id, r.to_school_id), 1) <= 0
    ):
        return "entrusted_residents", f"{c.name}是干部，托管常驻须有干部"
    ranks = facts.ranks
    home = d.school(c.school_id)
    policy = d.policy.for_group(home.group_id)
    mine = arc_terms(c, home, host, ranks.get(c.teacher_id, 0), policy)
    theirs = arc_terms(s, home, host, ranks.get(s.teacher_id, 0), policy)
    wins = []
    for key in (
        "backbone_to_weak",
        "volunteer",
        "recommended",
        "preference",
        "promotion_experience",
    ):
        term = TERM_BY_KEY[key]
        if mine[key] > theirs[key] and getattr(policy, term.weight) > 0:
            wins.append(term.name)
    if wins:
        return "objective", f"{c.name}在{'、'.join(wins)}上优先（按各项目标综合比较）"
    return "objective", "两人综合得分相同（并列），按编号顺序确定"


def not_chosen_reasons(
    d: District, plan: Plan, pairs: list[PassedOver] | None = None
) -> dict[str, str]:
    """For every eligible teacher not chosen: why, in plain words."""
    chosen = {r.teacher_id for r in plan.rotations}
    pairs = seniority_pairs(d, plan) if pairs is None else pairs
    first_pair: dict[str, PassedOver] = {}
    for pair in pairs:
        first_pair.setdefault(pair.passed_over, pair)
    stays = {p.teacher_id: p for p in d.pins if p.kind == PinKind.MUST_STAY}
    rotated_in_group: Counter[str] = Counter(
        d.status(r.teacher_id).group_id for r in plan.rotations
    )
    can_host: dict[tuple[str, TeachingStage], bool] = {}
    result = {}
    schools, status = d.index.school, d.index.status  # the dicts: 10⁵ look-ups per city
    for t in d.eligible_teachers():
        if t.teacher_id in chosen:
            continue
        home = schools[t.school_id]
        stage = status[t.teacher_id].teaching_stage
        if (home.school_id, stage) not in can_host:
            policy = d.policy.for_group(home.group_id)
            can_host[home.school_id, stage] = any(
                h.school_id != home.school_id
                and d.hosts_stage(h.school_id, stage)
                and move_type(d, home, h) in policy.flow_direction
                for h in d.schools_of(home.group_id)
            )
        hosts = can_host[home.school_id, stage]
        if t.teacher_id in stays:
            pin = stays[t.teacher_id]
            reason = f"人事锁定不得交流（{pin.reason or '未注明原因'}）"
        elif not hosts:
            reason = f"集团内没有可接收{stage.value}教师、且流动方向允许的学校"
        elif t.teacher_id in first_pair:
            pair = first_pair[t.teacher_id]
            other = d.teacher(pair.chosen)
            reason = (
                f"同校同学科已选{other.name}（本校任教{other.years_at_school}年）：{pair.reason}"
            )
        else:
            reason = (
                f"本集团已交流{rotated_in_group[home.group_id]}人，各项规则均已满足；"
                "再多安排交流会增加调动人数而不能改善方案"
            )
        result[t.teacher_id] = reason
    return result
