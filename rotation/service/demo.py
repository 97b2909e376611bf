"""`rotation demo`: the bundled sample districts, from the bureau's workbook to the 审批表.

Each sample is written as the bureau would send it, read back and validated like any input,
planned, re-checked by the solver-free checkers, and written to the output folder.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from models.plan import SolveOptions
from models.rules import violations
from rotation.formats.reading import input_sha256, read_district
from rotation.formats.safe_write import check_targets
from rotation.formats.writing import write_district
from rotation.reports.outcomes import STATUS_WORDS
from rotation.samples.demo import demo_districts
from rotation.service.planning import itinerant_sentence, plan_district
from rotation.service.progress import READING, Report, Step, silent


def demo_paths(out_dir: Path, stem: str) -> tuple[Path, Path, Path]:
    """A sample's data workbook, 审批表 and plan JSON."""
    return (
        out_dir / f"{stem}数据.xlsx",
        out_dir / f"{stem}-审批表.xlsx",
        out_dir / f"{stem}-方案.json",
    )


def run_demo(
    out_dir: Path, options: SolveOptions | None = None, report: Report = silent
) -> tuple[list[str], bool]:
    """Write, read, plan and check each sample (replacing an earlier demo's files); the summary
    lines, and whether every sample planned cleanly. Each sample's phases go to `report`."""
    lines: list[str] = []
    clean = True
    samples = demo_districts()
    # an earlier demo's files are replaced; never a folder, a device, or anything but a file
    check_targets((p for stem, _, _ in samples for p in demo_paths(out_dir, stem)), force=True)
    for stem, scenario, generated in samples:

        def step(s: Step, stem: str = stem) -> None:
            report(replace(s, phase=f"{stem}：{s.phase}"))

        source, output, json_out = demo_paths(out_dir, stem)
        step(Step("生成示例数据"))
        write_district(generated, source, force=True)
        step(Step(READING))
        start = time.perf_counter()
        district = read_district(source)
        read_seconds = time.perf_counter() - start
        result = plan_district(
            district,
            output,
            json_out,
            options=options or SolveOptions(),
            sha256=input_sha256(source),
            scenario=scenario,
            force=True,
            read_seconds=read_seconds,
            report=step,
        )
        broken = violations(district, result.plan) if result.plan.rotations else []
        clean = clean and result.status in ("optimal", "feasible") and not broken
        lines.append(
            f"{stem}（{scenario}）：{len(district.groups)} 个集团、{len(district.schools)} 所学校、"
            f"{len(district.teachers)} 名教师，符合交流条件 {len(district.eligible_teachers())} 名"
        )
        lines.append(
            f"  求解：{STATUS_WORDS.get(result.status, result.status)}，新交流 {len(result.plan.rotations)} 人，期满返回 {len(result.plan.returns)} 人，"
            f"规则核查未通过 {len(broken)} 项，用时 {result.wall_seconds:.1f} 秒"
        )
        itinerant = itinerant_sentence(district, result.plan)
        if itinerant:
            lines.append(f"  {itinerant}")
        lines.append(f"  数据：{source}  审批表：{output}  方案：{json_out}")
    return lines, clean


def write_sample_inputs(folder: Path) -> list[tuple[str, str, Path]]:
    """The bundled samples as the bureau would send them: (name, scenario, workbook) each,
    written into `folder` (the web server loads these at its first start)."""
    written = []
    for stem, scenario, generated in demo_districts():
        path = folder / f"{stem}数据.xlsx"
        write_district(generated, path, force=True)
        written.append((stem, scenario, path))
    return written
