"""What `plan`, `explain` and `check` print: short Chinese summaries, long lists cut short."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from models import District
from models.plan import NOT_FOR_APPROVAL, Conflict, RuleCheck, SolveResult
from models.rules import RULES
from rotation.exit_codes import EXIT_OK, EXIT_RULES
from rotation.service.checking import Explanation
from rotation.service.planning import itinerant_sentence

#: Warnings printed before planning; `validate` lists them all.
SHOWN_WARNINGS = 10
#: Conflicts or shortfalls printed; the 不可行说明 sheet lists them all.
SHOWN_ITEMS = 30


def _more(total: int, echo: Callable[..., None]) -> None:
    if total > SHOWN_ITEMS:
        echo(f"  ……其余 {total - SHOWN_ITEMS} 条见审批表「不可行说明」", err=True)


def report_read(district: District, input: Path, echo: Callable[..., None]) -> None:
    """Before planning: the input's first warnings, and what is about to be planned."""
    warnings = district.warnings
    for warning in warnings[:SHOWN_WARNINGS]:
        echo(f"提示：{warning}", err=True)
    if len(warnings) > SHOWN_WARNINGS:
        more = len(warnings) - SHOWN_WARNINGS
        echo(f"提示：另有 {more} 条提示，可用 rotation validate {input} 查看全部", err=True)
    echo(
        f"已读取 {district.name}：{len(district.groups)} 个集团，{len(district.teachers)} 名教师，"
        f"符合交流条件 {len(district.eligible_teachers())} 名；正在编制 {district.plan_year} 学年方案…"
    )


def report_result(
    result: SolveResult,
    output: Path,
    json_out: Path | None,
    echo: Callable[..., None],
    district: District | None = None,
) -> int:
    """A short Chinese summary of the outcome (with the 走教 when `district` has demand); the
    exit code."""
    written = f"审批表：{output}" + (f"；方案 JSON：{json_out}" if json_out else "")
    itinerant = itinerant_sentence(district, result.plan) if district is not None else None
    if result.shortfalls:
        echo(
            f"规则无法同时满足，已按 --relax 编制最接近的方案：新交流 {len(result.plan.rotations)} 人。"
            "以下规则未能满足（已在规则核查中标为未通过）：",
            err=True,
        )
        missing: dict[str, list[int]] = {}
        for s in result.shortfalls:
            missing.setdefault(s.rule, []).append(s.missing)
        summary = "；".join(
            f"{RULES[rule].name}{len(gaps)}处、共缺{sum(gaps)}" for rule, gaps in missing.items()
        )
        echo(f"  合计：{summary}", err=True)
        for s in result.shortfalls[:SHOWN_ITEMS]:
            echo(
                f"  - {RULES[s.rule].name}（{s.rule}）{s.scope}：缺{s.missing}。{s.message}",
                err=True,
            )
        _more(len(result.shortfalls), echo)
        if itinerant:
            echo(itinerant, err=True)
        echo(f"审批表和方案 JSON 已标注「{NOT_FOR_APPROVAL}」。{written}", err=True)
        return EXIT_RULES
    if result.status in ("optimal", "feasible"):
        proven = "已证明最优" if result.status == "optimal" else "未证明最优（已达时间上限）"
        echo(
            f"方案已生成（{proven}）：新交流 {len(result.plan.rotations)} 人，期满返回 {len(result.plan.returns)} 人，"
            f"目标值 {result.objective}。{written}"
        )
        if itinerant:
            echo(itinerant)
        return EXIT_OK
    if result.status == "infeasible":
        echo(
            "规则无法同时满足，未能生成方案。以下规则相互冲突（去掉其中任何一条，其余即可同时满足）：",
            err=True,
        )
        for conflict in result.conflicts[:SHOWN_ITEMS]:
            echo(f"  - {conflict.message}", err=True)
        _more(len(result.conflicts), echo)
        rules = "、".join(
            dict.fromkeys(RULES[c.rule].name for c in result.conflicts if c.rule in RULES)
        )
        echo(f"涉及规则：{rules}。说明已写入{written}", err=True)
        echo("如需一份最接近的方案带去会上讨论，可加 --relax 重新编制。", err=True)
    else:
        echo(f"在时间上限内未求得方案，请加大 --time-limit 后重试。{written}", err=True)
    return EXIT_RULES


def conflict_lines(conflicts: Sequence[Conflict]) -> list[str]:
    """Conflicts grouped by the group (component) they arise in, numbered within it."""
    by_group: dict[str, list[Conflict]] = {}
    for c in conflicts:
        by_group.setdefault(c.group, []).append(c)
    lines = [
        f"共 {len(by_group)} 处无法同时满足；每处列出相互冲突的规则（去掉其中任何一条，其余即可同时满足）："
    ]
    for group, items in by_group.items():
        lines.append(f"【{group}】")
        lines += [f"  {n}. {c.message}" for n, c in enumerate(items, 1)]
    return lines


def report_explanation(explanation: Explanation, echo: Callable[..., None]) -> int:
    """Print the minimal conflicts (exit 2), or confirm the rules hold and summarise where the
    plan departs from seniority and why (exit 0)."""
    district, result = explanation.district, explanation.result
    if result.status == "infeasible":
        echo(f"{district.name} {district.plan_year} 学年：规则无法同时满足。")
        for line in conflict_lines(result.conflicts):
            echo(line)
        echo("可调整数据或规则参数后重新编制；或用 `rotation plan --relax` 编制最接近的方案。")
        return EXIT_RULES
    if result.status == "unknown":
        echo("在时间上限内未能判断规则能否同时满足。")
        return EXIT_RULES
    echo(
        f"{district.name} {district.plan_year} 学年：全部规则可以同时满足，"
        f"最优方案新交流 {len(result.plan.rotations)} 人。"
    )
    pairs = explanation.pairs
    if not pairs:
        echo("方案在每所学校、每个学科都按本校任教年限从长到短选人，没有例外。")
        return EXIT_OK
    by_rule = Counter(RULES[p.rule].name if p.rule in RULES else "综合目标" for p in pairs)
    echo(
        f"有 {len(pairs)} 处选了年限较短而未选同校同学科年限更长的教师，依据："
        + "、".join(f"{k}{v}处" for k, v in by_rule.most_common())
        + "（逐条见审批表「资历说明」）："
    )
    for p in pairs[:20]:
        chosen, senior = district.teacher(p.chosen), district.teacher(p.passed_over)
        echo(
            f"  {chosen.name}（{chosen.years_at_school}年）先于 {senior.name}（{senior.years_at_school}年）：{p.reason}"
        )
    if len(pairs) > 20:
        echo(f"  ……其余 {len(pairs) - 20} 处见审批表。")
    return EXIT_OK


def report_check(
    checks: Sequence[RuleCheck],
    rotations: int,
    echo: Callable[..., None],
    mismatches: Sequence[str] = (),
) -> int:
    """The failed rule instances of a re-checked plan, then the cells of its 审批表 that do not
    match the data; the exit code (2 when anything failed)."""
    failed = [c for c in checks if not c.ok]
    echo(f"核查 {rotations} 名新交流教师、{len(checks)} 项规则实例：{len(failed)} 项未通过")
    for c in failed:
        name = RULES[c.rule].name if c.rule in RULES else c.rule
        echo(f"  [未通过] {name}（{c.rule}）{c.scope}：要求{c.required}，实际{c.actual}")
        for detail in c.details[:10]:
            echo(f"      {detail}")
    if mismatches:
        echo(f"审批表与数据核对：{len(mismatches)} 处不一致")
        for line in mismatches:
            echo(f"  [不一致] {line}")
    return EXIT_RULES if failed or mismatches else EXIT_OK
