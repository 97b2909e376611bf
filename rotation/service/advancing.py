"""`rotation advance`: next year's data from this year's approved plan (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models import District
from models.advance import advance as advance_district
from models.plan import Plan
from models.rules import violations
from rotation.formats.planio import read_plan_file
from rotation.formats.reading import read_district
from rotation.formats.safe_write import check_targets
from rotation.formats.template import write_filled_workbook
from rotation.formats.writing import district_target, write_district


@dataclass(frozen=True)
class Approved:
    """This year's data and approved plan (with its plan_id), and how many rule checks the
    plan fails."""

    district: District
    plan: Plan
    broken: int
    plan_id: str | None = None


def check_advance_targets(input: Path, plan_file: Path, output: Path, *, force: bool) -> None:
    """`rotation advance`, before any work: next year's data may be written at `output`
    (safe_write's rule; never over this year's data or the approved plan)."""
    check_targets([district_target(output)], [input, plan_file], force=force)


def read_approved(input: Path, plan_file: Path, *, year: int | None) -> Approved:
    """`rotation advance`, first step: the data and the approved plan, checked (a plan whose
    pair beside it carries another plan_id is refused)."""
    district = read_district(input, year=year)
    read = read_plan_file(plan_file)
    return Approved(district, read.plan, len(violations(district, read.plan)), read.plan_id)


def write_next_year(approved: Approved, output: Path, *, force: bool) -> District:
    """`rotation advance`, second step: next year's data, written to `output`."""
    following = advance_district(approved.district, approved.plan)
    if output.suffix.lower() == ".xlsx":  # the clerk fills it in next: as good as the template
        write_filled_workbook(following, output, force=force)
    else:
        write_district(following, output, force=force)
    return following
