"""The state of SLUB at run time and the memory it lives in: ``struct slab``
(:class:`Slab`), ``struct kmem_cache_cpu`` (:class:`KmemCacheCpu`), ``struct
kmem_cache_node`` (:class:`KmemCacheNode`), the run-time half of ``struct kmem_cache``
(:class:`CacheState`), the ``LIST_*`` codes saying which list a slab is on, the
exception a ``BUG()`` raises inside an operation, and :class:`SlubMemory`: the arena's
words, the free-pointer encoding and the slab lookups the layers above share.

The first layer of slabhw.slub_runtime (state -> checks -> paths -> bulk -> runtime).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from .. import _core, errors
from .. import reference_slub as rs
from ..arena import PageArena
from ..errors import BUG, InputError, KernelBug, KernelTrap
from ..slub import SlubCache, SlubKernel
from ..versions.rules import SetCpuPartial

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


class _Oops(KernelBug):
    """A BUG()/BUG_ON() fired (raised by SlubState.oops, which logs it first)."""


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
        "pobjects",
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
        self.pobjects = 0  # ... and their free objects when put there (before 5.16)
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


class Sheaf:
    """struct slab_sheaf (7.0): a stack of object pointers (``objects[size - 1]`` is
    the top) in a kmalloc'ed object at ``addr``; 0 for the shared bootstrap sheaf of
    a cache without sheaves (capacity 0: the fast paths always fail)."""

    __slots__ = ("addr", "objects")

    def __init__(self, addr: int) -> None:
        self.addr = addr
        self.objects: list[int] = []


class PercpuSheaves:
    """struct slub_percpu_sheaves (7.0): ``main`` never None, ``spare`` empty, full or
    None; ``rcu_free`` collects kfree_rcu() objects until it is full."""

    __slots__ = ("main", "spare", "rcu_free")

    def __init__(self, main: Sheaf) -> None:
        self.main = main
        self.spare: Sheaf | None = None
        self.rcu_free: Sheaf | None = None


class NodeBarn:
    """struct node_barn (7.0): full and empty sheaves, each list head first (the
    kernel adds and takes at the head), in a kmalloc'ed object at ``addr``."""

    __slots__ = ("addr", "full", "empty")

    def __init__(self, addr: int) -> None:
        self.addr = addr
        self.full: list[Sheaf] = []
        self.empty: list[Sheaf] = []


class KmemCacheNode:
    """struct kmem_cache_node of node 0 with the CONFIG_SLUB_DEBUG counters."""

    __slots__ = ("partial", "nr_partial", "nr_slabs", "total_objects", "full")

    def __init__(self) -> None:
        self.partial: list[Slab] = []  # head first
        self.nr_partial = 0
        self.nr_slabs = 0
        self.total_objects = 0
        self.full: list[Slab] = []  # only SLAB_STORE_USER caches (add_full)


BOOTSTRAP_SHEAF = Sheaf(0)  # init_percpu_sheaves()' static bootstrap_sheaf: never filled


class CacheState:
    """The run-time half of one struct kmem_cache: what the kernel keeps beside the
    layout (s->random, s->random_seq, cpu_slab, node[0]), plus the model's set of
    the cache's slabs."""

    def __init__(self, rt: SlubMemory, cache: SlubCache, cache_id: int) -> None:
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
        rules = cfg.rules
        self.rules = rules
        # kmem_cache_debug_flags(): the slub_debug_enabled static key and the flag.
        # Since 5.13 kmem_cache_create turns the key on for a cache with debug flags,
        # so the flag test is it; 5.10 turns it on from slub_debug= only, and a cache
        # given debug flags then runs as a plain cache (its layout keeps the room)
        p = rt.kernel.params
        key = bool(p.debug_key or p.create_debug_key)
        self.debug = key and bool(flags & p.flag_debug_flags)  # kmem_cache_debug()

        def debug_flag(name: str) -> bool:
            return key and bool(flags & f.get(name))

        # CONFIG_SLUB_TINY has no cpu slabs: like debug caches since 6.1, one object
        # at a time under the node lock; debug caches of 5.10/5.15 take a CPU slab and
        # deactivate it after each allocation
        self.tiny = cfg.on("slub_tiny")
        self.single = (self.debug and rules.has_debug_single_path) or self.tiny
        self.checks = debug_flag("SLAB_CONSISTENCY_CHECKS")
        self.red_zone = debug_flag("SLAB_RED_ZONE")
        self.poison = debug_flag("SLAB_POISON")
        self.object_poison = debug_flag("__OBJECT_POISON")
        self.store_user = debug_flag("SLAB_STORE_USER")
        self.trace = debug_flag("SLAB_TRACE")
        self.kmalloc = bool(flags & f.get("SLAB_KMALLOC"))
        self.rcu = bool(flags & f.get("SLAB_TYPESAFE_BY_RCU"))
        self.orig_size_debug = self.store_user and self.kmalloc  # slub_debug_orig_size()
        # the red zone between orig_size and object_size (946fa0dbf2d8, 6.2)
        self.kmalloc_redzone = self.orig_size_debug and rules.has_kmalloc_redzone
        self.left = self.red_left_pad if self.red_zone else 0  # fixup_red_left()
        self.has_cpu_partial = cfg.on("slub_cpu_partial") and not (self.debug or self.tiny)
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
        # 7.x: s->sheaf_capacity as the run time has set it (0 until the cache's
        # sheaves exist: the bootstrap sheaf), the per-CPU sheaves and node 0's barn
        self.capacity = 0
        self.pcs = [PercpuSheaves(BOOTSTRAP_SHEAF) for _ in range(rt.nr_cpus)]
        self.barn: NodeBarn | None = None
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
        """slub_get_cpu_partial() (5.16 and later); 0 without CONFIG_SLUB_CPU_PARTIAL."""
        return int(self.cache.layout.cpu_partial_slabs) if self.has_cpu_partial else 0

    @property
    def cpu_partial(self) -> int:
        """slub_cpu_partial(): the limit in objects (before 5.16)."""
        return int(self.cache.layout.cpu_partial) if self.has_cpu_partial else 0

    @property
    def partial_in_objects(self) -> bool:
        """The per-CPU partial list is limited in objects (SetCpuPartial.OBJECTS_V3_1)."""
        return self.rules.set_cpu_partial == SetCpuPartial.OBJECTS_V3_1

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


ZERO_SIZE_PTR = 16  # include/linux/slab.h
NUMA_NO_NODE = -1
GFP_KERNEL = 0xCC0  # for slab_out_of_memory's message
SHRINK_PROMOTE_MAX = 32
MAX_PARTIAL_TO_SCAN = 10000
TID_STEP = 256  # roundup_pow_of_two(CONFIG_NR_CPUS = 256) with CONFIG_PREEMPTION
DEACTIVATE_TO_HEAD, DEACTIVATE_TO_TAIL = 0, 1
SET_FREEPOINTER_BUG = "kernel BUG at mm/slub.c:634!"  # BUG_ON(object == fp) of 6.18.2


swab64 = rs.swab64  # the byte swap of the free-pointer encoding (reference_slub)


class SlubMemory:
    """The base of the SLUB run time: the attributes every layer reads, per-cache
    state, and the memory: words of the arena, free pointers, slab lookups."""

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
            raise InputError("SlubRuntime runs SLUB kernels")
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
        # slab_errors of the kernel's KUnit suite (lib/slub_kunit.c): one per report a
        # test would count (slab_add_kunit_errors: FIX lines, object_err, slab_err,
        # check_bytes_and_report, the validate counter mismatches, leaked objects)
        self.slab_errors = 0
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
        # struct track (64-bit): addr, then a stack depot handle (5.19 and later, with
        # STACKDEPOT) or TRACK_ADDRS_COUNT return addresses (before, with STACKTRACE;
        # the model saves no stack: they stay 0), cpu, pid, when
        cfg = kernel.config
        self.rules = cfg.rules  # the version's rules (slabhw.versions.rules.SlubRules)
        if cfg.rules.has_track_stack_handle:
            stack = 8 if cfg.on("stackdepot") else 0  # u32 handle, padded
        else:
            stack = 16 * 8 if cfg.on("stacktrace") else 0
        self.track_handle = cfg.rules.has_track_stack_handle and cfg.on("stackdepot")
        self.track_cpu = 12 if self.track_handle else 8 + stack
        # set_freepointer()'s BUG_ON(object == fp), at its line in the version's mm/slub.c
        line = cfg.rules.reports.set_freepointer_line
        self.set_freepointer_bug = f"kernel BUG at mm/slub.c:{line}!"
        self.track_when = (self.track_cpu + 8 + 7) & ~7  # after pid, 8-aligned
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
            v = rs.freelist_ptr(v, ptr_addr, st.random)
        return v

    def oops(self, message: str) -> NoReturn:
        """BUG()/BUG_ON(): the message into the log, and the operation ends with the
        oops (the run time's state stays as it was before the faulting store)."""
        self.log.append(message)
        raise _Oops(BUG, message)

    def set_freepointer(self, st: CacheState, obj: int, fp: int) -> None:
        """set_freepointer() / freelist_ptr_encode(); BUG_ON(object == fp) when
        hardened."""
        if st.hardened and obj == fp:
            self.oops(self.set_freepointer_bug)
        ptr_addr = obj + st.offset
        self._store(ptr_addr, rs.freelist_ptr(fp, ptr_addr, st.random) if st.hardened else fp)

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

    def _objects(self, st: CacheState, slab: Slab) -> range:
        """for_each_object()."""
        start = slab.addr + st.left
        return range(start, slab.addr + slab.objects * st.size, st.size)

    def check_valid_pointer(self, st: CacheState, slab: Slab, obj: int) -> bool:
        """check_valid_pointer(): NULL, or the start of an object of this slab."""
        if not obj:
            return True
        base = slab.addr
        if st.red_zone:
            obj -= st.red_left_pad
        return base <= obj < base + slab.objects * st.size and not (obj - base) % st.size

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
