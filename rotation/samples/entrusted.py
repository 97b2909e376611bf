"""A synthetic district built from Shanghai's second round of entrusted management (SPEC §8).

``scenarios/shanghai_entrusted_pairs_2021.csv`` (copied from the shared reference data) lists the
38 aided schools (受援学校) of the 2021 round and the unit supporting each (支援单位). The sample
district built from it:

* **groups** — one per Shanghai district (区) with a school in the file, in order of first
  appearance: the aided schools of 宝山区 form one group, the supporting schools of 杨浦区
  another, 闵行区 has both. Each group's lead is the non-weak school sharing a stage with most of
  the group (the first school when all are weak). Aided schools are the group's weak schools.
* **supporting units that are not schools** (上海名师培训中心, 静安区教育学会, 成功教育管理咨询中心,
  闵行区教育评估事务所, …) are rows of the 学校 sheet in one extra group, 非学校支援单位组 (id
  ``DW``), whose staff (教师 rows) are exactly the residents they can station. A unit supporting
  schools of one stage has that stage, otherwise 九年一贯 (it stations primary and junior staff,
  each row saying its 任教学段). A supporting *school* whose own stage cannot teach at the aided
  school (晋元高级中学, a senior high, supports the junior 金水苑中学) is modelled the same way.
* **stages** follow the names (…小学, …中心校 → 小学; …中学, …初级中学 → 初中; …学校 → 九年一贯;
  高级中学 → 高中), except 莘庄中学 (a senior high) and 第二体育运动学校 (taken as senior high, the
  stage of the school supporting it).
* **teachers** of the real schools are drawn by `rotation.samples.generate.generate_for_layout` (subject
  mix, ages, backbone, deferrals, ongoing exchanges, weak-school demand, applications).
* **resident pools**: for each pair the supporting school or unit has four more eligible
  teachers of distinct subjects (exam subjects for a junior high) of a stage both places teach:
  a 干部 team leader, two backbone subject leaders and one more — the team the bureau names for
  that school. For every other pair a fifth (干部) has been stationed there since last year (an
  ongoing 托管常驻 rotation, 2024–2026) and counts towards this year's residents.
* **托管 pairs** use SPEC's defaults: at least 3 residents, at least 1 of them 干部.

`entrusted_policy` gives the parameters the bundled scenario uses (the rule defaults, with a
subject-balance tolerance of 1 because residents leave one group for another, 10 for the units
that have no classes, and no rotation quota for groups made only of aided schools).
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from models import District, EntrustedPair, Group, OngoingRotation, Policy, PolicySet, School
from models.entities import Teacher
from models.vocab import STAGES_HOSTED, GroupType, OngoingKind, Stage, TeachingStage
from rotation.samples.generate import generate_for_layout

__all__ = [
    "ENTRUSTED_CSV",
    "UNITS_GROUP",
    "entrusted_policy",
    "generate_entrusted_district",
    "read_pairs",
]

ENTRUSTED_CSV = (
    Path(__file__).resolve().parents[2] / "scenarios" / "shanghai_entrusted_pairs_2021.csv"
)

#: Short ids of the districts (group ids and school id prefixes).
DISTRICT_CODES: dict[str, str] = {
    "宝山区": "BS",
    "闵行区": "MH",
    "嘉定区": "JD",
    "金山区": "JS",
    "松江区": "SJ",
    "青浦区": "QP",
    "奉贤区": "FX",
    "崇明区": "CM",
    "杨浦区": "YP",
    "黄浦区": "HP",
    "徐汇区": "XH",
    "普陀区": "PT",
    "静安区": "JA",
    "长宁区": "CN",
    "浦东区": "PD",
    "虹口区": "HK",
}
#: Approximate centre (lon, lat) of each district, for commute distances.
_CENTRES: dict[str, tuple[float, float]] = {
    "宝山区": (121.489, 31.405),
    "闵行区": (121.382, 31.113),
    "嘉定区": (121.266, 31.375),
    "金山区": (121.342, 30.742),
    "松江区": (121.228, 31.032),
    "青浦区": (121.124, 31.150),
    "奉贤区": (121.474, 30.918),
    "崇明区": (121.397, 31.623),
    "杨浦区": (121.526, 31.260),
    "黄浦区": (121.485, 31.232),
    "徐汇区": (121.437, 31.188),
    "普陀区": (121.396, 31.249),
    "静安区": (121.448, 31.229),
    "长宁区": (121.424, 31.220),
    "浦东区": (121.544, 31.222),
    "虹口区": (121.505, 31.265),
}
UNITS_GROUP = "DW"
UNITS_GROUP_NAME = "非学校支援单位组"

#: Words naming a unit that is not a school.
_NON_SCHOOL = ("培训中心", "教育学会", "咨询中心", "事务所", "研发与评估中心")
#: Stages the names do not tell (see the module docstring).
_STAGE_OF: dict[str, Stage] = {
    "莘庄中学": Stage.SENIOR,
    "晋元高级中学": Stage.SENIOR,
    "第二体育运动学校": Stage.SENIOR,
}
_UNIT_STAGE = {
    TeachingStage.PRIMARY: Stage.PRIMARY,
    TeachingStage.JUNIOR: Stage.JUNIOR,
    TeachingStage.SENIOR: Stage.SENIOR,
    TeachingStage.VOCATIONAL: Stage.VOCATIONAL,
}
#: Subjects of a unit's resident team, by the stage it teaches at the aided school.
_TEAM_SUBJECTS: dict[TeachingStage, tuple[str, ...]] = {
    TeachingStage.PRIMARY: ("语文", "数学", "英语", "科学", "道德与法治", "体育"),
    TeachingStage.JUNIOR: ("语文", "数学", "英语", "物理", "化学", "历史"),
    TeachingStage.SENIOR: ("语文", "数学", "英语", "物理", "化学", "历史"),
    TeachingStage.VOCATIONAL: ("语文", "数学", "英语", "计算机应用", "体育", "历史"),
}
_TEAM_SIZE = 4
_TEAM_ROLES = (("市级骨干", True), ("学科带头人", False), ("区级骨干", False), (None, False))
_SURNAMES = "张王陈李徐朱周沈陆顾钱吴胡杨黄蒋金施孙曹姚俞汪倪潘许郁唐宋范毛刘赵马高龚袁叶"
_GIVEN = "伟强磊军勇杰涛斌敏静丽艳娟霞燕玲婷雪琳洁慧颖佳倩华春月兰凤菁蓉婕岚明刚平辉鹏"


@dataclass(frozen=True)
class PairRow:
    """One line of the reference file."""

    no: int
    aided_district: str
    aided_school: str
    supporting_district: str
    supporting_unit: str


def read_pairs(path: Path = ENTRUSTED_CSV) -> list[PairRow]:
    """The pairs of the reference file, in its order."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            PairRow(
                no=int(row["no"]),
                aided_district=row["aided_district"].strip(),
                aided_school=row["aided_school"].strip(),
                supporting_district=row["supporting_district"].strip(),
                supporting_unit=row["supporting_unit"].strip(),
            )
            for row in csv.DictReader(handle)
        ]


def stage_of(name: str) -> Stage:
    """The stage a school's name tells (see the module docstring)."""
    if name in _STAGE_OF:
        return _STAGE_OF[name]
    if "小学" in name or name.endswith("中心校"):
        return Stage.PRIMARY
    if "高级中学" in name:
        return Stage.SENIOR
    if name.endswith("学校"):
        return Stage.NINE_YEAR
    if "中学" in name or name.endswith("二中"):
        return Stage.JUNIOR
    raise ValueError(f"{ENTRUSTED_CSV.name}: cannot tell the stage of {name!r}")


def _full_name(district: str, name: str) -> str:
    """A name as the sample shows it: the district in front unless the name has a place already."""
    if name.startswith(("上海", district, district.removesuffix("区"))):
        return name
    return f"{district}{name}"


def _shared_stage(a: Stage, b: Stage) -> bool:
    return bool(STAGES_HOSTED[a] & STAGES_HOSTED[b])


@dataclass
class _Place:
    """A school or unit being laid out."""

    key: tuple[str, str]  # (district, name as in the file)
    district: str
    name: str
    stage: Stage
    weak: bool
    unit: bool
    school_id: str = ""
    group_id: str = ""
    aided: list[_Place] = field(default_factory=list)  # what it supports


def _layout(pairs: list[PairRow]) -> tuple[list[_Place], list[_Place]]:
    """The real schools (aided and supporting, by district) and the units, ids assigned."""
    places: dict[tuple[str, str], _Place] = {}
    for p in pairs:
        key = (p.aided_district, p.aided_school)
        if key not in places:
            places[key] = _Place(
                key, p.aided_district, p.aided_school, stage_of(p.aided_school), True, False
            )
    for p in pairs:
        key = (p.supporting_district, p.supporting_unit)
        aided = places[(p.aided_district, p.aided_school)]
        if key not in places:
            non_school = any(word in p.supporting_unit for word in _NON_SCHOOL)
            stage = Stage.NINE_YEAR if non_school else stage_of(p.supporting_unit)
            places[key] = _Place(
                key, p.supporting_district, p.supporting_unit, stage, False, non_school
            )
        support = places[key]
        if support.weak:
            raise ValueError(
                f"{ENTRUSTED_CSV.name}: {p.supporting_unit} is both aided and supporting"
            )
        support.aided.append(aided)
    for place in places.values():  # a school that cannot teach where it supports acts as a unit
        if not all(_shared_stage(place.stage, a.stage) for a in place.aided):
            place.unit = True
    units = [p for p in places.values() if p.unit]
    for place in units:  # the stage of the staff it stations; 九年一贯 takes primary and junior
        stages = {_team_stage(Stage.NINE_YEAR, a.stage) for a in place.aided}
        place.stage = _UNIT_STAGE[next(iter(stages))] if len(stages) == 1 else Stage.NINE_YEAR
    schools = [p for p in places.values() if not p.unit]
    counters: Counter[str] = Counter()
    for place in schools:
        code = DISTRICT_CODES[place.district]
        counters[code] += 1
        place.school_id = f"{code}{counters[code]:02d}"
        place.group_id = code
    for n, place in enumerate(units, 1):
        place.school_id = f"{UNITS_GROUP}{n:02d}"
        place.group_id = UNITS_GROUP
    return schools, units


def _team_stage(support: Stage, aided: Stage) -> TeachingStage:
    """The teaching stage of the residents stationed at an aided school: one both places teach,
    junior high when there is a choice (aided nine-year schools mostly ask for junior help)."""
    common = STAGES_HOSTED[support] & STAGES_HOSTED[aided]
    if TeachingStage.JUNIOR in common:
        return TeachingStage.JUNIOR
    return sorted(common)[0]


def _groups(schools: list[_Place], units: list[_Place]) -> list[Group]:
    by_group: dict[str, list[_Place]] = {}
    for place in schools:
        by_group.setdefault(place.group_id, []).append(place)
    groups = []
    for n, (gid, members) in enumerate(by_group.items()):
        district = members[0].district
        kinds = {m.weak for m in members}
        label = "受援学校组" if kinds == {True} else "支援学校组" if kinds == {False} else "学校组"

        def partners(m: _Place, members: list[_Place] = members) -> int:
            return sum(1 for o in members if _shared_stage(m.stage, o.stage))

        strong = [m for m in members if not m.weak] or members
        lead = max(strong, key=lambda m: (partners(m), -members.index(m)))
        groups.append(
            Group(
                group_id=gid,
                name=f"{district}{label}",
                lead_school_id=lead.school_id,
                type=GroupType.DISTRICT,
                row=n + 2,
            )
        )
    if units:
        groups.append(
            Group(
                group_id=UNITS_GROUP,
                name=UNITS_GROUP_NAME,
                lead_school_id=units[0].school_id,
                row=len(groups) + 2,
            )
        )
    return groups


def _school_rows(places: list[_Place]) -> list[School]:
    jitter = random.Random(2021)  # fixed: positions do not depend on the seed
    rows = []
    for n, place in enumerate(places):
        lon, lat = _CENTRES[place.district]
        bearing, km = jitter.uniform(0, 360), 6 * math.sqrt(jitter.random())
        dlat = km * math.cos(math.radians(bearing)) / 111.0
        dlon = km * math.sin(math.radians(bearing)) / (111.0 * math.cos(math.radians(lat)))
        rows.append(
            School(
                school_id=place.school_id,
                name=_full_name(place.district, place.name),
                group_id=place.group_id,
                stage=place.stage,
                weak=place.weak,
                lon=round(lon + dlon, 5),
                lat=round(lat + dlat, 5),
                row=n + 2,
            )
        )
    return rows


def _weight(place: _Place) -> float:
    size = 1.3 if place.stage == Stage.NINE_YEAR else 1.0
    return size * (0.75 if place.weak else 1.15)


class _Teams:
    """The resident pools: four teachers per pair at the supporting school or unit."""

    def __init__(self, district: District, rng: random.Random) -> None:
        self.d = district
        self.rng = rng
        self.year = district.plan_year
        self.tenure = district.policy.district.min_tenure_years
        self.extra: list[Teacher] = []
        self.ongoing: list[OngoingRotation] = list(district.ongoing)

    def pool(self, home: School, aided: School, with_ongoing: bool) -> None:
        """Four eligible teachers of distinct subjects (exam subjects for a junior high) whom
        `home` may station at `aided`: a 干部 team leader, two backbone subject leaders and one
        more; with `with_ongoing`, a fifth who has been stationed there since last year."""
        stage = _team_stage(home.stage, aided.stage)
        subjects = list(_TEAM_SUBJECTS[stage])
        first = self.rng.randrange(len(subjects))
        roles: list[tuple[str | None, bool]] = list(_TEAM_ROLES)
        if with_ongoing:
            roles.append(("区级骨干", True))
        for k, (backbone, manager) in enumerate(roles):
            n = len(self.extra) + 1
            age = self.rng.randint(33, 47)
            t = Teacher(
                teacher_id=f"SHR{n:04d}",
                name=self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN) + self.rng.choice(_GIVEN),
                school_id=home.school_id,
                subject=subjects[(first + k) % len(subjects)],
                gender="女" if self.rng.random() < 0.6 else "男",
                birth_year=self.year - age,
                years_at_school=self.rng.randint(7, min(18, age - 23)),
                title="高级教师" if backbone else "一级教师",
                backbone=backbone,
                management=manager,
                teaching_stage=stage if home.stage == Stage.NINE_YEAR else None,
                row=len(self.d.teachers) + n + 1,
            )
            self.extra.append(t)
            if k == len(_TEAM_ROLES):  # the fifth: stationed since last year
                start = self.year - 1
                self.ongoing.append(
                    OngoingRotation(
                        teacher_id=t.teacher_id,
                        from_school_id=home.school_id,
                        to_school_id=aided.school_id,
                        start_year=start,
                        end_year=start + self.tenure - 1,
                        kind=OngoingKind.ENTRUSTED,
                        row=len(self.ongoing) + 2,
                    )
                )


def generate_entrusted_district(
    teachers: int = 3000, seed: int = 1, plan_year: int = 2025
) -> District:
    """The Shanghai entrusted-management sample: `teachers` staff the real schools; the resident
    pools (four per pair, a fifth already stationed for every other pair) come on top. Same
    arguments, same district.
    The policy is the default rule set; the bundled scenario applies `entrusted_policy`."""
    pairs = read_pairs()
    schools, units = _layout(pairs)
    school_rows = _school_rows(schools)
    unit_rows = _school_rows(units)
    groups = _groups(schools, units)
    real_groups = [g for g in groups if g.group_id != UNITS_GROUP]
    base = generate_for_layout(
        "上海市精准委托管理（第二轮，模拟）",
        "SHT",
        real_groups,
        school_rows,
        [_weight(p) for p in schools],
        teachers=teachers,
        seed=seed,
        plan_year=plan_year,
    )
    district = base.replace(groups=tuple(groups), schools=tuple(school_rows) + tuple(unit_rows))
    by_key = {p.key: p for p in schools + units}
    rows = {s.school_id: s for s in district.schools}
    teams = _Teams(district, random.Random(seed * 7919 + 11))
    entrusted: list[EntrustedPair] = []
    for n, p in enumerate(pairs):
        home = rows[by_key[(p.supporting_district, p.supporting_unit)].school_id]
        aided = rows[by_key[(p.aided_district, p.aided_school)].school_id]
        teams.pool(home, aided, with_ongoing=n % 2 == 1)
        entrusted.append(
            EntrustedPair(
                supporting_school_id=home.school_id,
                aided_school_id=aided.school_id,
                min_residents=3,
                min_managers=1,
                row=n + 2,
            )
        )
    return district.replace(
        teachers=district.teachers + tuple(teams.extra),
        ongoing=tuple(teams.ongoing),
        entrusted=tuple(entrusted),
    )


def entrusted_policy(plan_year: int) -> PolicySet:
    """The parameters of the bundled entrusted scenario: the rule defaults, except

    * ``subject_balance_tolerance`` 1: residents leave their group for another, so the supporting
      school is one teacher short, and the aided school one over, in each resident's subject
      (a team of distinct subjects keeps every school within ±1);
    * 10 in the units group, which has no classes to keep staffed;
    * ``min_rotation_ratio`` 0 in the groups made only of aided schools: they receive resident
      teams; exchanges among weak schools are not what the programme is for, and their own
      districts count their rotations.
    """
    pairs = read_pairs()
    aided_only = {DISTRICT_CODES[p.aided_district] for p in pairs} - {
        DISTRICT_CODES[p.supporting_district] for p in pairs
    }
    overrides: dict[str, dict[str, Any]] = {
        code: {"min_rotation_ratio": Decimal(0)} for code in sorted(aided_only)
    }
    overrides[UNITS_GROUP] = {"subject_balance_tolerance": 10}
    return PolicySet(
        district=Policy(plan_year=plan_year, subject_balance_tolerance=1),
        group_overrides=overrides,
    )
