"""Synthetic districts for the demo, tests and benchmarks (SPEC §8): teacher-level data is not public.

Two group structures:

* ``ganzhou`` — the real group structure of Ganzhou District (Zhangye, Gansu), read from the bundled
  ``scenarios/ganzhou_groups.csv``: 6 groups, 43 schools, real names and lead schools; the rural
  township central schools (乡镇中心学校) are the weak schools.
* ``minhang`` — a Minhang-like (Shanghai) district with synthetic names, scaled with the teacher
  count (about 75 teachers a school, 3–8 schools a group), mostly single-stage groups.

Teachers follow published shapes: the subject mix of the 2022 compulsory-education curriculum
(义务教育课程方案（2022年版）) weekly hours, 10–20% backbone teachers, a median age of 38–39,
and years at school spread so that 30–50% are eligible under the default rules. Ongoing
rotations (交流轮岗 of the last three years) and demand rows (需求) are placed so that the default
rules can typically be met: every weak school that must take a team (it has demand, or a teacher
hosted there returns home this year) has a team's worth of eligible teachers reserved at a school
it may swap with, subject by subject, so rotation stays an exchange (subject_balance).

Everything is drawn from one ``random.Random(seed)``: the same arguments give the same district.
"""

from __future__ import annotations

import csv
import math
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate, count
from pathlib import Path
from typing import Generic, TypeVar

from models import (
    Demand,
    District,
    Group,
    ItinerantDemand,
    OngoingRotation,
    Policy,
    PolicySet,
    School,
    Teacher,
)
from models.policy import DEFAULT_EXAM_SUBJECTS
from models.vocab import (
    STAGES_HOSTED,
    FlowDirection,
    Gender,
    GroupType,
    OngoingKind,
    RatioBase,
    RatioScope,
    Stage,
    TeachingStage,
)
from rotation.memory import paused_cycle_collection

__all__ = [
    "GANZHOU_CSV",
    "GANZHOU_MIXED_GROUP",
    "STRUCTURES",
    "SUBJECT_MIX",
    "ganzhou_policy",
    "generate_district",
    "generate_for_layout",
    "itinerant_demand",
]

STRUCTURES: tuple[str, ...] = ("ganzhou", "minhang")

#: The real group structure of Ganzhou District (copied from the shared reference data).
GANZHOU_CSV = Path(__file__).resolve().parents[2] / "scenarios" / "ganzhou_groups.csv"

T = TypeVar("T")


class _Pick(Generic[T]):
    """A weighted choice, drawn with one `random()` call (cumulative weights, bisect)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        kept = [(item, weight) for item, weight in pairs if weight > 0]
        if not kept:
            raise ValueError("nothing to choose from")
        self.items = [item for item, _ in kept]
        self.cum = list(accumulate(weight for _, weight in kept))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


# -- teachers: subjects, ages, titles, names -----------------------------------------------------

#: Share of teachers by subject and teaching stage (weights, not percentages). Primary and junior
#: follow the 2022 curriculum plan's weekly periods per grade (语文 20–22% of all periods, 数学
#: 13–15%, 外语 6–8% from grade 3, 体育与健康 10–11%, 艺术 9–11%, 科学, 信息科技 from grade 3,
#: 劳动 and 综合实践活动 one period each), adjusted for class teachers teaching more periods and
#: 道德与法治 often being taught by them. Senior high follows the 2017/2020 senior curriculum;
#: vocational schools add their specialities (Zhangye: farming, preschool care, tourism…).
SUBJECT_MIX: dict[TeachingStage, tuple[tuple[str, float], ...]] = {
    TeachingStage.PRIMARY: (
        ("语文", 30),
        ("数学", 22),
        ("英语", 9),
        ("道德与法治", 4),
        ("科学", 6),
        ("体育", 9),
        ("音乐", 5),
        ("美术", 5),
        ("信息科技", 3),
        ("劳动", 2),
        ("综合实践活动", 2),
    ),
    TeachingStage.JUNIOR: (
        ("语文", 15),
        ("数学", 15),
        ("英语", 13),
        ("道德与法治", 6),
        ("历史", 5),
        ("地理", 4),
        ("物理", 6),
        ("化学", 4),
        ("生物学", 4),
        ("体育", 8),
        ("音乐", 3),
        ("美术", 3),
        ("信息科技", 3),
        ("劳动", 1),
        ("综合实践活动", 1),
    ),
    TeachingStage.SENIOR: (
        ("语文", 12),
        ("数学", 12),
        ("英语", 12),
        ("思想政治", 6),
        ("历史", 6),
        ("地理", 5),
        ("物理", 9),
        ("化学", 7),
        ("生物学", 6),
        ("信息技术", 3),
        ("通用技术", 2),
        ("体育", 7),
        ("音乐", 2),
        ("美术", 2),
        ("心理健康", 1),
    ),
    TeachingStage.VOCATIONAL: (
        ("语文", 7),
        ("数学", 6),
        ("英语", 5),
        ("思想政治", 4),
        ("历史", 2),
        ("体育", 4),
        ("信息技术", 5),
        ("音乐", 1),
        ("美术", 2),
        ("计算机应用", 9),
        ("机电技术应用", 7),
        ("汽车运用与维修", 6),
        ("电子技术应用", 5),
        ("会计事务", 5),
        ("幼儿保育", 6),
        ("旅游服务与管理", 4),
        ("现代农艺技术", 5),
        ("畜禽生产技术", 2),
    ),
}
_SUBJECTS = {stage: _Pick(mix) for stage, mix in SUBJECT_MIX.items()}
_EXAM = frozenset(DEFAULT_EXAM_SUBJECTS)

#: Subjects rural and new schools most often lack (weights for the subjects of a team they get).
_SHORTAGE = {"英语": 3.0, "音乐": 2.5, "美术": 2.5, "体育": 2.0, "科学": 2.0, "信息科技": 2.0}

#: Share of women by teaching stage, and factors for subjects that lean one way.
_FEMALE = {
    TeachingStage.PRIMARY: 0.78,
    TeachingStage.JUNIOR: 0.63,
    TeachingStage.SENIOR: 0.52,
    TeachingStage.VOCATIONAL: 0.48,
}
_FEMALE_FACTOR = {
    "体育": 0.45,
    "物理": 0.6,
    "信息科技": 0.7,
    "信息技术": 0.6,
    "通用技术": 0.5,
    "机电技术应用": 0.3,
    "汽车运用与维修": 0.2,
    "电子技术应用": 0.4,
    "畜禽生产技术": 0.6,
    "英语": 1.15,
    "音乐": 1.1,
    "美术": 1.05,
    "幼儿保育": 1.25,
}

#: Ages of full-time teachers (weights per band, spread evenly inside it): median about 39.
_AGE_BANDS = (
    (23, 29, 21.0),
    (30, 34, 15.0),
    (35, 39, 15.0),
    (40, 44, 15.0),
    (45, 49, 15.0),
    (50, 54, 14.0),
    (55, 59, 5.0),
)
_AGES = _Pick((age, w / (hi - lo + 1)) for lo, hi, w in _AGE_BANDS for age in range(lo, hi + 1))
#: Age at the first teaching post: 专科 21, 本科 22–23, 研究生 25.
_START_AGE = _Pick(((21, 0.15), (22, 0.55), (23, 0.15), (25, 0.15)))

#: Years at the current school: a share has never moved, the others moved some years ago.
_NEVER_MOVED = 0.33
_MEAN_STAY = 6.0

_BACKBONE_RATE = 0.17  # for teachers with ≥5 years' service, before the school factor
_BACKBONE_LEVELS = (("区级骨干", 0, 70.0), ("市级骨干", 32, 20.0), ("学科带头人", 35, 8.0))
_MASTER_TEACHER = "特级教师"  # only from 45, 3% of backbone teachers of that age
#: Backbone level pickers by age: below 32, 32–34, 35 and over.
_LEVELS = {
    age: _Pick((level, w) for level, min_age, w in _BACKBONE_LEVELS if age >= min_age)
    for age in (0, 32, 35)
}

_DEFERRALS_YOUNG_MOTHER = ("孕期", "哺乳期")
_ONGOING_SHARE = 0.03
_MAX_HOSTED_SHARE = 0.08  # of the host's own staff
_WEAK_DEMAND_SHARE = 0.6
_OTHER_DEMAND_SHARE = 0.06

_SURNAMES_NORTHWEST = (
    "王张李刘杨赵马陈何郭吴周孙徐魏朱高胡罗梁韩宋唐冯董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷"
    "钱汤尹易常武乔贺赖龚文祁鲁"
)
_SURNAMES_SHANGHAI = (
    "张王陈李徐朱周沈陆顾钱吴胡杨黄蒋金施孙曹姚俞汪倪潘许郁唐宋范毛刘赵马高龚袁叶吕丁杜"
    "戴夏程严蔡方秦邵孔谢罗郭何韩傅冯庄费奚瞿邬归"
)
_GIVEN_FIRST = "晓小嘉思子雨一文志建国海春秀丽家佳俊天梦欣雅雪宏永立振玉红"
_GIVEN_FEMALE = (
    "芳娜敏静丽艳娟霞燕玲婷雪琳洁慧颖佳倩晶红梅莉萍琴蕾瑶欣悦怡璐楠丹妍琪雯薇秀英华春月兰凤菁蓉婕岚"
)
_GIVEN_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆峰林东亮宁龙志建国海成兵毅博晨阳旭锋翔"
)


def _surnames(text: str) -> _Pick[str]:
    """Surnames in frequency order, drawn with Zipf-like weights."""
    names = list(dict.fromkeys(text))
    return _Pick((name, 1.0 / (rank + 4)) for rank, name in enumerate(names))


def _name(rng: random.Random, surnames: _Pick[str], female: bool) -> str:
    pool = _GIVEN_FEMALE if female else _GIVEN_MALE
    given = rng.choice(pool)
    if rng.random() < 0.6:
        given = rng.choice(_GIVEN_FIRST) + given
    return surnames(rng) + given


def _title(rng: random.Random, service: int) -> str | None:
    """职称 by years of service (None = 未定级, in the probation year)."""
    r = rng.random()
    if service <= 1:
        return None if r < 0.6 else "三级教师"
    if service <= 5:
        return "二级教师" if r < 0.85 else "三级教师" if r < 0.95 else "一级教师"
    if service <= 12:
        return "二级教师" if r < 0.35 else "一级教师"
    if service <= 20:
        return "二级教师" if r < 0.08 else "一级教师" if r < 0.85 else "高级教师"
    if r < 0.6:
        return "一级教师"
    return "正高级教师" if r > 0.995 and service >= 25 else "高级教师"


_TITLE_UP = {
    None: "一级教师",
    "三级教师": "一级教师",
    "二级教师": "一级教师",
    "一级教师": "高级教师",
}


# -- structures ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """A district's groups and schools, with each school's relative size."""

    name: str
    prefix: str
    groups: list[Group]
    schools: list[School]
    weights: list[float]
    surnames: _Pick[str]


_KM_PER_DEG_LAT = 111.0


def _offset(lon: float, lat: float, bearing: float, km: float) -> tuple[float, float]:
    """The point `km` away in direction `bearing` (degrees clockwise from north)."""
    rad = math.radians(bearing)
    dlat = km * math.cos(rad) / _KM_PER_DEG_LAT
    dlon = km * math.sin(rad) / (_KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lon + dlon, 5), round(lat + dlat, 5)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km between (lon, lat) points (equirectangular; fine within a district)."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * _KM_PER_DEG_LAT * math.cos(mean_lat)
    dy = (a[1] - b[1]) * _KM_PER_DEG_LAT
    return math.hypot(dx, dy)


GANZHOU_CENTRE = (100.45, 38.93)

#: stage_note of the reference file → stage of the school, and relative size.
_GANZHOU_NOTES: dict[str, tuple[Stage, float]] = {
    "小学": (Stage.PRIMARY, 1.5),
    "城区小学": (Stage.PRIMARY, 1.5),
    "九年一贯制学校小学部": (Stage.PRIMARY, 1.2),
    "独立初中": (Stage.JUNIOR, 1.8),
    "九年一贯制学校初中部": (Stage.JUNIOR, 1.0),
    "区属普通高中": (Stage.SENIOR, 3.0),
    "职业中学": (Stage.VOCATIONAL, 2.2),
    "乡镇中心学校": (Stage.PRIMARY, 0.8),  # runs the township's primary schools
    "城区": (Stage.NINE_YEAR, 2.4),  # 南关学校: a nine-year school in town
}
_GANZHOU_WEAK_NOTE = "乡镇中心学校"
_LEAD_SIZE = 1.25
#: The lead school's expected share of its group's teachers: under the default flow (lead ↔
#: member) and subject balance, every rotation is an exchange with the lead, so the lead sends
#: half of the group's rotations each year, and a lead teacher who rotates is out of the pool
#: for nine years (three away, six to qualify again). At 1.25× a member school (15-20 % of a
#: group) the lead ran out of eligible teachers in the fourth or fifth year; a Minhang-like lead
#: is the group's multi-campus flagship (一校多区) with about a third of its teachers. Ganzhou's
#: real groups keep 1.25× (BENCHMARKS.md, issue 13).
_LEAD_SHARE = 1 / 3


def _lead_factor(schools: int) -> float:
    """The lead's size relative to a member, so that it holds _LEAD_SHARE of a group of this
    many schools (never smaller than _LEAD_SIZE)."""
    return max(_LEAD_SIZE, _LEAD_SHARE * (schools - 1) / (1 - _LEAD_SHARE))


#: Approximate bearing (degrees from north) and distance (km) of each township from Zhangye city.
_GANZHOU_TOWNSHIPS: dict[str, tuple[float, float]] = {
    "新墩镇": (300, 10),
    "梁家墩镇": (140, 10),
    "上秦镇": (80, 11),
    "碱滩镇": (110, 16),
    "党寨镇": (160, 15),
    "长安镇": (190, 12),
    "小满镇": (210, 16),
    "大满镇": (185, 22),
    "龙渠乡": (215, 27),
    "安阳乡": (170, 30),
    "花寨乡": (155, 30),
    "三闸镇": (330, 12),
    "乌江镇": (10, 16),
    "靖安乡": (40, 20),
    "沙井镇": (295, 22),
    "甘浚镇": (255, 25),
    "明永镇": (310, 30),
}


def _campus(name: str) -> str:
    """The campus a school section belongs to: both sections of a nine-year school share it."""
    for part in ("（初中部）", "（小学部）", "甘州区", "张掖市"):
        name = name.replace(part, "")
    return name


def _ganzhou_layout() -> _Layout:
    """The real Ganzhou structure; coordinates and sizes do not depend on the seed."""
    with GANZHOU_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    place = random.Random(43)  # fixed: the structure is real, only the teachers are drawn
    group_ids: dict[str, str] = {}
    group_rows: dict[str, dict[str, str]] = {}
    campuses: dict[str, tuple[float, float]] = {}
    schools: list[School] = []
    weights: list[float] = []
    for i, row in enumerate(rows, start=1):
        gname = row["group_name"].strip()
        if gname not in group_ids:
            group_ids[gname] = f"GZG{len(group_ids) + 1}"
            group_rows[gname] = row
        note = row["stage_note"].strip()
        if note not in _GANZHOU_NOTES:
            raise ValueError(f"{GANZHOU_CSV.name}: unknown stage_note {note!r}")
        stage, size = _GANZHOU_NOTES[note]
        name = row["school"].strip()
        lead = name == row["lead_school"].strip()
        township = next((t for t in _GANZHOU_TOWNSHIPS if t in name), None)
        if township is not None:
            lon, lat = _offset(*GANZHOU_CENTRE, *_GANZHOU_TOWNSHIPS[township])
        elif note == _GANZHOU_WEAK_NOTE:
            lon, lat = _offset(*GANZHOU_CENTRE, place.uniform(0, 360), place.uniform(10, 30))
        else:
            key = _campus(name)
            if key not in campuses:
                bearing, km = place.uniform(0, 360), 4 * math.sqrt(place.random())
                campuses[key] = _offset(*GANZHOU_CENTRE, bearing, km)
            lon, lat = campuses[key]
        schools.append(
            School(
                school_id=f"GZ{i:02d}",
                name=name,
                group_id=group_ids[gname],
                stage=stage,
                weak=note == _GANZHOU_WEAK_NOTE,
                lon=lon,
                lat=lat,
                row=i + 1,
            )
        )
        weights.append(size * (_LEAD_SIZE if lead else 1.0))
    by_name = {s.name: s for s in schools}
    groups = []
    for n, (gname, gid) in enumerate(group_ids.items()):
        first = group_rows[gname]
        lead_school = by_name.get(first["lead_school"].strip())
        if lead_school is None or lead_school.group_id != gid:
            raise ValueError(f"{GANZHOU_CSV.name}: lead school of {gname} is not in the group")
        groups.append(
            Group(
                group_id=gid,
                name=gname,
                lead_school_id=lead_school.school_id,
                type=GroupType(first["group_type"].strip()),
                row=n + 2,
            )
        )
    return _Layout(
        "甘州区（模拟）", "GZT", groups, schools, weights, _surnames(_SURNAMES_NORTHWEST)
    )


MINHANG_CENTRE = (121.38, 31.11)
_MINHANG_RADIUS_KM = 15.0
_MINHANG_TEACHERS_PER_SCHOOL = 75
_MINHANG_WEAK_SHARE = 0.25
_WEAK_SIZE = 0.75  # weak schools are smaller

#: (town, lon, lat, place names used in school names, outer/newer area). Synthetic but plausible.
_MINHANG_TOWNS: tuple[tuple[str, float, float, tuple[str, ...], bool], ...] = (
    (
        "莘庄",
        121.385,
        31.111,
        ("莘庄", "莘松", "春申", "莘城", "东苑", "莘北", "沁春", "绿梅"),
        False,
    ),
    (
        "七宝",
        121.353,
        31.155,
        ("七宝", "明强", "航华", "九星", "沪星", "宝南", "新镇", "文来"),
        False,
    ),
    ("虹桥", 121.390, 31.180, ("虹桥", "龙柏", "虹梅", "井亭", "红松", "虹莘", "合川"), False),
    ("梅陇", 121.420, 31.130, ("梅陇", "罗阳", "景谷", "曹行", "许泾", "陇南", "梅莘"), False),
    (
        "古美",
        121.400,
        31.150,
        ("古美", "平阳", "平南", "万源", "田园", "东兰", "古龙", "莲花"),
        False,
    ),
    ("江川", 121.395, 31.010, ("江川", "汽轮", "紫竹", "鹤庆", "碧江", "华东", "电机"), False),
    ("吴泾", 121.450, 31.040, ("吴泾", "塘湾", "永德", "剑川", "龙吴", "紫龙"), True),
    ("颛桥", 121.410, 31.065, ("颛桥", "银都", "光华", "颛溪", "都会", "鑫都"), True),
    ("马桥", 121.360, 31.020, ("马桥", "旗忠", "俞塘", "同心", "民主", "吴会"), True),
    (
        "浦江",
        121.500,
        31.080,
        ("浦江", "召楼", "杜行", "鲁汇", "陈行", "闸港", "浦航", "浦秀"),
        True,
    ),
    ("华漕", 121.290, 31.200, ("华漕", "纪王", "诸翟", "许浦", "华美", "爱博"), True),
    ("新虹", 121.320, 31.190, ("新虹", "华翔", "申虹", "新泾"), False),
    ("浦锦", 121.480, 31.100, ("浦锦", "浦恒", "浦涛", "浦瑞", "浦驰"), True),
    ("莘庄工业区", 121.340, 31.050, ("申南", "申北", "瓶北", "元江", "春东"), True),
)
_TOWN = _Pick((town, 1.0) for town in _MINHANG_TOWNS)
_NINE_YEAR_STEMS = ("实验", "育才", "外国语", "双语", "明德", "文博")
_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..99 in Chinese numerals (第二十三小学)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def _school_name(stage: Stage, place: str, lead: bool, used: set[str]) -> str:
    """A new, unused Minhang school name: 闵行区春申实验小学, 闵行区浦江第三小学…"""
    word = {Stage.PRIMARY: "小学", Stage.JUNIOR: "中学", Stage.NINE_YEAR: "学校"}[stage]
    stems = [f"{place}实验"] if lead else []
    stems.append(place)
    if stage == Stage.NINE_YEAR:
        stems += [place + stem for stem in _NINE_YEAR_STEMS]
    candidates = [f"闵行区{stem}{word}" for stem in stems]
    if stage == Stage.JUNIOR:
        candidates.append(f"闵行区{place}初级中学")
    for name in candidates:
        if name not in used:
            return name
    for n in count(2):
        number = _cn_number(n) if n < 100 else str(n)
        name = f"闵行区{place}第{number}{word}"
        if name not in used:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def _group_sizes(rng: random.Random, n_schools: int) -> list[int]:
    """Split the schools into groups of 3–8 (5–6 on average)."""
    n_groups = max(1, math.ceil(n_schools / 8), min(n_schools // 3, round(n_schools / 5.5)))
    sizes = [3] * n_groups
    extra = n_schools - 3 * n_groups
    if extra < 0:  # fewer than 3 schools cannot happen (at least 3 are made), but be safe
        return [n_schools]
    slots = [g for g in range(n_groups) for _ in range(5)]
    for g in rng.sample(slots, extra):
        sizes[g] += 1
    return sizes


def _minhang_layout(rng: random.Random, teachers: int) -> _Layout:
    """A Minhang-like district scaled to the teacher count."""
    n_schools = max(3, round(teachers / _MINHANG_TEACHERS_PER_SCHOOL))
    sizes = _group_sizes(rng, n_schools)
    gwidth = max(3, len(str(len(sizes))))
    swidth = max(4, len(str(n_schools)))
    used: set[str] = set()
    groups: list[Group] = []
    specs: list[dict[str, object]] = []
    weights: list[float] = []
    weak_odds: list[float] = []  # leads are never weak; outer, newer towns more often
    for g, size in enumerate(sizes):
        gid = f"MHG{g + 1:0{gwidth}d}"
        town = _TOWN(rng)
        primary_group = rng.random() < 0.6
        centre = _offset(town[1], town[2], rng.uniform(0, 360), 1.5 * math.sqrt(rng.random()))
        for k in range(size):
            lead = k == 0
            if lead:
                home = Stage.PRIMARY if primary_group else Stage.JUNIOR
                stage = home if rng.random() < 0.85 else Stage.NINE_YEAR
            else:
                nine = rng.random() < (0.2 if primary_group else 0.25)
                stage = (
                    Stage.NINE_YEAR if nine else Stage.PRIMARY if primary_group else Stage.JUNIOR
                )
            where = town if rng.random() < 0.75 else _TOWN(rng)
            name = _school_name(stage, rng.choice(where[3]), lead, used)
            used.add(name)
            lon, lat = _offset(*centre, rng.uniform(0, 360), 2.5 * math.sqrt(rng.random()))
            far = _km((lon, lat), MINHANG_CENTRE)
            if far > _MINHANG_RADIUS_KM:  # pull back inside the district
                shrink = (_MINHANG_RADIUS_KM - 0.5) / far
                lon = round(MINHANG_CENTRE[0] + (lon - MINHANG_CENTRE[0]) * shrink, 5)
                lat = round(MINHANG_CENTRE[1] + (lat - MINHANG_CENTRE[1]) * shrink, 5)
            sid = f"MH{len(specs) + 1:0{swidth}d}"
            spec = {"school_id": sid, "name": name, "group_id": gid, "stage": stage}
            specs.append({**spec, "lon": lon, "lat": lat, "row": len(specs) + 2})
            size_factor = (_lead_factor(size) if lead else 1.0) * rng.uniform(0.75, 1.25)
            weights.append(size_factor * (1.3 if stage == Stage.NINE_YEAR else 1.0))
            weak_odds.append(0.0 if lead else 1.7 if where[4] else 1.0)
            if lead:
                r = rng.random()
                gtype = (
                    GroupType.CLOSE
                    if r < 0.4
                    else GroupType.ALLIANCE
                    if r < 0.85
                    else GroupType.DISTRICT
                )
                group = Group(
                    group_id=gid, name=f"{name}教育集团", lead_school_id=sid, type=gtype, row=g + 2
                )
                groups.append(group)
    weak = _weighted_sample(rng, weak_odds, round(_MINHANG_WEAK_SHARE * n_schools))
    schools = [School.model_validate({**spec, "weak": i in weak}) for i, spec in enumerate(specs)]
    weights = [w * (_WEAK_SIZE if i in weak else 1.0) for i, w in enumerate(weights)]
    return _Layout("闵行区（模拟）", "MHT", groups, schools, weights, _surnames(_SURNAMES_SHANGHAI))


def _weighted_sample(rng: random.Random, weights: Sequence[float], k: int) -> set[int]:
    """k distinct indices drawn with probability by weight (Efraimidis–Spirakis keys)."""
    keys = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0]
    keys.sort(reverse=True)
    return {i for _, i in keys[:k]}


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` teachers over schools by weight (largest remainder); ≥1 each when possible."""
    n = len(weights)
    floor = 1 if total >= n else 0
    rest = total - floor * n
    whole = sum(weights)
    quotas = [rest * w / whole for w in weights]
    counts = [floor + int(q) for q in quotas]
    left = total - sum(counts)
    order = sorted(range(n), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


# -- the builder ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """A teacher being made up; turned into a `Teacher` at the end."""

    school: int
    stage: TeachingStage
    subject: str
    female: bool
    birth_year: int
    service: int
    years: int
    name: str
    title: str | None = None
    backbone: str | None = None
    management: bool = False
    deferral: str | None = None
    retirement_year: int | None = None
    rotating: bool = False
    volunteer: bool = False
    preferred: tuple[str, ...] = ()
    recommended: bool = False
    ok: bool = False  # eligible this year, settled once the ongoing rotations are chosen


@dataclass(slots=True)
class _Rotation:
    teacher: int
    home: int
    host: int
    start: int
    end: int


@dataclass
class _Builder:
    """Makes teachers, ongoing rotations, demand and preferences for one layout."""

    layout: _Layout
    policy: Policy
    rng: random.Random
    year: int
    drafts: list[_Draft] = field(default_factory=list)
    rotations: list[_Rotation] = field(default_factory=list)
    demand: list[tuple[int, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        schools = self.layout.schools
        self.index = {s.school_id: i for i, s in enumerate(schools)}
        lead_of = {g.group_id: self.index[g.lead_school_id] for g in self.layout.groups}
        self.lead = [lead_of[s.group_id] for s in schools]
        self.members: dict[str, list[int]] = {}
        for i, s in enumerate(schools):
            self.members.setdefault(s.group_id, []).append(i)
        self.hosted = [STAGES_HOSTED[s.stage] for s in schools]
        self.flows = frozenset(self.policy.flow_direction)

    # -- helpers ----------------------------------------------------------------------------
    def is_lead(self, school: int) -> bool:
        return self.lead[school] == school

    def allowed(self, home: int, host: int) -> bool:
        """Whether the default flow directions allow a move home → host (same group)."""
        if self.is_lead(home):
            return FlowDirection.LEAD_TO_MEMBER in self.flows
        if self.is_lead(host):
            return FlowDirection.MEMBER_TO_LEAD in self.flows
        return FlowDirection.MEMBER_TO_MEMBER in self.flows

    def group_schools(self, school: int) -> list[int]:
        return self.members[self.layout.schools[school].group_id]

    def weak_junior(self, school: int) -> bool:
        return self.layout.schools[school].weak and TeachingStage.JUNIOR in self.hosted[school]

    def retirement(self, d: _Draft) -> int:
        if d.retirement_year is not None:
            return d.retirement_year
        age = self.policy.retirement_age_female if d.female else self.policy.retirement_age_male
        return d.birth_year + age

    def eligible(self, d: _Draft) -> bool:
        p = self.policy
        return (
            d.years >= p.min_years_at_school
            and self.retirement(d) - self.year > p.retirement_buffer_years
            and d.deferral is None
            and not d.rotating
        )

    # -- teachers ---------------------------------------------------------------------------
    def make_teachers(self, total: int) -> None:
        self.sizes = _allocate(total, self.layout.weights)
        self.hosting = [0] * len(self.sizes)
        for school, n in enumerate(self.sizes):
            for _ in range(n):
                self.drafts.append(self.draft(school))

    def draft(self, school: int) -> _Draft:
        rng, p = self.rng, self.policy
        s = self.layout.schools[school]
        if s.stage == Stage.NINE_YEAR:
            stage = TeachingStage.PRIMARY if rng.random() < 0.6 else TeachingStage.JUNIOR
        else:
            (stage,) = self.hosted[school]
        subject = _SUBJECTS[stage](rng)
        female = rng.random() < min(0.95, _FEMALE[stage] * _FEMALE_FACTOR.get(subject, 1.0))
        oldest = (p.retirement_age_female if female else p.retirement_age_male) - 1
        age = _AGES(rng)
        while age > oldest:
            age = _AGES(rng)
        service = max(0, age - _START_AGE(rng))
        if service == 0:
            years = 0
        elif rng.random() < _NEVER_MOVED:
            years = service
        else:
            years = min(service, int(rng.expovariate(1 / _MEAN_STAY)))
        d = _Draft(
            school=school,
            stage=stage,
            subject=subject,
            female=female,
            birth_year=self.year - age,
            service=service,
            years=years,
            name=_name(rng, self.layout.surnames, female),
            title=_title(rng, service),
        )
        self.add_roles(d, age, school)
        return d

    def add_roles(self, d: _Draft, age: int, school: int) -> None:
        """Backbone level, management post, deferral and an explicit retirement year."""
        rng = self.rng
        if d.service >= 5:
            factor = _LEAD_SIZE if self.is_lead(school) else 1.0
            if self.layout.schools[school].weak:
                factor = 0.8
            if rng.random() < _BACKBONE_RATE * factor:
                if age >= 45 and rng.random() < 0.03:
                    d.backbone = _MASTER_TEACHER
                else:
                    d.backbone = _LEVELS[35 if age >= 35 else 32 if age >= 32 else 0](rng)
                if d.title in _TITLE_UP and (d.title != "一级教师" or rng.random() < 0.4):
                    d.title = _TITLE_UP[d.title]
                if d.backbone == _MASTER_TEACHER and rng.random() < 0.5:
                    d.title = "正高级教师"
        manage = 0.01 if age < 30 else 0.07 if age < 40 else 0.13
        d.management = rng.random() < manage
        r = rng.random()
        if r < 0.035:
            if d.female and 25 <= age <= 38:
                d.deferral = rng.choice(_DEFERRALS_YOUNG_MOTHER)
        elif r < 0.046:
            d.deferral = "病休"
        elif r < 0.052:
            if age < 45:
                d.deferral = "进修"
        elif r < 0.058 and 28 <= age <= 50:
            d.deferral = "援疆" if rng.random() < 0.6 else "援藏"
        if d.female and d.title in ("高级教师", "正高级教师") and age >= 45 and rng.random() < 0.15:
            d.retirement_year = d.birth_year + 60  # 高级职称女教师可至60岁退休

    # -- ongoing rotations ------------------------------------------------------------------
    def make_ongoing(self) -> None:
        """~3% of teachers on a rotation that started in one of the last three years, made as
        exchanges: each is paired with a colleague of the same subject and stage going the other
        way for the same years, as districts do, so that their returns balance each other."""
        rng, p = self.rng, self.policy
        target = round(len(self.drafts) * _ONGOING_SHARE)
        order = list(range(len(self.drafts)))
        rng.shuffle(order)
        by_school: dict[int, list[int]] = {}
        for j in order:
            by_school.setdefault(self.drafts[j].school, []).append(j)
        for i in order:
            if len(self.rotations) >= target:
                break
            d = self.drafts[i]
            if d.rotating or rng.random() >= (0.5 if self.is_lead(d.school) else 0.07):
                continue
            k = rng.randint(1, 3)
            start = self.year - k
            if not self.could_have_gone(d, k):
                continue
            host = self.ongoing_host(d)
            if host is None:
                continue
            partner = next(
                (
                    j
                    for j in by_school.get(host, [])
                    if self.drafts[j].subject == d.subject
                    and self.drafts[j].stage == d.stage
                    and not self.drafts[j].rotating
                    and self.could_have_gone(self.drafts[j], k)
                    and self.allowed(host, d.school)
                ),
                None,
            )
            if partner is None:
                continue
            end = start + p.min_tenure_years - 1
            for who, home, to in ((i, d.school, host), (partner, host, d.school)):
                mover = self.drafts[who]
                mover.years = max(mover.years, p.min_years_at_school + k)
                mover.rotating = True
                self.hosting[to] += 1
                self.rotations.append(_Rotation(who, home, to, start, end))
        for d in self.drafts:
            d.ok = self.eligible(d)

    def could_have_gone(self, d: _Draft, k: int) -> bool:
        """Whether a teacher was eligible to start a rotation k years ago."""
        p = self.policy
        return (
            d.deferral is None
            and d.service >= p.min_years_at_school + k
            # eligible at the start, also if postponed to a later start (see `postpone`)
            and self.retirement(d) - (self.year - 1) > p.retirement_buffer_years
        )

    def ongoing_host(self, d: _Draft) -> int | None:
        """A host in the group under the default directions, weak members preferred."""
        options: list[tuple[int, float]] = []
        for host in self.group_schools(d.school):
            if host == d.school or d.stage not in self.hosted[host]:
                continue
            if self.hosting[host] >= max(2, _MAX_HOSTED_SHARE * self.sizes[host]):
                continue
            if not self.allowed(d.school, host):
                continue
            if (
                self.weak_junior(host)
                and d.stage == TeachingStage.JUNIOR
                and d.subject not in self.policy.exam_subjects
            ):
                continue
            options.append((host, 4.0 if self.layout.schools[host].weak else 1.0))
        return _Pick(options)(self.rng) if options else None

    def spread_backbone(self) -> None:
        """Every school keeps a few eligible backbone teachers (1% of its staff, plus one from 30
        teachers up) in subjects a partner school also has eligible teachers of.

        Districts name backbone teachers in every school, the rural ones too; without them, or
        with only ones nobody could replace (subject_balance), a school could never meet
        backbone_share when the ratio is counted per school (Ganzhou).
        """
        eligible: Counter[tuple[int, TeachingStage, str]] = Counter(
            (d.school, d.stage, d.subject) for d in self.drafts if d.ok
        )
        by_school: dict[int, list[_Draft]] = {}
        for d in self.drafts:
            by_school.setdefault(d.school, []).append(d)

        def swappable(d: _Draft) -> bool:
            return any(
                eligible[p, d.stage, d.subject] > 0
                for p in self.group_schools(d.school)
                if p != d.school
                and d.stage in self.hosted[p]
                and self.allowed(p, d.school)
                and self.allowed(d.school, p)
            )

        for school, drafts in by_school.items():
            need = math.ceil(0.01 * self.sizes[school]) + (1 if self.sizes[school] >= 30 else 0)
            mine = [d for d in drafts if d.ok and swappable(d)]
            have = sum(1 for d in mine if d.backbone is not None)
            pool = [d for d in mine if d.backbone is None and d.service >= 8]
            for d in self.rng.sample(pool, max(0, min(need - have, len(pool)))):
                d.backbone = _BACKBONE_LEVELS[0][0]

    def postpone(self, rot: _Rotation) -> None:
        """Make a rotation that would end last year one that ends this year instead."""
        rot.start = self.year - 2
        rot.end = rot.start + self.policy.min_tenure_years - 1

    # -- inflow teams and demand ------------------------------------------------------------
    def plan_inflows(self) -> None:
        """Reserve refills for returns and teams for weak schools; write the weak demand rows.

        Rules modelled (default policy): subject_balance (a return home is refilled by the home
        school in the same subject; a team is a set of swaps with a school the flow directions
        allow both ways), weak_group_inflow (a weak school taking anyone takes ≥ weak_inflow_min)
        and exam_subject_focus (junior-stage inflow at a weak junior school is exam subjects).
        """
        rng, p = self.rng, self.policy
        pool: Counter[tuple[int, TeachingStage, str]] = Counter(
            (d.school, d.stage, d.subject) for d in self.drafts if d.ok
        )
        # Ongoing rotations are exchanges (see make_ongoing): the two teachers of a pair come
        # home together, so a return never needs a refill of its own.
        refills: dict[int, list[_Rotation]] = {}
        for w, school in enumerate(self.layout.schools):
            if not school.weak:
                continue
            wants = rng.random() < _WEAK_DEMAND_SHARE
            back = refills.get(w, [])
            if not wants and not back:
                continue
            team = self.reserve_team(w, pool, p.weak_inflow_min - len(back))
            if team is None:
                for rot in back:  # cannot take the team a refill needs: keep the rotation going
                    d = self.drafts[rot.teacher]
                    pool[rot.home, d.stage, d.subject] += 1
                    self.postpone(rot)
                continue
            if wants:
                got = Counter(team)
                got.update(
                    (self.drafts[r.teacher].stage, self.drafts[r.teacher].subject) for r in back
                )
                self.weak_demand(w, got)

    def reserve_team(
        self, w: int, pool: Counter[tuple[int, TeachingStage, str]], need: int
    ) -> list[tuple[TeachingStage, str]] | None:
        """Reserve `need` swaps between weak school w and its partners; None (nothing kept) if short."""
        rng = self.rng
        partners = [
            s for s in self.group_schools(w) if s != w and self.allowed(s, w) and self.allowed(w, s)
        ]
        taken: list[tuple[int, TeachingStage, str]] = []
        while len(taken) < need:
            options: list[tuple[tuple[int, TeachingStage, str], float]] = []
            for src in partners:
                for stage in sorted(self.hosted[w] & self.hosted[src]):
                    exam_only = stage == TeachingStage.JUNIOR and self.weak_junior(w)
                    for subject, _ in SUBJECT_MIX[stage]:
                        if exam_only and subject not in self.policy.exam_subjects:
                            continue
                        spare = min(pool[src, stage, subject], pool[w, stage, subject])
                        if spare > 0:
                            options.append(
                                ((src, stage, subject), spare * _SHORTAGE.get(subject, 1.0))
                            )
            if not options:
                for src, stage, subject in taken:
                    pool[src, stage, subject] += 1
                    pool[w, stage, subject] += 1
                return None
            src, stage, subject = _Pick(options)(rng)
            pool[src, stage, subject] -= 1
            pool[w, stage, subject] -= 1
            taken.append((src, stage, subject))
        return [(stage, subject) for _, stage, subject in taken]

    def weak_demand(self, w: int, got: Counter[tuple[TeachingStage, str]]) -> None:
        """1–3 demand rows (count 1–2) at a weak school, within the team reserved for it.

        At a weak school with a junior stage, an exam-subject row is read as junior-stage demand
        (exam_subject_focus), so only junior exam subjects and non-exam subjects are asked for.
        """
        by_subject: Counter[str] = Counter()
        junior_school = self.weak_junior(w)
        for (stage, subject), n in sorted(got.items()):
            exam = subject in self.policy.exam_subjects
            if junior_school and exam and stage != TeachingStage.JUNIOR:
                continue
            by_subject[subject] += n
        subjects = sorted(by_subject)
        self.rng.shuffle(subjects)
        for subject in subjects[: self.rng.randint(1, 3)]:
            self.demand.append((w, subject, min(2, by_subject[subject])))

    def other_demand(self) -> None:
        """A few demand rows at schools that are not weak (a soft goal for the planner).

        About 6% of them (at least one) ask for one subject the group has eligible teachers for,
        who may move there.
        """
        rng = self.rng
        eligible: dict[int, Counter[tuple[TeachingStage, str]]] = {}
        for d in self.drafts:
            if d.ok:
                eligible.setdefault(d.school, Counter())[d.stage, d.subject] += 1
        supplies: dict[int, Counter[str]] = {}
        for i, school in enumerate(self.layout.schools):
            if school.weak:
                continue
            supply: Counter[str] = Counter()
            for src in self.group_schools(i):
                if src == i or not self.allowed(src, i):
                    continue
                for (stage, subject), n in eligible.get(src, Counter()).items():
                    if stage in self.hosted[i]:
                        supply[subject] += n
            if supply:
                supplies[i] = supply
        wanted = max(1, round(_OTHER_DEMAND_SHARE * len(self.layout.schools)))
        for i in sorted(rng.sample(sorted(supplies), min(wanted, len(supplies)))):
            supply = supplies[i]
            subject = _Pick(sorted(supply.items()))(rng)
            n = 1 if supply[subject] == 1 or rng.random() < 0.8 else 2
            self.demand.append((i, subject, n))

    # -- applications -----------------------------------------------------------------------
    def make_applications(self) -> None:
        """Volunteers (~10%) with 1–2 preferred schools, and school recommendations (~15%)."""
        rng = self.rng
        schools = self.layout.schools
        for d in self.drafts:
            if d.rotating or d.deferral is not None:
                continue
            ok = d.ok
            if rng.random() < (0.2 if ok else 0.03):
                d.volunteer = True
                options = [
                    (
                        s,
                        (3.0 if self.allowed(d.school, s) else 1.0)
                        * (2.0 if schools[s].weak else 1.0),
                    )
                    for s in self.group_schools(d.school)
                    if s != d.school and d.stage in self.hosted[s]
                ]
                if options:
                    first = _Pick(options)(rng)
                    chosen = [first]
                    rest = [o for o in options if o[0] != first]
                    if rest and rng.random() < 0.4:
                        chosen.append(_Pick(rest)(rng))
                    d.preferred = tuple(schools[s].school_id for s in chosen)
            d.recommended = rng.random() < (0.36 if ok else 0.02)

    # -- output -----------------------------------------------------------------------------
    def teachers(self) -> list[Teacher]:
        """The teacher rows; values are already clean, so only the first one is validated.

        The others are copies of it with every field replaced (pydantic's trusted path), which
        is twice as fast at 100,000 teachers; the values have exactly the normalised types.
        """
        schools = self.layout.schools
        width = max(6, len(str(len(self.drafts))))
        template: Teacher | None = None
        result = []
        for n, d in enumerate(self.drafts):
            school = schools[d.school]
            values = {
                "row": n + 2,
                "teacher_id": f"{self.layout.prefix}{n + 1:0{width}d}",
                "name": d.name,
                "school_id": school.school_id,
                "subject": d.subject,
                "gender": Gender.FEMALE if d.female else Gender.MALE,
                "birth_year": d.birth_year,
                "years_at_school": d.years,
                "title": d.title,
                "backbone": d.backbone,
                "management": d.management,
                "deferral": d.deferral,
                "volunteer": d.volunteer,
                "preferred_schools": d.preferred,
                "school_recommended": d.recommended,
                "retirement_year": d.retirement_year,
                "teaching_stage": d.stage if school.stage == Stage.NINE_YEAR else None,
            }
            if template is None:
                template = Teacher.model_validate(values)
                result.append(template)
            else:
                result.append(template.model_copy(update=values))
        return result

    def ongoing(self, teachers: list[Teacher]) -> list[OngoingRotation]:
        schools = self.layout.schools
        return [
            OngoingRotation(
                teacher_id=teachers[r.teacher].teacher_id,
                from_school_id=schools[r.home].school_id,
                to_school_id=schools[r.host].school_id,
                start_year=r.start,
                end_year=r.end,
                kind=OngoingKind.ROTATION,
                row=n + 2,
            )
            for n, r in enumerate(sorted(self.rotations, key=lambda r: r.teacher))
        ]

    def demand_rows(self) -> list[Demand]:
        schools = self.layout.schools
        rows = sorted(self.demand)
        return [
            Demand(school_id=schools[s].school_id, subject=subject, count=n, row=k + 2)
            for k, (s, subject, n) in enumerate(rows)
        ]


def generate_district(
    teachers: int = 2000,
    seed: int = 1,
    structure: str = "minhang",
    plan_year: int = 2025,
    *,
    itinerant: bool = False,
) -> District:
    """A realistic synthetic district: same arguments, same district.

    `structure` is ``ganzhou`` (the real Ganzhou group structure, 43 schools whatever the size)
    or ``minhang`` (groups and schools scaled with `teachers`). The policy is the default rule
    set for `plan_year`; apply `ganzhou_policy` for the Ganzhou variant. `itinerant`: with
    走教需求 rows at the small and weak schools (`itinerant_demand`); the teachers, rotations
    and demand are the same either way.
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; choose one of {', '.join(STRUCTURES)}")
    if teachers < 1:
        raise ValueError("teachers must be at least 1")
    with paused_cycle_collection():
        district = _generate(teachers, random.Random(seed), structure, plan_year)
    if itinerant:
        district = district.replace(itinerant_demand=itinerant_demand(district))
    return district


#: 走教: weekly periods per class of the subjects small rural schools most often cannot staff
#: themselves (2022 curriculum: 音乐 and 美术 2, 体育与健康 3 on average, 英语 3 from grade 3,
#: 信息科技 1), at a class for every 2.4 teachers of the stage (rural staffing) and a full load
#: of 16 periods a week per teacher of the subject.
ITINERANT_HOURS: dict[str, int] = {"音乐": 2, "美术": 2, "体育": 3, "英语": 3, "信息科技": 1}
_TEACHERS_PER_CLASS = 2.4
_FULL_LOAD = 16
#: A 走教需求 row asks for 2 to 8 periods a week (what one or two 走教 teachers can give).
_ITINERANT_MIN, _ITINERANT_MAX = 2, 8


def itinerant_demand(district: District, rows: int | None = None) -> tuple[ItinerantDemand, ...]:
    """走教需求 where a school's own teachers cannot give a subject's periods: for each primary
    and junior stage of a school, classes × weekly periods − its teachers of the subject × a
    full load, when that is at least 2 (capped at 8). Drawn from the data alone (no random
    numbers): weak schools first, then by size, smallest first.

    Without `rows`: the weak schools and those at most half the median size (the rural gaps
    of 音体美, 英语, 信息科技). With `rows`: the first that many rows of every school, in that
    order (the benchmark's 300 rows)."""
    staff: Counter[tuple[str, TeachingStage]] = Counter()
    taught: Counter[tuple[str, TeachingStage, str]] = Counter()
    for t in district.teachers:
        stage = district.status(t.teacher_id).teaching_stage
        staff[t.school_id, stage] += 1
        taught[t.school_id, stage, t.subject] += 1
    size = {s.school_id: len(district.teachers_of_school(s.school_id)) for s in district.schools}
    sizes = sorted(size.values())
    small = sizes[len(sizes) // 2] // 2 if sizes else 0
    order = sorted(
        range(len(district.schools)),
        key=lambda i: (not district.schools[i].weak, size[district.schools[i].school_id], i),
    )
    found: list[tuple[str, str, int]] = []
    for i in order:
        s = district.schools[i]
        if rows is None and not (s.weak or size[s.school_id] <= small):
            continue
        periods: Counter[str] = Counter()
        for stage in (TeachingStage.PRIMARY, TeachingStage.JUNIOR):
            k = staff[s.school_id, stage]
            if not k:
                continue
            classes = max(1, round(k / _TEACHERS_PER_CLASS))
            for subject, hours in ITINERANT_HOURS.items():
                gap = classes * hours - taught[s.school_id, stage, subject] * _FULL_LOAD
                periods[subject] += max(0, gap)
        for subject in ITINERANT_HOURS:
            if periods[subject] >= _ITINERANT_MIN:
                found.append((s.school_id, subject, min(periods[subject], _ITINERANT_MAX)))
    if rows is not None:
        found = found[:rows]
    return tuple(
        ItinerantDemand(school_id=school, subject=subject, periods=n, row=k + 2)
        for k, (school, subject, n) in enumerate(found)
    )


def _generate(teachers: int, rng: random.Random, structure: str, plan_year: int) -> District:
    layout = _ganzhou_layout() if structure == "ganzhou" else _minhang_layout(rng, teachers)
    return _populate(layout, teachers, rng, plan_year)


def generate_for_layout(
    name: str,
    prefix: str,
    groups: Sequence[Group],
    schools: Sequence[School],
    weights: Sequence[float],
    *,
    teachers: int,
    seed: int,
    plan_year: int = 2025,
) -> District:
    """Teachers, ongoing rotations, demand and applications drawn as for the bundled structures,
    for a caller's own groups and schools (each school sized by its weight; Shanghai surnames;
    teacher ids `prefix` + number). Same arguments, same district."""
    layout = _Layout(
        name, prefix, list(groups), list(schools), list(weights), _surnames(_SURNAMES_SHANGHAI)
    )
    with paused_cycle_collection():
        return _populate(layout, teachers, random.Random(seed), plan_year)


def _populate(layout: _Layout, teachers: int, rng: random.Random, plan_year: int) -> District:
    policy = PolicySet(district=Policy(plan_year=plan_year))
    builder = _Builder(layout, policy.district, rng, plan_year)
    builder.make_teachers(teachers)
    builder.make_ongoing()
    builder.spread_backbone()
    builder.plan_inflows()
    builder.other_demand()
    builder.make_applications()
    teacher_rows = builder.teachers()
    return District(
        name=layout.name,
        groups=tuple(layout.groups),
        schools=tuple(layout.schools),
        teachers=tuple(teacher_rows),
        ongoing=tuple(builder.ongoing(teacher_rows)),
        demand=tuple(builder.demand_rows()),
        policy=policy,
    )


#: Ganzhou's 中学教育集团 mixes senior high, vocational and junior schools; its vocational centre
#: has no other school of its stage in the group, so no teacher of it can ever rotate.
GANZHOU_MIXED_GROUP = "GZG2"


def ganzhou_policy(plan_year: int) -> PolicySet:
    """Ganzhou's rule variant: each school rotates ≥5% of its full-time teachers, any direction
    (point-to-point exchanges between member schools too).

    In the mixed 中学教育集团 the 5% is counted for the group as a whole (a 规则-sheet override
    for that group): counted per school, its vocational centre could never meet it.
    """
    return PolicySet(
        district=Policy(
            plan_year=plan_year,
            min_rotation_ratio=Decimal("0.05"),
            ratio_scope=RatioScope.SCHOOL,
            ratio_base=RatioBase.FULL_TIME,
            flow_direction=(
                FlowDirection.LEAD_TO_MEMBER,
                FlowDirection.MEMBER_TO_LEAD,
                FlowDirection.MEMBER_TO_MEMBER,
            ),
        ),
        group_overrides={GANZHOU_MIXED_GROUP: {"ratio_scope": RatioScope.GROUP}},
    )
