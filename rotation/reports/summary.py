"""The Chinese summary `rotation validate` prints: per group, then what a clerk should check."""

from __future__ import annotations

from models import District
from models.policy import display_param, format_param
from models.requirements import (
    demand_warnings,
    group_requirement,
    itinerant_warnings,
    lead_pool_warnings,
    unmovable_warnings,
)
from models.rules import precheck


def summary_lines(district: District) -> list[str]:
    """Per-group facts and the minimum the rules demand, then warnings worth a look."""
    p = district.policy.district
    lines = [
        f"校验通过：{district.name}，{district.plan_year}学年",
        f"共 {len(district.groups)} 个集团，{len(district.schools)} 所学校，"
        f"{len(district.teachers)} 名专任教师，符合交流条件 {len(district.eligible_teachers())} 名；"
        f"在岗交流 {sum(1 for t in district.teachers if district.status(t.teacher_id).ongoing)} 名，"
        f"本学年期满返回 {sum(1 for t in district.teachers if district.status(t.teacher_id).returning)} 名",
        f"规则：最低交流比例 {format_param('min_rotation_ratio', p.min_rotation_ratio)}"
        f"（{'按学校' if p.ratio_scope == 'school' else '按集团'}，"
        f"基数为{'全部专任教师' if p.ratio_base == 'full_time' else '符合条件教师'}），"
        f"骨干占比 ≥{format_param('backbone_share', p.backbone_share)}",
    ]
    if p.min_rotation_ratio_by_size:
        lines.append(
            "按集团规模的最低交流比例："
            f"{display_param('min_rotation_ratio_by_size', p.min_rotation_ratio_by_size)}"
            "（集团单独设置的比例优先；学校数不在分段内的集团按全区比例）"
        )
    lines += itinerant_lines(district)
    lines += [
        "",
        "集团 | 学校 | 薄弱校 | 教师 | 符合条件 | 其中骨干 | 交流比例 | 至少交流 | 至少骨干",
    ]
    for group in district.groups:
        req = group_requirement(district, group.group_id)
        lines.append(
            f"{group.name} | {req.schools} | {req.weak_schools} | {req.teachers} | {req.eligible} | "
            f"{req.eligible_backbone} | {format_param('min_rotation_ratio', req.min_ratio)} | "
            f"{req.min_rotations} | {req.min_backbone}"
        )
    foreseen = precheck(district)
    if foreseen:
        lines += [
            "",
            f"预计无法满足的规则（{len(foreseen)} 条；不论怎样编制都做不到，请先调整数据或规则参数）：",
        ]
        lines += [f"  [无法满足] {m}" for m in foreseen]
    notes = hints(district) + [str(w) for w in district.warnings]
    if notes:
        lines += ["", f"需要注意（{len(notes)} 条）："]
        lines += [f"  [提示] {n}" for n in notes]
    return lines


def itinerant_lines(district: District) -> list[str]:
    """The 走教需求 in one line per fact: how much, of which subjects, under which limits."""
    rows = district.itinerant_demand
    if not rows:
        return []
    by_subject: dict[str, int] = {}
    for r in rows:
        by_subject[r.subject] = by_subject.get(r.subject, 0) + r.periods
    p = district.policy.district
    subjects = "、".join(f"{s} {n}" for s, n in sorted(by_subject.items(), key=lambda x: -x[1]))
    return [
        f"走教需求：{len({r.school_id for r in rows})} 所学校 {len(rows)} 条，"
        f"每周共 {sum(by_subject.values())} 课时（{subjects}）",
        f"走教规则：每人每周至多 {p.itinerant_max_periods} 课时、{p.itinerant_max_schools} 所外校，"
        f"单程不超过 {p.itinerant_max_km} 公里，"
        f"{'本集团内' if p.itinerant_scope == 'group' else '全区范围'}",
    ]


def hints(district: District) -> list[str]:
    """What is worth a look before planning though no rule fails for it (validate and the
    upload page): demand, the lead school's pool, unmovable teachers, 走教 no plan can cover."""
    return (
        demand_warnings(district)
        + lead_pool_warnings(district)
        + unmovable_warnings(district)
        + itinerant_warnings(district)
    )
