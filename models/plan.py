"""A rotation plan for one school year: the machine contract of SPEC §5 (`schema_version: 1`)."""

from __future__ import annotations

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


class RuleCheck(BaseModel):
    """One rule instance checked on a plan: rule id, scope, required vs actual, pass or fail."""

    model_config = ConfigDict(frozen=True)

    rule: str
    scope: str
    required: str
    actual: str
    ok: bool
    details: tuple[str, ...] = ()


class Conflict(BaseModel):
    """A rule instance that cannot be met, in policy words (when infeasible)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    scope: str
    message: str
    group: str = ""


class Shortfall(BaseModel):
    """How far a relaxed plan (--relax) falls short of one rule instance."""

    model_config = ConfigDict(frozen=True)

    rule: str
    scope: str
    missing: int
    message: str


PlanStatus = Literal["optimal", "feasible", "infeasible", "unknown"]

#: How worker processes start: "auto" forks where the platform can (nothing is pickled) and
#: spawns elsewhere (Windows); "spawn" can be asked for anywhere. Plans are the same either way.
StartMethod = Literal["auto", "fork", "spawn"]


class Plan(BaseModel):
    """The new rotations and this year's returns for one plan year."""

    model_config = ConfigDict(frozen=True)

    plan_year: int
    rotations: tuple[NewRotation, ...] = ()
    returns: tuple[Return, ...] = ()


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

    @property
    def gap(self) -> float | None:
        """Relative distance between objective and bound (0 when proven optimal)."""
        if self.objective is None or self.best_bound is None:
            return None
        return abs(self.best_bound - self.objective) / max(1, abs(self.best_bound))
