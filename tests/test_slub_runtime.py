"""SlubRuntime: the run-time SLUB allocator of Linux 6.18 over the page arena.

Scenarios with addresses, lists and bytes derived by hand from mm/slub.c (6.18.2) and
the buddy allocator of slabhw.arena; the derivations are in the docstrings.  Then
random sequences (hypothesis) that check the books: no object handed out twice,
every object of every slab either allocated or on exactly one freelist, the node
counters, sysfs counts and validate() clean.

Common ground for the hand derivations (x86_64, 2 CPUs, 4 KiB pages):

* A fresh arena of 64 MiB has 16 free order-10 blocks.  ``alloc_pages(1)`` splits
  block 0: expand() leaves 512 (order 9) ... 2 (order 1) at the list heads and
  returns PFN 0; the next order-1 requests return 2, then 4 (splitting the order-2
  block 4), 6, 8, ... so the n-th order-1 slab is at PFN 2n.  Order-0 requests
  likewise return 0, 1, 2, ...
* PFN p is at PAGE_OFFSET + 4096 p (PAGE_OFFSET = 0xffff888000000000).
* kmalloc-512: size 512, free pointer at offset ALIGN_DOWN(512 / 2, 8) = 256;
  min_objects = 4 (fls(2) + 1) = 12 -> get_order(12 * 512) = 1: order 1, 16 objects;
  s->min is order 0 with 8 objects; cpu_partial 52 (size >= 256), so
  cpu_partial_slabs = DIV_ROUND_UP(2 * 52, 16) = 7; min_partial
  max(5, min(10, ilog2(512) / 2)) = 5.
* TID_STEP is 256 (CONFIG_PREEMPTION, NR_CPUS 256); CPU n starts at tid n.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import slabhw
from slabhw.arena import PG_HEAD, PG_SLAB, PG_TAIL, PageArena
from slabhw.errors import KernelBug
from slabhw.slub import SlubCache, SlubKernel
from slabhw.slub_runtime import (
    LIST_CPU_SLAB,
    SET_FREEPOINTER_BUG,
    ZERO_SIZE_PTR,
    SlubRuntime,
    swab64,
)

PO = 0xFFFF888000000000
PAGE = 4096


def make(
    mem: int = 64 << 20, nr_cpus: int = 2, seed: int = 0, kernel: str = "v6.18", **options: Any
) -> tuple[SlubKernel, PageArena, SlubRuntime]:
    k = slabhw.Kernel(kernel, "x86_64", nr_cpus=nr_cpus, **options)
    assert isinstance(k, SlubKernel)
    a = PageArena(mem, k.config.arch, page_offset=PO, max_order=k.config.arch.max_page_order)
    return k, a, SlubRuntime(k, a, nr_cpus=nr_cpus, seed=seed)


def plain(**options: Any) -> tuple[SlubKernel, PageArena, SlubRuntime]:
    """Freelists in address order and unencoded free pointers."""
    return make(slab_freelist_random=False, slab_freelist_hardened=False, **options)


def kmalloc_cache(k: SlubKernel, size: int) -> SlubCache:
    c = k.kmalloc_slab(size)
    assert c is not None
    return c


def word(a: PageArena, addr: int) -> int:
    return a.read_word(addr, 8)


def alloc(rt: SlubRuntime, cache: SlubCache, cpu: int) -> int:
    """kmem_cache_alloc that must succeed."""
    x = rt.alloc(cache, cpu)
    assert x is not None
    return x


# ---- allocation and free: the fast and slow paths ------------------------------------
def test_first_allocation_builds_a_slab_in_address_order() -> None:
    """The first kmalloc-512 allocation on CPU 0: no cpu slab, no partial slabs, so
    ___slab_alloc -> new_slab: alloc_pages(1) gives PFN 0 (address PO).  Without
    SLAB_FREELIST_RANDOM the freelist is obj0 -> obj1 -> ... -> obj15 -> NULL, each
    free pointer at obj + 256 (plain, not hardened).  The slab is frozen as the cpu
    slab (inuse = objects = 16), obj0 is returned and c->freelist = obj1;
    load_freelist bumps the tid 0 -> 256.  inc_slabs_node: 1 slab, 16 objects."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    assert (c.size, c.offset, c.order, c.objects) == (512, 256, 1, 16)
    x = rt.alloc(c, 0)
    assert x == PO
    assert rt.cpu_state(c, 0) == {"freelist": PO + 512, "slab": 0, "partial": [], "tid": 256}
    assert a.read(PO + 256, 8) == bytes.fromhex("000200008088ffff")
    assert [word(a, PO + 512 * i + 256) for i in range(16)] == [
        PO + 512 * (i + 1) for i in range(15)
    ] + [0]
    assert rt.node_state(c) == {
        "partial": [],
        "nr_partial": 0,
        "nr_slabs": 1,
        "total_objects": 16,
        "full": [],
    }
    # struct page: the head is a slab head page, the tail points at it
    pg = a.pages
    assert pg["flags"][0] & (PG_SLAB | PG_HEAD) == PG_SLAB | PG_HEAD
    assert pg["flags"][1] & PG_TAIL and pg["compound_head"][1] == 0
    assert pg["slab_cache"][0] == rt.state(c).cache_id
    assert (pg["objects"][0], pg["inuse"][0], pg["frozen"][0]) == (16, 16, 1)
    assert pg["list"][0] == LIST_CPU_SLAB
    # the fast path: the next object, tid + 256
    assert rt.alloc(c, 0) == PO + 512
    assert rt.cpu_state(c, 0)["tid"] == 512


def test_free_is_lifo_on_the_cpu_freelist() -> None:
    """do_slab_free fast path: obj0's slab is CPU 0's slab, so obj0 is pushed on
    c->freelist with its free pointer set to the old head (obj1), tid + 256; the next
    allocation returns obj0 again, then obj1."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    x = alloc(rt, c, 0)
    assert rt.free(c, x, 0) == []
    assert rt.cpu_state(c, 0)["freelist"] == x and rt.cpu_state(c, 0)["tid"] == 512
    assert word(a, x + 256) == PO + 512
    assert [rt.alloc(c, 0), rt.alloc(c, 0)] == [PO, PO + 512]


def test_hardened_free_pointer_bytes() -> None:
    """freelist_ptr_encode(): stored = ptr ^ s->random ^ swab(ptr_addr).  With
    s->random = 0x0123456789abcdef, obj0's pointer slot PO+256 holds obj1 = PO+512:
    swab(0xffff888000000100) = 0x000100008088ffff,
    0xffff888000000200 ^ 0x000100008088ffff = 0xfffe88808088fdff,
    ^ 0x0123456789abcdef = 0xfeddcde709233010 (bytes 10 30 23 09 e7 cd dd fe).  The
    last object's NULL is stored as random ^ swab(PO + 15*512 + 256)
    = 0x0123456789abcdef ^ 0x001f00008088ffff = 0x013c456709233210."""
    k, a, rt = make(slab_freelist_random=False)
    c = kmalloc_cache(k, 512)
    st_ = rt.state(c)
    st_.random = 0x0123456789ABCDEF  # before the first slab is built
    assert swab64(PO + 256) == 0x000100008088FFFF
    assert rt.alloc(c, 0) == PO
    assert a.read(PO + 256, 8) == bytes.fromhex("10302309e7cdddfe")
    assert word(a, PO + 15 * 512 + 256) == 0x013C456709233210
    assert rt.get_freepointer(st_, PO) == PO + 512
    assert rt.alloc(c, 0) == PO + 512  # decoded on the fast path


def test_s_random_is_drawn_from_the_seed_and_the_name() -> None:
    """s->random comes first from a Generator seeded by [seed, *name bytes]."""
    k, a, rt = make()
    c = kmalloc_cache(k, 512)
    expect = np.random.default_rng([0, *b"kmalloc-512"]).integers(0, 1 << 64, dtype=np.uint64)
    assert rt.state(c).random == int(expect) == 0x7B2455332F08FECB
    k2, a2, rt2 = make(seed=1)
    assert rt2.state(kmalloc_cache(k2, 512)).random != rt.state(c).random
    k3, a3, rt3 = make(slab_freelist_hardened=False)
    assert rt3.state(kmalloc_cache(k3, 512)).random == 0


def test_naive_double_free_detection_of_the_hardened_freelist() -> None:
    """set_freepointer(): BUG_ON(object == fp).  Freeing obj0 twice in a row makes
    the fast path store obj0 as its own successor: the kernel BUGs (mm/slub.c:634);
    the model logs it, raises the oops (KernelBug, as SLAB's BUG_ON does) and leaves
    the freelist as it was."""
    k, a, rt = make()
    c = kmalloc_cache(k, 512)
    x = rt.alloc(c, 0)
    assert x is not None
    assert rt.free(c, x, 0) == []
    with pytest.raises(KernelBug, match="mm/slub.c:634"):
        rt.free(c, x, 0)
    assert rt.log[-1] == SET_FREEPOINTER_BUG == "kernel BUG at mm/slub.c:634!"
    assert rt.cpu_state(c, 0)["freelist"] == x


# ---- partial lists ---------------------------------------------------------------------
def test_cpu_partial_drain_and_discard() -> None:
    """144 allocations on CPU 0 fill 9 slabs, PFNs 0, 2, ..., 16; after the 144th the
    cpu slab (PFN 16) has an empty c->freelist but stays the cpu slab.

    Freeing one object of each of the slabs 0..14 (not the cpu slab): __slab_free
    sees prior == NULL (full) and not frozen, so put_cpu_partial(drain=1) on CPU 0.
    The slabs field counts 1..7 for PFNs 0..12; for PFN 14 the head has 7 >=
    cpu_partial_slabs (7), so the list [12, 10, ..., 0] goes to __put_partials
    (each to the node list's tail: [12, 10, 8, 6, 4, 2, 0]) and PFN 14 starts a new
    CPU partial list.

    Then slab 0's other 15 objects are freed (on CPU 1; the CPU does not matter as
    the slab is on the node list): prior != NULL each time, and the last free leaves
    inuse 0 with nr_partial 7 >= min_partial 5: remove_partial + discard_slab.
    nr_slabs 9 -> 8, total_objects 144 -> 128.  sysfs objects = 128 - free objects
    on the node partial list (6 slabs x 1) = 122; cpu_slabs = 1 + c->partial->slabs
    = 2; slabs_cpu_partial "8(1) C0=8(1)" (1 slab x 16 objects / 2)."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    objs = [alloc(rt, c, 0) for _ in range(144)]
    assert sorted({a.virt_to_pfn(o) for o in objs if o}) == list(range(18))
    assert rt.cpu_state(c, 0)["slab"] == 16 and rt.cpu_state(c, 0)["freelist"] == 0
    for i in range(8):
        assert rt.free(c, objs[16 * i], 0) == []
    assert rt.cpu_state(c, 0)["partial"] == [14]
    assert rt.node_state(c)["partial"] == [12, 10, 8, 6, 4, 2, 0]
    for o in objs[1:16]:
        assert rt.free(c, o, 1) == []
    assert rt.node_state(c) == {
        "partial": [12, 10, 8, 6, 4, 2],
        "nr_partial": 6,
        "nr_slabs": 8,
        "total_objects": 128,
        "full": [],
    }
    assert not a.pages["flags"][0] & PG_SLAB
    counts = rt.counts(c)
    assert (counts["objects"], counts["total_objects"], counts["slabs"]) == (122, 128, 8)
    assert (counts["partial"], counts["cpu_slabs"], counts["active_objs"]) == (6, 2, 122)
    assert rt.sysfs_counts(c)["slabs_cpu_partial"] == "8(1) C0=8(1)"
    assert rt.sysfs_counts(c)["objects"] == "122 N0=122"
    line = next(r for r in rt.slabinfo().splitlines() if r.startswith("kmalloc-512 "))
    assert line == (
        "kmalloc-512          122    128    512   16    2 : tunables    0    0    0"
        " : slabdata      8      8      0"
    )
    assert rt.validate(c) == []


def test_allocation_takes_the_cpu_partial_list_then_the_node_list() -> None:
    """Continuing the drain scenario: CPU 0's slab (16) is exhausted, so the next
    allocations go ___slab_alloc -> get_freelist (NULL: the slab is full and leaves
    the CPU, unfrozen) -> the CPU partial list (PFN 14, whose one free object is its
    slab freelist) -> next time get_partial_node: PFN 12 becomes the cpu slab and
    more node slabs move to CPU 0's partial list until more than
    cpu_partial_slabs / 2 = 3 were moved: 10, 8, 6, 4 (pushed at the head)."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    objs = [alloc(rt, c, 0) for _ in range(144)]
    for i in range(8):
        rt.free(c, objs[16 * i], 0)
    assert rt.alloc(c, 0) == objs[16 * 7]  # the free object of PFN 14
    assert rt.cpu_state(c, 0)["slab"] == 14 and rt.cpu_state(c, 0)["partial"] == []
    assert rt.alloc(c, 0) == objs[16 * 6]  # PFN 12's free object
    assert rt.cpu_state(c, 0)["slab"] == 12
    assert rt.cpu_state(c, 0)["partial"] == [4, 6, 8, 10]
    assert rt.node_state(c)["partial"] == [2, 0]
    assert rt.validate(c) == []


def test_remote_free_and_deactivate_slab() -> None:
    """obj0 is allocated on CPU 0 (c0->freelist = obj1..obj15) and freed on CPU 1:
    the slab is not CPU 1's, and it is frozen, so __slab_free only pushes obj0 on the
    slab's own freelist (inuse 15).  flush_cpu_slab(CPU 0) -> deactivate_slab: the
    slab has a freelist (remote frees), so DEACTIVATE_TO_TAIL; the 15 CPU-freelist
    objects are counted and spliced in front of it (obj15 -> obj0), inuse 0; with
    nr_partial 0 < 5 the empty slab stays, added to the node list.  An allocation on
    CPU 1 then takes it (get_partial_node, freeze_slab) and gets obj1."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    x = rt.alloc(c, 0)
    assert x == PO
    assert rt.free(c, x, 1) == []
    assert rt.cpu_state(c, 0)["freelist"] == PO + 512
    assert a.pages["freelist"][0] == PO and a.pages["inuse"][0] == 15
    rt.flush_cpu_slab(c, 0)
    assert rt.cpu_state(c, 0) == {"freelist": 0, "slab": None, "partial": [], "tid": 512}
    assert rt.node_state(c)["partial"] == [0]
    assert word(a, PO + 15 * 512 + 256) == PO
    assert (a.pages["freelist"][0], a.pages["inuse"][0], a.pages["frozen"][0]) == (PO + 512, 0, 0)
    assert rt.alloc(c, 1) == PO + 512
    assert rt.cpu_state(c, 1)["slab"] == 0 and rt.cpu_state(c, 1)["freelist"] == PO + 1024
    assert rt.counts(c)["objects"] == 16 and rt.node_state(c)["nr_partial"] == 0


def test_shrink_discards_empty_slabs_and_sorts() -> None:
    """Two slabs on CPU 0 (PFN 0 full, PFN 2 the cpu slab with one object used);
    free all of slab 0 on CPU 1: the first free puts it on CPU 1's partial list
    (was full), the last leaves it empty there.  shrink = flush_all (CPU 0: PFN 2
    deactivated with 15 free to the node list's head; CPU 1: its partial list to
    the tail, not discarded as nr_partial 1 < 5) then __kmem_cache_do_shrink: both
    empty slabs are discarded; nothing is left."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    objs = [alloc(rt, c, 0) for _ in range(17)]
    for o in objs[:16]:
        rt.free(c, o, 1)
    assert rt.cpu_state(c, 1)["partial"] == [0]
    rt.free(c, objs[16], 0)
    assert rt.shrink(c) == 0
    assert rt.node_state(c)["nr_slabs"] == 0 and rt.node_state(c)["partial"] == []
    assert a.free_pages_count == a.nr_pages


# ---- bulk --------------------------------------------------------------------------------
def test_bulk_alloc_and_free_order() -> None:
    """kmem_cache_alloc_bulk(3) on a fresh cache: c->freelist is empty, so
    ___slab_alloc makes the slab and returns obj0, then obj1 and obj2 come off
    c->freelist.  kmem_cache_free_bulk([a, b, c]): build_detached_freelist starts at
    the end (c, its pointer NULL) and pushes b and a: a -> b -> c;
    slab_free_freelist_hook rebuilds it reversed: c -> b -> a, which do_slab_free
    pushes on c->freelist.  So the next allocations return c, b, a: the same as three
    single frees in array order."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    objs = rt.alloc_bulk(c, 3, 0)
    assert objs == [PO, PO + 512, PO + 1024]
    assert rt.free_bulk(c, objs, 0) == []
    assert [rt.alloc(c, 0) for _ in range(4)] == [PO + 1024, PO + 512, PO, PO + 1536]


def test_bulk_free_of_several_slabs_and_kfree_bulk() -> None:
    """Objects of two slabs and a large kmalloc in one kfree_bulk (cache None): each
    detached freelist gathers the objects of one slab; the large one is freed to the
    page allocator; counts and freelists stay consistent."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    objs = [rt.alloc(c, 0) for _ in range(20)]
    big = rt.kmalloc(3 * PAGE, 0)
    assert big is not None
    mixed = [o for o in objs if o] + [big]
    assert rt.free_bulk(None, mixed, 1) == []
    assert not rt.large and rt.validate(c) == []
    assert rt.counts(c)["total_objects"] == 32


# ---- kmalloc, kfree -------------------------------------------------------------------------
def test_kmalloc_zero_size_large_and_kfree() -> None:
    """kmalloc(0) = ZERO_SIZE_PTR (16), kfree ignores it and NULL.  kmalloc(8193) >
    KMALLOC_MAX_CACHE_SIZE (8192): ___kmalloc_large_node with get_order(8193) = 2,
    a compound page from the buddy allocator at PFN 0 (head), 1..3 tails; kfree finds
    a non-slab folio and frees it (free_large_kmalloc), merging back to order 10."""
    k, a, rt = plain()
    assert rt.kmalloc(0, 0) == ZERO_SIZE_PTR
    assert rt.kfree(ZERO_SIZE_PTR, 0) == [] and rt.kfree(0, 0) == []
    x = rt.kmalloc(8193, 0)
    assert x == PO
    assert a.pages["flags"][0] & PG_HEAD and a.pages["order"][0] == 2
    assert all(
        a.pages["flags"][p] & PG_TAIL and a.pages["compound_head"][p] == 0 for p in (1, 2, 3)
    )
    info = rt.object_info(x + 5000)
    assert info == {"address": x + 5000, "slab": False, "large_kmalloc": True, "pfn": 0, "order": 2}
    assert rt.kfree(x, 0) == []
    assert a.free_block_pfns(10)[:1] == [0] and a.free_pages_count == a.nr_pages
    assert rt.kfree(PO + 5 * PAGE, 0) == ["page dumped because: Not a kmalloc allocation"]


def test_kmalloc_picks_the_cache_and_type() -> None:
    """kmalloc_slab(): 100 bytes -> kmalloc-128, with __GFP_RECLAIMABLE
    kmalloc-rcl-128; kfree finds the cache from the slab page."""
    k, a, rt = plain()
    x = rt.kmalloc(100, 0)
    y = rt.kmalloc(100, 1, gfp="reclaimable")
    assert x is not None and y is not None
    assert rt.object_info(x)["cache"] == "kmalloc-128"
    assert rt.object_info(y)["cache"] == "kmalloc-rcl-128"
    assert rt.kfree(y, 0) == [] and rt.kfree(x, 0) == []
    assert rt.object_info(x)["allocated"] is False


def test_zeroing_and_init_on_free() -> None:
    """__GFP_ZERO clears object_size bytes; init_on_free wipes the object on free and
    maybe_wipe_obj_freeptr clears an inside free pointer at the next allocation."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 64)
    x = rt.alloc(c, 0)
    assert x is not None
    a.fill(x, 64, 0x77)
    rt.free(c, x, 0)
    assert rt.alloc(c, 0, zero=True) == x
    assert a.read(x, 64) == bytes(64)
    k2, _, _ = plain()
    a2 = PageArena(64 << 20, k2.config.arch, page_offset=PO, max_order=10)
    rt2 = SlubRuntime(k2, a2, nr_cpus=2, init_on_free=True)
    c2 = kmalloc_cache(k2, 64)
    y = rt2.alloc(c2, 0)
    assert y is not None
    a2.fill(y, 64, 0x77)
    rt2.free(c2, y, 0)
    assert a2.read(y, 32) == bytes(32) and word(a2, y + 32) != 0  # the free pointer
    assert rt2.alloc(c2, 0) == y and a2.read(y, 64) == bytes(64)


def test_wrong_cache_is_reported_and_freed_to_the_right_one() -> None:
    """cache_from_obj() with SLAB_FREELIST_HARDENED: the object's slab names another
    cache; the kernel WARNs and frees it to the cache it belongs to."""
    k, a, rt = make()
    c512, c64 = kmalloc_cache(k, 512), kmalloc_cache(k, 64)
    x = rt.alloc(c512, 0)
    assert x is not None
    out = rt.free(c64, x, 0)
    assert out == ["cache_from_obj: Wrong slab cache. kmalloc-64 but object is from kmalloc-512"]
    assert rt.object_info(x)["allocated"] is False
    assert rt.free(c64, PO + 40 * PAGE, 0) == ["virt_to_cache: Object is not a Slab page!"]


# ---- slab construction ----------------------------------------------------------------------
def test_constructor_runs_in_freelist_order() -> None:
    """A cache of 100-byte objects with a ctor: the free pointer goes after the
    object (offset ALIGN(100, 8) = 104), size 112, order 0 (4096 % 112 = 64 <= 256),
    36 objects.  allocate_slab runs setup_object -> ctor on every object of the new
    slab in address order before the first object is handed out."""
    k, a, rt = plain()
    seen: list[int] = []

    def ctor(obj: int) -> None:
        seen.append(obj)
        a.write_word(obj, 0xC0FFEE, 8)

    c = k.kmem_cache_create("ctor_cache", 100, 0, 0, ctor)
    assert c is not None and (c.offset, c.size, c.order, c.objects) == (104, 112, 0, 36)
    x = rt.alloc(c, 0)
    assert x == PO and seen == [PO + 112 * i for i in range(36)]
    assert word(a, x) == 0xC0FFEE and word(a, x + 104) == PO + 112


def test_min_order_fallback() -> None:
    """With only single free pages left (every odd page of a 32-page arena in use),
    alloc_pages(oo order 1) fails and allocate_slab falls back to s->min: order 0,
    8 objects.  The even pages were freed 0, 2, ..., 30, none could merge (buddies in
    use) and each went to the head, so the slab is at PFN 30."""
    k, a, rt = plain(mem=32 * PAGE)
    pages = [a.alloc_pages(0) for _ in range(32)]
    assert pages == list(range(32))
    for p in range(0, 32, 2):
        a.free_pages(p, 0)
    c = kmalloc_cache(k, 512)
    x = rt.alloc(c, 0)
    assert x == PO + 30 * PAGE
    assert rt.node_state(c)["total_objects"] == 8
    assert [rt.alloc(c, 0) for _ in range(7)] == [PO + 30 * PAGE + 512 * i for i in range(1, 8)]


def test_freelist_randomization_follows_the_random_sequence() -> None:
    """CONFIG_SLAB_FREELIST_RANDOM: init_cache_random_seq shuffles 0..15 (Fisher-Yates
    with rand(i + 1) for i = 15..1) and scales by the size; shuffle_freelist starts
    at pos = rand(16) and chains the slab's objects in sequence order (wrapping).
    Replaying the cache's generator gives the expected order."""
    k, a, rt = make(slab_freelist_hardened=False)
    c = kmalloc_cache(k, 512)
    st_ = rt.state(c)
    seq = st_.random_seq
    assert seq is not None and sorted(seq) == [512 * i for i in range(16)]
    # the same draws by hand (no s->random draw first: hardening is off here)
    rng = np.random.default_rng([0, *b"kmalloc-512"])
    draws = rng.integers(0, np.arange(16, 1, -1))
    manual = list(range(16))
    for i, r in zip(range(15, 0, -1), draws.tolist()):
        manual[i], manual[r] = manual[r], manual[i]
    assert [512 * x for x in manual] == seq
    pos = int(copy.deepcopy(st_.rng).integers(0, 16))
    expect = [PO + seq[(pos + i) % 16] for i in range(16)]
    got = [rt.alloc(c, 0) for _ in range(16)]
    assert got == expect


def test_min_order_slab_skips_offsets_beyond_it() -> None:
    """next_freelist_entry() skips sequence entries >= objects * size of a smaller
    (min order, 8 objects) slab."""
    k, a, rt = make(mem=32 * PAGE, slab_freelist_hardened=False)
    for _ in range(32):
        a.alloc_pages(0)
    for p in range(0, 32, 2):
        a.free_pages(p, 0)
    c = kmalloc_cache(k, 512)
    st_ = rt.state(c)
    assert st_.random_seq is not None
    pos = int(copy.deepcopy(st_.rng).integers(0, 16))
    order = [st_.random_seq[(pos + i) % 16] for i in range(16)]
    expect = [PO + 30 * PAGE + off for off in order if off < 8 * 512]
    assert [rt.alloc(c, 0) for _ in range(8)] == expect


def test_out_of_memory() -> None:
    """A 2-page arena holds one order-1 slab; the 17th allocation finds no page of
    order 1 nor 0: slab_out_of_memory prints its lines and alloc returns NULL."""
    k, a, rt = plain(mem=2 * PAGE)
    c = kmalloc_cache(k, 512)
    assert all(rt.alloc(c, 0) is not None for _ in range(16))
    assert rt.alloc(c, 0) is None
    assert rt.log[-3:] == [
        "SLUB: Unable to allocate memory on CPU 0 (of node 0) on node -1, gfp=0xcc0(GFP_KERNEL)",
        "  cache: kmalloc-512, object size: 512, buffer size: 512, default order: 1, min order: 0",
        "  node 0: slabs: 1, objs: 16, free: 0",
    ]


def test_slub_tiny_allocates_one_object_at_a_time() -> None:
    """CONFIG_SLUB_TINY: no cpu slabs; __slab_alloc_node takes single objects
    (get_partial -> alloc_single_from_partial, else new_slab ->
    alloc_single_from_new_slab, which puts the slab at the node partial head), and
    __slab_free goes to free_to_partial_list.  MIN_PARTIAL is 0, so the slab is
    discarded as soon as its last object is freed."""
    k, a, rt = plain(slub_tiny=True)
    c = kmalloc_cache(k, 512)
    assert (c.order, c.objects, c.min_partial) == (1, 16, 0)
    x, y = alloc(rt, c, 0), alloc(rt, c, 1)
    assert (x, y) == (PO, PO + 512)
    assert rt.cpu_state(c, 0)["slab"] is None and rt.node_state(c)["partial"] == [0]
    assert rt.free(c, x, 0) == [] and rt.node_state(c)["nr_slabs"] == 1
    assert rt.free(c, y, 1) == []
    assert rt.node_state(c)["nr_slabs"] == 0 and a.free_pages_count == a.nr_pages


# ---- views ---------------------------------------------------------------------------------------
def test_object_info_and_slab_map() -> None:
    """After 3 allocations on CPU 0 (obj0..2) and obj1 freed on CPU 1 (a remote free
    onto the frozen slab's own freelist): obj0 and obj2 are allocated, obj1 is on the
    slab freelist, obj3..15 on CPU 0's freelist."""
    k, a, rt = plain()
    c = kmalloc_cache(k, 512)
    x = [rt.alloc(c, 0) for _ in range(3)]
    rt.free(c, PO + 512, 1)
    assert rt.slab_map(0) == "#.#" + "-" * 13 == rt.slab_map(1)
    info = rt.object_info(PO + 512 + 100)
    assert info["cache"] == "kmalloc-512" and info["slab_pfn"] == 0
    assert (info["object_index"], info["object_address"], info["offset"]) == (1, PO + 512, 100)
    assert info["allocated"] is False and info["free_on"] == "slab freelist"
    assert info["slab_list"] == "cpu slab" and info["cpu"] == 0 and info["frozen"] is True
    assert rt.object_info(PO + 3 * 512)["free_on"] == "cpu 0 freelist"
    assert rt.object_info(x[2] or 0)["allocated"] is True
    assert rt.object_info(PO + 100 * PAGE) == {"address": PO + 100 * PAGE, "slab": False}


# ---- debug caches -------------------------------------------------------------------------------
def debug_kernel(kernel: str = "v6.18.2") -> tuple[SlubKernel, PageArena, SlubRuntime]:
    return plain(slub_debug="FZPU", kernel=kernel)


def test_debug_object_bytes_after_kmalloc_and_kfree() -> None:
    """slab_debug=FZPU, kmalloc-16, 6.18.2 (spec worked example): red_left_pad 16, object 16,
    right red zone 8 (inuse 24), free pointer at 24, alloc track at 32 and free
    track at 64 (32 bytes each), orig_size (u32) at 96, POISON_INUSE padding to 112,
    slot 128, 32 objects, order 0: the first slab is PFN 0, object 0 at PO + 16.

    allocate_slab: setup_slab_debug fills the page with 0x5a; setup_object ->
    init_object(SLUB_RED_INACTIVE) (left/right zones 0xbb, poison 6b..6b a5) and
    init_tracking (tracks zeroed); the free pointer of obj0 is obj1 = PO + 144.
    Debug caches never use the cpu slab: alloc_single_from_new_slab takes obj0 and
    alloc_debug_processing stores orig_size 10 and runs init_object(SLUB_RED_ACTIVE):
    the left zone 0xcc, poison only over the 10 requested bytes (9 x 6b, a5), then
    0xcc from 10 to inuse (kmalloc red zone + right red zone); set_track(ALLOC):
    addr, handle 0, cpu 0, pid 1, when 0.  The slab goes to the node partial list.

    kfree: free_to_partial_list -> free_debug_processing passes the checks, writes
    the free track (addr 0, cpu 1) and init_object(SLUB_RED_INACTIVE) over the whole
    object_size; the object goes back to the slab freelist's head."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 16)
    assert (c.size, c.offset, c.inuse, c.red_left_pad, c.objects) == (128, 24, 24, 16, 32)
    x = rt.kmalloc(10, 0, caller=0xFFFFFFFF81234567)
    assert x == PO + 16
    assert rt.cpu_state(c, 0)["slab"] is None and rt.cpu_state(c, 0)["freelist"] == 0
    assert rt.node_state(c)["partial"] == [0] and rt.node_state(c)["nr_slabs"] == 1
    slot = a.read(PO, 128)
    expect = (
        b"\xcc" * 16
        + b"\x6b" * 9
        + b"\xa5"
        + b"\xcc" * 14
        + (PO + 144).to_bytes(8, "little")
        + (0xFFFFFFFF81234567).to_bytes(8, "little")
        + bytes(4)  # handle
        + bytes(4)  # cpu 0
        + (1).to_bytes(4, "little")  # pid
        + bytes(4)  # padding
        + bytes(8)  # when
        + bytes(32)  # free track
        + (10).to_bytes(4, "little")
        + b"\x5a" * 12
    )
    assert slot == expect
    assert a.read(PO + 128, 16) == b"\xbb" * 16  # obj1's left red zone (inactive)
    # 6.18.16 and later (b85f369b81ae): orig_size is an unsigned long, the slot the same
    k16, a16, rt16 = debug_kernel("v6.18.16")
    assert rt16.kmalloc(10, 0, caller=0xFFFFFFFF81234567) == x
    assert a16.read(PO, 128) == expect[:112] + (10).to_bytes(8, "little") + b"\x5a" * 8
    assert rt.kfree(x, 1) == []
    after = a.read(PO, 128)
    assert after[:16] == b"\xbb" * 16
    assert after[16:40] == b"\x6b" * 15 + b"\xa5" + b"\xbb" * 8
    assert after[80:112] == bytes(8) + bytes(4) + (1).to_bytes(4, "little") + (1).to_bytes(
        4, "little"
    ) + bytes(12)
    assert rt.get_track(rt.state(c), x, 1) == {
        "addr": 0,
        "handle": 0,
        "cpu": 1,
        "pid": 1,
        "when": 0,
    }
    assert a.pages["freelist"][0] == x and a.pages["inuse"][0] == 0
    assert rt.validate(c) == [] and rt.validate(c, flush=True) == []


def test_debug_double_free_is_reported() -> None:
    """Two objects allocated, the second freed twice: free_consistency_checks ->
    on_freelist finds it on the slab freelist -> object_err("Object already free"),
    and free_debug_processing gives up: "Object at ... not freed"."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 16)
    x, y = alloc(rt, c, 0), alloc(rt, c, 0)
    assert (x, y) == (PO + 16, PO + 144)
    assert rt.free(c, y, 0) == []
    reports = rt.free(c, y, 0)
    assert len(reports) == 1
    lines = reports[0].splitlines()
    assert lines[:3] == [
        "=" * 77,
        "BUG kmalloc-16 (Not tainted): Object already free",
        "-" * 77,
    ]
    assert f"Object 0x{y:016x} @offset=144 fp=0x{PO + 272:016x}" in lines
    assert lines[-1] == f"FIX kmalloc-16: Object at 0x{y:016x} not freed"
    assert rt.print_tainted() == "Tainted: G    B   W          "
    assert a.pages["inuse"][0] == 1 and rt.validate(c) == []


def test_debug_double_free_into_an_empty_slab() -> None:
    """With no other object allocated, free_debug_processing first finds inuse 0 < 1
    and reports that, before any per-object check."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 16)
    x = rt.alloc(c, 0)
    assert x is not None
    rt.free(c, x, 0)
    (report,) = rt.free(c, x, 0)
    assert "BUG kmalloc-16 (Not tainted): Slab has 0 allocated objects but 1 are to be freed" in (
        report
    )


def test_debug_red_zone_overwrite_detected_at_free() -> None:
    """kmalloc(16): a write one byte past the object lands in the right red zone;
    check_object(SLUB_RED_ACTIVE) at free reports it, restores 0xcc, and the object
    is not freed."""
    k, a, rt = debug_kernel()
    x = rt.kmalloc(16, 0)
    assert x == PO + 16
    a.write(x + 16, b"\x00")
    (report,) = rt.kfree(x, 1)
    lines = report.splitlines()
    assert lines[0] == (
        f"[Right Redzone overwritten] 0x{x + 16:016x}-0x{x + 16:016x} @offset=32. "
        "First byte 0x0 instead of 0xcc"
    )
    assert lines[2] == "BUG kmalloc-16 (Not tainted): Object corrupt"
    assert f"Redzone  {x + 16:016x}: 00 cc cc cc cc cc cc cc" + " " * 26 + "........" in lines
    assert lines[-2:] == [
        f"FIX kmalloc-16: Restoring Right Redzone 0x{x + 16:016x}-0x{x + 16:016x}=0xcc",
        f"FIX kmalloc-16: Object at 0x{x:016x} not freed",
    ]
    assert a.read(x + 16, 1) == b"\xcc"
    assert rt.object_info(x)["allocated"] is True


def test_debug_kmalloc_red_zone_past_the_request() -> None:
    """kmalloc(10) red-zones bytes 10..15 (get_orig_size); writing byte 12 is a
    "kmalloc Redzone" overwrite."""
    k, a, rt = debug_kernel()
    x = rt.kmalloc(10, 0)
    assert x is not None
    a.write(x + 12, b"\x01")
    (report,) = rt.kfree(x, 0)
    assert report.splitlines()[0] == (
        f"[kmalloc Redzone overwritten] 0x{x + 12:016x}-0x{x + 12:016x} @offset=28. "
        "First byte 0x1 instead of 0xcc"
    )


def test_debug_use_after_free_detected_at_alloc() -> None:
    """obj0 freed, then written (use after free).  The next allocation:
    get_partial_node -> alloc_single_from_partial takes obj0 off the slab freelist,
    alloc_consistency_checks -> check_object(SLUB_RED_INACTIVE) finds the poison
    broken; alloc_debug_processing marks the slab all used and frozen ("Marking all
    objects used"), it leaves the partial list, and the object comes from a new slab
    (PFN 1, object 0 at PO + 4096 + 16).  A later free into the disabled slab is
    refused by check_slab."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 16)
    x, y = rt.alloc(c, 0), rt.alloc(c, 0)
    assert x is not None and y is not None
    rt.free(c, x, 0)
    a.write(x + 3, b"\x00")
    z = rt.alloc(c, 1)
    assert z == PO + PAGE + 16
    report = rt.log[-1]
    assert report.splitlines()[0] == (
        f"[Poison overwritten] 0x{x + 3:016x}-0x{x + 3:016x} @offset=19. "
        "First byte 0x0 instead of 0x6b"
    )
    assert report.splitlines()[-2:] == [
        f"FIX kmalloc-16: Restoring Poison 0x{x + 3:016x}-0x{x + 3:016x}=0x6b",
        "FIX kmalloc-16: Marking all objects used",
    ]
    assert (a.pages["inuse"][0], a.pages["frozen"][0], a.pages["freelist"][0]) == (32, 1, 0)
    assert rt.node_state(c)["partial"] == [1]
    (refused,) = rt.free(c, y, 0)
    assert "Slab disabled since SLUB metadata consistency check failed" in refused
    assert refused.endswith(f"FIX kmalloc-16: Object at 0x{y:016x} not freed")


def test_debug_slab_padding_check() -> None:
    """kmalloc-96 with FZPU: size 224 (orig_size and tracks), 18 objects in a page,
    4096 - 18 * 224 = 64 bytes of POISON_INUSE at the end (setup_slab_debug);
    overwriting one is found by slab_pad_check in check_slab at the next alloc."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 96)
    assert (c.size, c.objects, c.order) == (224, 18, 0)
    x = rt.alloc(c, 0)
    assert x is not None
    a.write(PO + 4096 - 10, b"\x00")
    rt.alloc(c, 0)
    report = rt.log[-1]
    assert report.splitlines()[1] == (
        f"BUG kmalloc-96 (Not tainted): Padding overwritten. 0x{PO + 4086:016x}"
        f"-0x{PO + 4086:016x} @offset=4086"
    )
    assert report.endswith(
        f"FIX kmalloc-96: Restoring slab padding 0x{PO + 4086:016x}-0x{PO + 4086:016x}=0x5a"
    )


def test_debug_store_user_full_list() -> None:
    """A store-user cache keeps full slabs on n->full (add_full): after 32 objects of
    kmalloc-16 the first slab is full; freeing one moves it back to the partial
    list's tail (remove_full + add_partial)."""
    k, a, rt = debug_kernel()
    c = kmalloc_cache(k, 16)
    objs = [rt.alloc(c, 0) for _ in range(33)]
    assert rt.node_state(c)["full"] == [0] and rt.node_state(c)["partial"] == [1]
    rt.free(c, objs[0] or 0, 0)
    assert rt.node_state(c)["full"] == [] and rt.node_state(c)["partial"] == [1, 0]
    assert rt.validate(c, flush=True) == []


# ---- validation ----------------------------------------------------------------------------------
def test_validate_finds_a_freelist_cycle() -> None:
    """Non-debug, hardened: a, b allocated; free a, free b, free a again.  The last
    free is not caught by BUG_ON (the head is b), and makes a -> b -> a: a cycle on
    CPU 0's freelist, found by validate()."""
    k, a, rt = make()
    c = kmalloc_cache(k, 512)
    x, y = rt.alloc(c, 0), rt.alloc(c, 0)
    assert x is not None and y is not None
    rt.free(c, x, 0)
    rt.free(c, y, 0)
    assert rt.free(c, x, 0) == []
    reports = rt.validate(c)
    assert len(reports) == 1 and "Freelist cycle detected" in reports[0]


def test_validate_finds_a_pointer_outside_the_slab() -> None:
    """Slab 0 (full) gets one object back (CPU partial list, freelist obj0 -> NULL);
    overwriting obj0's free pointer with a value that decodes outside the slab is
    reported by on_freelist as "Freechain corrupt" (nothing repaired)."""
    k, a, rt = make(slab_freelist_random=False)
    c = kmalloc_cache(k, 512)
    objs = [rt.alloc(c, 0) for _ in range(17)]
    rt.free(c, PO, 0)
    assert objs[0] == PO and rt.cpu_state(c, 0)["partial"] == [0]
    a.write_word(PO + 256, 0x1234, 8)
    reports = rt.validate(c)
    assert len(reports) == 1
    assert "BUG kmalloc-512 (Not tainted): Freechain corrupt" in reports[0]
    assert word(a, PO + 256) == 0x1234


# ---- speed --------------------------------------------------------------------------------------
def test_fast_path_speed() -> None:
    """alloc + free pairs on the fast path: far above 20,000 pairs/s (the target is
    100,000; the development machine does about 700,000)."""
    k, a, rt = make()
    c = kmalloc_cache(k, 64)
    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        x = rt.alloc(c, 0)
        rt.free(c, x or 0, 0)
    assert time.perf_counter() - start < 1.0


# ---- random sequences ----------------------------------------------------------------------------
class SlubMachine(RuleBasedStateMachine):
    """Random alloc/free/kmalloc/kfree/bulk/flush/shrink on 2 CPUs over a small
    arena; after each step the books must balance."""

    options: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        self.k, self.a, self.rt = make(mem=2 << 20, **self.options)
        ctor_cache = self.k.kmem_cache_create("rnd_ctor", 200, 0, 0, lambda obj: None)
        assert ctor_cache is not None
        self.caches = [kmalloc_cache(self.k, n) for n in (8, 64, 512, 4096)] + [ctor_cache]
        self.held: dict[int, SlubCache | None] = {}  # address -> cache (None: large)

    def _take(self, addr: int | None, cache: SlubCache | None) -> None:
        if addr is None:
            return
        assert addr not in self.held, f"{addr:#x} handed out twice"
        self.held[addr] = cache

    def _pick(self, pick: int) -> int | None:
        if not self.held:
            return None
        return sorted(self.held)[pick % len(self.held)]

    @rule(ci=st.integers(0, 4), cpu=st.integers(0, 1))
    def alloc(self, ci: int, cpu: int) -> None:
        self._take(self.rt.alloc(self.caches[ci], cpu), self.caches[ci])

    @rule(size=st.integers(1, 20000), cpu=st.integers(0, 1))
    def kmalloc(self, size: int, cpu: int) -> None:
        x = self.rt.kmalloc(size, cpu)
        cache = self.k.kmalloc_slab(size)
        if x is not None:
            info = self.rt.object_info(x)
            assert info.get("cache", None) == (cache.name if cache else None)
        self._take(x, cache)

    @rule(pick=st.integers(0, 10**6), cpu=st.integers(0, 1), kfree=st.booleans())
    def free(self, pick: int, cpu: int, kfree: bool) -> None:
        x = self._pick(pick)
        if x is None:
            return
        cache = self.held.pop(x)
        if kfree or cache is None:
            assert self.rt.kfree(x, cpu) == []
        else:
            assert self.rt.free(cache, x, cpu) == []

    @rule(ci=st.integers(0, 4), n=st.integers(1, 40), cpu=st.integers(0, 1))
    def alloc_bulk(self, ci: int, n: int, cpu: int) -> None:
        objs = self.rt.alloc_bulk(self.caches[ci], n, cpu)
        assert len(objs) in (0, n)
        for x in objs:
            self._take(x, self.caches[ci])

    @rule(picks=st.lists(st.integers(0, 10**6), max_size=30), cpu=st.integers(0, 1))
    def free_bulk(self, picks: list[int], cpu: int) -> None:
        chosen: list[int] = []
        for p in picks:
            x = self._pick(p)
            if x is not None and x not in chosen:
                chosen.append(x)
                self.held.pop(x)
        if chosen:
            assert self.rt.free_bulk(None, chosen, cpu) == []

    @rule(ci=st.integers(0, 4), cpu=st.integers(0, 1))
    def flush(self, ci: int, cpu: int) -> None:
        self.rt.flush_cpu_slab(self.caches[ci], cpu)

    @rule(ci=st.integers(0, 4))
    def shrink(self, ci: int) -> None:
        self.rt.shrink(self.caches[ci])

    @invariant()
    def books_balance(self) -> None:
        rt, a = self.rt, self.a
        slab_pages = 0
        for stt in rt.by_id:
            free_partial = 0
            for slab in stt.slabs.values():
                slab_pages += 1 << slab.order
                free = rt._free_objects(stt, slab)
                objects = set(rt._objects(stt, slab))
                held = {x for x in self.held if slab.addr <= x < slab.end}
                assert set(free) <= objects and held <= objects
                assert not held & set(free)
                assert len(held) + len(free) == slab.objects
                assert slab.inuse == slab.objects - len(rt._slab_freelist(stt, slab))
                if slab.node_partial:
                    free_partial += slab.objects - slab.inuse
            n = stt.node
            assert n.nr_slabs == len(stt.slabs) and n.nr_partial == len(n.partial)
            assert n.total_objects == sum(s.objects for s in stt.slabs.values())
            counts = rt.counts(stt.cache)
            in_cache = sum(1 for x, c in self.held.items() if c is stt.cache)
            assert counts["objects"] == n.total_objects - free_partial >= in_cache
            assert rt.validate(stt.cache) == []
        large = sum(1 << o for o in rt.large.values())
        assert a.free_pages_count + slab_pages + large == a.nr_pages
        assert not [m for m in rt.log if not m.startswith(("SLUB: Unable", "  "))]


TestSlubRandom = SlubMachine.TestCase
TestSlubRandom.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class SlubDebugMachine(SlubMachine):
    """The same with slab_debug=FZPU (every cache a debug cache, free pointers
    hardened, freelists random): no report may appear."""

    options = {"slub_debug": "FZPU"}


TestSlubDebugRandom = SlubDebugMachine.TestCase
TestSlubDebugRandom.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("nr_cpus", [1, 4])
def test_other_cpu_counts(nr_cpus: int) -> None:
    """Per-CPU state exists for every CPU; CPU ids outside are rejected."""
    k, a, rt = make(nr_cpus=nr_cpus)
    c = kmalloc_cache(k, 64)
    xs = [rt.alloc(c, cpu) for cpu in range(nr_cpus)]
    assert len({x for x in xs if x}) == nr_cpus
    with pytest.raises(slabhw.InputError):
        rt.alloc(c, nr_cpus)
