"""A re-plan after one pin, through the web application, against a fresh plan in the same run
(issue 16's target: ≤ 2× a fresh plan's time on a 10,000-teacher district, changing no more
rotations than the pin forces).

A generated district is written as .xlsx, the real server started (`rotation serve`, a fresh
data folder, a free port on 127.0.0.1) and the workbook uploaded. Each round: a fresh plan
(POST /api/plans, polled until done), one of its rotated teachers pinned 不得交流 (POST …/pins),
and a re-plan against it (POST …/replan, polled until done) — wall seconds request → done for
both, and their ratio. Then, outside the server, the fewest changes the rules allow under that
pin (the same district solved against the same plan with a change weight far above every other
term) is compared with the re-plan's changes. Nothing is written to the repository.

    .venv/bin/python -m rotation.bench.replan --teachers 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from models import District, Pin
from models.plan import Plan, SolveOptions
from models.vocab import PinKind
from rotation.bench.web import running_server, upload
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.store import DataDir
from solvers.solve import solve


def _wait(client: Any, job_id: str, poll: float = 0.05) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            if job["state"] != "done":
                raise RuntimeError(f"编制未完成：{job}")
            return job
        time.sleep(poll)


def _timed_job(client: Any, path: str, body: dict[str, Any]) -> tuple[float, str]:
    start = time.perf_counter()
    answer = client.post(path, json=body)
    answer.raise_for_status()
    job = _wait(client, answer.json()["job_id"])
    return time.perf_counter() - start, str(job["plan_id"])


def changed(before: Plan, after: Plan) -> set[str]:
    """Teachers whose new rotation differs between two plans (dropped, added or moved)."""
    a = {r.teacher_id: r.to_school_id for r in before.rotations}
    b = {r.teacher_id: r.to_school_id for r in after.rotations}
    return {t for t in a.keys() | b.keys() if a.get(t) != b.get(t)}


def fewest_changes(district: District, reference: Plan, *pins: Pin) -> set[str]:
    """The changes the rules force under the pins: a change weight far above every other term."""
    policy = district.policy
    heavy = policy.model_copy(
        update={"district": policy.district.model_copy(update={"weight_plan_change": 10_000})}
    )
    pinned = district.replace(pins=(*district.pins, *pins), policy=heavy)
    return changed(reference, solve(pinned, SolveOptions(reference=reference)).plan)


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description="锁定一人后重新编制与全新编制的用时之比")
    parser.add_argument("--teachers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--structure", default="minhang")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rotation-bench-replan-") as folder:
        root = Path(folder)
        source = root / "基准区.xlsx"
        district = generate_district(
            teachers=args.teachers, seed=args.seed, structure=args.structure, plan_year=2025
        )
        write_district(district, source)
        data = root / "data"
        server = running_server(data, args.workers, root / "server.log")
        ratios = []
        with server as (base, _pid, _seconds), httpx.Client(base_url=base, timeout=900) as client:
            upload_id = upload(client, source)
            for n in range(1, args.rounds + 1):
                fresh, plan_id = _timed_job(client, "/api/plans", {"upload_id": upload_id})
                records = DataDir(data).records()
                first = records.load_plan(plan_id)
                rotated = sorted(r.teacher_id for r in first.rotations)
                teacher = rotated[(n * len(rotated)) // (args.rounds + 1)]
                pin = {"teacher_id": teacher, "kind": "不得交流", "reason": "基准测试"}
                client.post(f"/api/plans/{plan_id}/pins", json=pin).raise_for_status()
                again, second_id = _timed_job(client, f"/api/plans/{plan_id}/replan", {})
                made = changed(first, records.load_plan(second_id))
                forced = fewest_changes(
                    district,
                    first,
                    Pin(teacher_id=teacher, kind=PinKind.MUST_STAY, reason="基准测试"),
                )
                client.delete(f"/api/plans/{plan_id}/pins/{teacher}").raise_for_status()
                ratios.append(again / fresh)
                print(
                    f"第{n}轮：{args.teachers} 名教师，全新编制 {fresh:.2f} 秒，锁定 {teacher} 后"
                    f"重新编制 {again:.2f} 秒，之比 {again / fresh:.2f}；改动 {len(made)} 人，"
                    f"规则所迫至少 {len(forced)} 人，{'相同' if made == forced else '不同'}",
                    flush=True,
                )
        print(f"之比中位数 {statistics.median(ratios):.2f}，最大 {max(ratios):.2f}")


if __name__ == "__main__":
    main()
