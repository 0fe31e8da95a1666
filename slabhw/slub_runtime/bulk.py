"""The bulk calls of SLUB: kmem_cache_alloc_bulk and kmem_cache_free_bulk
(build_detached_freelist, slab_free_freelist_hook), with the per-object byte work in
csrc/runtime.c through _core.FreePointers where that gives the same bytes.

The fourth layer of slabhw.slub_runtime (state -> checks -> paths -> bulk -> runtime).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _core
from ..slub import SlubCache
from ..versions.rules import DetachedFreelist
from .paths import SlubPaths
from .state import CacheState, Slab


class SlubBulk(SlubPaths):
    """kmem_cache_alloc_bulk and kmem_cache_free_bulk."""

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
        init = st.want_init_on_alloc(False)
        if init:
            self.slab_post_alloc_hook(st, p.tolist(), init, st.object_size)
        return p

    def _alloc_bulk(self, st: CacheState, n: int, cpu: int, caller: int) -> list[int]:
        """The loop of kmem_cache_alloc_bulk, object by object (the reference)."""
        c = st.cpus[cpu]
        p: list[int] = []
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
        if p is None:
            self._free_bulk(st, list(addrs), cpu, caller, hooks=True)
        else:
            self._free_bulk_fast(st, p, cpu, caller)
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
        null_mark = self.rules.detached_freelist == DetachedFreelist.NULL_MARK_V4_6
        size = int(p.size)
        st = s
        if st is None and size:
            slab = self.virt_to_slab(int(p[size - 1]))
            st = slab.state if slab is not None else None
        while size:
            if st is None or st.init_on_free:
                break
            fp = st.fp or self.freepointers(st)
            rc, new_size, head, tail, cnt, key = fp.detach(p, size, null_mark)
            if rc == _core.DETACH_OTHER_CACHE and s is None:  # kfree_bulk: that cache
                st = self.by_id[(key >> 32) - 1]
                continue
            if rc != _core.DETACH_OK:
                break
            size = new_size
            if cnt:
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
        objects of the same slab are pushed on it (and swapped out of the way; before
        6.1 set to NULL) until three objects of other slabs were seen."""
        if self.rules.detached_freelist == DetachedFreelist.NULL_MARK_V4_6:
            return self._build_detached_freelist_null(s, size, p)
        size -= 1
        obj = p[size]
        slab = self._detached_slab(s, obj)
        if slab is None:
            return size, None
        st = slab.state
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

    def _detached_slab(self, s: CacheState | None, obj: int) -> Slab | None:
        """The slab of the object that starts a detached freelist; None when it is not
        in a slab (kfree_bulk frees a large kmalloc there; kmem_cache_free_bulk warns),
        with cache_from_obj's warning for an object of another cache."""
        slab = self.virt_to_slab(obj)
        if slab is None:
            if s is None and 0 <= obj - self._po < self._memsize:
                self.free_large_kmalloc(obj)
            else:
                self._warn("virt_to_cache: Object is not a Slab page!")
            return None
        st = slab.state
        if s is not None and st is not s and (s.hardened or s.checks):
            self._warn(f"cache_from_obj: Wrong slab cache. {s.name} but object is from {st.name}")
        return slab

    def _build_detached_freelist_null(
        self, s: CacheState | None, size: int, p: list[int]
    ) -> tuple[int, tuple[CacheState, Slab, int, int, int] | None]:
        """build_detached_freelist() before 6.1: processed entries become NULL (0;
        and NULL entries are skipped); the next round resumes at the first object of
        another slab that was skipped."""
        obj = 0
        while size:
            size -= 1
            obj = p[size]
            if obj:
                break
        if not obj:
            return 0, None
        slab = self._detached_slab(s, obj)
        if slab is None:
            p[size] = 0
            return size, None
        st = slab.state
        tail = freelist = obj
        cnt = 1
        self.set_freepointer(st, obj, 0)
        p[size] = 0
        lookahead = 3
        first_skipped_index = 0
        while size:
            size -= 1
            obj = p[size]
            if not obj:
                continue
            if self.virt_to_slab(obj) is slab:
                self.set_freepointer(st, obj, freelist)
                freelist = obj
                cnt += 1
                p[size] = 0
                continue
            lookahead -= 1
            if not lookahead:
                break
            if not first_skipped_index:
                first_skipped_index = size + 1
        return first_skipped_index, (st, slab, freelist, tail, cnt)

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
