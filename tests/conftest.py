"""Shared fixtures: configurations and parameter sets used across the tests."""

from __future__ import annotations

import pytest

from slabhw.config import ARCHES_V3_16, KernelConfig


@pytest.fixture(params=sorted(ARCHES_V3_16))
def arch_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def config(arch: str = "x86_64", **options: object) -> KernelConfig:
    """A v3.16 configuration with 4 possible CPUs unless told otherwise."""
    options.setdefault("nr_cpus", 4)
    return KernelConfig.build("v3.16", arch, **options)  # type: ignore[arg-type]
