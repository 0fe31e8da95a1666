"""calculate_alignment over 10 million sizes: C array path vs numpy.copyto of the same
arrays vs the pure-Python reference (timed on a 200,000-element slice and compared
per element, since a 10M pure-Python run takes tens of seconds per round)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from slabhw import _core
from slabhw import reference as ref
from slabhw.config import KernelConfig

N = 10_000_000
N_REF = 200_000
HW = 0x2000


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(42)
    sizes = rng.integers(1, 1 << 20, N, dtype=np.uint64)
    out = np.empty(N, dtype=np.uint64)
    params = KernelConfig.build("v3.16", "x86_64").slab_params()
    return params, sizes, out


def test_numpy_copyto(benchmark: Any, record: Any, data: tuple[Any, Any, Any]) -> None:
    _, sizes, out = data
    benchmark.pedantic(np.copyto, args=(out, sizes), rounds=30, warmup_rounds=3)
    record("numpy_copyto", N)
    assert (out == sizes).all()


def test_numpy_copy(benchmark: Any, record: Any, data: tuple[Any, Any, Any]) -> None:
    """ndarray.copy(): a new array, as calculate_alignment without out= makes one."""
    _, sizes, _ = data
    benchmark.pedantic(sizes.copy, rounds=30, warmup_rounds=3)
    record("numpy_copy", N)


def test_calculate_alignment_api(benchmark: Any, record: Any, data: tuple[Any, Any, Any]) -> None:
    """slabhw.calculate_alignment(flags, align, sizes): the public call, a new array
    for the result, scalar flags and align not broadcast (stride 0 in C)."""
    import slabhw

    _, sizes, _ = data
    result = benchmark.pedantic(
        slabhw.calculate_alignment, args=(HW, 0, sizes), rounds=30, warmup_rounds=3
    )
    record("calculate_alignment_api", N)
    assert result[:4].tolist() == [slabhw.calculate_alignment(HW, 0, int(s)) for s in sizes[:4]]


def test_calculate_alignment_c(benchmark: Any, record: Any, data: tuple[Any, Any, Any]) -> None:
    params, sizes, out = data
    benchmark.pedantic(
        _core.calculate_alignment,
        args=(params, HW, 0, sizes),
        kwargs={"out": out},
        rounds=30,
        warmup_rounds=3,
    )
    record("calculate_alignment_c", N)
    sample = sizes[:1000].tolist()
    assert out[:1000].tolist() == [ref.calculate_alignment(params, HW, 0, s) for s in sample]


def test_calculate_alignment_c_fresh(
    benchmark: Any, record: Any, data: tuple[Any, Any, Any]
) -> None:
    """The bare C call into a new array each round, as the API without out= makes."""
    params, sizes, _ = data

    def run() -> Any:
        out = np.empty(N, dtype=np.uint64)
        _core.calculate_alignment(params, HW, 0, sizes, out=out)
        return out

    out = benchmark.pedantic(run, rounds=30, warmup_rounds=3)
    record("calculate_alignment_c_fresh", N)
    assert int(out[0]) == ref.calculate_alignment(params, HW, 0, int(sizes[0]))


def test_calculate_alignment_reference(
    benchmark: Any, record: Any, data: tuple[Any, Any, Any]
) -> None:
    params, sizes, _ = data
    values = sizes[:N_REF].tolist()

    def run() -> list[int | None]:
        return [ref.calculate_alignment(params, HW, 0, s) for s in values]

    result = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record("calculate_alignment_reference", N_REF)
    assert len(result) == N_REF
