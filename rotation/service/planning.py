"""Planning: read → solve → check → write the 审批表 and plan JSON, each phase timed for the JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from models import District
from models.itinerant import uncovered
from models.objective import ITINERANT_TERMS, evaluate
from models.plan import HorizonNote, Plan, RuleCheck, SolveOptions, SolveResult
from models.rules import PlanFacts, check_plan
from rotation.formats.approval_columns import PUBLIC_SHEET
from rotation.formats.planio import new_plan_id, plan_json, read_plan, write_json_text
from rotation.formats.reading import input_sha256, read_district, require_input
from rotation.formats.safe_write import Writer, check_targets, write_together
from rotation.formats.xlsxfast import Table, write_tables
from rotation.memory import paused_cycle_collection
from rotation.reports.approval import approval_tables
from rotation.service.progress import SOLVING, WRITING, Report, Step, silent
from solvers.horizon import HorizonResult, solve_horizon
from solvers.itinerant import with_itinerant
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
    report: Report = silent,
) -> SolveResult:
    """Solve a checked district and write the approval workbook (and the JSON, when asked).

    With a horizon of several years the first year is planned jointly with the next ones; the
    later years' rotations go to the 预排 sheet and the JSON's `indicative` list. Messages go
    to `echo`, progress to `report`."""
    say = echo or (lambda *_a, **_k: None)
    result, later = solve_district(district, options, horizon=horizon, echo=say, report=report)
    report(Step(WRITING))
    write_plan(
        district,
        result,
        output,
        json_out,
        sha256=sha256,
        scenario=scenario,
        force=force,
        read_seconds=read_seconds,
        reference=options.reference,
        later=later,
    )
    return result


def solve_district(
    district: District,
    options: SolveOptions,
    *,
    horizon: int = 1,
    echo: Callable[..., None] | None = None,
    report: Report = silent,
) -> tuple[SolveResult, tuple[Plan, ...]]:
    """The plan of the district's year (jointly with the next ones when horizon > 1), and the
    later years' indicative plans; components solved go to `report`, messages to `echo`."""
    say = echo or (lambda *_a, **_k: None)

    def progress(done: int, total: int, _outcome: ComponentOutcome) -> None:
        report(Step(SOLVING, done, total))

    report(Step(SOLVING))
    if horizon > 1:
        joint = solve_horizon(district, horizon, options)
        if joint.status in ("optimal", "feasible"):
            return _firm_year(district, options, joint), joint.plans[1:]
        note = horizon_note(district, joint)
        say(f"提示：{note.reason}", err=True)
        for c in note.conflicts:
            say(f"  {c.message}", err=True)
        alone = solve(district, options, progress=progress)
        return alone.model_copy(update={"horizon": note}), ()
    return solve(district, options, progress=progress), ()


def _firm_year(district: District, options: SolveOptions, joint: HorizonResult) -> SolveResult:
    """The firm year of a joint plan, as a one-year result."""
    firm = joint.plans[0]
    terms = evaluate(district, firm, options.reference)
    result = SolveResult(
        status=joint.status,
        plan=firm,
        objective=sum(v for k, v in terms.items() if k not in ITINERANT_TERMS),
        terms=terms,
        time_limit_hit=joint.status == "feasible",
        solve_seconds=joint.wall_seconds,
        wall_seconds=joint.wall_seconds,
        horizon=HorizonNote(years=joint.years, joint=True),
    )
    return with_itinerant(district, result, options)


def horizon_note(district: District, joint: HorizonResult) -> HorizonNote:
    """Why the years could not be planned jointly: the first year that cannot be met and its
    colliding rules, in words for the 汇总 sheet, the JSON and the console."""
    years = joint.years
    year = joint.failed_year
    if joint.status == "unknown":
        reason = f"{years} 个学年的联合编制在时间上限内未求得方案，仅编制本学年方案"
    elif year is None:
        reason = f"{years} 个学年无法联合满足全部规则，仅编制本学年方案"
    else:
        groups = "、".join(
            district.group(g).name for f in joint.failures if f.year == year for g in f.group_ids
        )
        reason = (
            f"{years} 个学年无法联合满足全部规则：逐年编制时，{groups}的 {year}学年"
            f"无法满足下列规则，仅编制本学年方案"
        )
    return HorizonNote(
        years=years, joint=False, year=year, reason=reason, conflicts=joint.conflicts
    )


def write_plan(
    district: District,
    result: SolveResult,
    output: Path,
    json_out: Path | None,
    *,
    sha256: str = "",
    scenario: str = "基础方案",
    force: bool = False,
    read_seconds: float = 0.0,
    reference: Plan | None = None,
    later: tuple[Plan, ...] = (),
    public_notice: Path | None = None,
    plan_id: str | None = None,
    keep: Callable[[list[Table], list[RuleCheck]], None] | None = None,
) -> list[RuleCheck]:
    """Check a solved plan and write its 审批表 (and plan JSON, when asked); the checks made.

    `public_notice`: the 公示名单 alone as its own workbook, written with the others; `keep`
    receives the sheets and checks before the files are written (the web's review store is
    made from them, beside the writing).

    Both files carry one fresh plan_id and are put in place together (safe_write.write_together):
    never a new 审批表 beside an old JSON. build and solve add up every model's own time (models
    run in parallel processes); solve_wall is the elapsed time of both, which the end-to-end
    total counts."""
    # ~10⁵ small rows and cells at city scale: the cycle collector's passes over them cost more
    # than building them (不符合条件名单 at 100,000 teachers: 1.05 s with it, 0.17 s without)
    with paused_cycle_collection():
        start = time.perf_counter()
        facts = PlanFacts.of(district, result.plan)
        checks = check_plan(district, result.plan, facts)
        plan_id = plan_id or new_plan_id()
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
            reference=reference,
            later=later,
            plan_id=plan_id,
            facts=facts,
        )

        def write_workbook(temp: Path) -> None:
            write_tables(temp, tables)
            timings["write"] = time.perf_counter() - start

        def write_json(temp: Path) -> None:
            data = plan_json(
                district, result, checks, input_sha256=sha256, timings=timings, plan_id=plan_id
            )
            if later:
                data["indicative"] = [
                    {
                        "plan_year": p.plan_year,
                        "rotations": [r.model_dump(mode="json") for r in p.rotations],
                    }
                    for p in later
                ]
            temp.write_text(write_json_text(data), encoding="utf-8")

        outputs: list[tuple[Path, Writer]] = [(output, write_workbook)]
        if json_out is not None:
            outputs.append((json_out, write_json))
        if public_notice is not None:
            notice = [t for t in tables if t.name == PUBLIC_SHEET]
            outputs.append((public_notice, lambda temp: write_tables(temp, notice)))
        if keep is not None:
            keep(tables, checks)
        write_together(outputs, force=force)
    return checks


def check_plan_targets(
    input: Path, output: Path, json_out: Path | None, reference: Path | None, *, force: bool
) -> None:
    """`rotation plan`, before any work: the 审批表 and JSON may be written (safe_write's rule:
    regular files only, with --force; never the input, the reference plan or each other), and
    the input exists."""
    require_input(input)
    check_targets([output, json_out], [input, reference], force=force)


def read_input(input: Path, *, year: int | None) -> tuple[District, float]:
    """The checked district of an input file, and the seconds reading it took."""
    start = time.perf_counter()
    district = read_district(input, year=year)
    return district, time.perf_counter() - start


def plan_input(
    input: Path,
    district: District,
    output: Path,
    json_out: Path | None,
    *,
    read_seconds: float,
    time_limit: float,
    workers: int,
    force: bool,
    echo: Callable[..., None],
    relax: bool = False,
    reference: Path | None = None,
    horizon: int = 1,
    report: Report = silent,
) -> SolveResult:
    """`rotation plan` once the input is read: plan against the reference plan when given, and
    write the 审批表 and plan JSON (`echo` receives messages, `report` the progress)."""
    old_plan = read_plan(reference) if reference is not None else None
    options = SolveOptions(time_limit=time_limit, workers=workers, relax=relax, reference=old_plan)
    return plan_district(
        district,
        output,
        json_out,
        options=options,
        sha256=input_sha256(input),
        force=force,
        read_seconds=read_seconds,
        echo=echo,
        horizon=horizon,
        report=report,
    )


def itinerant_sentence(district: District, plan: Plan) -> str | None:
    """One line on the plan's 走教 for the console: people, periods covered, and what is left."""
    rows = district.itinerant_demand
    if not rows:
        return None
    needed = sum(r.periods for r in rows)
    short = sum(uncovered(district, plan.itinerant).values())
    teachers = len({a.teacher_id for a in plan.itinerant})
    served = (
        f"走教：{teachers} 名教师到 {len({a.to_school_id for a in plan.itinerant})} 所学校走教，"
    )
    if not short:
        return f"{served}每周 {needed} 课时全部安排"
    return (
        f"{served}每周需 {needed} 课时、已安排 {needed - short} 课时，"
        f"{short} 课时未能安排（原因见「走教汇总」）"
    )
