"""The layout sweeps: SLAB v3.16's one million (size, align, flags) rows through C, and
the pure-Python reference on 20,000 of them for the ratio; the SLUB sweep of one
million rows on every SLUB version (target: 5 M rows/s each)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from slabhw import _core
from slabhw import reference as ref
from slabhw.config import KernelConfig
from slabhw.versions import PRESETS

SLUB_VERSIONS = [name for name, p in PRESETS.items() if p.allocator == "SLUB"]

N = 1_000_000
N_REF = 20_000


@pytest.fixture(scope="module")
def rows() -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 1 << 16, N, dtype=np.uint64)
    aligns = rng.choice(np.array([0, 8, 64], dtype=np.uint64), N)
    flags = rng.choice(np.array([0, 0x2000, 0x20000, 0x2000 | 0x4000], dtype=np.uint64), N)
    params = KernelConfig.build("v3.16", "x86_64", nr_cpus=4).slab_params()
    return params, sizes, aligns, flags


def test_sweep_c(benchmark: Any, record: Any, rows: tuple[Any, Any, Any, Any]) -> None:
    params, sizes, aligns, flags = rows
    out = np.empty(N, dtype=_core.LAYOUT_DTYPE)
    benchmark.pedantic(
        _core.slab316_create_array,
        args=(params, sizes, aligns, flags),
        kwargs={"out": out},
        rounds=5,
        warmup_rounds=1,
    )
    record("sweep_c", N)
    for i in range(0, N, N // 50):
        expected = ref.kmem_cache_create(params, int(sizes[i]), int(aligns[i]), int(flags[i]))
        assert int(out["size"][i]) == expected.size and int(out["num"][i]) == expected.num


def test_sweep_c_fresh(benchmark: Any, record: Any, rows: tuple[Any, Any, Any, Any]) -> None:
    """The bare C call into a new array each round, as the API must make one: the
    result's pages are faulted in every round (the preallocated run above reuses
    warm ones)."""
    params, sizes, aligns, flags = rows

    def run() -> Any:
        out = np.empty(N, dtype=_core.LAYOUT_DTYPE)
        _core.slab316_create_array(params, sizes, aligns, flags, out=out)
        return out

    out = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    record("sweep_c_fresh", N)
    expected = ref.kmem_cache_create(params, int(sizes[0]), int(aligns[0]), int(flags[0]))
    assert int(out["num"][0]) == expected.num


def test_sweep_api(benchmark: Any, record: Any, rows: tuple[Any, Any, Any, Any]) -> None:
    """slabhw.sweep(): the public call, its columns written by C in place."""
    import slabhw

    params, sizes, aligns, flags = rows
    cfg = KernelConfig.build("v3.16", "x86_64", nr_cpus=4)
    result = benchmark.pedantic(
        slabhw.sweep,
        args=(sizes, aligns, flags),
        kwargs={"config": cfg},
        rounds=5,
        warmup_rounds=1,
    )
    record("sweep_api", N)
    for i in range(0, N, N // 50):
        expected = ref.kmem_cache_create(params, int(sizes[i]), int(aligns[i]), int(flags[i]))
        assert int(result["size"][i]) == (expected.size if not expected.error else 0)


def test_sweep_slub_api(benchmark: Any, record: Any) -> None:
    """slabhw.sweep() on v6.18 against its bare C call (test_sweep_slub_c[v6.18])."""
    import slabhw

    rng = np.random.default_rng(9)
    sizes = rng.integers(1, 1 << 16, N, dtype=np.uint64)
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    hw = cfg.flags["SLAB_HWCACHE_ALIGN"]
    flags = rng.choice(np.array([0, hw], dtype=np.uint64), N)
    result = benchmark.pedantic(
        slabhw.sweep,
        args=(sizes, 0, flags),
        kwargs={"config": cfg},
        rounds=5,
        warmup_rounds=1,
    )
    record("sweep_slub_api[v6.18]", N)
    assert len(result) == N


def test_sweep_reference(benchmark: Any, record: Any, rows: tuple[Any, Any, Any, Any]) -> None:
    params, sizes, aligns, flags = rows
    triples = list(zip(sizes[:N_REF].tolist(), aligns[:N_REF].tolist(), flags[:N_REF].tolist()))

    def run() -> int:
        return sum(ref.kmem_cache_create(params, s, a, f).num for s, a, f in triples)

    assert benchmark.pedantic(run, rounds=2, warmup_rounds=0) > 0
    record("sweep_reference", N_REF)


def test_sweep_slub_c_fresh(benchmark: Any, record: Any) -> None:
    """The bare C call of v6.18 into a new array each round (see test_sweep_c_fresh)."""
    from slabhw import reference_slub as rs

    rng = np.random.default_rng(9)
    sizes = rng.integers(1, 1 << 16, N, dtype=np.uint64)
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    p = cfg.slub_params()
    flags = rng.choice(np.array([0, cfg.flags["SLAB_HWCACHE_ALIGN"]], dtype=np.uint64), N)

    def run() -> Any:
        out = np.empty(N, dtype=_core.SLUB_LAYOUT_DTYPE)
        _core.slub_create_array(p, sizes, 0, flags, out=out)
        return out

    out = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    record("sweep_slub_c_fresh[v6.18]", N)
    expected = rs.kmem_cache_create(p, rs.SlubArgs(int(sizes[0]), flags=int(flags[0])))
    assert int(out["order"][0]) == expected.order


@pytest.mark.parametrize("version", SLUB_VERSIONS)
def test_sweep_slub_c(benchmark: Any, record: Any, version: str) -> None:
    """The SLUB layout sweep of one version over one million rows (target: 5 M rows/s)."""
    from slabhw import reference_slub as rs

    rng = np.random.default_rng(9)
    sizes = rng.integers(1, 1 << 16, N, dtype=np.uint64)
    cfg = KernelConfig.build(version, "x86_64", nr_cpus=2)
    p = cfg.slub_params()
    hw = cfg.flags["SLAB_HWCACHE_ALIGN"]
    flags = rng.choice(np.array([0, hw], dtype=np.uint64), N)
    out = np.empty(N, dtype=_core.SLUB_LAYOUT_DTYPE)
    benchmark.pedantic(
        _core.slub_create_array,
        args=(p, sizes, 0, flags),
        kwargs={"out": out},
        rounds=5,
        warmup_rounds=1,
    )
    record(f"sweep_slub_c[{version}]", N)
    for i in range(0, N, N // 50):
        expected = rs.kmem_cache_create(p, rs.SlubArgs(int(sizes[i]), flags=int(flags[i])))
        assert int(out["size"][i]) == expected.size and int(out["order"][i]) == expected.order
