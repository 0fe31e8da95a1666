"""Linux 6.6 (latest read: 6.6.150, unifreq/linux-6.6.y; Android 15).

6.1 with the changes of 6.2 .. 6.6.
"""

from __future__ import annotations

from dataclasses import replace

from ..flags import FlagDef
from . import arches, v5_10, v6_1
from .preset import Backport
from .rules import (
    FreePointerOutside,
    InitOnAllocSize,
    KmallocNormalMerge,
    KmallocSizeRoundup,
    KmallocType,
    ShuffleRandom,
)
from .switches import slub_switches

# include/linux/slab.h (6.6.150): 6.1's values plus SLAB_NO_MERGE (v6.5);
# SLAB_RECLAIM_ACCOUNT is 0 with SLUB_TINY (v6.2)
FLAGS: tuple[FlagDef, ...] = (
    tuple(
        FlagDef(d.name, d.value, d.requires, d.alias_of, d.internal, "slub_tiny")
        if d.name in ("SLAB_RECLAIM_ACCOUNT", "SLAB_TEMPORARY")
        else d
        for d in v6_1.FLAGS[:16]
    )
    + (FlagDef("SLAB_NO_MERGE", 0x01000000),)
    + v6_1.FLAGS[16:]
)

CACHE_FLAGS = v6_1.CACHE_FLAGS + ("SLAB_KMALLOC", "SLAB_NO_MERGE")

RULES = replace(
    v6_1.RULES,
    # "mm, slab: ignore hardened usercopy parameters when disabled" (v6.2): usersize
    # is dropped without HARDENED_USERCOPY, and sysfs shows usersize only with it
    has_usercopy_gate=True,
    has_sysfs_usersize_gate=True,
    # 946fa0dbf2d8 "mm/slub: extend redzone check to extra allocated kmalloc space
    # than requested" (v6.2)
    freeptr_outside=FreePointerOutside.V6_2,
    # SLAB_KMALLOC permitted and in the cache flags (v6.2); SLAB_NO_MERGE (v6.5,
    # d0bf7d5759c1 "mm/slab: introduce kmem_cache flag SLAB_NO_MERGE")
    permitted=v6_1.RULES.permitted + ("SLAB_KMALLOC", "SLAB_NO_MERGE"),
    create_mask=v5_10.CORE_FLAGS + CACHE_FLAGS,
    # the kmalloc types reordered: cg last (6.2/6.3), random copies (v6.6)
    kmalloc_types=("normal", "rnd", "rcl", "dma", "cg"),
    kmalloc_type=KmallocType.RANDOM_V6_6,
    # d5bf48574699 "mm/slab_common: use SLAB_NO_MERGE instead of negative refcount"
    # (v6.5)
    kmalloc_normal_merge=KmallocNormalMerge.NO_MERGE_V6_5,
    # 4ab5f8ec7d71 "mm/slab: decouple ARCH_KMALLOC_MINALIGN from ARCH_DMA_MINALIGN",
    # 9382bc44b5f5 "arm64: allow kmalloc() caches aligned to the smaller
    # cache_line_size()" (v6.5)
    has_kmalloc_minalign=True,
    kmalloc_size_roundup=KmallocSizeRoundup.V6_6,
    # "mm/slab: Replace invocation of weak PRNG" (present in 6.6, absent in 6.3)
    shuffle_random=ShuffleRandom.GET_RANDOM_V6_5,
    # 6.6.64 by backport: a debug slab failing the checks is disabled (frozen)
    has_slab_disabled_check=True,
    has_kmalloc_redzone=True,  # 946fa0dbf2d8 (6.2)
    # the kmalloc request only (6.2), with store-user only from 6.6.145 (backport)
    init_on_alloc_size=InitOnAllocSize.ORIG_STORE_USER_V6_6_145,
    reports=replace(v6_1.RULES.reports, set_freepointer_line=448),
)

# arm64 from 6.5: ARCH_KMALLOC_MINALIGN 8 (the base); Debian-like VA_BITS 48
ARM64_VA48 = dict(page_offset=0xFFFF000000000000)
ARCHES = arches.derive(
    arches.BASE, {"arm64": ARM64_VA48, "arm64-16k": ARM64_VA48, "arm64-64k": ARM64_VA48}
)

V6_6 = replace(
    v6_1.V6_1,
    name="v6.6",
    sublevel=150,
    flags=FLAGS,
    arches=ARCHES,
    # the switch choices of Debian 12's 6.1 (no Debian 6.6 exists), and the switches
    # that came since, off: SLUB_TINY (6.2), RANDOM_KMALLOC_CACHES (6.6)
    switches=slub_switches(
        {"slub_tiny": False, "random_kmalloc_caches": False}, v6_1.V6_1.switches
    ),
    slub=RULES,
    boot_structs=(216, 64),  # computed from the 6.6 source (it matches 6.1's and 6.12's)
    backports=(
        Backport(
            64,
            "has_slab_disabled_check",
            False,
            '"mm/slub: Avoid list corruption when removing a slab from the full list"',
        ),
        Backport(
            145,
            "init_on_alloc_size",
            InitOnAllocSize.ORIG_RED_ZONE_OR_USER_V6_2,
            "d2c8ba33383d (6.6.145): __GFP_ZERO / init_on_alloc clear the kmalloc "
            "request only with store-user",
        ),
    ),
    source="unifreq/linux-6.6.y @ 3c7c31e62162 (6.6.150)",
)
