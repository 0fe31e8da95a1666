"""What user space and the model's users see of SLUB at run time: object_info,
maps of the slabs, the per-CPU and node state, the counts of /proc/slabinfo and
/sys/kernel/slab, and validate.

The top layer of slabhw.slub_runtime (state -> checks -> paths -> bulk -> runtime).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..slub import SlubCache
from .sheaves import SlubSheaves
from .state import (
    LIST_CPU_PARTIAL,
    LIST_CPU_SLAB,
    LIST_NAMES,
    CacheState,
)


class SlubRuntime(SlubSheaves):
    """The SLUB allocator of a simulated 6.18 kernel running over a PageArena.

    ``alloc``/``free`` are kmem_cache_alloc/kmem_cache_free, ``kmalloc``/``kfree``
    the kmalloc family, ``alloc_bulk``/``free_bulk`` the bulk calls.  Kernel
    messages go to ``log`` (dmesg); ``free``/``kfree``/``free_bulk`` also return the
    reports they caused.
    """

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

    @property
    def MAP_LEGEND(self) -> str:  # noqa: N802 - the views' legend, read as a constant
        held = (
            "s free in a sheaf, r kfree_rcu'd (an rcu sheaf)"
            if self.sheaves_on
            else "- free on a CPU freelist"
        )
        return f"# allocated, . free on the slab's freelist, {held}"

    def map_lines(self, cache: SlubCache) -> list[str]:
        """One line per slab of the cache: its address, list and slab_map()."""
        st = self.state(cache)
        w = self.arena.arch.word_bits // 4
        return [
            f"0x{st.slabs[pfn].addr:0{w}x} {LIST_NAMES[st.slabs[pfn].where]:<12} "
            f"{self.slab_map(pfn)}"
            for pfn in sorted(st.slabs)
        ]

    def slab_map(self, pfn: int) -> str:
        """One character per object of the slab holding page ``pfn``: ``#`` allocated,
        ``.`` free on the slab's freelist, ``-`` free on a CPU's lockless freelist,
        ``s`` (7.x) held in a sheaf, ``r`` (7.x) waiting in an rcu sheaf."""
        slab = self._page_slab.get(pfn)
        if slab is None:
            raise InputError(f"PFN {pfn} is not a slab page")
        st = slab.state
        free = self._free_objects(st, slab)

        def mark(where: str) -> str:
            if where == "slab freelist":
                return "."
            if "rcu sheaf" in where:
                return "r"
            return "s" if where.endswith("sheaf") else "-"

        return "".join(
            "#" if obj not in free else mark(free[obj]) for obj in self._objects(st, slab)
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
        for slab in slabs:
            self.validate_slab(st, slab, fix)
        if not flush:
            self._validate_cpu_freelists(st)
        self._validate_counters(st, flush)
        return self.log[start:]

    def sysfs_validate(self, cache: SlubCache) -> tuple[int | None, list[str]]:
        """``echo 1 > /sys/kernel/slab/<cache>/validate``: validate_store() ->
        validate_slab_cache().  Since 6.1 only debug caches may be validated (the
        others get -EINVAL and nothing happens); before, any cache, whose CPU slabs are
        flushed first.  Returns (slabs walked, or None for -EINVAL; reports not in the
        log: none, the kernel logs them all)."""
        st = self.state(cache)
        if self.rules.has_debug_single_path and not st.debug:
            return None, []
        self.validate(cache, flush=True)
        n = st.node
        return len(n.partial) + (len(n.full) if st.store_user else 0), []

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
            self.slab_errors += 1
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
            self.slab_errors += 1
            self.log.append(f"SLUB: {st.name} {counted} slabs counted but counter={n.nr_slabs}")
