"""pins: HR's decisions hold — must go to X, must not be moved, must not go to X."""

from __future__ import annotations

from models.district import District
from models.entities import School
from models.plan import RuleCheck
from models.requirements import FLOW_NAMES, is_entrusted_pair, move_type
from models.rules import flow_direction, within_group
from models.rules.base import Rule, RuleInstance, checked, person
from models.rules.facts import PlanFacts
from models.vocab import PinKind

ID = "pins"


def pin_hosts(d: District, teacher_id: str) -> list[School]:
    """The schools a 必须交流至 / 不得交流至 pin on this teacher may name: the hosts a move of
    theirs could have at all (inside the group or along a 托管 pair, a stage the host teaches,
    a direction the group allows). Empty for a teacher who may not move this year."""
    status = d.status(teacher_id)
    if not status.eligible:
        return []
    home = d.school(d.index.teacher[teacher_id].school_id)
    return [
        host
        for host, kind in within_group.hosts(d, home)
        if d.hosts_stage(host.school_id, status.teaching_stage)
        and flow_direction.allows(d, home, host, kind)
    ]


def instance(d: District, n: int) -> RuleInstance:
    """The instance of the n-th pin, in the teacher's group (at the pinned school, if any)."""
    p = d.pins[n]
    group = d.status(p.teacher_id).group_id
    return RuleInstance(ID, group, p.school_id, pin=n)


def check(f: PlanFacts) -> list[RuleCheck]:
    """Each pin against where the plan sends the teacher."""
    d = f.district
    checks = []
    for n, p in enumerate(d.pins):
        host = f.host_of.get(p.teacher_id)
        if p.kind == PinKind.MUST_GO_TO:
            ok = host == p.school_id
        elif p.kind == PinKind.MUST_STAY:
            ok = host is None
        else:
            ok = host != p.school_id
        where = d.school(p.school_id).name if p.school_id else ""
        actual = f"交流至{d.school(host).name}" if host and host in d.index.school else "未交流"
        checks.append(
            checked(
                d,
                instance(d, n),
                required=f"{p.kind}{where}" + (f"（{p.reason}）" if p.reason else ""),
                actual=actual,
                ok=ok,
            )
        )
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """A pin, and — for a must-go pin — why the move itself may be impossible."""
    assert inst.pin is not None
    p = d.pins[inst.pin]
    t = d.teacher(p.teacher_id)
    target = f"「{d.school(p.school_id).name}」" if p.school_id else ""
    text = f"人事锁定：{person(t.name, t.teacher_id)}{p.kind.value}{target}" + (
        f"，原因：{p.reason}" if p.reason else ""
    )
    found = obstacles(d, inst.pin)
    return text + (f"；但{'；'.join(found)}" if found else "")


def obstacles(d: District, n: int) -> list[str]:
    """Why the move a must-go pin asks for cannot be made at all (empty when it can)."""
    p = d.pins[n]
    t = d.teacher(p.teacher_id)
    if p.kind != PinKind.MUST_GO_TO or p.school_id is None:
        return []
    status = d.status(t.teacher_id)
    home, host = d.school(t.school_id), d.school(p.school_id)
    obstacles = []
    if not status.eligible:
        obstacles.append(f"该教师不符合交流条件（{status.reason}）")
    if not d.hosts_stage(host.school_id, status.teaching_stage):
        obstacles.append(f"任教{status.teaching_stage.value}，与该校学段（{host.stage.value}）不符")
    if host.group_id != home.group_id and not is_entrusted_pair(d, home.school_id, host.school_id):
        obstacles.append("该校不在本集团内")
    elif move_type(d, home, host) not in d.policy.for_group(home.group_id).flow_direction:
        obstacles.append(f"{FLOW_NAMES[move_type(d, home, host)]}不在允许的流动方向内")
    return obstacles


def label(d: District, inst: RuleInstance) -> str:
    """The teacher and the decision: 张三（T001）必须交流至某校."""
    assert inst.pin is not None
    p = d.pins[inst.pin]
    t = d.teacher(p.teacher_id)
    return (
        person(t.name, t.teacher_id)
        + p.kind.value
        + (d.school(p.school_id).name if p.school_id else "")
    )


def precheck(d: District) -> list[str]:
    """A must-go pin whose move is impossible (ineligible, stage, group or direction)."""
    messages = []
    for n, p in enumerate(d.pins):
        found = obstacles(d, n)
        if found:
            t = d.teacher(p.teacher_id)
            target = d.school(p.school_id).name if p.school_id else ""
            messages.append(
                f"{person(t.name, t.teacher_id)}锁定必须交流至「{target}」，但{'；'.join(found)}"
            )
    return messages


RULE = Rule(
    id=ID,
    name="人事锁定",
    sentence="人事科已作出的必须交流、不得交流决定必须执行",
    parameters=(),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=9,
    label=label,
)
