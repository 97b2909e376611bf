"""What-if scenarios in the web application (issue 16): scenarios derived from a school year's
checked data, kept in the records with that year, run in a job of their own, compared.

A scenario is written from a form (rule parameters district-wide and per group, weak schools,
teachers deferred, demand, weights) as a scenario file (.toml, `rotation.scenarios.model`'s
format) whose ``[base] input`` names the year's data workbook; it is checked by the scenario
loader against the upload's checked data (every problem at once) before the records keep it.
Downloads put the same files side by side (the .toml files and the data workbook, written from
the checked data), so ``rotation scenario compare *.toml`` runs them unchanged.

A run (方案比较, 参数扫描 or 政策模拟) is a job in a process of its own (`JobManager`), which
calls what the command line calls (`compare_loaded`, `run_simulations`) on the scenarios
applied to the checked data, and writes, under data/whatif/<run id>/: the workbook the command
writes (方案对比.xlsx or 政策模拟.xlsx, same builders), run.json with what the results page
shows (built with the workbook's own row builders), and the scenario files it ran.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import time
import traceback
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from models import District, InputError, Problem
from models.plan import SolveOptions
from models.policy import (
    DISTRICT_ONLY,
    PARAMETER_KEYS,
    PREVIEW_KEYS,
    RATIO_KEYS,
    PolicyValueError,
    format_param,
    is_weight,
    label_of,
)
from rotation.reports.comparison import (
    DIFF_HEADER,
    SECTIONS,
    SWEEP_HEADER,
    column_names,
    diff_rows,
    figure_text,
    group_order,
    kpi_rows,
    sweep_rows,
    write_comparison,
)
from rotation.reports.outcomes import Outcome, SweepSummary
from rotation.reports.simulation import INDICATORS, Simulation, write_simulation
from rotation.scenarios.model import Scenario, parse_spec, parse_sweep, scenario_on
from rotation.service.audit import now_text
from rotation.service.progress import EXPLAINING, SCENARIOS, Step
from rotation.service.scenarios import compare_loaded, sweep_scenarios
from rotation.service.store import DataDir, UnknownId, new_id, write_json_file
from rotation.service.uploads import problem_json
from rotation.service.years import experience_from_records

#: The upload's data as it is, among the scenarios of a run.
BASE_ID = "base"
BASE_NAME = "基准（上传的数据）"
KIND_NAMES = {"compare": "方案比较", "sweep": "参数扫描", "simulate": "政策模拟"}
RUN_FILE = "run.json"
COMPARISON_FILE = "方案对比.xlsx"
SIMULATION_FILE = "政策模拟.xlsx"
ZIP_FILE = "情景文件.zip"
SCENARIO_FOLDER = "scenarios"
MAX_RUN_SCENARIOS = 8
MAX_YEARS = 10
MAX_NAME = 60
MAX_LINES = 2000
DEFAULT_SWEEP = ("min_rotation_ratio", "10%", "20%", "2%")
#: Parameters a sweep may take (ratios, and whole numbers the rules use).
SWEEP_KEYS = (
    "min_rotation_ratio",
    "backbone_share",
    "lead_outflow_ratio",
    "max_outflow_share",
    "weak_inflow_min",
    "min_years_at_school",
    "min_tenure_years",
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class WhatIfError(ValueError):
    """A request that cannot be run: every problem, in Chinese."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = list(problems)


def safe_name(text: str) -> str:
    """A file name from a user's text (no separators or reserved characters)."""
    return _UNSAFE.sub("_", text).strip(" .") or "情景"


# -- the year's data --------------------------------------------------------------------------


@dataclass(frozen=True)
class YearInfo:
    """Which school year an upload is, and the name its data workbook has in downloads."""

    upload_id: str
    district: str
    year: int

    @property
    def data_name(self) -> str:
        """The data workbook beside the scenario files (named after the district, which is
        the name the reader gives a workbook without 区县名称)."""
        return f"{safe_name(self.district)}.xlsx"


def year_info(data: DataDir, upload_id: str) -> YearInfo:
    """The school year of an upload (UnknownId when there is none)."""
    meta = data.upload_meta(upload_id)
    return YearInfo(upload_id, str(meta["district"]), int(meta["plan_year"]))


def base_district(data: DataDir, upload_id: str) -> District:
    """The district an upload was checked as, with the rotations in flight from the records:
    what a plan of it starts from."""
    data.upload_meta(upload_id)
    return experience_from_records(data, data.records().load_snapshot(upload_id))


@dataclass(frozen=True)
class Choice:
    """A parameter the form offers: its key, Chinese label and the value the data has."""

    key: str
    label: str
    current: str


@dataclass(frozen=True)
class YearChoices:
    """What the scenario form offers for one upload."""

    info: YearInfo
    parameters: tuple[Choice, ...]
    group_parameters: tuple[Choice, ...]
    weights: tuple[Choice, ...]
    groups: tuple[tuple[str, str], ...]
    #: (school id, name, group name, weak)
    schools: tuple[tuple[str, str, str, bool], ...]
    teachers: int
    eligible: int


def _choices(district: District, info: YearInfo) -> YearChoices:
    policy = district.policy.district
    offered = [k for k in PARAMETER_KEYS if k not in PREVIEW_KEYS and k != "plan_year"]
    offered = [k for k in offered if k != "district_name"]

    def choice(key: str) -> Choice:
        return Choice(key, label_of(key), format_param(key, getattr(policy, key)))

    group_names = {g.group_id: g.name for g in district.groups}
    return YearChoices(
        info=info,
        parameters=tuple(choice(k) for k in offered if not is_weight(k)),
        group_parameters=tuple(
            choice(k) for k in offered if not is_weight(k) and k not in DISTRICT_ONLY
        ),
        weights=tuple(choice(k) for k in offered if is_weight(k)),
        groups=tuple((g.group_id, g.name) for g in district.groups),
        schools=tuple(
            (s.school_id, s.name, group_names.get(s.group_id, s.group_id), bool(s.weak))
            for s in district.schools
        ),
        teachers=len(district.teachers),
        eligible=len(district.eligible_teachers()),
    )


@functools.lru_cache(maxsize=8)
def _cached_choices(root: Path, database: str, upload_id: str, _pid: int) -> YearChoices:
    data = DataDir(root, database)
    return _choices(base_district(data, upload_id), year_info(data, upload_id))


def year_choices(data: DataDir, upload_id: str) -> YearChoices:
    """What the form offers for an upload (kept for the last few uploads: a checked upload
    never changes)."""
    data.upload_meta(upload_id)  # UnknownId first, never cached
    return _cached_choices(data.root, data.database, upload_id, os.getpid())


# -- writing a scenario -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeferRow:
    teacher: str
    reason: str = ""


@dataclass(frozen=True)
class DemandRow:
    school: str
    subject: str
    count: int


@dataclass(frozen=True)
class ScenarioForm:
    """What a clerk filled in: blank values are left as the data has them."""

    name: str
    description: str = ""
    policy: dict[str, str] = field(default_factory=dict)
    #: (group id, parameter key, value)
    group_policy: tuple[tuple[str, str, str], ...] = ()
    weights: dict[str, str] = field(default_factory=dict)
    weak_schools: tuple[str, ...] = ()
    not_weak_schools: tuple[str, ...] = ()
    defer: tuple[DeferRow, ...] = ()
    demand: tuple[DemandRow, ...] = ()


_SPLIT = re.compile(r"[\s,，、;；]+")


def parse_defer_lines(text: str) -> tuple[list[DeferRow], list[str]]:
    """暂缓交流, one teacher a line: 教师编号 and an optional reason; the problems."""
    rows: list[DeferRow] = []
    problems: list[str] = []
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        return [], [f"暂缓交流：至多 {MAX_LINES} 行"]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = _SPLIT.split(line.strip(), maxsplit=1)
        teacher = parts[0]
        reason = parts[1].strip() if len(parts) > 1 else ""
        if len(teacher) > 64 or len(reason) > 200:
            problems.append(f"暂缓交流第{n}行：教师编号或原因过长")
            continue
        rows.append(DeferRow(teacher, reason))
    return rows, problems


def parse_demand_lines(text: str) -> tuple[list[DemandRow], list[str]]:
    """学校需求, one a line: 学校编号 学科 人数 (0 removes the row); the problems."""
    rows: list[DemandRow] = []
    problems: list[str] = []
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        return [], [f"学校需求：至多 {MAX_LINES} 行"]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = _SPLIT.split(line.strip())
        if len(parts) != 3:
            problems.append(f"学校需求第{n}行「{line.strip()[:40]}」：应为 学校编号 学科 人数")
            continue
        school, subject, count = parts
        if not count.isdigit() or int(count) > 1000:
            problems.append(f"学校需求第{n}行：人数「{count[:10]}」应为 0 到 1000 的整数")
            continue
        rows.append(DemandRow(school, subject, int(count)))
    return rows, problems


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def scenario_text(form: ScenarioForm, info: YearInfo) -> str:
    """The scenario file (.toml) of a form, on the year's data workbook."""
    s = _toml_string
    lines = [
        f"# 情景文件：{info.district} {info.year}学年。与数据工作簿「{info.data_name}」放在同一文件夹，",
        "# 用 rotation scenario compare 本文件.toml 或 rotation simulate 本文件.toml 运行。",
        f"name = {s(form.name)}",
        f"description = {s(form.description)}",
        "",
        "[base]",
        f"input = {s(info.data_name)}",
        f"year = {info.year}",
    ]
    if form.policy:
        lines += ["", "[policy]"] + [f"{k} = {s(v)}" for k, v in form.policy.items()]
    groups: dict[str, dict[str, str]] = {}
    for gid, key, value in form.group_policy:
        groups.setdefault(gid, {})[key] = value
    for gid, values in groups.items():
        lines += ["", f"[group_policy.{s(gid)}]"] + [f"{k} = {s(v)}" for k, v in values.items()]
    if form.weights:
        lines += ["", "[weights]"] + [f"{k} = {s(v)}" for k, v in form.weights.items()]
    edits = form.weak_schools or form.not_weak_schools or form.defer or form.demand
    if edits:
        lines += ["", "[edits]"]
        if form.weak_schools:
            lines.append(f"weak_schools = [{', '.join(s(x) for x in form.weak_schools)}]")
        if form.not_weak_schools:
            lines.append(f"not_weak_schools = [{', '.join(s(x) for x in form.not_weak_schools)}]")
        for d in form.defer:
            lines += ["", "[[edits.defer]]", f"teacher = {s(d.teacher)}"]
            if d.reason:
                lines.append(f"reason = {s(d.reason)}")
        for m in form.demand:
            lines += [
                "",
                "[[edits.demand]]",
                f"school = {s(m.school)}",
                f"subject = {s(m.subject)}",
                f"count = {m.count}",
            ]
    return "\n".join(lines) + "\n"


def toml_name(name: str) -> str:
    """A scenario's file name."""
    return f"{safe_name(name)}.toml"


def _apply(text: str, base: District, info: YearInfo, name: str, key: str) -> Scenario:
    return scenario_on(
        text,
        base,
        path=Path(toml_name(name)),
        key=key,
        base_label=f"数据：{info.data_name}（{info.district} {info.year}学年上传的数据）",
        base_id=f"upload|{info.upload_id}",
    )


def save_scenario(
    data: DataDir, upload_id: str, form: ScenarioForm, user: str, *, problems: Sequence[str] = ()
) -> str:
    """Check a form's scenario against the upload's data and keep it with its school year; its
    id. InputError with every problem (the form's own `problems` among them) otherwise."""
    info = year_info(data, upload_id)
    found = [Problem(sheet="", message=p) for p in problems]
    name = form.name.strip()
    if not name:
        found.append(Problem(sheet="", message="情景名称：必填"))
    elif len(name) > MAX_NAME:
        found.append(Problem(sheet="", message=f"情景名称：至多 {MAX_NAME} 个字"))
    elif name == BASE_NAME or name == "基准":
        found.append(Problem(sheet="", message="情景名称：「基准」留给上传的数据本身，请换一个"))
    elif any(n == name for _i, n, _t in kept(data, info)):
        found.append(Problem(sheet="", message=f"情景名称：本学年已有名为「{name}」的情景"))
    text = scenario_text(ScenarioForm(**{**asdict_form(form), "name": name or "未命名"}), info)
    try:
        _apply(text, base_district(data, upload_id), info, name or "未命名", "check")
    except InputError as exc:
        found += exc.problems
    if found:
        raise InputError(found)
    scenario_id = data.records().save_scenario(
        info.district, info.year, name=name, text=text, by=user
    )
    return scenario_id


def asdict_form(form: ScenarioForm) -> dict[str, Any]:
    """A form's fields (its rows kept as rows)."""
    return {f: getattr(form, f) for f in ScenarioForm.__dataclass_fields__}


def kept(data: DataDir, info: YearInfo) -> list[tuple[str, str, str]]:
    """The school year's scenarios: (id, name, text), oldest first."""
    return data.records().scenarios(info.district, info.year)


@dataclass(frozen=True)
class KeptScenario:
    """A kept scenario as the list shows it."""

    scenario_id: str
    name: str
    description: str
    summary: str
    file_name: str


def _summary(text: str, name: str) -> tuple[str, str]:
    """(description, what it changes, counted) of a kept scenario's text."""
    try:
        spec = parse_spec(text, Path(toml_name(name)))
    except InputError:
        return "", "（文件无法读取）"
    e = spec.edits
    parts = [
        f"规则 {len(spec.policy)} 项" if spec.policy else "",
        f"集团规则 {sum(len(v) for v in spec.group_policy.values())} 项"
        if spec.group_policy
        else "",
        f"权重 {len(spec.weights)} 项" if spec.weights else "",
        f"标为薄弱 {len(e.weak_schools)} 所" if e.weak_schools else "",
        f"取消薄弱 {len(e.not_weak_schools)} 所" if e.not_weak_schools else "",
        f"暂缓交流 {len(e.defer)} 人" if e.defer else "",
        f"需求 {len(e.demand)} 条" if e.demand else "",
    ]
    return spec.description, "、".join(p for p in parts if p) or "无改动"


def year_scenarios(data: DataDir, upload_id: str) -> list[KeptScenario]:
    """The scenarios of an upload's school year, oldest first."""
    info = year_info(data, upload_id)
    shown = []
    for scenario_id, name, text in kept(data, info):
        description, summary = _summary(text, name)
        shown.append(KeptScenario(scenario_id, name, description, summary, toml_name(name)))
    return shown


def scenario_of(data: DataDir, upload_id: str, scenario_id: str) -> tuple[str, str]:
    """A scenario of the upload's school year: (name, text); UnknownId otherwise."""
    info = year_info(data, upload_id)
    for ident, name, text in kept(data, info):
        if ident == scenario_id:
            return name, text
    raise UnknownId(f"scenario {scenario_id}")


def delete_scenario(data: DataDir, upload_id: str, scenario_id: str, user: str) -> str:
    """Remove a scenario of the upload's school year; its name (UnknownId when none)."""
    name, _text = scenario_of(data, upload_id, scenario_id)
    data.records().delete_scenario(scenario_id, by=user)
    return name


BASE_TEXT_NAME = "基准"


def base_text(info: YearInfo) -> str:
    """The scenario file of the data as it is (no change)."""
    return scenario_text(
        ScenarioForm(name=BASE_TEXT_NAME, description="上传的数据，按其规则表，不作改动"), info
    )


# -- downloads: scenario files beside the data workbook ---------------------------------------


def data_workbook(data: DataDir, upload_id: str) -> Path:
    """The upload's checked data as a workbook (the rotations in flight from the records
    included): the file the scenario files' [base] input names. Written once per upload."""
    from rotation.formats.writing import write_district

    folder = data.whatif_root() / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{upload_id}.xlsx"
    if not path.is_file():
        temp = folder / f".{upload_id}.{new_id()[:8]}.xlsx"
        try:
            write_district(base_district(data, upload_id), temp, force=True)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    return path


README_TEXT = """这些情景文件与数据工作簿「{data}」放在同一文件夹即可由命令行运行，结果与网页相同：

  rotation scenario compare {files} -o 方案对比.xlsx
  rotation scenario compare {first} --sweep min_rotation_ratio=0.10:0.20:0.02 -o 参数扫描.xlsx
  rotation simulate {files} --years 5 -o 政策模拟.xlsx

数据工作簿由 {district} {year}学年上传并检查通过的数据写出（在岗交流以记录为准）。
"""


def write_zip(
    target: Path, info: YearInfo, workbook: Path, files: Sequence[tuple[str, str]]
) -> None:
    """A .zip of scenario files (name, text), the data workbook and a short 说明.txt."""
    names = [n for n, _t in files]
    temp = target.with_name(f".{target.name}.{new_id()[:8]}.tmp")
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(workbook, info.data_name)
            for name, text in files:
                archive.writestr(name, text)
            archive.writestr(
                "说明.txt",
                README_TEXT.format(
                    data=info.data_name,
                    files=" ".join(names),
                    first=names[0] if names else "",
                    district=info.district,
                    year=info.year,
                ),
            )
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def scenario_zip(data: DataDir, upload_id: str, scenario_id: str) -> Path:
    """One scenario's file beside the data workbook, as a .zip (written to a temporary file
    the caller removes)."""
    info = year_info(data, upload_id)
    if scenario_id == BASE_ID:
        files = [(toml_name(BASE_TEXT_NAME), base_text(info))]
    else:
        name, text = scenario_of(data, upload_id, scenario_id)
        files = [(toml_name(name), text)]
    target = data.whatif_root() / f".download-{new_id()}.zip"
    write_zip(target, info, data_workbook(data, upload_id), files)
    return target


def run_zip(data: DataDir, run_id: str) -> Path:
    """A run's scenario files beside the data workbook (written once per run)."""
    folder = data.whatif_dir(run_id)
    target = folder / ZIP_FILE
    if not target.is_file():
        run = read_run(data, run_id)
        info = YearInfo(run["upload_id"], run["district"], run["year"])
        files = [
            (name, (folder / SCENARIO_FOLDER / name).read_text(encoding="utf-8"))
            for name in run["files"]
        ]
        write_zip(target, info, data_workbook(data, run["upload_id"]), files)
    return target


# -- runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfRequest:
    """A run a clerk asked for: which upload, which scenarios (BASE_ID = the data as it is),
    and the sweep (``key=start:stop:step``) or the number of years to simulate."""

    kind: str
    upload_id: str
    scenario_ids: tuple[str, ...]
    sweep: str = ""
    years: int = 5
    time_limit: float = 60.0
    seed: int = 1

    @classmethod
    def of(cls, options: dict[str, Any]) -> WhatIfRequest:
        """From a job's options (JSON: lists for tuples)."""
        return cls(**{**options, "scenario_ids": tuple(options.get("scenario_ids", ()))})


def sweep_text(key: str, start: str, stop: str, step: str) -> str:
    """The --sweep text of the form's four fields."""
    return f"{key.strip()}={start.strip()}:{stop.strip()}:{step.strip()}"


def check_request(data: DataDir, request: WhatIfRequest, max_time: float) -> None:
    """WhatIfError with every problem of a run request (UnknownId for an unknown upload)."""
    info = year_info(data, request.upload_id)
    problems: list[str] = []
    ids = list(request.scenario_ids)
    known = {i for i, _n, _t in kept(data, info)} | {BASE_ID}
    if request.kind not in KIND_NAMES:
        problems.append(f"未知的运行类型「{request.kind[:20]}」")
    if len(set(ids)) != len(ids):
        problems.append("同一情景选了两次")
    unknown = [i for i in ids if i not in known]
    if unknown:
        problems.append(f"有 {len(unknown)} 个情景不属于本学年（可能已被删除），请刷新页面")
    if request.kind == "compare" and not 2 <= len(ids) <= MAX_RUN_SCENARIOS:
        problems.append(f"方案比较：请选择 2 到 {MAX_RUN_SCENARIOS} 个情景（可含基准）")
    if request.kind == "sweep":
        if len(ids) != 1:
            problems.append("参数扫描：请选择一个情景（或基准）")
        try:
            parse_sweep(request.sweep)
        except PolicyValueError as exc:
            problems.append(f"参数扫描：{str(exc).replace('--sweep', '扫描')}")
    if request.kind == "simulate":
        if not 1 <= len(ids) <= MAX_RUN_SCENARIOS:
            problems.append(f"政策模拟：请选择 1 到 {MAX_RUN_SCENARIOS} 个情景（可含基准）")
        if not 1 <= request.years <= MAX_YEARS:
            problems.append(f"政策模拟：学年数应为 1 到 {MAX_YEARS}")
    if not 1 <= request.time_limit <= max_time:
        problems.append(f"时间上限应为 1 到 {int(max_time)} 秒")
    if problems:
        raise WhatIfError(problems)


def staging_dir(data: DataDir, job_id: str) -> Path:
    """Where a run's job writes before its folder is put in place."""
    return data.whatif_root() / f".{job_id}.tmp"


def _scenarios(
    data: DataDir, request: WhatIfRequest
) -> tuple[YearInfo, list[Scenario], list[tuple[str, str]]]:
    """The run's scenarios applied to the upload's data, and their files (name, text)."""
    info = year_info(data, request.upload_id)
    base = base_district(data, request.upload_id)
    texts = {i: (n, t) for i, n, t in kept(data, info)}
    texts[BASE_ID] = (BASE_TEXT_NAME, base_text(info))
    scenarios: list[Scenario] = []
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for n, ident in enumerate(request.scenario_ids):
        if ident not in texts:
            problems.append(Problem(sheet="", message="情景已被删除，请刷新页面后重新选择"))
            continue
        name, text = texts[ident]
        try:
            s = _apply(text, base, info, name, key=f"s{n + 1}")
        except InputError as exc:
            problems += exc.problems
            continue
        scenarios.append(s)
        files.append((toml_name(name), text))
    if problems:
        raise InputError(problems)
    return info, scenarios, files


def comparison_view(
    outcomes: Sequence[Outcome], summaries: Sequence[SweepSummary]
) -> dict[str, Any]:
    """What the results page shows of a comparison or a sweep: the workbook's own rows."""
    names = column_names(outcomes)
    kpis = []
    for label, values, fmt in kpi_rows(outcomes):
        kpis.append([label, label in SECTIONS, [figure_text(v, fmt) for v in values]])
    groups = group_order(outcomes)
    series = []
    for o, name in zip(outcomes, names, strict=True):
        counts = {(g.group_id, g.name): g.rotated for g in o.groups}
        series.append([name, [counts.get(k, 0) if o.feasible else 0 for k in groups]])
    return {
        "names": names,
        "feasible": [o.feasible for o in outcomes],
        "kpis": kpis,
        "group_labels": [name for _gid, name in groups],
        "group_series": series,
        "diff_header": DIFF_HEADER,
        "diff_rows": [
            [figure_text(v, None) if v is not None else "" for v in r]
            for r in diff_rows(outcomes, names)
        ],
        "unmet": [
            {
                "name": name,
                "status": o.status_text,
                "checks": o.failed_checks,
                "conflicts": list(o.conflicts),
            }
            for o, name in zip(outcomes, names, strict=True)
            if not o.feasible and (o.sweep is None or o.conflicts)
        ],
        "sweep_header": SWEEP_HEADER,
        "sweep_rows": [
            [figure_text(v, None) if v is not None else "" for v in r]
            for r in sweep_rows(summaries)
        ],
        "sweeps": [
            {
                "name": s.name,
                "key": s.key,
                "label": label_of(s.key),
                "conclusion": s.conclusion,
                "points": [
                    {
                        "value": o.sweep[1] if o.sweep else "",
                        "feasible": o.feasible,
                        "status": o.status_text,
                        "rotations": o.rotations if o.feasible else None,
                        "minimum": o.minimum,
                        "conflicts": list(o.conflicts[:3]),
                    }
                    for o in s.rows
                ],
            }
            for s in summaries
        ],
    }


def simulation_view(simulations: Sequence[Simulation]) -> dict[str, Any]:
    """What the results page shows of a simulation: each indicator per year per scenario (as
    the workbook's 趋势图 sheet), and how far each scenario got."""
    from rotation.reports.simulation import column_names as simulation_names

    names = simulation_names(simulations)
    years = sorted({r.year for s in simulations for r in s.results})
    indicators = []
    for label, get, fmt in INDICATORS:
        series = []
        for s, name in zip(simulations, names, strict=True):
            values: list[float | None] = []
            for year in years:
                found = next((y for y in s.results if y.year == year and y.ok), None)
                value = get(found.total) if found else None
                values.append(float(value) if value is not None else None)
            series.append([name, values])
        indicators.append({"label": label, "percent": fmt is not None, "series": series})
    return {
        "names": names,
        "years": years,
        "indicators": indicators,
        "conclusions": [
            {
                "name": name,
                "conclusion": s.conclusion,
                "ok": s.failed is None,
                "messages": list(s.failed.messages) if s.failed else [],
            }
            for s, name in zip(simulations, names, strict=True)
        ],
    }


def _progress(data: DataDir, job_id: str) -> Any:
    last = {"at": 0.0}

    def report(step: Step) -> None:
        now = time.monotonic()
        if now - last["at"] < 0.2 and step.done != step.total:
            return
        last["at"] = now
        share = step.done / step.total if step.total else 0.0
        if step.phase == SCENARIOS:
            fraction = 0.05 + 0.8 * share
        elif step.phase == EXPLAINING:
            fraction = 0.85 + 0.1 * share
        else:
            fraction = 0.05 + 0.9 * share
        message = f"{step.phase} {step.done}/{step.total}" if step.total else step.phase
        write_json_file(
            data.job_file(job_id, "progress"), {"progress": round(fraction, 3), "message": message}
        )

    return report


def execute(
    data: DataDir, request: WhatIfRequest, folder: Path, *, workers: int = 0, report: Any = None
) -> dict[str, Any]:
    """Run a request: its workbook, scenario files and run.json written into `folder`; the
    run's view (what run.json holds)."""
    started = time.perf_counter()
    say = report or (lambda _step: None)
    say(Step("读取数据"))
    info, scenarios, files = _scenarios(data, request)
    options = SolveOptions(time_limit=request.time_limit)
    view: dict[str, Any]
    if request.kind == "simulate":
        from rotation.service.simulate import run_simulations

        total = len(scenarios) * request.years
        seen = {"lines": 0}

        def echo(line: str = "", **_kw: Any) -> None:
            if line.startswith("第"):
                seen["lines"] += 1
                say(Step("逐年编制", min(seen["lines"], total), total))

        simulations = run_simulations(
            scenarios,
            request.years,
            options=options,
            seed=request.seed,
            processes=workers,
            echo=echo,
        )
        say(Step("写出政策模拟"))
        write_simulation(folder / SIMULATION_FILE, simulations)
        view = simulation_view(simulations)
        workbook = SIMULATION_FILE
    else:
        if request.kind == "sweep":
            scenarios = sweep_scenarios(scenarios, request.sweep)
        outcomes, summaries = compare_loaded(
            scenarios, options=options, processes=workers, report=say
        )
        say(Step("写出方案对比"))
        write_comparison(folder / COMPARISON_FILE, outcomes, summaries)
        view = comparison_view(outcomes, summaries)
        workbook = COMPARISON_FILE
    scenario_folder = folder / SCENARIO_FOLDER
    scenario_folder.mkdir()
    names: list[str] = []
    for name, text in files:
        stem, n = name.removesuffix(".toml"), 2
        while name in names:
            name, n = f"{stem}-{n}.toml", n + 1
        (scenario_folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    return {
        **view,
        "kind": request.kind,
        "kind_name": KIND_NAMES[request.kind],
        "upload_id": request.upload_id,
        "district": info.district,
        "year": info.year,
        "request": {**asdict(request), "scenario_ids": list(request.scenario_ids)},
        "scenario_names": [s.name for s in scenarios] if request.kind != "sweep" else [],
        "files": names,
        "workbook": workbook,
        "seconds": round(time.perf_counter() - started, 2),
    }


def run_whatif_job(
    root: str,
    job_id: str,
    request: WhatIfRequest,
    workers: int,
    user: str = "",
    database: str = "",
    server: int = 0,
) -> None:
    """The job's own process (a process group of its own, as a planning job's): run, put the
    run's folder in place, say how it went."""
    from rotation.service.jobs import follow_server

    os.setpgrp()
    follow_server(server)
    data = DataDir(Path(root), database)
    run_id = new_id()
    staging = staging_dir(data, job_id)
    try:
        staging.mkdir(parents=True)
        view = execute(data, request, staging, workers=workers, report=_progress(data, job_id))
        write_json_file(
            staging / RUN_FILE,
            {**view, "run_id": run_id, "job_id": job_id, "user": user, "created": now_text()},
        )
        os.rename(staging, data.whatif_dir(run_id))
        outcome: dict[str, Any] = {"state": "done", "run_id": run_id}
    except InputError as error:
        outcome = {
            "state": "failed",
            "message": f"情景有 {len(error.errors)} 处错误，未运行",
            "problems": [problem_json(p) for p in error.problems[:500]],
        }
    except Exception as error:
        data.job_file(job_id, "log").write_text(traceback.format_exc(), encoding="utf-8")
        outcome = {"state": "failed", "message": f"运行失败：{type(error).__name__}"}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_json_file(data.job_file(job_id, "result"), outcome)


def read_run(data: DataDir, run_id: str) -> dict[str, Any]:
    """A run's run.json (UnknownId when there is no such run)."""
    path = data.whatif_dir(run_id) / RUN_FILE
    if not path.is_file():
        raise UnknownId(f"run {run_id}")
    run: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return run


def run_file(data: DataDir, run_id: str) -> tuple[Path, str]:
    """A run's workbook and the name it is downloaded under."""
    run = read_run(data, run_id)
    path = data.whatif_dir(run_id) / str(run["workbook"])
    if run["workbook"] not in (COMPARISON_FILE, SIMULATION_FILE) or not path.is_file():
        raise UnknownId(f"run {run_id}")
    title = f"{run['district']}{run['year']}学年{run['kind_name']}.xlsx"
    return path, title


def upload_runs(data: DataDir, upload_id: str, limit: int = 30) -> list[dict[str, Any]]:
    """An upload's runs, newest first (kind, names, when, by whom)."""
    folder = data.whatif_root()
    runs = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        path = entry / RUN_FILE
        if not path.is_file():
            continue
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if run.get("upload_id") == upload_id:
            runs.append(
                {
                    k: run.get(k)
                    for k in ("run_id", "kind", "kind_name", "created", "user", "names", "sweeps")
                }
            )
    runs.sort(key=lambda r: str(r.get("created", "")), reverse=True)
    return runs[:limit]


def sweep_choices() -> list[tuple[str, str, bool]]:
    """The parameters a sweep may take: (key, label, ratio)."""
    return [(k, label_of(k), k in RATIO_KEYS) for k in SWEEP_KEYS]
