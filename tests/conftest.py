"""Shared fixtures: a tiny hand-made district that tests change one fact at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from models import (
    District,
    EntrustedPair,
    Group,
    OngoingRotation,
    Policy,
    PolicySet,
    School,
    Teacher,
)
from models.policy import parse_param

DistrictFactory = Callable[..., District]


def teacher(tid: str, school: str, **overrides: Any) -> Teacher:
    """An eligible primary teacher unless overridden (born 1980, 8 years at school)."""
    values: dict[str, Any] = {
        "teacher_id": tid,
        "name": f"教师{tid}",
        "school_id": school,
        "subject": "数学",
        "gender": "女",
        "birth_year": 1980,
        "years_at_school": 8,
    }
    values.update(overrides)
    return Teacher(**values)


def build_district(
    *,
    teachers: list[Teacher] | None = None,
    ongoing: list[OngoingRotation] | None = None,
    policy: dict[str, Any] | None = None,
    **tables: Any,
) -> District:
    """Group G1: lead school S1 (primary), member S2 (weak primary), S3 (nine-year)."""
    schools = [
        School(school_id="S1", name="城关小学", group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="乡镇小学", group_id="G1", stage="小学", weak=True),
        School(school_id="S3", name="九年制学校", group_id="G1", stage="九年一贯", weak=False),
    ]
    if teachers is None:
        teachers = [teacher(f"T{i}", "S1") for i in range(1, 6)]
    values = {"plan_year": 2025}
    values.update(
        {k: parse_param(k, v) if isinstance(v, str) else v for k, v in (policy or {}).items()}
    )
    return District(
        name="测试区",
        groups=tables.pop(
            "groups", [Group(group_id="G1", name="城关教育集团", lead_school_id="S1")]
        ),
        schools=tables.pop("schools", schools),
        teachers=teachers,
        ongoing=ongoing or [],
        policy=PolicySet(district=Policy(**values)),
        **tables,
    )


@pytest.fixture
def make_district() -> DistrictFactory:
    """Build the tiny district with some tables replaced."""
    return build_district


def junior_district(**kw: Any) -> District:
    """G1: lead S1 junior high; S2 weak junior high with an exam-subject demand."""
    schools = [
        School(school_id="S1", name="城区初中", group_id="G1", stage="初中", weak=False),
        School(school_id="S2", name="乡镇初中", group_id="G1", stage="初中", weak=True),
        School(school_id="S3", name="另一初中", group_id="G1", stage="初中", weak=False),
    ]
    return build_district(schools=schools, **kw)


def entrusted_district(
    teachers: list[Teacher], *, supporting_name: str = "城关小学", **kw: Any
) -> District:
    """Two groups; S1 of G1 must station ≥3 residents (≥1 干部) at A1 of G2 (托管)."""
    schools = [
        School(school_id="S1", name=supporting_name, group_id="G1", stage="小学", weak=False),
        School(school_id="S2", name="城关二小", group_id="G1", stage="小学", weak=False),
        School(school_id="A1", name="受援小学", group_id="G2", stage="小学", weak=False),
        School(school_id="A2", name="受援二小", group_id="G2", stage="小学", weak=False),
    ]
    groups = [
        Group(group_id="G1", name="城关集团", lead_school_id="S1"),
        Group(group_id="G2", name="远郊集团", lead_school_id="A1"),
    ]
    pair = EntrustedPair(
        supporting_school_id="S1", aided_school_id="A1", min_residents=3, min_managers=1
    )
    return build_district(schools=schools, groups=groups, teachers=teachers, entrusted=[pair], **kw)


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    """A local Ray cluster for one test module: 2 CPUs, a capped object store, no dashboard;
    shut down after the module. Without Ray the test is skipped, except under CI (env CI set),
    where a missing Ray fails: CI installs it with the dev extra."""
    import os

    try:
        import ray
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed, but CI must run the Ray tests (pip install .[dev])")
        pytest.skip("Ray is not installed (pip install 'rotation[ray]')")
    ray.init(
        num_cpus=2,
        object_store_memory=200 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
