"""Solver-free checkers: one function per hard rule of SPEC §4, each returning every instance.

These are the auditor's view of a plan. The solver must never be trusted on its own: every test
that solves runs these on the result, and `rotation check` runs them on a plan edited by hand.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from models.district import District
from models.entities import Demand as DemandRow
from models.entities import School, Teacher
from models.plan import NewRotation, Plan, RotationKind, RuleCheck, returns_of
from models.policy import format_param
from models.requirements import base_count, ceil_share, is_weak_junior
from models.vocab import FlowDirection, OngoingKind, PinKind, RatioScope, TeachingStage


@dataclass(frozen=True)
class RuleInfo:
    """A hard rule's stable id, Chinese name and the plain sentence reports use."""

    id: str
    name: str
    sentence: str


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        RuleInfo(
            "eligibility", "交流资格", "只有符合交流条件且学段相符的教师才能交流，每人每年至多一次"
        ),
        RuleInfo("within_group", "集团内交流", "交流限于本集团学校之间（托管关系除外）"),
        RuleInfo("flow_direction", "流动方向", "交流只能按允许的方向进行（牵头校与成员校之间等）"),
        RuleInfo(
            "min_rotation_ratio", "最低交流比例", "交流人数不少于计算基数的规定比例（向上取整）"
        ),
        RuleInfo("backbone_share", "骨干教师占比", "交流教师中骨干教师不少于规定比例（向上取整）"),
        RuleInfo(
            "lead_outflow_ratio", "牵头校流出比例", "牵头校派出人数不少于其符合条件教师的规定比例"
        ),
        RuleInfo(
            "weak_group_inflow",
            "薄弱学校组团流入",
            "薄弱学校当年新流入为0人或不少于规定人数；有需求的必须不少于规定人数",
        ),
        RuleInfo(
            "exam_subject_focus",
            "薄弱初中考试科目",
            "流入薄弱初中的教师任教考试计分科目，考试科目需求由交流教师满足",
        ),
        RuleInfo("min_tenure", "交流年限", "新交流期限为规定年数，在岗交流不得提前结束"),
        RuleInfo(
            "subject_balance",
            "学科增减平衡",
            "每校每学科流入与流出之差不超过容差，交流不造成学科缺人",
        ),
        RuleInfo(
            "entrusted_residents", "托管常驻人数", "每个托管关系的常驻人数和其中干部人数不少于下限"
        ),
        RuleInfo("max_outflow_share", "单校流出上限", "每校一年流出人数不超过其专任教师的规定比例"),
        RuleInfo("pins", "人事锁定", "人事科已作出的必须交流、不得交流决定必须执行"),
    )
}


@dataclass
class PlanFacts:
    """Counts derived once from a district and a plan, shared by the checkers."""

    district: District
    plan: Plan
    out: Counter[str] = field(default_factory=Counter)
    inflow: Counter[str] = field(default_factory=Counter)
    out_subject: Counter[tuple[str, str]] = field(default_factory=Counter)
    in_subject: Counter[tuple[str, str]] = field(default_factory=Counter)
    returns_home: Counter[tuple[str, str]] = field(default_factory=Counter)
    returns_leaving: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_group: dict[str, list[NewRotation]] = field(default_factory=lambda: defaultdict(list))
    known: list[NewRotation] = field(default_factory=list)
    by_host: dict[str, list[NewRotation]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, district: District, plan: Plan) -> PlanFacts:
        """Tally the plan's moves by school and subject; unknown teachers are left to eligibility."""
        facts = cls(district, plan)
        for r in plan.rotations:
            try:
                t = district.teacher(r.teacher_id)
            except KeyError:
                continue
            facts.known.append(r)
            facts.by_host[r.to_school_id].append(r)
            facts.by_group[district.status(t.teacher_id).group_id].append(r)
            facts.out[r.from_school_id] += 1
            facts.inflow[r.to_school_id] += 1
            facts.out_subject[r.from_school_id, t.subject] += 1
            facts.in_subject[r.to_school_id, t.subject] += 1
        for ret in returns_of(district):
            subject = district.teacher(ret.teacher_id).subject
            facts.returns_home[ret.to_school_id, subject] += 1
            facts.returns_leaving[ret.from_school_id, subject] += 1
        return facts

    def teacher(self, r: NewRotation) -> Teacher:
        """The teacher of a rotation known to the district."""
        return self.district.teacher(r.teacher_id)

    def group_name(self, group_id: str) -> str:
        """A group's name for scopes."""
        return self.district.group(group_id).name


def _label(t: Teacher) -> str:
    return f"{t.name}（{t.teacher_id}）"


def check_eligibility(f: PlanFacts) -> list[RuleCheck]:
    """Only eligible teachers move, to a school that teaches their stage, at most once each."""
    d = f.district
    bad: dict[str, list[str]] = defaultdict(list)
    seen: Counter[str] = Counter(r.teacher_id for r in f.plan.rotations)
    for r in f.plan.rotations:
        try:
            t = d.teacher(r.teacher_id)
        except KeyError:
            bad[""].append(f"教师「{r.teacher_id}」不在「教师」表中")
            continue
        status = d.status(t.teacher_id)
        gid = status.group_id
        if not status.eligible:
            bad[gid].append(f"{_label(t)}不符合交流条件：{status.reason}")
        if r.from_school_id != t.school_id:
            bad[gid].append(f"{_label(t)}的流出学校应为本校「{t.school_id}」")
        try:
            host = d.school(r.to_school_id)
        except KeyError:
            bad[gid].append(f"{_label(t)}的流入学校「{r.to_school_id}」不存在")
            continue
        if host.school_id == t.school_id:
            bad[gid].append(f"{_label(t)}的流入学校就是本校")
        if not d.hosts_stage(host.school_id, status.teaching_stage):
            bad[gid].append(
                f"{_label(t)}任教{status.teaching_stage}，与「{host.name}」学段（{host.stage}）不符"
            )
        if seen[r.teacher_id] > 1:
            bad[gid].append(f"{_label(t)}在方案中出现{seen[r.teacher_id]}次")
    checks = []
    for g in d.groups:
        items = tuple(dict.fromkeys(bad.get(g.group_id, [])))
        checks.append(
            _count_check("eligibility", g.name, len(f.by_group.get(g.group_id, [])), items)
        )
    if bad.get(""):
        checks.append(_count_check("eligibility", "全区", 0, tuple(bad[""])))
    return checks


def _count_check(rule: str, scope: str, total: int, problems: tuple[str, ...]) -> RuleCheck:
    return RuleCheck(
        rule=rule,
        scope=scope,
        required="全部符合",
        actual=f"{total}人中{len(problems)}处不符" if problems else f"{total}人全部符合",
        ok=not problems,
        details=problems,
    )


def is_entrusted_pair(d: District, home: str, host: str) -> bool:
    """Whether (home → host) follows a 托管 pair, the only way across groups."""
    return any(e.supporting_school_id == home and e.aided_school_id == host for e in d.entrusted)


def check_within_group(f: PlanFacts) -> list[RuleCheck]:
    """Moves stay inside the teacher's group; entrusted residents follow a 托管 pair."""
    d = f.district
    checks = []
    for g in d.groups:
        problems = []
        for r in f.by_group.get(g.group_id, []):
            t = f.teacher(r)
            try:
                host = d.school(r.to_school_id)
            except KeyError:
                continue
            pair = is_entrusted_pair(d, r.from_school_id, r.to_school_id)
            if r.kind == RotationKind.ENTRUSTED and not pair:
                problems.append(f"{_label(t)}按托管常驻派往「{host.name}」，但两校之间没有托管关系")
            elif host.group_id != g.group_id and not pair:
                problems.append(f"{_label(t)}派往集团外的「{host.name}」")
        checks.append(
            _count_check(
                "within_group", g.name, len(f.by_group.get(g.group_id, [])), tuple(problems)
            )
        )
    return checks


def move_type(d: District, home: School, host: School) -> FlowDirection:
    """Lead → member, member → lead, or member → member within one group."""
    lead = d.group(home.group_id).lead_school_id
    if home.school_id == lead:
        return FlowDirection.LEAD_TO_MEMBER
    if host.school_id == lead:
        return FlowDirection.MEMBER_TO_LEAD
    return FlowDirection.MEMBER_TO_MEMBER


FLOW_NAMES = {
    FlowDirection.LEAD_TO_MEMBER: "牵头校→成员校",
    FlowDirection.MEMBER_TO_LEAD: "成员校→牵头校",
    FlowDirection.MEMBER_TO_MEMBER: "成员校→成员校",
}


def check_flow_direction(f: PlanFacts) -> list[RuleCheck]:
    """Ordinary rotations move only in the directions the group's policy allows."""
    d = f.district
    checks = []
    for g in d.groups:
        allowed = d.policy.for_group(g.group_id).flow_direction
        problems = []
        for r in f.by_group.get(g.group_id, []):
            if r.kind == RotationKind.ENTRUSTED:
                continue
            try:
                home, host = d.school(r.from_school_id), d.school(r.to_school_id)
            except KeyError:
                continue
            if host.group_id != home.group_id:
                continue
            kind = move_type(d, home, host)
            if kind not in allowed:
                problems.append(
                    f"{_label(f.teacher(r))}：{home.name}→{host.name}属于{FLOW_NAMES[kind]}，不在允许方向内"
                )
        checks.append(
            RuleCheck(
                rule="flow_direction",
                scope=g.name,
                required="、".join(FLOW_NAMES[a] for a in allowed),
                actual=f"{len(problems)}处方向不符" if problems else "全部符合",
                ok=not problems,
                details=tuple(problems),
            )
        )
    return checks


def ratio_scopes(
    d: District, group_ids: Iterable[str] | None = None
) -> list[tuple[str, str, list[Teacher], list[str]]]:
    """Each ratio scope of the given groups (default all): (group id, scope name, its teachers,
    its home school ids)."""
    scopes = []
    for g in d.groups if group_ids is None else [d.group(gid) for gid in group_ids]:
        policy = d.policy.for_group(g.group_id)
        schools = d.schools_of(g.group_id)
        if policy.ratio_scope == RatioScope.SCHOOL:
            for s in schools:
                scopes.append(
                    (
                        g.group_id,
                        f"{g.name}/{s.name}",
                        d.teachers_of_school(s.school_id),
                        [s.school_id],
                    )
                )
        else:
            members = [t for s in schools for t in d.teachers_of_school(s.school_id)]
            scopes.append((g.group_id, g.name, members, [s.school_id for s in schools]))
    return scopes


def _share_check(rule: str, scope: str, base: int, ratio: Decimal, actual: int) -> RuleCheck:
    """At least ⌈base × ratio⌉ people: the shape of every ratio rule."""
    return RuleCheck(
        rule=rule,
        scope=scope,
        required=f"≥{ceil_share(base, ratio)}人（{base}×{format_param('r', ratio)}，向上取整）",
        actual=f"{actual}人",
        ok=actual >= ceil_share(base, ratio),
    )


def check_min_rotation_ratio(f: PlanFacts) -> list[RuleCheck]:
    """Per group (or school), rotated teachers ≥ the ratio of the ratio base, rounded up."""
    d = f.district
    return [
        _share_check(
            "min_rotation_ratio",
            scope,
            base_count(d, teachers),
            d.policy.for_group(gid).min_rotation_ratio,
            sum(f.out[s] for s in schools),
        )
        for gid, scope, teachers, schools in ratio_scopes(d)
    ]


def check_backbone_share(f: PlanFacts) -> list[RuleCheck]:
    """In the same scope, backbone teachers ≥ the share of those rotated, rounded up."""
    d = f.district
    backbone_out: Counter[str] = Counter(
        r.from_school_id for r in f.known if f.teacher(r).is_backbone
    )
    return [
        _share_check(
            "backbone_share",
            scope,
            sum(f.out[s] for s in schools),
            d.policy.for_group(gid).backbone_share,
            sum(backbone_out[s] for s in schools),
        )
        for gid, scope, _teachers, schools in ratio_scopes(d)
    ]


def check_lead_outflow_ratio(f: PlanFacts) -> list[RuleCheck]:
    """Where set, the lead school sends out ≥ the share of its own eligible teachers."""
    d = f.district
    checks = []
    for g in d.groups:
        ratio = d.policy.for_group(g.group_id).lead_outflow_ratio
        if ratio is None:
            continue
        lead = g.lead_school_id
        eligible = sum(1 for t in d.teachers_of_school(lead) if d.status(t.teacher_id).eligible)
        scope = f"{g.name}/{d.school(lead).name}"
        checks.append(_share_check("lead_outflow_ratio", scope, eligible, ratio, f.out[lead]))
    return checks


def check_weak_group_inflow(f: PlanFacts) -> list[RuleCheck]:
    """A weak school receives 0 or a team of ≥ weak_inflow_min; with demand, at least the team."""
    d = f.district
    with_demand = {row.school_id for row in d.demand}
    checks = []
    for s in d.schools:
        if not s.weak:
            continue
        k = d.policy.for_group(s.group_id).weak_inflow_min
        n = f.inflow[s.school_id]
        if s.school_id in with_demand:
            required, ok = f"≥{k}人（有需求）", n >= k
        else:
            required, ok = f"0人或≥{k}人", n == 0 or n >= k
        checks.append(
            RuleCheck(
                rule="weak_group_inflow",
                scope=f"{d.group(s.group_id).name}/{s.name}",
                required=required,
                actual=f"{n}人",
                ok=ok,
            )
        )
    return checks


def ongoing_junior_present(d: District, school_id: str) -> Counter[str]:
    """Junior-stage teachers on an ongoing rotation at a school in the plan year, by subject."""
    present = d.memo("ongoing_junior_present", _ongoing_junior_present)
    return Counter(present.get(school_id, ()))


def _ongoing_junior_present(d: District) -> dict[str, Counter[str]]:
    year = d.plan_year
    present: dict[str, Counter[str]] = {}
    for o in d.ongoing:
        if (
            o.start_year <= year <= o.end_year
            and d.status(o.teacher_id).teaching_stage == TeachingStage.JUNIOR
        ):
            present.setdefault(o.to_school_id, Counter())[d.teacher(o.teacher_id).subject] += 1
    return present


def junior_presence(f: PlanFacts, school_id: str) -> Counter[str]:
    """Rotated junior-stage teachers present at a school in the plan year (new + ongoing)."""
    d = f.district
    present = ongoing_junior_present(d, school_id)
    for r in f.by_host.get(school_id, []):
        if d.status(r.teacher_id).teaching_stage == TeachingStage.JUNIOR:
            present[f.teacher(r).subject] += 1
    return present


def check_exam_subject_focus(f: PlanFacts) -> list[RuleCheck]:
    """Weak junior highs receive exam-subject teachers, and their exam-subject demand is covered."""
    d = f.district
    checks = []
    demand: dict[str, list[DemandRow]] = defaultdict(list)
    for row in d.demand:
        demand[row.school_id].append(row)
    for s in d.schools:
        if not is_weak_junior(s):
            continue
        policy = d.policy.for_group(s.group_id)
        scope = f"{d.group(s.group_id).name}/{s.name}"
        if policy.exam_inflow_only:
            off = [
                f"{_label(f.teacher(r))}任教{f.teacher(r).subject}"
                for r in f.by_host.get(s.school_id, [])
                if d.status(r.teacher_id).teaching_stage == TeachingStage.JUNIOR
                and f.teacher(r).subject not in policy.exam_subjects
            ]
            checks.append(
                RuleCheck(
                    rule="exam_subject_focus",
                    scope=scope,
                    required="初中流入均为考试科目",
                    actual=f"{len(off)}人非考试科目" if off else "全部为考试科目",
                    ok=not off,
                    details=tuple(off),
                )
            )
        present = junior_presence(f, s.school_id)
        for row in demand.get(s.school_id, []):
            if row.subject in policy.exam_subjects:
                have = present[row.subject]
                checks.append(
                    RuleCheck(
                        rule="exam_subject_focus",
                        scope=f"{scope}/{row.subject}",
                        required=f"≥{row.count}人（需求）",
                        actual=f"{have}人（新流入+在岗）",
                        ok=have >= row.count,
                    )
                )
    return checks


def check_min_tenure(f: PlanFacts) -> list[RuleCheck]:
    """New rotations run the full term from the plan year; ongoing ones are never cut short."""
    d = f.district
    year = d.plan_year
    checks = []
    for g in d.groups:
        years = d.policy.for_group(g.group_id).min_tenure_years
        wrong = [
            f"{_label(f.teacher(r))}：{r.start_year}-{r.end_year}学年"
            for r in f.by_group.get(g.group_id, [])
            if r.start_year != year or r.end_year != year + years - 1
        ]
        checks.append(
            RuleCheck(
                rule="min_tenure",
                scope=g.name,
                required=f"{year}-{year + years - 1}学年（{years}年）",
                actual=f"{len(wrong)}人期限不符" if wrong else "全部符合",
                ok=not wrong,
                details=tuple(wrong),
            )
        )
    expected = set(returns_of(d))
    given = set(f.plan.returns)
    cut = [
        f"{d.teacher(r.teacher_id).name}（{r.teacher_id}）交流未满提前返回"
        for r in given - expected
    ]
    missing = [
        f"{d.teacher(r.teacher_id).name}（{r.teacher_id}）交流期满未安排返回"
        for r in expected - given
    ]
    checks.append(
        RuleCheck(
            rule="min_tenure",
            scope="在岗交流",
            required=f"期满返回{len(expected)}人，其余不得提前结束",
            actual=f"返回{len(given)}人",
            ok=not cut and not missing,
            details=tuple(cut + missing),
        )
    )
    return checks


def check_subject_balance(f: PlanFacts) -> list[RuleCheck]:
    """Per school and subject, (inflow + returns home) − (outflow + returns leaving) within ± tolerance."""
    d = f.district
    keys = sorted(
        set(f.in_subject) | set(f.out_subject) | set(f.returns_home) | set(f.returns_leaving)
    )
    checks = []
    for school_id, subject in keys:
        s = d.school(school_id)
        tol = d.policy.for_group(s.group_id).subject_balance_tolerance
        gain = f.in_subject[school_id, subject] + f.returns_home[school_id, subject]
        loss = f.out_subject[school_id, subject] + f.returns_leaving[school_id, subject]
        net = gain - loss
        checks.append(
            RuleCheck(
                rule="subject_balance",
                scope=f"{d.group(s.group_id).name}/{s.name}/{subject}",
                required=f"增减在±{tol}人以内",
                actual=f"增{gain}人、减{loss}人，净{net:+d}人",
                ok=abs(net) <= tol,
            )
        )
    return checks


def check_entrusted_residents(f: PlanFacts) -> list[RuleCheck]:
    """Each 托管 pair keeps ≥ min_residents at the aided school, of whom ≥ min_managers are 干部."""
    d = f.district
    year = d.plan_year
    checks = []
    for e in d.entrusted:
        residents: list[Teacher] = [
            f.teacher(r)
            for r in f.by_host.get(e.aided_school_id, [])
            if r.kind == RotationKind.ENTRUSTED and r.from_school_id == e.supporting_school_id
        ]
        residents += [
            d.teacher(o.teacher_id)
            for o in d.ongoing
            if o.kind == OngoingKind.ENTRUSTED
            and o.from_school_id == e.supporting_school_id
            and o.to_school_id == e.aided_school_id
            and o.start_year <= year <= o.end_year
        ]
        managers = sum(1 for t in residents if t.management)
        checks.append(
            RuleCheck(
                rule="entrusted_residents",
                scope=f"{d.school(e.supporting_school_id).name}→{d.school(e.aided_school_id).name}",
                required=f"常驻≥{e.min_residents}人，其中干部≥{e.min_managers}人",
                actual=f"常驻{len(residents)}人，其中干部{managers}人",
                ok=len(residents) >= e.min_residents and managers >= e.min_managers,
            )
        )
    return checks


def max_outflow(count: int, share: Decimal) -> int:
    """The most a school of `count` teachers may send: floor(count × share), exactly."""
    return math.floor(Decimal(count) * share)


def check_max_outflow_share(f: PlanFacts) -> list[RuleCheck]:
    """Where set, no school sends out more than the share of its full-time teachers."""
    d = f.district
    checks = []
    for s in d.schools:
        share = d.policy.for_group(s.group_id).max_outflow_share
        if share is None:
            continue
        staff = len(d.teachers_of_school(s.school_id))
        cap = max_outflow(staff, share)
        checks.append(
            RuleCheck(
                rule="max_outflow_share",
                scope=f"{d.group(s.group_id).name}/{s.name}",
                required=f"≤{cap}人（{staff}×{format_param('r', share)}，向下取整）",
                actual=f"{f.out[s.school_id]}人",
                ok=f.out[s.school_id] <= cap,
            )
        )
    return checks


def check_pins(f: PlanFacts) -> list[RuleCheck]:
    """HR's pins hold: must go to X, must stay, must not go to X."""
    d = f.district
    host_of = {r.teacher_id: r.to_school_id for r in f.plan.rotations}
    checks = []
    for p in d.pins:
        t = d.teacher(p.teacher_id)
        host = host_of.get(p.teacher_id)
        if p.kind == PinKind.MUST_GO_TO:
            ok = host == p.school_id
        elif p.kind == PinKind.MUST_STAY:
            ok = host is None
        else:
            ok = host != p.school_id
        where = d.school(p.school_id).name if p.school_id else ""
        actual = (
            f"交流至{d.school(host).name}"
            if host and host in {s.school_id for s in d.schools}
            else "未交流"
        )
        checks.append(
            RuleCheck(
                rule="pins",
                scope=_label(t),
                required=f"{p.kind}{where}" + (f"（{p.reason}）" if p.reason else ""),
                actual=actual,
                ok=ok,
            )
        )
    return checks


CHECKERS: dict[str, Callable[[PlanFacts], list[RuleCheck]]] = {
    "eligibility": check_eligibility,
    "within_group": check_within_group,
    "flow_direction": check_flow_direction,
    "min_rotation_ratio": check_min_rotation_ratio,
    "backbone_share": check_backbone_share,
    "lead_outflow_ratio": check_lead_outflow_ratio,
    "weak_group_inflow": check_weak_group_inflow,
    "exam_subject_focus": check_exam_subject_focus,
    "min_tenure": check_min_tenure,
    "subject_balance": check_subject_balance,
    "entrusted_residents": check_entrusted_residents,
    "max_outflow_share": check_max_outflow_share,
    "pins": check_pins,
}
assert set(CHECKERS) == set(RULES)


def check_plan(district: District, plan: Plan) -> list[RuleCheck]:
    """Every rule instance of the plan, in SPEC §4 order."""
    facts = PlanFacts.of(district, plan)
    return [c for checker in CHECKERS.values() for c in checker(facts)]


def violations(district: District, plan: Plan) -> list[RuleCheck]:
    """Only the failing rule instances."""
    return [c for c in check_plan(district, plan) if not c.ok]
