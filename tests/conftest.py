"""Shared fixtures: configurations and parameter sets used across the tests."""

from __future__ import annotations

import pytest

from slabhw.config import ARCHES_V3_16


@pytest.fixture(params=sorted(ARCHES_V3_16))
def arch_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
