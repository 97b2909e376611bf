"""Killing the server mid-plan leaves the records consistent (issue 15 item 7).

A real `rotation serve` in a process of its own plans a 5,000-teacher district; it is killed
with SIGKILL (no chance to clean up) while the job runs, at a few different moments. The job's
own process notices its server is gone and ends itself. A new server on the same data folder
then finds: the database intact (SQLite integrity_check), no plan run without its files and no
plan folder or half-written one left over, the cut-short job marked as such, and planning works
again.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from rotation.service.store import DataDir

BIN = Path(sys.executable).parent
DEADLINE = 180.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _writing_to(log: Path) -> list[int]:
    """The processes whose standard output is this log (the server and what it started)."""
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/1"):
        try:
            if Path(os.readlink(fd)) == log:
                found.append(int(fd.parts[2]))
        except OSError:
            continue
    return found


def _start(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    log = open(data.parent / f"server-{port}.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [str(BIN / "rotation"), "serve", "--no-browser", "--port", str(port), "--data", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"the server did not start: {(data.parent / f'server-{port}.log').read_text()}")


def _call(url: str, method: str = "GET", body: Any = None, files: bytes | None = None) -> Any:
    headers = {"Origin": url}
    data = None
    if files is not None:
        boundary = "rotation-test-boundary"
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="大区.xlsx"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + files
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


@pytest.mark.parametrize("moment", [0.5, 2.0, 4.0])
def test_killing_the_server_mid_plan_leaves_the_records_consistent(
    tmp_path: Path, big_district_xlsx: Path, moment: float
) -> None:
    data = tmp_path / "data"
    process, url = _start(data)
    try:
        upload_id = _call(f"{url}/api/uploads", "POST", files=big_district_xlsx.read_bytes())[
            "upload_id"
        ]
        job_id = _call(f"{url}/api/plans", "POST", {"upload_id": upload_id})["job_id"]
        end = time.monotonic() + DEADLINE
        while _call(f"{url}/api/jobs/{job_id}")["state"] == "queued":
            assert time.monotonic() < end
            time.sleep(0.05)
        time.sleep(moment)
        state = _call(f"{url}/api/jobs/{job_id}")["state"]
        if moment < 1:
            assert state == "running"  # killed mid-plan, not after it
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # the job's process follows its server (within a few seconds), leaving no writer behind;
    # so do the server's other processes (its pool for short tasks, the fork server): nothing
    # still writes to the server's log
    log = next(data.parent.glob("server-*.log"))
    end = time.monotonic() + DEADLINE
    while (writers := _writing_to(log)) and time.monotonic() < end:
        time.sleep(0.5)
    assert writers == [], writers
    records = DataDir(data).records()
    with sqlite3.connect(data / "records.sqlite") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        plan_ids = [r[0] for r in connection.execute("SELECT id FROM plan_runs")]
    for plan_id in plan_ids:  # a plan in the records has all of its files
        folder = data / "plans" / plan_id
        assert {p.name for p in folder.iterdir()} >= {"审批表.xlsx", "方案.json", "review.sqlite"}
    restarted, url = _start(data)
    try:
        job = _call(f"{url}/api/jobs/{job_id}")
        if state == "done" or plan_ids:
            assert job["state"] == "done" and job["plan_id"] in plan_ids
        else:
            assert job["state"] == "failed" and "重启" in job["message"]
            assert plan_ids == []
        leftovers = [p.name for p in (data / "plans").iterdir() if p.name not in plan_ids]
        assert leftovers == []  # no staging folder, no plan the records do not know
        again = _call(f"{url}/api/plans", "POST", {"upload_id": upload_id})["job_id"]
        end = time.monotonic() + DEADLINE
        while (job := _call(f"{url}/api/jobs/{again}"))["state"] not in ("done", "failed"):
            assert time.monotonic() < end
            time.sleep(0.2)
        assert job["state"] == "done", job
        assert records.plan(job["plan_id"]).state.value == "草稿"
    finally:
        restarted.terminate()
        restarted.wait(30)
    assert os.path.exists(data / "records.sqlite")
