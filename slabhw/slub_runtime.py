"""SLUB (Linux 6.18) at run time: slabs in the page arena, the per-CPU slab and
freelist, per-CPU and per-node partial lists, kmalloc/kfree, bulk operations, and
the slab_debug checks, over a :class:`~slabhw.arena.PageArena`.

Follows mm/slub.c of 6.18.2 function by function (the names in the docstrings are
the kernel's): ``allocate_slab``/``shuffle_freelist``/``setup_object`` build a slab,
``slab_alloc_node`` -> ``__slab_alloc_node`` (lockless fast path) -> ``___slab_alloc``
(cpu slab, cpu partial list, ``get_partial_node``, ``new_slab``) allocate,
``do_slab_free`` (fast path) -> ``__slab_free`` / ``free_to_partial_list`` free,
``deactivate_slab``, ``put_cpu_partial``, ``__put_partials``, ``discard_slab`` move
slabs between lists, and ``kmem_cache_alloc_bulk`` / ``kmem_cache_free_bulk``
(``build_detached_freelist``) work in batches.  Free pointers are real bytes in the
arena at ``object + s->offset``, encoded as ``freelist_ptr_encode`` does with
CONFIG_SLAB_FREELIST_HARDENED (``ptr ^ s->random ^ swab(ptr_addr)``).  Debug caches
(any SLAB_DEBUG_FLAGS) never use the per-CPU slab, exactly as in 6.18: they allocate
one object at a time under the node lock (``alloc_single_from_partial``,
``alloc_single_from_new_slab``) and free through ``free_to_partial_list`` with
``alloc_debug_processing`` / ``free_debug_processing``: poison, red zones, tracks,
the kmalloc original size, and the checks of ``check_object``, ``on_freelist``,
``check_slab`` and ``slab_pad_check``, reported in the kernel's words.

Exact: list order (head/tail insertion), when slabs are frozen, discarded, moved
between lists; the counters of CONFIG_SLUB_DEBUG (``nr_slabs``, ``total_objects``)
and ``nr_partial``; the bytes of free pointers, poison, red zones, tracks, orig_size;
the page allocator calls (so the PFNs, given the buddy allocator of the arena); the
order of ``setup_object`` (and so of ctor calls); the tid arithmetic.

Speed: the per-object byte work of ``alloc_bulk``/``free_bulk`` and of a new slab's
freelist (without debug bytes or a constructor) runs in csrc/runtime.c through
``_core.FreePointers``, with the control flow and per-slab books kept here; the
object-by-object Python code stays as the reference (``fast = False``), and
tests/test_runtime_fast.py holds the two to the same bytes, addresses and lists.

Simplified (documented):

* one CPU runs at a time: no preemption, no cmpxchg retries, no interrupts; the
  ``cpu`` argument says which CPU's ``kmem_cache_cpu`` an operation uses, so
  "remote" frees (an object freed on another CPU than its slab's) are modelled.
* random numbers: ``s->random``, the ``init_cache_random_seq``/``freelist_randomize``
  Fisher-Yates shuffle and the start position ``shuffle_freelist`` draws per slab
  come from a numpy Generator seeded by ``seed`` and the cache's name (caches with
  the same name get the same numbers).  The algorithms are the kernel's; the
  numbers differ from a real kernel's ``get_random_*``.
* one NUMA node (node 0) with one zone; no pfmemalloc, no memcg/objcg, no KFENCE,
  no KASAN, no kmemleak, no per-CPU sheaves (a cache with ``sheaf_capacity`` uses
  the classic per-CPU slab path here), no CONFIG_SLUB_STATS counters.
* ``SLAB_TYPESAFE_BY_RCU`` slabs are freed at once (no RCU grace period).
* tracks store the caller address given to alloc/free, stack-depot handle 0 (so
  reports say "object allocation/free stack trace missing"), ``pid`` and
  ``jiffies`` taken from the runtime's attributes of those names (defaults 1 and
  0), and the CPU of the operation.
* reports print pointers unhashed (as with ``no_hash_pointers``), the struct slab
  address as ``vmemmap`` of x86_64 without KASLR (0xffffea0000000000 + 64 * pfn),
  page flags as the arena's PG_* bits, symbols as hex addresses; the ``WARNING:``
  and stack dumps of ``WARN_ON`` are not printed; rate limits are not modelled.
* the "slab leaked" and "wrong cache" paths of broken callers keep the model's
  books consistent where the kernel would corrupt memory; a freelist cycle that
  would make the kernel loop for ever raises ``KernelHang``, a free pointer to
  unmapped memory raises ``KernelTrap``; a ``BUG_ON`` (the hardened free pointer's
  naive double-free check) is reported and ends the operation.
* options ``init_on_alloc``/``init_on_free`` (boot parameters) and ``zero``
  (__GFP_ZERO) are supported; the default TID step is that of the reference
  configuration (CONFIG_PREEMPTION with CONFIG_NR_CPUS=256: 256).
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import _core, errors
from . import reference_slub as rs
from .arena import PG_HEAD, PG_SLAB, PG_TAIL, PageArena
from .errors import InputError, KernelHang, KernelTrap
from .slub import SlubCache, SlubKernel

# include/linux/poison.h
POISON_INUSE = 0x5A
POISON_FREE = 0x6B
POISON_END = 0xA5
SLUB_RED_INACTIVE = 0xBB
SLUB_RED_ACTIVE = 0xCC

ZERO_SIZE_PTR = 16  # include/linux/slab.h
NUMA_NO_NODE = -1
GFP_KERNEL = 0xCC0  # for slab_out_of_memory's message
SHRINK_PROMOTE_MAX = 32
MAX_PARTIAL_TO_SCAN = 10000
TID_STEP = 256  # roundup_pow_of_two(CONFIG_NR_CPUS = 256) with CONFIG_PREEMPTION
VMEMMAP_START = 0xFFFFEA0000000000  # x86_64, 4-level paging, no KASLR
STRUCT_PAGE_SIZE = 64
TRACK_ALLOC, TRACK_FREE = 0, 1
DEACTIVATE_TO_HEAD, DEACTIVATE_TO_TAIL = 0, 1
SET_FREEPOINTER_BUG = "kernel BUG at mm/slub.c:634!"  # BUG_ON(object == fp)

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

# taint flags set by the slab reports (kernel/panic.c taint_flags[])
TAINT_BAD_PAGE = 5
TAINT_WARN = 9
_TAINT_CHARS = "PFSRMBUDAWCIOELKXTNJ"
_TAINT_FALSE = "G" + " " * 19

_MASK64 = (1 << 64) - 1


def swab64(x: int) -> int:
    """swab() of an unsigned long on 64-bit: the 8 bytes reversed."""
    return int.from_bytes((x & _MASK64).to_bytes(8, "little"), "big")


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
        debug_flags = sum(
            f.get(n)
            for n in (
                "SLAB_RED_ZONE",
                "SLAB_POISON",
                "SLAB_STORE_USER",
                "SLAB_TRACE",
                "SLAB_CONSISTENCY_CHECKS",
            )
        )
        # kmem_cache_debug_flags(): the slub_debug_enabled key is on whenever a cache
        # has debug flags (__kmem_cache_create_args turns it on), so the flag test is it
        self.debug = bool(flags & debug_flags)  # kmem_cache_debug()
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


class SlubRuntime:
    """The SLUB allocator of a simulated 6.18 kernel running over a PageArena.

    ``alloc``/``free`` are kmem_cache_alloc/kmem_cache_free, ``kmalloc``/``kfree``
    the kmalloc family, ``alloc_bulk``/``free_bulk`` the bulk calls.  Kernel
    messages go to ``log`` (dmesg); ``free``/``kfree``/``free_bulk`` also return the
    reports they caused.
    """

    def __init__(
        self,
        kernel: SlubKernel,
        arena: PageArena,
        *,
        nr_cpus: int,
        seed: int = 0,
        init_on_alloc: bool = False,
        init_on_free: bool = False,
        tid_step: int = TID_STEP,
    ) -> None:
        if not isinstance(kernel, SlubKernel):
            raise InputError("SlubRuntime runs SLUB (v6.18) kernels")
        if kernel.config.arch.word_bits != 64:
            raise InputError("SlubRuntime models 64-bit kernels only")
        if arena.page_size != kernel.config.page_size:
            raise InputError("the arena's page size differs from the kernel's")
        if not 1 <= nr_cpus:
            raise InputError(f"nr_cpus must be at least 1, not {nr_cpus}")
        self.kernel = kernel
        self.arena = arena
        self.nr_cpus = nr_cpus
        self.seed = seed
        self.init_on_alloc = init_on_alloc
        self.init_on_free = init_on_free
        self.tid_step = tid_step
        self.log: list[str] = kernel.log  # dmesg: one log for the kernel and its run time
        self.pid = 1  # current->pid stored in tracks
        self.jiffies = 0  # stored in tracks ("when"); advance it to age objects
        self.tainted = 0
        self.states: dict[int, CacheState] = {}  # id(SlubCache) -> state
        self.by_id: list[CacheState] = []  # struct page slab_cache -> state
        self.large: dict[int, int] = {}  # large kmalloc folios: head PFN -> order
        self._page_slab: dict[int, Slab] = {}  # every PFN of every slab -> slab
        self._po = arena.page_offset
        self._mem = arena.memory
        self._memsize = int(arena.memory.size)
        self._q = arena.memory.data.cast("B").cast("Q")  # 8-byte words
        self.byteorder: Any = arena.arch_byteorder
        self.swap = self.byteorder != sys.byteorder
        self._track_head = struct.Struct(
            ("<" if self.byteorder == "little" else ">")
            + ("QIii" if kernel.config.on("stackdepot") else "Qii")
        )
        self._pg_flags = arena.pages["flags"]
        self._pg_order = arena.pages["order"]
        self._pg_head = arena.pages["compound_head"]
        self._pg_cache = arena.pages["slab_cache"]
        self._pg_freelist = arena.pages["freelist"]
        self._pg_inuse = arena.pages["inuse"]
        self._pg_objects = arena.pages["objects"]
        self._pg_frozen = arena.pages["frozen"]
        self._pg_list = arena.pages["list"]
        self.kmalloc_max_cache_size = 1 << kernel.config.slub_kmalloc_shift_high
        # The bulk calls and new slabs do their per-object byte work in csrc/runtime.c
        # (through _core.FreePointers) when that gives the bytes of the Python code
        # below; ``fast = False`` runs the Python code only (the readable reference).
        # _slab_keys mirrors _page_slab for it: _core.slab_key of each slab page, else
        # 0 (zero pages cost nothing until touched).
        self._keyed = arena.nr_pages <= 1 << 32
        self.fast = self._keyed
        self._slab_keys = np.zeros(arena.nr_pages, dtype=np.uint64)
        kernel.runtime = self  # sysfs and slabinfo of the kernel now show these counts

    # ==== per-cache state ============================================================
    def state(self, cache: SlubCache) -> CacheState:
        """The run-time state of a cache (created on first use, by object identity)."""
        st = self.states.get(id(cache))
        if st is None:
            st = CacheState(self, cache, len(self.by_id))
            self.states[id(cache)] = st
            self.by_id.append(st)
        return st

    def _cpu(self, cpu: int) -> None:
        if not 0 <= cpu < self.nr_cpus:
            raise InputError(f"cpu {cpu} is not online (0..{self.nr_cpus - 1})")

    # ==== memory: free pointers ======================================================
    def _fault(self, addr: int) -> KernelTrap:
        top = addr >> 47
        if top not in (0, (1 << 17) - 1):
            msg = f"general protection fault, probably for non-canonical address 0x{addr:x}"
        else:
            msg = f"BUG: unable to handle page fault for address: {addr:016x}"
        return KernelTrap(errors.BUG, msg)

    def _load(self, addr: int) -> int:
        """An unsigned long at a direct-map address."""
        i = addr - self._po
        if 0 <= i < self._memsize and not i & 7:
            v: int = self._q[i >> 3]
            return swab64(v) if self.swap else v
        if 0 <= i and i + 8 <= self._memsize:
            return self.arena.read_word(addr, 8)
        raise self._fault(addr)

    def _store(self, addr: int, value: int) -> None:
        i = addr - self._po
        if 0 <= i < self._memsize and not i & 7:
            self._q[i >> 3] = swab64(value) if self.swap else value
        elif 0 <= i and i + 8 <= self._memsize:
            self.arena.write_word(addr, value, 8)
        else:
            raise self._fault(addr)

    def get_freepointer(self, st: CacheState, obj: int) -> int:
        """get_freepointer() / freelist_ptr_decode()."""
        ptr_addr = obj + st.offset
        v = self._load(ptr_addr)
        if st.hardened:
            v ^= st.random ^ swab64(ptr_addr)
        return v

    def set_freepointer(self, st: CacheState, obj: int, fp: int) -> None:
        """set_freepointer() / freelist_ptr_encode(); BUG_ON(object == fp) when
        hardened."""
        if st.hardened and obj == fp:
            raise _Oops(SET_FREEPOINTER_BUG)
        ptr_addr = obj + st.offset
        self._store(ptr_addr, (fp ^ st.random ^ swab64(ptr_addr)) if st.hardened else fp)

    # ==== struct page mirror =========================================================
    def _sync(self, slab: Slab) -> None:
        p = slab.pfn
        self._pg_freelist[p] = slab.freelist
        self._pg_inuse[p] = slab.inuse
        self._pg_frozen[p] = slab.frozen
        self._pg_list[p] = slab.where

    def _set_where(self, slab: Slab, where: int, cpu: int = -1) -> None:
        slab.where = where
        slab.cpu = cpu
        self._pg_list[slab.pfn] = where

    def _set_cpu_slab(self, c: KmemCacheCpu, slab: Slab | None, cpu: int) -> None:
        c.slab = slab
        if slab is None:
            c.lo = c.hi = 0
        else:
            c.lo, c.hi = slab.addr, slab.end
            self._set_where(slab, LIST_CPU_SLAB, cpu)

    def virt_to_slab(self, addr: int) -> Slab | None:
        """virt_to_slab(): the slab of an address, None when it is not a slab page."""
        i = addr - self._po
        if not 0 <= i < self._memsize:
            return None
        return self._page_slab.get(i >> self.arena.page_shift)

    # ==== slab pages: allocate_slab, new_slab, __free_slab ===========================
    def _alloc_slab_page(self, st: CacheState, order: int, objects: int) -> Slab | None:
        """alloc_slab_page(): the pages, __folio_set_slab and the compound page."""
        pfn = self.arena.alloc_pages(order)
        if pfn is None:
            return None
        slab = Slab(st, pfn, self.arena.pfn_to_virt(pfn), order, objects)
        self._pg_flags[pfn] |= PG_SLAB | (PG_HEAD if order else 0)
        self._pg_order[pfn] = order
        for tail in range(pfn + 1, pfn + (1 << order)):
            self._pg_flags[tail] |= PG_TAIL
            self._pg_head[tail] = pfn
        for page in range(pfn, pfn + (1 << order)):
            self._page_slab[page] = slab
        if self._keyed:
            self._slab_keys[pfn : pfn + (1 << order)] = _core.slab_key(st.cache_id, pfn)
        self._pg_cache[pfn] = st.cache_id
        self._pg_objects[pfn] = objects
        st.slabs[pfn] = slab
        return slab

    def allocate_slab(self, st: CacheState) -> Slab | None:
        """allocate_slab(): pages of the oo order, else of the min order; the objects
        set up (setup_slab_debug, setup_object) and chained, shuffled or in address
        order.  new_slab() adds nothing for the model."""
        slab = self._alloc_slab_page(st, st.order, st.objects)
        if slab is None:
            slab = self._alloc_slab_page(st, st.min_order, st.min_objects)
            if slab is None:
                return None
        slab.inuse = 0
        slab.frozen = 0
        if st.poison:  # setup_slab_debug()
            self.arena.fill(slab.addr, slab.end - slab.addr, POISON_INUSE)
        if self.fast and st.no_setup:
            self._link_new_slab(st, slab)
        elif not self.shuffle_freelist(st, slab):
            p = slab.addr + st.left
            self.setup_object(st, p)
            slab.freelist = p
            for _ in range(slab.objects - 1):
                nxt = p + st.size
                self.setup_object(st, nxt)
                self.set_freepointer(st, p, nxt)
                p = nxt
            self.set_freepointer(st, p, 0)
        self._sync(slab)
        return slab

    def freepointers(self, st: CacheState) -> _core.FreePointers:
        """The cache's free pointers for csrc/runtime.c (made on first use)."""
        if st.fp is None:
            st.fp = _core.FreePointers(
                self._mem,
                self._slab_keys,
                page_offset=self._po,
                page_shift=self.arena.page_shift,
                offset=st.offset,
                random=st.random,
                hardened=st.hardened,
                swap=self.swap,
                cache_id=st.cache_id,
                span=st.page_size << max(st.order, st.min_order),
                random_seq=st.random_seq,
            )
        return st.fp

    def _link_new_slab(self, st: CacheState, slab: Slab) -> None:
        """The freelist of a new slab when setup_object does nothing: the free
        pointers shuffle_freelist or the address-order loop of allocate_slab write,
        written by one C call (the same random draw, the same bytes)."""
        fp = st.fp or self.freepointers(st)
        start = slab.addr + st.left
        if slab.objects >= 2 and st.random_seq is not None:
            pos = st.get_random_u32_below(st.objects)
            slab.freelist = fp.link_shuffled(pos, slab.objects * st.size, start, slab.objects)
        else:
            fp.link_range(start, st.size, slab.objects)
            slab.freelist = start

    def shuffle_freelist(self, st: CacheState, slab: Slab) -> bool:
        """shuffle_freelist(): walk the cache's random sequence from a random start,
        skipping offsets beyond a smaller (min order) slab."""
        seq = st.random_seq
        if slab.objects < 2 or seq is None:
            return False
        count = st.objects  # oo_objects(s->oo)
        pos = st.get_random_u32_below(count)
        page_limit = slab.objects * st.size
        start = slab.addr + st.left

        def next_freelist_entry() -> int:
            nonlocal pos
            while True:
                idx = seq[pos]
                pos += 1
                if pos >= count:
                    pos = 0
                if idx < page_limit:
                    return start + idx

        cur = next_freelist_entry()
        self.setup_object(st, cur)
        slab.freelist = cur
        for _ in range(1, slab.objects):
            nxt = next_freelist_entry()
            self.setup_object(st, nxt)
            self.set_freepointer(st, cur, nxt)
            cur = nxt
        self.set_freepointer(st, cur, 0)
        return True

    def setup_object(self, st: CacheState, obj: int) -> None:
        """setup_object(): setup_object_debug (init_object inactive, init_tracking),
        then the constructor."""
        if st.red_zone or st.object_poison or st.store_user:
            self.init_object(st, obj, SLUB_RED_INACTIVE)
            if st.store_user:  # init_tracking()
                self.arena.fill(obj + st.info_end(), 2 * st.track_size, 0)
        if st.ctor is not None:
            st.ctor(obj)

    def _free_slab_pages(self, st: CacheState, slab: Slab) -> None:
        """__free_slab(): clear the slab state of the pages and free them."""
        pfn, order = slab.pfn, slab.order
        for page in range(pfn, pfn + (1 << order)):
            self._pg_flags[page] &= ~(PG_SLAB | PG_HEAD | PG_TAIL) & 0xFFFFFFFF
            self._pg_head[page] = 0
            del self._page_slab[page]
        self._slab_keys[pfn : pfn + (1 << order)] = 0
        self._pg_cache[pfn] = -1
        self._pg_objects[pfn] = 0
        self._pg_inuse[pfn] = 0
        self._pg_freelist[pfn] = 0
        self._pg_frozen[pfn] = 0
        self._pg_list[pfn] = LIST_NONE
        del st.slabs[pfn]
        self.arena.free_pages(pfn, order)

    def free_slab(self, st: CacheState, slab: Slab) -> None:
        """free_slab(): with consistency checks, slab_pad_check and check_object on
        every object first.  RCU caches are freed at once (no grace period)."""
        if st.checks:
            self.slab_pad_check(st, slab)
            for obj in self._objects(st, slab):
                self.check_object(st, slab, obj, SLUB_RED_INACTIVE)
        self._free_slab_pages(st, slab)

    def discard_slab(self, st: CacheState, slab: Slab) -> None:
        """discard_slab(): dec_slabs_node, free_slab."""
        self.dec_slabs_node(st, slab)
        self._set_where(slab, LIST_NONE)
        self.free_slab(st, slab)

    def _objects(self, st: CacheState, slab: Slab) -> range:
        """for_each_object()."""
        start = slab.addr + st.left
        return range(start, slab.addr + slab.objects * st.size, st.size)

    # ==== node lists and counters ====================================================
    def inc_slabs_node(self, st: CacheState, slab: Slab) -> None:
        st.node.nr_slabs += 1
        st.node.total_objects += slab.objects
        slab.counted = True

    def dec_slabs_node(self, st: CacheState, slab: Slab) -> None:
        st.node.nr_slabs -= 1
        st.node.total_objects -= slab.objects
        slab.counted = False

    def add_partial(self, st: CacheState, slab: Slab, tail: int) -> None:
        """__add_partial(): head or tail of n->partial, SL_partial set."""
        n = st.node
        n.nr_partial += 1
        if tail == DEACTIVATE_TO_TAIL:
            n.partial.append(slab)
        else:
            n.partial.insert(0, slab)
        slab.node_partial = True
        self._set_where(slab, LIST_NODE_PARTIAL)

    def remove_partial(self, st: CacheState, slab: Slab) -> None:
        n = st.node
        n.partial.remove(slab)
        slab.node_partial = False
        n.nr_partial -= 1
        self._set_where(slab, LIST_NONE)

    def add_full(self, st: CacheState, slab: Slab) -> None:
        """add_full(): only SLAB_STORE_USER caches keep a full list."""
        if st.store_user:
            st.node.full.insert(0, slab)
            self._set_where(slab, LIST_FULL)

    def remove_full(self, st: CacheState, slab: Slab) -> None:
        if st.store_user and slab in st.node.full:
            st.node.full.remove(slab)
            self._set_where(slab, LIST_NONE)

    # ==== per-CPU partial lists ======================================================
    def put_cpu_partial(self, st: CacheState, slab: Slab, drain: bool, cpu: int) -> None:
        """put_cpu_partial(): push on this CPU's partial list; with ``drain`` and a
        list already holding cpu_partial_slabs slabs, that list goes to the node
        first (__put_partials)."""
        c = st.cpus[cpu]
        slabs = 0
        to_put: list[Slab] = []
        if c.partial:
            old = c.partial[0]
            if drain and old.slabs >= st.cpu_partial_slabs:
                to_put, c.partial = c.partial, []
            else:
                slabs = old.slabs
        slab.slabs = slabs + 1
        c.partial.insert(0, slab)
        self._set_where(slab, LIST_CPU_PARTIAL, cpu)
        if to_put:
            self.put_partials(st, to_put)

    def put_partials(self, st: CacheState, partial: list[Slab]) -> None:
        """__put_partials(): to the node list's tail, or (empty slabs while the node
        has min_partial slabs) discarded, in the reverse order of collection."""
        n = st.node
        to_discard: list[Slab] = []
        for slab in partial:
            if not slab.inuse and n.nr_partial >= st.min_partial:
                to_discard.insert(0, slab)
                self._set_where(slab, LIST_NONE)
            else:
                self.add_partial(st, slab, DEACTIVATE_TO_TAIL)
        for slab in to_discard:
            self.discard_slab(st, slab)

    # ==== slab freelist transfers ====================================================
    def get_freelist(self, st: CacheState, slab: Slab) -> int:
        """get_freelist(): take the slab's freelist; frozen only if there was one."""
        freelist = slab.freelist
        slab.inuse = slab.objects
        slab.frozen = 1 if freelist else 0
        slab.freelist = 0
        self._sync(slab)
        return freelist

    def freeze_slab(self, st: CacheState, slab: Slab) -> int:
        """freeze_slab(): a partial slab becomes the cpu slab."""
        freelist = slab.freelist
        slab.inuse = slab.objects
        slab.frozen = 1
        slab.freelist = 0
        self._sync(slab)
        return freelist

    def deactivate_slab(self, st: CacheState, slab: Slab, freelist: int) -> None:
        """deactivate_slab(): splice the CPU freelist onto the slab's, unfreeze, and
        put the slab on the node list (head, or tail if it had remote frees), discard
        it when empty and the node has min_partial slabs, or leave it full."""
        n = st.node
        tail = DEACTIVATE_TO_TAIL if slab.freelist else DEACTIVATE_TO_HEAD
        free_delta = 0
        freelist_tail = 0
        it = freelist
        while it:
            nextfree = self.get_freepointer(st, it)
            if self.freelist_corrupted(st, slab, it, nextfree):
                it = 0
                break
            freelist_tail = it
            free_delta += 1
            if free_delta > slab.objects:
                raise KernelHang(
                    errors.HANG,
                    f"deactivate_slab({st.name}): the CPU freelist of slab 0x{slab.addr:x} "
                    "has a cycle; the kernel loops for ever",
                )
            it = nextfree
        if freelist_tail:
            slab.inuse -= free_delta
            self.set_freepointer(st, freelist_tail, slab.freelist)
            slab.freelist = freelist
        slab.frozen = 0
        self._set_where(slab, LIST_NONE)
        self._sync(slab)
        if not slab.inuse and n.nr_partial >= st.min_partial:
            self.discard_slab(st, slab)
        elif slab.freelist:
            self.add_partial(st, slab, tail)

    def freelist_corrupted(self, st: CacheState, slab: Slab, obj: int, nextfree: int) -> bool:
        """freelist_corrupted() (consistency checks only; debug caches have no CPU
        slab in 6.18, so it never fires there)."""
        if st.checks and not self.check_valid_pointer(st, slab, nextfree):
            self.object_err(st, slab, obj, "Freechain corrupt")
            self.slab_fix(st, "Isolate corrupted freechain")
            return True
        return False

    # ==== allocation =================================================================
    def alloc(
        self, cache: SlubCache, cpu: int, caller: int = 0, *, zero: bool = False
    ) -> int | None:
        """kmem_cache_alloc(): slab_alloc_node -> __slab_alloc_node.  The fast path
        takes c->freelist and advances it with get_freepointer_safe."""
        st = self.states.get(id(cache)) or self.state(cache)
        if not 0 <= cpu < self.nr_cpus:
            self._cpu(cpu)
        c = st.cpus[cpu]
        obj = c.freelist
        if obj and c.slab is not None and st.plain and not zero:
            ptr_addr = obj + st.offset
            i = ptr_addr - self._po
            v = self._q[i >> 3] if 0 <= i < self._memsize and not i & 7 else self._load(ptr_addr)
            if st.hardened:
                v ^= st.random ^ int.from_bytes(ptr_addr.to_bytes(8, "little"), "big")
            c.freelist = v
            c.tid += self.tid_step
            return obj
        return self.slab_alloc_node(st, cpu, caller, st.object_size, zero)

    def slab_alloc_node(
        self, st: CacheState, cpu: int, addr: int, orig_size: int, zero: bool = False
    ) -> int | None:
        """slab_alloc_node(): __slab_alloc_node, maybe_wipe_obj_freeptr and
        slab_post_alloc_hook."""
        try:
            obj = self._slab_alloc_node(st, cpu, addr, orig_size)
        except _Oops as oops:
            self._emit([str(oops)])
            return None
        if obj:
            self.maybe_wipe_obj_freeptr(st, obj)
            self.slab_post_alloc_hook(st, [obj], st.want_init_on_alloc(zero), orig_size)
        return obj or None

    def _slab_alloc_node(self, st: CacheState, cpu: int, addr: int, orig_size: int) -> int:
        """__slab_alloc_node(): the lockless fast path or ___slab_alloc."""
        c = st.cpus[cpu]
        obj = c.freelist
        if not obj or c.slab is None:
            return self.slab_alloc_slow(st, cpu, addr, orig_size)
        c.freelist = self.get_freepointer(st, obj)
        c.tid += self.tid_step
        return obj

    def maybe_wipe_obj_freeptr(self, st: CacheState, obj: int) -> None:
        if st.init_on_free and st.offset < st.inuse:
            self.arena.fill(obj + st.offset, 8, 0)

    def slab_post_alloc_hook(
        self, st: CacheState, objs: Sequence[int], init: bool, orig_size: int
    ) -> None:
        """slab_post_alloc_hook(): zero the object (or only the requested size of a
        kmalloc object with red zones or store-user) for __GFP_ZERO / init_on_alloc."""
        if not init:
            return
        zero_size = st.object_size
        if (st.store_user or st.red_zone) and st.kmalloc:
            zero_size = orig_size
        for obj in objs:
            self.arena.fill(obj, zero_size, 0)

    def slab_alloc_slow(self, st: CacheState, cpu: int, addr: int, orig_size: int) -> int:
        """___slab_alloc(): refill from the cpu slab's freelist (get_freelist), else
        the next slab of the CPU partial list, else get_partial from the node, else a
        new slab.  Returns 0 when out of memory."""
        c = st.cpus[cpu]
        slab = c.slab
        freelist = 0
        if slab is not None:
            freelist = c.freelist
            if not freelist:
                freelist = self.get_freelist(st, slab)
                if not freelist:  # DEACTIVATE_BYPASS: the slab is full, on no list
                    self._set_cpu_slab(c, None, cpu)
                    self._set_where(slab, LIST_NONE)
                    c.tid += self.tid_step
            if freelist:
                return self._load_freelist(st, c, freelist)
        # new_slab: the CPU partial list
        while c.partial:
            slab = c.partial.pop(0)
            self._set_cpu_slab(c, slab, cpu)
            freelist = self.get_freelist(st, slab)
            return self._load_freelist(st, c, freelist)
        while True:  # new_objects
            slab, obj = self.get_partial_node(st, cpu, orig_size)
            if slab is not None:
                if st.single:
                    if st.store_user:
                        self.set_track(st, obj, TRACK_ALLOC, addr, cpu)
                    return obj
                freelist = self.freeze_slab(st, slab)
                return self._retry_load_slab(st, c, slab, freelist, cpu)
            slab = self.allocate_slab(st)
            if slab is None:
                self.slab_out_of_memory(st, cpu)
                return 0
            if st.single:  # (the SLUB_TINY __slab_alloc_node does the same)
                obj = self.alloc_single_from_new_slab(st, slab, orig_size)
                if not obj:
                    continue  # goto new_objects
                if st.store_user:
                    self.set_track(st, obj, TRACK_ALLOC, addr, cpu)
                return obj
            freelist = slab.freelist
            slab.freelist = 0
            slab.inuse = slab.objects
            slab.frozen = 1
            self.inc_slabs_node(st, slab)
            self._sync(slab)
            return self._retry_load_slab(st, c, slab, freelist, cpu)

    def _retry_load_slab(
        self, st: CacheState, c: KmemCacheCpu, slab: Slab, freelist: int, cpu: int
    ) -> int:
        """retry_load_slab: flush a cpu slab that appeared meanwhile, install this one."""
        while c.slab is not None:
            old, old_freelist = c.slab, c.freelist
            self._set_cpu_slab(c, None, cpu)
            c.freelist = 0
            c.tid += self.tid_step
            self.deactivate_slab(st, old, old_freelist)
        self._set_cpu_slab(c, slab, cpu)
        return self._load_freelist(st, c, freelist)

    def _load_freelist(self, st: CacheState, c: KmemCacheCpu, freelist: int) -> int:
        """load_freelist: the first object is returned, the rest is c->freelist."""
        c.freelist = self.get_freepointer(st, freelist)
        c.tid += self.tid_step
        return freelist

    def get_partial_node(self, st: CacheState, cpu: int, orig_size: int) -> tuple[Slab | None, int]:
        """get_partial_node(): debug caches take one object from the first usable
        partial slab; others take the first slab for the CPU and move more to the CPU
        partial list until more than cpu_partial_slabs / 2 were moved."""
        n = st.node
        if not n.nr_partial:
            return None, 0
        partial: Slab | None = None
        partial_slabs = 0
        for slab in list(n.partial):
            if st.single:
                obj = self.alloc_single_from_partial(st, slab, orig_size)
                if obj:
                    return slab, obj
                continue
            self.remove_partial(st, slab)
            if partial is None:
                partial = slab
                if st.cpu_partial_slabs == 0:
                    break
            else:
                self.put_cpu_partial(st, slab, False, cpu)
                partial_slabs += 1
                if partial_slabs > st.cpu_partial_slabs // 2:
                    break
        return partial, 0

    def alloc_single_from_partial(self, st: CacheState, slab: Slab, orig_size: int) -> int:
        """alloc_single_from_partial(): one object off a partial slab of a debug cache;
        the slab moves to the full list when that was its last free object."""
        obj = slab.freelist
        slab.freelist = self.get_freepointer(st, obj)
        slab.inuse += 1
        if not self.alloc_debug_processing(st, slab, obj, orig_size):
            self.remove_partial(st, slab)
            self._sync(slab)
            return 0
        if slab.inuse == slab.objects:
            self.remove_partial(st, slab)
            self.add_full(st, slab)
        self._sync(slab)
        return obj

    def alloc_single_from_new_slab(self, st: CacheState, slab: Slab, orig_size: int) -> int:
        """alloc_single_from_new_slab(): one object off a new slab of a debug cache,
        which then goes to the partial list's head (or the full list)."""
        obj = slab.freelist
        slab.freelist = self.get_freepointer(st, obj)
        slab.inuse = 1
        if not self.alloc_debug_processing(st, slab, obj, orig_size):
            self._sync(slab)
            return 0  # the slab is leaked, as in the kernel
        if slab.inuse == slab.objects:
            self.add_full(st, slab)
        else:
            self.add_partial(st, slab, DEACTIVATE_TO_HEAD)
        self.inc_slabs_node(st, slab)
        self._sync(slab)
        return obj

    def alloc_debug_processing(self, st: CacheState, slab: Slab, obj: int, orig_size: int) -> bool:
        """alloc_debug_processing(): consistency checks, then trace, set_orig_size and
        init_object(SLUB_RED_ACTIVE); on failure the slab is marked all used and
        frozen."""
        if st.checks and not self.alloc_consistency_checks(st, slab, obj):
            self.slab_fix(st, "Marking all objects used")
            slab.inuse = slab.objects
            slab.freelist = 0
            slab.frozen = 1
            return False
        self.trace(st, slab, obj, True)
        self.set_orig_size(st, obj, orig_size)
        self.init_object(st, obj, SLUB_RED_ACTIVE)
        return True

    def alloc_consistency_checks(self, st: CacheState, slab: Slab, obj: int) -> bool:
        if not self.check_slab(st, slab):
            return False
        if not self.check_valid_pointer(st, slab, obj):
            self.object_err(st, slab, obj, "Freelist Pointer check fails")
            return False
        return self.check_object(st, slab, obj, SLUB_RED_INACTIVE)

    def slab_out_of_memory(self, st: CacheState, cpu: int) -> None:
        """slab_out_of_memory() (no rate limit)."""
        cache = st.cache
        lines = [
            f"SLUB: Unable to allocate memory on CPU {cpu} (of node 0) on node {NUMA_NO_NODE}, "
            f"gfp={GFP_KERNEL:#x}(GFP_KERNEL)",
            f"  cache: {st.name}, object size: {st.object_size}, buffer size: {st.size}, "
            f"default order: {st.order}, min order: {st.min_order}",
        ]
        if st.min_order > rs.get_order(self.kernel.params, cache.object_size):
            lines.append(f"  {st.name} debugging increased min order, use slab_debug=O to disable.")
        n = st.node
        lines.append(
            f"  node 0: slabs: {n.nr_slabs}, objs: {n.total_objects}, "
            f"free: {self.count_partial_free_approx(st)}"
        )
        self.log.extend(lines)

    # ==== free =======================================================================
    def free(self, cache: SlubCache, addr: int, cpu: int, caller: int = 0) -> list[str]:
        """kmem_cache_free(): cache_from_obj, slab_free -> do_slab_free.  The fast path
        pushes the object on c->freelist when its slab is this CPU's slab.  Returns
        the reports the free caused (empty when all is well)."""
        st = self.states.get(id(cache)) or self.state(cache)
        if not 0 <= cpu < self.nr_cpus:
            self._cpu(cpu)
        c = st.cpus[cpu]
        ptr_addr = addr + st.offset
        if c.lo <= addr and ptr_addr < c.hi and st.plain and not addr & 7:
            fl = c.freelist
            if st.hardened:
                if fl == addr:
                    return self._emit([SET_FREEPOINTER_BUG])
                fl ^= st.random ^ int.from_bytes(ptr_addr.to_bytes(8, "little"), "big")
            self._q[(ptr_addr - self._po) >> 3] = fl
            c.freelist = addr
            c.tid += self.tid_step
            return []
        start = len(self.log)
        slab = self.virt_to_slab(addr)
        if slab is None:
            self._warn("virt_to_cache: Object is not a Slab page!")
            return self.log[start:]
        target = slab.state
        if target is not st and (st.hardened or st.checks):  # cache_from_obj()
            self._warn(
                f"cache_from_obj: Wrong slab cache. {st.name} but object is from {target.name}"
            )
            self.log.extend(self.print_tracking(target, addr))
        self._slab_free(target, slab, addr, cpu, caller)
        return self.log[start:]

    def _slab_free(self, st: CacheState, slab: Slab, obj: int, cpu: int, addr: int) -> None:
        """slab_free(): slab_free_hook, then do_slab_free."""
        try:
            self.slab_free_hook(st, obj)
            self.do_slab_free(st, slab, obj, obj, 1, cpu, addr)
        except _Oops as oops:
            self._emit([str(oops)])

    def slab_free_hook(self, st: CacheState, obj: int) -> None:
        """slab_free_hook() with init_on_free: clear the object and the metadata after
        it (not the left red zone, not an outside free pointer), keep orig_size."""
        if not st.init_on_free:
            return
        inuse = st.info_end()
        orig_size = self.get_orig_size(st, obj)
        self.arena.fill(obj, orig_size, 0)
        rsize = st.red_left_pad if st.red_zone else 0
        self.arena.fill(obj + inuse, st.size - inuse - rsize, 0)
        self.set_orig_size(st, obj, orig_size)

    def do_slab_free(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> None:
        """do_slab_free(): onto c->freelist when the slab is this CPU's slab, else
        __slab_free."""
        c = st.cpus[cpu]
        if slab is not c.slab:
            self.slab_free_slow(st, slab, head, tail, cnt, cpu, addr)
            return
        self.set_freepointer(st, tail, c.freelist)
        c.freelist = head
        c.tid += self.tid_step

    def slab_free_slow(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> None:
        """__slab_free(): push onto the slab's freelist; a full slab goes to this CPU's
        partial list (or the node's without CPU partials); an empty slab on the node
        list is discarded when the node has min_partial slabs."""
        if st.single:
            self.free_to_partial_list(st, slab, head, tail, cnt, cpu, addr)
            return
        n = st.node
        prior = slab.freelist
        was_frozen = slab.frozen
        self.set_freepointer(st, tail, prior)
        new_inuse = slab.inuse - cnt
        took_lock = False
        on_node_partial = False
        if (not new_inuse or not prior) and not was_frozen:
            if not st.has_cpu_partial or prior:
                took_lock = True
                on_node_partial = slab.node_partial
        slab.freelist = head
        slab.inuse = new_inuse
        self._sync(slab)
        if not took_lock:
            if not was_frozen and st.has_cpu_partial and not prior:
                self.put_cpu_partial(st, slab, True, cpu)
            return
        if prior and not on_node_partial:
            return
        if not new_inuse and n.nr_partial >= st.min_partial:
            if prior:
                self.remove_partial(st, slab)
            self.discard_slab(st, slab)
            return
        if not st.has_cpu_partial and not prior:
            self.add_partial(st, slab, DEACTIVATE_TO_TAIL)

    def free_to_partial_list(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> None:
        """free_to_partial_list(): debug caches free under the node lock after
        free_debug_processing; the slab leaves the full list, and an empty slab is
        discarded when the node has min_partial slabs."""
        n = st.node
        slab_free = False
        ok, cnt = self.free_debug_processing(st, slab, head, tail, cnt, cpu, addr)
        if ok:
            prior = slab.freelist
            slab.inuse -= cnt
            self.set_freepointer(st, tail, prior)
            slab.freelist = head
            if slab.inuse == 0 and n.nr_partial >= st.min_partial:
                slab_free = True
            if not prior:
                self.remove_full(st, slab)
                if not slab_free:
                    self.add_partial(st, slab, DEACTIVATE_TO_TAIL)
            elif slab_free:
                self.remove_partial(st, slab)
            self._sync(slab)
        if slab_free:
            self.dec_slabs_node(st, slab)
            self._set_where(slab, LIST_NONE)
            self.free_slab(st, slab)

    def free_debug_processing(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> tuple[bool, int]:
        """free_debug_processing(): check_slab, then for each object of head..tail the
        consistency checks, the free track, trace, init_object(SLUB_RED_INACTIVE)."""
        obj = head
        ok = False
        n = 0
        if st.checks and not self.check_slab(st, slab):
            self.slab_fix(st, f"Object at 0x{obj:016x} not freed")
            return False, cnt
        if slab.inuse < cnt and not st.tiny:  # (no SLUB_DEBUG with SLUB_TINY)
            self.slab_err(
                st,
                slab,
                f"Slab has {slab.inuse} allocated objects but {cnt} are to be freed\n",
            )
            self.slab_fix(st, f"Object at 0x{obj:016x} not freed")
            return False, cnt
        while True:
            n += 1
            if n > cnt:
                break
            if st.checks and not self.free_consistency_checks(st, slab, obj):
                self.slab_fix(st, f"Object at 0x{obj:016x} not freed")
                return False, cnt
            if st.store_user:
                self.set_track(st, obj, TRACK_FREE, addr, cpu)
            self.trace(st, slab, obj, False)
            self.init_object(st, obj, SLUB_RED_INACTIVE)
            if obj == tail:
                ok = True
                break
            obj = self.get_freepointer(st, obj)
        if n != cnt:
            self.slab_err(st, slab, f"Bulk free expected {cnt} objects but found {n}\n")
            cnt = n
        if not ok:
            self.slab_fix(st, f"Object at 0x{obj:016x} not freed")
        return ok, cnt

    def free_consistency_checks(self, st: CacheState, slab: Slab, obj: int) -> bool:
        if not self.check_valid_pointer(st, slab, obj):
            self.slab_err(st, slab, f"Invalid object pointer 0x{obj:016x}")
            return False
        if self.on_freelist(st, slab, obj):
            self.object_err(st, slab, obj, "Object already free")
            return False
        return self.check_object(st, slab, obj, SLUB_RED_ACTIVE)

    # ==== kmalloc / kfree ============================================================
    def kmalloc(
        self, size: int, cpu: int, gfp: str = "", caller: int = 0, *, zero: bool = False
    ) -> int | None:
        """__do_kmalloc_node(): large sizes from the page allocator, 0 gives
        ZERO_SIZE_PTR, others the kmalloc_slab() cache with orig_size = size."""
        self._cpu(cpu)
        if size > self.kmalloc_max_cache_size:
            return self.kmalloc_large(size, zero=zero)
        if size < 0:
            raise InputError(f"size {size} is negative")
        if not size:
            return ZERO_SIZE_PTR
        cache = self.kernel.kmalloc_slab(size, gfp, caller)
        if cache is None:
            raise InputError(f"no kmalloc cache for {size} bytes")
        st = self.state(cache)
        if not st.debug:  # orig_size only matters to debug caches
            return self.alloc(cache, cpu, caller, zero=zero)
        return self.slab_alloc_node(st, cpu, caller, size, zero)

    def kmalloc_large(self, size: int, *, zero: bool = False) -> int | None:
        """___kmalloc_large_node(): a compound page of get_order(size), marked
        large-kmalloc (the model keeps that mark in ``large``)."""
        order = rs.get_order(self.kernel.params, size)
        if order > self.arena.max_order:
            return None
        pfn = self.arena.alloc_pages(order)
        if pfn is None:
            return None
        if order:
            self._pg_flags[pfn] |= PG_HEAD
            self._pg_order[pfn] = order
            for tail in range(pfn + 1, pfn + (1 << order)):
                self._pg_flags[tail] |= PG_TAIL
                self._pg_head[tail] = pfn
        self.large[pfn] = order
        addr = self.arena.pfn_to_virt(pfn)
        if zero:
            self.arena.fill(addr, self.arena.page_size << order, 0)
        return addr

    def _folio_head(self, pfn: int) -> int:
        return int(self._pg_head[pfn]) if self._pg_flags[pfn] & PG_TAIL else pfn

    def free_large_kmalloc(self, addr: int) -> None:
        """free_large_kmalloc(); a page that is not a large kmalloc is only reported."""
        pfn = self._folio_head(self.arena.virt_to_pfn(addr))
        order = self.large.pop(pfn, None)
        if order is None:
            self._warn("page dumped because: Not a kmalloc allocation")
            return
        for page in range(pfn, pfn + (1 << order)):
            self._pg_flags[page] &= ~(PG_HEAD | PG_TAIL) & 0xFFFFFFFF
            self._pg_head[page] = 0
        self.arena.free_pages(pfn, order)

    def kfree(self, addr: int, cpu: int, caller: int = 0) -> list[str]:
        """kfree(): NULL and ZERO_SIZE_PTR ignored; slab objects through slab_free,
        other pages through free_large_kmalloc.  Returns the reports it caused."""
        self._cpu(cpu)
        if addr <= ZERO_SIZE_PTR:
            return []
        start = len(self.log)
        if not 0 <= addr - self._po < self._memsize:
            raise InputError(f"address {addr:#x} is not in the simulated direct map")
        slab = self.virt_to_slab(addr)
        if slab is None:
            self.free_large_kmalloc(addr)
            return self.log[start:]
        # slab->slab_cache; kmem_cache_free's extra cache_from_obj finds the same cache
        return self.free(slab.state.cache, addr, cpu, caller)

    # ==== bulk =======================================================================
    def alloc_bulk(self, cache: SlubCache, n: int, cpu: int, caller: int = 0) -> list[int]:
        """kmem_cache_alloc_bulk(): drain c->freelist, calling ___slab_alloc whenever it
        is empty; all or nothing (on failure the objects go back without hooks)."""
        self._cpu(cpu)
        st = self.state(cache)
        if n <= 0:
            return []
        if self.fast and not st.init_on_free:
            return self.alloc_bulk_array(cache, n, cpu, caller).tolist()  # type: ignore[no-any-return]
        return self._alloc_bulk(st, n, cpu, caller)

    def alloc_bulk_array(
        self, cache: SlubCache, n: int, cpu: int, caller: int = 0
    ) -> np.ndarray[Any, np.dtype[np.uint64]]:
        """alloc_bulk() as a uint64 array (empty on failure).  The same kernel loop,
        with each run of c->freelist taken by one C call (FreePointers.walk): the
        objects, c->freelist and the tid come out as in the loop of _alloc_bulk."""
        self._cpu(cpu)
        st = self.state(cache)
        none = np.zeros(0, dtype=np.uint64)
        if n <= 0:
            return none
        if not self.fast or st.init_on_free:  # maybe_wipe_obj_freeptr has work to do
            return np.array(self._alloc_bulk(st, n, cpu, caller), dtype=np.uint64)
        fp = st.fp or self.freepointers(st)
        c = st.cpus[cpu]
        p = np.empty(n, dtype=np.uint64)
        i = 0
        try:
            while i < n:
                obj = c.freelist
                if not obj:
                    c.tid += self.tid_step
                    obj = self.slab_alloc_slow(st, cpu, caller, st.object_size)
                    if not obj:
                        self._free_bulk(st, p[:i].tolist(), cpu, caller, hooks=False)
                        return none
                    p[i] = obj
                    i += 1
                    continue
                k, c.freelist = fp.walk(obj, p, i, n - i)
                i += k
                if i < n and c.freelist:  # a free pointer outside the arena: the trap
                    c.freelist = self.get_freepointer(st, c.freelist)
            c.tid += self.tid_step
        except _Oops as oops:
            self._emit([str(oops)])
            return none
        init = st.want_init_on_alloc(False)
        if init:
            self.slab_post_alloc_hook(st, p.tolist(), init, st.object_size)
        return p

    def _alloc_bulk(self, st: CacheState, n: int, cpu: int, caller: int) -> list[int]:
        """The loop of kmem_cache_alloc_bulk, object by object (the reference)."""
        c = st.cpus[cpu]
        p: list[int] = []
        try:
            for _ in range(n):
                obj = c.freelist
                if not obj:
                    c.tid += self.tid_step
                    obj = self.slab_alloc_slow(st, cpu, caller, st.object_size)
                    if not obj:
                        self._free_bulk(st, p, cpu, caller, hooks=False)
                        return []
                    self.maybe_wipe_obj_freeptr(st, obj)
                    p.append(obj)
                    continue
                c.freelist = self.get_freepointer(st, obj)
                p.append(obj)
                self.maybe_wipe_obj_freeptr(st, obj)
            c.tid += self.tid_step
        except _Oops as oops:
            self._emit([str(oops)])
            return []
        self.slab_post_alloc_hook(st, p, st.want_init_on_alloc(False), st.object_size)
        return p

    def free_bulk(
        self, cache: SlubCache | None, addrs: Iterable[int], cpu: int, caller: int = 0
    ) -> list[str]:
        """kmem_cache_free_bulk() (``cache`` None: kfree_bulk): detached freelists of
        objects of one slab (build_detached_freelist, from the end of the array with a
        look-ahead of 3), each reversed by slab_free_freelist_hook and freed by
        do_slab_free.  Returns the reports it caused."""
        self._cpu(cpu)
        start = len(self.log)
        st = None if cache is None else self.state(cache)
        p = self._bulk_array(addrs) if self.fast and self._keyed else None
        try:
            if p is None:
                self._free_bulk(st, list(addrs), cpu, caller, hooks=True)
            else:
                self._free_bulk_fast(st, p, cpu, caller)
        except _Oops as oops:
            self._emit([str(oops)])
        return self.log[start:]

    @staticmethod
    def _bulk_array(addrs: Iterable[int]) -> np.ndarray[Any, np.dtype[np.uint64]] | None:
        """A private uint64 copy of the addresses, None when they are not all 64-bit
        unsigned integers (the reference loop then sees them as given)."""
        if isinstance(addrs, np.ndarray):
            if addrs.dtype.kind != "u" and not (
                addrs.dtype.kind == "i" and (not addrs.size or int(addrs.min()) >= 0)
            ):
                return None
            return np.array(addrs, dtype=np.uint64).reshape(-1)
        if not isinstance(addrs, (list, tuple)):
            return None
        try:
            p = np.array(addrs, dtype=np.uint64)
        except (OverflowError, TypeError, ValueError):
            return None
        if p.ndim != 1 or not set(map(type, addrs)) <= {int}:  # no floats, bools
            return None
        return p

    def _free_bulk_fast(
        self, s: CacheState | None, p: np.ndarray[Any, np.dtype[np.uint64]], cpu: int, caller: int
    ) -> None:
        """The loop of kmem_cache_free_bulk with build_detached_freelist and
        slab_free_freelist_hook done by one C call per detached freelist
        (FreePointers.detach), do_slab_free here.  Where the C call declines (an
        object that is not in a slab of the cache, words that repeat or overlap, a
        cache with init_on_free), the reference loop goes on from the same point."""
        size = int(p.size)
        st = s
        if st is None and size:
            slab = self.virt_to_slab(int(p[size - 1]))
            st = slab.state if slab is not None else None
        while size:
            if st is None or st.init_on_free:
                break
            fp = st.fp or self.freepointers(st)
            rc, new_size, head, tail, cnt, key = fp.detach(p, size)
            if rc == _core.DETACH_OTHER_CACHE and s is None:  # kfree_bulk: that cache
                st = self.by_id[(key >> 32) - 1]
                continue
            if rc != _core.DETACH_OK:
                break
            size = new_size
            self.do_slab_free(st, st.slabs[key & 0xFFFFFFFF], head, tail, cnt, cpu, caller)
        if size:
            self._free_bulk(s, p[:size].tolist(), cpu, caller, hooks=True)

    def _free_bulk(
        self, s: CacheState | None, p: list[int], cpu: int, caller: int, *, hooks: bool
    ) -> None:
        """The loop of kmem_cache_free_bulk (hooks) / __kmem_cache_free_bulk (none)."""
        size = len(p)
        while size:
            size, df = self.build_detached_freelist(s, size, p)
            if df is None:
                continue
            st, slab, head, tail, cnt = df
            if hooks:
                head, tail, cnt = self.slab_free_freelist_hook(st, head, tail, cnt)
            self.do_slab_free(st, slab, head, tail, cnt, cpu, caller)

    def build_detached_freelist(
        self, s: CacheState | None, size: int, p: list[int]
    ) -> tuple[int, tuple[CacheState, Slab, int, int, int] | None]:
        """build_detached_freelist(): the last object starts a freelist; earlier
        objects of the same slab are pushed on it (and swapped out of the way) until
        three objects of other slabs were seen."""
        size -= 1
        obj = p[size]
        slab = self.virt_to_slab(obj)
        if slab is None:
            if s is None and 0 <= obj - self._po < self._memsize:
                self.free_large_kmalloc(obj)
            else:
                self._warn("virt_to_cache: Object is not a Slab page!")
            return size, None
        st = slab.state
        if s is not None and st is not s and (s.hardened or s.checks):
            self._warn(f"cache_from_obj: Wrong slab cache. {s.name} but object is from {st.name}")
        tail = freelist = obj
        cnt = 1
        self.set_freepointer(st, obj, 0)
        lookahead = 3
        same = size
        while size:
            size -= 1
            obj = p[size]
            if self.virt_to_slab(obj) is slab:
                self.set_freepointer(st, obj, freelist)
                freelist = obj
                cnt += 1
                same -= 1
                if size != same:
                    p[size], p[same] = p[same], p[size]
                continue
            lookahead -= 1
            if not lookahead:
                break
        return same, (st, slab, freelist, tail, cnt)

    def slab_free_freelist_hook(
        self, st: CacheState, head: int, tail: int, cnt: int
    ) -> tuple[int, int, int]:
        """slab_free_freelist_hook(): run slab_free_hook on each object and rebuild the
        freelist, which reverses it."""
        nxt = head
        new_head = new_tail = 0
        while True:
            obj = nxt
            nxt = self.get_freepointer(st, obj)
            self.slab_free_hook(st, obj)
            self.set_freepointer(st, obj, new_head)
            new_head = obj
            if not new_tail:
                new_tail = obj
            if obj == tail:
                break
        return new_head, new_tail, cnt

    # ==== flush and shrink ===========================================================
    def flush_cpu_slab(self, cache: SlubCache, cpu: int) -> None:
        """__flush_cpu_slab(): deactivate the cpu slab, then put_partials_cpu."""
        self._cpu(cpu)
        st = self.state(cache)
        c = st.cpus[cpu]
        slab, freelist = c.slab, c.freelist
        self._set_cpu_slab(c, None, cpu)
        c.freelist = 0
        c.tid += self.tid_step
        try:
            if slab is not None:
                self.deactivate_slab(st, slab, freelist)
            partial, c.partial = c.partial, []
            if partial:
                self.put_partials(st, partial)
        except _Oops as oops:
            self._emit([str(oops)])

    def flush_all(self, cache: SlubCache) -> None:
        """flush_all(): every CPU that has a cpu slab or partial slabs, in CPU order."""
        st = self.state(cache)
        for cpu, c in enumerate(st.cpus):
            if c.slab is not None or c.partial:
                self.flush_cpu_slab(cache, cpu)

    def shutdown(self, cache: SlubCache) -> int:
        """__kmem_cache_shutdown(): flush_all, then free_partial: empty node-partial
        slabs are discarded (collected with list_add, so in reverse order), the others
        reported by list_slab_objects; 1 when any slab remains."""
        self.flush_all(cache)
        st = self.state(cache)
        n = st.node
        discard: list[Slab] = []
        for slab in list(n.partial):
            if not slab.inuse:
                self.remove_partial(st, slab)
                discard.insert(0, slab)
            else:
                self.list_slab_objects(st, slab)
        for slab in discard:
            self.discard_slab(st, slab)
        return 1 if n.nr_partial or n.nr_slabs else 0

    def list_slab_objects(self, st: CacheState, slab: Slab) -> None:
        """list_slab_objects() (CONFIG_SLUB_DEBUG): the banner, each allocated object
        with its tracks, then __slab_err (the slab, taint B and W)."""
        if not self.kernel.config.on("slub_debug_config"):
            return
        lines = self.slab_bug(st, "Objects remaining on __kmem_cache_shutdown()")
        free = self._free_objects(st, slab)
        for obj in self._objects(st, slab):
            if obj not in free:
                lines.append(f"Object 0x{obj:016x} @offset={obj - slab.addr}")
                lines.extend(self.print_tracking(st, obj))
        lines.append(self.print_slab_info(slab))
        self._taint()
        self._emit(lines)

    def shrink(self, cache: SlubCache) -> int:
        """__kmem_cache_shrink(): flush_all, discard the empty node-partial slabs and
        sort the others, fullest first (SHRINK_PROMOTE_MAX buckets).  1 when slabs
        remain."""
        self.flush_all(cache)
        st = self.state(cache)
        n = st.node
        discard: list[Slab] = []
        promote: list[list[Slab]] = [[] for _ in range(SHRINK_PROMOTE_MAX)]
        rest: list[Slab] = []
        for slab in n.partial:
            free = slab.objects - slab.inuse
            if free == slab.objects:
                discard.insert(0, slab)  # list_move: to the head of "discard"
                slab.node_partial = False
                n.nr_partial -= 1
                self.dec_slabs_node(st, slab)
                self._set_where(slab, LIST_NONE)
            elif free <= SHRINK_PROMOTE_MAX:
                promote[free - 1].insert(0, slab)
            else:
                rest.append(slab)
        n.partial = [slab for bucket in promote for slab in bucket] + rest
        for slab in discard:
            self.free_slab(st, slab)
        return 1 if n.nr_slabs else 0

    # ==== debug: object layout helpers ===============================================
    def init_object(self, st: CacheState, obj: int, val: int) -> None:
        """init_object(): left red zone, poison (limited to the kmalloc request when
        red-zoning an active kmalloc object), right red zone up to inuse."""
        poison_size = st.object_size
        if st.red_zone:
            self.arena.fill(obj - st.red_left_pad, st.red_left_pad, val)
            if st.orig_size_debug and val == SLUB_RED_ACTIVE:
                poison_size = self.get_orig_size(st, obj)
        if st.object_poison:
            self.arena.fill(obj, poison_size - 1, POISON_FREE)
            self.arena.fill(obj + poison_size - 1, 1, POISON_END)
        if st.red_zone:
            self.arena.fill(obj + poison_size, st.inuse - poison_size, val)

    def _orig_size_addr(self, st: CacheState, obj: int) -> int:
        return obj + st.info_end() + 2 * st.track_size

    def set_orig_size(self, st: CacheState, obj: int, orig_size: int) -> None:
        """set_orig_size(): the requested size after the tracks (kmalloc + store-user)."""
        if st.orig_size_debug:
            self.arena.write_word(self._orig_size_addr(st, obj), orig_size, st.orig_size_size)

    def get_orig_size(self, st: CacheState, obj: int) -> int:
        if not st.orig_size_debug:
            return st.object_size
        return self.arena.read_word(self._orig_size_addr(st, obj), st.orig_size_size)

    def set_track(self, st: CacheState, obj: int, alloc: int, addr: int, cpu: int) -> None:
        """set_track_update(): addr, handle (0), cpu, pid, when, field by field."""
        p = obj + st.info_end() + alloc * st.track_size
        stackdepot = self._track_head.size == 20
        fields = (addr, 0, cpu, self.pid) if stackdepot else (addr, cpu, self.pid)
        self.arena.write(p, self._track_head.pack(*fields))
        self.arena.write_word(p + (24 if stackdepot else 16), self.jiffies, 8)

    def get_track(self, st: CacheState, obj: int, alloc: int) -> dict[str, int]:
        """A struct track, decoded."""
        p = obj + st.info_end() + alloc * st.track_size
        raw = self.arena.read(p, self._track_head.size)
        vals = self._track_head.unpack(raw)
        stackdepot = self._track_head.size == 20
        when = self.arena.read_word(p + (24 if stackdepot else 16), 8)
        if stackdepot:
            return {
                "addr": vals[0],
                "handle": vals[1],
                "cpu": vals[2],
                "pid": vals[3],
                "when": when,
            }
        return {"addr": vals[0], "handle": 0, "cpu": vals[1], "pid": vals[2], "when": when}

    def trace(self, st: CacheState, slab: Slab, obj: int, alloc: bool) -> None:
        """trace() for SLAB_TRACE caches (the object dump and stack are left out)."""
        if st.trace:
            self.log.append(
                f"TRACE {st.name} {'alloc' if alloc else 'free'} 0x{obj:016x} "
                f"inuse={slab.inuse} fp=0x{slab.freelist:016x}"
            )

    # ==== debug: checks ==============================================================
    def check_valid_pointer(self, st: CacheState, slab: Slab, obj: int) -> bool:
        """check_valid_pointer(): NULL, or the start of an object of this slab."""
        if not obj:
            return True
        base = slab.addr
        if st.red_zone:
            obj -= st.red_left_pad
        return base <= obj < base + slab.objects * st.size and not (obj - base) % st.size

    def _memchr_inv(self, start: int, value: int, length: int) -> tuple[int, int] | None:
        """memchr_inv() and the trimmed end of the bad bytes: (fault, end) or None."""
        if length <= 0:
            return None
        off = start - self._po
        bad = np.flatnonzero(self._mem[off : off + length] != value)
        if not bad.size:
            return None
        return start + int(bad[0]), start + int(bad[-1]) + 1

    def check_bytes_and_report(
        self,
        st: CacheState,
        slab: Slab,
        obj: int,
        what: str,
        start: int,
        value: int,
        length: int,
        slab_obj_print: bool,
        fix: bool = True,
    ) -> bool:
        """check_bytes_and_report(): report bytes that lost their pattern and restore
        them."""
        found = self._memchr_inv(start, value, length)
        if found is None:
            return True
        fault, end = found
        first = int(self._mem[fault - self._po])
        head = (
            f"[{what} overwritten] 0x{fault:016x}-0x{end - 1:016x} @offset={fault - slab.addr}. "
            f"First byte 0x{first:x} instead of 0x{value:x}"
        )
        lines = [head]
        if slab_obj_print:
            lines += self.object_err_lines(st, slab, obj, "Object corrupt")
        self._emit(lines)
        if fix:
            self.slab_fix(st, f"Restoring {what} 0x{fault:016x}-0x{end - 1:016x}=0x{value:x}")
            self.arena.fill(fault, end - fault, value)
        return False

    def check_pad_bytes(self, st: CacheState, slab: Slab, p: int, fix: bool = True) -> bool:
        """check_pad_bytes(): POISON_INUSE between the metadata and the next slot."""
        off = st.info_end()
        if st.store_user:
            off += 2 * st.track_size
            if st.kmalloc:
                off += st.orig_size_size
        size_from_object = st.size - st.red_left_pad if st.red_zone else st.size
        if size_from_object == off:
            return True
        return self.check_bytes_and_report(
            st, slab, p, "Object padding", p + off, POISON_INUSE, size_from_object - off, True, fix
        )

    def slab_pad_check(self, st: CacheState, slab: Slab, fix: bool = True) -> None:
        """slab_pad_check(): the left-over at the end of a poisoned slab."""
        if not st.poison:
            return
        length = slab.end - slab.addr
        remainder = length % st.size
        if not remainder:
            return
        pad = slab.end - remainder
        found = self._memchr_inv(pad, POISON_INUSE, remainder)
        if found is None:
            return
        fault, end = found
        lines = self.slab_bug(
            st, f"Padding overwritten. 0x{fault:016x}-0x{end - 1:016x} @offset={fault - slab.addr}"
        )
        lines += self.print_section("Padding ", pad, remainder)
        lines += [self.print_slab_info(slab)]
        self._taint()
        self._emit(lines)
        if fix:
            self.slab_fix(st, f"Restoring slab padding 0x{fault:016x}-0x{end - 1:016x}=0x5a")
            self.arena.fill(fault, end - fault, POISON_INUSE)

    def check_object(
        self, st: CacheState, slab: Slab, obj: int, val: int, fix: bool = True
    ) -> bool:
        """check_object(): red zones (and the kmalloc red zone past orig_size), or the
        alignment padding; poison of a free object; padding; the free pointer."""
        ret = True
        object_size, inuse = st.object_size, st.inuse
        endobject = obj + object_size
        if st.red_zone:
            if not self.check_bytes_and_report(
                st,
                slab,
                obj,
                "Left Redzone",
                obj - st.red_left_pad,
                val,
                st.red_left_pad,
                ret,
                fix,
            ):
                ret = False
            if not self.check_bytes_and_report(
                st, slab, obj, "Right Redzone", endobject, val, inuse - object_size, ret, fix
            ):
                ret = False
            if st.orig_size_debug and val == SLUB_RED_ACTIVE:
                orig_size = self.get_orig_size(st, obj)
                if object_size > orig_size and not self.check_bytes_and_report(
                    st,
                    slab,
                    obj,
                    "kmalloc Redzone",
                    obj + orig_size,
                    val,
                    object_size - orig_size,
                    ret,
                    fix,
                ):
                    ret = False
        elif st.poison and object_size < inuse:
            if not self.check_bytes_and_report(
                st,
                slab,
                obj,
                "Alignment padding",
                endobject,
                POISON_INUSE,
                inuse - object_size,
                ret,
                fix,
            ):
                ret = False
        if st.poison:
            if val != SLUB_RED_ACTIVE and st.object_poison:
                if object_size > 1 and not self.check_bytes_and_report(
                    st, slab, obj, "Poison", obj, POISON_FREE, object_size - 1, ret, fix
                ):
                    ret = False
                if not self.check_bytes_and_report(
                    st, slab, obj, "End Poison", obj + object_size - 1, POISON_END, 1, ret, fix
                ):
                    ret = False
            if not self.check_pad_bytes(st, slab, obj, fix):
                ret = False
        if (st.offset >= inuse or val != SLUB_RED_ACTIVE) and not self.check_valid_pointer(
            st, slab, self.get_freepointer(st, obj)
        ):
            self.object_err(st, slab, obj, "Freepointer corrupt")
            if fix:
                self.set_freepointer(st, obj, 0)
            ret = False
        return ret

    def check_slab(self, st: CacheState, slab: Slab, fix: bool = True) -> bool:
        """check_slab(): object count limits, the consistency-failure mark, padding."""
        maxobj = (st.page_size << slab.order) // st.size
        if slab.objects > maxobj:
            self.slab_err(st, slab, f"objects {slab.objects} > max {maxobj}")
            return False
        if slab.inuse > slab.objects:
            self.slab_err(st, slab, f"inuse {slab.inuse} > max {slab.objects}")
            return False
        if slab.frozen:
            self.slab_err(st, slab, "Slab disabled since SLUB metadata consistency check failed")
            return False
        self.slab_pad_check(st, slab, fix)
        return True

    def on_freelist(self, st: CacheState, slab: Slab, search: int, fix: bool = True) -> bool:
        """on_freelist(): whether ``search`` is on the slab's freelist, checking the
        chain (corrupt pointers, cycles) and the object count on the way."""
        nr = 0
        fp = slab.freelist
        obj = 0
        while fp and nr <= slab.objects:
            if fp == search:
                return True
            if not self.check_valid_pointer(st, slab, fp):
                if obj:
                    self.object_err(st, slab, obj, "Freechain corrupt")
                    if fix:
                        self.set_freepointer(st, obj, 0)
                    break
                self.slab_err(st, slab, "Freepointer corrupt")
                if fix:
                    slab.freelist = 0
                    slab.inuse = slab.objects
                    self._sync(slab)
                    self.slab_fix(st, "Freelist cleared")
                return False
            obj = fp
            fp = self.get_freepointer(st, obj)
            nr += 1
        if nr > slab.objects:
            self.slab_err(st, slab, "Freelist cycle detected")
            if fix:
                slab.freelist = 0
                slab.inuse = slab.objects
                self._sync(slab)
                self.slab_fix(st, "Freelist cleared")
            return False
        max_objects = min((st.page_size << slab.order) // st.size, rs.MAX_OBJS_PER_PAGE)
        if slab.objects != max_objects:
            self.slab_err(
                st,
                slab,
                f"Wrong number of objects. Found {slab.objects} but should be {max_objects}",
            )
            if fix:
                slab.objects = max_objects
                self._pg_objects[slab.pfn] = max_objects
                self.slab_fix(st, "Number of objects adjusted")
        if slab.inuse != slab.objects - nr:
            self.slab_err(
                st,
                slab,
                f"Wrong object count. Counter is {slab.inuse} but counted were {slab.objects - nr}",
            )
            if fix:
                slab.inuse = slab.objects - nr
                self._sync(slab)
                self.slab_fix(st, "Object count adjusted")
        return search == 0

    # ==== debug: report text =========================================================
    def print_tainted(self) -> str:
        if not self.tainted:
            return "Not tainted"
        chars = [_TAINT_CHARS[i] if self.tainted >> i & 1 else _TAINT_FALSE[i] for i in range(20)]
        return "Tainted: " + "".join(chars)

    def _taint(self) -> None:
        """add_taint(TAINT_BAD_PAGE) and the WARN_ON(1) that follows."""
        self.tainted |= 1 << TAINT_BAD_PAGE | 1 << TAINT_WARN

    def _emit(self, lines: list[str]) -> list[str]:
        """One report (several printk lines) into the log."""
        text = "\n".join(lines)
        self.log.append(text)
        return [text]

    def _warn(self, message: str) -> None:
        """WARN(): the message (the WARNING banner and stack are not modelled)."""
        self.tainted |= 1 << TAINT_WARN
        self.log.append(message)

    def slab_bug(self, st: CacheState | None, message: str) -> list[str]:
        """__slab_bug(): the banner."""
        name = st.name if st is not None else "<unknown>"
        return [
            "=" * 77,
            f"BUG {name} ({self.print_tainted()}): {message}",
            "-" * 77,
            "",
        ]

    def slab_fix(self, st: CacheState, message: str) -> None:
        """slab_fix(): the FIX line, appended to the report it belongs to."""
        line = f"FIX {st.name}: {message}"
        if self.log:
            self.log[-1] += "\n" + line
        else:
            self.log.append(line)

    def print_slab_info(self, slab: Slab) -> str:
        flags = int(self._pg_flags[slab.pfn])
        names = [n for bit, n in ((PG_SLAB, "slab"), (PG_HEAD, "head")) if flags & bit]
        return (
            f"Slab 0x{VMEMMAP_START + STRUCT_PAGE_SIZE * slab.pfn:016x} objects={slab.objects} "
            f"used={slab.inuse} fp=0x{slab.freelist:016x} flags={flags:#x}({'|'.join(names)})"
        )

    def print_section(self, text: str, addr: int, length: int) -> list[str]:
        """print_hex_dump(KERN_ERR, text, DUMP_PREFIX_ADDRESS, 16, 1, addr, length, 1)."""
        return self.arena.hex_dump(text, addr, length)

    def print_tracking(self, st: CacheState, obj: int) -> list[str]:
        """print_tracking(): the alloc and free tracks of a store-user cache."""
        if not st.store_user:
            return []
        lines = []
        for what, item in (("Allocated", TRACK_ALLOC), ("Freed", TRACK_FREE)):
            t = self.get_track(st, obj, item)
            if not t["addr"]:
                continue
            lines.append(
                f"{what} in 0x{t['addr']:x} age={(self.jiffies - t['when']) & _MASK64} "
                f"cpu={t['cpu']} pid={t['pid']}"
            )
            if self._track_head.size == 20 and not t["handle"]:
                lines.append("object allocation/free stack trace missing")
        return lines

    def print_trailer(self, st: CacheState, slab: Slab, p: int) -> list[str]:
        """print_trailer(): tracks, slab, object and its surroundings."""
        lines = self.print_tracking(st, p)
        lines.append(self.print_slab_info(slab))
        lines.append(
            f"Object 0x{p:016x} @offset={p - slab.addr} fp=0x{self.get_freepointer(st, p):016x}"
        )
        lines.append("")
        if st.red_zone:
            lines += self.print_section("Redzone  ", p - st.red_left_pad, st.red_left_pad)
        elif p > slab.addr + 16:
            lines += self.print_section("Bytes b4 ", p - 16, 16)
        lines += self.print_section("Object   ", p, min(st.object_size, st.page_size))
        if st.red_zone:
            lines += self.print_section("Redzone  ", p + st.object_size, st.inuse - st.object_size)
        off = st.info_end()
        if st.store_user:
            off += 2 * st.track_size
        if st.orig_size_debug:
            off += st.orig_size_size
        size_from_object = st.size - st.red_left_pad if st.red_zone else st.size
        if off != size_from_object:
            lines += self.print_section("Padding  ", p + off, size_from_object - off)
        return lines

    def object_err_lines(self, st: CacheState, slab: Slab, obj: int, reason: str) -> list[str]:
        """object_err(): the banner, then the object (print_trailer) or, for a bad
        pointer, the slab; taints the kernel."""
        lines = self.slab_bug(st, reason)
        if not obj or not self.check_valid_pointer(st, slab, obj):
            lines += [self.print_slab_info(slab), f"Invalid pointer 0x{obj:016x}"]
        else:
            lines += self.print_trailer(st, slab, obj)
        self._taint()
        return lines

    def object_err(self, st: CacheState, slab: Slab, obj: int, reason: str) -> None:
        self._emit(self.object_err_lines(st, slab, obj, reason))

    def slab_err(self, st: CacheState, slab: Slab, message: str) -> None:
        """slab_err(): the banner and the slab."""
        lines = self.slab_bug(st, message.rstrip("\n"))
        lines.append(self.print_slab_info(slab))
        self._taint()
        self._emit(lines)

    # ==== views ======================================================================
    def _cpu_freelist(self, st: CacheState, c: KmemCacheCpu) -> list[int]:
        """The objects of a CPU freelist (stops at a cycle or a bad pointer)."""
        out: list[int] = []
        slab = c.slab
        fp = c.freelist
        limit = slab.objects if slab is not None else 0
        while fp and len(out) <= limit:
            if slab is None or not self.check_valid_pointer(st, slab, fp):
                break
            out.append(fp)
            fp = self.get_freepointer(st, fp)
        return out

    def _slab_freelist(self, st: CacheState, slab: Slab) -> list[int]:
        out: list[int] = []
        fp = slab.freelist
        while fp and len(out) <= slab.objects and self.check_valid_pointer(st, slab, fp):
            out.append(fp)
            fp = self.get_freepointer(st, fp)
        return out

    def _free_objects(self, st: CacheState, slab: Slab) -> dict[int, str]:
        """Free objects of a slab -> "slab freelist" or "cpu N freelist"."""
        free = {obj: "slab freelist" for obj in self._slab_freelist(st, slab)}
        for cpu, c in enumerate(st.cpus):
            if c.slab is slab:
                for obj in self._cpu_freelist(st, c):
                    free.setdefault(obj, f"cpu {cpu} freelist")
        return free

    def object_info(self, addr: int) -> dict[str, Any]:
        """What an address is (drgn's slab_object_info, __kmem_obj_info): the cache,
        slab, object index and address, whether the object is allocated (free objects
        are those on the slab's freelist or on the freelist of a CPU using the slab)."""
        slab = self.virt_to_slab(addr)
        if slab is None:
            info: dict[str, Any] = {"address": addr, "slab": False}
            i = addr - self._po
            if 0 <= i < self._memsize:
                head = self._folio_head(i >> self.arena.page_shift)
                if head in self.large:
                    info.update(large_kmalloc=True, pfn=head, order=self.large[head])
            return info
        st = slab.state
        objp = addr - st.left
        index = (objp - slab.addr) // st.size
        info = {
            "address": addr,
            "slab": True,
            "cache": st.name,
            "slab_pfn": slab.pfn,
            "slab_address": slab.addr,
            "slab_list": LIST_NAMES[slab.where],
            "cpu": slab.cpu if slab.where in (LIST_CPU_SLAB, LIST_CPU_PARTIAL) else None,
            "frozen": bool(slab.frozen),
            "inuse": slab.inuse,
            "objects": slab.objects,
        }
        if not 0 <= index < slab.objects:
            info.update(object_index=None, object_address=None, allocated=None, free_on=None)
            return info
        obj = slab.addr + index * st.size + st.left
        where = self._free_objects(st, slab).get(obj)
        info.update(
            object_index=index,
            object_address=obj,
            offset=addr - obj,
            allocated=where is None,
            free_on=where,
        )
        return info

    def slab_map(self, pfn: int) -> str:
        """One character per object of the slab holding page ``pfn``: ``#`` allocated,
        ``.`` free on the slab's freelist, ``-`` free on a CPU's lockless freelist."""
        slab = self._page_slab.get(pfn)
        if slab is None:
            raise InputError(f"PFN {pfn} is not a slab page")
        st = slab.state
        free = self._free_objects(st, slab)
        return "".join(
            "#" if obj not in free else ("." if free[obj] == "slab freelist" else "-")
            for obj in self._objects(st, slab)
        )

    def cpu_state(self, cache: SlubCache, cpu: int) -> dict[str, Any]:
        """kmem_cache_cpu of one CPU: freelist address, slab PFN, partial PFNs, tid."""
        self._cpu(cpu)
        c = self.state(cache).cpus[cpu]
        return {
            "freelist": c.freelist,
            "slab": None if c.slab is None else c.slab.pfn,
            "partial": [s.pfn for s in c.partial],
            "tid": c.tid,
        }

    def node_state(self, cache: SlubCache) -> dict[str, Any]:
        """kmem_cache_node of node 0: partial PFNs (head first), the counters, and the
        full list of store-user caches."""
        n = self.state(cache).node
        return {
            "partial": [s.pfn for s in n.partial],
            "nr_partial": n.nr_partial,
            "nr_slabs": n.nr_slabs,
            "total_objects": n.total_objects,
            "full": [s.pfn for s in n.full],
        }

    def count_partial_free_approx(self, st: CacheState) -> int:
        """count_partial_free_approx(): exact up to 10000 partial slabs, else 5000
        from each end scaled to nr_partial."""
        n = st.node
        if n.nr_partial <= MAX_PARTIAL_TO_SCAN:
            return sum(s.objects - s.inuse for s in n.partial)
        half = MAX_PARTIAL_TO_SCAN // 2
        x = sum(s.objects - s.inuse for s in n.partial[:half])
        x += sum(s.objects - s.inuse for s in n.partial[-half:])
        return min(x * n.nr_partial // MAX_PARTIAL_TO_SCAN, n.total_objects)

    def counts(self, cache: SlubCache) -> dict[str, int]:
        """The counts of sysfs (show_slab_objects) and /proc/slabinfo (get_slabinfo)."""
        st = self.state(cache)
        n = st.node
        free_partial = sum(s.objects - s.inuse for s in n.partial)
        cpu_slabs = 0
        cpu_partial_slabs = 0
        for c in st.cpus:
            if c.slab is not None:
                cpu_slabs += 1
                if c.partial:
                    cpu_slabs += c.partial[0].slabs
            if c.partial:
                cpu_partial_slabs += c.partial[0].slabs
        num_objs = n.total_objects
        return {
            "objects": num_objs - free_partial,
            "total_objects": num_objs,
            "slabs": n.nr_slabs,
            "partial": n.nr_partial,
            "objects_partial": sum(s.inuse for s in n.partial),
            "cpu_slabs": cpu_slabs,
            "slabs_cpu_partial": cpu_partial_slabs,
            "active_objs": num_objs - self.count_partial_free_approx(st),
            "num_objs": num_objs,
            "active_slabs": n.nr_slabs,
            "num_slabs": n.nr_slabs,
        }

    def sysfs_counts(self, cache: SlubCache) -> dict[str, str]:
        """The count attributes of /sys/kernel/slab/<cache>/ as the kernel prints
        them (CONFIG_NUMA: " N0=<n>" when non-zero)."""
        c = self.counts(cache)
        st = self.state(cache)

        def numa(total: int) -> str:
            return f"{total} N0={total}" if total else "0"

        slabs = c["slabs_cpu_partial"]
        parts = [f"{slabs * st.objects // 2}({slabs})"]
        for cpu, kc in enumerate(st.cpus):
            if kc.partial:
                k = kc.partial[0].slabs
                parts.append(f"C{cpu}={k * st.objects // 2}({k})")
        return {
            "objects": numa(c["objects"]),
            "total_objects": numa(c["total_objects"]),
            "slabs": numa(c["slabs"]),
            "partial": numa(c["partial"]),
            "objects_partial": numa(c["objects_partial"]),
            "cpu_slabs": numa(c["cpu_slabs"]),
            "slabs_cpu_partial": " ".join(parts),
        }

    def slabinfo(self) -> str:
        """/proc/slabinfo with the live counts (caches never used show zeros)."""
        return self.kernel.slabinfo()

    # ==== validation =================================================================
    def validate(self, cache: SlubCache, *, flush: bool = False) -> list[str]:
        """Check every slab of a cache: check_slab, the freelist (on_freelist: bad
        pointers, cycles, object count), each object of a debug cache (check_object,
        by whether it is free), the CPU freelists, and the node counters; reports in
        the kernel's words, nothing repaired.

        ``flush=True`` is validate_slab_cache (sysfs ``validate``): flush_all first,
        then the node lists only (partial, and full for store-user caches), with the
        kernel's repairs."""
        st = self.state(cache)
        start = len(self.log)
        if flush:
            self.flush_all(cache)
            slabs = list(st.node.partial) + (list(st.node.full) if st.store_user else [])
        else:
            slabs = [st.slabs[pfn] for pfn in sorted(st.slabs)]
        fix = flush
        try:
            for slab in slabs:
                self.validate_slab(st, slab, fix)
            if not flush:
                self._validate_cpu_freelists(st)
            self._validate_counters(st, flush)
        except _Oops as oops:
            self._emit([str(oops)])
        return self.log[start:]

    def validate_slab(self, st: CacheState, slab: Slab, fix: bool) -> None:
        """validate_slab(): check_slab, on_freelist(NULL), then check_object of every
        object with the red-zone value of its state (debug caches)."""
        frozen = slab.frozen
        if slab.where == LIST_CPU_SLAB:
            slab.frozen = 0  # a frozen cpu slab is not a consistency failure
        try:
            ok = self.check_slab(st, slab, fix)
        finally:
            slab.frozen = frozen
        if not ok or not self.on_freelist(st, slab, 0, fix):
            return
        if not st.debug:
            return
        free = set(self._slab_freelist(st, slab))
        for obj in self._objects(st, slab):
            val = SLUB_RED_INACTIVE if obj in free else SLUB_RED_ACTIVE
            if not self.check_object(st, slab, obj, val, fix):
                break

    def _validate_cpu_freelists(self, st: CacheState) -> None:
        for cpu, c in enumerate(st.cpus):
            slab = c.slab
            if slab is None:
                if c.freelist:
                    self.log.append(f"SLUB {st.name}: cpu {cpu} has a freelist but no slab")
                continue
            nr, fp, obj = 0, c.freelist, 0
            seen: set[int] = set()
            while fp:
                if not self.check_valid_pointer(st, slab, fp):
                    if obj:
                        self.object_err(st, slab, obj, "Freechain corrupt")
                    else:
                        self.slab_err(st, slab, "Freepointer corrupt")
                    break
                if fp in seen or nr > slab.objects:
                    self.slab_err(st, slab, "Freelist cycle detected")
                    break
                seen.add(fp)
                obj = fp
                fp = self.get_freepointer(st, obj)
                nr += 1

    def _validate_counters(self, st: CacheState, flush: bool) -> None:
        """validate_slab_node()'s counter checks."""
        n = st.node
        if len(n.partial) != n.nr_partial:
            self.log.append(
                f"SLUB {st.name}: {len(n.partial)} partial slabs counted but counter={n.nr_partial}"
            )
        if flush and not st.store_user:
            return
        counted = (
            len(n.partial) + len(n.full)
            if flush
            else sum(1 for s in st.slabs.values() if s.counted)
        )
        if counted != n.nr_slabs:
            self.log.append(f"SLUB: {st.name} {counted} slabs counted but counter={n.nr_slabs}")
