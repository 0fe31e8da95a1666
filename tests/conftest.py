"""Shared fixtures: configurations and parameter sets used across the tests."""

from __future__ import annotations

import pytest

from slabhw.versions import get_preset


@pytest.fixture(params=sorted(get_preset("v3.16").arches))
def arch_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
