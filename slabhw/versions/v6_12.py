"""Linux 6.12 (latest read: 6.12.94, RBCSFQ/linux-6.12.y; Debian 13 and Debian 12's
backport ship 6.12.117; Android 16; the kernelCTF LTS target).

6.6 with the changes of 6.7 .. 6.12.  Stable 6.12.75 took the 8-byte orig_size word.
"""

from __future__ import annotations

from dataclasses import replace

from ..flags import ENUM, FlagDef
from . import arches, v6_6
from .preset import Backport
from .rules import (
    BootCacheAlign,
    CalculateOrder,
    CheckObject,
    FreePointerOutside,
    InitOnAllocSize,
    InitOnFree,
    KmallocOrder,
)
from .switches import slub_switches

# include/linux/slab.h enum _slab_flag_bits (v6.9, cc61eb851c9a "mm, slab: use an
# enum to define SLAB_ cache creation flags"; the same text in 6.12 and 6.18): a
# flag compiled out takes no bit, so later flags move down; mm/slub.c adds
# __OBJECT_POISON and __CMPXCHG_DOUBLE.  SLAB_MEM_SPREAD is gone (cdeeaaba1748, v6.9).
FLAGS: tuple[FlagDef, ...] = (
    FlagDef("SLAB_CONSISTENCY_CHECKS", ENUM),
    FlagDef("SLAB_RED_ZONE", ENUM),
    FlagDef("SLAB_POISON", ENUM),
    FlagDef("SLAB_KMALLOC", ENUM),
    FlagDef("SLAB_HWCACHE_ALIGN", ENUM),
    FlagDef("SLAB_CACHE_DMA", ENUM),
    FlagDef("SLAB_CACHE_DMA32", ENUM),
    FlagDef("SLAB_STORE_USER", ENUM),
    FlagDef("SLAB_PANIC", ENUM),
    FlagDef("SLAB_TYPESAFE_BY_RCU", ENUM),
    FlagDef("SLAB_TRACE", ENUM),
    FlagDef("SLAB_DEBUG_OBJECTS", ENUM, requires="debug_objects"),
    FlagDef("SLAB_NOLEAKTRACE", ENUM),
    FlagDef("SLAB_NO_MERGE", ENUM),
    FlagDef("SLAB_FAILSLAB", ENUM, requires="failslab"),
    FlagDef("SLAB_ACCOUNT", ENUM, requires="memcg"),
    FlagDef("SLAB_KASAN", ENUM, requires="kasan_generic"),
    FlagDef("SLAB_NO_USER_FLAGS", ENUM),
    FlagDef("SLAB_SKIP_KFENCE", ENUM, requires="kfence"),
    FlagDef("SLAB_RECLAIM_ACCOUNT", ENUM, requires_not="slub_tiny"),
    FlagDef("SLAB_TEMPORARY", ENUM, alias_of="SLAB_RECLAIM_ACCOUNT", requires_not="slub_tiny"),
    FlagDef("__OBJECT_POISON", ENUM, internal=True),
    FlagDef("__CMPXCHG_DOUBLE", ENUM, internal=True),
    FlagDef("SLAB_NO_OBJ_EXT", ENUM, requires="slab_obj_ext"),
)

CACHE_FLAGS = v6_6.CACHE_FLAGS

RULES = replace(
    v6_6.RULES,
    # branch slab/for-6.7/orders-cleanup (v6.7): the new calculate_order(), and
    # "mm/slub: add sanity check for slub_min/max_order cmdline setup"
    calculate_order=CalculateOrder.V6_7,
    has_order_param_check=True,
    # 671776b32b26 "mm/slub: unify all sl[au]b parameters with "slab_$param"" (v6.9)
    has_slab_param_names=True,
    # SLAB_MEM_SPREAD deprecated (cdeeaaba1748, v6.9): no longer permitted
    permitted=tuple(n for n in v6_6.RULES.permitted if n != "SLAB_MEM_SPREAD"),
    # 306c4ac9896b "mm/slub: create kmalloc 96 and 192 caches regardless cache size
    # order" (v6.10)
    kmalloc_order=KmallocOrder.SMALL_FIRST_V6_10,
    # init_on_free keeps orig_size and the outside free pointer (6.10), and the
    # stable 6.6.145 change of init_on_alloc never reached 6.12 (6.12.94 read)
    init_on_free=InitOnFree.ORIG_SIZE_V6_10,
    init_on_alloc_size=InitOnAllocSize.ORIG_RED_ZONE_OR_USER_V6_2,
    # 046f4c69090c "slub: introduce count_partial_free_approx()" (v6.10)
    has_slabinfo_approx=True,
    # ad59baa31695 "slab, rust: extend kmalloc() alignment guarantees to remove Rust
    # padding" (v6.11)
    boot_cache_align=BootCacheAlign.FFS_V6_11,
    # the kmem_buckets series (v6.11)
    has_kmalloc_buckets=True,
    # adef2aeaa2b9 "slab: don't put freepointer outside of object if only
    # orig_size" (v6.11)
    freeptr_outside=FreePointerOutside.V6_11,
    # "slab: add struct kmem_cache_args" (v6.12): freeptr_offset, and the failure
    # report names __kmem_cache_create_args
    has_freeptr_offset=True,
    create_function="__kmem_cache_create_args",
    # "slub: Delay freezing of partial slabs" (v6.8)
    has_unfrozen_partials=True,
    # b85f369b81ae "mm/slab: use unsigned long for orig_size to ensure proper
    # metadata align" (v7.0; 6.12.75 by backport)
    orig_size_bytes=8,
    # kmem_cache_destroy unlists a cache with objects left (and leaks it)
    has_destroy_unlists=True,
    # "mm: slub: Print the broken data before restoring them" and "mm: slub: call
    # WARN() when detecting a slab corruption" (6.15; 6.12.46 by backport); PG_slab
    # is a page type since 6.10
    reports=replace(
        v6_6.RULES.reports,
        check_object=CheckObject.BRACKETED_V6_15,
        has_pg_slab=False,
        shutdown_names_cache=False,
        set_freepointer_line=547,
    ),
)

# 6.12.0 .. 6.12.45: every area checked, one closing trailer
REPORTS_V6_12_45 = replace(
    RULES.reports, check_object=CheckObject.ALL_V6_12, shutdown_names_cache=True
)

V6_12 = replace(
    v6_6.V6_6,
    name="v6.12",
    sublevel=117,
    flags=FLAGS,
    arches=arches.BASE,  # Debian's arm64 build has VA_BITS 52, as the base
    # Debian's 6.12.117 configuration (shared/data): KFENCE on; SLAB_OBJ_EXT (6.10)
    # and SLAB_BUCKETS (6.11) on
    switches=slub_switches(
        {"kfence": True, "slab_obj_ext": True, "slab_buckets": True}, v6_6.V6_6.switches
    ),
    kconfig={},  # CONFIG_MEMCG_KMEM merged into CONFIG_MEMCG (v6.10)
    slub=RULES,
    boot_structs=(216, 64),  # sysfs of Debian's 6.12.117 (x86_64, arm64) and its BTF
    backports=(
        Backport(
            46,
            "reports",
            REPORTS_V6_12_45,
            '"mm: slub: Print the broken data before restoring them" (6.15)',
        ),
        Backport(
            75,
            "orig_size_bytes",
            4,
            'b85f369b81ae "mm/slab: use unsigned long for orig_size to ensure proper '
            'metadata align"',
        ),
    ),
    source="RBCSFQ/linux-6.12.y @ f98186d5cccb (6.12.94); 6.12.74/6.12.75 for the "
    "backport; sysfs of Debian's 6.12.117",
)
