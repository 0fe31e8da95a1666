"""SLAB (Linux 3.16): the simulated kernel's configuration, the ``slab_caches``
list, boot caches, ``kmem_cache_create``/``kmem_cache_destroy``, ``kmalloc_slab``
and /proc/slabinfo.

The steps follow the seed's listing of Linux 3.16 (mm/slab_common.c
``kmem_cache_create`` -> ``do_kmem_cache_create`` -> mm/slab.c
``__kmem_cache_create``); the arithmetic of each step runs in the C core
(``_core.slab316_create``), the bookkeeping here.  Messages the kernel prints go to
``SlabKernel.log`` (its dmesg) in the kernel's own words.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from . import _core, errors
from . import reference as ref
from . import slab_common as sc
from .config import KernelConfig
from .errors import InputError, KernelPanic, c_str, kernel_error_for
from .slab import KmemCache
from .slab_common import ZERO_SIZE, ZeroSizePtr, report_create_failure
from .slabinfo import render
from .textio import shown
from .versions.rules import KmallocOrder

GFP_DMA = 0x01  # ___GFP_DMA, include/linux/gfp.h v3.16
GFP_COMP = 0x4000  # ___GFP_COMP

# Where the kernel stops for a non-errno outcome, in its words (3.16.41 line numbers).
_SITE_MESSAGES = {
    ref.SITE_DEBUG_RCU_POISON: "kernel BUG at mm/slab.c:2249!",
    ref.SITE_CALCULATE_ALIGNMENT: (
        "calculate_alignment() never returns: SLAB_HWCACHE_ALIGN with size 0 halves "
        "the cache line to 0 and loops for ever (mm/slab_common.c:123)"
    ),
    ref.SITE_CACHE_ESTIMATE: "divide error: 0000 [#1] SMP (cache_estimate, mm/slab.c)",
    ref.SITE_RECIPROCAL: "divide error: 0000 [#1] SMP (reciprocal_value, lib/reciprocal_div.c)",
}


def _as_int(value: Any, what: str) -> int:
    """A non-negative integer argument (Python or numpy integer)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise InputError(f"{what} must be an integer, not {shown(value)}") from None
    if v < 0:
        raise InputError(f"{what} must not be negative, not {v}")
    return v


class SlabKernel:
    """A simulated Linux kernel with the SLAB allocator (3.16).

    ``SlabKernel(config)`` boots (``kmem_cache_init`` + ``kmem_cache_init_late``) and
    is ready for ``kmem_cache_create``; ``slabhw.Kernel(...)`` builds the
    configuration and picks this class for SLAB versions.
    """

    def __init__(self, config: KernelConfig) -> None:
        self.config = config
        self.params = config.slab_params()
        self.flags = config.flags
        self.slab_caches: list[KmemCache] = []  # index 0 is the list head (newest)
        self.runtime: Any = None  # a SlabRuntime running this kernel registers itself
        self.kmalloc_caches: dict[int, KmemCache] = {}
        self.kmalloc_dma_caches: dict[int, KmemCache] = {}
        self.log: list[str] = []
        self.errno = 0  # the error of the last failed kmem_cache_create
        self.slab_state = "DOWN"
        self.kmem_cache: KmemCache | None = None
        self._boot()

    # ---- boot: kmem_cache_init, create_kmalloc_caches, kmem_cache_init_late --------
    def _boot(self) -> None:
        cfg = self.config
        hw = self.flags["SLAB_HWCACHE_ALIGN"]  # ARCH_KMALLOC_FLAGS
        # 1) the static "kmem_cache" cache; slab_early_init forces on-slab management
        self.kmem_cache = self._create_boot_cache("kmem_cache", cfg.kmem_cache_size, hw, early=True)
        self.kmem_cache.refcount = -1
        self.slab_caches.insert(0, self.kmem_cache)
        self.slab_state = "PARTIAL"
        # 2+3) the caches serving struct arraycache_init and struct kmem_cache_node
        self._create_kmalloc_cache("kmalloc-ac", cfg.index_ac, hw, early=True)
        self.slab_state = "PARTIAL_ARRAYCACHE" if cfg.index_ac != cfg.index_node else "PARTIAL_NODE"
        if cfg.index_ac != cfg.index_node:
            self._create_kmalloc_cache("kmalloc-node", cfg.index_node, hw, early=True)
            self.slab_state = "PARTIAL_NODE"
        self._create_kmalloc_caches(hw)
        # kmem_cache_init_late: enable_cpucache for every cache (the layouts carry the
        # final tunables already); then FULL
        self.slab_state = "FULL"

    def _create_kmalloc_caches(self, flags: int) -> None:
        """create_kmalloc_caches() (mm/slab_common.c v3.16)."""
        cfg = self.config
        # the two non-power-of-two caches right after their neighbours; the caches
        # kmem_cache_init made early (kmalloc-ac, kmalloc-node) are skipped
        order = KmallocOrder.INTERLEAVED_V2_6
        for i in sc.kmalloc_indices(order, cfg.slab_kmalloc_params, cfg.kmalloc_shift_high):
            if i not in self.kmalloc_caches:
                self._create_kmalloc_cache(None, i, flags)
        self.slab_state = "UP"
        for i in sorted(self.kmalloc_caches):
            self.kmalloc_caches[i].name = f"kmalloc-{cfg.kmalloc_size(i)}"
        if cfg.has_zone_dma:
            dma = self.flags["SLAB_CACHE_DMA"]
            for i in sc.dma_after_up_indices(self.kmalloc_caches):
                name = f"dma-kmalloc-{cfg.kmalloc_size(i)}"
                self._create_kmalloc_cache(name, i, dma | flags, table=self.kmalloc_dma_caches)

    def _create_kmalloc_cache(
        self,
        name: str | None,
        index: int,
        flags: int,
        *,
        early: bool = False,
        table: dict[int, KmemCache] | None = None,
    ) -> KmemCache:
        """create_kmalloc_cache(): descriptor from "kmem_cache", create_boot_cache, list;
        stored at ``index`` of kmalloc_caches (or the given table)."""
        s = self._create_boot_cache(name, self.config.kmalloc_size(index), flags, early=early)
        s.kmalloc_index = index
        s.dma = table is self.kmalloc_dma_caches
        self.slab_caches.insert(0, s)
        s.refcount = 1
        (self.kmalloc_caches if table is None else table)[index] = s
        return s

    def _create_boot_cache(
        self, name: str | None, size: int, flags: int, *, early: bool = False
    ) -> KmemCache:
        """create_boot_cache(): align = calculate_alignment(flags, ARCH_KMALLOC_MINALIGN,
        size), __kmem_cache_create without the flag mask; failure panics."""
        c = _core.slab316_create(
            self.params,
            size,
            self.config.arch_kmalloc_minalign,
            flags,
            boot=True,
            slab_early_init=early,
        )
        if c.error:
            self._fail_outcome(c)
            raise KernelPanic(
                c.error,
                f"Kernel panic - not syncing: Creation of kmalloc slab {c_str(name)} "
                f"size={size} failed. Reason -{c.error}",
            )
        return self._finish_descriptor(name or "", c, flags, None)

    def _finish_descriptor(
        self, name: str, c: ref.SlabLayout, flags: int, ctor: Callable[[Any], None] | None
    ) -> KmemCache:
        allocflags = GFP_COMP
        if self.config.has_zone_dma and flags & self.flags["SLAB_CACHE_DMA"]:
            allocflags |= GFP_DMA
        s = KmemCache.from_layout(name, c, allocflags=allocflags, ctor=ctor)
        if s.off_slab:
            fc = self.kmalloc_slab(s.freelist_size)
            if not isinstance(fc, KmemCache):
                raise kernel_error_for(errors.BUG, "kernel BUG at mm/slab.c:2400!")
            s.freelist_cache = fc
        return s

    def _fail_outcome(self, c: ref.SlabLayout) -> None:
        """Raise for outcomes where the kernel does not return (BUG, hang, trap)."""
        if c.error in (errors.BUG, errors.HANG, errors.DIVIDE_ERROR):
            message = _SITE_MESSAGES[c.site]
            self.log.append(message)
            raise kernel_error_for(c.error, message)

    # ---- kmem_cache_create (mm/slab_common.c v3.16) ----------------------------------
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
    ) -> KmemCache | None:
        """Create a cache as Linux 3.16 does.

        Returns the new cache, or None with ``self.errno`` set and the kernel's
        warning in ``self.log``.  With SLAB_PANIC a failure raises ``KernelPanic``;
        a BUG, a hang or a divide error raise the matching ``KernelError``.
        """
        for arg, value, since in (
            ("usersize", usersize, "4.16"),
            ("useroffset", useroffset, "4.16"),
            ("freeptr_offset", freeptr_offset, "6.12"),
            ("sheaf_capacity", sheaf_capacity, "6.18"),
        ):
            if value:
                raise InputError(f"{arg} is not an argument of 3.16's kmem_cache_create ({since})")
        flags = self.flags.parse(flags if isinstance(flags, str) else _as_int(flags, "flags"))
        size, align = _as_int(size, "size"), _as_int(align, "align")
        c = _core.slab316_create(self.params, size, align, flags)
        masked = flags & self.config.cache_create_mask
        err = self._create_steps(name, c)
        if err:
            self.errno = err
            report_create_failure(
                self.log,
                "kmem_cache_create",
                c_str(name),
                err,
                bool(masked & self.flags["SLAB_PANIC"]),
            )
            return None
        assert name is not None
        s = self._finish_descriptor(name, c, masked, ctor)
        s.refcount = 1
        self.slab_caches.insert(0, s)  # list_add: the head of slab_caches
        return s

    def _create_steps(self, name: str | None, c: ref.SlabLayout) -> int:
        """The failure checks of kmem_cache_create in the kernel's order; 0 or an errno."""
        # kmem_cache_sanity_check (CONFIG_DEBUG_VM only)
        if self.config.debug_vm:
            if name is None or c.error == errors.EINVAL:
                self.log.append(f"kmem_cache_create({c_str(name)}) integrity check failed")
                return errors.EINVAL
            if any(s.name == name for s in self.slab_caches):  # !CONFIG_SLUB
                self.log.append(f"kmem_cache_sanity_check ({name}): Cache name already exists.")
                return errors.EINVAL
            if " " in name:
                self.log.append("WARNING: kmem_cache_sanity_check: name contains a space")
        # __kmem_cache_alias: SLAB in 3.16 never merges.  kstrdup(name):
        if name is None:
            return errors.ENOMEM
        # calculate_alignment + do_kmem_cache_create + __kmem_cache_create
        self._fail_outcome(c)
        return int(c.error)

    # ---- destroy ---------------------------------------------------------------------
    def kmem_cache_destroy(self, cache: KmemCache, caller: int | None = None) -> None:
        """kmem_cache_destroy(): drop a reference; the last one removes the cache.
        3.16's report names no caller (``caller`` must stay None)."""
        if caller is not None:
            raise InputError("3.16's kmem_cache_destroy reports no caller (caller= is for SLUB)")
        if cache not in self.slab_caches:
            raise InputError(f"cache {cache.name!r} is not on this kernel's slab_caches list")
        cache.refcount -= 1
        if cache.refcount:
            return
        # __kmem_cache_shutdown: the run time shrinks the cache; a kernel that has
        # allocated nothing has nothing to shrink
        if self.runtime is not None and self.runtime.shutdown(cache):
            self.log.append(f"kmem_cache_destroy {cache.name}: Slab cache still has objects")
            return
        self.slab_caches.remove(cache)

    # ---- lookups -----------------------------------------------------------------------
    def find_cache(self, name: str) -> KmemCache:
        for s in self.slab_caches:
            if s.name == name:
                return s
        raise InputError(f"no cache named {shown(name)}")

    def kmalloc_slab(
        self, size: int, gfp: str = "", caller: int | None = None
    ) -> KmemCache | ZeroSizePtr | None:
        """kmalloc_slab(size, gfp) (mm/slab_common.c v3.16): the cache kmalloc uses,
        ZERO_SIZE for 0, None above KMALLOC_MAX_SIZE (after a one-time warning).
        ``gfp`` is "" or "dma" (GFP_DMA); 3.16 has no other kmalloc types, and no
        copies picked by the caller."""
        size = _as_int(size, "size")
        if gfp not in ("", "dma"):
            raise InputError(f"gfp={gfp}: 3.16 has kmalloc types for GFP_DMA (dma) only")
        if caller is not None:
            raise InputError("3.16 picks no kmalloc cache by caller (random copies came in 6.6)")
        dma = gfp == "dma"
        index = _core.kmalloc_slab_index(self.config.slab_kmalloc_params, size)
        if index < 0:
            self.log.append("WARNING: at mm/slab_common.c:491 kmalloc_slab()")
            return None
        if index == 0:
            return ZERO_SIZE
        table = self.kmalloc_dma_caches if dma and self.config.has_zone_dma else self.kmalloc_caches
        return table.get(index)

    def slabinfo(self) -> str:
        """/proc/slabinfo of SLAB 3.16 (counts from the run time, else zero)."""
        if self.runtime is not None:
            self.runtime.update_stats()
        return render(self.slab_caches, self.config.on("debug_slab"))

    def sysfs(self) -> dict[str, Any]:
        raise InputError(f"{self.config.version} uses SLAB, which has no /sys/kernel/slab")

    def kmalloc_index(self, size: int) -> int:
        """kmalloc_index(): the compile-time mapping of a constant size."""
        return _core.kmalloc_index(self.config.slab_kmalloc_params, size)
