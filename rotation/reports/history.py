"""Across school years (issue 15 item 4), without the database: a year's figures from its
approved plan and input, the rows of the national teacher information system's rotation
record (全国教师管理信息系统), and the data of a teacher's 交流经历证明.

A year's figures are the 汇总 sheet's own (`group_figures`: eligible, the minimum, rotated,
ratio base, backbone, weak-school inflow per group; the district total is their sum), so the
statistics page can never disagree with the workbook that was signed. The rest comes from
the same plan facts the rule checkers count (`PlanFacts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models import District
from models.plan import Plan, RotationKind, SolveResult
from models.rules import PlanFacts
from rotation.formats.approval_columns import KIND_NAMES, term_text
from rotation.formats.widths import column_widths
from rotation.formats.xlsxfast import Table
from rotation.reports.approval_summary import group_figures

# -- a school year's figures ------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class GroupYear:
    """One group's row of a year's 汇总: `ratio_base` is the rule's base (the eligible
    teachers unless ratio_base = full_time), `minimum` what min_rotation_ratio asked."""

    group_id: str
    name: str
    eligible: int
    ratio_base: int
    minimum: int
    rotations: int
    backbone: int
    weak_inflow: int

    @property
    def ratio(self) -> float | None:
        """Rotations ÷ the ratio base (None without a base)."""
        return _share(self.rotations, self.ratio_base)

    @property
    def backbone_share(self) -> float | None:
        """Backbone teachers among the rotations (None without rotations)."""
        return _share(self.backbone, self.rotations)


@dataclass(frozen=True)
class SchoolYear:
    """One school in one year: who left it, who came, who came home or went back, and the
    rotations of earlier years still running to or from it (in flight)."""

    school_id: str
    name: str
    group_id: str
    weak: bool
    teachers: int
    eligible: int
    outflow: int
    backbone_outflow: int
    inflow: int
    returns_home: int
    returns_leaving: int
    in_flight_hosted: int
    in_flight_away: int


@dataclass(frozen=True)
class YearStatistics:
    """A school year's numbers from its approved plan, district-wide, per group and per
    school. `rotations` are the year's new ones (entrusted residents included, as the ratio
    rules count them); `in_flight` the teachers on a rotation of an earlier year still
    running; `weak_teams` the weak schools receiving a team (new inflow ≥ weak_inflow_min)."""

    year: int
    plan_id: str
    teachers: int
    eligible: int
    ratio_base: int
    minimum: int
    rotations: int
    backbone: int
    weak_schools: int
    weak_inflow: int
    weak_teams: int
    in_flight: int
    returns: int
    min_ratio: Decimal
    min_backbone_share: Decimal
    groups: tuple[GroupYear, ...]
    schools: tuple[SchoolYear, ...]

    @property
    def ratio(self) -> float | None:
        """Rotations ÷ the ratio base, district-wide (as 汇总's 全区合计)."""
        return _share(self.rotations, self.ratio_base)

    @property
    def backbone_share(self) -> float | None:
        """Backbone teachers among the year's rotations."""
        return _share(self.backbone, self.rotations)


def year_statistics(district: District, plan: Plan, plan_id: str = "") -> YearStatistics:
    """The figures of `plan`, approved for `district`'s school year."""
    d = district
    figures = group_figures(d, SolveResult(status="feasible", plan=plan))
    groups = tuple(
        GroupYear(
            group_id=g.group_id,
            name=f.name,
            eligible=f.eligible,
            ratio_base=f.base,
            minimum=f.minimum,
            rotations=f.rotated,
            backbone=f.backbone,
            weak_inflow=f.weak_inflow,
        )
        for g, f in zip(d.groups, figures, strict=True)
    )
    facts = PlanFacts.of(d, plan)
    home = Counter(r.to_school_id for r in plan.returns)
    leaving = Counter(r.from_school_id for r in plan.returns)
    running = [o for t in d.teachers if (o := d.status(t.teacher_id).ongoing) is not None]
    hosted = Counter(o.to_school_id for o in running)
    away = Counter(o.from_school_id for o in running)
    schools = []
    for s in d.schools:
        staff = d.teachers_of_school(s.school_id)
        schools.append(
            SchoolYear(
                school_id=s.school_id,
                name=s.name,
                group_id=s.group_id,
                weak=s.weak,
                teachers=len(staff),
                eligible=sum(1 for t in staff if d.status(t.teacher_id).eligible),
                outflow=facts.out[s.school_id],
                backbone_outflow=facts.backbone_out[s.school_id],
                inflow=facts.inflow[s.school_id],
                returns_home=home[s.school_id],
                returns_leaving=leaving[s.school_id],
                in_flight_hosted=hosted[s.school_id],
                in_flight_away=away[s.school_id],
            )
        )
    teams = sum(
        1
        for s in d.schools
        if s.weak and facts.inflow[s.school_id] >= d.policy.for_group(s.group_id).weak_inflow_min
    )
    return YearStatistics(
        year=d.plan_year,
        plan_id=plan_id,
        teachers=len(d.teachers),
        eligible=sum(g.eligible for g in groups),
        ratio_base=sum(g.ratio_base for g in groups),
        minimum=sum(g.minimum for g in groups),
        rotations=sum(g.rotations for g in groups),
        backbone=sum(g.backbone for g in groups),
        weak_schools=sum(1 for s in d.schools if s.weak),
        weak_inflow=sum(g.weak_inflow for g in groups),
        weak_teams=teams,
        in_flight=len(running),
        returns=len(plan.returns),
        min_ratio=d.policy.district.min_rotation_ratio,
        min_backbone_share=d.policy.district.backbone_share,
        groups=groups,
        schools=tuple(schools),
    )


# -- the national teacher information system's rotation record ---------------------------------

#: The columns of the national system's 交流轮岗 record (全国教师管理信息系统), with the
#: teacher's id and name first so that a clerk can match each row to the person.
NATIONAL_HEADER = [
    "教师编号",
    "姓名",
    "交流轮岗类型",
    "是否调动人事关系",
    "开始年月",
    "结束年月",
    "原单位名称",
    "交流轮岗单位名称",
]
NATIONAL_SHEET = "交流轮岗"
#: 交流轮岗类型 for each kind of approved move. An ordinary rotation is the policy's 交流轮岗;
#: an entrusted-management resident (托管常驻, 精准委托管理) is stationed at the aided school
#: to support it, for which the national list has no 托管 type: 支教 is the nearest. A
#: province whose code table differs changes it here.
NATIONAL_TYPES = {RotationKind.ROTATION: "交流轮岗", RotationKind.ENTRUSTED: "支教"}
#: 是否调动人事关系: a rotated teacher's personnel relationship stays at the home school
#: (SPEC §3: 学校编号 is the home school, also while on rotation); the input has no column
#: that says otherwise.
KEEPS_RELATIONSHIP = "否"
#: A school year runs from September to the following July.
FIRST_MONTH, LAST_MONTH = 9, 7


def start_month(start_year: int) -> str:
    """开始年月: the rotation's first school year begins in September (2025 → 2025-09)."""
    return f"{start_year}-{FIRST_MONTH:02d}"


def end_month(end_year: int) -> str:
    """结束年月: its last school year ends in the July after (2027 → 2028-07)."""
    return f"{end_year + 1}-{LAST_MONTH:02d}"


@dataclass(frozen=True)
class NationalRow:
    """One approved rotation as the national record takes it."""

    teacher_id: str
    name: str
    kind: RotationKind
    start_year: int
    end_year: int
    home_school: str
    host_school: str

    def cells(self) -> list[str]:
        """The row in NATIONAL_HEADER's order."""
        return [
            self.teacher_id,
            self.name,
            NATIONAL_TYPES[self.kind],
            KEEPS_RELATIONSHIP,
            start_month(self.start_year),
            end_month(self.end_year),
            self.home_school,
            self.host_school,
        ]


def national_table(rows: Sequence[NationalRow]) -> Table:
    """The record as one sheet whose first row is the header (no title row: clerks paste the
    rows into the national system as they are)."""
    cells = [r.cells() for r in rows]
    return Table(
        NATIONAL_SHEET, NATIONAL_HEADER, cells, widths=column_widths(NATIONAL_HEADER, cells)
    )


# -- 交流经历证明 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertifiedRotation:
    """One approved rotation on a certificate: schools and group by name, its years, its kind
    and status (交流中 until a later approved plan brings the teacher home, then 已返回), and
    the school years spent at the host up to the certificate's year."""

    home_school: str
    host_school: str
    group: str
    start_year: int
    end_year: int
    kind: str
    status: str
    years: int

    @property
    def term(self) -> str:
        """交流期限: 2025-2026学年至2027-2028学年."""
        return term_text(self.start_year, self.end_year)


@dataclass(frozen=True)
class Certificate:
    """What a 交流经历证明 shows: the teacher, the home school, every approved rotation, the
    years rotated in all and the schools taught at (home included), as of `as_of_year` (the
    district's latest approved school year), issued by the district's bureau on `issued`."""

    district: str
    teacher_id: str
    name: str
    subject: str
    home_school: str
    rotations: tuple[CertifiedRotation, ...]
    total_years: int
    schools: int
    as_of_year: int
    issued: date

    @property
    def bureau(self) -> str:
        """The issuing body: the district's education bureau (闵行区教育局)."""
        return self.district if self.district.endswith("教育局") else f"{self.district}教育局"


@dataclass(frozen=True)
class Served:
    """One approved rotation of the teacher (from the rotation history), its schools and
    group named."""

    kind: str
    home_school: str
    host_school: str
    group: str
    host_school_id: str
    start_year: int
    end_year: int
    status: str


def years_served(start_year: int, end_year: int, status: str, as_of_year: int) -> int:
    """School years at the host: all of them once home, else those begun by `as_of_year`."""
    last = end_year if status == "已返回" else min(end_year, as_of_year)
    return max(0, last - start_year + 1)


def certificate_of(
    *,
    district: str,
    teacher_id: str,
    name: str,
    subject: str,
    home_school_id: str,
    home_school: str,
    served: Sequence[Served],
    as_of_year: int,
    issued: date,
) -> Certificate:
    """A certificate from a teacher's approved rotations, oldest first."""
    rotations = tuple(
        CertifiedRotation(
            home_school=s.home_school,
            host_school=s.host_school,
            group=s.group,
            start_year=s.start_year,
            end_year=s.end_year,
            kind=KIND_NAMES.get(RotationKind(s.kind), s.kind),
            status=s.status,
            years=years_served(s.start_year, s.end_year, s.status, as_of_year),
        )
        for s in served
    )
    taught = {home_school_id} | {s.host_school_id for s in served}
    return Certificate(
        district=district,
        teacher_id=teacher_id,
        name=name,
        subject=subject,
        home_school=home_school,
        rotations=rotations,
        total_years=sum(r.years for r in rotations),
        schools=len(taught),
        as_of_year=as_of_year,
        issued=issued,
    )
