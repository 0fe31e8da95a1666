"""The run-time layer: kmem_cache_alloc + kmem_cache_free pairs (every SLUB version and
SLAB 3.16), kmem_cache_alloc_bulk and kmem_cache_free_bulk of a million objects (every
SLUB version), and a 4 GiB PageArena.

Targets (conftest.TARGETS): 200,000 pairs/s, 2 M objects/s for the bulk calls, the
arena in well under a second.  The SLUB cache is kmalloc-64 of each version's default
configuration: hardened free pointers and shuffled freelists, no debugging.  The
bulk figures are best-of-rounds: after the first round the arena's pages have been
touched, so the first touch of fresh memory by the OS (page faults) is left out;
``slub_alloc_bulk_cold`` is one round on a fresh arena, faults included.

Under ``--benchmark-disable`` (the CI run) the sizes shrink so that the file takes
well under a second.
"""

from __future__ import annotations

from typing import Any

import pytest

import slabhw
from slabhw.arena import PageArena
from slabhw.slab_runtime import SlabRuntime
from slabhw.slub import SlubKernel
from slabhw.slub_runtime import SlubRuntime
from slabhw.versions import PRESETS

SLUB_VERSIONS = [name for name, p in PRESETS.items() if p.allocator == "SLUB"]

PO_SLUB = 0xFFFF888000000000
PO_SLAB = 0xFFFF880000000000
GIB = 1 << 30


def sizes(benchmark: Any) -> tuple[int, int, int]:
    """(pairs, bulk objects, arena bytes): full size, or small when not timing."""
    if benchmark.disabled:
        return 2_000, 20_000, 64 << 20
    return 200_000, 1_000_000, 4 * GIB


class Slub:
    """A SLUB runtime of one version over an arena, and kmalloc-64."""

    def __init__(self, mem: int, version: str = "v6.18") -> None:
        self.version = version
        k = slabhw.Kernel(version, "x86_64", nr_cpus=2)
        assert isinstance(k, SlubKernel)
        arch = k.config.arch
        self.arena = PageArena(mem, arch, page_offset=PO_SLUB, max_order=arch.max_page_order)
        self.rt = SlubRuntime(k, self.arena, nr_cpus=2)
        cache = k.kmalloc_slab(64)
        assert cache is not None and cache.objects == 64
        self.cache = cache


@pytest.mark.parametrize("version", SLUB_VERSIONS)
def test_slub_pairs(benchmark: Any, record: Any, version: str) -> None:
    """kmem_cache_alloc + kmem_cache_free on one CPU (the lockless fast paths)."""
    n, _, _ = sizes(benchmark)
    s = Slub(64 << 20, version)
    rt, cache = s.rt, s.cache

    def run() -> None:
        alloc, free = rt.alloc, rt.free
        for _ in range(n):
            free(cache, alloc(cache, 0) or 0, 0)

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record(f"slub_pairs[{version}]", n)
    assert rt.validate(cache) == []


def test_slab_pairs(benchmark: Any, record: Any) -> None:
    """SLAB 3.16: kmem_cache_alloc + kmem_cache_free of kmalloc-64 (array cache)."""
    n, _, _ = sizes(benchmark)
    k = slabhw.Kernel("v3.16", "x86_64", nr_cpus=2)
    arena = PageArena(64 << 20, k.config.arch, page_offset=PO_SLAB, max_order=10)
    rt = SlabRuntime(k, arena)
    cache = k.kmalloc_slab(64)
    assert cache is not None

    def run() -> None:
        alloc, free = rt.kmem_cache_alloc, rt.kmem_cache_free
        for _ in range(n):
            x = alloc(cache, 0)
            assert x is not None
            free(cache, x, 0)

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    record("slab_pairs", n)


@pytest.fixture(scope="module", params=SLUB_VERSIONS)
def slub_big(request: Any) -> Slub:
    return Slub(GIB, request.param)


def test_slub_alloc_bulk(benchmark: Any, record: Any, slub_big: Slub) -> None:
    """kmem_cache_alloc_bulk of a million objects (a list back), from an empty cache:
    every round frees the last round's objects first (not timed)."""
    _, n, _ = sizes(benchmark)
    rt, cache = slub_big.rt, slub_big.cache
    held: list[list[int]] = []

    def setup() -> None:
        while held:
            assert rt.free_bulk(cache, held.pop(), 1) == []

    def run() -> None:
        held.append(rt.alloc_bulk(cache, n, 0))

    benchmark.pedantic(run, setup=setup, rounds=4)
    record(f"slub_alloc_bulk[{slub_big.version}]", n)
    objs = held[-1]
    assert len(objs) == n and len(set(objs)) == n
    setup()
    assert rt.validate(cache) == []


def test_slub_free_bulk(benchmark: Any, record: Any, slub_big: Slub) -> None:
    """kmem_cache_free_bulk of a million objects, the list alloc_bulk returned
    (allocated in setup, not timed)."""
    _, n, _ = sizes(benchmark)
    rt, cache = slub_big.rt, slub_big.cache
    held: list[list[int]] = []

    def setup() -> None:
        objs = rt.alloc_bulk(cache, n, 0)
        assert len(objs) == n
        held.append(objs)

    def run() -> None:
        assert rt.free_bulk(cache, held.pop(), 1) == []

    benchmark.pedantic(run, setup=setup, rounds=4)
    record(f"slub_free_bulk[{slub_big.version}]", n)
    assert rt.validate(cache) == []


def test_slub_alloc_bulk_cold(benchmark: Any, record: Any) -> None:
    """The same on a fresh arena, in one round: the page faults of first touch
    included."""
    _, n, _ = sizes(benchmark)
    holder: list[Slub] = []

    def setup() -> None:
        holder.append(Slub(GIB))

    def run() -> None:
        s = holder[-1]
        assert len(s.rt.alloc_bulk(s.cache, n, 0)) == n

    benchmark.pedantic(run, setup=setup, rounds=1)
    record("slub_alloc_bulk_cold", n)


def test_arena_4g(benchmark: Any, record: Any) -> None:
    """PageArena of 4 GiB: lazily zeroed memory, 1 Mi struct pages, the buddy lists.
    One round: a second arena in the same process is faster (the C library keeps
    the freed struct page memory), which best-of-rounds would report."""
    _, _, mem = sizes(benchmark)
    k = slabhw.Kernel("v6.18", "x86_64", nr_cpus=2)
    arch = k.config.arch
    arenas: list[PageArena] = []

    def run() -> None:
        arenas.append(PageArena(mem, arch, page_offset=PO_SLUB, max_order=arch.max_page_order))

    benchmark.pedantic(run, rounds=1, warmup_rounds=0)
    record("arena_4g", 1)
    assert arenas[-1].free_pages_count == mem // arch.page_size


SPRAY = 50_000


def _spray_api() -> int:
    from slabhw.config import KernelConfig
    from slabhw.simulate import Simulation, parse_script

    sim = Simulation(KernelConfig.build("v6.18", "x86_64", nr_cpus=2), mem=256 << 20)
    sim.run(parse_script(["create c 128"]))
    c, rt = sim.caches["c"], sim.runtime
    objs = [rt.alloc(c, 0) for _ in range(SPRAY)]
    for o in objs:
        rt.free(c, o, 0)
    return len(objs)


def _spray_script(streamed: bool = True) -> int:
    """The spray as a script; ``streamed``: each event handed on as its line has run
    and then dropped, as ``slabhw simulate`` writes them; else all kept in sim.events."""
    from slabhw.config import KernelConfig
    from slabhw.simulate import Event, Simulation, parse_script

    sim = Simulation(KernelConfig.build("v6.18", "x86_64", nr_cpus=2), mem=256 << 20)
    text = ["create c 128", f"repeat {SPRAY}", "a{i} = alloc c cpu=0", "end"]
    text += [f"repeat {SPRAY}", "free a{i} cpu=0", "end"]
    if not streamed:
        return len(sim.run(parse_script(text)))
    first: list[str] = []  # the first two results, to check
    count = 0

    def emit(ev: Event) -> None:
        nonlocal count
        count += 1
        if count <= 2:
            first.append(ev.result)

    sim.run(parse_script(text), emit)
    assert first[1].startswith("a0 = 0x") and first[1].endswith("(c)")
    return count


def test_spray_api(benchmark: Any, record: Any) -> None:
    """A heap spray through the run time's API: 50,000 kmem_cache_alloc then as many
    kmem_cache_free on CPU 0 (boot and arena included, as the script pays them)."""
    assert benchmark.pedantic(_spray_api, rounds=3, warmup_rounds=1) == SPRAY
    record("spray_api", 2 * SPRAY)


def test_spray_script(benchmark: Any, record: Any) -> None:
    """The same spray as a simulate script of two repeat blocks (parsed, checked, run,
    each event streamed as ``slabhw simulate`` writes them)."""
    assert benchmark.pedantic(_spray_script, rounds=3, warmup_rounds=1) == 2 * SPRAY + 1
    record("spray_script", 2 * SPRAY)


def test_spray_script_kept(benchmark: Any, record: Any) -> None:
    """The script with every event kept in Simulation.events (the API's default):
    100,000 events alive make the garbage collector's passes longer."""
    result = benchmark.pedantic(_spray_script, args=(False,), rounds=3, warmup_rounds=1)
    assert result == 2 * SPRAY + 1
    record("spray_script_kept", 2 * SPRAY)
