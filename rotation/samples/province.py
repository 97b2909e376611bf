"""A synthetic province: many county districts of realistic, varied sizes (SPEC §8 shapes).

County sizes follow a log-normal spread (a few large urban districts, many small rural
counties), summing exactly to the teachers asked for; about one county in five that is small
enough takes Ganzhou's real group structure with Ganzhou's rule variant (5% of each school's
full-time teachers), the others a Minhang-like structure with the default rules. Everything is
drawn from the seed: the same arguments give the same province, county by county.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from models import District
from rotation.samples.generate import ganzhou_policy, generate_district

_PLACES = [
    "东湖",
    "西山",
    "南江",
    "北原",
    "青河",
    "白水",
    "长宁",
    "安平",
    "永和",
    "清源",
    "金川",
    "石门",
    "桃源",
    "临泉",
    "凤台",
    "龙泉",
    "柳城",
    "松阳",
    "梅溪",
    "兰陵",
    "云台",
    "霞浦",
    "宁远",
    "平川",
    "高桥",
    "新安",
    "河口",
    "望江",
    "德安",
    "信丰",
]
_KINDS = ("县", "区", "市")

#: No county below this many teachers (a county has at least a handful of school groups).
MIN_COUNTY = 300
#: Counties at most this large may take Ganzhou's structure (43 schools, 6 groups).
GANZHOU_MAX = 6000


@dataclass(frozen=True)
class CountySpec:
    """One county of a generated province."""

    index: int
    name: str
    teachers: int
    structure: str
    seed: int


def county_sizes(counties: int, teachers: int, rng: random.Random) -> list[int]:
    """`counties` sizes, log-normally spread, each ≥ MIN_COUNTY, summing to `teachers`."""
    if counties < 1 or teachers < counties * MIN_COUNTY:
        raise ValueError(f"{counties} 个县区至少需要 {counties * MIN_COUNTY} 名教师")
    weights = [rng.lognormvariate(0.0, 0.6) for _ in range(counties)]
    spare = teachers - counties * MIN_COUNTY
    total = sum(weights)
    sizes = [MIN_COUNTY + int(spare * w / total) for w in weights]
    sizes[max(range(counties), key=sizes.__getitem__)] += teachers - sum(sizes)
    return sizes


def county_names(counties: int) -> list[str]:
    """Distinct county names: place + 县/区/市, numbered once the places run out."""
    names: list[str] = []
    for i in range(counties):
        place = _PLACES[i % len(_PLACES)]
        kind = _KINDS[(i // len(_PLACES)) % len(_KINDS)]
        round_ = i // (len(_PLACES) * len(_KINDS))
        names.append(f"{place}{kind}" if round_ == 0 else f"{place}{round_ + 1}{kind}")
    return names


def province_specs(counties: int, teachers: int, seed: int = 1) -> list[CountySpec]:
    """The counties of a province: names, sizes, structures and seeds."""
    rng = random.Random(seed)
    sizes = county_sizes(counties, teachers, rng)
    specs = []
    for i, (name, size) in enumerate(zip(county_names(counties), sizes, strict=True)):
        ganzhou = size <= GANZHOU_MAX and rng.random() < 0.2
        specs.append(
            CountySpec(i, name, size, "ganzhou" if ganzhou else "minhang", rng.randrange(10**6))
        )
    return specs


def generate_county(spec: CountySpec, plan_year: int = 2025) -> District:
    """One county's district, named by its spec (also as the 规则 sheet's district_name)."""
    district = generate_district(
        teachers=spec.teachers, seed=spec.seed, structure=spec.structure, plan_year=plan_year
    )
    policy = ganzhou_policy(plan_year) if spec.structure == "ganzhou" else district.policy
    policy = policy.model_copy(
        update={"district": policy.district.model_copy(update={"district_name": spec.name})}
    )
    return district.replace(name=spec.name, policy=policy)
