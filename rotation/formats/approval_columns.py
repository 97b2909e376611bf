"""The approval workbook's (审批表) 交流名单, 在岗交流 and 公示名单 sheets, and its plan_id row,
declared once.

`rotation.reports.approval` writes these sheets with exactly these headers, and
`rotation check` / `rotation advance` read a plan back from them (`planio.read_plan`) — for
instance after HR edited the list by hand in Excel — and `check` compares every column a reader
can compare (`PLAN_COMPARED`) with the data, and 公示名单 with 交流名单. Both sides import the
names from here.
"""

from __future__ import annotations

from models.plan import RotationKind

PLAN_SHEET = "交流名单"
SUMMARY_SHEET = "汇总"
#: The label (first column) of the 汇总 row holding the plan_id the plan JSON carries too.
PLAN_ID_LABEL = "方案编号(plan_id)"
ONGOING_SHEET = "在岗交流"
PUBLIC_SHEET = "公示名单"

#: 交流类型 as the sheet shows it, for each kind of new rotation.
KIND_NAMES = {RotationKind.ROTATION: "交流轮岗", RotationKind.ENTRUSTED: "托管常驻"}

TEACHER_ID = "教师编号"
FROM_SCHOOL_ID = "流出学校编号"
TO_SCHOOL_ID = "流入学校编号"
START_YEAR = "开始学年"
END_YEAR = "结束学年"
KIND = "交流类型"
STATUS = "状态"
RETURN_YEAR = "返回学年"

#: 状态 of an ongoing rotation that ends with a return home this year, and of one that goes on.
RETURNING = "本学年返回"
SERVING = "在岗"

PLAN_HEADER = [
    "序号",
    TEACHER_ID,
    "姓名",
    "学科",
    "职称",
    "骨干",
    FROM_SCHOOL_ID,
    "流出学校",
    TO_SCHOOL_ID,
    "流入学校",
    "集团",
    START_YEAR,
    END_YEAR,
    KIND,
    "考核单位",
    "通勤距离(km)",
    "入选理由",
]

ONGOING_HEADER = [
    TEACHER_ID,
    "姓名",
    "学科",
    FROM_SCHOOL_ID,
    "流出学校",
    TO_SCHOOL_ID,
    "流入学校",
    START_YEAR,
    END_YEAR,
    "类型",
    STATUS,
    RETURN_YEAR,
]

#: The 交流名单 columns a plan is read back from (交流类型 too, when present).
PLAN_READ = (TEACHER_ID, FROM_SCHOOL_ID, TO_SCHOOL_ID, START_YEAR, END_YEAR)
#: The 在岗交流 columns the year's returns are read back from.
ONGOING_READ = (TEACHER_ID, FROM_SCHOOL_ID, TO_SCHOOL_ID, STATUS, RETURN_YEAR)

#: 交流名单 columns `check` compares with the data (the ids and years are read as the plan).
PLAN_COMPARED = (
    "姓名",
    "学科",
    "职称",
    "骨干",
    "流出学校",
    "流入学校",
    "集团",
    KIND,
    "考核单位",
)

TERM = "交流期限"
#: 公示名单: what may be posted, and nothing more (SPEC §5); a title row stands above it.
PUBLIC_HEADER = ["序号", "姓名", "学科", "流出学校", "流入学校", TERM]
#: The 公示名单 columns that must equal 交流名单's (交流期限 from its 开始/结束学年).
PUBLIC_COMPARED = ("姓名", "学科", "流出学校", "流入学校", TERM)


def term_text(start_year: int, end_year: int) -> str:
    """交流期限 as posted: 2025-2026学年至2027-2028学年."""
    return f"{start_year}-{start_year + 1}学年至{end_year}-{end_year + 1}学年"


#: 走教 (SPEC §11, issue 17): the assignments, one row each, and per school and subject what
#: the 走教需求 sheet asked for and what the plan covers.
ITINERANT_SHEET = "走教安排"
ITINERANT_SUMMARY_SHEET = "走教汇总"
PRESENT_SCHOOL_ID = "本校编号"
SERVED_SCHOOL_ID = "走教学校编号"
ITINERANT_SUBJECT = "学科"
ITINERANT_PERIODS = "每周课时"
ITINERANT_KM = "单程距离(km)"
ITINERANT_SUBSIDY = "每学期交通补助(元)"
ITINERANT_HEADER = [
    "序号",
    TEACHER_ID,
    "教师",
    ITINERANT_SUBJECT,
    PRESENT_SCHOOL_ID,
    "本校（当年）",
    SERVED_SCHOOL_ID,
    "走教学校",
    ITINERANT_PERIODS,
    "每周往返次数",
    ITINERANT_KM,
    ITINERANT_SUBSIDY,
]
#: The 走教安排 columns the plan's 走教 is read back from.
ITINERANT_READ = (
    TEACHER_ID,
    ITINERANT_SUBJECT,
    PRESENT_SCHOOL_ID,
    SERVED_SCHOOL_ID,
    ITINERANT_PERIODS,
    ITINERANT_KM,
    ITINERANT_SUBSIDY,
)
ITINERANT_SUMMARY_HEADER = [
    "集团",
    "学校编号",
    "学校",
    "薄弱学校",
    "学科",
    "需求课时",
    "已安排课时",
    "未安排课时",
    "走教教师",
    "原因",
]
