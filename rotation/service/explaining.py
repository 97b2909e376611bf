"""`rotation explain`: can the rules all hold, and if not, which ones collide and by how much."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from models.explain import seniority_pairs
from models.plan import Conflict, SolveOptions
from models.rules import RULES
from rotation.exit_codes import EXIT_OK, EXIT_RULES
from rotation.formats.reading import read_district
from solvers.solve import solve


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


def run_explain(input: Path, *, year: int | None, workers: int, echo: Callable[..., None]) -> int:
    """Print the minimal conflicts (exit 2), or confirm the rules hold and summarise where the
    plan departs from seniority and why (exit 0)."""
    district = read_district(input, year=year)
    result = solve(district, SolveOptions(workers=workers))
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
    pairs = seniority_pairs(district, result.plan)
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
