"""A province at once (`rotation province`): every county workbook of a folder planned, on the
local process pool or a Ray cluster, and the province's summary written.

Each county is one task (or, when there are few counties and many scenarios, a few tasks of a
share of its scenarios each). A task receives plain data — the county's workbook as bytes, the
scenarios as text, the options — reads it where it runs, applies each scenario, builds and
solves its CP-SAT models there (OR-Tools objects never travel), checks the plan and renders the
审批表 and plan JSON, and sends back a `CountyRow` of figures with the two files as bytes: no
shared file system is needed, and this process holds only the few tasks in flight, never the
province. Files are written here as each county finishes, progress reported as it goes; the
summary workbook (省汇总.xlsx) last. Counties are independent and each is solved with one
process, deterministically, so the plans do not depend on the executor or the order.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from models import District, InputError, Problem
from models.plan import RuleCheck, SolveOptions, SolveResult
from models.policy import PolicyValueError
from models.requirements import group_requirement
from models.rules import RULES
from rotation.formats.safe_write import check_targets, write_together
from rotation.reports.province import INPUT_ERROR, CountyRow, write_summary
from rotation.scenarios.model import Scenario, parse_spec, parse_sweep, scenario_on, sweep_family
from rotation.service.progress import Report, Step, silent
from solvers.executors import Executor, ProcessExecutor, make_executor

Echo = Callable[..., None]

__all__ = ["INPUT_ERROR", "SUMMARY_NAME", "CountyRow", "generate_province", "run_province"]

SUMMARY_NAME = "省汇总.xlsx"
PROVINCE = "编制各县区"
#: Inputs a province folder may hold: workbooks and JSON documents (one county each).
COUNTY_SUFFIXES = (".xlsx", ".json")
#: What `rotation province` itself writes: never taken for a county when the output folder is
#: the input folder.
_OUTPUT_ENDINGS = ("-审批表.xlsx", "-方案.json", SUMMARY_NAME)
#: Rows of conflicts a county row keeps (its 审批表 has them all).
MAX_MESSAGES = 5


@dataclass(frozen=True)
class Variant:
    """One way of planning every county: a scenario file (or the county's own rules), at one
    value of the sweep (or none)."""

    key: str  # "" for the county's own rules without a sweep: outputs <county>-审批表.xlsx
    name: str
    text: str | None = None  # the scenario file's text
    path: str = ""
    sweep_index: int | None = None


@dataclass(frozen=True)
class ProvinceShared:
    """What every task shares (reaches each worker once)."""

    options: SolveOptions
    year: int | None
    variants: tuple[Variant, ...]
    sweep: str | None


@dataclass(frozen=True)
class CountyJob:
    """One task: a county's workbook as bytes, and which variants to plan."""

    county: str
    file_name: str
    data: bytes
    variants: tuple[int, ...]


@dataclass
class CountyResult:
    """A task's result: per variant, the row and the files' bytes (审批表, plan JSON)."""

    rows: list[CountyRow] = field(default_factory=list)
    files: list[tuple[bytes, bytes] | None] = field(default_factory=list)


def find_counties(folder: Path) -> list[Path]:
    """The county inputs of a folder, by name: .xlsx workbooks and .json documents (not Excel's
    lock files, hidden files or this command's own outputs)."""
    if not folder.is_dir():
        raise InputError([Problem(sheet="", message=f"「{folder}」不是文件夹")])
    found = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in COUNTY_SUFFIXES
        and not p.name.startswith(("~$", "."))
        and not p.name.endswith(_OUTPUT_ENDINGS)
    ]
    if not found:
        raise InputError(
            [Problem(sheet="", message=f"文件夹「{folder}」中没有数据工作簿（.xlsx 或 .json）")]
        )
    return sorted(found, key=lambda p: p.name)


def variants_of(scenarios: Sequence[Path], sweep: str | None) -> list[Variant]:
    """The scenario files (their [base] is replaced by each county and may be left out) times
    the sweep's values; InputError, every problem at once, when a file or the sweep is bad."""
    problems: list[Problem] = []
    bases: list[Variant] = []
    if not scenarios:
        bases.append(Variant(key="", name="各县区规则"))
    seen: set[str] = set()
    for path in scenarios:
        try:
            text = path.read_text(encoding="utf-8-sig")
            spec = parse_spec(text, path, base_optional=True)
        except InputError as exc:
            problems += exc.problems
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(sheet="", message=f"无法读取情景文件「{path}」：{exc}"))
            continue
        key = path.stem
        n = 2
        while key in seen:
            key, n = f"{path.stem}-{n}", n + 1
        seen.add(key)
        bases.append(Variant(key=key, name=spec.name, text=text, path=str(path)))
    if sweep is None:
        if problems:
            raise InputError(problems)
        return bases
    try:
        family = parse_sweep(sweep)
    except PolicyValueError as exc:
        problems.append(Problem(sheet="", message=f"--sweep：{exc}"))
    if problems:
        raise InputError(problems)
    return [
        replace(
            v,
            key="-".join(p for p in (v.key, f"{family.key}-{t.replace('%', 'pct')}") if p),
            name=f"{v.name}（{family.key}={t}）",
            sweep_index=i,
        )
        for v in bases
        for i, t in enumerate(family.texts)
    ]


def output_paths(out_dir: Path, county: str, variant: Variant) -> tuple[Path, Path]:
    """Where a county's 审批表 and plan JSON go."""
    stem = f"{county}-{variant.key}" if variant.key else county
    return out_dir / f"{stem}-审批表.xlsx", out_dir / f"{stem}-方案.json"


def _scenario(base: Scenario, variant: Variant, sweep: str | None) -> Scenario:
    """A county's district under one variant (InputError when the scenario does not fit it)."""
    s = base
    if variant.text is not None:
        s = scenario_on(
            variant.text,
            base.district,
            path=Path(variant.path),
            key=variant.key,
            base_label=base.base_label,
            base_id=base.base_id,
            base_optional=True,
        )
    if variant.sweep_index is not None and sweep is not None:
        family = parse_sweep(sweep)
        one = replace(
            family,
            values=(family.values[variant.sweep_index],),
            texts=(family.texts[variant.sweep_index],),
        )
        try:
            s = sweep_family(s, one)[0]
        except PolicyValueError as exc:
            raise InputError([Problem(sheet="", message=f"--sweep：{exc}")]) from None
    return replace(s, key=variant.key, name=variant.name)


def plan_county(shared: ProvinceShared, job: CountyJob) -> CountyResult:
    """One task, where it runs: read the county, plan each of its variants, render the files.

    Along a sweep only the first value whose rules cannot be met (in this task's share) is
    explained: the values beyond it collide for the same reasons, and explaining is the costly
    part. Module-level: pool workers and Ray workers import it by name."""
    from rotation.formats.reading import input_sha256, read_district
    from rotation.service.planning import solve_district, write_plan

    result = CountyResult()
    with tempfile.TemporaryDirectory(prefix="rotation-county-") as tmp:
        folder = Path(tmp)
        source = folder / job.file_name
        source.write_bytes(job.data)
        start = time.perf_counter()
        try:
            district = read_district(source, year=shared.year, name=job.file_name)
        except InputError as exc:
            for index in job.variants:
                v = shared.variants[index]
                result.rows.append(_error_row(job.county, job.county, v, exc))
                result.files.append(None)
            return result
        read_seconds = time.perf_counter() - start
        sha256 = input_sha256(source)
        base = Scenario(
            path=source,
            key="",
            name="",
            description="",
            district=district,
            base_label=f"数据：{job.file_name}",
            base_id=f"input|{sha256}",
        )
        explain = shared.options.explain
        for index in job.variants:
            v = shared.variants[index]
            begin = time.perf_counter()
            try:
                s = _scenario(base, v, shared.sweep)
            except InputError as exc:
                result.rows.append(_error_row(job.county, district.name, v, exc))
                result.files.append(None)
                continue
            approval, plan_json = folder / "审批表.xlsx", folder / "方案.json"
            options = shared.options.model_copy(update={"explain": explain})
            solved, _later = solve_district(s.district, options)
            checks = write_plan(
                s.district,
                solved,
                approval,
                plan_json,
                sha256=sha256,
                scenario=v.name if v.text or v.sweep_index is not None else "基础方案",
                force=True,
                read_seconds=read_seconds,
            )
            row = _row(job.county, v, s.district, solved, checks)
            row.seconds = time.perf_counter() - begin + read_seconds
            row.timings = {
                "read": read_seconds,
                "build": solved.build_seconds,
                "solve": solved.solve_seconds,
                "solve_wall": solved.wall_seconds,
            }
            read_seconds = 0.0  # read once, counted with the first variant
            if v.sweep_index is not None and not row.feasible:
                explain = False
            result.rows.append(row)
            result.files.append((approval.read_bytes(), plan_json.read_bytes()))
    return result


def _row(
    county: str, v: Variant, d: District, solved: SolveResult, checks: Sequence[RuleCheck]
) -> CountyRow:
    """A planned county's figures (from the checks already made for its 审批表)."""
    planned = solved.status in ("optimal", "feasible")
    rotations = solved.plan.rotations
    messages = [c.message for c in solved.conflicts] + [
        f"{RULES[x.rule].name}：缺{x.missing}。{x.message}" for x in solved.shortfalls
    ]
    return CountyRow(
        county=county,
        district=d.name,
        variant=v.key,
        scenario=v.name,
        status=solved.status,
        teachers=len(d.teachers),
        eligible=len(d.eligible_teachers()),
        rotations=len(rotations),
        minimum=sum(group_requirement(d, g.group_id).min_rotations for g in d.groups),
        backbone=sum(d.teacher(r.teacher_id).is_backbone for r in rotations),
        weak_inflow=sum(d.school(r.to_school_id).weak for r in rotations),
        failed_checks=sum(not c.ok for c in checks) if planned else 0,
        conflicts=len(messages),
        messages=tuple(messages[:MAX_MESSAGES]),
    )


def _error_row(county: str, name: str, v: Variant, exc: InputError) -> CountyRow:
    errors = exc.errors or exc.problems
    return CountyRow(
        county=county,
        district=name,
        variant=v.key,
        scenario=v.name,
        status=INPUT_ERROR,
        conflicts=len(errors),
        messages=tuple(str(p) for p in errors[:MAX_MESSAGES]),
    )


def _chunks(variants: int, counties: int, slots: int) -> list[tuple[int, ...]]:
    """How a county's variants are split into tasks: all in one (the county is read once),
    unless there are too few counties to keep every slot busy."""
    per_county = max(1, min(variants, -(-4 * slots // counties)))
    size = -(-variants // per_county)
    return [tuple(range(i, min(i + size, variants))) for i in range(0, variants, size)]


def county_jobs(counties: Sequence[Path], chunks: Sequence[tuple[int, ...]]) -> Iterator[CountyJob]:
    """The tasks, largest workbook first (no big county starts last), each county's bytes read
    only when its task is submitted."""
    for path in sorted(counties, key=lambda p: (-p.stat().st_size, p.name)):
        data = path.read_bytes()
        for chunk in chunks:
            yield CountyJob(path.stem, path.name, data, chunk)


def progress_line(done: int, total: int, row: CountyRow) -> str:
    """One line per finished county (and variant)."""
    what = row.status_text
    if row.planned:
        what += f"，新交流 {row.rotations} 人"
    elif row.messages:
        what += f"：{row.messages[0]}"
    scenario = f"（{row.scenario}）" if row.variant else ""
    return f"  [{done}/{total}] {row.district}{scenario}：{what}，用时 {row.seconds:.1f} 秒"


def run_province(
    folder: Path,
    out_dir: Path,
    *,
    scenarios: Sequence[Path] = (),
    sweep: str | None = None,
    year: int | None = None,
    time_limit: float = 60.0,
    workers: int = 0,
    ray: str | None = None,
    executor: Executor | None = None,
    force: bool = False,
    echo: Echo | None = None,
    report: Report = silent,
) -> list[CountyRow]:
    """`rotation province`: every county planned (under every scenario and sweep value), its
    审批表 and plan JSON written to `out_dir` as it finishes, then 省汇总.xlsx. Rows in county
    then scenario order. Outputs that exist already are refused before any work."""
    say = echo or (lambda *_a, **_k: None)
    counties = find_counties(folder)
    variants = variants_of(scenarios, sweep)
    summary = out_dir / SUMMARY_NAME
    targets = [summary] + [
        p for c in counties for v in variants for p in output_paths(out_dir, c.stem, v)
    ]
    check_targets(targets, [*counties, *scenarios], force=force)
    owned = executor is None
    engine = executor or _executor(ray, workers)
    try:
        chunks = _chunks(len(variants), len(counties), engine.slots)
        total = len(counties) * len(variants)
        where = "Ray 集群" if engine.name == "ray" else "本机进程池"
        say(
            f"共 {len(counties)} 个县区、{len(variants)} 个方案，"
            f"在{where}上并行编制（{engine.slots} 路）…",
            err=True,
        )
        shared = ProvinceShared(
            options=SolveOptions(time_limit=time_limit, workers=1),
            year=year,
            variants=tuple(variants),
            sweep=sweep,
        )
        rows: dict[tuple[str, str], CountyRow] = {}
        start = time.perf_counter()
        report(Step(PROVINCE, 0, total))

        def done(result: CountyResult) -> None:
            for row, files in zip(result.rows, result.files, strict=True):
                if files is not None:
                    v = next(x for x in variants if x.key == row.variant)
                    paths = output_paths(out_dir, row.county, v)
                    _write_files(paths, files, force=force)
                    row.files = tuple(str(p) for p in paths)
                rows[row.county, row.variant] = row
                line = progress_line(len(rows), total, row)
                report(Step(PROVINCE, len(rows), total, note=line))

        engine.run(plan_county, shared, county_jobs(counties, chunks), done)
    finally:
        if owned:
            engine.close()
    ordered = [rows[c.stem, v.key] for c in counties for v in variants]
    write_summary(summary, ordered, force=force)
    say(f"全部完成，用时 {time.perf_counter() - start:.1f} 秒。", err=True)
    return ordered


def _executor(ray: str | None, workers: int) -> Executor:
    """The engine asked for, or InputError (Chinese) when Ray is missing or unreachable."""
    try:
        return make_executor(ray, workers=workers)
    except ImportError:
        message = "未安装 Ray：请先 pip install 'rotation[ray]'，或不加 --ray 在本机进程池上编制"
    except (ConnectionError, ValueError, RuntimeError) as exc:
        message = f"无法连接 Ray 集群「{ray}」：{exc}"
    raise InputError([Problem(sheet="", message=message)])


def _write_files(paths: tuple[Path, Path], files: tuple[bytes, bytes], *, force: bool) -> None:
    def writer(data: bytes) -> Callable[[Path], None]:
        def write(temp: Path) -> None:
            temp.write_bytes(data)

        return write

    write_together(
        [(paths[0], writer(files[0])), (paths[1], writer(files[1]))],
        force=force,
    )


# -- generating a province ----------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedCounty:
    """What `rotation generate --province` wrote for one county."""

    name: str
    path: str
    teachers: int
    eligible: int
    groups: int
    schools: int


def _generate_county(shared: tuple[Path, int], job: object) -> GeneratedCounty:
    """One county generated and written (a pool task: module-level)."""
    from rotation.formats.writing import write_district
    from rotation.samples.province import CountySpec, generate_county

    out_dir, year = shared
    assert isinstance(job, CountySpec)
    district = generate_county(job, plan_year=year)
    path = out_dir / f"{job.name}.xlsx"
    write_district(district, path, force=True)
    return GeneratedCounty(
        job.name,
        str(path),
        len(district.teachers),
        len(district.eligible_teachers()),
        len(district.groups),
        len(district.schools),
    )


def generate_province(
    out_dir: Path,
    *,
    counties: int,
    teachers: int,
    seed: int,
    year: int,
    workers: int = 0,
    force: bool = False,
    report: Report = silent,
) -> list[GeneratedCounty]:
    """`rotation generate DIR --province N --teachers TOTAL`: N county workbooks of varied
    sizes summing to TOTAL, written in parallel; the counties in name order."""
    from rotation.samples.province import province_specs

    try:
        specs = province_specs(counties, teachers, seed)
    except ValueError as exc:
        raise InputError([Problem(sheet="", message=str(exc))]) from None
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError([Problem(sheet="", message=f"「{out_dir}」已存在且不是文件夹")])
    check_targets([out_dir / f"{s.name}.xlsx" for s in specs], force=force)
    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[GeneratedCounty] = []
    report(Step("生成各县区数据", 0, len(specs)))

    def done(county: GeneratedCounty) -> None:
        made.append(county)
        report(Step("生成各县区数据", len(made), len(specs)))

    biggest = sorted(specs, key=lambda s: -s.teachers)
    with ProcessExecutor(workers) as pool:
        pool.run(_generate_county, (out_dir, year), biggest, done)
    return sorted(made, key=lambda c: c.name)
