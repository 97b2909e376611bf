"""The baseline: what an HR office does by hand in Excel, to measure the optimiser against.

Most senior first, weak schools first: each weak school with demand gets a team of the most
senior suitable teachers, then each group's ratio is filled from the top of the seniority list
(a backbone teacher first while the backbone share is short), each sent to the school with the
least inflow so far, and finally each move is paired with a teacher of the same subject sent
back the other way, as clerks do to keep schools staffed. No rule is guaranteed; the checkers
say which ones this plan breaks.
"""

from __future__ import annotations

from collections import Counter

from models.district import District
from models.entities import School, Teacher
from models.plan import NewRotation, Plan, RotationKind, returns_of
from models.requirements import ceil_share, group_requirement, move_type


def greedy_plan(district: District) -> Plan:
    """A hand-made-style plan for the district's plan year."""
    year = district.plan_year
    chosen: dict[str, NewRotation] = {}
    for group in district.groups:
        _plan_group(district, group.group_id, year, chosen)
    return Plan(plan_year=year, rotations=tuple(chosen.values()), returns=returns_of(district))


def _plan_group(d: District, group_id: str, year: int, chosen: dict[str, NewRotation]) -> None:
    policy = d.policy.for_group(group_id)
    schools = d.schools_of(group_id)
    pool = sorted(
        (
            t
            for s in schools
            for t in d.teachers_of_school(s.school_id)
            if d.status(t.teacher_id).eligible
        ),
        key=lambda t: (-t.years_at_school, t.teacher_id),
    )
    inflow: Counter[str] = Counter()

    def hosts_for(t: Teacher) -> list[School]:
        home = d.school(t.school_id)
        stage = d.status(t.teacher_id).teaching_stage
        return [
            s
            for s in schools
            if s.school_id != home.school_id
            and d.hosts_stage(s.school_id, stage)
            and move_type(d, home, s) in policy.flow_direction
        ]

    def send(t: Teacher, host: School) -> None:
        chosen[t.teacher_id] = NewRotation(
            teacher_id=t.teacher_id,
            from_school_id=t.school_id,
            to_school_id=host.school_id,
            start_year=year,
            end_year=year + policy.min_tenure_years - 1,
            kind=RotationKind.ROTATION,
        )
        inflow[host.school_id] += 1

    demand: dict[str, list[str]] = {}
    for row in d.demand:
        demand.setdefault(row.school_id, []).extend([row.subject] * row.count)
    for school in sorted(schools, key=lambda s: (not s.weak, s.school_id)):
        wanted = demand.get(school.school_id, [])
        team = max(len(wanted), policy.weak_inflow_min if school.weak and wanted else 0)
        for subject in [*wanted, *([None] * (team - len(wanted)))]:
            for t in pool:
                if t.teacher_id in chosen or (subject is not None and t.subject != subject):
                    continue
                if school in hosts_for(t):
                    send(t, school)
                    break

    requirement = group_requirement(d, group_id)
    rotated = sum(1 for r in chosen.values() if d.status(r.teacher_id).group_id == group_id)
    backbone = sum(
        1
        for r in chosen.values()
        if d.status(r.teacher_id).group_id == group_id and d.teacher(r.teacher_id).is_backbone
    )
    while rotated < requirement.min_rotations:
        short = backbone < ceil_share(rotated + 1, policy.backbone_share)
        candidates = [t for t in pool if t.teacher_id not in chosen and hosts_for(t)]
        if not candidates:
            break
        pick = (
            next((t for t in candidates if t.is_backbone), candidates[0])
            if short
            else candidates[0]
        )
        host = min(hosts_for(pick), key=lambda s: (not s.weak, inflow[s.school_id], s.school_id))
        send(pick, host)
        rotated += 1
        backbone += int(pick.is_backbone)

    for move in [r for r in chosen.values() if d.status(r.teacher_id).group_id == group_id]:
        subject = d.teacher(move.teacher_id).subject
        for t in pool:
            if t.teacher_id in chosen or t.school_id != move.to_school_id or t.subject != subject:
                continue
            home = d.school(move.from_school_id)
            if home in hosts_for(t):
                send(t, home)
                break
