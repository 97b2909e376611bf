"""`rotation bench --province FOLDER`: a province planned end to end on the process pool and on
a local Ray cluster, each in a fresh Python process, with its peak memory; and the per-task
costs (serialise, schedule, solve) from which a cluster's time is projected.

Memory: a sampler reads /proc every 0.2 s for the run's whole process tree (the run, its pool
workers, or Ray's raylet, GCS and workers): the largest single process and the tree's sum.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Echo = Callable[..., None]
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _tree_rss(root: int) -> tuple[int, int]:
    """(largest process, sum) resident bytes of `root` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    sizes = [rss.get(p, 0) for p in tree]
    return max(sizes, default=0), sum(sizes)


def _measured(command: list[str]) -> tuple[dict[str, Any], float, int, int, float]:
    """Run `command` (which prints one JSON line last), sampling its tree's memory; also the CPU
    seconds of its whole tree (every descendant that was waited for: pool workers, Ray's
    daemons and workers), which other jobs on the machine disturb far less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak_one = peak_sum = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_one, peak_sum
        while not stop.wait(0.2):
            one, total = _tree_rss(process.pid)
            peak_one, peak_sum = max(peak_one, one), max(peak_sum, total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode not in (0, 2):
        raise RuntimeError(f"{command} exited {process.returncode}")
    return json.loads(out.strip().splitlines()[-1]), wall, peak_one, peak_sum, cpu


def bench_province(
    folder: Path, out_root: Path, *, engines: tuple[str, ...], sweep: str | None, echo: Echo
) -> None:
    """Each engine's run of the province, in its own process, then the per-task costs."""
    mib = 1024 * 1024
    echo(
        "| engine | counties × plans | wall s | start s | run s | Σ task s | Σ read | Σ build "
        "| Σ solve | Σ write | peak MiB largest process | peak MiB tree Σ | CPU s (tree) |"
    )
    echo("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine in engines:
        out = out_root / engine
        command = [sys.executable, "-m", "rotation.bench.province", engine, str(folder), str(out)]
        if sweep:
            command.append(sweep)
        load = os.getloadavg()[0]
        facts, wall, one, total, cpu = _measured(command)
        load = max(load, os.getloadavg()[0])
        echo(
            f"| {engine} | {facts['counties']} × {facts['variants']} | {wall:.1f} "
            f"| {facts['start']:.1f} | {facts['run']:.1f} | {facts['tasks']:.1f} "
            f"| {facts['read']:.1f} | {facts['build']:.1f} | {facts['solve']:.1f} "
            f"| {facts['write']:.1f} | {one / mib:.0f} | {total / mib:.0f} | {cpu:.1f} |"
        )
        echo(
            f"  largest county {facts['largest']} teachers: its tasks {facts['largest_s']:.1f} s;"
            f" load average (1 min) {load:.1f} before/after"
        )
    task_costs(folder, echo)


def _child(engine: str, folder: Path, out: Path, sweep: str | None) -> dict[str, Any]:
    """In the measured process: one province run, and its facts."""
    from rotation.service.province import run_province
    from solvers.executors import ProcessExecutor, RayExecutor

    start = time.perf_counter()
    executor = RayExecutor("local") if engine == "ray" else ProcessExecutor(0)
    ready = time.perf_counter()
    try:
        rows = run_province(folder, out, sweep=sweep, executor=executor, force=True)
    finally:
        executor.close()
    end = time.perf_counter()
    first = [r for r in rows if r.timings]
    largest = max(rows, key=lambda r: r.teachers)

    def total(key: str) -> float:
        return sum(r.timings.get(key, 0.0) for r in first)

    return {
        "counties": len({r.county for r in rows}),
        "variants": len({r.variant for r in rows}),
        "start": ready - start,
        "run": end - ready,
        "tasks": sum(r.seconds for r in rows),
        "read": total("read"),
        "build": total("build"),
        "solve": total("solve"),
        "write": sum(r.seconds for r in rows) - total("read") - total("solve_wall"),
        "largest": largest.teachers,
        "largest_s": sum(r.seconds for r in rows if r.county == largest.county),
    }


def _noop(shared: object, job: bytes) -> int:
    return len(job)


def task_costs(folder: Path, echo: Echo) -> None:
    """Per task: pickling a median county's job and result, and the round trip of an empty task
    carrying 1 MB through each executor (the scheduling cost a cluster adds per task)."""
    from models.plan import SolveOptions
    from rotation.service.province import (
        CountyJob,
        ProvinceShared,
        find_counties,
        plan_county,
        variants_of,
    )
    from solvers.executors import Executor, ProcessExecutor, RayExecutor

    files = sorted(find_counties(folder), key=lambda p: p.stat().st_size)
    median = files[len(files) // 2]
    job = CountyJob(median.stem, median.name, median.read_bytes(), (0,))
    shared = ProvinceShared(SolveOptions(workers=1), None, tuple(variants_of([], None)), None)
    start = time.perf_counter()
    result = plan_county(shared, job)
    solve_s = time.perf_counter() - start
    start = time.perf_counter()
    job_bytes = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    result_bytes = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.loads(job_bytes), pickle.loads(result_bytes)
    pickle_s = time.perf_counter() - start
    row = result.rows[0]
    echo(
        f"median county {row.teachers} teachers: task {solve_s:.2f} s (read {row.timings['read']:.2f},"
        f" solve wall {row.timings['solve_wall']:.2f}); job {len(job_bytes) / 1e6:.2f} MB, result "
        f"{len(result_bytes) / 1e6:.2f} MB, both pickled and unpickled in {pickle_s * 1000:.0f} ms"
    )
    payload = [b"x" * 1_000_000] * 200
    makers: dict[str, Callable[[], Executor]] = {
        "pool": lambda: ProcessExecutor(0),
        "ray": lambda: RayExecutor("local"),
    }
    for name, make in makers.items():
        executor = make()
        try:
            executor.run(_noop, None, payload[:4], lambda _r: None)  # workers up
            begin = time.perf_counter()
            executor.run(_noop, None, payload, lambda _r: None)
            each = (time.perf_counter() - begin) / len(payload)
        finally:
            executor.close()
        echo(f"{name}: empty task with 1 MB of job data, round trip {each * 1000:.1f} ms per task")


if __name__ == "__main__":
    engine, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    sweep = sys.argv[4] if len(sys.argv) > 4 else None
    print(json.dumps(_child(engine, folder, out, sweep)))
