"""The web plans what the command line plans: for the same input and options, the plan JSON the
web writes equals the one `rotation plan INPUT -o X.xlsx --json X.json` writes, apart from what
belongs to one run (its id and timings)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rotation.cli.app import app
from rotation.formats.writing import write_district
from rotation.samples.generate import generate_district

from .conftest import plan, serve, upload_bytes  # type: ignore[import-not-found]

#: What differs from run to run: the plan's id and how long each phase took.
RUN_SPECIFIC = ("plan_id", "timings")


def comparable(plan_json: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan_json.items() if k not in RUN_SPECIFIC}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    data = tmp_path_factory.mktemp("same") / "data"
    with serve(data) as client:
        yield client, data


def cli_plan(source: Path, folder: Path, *options: str) -> dict[str, Any]:
    out, js = folder / "X.xlsx", folder / "X.json"
    result = CliRunner().invoke(
        app, ["plan", str(source), "-o", str(out), "--json", str(js), *options]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(js.read_text(encoding="utf-8"))
    return data


def web_plan(
    client: TestClient, data: Path, name: str, content: bytes, **options: Any
) -> dict[str, Any]:
    answer = upload_bytes(client, name, content)
    assert answer.status_code == 201, answer.text
    job = plan(client, answer.json()["upload_id"], **options)
    assert job["state"] == "done", job
    stored: dict[str, Any] = json.loads(
        (data / "plans" / job["plan_id"] / "方案.json").read_text(encoding="utf-8")
    )
    api = client.get(f"/api/plans/{job['plan_id']}").json()
    assert api == {
        **stored,
        "plan_id": job["plan_id"],
        "state": "草稿",
        "version": 1,
        "name": "",
        "note": "",
    }
    assert stored["plan_id"] == job["plan_id"]
    return stored


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.writestr(file.name, file.read_bytes())
    return buffer.getvalue()


def test_the_workbook_plans_the_same(
    server: tuple[TestClient, Path], district_xlsx: Path, tmp_path: Path
) -> None:
    client, data = server
    expected = cli_plan(district_xlsx, tmp_path)
    found = web_plan(client, data, district_xlsx.name, district_xlsx.read_bytes())
    assert found["district"] == "测试区" == expected["district"]
    assert found["rotations"]  # a plan worth comparing
    assert set(found) == set(expected)
    assert comparable(found) == comparable(expected)
    assert found["plan_id"] != expected["plan_id"]


def test_options_plan_the_same(
    server: tuple[TestClient, Path], district_xlsx: Path, tmp_path: Path
) -> None:
    """--year and --relax and --time-limit reach the planner alike."""
    client, data = server
    expected = cli_plan(district_xlsx, tmp_path, "--year", "2024", "--relax", "--time-limit", "30")
    found = web_plan(
        client,
        data,
        district_xlsx.name,
        district_xlsx.read_bytes(),
        year=2024,
        relax=True,
        time_limit=30,
    )
    assert found["plan_year"] == 2024
    assert comparable(found) == comparable(expected)


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_other_input_formats_plan_the_same(
    server: tuple[TestClient, Path], tmp_path: Path, kind: str
) -> None:
    client, data = server
    district = generate_district(teachers=400, seed=11, structure="ganzhou")
    if kind == "json":
        source = tmp_path / "导出.json"
        write_district(district, source)
        name, content = source.name, source.read_bytes()
    else:
        source = tmp_path / "城东区"
        write_district(district, source)
        name, content = "城东区.zip", _zip(source)
    expected = cli_plan(source, tmp_path)
    found = web_plan(client, data, name, content)
    assert found["district"] == expected["district"]
    assert comparable(found) == comparable(expected)
