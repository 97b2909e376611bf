"""The blank template: generated from the models, and a filled-in copy reads back as expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from models import (
    SHOWN_ROW_MODELS,
    District,
    Group,
    InputError,
    Policy,
    PolicySet,
    School,
    Teacher,
)
from models.policy import PREVIEW_KEYS, SHOWN_PARAMETER_KEYS, description_of, label_of
from rotation.formats.reading import read_district
from rotation.formats.safe_write import OutputExists
from rotation.formats.template import INSTRUCTIONS_SHEET, write_template
from rotation.formats.writing import MARKED_PATTERN


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "模板.xlsx"
    write_template(path)
    return path


def test_every_sheet_has_its_headers_in_model_order(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == [INSTRUCTIONS_SHEET, *(m.SHEET for m in SHOWN_ROW_MODELS), "规则"]
    assert "走教需求" in workbook.sheetnames  # 走教 is planned (issue 17)
    assert "可走教课时" in [c.value for c in workbook["教师"][1]]
    guide = [c for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True) for c in row]
    assert any(isinstance(c, str) and "走教" in c for c in guide)
    for model in SHOWN_ROW_MODELS:
        ws = workbook[model.SHEET]
        assert [c.value for c in ws[1]] == list(model.shown_columns().values())
        assert ws.freeze_panes == "A2"
        for cell, name in zip(ws[1], model.shown_columns(), strict=True):
            required = name in model.required_columns()
            assert (cell.fill.fgColor.rgb == MARKED_PATTERN.fgColor.rgb) == required, name
            assert cell.comment is not None
            assert cell.comment.text.startswith("必填" if required else "可选")


def test_drop_downs_offer_the_vocabulary(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)

    def lists(sheet: str) -> dict[str, str]:
        ws = workbook[sheet]
        headers = {c.column_letter: c.value for c in ws[1]}
        found = {}
        for validation in ws.data_validations.dataValidation:
            if validation.type == "list":
                letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
                found[headers[letter]] = validation.formula1
        return found

    assert lists("学校") == {"学段": '"小学,初中,九年一贯,高中,职业"', "薄弱学校": '"是,否"'}
    teachers = lists("教师")
    assert teachers["性别"] == '"男,女"' and teachers["任教学段"] == '"小学,初中,高中,职业"'
    assert teachers["干部"] == teachers["自愿交流"] == teachers["骨干"] == '"是,否"'
    assert lists("集团") == {"集团类型": '"紧密型,联盟型,学区"'}
    assert lists("在岗交流") == {"类型": '"交流轮岗,托管常驻"'}
    assert lists("锁定") == {"类型": '"必须交流至,不得交流,不得交流至"'}


def test_policy_sheet_lists_every_parameter_with_its_default(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["规则"]
    assert [c.value for c in ws[1]] == ["参数", "中文名称", "值", "集团编号", "说明"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == list(SHOWN_PARAMETER_KEYS)
    assert not PREVIEW_KEYS & {r[0] for r in rows}  # 走教: not shown until it is planned
    assert all(r[1] == label_of(r[0]) and r[4] == description_of(r[0]) for r in rows)
    values = {r[0]: r[2] for r in rows}
    assert values["plan_year"] is None
    assert values["min_years_at_school"] == 6 and values["min_rotation_ratio"] == "10%"
    assert values["flow_direction"] == "lead_to_member,member_to_lead"
    assert values["lead_outflow_ratio"] is None
    assert values["min_rotation_ratio_by_size"] is None
    by_size = next(r for r in rows if r[0] == "min_rotation_ratio_by_size")
    assert by_size[1] == "按集团规模的最低交流比例" and "1-4:10%,5-8:12%,9-:15%" in by_size[4]


def test_instructions_come_from_the_models(template: Path) -> None:
    ws = openpyxl.load_workbook(template)[INSTRUCTIONS_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    for model in SHOWN_ROW_MODELS:
        for name, header in model.shown_columns().items():
            description = model.model_fields[name].description
            required = "必填" if name in model.required_columns() else "可选"
            assert (model.SHEET, model.ALIAS, header, name, required, description) in [
                (r[0], r[1], r[3], r[4], r[5], r[6]) for r in rows
            ]


def test_the_blank_template_only_lacks_data_and_plan_year(template: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        read_district(template)
    messages = {(p.sheet, p.message) for p in excinfo.value.errors}
    assert messages == {
        ("集团", "没有任何集团"),
        ("学校", "没有任何学校"),
        ("教师", "没有任何教师"),
        ("规则", "未指定编制学年：请在规则表填写 plan_year，或在命令行使用 --year"),
    }


def test_template_refuses_to_overwrite(template: Path) -> None:
    with pytest.raises(OutputExists):
        write_template(template)
    write_template(template, force=True)


def fill(ws: Any, rows: list[dict[str, Any]]) -> None:
    headers = [c.value for c in ws[1]]
    for values in rows:
        ws.append([values.get(h) for h in headers])


def test_filled_template_reads_back(template: Path, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(template)
    fill(workbook["集团"], [{"集团编号": "G1", "集团名称": "城关教育集团", "牵头学校编号": "001"}])
    fill(
        workbook["学校"],
        [
            {
                "学校编号": "001",
                "学校名称": "城关小学",
                "集团编号": "G1",
                "学段": "小学",
                "薄弱学校": "否",
            },
            {
                "学校编号": "002",
                "学校名称": "乡镇小学",
                "集团编号": "G1",
                "学段": "小学",
                "薄弱学校": "是",
            },
        ],
    )
    fill(
        workbook["教师"],
        [
            {
                "教师编号": "T1",
                "姓名": "张一",
                "学校编号": "001",
                "学科": "数学",
                "性别": "女",
                "出生年份": 1980,
                "本校连续任教年限": 8,
                "骨干": "区级骨干",
                "意向学校": "002",
            },
            {
                "教师编号": "T2",
                "姓名": "李二",
                "学校编号": "002",
                "学科": "语文",
                "性别": "男",
                "出生年份": 1975,
                "本校连续任教年限": 12,
                "干部": "是",
            },
        ],
    )
    policy = workbook["规则"]
    for row in policy.iter_rows(min_row=2):
        if row[0].value == "plan_year":
            row[2].value = 2025
    out = tmp_path / "城关区.xlsx"
    workbook.save(out)

    expected = District(
        name="城关区",
        groups=(Group(group_id="G1", name="城关教育集团", lead_school_id="001"),),
        schools=(
            School(school_id="001", name="城关小学", group_id="G1", stage="小学", weak=False),
            School(school_id="002", name="乡镇小学", group_id="G1", stage="小学", weak=True),
        ),
        teachers=(
            Teacher(
                teacher_id="T1",
                name="张一",
                school_id="001",
                subject="数学",
                gender="女",
                birth_year=1980,
                years_at_school=8,
                backbone="区级骨干",
                preferred_schools=("002",),
            ),
            Teacher(
                teacher_id="T2",
                name="李二",
                school_id="002",
                subject="语文",
                gender="男",
                birth_year=1975,
                years_at_school=12,
                management=True,
            ),
        ),
        policy=PolicySet(district=Policy(plan_year=2025)),
    )
    district = read_district(out)
    assert district.model_dump() == expected.model_dump()
    assert [t.row for t in district.teachers] == [2, 3]
