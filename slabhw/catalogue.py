"""Creation inputs of known kernel caches that /sys/kernel/slab does not show.

sysfs shows a cache's object size, flag attributes, ctor and usersize, but not the
alignment it asked for, SLAB_NO_MERGE, SLAB_ACCOUNT, a custom free-pointer offset,
a sheaf capacity, or that a boot cache keeps refcount -1.  The cross-check takes
those from here, never from the values it checks.  Each entry names the source
line it comes from (Linux 6.18.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """What a kmem_cache_create call passes beyond what sysfs shows."""

    flags: tuple[str, ...] = ()  # extra SLAB_* names (NO_MERGE, ACCOUNT, KMALLOC, ...)
    align: int | None = None  # the requested alignment; None: not known
    boot: bool = False  # create_boot_cache: refcount -1 for ever, never merges
    kmalloc: bool = False  # create_kmalloc_cache: natural alignment, usersize = size
    sheaf_capacity: int = 0
    freeptr_offset: int | None = None  # in-object free pointer (kmem_cache_args)
    source: str = ""


# v6.18: individual caches
V6_18: dict[str, Entry] = {
    "kmem_cache": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache, ...)",
    ),
    "kmem_cache_node": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache_node, ...)",
    ),
    "kmalloc_buckets": Entry(
        flags=("SLAB_NO_MERGE",),
        align=0,
        source="mm/slab_common.c init_kmem_buckets... kmem_buckets_cache",
    ),
    "maple_node": Entry(
        align=256,
        sheaf_capacity=32,
        source="lib/maple_tree.c maple_tree_init: .align = sizeof(struct "
        "maple_node), .sheaf_capacity = 32",
    ),
    # The offset is offsetof(struct vm_area_struct, vm_freeptr); only its being inside
    # the object matters to the layout (sysfs shows no offset), 8 stands in for it.
    "vm_area_struct": Entry(
        flags=("SLAB_ACCOUNT",),
        sheaf_capacity=32,
        freeptr_offset=8,
        source="mm/vma_init.c vma_state_init: use_freeptr_offset, .sheaf_capacity = 32",
    ),
    "filp": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/file_table.c files_init: use_freeptr_offset",
    ),
    "bfilp": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/file_table.c files_init: use_freeptr_offset",
    ),
    "io_kiocb": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="io_uring/io_uring.c io_uring_init: use_freeptr_offset",
    ),
}

_KMALLOC = re.compile(r"(kmalloc|kmalloc-rcl|kmalloc-cg|dma-kmalloc)-\d+[kM]?$")
_RANDOM = re.compile(r"kmalloc-rnd-\d\d-\d+[kM]?$")
_BUCKETS = re.compile(r"(memdup_user|msg_msg)-\d+[kM]?$")


def lookup_v6_18(name: str, memcg: bool = True) -> Entry | None:
    """The catalogue entry for a 6.18 cache name (rules for the kmalloc families)."""
    if name in V6_18:
        return V6_18[name]
    m = _KMALLOC.match(name)
    if m:
        kind = m.group(1)
        extra = {
            "kmalloc": ("SLAB_NO_MERGE",) if memcg else (),
            "kmalloc-rcl": ("SLAB_RECLAIM_ACCOUNT",),
            "kmalloc-cg": ("SLAB_ACCOUNT",),
            "dma-kmalloc": ("SLAB_CACHE_DMA",),
        }[kind]
        return Entry(
            flags=("SLAB_KMALLOC",) + extra,
            kmalloc=True,
            boot=False,
            source="mm/slab_common.c new_kmalloc_cache / create_kmalloc_cache",
        )
    if _RANDOM.match(name):
        return Entry(
            flags=("SLAB_KMALLOC", "SLAB_NO_MERGE"),
            kmalloc=True,
            source="mm/slab_common.c new_kmalloc_cache (RANDOM_KMALLOC_CACHES)",
        )
    m = _BUCKETS.match(name)
    if m:
        extra = ("SLAB_ACCOUNT",) if m.group(1) == "msg_msg" else ()
        return Entry(
            flags=("SLAB_NO_MERGE",) + extra,
            align=0,
            source="mm/slab_common.c kmem_buckets_create (mm/util.c, ipc/msgutil.c)",
        )
    return None
