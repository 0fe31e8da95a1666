"""SLUB (Linux 6.18): the simulated kernel's caches, merging, kmalloc caches, and
what /sys/kernel/slab and /proc/slabinfo show.

The numbers of each cache come from the C core (``_core.slub_create``); the
state lives here: the ``slab_caches`` list, reference counts, aliases, the kmalloc
arrays.  Each method names the kernel function it follows (mm/slab_common.c and
mm/slub.c of 6.18.2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _core, errors
from . import reference_slub as rs
from .config import KernelConfig
from .errors import InputError, KernelPanic, kernel_error_for, report_create_failure
from .flags import FlagTable
from .reference import SITE_SANITY
from .slabinfo import header, row

NEVER_MERGE = (
    "SLAB_RED_ZONE",
    "SLAB_POISON",
    "SLAB_STORE_USER",
    "SLAB_TRACE",
    "SLAB_TYPESAFE_BY_RCU",
    "SLAB_NOLEAKTRACE",
    "SLAB_FAILSLAB",
    "SLAB_NO_MERGE",
)
MERGE_SAME = ("SLAB_RECLAIM_ACCOUNT", "SLAB_CACHE_DMA", "SLAB_CACHE_DMA32", "SLAB_ACCOUNT")
ID_LETTERS = (
    ("SLAB_CACHE_DMA", "d"),
    ("SLAB_CACHE_DMA32", "D"),
    ("SLAB_RECLAIM_ACCOUNT", "a"),
    ("SLAB_CONSISTENCY_CHECKS", "F"),
    ("SLAB_ACCOUNT", "A"),
)
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

# enum kmalloc_cache_type: name prefix and flag of each type
KMALLOC_TYPES = {
    "normal": ("kmalloc-", None),
    "rcl": ("kmalloc-rcl-", "SLAB_RECLAIM_ACCOUNT"),
    "dma": ("dma-kmalloc-", "SLAB_CACHE_DMA"),
    "cg": ("kmalloc-cg-", "SLAB_ACCOUNT"),
}

# struct sizes of the reference x86_64 6.18.44 configuration (shared/spec b, g.4):
# offsetof(struct kmem_cache, node) and sizeof(struct kmem_cache_node)
KMEM_CACHE_NODE_OFFSET_64 = 224
KMEM_CACHE_NODE_SIZE_64 = 72


def unique_id(flags: int, size: int, table: FlagTable) -> str:
    """create_unique_id() (mm/slub.c v6.18): ':' + flag letters [+ '-'] + %07u of the
    slab size."""
    letters = "".join(ch for name, ch in ID_LETTERS if flags & table.get(name))
    return ":" + letters + ("-" if letters else "") + f"{size:07d}"


def kmalloc_size_name(size: int) -> str:
    """The size part of kmalloc_info[] names: 96, 192, 8 ... 512, 1k ... 512k, 1M, 2M."""
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20}M"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10}k"
    return str(size)


@dataclass(eq=False)
class SlubCache:
    """struct kmem_cache (SLUB, Linux 6.18) as the model keeps it."""

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
        cfg = self.config
        if cfg.on("kasan_generic"):
            raise InputError(
                "booting a KASAN kernel needs the size of struct kmem_cache with kasan_info, "
                "which slabhw does not know; 'slabhw sweep' computes KASAN layouts"
            )
        if cfg.arch.word_bits != 64:
            raise InputError(
                "booting a v6.18 kernel needs the sizes of struct kmem_cache and struct "
                "kmem_cache_node, known here for the 64-bit reference configuration only; "
                "use 'slabhw sweep' for 32-bit layouts"
            )
        early = self._f("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT")
        node = self._create_boot_cache("kmem_cache_node", KMEM_CACHE_NODE_SIZE_64, early)
        kmem = self._create_boot_cache(
            "kmem_cache", KMEM_CACHE_NODE_OFFSET_64 + self.word * cfg.nr_nodes, early
        )
        # bootstrap(): kmem_cache is listed first, then kmem_cache_node; both keep -1
        self.slab_caches[:0] = [node, kmem]
        self._create_kmalloc_caches()
        if cfg.on("slab_buckets"):
            self.kmem_buckets_cache = self.kmem_cache_create(
                "kmalloc_buckets",
                (cfg.slub_kmalloc_shift_high + 1) * self.word,
                0,
                self._f("SLAB_NO_MERGE"),
            )

    def _create_boot_cache(
        self, name: str, size: int, flags: int, *, kmalloc: bool = False, usersize: int = 0
    ) -> SlubCache:
        """create_boot_cache(): kmalloc caches start from their natural alignment."""
        align = self.config.arch_kmalloc_minalign
        if kmalloc:
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
        """enum kmalloc_cache_type in order, as this configuration has it."""
        cfg = self.config
        types = ["normal"]
        if cfg.on("random_kmalloc_caches"):
            types += [f"rnd-{i:02d}" for i in range(1, 16)]
        if not cfg.on("slub_tiny"):
            types.append("rcl")
        if cfg.has_zone_dma:
            types.append("dma")
        if cfg.on("memcg"):
            types.append("cg")
        return types

    def _create_kmalloc_caches(self) -> None:
        """create_kmalloc_caches() / new_kmalloc_cache() (mm/slab_common.c v6.18)."""
        cfg = self.config
        minalign = max(cfg.arch.kmalloc_minalign or 8, cfg.arch_slab_minalign)
        low, high = cfg.slub_kmalloc_shift_low, cfg.slub_kmalloc_shift_high
        for t in self.kmalloc_type_names():
            table = self.kmalloc_caches.setdefault(t, {})
            indices = (
                ([1] if cfg.slub_kmalloc_min_size <= 32 else [])
                + ([2] if cfg.slub_kmalloc_min_size <= 64 else [])
                + list(range(low, high + 1))
            )
            for idx in indices:
                size = {1: 96, 2: 192}.get(idx, 1 << idx)
                aligned_size, aligned_idx = size, idx
                if minalign > cfg.arch_kmalloc_minalign:
                    aligned_size = (size + minalign - 1) & ~(minalign - 1)
                    aligned_idx = self._kmalloc_index(aligned_size)
                if aligned_idx not in table:
                    prefix, type_flag = KMALLOC_TYPES.get(t, (f"kmalloc-{t}-", None))
                    flags = self._f(type_flag) if type_flag else 0
                    if t.startswith("rnd-") or (
                        t == "normal" and (cfg.on("memcg") or cfg.on("random_kmalloc_caches"))
                    ):
                        flags |= self._f("SLAB_NO_MERGE")
                    name = prefix + kmalloc_size_name(aligned_size)
                    s = self._create_boot_cache(
                        name,
                        aligned_size,
                        flags | self._f("SLAB_KMALLOC"),
                        kmalloc=True,
                        usersize=aligned_size,
                    )
                    s.refcount = 1
                    s.kmalloc = (t, aligned_idx)
                    self.slab_caches.insert(0, s)
                    table[aligned_idx] = s
                table[idx] = table[aligned_idx]

    def _kmalloc_index(self, size: int) -> int:
        """__kmalloc_index() of 6.18 (KMALLOC_MIN_SIZE of this configuration)."""
        cfg = self.config
        low, mins = cfg.slub_kmalloc_shift_low, cfg.slub_kmalloc_min_size
        if size == 0:
            return 0
        if size <= mins:
            return low
        if mins <= 32 and 64 < size <= 96:
            return 1
        if mins <= 64 and 128 < size <= 192:
            return 2
        return max(3, (size - 1).bit_length())

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
        """Create (or alias) a cache as Linux 6.18 does; None with ``errno`` and the
        kernel's warning in ``log`` on failure, KernelPanic with SLAB_PANIC."""
        flags = self.flags.parse(flags)
        p = self.params
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
                alias = self._find_mergeable(size, align, flags, name or "", ctor)
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
                "__kmem_cache_create_args",
                name,
                err,
                bool(flags & self.flags["SLAB_PANIC"]),
            )
            return None
        assert name is not None
        s = SlubCache(name, c, ctor=ctor)
        self.slab_caches.insert(0, s)  # list_add: newest first
        return s

    def _unmergeable(self, s: SlubCache) -> bool:
        """slab_unmergeable() (mm/slab_common.c v6.18)."""
        return bool(
            self.config.slab_nomerge
            or s.flags & self._f(*NEVER_MERGE)
            or s.ctor
            or s.usersize
            or s.sheaf_capacity
            or s.refcount < 0
        )

    def _find_mergeable(
        self, size: int, align: int, flags: int, name: str, ctor: Callable[[Any], None] | None
    ) -> SlubCache | None:
        """find_mergeable(): the oldest cache of the same final size and MERGE_SAME flags."""
        if self.config.slab_nomerge or ctor is not None:
            return None
        flags = rs.kmem_cache_flags(self.params, flags, self._debug_flags(name))
        if flags & self._f(*NEVER_MERGE):
            return None
        size = (size + self.word - 1) & ~(self.word - 1)
        a = _core.slub_calculate_alignment(self.params, flags, align, size)
        if a is None:
            raise kernel_error_for(
                errors.HANG, "find_mergeable: calculate_alignment() never returns for size 0"
            )
        size = (size + a - 1) & ~(a - 1)
        same = self._f(*MERGE_SAME)
        for s in reversed(self.slab_caches):  # from the tail: oldest first
            if self._unmergeable(s) or size > s.size:
                continue
            if (flags & same) != (s.flags & same):
                continue
            if s.size & (a - 1) or s.size - size >= self.word:
                continue
            return s
        return None

    def _alias(self, s: SlubCache, name: str, size: int) -> None:
        """__kmem_cache_alias(): one more reference and a sysfs link."""
        s.refcount += 1
        s.layout.object_size = max(s.layout.object_size, size)
        s.layout.inuse = max(s.layout.inuse, (size + self.word - 1) & ~(self.word - 1))
        s.alias_names.append(name)

    def kmem_cache_destroy(self, s: SlubCache, caller: int = 0) -> None:
        """kmem_cache_destroy() (mm/slab_common.c 6.18): drop a reference; the last one
        shuts the cache down and takes it off slab_caches even when objects remain
        (after a WARN; its slabs are then leaked)."""
        if s not in self.slab_caches:
            raise InputError(f"cache {s.name!r} is not on this kernel's slab_caches list")
        s.refcount -= 1
        if s.refcount:
            return
        if self.runtime is not None and self.runtime.shutdown(s):
            self.log.append(
                f"kmem_cache_destroy {s.name}: Slab cache still has objects when called "
                f"from {caller:#x}"
            )
        self.slab_caches.remove(s)

    def kmem_buckets_create(
        self, name: str, flags: int | str = 0, useroffset: int = 0, usersize: int = 0
    ) -> list[SlubCache]:
        """kmem_buckets_create(): one cache per distinct normal kmalloc size."""
        flags = self.flags.parse(flags) | self._f("SLAB_NO_MERGE")
        made: dict[int, SlubCache] = {}
        for _idx, k in sorted(
            self.kmalloc_caches["normal"].items(), key=lambda kv: kv[0] if kv[0] > 2 else kv[0] - 10
        ):
            size = k.object_size
            aligned_idx = self._kmalloc_index(size)
            if aligned_idx in made:
                continue
            off, us = (
                (0, 0) if useroffset >= size else (useroffset, min(size - useroffset, usersize))
            )
            s = self.kmem_cache_create(
                f"{name}-{k.name.split('-', 1)[1]}", size, 0, flags, useroffset=off, usersize=us
            )
            if s is None:
                raise InputError(f"kmem_buckets_create({name}) failed")
            made[aligned_idx] = s
        return list(made.values())

    # ---- kmalloc -----------------------------------------------------------------------
    def kmalloc_type(self, gfp: str = "", caller: int = 0) -> str:
        """kmalloc_type(): GFP_DMA, __GFP_RECLAIMABLE and __GFP_ACCOUNT pick a type; plain
        requests with RANDOM_KMALLOC_CACHES pick a copy from the call site's address."""
        if not gfp:
            if self.config.on("random_kmalloc_caches"):
                h = ((caller ^ self.random_kmalloc_seed) * 0x61C8864680B583EB) & (2**64 - 1)
                n = h >> (64 - 4)  # hash_64(caller ^ seed, ilog2(15 + 1))
                return "normal" if n == 0 else f"rnd-{n:02d}"
            return "normal"
        if gfp == "dma" and self.config.has_zone_dma:
            return "dma"
        if gfp == "reclaimable" or not self.config.on("memcg"):
            return "rcl" if "rcl" in self.kmalloc_caches else "normal"
        if gfp == "account":
            return "cg"
        raise InputError(f"unknown gfp kind {gfp!r} (dma, reclaimable, account)")

    def kmalloc_slab(self, size: int, gfp: str = "", caller: int = 0) -> SlubCache | None:
        """kmalloc_slab(): the cache for sizes up to KMALLOC_MAX_CACHE_SIZE; None above
        (those go to the page allocator) and for 0 (ZERO_SIZE_PTR)."""
        if size <= 0 or size > 1 << self.config.slub_kmalloc_shift_high:
            return None
        t = self.kmalloc_type(gfp, caller)
        index = self._size_index((size - 1) // 8) if size <= 192 else (size - 1).bit_length()
        return self.kmalloc_caches[t].get(index)

    def _size_index(self, elem: int) -> int:
        """kmalloc_size_index[] after setup_kmalloc_cache_index_table()."""
        table = (3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2)
        i = 8 * (elem + 1)
        mins = self.config.slub_kmalloc_min_size
        if i < mins:
            return self.config.slub_kmalloc_shift_low
        if mins >= 64 and 72 <= i <= 96:
            return 7
        if mins >= 128 and 136 <= i <= 192:
            return 8
        return table[elem]

    def kmalloc_size_roundup(self, size: int) -> int:
        """kmalloc_size_roundup() (mm/slab_common.c v6.18)."""
        cfg = self.config
        if size and size <= 1 << cfg.slub_kmalloc_shift_high:
            c = self.kmalloc_slab(size)
            assert c is not None
            return int(c.object_size)
        if size and size <= 1 << (cfg.arch.max_page_order + cfg.arch.page_shift):
            return cfg.page_size << rs.get_order(self.params, size)
        return size

    # ---- what user space sees -----------------------------------------------------------
    def unique_id(self, s: SlubCache) -> str:
        return unique_id(s.flags, s.size, self.flags)

    def sysfs(self) -> dict[str, Any]:
        """/sys/kernel/slab: directories (named, or a unique id for mergeable caches) with
        their attributes, and the alias links, in the format of slabhw.snapshot."""
        caches: dict[str, Any] = {}
        links: dict[str, str] = {}
        for s in self.slab_caches:
            mergeable = not self._unmergeable(s)
            directory = self.unique_id(s) if mergeable else s.name
            if mergeable:
                for n in [s.name, *s.alias_names]:
                    links[n] = directory
            caches[directory] = {"attributes": self.sysfs_attributes(s), "unreadable": []}
        return {"caches": caches, "aliases": links}

    def sysfs_attributes(self, s: SlubCache) -> dict[str, str]:
        """The static attributes of one cache as sysfs prints them (no objects yet)."""
        attrs = {
            "slab_size": str(s.size),
            "object_size": str(s.object_size),
            "align": str(s.align),
            "objs_per_slab": str(s.objects),
            "order": str(s.order),
            "min_partial": str(s.min_partial),
            "cpu_partial": str(s.cpu_partial),
            "sheaf_capacity": str(s.sheaf_capacity),
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
        if self.config.on("hardened_usercopy"):
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
