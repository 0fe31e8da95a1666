"""SLAB (Linux 3.16) at run time: slabs in the page arena, per-CPU and shared array
caches, refill and flush, free_block, kmalloc/kfree, shrink and destroy.

Follows mm/slab.c of 3.16.41: cache_grow / alloc_slabmgmt / cache_init_objs,
____cache_alloc / cache_alloc_refill / transfer_objects, __cache_free /
cache_flusharray / free_block, slab_get_obj / slab_put_obj (the index freelist is
kept as real bytes in the slab or in its off-slab kmalloc object).  One NUMA node;
no pfmemalloc tagging; nothing runs in interrupts.  Caches start empty: the
allocations kmem_cache_create itself makes (descriptor, name, per-CPU arrays) are
not replayed.

CONFIG_DEBUG_SLAB (``Kernel(..., debug=True)``): the bytes and reports of 3.16's
cache_init_objs, cache_alloc_debugcheck_after, cache_free_debugcheck,
verify_redzone_free, check_poison_obj/print_objinfo/dump_line, slab_put_obj's
double-free scan and slab_destroy_debugcheck (CONFIG_DEBUG_SLAB_LEAK status bytes
too).  Callers get ``slot + obj_offset``; the array caches hold slot addresses, as
in the kernel.  Reports go to ``SlabRuntime.log`` (dmesg); ``slab_error`` adds the
TAINT_BAD_PAGE taint that later "Slab corruption (Tainted: ...)" lines show.  Where
the kernel BUG()s (a double free reaching slab_put_obj, a pointer of another cache
or not at an object start in cache_free_debugcheck, kfree_debugcheck), the report is
logged and ``KernelBug`` raised; the runtime is then an oopsed kernel (a batch may
be half done) and should not be used further.  Everything else only logs, and the
model goes on as the kernel does (a double free that slab_put_obj does not see
leaves the object twice in the array caches, as in 3.16).

Left out: dump_stack() after slab_error (no call traces are printed), the STATS
counters, and the DEBUG_PAGEALLOC path for page-sized off-slab caches
(kernel_map_pages and store_stackinfo: the arena cannot unmap pages and the stack
words are unknowable, so such objects are neither poisoned nor poison-checked,
which is what the kernel does, but no stack info is written).  Store-user words
hold the ``caller`` given to alloc/free (0 if none; also 0 for the allocator's own
off-slab freelist allocations).  mm/slab.c of 3.16 has no check_slabp (older
kernels' freelist walk); ``validate`` does that job for the model.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from .arena import PG_HEAD, PG_SLAB, PG_TAIL, PageArena
from .errors import BUG, InputError, KernelBug
from .slab import KmemCache
from .slab_common import ZERO_SIZE_PTR, ZeroSizePtr
from .slab_kernel import SlabKernel

BATCHREFILL_LIMIT = 16

# SLAB list membership of a slab (struct page field ``list``)
ON_PARTIAL, ON_FULL, ON_FREE = 1, 2, 3

# include/linux/poison.h (3.16): SLAB's red-zone words and poison bytes
RED_INACTIVE = 0x09F911029D74E35B
RED_ACTIVE = 0xD84156C5635688C0
POISON_INUSE = 0x5A
POISON_FREE = 0x6B
POISON_END = 0xA5
OBJECT_FREE, OBJECT_ACTIVE = 0, 1  # CONFIG_DEBUG_SLAB_LEAK status bytes

# kernel/panic.c (3.16) tnts[]: the taint letters print_tainted() shows, in order
_TAINTS = ("PG", "F ", "S ", "R ", "M ", "B ", "U ", "D ", "A ", "W ", "C ", "I ", "O ", "E ")


@dataclass
class ArrayCache:
    """struct array_cache: a LIFO stack of object pointers."""

    limit: int
    batchcount: int
    entry: list[int] = field(default_factory=list)
    touched: int = 0

    @property
    def avail(self) -> int:
        return len(self.entry)


@dataclass
class NodeLists:
    """struct kmem_cache_node: the three slab lists (head first) and counters."""

    free_limit: int
    shared: ArrayCache | None
    partial: OrderedDict[int, None] = field(default_factory=OrderedDict)
    full: OrderedDict[int, None] = field(default_factory=OrderedDict)
    free: OrderedDict[int, None] = field(default_factory=OrderedDict)
    free_objects: int = 0
    colour_next: int = 0
    free_touched: int = 0


def _add_head(lst: OrderedDict[int, None], pfn: int) -> None:
    lst[pfn] = None
    lst.move_to_end(pfn, last=False)


@dataclass
class CacheState:
    cache: KmemCache
    cache_id: int
    cpu: list[ArrayCache]
    node: NodeLists
    # CONFIG_DEBUG_SLAB compiled in (the fast paths branch on this one bool)
    debug: bool = False
    red_zone: bool = False
    poison: bool = False
    store_user: bool = False
    unmap: bool = False  # DEBUG_PAGEALLOC: kernel_map_pages replaces poisoning
    leak: bool = False  # CONFIG_DEBUG_SLAB_LEAK status bytes after the freelist
    obj_offset: int = 0
    rz2: int = 0  # dbg_redzone2 offset in the slot
    user: int = 0  # dbg_userword offset in the slot
    patterns: dict[int, bytes] = field(default_factory=dict)  # poison_obj images


class SlabRuntime:
    """The SLAB allocator of a simulated 3.16 kernel running over a PageArena."""

    def __init__(self, kernel: SlabKernel, arena: PageArena) -> None:
        if kernel.config.preset.allocator != "SLAB":
            raise InputError("SlabRuntime runs SLAB kernels")
        self.kernel = kernel
        kernel.runtime = self  # kmem_cache_destroy asks it whether objects remain
        self.arena = arena
        self.nr_cpus = kernel.config.nr_cpus
        self.idx_size = kernel.config.freelist_idx_size
        self.states: dict[int, CacheState] = {}  # id(KmemCache) -> state
        self.by_id: list[CacheState] = []
        self._page_slab_cache = arena.pages["slab_cache"]
        self._page_flags = arena.pages["flags"]
        self._page_inuse = arena.pages["inuse"]
        self._page_freelist = arena.pages["freelist"]
        self._page_s_mem = arena.pages["s_mem"]
        self._page_list = arena.pages["list"]
        self._page_head = arena.pages["compound_head"]
        cfg = kernel.config
        self.debug = cfg.on("debug_slab")  # DEBUG (and FORCED_DEBUG) in mm/slab.c
        self.leak = cfg.on("debug_slab_leak")
        self.log: list[str] = kernel.log  # dmesg: one log for the kernel and its run time
        self.taint: set[str] = set()  # taint letters (slab_error adds "B")
        self.symbols: dict[int, str] = {}  # caller address -> what %pS prints
        self._bpw = cfg.bytes_per_word
        self._word_mask = (1 << (8 * self._bpw)) - 1
        self._minalign = cfg.arch_slab_minalign
        self._x86 = cfg.arch.name in ("x86_64", "i386")
        self._order = arena.arch_byteorder
        self._idx_dtype = np.dtype(f"{'<' if self._order == 'little' else '>'}u{self.idx_size}")

    # ---- per-cache state ----------------------------------------------------------------
    def state(self, cache: KmemCache) -> CacheState:
        st = self.states.get(id(cache))
        if st is None:
            shared = None
            if cache.shared:
                shared = ArrayCache(cache.shared * cache.batchcount, 0xBAADF00D)
            st = CacheState(
                cache,
                len(self.by_id),
                [ArrayCache(cache.limit, cache.batchcount) for _ in range(self.nr_cpus)],
                # free_limit = (1 + CPUs on the node) * batchcount + num
                NodeLists((1 + self.nr_cpus) * cache.batchcount + cache.num, shared),
            )
            if self.debug:
                self._setup_debug(st)
            elif self.leak:
                st.leak = True
            self.states[id(cache)] = st
            self.by_id.append(st)
        return st

    def _setup_debug(self, st: CacheState) -> None:
        """What the DEBUG code of 3.16 needs of one cache, worked out once."""
        c, fl = st.cache, self.kernel.flags
        st.debug = True
        st.leak = self.leak
        st.red_zone = bool(c.flags & fl["SLAB_RED_ZONE"])
        st.poison = bool(c.flags & fl["SLAB_POISON"])
        st.store_user = bool(c.flags & fl["SLAB_STORE_USER"])
        st.obj_offset = c.obj_offset
        # dbg_redzone2 (3.16): before the REDZONE_ALIGN bytes kept for the user word
        st.rz2 = c.size - 8 - (self.kernel.config.redzone_align if st.store_user else 0)
        st.user = c.size - self._bpw  # dbg_userword
        # cache_init_objs / cache_alloc_debugcheck_after / cache_free_debugcheck (3.16):
        # with DEBUG_PAGEALLOC, page-sized off-slab objects are unmapped, not poisoned
        st.unmap = (
            self.kernel.config.on("debug_pagealloc")
            and c.size % self.arena.page_size == 0
            and c.off_slab
            and st.poison
        )
        n = c.object_size
        for val in (POISON_FREE, POISON_INUSE):  # poison_obj (3.16): val..., POISON_END
            st.patterns[val] = bytes([val]) * (n - 1) + bytes([POISON_END]) if n else b""

    def _check_cpu(self, cpu: int) -> None:
        if not 0 <= cpu < self.nr_cpus:
            raise InputError(f"cpu {cpu} is not online (0..{self.nr_cpus - 1})")

    # ---- slabs: cache_grow ------------------------------------------------------------
    def _freelist_get(self, freelist: int, i: int) -> int:
        return self.arena.read_word(freelist + i * self.idx_size, self.idx_size)

    def _freelist_set(self, freelist: int, i: int, value: int) -> None:
        self.arena.write_word(freelist + i * self.idx_size, value, self.idx_size)

    def cache_grow(self, st: CacheState, cpu: int) -> bool:
        """cache_grow(): one more slab at the tail of slabs_free; False when out of pages."""
        c, n = st.cache, st.node
        offset = n.colour_next  # the colour advances even when the allocation fails
        n.colour_next += 1
        if n.colour_next >= c.colour:
            n.colour_next = 0
        offset *= c.colour_off
        pfn = self.arena.alloc_pages(c.gfporder)  # kmem_getpages
        if pfn is None:
            return False
        addr = self.arena.pfn_to_virt(pfn)
        if c.off_slab:  # alloc_slabmgmt: the index array in a kmalloc object
            assert c.freelist_cache is not None
            freelist = self.kmem_cache_alloc(c.freelist_cache, cpu)
            if freelist is None:
                self.arena.free_pages(pfn, c.gfporder)
                return False
        else:
            freelist = addr + offset
            offset += c.freelist_size
        self._page_flags[pfn] |= PG_SLAB | PG_HEAD
        for tail in range(pfn + 1, pfn + (1 << c.gfporder)):
            self._page_flags[tail] |= PG_TAIL
            self._page_head[tail] = pfn
        self._page_slab_cache[pfn] = st.cache_id
        self._page_inuse[pfn] = 0  # page->active
        self._page_s_mem[pfn] = addr + offset
        self._page_freelist[pfn] = freelist
        if st.debug:
            self._cache_init_objs_debug(st, addr + offset, freelist)
        else:
            for i in range(c.num):  # cache_init_objs
                if c.ctor is not None:
                    c.ctor(addr + offset + i * c.size)
                if st.leak:
                    self._set_obj_status(st, freelist, i, OBJECT_FREE)
                self._freelist_set(freelist, i, i)
        n.free[pfn] = None  # list_add_tail(&page->lru, &n->slabs_free)
        self._page_list[pfn] = ON_FREE
        n.free_objects += c.num
        return True

    def slab_destroy(self, st: CacheState, pfn: int, cpu: int) -> None:
        c = st.cache
        if st.debug:
            self._slab_destroy_debugcheck(st, pfn)
        freelist = int(self._page_freelist[pfn])
        self._page_flags[pfn] &= 0xFFFFFFFF ^ (PG_SLAB | PG_HEAD)
        for tail in range(pfn + 1, pfn + (1 << c.gfporder)):
            self._page_flags[tail] &= 0xFFFFFFFF ^ PG_TAIL
        self._page_slab_cache[pfn] = -1
        self._page_list[pfn] = 0
        self.arena.free_pages(pfn, c.gfporder)  # kmem_freepages
        if c.off_slab:
            assert c.freelist_cache is not None
            self.kmem_cache_free(c.freelist_cache, freelist, cpu)

    def _slab_get_obj(self, st: CacheState, pfn: int) -> int:
        active = int(self._page_inuse[pfn])
        idx = self._freelist_get(int(self._page_freelist[pfn]), active)
        self._page_inuse[pfn] = active + 1
        return int(self._page_s_mem[pfn]) + st.cache.size * idx

    def _slab_put_obj(self, st: CacheState, pfn: int, objp: int) -> None:
        idx = (objp - int(self._page_s_mem[pfn])) // st.cache.size  # obj_to_index
        if st.debug:  # slab_put_obj (3.16, DEBUG): the index must not be free already
            active, size = int(self._page_inuse[pfn]), self.idx_size
            free = self.arena.read(
                int(self._page_freelist[pfn]) + active * size, (st.cache.num - active) * size
            )
            if idx in np.frombuffer(free, dtype=self._idx_dtype):
                self.log.append(
                    f"slab: double free detected in cache '{st.cache.name}', objp {self._ptr(objp)}"
                )
                self._bug(2714)
        active = int(self._page_inuse[pfn]) - 1
        self._page_inuse[pfn] = active
        self._freelist_set(int(self._page_freelist[pfn]), active, idx)

    # ---- allocation: ____cache_alloc / cache_alloc_refill --------------------------------
    def kmem_cache_alloc(self, cache: KmemCache, cpu: int, caller: int = 0) -> int | None:
        """slab_alloc(): an object of ``cache`` for ``cpu``, or None when out of pages.
        ``caller`` is the _RET_IP_ that SLAB_STORE_USER records."""
        self._check_cpu(cpu)
        st = self.state(cache)
        ac = st.cpu[cpu]
        if ac.entry:
            ac.touched = 1
            objp: int | None = ac.entry.pop()
        else:
            objp = self._cache_alloc_refill(st, ac, cpu)
        if st.debug and objp is not None:
            return self._cache_alloc_debugcheck_after(st, objp, caller)
        return objp

    def _cache_alloc_refill(self, st: CacheState, ac: ArrayCache, cpu: int) -> int | None:
        c, n = st.cache, st.node
        while True:
            batchcount = ac.batchcount
            if not ac.touched and batchcount > BATCHREFILL_LIMIT:
                batchcount = BATCHREFILL_LIMIT
            shared = n.shared
            if shared is not None and shared.entry and self._transfer(ac, shared, batchcount):
                shared.touched = 1
            else:
                while batchcount > 0:
                    if n.partial:
                        pfn, lst = next(iter(n.partial)), n.partial
                    else:
                        n.free_touched = 1
                        if not n.free:
                            break
                        pfn, lst = next(iter(n.free)), n.free
                    # take objects while the slab has some and batchcount-- is non-zero
                    while int(self._page_inuse[pfn]) < c.num and batchcount > 0:
                        batchcount -= 1
                        ac.entry.append(self._slab_get_obj(st, pfn))
                    del lst[pfn]
                    if int(self._page_inuse[pfn]) == c.num:
                        _add_head(n.full, pfn)
                        self._page_list[pfn] = ON_FULL
                    else:
                        _add_head(n.partial, pfn)
                        self._page_list[pfn] = ON_PARTIAL
                n.free_objects -= ac.avail  # must_grow: (ac was empty on entry)
            if not ac.entry:
                grown = self.cache_grow(st, cpu)
                if not grown and not ac.entry:
                    return None
                if not ac.entry:
                    continue  # retry: now a free slab exists
            ac.touched = 1
            return ac.entry.pop()

    @staticmethod
    def _transfer(to: ArrayCache, frm: ArrayCache, limit: int) -> int:
        """transfer_objects(): the top entries of ``frm``, in order, onto ``to``."""
        nr = min(frm.avail, limit, to.limit - to.avail)
        if nr:
            to.entry.extend(frm.entry[frm.avail - nr :])
            del frm.entry[frm.avail - nr :]
        return nr

    # ---- free: __cache_free / cache_flusharray / free_block --------------------------
    def _head_pfn(self, pfn: int) -> int:
        """compound_head(): the head page of a tail page."""
        return int(self._page_head[pfn]) if self._page_flags[pfn] & PG_TAIL else pfn

    def _slab_of(self, objp: int) -> int:
        """virt_to_head_page(): the slab's head PFN, or an InputError."""
        pfn = self.arena.virt_to_pfn(objp)
        flags = int(self._page_flags[pfn])
        if flags & PG_TAIL:
            pfn = int(self._page_head[pfn])
            flags = int(self._page_flags[pfn])
        if not flags & PG_SLAB:
            raise InputError(f"{objp:#x} is not in a slab page")
        return pfn

    def kmem_cache_free(self, cache: KmemCache, objp: int, cpu: int, caller: int = 0) -> None:
        """__cache_free(); ``caller`` is the _RET_IP_ that SLAB_STORE_USER records.

        Without DEBUG a pointer of another cache or not at an object start is refused
        (InputError: the kernel would corrupt itself silently); with DEBUG the
        kernel's checks run and BUG (KernelBug)."""
        self._check_cpu(cpu)
        st = self.state(cache)
        if st.debug:
            objp = self._cache_free_debugcheck(st, objp, caller)
        else:
            pfn = self._slab_of(objp)
            if int(self._page_slab_cache[pfn]) != st.cache_id:
                raise InputError(
                    f"{objp:#x} belongs to cache "
                    f"{self.by_id[int(self._page_slab_cache[pfn])].cache.name!r}, "
                    f"not {cache.name!r}"
                )
            offset = objp - int(self._page_s_mem[pfn])
            if offset < 0 or offset % cache.size or offset // cache.size >= cache.num:
                raise InputError(f"{objp:#x} is not the start of an object of {cache.name!r}")
        ac = st.cpu[cpu]
        if ac.avail >= ac.limit:
            self._cache_flusharray(st, ac, cpu)
        ac.entry.append(objp)

    def _cache_flusharray(self, st: CacheState, ac: ArrayCache, cpu: int) -> None:
        batchcount = ac.batchcount
        shared = st.node.shared
        if shared is not None and shared.limit - shared.avail > 0:
            batchcount = min(batchcount, shared.limit - shared.avail)
            shared.entry.extend(ac.entry[:batchcount])  # the oldest entries
        else:
            self._free_block(st, ac.entry[:batchcount], cpu)
        del ac.entry[:batchcount]

    def _free_block(self, st: CacheState, objects: list[int], cpu: int) -> None:
        c, n = st.cache, st.node
        for objp in objects:
            pfn = self._slab_of(objp)
            where = int(self._page_list[pfn])
            del (n.partial if where == ON_PARTIAL else n.full if where == ON_FULL else n.free)[pfn]
            self._slab_put_obj(st, pfn, objp)
            n.free_objects += 1
            if int(self._page_inuse[pfn]) == 0:
                if n.free_objects > n.free_limit:
                    n.free_objects -= c.num
                    self.slab_destroy(st, pfn, cpu)
                else:
                    _add_head(n.free, pfn)
                    self._page_list[pfn] = ON_FREE
            else:  # the tail of slabs_partial: time for its other objects to be freed
                n.partial[pfn] = None
                self._page_list[pfn] = ON_PARTIAL

    # ---- CONFIG_DEBUG_SLAB: bytes ------------------------------------------------------
    def _rd64(self, addr: int) -> int:
        return self.arena.read_word(addr, 8)

    def _wr64(self, addr: int, value: int) -> None:
        self.arena.write_word(addr, value, 8)

    def _set_obj_status(self, st: CacheState, freelist: int, idx: int, val: int) -> None:
        """set_obj_status (3.16, DEBUG_SLAB_LEAK): one byte per object after the indices."""
        self.arena.write(freelist + st.cache.num * self.idx_size + idx, bytes([val]))

    def _poison_obj(self, st: CacheState, slot: int, val: int) -> None:
        """poison_obj (3.16): object_size bytes of ``val`` at the object, then POISON_END in
        its last byte (for object_size 0 that last byte is realobj[-1], in red zone 1)."""
        real = slot + st.obj_offset
        pattern = st.patterns[val]
        if pattern:
            self.arena.write(real, pattern)
        else:
            self.arena.write(real - 1, bytes([POISON_END]))

    def _cache_init_objs_debug(self, st: CacheState, s_mem: int, freelist: int) -> None:
        """cache_init_objs (3.16, DEBUG): poison, user word 0, red zones RED_INACTIVE; the
        constructor runs now only without SLAB_POISON, then the red zones are checked."""
        c = st.cache
        size, num, oo = c.size, c.num, st.obj_offset
        ctor_now = c.ctor is not None and not st.poison
        inactive = RED_INACTIVE.to_bytes(8, self._order)
        if not ctor_now and c.object_size:
            # nothing can interfere between objects: write every slot at once
            off = self.arena.offset(s_mem, num * size)
            slots = self.arena.memory[off : off + num * size].reshape(num, size)
            if st.poison:
                slots[:, oo : oo + c.object_size] = np.frombuffer(
                    st.patterns[POISON_FREE], dtype=np.uint8
                )
            if st.store_user:
                slots[:, st.user : st.user + self._bpw] = 0
            if st.red_zone:
                rz = np.frombuffer(inactive, dtype=np.uint8)
                slots[:, oo - 8 : oo] = rz
                slots[:, st.rz2 : st.rz2 + 8] = rz
        else:
            for i in range(num):
                slot = s_mem + i * size
                if st.poison:
                    self._poison_obj(st, slot, POISON_FREE)
                if st.store_user:
                    self.arena.write_word(slot + st.user, 0, self._bpw)
                if st.red_zone:
                    self.arena.write(slot + oo - 8, inactive)
                    self.arena.write(slot + st.rz2, inactive)
                if ctor_now:
                    assert c.ctor is not None
                    c.ctor(slot + oo)
                if st.red_zone:
                    if self._rd64(slot + st.rz2) != RED_INACTIVE:
                        self._slab_error(
                            "cache_init_objs", c, "constructor overwrote the end of an object"
                        )
                    if self._rd64(slot + oo - 8) != RED_INACTIVE:
                        self._slab_error(
                            "cache_init_objs", c, "constructor overwrote the start of an object"
                        )
        for i in range(num):
            if st.leak:
                self._set_obj_status(st, freelist, i, OBJECT_FREE)
            self._freelist_set(freelist, i, i)

    def _cache_alloc_debugcheck_after(self, st: CacheState, slot: int, caller: int) -> int:
        """cache_alloc_debugcheck_after (3.16): check and re-poison, record the caller,
        flip the red zones to RED_ACTIVE; returns the caller's pointer slot + obj_offset."""
        c = st.cache
        if st.poison:
            if not st.unmap:  # (the DEBUG_PAGEALLOC case maps the pages back instead)
                self.log.extend(self._check_poison_obj(st, slot))
            self._poison_obj(st, slot, POISON_INUSE)
        if st.store_user:
            self.arena.write_word(slot + st.user, caller, self._bpw)
        if st.red_zone:
            rz1, rz2 = slot + st.obj_offset - 8, slot + st.rz2
            r1, r2 = self._rd64(rz1), self._rd64(rz2)
            if r1 != RED_INACTIVE or r2 != RED_INACTIVE:
                self._slab_error(
                    "cache_alloc_debugcheck_after",
                    c,
                    "double free, or memory outside object was overwritten",
                )
                self.log.append(f"{self._ptr(slot)}: redzone 1:0x{r1:x}, redzone 2:0x{r2:x}")
            self._wr64(rz1, RED_ACTIVE)
            self._wr64(rz2, RED_ACTIVE)
        if st.leak:
            pfn = self._slab_of(slot)
            idx = (slot - int(self._page_s_mem[pfn])) // c.size
            self._set_obj_status(st, int(self._page_freelist[pfn]), idx, OBJECT_ACTIVE)
        objp = slot + st.obj_offset
        if c.ctor is not None and st.poison:
            c.ctor(objp)
        if self._minalign and objp & (self._minalign - 1):
            self.log.append(
                f"0x{self._ptr(objp)}: not aligned to ARCH_SLAB_MINALIGN={self._minalign}"
            )
        return objp

    def _kfree_debugcheck(self, objp: int) -> None:
        """kfree_debugcheck (3.16): virt_addr_valid() or BUG."""
        try:
            self.arena.virt_to_pfn(objp)
        except InputError:
            self.log.append(f"kfree_debugcheck: out of range ptr {objp & self._word_mask:x}h.")
            self._bug(2828)

    def _verify_redzone_free(self, st: CacheState, slot: int) -> None:
        """verify_redzone_free (3.16): both words must read RED_ACTIVE."""
        r1 = self._rd64(slot + st.obj_offset - 8)
        r2 = self._rd64(slot + st.rz2)
        if r1 == RED_ACTIVE and r2 == RED_ACTIVE:
            return
        if r1 == RED_INACTIVE and r2 == RED_INACTIVE:
            self._slab_error("verify_redzone_free", st.cache, "double free detected")
        else:
            self._slab_error(
                "verify_redzone_free", st.cache, "memory outside object was overwritten"
            )
        self.log.append(f"{self._ptr(slot)}: redzone 1:0x{r1:x}, redzone 2:0x{r2:x}.")

    def _cache_free_debugcheck(self, st: CacheState, objp: int, caller: int) -> int:
        """cache_free_debugcheck (3.16): the caller's pointer back to its slot, checked;
        red zones to RED_INACTIVE, the caller recorded, the object poisoned."""
        c = st.cache
        pfn = self._head_pfn(self.arena.virt_to_pfn(objp))
        if int(self._page_slab_cache[pfn]) != st.cache_id:  # BUG_ON(virt_to_cache != cachep)
            self._bug(2860)
        slot = objp - st.obj_offset
        self._kfree_debugcheck(slot)
        page = self._head_pfn(self.arena.virt_to_pfn(slot))
        if st.red_zone:
            self._verify_redzone_free(st, slot)
            self._wr64(slot + st.obj_offset - 8, RED_INACTIVE)
            self._wr64(slot + st.rz2, RED_INACTIVE)
        if st.store_user:
            self.arena.write_word(slot + st.user, caller, self._bpw)
        s_mem = int(self._page_s_mem[page])
        objnr = ((slot - s_mem) & 0xFFFFFFFF) // c.size  # obj_to_index: u32 offset / size
        if objnr >= c.num:
            self._bug(2876)
        if slot != s_mem + objnr * c.size:
            self._bug(2877)
        if st.leak:
            self._set_obj_status(st, int(self._page_freelist[page]), objnr, OBJECT_FREE)
        if st.poison and not st.unmap:  # (DEBUG_PAGEALLOC: store_stackinfo + unmap, not done)
            self._poison_obj(st, slot, POISON_FREE)
        return slot

    def _slab_destroy_debugcheck(self, st: CacheState, pfn: int) -> None:
        """slab_destroy_debugcheck (3.16): every object poisoned and RED_INACTIVE."""
        c = st.cache
        s_mem = int(self._page_s_mem[pfn])
        for i in range(c.num):
            slot = s_mem + i * c.size
            if st.poison and not st.unmap:
                self.log.extend(self._check_poison_obj(st, slot, pfn))
            if st.red_zone:
                if self._rd64(slot + st.obj_offset - 8) != RED_INACTIVE:
                    self._slab_error(
                        "slab_destroy_debugcheck", c, "start of a freed object was overwritten"
                    )
                if self._rd64(slot + st.rz2) != RED_INACTIVE:
                    self._slab_error(
                        "slab_destroy_debugcheck", c, "end of a freed object was overwritten"
                    )

    # ---- CONFIG_DEBUG_SLAB: reports ----------------------------------------------------
    def _ptr(self, value: int) -> str:
        """printk's %p of 3.16: zero-padded hex of the word width; NULL as "(null)"."""
        width = 2 * self._bpw
        value &= self._word_mask
        return "(null)".rjust(width) if value == 0 else f"{value:0{width}x}"

    def _sym(self, value: int) -> str:
        """%pSR: the symbol (from ``symbols``), else 0x<hex>; NULL as "(null)"."""
        value &= self._word_mask
        if value == 0:
            return self._ptr(0)
        return self.symbols.get(value, f"0x{value:x}")

    def print_tainted(self) -> str:
        """print_tainted() (kernel/panic.c 3.16)."""
        if not self.taint:
            return "Not tainted"
        return "Tainted: " + "".join(t[0] if t[0] in self.taint else t[1] for t in _TAINTS)

    def _slab_error(self, function: str, cache: KmemCache, msg: str) -> None:
        """__slab_error (3.16): the report and TAINT_BAD_PAGE (dump_stack not modelled)."""
        self.log.append(f"slab error in {function}(): cache `{cache.name}': {msg}")
        self.taint.add("B")

    def _bug(self, line: int) -> NoReturn:
        """BUG()/BUG_ON() in mm/slab.c of 3.16.41: report_bug's lines, then the oops."""
        message = f"kernel BUG at mm/slab.c:{line}!"
        self.log.append("------------[ cut here ]------------")
        self.log.append(message)
        raise KernelBug(BUG, message)

    def _dump_line(self, data: bytes, offset: int, limit: int) -> list[str]:
        """dump_line (3.16): "%03x: " and print_hex_dump's 16-byte row with ASCII, then
        the single-bit-error hint when exactly one byte differs from POISON_FREE."""
        chunk = data[offset : offset + limit]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        out = [f"{offset:03x}: {hexes:<49}{text}"]  # ascii_column 3 * 16 + 2
        bad = [b for b in chunk if b != POISON_FREE]
        if len(bad) == 1:
            error = bad[0] ^ POISON_FREE
            if not error & (error - 1):
                out.append("Single bit error detected. Probably bad RAM.")
                if self._x86:
                    out.append("Run memtest86+ or a similar memory test tool.")
                else:
                    out.append("Run a memory test tool.")
        return out

    def _print_objinfo(self, st: CacheState, slot: int, lines: int) -> list[str]:
        """print_objinfo (3.16): red zones, last user, ``lines`` rows of the object."""
        out = []
        if st.red_zone:
            r1, r2 = self._rd64(slot + st.obj_offset - 8), self._rd64(slot + st.rz2)
            out.append(f"Redzone: 0x{r1:x}/0x{r2:x}.")
        if st.store_user:
            user = self.arena.read_word(slot + st.user, self._bpw)
            out.append(f"Last user: [<{self._ptr(user)}>]({self._sym(user)})")
        size = st.cache.object_size
        data = self.arena.read(slot + st.obj_offset, size)
        i = 0
        while i < size and lines:
            out += self._dump_line(data, i, min(16, size - i))
            i += 16
            lines -= 1
        return out

    def _check_poison_obj(self, st: CacheState, slot: int, pfn: int | None = None) -> list[str]:
        """check_poison_obj (3.16): the report lines for a free object whose poison is not
        intact (empty when it is).  As in the kernel: at most 6 rows (the count is
        tested after the increment), and the byte right after a dumped row is skipped."""
        c = st.cache
        size = c.object_size
        real = slot + st.obj_offset
        data = self.arena.read(real, size)
        if data == st.patterns[POISON_FREE]:
            return []
        out: list[str] = []
        lines = 0
        i = 0
        while i < size:
            expected = POISON_END if i == size - 1 else POISON_FREE
            if data[i] != expected:
                if lines == 0:
                    out.append(
                        f"Slab corruption ({self.print_tainted()}): {c.name} "
                        f"start={self._ptr(real)}, len={size}"
                    )
                    out += self._print_objinfo(st, slot, 0)
                i = i // 16 * 16
                out += self._dump_line(data, i, min(16, size - i))
                i += 16
                lines += 1
                if lines > 5:
                    break
            i += 1
        if lines:
            if pfn is None:
                pfn = self._slab_of(slot)
            s_mem = int(self._page_s_mem[pfn])
            objnr = (slot - s_mem) // c.size
            for label, nr in (("Prev", objnr - 1), ("Next", objnr + 1)):
                if 0 <= nr < c.num:
                    other = s_mem + nr * c.size
                    out.append(f"{label} obj: start={self._ptr(other + st.obj_offset)}, len={size}")
                    out += self._print_objinfo(st, other, 2)
        return out

    # ---- kmalloc ----------------------------------------------------------------------
    def kmalloc(self, size: int, cpu: int, gfp: str = "", caller: int = 0) -> int | None:
        """__kmalloc(): the kmalloc cache's object, ZERO_SIZE_PTR (16) for 0, None above
        KMALLOC_MAX_SIZE; ``gfp`` "dma" is GFP_DMA."""
        cache = self.kernel.kmalloc_slab(size, gfp)
        if isinstance(cache, ZeroSizePtr):
            return ZERO_SIZE_PTR
        if cache is None:
            return None
        return self.kmem_cache_alloc(cache, cpu, caller)

    def kfree(self, objp: int, cpu: int, caller: int = 0) -> None:
        """kfree(): NULL and ZERO_SIZE_PTR are ignored; an address outside slab pages is
        an InputError (the kernel would oops on page->slab_cache); with DEBUG an
        address outside the direct map is kfree_debugcheck's BUG."""
        if objp <= ZERO_SIZE_PTR:  # ZERO_OR_NULL_PTR
            return
        if self.debug:
            self._kfree_debugcheck(objp)
        pfn = self._slab_of(objp)
        self.kmem_cache_free(self.by_id[int(self._page_slab_cache[pfn])].cache, objp, cpu, caller)

    # ---- shrink ----------------------------------------------------------------------
    def shutdown(self, cache: KmemCache) -> int:
        """__kmem_cache_shutdown() (3.16): __kmem_cache_shrink; non-zero while slabs
        with objects remain (the per-CPU and node arrays it then frees are not in the
        arena)."""
        return self.kmem_cache_shrink(cache)

    def kmem_cache_shrink(self, cache: KmemCache, cpu: int = 0) -> int:
        """__kmem_cache_shrink(): drain every CPU's array and the shared array to the
        slabs, free the free slabs; 1 if full or partial slabs remain."""
        st = self.state(cache)
        for ac in st.cpu:
            self._free_block(st, ac.entry[:], cpu)
            ac.entry.clear()
        if st.node.shared is not None:
            self._free_block(st, st.node.shared.entry[:], cpu)
            st.node.shared.entry.clear()
        n = st.node
        while n.free:  # drain_freelist from the tail of slabs_free
            pfn, _ = n.free.popitem(last=True)
            n.free_objects -= cache.num
            self.slab_destroy(st, pfn, cpu)
        return 1 if (n.full or n.partial) else 0

    # ---- seeing inside ---------------------------------------------------------------
    def counts(self, cache: KmemCache) -> dict[str, int]:
        """get_slabinfo(): what /proc/slabinfo shows for the cache."""
        st = self.state(cache)
        n = st.node
        active_objs = cache.num * len(n.full) + sum(int(self._page_inuse[p]) for p in n.partial)
        active_slabs = len(n.full) + len(n.partial)
        num_slabs = active_slabs + len(n.free)
        return {
            "active_objs": active_objs,
            "num_objs": num_slabs * cache.num,
            "active_slabs": active_slabs,
            "num_slabs": num_slabs,
            "shared_avail": n.shared.avail if n.shared else 0,
        }

    def update_stats(self) -> None:
        """Copy the counts into every cache's ``stats`` (what slabinfo.render prints)."""
        for st in self.by_id:
            st.cache.stats.update(self.counts(st.cache))

    def object_info(self, addr: int) -> dict[str, Any]:
        """Which cache, slab and object an address is in, and its state (as drgn's
        slab_object_info answers): free in the slab, cached in a CPU/shared array, or
        allocated."""
        pfn = self._slab_of(addr)
        st = self.by_id[int(self._page_slab_cache[pfn])]
        c = st.cache
        s_mem = int(self._page_s_mem[pfn])
        index = (addr - s_mem) // c.size
        if addr < s_mem or index >= c.num:
            return {
                "cache": c.name,
                "slab": self.arena.pfn_to_virt(pfn),
                "index": None,
                "state": "slab management",
            }
        objp = s_mem + index * c.size
        state = "allocated"
        active = int(self._page_inuse[pfn])
        freelist = int(self._page_freelist[pfn])
        if index in {self._freelist_get(freelist, i) for i in range(active, c.num)}:
            state = "free"
        elif any(objp in ac.entry for ac in st.cpu):
            state = "cached (per-CPU array)"
        elif st.node.shared is not None and objp in st.node.shared.entry:
            state = "cached (shared array)"
        return {
            "cache": c.name,
            "slab": self.arena.pfn_to_virt(pfn),
            "index": index,
            "object": objp,
            "pointer": objp + st.obj_offset,  # what kmem_cache_alloc returned
            "offset": addr - objp,
            "state": state,
        }

    def slab_map(self, cache: KmemCache) -> list[str]:
        """One line per slab: its address, list, and each object as 'x' (in use, or
        in an array cache) or '.' (free in the slab)."""
        st = self.state(cache)
        lines = []
        for name, lst in (
            ("full", st.node.full),
            ("partial", st.node.partial),
            ("free", st.node.free),
        ):
            for pfn in lst:
                active = int(self._page_inuse[pfn])
                freelist = int(self._page_freelist[pfn])
                free = {self._freelist_get(freelist, i) for i in range(active, cache.num)}
                marks = "".join("." if i in free else "x" for i in range(cache.num))
                lines.append(f"{self.arena.pfn_to_virt(pfn):#x} {name:<7} {marks}")
        return lines

    def _consistency(self, cache: KmemCache) -> Iterator[str]:
        """The problems check() knows of, in its order: a corrupt index freelist, an
        object in two places, free_objects out of step with the slabs."""
        st = self.state(cache)
        seen: set[int] = set()
        n = st.node
        free_in_slabs = 0
        for lst in (n.full, n.partial, n.free):
            for pfn in lst:
                active = int(self._page_inuse[pfn])
                freelist = int(self._page_freelist[pfn])
                # entries below ``active`` are stale: slab_get_obj never clears them
                free = [self._freelist_get(freelist, i) for i in range(active, cache.num)]
                if len(set(free)) != len(free) or any(i >= cache.num for i in free):
                    yield (
                        f"slab error in {cache.name}: freelist of "
                        f"{self.arena.pfn_to_virt(pfn):#x} is corrupt"
                    )
                free_in_slabs += cache.num - active
                seen.update(int(self._page_s_mem[pfn]) + i * cache.size for i in free)
        cached = [o for ac in st.cpu for o in ac.entry] + (n.shared.entry if n.shared else [])
        if len(set(cached)) != len(cached) or seen & set(cached):
            yield f"slab error in {cache.name}: an object is in two places"
        if free_in_slabs != n.free_objects:
            yield f"slab: cache {cache.name} error: free_objects accounting error"

    def check(self, cache: KmemCache) -> None:
        """Every object in exactly one place; counters agree (raises KernelBug)."""
        for problem in self._consistency(cache):
            raise KernelBug(BUG, problem)

    def validate(self, cache: KmemCache) -> list[str]:
        """check()'s problems as lines (nothing raised, nothing logged: 3.16 has no
        validate, these are slabhw's words), then in a
        DEBUG_SLAB cache the debug bytes of every object: red zones (RED_INACTIVE when
        free in the slab or cached in an array, RED_ACTIVE when allocated; these lines
        are the model's words) and the poison of free objects (check_poison_obj's
        report, the one the next allocation of that object would print)."""
        lines = list(self._consistency(cache))
        st = self.state(cache)
        if st.debug and (st.red_zone or st.poison):
            lines += self._debug_bytes(st)
        return lines

    def _debug_bytes(self, st: CacheState) -> list[str]:
        """validate()'s check of the red zones and poison of every object."""
        cache = st.cache
        lines: list[str] = []
        cached = {o for ac in st.cpu for o in ac.entry}
        if st.node.shared is not None:
            cached.update(st.node.shared.entry)
        n = st.node
        for lst in (n.full, n.partial, n.free):
            for pfn in lst:
                s_mem = int(self._page_s_mem[pfn])
                freelist = int(self._page_freelist[pfn])
                active = int(self._page_inuse[pfn])
                free = {self._freelist_get(freelist, i) for i in range(active, cache.num)}
                for i in range(cache.num):
                    slot = s_mem + i * cache.size
                    is_free = i in free or slot in cached
                    if st.red_zone:
                        want = RED_INACTIVE if is_free else RED_ACTIVE
                        r1 = self._rd64(slot + st.obj_offset - 8)
                        r2 = self._rd64(slot + st.rz2)
                        if r1 != want or r2 != want:
                            lines.append(
                                f"{cache.name}: {'free' if is_free else 'allocated'} object "
                                f"{self._ptr(slot + st.obj_offset)}: "
                                f"redzone 1:0x{r1:x}, redzone 2:0x{r2:x}"
                            )
                    if is_free and st.poison and not st.unmap:
                        lines += self._check_poison_obj(st, slot, pfn)
        return lines

    # ---- the run-time interface shared with SLUB (slabhw.allocators.Runtime) ------------
    MAP_LEGEND = "x allocated or in an array cache, . free in the slab"

    def alloc(
        self, cache: KmemCache, cpu: int, caller: int = 0, *, size: int | None = None
    ) -> int | None:
        """kmem_cache_alloc() (``size``, a kmalloc request size, is a SLUB input)."""
        if size is not None:
            raise InputError("3.16 keeps no requested size (kmalloc orig_size came in 6.1)")
        return self.kmem_cache_alloc(cache, cpu, caller)

    def free(self, cache: KmemCache, addr: int, cpu: int, caller: int = 0) -> None:
        """kmem_cache_free()."""
        self.kmem_cache_free(cache, addr, cpu, caller)

    def shrink(self, cache: KmemCache) -> int:
        """kmem_cache_shrink()."""
        return self.kmem_cache_shrink(cache)

    def alloc_bulk(self, cache: KmemCache, n: int, cpu: int, caller: int = 0) -> list[int]:
        raise InputError("3.16 has no kmem_cache_alloc_bulk (added in 4.2)")

    def free_bulk(self, cache: Any, objs: list[int], cpu: int, caller: int = 0) -> None:
        raise InputError("3.16 has no kmem_cache_free_bulk (added in 4.2)")

    slab_errors = 0  # 3.16 has no KUnit suite: nothing counts

    def sysfs_validate(self, cache: KmemCache) -> tuple[int | None, list[str]]:
        """3.16 has no /sys/kernel/slab: the model's own checks (validate()), as
        (slabs checked, their report lines, which the kernel would not log)."""
        st = self.state(cache)
        n = st.node
        return len(n.full) + len(n.partial) + len(n.free), self.validate(cache)

    def map_lines(self, cache: KmemCache) -> list[str]:
        return self.slab_map(cache)

    def slabinfo(self) -> str:
        return self.kernel.slabinfo()

    def sysfs_counts(self, cache: KmemCache) -> dict[str, str]:
        raise InputError(f"{self.kernel.config.version} uses SLAB: no /sys/kernel/slab")
