"""The joint horizon: years optimised in order, deterministic, and a horizon that cannot be met
names its year and rules (in the result, the 汇总 sheet and the JSON)."""

from __future__ import annotations

import pytest

from models import District
from models.plan import SolveOptions
from models.policy import parse_param
from models.rules import violations
from rotation.formats.planio import horizon_json
from rotation.reports.approval_summary import horizon_rows
from rotation.samples.generate import generate_district
from rotation.service.planning import solve_district
from solvers.horizon import solve_horizon
from solvers.solve import solve


@pytest.mark.parametrize(
    ("teachers", "seed", "structure"), [(600, 3, "minhang"), (300, 7, "minhang")]
)
def test_joint_firm_year_passes_every_rule_and_is_the_one_year_optimum(
    teachers: int, seed: int, structure: str
) -> None:
    """Default tolerance 0: the firm year passes every checker; when the year-by-year chain can
    be met, the firm year is the one-year optimum (the years are optimised in order)."""
    d = generate_district(teachers=teachers, seed=seed, structure=structure)
    joint = solve_horizon(d, 3, SolveOptions(workers=1))
    assert joint.status == "optimal"
    assert violations(d, joint.plans[0]) == []
    assert joint.objectives[0] == solve(d, SolveOptions(workers=1)).objective


def test_joint_horizon_is_deterministic() -> None:
    d = generate_district(teachers=600, seed=3, structure="ganzhou")
    first = solve_horizon(d, 3, SolveOptions(workers=2))
    again = solve_horizon(d, 3, SolveOptions(workers=1))
    assert first.status == again.status
    assert first.plans == again.plans and first.objective == again.objective


def short_of_teachers() -> District:
    """Minhang, 400 teachers, seed 5, a 20 % minimum: 2025 can be planned alone, 2026 cannot
    (the chain of one-year plans runs out in one group)."""
    d = generate_district(teachers=400, seed=5, structure="minhang")
    policy = d.policy.district.model_copy(
        update={"min_rotation_ratio": parse_param("min_rotation_ratio", "20%")}
    )
    return d.replace(policy=d.policy.model_copy(update={"district": policy}))


def test_a_horizon_that_cannot_be_met_names_the_year_and_the_rules() -> None:
    """The firm year is planned alone, the reason kept."""
    d = short_of_teachers()
    said: list[str] = []
    result, later = solve_district(
        d, SolveOptions(workers=1), horizon=3, echo=lambda m, **_: said.append(m)
    )
    assert result.status == "optimal" and later == ()
    note = result.horizon
    assert note is not None and not note.joint
    assert note.year == 2026
    rules = {c.rule for c in note.conflicts}
    assert "min_rotation_ratio" in rules
    assert "2026学年" in note.reason and "2026学年" in said[0]
    summary = [[str(c.value if hasattr(c, "value") else c) for c in r] for r in horizon_rows(note)]
    assert ["无法满足的学年", "2026学年", ""] in summary
    assert any(r[:1] == ["冲突规则"] and "最低交流比例" in r[2] for r in summary), summary
    data = horizon_json(note)
    assert data["joint"] is False and data["year"] == 2026
    assert {c["rule"] for c in data["conflicts"]} == rules


def test_a_joint_horizon_says_so() -> None:
    d = generate_district(teachers=300, seed=7, structure="minhang")
    result, later = solve_district(d, SolveOptions(workers=1), horizon=3)
    assert result.horizon is not None and result.horizon.joint and result.horizon.years == 3
    assert len(later) == 2
    assert horizon_json(result.horizon) == {"years": 3, "joint": True, "conflicts": []}


def test_a_horizon_that_cannot_be_met_has_no_plans_and_says_how_many_years() -> None:
    d = short_of_teachers()
    joint = solve_horizon(d, 3, SolveOptions(workers=1))
    assert joint.status == "infeasible" and joint.years == 3 and joint.plans == ()
    assert joint.failed_year == 2026
    assert {f.year for f in joint.failures} == {2026}
