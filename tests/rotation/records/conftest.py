"""Every records test runs twice: on a SQLite file and on a real PostgreSQL server.

The server comes from ROTATION_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5433/x;
`.ci/run` starts one). Without it the PostgreSQL cases are skipped on a developer's machine and
fail under CI=1. Each PostgreSQL case gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from models import District
from models.plan import NewRotation, Plan, Return, SolveResult
from rotation.records import Records
from rotation.records.engine import normalise_url
from rotation.samples.generate import generate_district

POSTGRES_ENV = "ROTATION_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
#: Every role: the single user of a loopback server.
ALL_ROLES = ("经办人", "审核人", "审批人", "管理员")


def postgres_base_url() -> str:
    """The test server's URL; skip without one, fail under CI."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        message = f"{POSTGRES_ENV} is not set: no PostgreSQL server to test on (.ci/run starts one)"
        if os.environ.get("CI"):
            pytest.fail(message + " — required under CI")
        pytest.skip(message)
    return url


def sqlite_url(folder: Path) -> str:
    """A fresh SQLite file's URL."""
    return f"sqlite:///{folder / 'records.sqlite'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema on the PostgreSQL server."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of `backend`: a new SQLite file in `folder`, or a new schema on the
    PostgreSQL server (dropped afterwards)."""
    if backend == "sqlite":
        yield sqlite_url(folder)
        return
    base = normalise_url(postgres_base_url())
    schema = f"records_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        admin.dispose()


@pytest.fixture
def records(database_url: str) -> Iterator[Records]:
    """The records on an upgraded empty database."""
    opened = Records.open(database_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def small_district() -> Callable[[int], District]:
    """A generated 120-teacher district (three schools) for a plan year."""
    cache: dict[int, District] = {}

    def make(year: int = 2025) -> District:
        if year not in cache:
            cache[year] = generate_district(teachers=120, seed=1, plan_year=year)
        return cache[year]

    return make


Move = tuple[str, str, str, int]  # teacher, from school, to school, years
Back = tuple[str, str, str]  # teacher, from (host) school, to (home) school
ResultFactory = Callable[..., SolveResult]


def result_of(
    year: int, rotations: Sequence[Move] = (), returns: Sequence[Back] = ()
) -> SolveResult:
    """A solve result with the given rotations (starting in `year`) and returns."""
    plan = Plan(
        plan_year=year,
        rotations=tuple(
            NewRotation(
                teacher_id=t,
                from_school_id=a,
                to_school_id=b,
                start_year=year,
                end_year=year + n - 1,
            )
            for t, a, b, n in rotations
        ),
        returns=tuple(
            Return(teacher_id=t, from_school_id=a, to_school_id=b, year=year) for t, a, b in returns
        ),
    )
    return SolveResult(
        status="optimal",
        plan=plan,
        objective=42,
        best_bound=42,
        terms={"moves": 3},
        build_seconds=0.5,
        solve_seconds=1.25,
        wall_seconds=2.0,
    )


@pytest.fixture(scope="session")
def make_result() -> ResultFactory:
    """`result_of` for the tests."""
    return result_of
