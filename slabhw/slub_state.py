"""The state of SLUB (Linux 6.18) at run time, as :mod:`slabhw.slub_runtime` and
:mod:`slabhw.slub_checks` keep it: ``struct slab`` (:class:`Slab`), ``struct
kmem_cache_cpu`` (:class:`KmemCacheCpu`), ``struct kmem_cache_node``
(:class:`KmemCacheNode`), the run-time half of ``struct kmem_cache``
(:class:`CacheState`), the ``LIST_*`` codes saying which list a slab is on, and the
exception a ``BUG()`` raises inside an operation.

Holds no allocator code; see slabhw/slub_runtime.py for the model and its
simplifications.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core
from .slub import SlubCache

if TYPE_CHECKING:
    from .slub_runtime import SlubRuntime

# Where a slab is (the struct page field ``list``)
LIST_NONE = 0  # full (or leaked) and on no list
LIST_NODE_PARTIAL = 1  # n->partial
LIST_CPU_SLAB = 2  # c->slab of a CPU (frozen)
LIST_CPU_PARTIAL = 3  # c->partial of a CPU
LIST_FULL = 4  # n->full (SLAB_STORE_USER caches only)
LIST_NAMES = {
    LIST_NONE: "full",
    LIST_NODE_PARTIAL: "node partial",
    LIST_CPU_SLAB: "cpu slab",
    LIST_CPU_PARTIAL: "cpu partial",
    LIST_FULL: "node full",
}

_MASK64 = (1 << 64) - 1


class _Oops(Exception):
    """A BUG()/BUG_ON() fired: the operation ends and the message is reported."""


class Slab:
    """struct slab as the model keeps it (mirrored into the arena's struct pages)."""

    __slots__ = (
        "pfn",
        "addr",
        "end",
        "order",
        "objects",
        "inuse",
        "freelist",
        "frozen",
        "node_partial",
        "slabs",
        "where",
        "cpu",
        "counted",
        "state",
    )

    def __init__(self, state: CacheState, pfn: int, addr: int, order: int, objects: int):
        self.state = state
        self.pfn = pfn
        self.addr = addr  # slab_address()
        self.end = addr + (state.page_size << order)
        self.order = order
        self.objects = objects
        self.inuse = 0
        self.freelist = 0  # address of the first free object, 0 for NULL
        self.frozen = 0
        self.node_partial = False  # SL_partial: on n->partial
        self.slabs = 0  # CPU partial list: slabs from here to the list's end
        self.where = LIST_NONE
        self.cpu = -1  # which CPU for LIST_CPU_SLAB / LIST_CPU_PARTIAL
        self.counted = False  # inc_slabs_node() was done


class KmemCacheCpu:
    """struct kmem_cache_cpu: the lockless freelist, its slab, the partial list."""

    __slots__ = ("freelist", "slab", "partial", "tid", "lo", "hi")

    def __init__(self, cpu: int) -> None:
        self.freelist = 0
        self.slab: Slab | None = None
        self.partial: list[Slab] = []  # head first (c->partial, then ->next ...)
        self.tid = cpu  # init_tid()
        self.lo = 0  # [lo, hi): the address range of ``slab`` (empty when none)
        self.hi = 0


class KmemCacheNode:
    """struct kmem_cache_node of node 0 with the CONFIG_SLUB_DEBUG counters."""

    __slots__ = ("partial", "nr_partial", "nr_slabs", "total_objects", "full")

    def __init__(self) -> None:
        self.partial: list[Slab] = []  # head first
        self.nr_partial = 0
        self.nr_slabs = 0
        self.total_objects = 0
        self.full: list[Slab] = []  # only SLAB_STORE_USER caches (add_full)


class CacheState:
    """The run-time half of one struct kmem_cache: what the kernel keeps beside the
    layout (s->random, s->random_seq, cpu_slab, node[0]), plus the model's set of
    the cache's slabs."""

    def __init__(self, rt: SlubRuntime, cache: SlubCache, cache_id: int) -> None:
        cfg = rt.kernel.config
        f = rt.kernel.flags
        self.cache = cache
        self.cache_id = cache_id
        self.name = cache.name
        self.page_size = cfg.page_size
        lay = cache.layout
        self.size = int(lay.size)
        self.offset = int(lay.offset)
        self.red_left_pad = int(lay.red_left_pad)
        self.order = int(lay.order)
        self.objects = int(lay.objects)
        self.min_order = int(lay.min_order)
        self.min_objects = int(lay.min_objects)
        flags = int(lay.flags)
        self.flags = flags
        # kmem_cache_debug_flags(): the slub_debug_enabled key is on whenever a cache
        # has debug flags (__kmem_cache_create_args turns it on), so the flag test is it
        self.debug = bool(flags & rt.kernel.params.flag_debug_flags)  # kmem_cache_debug()
        # CONFIG_SLUB_TINY has no cpu slabs: like debug caches, one object at a time
        self.tiny = cfg.on("slub_tiny")
        self.single = self.debug or self.tiny
        self.checks = bool(flags & f.get("SLAB_CONSISTENCY_CHECKS"))
        self.red_zone = bool(flags & f.get("SLAB_RED_ZONE"))
        self.poison = bool(flags & f.get("SLAB_POISON"))
        self.object_poison = bool(flags & f.get("__OBJECT_POISON"))
        self.store_user = bool(flags & f.get("SLAB_STORE_USER"))
        self.trace = bool(flags & f.get("SLAB_TRACE"))
        self.kmalloc = bool(flags & f.get("SLAB_KMALLOC"))
        self.rcu = bool(flags & f.get("SLAB_TYPESAFE_BY_RCU"))
        self.orig_size_debug = self.store_user and self.kmalloc  # slub_debug_orig_size()
        self.left = self.red_left_pad if self.red_zone else 0  # fixup_red_left()
        self.has_cpu_partial = cfg.on("slub_cpu_partial") and not self.single
        self.hardened = cfg.on("slab_freelist_hardened")
        self.track_size = rt.kernel.params.track_size
        # the kmalloc orig_size word: unsigned int in 6.18.2 (unsigned long after the
        # stable fix b85f369b81ae), as the layout computation has it
        self.orig_size_size = rt.kernel.params.orig_size_size
        self.ctor: Callable[[Any], None] | None = cache.ctor
        # s->random, then s->random_seq (do_kmem_cache_create's order)
        entropy = [rt.seed & _MASK64, *cache.name.encode()]
        self.rng = np.random.default_rng(entropy)
        self.random = int(self.rng.integers(0, 1 << 64, dtype=np.uint64)) if self.hardened else 0
        self.random_seq: list[int] | None = None
        if cfg.on("slab_freelist_random"):
            self.random_seq = self._init_cache_random_seq()
        self.fp: _core.FreePointers | None = None  # for csrc/runtime.c (made on first use)
        # setup_object() does nothing: no debug bytes to write, no constructor to call
        self.no_setup = self.ctor is None and not (
            self.red_zone or self.object_poison or self.store_user
        )
        self.cpus = [KmemCacheCpu(cpu) for cpu in range(rt.nr_cpus)]
        self.node = KmemCacheNode()
        self.slabs: dict[int, Slab] = {}  # head PFN -> slab (the model's own index)
        # slab_want_init_on_alloc() without __GFP_ZERO, slab_want_init_on_free()
        self.init_on_alloc_static = rt.init_on_alloc
        self.init_on_alloc = rt.init_on_alloc and not (self.ctor or self.rcu or self.poison)
        self.init_on_free = rt.init_on_free and not (self.ctor or self.rcu or self.poison)
        # the fast paths apply when nothing else has to happen to the object
        self.plain = not self.init_on_alloc and not self.init_on_free and not rt.swap

    def want_init_on_alloc(self, zero: bool) -> bool:
        """slab_want_init_on_alloc(): with init_on_alloc, never for ctor caches and only
        with __GFP_ZERO for RCU or poisoned caches; else just __GFP_ZERO."""
        if self.init_on_alloc_static:
            if self.ctor is not None:
                return False
            if self.rcu or self.poison:
                return zero
            return True
        return zero

    # live values (__kmem_cache_alias may grow object_size and inuse)
    @property
    def object_size(self) -> int:
        return int(self.cache.layout.object_size)

    @property
    def inuse(self) -> int:
        return int(self.cache.layout.inuse)

    @property
    def min_partial(self) -> int:
        return int(self.cache.layout.min_partial)

    @property
    def cpu_partial_slabs(self) -> int:
        """slub_get_cpu_partial(); 0 without CONFIG_SLUB_CPU_PARTIAL."""
        return int(self.cache.layout.cpu_partial_slabs) if self.has_cpu_partial else 0

    def info_end(self) -> int:
        """get_info_end(): inuse, plus the free pointer when it is outside the object."""
        inuse = self.inuse
        return inuse + 8 if self.offset >= inuse else inuse

    def pad_start(self) -> int:
        """Where the padding of a debug slot starts (check_pad_bytes, print_trailer):
        after get_info_end(), the two tracks of SLAB_STORE_USER and the original size
        of a kmalloc cache (slub_debug_orig_size())."""
        off = self.info_end()
        if self.store_user:
            off += 2 * self.track_size
        if self.orig_size_debug:
            off += self.orig_size_size
        return off

    def _init_cache_random_seq(self) -> list[int] | None:
        """init_cache_random_seq() / cache_random_seq_create() / freelist_randomize():
        a Fisher-Yates shuffle of 0..count-1 (swap list[i] with list[rand(i + 1)] for
        i = count-1 .. 1), scaled to byte offsets; none for fewer than 2 objects."""
        count = self.objects
        if count < 2:
            return None
        seq = list(range(count))
        draws = self.rng.integers(0, np.arange(count, 1, -1))  # bounds i+1, i = count-1..1
        for i, r in zip(range(count - 1, 0, -1), draws.tolist()):
            seq[i], seq[r] = seq[r], seq[i]
        return [x * self.size for x in seq]

    def get_random_u32_below(self, n: int) -> int:
        return int(self.rng.integers(0, n))
