"""`rotation demo`: the bundled sample districts, written as the bureau would send them, then read back.

Planning is not wired in yet; until it is, the demo proves the whole input path: generate,
write the workbook, read and validate it, and summarise what the rules will demand.
"""

from __future__ import annotations

from pathlib import Path

from models import District
from rotation.generate import ganzhou_policy, generate_district
from rotation.reading import read_district
from rotation.summary import summary_lines
from rotation.writing import write_district

DEMO_YEAR = 2025


def demo_districts() -> list[tuple[str, District]]:
    """The two bundled samples: Ganzhou's real group structure (Ganzhou rule variant) and Minhang."""
    ganzhou = generate_district(teachers=2400, seed=2025, structure="ganzhou", plan_year=DEMO_YEAR)
    ganzhou = ganzhou.replace(policy=ganzhou_policy(DEMO_YEAR))
    minhang = generate_district(teachers=3000, seed=2025, structure="minhang", plan_year=DEMO_YEAR)
    return [("甘州区示例数据.xlsx", ganzhou), ("闵行区示例数据.xlsx", minhang)]


def run_demo(out_dir: Path) -> list[str]:
    """Write each sample workbook (replacing an earlier demo's), validate it, return the summary."""
    lines: list[str] = []
    for filename, district in demo_districts():
        path = out_dir / filename
        write_district(district, path, force=True)
        lines.append(f"== {path} ==")
        lines += summary_lines(read_district(path))
        lines.append("")
    lines.append(f"示例数据已写入 {out_dir}/。编制方案功能上线后，demo 将直接输出审批表。")
    return lines
