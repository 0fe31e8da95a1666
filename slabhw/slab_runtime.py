"""SLAB (Linux 3.16) at run time: slabs in the page arena, per-CPU and shared array
caches, refill and flush, free_block, kmalloc/kfree, shrink and destroy.

Follows mm/slab.c of 3.16.41: cache_grow / alloc_slabmgmt / cache_init_objs,
____cache_alloc / cache_alloc_refill / transfer_objects, __cache_free /
cache_flusharray / free_block, slab_get_obj / slab_put_obj (the index freelist is
kept as real bytes in the slab or in its off-slab kmalloc object).  One NUMA node;
no pfmemalloc tagging; nothing runs in interrupts.  Caches start empty: the
allocations kmem_cache_create itself makes (descriptor, name, per-CPU arrays) are
not replayed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .arena import PG_HEAD, PG_SLAB, PG_TAIL, PageArena
from .errors import InputError, KernelBug
from .kernel import ZERO_SIZE_PTR, Kernel, ZeroSizePtr
from .slab import KmemCache

BATCHREFILL_LIMIT = 16

# SLAB list membership of a slab (struct page field ``list``)
ON_PARTIAL, ON_FULL, ON_FREE = 1, 2, 3


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


class SlabRuntime:
    """The SLAB allocator of a simulated 3.16 kernel running over a PageArena."""

    def __init__(self, kernel: Kernel, arena: PageArena) -> None:
        if kernel.config.preset.allocator != "SLAB":
            raise InputError("SlabRuntime runs SLAB kernels")
        self.kernel = kernel
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
            self.states[id(cache)] = st
            self.by_id.append(st)
        return st

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
        for i in range(c.num):  # cache_init_objs
            if c.ctor is not None:
                c.ctor(addr + offset + i * c.size)
            self._freelist_set(freelist, i, i)
        n.free[pfn] = None  # list_add_tail(&page->lru, &n->slabs_free)
        self._page_list[pfn] = ON_FREE
        n.free_objects += c.num
        return True

    def slab_destroy(self, st: CacheState, pfn: int, cpu: int) -> None:
        c = st.cache
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
        active = int(self._page_inuse[pfn]) - 1
        self._page_inuse[pfn] = active
        self._freelist_set(int(self._page_freelist[pfn]), active, idx)

    # ---- allocation: ____cache_alloc / cache_alloc_refill --------------------------------
    def kmem_cache_alloc(self, cache: KmemCache, cpu: int) -> int | None:
        self._check_cpu(cpu)
        st = self.state(cache)
        ac = st.cpu[cpu]
        if ac.entry:
            ac.touched = 1
            return ac.entry.pop()
        return self._cache_alloc_refill(st, ac, cpu)

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

    def kmem_cache_free(self, cache: KmemCache, objp: int, cpu: int) -> None:
        self._check_cpu(cpu)
        st = self.state(cache)
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

    # ---- kmalloc ----------------------------------------------------------------------
    def kmalloc(self, size: int, cpu: int, dma: bool = False) -> int | None:
        """__kmalloc(): the kmalloc cache's object, ZERO_SIZE_PTR (16) for 0, None above
        KMALLOC_MAX_SIZE."""
        cache = self.kernel.kmalloc_slab(size, dma=dma)
        if isinstance(cache, ZeroSizePtr):
            return ZERO_SIZE_PTR
        if cache is None:
            return None
        return self.kmem_cache_alloc(cache, cpu)

    def kfree(self, objp: int, cpu: int) -> None:
        if objp <= ZERO_SIZE_PTR:  # ZERO_OR_NULL_PTR
            return
        pfn = self._slab_of(objp)
        self.kmem_cache_free(self.by_id[int(self._page_slab_cache[pfn])].cache, objp, cpu)

    # ---- shrink ----------------------------------------------------------------------
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

    def check(self, cache: KmemCache) -> None:
        """Every object in exactly one place; counters agree (raises KernelBug)."""
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
                    raise KernelBug(
                        1000,
                        f"slab error in {cache.name}: freelist of "
                        f"{self.arena.pfn_to_virt(pfn):#x} is corrupt",
                    )
                free_in_slabs += cache.num - active
                seen.update(int(self._page_s_mem[pfn]) + i * cache.size for i in free)
        cached = [o for ac in st.cpu for o in ac.entry] + (n.shared.entry if n.shared else [])
        if len(set(cached)) != len(cached) or seen & set(cached):
            raise KernelBug(1000, f"slab error in {cache.name}: an object is in two places")
        if free_in_slabs != n.free_objects:
            raise KernelBug(1000, f"slab: cache {cache.name} error: free_objects accounting error")
