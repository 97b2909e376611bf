"""Explanations in policy words, computed from the district alone (no solver).

* `RuleInstance` names one rule at one scope (group, school, subject, pin); the CP-SAT model
  guards each instance with its own literal, and `describe` states the instance in Chinese with
  the numbers behind it, so that a conflict reads like 「甘浚镇中心学校需组团流入至少3人，但集团内
  可派往该校的符合条件小学教师仅2人（数学1、语文1）」.
* `selection_reasons` says why each chosen teacher moves; `seniority_pairs` lists every pair
  where a less senior teacher of the same school and subject was chosen over a more senior one,
  with the rule or goal that made the difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from models.district import District
from models.entities import Pin, School, Teacher
from models.objective import TERM_BY_KEY, arc_terms, seniority_ranks
from models.plan import NewRotation, Plan, RotationKind
from models.policy import format_param
from models.requirements import base_count, candidates_for, ceil_share
from models.rules import (
    FLOW_NAMES,
    RULES,
    max_outflow,
    move_type,
    ongoing_junior_present,
    ratio_scopes,
)
from models.vocab import PinKind, RatioBase, TeachingStage


@dataclass(frozen=True)
class RuleInstance:
    """One rule at one scope: what a guard literal switches on and a conflict names."""

    rule: str
    scope: str
    group_id: str
    school_id: str | None = None
    subject: str | None = None
    index: int | None = None  # the pin or 托管 pair, by position in its table

    @property
    def key(self) -> str:
        """Stable identity: rule id and scope."""
        return f"{self.rule}|{self.scope}"


def _mix(teachers: list[Teacher]) -> str:
    counts = Counter(t.subject for t in teachers)
    return "、".join(f"{s}{n}" for s, n in counts.most_common())


def _reason_kind(reason: str, min_years: int) -> str:
    """The category of an ineligibility reason, for counting."""
    for needle, kind in (
        ("未满", f"本校任教未满{min_years}年"),
        ("距退休", "临近退休"),
        ("暂缓", "暂缓交流"),
        ("在岗交流中", "在岗交流中"),
        ("期满返回", "本学年期满返回"),
    ):
        if needle in reason:
            return kind
    return reason


def _school_label(d: District, school_id: str) -> str:
    return d.school(school_id).name


def _stage_words(d: District, school: School) -> str:
    stages = sorted({s.value for s in TeachingStage if d.hosts_stage(school.school_id, s)})
    return "、".join(stages)


def balance_counts(d: District, school: School, subject: str) -> tuple[int, int, int, int]:
    """For subject_balance at a school: returning home, leaving (returns), eligible who could
    leave, eligible group colleagues who could come."""
    year = d.plan_year
    home = leaving = 0
    for o in d.ongoing:
        if o.end_year < year and d.teacher(o.teacher_id).subject == subject:
            home += o.from_school_id == school.school_id
            leaving += o.to_school_id == school.school_id
    can_leave = sum(
        1
        for t in d.teachers_of_school(school.school_id)
        if t.subject == subject and d.status(t.teacher_id).eligible
    )
    can_come = sum(1 for t in candidates_for(d, school) if t.subject == subject)
    return home, leaving, can_leave, can_come


def describe_balance(d: District, school_id: str, subjects: list[str]) -> str:
    """subject_balance for several subjects of one school, in one sentence: a conflict at a
    high ratio can involve most subjects of a school, one line each is hard to read."""
    school = d.school(school_id)
    tolerance = d.policy.for_group(school.group_id).subject_balance_tolerance
    pools, returns = [], []
    for subject in subjects:
        home, leaving, can_leave, can_come = balance_counts(d, school, subject)
        pools.append(f"{subject}{can_leave}/{can_come}")
        if home or leaving:
            returns.append(f"{subject}{home}/{leaving}")
    text = (
        f"「{school.name}」{len(subjects)}个学科的流入与流出之差均须在±{tolerance}人以内；"
        f"各学科本校可派出/集团内可派入的符合条件教师：{'、'.join(pools)}"
    )
    return text + (f"；期满返回本校/期满离开：{'、'.join(returns)}" if returns else "")


def describe(d: District, inst: RuleInstance) -> str:
    """The instance as an HR clerk would state it, with the numbers behind it."""
    rule = inst.rule
    group = d.group(inst.group_id)
    policy = d.policy.for_group(inst.group_id)
    if rule == "eligibility":
        members = [
            t for s in d.schools_of(group.group_id) for t in d.teachers_of_school(s.school_id)
        ]
        kinds: Counter[str] = Counter()
        for t in members:
            for reason in d.status(t.teacher_id).reasons:
                kinds[_reason_kind(reason, policy.min_years_at_school)] += 1
        n_eligible = sum(1 for t in members if d.status(t.teacher_id).eligible)
        detail = "、".join(f"{k}{n}人" for k, n in kinds.most_common(4))
        return f"「{group.name}」只有符合交流条件的教师才能交流：符合条件{n_eligible}人" + (
            f"，不符合条件{len(members) - n_eligible}人（{detail}）" if detail else ""
        )
    if rule == "flow_direction":
        allowed = "、".join(FLOW_NAMES[f] for f in policy.flow_direction)
        return f"「{group.name}」只允许{allowed}方向的交流"
    if rule == "within_group":
        return f"「{group.name}」的教师只能在本集团内交流（托管关系除外）"
    if rule in ("min_rotation_ratio", "backbone_share"):
        scope = next(s for s in ratio_scopes(d, [group.group_id]) if s[1] == inst.scope)
        teachers = scope[2]
        base = base_count(d, teachers)
        need = ceil_share(base, policy.min_rotation_ratio)
        word = "全部专任教师" if policy.ratio_base == RatioBase.FULL_TIME else "符合条件教师"
        eligible = [t for t in teachers if d.status(t.teacher_id).eligible]
        if rule == "min_rotation_ratio":
            return (
                f"「{inst.scope}」至少须交流{need}人（{word}{base}人×"
                f"{format_param('r', policy.min_rotation_ratio)}，向上取整），符合条件的教师{len(eligible)}人"
            )
        backbone = [t for t in eligible if t.is_backbone]
        return (
            f"「{inst.scope}」交流教师中骨干须不少于{format_param('r', policy.backbone_share)}（至少交流{need}人时须骨干"
            f"{ceil_share(need, policy.backbone_share)}人），符合条件的骨干教师仅{len(backbone)}人"
            + (f"（{_mix(backbone)}）" if backbone else "")
        )
    if rule == "lead_outflow_ratio":
        lead = group.lead_school_id
        eligible = [t for t in d.teachers_of_school(lead) if d.status(t.teacher_id).eligible]
        ratio = policy.lead_outflow_ratio
        assert ratio is not None
        return (
            f"牵头校「{_school_label(d, lead)}」至少须派出{ceil_share(len(eligible), ratio)}人"
            f"（符合条件{len(eligible)}人×{format_param('r', ratio)}，向上取整）"
        )
    if rule == "weak_group_inflow":
        assert inst.school_id is not None
        school = d.school(inst.school_id)
        pool = candidates_for(d, school)
        k = policy.weak_inflow_min
        demand = any(r.school_id == school.school_id for r in d.demand)
        head = (
            f"「{school.name}」有需求，须组团流入至少{k}人"
            if demand
            else f"「{school.name}」如有流入须组团至少{k}人"
        )
        return (
            f"{head}，集团内可派往该校的符合条件{_stage_words(d, school)}教师{'仅' if len(pool) < k else '共'}{len(pool)}人"
            + (f"（{_mix(pool)}）" if pool else "")
        )
    if rule == "exam_subject_focus":
        assert inst.school_id is not None
        school = d.school(inst.school_id)
        pool = [
            t
            for t in candidates_for(d, school)
            if d.status(t.teacher_id).teaching_stage == TeachingStage.JUNIOR
        ]
        exam = [t for t in pool if t.subject in policy.exam_subjects]
        if inst.subject is None:
            return (
                f"薄弱初中「{school.name}」只能流入考试计分科目教师：集团内可派往的符合条件初中教师{len(pool)}人，"
                f"其中考试科目{len(exam)}人" + (f"（{_mix(exam)}）" if exam else "")
            )
        count = sum(
            r.count
            for r in d.demand
            if r.school_id == school.school_id and r.subject == inst.subject
        )
        ongoing = ongoing_junior_present(d, school.school_id)[inst.subject]
        same = sum(1 for t in pool if t.subject == inst.subject)
        return (
            f"薄弱初中「{school.name}」需要{inst.subject}教师{count}人，须由交流教师满足：在岗交流{ongoing}人，"
            f"集团内可派往的符合条件{inst.subject}初中教师{same}人"
        )
    if rule == "subject_balance":
        assert inst.school_id is not None and inst.subject is not None
        school = d.school(inst.school_id)
        home, leaving, can_leave, can_come = balance_counts(d, school, inst.subject)
        return (
            f"「{school.name}」{inst.subject}学科流入与流出之差须在±{policy.subject_balance_tolerance}人以内："
            f"期满返回本校{home}人、期满离开{leaving}人，本校可派出的符合条件{inst.subject}教师{can_leave}人，"
            f"集团内可派入的{can_come}人"
        )
    if rule == "entrusted_residents":
        assert inst.index is not None
        pair = d.entrusted[inst.index]
        unit = d.school(pair.supporting_school_id)
        pool = [
            t
            for t in d.teachers_of_school(unit.school_id)
            if d.status(t.teacher_id).eligible
            and d.hosts_stage(pair.aided_school_id, d.status(t.teacher_id).teaching_stage)
        ]
        managers = sum(1 for t in pool if t.management)
        return (
            f"「{_school_label(d, pair.aided_school_id)}」须有「{unit.name}」常驻至少{pair.min_residents}人、其中干部至少"
            f"{pair.min_managers}人：「{unit.name}」可派的符合条件教师{len(pool)}人，其中干部{managers}人"
        )
    if rule == "max_outflow_share":
        assert inst.school_id is not None
        school = d.school(inst.school_id)
        share = policy.max_outflow_share
        assert share is not None
        staff = len(d.teachers_of_school(school.school_id))
        return f"「{school.name}」一年至多流出{max_outflow(staff, share)}人（专任教师{staff}人×{format_param('r', share)}，向下取整）"
    if rule == "pins":
        assert inst.index is not None
        return describe_pin(d, inst.index)
    return f"{RULES[rule].name}：{inst.scope}"


def describe_pin(d: District, index: int) -> str:
    """A pin, and — for a must-go pin — why the move itself may be impossible."""
    p = d.pins[index]
    t = d.teacher(p.teacher_id)
    target = f"「{d.school(p.school_id).name}」" if p.school_id else ""
    text = f"人事锁定：{t.name}（{t.teacher_id}）{p.kind.value}{target}" + (
        f"，原因：{p.reason}" if p.reason else ""
    )
    if p.kind != PinKind.MUST_GO_TO or p.school_id is None:
        return text
    status = d.status(t.teacher_id)
    home, host = d.school(t.school_id), d.school(p.school_id)
    obstacles = []
    if not status.eligible:
        obstacles.append(f"该教师不符合交流条件（{status.reason}）")
    if not d.hosts_stage(host.school_id, status.teaching_stage):
        obstacles.append(f"任教{status.teaching_stage.value}，与该校学段（{host.stage.value}）不符")
    if host.group_id != home.group_id and not any(
        e.supporting_school_id == home.school_id and e.aided_school_id == host.school_id
        for e in d.entrusted
    ):
        obstacles.append("该校不在本集团内")
    elif move_type(d, home, host) not in d.policy.for_group(home.group_id).flow_direction:
        obstacles.append(f"{FLOW_NAMES[move_type(d, home, host)]}不在允许的流动方向内")
    return text + (f"；但{'；'.join(obstacles)}" if obstacles else "")


# -- why each chosen teacher moves ------------------------------------------------------------


def selection_reasons(d: District, plan: Plan) -> dict[str, str]:
    """For every new rotation: seniority, backbone, and which rule or demand the move serves."""
    inflow: Counter[str] = Counter(r.to_school_id for r in plan.rotations)
    demand: dict[tuple[str, str], int] = defaultdict(int)
    for row in d.demand:
        demand[row.school_id, row.subject] += row.count
    reverse = {
        (r.from_school_id, r.to_school_id, d.teacher(r.teacher_id).subject) for r in plan.rotations
    }
    refill = Counter(
        (o.to_school_id, d.teacher(o.teacher_id).subject)
        for o in d.ongoing
        if o.end_year < d.plan_year
    )
    pins = {p.teacher_id: p for p in d.pins if p.kind == PinKind.MUST_GO_TO}
    result: dict[str, str] = {}
    for r in plan.rotations:
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


def _scope_of_school(d: District) -> dict[str, str]:
    scope = {}
    for _gid, name, _teachers, schools in ratio_scopes(d):
        for s in schools:
            scope[s] = name
    return scope


def _backbone_slack(d: District, plan: Plan, scope_of: dict[str, str]) -> dict[str, int]:
    """Per ratio scope: backbone chosen minus the least the backbone share needs."""
    rotated: Counter[str] = Counter()
    backbone: Counter[str] = Counter()
    for r in plan.rotations:
        name = scope_of[r.from_school_id]
        rotated[name] += 1
        backbone[name] += d.teacher(r.teacher_id).is_backbone
    slack = {}
    for gid, name, _t, _s in ratio_scopes(d):
        slack[name] = backbone[name] - ceil_share(
            rotated[name], d.policy.for_group(gid).backbone_share
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

    scope_of: dict[str, str]
    backbone_slack: dict[str, int]
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
        return "backbone_share", f"{c.name}是骨干教师，{scope}的骨干占比须达到要求"
    if (
        r.kind == RotationKind.ENTRUSTED
        and c.management
        and not s.management
        and facts.manager_slack.get((r.from_school_id, r.to_school_id), 1) <= 0
    ):
        return "entrusted_residents", f"{c.name}是干部，托管常驻须有干部"
    ranks = facts.ranks
    home = d.school(c.school_id)
    mine = arc_terms(c, home, host, ranks.get(c.teacher_id, 0))
    theirs = arc_terms(s, home, host, ranks.get(s.teacher_id, 0))
    policy = d.policy.for_group(home.group_id)
    wins = []
    for key in ("backbone_to_weak", "volunteer", "recommended", "preference"):
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
    for t in d.eligible_teachers():
        if t.teacher_id in chosen:
            continue
        home = d.school(t.school_id)
        stage = d.status(t.teacher_id).teaching_stage
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
