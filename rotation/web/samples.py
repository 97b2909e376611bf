"""The bundled sample districts, loaded into an empty data folder and planned at startup, so
that a newcomer sees planned districts one command after cloning (`make web`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rotation.service.accounts import LOCAL_USER
from rotation.service.demo import write_sample_inputs
from rotation.service.jobs import JobManager, PlanRequest
from rotation.service.store import DataDir
from rotation.service.uploads import accept_upload


def load_samples(data: DataDir, jobs: JobManager) -> int:
    """Upload and plan each sample when the data folder holds no upload yet; how many."""
    if data.listing("uploads", 1):
        return 0
    with tempfile.TemporaryDirectory() as folder:
        samples = write_sample_inputs(Path(folder))
        for _stem, _scenario, path in samples:
            meta = accept_upload(data, path, filename=path.name, user="示例数据")
            jobs.submit(PlanRequest(upload_id=meta["upload_id"]), LOCAL_USER.name)
    return len(samples)
