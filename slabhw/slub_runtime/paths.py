"""The allocation and free paths of SLUB: new slabs (allocate_slab,
shuffle_freelist, setup_object), the lists (partial, full, per-CPU partial), the
fast and slow paths of kmem_cache_alloc and kmem_cache_free, the debug caches'
single-object paths, kmalloc/kfree, and flushing and shrinking.

The third layer of slabhw.slub_runtime (state -> checks -> paths -> bulk -> runtime).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import _core, errors
from .. import reference_slub as rs
from ..arena import PG_HEAD, PG_SLAB, PG_TAIL
from ..errors import InputError, KernelHang
from ..slub import SlubCache
from ..versions.rules import DeactivateSlab, InitOnAllocSize, InitOnFree
from .checks import (
    POISON_INUSE,
    SLUB_RED_ACTIVE,
    SLUB_RED_INACTIVE,
    TRACK_ALLOC,
    TRACK_FREE,
    SlubChecks,
)
from .state import (
    DEACTIVATE_TO_HEAD,
    DEACTIVATE_TO_TAIL,
    GFP_KERNEL,
    LIST_CPU_PARTIAL,
    LIST_FULL,
    LIST_NODE_PARTIAL,
    LIST_NONE,
    NUMA_NO_NODE,
    SHRINK_PROMOTE_MAX,
    ZERO_SIZE_PTR,
    CacheState,
    KmemCacheCpu,
    Slab,
)


class SlubPaths(SlubChecks):
    """kmem_cache_alloc/free, kmalloc/kfree and the slab lists."""

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
        list already holding cpu_partial_slabs slabs (5.16 and later; before, more
        than cpu_partial free objects counted when each slab was put), that list goes
        to the node first (__put_partials / unfreeze_partials)."""
        c = st.cpus[cpu]
        slabs = pobjects = 0
        to_put: list[Slab] = []
        if c.partial:
            old = c.partial[0]
            full = (
                old.pobjects > st.cpu_partial
                if st.partial_in_objects
                else old.slabs >= st.cpu_partial_slabs
            )
            if drain and full:
                to_put, c.partial = c.partial, []
            else:
                slabs, pobjects = old.slabs, old.pobjects
        slab.slabs = slabs + 1
        slab.pobjects = pobjects + slab.objects - slab.inuse
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
        if st.rules.deactivate_slab == DeactivateSlab.PUSH_V2_6:
            self._deactivate_push(st, slab, freelist)
        else:
            self._deactivate_splice(st, slab, freelist)
        slab.frozen = 0
        self._set_where(slab, LIST_NONE)
        self._sync(slab)
        if not slab.inuse and n.nr_partial >= st.min_partial:
            self.discard_slab(st, slab)
        elif slab.freelist:
            self.add_partial(st, slab, tail)
        elif not st.rules.has_debug_single_path:  # M_FULL: the full list (<= 6.0)
            self.add_full(st, slab)

    def _deactivate_push(self, st: CacheState, slab: Slab, freelist: int) -> None:
        """deactivate_slab() before 5.12: every object of the CPU freelist but the last
        is pushed onto the slab's freelist, then the last: the order is reversed."""
        pushed = 0
        while freelist:
            nextfree = self.get_freepointer(st, freelist)
            if not nextfree:
                break
            if self.freelist_corrupted(st, slab, freelist, nextfree):
                freelist = 0
                break
            pushed += 1
            if pushed > slab.objects:
                raise KernelHang(
                    errors.HANG,
                    f"deactivate_slab({st.name}): the CPU freelist of slab 0x{slab.addr:x} "
                    "has a cycle; the kernel loops for ever",
                )
            self.set_freepointer(st, freelist, slab.freelist)
            slab.freelist = freelist
            slab.inuse -= 1
            freelist = nextfree
        if freelist:
            slab.inuse -= 1
            self.set_freepointer(st, freelist, slab.freelist)
            slab.freelist = freelist

    def _deactivate_splice(self, st: CacheState, slab: Slab, freelist: int) -> None:
        """deactivate_slab() since 5.12: the CPU freelist counted and spliced in front
        of the slab's, in its order."""
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
        self,
        cache: SlubCache,
        cpu: int,
        caller: int = 0,
        *,
        zero: bool = False,
        size: int | None = None,
    ) -> int | None:
        """kmem_cache_alloc(): slab_alloc_node -> __slab_alloc_node.  The fast path
        takes c->freelist and advances it with get_freepointer_safe.  ``size`` is
        kmalloc_trace()'s request (orig_size of a debug kmalloc cache, 6.1 and later)."""
        st = self.states.get(id(cache)) or self.state(cache)
        if size is not None:
            if not 0 < size <= st.object_size:
                raise InputError(f"size {size} is not in 1..{st.object_size} ({st.name})")
            return self.slab_alloc_node(st, cpu, caller, size, zero)
        if not 0 <= cpu < self.nr_cpus:
            self._cpu(cpu)
        c = st.cpus[cpu]
        obj = c.freelist
        if obj and c.slab is not None and st.plain and not zero:
            ptr_addr = obj + st.offset
            i = ptr_addr - self._po
            v = self._q[i >> 3] if 0 <= i < self._memsize and not i & 7 else self._load(ptr_addr)
            if st.hardened:
                v = rs.freelist_ptr(v, ptr_addr, st.random)
            c.freelist = v
            c.tid += self.tid_step
            return obj
        return self.slab_alloc_node(st, cpu, caller, st.object_size, zero)

    def slab_alloc_node(
        self, st: CacheState, cpu: int, addr: int, orig_size: int, zero: bool = False
    ) -> int | None:
        """slab_alloc_node(): __slab_alloc_node, maybe_wipe_obj_freeptr and
        slab_post_alloc_hook."""
        obj = self._slab_alloc_node(st, cpu, addr, orig_size)
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
        """maybe_wipe_obj_freeptr(): with init_on_free, clear the free pointer word of
        the object handed out (from 6.10 only a word inside the object)."""
        if not st.init_on_free:
            return
        inside_only = self.rules.init_on_free == InitOnFree.ORIG_SIZE_V6_10
        if st.offset < st.inuse or not inside_only:
            self.arena.fill(obj + st.offset, 8, 0)

    def slab_post_alloc_hook(
        self, st: CacheState, objs: Sequence[int], init: bool, orig_size: int
    ) -> None:
        """slab_post_alloc_hook(): zero the object for __GFP_ZERO / init_on_alloc; from
        6.2 only the requested size of a kmalloc object with red zones or store-user
        (from 6.6.145 on 6.6: store-user)."""
        if not init:
            return
        zero_size = st.object_size
        rule = self.rules.init_on_alloc_size
        if st.kmalloc and (
            (rule == InitOnAllocSize.ORIG_RED_ZONE_OR_USER_V6_2 and (st.store_user or st.red_zone))
            or (rule == InitOnAllocSize.ORIG_STORE_USER_V6_6_145 and st.store_user)
        ):
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
                if st.debug:  # 5.10/5.15: check_new_page -> return_single
                    obj = self._return_single(st, slab, freelist, addr, cpu, orig_size)
                    if not obj:
                        continue  # goto new_slab
                    return obj
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
            if st.debug:
                obj = self._return_single(st, slab, freelist, addr, cpu, orig_size)
                if not obj:
                    continue
                return obj
            return self._retry_load_slab(st, c, slab, freelist, cpu)

    def _return_single(
        self, st: CacheState, slab: Slab, freelist: int, addr: int, cpu: int, orig_size: int
    ) -> int:
        """The debug caches of 5.10 and 5.15 (check_new_page / new_slab_objects):
        alloc_debug_processing on the first object of the slab just taken, then
        return_single: deactivate_slab with the rest of its freelist, so the slab never
        stays the CPU slab.  0 when the checks failed (the slab is leaked, frozen)."""
        if not self.alloc_debug_processing(st, slab, freelist, orig_size):
            self._sync(slab)
            return 0
        if st.store_user:
            self.set_track(st, freelist, TRACK_ALLOC, addr, cpu)
        self.deactivate_slab(st, slab, self.get_freepointer(st, freelist))
        return freelist

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
        partial_slabs = available = 0
        for slab in list(n.partial):
            if st.single:
                obj = self.alloc_single_from_partial(st, slab, orig_size)
                if obj:
                    return slab, obj
                continue
            available += slab.objects - slab.inuse
            self.remove_partial(st, slab)
            if partial is None:
                partial = slab
                if st.partial_in_objects:  # acquire_slab(mode 1): the CPU slab
                    if not st.has_cpu_partial or available > st.cpu_partial // 2:
                        break
                elif st.cpu_partial_slabs == 0:
                    break
            else:
                self.put_cpu_partial(st, slab, False, cpu)
                partial_slabs += 1
                if st.partial_in_objects:  # before 5.16: free objects of all taken
                    if available > st.cpu_partial // 2:
                        break
                elif partial_slabs > st.cpu_partial_slabs // 2:
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
            if st.rules.has_slab_disabled_check:  # disabled: check_slab refuses it
                slab.frozen = 1
            return False
        self.trace(st, slab, obj, True)
        self.set_orig_size(st, obj, orig_size)
        self.init_object(st, obj, SLUB_RED_ACTIVE)
        return True

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
                    self.oops(self.set_freepointer_bug)
                fl = rs.freelist_ptr(fl, ptr_addr, st.random)
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
        self.slab_free_hook(st, obj)
        self.do_slab_free(st, slab, obj, obj, 1, cpu, addr)

    def slab_free_hook(self, st: CacheState, obj: int) -> None:
        """slab_free_hook() with init_on_free: clear the object and the metadata after
        it, not the left red zone; from 6.10 only the kmalloc request, not an outside
        free pointer, and orig_size kept."""
        if not st.init_on_free:
            return
        if self.rules.init_on_free == InitOnFree.OBJECT_V5_3:
            rsize = st.red_left_pad if st.red_zone else 0
            self.arena.fill(obj, st.object_size, 0)
            self.arena.fill(obj + st.inuse, st.size - st.inuse - rsize, 0)
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
        if st.debug:  # 5.10/5.15: the checks first, then the plain __slab_free
            ok, cnt = self.free_debug_processing(st, slab, head, tail, cnt, cpu, addr)
            if not ok:
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
            else:
                self.remove_full(st, slab)
            self.discard_slab(st, slab)
            return
        if not st.has_cpu_partial and not prior:
            self.remove_full(st, slab)
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
        texts = st.rules.reports.has_bulk_free_texts
        if texts and slab.inuse < cnt and not st.tiny:  # (no SLUB_DEBUG with SLUB_TINY)
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
            if texts:
                self.slab_err(st, slab, f"Bulk free expected {cnt} objects but found {n}\n")
            else:
                self.slab_err(st, slab, f"Bulk freelist count({n}) invalid({cnt})\n")
            cnt = n
        if not ok:
            self.slab_fix(st, f"Object at 0x{obj:016x} not freed")
        return ok, cnt

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
        if not isinstance(cache, SlubCache):
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
        if slab is not None:
            self.deactivate_slab(st, slab, freelist)
        partial, c.partial = c.partial, []
        if partial:
            self.put_partials(st, partial)

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
