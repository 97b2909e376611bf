"""A rotation plan for one school year: the machine contract of SPEC §5 (`schema_version: 1`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.district import District


class RotationKind(StrEnum):
    """A new move is an ordinary rotation or an entrusted-management residency."""

    ROTATION = "rotation"
    ENTRUSTED = "entrusted"


class NewRotation(BaseModel):
    """One new rotation starting in the plan year."""

    model_config = ConfigDict(frozen=True)

    teacher_id: str
    from_school_id: str = Field(description="home school")
    to_school_id: str = Field(description="host school")
    start_year: int
    end_year: int
    kind: RotationKind = RotationKind.ROTATION


class Return(BaseModel):
    """An ongoing rotation that ended before the plan year: the teacher comes home."""

    model_config = ConfigDict(frozen=True)

    teacher_id: str
    from_school_id: str = Field(description="host school")
    to_school_id: str = Field(description="home school")
    year: int


class ItinerantAssignment(BaseModel):
    """走教 (SPEC §11): one teacher teaching `periods` periods a week of `subject` at another
    school, travelling from where they teach that year."""

    model_config = ConfigDict(frozen=True)

    teacher_id: str
    from_school_id: str = Field(description="where the teacher teaches in the plan year")
    to_school_id: str
    subject: str
    periods: int = Field(description="periods per week")
    km: Decimal | None = Field(description="one way; None when a school has no coordinates")
    subsidy: Decimal = Field(description="元 per term")


class RuleScope(BaseModel):
    """A rule instance named for people (`scope`) and for programs (the ids of its scope)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    scope: str
    group_id: str | None = None
    school_id: str | None = None
    subject: str | None = None
    teacher_id: str | None = None
    supporting_school_id: str | None = None
    aided_school_id: str | None = None


class RuleCheck(RuleScope):
    """One rule instance checked on a plan: required vs actual, in words and, where the rule
    counts people, in numbers (minimum ≤ count ≤ maximum)."""

    required: str
    actual: str
    ok: bool
    minimum: int | None = None
    maximum: int | None = None
    count: int | None = None
    details: tuple[str, ...] = ()


class Conflict(RuleScope):
    """A rule instance that cannot be met, in policy words (when infeasible)."""

    message: str
    group: str = ""


class Shortfall(RuleScope):
    """How far a relaxed plan (--relax) falls short of one rule instance."""

    missing: int
    message: str


PlanStatus = Literal["optimal", "feasible", "infeasible", "unknown"]

#: How worker processes start: "auto" forks where the platform can (nothing is pickled) and
#: spawns elsewhere (Windows); "spawn" can be asked for anywhere. Plans are the same either way.
StartMethod = Literal["auto", "fork", "spawn"]


class Plan(BaseModel):
    """The new rotations, this year's returns and this year's 走教 for one plan year."""

    model_config = ConfigDict(frozen=True)

    plan_year: int
    rotations: tuple[NewRotation, ...] = ()
    returns: tuple[Return, ...] = ()
    itinerant: tuple[ItinerantAssignment, ...] = ()


def returns_of(district: District) -> tuple[Return, ...]:
    """Ongoing rotations whose last year has passed come home in the plan year (SPEC §5)."""
    year = district.plan_year
    return tuple(
        Return(
            teacher_id=o.teacher_id,
            from_school_id=o.to_school_id,
            to_school_id=o.from_school_id,
            year=year,
        )
        for o in district.ongoing
        if o.end_year < year
    )


class SolveOptions(BaseModel):
    """How hard and how wide to search; the defaults give the same plan on every run."""

    model_config = ConfigDict(frozen=True)

    time_limit: float = Field(
        60.0, gt=0, description="wall-clock safety net per component, seconds"
    )
    workers: int = Field(0, ge=0, description="parallel processes; 0 = one per core")
    start_method: StartMethod = Field(
        "auto", description="how worker processes start: fork where possible, or spawn"
    )
    explain: bool = Field(
        True, description="on infeasibility, name the rule instances that collide"
    )
    relax: bool = Field(False, description="turn hard rules into penalised shortfalls (--relax)")
    reference: Plan | None = Field(
        None, description="re-planning: keep as much of this plan as the changed data allows"
    )


class HorizonNote(BaseModel):
    """How a plan with --horizon went: planned jointly with the later years, or — when the
    years cannot all be met — the firm year alone, with the first year that fails and why."""

    model_config = ConfigDict(frozen=True)

    years: int
    joint: bool
    year: int | None = None
    reason: str = ""
    conflicts: tuple[Conflict, ...] = ()


class SolveResult(BaseModel):
    """What one solve produced; never raised, always returned (infeasible and timed-out too)."""

    model_config = ConfigDict(frozen=True)

    status: PlanStatus
    plan: Plan
    objective: int | None = None
    best_bound: int | None = None
    terms: dict[str, int] = Field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    components: int = 0
    time_limit_hit: bool = False
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    wall_seconds: float = 0.0
    itinerant_seconds: float = Field(0.0, description="the 走教 stage, included in the others")
    horizon: HorizonNote | None = None

    @property
    def gap(self) -> float | None:
        """Relative distance between objective and bound (0 when proven optimal)."""
        if self.objective is None or self.best_bound is None:
            return None
        return abs(self.best_bound - self.objective) / max(1, abs(self.best_bound))


class Verdict(BaseModel):
    """Whether a plan may go to the bureau for signature, and the Chinese notice saying why not
    (or what to know): shown in the 审批表's titles and in the plan JSON."""

    model_config = ConfigDict(frozen=True)

    approvable: bool
    notice: str = ""


#: The notice on a plan that exists but breaks rules (--relax, or an edited plan).
NOT_FOR_APPROVAL = "未满足全部规则，仅供讨论，不得报批"


def verdict(result: SolveResult, checks: Sequence[RuleCheck]) -> Verdict:
    """A plan is approvable when it was found and every rule instance holds on it."""
    if result.status == "infeasible":
        return Verdict(approvable=False, notice="规则无法同时满足，未生成方案，不得报批")
    if result.status == "unknown":
        return Verdict(approvable=False, notice="在时间上限内未求得方案，不得报批")
    if result.shortfalls or any(not c.ok for c in checks):
        return Verdict(approvable=False, notice=NOT_FOR_APPROVAL)
    if result.status == "feasible":
        return Verdict(
            approvable=True, notice="符合全部规则；在时间上限内未证明最优，可加大时间上限重新编制"
        )
    return Verdict(approvable=True)
