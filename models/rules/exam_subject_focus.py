"""exam_subject_focus: weak junior highs receive exam-subject teachers, and their exam-subject
demand is covered by rotated teachers present there that year."""

from __future__ import annotations

from collections import defaultdict

from models.district import District
from models.entities import Demand
from models.plan import RuleCheck
from models.requirements import (
    candidates_for,
    is_weak_junior,
    mobility,
    ongoing_junior_present,
)
from models.rules.base import Rule, RuleInstance, checked, person
from models.rules.common import mix
from models.rules.facts import PlanFacts
from models.vocab import TeachingStage

ID = "exam_subject_focus"


def check(f: PlanFacts) -> list[RuleCheck]:
    """Per weak junior high: the junior inflow's subjects (school instance) and each exam-subject
    demand row (school + subject instance)."""
    d = f.district
    checks = []
    demand: dict[str, list[Demand]] = defaultdict(list)
    for row in d.demand:
        demand[row.school_id].append(row)
    for s in d.schools:
        if not is_weak_junior(s):
            continue
        policy = d.policy.for_group(s.group_id)
        if policy.exam_inflow_only:
            off = [
                f"{person(f.teacher(r).name, r.teacher_id)}任教{f.teacher(r).subject}"
                for r in f.by_host.get(s.school_id, [])
                if d.status(r.teacher_id).teaching_stage == TeachingStage.JUNIOR
                and f.teacher(r).subject not in policy.exam_subjects
            ]
            checks.append(
                checked(
                    d,
                    RuleInstance(ID, s.group_id, s.school_id),
                    required="初中流入均为考试科目",
                    actual=f"{len(off)}人非考试科目" if off else "全部为考试科目",
                    ok=not off,
                    details=tuple(off),
                    maximum=0,
                    count=len(off),
                )
            )
        present = f.junior_present(s.school_id)
        for row in demand.get(s.school_id, []):
            if row.subject in policy.exam_subjects:
                have = present[row.subject]
                checks.append(
                    checked(
                        d,
                        RuleInstance(ID, s.group_id, s.school_id, row.subject),
                        required=f"≥{row.count}人（需求）",
                        actual=f"{have}人（新流入+在岗）",
                        ok=have >= row.count,
                        minimum=row.count,
                        count=have,
                    )
                )
    return checks


def describe(d: District, inst: RuleInstance) -> str:
    """The junior-stage candidates of the group against the subjects or demand required."""
    assert inst.school_id is not None
    school = d.school(inst.school_id)
    policy = d.policy.for_group(school.group_id)
    pool = [
        t
        for t in candidates_for(d, school)
        if d.status(t.teacher_id).teaching_stage == TeachingStage.JUNIOR
    ]
    exam = [t for t in pool if t.subject in policy.exam_subjects]
    if inst.subject is None:
        return (
            f"薄弱初中「{school.name}」只能流入考试计分科目教师：集团内可派往的符合条件初中教师{len(pool)}人，"
            f"其中考试科目{len(exam)}人" + (f"（{mix(exam)}）" if exam else "")
        )
    count = sum(
        r.count for r in d.demand if r.school_id == school.school_id and r.subject == inst.subject
    )
    ongoing = ongoing_junior_present(d, school.school_id)[inst.subject]
    same = sum(1 for t in pool if t.subject == inst.subject)
    return (
        f"薄弱初中「{school.name}」需要{inst.subject}教师{count}人，须由交流教师满足：在岗交流{ongoing}人，"
        f"集团内可派往的符合条件{inst.subject}初中教师{same}人"
    )


def precheck(d: District) -> list[str]:
    """An exam-subject demand row at a weak junior high that no one could come to cover."""
    messages = []
    for row in d.demand:
        school = d.school(row.school_id)
        policy = d.policy.for_group(school.group_id)
        if not is_weak_junior(school) or row.subject not in policy.exam_subjects:
            continue
        need = row.count - ongoing_junior_present(d, school.school_id)[row.subject]
        can = mobility(d).can_come[school.school_id][row.subject, TeachingStage.JUNIOR]
        if need > can:
            messages.append(
                f"薄弱初中「{school.name}」还须交流{row.subject}教师{need}人，"
                f"但可派往该校的符合条件{row.subject}初中教师仅{can}人"
            )
    return messages


RULE = Rule(
    id=ID,
    name="薄弱初中考试科目",
    sentence="流入薄弱初中的教师任教考试计分科目，考试科目需求由交流教师满足",
    parameters=("exam_inflow_only", "exam_subjects"),
    check=check,
    describe=describe,
    precheck=precheck,
    relax_priority=8,
)
