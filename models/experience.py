"""Rotation experience that promotion needs (issue 15): who lacks it, in words, and where it
comes from.

Minhang counts two years of rotation within the group towards promotion to school leadership
(干部) and teaching at two or more schools towards professional titles (职称); the thresholds
are the policy's `promotion_rotation_years` and `promotion_schools`. A teacher's experience is
two optional 教师 columns (`Teacher.rotation_years_done`, `Teacher.schools_taught`), typed by
HR or filled from the records' rotation history by `with_experience`. Unknown (blank)
experience never counts as lacking: the goal then says nothing about that teacher.
"""

from __future__ import annotations

from collections.abc import Mapping

from models.district import District
from models.entities import Teacher
from models.policy import Policy
from models.problems import InputError, Problem

#: What the records layer knows of one teacher: (years rotated, schools taught incl. home).
Experience = tuple[int, int]


def lacks_promotion_experience(teacher: Teacher, policy: Policy) -> bool:
    """Fewer rotation years or fewer schools than promotion needs, as far as is known."""
    years, schools = teacher.rotation_years_done, teacher.schools_taught
    return (years is not None and years < policy.promotion_rotation_years) or (
        schools is not None and schools < policy.promotion_schools
    )


def promotion_reason(teacher: Teacher, policy: Policy) -> str | None:
    """The 入选理由 line for a chosen teacher who lacks the experience while the goal is on,
    e.g. 尚缺晋升所需交流经历（已交流1年、任教1所学校；要求2年、2所）; else None."""
    if policy.weight_promotion_experience <= 0 or not lacks_promotion_experience(teacher, policy):
        return None
    known = []
    if teacher.rotation_years_done is not None:
        known.append(f"已交流{teacher.rotation_years_done}年")
    if teacher.schools_taught is not None:
        known.append(f"任教{teacher.schools_taught}所学校")
    required = f"要求{policy.promotion_rotation_years}年、{policy.promotion_schools}所"
    return f"尚缺晋升所需交流经历（{'、'.join(known)}；{required}）"


def with_experience(district: District, experience: Mapping[str, Experience]) -> District:
    """The district with each listed teacher's experience filled in from rotation history.

    `experience` maps teacher_id → (years rotated, schools taught), both as of the plan year's
    start: years = school years spent at a host school on rotations (ended or running) before
    the plan year; schools = distinct schools taught at, the home school included (so at least
    1). The records layer computes it from its stored 在岗交流 history and calls this before
    planning. Listed values replace what the workbook said; teachers not listed keep theirs
    (blank = unknown); ids not in the district are ignored (the teacher has left). Values out
    of the columns' ranges raise InputError naming the teacher, as the reader would.
    """
    if not experience:
        return district
    teachers = []
    problems = []
    for t in district.teachers:
        known = experience.get(t.teacher_id)
        if known is None:
            teachers.append(t)
            continue
        values = dict(zip(_FIELDS, known, strict=True))
        for name, value in values.items():
            low, high = _bounds(name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                header = Teacher.columns()[name]
                message = f"教师{t.teacher_id}的{header}「{value}」应为 {low} 到 {high} 的整数"
                problems.append(
                    Problem(sheet=Teacher.SHEET, row=t.row, column=header, message=message)
                )
        teachers.append(t.model_copy(update=values))
    if problems:
        raise InputError(problems)
    return district.replace(teachers=tuple(teachers))


_FIELDS = ("rotation_years_done", "schools_taught")


def _bounds(name: str) -> tuple[int, int]:
    """A column's allowed range, from its field (no second copy of the numbers)."""
    metadata = Teacher.model_fields[name].metadata
    low = next(m.ge for m in metadata if hasattr(m, "ge"))
    high = next(m.le for m in metadata if hasattr(m, "le"))
    return int(low), int(high)


def experience_after_year(teacher: Teacher, away: bool, new_school: bool) -> dict[str, int]:
    """The experience fields a year on (models.advance): a year spent at a host adds a rotation
    year, a rotation starting this year adds a school. Unknown stays unknown."""
    update: dict[str, int] = {}
    if away and teacher.rotation_years_done is not None:
        update["rotation_years_done"] = teacher.rotation_years_done + 1
    if new_school and teacher.schools_taught is not None:
        update["schools_taught"] = teacher.schools_taught + 1
    return update
