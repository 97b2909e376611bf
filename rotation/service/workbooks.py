"""The bureau's data workbook itself: a blank template, validating one, generating a sample."""

from __future__ import annotations

from pathlib import Path

from models import District
from rotation.formats.reading import read_district
from rotation.formats.safe_write import check_targets
from rotation.formats.template import write_template
from rotation.formats.writing import district_target, write_district
from rotation.reports.summary import summary_lines
from rotation.samples.generate import generate_district


def make_template(out: Path, *, force: bool) -> None:
    """`rotation template`: the blank workbook with instructions, drop-downs and default rules."""
    write_template(out, force=force)


def validate_input(input: Path, *, year: int | None) -> list[str]:
    """`rotation validate`: the summary of a valid input (InputError lists every problem)."""
    return summary_lines(read_district(input, year=year))


def generate_sample(
    out: Path,
    *,
    teachers: int,
    seed: int,
    structure: str,
    year: int,
    force: bool,
    itinerant: bool = True,
) -> District:
    """`rotation generate`: a synthetic district written as .xlsx, .json or a CSV folder (an
    existing folder only when it holds nothing but those CSV files, and with --force); with
    走教需求 at its small and weak schools unless `itinerant` is off."""
    check_targets([district_target(out)], force=force)
    district = generate_district(
        teachers=teachers, seed=seed, structure=structure, plan_year=year, itinerant=itinerant
    )
    write_district(district, out, force=force)
    return district
