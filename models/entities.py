"""One pydantic model per row of the bureau's workbook (SPEC §3).

Each field carries its Chinese column header and a one-line Chinese description: the reader,
the template and its 填写说明 sheet are all generated from these, never from a second copy.
The English field name is the accepted alias of the header.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from models.fields import (
    Backbone,
    Id,
    IdList,
    Int,
    OptFloat,
    OptId,
    OptInt,
    OptText,
    RequiredYesNo,
    Text,
    YesNo,
    enum_parser,
)
from models.vocab import Gender, GroupType, OngoingKind, PinKind, Stage, TeachingStage


def column(header: str, description: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field with its Chinese header; `row` and friends are not columns."""
    return Field(default, description=description, json_schema_extra={"header": header}, **kwargs)


class Row(BaseModel):
    """A row of one input sheet; `row` is where it stood (Excel row, or JSON position)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    SHEET: ClassVar[str] = ""
    ALIAS: ClassVar[str] = ""
    #: A sheet read and checked but not yet used by planning (走教 until its planning side
    #: exists): the template and its 填写说明 leave it out, the export writes it only when it
    #: has rows, and the reader warns that it is not planned yet.
    PREVIEW: ClassVar[bool] = False
    #: Columns in the same state on a sheet that is otherwise in use.
    PREVIEW_COLUMNS: ClassVar[frozenset[str]] = frozenset()

    row: int | None = Field(
        default=None, exclude=True, repr=False, json_schema_extra={"column": False}
    )

    @classmethod
    def columns(cls) -> dict[str, str]:
        """Field name → Chinese header, in template order."""
        result: dict[str, str] = {}
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra
            if isinstance(extra, dict) and "header" in extra:
                result[name] = str(extra["header"])
        return result

    @classmethod
    def shown_columns(cls) -> dict[str, str]:
        """The columns the template and its 填写说明 show: all but the preview ones."""
        return {n: h for n, h in cls.columns().items() if n not in cls.PREVIEW_COLUMNS}

    @classmethod
    def required_columns(cls) -> set[str]:
        """Field names whose column must be present."""
        return {n for n in cls.columns() if cls.model_fields[n].is_required()}


class Group(Row):
    """集团 / 学区: a set of schools led by one lead school."""

    SHEET: ClassVar[str] = "集团"
    ALIAS: ClassVar[str] = "groups"

    group_id: Id = column("集团编号", "集团或学区的唯一编号")
    name: Text = column("集团名称", "集团或学区全称")
    lead_school_id: Id = column("牵头学校编号", "牵头校（核心校）的学校编号，须是本集团的学校")
    type: Annotated[GroupType | None, enum_parser(GroupType, required=False)] = column(
        "集团类型", "紧密型、联盟型或学区，可不填", None
    )


class School(Row):
    """学校: one school and the group it belongs to."""

    SHEET: ClassVar[str] = "学校"
    ALIAS: ClassVar[str] = "schools"

    school_id: Id = column("学校编号", "学校的唯一编号")
    name: Text = column("学校名称", "学校全称")
    group_id: Id = column("集团编号", "所属集团或学区的编号")
    stage: Annotated[Stage, enum_parser(Stage)] = column("学段", "小学、初中、九年一贯、高中或职业")
    weak: RequiredYesNo = column("薄弱学校", "是否为相对薄弱学校：是/否")
    lon: OptFloat = column("经度", "学校经度（可选，用于计算通勤距离）", None, ge=-180, le=180)
    lat: OptFloat = column("纬度", "学校纬度（可选，用于计算通勤距离）", None, ge=-90, le=90)


class Teacher(Row):
    """教师: one full-time teacher; school_id is always the home school."""

    SHEET: ClassVar[str] = "教师"
    ALIAS: ClassVar[str] = "teachers"

    teacher_id: Id = column("教师编号", "教师的唯一编号（可用工号）")
    name: Text = column("姓名", "教师姓名")
    school_id: Id = column("学校编号", "人事关系所在学校（交流期间仍填原校）")
    subject: Text = column("学科", "任教学科，如 语文、数学")
    gender: Annotated[Gender, enum_parser(Gender)] = column("性别", "男 或 女")
    birth_year: Int = column("出生年份", "四位年份，如 1980", ge=1930, le=2015)
    years_at_school: Int = column(
        "本校连续任教年限", "截至编制学年开始时在本校连续任教的年数", ge=0, le=60
    )
    title: OptText = column("职称", "如 一级教师、高级教师（可选）", None)
    backbone: Backbone = column(
        "骨干", "是/否，或骨干级别（区级骨干、市级骨干、学科带头人、特级…）", None
    )
    management: YesNo = column("干部", "是否担任中层及以上管理职务：是/否", False)
    deferral: OptText = column(
        "暂缓交流原因", "留空表示无；填写原因（孕期、哺乳期、病休…）即暂缓交流", None
    )
    volunteer: YesNo = column("自愿交流", "本人是否申请交流：是/否（可选）", False)
    preferred_schools: IdList = column("意向学校", "意向流入学校的编号，用、或逗号分隔（可选）", ())
    school_recommended: YesNo = column("学校推荐", "是否经学校推荐：是/否（可选）", False)
    retirement_year: OptInt = column(
        "预计退休学年", "可选；不填则按性别、出生年份和规则中的退休年龄推算", None, ge=1990, le=2100
    )
    teaching_stage: Annotated[TeachingStage | None, enum_parser(TeachingStage, required=False)] = (
        column("任教学段", "小学、初中、高中或职业；九年一贯学校必填，其他学校可不填", None)
    )
    rotation_years_done: OptInt = column(
        "已交流年限",
        "截至编制学年开始时累计交流的年数（可选；用于晋升所需交流经历，留空表示不详）",
        None,
        ge=0,
        le=60,
    )
    schools_taught: OptInt = column(
        "任教过的学校数",
        "截至编制学年开始时任教过的学校数，含本校（可选；用于晋升所需交流经历，留空表示不详）",
        None,
        ge=1,
        le=60,
    )
    spare_periods: OptInt = column(
        "可走教课时",
        "每周可用于到外校走教的课时数（可选；留空按规则中的走教每周课时上限）",
        None,
        ge=0,
        le=40,
    )

    @property
    def is_backbone(self) -> bool:
        """Any backbone level counts."""
        return self.backbone is not None


class OngoingRotation(Row):
    """在岗交流: a rotation approved in an earlier year."""

    SHEET: ClassVar[str] = "在岗交流"
    ALIAS: ClassVar[str] = "ongoing"

    teacher_id: Id = column("教师编号", "正在交流的教师编号")
    from_school_id: Id = column("流出学校编号", "原学校（人事关系所在学校）编号")
    to_school_id: Id = column("流入学校编号", "交流所在学校编号")
    start_year: Int = column("开始学年", "交流开始的学年，如 2023", ge=1990, le=2100)
    end_year: Int = column("结束学年", "在流入学校的最后一个学年，如 2025", ge=1990, le=2100)
    kind: Annotated[OngoingKind, enum_parser(OngoingKind)] = column(
        "类型", "交流轮岗 或 托管常驻（可选，默认交流轮岗）", OngoingKind.ROTATION
    )


class Demand(Row):
    """需求: rotated teachers a school asks for."""

    SHEET: ClassVar[str] = "需求"
    ALIAS: ClassVar[str] = "demand"

    school_id: Id = column("学校编号", "提出需求的学校编号")
    subject: Text = column("学科", "需求学科")
    count: Int = column("人数", "需要交流教师的人数（默认1）", 1, ge=1, le=1000)


class ItinerantDemand(Row):
    """走教需求: weekly periods of a subject a school cannot staff itself (SPEC §11)."""

    SHEET: ClassVar[str] = "走教需求"
    ALIAS: ClassVar[str] = "itinerant_demand"

    school_id: Id = column("学校编号", "缺少该学科教师的学校编号")
    subject: Text = column("学科", "需要走教的学科，如 音乐、美术、英语")
    periods: Int = column("每周课时", "该学科每周需要外校教师承担的课时数", ge=1, le=60)


class EntrustedPair(Row):
    """托管: a supporting unit stations a resident team at an aided school."""

    SHEET: ClassVar[str] = "托管"
    ALIAS: ClassVar[str] = "entrusted"

    supporting_school_id: Id = column("支援单位编号", "派出常驻团队的支援学校编号")
    aided_school_id: Id = column("受援学校编号", "被托管的受援学校编号")
    min_residents: Int = column(
        "常驻人数下限", "受援学校常驻人数的最低要求（默认3）", 3, ge=0, le=100
    )
    min_managers: Int = column("管理人员下限", "常驻人员中干部的最低人数（默认1）", 1, ge=0, le=100)


class Pin(Row):
    """锁定: a decision HR has already taken about one teacher."""

    SHEET: ClassVar[str] = "锁定"
    ALIAS: ClassVar[str] = "pins"

    teacher_id: Id = column("教师编号", "被锁定的教师编号")
    kind: Annotated[PinKind, enum_parser(PinKind)] = column(
        "类型", "必须交流至、不得交流 或 不得交流至"
    )
    school_id: OptId = column("学校编号", "必须交流至/不得交流至 的学校编号", None)
    reason: OptText = column("原因", "作出该决定的原因，会写入审批表", None)


ROW_MODELS: tuple[type[Row], ...] = (
    Group,
    School,
    Teacher,
    OngoingRotation,
    Demand,
    EntrustedPair,
    Pin,
    ItinerantDemand,
)

#: The sheets the template and its 填写说明 show (ROW_MODELS without the preview ones).
SHOWN_ROW_MODELS: tuple[type[Row], ...] = tuple(m for m in ROW_MODELS if not m.PREVIEW)
