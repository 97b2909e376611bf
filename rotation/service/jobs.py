"""Planning jobs (and what-if runs, rotation.service.whatif) of the web application: queued,
run in worker processes, watched, cancelled.

A job never runs in the web server's process. The server keeps a queue and starts each job in
a process of its own (from a fork server that has the planner's modules loaded, so a job starts
in milliseconds), at most `slots` at a time; the job's process uses the planner's own pool of
processes for the components. The job writes its progress to jobs/<id>.progress.json and its
outcome to jobs/<id>.result.json; the server turns these into the job's state, which lives in
jobs/<id>.json and so survives a page reload (and tells, after a restart, that the job was cut
short). Cancelling kills the job's whole process group, so its pool goes with it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

from models import District, InputError
from models.plan import SolveOptions, Verdict, verdict
from rotation.formats.planio import read_plan
from rotation.formats.reading import input_sha256, read_district
from rotation.records import NotFound
from rotation.service.audit import now_text, record
from rotation.service.decisions import with_year_pins
from rotation.service.planning import solve_district, write_plan
from rotation.service.progress import READING, SOLVING, WRITING, Step
from rotation.service.review import save_review
from rotation.service.store import (
    APPROVAL_FILE,
    META_FILE,
    PLAN_FILE,
    PUBLIC_FILE,
    REVIEW_FILE,
    DataDir,
    UnknownId,
    new_id,
    read_json_file,
    valid_id,
    write_json_file,
)
from rotation.service.uploads import input_path, problem_json
from rotation.service.whatif import WhatIfRequest, run_whatif_job
from rotation.service.whatif import staging_dir as whatif_staging
from rotation.service.years import experience_from_records

T = TypeVar("T")
log = logging.getLogger("rotation.jobs")
FINAL = ("done", "failed", "cancelled")
STATE_NAMES = {
    "queued": "排队中",
    "running": "编制中",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}
#: At most this many jobs wait in the queue at once (more are refused, not lost).
MAX_QUEUED = 20
MAX_TIME_LIMIT = 3600.0


class QueueFull(RuntimeError):
    """Too many jobs are waiting; the caller should try again later."""


@dataclass(frozen=True)
class PlanRequest:
    """What a clerk asked for: which upload, and the plan command's options."""

    upload_id: str
    year: int | None = None
    time_limit: float = 60.0
    relax: bool = False
    reference_plan_id: str | None = None
    #: the saved plan's name and note (several plans per school year)
    name: str = ""
    note: str = ""


def _fraction(step: Step) -> float:
    if step.phase == READING:
        return 0.02
    if step.phase == SOLVING:
        return 0.05 + (0.85 * step.done / step.total if step.total else 0.0)
    if step.phase == WRITING:
        return 0.92
    return 0.0


def _message(step: Step) -> str:
    if step.total:
        return f"{step.phase} {step.done}/{step.total}"
    return step.phase


def checked_district(
    data: DataDir, request: PlanRequest, source: Path, upload: dict[str, Any], user: str
) -> tuple[District, str]:
    """The district an upload was checked as, and the records' snapshot it is: the upload's
    own (for a school year started from an approved plan, with the rotations in flight from
    the records). For another plan year than the upload's, the file is read again for that
    year and kept as a snapshot of its own (a plan belongs to one school year). The school
    year's pins taken in the web application hold in either."""
    records = data.records()
    if request.year is None or request.year == upload.get("plan_year"):
        with contextlib.suppress(NotFound):
            kept = records.load_snapshot(request.upload_id)
            kept = with_year_pins(kept, records.pins(kept.name, kept.plan_year))
            return experience_from_records(data, kept), request.upload_id
    district = read_district(source, year=request.year, name=upload.get("source_name"))
    info = records.snapshot(request.upload_id)
    snapshot = records.save_snapshot(
        district,
        file_bytes=records.snapshot_file(request.upload_id),
        file_name=info.file_name,
        file_kind=info.file_kind,
        by=user,
    )
    district = with_year_pins(district, records.pins(district.name, district.plan_year))
    return experience_from_records(data, district), snapshot.id


def beside(task: Callable[..., None], *args: Any) -> Callable[[], None]:
    """Start task(*args) in a forked child and return the call that waits for it (raising when
    it failed): the job's review store is written while the 审批表 is (the other core is idle
    then; at 100,000 teachers ≈ ⅓ of the writing, BENCHMARKS.md issue 18). Where there is no
    fork, the task runs here at once. The child is in the job's process group, so cancelling
    the job ends it too; it leaves by os._exit, never through the job's own clean-up."""
    if not hasattr(os, "fork"):
        task(*args)
        return lambda: None
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            task(*args)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)

    def join() -> None:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ChildProcessError(f"{getattr(task, '__name__', 'task')} failed in process {pid}")

    return join


def follow_server(server: int) -> None:
    """End this job (its whole process group, its solver pool with it) when the server that
    started it is gone: killed outright, it could not end the job itself, and a job outliving
    its server would write plans nobody follows any more."""
    if server <= 0:
        return

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(server, 0)
            except ProcessLookupError:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            except PermissionError:
                continue

    threading.Thread(target=watch, name="rotation-follow-server", daemon=True).start()


def end_with(server: int) -> None:
    """A short task's process (reading an upload, a year's statistics) ends when the server
    that started it is gone: killed outright, the server cannot end it, and an idle pool worker
    would wait for work forever (holding its memory and the fork server's)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(server, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                continue

    threading.Thread(target=watch, name="rotation-end-with-server", daemon=True).start()


def run_job(
    root: str,
    job_id: str,
    request: PlanRequest,
    workers: int,
    user: str = "",
    database: str = "",
    server: int = 0,
) -> None:
    """The job's own process: read the upload, plan, write the plan's files, keep the plan in
    the records, say how it went.

    Runs in a process group of its own, so that cancelling ends its solver pool with it."""
    os.setpgrp()
    follow_server(server)
    data = DataDir(Path(root), database)
    last: dict[str, Any] = {"at": 0.0, "phase": ""}

    def report(step: Step) -> None:
        now = time.monotonic()
        if step.phase != last["phase"] or now - last["at"] > 0.2 or step.done == step.total:
            last.update(at=now, phase=step.phase)
            write_json_file(
                data.job_file(job_id, "progress"),
                {"progress": _fraction(step), "message": _message(step)},
            )

    plan_id = new_id()
    staging = staging_dir(data, job_id)
    try:
        report(Step(READING))
        start = time.perf_counter()
        source = input_path(data, request.upload_id)
        upload = data.upload_meta(request.upload_id)
        records = data.records()
        district, snapshot_id = checked_district(data, request, source, upload, user)
        read_seconds = time.perf_counter() - start
        reference = (
            read_plan(data.plan_file(request.reference_plan_id, PLAN_FILE))
            if request.reference_plan_id
            else None
        )
        options = SolveOptions(
            time_limit=request.time_limit,
            workers=workers,
            relax=request.relax,
            reference=reference,
        )
        result, later = solve_district(district, options, report=report)
        report(Step(WRITING))
        staging.mkdir()
        facts = {
            "plan_id": plan_id,
            "district": district.name,
            "plan_year": district.plan_year,
            "upload_id": request.upload_id,
            "relax": request.relax,
            "backbone_share": float(district.policy.district.backbone_share),
        }

        judged: list[Verdict] = []
        saving: list[Callable[[], None]] = []

        def keep(tables: Any, checks: Any) -> None:
            judged.append(verdict(result, checks))
            review = (staging / REVIEW_FILE, district, result, checks, tables, facts)
            saving.append(beside(save_review, *review))

        try:
            write_plan(
                district,
                result,
                staging / APPROVAL_FILE,
                staging / PLAN_FILE,
                sha256=input_sha256(source),
                read_seconds=read_seconds,
                later=later,
                reference=reference,
                public_notice=staging / PUBLIC_FILE,
                plan_id=plan_id,
                keep=keep,
            )
        except BaseException:
            for join in saving:  # the review's child is reaped before the staging goes
                with contextlib.suppress(Exception):
                    join()
            raise
        for join in saving:
            join()
        write_json_file(
            staging / META_FILE,
            {
                **facts,
                "created": now_text(),
                "user": user,
                "job_id": job_id,
                "status": result.status,
                "rotations": len(result.plan.rotations),
                "sha256": upload.get("sha256", ""),
                "options": vars(request),
            },
        )
        os.rename(staging, data.plan_dir(plan_id))
        try:  # the files first, then the record: a plan the records name always has its files
            records.save_plan_run(
                snapshot_id,
                result,
                options=vars(request),
                by=user,
                plan_id=plan_id,
                approvable=judged[0].approvable if judged else False,
                notice=judged[0].notice if judged else "",
                name=request.name,
                note=request.note,
            )
        except BaseException:
            shutil.rmtree(data.plan_dir(plan_id), ignore_errors=True)
            raise
        outcome: dict[str, Any] = {"state": "done", "plan_id": plan_id, "status": result.status}
    except InputError as error:
        outcome = {
            "state": "failed",
            "message": f"输入数据有 {len(error.errors)} 处错误，未编制方案",
            "problems": [problem_json(p) for p in error.problems[:500]],
        }
    except Exception as error:
        data.job_file(job_id, "log").write_text(traceback.format_exc(), encoding="utf-8")
        outcome = {"state": "failed", "message": f"编制失败：{type(error).__name__}"}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_json_file(data.job_file(job_id, "result"), outcome)


def staging_dir(data: DataDir, job_id: str) -> Path:
    """Where a job writes its plan's files before they are put in place (named after the job,
    so that whoever ends the job can remove what it left)."""
    return data.root / "plans" / f".{job_id}.tmp"


class JobManager:
    """The queue and the running jobs of one server."""

    def __init__(self, data: DataDir, *, slots: int = 1, workers: int = 0) -> None:
        self.data = data
        self.slots = max(1, slots)
        self.workers = workers
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._running: dict[str, BaseProcess] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["rotation.service.jobs"])
        self._ctx = ctx
        self._helpers: ProcessPoolExecutor | None = None

    # -- the job files ------------------------------------------------------------------------

    def _load(self, job_id: str) -> dict[str, Any]:
        path = self.data.job_file(job_id)
        if not path.is_file():
            raise UnknownId(f"job {job_id}")
        job: dict[str, Any] = read_json_file(path)
        return job

    def _save(self, job: dict[str, Any]) -> None:
        write_json_file(self.data.job_file(str(job["job_id"])), job)

    # -- what the web calls -------------------------------------------------------------------

    def start(self) -> None:
        """Settle the jobs an earlier server left unfinished (killed, or stopped abruptly),
        then watch the queue."""
        cut_short = set()
        for name in self.data.job_ids():
            try:
                job = self._load(name)
            except (UnknownId, OSError, ValueError):
                continue
            if job.get("state") in ("queued", "running"):
                cut_short.add(name)
                self._clear_staging(name)
                try:  # the job may have ended after its server: keep what it did
                    outcome = read_json_file(self.data.job_file(name, "result"))
                except (OSError, ValueError):
                    outcome = None
                if outcome is not None and self._kept(outcome):
                    self._record_end(job, outcome)
                    cut_short.discard(name)
                    continue
                job.update(state="failed", message="服务器重启，任务已中断，请重新编制")
                job["finished"] = now_text()
                self._save(job)
        if cut_short:
            self._drop_unrecorded_plans(cut_short)
        self._thread = threading.Thread(target=self._watch, name="rotation-jobs", daemon=True)
        self._thread.start()

    def _clear_staging(self, job_id: str) -> None:
        """What a job ended before its end left half-written."""
        shutil.rmtree(staging_dir(self.data, job_id), ignore_errors=True)
        shutil.rmtree(whatif_staging(self.data, job_id), ignore_errors=True)

    def _kept(self, outcome: dict[str, Any]) -> bool:
        """Whether a job's outcome stands: a failure does; a plan only when the records hold
        it (the job keeps it there last); a what-if run when its folder is in place."""
        if outcome.get("state") != "done":
            return True
        if outcome.get("run_id"):
            run_id = str(outcome["run_id"])
            return valid_id(run_id) and self.data.whatif_dir(run_id).is_dir()
        plan_id = str(outcome.get("plan_id", ""))
        return valid_id(plan_id) and bool(self.data.records().plan_infos([plan_id]))

    def _drop_unrecorded_plans(self, jobs: set[str]) -> None:
        """Plan folders a cut-short job put in place but never got into the records (killed
        between the two): not a plan, removed."""
        folder = self.data.root / "plans"
        for entry in folder.iterdir() if folder.is_dir() else ():
            if not valid_id(entry.name):
                continue
            try:
                job_id = read_json_file(entry / META_FILE).get("job_id")
            except (OSError, ValueError):
                continue
            if job_id in jobs and not self.data.records().plan_infos([entry.name]):
                shutil.rmtree(entry, ignore_errors=True)

    def isolated(self, task: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a short task (reading an upload) in a fresh process and return its result or
        raise its exception: the server's process keeps neither the memory a city's workbook
        takes nor the interpreter lock for the seconds reading it takes."""
        return self._helper_pool().submit(task, *args, **kwargs).result()

    def _helper_pool(self) -> ProcessPoolExecutor:
        """The pool of short tasks' processes (a fresh process per task), made when first used."""
        with self._lock:
            if self._helpers is None:
                self._helpers = ProcessPoolExecutor(
                    max_workers=2,
                    mp_context=self._ctx,
                    max_tasks_per_child=1,
                    initializer=end_with,
                    initargs=(os.getpid(),),
                )
            return self._helpers

    def in_background(self, task: Callable[..., Any], /, *args: Any) -> None:
        """Start a task in a fresh process and return at once (computing what a later page
        will read: an approved year's statistics); a failure is logged, and the page computes
        it then."""
        future = self._helper_pool().submit(task, *args)

        def logged(done: Any) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.warning("后台任务失败：%s", done.exception())

        future.add_done_callback(logged)

    def submit(self, request: PlanRequest | WhatIfRequest, user: str) -> dict[str, Any]:
        """Queue a planning job or a what-if run (QueueFull when too many wait)."""
        self.data.upload_meta(request.upload_id)  # UnknownId when there is no such upload
        kind = request.kind if isinstance(request, WhatIfRequest) else "plan"
        options = vars(request) if kind == "plan" else asdict(request)
        with self._lock:
            if len(self._queue) >= MAX_QUEUED:
                raise QueueFull("排队的任务过多，请稍后再试")
            job_id = new_id()
            job = {
                "job_id": job_id,
                "kind": kind,
                "upload_id": request.upload_id,
                "user": user,
                "created": now_text(),
                "started": None,
                "finished": None,
                "options": options,
                "state": "queued",
                "progress": 0.0,
                "message": "排队中",
                "plan_id": None,
                "run_id": None,
            }
            self._save(job)
            self._queue.append(job_id)
        self._pump()
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        """A job as it stands (its progress read from the job's process while it runs)."""
        job = self._load(job_id)
        if job.get("state") == "running":
            with contextlib.suppress(OSError, ValueError):
                job.update(read_json_file(self.data.job_file(job_id, "progress")))
        elif job.get("state") == "queued":
            with self._lock:
                ahead = list(self._queue).index(job_id) if job_id in self._queue else 0
            job["message"] = f"排队中（前面还有 {ahead} 个任务）" if ahead else "排队中"
        return job

    def cancel(self, job_id: str, user: str) -> dict[str, Any]:
        """Cancel a queued or running job (a finished one stays as it was)."""
        with self._lock:
            job = self._load(job_id)
            if job.get("state") in FINAL:
                return job
            if job_id in self._queue:
                self._queue.remove(job_id)
            process = self._running.pop(job_id, None)
        if process is not None:
            _kill(process)
            self._clear_staging(job_id)
        with self._lock:  # the watcher may have recorded the job's end meanwhile: keep that
            job = self._load(job_id)
            if job.get("state") in FINAL:
                return job
            job.update(state="cancelled", message="已取消", finished=now_text())
            self._save(job)
        record(self.data, user, "cancel", job_id=job_id)
        self._pump()
        return job

    def recent(self, limit: int = 30) -> list[dict[str, Any]]:
        """The newest jobs, newest first."""
        jobs = []
        for name in self.data.job_ids():
            try:
                jobs.append(self.get(name))
            except (UnknownId, OSError, ValueError):
                continue
        jobs.sort(key=lambda j: str(j.get("created", "")), reverse=True)
        return jobs[:limit]

    def shutdown(self) -> None:
        """Stop watching and end the running jobs (they are marked as cut short)."""
        self._stop.set()
        with self._lock:
            running = list(self._running.items())
            self._running.clear()
            self._queue.clear()
        for job_id, process in running:
            _kill(process)
            self._clear_staging(job_id)
            try:
                job = self._load(job_id)
                job.update(state="failed", message="服务器已停止，任务已中断", finished=now_text())
                self._save(job)
            except (UnknownId, OSError, ValueError):
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._helpers is not None:
            self._helpers.shutdown(wait=True, cancel_futures=True)

    # -- the watcher --------------------------------------------------------------------------

    def _pump(self) -> None:
        with self._lock:
            while self._queue and len(self._running) < self.slots and not self._stop.is_set():
                job_id = self._queue.popleft()
                job = self._load(job_id)
                target: Callable[..., None]
                request: PlanRequest | WhatIfRequest
                if job.get("kind", "plan") == "plan":
                    target, request = run_job, PlanRequest(**job["options"])
                else:
                    target, request = run_whatif_job, WhatIfRequest.of(job["options"])
                process = self._ctx.Process(
                    target=target,
                    args=(
                        str(self.data.root),
                        job_id,
                        request,
                        self.workers,
                        str(job.get("user", "")),
                        self.data.database,
                        os.getpid(),
                    ),
                    name=f"rotation-job-{job_id[:8]}",
                )
                job.update(state="running", started=now_text(), message="开始运行")
                self._save(job)
                process.start()
                self._running[job_id] = process

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                ended = [(j, p) for j, p in self._running.items() if not p.is_alive()]
                for job_id, _process in ended:
                    del self._running[job_id]
            for job_id, process in ended:
                self._finish(job_id, process)
            if ended:
                self._pump()

    def _finish(self, job_id: str, process: BaseProcess) -> None:
        process.join(timeout=1)
        try:
            outcome: dict[str, Any] = read_json_file(self.data.job_file(job_id, "result"))
        except (OSError, ValueError):
            outcome = {
                "state": "failed",
                "message": f"编制进程意外退出（退出码 {process.exitcode}），请重试或联系管理员",
            }
        with self._lock:  # one state change at a time: a cancel meanwhile is kept
            job = self._load(job_id)
            if job.get("state") in FINAL:
                return
            self._record_end(job, outcome)
        self._audit_end(job)

    def _record_end(self, job: dict[str, Any], outcome: dict[str, Any]) -> None:
        job.update(outcome)
        job.update(progress=1.0 if outcome["state"] == "done" else job.get("progress", 0.0))
        if outcome["state"] == "done":
            job["message"] = "已完成"
        job["finished"] = now_text()
        self._save(job)

    def _audit_end(self, job: dict[str, Any]) -> None:
        kind = str(job.get("kind", "plan"))
        if kind != "plan":
            record(
                self.data,
                str(job.get("user", "")),
                "whatif",
                kind=kind,
                job_id=job.get("job_id"),
                upload_id=job.get("upload_id"),
                run_id=job.get("run_id"),
                state=job["state"],
            )
            return
        record(
            self.data,
            str(job.get("user", "")),
            "plan",
            job_id=job.get("job_id"),
            upload_id=job.get("upload_id"),
            plan_id=job.get("plan_id"),
            state=job["state"],
            sha256=_upload_sha(self.data, str(job.get("upload_id", ""))),
        )


def _upload_sha(data: DataDir, upload_id: str) -> str:
    try:
        return str(data.upload_meta(upload_id).get("sha256", ""))
    except (UnknownId, OSError, ValueError):
        return ""


def _kill(process: BaseProcess) -> None:
    """End a job's process group (its solver pool with it): politely, then for sure. A job
    killed before it made its own group is ended alone."""
    pid = process.pid
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.join(timeout=3.0)
        if not process.is_alive():
            break
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # pool workers that outlived their parent
