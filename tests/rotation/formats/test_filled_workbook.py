"""The workbook `rotation advance` writes is as good as the template, and reads back the same."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from models import SHOWN_ROW_MODELS
from models.advance import advance
from models.plan import SolveOptions
from models.policy import POLICY_SHEET
from rotation.cli.app import app
from rotation.formats.planio import read_plan
from rotation.formats.reading import read_district
from rotation.formats.template import (
    INSTRUCTIONS_SHEET,
    column_choices,
    write_filled_workbook,
    write_template,
)
from rotation.formats.writing import POLICY_DESCRIPTION_HEADER, POLICY_LABEL_HEADER
from rotation.samples.generate import generate_district
from solvers.solve import solve

runner = CliRunner()


def validated_columns(sheet: object) -> set[str]:
    """The columns (letters) a sheet's data validations cover, from row 2 down."""
    columns = set()
    for validation in sheet.data_validations.dataValidation:  # type: ignore[attr-defined]
        for cell_range in validation.sqref.ranges:
            columns.add(cell_range.coord.split(":")[0].rstrip("0123456789"))
    return columns


def test_filled_workbook_reads_back_equal_without_new_warnings(tmp_path: Path) -> None:
    district = generate_district(teachers=300, seed=4)
    following = advance(district, solve(district, SolveOptions()).plan)
    out = tmp_path / f"{following.name}.xlsx"
    write_filled_workbook(following, out)
    back = read_district(out)
    assert back.model_dump() == following.model_dump()
    assert not [w for w in back.warnings if "说明" in str(w) or "未读入" in str(w)]


def test_filled_workbook_has_the_templates_guide_drop_downs_and_policy_columns(
    tmp_path: Path,
) -> None:
    district = generate_district(teachers=200, seed=5)
    filled, blank = tmp_path / "filled.xlsx", tmp_path / "blank.xlsx"
    write_filled_workbook(district, filled)
    write_template(blank)
    ours, template = openpyxl.load_workbook(filled), openpyxl.load_workbook(blank)
    assert ours.sheetnames == template.sheetnames
    assert ours.sheetnames[0] == INSTRUCTIONS_SHEET
    guide = [[c.value for c in row] for row in ours[INSTRUCTIONS_SHEET].iter_rows()]
    assert guide == [[c.value for c in row] for row in template[INSTRUCTIONS_SHEET].iter_rows()]
    for model in SHOWN_ROW_MODELS:
        expected = validated_columns(template[model.SHEET])
        assert expected == validated_columns(ours[model.SHEET]), model.SHEET
        if any(column_choices(model, name) for name in model.columns()):
            assert expected, model.SHEET
    policy = ours[POLICY_SHEET]
    header = [c.value for c in policy[1]]
    assert POLICY_LABEL_HEADER in header and header[-1] == POLICY_DESCRIPTION_HEADER
    assert all(row[-1].value for row in policy.iter_rows(min_row=2))  # every 说明 filled in
    assert policy.data_validations.dataValidation  # yes/no and choice parameters


def test_advance_writes_the_filled_workbook(tmp_path: Path) -> None:
    data = tmp_path / "区.xlsx"
    assert runner.invoke(app, ["generate", str(data), "--teachers", "300"]).exit_code == 0
    assert runner.invoke(app, ["plan", str(data)]).exit_code == 0
    out = tmp_path / "区.xlsx"
    next_year = tmp_path / "next" / "区.xlsx"
    next_year.parent.mkdir()
    result = runner.invoke(
        app, ["advance", str(data), str(tmp_path / "区-方案.json"), "-o", str(next_year)]
    )
    assert result.exit_code == 0, result.output
    in_memory = advance(read_district(out), read_plan(tmp_path / "区-方案.json"))
    assert read_district(next_year).model_dump() == in_memory.model_dump()
    workbook = openpyxl.load_workbook(next_year)
    assert workbook.sheetnames[0] == INSTRUCTIONS_SHEET
    assert workbook["教师"].data_validations.dataValidation
