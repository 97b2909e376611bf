"""pandas views of a plan, for an analyst's notebook: the approval workbook's sheets as data
frames (the very rows the 审批表 holds), and the machine-readable tables with their ids.

pandas is imported here only: the command line and the fast reader never load it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from models import District
from models.plan import Plan, RuleCheck, SolveResult
from models.rules import check_plan
from rotation.formats.xlsxfast import Table
from rotation.reports.approval import approval_tables


def table_frame(table: Table) -> pd.DataFrame:
    """One sheet as a data frame: its header as columns (blank-named ones added when rows are
    wider, as 汇总's are), its rows as rows, styled cells as their values."""
    return pd.DataFrame(table.plain_rows(), columns=table.plain_header())


def approval_frames(
    district: District,
    result: SolveResult,
    checks: Sequence[RuleCheck] | None = None,
    *,
    reference: Plan | None = None,
    scenario: str = "",
) -> dict[str, pd.DataFrame]:
    """Every sheet of the 审批表 the plan would get, by sheet name (交流名单, 学校汇总, 规则核查…)."""
    checks = check_plan(district, result.plan) if checks is None else checks
    tables = approval_tables(
        district,
        result,
        checks,
        input_sha256="",
        scenario=scenario,
        timings={},
        reference=reference,
    )
    return {t.name: table_frame(t) for t in tables}


def rotations_frame(plan: Plan) -> pd.DataFrame:
    """The new rotations as the plan JSON lists them: ids exactly as in the input."""
    columns = ["teacher_id", "from_school_id", "to_school_id", "start_year", "end_year", "kind"]
    rows = [r.model_dump(mode="json") for r in plan.rotations]
    return pd.DataFrame(rows, columns=columns)


def compliance_frame(checks: Sequence[RuleCheck]) -> pd.DataFrame:
    """Every rule instance checked, with the ids of its scope and its numbers (minimum ≤ count ≤
    maximum where the rule counts people), one row each: filter by group, school or rule."""
    columns = list(RuleCheck.model_fields)
    rows = [c.model_dump(mode="json") for c in checks]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("minimum", "maximum", "count"):
        frame[column] = frame[column].astype("Int64")
    return frame
