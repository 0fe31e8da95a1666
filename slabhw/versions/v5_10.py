"""Linux 5.10 (latest read: 5.10.265, unifreq/linux-5.10.y; Debian 11).

The oldest line modelled: every later SLUB preset is this one with the changes its
release made (slabhw/versions/v5_15.py ...).  Stable 5.10.46 took three v5.13 fixes
(the ``backports`` below); ``--kernel v5.10.45`` and earlier undo them.
"""

from __future__ import annotations

from dataclasses import replace

from ..flags import FlagDef
from . import arches
from .preset import Backport, KernelPreset
from .rules import (
    SLAB_DEBUG_FLAGS,
    BootCacheAlign,
    CalculateOrder,
    CheckObject,
    DeactivateSlab,
    DetachedFreelist,
    FreePointerOffset,
    FreePointerOutside,
    InitOnAllocSize,
    InitOnFree,
    KmallocDma,
    KmallocNormalMerge,
    KmallocOrder,
    KmallocSizeRoundup,
    KmallocType,
    OrderCpus,
    ReportRules,
    SetCpuPartial,
    ShuffleRandom,
    SlubRules,
)
from .switches import SLUB_OPTIONS, slub_switches

# include/linux/slab.h (5.10.265): fixed hex values; mm/slub.c adds the two internal
# flags.  SLAB_DEACTIVATED (0x10000000) is defined but never set by SLUB.
FLAGS: tuple[FlagDef, ...] = (
    FlagDef("SLAB_CONSISTENCY_CHECKS", 0x00000100),
    FlagDef("SLAB_RED_ZONE", 0x00000400),
    FlagDef("SLAB_POISON", 0x00000800),
    FlagDef("SLAB_HWCACHE_ALIGN", 0x00002000),
    FlagDef("SLAB_CACHE_DMA", 0x00004000),
    FlagDef("SLAB_CACHE_DMA32", 0x00008000),
    FlagDef("SLAB_STORE_USER", 0x00010000),
    FlagDef("SLAB_RECLAIM_ACCOUNT", 0x00020000),
    FlagDef("SLAB_TEMPORARY", 0x00020000, alias_of="SLAB_RECLAIM_ACCOUNT"),
    FlagDef("SLAB_PANIC", 0x00040000),
    FlagDef("SLAB_TYPESAFE_BY_RCU", 0x00080000),
    FlagDef("SLAB_MEM_SPREAD", 0x00100000),
    FlagDef("SLAB_TRACE", 0x00200000),
    FlagDef("SLAB_DEBUG_OBJECTS", 0x00400000, requires="debug_objects"),
    FlagDef("SLAB_NOLEAKTRACE", 0x00800000),
    FlagDef("SLAB_FAILSLAB", 0x02000000, requires="failslab"),
    FlagDef("SLAB_ACCOUNT", 0x04000000, requires="memcg"),
    FlagDef("SLAB_KASAN", 0x08000000, requires="kasan_generic"),
    FlagDef("__CMPXCHG_DOUBLE", 0x40000000, internal=True),
    FlagDef("__OBJECT_POISON", 0x80000000, internal=True),
)

# SLAB_CORE_FLAGS and SLAB_CACHE_FLAGS of mm/slab.h (SLUB)
CORE_FLAGS = (
    "SLAB_HWCACHE_ALIGN",
    "SLAB_CACHE_DMA",
    "SLAB_CACHE_DMA32",
    "SLAB_PANIC",
    "SLAB_TYPESAFE_BY_RCU",
    "SLAB_DEBUG_OBJECTS",
)
CACHE_FLAGS = ("SLAB_NOLEAKTRACE", "SLAB_RECLAIM_ACCOUNT", "SLAB_TEMPORARY", "SLAB_ACCOUNT")

REPORTS = ReportRules(
    check_object=CheckObject.FIRST_V2_6,
    has_info_prefix=True,
    has_fix_names_area=False,
    has_adjusted_dot=True,
    taint_width=18,
    has_pg_slab=True,
    has_cycle_check=False,
    shutdown_names_cache=True,
    has_bulk_free_texts=False,
    has_destroy_warn=False,
    set_freepointer_line=305,  # 304 before 5.10.46
)

RULES = SlubRules(
    has_freeptr_offset=False,
    has_sheaves=False,
    has_create_mask=True,
    has_usercopy_gate=False,
    has_sanity_min_size=False,  # 5.10.46
    has_create_debug_key=False,
    # SLAB_FLAGS_PERMITTED: the core and cache flags, the debug flags, MEM_SPREAD
    permitted=CORE_FLAGS + SLAB_DEBUG_FLAGS + ("SLAB_MEM_SPREAD",) + CACHE_FLAGS,
    create_mask=CORE_FLAGS + CACHE_FLAGS,
    freeptr_offset=FreePointerOffset.V5_13,  # 5.10.46
    freeptr_outside=FreePointerOutside.V5_13,  # 5.10.46
    has_track_stack_handle=False,
    orig_size_bytes=0,
    calculate_order=CalculateOrder.V2_6_30,
    order_cpus=OrderCpus.NR_CPU_IDS_V2_6_26,
    has_order_param_check=False,
    set_cpu_partial=SetCpuPartial.OBJECTS_V3_1,
    has_kasan_layout=False,
    boot_cache_align=BootCacheAlign.POW2_V5_4,
    kmalloc_types=("normal", "rcl", "dma"),
    kmalloc_order=KmallocOrder.INTERLEAVED_V2_6,
    kmalloc_dma=KmallocDma.AFTER_UP_V2_6,
    kmalloc_normal_merge=KmallocNormalMerge.NONE_V2_6,
    kmalloc_type=KmallocType.V4_20,
    kmalloc_size_roundup=KmallocSizeRoundup.NONE,
    has_kmalloc_buckets=False,
    has_kmalloc_minalign=False,
    has_noleaktrace_no_store_user=False,
    has_slab_param_names=False,
    has_slab_merge_param=False,
    has_sysfs_usersize_gate=False,
    create_function="kmem_cache_create",
    has_slabinfo_approx=False,
    deactivate_slab=DeactivateSlab.PUSH_V2_6,
    has_debug_single_path=False,
    detached_freelist=DetachedFreelist.NULL_MARK_V4_6,
    init_on_free=InitOnFree.OBJECT_V5_3,
    init_on_alloc_size=InitOnAllocSize.OBJECT_V5_3,
    shuffle_random=ShuffleRandom.PRANDOM_V4_7,
    has_unfrozen_partials=False,
    has_slab_disabled_check=False,
    reports=REPORTS,
    has_kmalloc_redzone=False,
    has_destroy_unlists=False,
)

# arm64 before 6.5: ARCH_KMALLOC_MINALIGN = ARCH_DMA_MINALIGN (128), so kmalloc
# starts at kmalloc-128; Debian's 4K and 16K builds have VA_BITS 48.
ARM64_OLD = dict(arch_kmalloc_minalign=None, page_offset=0xFFFF000000000000)
ARCHES = arches.derive(
    arches.BASE,
    {"arm64": ARM64_OLD, "arm64-16k": ARM64_OLD, "arm64-64k": ARM64_OLD},
)

V5_10 = KernelPreset(
    name="v5.10",
    allocator="SLUB",
    sublevel=265,
    flags=FLAGS,
    arches=ARCHES,
    # Debian 11's configuration
    switches=slub_switches(
        {
            "slub_debug_config": True,
            "slub_cpu_partial": True,
            "hardened_usercopy": True,
            "memcg": True,
            "stacktrace": True,
            "slab_freelist_hardened": True,
            "slab_freelist_random": True,
            "debug_vm": False,
            "debug_objects": False,
            "failslab": False,
        }
    ),
    # num_present_cpus() plays no part before 5.11 (OrderCpus)
    options=SLUB_OPTIONS - {"nr_present_cpus"},
    flags_bits=32,
    kconfig={"memcg": "CONFIG_MEMCG_KMEM"},
    slub=RULES,
    boot_structs=(216, 64),  # BTF of Debian's 5.10.262 (amd64) and 5.10.223 (arm64)
    backports=(
        Backport(
            46,
            "freeptr_offset",
            FreePointerOffset.V5_7,
            'e41a49fadbc8 "mm/slub: actually fix freelist pointer vs redzoning"',
        ),
        Backport(
            46,
            "freeptr_outside",
            FreePointerOutside.V2_6,
            '74c1d3e08153 "mm/slub: fix redzoning for small allocations"',
        ),
        Backport(
            46,
            "has_sanity_min_size",
            True,
            '74c1d3e08153 "mm/slub: fix redzoning for small allocations"',
        ),
        Backport(
            46,
            "reports",
            replace(REPORTS, set_freepointer_line=304),
            "the stable update moved set_freepointer()'s BUG_ON one line",
        ),
    ),
    source="unifreq/linux-5.10.y @ dd73f55c9408 (5.10.265); 5.10.35 .. 5.10.45 for the backports",
)
