"""Linux 6.18 (the 6.18.2 tree, gfunkmonk/linux-6.18.2; shared/spec/slub-v6.18.md)."""

from __future__ import annotations

from ..flags import ENUM, FlagDef
from . import arches
from .preset import KernelPreset
from .rules import (
    SLAB_DEBUG_FLAGS,
    BootCacheAlign,
    CalculateOrder,
    DeactivateSlab,
    DetachedFreelist,
    FreePointerOffset,
    FreePointerOutside,
    KmallocDma,
    KmallocNormalMerge,
    KmallocOrder,
    KmallocSizeRoundup,
    KmallocType,
    OrderCpus,
    SetCpuPartial,
    ShuffleRandom,
    SlubRules,
)
from .switches import SLUB_OPTIONS, slub_switches

# include/linux/slab.h (v6.18.2) enum _slab_flag_bits: a flag compiled out takes no
# bit, so later flags move down; mm/slub.c adds __OBJECT_POISON and __CMPXCHG_DOUBLE.
# The enum arrived in v6.9 (cc61eb851c9a "mm, slab: use an enum to define SLAB_
# cache creation flags"); 6.12's is the same text.
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

CORE_FLAGS = (
    "SLAB_HWCACHE_ALIGN",
    "SLAB_CACHE_DMA",
    "SLAB_CACHE_DMA32",
    "SLAB_PANIC",
    "SLAB_TYPESAFE_BY_RCU",
    "SLAB_DEBUG_OBJECTS",
    "SLAB_NOLEAKTRACE",
    "SLAB_RECLAIM_ACCOUNT",
    "SLAB_TEMPORARY",
    "SLAB_ACCOUNT",
    "SLAB_NO_USER_FLAGS",
    "SLAB_KMALLOC",
    "SLAB_NO_MERGE",
)

RULES = SlubRules(
    has_freeptr_offset=True,
    has_sheaves=True,
    has_create_mask=False,
    has_usercopy_gate=True,
    has_sanity_min_size=False,
    # SLAB_FLAGS_PERMITTED of mm/slab.h: SLAB_CORE_FLAGS (which since 6.18 holds the
    # cache flags) and SLAB_DEBUG_FLAGS
    permitted=CORE_FLAGS + SLAB_DEBUG_FLAGS,
    create_mask=(),
    has_create_debug_key=True,
    freeptr_offset=FreePointerOffset.V5_13,
    freeptr_outside=FreePointerOutside.V6_11,
    has_track_stack_handle=True,
    orig_size_bytes=4,
    calculate_order=CalculateOrder.V6_7,
    order_cpus=OrderCpus.PRESENT_V5_11,
    has_order_param_check=True,
    set_cpu_partial=SetCpuPartial.SLABS_V5_16,
    has_kasan_layout=True,
    boot_cache_align=BootCacheAlign.FFS_V6_11,
    kmalloc_types=("normal", "rnd", "rcl", "dma", "cg"),
    kmalloc_order=KmallocOrder.SMALL_FIRST_V6_10,
    kmalloc_dma=KmallocDma.IN_LOOP_V5_19,
    kmalloc_normal_merge=KmallocNormalMerge.NO_MERGE_V6_5,
    kmalloc_type=KmallocType.RANDOM_V6_6,
    kmalloc_size_roundup=KmallocSizeRoundup.V6_6,
    has_kmalloc_buckets=True,
    has_kmalloc_minalign=True,
    has_noleaktrace_no_store_user=True,
    has_slab_param_names=True,
    has_slab_merge_param=True,
    has_sysfs_usersize_gate=True,
    create_function="__kmem_cache_create_args",
    has_slabinfo_approx=True,
    deactivate_slab=DeactivateSlab.SPLICE_V5_12,
    has_debug_single_path=True,
    detached_freelist=DetachedFreelist.SWAP_V6_1,
    shuffle_random=ShuffleRandom.GET_RANDOM_V6_5,
    has_unfrozen_partials=True,
)

# The defaults are the distribution-like configuration of the kernel this project
# runs on (6.18.44).
V6_18 = KernelPreset(
    name="v6.18",
    allocator="SLUB",
    sublevel=2,
    flags=FLAGS,
    arches=arches.BASE,
    switches=slub_switches(
        {
            "slub_debug_config": True,
            "slub_cpu_partial": True,
            "slub_tiny": False,
            "hardened_usercopy": True,
            "memcg": True,
            "stackdepot": True,
            "kasan_generic": False,
            "kfence": False,
            "slab_obj_ext": True,
            "random_kmalloc_caches": False,
            "slab_buckets": True,
            "slab_freelist_hardened": True,
            "slab_freelist_random": True,
            "debug_vm": False,
            "debug_objects": False,
            "failslab": False,
        }
    ),
    options=SLUB_OPTIONS,
    flags_bits=32,  # slab_flags_t is an unsigned int
    slub=RULES,
    # the reference x86_64 6.18.44 configuration (shared/spec b, g.4)
    boot_structs=(224, 72),
    source="gfunkmonk/linux-6.18.2 @ 062668f4d006cf5f04ae3039b73ef7ecb4b62f49",
)
