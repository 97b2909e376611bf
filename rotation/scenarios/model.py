"""What-if scenarios (SPEC §1.2): a TOML file names a base district and what to change in it.

A scenario file says, in order of the tables below:

* ``name`` and ``description`` (Chinese, for the comparison workbook and the 审批表's 汇总);
* ``[base]`` — the district: ``input = "数据.xlsx"`` (a workbook, CSV folder or JSON, relative to
  the scenario file) or ``generate = { structure = "minhang", teachers = 3000, seed = 2025 }``
  (a bundled sample: minhang, ganzhou or shanghai_entrusted), and optionally ``year``;
* ``[policy]`` — district-wide parameters, with exactly the keys and spellings of the 规则 sheet
  (``min_rotation_ratio = "15%"`` or ``0.15``; Chinese labels work as quoted keys);
* ``[group_policy.<集团编号>]`` — one group's parameters (the 规则 sheet's third column);
* ``[weights]`` — soft-goal weights (``seniority = 20`` or ``weight_seniority = 20``);
* ``[edits]`` — data changes: ``weak_schools`` / ``not_weak_schools`` (school ids),
  ``[[edits.defer]]`` (teacher, reason), ``[[edits.demand]]`` (school, subject, count; an existing
  row's count is replaced, 0 removes it) and ``[[edits.pins]]`` (teacher, kind, school, reason).

Loading validates everything and reports every problem at once, each naming the file, the key
and what is wrong (as `models.InputError`, so the CLI prints it like a bad workbook). Applying a
scenario gives a new, re-checked `District`; the base is never changed. A sweep
(``min_rotation_ratio=0.10:0.20:0.02``) turns one scenario into a family, one value each.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models import Demand, District, InputError, Pin, Policy, PolicySet, Problem, School, Teacher
from models.fields import Id, OptId, OptText, Text, enum_parser, zh_message
from models.policy import (
    DISTRICT_ONLY,
    PARAMETER_KEYS,
    PREVIEW_KEYS,
    RATIO_KEYS,
    PolicyValueError,
    check_policy_values,
    format_param,
    is_weight,
    label_of,
    normalise_text,
    parse_int,
    parse_param,
    parse_ratio,
    resolve_key,
)
from models.vocab import PinKind

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
STRUCTURE_NAMES = {
    "minhang": "闵行区式结构",
    "ganzhou": "甘州区真实集团结构",
    "shanghai_entrusted": "上海第二轮精准委托管理结构",
}
DEFAULT_YEAR = 2025
MAX_SWEEP = 40


# -- the file's shape -------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenerateSpec(_Strict):
    """A bundled sample district, generated."""

    structure: Literal["minhang", "ganzhou", "shanghai_entrusted"]
    teachers: int = Field(3000, ge=10, le=500_000)
    seed: int = 1


class BaseSpec(_Strict):
    """Where the scenario's district comes from."""

    input: Text | None = None
    generate: GenerateSpec | None = None
    year: int | None = Field(None, ge=2000, le=2100)

    @model_validator(mode="after")
    def _one_source(self) -> BaseSpec:
        if (self.input is None) == (self.generate is None):
            raise ValueError("应填写 input（数据文件）或 generate（示例数据）二者之一")
        return self


class DeferEdit(_Strict):
    """A teacher who will not rotate this year (any reason defers)."""

    teacher: Id
    reason: Text = "情景假设：暂缓交流"


class DemandEdit(_Strict):
    """A demand row: added, or an existing one's count replaced (0 removes it)."""

    school: Id
    subject: Text
    count: int = Field(1, ge=0, le=1000)


class PinEdit(_Strict):
    """An HR decision about one teacher (the 锁定 sheet)."""

    teacher: Id
    kind: Annotated[PinKind, enum_parser(PinKind)]
    school: OptId = None
    reason: OptText = None


class Edits(_Strict):
    """Changes to the base district's data."""

    weak_schools: list[Id] = Field(default_factory=list)
    not_weak_schools: list[Id] = Field(default_factory=list)
    defer: list[DeferEdit] = Field(default_factory=list)
    demand: list[DemandEdit] = Field(default_factory=list)
    pins: list[PinEdit] = Field(default_factory=list)


class ScenarioSpec(_Strict):
    """A scenario file as written."""

    name: Text
    description: str = ""
    base: BaseSpec
    policy: dict[str, Any] = Field(default_factory=dict)
    group_policy: dict[str, dict[str, Any]] = Field(default_factory=dict)
    weights: dict[str, Any] = Field(default_factory=dict)
    edits: Edits = Field(default_factory=Edits)


# -- a loaded scenario --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its district with every change applied."""

    path: Path
    key: str  # unique among the scenarios of one run: file names of its outputs
    name: str
    description: str
    district: District
    base_label: str  # what the base is, for people
    base_id: str  # equal for scenarios on the same base data (teacher-level diffs make sense)
    changes: tuple[str, ...] = ()
    sweep: tuple[str, str] | None = None  # (key, value as shown) for a sweep member
    source: Path | None = None  # the base data file, when the base is one


class _Errors:
    """Problems of one scenario file, each naming the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        place = f" {where}" if where else ""
        self.problems.append(Problem(sheet="", message=f"「{self.path}」{place}：{message}"))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def fail(self, where: str, message: str) -> NoReturn:
        self.add(where, message)
        raise InputError(self.problems)


def _where(loc: Sequence[int | str]) -> str:
    """A pydantic location as the TOML shows it: [edits.pins] 第2项 teacher."""
    parts = list(loc)
    key = ""
    if parts and isinstance(parts[-1], str):
        key = str(parts.pop())
    index = ""
    if parts and isinstance(parts[-1], int):
        index = f"第{int(parts.pop()) + 1}项"
    tables = [str(p) if isinstance(p, str) else f"第{p + 1}项" for p in parts]
    if index and tables and not key:  # a list of plain values: weak_schools 第1项
        key = f"{tables.pop()} {index}"
        index = ""
    head = f"[{'.'.join(tables)}]" if tables else ""
    return " ".join(p for p in (head, index, key) if p)


def _fields_at(loc: Sequence[int | str]) -> list[str]:
    """The keys allowed where an unknown key was found (for the suggestion)."""
    model: Any = ScenarioSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return []
        annotation = fields[part].annotation
        while get_origin(annotation) is not None:
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[-1] if args else None
        model = annotation
    return list(getattr(model, "model_fields", {}))


def _suggest(word: str, choices: Sequence[str], *, keys: bool = False) -> str:
    """', is it X?' for the nearest choice; for keys (few) the whole list when none is near."""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    if near:
        return f"，是否指 {near[0]}？"
    return f"，可用的键：{'、'.join(choices)}" if keys and choices else ""


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        loc = error["loc"]
        return "未知的键" + _suggest(str(loc[-1]), _fields_at(loc), keys=True)
    if kind == "missing":
        return "缺少此项（必填）"
    if kind in ("string_type",):
        return f"「{error['input']}」应为文字，请加英文双引号"
    if kind in ("list_type",):
        return '应为列表，如 ["A01", "A02"]'
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "应为表（[表名] 或 { 键 = 值 }）"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"「{error['input']}」无效，可选：{expected}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return zh_message(error)


# -- loading ----------------------------------------------------------------------------------


#: tomllib's commonest complaints, in words a clerk reads (others are shown as they are).
_TOML_WORDS = {
    "Invalid value": "值无效",
    "Expected '=' after a key": "键后面应有 =",
    "Invalid statement": "无法识别的一行",
    "Cannot overwrite a value": "同一个键写了两次",
    "Cannot declare": "同一个表写了两次",
    "Unterminated string": "引号没有配对",
    "Illegal character": "含有不允许的字符",
    "Expected newline or end of document": "一行只能写一项",
    "Invalid initial character for a key part": "键名不能以此字符开头",
    "Unclosed array": "列表缺少 ]",
    "Unclosed inline table": "表缺少 }",
}


def read_spec(path: Path) -> ScenarioSpec:
    """The scenario file parsed and shape-checked; InputError naming file, key and problem."""
    errors = _Errors(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        errors.fail("", "找不到情景文件")
    except OSError as exc:
        errors.fail("", f"无法读取（{exc.strerror or exc}）")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.fail("", "不是 UTF-8 编码的文本：请用记事本等另存为 UTF-8")
    return parse_spec(text, path)


def parse_spec(text: str, path: Path, *, base_optional: bool = False) -> ScenarioSpec:
    """A scenario file's text parsed and shape-checked (`path` names it in the problems).
    With `base_optional` (the caller brings the base: each county of a province) the file may
    leave out [base]."""
    errors = _Errors(path)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        errors.fail("", "嵌套层数过多（括号一层套一层），不是有效的情景文件")
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"第{found.group(1)}行第{found.group(2)}列" if found else ""
        reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        reason = next((zh for en, zh in _TOML_WORDS.items() if reason.startswith(en)), reason)
        hint = (
            '。常见原因：文字未加英文双引号，如 name = "方案一"；百分比写成 "15%" 或 0.15'
            if reason == _TOML_WORDS["Invalid value"]
            else ""
        )
        errors.fail(where, f"不是有效的 TOML（{reason}）{hint}")
    if base_optional and isinstance(data, dict) and "base" not in data:
        data["base"] = {"generate": {"structure": "minhang"}}  # never loaded: a placeholder
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            errors.add(_where(err["loc"]), _message(err))
        raise InputError(errors.problems) from None


def load_scenario(path: Path, *, teachers: int | None = None, key: str | None = None) -> Scenario:
    """A scenario file applied to its base; `teachers` overrides a generated base's size
    (quick trials and tests). InputError lists every problem with the file and key."""
    path = Path(path)
    spec = read_spec(path)
    errors = _Errors(path)
    base, label, base_id, source = _load_base(path, spec.base, teachers, errors)
    district, changes = apply_spec(base, spec, errors)
    return Scenario(
        path=path,
        key=key or path.stem,
        name=spec.name,
        description=spec.description.strip(),
        district=district,
        base_label=label,
        base_id=base_id,
        changes=tuple(changes),
        source=source,
    )


def scenario_on(
    text: str,
    base: District,
    *,
    path: Path,
    key: str,
    base_label: str,
    base_id: str,
    source: Path | None = None,
    base_optional: bool = False,
) -> Scenario:
    """A scenario file's text applied to a district already at hand (the web's checked upload,
    a province's county) instead of the one its [base] names; `path` names the file in the
    problems (InputError, every problem at once, as `load_scenario`)."""
    spec = parse_spec(text, path, base_optional=base_optional)
    district, changes = apply_spec(base, spec, _Errors(path))
    return Scenario(
        path=path,
        key=key,
        name=spec.name,
        description=spec.description.strip(),
        district=district,
        base_label=base_label,
        base_id=base_id,
        changes=tuple(changes),
        source=source,
    )


def load_scenarios(paths: Sequence[Path], *, teachers: int | None = None) -> list[Scenario]:
    """Every file loaded; the problems of all files reported together."""
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    keys: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            problems.append(
                Problem(sheet="", message=f"「{path}」是文件夹：请给出情景文件（.toml）")
            )
            continue
        key = path.stem
        if key in keys:
            if keys[key].resolve() == path.resolve():
                problems.append(Problem(sheet="", message=f"「{path}」重复给出"))
                continue
            n = 2
            while f"{key}-{n}" in keys:
                n += 1
            key = f"{key}-{n}"
        keys[key] = path
        try:
            scenarios.append(load_scenario(path, teachers=teachers, key=key))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return scenarios


def _load_base(
    path: Path, base: BaseSpec, teachers: int | None, errors: _Errors
) -> tuple[District, str, str, Path | None]:
    """The base district, what it is, its identity, and its data file (None when generated)."""
    year = base.year or DEFAULT_YEAR
    if base.generate is not None:
        from rotation.samples.entrusted import generate_entrusted_district
        from rotation.samples.generate import generate_district

        g = base.generate
        size = teachers or g.teachers
        if g.structure == "shanghai_entrusted":
            district = generate_entrusted_district(teachers=size, seed=g.seed, plan_year=year)
        else:
            district = generate_district(
                teachers=size, seed=g.seed, structure=g.structure, plan_year=year
            )
        label = f"示例数据：{STRUCTURE_NAMES[g.structure]}，{size}名教师，随机种子{g.seed}"
        return district, label, f"generate|{g.structure}|{size}|{g.seed}|{year}", None
    from rotation.formats.reading import input_sha256, read_district

    assert base.input is not None
    source = (path.parent / base.input).resolve()
    if not source.exists():
        errors.fail("[base] input", f"找不到数据文件「{source}」（相对于情景文件所在文件夹）")
    try:
        district = read_district(source, year=base.year)
    except InputError as exc:
        errors.add("[base] input", f"数据「{base.input}」有 {len(exc.errors)} 处错误，见下")
        raise InputError(errors.problems + exc.problems) from None
    return district, f"数据：{base.input}", f"input|{input_sha256(source)}|{base.year}", source


# -- applying -----------------------------------------------------------------------------------


def _parse_values(
    values: dict[str, Any], where: str, errors: _Errors, *, weights_only: bool = False
) -> dict[str, Any]:
    """Typed parameter values from a table of the file, each checked on its own."""
    result: dict[str, Any] = {}
    for written, value in values.items():
        try:
            text = normalise_text(written)
            if weights_only and f"weight_{text}" in PARAMETER_KEYS:
                text = f"weight_{text}"
            key = resolve_key(text)
        except PolicyValueError as exc:
            errors.add(f"{where} {written}", str(exc))
            continue
        if weights_only and not is_weight(key):
            errors.add(
                f"{where} {written}", f"{key}（{label_of(key)}）不是权重，请写在 [policy] 中"
            )
            continue
        if key in result:
            errors.add(f"{where} {written}", f"参数 {key} 重复")
            continue
        if isinstance(value, dict):
            errors.add(f"{where} {written}", "应为一个值，不是表")
            continue
        try:
            typed = parse_param(key, value)
            check_policy_values({key: typed})
        except PolicyValueError as exc:
            errors.add(f"{where} {written}", f"{key}（{label_of(key)}）：{exc}")
            continue
        result[key] = typed
    return result


def apply_spec(base: District, spec: ScenarioSpec, errors: _Errors) -> tuple[District, list[str]]:
    """A new district with the scenario's parameters and edits (the base is left as it was),
    and the changes in words."""
    changes: list[str] = []
    policy_values = _parse_values(spec.policy, "[policy]", errors)
    weight_values = _parse_values(spec.weights, "[weights]", errors, weights_only=True)
    for key in sorted(set(policy_values) & set(weight_values)):
        errors.add(f"[weights] {key}", "同一参数在 [policy] 中也设置了，请只保留一处")
    district_values = {**policy_values, **weight_values}
    old = base.policy.district
    for key, value in district_values.items():
        before = format_param(key, getattr(old, key))
        after = format_param(key, value) or "不设"
        if after == (before or "不设"):
            changes.append(f"{key}（{label_of(key)}）：{after}（与原值相同）")
        else:
            changes.append(f"{key}（{label_of(key)}）：{before or '不设'} → {after}")

    overrides = {gid: dict(values) for gid, values in base.policy.group_overrides.items()}
    group_ids = {g.group_id for g in base.groups}
    for gid, values in spec.group_policy.items():
        where = f"[group_policy.{gid}]"
        gid = normalise_text(gid)
        if gid not in group_ids:
            errors.add(where, f"集团「{gid}」不在基础数据中" + _suggest(gid, sorted(group_ids)))
            continue
        if not isinstance(values, dict):
            errors.add(where, "应为表，如 [group_policy.G01] 下写 参数 = 值")
            continue
        typed = _parse_values(values, where, errors)
        for key in sorted(set(typed) & DISTRICT_ONLY):
            errors.add(f"{where} {key}", f"{key}（{label_of(key)}）只能对全区设置")
            del typed[key]
        overrides.setdefault(gid, {}).update(typed)
        name = base.group(gid).name
        changes += [
            f"{name}：{k}（{label_of(k)}）= {format_param(k, v) or '不设'}"
            for k, v in typed.items()
        ]

    tables = _apply_edits(base, spec.edits, errors, changes)
    errors.raise_if_any()
    policy = PolicySet(district=old.model_copy(update=district_values), group_overrides=overrides)
    if district_values.get("district_name"):
        tables["name"] = district_values["district_name"]
    try:
        district = base.replace(policy=policy, **tables)
    except InputError as exc:
        for problem in exc.errors:
            errors.add("", f"应用情景后数据有误：{problem}")
        raise InputError(errors.problems) from None
    return district, changes


def _apply_edits(
    base: District, edits: Edits, errors: _Errors, changes: list[str]
) -> dict[str, Any]:
    """The tables the [edits] of a scenario replace, each change described in `changes`."""
    editor = _Editor(base, errors, changes)
    tables: dict[str, Any] = {}
    for name, result in (
        ("schools", editor.weak(edits)),
        ("teachers", editor.defer(edits)),
        ("demand", editor.demand(edits)),
        ("pins", editor.pins(edits)),
    ):
        if result is not None:
            tables[name] = result
    return tables


class _Editor:
    """Applies one kind of [edits] at a time to the base district, collecting every error."""

    def __init__(self, base: District, errors: _Errors, changes: list[str]) -> None:
        self.base = base
        self.errors = errors
        self.changes = changes
        self.schools = {s.school_id: s for s in base.schools}
        self.teachers = {t.teacher_id: t for t in base.teachers}

    def known_school(self, where: str, sid: str) -> bool:
        if sid in self.schools:
            return True
        self.errors.add(where, f"学校「{sid}」不在基础数据中" + _suggest(sid, sorted(self.schools)))
        return False

    def known_teacher(self, where: str, tid: str) -> bool:
        if tid in self.teachers:
            return True
        self.errors.add(where, f"教师「{tid}」不在基础数据中")
        return False

    def weak(self, edits: Edits) -> tuple[School, ...] | None:
        """weak_schools / not_weak_schools."""
        weak: dict[str, bool] = {}
        for flag, ids, key in (
            (True, edits.weak_schools, "weak_schools"),
            (False, edits.not_weak_schools, "not_weak_schools"),
        ):
            for n, sid in enumerate(ids):
                where = f"[edits] {key} 第{n + 1}项"
                if not self.known_school(where, sid):
                    continue
                if sid in weak and weak[sid] != flag:
                    self.errors.add(
                        where, f"学校「{sid}」同时列在 weak_schools 和 not_weak_schools 中"
                    )
                    continue
                weak[sid] = flag
        if not weak:
            return None
        for sid, flag in weak.items():
            self.changes.append(
                f"{'标为' if flag else '取消'}薄弱学校：{self.schools[sid].name}（{sid}）"
            )
        return tuple(
            s.model_copy(update={"weak": weak[s.school_id]}) if s.school_id in weak else s
            for s in self.base.schools
        )

    def defer(self, edits: Edits) -> tuple[Teacher, ...] | None:
        """[[edits.defer]]: teachers on leave this year."""
        deferred: dict[str, str] = {}
        for n, d in enumerate(edits.defer):
            where = f"[edits.defer] 第{n + 1}项 teacher"
            if self.known_teacher(where, d.teacher):
                if d.teacher in deferred:
                    self.errors.add(where, f"教师「{d.teacher}」重复")
                deferred[d.teacher] = d.reason
        if not deferred:
            return None
        shown = "、".join(
            f"{self.teachers[tid].name}（{tid}）{reason}"
            for tid, reason in list(deferred.items())[:5]
        )
        more = "…" if len(deferred) > 5 else ""
        self.changes.append(f"暂缓交流：{len(deferred)}人（{shown}{more}）")
        return tuple(
            t.model_copy(update={"deferral": deferred[t.teacher_id]})
            if t.teacher_id in deferred
            else t
            for t in self.base.teachers
        )

    def demand(self, edits: Edits) -> tuple[Demand, ...] | None:
        """[[edits.demand]]: a school's demand set (0 removes the row)."""
        if not edits.demand:
            return None
        rows: dict[tuple[str, str], Demand] = {
            (r.school_id, r.subject): r for r in self.base.demand
        }
        seen: set[tuple[str, str]] = set()
        for n, dm in enumerate(edits.demand):
            where = f"[edits.demand] 第{n + 1}项"
            if not self.known_school(f"{where} school", dm.school):
                continue
            pair = (dm.school, dm.subject)
            if pair in seen:
                self.errors.add(where, f"学校「{dm.school}」学科「{dm.subject}」的需求重复")
                continue
            seen.add(pair)
            before = rows.get(pair)
            if dm.count == 0:
                rows.pop(pair, None)
            elif before is not None:
                rows[pair] = before.model_copy(update={"count": dm.count})
            else:
                rows[pair] = Demand(school_id=dm.school, subject=dm.subject, count=dm.count)
            name = self.schools[dm.school].name
            self.changes.append(
                f"需求：{name}{dm.subject} {before.count if before else 0}人 → {dm.count}人"
            )
        return tuple(rows.values())

    def pins(self, edits: Edits) -> tuple[Pin, ...] | None:
        """[[edits.pins]]: HR decisions added to the base's pins."""
        if not edits.pins:
            return None
        pins = list(self.base.pins)
        for n, p in enumerate(edits.pins):
            where = f"[edits.pins] 第{n + 1}项"
            ok = self.known_teacher(f"{where} teacher", p.teacher)
            if p.kind == PinKind.MUST_STAY:
                if p.school is not None:
                    self.errors.add(f"{where} school", "「不得交流」不需要填写学校")
                    ok = False
            elif p.school is None:
                self.errors.add(f"{where} school", f"「{p.kind}」须填写学校编号")
                ok = False
            elif not self.known_school(f"{where} school", p.school):
                ok = False
            if not ok:
                continue
            pins.append(Pin(teacher_id=p.teacher, kind=p.kind, school_id=p.school, reason=p.reason))
            target = f"{self.schools[p.school].name}" if p.school else ""
            self.changes.append(
                f"锁定：{self.teachers[p.teacher].name}（{p.teacher}）{p.kind}{target}"
            )
        return tuple(pins)


# -- sweeps -------------------------------------------------------------------------------------

_RATIO_KEYS = RATIO_KEYS
_INT_KEYS = frozenset(
    k
    for k in PARAMETER_KEYS
    if Policy.model_fields[k].annotation in (int, int | None)
    and k not in DISTRICT_ONLY
    and k not in PREVIEW_KEYS
)


@dataclass(frozen=True)
class Sweep:
    """One parameter taking a range of values: a family of scenarios."""

    key: str
    values: tuple[Any, ...]
    texts: tuple[str, ...] = field(default=())


def parse_sweep(text: str) -> Sweep:
    """``key=start:stop:step`` (stop included): ratios (``0.10:0.20:0.02`` or ``10%:20%:2%``) or
    whole numbers. PolicyValueError in Chinese when it cannot be used."""
    body = normalise_text(text).replace("：", ":")
    if "=" not in body:
        raise PolicyValueError(
            f"--sweep「{text}」应写成 参数=起:止:步长，如 min_rotation_ratio=0.10:0.20:0.02"
        )
    written, _, spread = body.partition("=")
    key = resolve_key(written)
    parts = [p.strip() for p in spread.split(":")]
    if len(parts) != 3 or not all(parts):
        raise PolicyValueError(f"--sweep「{text}」的取值应写成 起:止:步长，如 0.10:0.20:0.02")
    ratio = key in _RATIO_KEYS
    if not ratio and key not in _INT_KEYS:
        raise PolicyValueError(f"{key}（{label_of(key)}）不是比例或整数参数，不能扫描")
    parse = parse_ratio if ratio else (lambda v: Decimal(parse_int(v)))
    start, stop, step = (Decimal(parse(p)) for p in parts)
    if step == 0:
        raise PolicyValueError("--sweep 的步长不能为 0")
    if (stop - start) * step < 0:
        raise PolicyValueError("--sweep 的步长方向与起止值不符")
    count = int((stop - start) / step) + 1
    if count > MAX_SWEEP:
        raise PolicyValueError(f"--sweep 共 {count} 个取值，最多 {MAX_SWEEP} 个：请加大步长")
    values: list[Any] = []
    for n in range(count):
        value = start + step * n
        typed: Any = value if ratio else int(value)
        check_policy_values({key: typed})
        values.append(typed)
    return Sweep(key, tuple(values), tuple(format_param(key, v) for v in values))


def sweep_family(scenario: Scenario, sweep: Sweep) -> list[Scenario]:
    """The scenario once per sweep value (district-wide value; groups overriding the same
    parameter keep their own). A sweep of min_rotation_ratio while min_rotation_ratio_by_size
    is set is refused (PolicyValueError): it would leave most groups where they were."""
    family = []
    policy = scenario.district.policy
    if sweep.key == "min_rotation_ratio" and policy.district.min_rotation_ratio_by_size:
        raise PolicyValueError(
            f"情景「{scenario.name}」已按集团规模设置最低交流比例"
            "（min_rotation_ratio_by_size），扫描 min_rotation_ratio 只会改变学校数不在分段内的"
            '集团；如要扫描，请在情景的 [policy] 中写 min_rotation_ratio_by_size = "无"'
        )
    for value, text in zip(sweep.values, sweep.texts, strict=True):
        district_policy = policy.district.model_copy(update={sweep.key: value})
        district = scenario.district.replace(
            policy=policy.model_copy(update={"district": district_policy})
        )
        family.append(
            replace(
                scenario,
                key=f"{scenario.key}-{sweep.key}-{text.replace('%', 'pct')}",
                name=f"{scenario.name}（{sweep.key}={text}）",
                district=district,
                sweep=(sweep.key, text),
            )
        )
    return family
