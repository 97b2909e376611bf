"""`rotation bench --web`: the web application against the command line, measured from outside.

For each size: a generated district is written as .xlsx; the real server is started
(`rotation serve --no-browser` in a process of its own, a fresh data folder, a free port on
127.0.0.1) and driven over HTTP with httpx, as a browser or a script would:

* **end to end** (`rounds` times, interleaved with the CLI so that both see the same load):
  `rotation plan` in a fresh process (wall time), then upload → plan → poll the job → the
  results page on the running server (wall time), and their ratio;
* **load**: `clients` threads, each with its own connection, request the results pages of the
  last plan (overview, 交流名单 with filters, a search and paging, 未入选名单 pages, a teacher's
  page, the flows) `requests` times each, back to back; latency per page kind;
* **memory**: the server process's resident memory (VmRSS of its pid only: the planning jobs
  run in processes of their own) before and after each of `plans` consecutive plans of one
  upload (each followed by its results page and flows page); first, last, max and the
  least-squares slope per plan.

The loop is bounded in requests and in time, and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import math
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel

from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district
from rotation.service.review import Review
from rotation.service.store import REVIEW_FILE

#: Page kinds of the load loop, in the order each client cycles through them.
KINDS = ("plan", "rotations", "rotations_search", "not_chosen", "teacher", "flows")
#: A request the server has not answered within this long counts as an error.
REQUEST_TIMEOUT = 60.0


class RoundRow(BaseModel):
    """One round of the end-to-end comparison."""

    cli_s: float
    upload_s: float
    plan_s: float
    page_s: float
    web_s: float

    @property
    def ratio(self) -> float:
        """Web end to end over the CLI's `plan`."""
        return self.web_s / self.cli_s if self.cli_s else 0.0


class KindStats(BaseModel):
    """Latency of one page kind in the load loop (milliseconds)."""

    kind: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float


class LoadRow(BaseModel):
    """The load loop: per page kind, and over all requests."""

    clients: int
    think_s: float = 0.0
    requests: int
    wall_s: float
    kinds: list[KindStats]
    overall: KindStats

    @property
    def per_second(self) -> float:
        """Requests answered per second, all clients together."""
        return self.requests / self.wall_s if self.wall_s else 0.0


class MemoryRow(BaseModel):
    """The server's resident memory around consecutive plans (MiB)."""

    plans: int
    idle_mib: float
    before_mib: list[float]
    after_mib: list[float]
    plan_s: list[float]

    @property
    def first(self) -> float:
        return self.after_mib[0] if self.after_mib else 0.0

    @property
    def last(self) -> float:
        return self.after_mib[-1] if self.after_mib else 0.0

    @property
    def peak(self) -> float:
        return max(self.after_mib + self.before_mib, default=0.0)

    @property
    def slope(self) -> float:
        """MiB per plan, least squares over the after-plan samples."""
        return slope(self.after_mib)

    @property
    def slope_second_half(self) -> float:
        """The same over the second half (after any warm-up)."""
        return slope(self.after_mib[len(self.after_mib) // 2 :])


class WebBenchRow(BaseModel):
    """One size's measurements."""

    teachers: int
    server_start_s: float
    rounds: list[RoundRow]
    single: LoadRow | None = None  # the same pages one at a time: the unloaded baseline
    load: LoadRow | None = None
    memory: MemoryRow | None = None

    @property
    def median_ratio(self) -> float | None:
        if not self.rounds:
            return None
        return statistics.median(r.ratio for r in self.rounds)


def slope(values: list[float]) -> float:
    """Least-squares slope of values against their index."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def rss_mib(pid: int) -> float:
    """VmRSS of one process (not its children), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rotation_command() -> list[str]:
    """How to run this installation's `rotation` command."""
    script = Path(sys.executable).with_name("rotation")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from rotation.cli.app import main; main()"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def time_cli(source: Path, folder: Path, year: int, workers: int) -> float:
    """`rotation plan` in a fresh process: wall seconds."""
    command = [
        *rotation_command(),
        "plan",
        str(source),
        "-o",
        str(folder / "cli-审批表.xlsx"),
        "--json",
        str(folder / "cli-方案.json"),
        "--year",
        str(year),
        "--workers",
        str(workers),
        "--force",
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


@contextlib.contextmanager
def running_server(data: Path, workers: int, log: Path) -> Iterator[tuple[str, int, float]]:
    """`rotation serve` on a free port: (base URL, server pid, seconds until it answered)."""
    import httpx

    port = free_port()
    command = [
        *rotation_command(),
        "serve",
        "--no-browser",
        "--port",
        str(port),
        "--data",
        str(data),
        "--workers",
        str(workers),
    ]
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"服务器未能启动（退出码 {server.returncode}），见 {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            if time.perf_counter() - start > 60:
                raise RuntimeError("服务器 60 秒内未应答")
            time.sleep(0.05)
        yield base, server.pid, time.perf_counter() - start
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def upload(client: Any, source: Path) -> str:
    """POST /api/uploads: the upload's id."""
    with open(source, "rb") as handle:
        answer = client.post(
            "/api/uploads",
            files={"file": (source.name, handle, "application/octet-stream")},
            timeout=600,
        )
    answer.raise_for_status()
    upload_id: str = answer.json()["upload_id"]
    return upload_id


def plan(client: Any, upload_id: str, year: int, poll: float = 0.1) -> str:
    """POST /api/plans, then poll the job until it ends: the plan's id."""
    answer = client.post("/api/plans", json={"upload_id": upload_id, "year": year})
    answer.raise_for_status()
    job_id = answer.json()["job_id"]
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] == "done":
            plan_id: str = job["plan_id"]
            return plan_id
        if job["state"] in ("failed", "cancelled"):
            raise RuntimeError(f"编制任务 {job['state']}：{job.get('message')}")
        time.sleep(poll)
    raise RuntimeError("编制任务一小时未完成")


def results_page(client: Any, plan_id: str) -> None:
    """GET /plans/{id}, the page the browser lands on."""
    client.get(f"/plans/{plan_id}").raise_for_status()


def web_round(client: Any, source: Path, year: int) -> tuple[str, str, RoundRow]:
    """Upload → plan → results page: (upload id, plan id, timings with cli_s 0)."""
    start = time.perf_counter()
    upload_id = upload(client, source)
    uploaded = time.perf_counter()
    plan_id = plan(client, upload_id, year)
    planned = time.perf_counter()
    results_page(client, plan_id)
    end = time.perf_counter()
    row = RoundRow(
        cli_s=0.0,
        upload_s=uploaded - start,
        plan_s=planned - uploaded,
        page_s=end - planned,
        web_s=end - start,
    )
    return upload_id, plan_id, row


def load_urls(data: Path, plan_id: str, seed: int = 1) -> dict[str, list[str]]:
    """Addresses of each page kind for one plan, drawn from its review store."""
    pick = random.Random(seed)
    with Review(data / "plans" / plan_id / REVIEW_FILE) as review:
        sheets = review.sheets()
        header = review.header("rotations")
        page = review.page("rotations", limit=200)
        groups = review.choices("rotations", "集团")
        subjects = review.choices("rotations", "学科")
        schools = review.choices("rotations", "流出学校")
    teacher_at = header.index("教师编号")
    teachers = [str(r[teacher_at]) for r in page.rows] or ["0"]
    names = [str(r[header.index("姓名")])[:1] for r in page.rows if "姓名" in header]
    base = f"/plans/{plan_id}"
    rotation_pages = max(1, -(-sheets.get("rotations", ("", 0))[1] // 50))
    not_chosen_pages = max(1, -(-sheets.get("not_chosen", ("", 0))[1] // 50))
    urls: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for _ in range(50):
        urls["plan"].append(base)
        query: dict[str, str | int] = {"page": pick.randint(1, rotation_pages)}
        if groups and pick.random() < 0.5:
            query = {"集团": pick.choice(groups), "page": 1}
        elif subjects and pick.random() < 0.5:
            query = {"学科": pick.choice(subjects), "page": pick.randint(1, 3)}
        elif schools:
            query = {"流出学校": pick.choice(schools), "size": 20}
        urls["rotations"].append(f"{base}/sheets/rotations?{urlencode(query)}")
        words = [*(subjects or ["数学"]), *(names or [])]
        search = {"q": pick.choice(words), "page": pick.randint(1, 2)}
        urls["rotations_search"].append(f"{base}/sheets/rotations?{urlencode(search)}")
        chosen = {"page": pick.randint(1, not_chosen_pages)}
        urls["not_chosen"].append(f"{base}/sheets/not_chosen?{urlencode(chosen)}")
        urls["teacher"].append(f"{base}/teachers/{quote(pick.choice(teachers))}")
        urls["flows"].append(f"{base}/flows")
    return urls


def _stats(kind: str, latencies: list[float], errors: int) -> KindStats:
    return KindStats(
        kind=kind,
        requests=len(latencies),
        errors=errors,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        max_ms=max(latencies, default=0.0) * 1000,
    )


def load_loop(
    base: str,
    urls: dict[str, list[str]],
    *,
    clients: int,
    requests: int,
    think: float = 0.0,
    time_limit: float = 600.0,
) -> LoadRow:
    """`clients` threads, each `requests` requests (cycling through the page kinds), back to
    back or `think` seconds apart (a person reading the page), stopped early when
    `time_limit` seconds have passed."""
    import httpx

    lock = threading.Lock()
    seen: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failed: dict[str, int] = dict.fromkeys(KINDS, 0)
    deadline = time.monotonic() + time_limit
    ready = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        pick = random.Random(number)
        with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as http:
            http.get("/api/health")
            ready.wait()
            for i in range(requests):
                if time.monotonic() > deadline:
                    return
                kind = KINDS[(number + i) % len(KINDS)]
                choices = urls[kind]
                url = choices[(number * 7 + i) % len(choices)]
                start = time.perf_counter()
                try:
                    ok = http.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - start
                with lock:
                    seen[kind].append(took)
                    if not ok:
                        failed[kind] += 1
                if think:
                    time.sleep(think * (0.5 + pick.random()))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    everything = [t for kind in KINDS for t in seen[kind]]
    return LoadRow(
        clients=clients,
        think_s=think,
        requests=len(everything),
        wall_s=wall,
        kinds=[_stats(kind, seen[kind], failed[kind]) for kind in KINDS if seen[kind]],
        overall=_stats("all", everything, sum(failed.values())),
    )


def memory_loop(
    client: Any, pid: int, upload_id: str, year: int, plans: int, echo: Callable[[str], None]
) -> MemoryRow:
    """Plan one upload `plans` times, the server's VmRSS sampled around each plan."""
    idle = rss_mib(pid)
    before: list[float] = []
    after: list[float] = []
    seconds: list[float] = []
    for n in range(plans):
        before.append(rss_mib(pid))
        start = time.perf_counter()
        plan_id = plan(client, upload_id, year)
        results_page(client, plan_id)
        seconds.append(time.perf_counter() - start)
        client.get(f"/plans/{plan_id}/flows").raise_for_status()  # its per-plan cache too
        after.append(rss_mib(pid))
        if (n + 1) % 10 == 0:
            echo(f"  内存：第 {n + 1} 次编制后 {after[-1]:.1f} MiB")
    return MemoryRow(plans=plans, idle_mib=idle, before_mib=before, after_mib=after, plan_s=seconds)


def bench_web_size(
    teachers: int,
    *,
    seed: int = 1,
    structure: str = "minhang",
    workers: int = 0,
    rounds: int = 1,
    clients: int = 20,
    requests: int = 50,
    think: float = 0.0,
    plans: int = 0,
    echo: Callable[[str], None] = print,
) -> WebBenchRow:
    """One size: end-to-end rounds, then the load loop, then the memory run."""
    import httpx

    district = generate_district(teachers=teachers, seed=seed, structure=structure)
    year = district.plan_year
    folder = Path(tempfile.mkdtemp(prefix="rotation-webbench-"))
    try:
        source = folder / f"区县{teachers}.xlsx"
        write_district(district, source)
        del district
        data = folder / "data"
        with (
            running_server(data, workers, folder / "server.log") as (base, pid, started),
            httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client,
        ):
            row = WebBenchRow(teachers=teachers, server_start_s=started, rounds=[])
            upload_id = plan_id = ""
            for n in range(rounds):
                cli_s = time_cli(source, folder, year, workers)
                upload_id, plan_id, web = web_round(client, source, year)
                row.rounds.append(web.model_copy(update={"cli_s": cli_s}))
                echo(
                    f"{teachers:,} 名教师 第 {n + 1} 轮：命令行 {cli_s:.2f} 秒，"
                    f"网页 {web.web_s:.2f} 秒（{row.rounds[-1].ratio:.2f} 倍）"
                )
            if clients and requests:
                if not plan_id:
                    upload_id = upload(client, source)
                    plan_id = plan(client, upload_id, year)
                urls = load_urls(data, plan_id, seed)
                row.single = load_loop(base, urls, clients=1, requests=5 * len(KINDS))
                row.load = load_loop(base, urls, clients=clients, requests=requests, think=think)
                echo(
                    f"{teachers:,} 名教师 并发 {clients}：{row.load.requests} 次请求，"
                    f"p95 {row.load.overall.p95_ms:.0f} 毫秒"
                )
            if plans:
                if not upload_id:
                    upload_id = upload(client, source)
                row.memory = memory_loop(client, pid, upload_id, year, plans, echo)
        return row
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_web_bench(
    sizes: list[int],
    *,
    seed: int = 1,
    structure: str = "minhang",
    workers: int = 0,
    rounds: int = 1,
    clients: int = 20,
    requests: int = 50,
    think: float = 0.0,
    plans: int = 0,
    echo: Callable[[str], None] = print,
) -> list[WebBenchRow]:
    """Every size in ascending order; the tables once all are done."""
    rows = [
        bench_web_size(
            size,
            seed=seed,
            structure=structure,
            workers=workers,
            rounds=rounds,
            clients=clients,
            requests=requests,
            think=think,
            plans=plans,
            echo=echo,
        )
        for size in sorted(sizes)
    ]
    for line in web_tables(rows):
        echo(line)
    return rows


ROUND_HEADER = (
    "| teachers | round | CLI `plan` s | upload s | plan (job) s | results page s | "
    "web end to end s | **web / CLI** |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
)
LOAD_HEADER = (
    "| teachers | page | alone p50 ms | requests | errors | p50 ms | **p95 ms** | max ms |\n"
    "|---:|---|---:|---:|---:|---:|---:|---:|"
)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


MEMORY_HEADER = (
    "| teachers | plans | idle MiB | after first plan MiB | after last plan MiB | max MiB | "
    "slope MiB/plan (all) | slope MiB/plan (second half) | plan + page s (median) |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def web_tables(rows: list[WebBenchRow]) -> list[str]:
    """The Markdown tables of a run."""
    lines: list[str] = []
    if any(r.rounds for r in rows):
        lines += ["", ROUND_HEADER]
        for r in rows:
            for n, x in enumerate(r.rounds, 1):
                lines.append(
                    f"| {r.teachers:,} | {n} | {x.cli_s:.2f} | {x.upload_s:.2f} | "
                    f"{x.plan_s:.2f} | {x.page_s:.3f} | {x.web_s:.2f} | **{x.ratio:.2f}** |"
                )
    loads = [r for r in rows if r.load is not None]
    if loads:
        lines += ["", LOAD_HEADER]
        for r in loads:
            assert r.load is not None
            single = {k.kind: k for k in r.single.kinds} if r.single else {}
            if r.single:
                single["all"] = r.single.overall
            for k in [*r.load.kinds, r.load.overall]:
                alone = single.get(k.kind)
                lines.append(
                    f"| {r.teachers:,} | {k.kind} | {_num(alone.p50_ms if alone else None)} | "
                    f"{k.requests} | {k.errors} | {k.p50_ms:.0f} | **{k.p95_ms:.0f}** | "
                    f"{k.max_ms:.0f} |"
                )
            for load in (r.single, r.load):
                if load is not None:
                    lines.append(
                        f"\n{r.teachers:,}: {load.clients} client(s), think time "
                        f"{load.think_s:g} s, {load.requests} requests in {load.wall_s:.1f} s "
                        f"({load.per_second:.1f} requests/s)"
                    )
    memories = [r for r in rows if r.memory is not None]
    if memories:
        lines += ["", MEMORY_HEADER]
        for r in memories:
            m = r.memory
            assert m is not None
            lines.append(
                f"| {r.teachers:,} | {m.plans} | {m.idle_mib:.1f} | {m.first:.1f} | "
                f"{m.last:.1f} | {m.peak:.1f} | {m.slope:+.3f} | {m.slope_second_half:+.3f} | "
                f"{statistics.median(m.plan_s) if m.plan_s else 0:.2f} |"
            )
            lines.append("\nafter each plan (MiB): " + ", ".join(f"{v:.1f}" for v in m.after_mib))
    return lines
