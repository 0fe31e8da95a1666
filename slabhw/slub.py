"""SLUB (every modelled version, 5.10 .. 6.18): the simulated kernel's caches,
merging, kmalloc caches, and what /sys/kernel/slab and /proc/slabinfo show.

The numbers of each cache come from the C core (``_core.slub_create``); the
state lives here: the ``slab_caches`` list, reference counts, aliases, the kmalloc
arrays.  Each method names the kernel function it follows (mm/slab_common.c and
mm/slub.c of 6.18.2); where a version differs, its rule (``config.rules``) says how
and cites the release that changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _core, errors
from . import reference_slub as rs
from . import slab_common as sc
from .config import KernelConfig
from .errors import InputError, KernelPanic, kernel_error_for
from .reference import SITE_SANITY
from .slab_common import (
    ZERO_SIZE,
    ZeroSizePtr,
    kmalloc_name,
    report_create_failure,
    unique_id,
)
from .slabinfo import header, row
from .versions.rules import NEVER_MERGE, BootCacheAlign, KmallocDma, KmallocNormalMerge

__all__ = ["FLAG_ATTRIBUTES", "NEVER_MERGE", "SlubCache", "SlubKernel", "unique_id"]

# sysfs flag attributes of mm/slub.c (name -> flag)
FLAG_ATTRIBUTES = (
    ("hwcache_align", "SLAB_HWCACHE_ALIGN"),
    ("reclaim_account", "SLAB_RECLAIM_ACCOUNT"),
    ("cache_dma", "SLAB_CACHE_DMA"),
    ("destroy_by_rcu", "SLAB_TYPESAFE_BY_RCU"),
    ("sanity_checks", "SLAB_CONSISTENCY_CHECKS"),
    ("trace", "SLAB_TRACE"),
    ("red_zone", "SLAB_RED_ZONE"),
    ("poison", "SLAB_POISON"),
    ("store_user", "SLAB_STORE_USER"),
)


@dataclass(eq=False)
class SlubCache:
    """struct kmem_cache (SLUB) as the model keeps it."""

    name: str
    layout: rs.SlubLayout
    ctor: Callable[[Any], None] | None = None
    refcount: int = 1
    alias_names: list[str] = field(default_factory=list)  # later names merged into it
    kmalloc: tuple[str, int] | None = None  # (type, index) of a kmalloc cache

    def __getattr__(self, item: str) -> Any:  # object_size, size, align, order, ...
        if item in rs.SLUB_LAYOUT_FIELDS:
            return getattr(self.layout, item)
        raise AttributeError(item)


class SlubKernel:
    """The SLUB side of ``slabhw.Kernel``: boot, kmem_cache_create with merging,
    kmalloc caches, kmem_buckets, sysfs and slabinfo."""

    def __init__(self, config: KernelConfig, *, caller_seed: int = 0) -> None:
        self.config = config
        self.params = config.slub_params()
        self.flags = config.flags
        self.slab_caches: list[SlubCache] = []  # index 0 is the list head (newest)
        self.kmalloc_caches: dict[str, dict[int, SlubCache]] = {}
        self.log: list[str] = []
        self.errno = 0
        self.random_kmalloc_seed = caller_seed  # random_kmalloc_seed (a boot random)
        self.debug_key = bool(self.params.debug_key)  # the slub_debug_enabled static key
        # a run-time allocator (slabhw.slub_runtime.SlubRuntime) running this kernel
        # registers itself here; sysfs and slabinfo then show its counts
        self.runtime: Any = None
        self._boot()

    # ---- helpers -----------------------------------------------------------------------
    def _f(self, *names: str) -> int:
        return self.flags.mask(names)

    @property
    def word(self) -> int:
        return self.config.bytes_per_word

    def _debug_flags(self, name: str) -> int:
        return self.config.slub_debug_parsed.flags_for(name) if self.params.slub_debug else -1

    # ---- boot: kmem_cache_init, create_kmalloc_caches ----------------------------------
    def _boot(self) -> None:
        cfg, r = self.config, self.config.rules
        if cfg.on("kasan_generic"):
            raise InputError(
                "booting a KASAN kernel needs the size of struct kmem_cache with kasan_info, "
                "which slabhw does not know; 'slabhw sweep' computes KASAN layouts"
            )
        structs = cfg.preset.boot_structs
        if cfg.arch.word_bits != 64 or structs is None:
            raise InputError(
                f"booting a {cfg.version} kernel needs the sizes of struct kmem_cache and "
                "struct kmem_cache_node, known here for the 64-bit reference configuration "
                "only; use 'slabhw sweep' for 32-bit layouts"
            )
        node_offset, node_size = structs
        # SLAB_NO_OBJ_EXT (v6.10; 0 where the version or configuration lacks it)
        early = self._f("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT")
        node = self._create_boot_cache("kmem_cache_node", node_size, early)
        # struct kmem_cache ends in one node entry per possible node: a pointer, or
        # (7.1) struct kmem_cache_per_node_ptrs {barn, node}
        per_node = cfg.preset.node_entry_bytes
        kmem = self._create_boot_cache("kmem_cache", node_offset + per_node * cfg.nr_nodes, early)
        # bootstrap(): kmem_cache is listed first, then kmem_cache_node; both keep -1
        self.slab_caches[:0] = [node, kmem]
        self._create_kmalloc_caches()
        if r.has_kmalloc_buckets and cfg.on("slab_buckets"):
            self.kmem_buckets_cache = self.kmem_cache_create(
                "kmalloc_buckets",
                (cfg.slub_kmalloc_shift_high + 1) * self.word,
                0,
                self._f("SLAB_NO_MERGE"),
            )
        if r.has_auto_sheaf_capacity:
            self._bootstrap_kmalloc_sheaves()

    def _bootstrap_kmalloc_sheaves(self) -> None:
        """bootstrap_kmalloc_sheaves() (kmem_cache_init, v7.0): the KMALLOC_NORMAL
        caches and their random copies get their sheaf capacity (empty args) once
        every kmalloc cache exists; the other types had theirs at creation."""
        p = self.params
        for table in self.kmalloc_normal_tables():
            for s in table.values():
                s.layout.sheaf_capacity = rs.calculate_sheaf_capacity(p, s.flags, s.size, 0)

    def kmalloc_normal_tables(self) -> list[dict[int, SlubCache]]:
        """The kmalloc tables of type KMALLOC_NORMAL .. KMALLOC_RANDOM_END (the normal
        caches and their random copies), in type order: index -> cache."""
        return [
            table
            for t, table in self.kmalloc_caches.items()
            if t == "normal" or t.startswith("rnd-")
        ]

    def _create_boot_cache(
        self, name: str, size: int, flags: int, *, kmalloc: bool = False, usersize: int = 0
    ) -> SlubCache:
        """create_boot_cache(): the starting alignment is ARCH_KMALLOC_MINALIGN, raised
        to the natural alignment of the size as the version's rule says."""
        align = self.config.arch_kmalloc_minalign
        rule = self.config.rules.boot_cache_align
        if rule == BootCacheAlign.POW2_V5_4 and size & (size - 1) == 0:
            align = max(align, size)  # any boot cache of a power-of-two size
        elif rule == BootCacheAlign.FFS_V6_11 and kmalloc:
            align = max(align, size & -size)  # 1 << (ffs(size) - 1)
        c = _core.slub_create(
            self.params,
            rs.SlubArgs(
                size,
                align=align,
                flags=flags,
                usersize=usersize,
                boot=1,
                debug_flags=self._debug_flags(name),
            ),
        )
        if c.error:
            raise KernelPanic(
                c.error,
                f"Kernel panic - not syncing: Creation of kmalloc slab "
                f"{name} size={size} failed. Reason -{c.error}",
            )
        return SlubCache(name, c, refcount=-1)

    def kmalloc_type_names(self) -> list[str]:
        """enum kmalloc_cache_type in creation order, as this configuration has it."""
        return sc.kmalloc_types(self.config)

    def _create_kmalloc_caches(self) -> None:
        """create_kmalloc_caches() / new_kmalloc_cache() (mm/slab_common.c): the types
        and sizes in the version's order; before 5.19 the DMA caches come after
        slab_state = UP, one for each normal cache in index order."""
        cfg, r = self.config, self.config.rules
        k = cfg.slub_kmalloc_params
        indices = sc.kmalloc_indices(r.kmalloc_order, k, cfg.slub_kmalloc_shift_high)
        types = self.kmalloc_type_names()
        after_up = r.kmalloc_dma == KmallocDma.AFTER_UP_V2_6 and "dma" in types
        for t in types:
            if not (t == "dma" and after_up):
                for idx in indices:
                    self._new_kmalloc_cache(t, idx)
        if after_up:  # slab_state = UP, then the DMA loop
            for idx in sc.dma_after_up_indices(self.kmalloc_caches["normal"]):
                self._new_kmalloc_cache("dma", idx)

    def _new_kmalloc_cache(self, t: str, idx: int) -> None:
        """new_kmalloc_cache(): one kmalloc cache of a type, or (v6.5, when
        __kmalloc_minalign() exceeds ARCH_KMALLOC_MINALIGN) the slot of the cache of
        the aligned size."""
        cfg, r = self.config, self.config.rules
        k = cfg.slub_kmalloc_params
        table = self.kmalloc_caches.setdefault(t, {})
        size = {1: 96, 2: 192}.get(idx, 1 << idx)
        aligned_size, aligned_idx = size, idx
        if r.has_kmalloc_minalign:
            minalign = max(cfg.arch.kmalloc_minalign or 8, cfg.arch_slab_minalign)
            if minalign > cfg.arch_kmalloc_minalign:
                aligned_size = (size + minalign - 1) & ~(minalign - 1)
                aligned_idx = _core.kmalloc_index(k, aligned_size)
        if aligned_idx not in table:
            type_flag = sc.KMALLOC_TYPES.get(t, ("", None))[1]
            flags = self._f(type_flag) if type_flag else 0
            memcg = cfg.on("memcg")
            merge = r.kmalloc_normal_merge
            if merge == KmallocNormalMerge.NO_MERGE_V6_5 and (
                t.startswith("rnd-")
                or (t == "normal" and (memcg or cfg.on("random_kmalloc_caches")))
            ):
                flags |= self._f("SLAB_NO_MERGE")
            s = self._create_boot_cache(
                kmalloc_name(t, aligned_size),
                aligned_size,
                flags | self._f("SLAB_KMALLOC"),
                kmalloc=True,
                usersize=aligned_size,
            )
            # create_kmalloc_cache sets refcount 1; 5.14 .. 6.4 then keep the normal
            # caches unmergeable with refcount -1 (CONFIG_MEMCG_KMEM)
            s.refcount = 1
            if merge == KmallocNormalMerge.REFCOUNT_V5_14 and t == "normal" and memcg:
                s.refcount = -1
            s.kmalloc = (t, aligned_idx)
            self.slab_caches.insert(0, s)
            table[aligned_idx] = s
        table[idx] = table[aligned_idx]

    # ---- kmem_cache_create (mm/slab_common.c __kmem_cache_create_args) ------------------
    def kmem_cache_create(
        self,
        name: str | None,
        size: int,
        align: int = 0,
        flags: int | str = 0,
        ctor: Callable[[Any], None] | None = None,
        *,
        useroffset: int = 0,
        usersize: int = 0,
        freeptr_offset: int | None = None,
        sheaf_capacity: int = 0,
    ) -> SlubCache | None:
        """Create (or alias) a cache as the version does; None with ``errno`` and the
        kernel's warning in ``log`` on failure, KernelPanic with SLAB_PANIC."""
        flags = self.flags.parse(flags)
        p = self.params
        r = self.config.rules
        if freeptr_offset is not None and not r.has_freeptr_offset:
            raise InputError(
                f"{self.config.version} has no kmem_cache_args.freeptr_offset (it came in 6.12)"
            )
        if sheaf_capacity and not r.has_sheaves:
            raise InputError(
                f"{self.config.version} has no kmem_cache_args.sheaf_capacity (it came in 6.18)"
            )
        args = rs.SlubArgs(
            size,
            align=align,
            flags=flags,
            ctor=int(ctor is not None),
            use_freeptr_offset=int(freeptr_offset is not None),
            freeptr_offset=freeptr_offset or 0,
            useroffset=useroffset,
            usersize=usersize,
            sheaf_capacity=sheaf_capacity,
            debug_flags=self._debug_flags(name or ""),
        )
        c = _core.slub_create(p, args)
        early = c.error == errors.EINVAL and c.site in (SITE_SANITY, rs.SITE_FLAGS_PERMITTED)
        err = 0
        if p.debug_vm and name is None:
            self.log.append("kmem_cache_create((null)) integrity check failed")
            err = errors.EINVAL
        elif early:
            if c.site == SITE_SANITY:
                self.log.append(f"kmem_cache_create({name}) integrity check failed")
            err = errors.EINVAL
        else:
            # usersize sanitised as the kernel does before looking for an alias
            if (
                p.drop_usersize
                or (not usersize and useroffset)
                or size < usersize
                or size - usersize < useroffset
            ):
                usersize = 0
            if not usersize and not sheaf_capacity:
                alias = sc.find_mergeable(
                    self.config,
                    self.slab_caches,
                    size,
                    align,
                    flags & p.create_mask,
                    self._debug_flags(name or ""),
                    ctor,
                )
                if alias is not None:
                    self._alias(alias, name or "(null)", size)
                    return alias
            if name is None:
                err = errors.ENOMEM  # kstrdup_const(NULL)
            elif c.error in (errors.HANG, errors.DIVIDE_ERROR, errors.BUG):
                raise kernel_error_for(
                    c.error,
                    f"kmem_cache_create({name}): the kernel "
                    f"does not return ({errors.outcome_name(c.error)})",
                )
            else:
                err = int(c.error)
        if err:
            self.errno = err
            report_create_failure(
                self.log,
                r.create_function,
                name,
                err,
                bool(flags & self.flags["SLAB_PANIC"]),
            )
            return None
        assert name is not None
        s = SlubCache(name, c, ctor=ctor)
        self.slab_caches.insert(0, s)  # list_add: newest first
        if self.runtime is not None:  # 7.x: the new cache's barn and sheaves
            self.runtime.cache_created(s)
        return s

    def unmergeable(self, s: SlubCache) -> bool:
        """slab_unmergeable() (slabhw.slab_common)."""
        return sc.slab_unmergeable(self.config, s)

    def _alias(self, s: SlubCache, name: str, size: int) -> None:
        """__kmem_cache_alias(): one more reference and a sysfs link."""
        s.refcount += 1
        s.layout.object_size = max(s.layout.object_size, size)
        s.layout.inuse = max(s.layout.inuse, (size + self.word - 1) & ~(self.word - 1))
        s.alias_names.append(name)

    def kmem_cache_destroy(self, s: SlubCache, caller: int | None = None) -> None:
        """kmem_cache_destroy() (mm/slab_common.c): drop a reference; the last one
        shuts the cache down.  When objects remain the kernel complains (a WARN with
        the caller from 6.1, a pr_err before) and, from 6.12, takes the cache off
        slab_caches anyway (its slabs leak); before, the cache stays listed."""
        if s not in self.slab_caches:
            raise InputError(f"cache {s.name!r} is not on this kernel's slab_caches list")
        if self.runtime is not None:  # 7.x: kvfree_rcu_barrier_on_cache()
            self.runtime.destroying(s)
        s.refcount -= 1
        if s.refcount:
            return
        r = self.config.rules
        if self.runtime is not None and self.runtime.shutdown(s):
            message = f"kmem_cache_destroy {s.name}: Slab cache still has objects"
            if r.reports.has_destroy_warn:
                message += f" when called from {caller or 0:#x}"
            self.log.append(message)
            if not r.has_destroy_unlists:
                return
        self.slab_caches.remove(s)

    def kmem_buckets_create(
        self, name: str, flags: int | str = 0, useroffset: int = 0, usersize: int = 0
    ) -> list[SlubCache]:
        """kmem_buckets_create() (v6.11): one cache per distinct normal kmalloc size."""
        if not self.config.rules.has_kmalloc_buckets:
            raise InputError(f"{self.config.version} has no kmem_buckets (they came in 6.11)")
        flags = self.flags.parse(flags) | self._f("SLAB_NO_MERGE")
        k = self.config.slub_kmalloc_params
        made: dict[int, SlubCache] = {}
        for _idx, c in sorted(
            self.kmalloc_caches["normal"].items(), key=lambda kv: kv[0] if kv[0] > 2 else kv[0] - 10
        ):
            size = c.object_size
            aligned_idx = _core.kmalloc_index(k, size)
            if aligned_idx in made:
                continue
            off, us = (
                (0, 0) if useroffset >= size else (useroffset, min(size - useroffset, usersize))
            )
            s = self.kmem_cache_create(
                f"{name}-{c.name.split('-', 1)[1]}", size, 0, flags, useroffset=off, usersize=us
            )
            if s is None:
                raise InputError(f"kmem_buckets_create({name}) failed")
            made[aligned_idx] = s
        return list(made.values())

    # ---- kmalloc -----------------------------------------------------------------------
    def kmalloc_type(self, gfp: str = "", caller: int | None = None) -> str:
        """kmalloc_type() (slabhw.slab_common): the type a GFP kind picks."""
        return sc.kmalloc_type(self.config, gfp, caller or 0, self.random_kmalloc_seed)

    def kmalloc_slab(
        self, size: int, gfp: str = "", caller: int | None = None
    ) -> SlubCache | ZeroSizePtr | None:
        """kmalloc_slab(): the cache for sizes up to KMALLOC_MAX_CACHE_SIZE; None above
        (those go to the page allocator); ZERO_SIZE for 0 (kmalloc returns
        ZERO_SIZE_PTR before it asks)."""
        if size < 0:
            raise InputError("size must not be negative")
        index = _core.kmalloc_slab_index(self.config.slub_kmalloc_params, size)
        if index < 0:
            return None
        if index == 0:
            return ZERO_SIZE
        return self.kmalloc_caches[self.kmalloc_type(gfp, caller)].get(index)

    def kmalloc_size_roundup(self, size: int) -> int:
        """kmalloc_size_roundup() (slabhw.slab_common)."""

        def object_size_of(n: int) -> int:
            c = self.kmalloc_slab(n)
            assert isinstance(c, SlubCache)
            return int(c.object_size)

        return sc.kmalloc_size_roundup(self.config, size, object_size_of)

    # ---- what user space sees -----------------------------------------------------------
    def unique_id(self, s: SlubCache) -> str:
        return unique_id(s.flags, s.size, self.flags)

    def sysfs(self) -> dict[str, Any]:
        """/sys/kernel/slab: directories (named, or a unique id for mergeable caches) with
        their attributes, and the alias links, in the format of slabhw.snapshot."""
        caches: dict[str, Any] = {}
        links: dict[str, str] = {}
        for s in self.slab_caches:
            mergeable = not self.unmergeable(s)
            directory = self.unique_id(s) if mergeable else s.name
            if mergeable:
                for n in [s.name, *s.alias_names]:
                    links[n] = directory
            caches[directory] = {"attributes": self.sysfs_attributes(s), "unreadable": []}
        return {"caches": caches, "aliases": links}

    def sysfs_attributes(self, s: SlubCache) -> dict[str, str]:
        """The attributes of one cache as sysfs prints them (counts from the run time,
        else zero), with the version's attribute set."""
        r = self.config.rules
        attrs = {
            "slab_size": str(s.size),
            "object_size": str(s.object_size),
            "align": str(s.align),
            "objs_per_slab": str(s.objects),
            "order": str(s.order),
            "min_partial": str(s.min_partial),
            "cpu_partial": str(s.cpu_partial),
        }
        if r.has_sheaves:
            attrs["sheaf_capacity"] = str(s.sheaf_capacity)
        attrs |= {
            "ctor": "" if s.ctor is None else "ctor",
            "aliases": str(max(s.refcount - 1, 0)),
            "objects": "0",
            "total_objects": "0",
            "slabs": "0",
            "partial": "0",
        }
        if self.runtime is not None:
            attrs.update(self.runtime.sysfs_counts(s))
        for attr, name in FLAG_ATTRIBUTES:
            if attr == "cache_dma" and not self.config.has_zone_dma:
                continue
            attrs[attr] = "1" if s.flags & self.flags.get(name) else "0"
        if self.flags.get("SLAB_SKIP_KFENCE"):  # v6.1, with KFENCE
            attrs["skip_kfence"] = "1" if s.flags & self.flags["SLAB_SKIP_KFENCE"] else "0"
        if not r.has_sysfs_usersize_gate or self.config.on("hardened_usercopy"):
            attrs["usersize"] = str(s.usersize)
        return attrs

    def slabinfo(self) -> str:
        """/proc/slabinfo of SLUB (get_slabinfo): one row per cache under its creator's
        name; the tunables are 0 0 0; the counts are the run time's, else zero."""
        lines = [header(False)]
        for s in self.slab_caches:
            active = num = slabs = 0
            if self.runtime is not None:
                c = self.runtime.counts(s)
                active, num, slabs = c["active_objs"], c["num_objs"], c["num_slabs"]
            lines.append(
                row(
                    s.name,
                    active,
                    num,
                    s.size,
                    s.objects,
                    1 << s.order,
                    (0, 0, 0),
                    (slabs, slabs, 0),
                )
                + "\n"
            )
        return "".join(lines)
