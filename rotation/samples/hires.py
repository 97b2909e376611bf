"""HR's yearly changes for simulated school years: new hires for retirees, new backbone teachers.

A bureau's next-year workbook gets its new teachers from HR (本校连续任教年限 0) and its 骨干
list from the yearly appointments; a simulation has no HR, so each teacher who retired is
replaced by one new hire of the same school, subject and teaching stage, aged 24 to 30 in the
plan year, and each backbone teacher who retired by a colleague of the same school appointed to
the same level. Deterministic for a seed and plan year.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from models.district import District
from models.entities import Teacher
from models.vocab import Gender

#: Youngest age at which a colleague is appointed backbone in a retiree's place.
BACKBONE_AGE = 35


def new_hires(district: District, retired: Sequence[Teacher], seed: int) -> list[Teacher]:
    """One new teacher per retiree, for `district`'s plan year (ids NEW{year}-{n:05d})."""
    year = district.plan_year
    rng = random.Random(f"hires-{seed}-{year}")
    return [
        Teacher(
            teacher_id=f"NEW{year}-{n:05d}",
            name=f"新教师{year}-{n}",
            school_id=old.school_id,
            subject=old.subject,
            gender=Gender.FEMALE if rng.random() < 0.7 else Gender.MALE,
            birth_year=year - rng.randint(24, 30),
            years_at_school=0,
            teaching_stage=old.teaching_stage,
        )
        for n, old in enumerate(retired, start=1)
    ]


def appointed(district: District, retired: Sequence[Teacher], seed: int) -> list[Teacher]:
    """`district`'s teachers, one colleague of each retired backbone teacher's school appointed
    to that level (when the school has anyone old enough who is not backbone yet)."""
    rng = random.Random(f"backbone-{seed}-{district.plan_year}")
    teachers = {t.teacher_id: t for t in district.teachers}
    oldest = district.plan_year - BACKBONE_AGE
    for old in retired:
        if old.backbone is None:
            continue
        pool = [
            t.teacher_id
            for t in district.teachers_of_school(old.school_id)
            if t.birth_year <= oldest and teachers[t.teacher_id].backbone is None
        ]
        if pool:
            tid = rng.choice(pool)
            teachers[tid] = teachers[tid].model_copy(update={"backbone": old.backbone})
    return list(teachers.values())


def with_hires(district: District, retired: Sequence[Teacher], seed: int) -> District:
    """`district` (next year's) with every retiree of the year before replaced: new hires and
    backbone appointments."""
    hires = new_hires(district, retired, seed)
    return district.replace(teachers=(*appointed(district, retired, seed), *hires))
