"""`rotation plan`: read → solve → check → write, each phase timed for the plan JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from models import District
from models.objective import evaluate
from models.plan import Plan, SolveOptions, SolveResult
from models.rules import RULES, check_plan
from rotation.exit_codes import EXIT_OK, EXIT_RULES
from rotation.formats.planio import plan_json, read_plan, write_json_text
from rotation.formats.reading import input_sha256, read_district
from rotation.formats.safe_write import OutputExists, atomic_write
from rotation.reports.approval import approval_tables, write_approval_workbook
from solvers.horizon import solve_horizon
from solvers.solve import ComponentOutcome, solve


def plan_district(
    district: District,
    output: Path,
    json_out: Path | None,
    *,
    options: SolveOptions,
    sha256: str,
    scenario: str = "基础方案",
    force: bool = False,
    read_seconds: float = 0.0,
    echo: Callable[..., None] | None = None,
    horizon: int = 1,
) -> SolveResult:
    """Solve a checked district and write the approval workbook (and the JSON, when asked).

    With a horizon of several years the first year is planned jointly with the next ones; the
    later years' rotations go to the 预排 sheet and the JSON's `indicative` list."""
    say = echo or (lambda *_a, **_k: None)

    def progress(done: int, total: int, outcome: ComponentOutcome) -> None:
        say(
            f"  求解进度 {done}/{total}：{outcome.status}，目标值 {outcome.objective}，上界 {outcome.best_bound}",
            err=True,
        )

    later: tuple[Plan, ...] = ()
    result: SolveResult | None = None
    if horizon > 1:
        joint = solve_horizon(district, horizon, options)
        if joint.status in ("optimal", "feasible"):
            firm = joint.plans[0]
            result = SolveResult(
                status=joint.status,
                plan=firm,
                objective=sum(evaluate(district, firm, options.reference).values()),
                terms=evaluate(district, firm, options.reference),
                time_limit_hit=joint.status == "feasible",
                solve_seconds=joint.wall_seconds,
                wall_seconds=joint.wall_seconds,
            )
            later = joint.plans[1:]
        else:
            say(f"提示：{horizon} 个学年无法联合满足全部规则，仅编制本学年方案。", err=True)
    if result is None:
        result = solve(
            district, options, progress=progress if total_parts_worth_reporting(district) else None
        )
    start = time.perf_counter()
    checks = check_plan(district, result.plan)
    # build and solve add up every model's own time (models run in parallel processes);
    # solve_wall is the elapsed time of both, which the end-to-end total counts.
    timings = {
        "read": read_seconds,
        "build": result.build_seconds,
        "solve": result.solve_seconds,
        "solve_wall": result.wall_seconds,
        "write": 0.0,
    }
    tables = approval_tables(
        district,
        result,
        checks,
        input_sha256=sha256,
        scenario=scenario,
        timings=timings,
        reference=options.reference,
        later=later,
    )
    write_approval_workbook(output, tables, force=force)
    timings["write"] = time.perf_counter() - start
    if json_out is not None:
        data = plan_json(district, result, checks, input_sha256=sha256, timings=timings)
        if later:
            data["indicative"] = [
                {
                    "plan_year": p.plan_year,
                    "rotations": [r.model_dump(mode="json") for r in p.rotations],
                }
                for p in later
            ]
        text = write_json_text(data)

        def write_json(temp: Path) -> None:
            temp.write_text(text, encoding="utf-8")

        atomic_write(json_out, write_json, force=force)
    return result


def total_parts_worth_reporting(district: District) -> bool:
    """Progress lines only when there is more than a handful of groups."""
    return len(district.groups) > 3


#: Warnings printed before planning; `validate` lists them all.
SHOWN_WARNINGS = 10
#: Conflicts or shortfalls printed; the 不可行说明 sheet lists them all.
SHOWN_ITEMS = 30


def _more(total: int, echo: Callable[..., None]) -> None:
    if total > SHOWN_ITEMS:
        echo(f"  ……其余 {total - SHOWN_ITEMS} 条见审批表「不可行说明」", err=True)


def run_plan(
    input: Path,
    output: Path,
    json_out: Path | None,
    *,
    year: int | None,
    time_limit: float,
    workers: int,
    force: bool,
    echo: Callable[..., None],
    relax: bool = False,
    reference: Path | None = None,
    horizon: int = 1,
) -> int:
    """The whole `plan` command; returns the exit code."""
    for path in (output, json_out):
        if path is not None and path.exists() and not force:
            raise OutputExists(path)
    start = time.perf_counter()
    district = read_district(input, year=year)
    read_seconds = time.perf_counter() - start
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
    old_plan = read_plan(reference) if reference is not None else None
    options = SolveOptions(time_limit=time_limit, workers=workers, relax=relax, reference=old_plan)
    result = plan_district(
        district,
        output,
        json_out,
        options=options,
        sha256=input_sha256(input),
        force=force,
        read_seconds=read_seconds,
        echo=echo,
        horizon=horizon,
    )
    return report_result(result, output, json_out, echo)


def report_result(
    result: SolveResult, output: Path, json_out: Path | None, echo: Callable[..., None]
) -> int:
    """A short Chinese summary of the outcome; the exit code."""
    written = f"审批表：{output}" + (f"；方案 JSON：{json_out}" if json_out else "")
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
        echo(written, err=True)
        return EXIT_RULES
    if result.status in ("optimal", "feasible"):
        proven = "已证明最优" if result.status == "optimal" else "未证明最优（已达时间上限）"
        echo(
            f"方案已生成（{proven}）：新交流 {len(result.plan.rotations)} 人，期满返回 {len(result.plan.returns)} 人，"
            f"目标值 {result.objective}。{written}"
        )
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
