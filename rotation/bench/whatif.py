"""The what-if sweep through the web application, measured from outside (issue 16's target: a
6-value sweep on 10,000 teachers within 30 s on 2 cores).

A generated district is written as .xlsx, the real server is started (`rotation serve`, a
fresh data folder, a free port on 127.0.0.1), the workbook uploaded, and for each round a
sweep of min_rotation_ratio (10 % … 20 %, step 2 %: 6 values) started with POST /api/whatif and
its job polled until done: the wall time from the request to the job's end, and the run's own
time (run.json). Printed as one line per round; nothing is written to the repository.

    .venv/bin/python -m rotation.bench.whatif --teachers 10000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rotation.bench.web import running_server, upload
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district

SWEEP = "min_rotation_ratio=0.10:0.20:0.02"


def sweep_seconds(client: object, upload_id: str, poll: float = 0.05) -> tuple[float, float, str]:
    """One sweep through the API: (wall seconds request → done, the run's own seconds, the
    boundary sentence)."""
    start = time.perf_counter()
    answer = client.post(  # type: ignore[attr-defined]
        "/api/whatif",
        json={"upload_id": upload_id, "kind": "sweep", "scenario_ids": ["base"], "sweep": SWEEP},
    )
    answer.raise_for_status()
    job_id = answer.json()["job_id"]
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()  # type: ignore[attr-defined]
        if job["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(poll)
    wall = time.perf_counter() - start
    if job["state"] != "done":
        raise RuntimeError(f"扫描未完成：{job}")
    run = client.get(f"/api/whatif/{job['run_id']}").json()  # type: ignore[attr-defined]
    return wall, float(run["seconds"]), run["sweeps"][0]["conclusion"]


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description="参数扫描（6 个取值）经网页服务的用时")
    parser.add_argument("--teachers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--structure", default="minhang")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rotation-bench-whatif-") as folder:
        root = Path(folder)
        source = root / "基准区.xlsx"
        district = generate_district(
            teachers=args.teachers, seed=args.seed, structure=args.structure, plan_year=2025
        )
        write_district(district, source)
        server = running_server(root / "data", args.workers, root / "server.log")
        walls = []
        with server as (base, _pid, _seconds), httpx.Client(base_url=base, timeout=600) as client:
            upload_id = upload(client, source)
            for n in range(1, args.rounds + 1):
                wall, own, conclusion = sweep_seconds(client, upload_id)
                walls.append(wall)
                print(
                    f"第{n}轮：{args.teachers} 名教师，6 个取值，请求到完成 {wall:.2f} 秒"
                    f"（任务自身 {own:.2f} 秒）；{conclusion}",
                    flush=True,
                )
        print(f"中位数 {statistics.median(walls):.2f} 秒，最慢 {max(walls):.2f} 秒")


if __name__ == "__main__":
    main()
