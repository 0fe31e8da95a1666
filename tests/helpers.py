"""Helpers shared by the tests."""

from __future__ import annotations

from slabhw.config import KernelConfig


def config(arch: str = "x86_64", **options: object) -> KernelConfig:
    """A v3.16 configuration with 4 possible CPUs unless told otherwise."""
    options.setdefault("nr_cpus", 4)
    return KernelConfig.build("v3.16", arch, **options)  # type: ignore[arg-type]
