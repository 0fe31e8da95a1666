"""SLUB of 7.x at run time: per-CPU sheaves and per-node barns for every cache in
place of the per-CPU slab and partial lists ("slab: replace cpu (partial) slabs with
sheaves", slab-for-7.0; mm/slub.c of 7.0.0 and 7.1.3, function by function).

A sheaf is a stack of object pointers: an allocation pops ``main``'s top, a free
pushes onto it.  An empty main is replaced by a non-empty spare, a full sheaf from
the barn, or a sheaf refilled from the node's partial slabs (whole slabs, the last
detached first) and new slabs; a full main is replaced by an empty or non-full spare,
an empty sheaf from the barn (the full one stays there while it holds fewer than
MAX_FULL_SHEAVES), or a newly allocated one, flushing to the slabs when all else
fails.  The sheaves themselves are kmalloc objects (a barn in kmalloc-64, a sheaf of
capacity 60 in kmalloc-512 on x86_64): the boot allocates them for every cache with
sheaves in the kernel's order (the kmalloc NORMAL caches' last, in
bootstrap_kmalloc_sheaves()), a new cache at its creation, and the run time whenever
a CPU needs another sheaf.  A sheaf allocated for a kmalloc cache carries
__GFP_NO_OBJ_EXT, so it never asks for another sheaf in turn.

Without sheaves (capacity 0: boot caches, debug caches, SLUB_TINY) every allocation
takes one object from the first partial slab (or a new slab, which then goes to the
partial list's head) and every free goes to the slab (__slab_free: no frozen slabs).

kfree_rcu() of an object of a cache with sheaves goes into the CPU's rcu_free sheaf;
a full one is handed to call_rcu(), and at the end of a grace period (``rcu_barrier``:
the model's grace periods end only when asked) its objects are freed (the free hooks
run then) and the sheaf goes to the barn's full list while that holds fewer than
MAX_FULL_SHEAVES (its objects allocatable again without touching the slabs), else it
is flushed and kept as an empty sheaf or freed.

Simplified (documented): the sheaves' contents are kept by the model, not written
into their kmalloc objects' bytes; the classic kfree_rcu batching (for objects
outside a cache with sheaves), kmalloc_nolock, the prefilled-sheaf API, pfmemalloc
and remote nodes are not modelled; the objects of a wrong-cache free without
SLAB_FREELIST_HARDENED are refused rather than freed into the wrong cache's
sheaves.

The layer between bulk and runtime of slabhw.slub_runtime (state -> checks -> paths
-> bulk -> sheaves -> runtime); every method gives way to the classic paths of the
versions without sheaves for every cache (``sheaves_on``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _core
from ..errors import InputError
from ..slub import SlubCache
from .bulk import SlubBulk
from .checks import TRACK_ALLOC
from .state import (
    BOOTSTRAP_SHEAF,
    DEACTIVATE_TO_HEAD,
    DEACTIVATE_TO_TAIL,
    CacheState,
    NodeBarn,
    Sheaf,
    Slab,
)

MAX_FULL_SHEAVES = 10  # barn_replace_full_sheaf() refuses more (-E2BIG)
MAX_EMPTY_SHEAVES = 10  # rcu_free_sheaf() frees an empty sheaf beyond these
PCS_BATCH_MAX = 32  # __sheaf_flush_main_batch()
NODE_BARN_SIZE = 48  # struct node_barn: a spinlock, two list heads, two counters
_E2BIG = "E2BIG"


class SlubSheaves(SlubBulk):
    """kmem_cache_alloc/free, the bulk calls, flush and shrink of 7.x."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sheaves_on = self.rules.has_auto_sheaf_capacity
        self._no_obj_ext = False  # the allocation under way carries __GFP_NO_OBJ_EXT
        self._cpu_now = 0  # the CPU the operation under way runs on
        self._warned: set[str] = set()  # WARN_ONCE sites that fired
        # call_rcu() callbacks waiting for a grace period: (function, cache, sheaf),
        # rcu_free_sheaf ("barn") or rcu_free_sheaf_nobarn ("nobarn")
        self.rcu_pending: list[tuple[str, CacheState, Sheaf]] = []
        if self.sheaves_on:
            self._boot_sheaves()

    # ==== boot and creation: the sheaves' own kmalloc objects ========================
    def _boot_sheaves(self) -> None:
        """The sheaves the boot made, in its order: every cache with sheaves gets its
        barn and per-CPU sheaves at creation (do_kmem_cache_create), served by the
        NORMAL kmalloc caches' slabs while those still have the bootstrap sheaf; then
        bootstrap_kmalloc_sheaves() gives the NORMAL and random kmalloc caches theirs,
        type by type, index by index."""
        kernel = self.kernel
        normal_tables = kernel.kmalloc_normal_tables()
        normal = {id(c) for table in normal_tables for c in table.values()}
        for cache in reversed(kernel.slab_caches):  # creation order
            st = self.state(cache)
            if id(cache) not in normal and cache.sheaf_capacity:
                self._init_sheaves(st, int(cache.sheaf_capacity))
        # every index of the table, so a cache that serves two indexes (a kmalloc
        # minimum alignment above 8) is bootstrapped twice, its first sheaves leaked,
        # as in 7.0 and 7.1 (fixed in 7.2-rc4, "slab: fix leak when bootstrapping
        # sheaves twice")
        for table in normal_tables:
            for idx in sorted(table):
                cache = table[idx]
                if cache.sheaf_capacity:
                    self._init_sheaves(self.state(cache), int(cache.sheaf_capacity))

    def cache_created(self, cache: SlubCache) -> None:
        """A cache kmem_cache_create just made: its barn and sheaves (7.x)."""
        if self.sheaves_on and cache.sheaf_capacity:
            self._init_sheaves(self.state(cache), int(cache.sheaf_capacity))

    def _init_sheaves(self, st: CacheState, capacity: int) -> None:
        """init_kmem_cache_nodes() and init_percpu_sheaves() (or, for the kmalloc
        caches, bootstrap_cache_sheaves()): a barn for node 0 (kmalloc_node), then an
        empty main sheaf per possible CPU; the capacity is set last, so until then
        the cache's own allocations take its slab path."""
        addr = self._meta_kmalloc(NODE_BARN_SIZE, False)
        if not addr:
            raise InputError(f"out of memory creating the barn of {st.name}: use a larger --mem")
        st.barn = NodeBarn(addr)
        for pcs in st.pcs:
            sheaf = self._alloc_empty_sheaf(st, capacity)
            if sheaf is None:
                raise InputError(f"Out of memory when creating kmem_cache {st.name}")
            pcs.main = sheaf
        st.capacity = capacity

    def _meta_kmalloc(self, size: int, no_obj_ext: bool) -> int:
        """kzalloc() for a sheaf or a barn on the current CPU, __GFP_NO_OBJ_EXT added
        for a kmalloc cache's sheaf (and kept while the allocation runs)."""
        saved = self._no_obj_ext
        self._no_obj_ext = saved or no_obj_ext
        try:
            return self.kmalloc(size, self._cpu_now, zero=True) or 0
        finally:
            self._no_obj_ext = saved

    def _alloc_empty_sheaf(self, st: CacheState, capacity: int | None = None) -> Sheaf | None:
        """__alloc_empty_sheaf(): NULL when the request already carries
        __GFP_NO_OBJ_EXT (a kmalloc cache's sheaf would recurse); else kzalloc of
        struct_size(sheaf, objects, capacity)."""
        if self._no_obj_ext:
            return None
        n = st.capacity if capacity is None else capacity
        config = self.kernel.config
        addr = self._meta_kmalloc(config.sheaf_header_bytes + config.bytes_per_word * n, st.kmalloc)
        return Sheaf(addr) if addr else None

    def _free_empty_sheaf(self, st: CacheState, sheaf: Sheaf) -> None:
        """free_empty_sheaf(): kfree of the sheaf's object."""
        self.kfree(sheaf.addr, self._cpu_now)

    # ==== allocation =================================================================
    def _slab_alloc_node(self, st: CacheState, cpu: int, addr: int, orig_size: int) -> int:
        """slab_alloc_node() of 7.x: alloc_from_pcs, else ___slab_alloc (kmem_cache_alloc
        gets here: 7.x has no CPU freelist for its fast path)."""
        if not self.sheaves_on:
            return super()._slab_alloc_node(st, cpu, addr, orig_size)
        saved, self._cpu_now = self._cpu_now, cpu
        try:
            obj = self.alloc_from_pcs(st, cpu) if st.capacity else 0
            return obj or self.slab_alloc_slow(st, cpu, addr, orig_size)
        finally:
            self._cpu_now = saved

    def alloc_from_pcs(self, st: CacheState, cpu: int) -> int:
        """alloc_from_pcs(): the top of the main sheaf, after replacing an empty one."""
        if not st.pcs[cpu].main.objects and not self._replace_empty_main(st, cpu):
            return 0
        return st.pcs[cpu].main.objects.pop()

    def _replace_empty_main(self, st: CacheState, cpu: int) -> bool:
        """__pcs_replace_empty_main(): a non-empty spare, else a full barn sheaf (the
        empty main goes to the barn), else the spare or a barn sheaf refilled, else a
        new full sheaf; installed as main (the old empty main becomes the spare or
        goes to the barn), or as spare, or put in the barn."""
        if self._full_main_from_spare_or_barn(st, cpu):
            return True
        barn, pcs = st.barn, st.pcs[cpu]
        if not st.capacity or barn is None:
            return False
        empty: Sheaf | None
        full: Sheaf | None = None
        if pcs.spare is not None:
            empty, pcs.spare = pcs.spare, None
        else:
            empty = barn.empty.pop(0) if barn.empty else None
        if empty is not None:
            if self._refill_sheaf(st, empty):
                full = empty
            else:
                self._sheaf_flush_unused(st, empty)
                self._free_empty_sheaf(st, empty)
        else:
            full = self._alloc_full_sheaf(st)
        if full is None:
            return False
        pcs = st.pcs[cpu]
        if not pcs.main.objects:
            if pcs.spare is None:
                pcs.spare = pcs.main
            else:
                barn.empty.insert(0, pcs.main)
            pcs.main = full
            return True
        if pcs.spare is None:
            pcs.spare = full
        elif not pcs.spare.objects:
            barn.empty.insert(0, pcs.spare)
            pcs.spare = full
        else:
            barn.full.insert(0, full)
        return True

    def _full_main_from_spare_or_barn(self, st: CacheState, cpu: int) -> bool:
        """The steps every allocation path takes for an empty main sheaf before it
        refills one: a non-empty spare swapped in, else a full barn sheaf for the
        empty main (barn_replace_empty_sheaf).  False when neither is there."""
        pcs, barn = st.pcs[cpu], st.barn
        if not st.capacity or barn is None:
            return False
        if pcs.spare is not None and pcs.spare.objects:
            pcs.main, pcs.spare = pcs.spare, pcs.main
            return True
        full = self._barn_replace_empty(barn, pcs.main)
        if full is None:
            return False
        pcs.main = full
        return True

    @staticmethod
    def _barn_replace_empty(barn: NodeBarn, empty: Sheaf) -> Sheaf | None:
        """barn_replace_empty_sheaf(): the first full sheaf for the empty one."""
        if not barn.full:
            return None
        full = barn.full.pop(0)
        barn.empty.insert(0, empty)
        return full

    @staticmethod
    def _barn_replace_full(barn: NodeBarn, full: Sheaf) -> Sheaf | str:
        """barn_replace_full_sheaf(): the first empty sheaf for the full one, unless
        the barn holds MAX_FULL_SHEAVES full ones (-E2BIG) or no empty one (-ENOMEM)."""
        if len(barn.full) >= MAX_FULL_SHEAVES:
            return _E2BIG
        if not barn.empty:
            return "ENOMEM"
        empty = barn.empty.pop(0)
        barn.full.insert(0, full)
        return empty

    def _alloc_full_sheaf(self, st: CacheState) -> Sheaf | None:
        """alloc_full_sheaf() (7.0; 7.1 inlines the same steps): a new sheaf, filled
        completely or given back."""
        sheaf = self._alloc_empty_sheaf(st)
        if sheaf is None:
            return None
        if not self._refill_sheaf(st, sheaf):
            self._sheaf_flush_unused(st, sheaf)
            self._free_empty_sheaf(st, sheaf)
            return None
        return sheaf

    def _refill_sheaf(self, st: CacheState, sheaf: Sheaf) -> bool:
        """refill_sheaf(): refill_objects() for the room left; False when short."""
        room = st.capacity - len(sheaf.objects)
        if not room:
            return True
        got = self.refill_objects(st, room, room)
        sheaf.objects.extend(got)
        return len(got) >= room

    def refill_objects(self, st: CacheState, lo: int, hi: int) -> list[int]:
        """refill_objects(): from node 0's partial slabs, then new slabs until at
        least ``lo`` objects (at most ``hi``); a slab not used up goes to the partial
        list's head.  No out-of-memory report: the caller fails."""
        p = self._refill_objects_node(st, lo, hi)
        while len(p) < lo:
            slab = self.allocate_slab(st)
            if slab is None:
                break
            p += self.alloc_from_new_slab(st, slab, hi - len(p))
        return p

    def _refill_objects_node(self, st: CacheState, lo: int, hi: int) -> list[int]:
        """__refill_objects_node(): get_partial_node_bulk() detaches slabs from the
        partial list's head onto a private list (list_add: the last detached first)
        until ``hi`` free objects, or ``lo`` when the next slab would pass ``hi``;
        each slab's whole freelist is taken (get_freelist_nofreeze) in order, and what
        exceeds ``hi`` goes back with __slab_free (the slab, now full, goes to the
        partial tail).  Slabs not reached go back to the head, in their old order, or
        are discarded when empty and the node has min_partial slabs."""
        n = st.node
        if not n.nr_partial:
            return []
        taken: list[Slab] = []
        total = 0
        for slab in list(n.partial):
            free = slab.objects - slab.inuse
            if total >= lo and total + free > hi:
                break
            self.remove_partial(st, slab)
            taken.insert(0, slab)
            total += free
            if total >= hi:
                break
        p: list[int] = []
        while taken:
            slab = taken.pop(0)
            obj = slab.freelist  # get_freelist_nofreeze()
            slab.freelist = 0
            slab.inuse = slab.objects
            self._sync(slab)
            got, obj = self._take_freelist(st, obj, hi - len(p))
            p += got
            if obj:  # more than fit: back to the slab as a detached freelist
                head, cnt = obj, 0
                while obj:
                    tail = obj
                    cnt += 1
                    obj = self.get_freepointer(st, obj)
                self.slab_free_sheaves(st, slab, head, tail, cnt, self._cpu_now, 0)
            if len(p) >= hi:
                break
        discard = []
        for slab in taken:
            if not slab.inuse and n.nr_partial >= st.min_partial:
                discard.append(slab)
                continue
            self.add_partial(st, slab, DEACTIVATE_TO_HEAD)
        for slab in discard:
            self.discard_slab(st, slab)
        return p

    def alloc_from_new_slab(self, st: CacheState, slab: Slab, count: int) -> list[int]:
        """alloc_from_new_slab(): up to ``count`` objects in freelist order; a slab
        with more objects than that goes to the partial list's head."""
        p, obj = self._take_freelist(st, slab.freelist, count)
        slab.inuse += len(p)
        slab.freelist = obj
        if slab.objects > count:
            self.add_partial(st, slab, DEACTIVATE_TO_HEAD)
        self.inc_slabs_node(st, slab)
        self._sync(slab)
        return p

    def _take_freelist(self, st: CacheState, obj: int, limit: int) -> tuple[list[int], int]:
        """Up to ``limit`` objects of the freelist at ``obj`` in order, each through
        maybe_wipe_obj_freeptr(), and the rest of the list.  Without init_on_free one
        C call walks it (FreePointers.walk: the same free pointers decoded)."""
        out: list[int] = []
        if self.fast and not st.init_on_free and obj and limit > 1:
            fp = st.fp or self.freepointers(st)
            arr = np.empty(limit, dtype=np.uint64)
            k, rest = fp.walk(obj, arr, 0, limit)
            out = arr[:k].tolist()
            if k == limit or not rest:
                return out, rest
            obj = rest  # a free pointer outside the arena: the loop below traps there
        while obj and len(out) < limit:
            out.append(obj)
            obj = self.get_freepointer(st, obj)
            self.maybe_wipe_obj_freeptr(st, out[-1])
        return out, obj

    def slab_alloc_slow(self, st: CacheState, cpu: int, addr: int, orig_size: int) -> int:
        """___slab_alloc() of 7.x: one object from the first partial slab (debug and
        SLUB_TINY caches: alloc_single_from_partial), else a new slab."""
        if not self.sheaves_on:
            return super().slab_alloc_slow(st, cpu, addr, orig_size)
        while True:
            obj = self._get_from_partial_node(st, orig_size)
            if obj:
                break
            slab = self.allocate_slab(st)
            if slab is None:
                self.slab_out_of_memory(st, cpu)
                return 0
            if st.single:
                obj = self.alloc_single_from_new_slab(st, slab, orig_size)
                if obj:
                    break
                continue  # the checks failed: the slab is leaked, try again
            return self.alloc_from_new_slab(st, slab, 1)[0]
        if st.store_user:
            self.set_track(st, obj, TRACK_ALLOC, addr, cpu)
        return obj

    def _get_from_partial_node(self, st: CacheState, orig_size: int) -> int:
        """get_from_partial_node(): one object off the first partial slab (its
        freelist advanced, inuse + 1; off the list when that was its last)."""
        for slab in list(st.node.partial):
            if st.single:
                obj = self.alloc_single_from_partial(st, slab, orig_size)
                if obj:
                    return obj
                continue
            obj = slab.freelist
            slab.freelist = self.get_freepointer(st, obj)
            slab.inuse += 1
            if not slab.freelist:
                self.remove_partial(st, slab)
            self._sync(slab)
            return obj
        return 0

    # ==== free =======================================================================
    def free(self, cache: SlubCache, addr: int, cpu: int, caller: int = 0) -> list[str]:
        """kmem_cache_free() of 7.x: with SLAB_FREELIST_HARDENED (or consistency
        checks) an object that is not in a slab of this cache is leaked with a
        WARN_ONCE (warn_free_bad_obj); else slab_free(): free_to_pcs, or __slab_free."""
        if not self.sheaves_on:
            return super().free(cache, addr, cpu, caller)
        st = self.states.get(id(cache)) or self.state(cache)
        self._cpu(cpu)
        start = len(self.log)
        slab = self.virt_to_slab(addr)
        if slab is None or slab.state is not st:
            if not (st.hardened or st.checks):
                where = "not in a slab" if slab is None else f"in {slab.state.name}"
                raise InputError(
                    f"kmem_cache_free({st.name}, {addr:#x}): the object is {where}; "
                    "without SLAB_FREELIST_HARDENED the kernel frees it with this "
                    "cache's metadata, which slabhw does not model"
                )
            self.warn_free_bad_obj(st, addr, slab)
            return self.log[start:]
        saved, self._cpu_now = self._cpu_now, cpu
        try:
            self.slab_free_hook(st, addr)
            if not (st.capacity and self.free_to_pcs(st, addr, cpu)):
                self.slab_free_sheaves(st, slab, addr, addr, 1, cpu, caller)
        finally:
            self._cpu_now = saved
        return self.log[start:]

    def warn_free_bad_obj(self, st: CacheState, addr: int, slab: Slab | None) -> None:
        """warn_free_bad_obj() (7.0): WARN_ONCE, the object leaked."""
        if slab is None:
            site = "not in a slab"
            text = f"kmem_cache_free({st.name}, {addr:016x}): object is not in a slab page"
        else:
            site = "other cache"
            text = (
                f"kmem_cache_free({st.name}, {addr:016x}): object belongs to different "
                f"cache {slab.state.name}"
            )
        if site in self._warned:
            return
        self._warned.add(site)
        self._warn(text)
        if slab is not None:
            self.log.extend(self.print_tracking(slab.state, addr))

    def do_slab_free(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> None:
        """7.x has no CPU slab to free to: the bulk paths' freelists go to the slab."""
        if not self.sheaves_on:
            super().do_slab_free(st, slab, head, tail, cnt, cpu, addr)
            return
        self.slab_free_sheaves(st, slab, head, tail, cnt, cpu, addr)

    def slab_free_sheaves(
        self, st: CacheState, slab: Slab, head: int, tail: int, cnt: int, cpu: int, addr: int
    ) -> None:
        """__slab_free() of 7.x: onto the slab's freelist; a slab that was full goes to
        the partial list's tail, one that becomes empty is discarded when the node
        has min_partial slabs; a slab on no list and not full (detached by a refill)
        is left alone.  Debug and SLUB_TINY caches: free_to_partial_list."""
        if st.single:
            self.free_to_partial_list(st, slab, head, tail, cnt, cpu, addr)
            return
        n = st.node
        prior = slab.freelist
        was_full = not prior
        self.set_freepointer(st, tail, prior)
        new_inuse = slab.inuse - cnt
        locked = not new_inuse or was_full
        on_node_partial = slab.node_partial
        slab.freelist = head
        slab.inuse = new_inuse
        self._sync(slab)
        if not locked or (not was_full and not on_node_partial):
            return
        if not new_inuse and n.nr_partial >= st.min_partial:
            if not was_full:
                self.remove_partial(st, slab)
            self.discard_slab(st, slab)
            return
        if was_full:
            self.add_partial(st, slab, DEACTIVATE_TO_TAIL)

    def free_to_pcs(self, st: CacheState, obj: int, cpu: int) -> bool:
        """free_to_pcs(): push onto the main sheaf, after replacing a full one."""
        if len(st.pcs[cpu].main.objects) >= st.capacity and not self._replace_full_main(st, cpu):
            return False
        st.pcs[cpu].main.objects.append(obj)
        return True

    def _replace_full_main(self, st: CacheState, cpu: int) -> bool:
        """__pcs_replace_full_main(): an empty barn sheaf when there is no spare (the
        full main becomes the spare), a non-full spare, the barn taking the full main
        for an empty one; with MAX_FULL_SHEAVES in the barn the spare is flushed to
        the slabs and reused; else a new empty sheaf, or as a last resort the main
        sheaf flushed to the slabs."""
        while True:
            barn = st.barn
            if not st.capacity or barn is None:
                return False
            why = self._empty_main_from_spare_or_barn(st, cpu, barn)
            if not why:
                return True
            pcs = st.pcs[cpu]
            empty: Sheaf | None = None
            if why == _E2BIG:  # the barn is at its limit: the full spare is flushed
                empty, pcs.spare = pcs.spare, None
                assert empty is not None
                self._sheaf_flush_unused(st, empty)
            if empty is None:
                empty = self._alloc_empty_sheaf(st)
            if empty is not None:
                self._install_empty_sheaf(st, cpu, empty, barn)
                return True
            self._sheaf_flush_main(st, cpu)
            if len(st.pcs[cpu].main.objects) < st.capacity:
                return True

    def _empty_main_from_spare_or_barn(self, st: CacheState, cpu: int, barn: NodeBarn) -> str:
        """The steps both free paths take for a full main sheaf before they allocate
        or give up: with no spare, an empty barn sheaf (the full main becomes the
        spare); a spare with room swapped in; else the barn takes the full main for
        an empty sheaf (barn_replace_full_sheaf).  "" when main has room now, else
        why not: "ENOMEM" (no empty sheaf) or E2BIG (the barn holds its limit)."""
        pcs = st.pcs[cpu]
        if pcs.spare is None:
            if not barn.empty:
                return "ENOMEM"
            pcs.spare, pcs.main = pcs.main, barn.empty.pop(0)
            return ""
        if len(pcs.spare.objects) < st.capacity:
            pcs.main, pcs.spare = pcs.spare, pcs.main
            return ""
        got = self._barn_replace_full(barn, pcs.main)
        if isinstance(got, Sheaf):
            pcs.main = got
            return ""
        return got

    def _install_empty_sheaf(self, st: CacheState, cpu: int, empty: Sheaf, barn: NodeBarn) -> None:
        """__pcs_install_empty_sheaf()."""
        pcs = st.pcs[cpu]
        if pcs.spare is None:
            pcs.spare, pcs.main = pcs.main, empty
        elif len(pcs.main.objects) < st.capacity:
            barn.empty.insert(0, empty)
        elif len(pcs.spare.objects) < st.capacity:
            pcs.main, pcs.spare = pcs.spare, pcs.main
            barn.empty.insert(0, empty)
        else:
            barn.full.insert(0, pcs.main)
            pcs.main = empty

    def _sheaf_flush_main(self, st: CacheState, cpu: int) -> None:
        """sheaf_flush_main(): the main sheaf to the slabs, PCS_BATCH_MAX objects
        from its top at a time (each batch in array order)."""
        main = st.pcs[cpu].main
        while main.objects:
            batch = main.objects[-PCS_BATCH_MAX:]
            del main.objects[-PCS_BATCH_MAX:]
            self._kmem_cache_free_bulk(st, batch)

    def _sheaf_flush_unused(self, st: CacheState, sheaf: Sheaf) -> None:
        """sheaf_flush_unused(): every object of a detached sheaf to the slabs."""
        if sheaf.objects:
            objs, sheaf.objects = sheaf.objects, []
            self._kmem_cache_free_bulk(st, objs)

    def _kmem_cache_free_bulk(self, st: CacheState, objs: list[int]) -> None:
        """__kmem_cache_free_bulk(): detached freelists (build_detached_freelist) to
        __slab_free, no hooks; each freelist built by one C call (FreePointers.detach,
        unhooked) while the objects are regular, then the loop here."""
        size = len(objs)
        if self.fast and self._keyed and size > 1:
            p = np.array(objs, dtype=np.uint64)
            fp = st.fp or self.freepointers(st)
            while size:
                rc, new_size, head, tail, cnt, key = fp.detach(p, size, False, hooked=False)
                if rc != _core.DETACH_OK:
                    break
                size = new_size
                slab = st.slabs[key & 0xFFFFFFFF]
                self.slab_free_sheaves(st, slab, head, tail, cnt, self._cpu_now, 0)
            objs = p[:size].tolist()
        while size:
            size, df = self.build_detached_freelist(st, size, objs)
            if df is not None:
                s, slab, head, tail, cnt = df
                self.slab_free_sheaves(s, slab, head, tail, cnt, self._cpu_now, 0)

    # ==== bulk =======================================================================
    def alloc_bulk(self, cache: SlubCache, n: int, cpu: int, caller: int = 0) -> list[int]:
        """kmem_cache_alloc_bulk() of 7.x: the top entries of main (in array order),
        a non-empty spare, full barn sheaves; the rest from refill_objects() (debug
        caches: ___slab_alloc per object); all or nothing."""
        if not self.sheaves_on:
            return super().alloc_bulk(cache, n, cpu, caller)
        self._cpu(cpu)
        st = self.state(cache)
        if n <= 0:
            return []
        saved, self._cpu_now = self._cpu_now, cpu
        try:
            p = self._alloc_from_pcs_bulk(st, cpu, n)
            rest: list[int] = []
            if st.single:
                for _ in range(n - len(p)):
                    obj = self.slab_alloc_slow(st, cpu, caller, st.object_size)
                    if not obj:
                        self._kmem_cache_free_bulk(st, rest)
                        self._kmem_cache_free_bulk(st, p)
                        return []
                    self.maybe_wipe_obj_freeptr(st, obj)
                    rest.append(obj)
            elif len(p) < n:
                rest = self.refill_objects(st, n - len(p), n - len(p))
                if len(rest) < n - len(p):
                    self._kmem_cache_free_bulk(st, rest)
                    self._kmem_cache_free_bulk(st, p)
                    return []
            p += rest
            self.slab_post_alloc_hook(st, p, st.want_init_on_alloc(False), st.object_size)
            return p
        finally:
            self._cpu_now = saved

    def alloc_bulk_array(
        self, cache: SlubCache, n: int, cpu: int, caller: int = 0
    ) -> np.ndarray[Any, np.dtype[np.uint64]]:
        if not self.sheaves_on:
            return super().alloc_bulk_array(cache, n, cpu, caller)
        return np.array(self.alloc_bulk(cache, n, cpu, caller), dtype=np.uint64)

    def _alloc_from_pcs_bulk(self, st: CacheState, cpu: int, n: int) -> list[int]:
        """alloc_from_pcs_bulk(): batches off main's top, in array order."""
        out: list[int] = []
        while len(out) < n:
            if not st.pcs[cpu].main.objects and not self._full_main_from_spare_or_barn(st, cpu):
                return out
            main = st.pcs[cpu].main.objects
            batch = min(n - len(out), len(main))
            out += main[len(main) - batch :]
            del main[len(main) - batch :]
        return out

    def free_bulk(
        self, cache: SlubCache | None, addrs: Iterable[int], cpu: int, caller: int = 0
    ) -> list[str]:
        """kmem_cache_free_bulk() of 7.x: a cache with sheaves appends the objects to
        main in array order (free_to_pcs_bulk: then an empty barn sheaf, a non-full
        spare, the barn taking the full main), the rest to the slabs; others as
        before, each detached freelist to __slab_free."""
        if not self.sheaves_on:
            return super().free_bulk(cache, addrs, cpu, caller)
        self._cpu(cpu)
        p = [int(a) for a in addrs]
        st = None if cache is None else self.state(cache)
        for obj in p:
            slab = self.virt_to_slab(obj)
            if slab is None or (st is not None and slab.state is not st):
                raise InputError(
                    f"free_bulk: {obj:#x} is not an object of "
                    f"{'a slab' if st is None else st.name}: 7.x's bulk free does not "
                    "check, and slabhw does not model what it would do"
                )
        start = len(self.log)
        saved, self._cpu_now = self._cpu_now, cpu
        try:
            if st is None or not st.capacity:
                self._free_bulk(st, p, cpu, caller, hooks=True)
            else:
                self._free_to_pcs_bulk(st, p, cpu)
        finally:
            self._cpu_now = saved
        return self.log[start:]

    def _free_to_pcs_bulk(self, st: CacheState, p: list[int], cpu: int) -> None:
        """free_to_pcs_bulk() with every object local and no pfmemalloc slab."""
        if st.init_on_free:  # slab_free_hook() has nothing to do otherwise
            for obj in p:
                self.slab_free_hook(st, obj)
        barn = st.barn
        while p:
            if len(st.pcs[cpu].main.objects) >= st.capacity and (
                barn is None or self._empty_main_from_spare_or_barn(st, cpu, barn)
            ):
                break  # no empty sheaf to be had without allocating: to the slabs
            main = st.pcs[cpu].main.objects
            batch = min(len(p), st.capacity - len(main))
            main.extend(p[:batch])
            p = p[batch:]
        if p:
            self._kmem_cache_free_bulk(st, p)

    # ==== kfree_rcu through sheaves =================================================
    def kfree_rcu(self, addr: int, cpu: int) -> None:
        """kvfree_call_rcu() -> kfree_rcu_sheaf() -> __kfree_rcu_sheaf() (7.x): the
        object goes into this CPU's rcu_free sheaf (the empty spare, an empty barn
        sheaf, or a new one); a full rcu_free sheaf is handed to call_rcu()."""
        self._cpu(cpu)
        slab = self.virt_to_slab(addr)
        st = None if slab is None else slab.state
        if not self.sheaves_on or st is None or not st.capacity:
            what = (
                "an object outside any slab"
                if st is None
                else f"{st.name}, which has no sheaves"
                if self.sheaves_on
                else f"{self.kernel.config.version}"
            )
            raise InputError(
                f"kfree_rcu of {what}: only 7.x's rcu sheaves are modelled, not the "
                "classic kfree_rcu batching"
            )
        saved, self._cpu_now = self._cpu_now, cpu
        try:
            if not self._kfree_rcu_sheaf(st, addr, cpu):
                raise InputError(f"kfree_rcu({addr:#x}): no sheaf could be had (out of memory)")
        finally:
            self._cpu_now = saved

    def _kfree_rcu_sheaf(self, st: CacheState, obj: int, cpu: int) -> bool:
        pcs = st.pcs[cpu]
        if pcs.rcu_free is None:
            barn = st.barn
            if pcs.spare is not None and not pcs.spare.objects:
                pcs.rcu_free, pcs.spare = pcs.spare, None
            elif barn is None:
                return False
            elif barn.empty:
                pcs.rcu_free = barn.empty.pop(0)
            else:
                empty = self._alloc_empty_sheaf(st)
                if empty is None:
                    return False
                pcs = st.pcs[cpu]
                if pcs.rcu_free is not None:
                    barn.empty.insert(0, empty)
                else:
                    pcs.rcu_free = empty
        sheaf = pcs.rcu_free
        assert sheaf is not None
        sheaf.objects.append(obj)
        if len(sheaf.objects) >= st.capacity:
            pcs.rcu_free = None
            self.rcu_pending.append(("barn", st, sheaf))
        return True

    def rcu_barrier(self) -> int:
        """A grace period ends (rcu_barrier()): every pending callback runs, in the
        order call_rcu() queued them.  Returns how many ran."""
        ran = 0
        while self.rcu_pending:
            kind, st, sheaf = self.rcu_pending.pop(0)
            ran += 1
            for obj in sheaf.objects:  # __rcu_free_sheaf_prepare(): the free hooks
                self.slab_free_hook(st, obj)
            barn = st.barn
            if kind == "nobarn" or barn is None:  # rcu_free_sheaf_nobarn()
                self._sheaf_flush_unused(st, sheaf)
                self._free_empty_sheaf(st, sheaf)
                continue
            if sheaf.objects and len(barn.full) < MAX_FULL_SHEAVES:
                barn.full.insert(0, sheaf)
                continue
            self._sheaf_flush_unused(st, sheaf)
            if len(barn.empty) < MAX_EMPTY_SHEAVES:
                barn.empty.insert(0, sheaf)
            else:
                self._free_empty_sheaf(st, sheaf)
        return ran

    def destroying(self, cache: SlubCache) -> None:
        """kmem_cache_destroy()'s kvfree_rcu_barrier_on_cache() (7.x): each CPU's
        partly filled rcu_free sheaf to call_rcu(rcu_free_sheaf_nobarn), then
        rcu_barrier()."""
        if not self.sheaves_on:
            return
        st = self.state(cache)
        if not st.capacity:
            return
        for pcs in st.pcs:
            if pcs.rcu_free is not None:
                self.rcu_pending.append(("nobarn", st, pcs.rcu_free))
                pcs.rcu_free = None
        self.rcu_barrier()

    # ==== flush, shrink, shutdown ===================================================
    def flush_all(self, cache: SlubCache) -> None:
        """flush_all() of 7.x: each CPU whose sheaves hold anything (has_pcs_used)
        gives its spare (flushed, then freed) and its main (flushed) to the slabs, and
        its rcu_free sheaf to call_rcu() (rcu_free_sheaf_nobarn)."""
        if not self.sheaves_on:
            super().flush_all(cache)
            return
        st = self.state(cache)
        if not st.capacity:
            return
        saved = self._cpu_now
        try:
            for cpu, pcs in enumerate(st.pcs):
                if pcs.spare is None and pcs.rcu_free is None and not pcs.main.objects:
                    continue
                self._cpu_now = cpu
                spare, pcs.spare = pcs.spare, None
                rcu_free, pcs.rcu_free = pcs.rcu_free, None
                if spare is not None:
                    self._sheaf_flush_unused(st, spare)
                    self._free_empty_sheaf(st, spare)
                if rcu_free is not None:
                    self.rcu_pending.append(("nobarn", st, rcu_free))
                self._sheaf_flush_main(st, cpu)
        finally:
            self._cpu_now = saved

    def barn_shrink(self, st: CacheState) -> None:
        """barn_shrink(): full sheaves flushed and freed, then the empty ones freed."""
        barn = st.barn
        if barn is None:
            return
        full, barn.full = barn.full, []
        empty, barn.empty = barn.empty, []
        for sheaf in full:
            self._sheaf_flush_unused(st, sheaf)
            self._free_empty_sheaf(st, sheaf)
        for sheaf in empty:
            self._free_empty_sheaf(st, sheaf)

    def shrink(self, cache: SlubCache) -> int:
        """__kmem_cache_shrink(): flush_all, then barn_shrink and the lists."""
        if self.sheaves_on:
            self.flush_all(cache)
            self.barn_shrink(self.state(cache))
        return super().shrink(cache)

    def shutdown(self, cache: SlubCache) -> int:
        """__kmem_cache_shutdown() of 7.x: flush the sheaves and the barn, then free
        the partial slabs; when the cache is then empty, __kmem_cache_release frees
        the main sheaves (pcs_destroy) and the barn (free_kmem_cache_nodes)."""
        if not self.sheaves_on:
            return super().shutdown(cache)
        st = self.state(cache)
        self.flush_all(cache)
        self.barn_shrink(st)
        busy = super().shutdown(cache)
        if not busy and st.capacity:
            for pcs in st.pcs:
                if pcs.main is not BOOTSTRAP_SHEAF:
                    self._free_empty_sheaf(st, pcs.main)
                    pcs.main = BOOTSTRAP_SHEAF
            if st.barn is not None:
                self.kfree(st.barn.addr, self._cpu_now)
                st.barn = None
            st.capacity = 0
        return busy

    # ==== what the views show ========================================================
    def _free_objects(self, st: CacheState, slab: Slab) -> dict[int, str]:
        """Free objects of a slab, those held in sheaves included ("cpu N main
        sheaf", "cpu N spare sheaf", "barn full sheaf"), and those kfree_rcu() has
        taken ("cpu N rcu sheaf", "rcu sheaf in a grace period")."""
        free = super()._free_objects(st, slab)
        if not self.sheaves_on or not st.capacity:
            return free
        lo, hi = slab.addr, slab.end
        holders: list[tuple[str, Sheaf]] = []
        for cpu, pcs in enumerate(st.pcs):
            holders.append((f"cpu {cpu} main sheaf", pcs.main))
            if pcs.spare is not None:
                holders.append((f"cpu {cpu} spare sheaf", pcs.spare))
            if pcs.rcu_free is not None:
                holders.append((f"cpu {cpu} rcu sheaf", pcs.rcu_free))
        if st.barn is not None:
            holders += [("barn full sheaf", sheaf) for sheaf in st.barn.full]
        holders += [("rcu sheaf in a grace period", sh) for _, s, sh in self.rcu_pending if s is st]
        for where, sheaf in holders:
            for obj in sheaf.objects:
                if lo <= obj < hi:
                    free.setdefault(obj, where)
        return free

    def sheaves_state(self, cache: SlubCache) -> dict[str, Any]:
        """The per-CPU sheaves and the barn of a cache (7.x): each sheaf's kmalloc
        address and objects, bottom first (the next allocation takes the last)."""
        if not self.sheaves_on:
            raise InputError(
                f"{self.kernel.config.version} has no per-CPU sheaves for every cache "
                "(they came in 7.0)"
            )
        st = self.state(cache)

        def sheaf(s: Sheaf | None) -> dict[str, Any] | None:
            return None if s is None else {"address": s.addr, "objects": list(s.objects)}

        return {
            "cache": st.name,
            "capacity": st.capacity,
            "cpus": [
                {
                    "cpu": cpu,
                    "main": sheaf(pcs.main),
                    "spare": sheaf(pcs.spare),
                    "rcu_free": sheaf(pcs.rcu_free),
                }
                for cpu, pcs in enumerate(st.pcs)
            ],
            "barn": None
            if st.barn is None
            else {
                "address": st.barn.addr,
                "full": [sheaf(s) for s in st.barn.full],
                "empty": [sheaf(s) for s in st.barn.empty],
            },
            "rcu_pending": [sheaf(sh) for _, s, sh in self.rcu_pending if s is st],
        }


__all__ = ["MAX_EMPTY_SHEAVES", "MAX_FULL_SHEAVES", "PCS_BATCH_MAX", "SlubSheaves"]
