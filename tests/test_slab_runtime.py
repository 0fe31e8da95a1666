"""SLAB 3.16 at run time: exact addresses from the kernel's rules, and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slabhw import Kernel
from slabhw.arena import PageArena
from slabhw.errors import InputError
from slabhw.slab_runtime import SlabRuntime

PAGE_OFFSET = 0xFFFF880000000000


def runtime(nr_cpus: int = 1, mem: int = 64 << 20) -> tuple[Kernel, PageArena, SlabRuntime]:
    k = Kernel("v3.16", "x86_64", nr_cpus=nr_cpus)
    a = PageArena(mem, k.config.arch, page_offset=PAGE_OFFSET, max_order=10)
    return k, a, SlabRuntime(k, a)


def test_worked_allocation_trace() -> None:
    """shared/spec/slab-v3.16.md 6.9, derived from cache_alloc_refill: the 110-byte
    HWCACHE cache (num 31, size 128, freelist 64 bytes on-slab, colour 1).
    1st alloc: refill of BATCHREFILL_LIMIT 16 from a new slab A (pages 0): objects
    0..15 go to the array, the top (15) is returned: A + 64 + 15*128 = A + 0x7c0.
    Allocs 2..16 return 14..0.  The 17th refills 60 (touched): objects 16..30, returns
    30.  The 32nd grows slab B (the next buddy page, PFN 1) and returns its object 30."""
    k, a, rt = runtime()
    c = k.kmem_cache_create("test_cache", 110, 0, "SLAB_HWCACHE_ALIGN")
    assert c is not None
    objs = [rt.kmem_cache_alloc(c, 0) for _ in range(33)]
    rel = [o - PAGE_OFFSET for o in objs]  # type: ignore[operator]
    assert rel[0] == 0x7C0 and rel[15] == 0x40 and rel[16] == 0xF40
    assert rel[31] == 0x1000 + 0xF40 and rel[32] == 0x1000 + 0xEC0
    # the slab's index freelist: bytes 0..30 at A+0 were written 0, 1, ..., 30
    assert a.read(PAGE_OFFSET, 31) == bytes(range(31))
    assert rt.counts(c) == {
        "active_objs": 62,
        "num_objs": 62,
        "active_slabs": 2,
        "num_slabs": 2,
        "shared_avail": 0,
    }
    # LIFO: a freed object is the next one handed out on that CPU
    rt.kmem_cache_free(c, objs[5], 0)  # type: ignore[arg-type]
    assert rt.kmem_cache_alloc(c, 0) == objs[5]


def test_off_slab_freelist_lives_in_kmalloc_32() -> None:
    """kmalloc-512 is off-slab with an 8-byte freelist from kmalloc-32: growing it
    allocates that freelist first (16 objects pulled into kmalloc-32's array)."""
    k, a, rt = runtime()
    x = rt.kmalloc(300, 0)
    assert x is not None and rt.object_info(x)["cache"] == "kmalloc-512"
    assert rt.counts(k.find_cache("kmalloc-32"))["active_objs"] == 16
    assert rt.kmalloc(0, 0) == 16 and rt.kmalloc(1 << 23, 0) is None  # ZERO_SIZE_PTR, NULL
    rt.kfree(16, 0)
    rt.kfree(x, 0)
    with pytest.raises(InputError):
        rt.kfree(PAGE_OFFSET + (60 << 20), 0)  # not a slab page


def test_free_limit_destroys_surplus_empty_slabs() -> None:
    """free_block: an emptied slab is destroyed when free_objects exceeds free_limit
    ((1 + CPUs) * batchcount + num = 2*4 + 1 = 9 for an 8192-byte cache), else kept."""
    k, a, rt = runtime()
    c = k.kmem_cache_create("big", 8192)
    assert c is not None and (c.num, c.batchcount) == (1, 4)
    objs = [rt.kmem_cache_alloc(c, 0) for _ in range(30)]
    for o in objs:
        rt.kmem_cache_free(c, o, 0)  # type: ignore[arg-type]
    st = rt.state(c)
    assert st.node.free_objects <= st.node.free_limit
    rt.check(c)
    assert rt.kmem_cache_shrink(c) == 0
    # the off-slab freelists went back to kmalloc-32's array, whose slab stays until
    # that cache is shrunk too
    assert a.free_pages_count == a.nr_pages - 1
    assert rt.kmem_cache_shrink(k.find_cache("kmalloc-32")) == 0
    assert a.free_pages_count == a.nr_pages


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 1), st.integers(0, 10**6)), max_size=300),
    st.sampled_from([32, 110, 256, 1000, 3000]),
)
def test_random_sequences(ops: list[tuple[bool, int, int]], size: int) -> None:
    """No object is handed out twice, every object is in exactly one place, and the
    free-object counter agrees with the slabs (check())."""
    k, a, rt = runtime(nr_cpus=2)
    c = k.kmem_cache_create("c", size)
    assert c is not None
    held: list[int] = []
    for alloc, cpu, pick in ops:
        if alloc or not held:
            o = rt.kmem_cache_alloc(c, cpu)
            assert o is not None and o not in held
            held.append(o)
        else:
            rt.kmem_cache_free(c, held.pop(pick % len(held)), cpu)
    rt.check(c)
    counts = rt.counts(c)
    assert counts["active_objs"] >= len(held)
    for o in held:
        assert rt.object_info(o)["state"] == "allocated"
