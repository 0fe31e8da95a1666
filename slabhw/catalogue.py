"""Creation inputs of known kernel caches that /sys/kernel/slab does not show, per
version.

sysfs shows a cache's object size, flag attributes, ctor and usersize, but not the
alignment it asked for, SLAB_NO_MERGE, SLAB_ACCOUNT, a custom free-pointer offset,
a sheaf capacity, or that a boot cache keeps refcount -1.  The cross-check takes
those from here, never from the values it checks.  Each entry names the source
line it comes from.  The kmalloc caches are recognised by name; the model's own
boot (slabhw.slub) gives their flags.
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


# The caches of 5.10 .. 6.6 (the source each entry names is 6.1's)
BASE: dict[str, Entry] = {
    "kmem_cache": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),  # NO_OBJ_EXT: 6.10 and later
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache, ...)",
    ),
    "kmem_cache_node": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache_node, ...)",
    ),
    "maple_node": Entry(
        align=256,
        source="lib/maple_tree.c maple_tree_init: align = sizeof(struct maple_node) (v6.1)",
    ),
    "vm_area_struct": Entry(
        flags=("SLAB_ACCOUNT",),
        source="kernel/fork.c proc_caches_init: KMEM_CACHE(vm_area_struct, ...|SLAB_ACCOUNT)",
    ),
    "filp": Entry(
        flags=("SLAB_ACCOUNT",),
        source="fs/file_table.c files_init: SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_ACCOUNT",
    ),
}

# v6.12: kmalloc_buckets (6.11) and filp's custom free pointer (6.12)
V6_12: dict[str, Entry] = BASE | {
    "kmalloc_buckets": Entry(
        flags=("SLAB_NO_MERGE",),
        align=0,
        source="mm/slab_common.c init_kmem_buckets... kmem_buckets_cache",
    ),
    # The offset is offsetof(struct file, f_freeptr); only its being inside the object
    # matters to the layout (sysfs shows no offset), 8 stands in for it.
    "filp": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/file_table.c files_init: use_freeptr_offset",
    ),
}

# v6.18: sheaves (maple_node, vm_area_struct) and more custom free pointers
V6_18: dict[str, Entry] = V6_12 | {
    "maple_node": Entry(
        align=256,
        sheaf_capacity=32,
        source="lib/maple_tree.c maple_tree_init: .align = sizeof(struct "
        "maple_node), .sheaf_capacity = 32",
    ),
    "vm_area_struct": Entry(
        flags=("SLAB_ACCOUNT",),
        sheaf_capacity=32,
        freeptr_offset=8,
        source="mm/vma_init.c vma_state_init: use_freeptr_offset, .sheaf_capacity = 32",
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

CATALOGUES: dict[str, dict[str, Entry]] = {
    "v5.10": BASE,
    "v5.15": BASE,
    "v6.1": BASE,
    "v6.6": BASE,
    "v6.12": V6_12,
    "v6.18": V6_18,
}

_KMALLOC = re.compile(r"(kmalloc|kmalloc-rcl|kmalloc-cg|dma-kmalloc)-\d+[kM]?$")
_RANDOM = re.compile(r"kmalloc-rnd-\d\d-\d+[kM]?$")
_BUCKETS = re.compile(r"(memdup_user|msg_msg)-\d+[kM]?$")


def lookup(version: str, name: str) -> Entry | None:
    """The catalogue entry for a cache name of a version (rules for the kmalloc
    families: their flags come from slabhw.slab_common as the version makes them)."""
    entries = CATALOGUES.get(version, {})
    if name in entries:
        return entries[name]
    m = _KMALLOC.match(name)
    if m:
        return Entry(
            kmalloc=True,
            boot=False,
            source="mm/slab_common.c new_kmalloc_cache / create_kmalloc_cache",
        )
    if _RANDOM.match(name):
        return Entry(
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
