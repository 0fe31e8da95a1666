"""The rules that change between kernel versions, as data.

A version preset (slabhw/versions/v*.py) is a set of these records.  Two kinds of
field:

* ``has_<feature>``: a feature that arrived in some release (False before it);
* an enum named after the kernel function whose algorithm changed, whose values
  name the release that introduced each algorithm (``CalculateOrder.V6_7``).

Every field cites the release, and the commit where it is known, in which it
changed.  Code reads these fields; no code compares version numbers.  The enums
that the C core switches on are mirrored in csrc/slabhw.h and checked against the
compiled module at import (slabhw._core).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# SLAB_DEBUG_FLAGS (mm/slab.h): the same five flags in every SLUB version
SLAB_DEBUG_FLAGS: tuple[str, ...] = (
    "SLAB_RED_ZONE",
    "SLAB_POISON",
    "SLAB_STORE_USER",
    "SLAB_TRACE",
    "SLAB_CONSISTENCY_CHECKS",
)

# SLAB_NEVER_MERGE (mm/slab_common.c): the union over the versions (a flag a version
# does not define is 0 there): SLAB_KASAN up to 6.8 (5.10: literally, 5.12 .. 6.8
# through kasan_never_merge()), SLAB_NO_MERGE from 6.5 (KASAN sets it itself from
# 6.9), SLAB_OBJ_EXT_IN_OBJ from 7.0; SLAB_CONSISTENCY_CHECKS joins it in 7.0
# (SlubRules.has_never_merge_consistency), though every version defines it
NEVER_MERGE: tuple[str, ...] = (
    "SLAB_RED_ZONE",
    "SLAB_POISON",
    "SLAB_STORE_USER",
    "SLAB_TRACE",
    "SLAB_TYPESAFE_BY_RCU",
    "SLAB_NOLEAKTRACE",
    "SLAB_FAILSLAB",
    "SLAB_NO_MERGE",
    "SLAB_KASAN",
    "SLAB_OBJ_EXT_IN_OBJ",
)

# ---- enums the C core switches on (csrc/slabhw.h, enum slabhw_*) ----------------------


class CalculateOrder(IntEnum):
    """calculate_order() / slab_order() of mm/slub.c."""

    # The min_objects loop: for min_objects down to 2, try waste fractions 16, 8, 4
    # with slab_order() (which re-tests MAX_OBJS_PER_PAGE against slub_min_order on
    # every call); then one object at any waste up to slub_max_order, then up to
    # MAX_ORDER.  The loop is 5e6d444ea1f7 "SLUB: rework slab order determination"
    # (v2.6.22); the max_objects clamp and min_objects-- of the form modelled first
    # appear in v2.6.30.
    V2_6_30 = 0
    # branch slab/for-6.7/orders-cleanup (v6.7): "mm/slub: remove min_objects loop
    # from calculate_order()", "attempt to find layouts up to 1/2 waste", "simplify
    # the last resort slab order calculation": one MAX_OBJS test, fractions 16..2.
    V6_7 = 1


class OrderCpus(IntEnum):
    """The CPU count calculate_order() derives min_objects from."""

    # 9b2cd506e5f2 "slub: Calculate min_objects based on number of processors"
    # (v2.6.26): 4 * (fls(nr_cpu_ids) + 1)
    NR_CPU_IDS_V2_6_26 = 0
    # 3286222fc609 "mm, slub: better heuristic for number of cpus when calculating
    # slab order" (v5.11): num_present_cpus(), nr_cpu_ids when that is 1
    PRESENT_V5_11 = 1


class FreePointerOffset(IntEnum):
    """Where calculate_sizes() puts a free pointer that stays inside the object."""

    # 3202fa62fb43 "slub: relocate freelist pointer to middle of object" (v5.7) with
    # "slub: avoid redzone when choosing freepointer location" (v5.7): the middle of
    # ALIGN(object_size, PTR), rounded up; 0 when that is one word.
    V5_7 = 0
    # e41a49fadbc8 "mm/slub: actually fix freelist pointer vs redzoning" (v5.13;
    # 5.10.46 by backport): ALIGN_DOWN(object_size / 2, PTR).
    V5_13 = 1


class FreePointerOutside(IntEnum):
    """When calculate_sizes() moves the free pointer behind the object."""

    V2_6 = 0  # SLAB_TYPESAFE_BY_RCU, SLAB_POISON or a constructor
    # 74c1d3e08153 "mm/slub: fix redzoning for small allocations" (v5.13; 5.10.46):
    # also SLAB_RED_ZONE with an object smaller than a pointer
    V5_13 = 1
    # 946fa0dbf2d8 "mm/slub: extend redzone check to extra allocated kmalloc space
    # than requested" (v6.2): also a kmalloc cache that keeps orig_size
    V6_2 = 2
    # "slab: don't put freepointer outside of object if only orig_size" (v6.11):
    # orig_size moves it only together with SLAB_RED_ZONE
    V6_11 = 3
    # v7.0 (mm/slub.c calculate_sizes, create_cache): a cache with a constructor may
    # give kmem_cache_args.freeptr_offset, which keeps the pointer inside the object
    # (ext4_inode_cache); without one a constructor still moves it behind
    V7_0 = 4


class SetCpuPartial(IntEnum):
    """set_cpu_partial() of mm/slub.c."""

    # "slub: per cpu cache for partial pages" (v3.1): 30/13/6/2 objects by size
    OBJECTS_V3_1 = 0
    # b47291ef02b0 "mm, slub: change percpu partial accounting from objects to
    # pages", 23e98ad1ce89 "mm/slub: increase default cpu partial list sizes" (v5.16):
    # 120/52/24/6 objects, kept as cpu_partial_slabs = DIV_ROUND_UP(2 * n, objects)
    SLABS_V5_16 = 1


C_ENUMS: tuple[type[IntEnum], ...] = (
    CalculateOrder,
    OrderCpus,
    FreePointerOffset,
    FreePointerOutside,
    SetCpuPartial,
)


# ---- enums only Python reads -------------------------------------------------------------


class BootCacheAlign(IntEnum):
    """The starting alignment create_boot_cache() passes to calculate_alignment()."""

    V2_6 = 0  # ARCH_KMALLOC_MINALIGN
    # 59bb47985c1d "mm, sl[aou]b: guarantee natural alignment for kmalloc(power-of-
    # two)" (v5.4): any boot cache of a power-of-two size is aligned to its size
    POW2_V5_4 = 1
    # ad59baa31695 "slab, rust: extend kmalloc() alignment guarantees to remove Rust
    # padding" (v6.11): SLAB_KMALLOC caches only, 1 << (ffs(size) - 1)
    FFS_V6_11 = 2


class KmallocOrder(IntEnum):
    """The order of sizes within one kmalloc type in create_kmalloc_caches()."""

    # 8, 16, 32, 64, 96, 128, 192, 256, ...: 96 after 64 and 192 after 128
    INTERLEAVED_V2_6 = 0
    # 96 and 192 first, then 8, 16, 32, ...: 306c4ac9896b "mm/slub: create kmalloc
    # 96 and 192 caches regardless cache size order" (v6.10)
    SMALL_FIRST_V6_10 = 1


class KmallocDma(IntEnum):
    """Where create_kmalloc_caches() makes the dma-kmalloc caches."""

    # after slab_state = UP, in a loop of its own over the existing normal caches in
    # index order: 96, 192, 8, 16, ...
    AFTER_UP_V2_6 = 0
    # in the main loop as one more type: 33647783deb6 "mm/slab_common: move
    # dma-kmalloc caches creation into new_kmalloc_cache()" (v5.19)
    IN_LOOP_V5_19 = 1


class KmallocNormalMerge(IntEnum):
    """How the KMALLOC_NORMAL caches are kept from merging under memcg."""

    NONE_V2_6 = 0  # they merge like any cache without usersize
    # 13e680fb6a1e "mm: memcg/slab: disable cache merging for KMALLOC_NORMAL caches"
    # (v5.14): refcount -1 after creation, with CONFIG_MEMCG_KMEM
    REFCOUNT_V5_14 = 1
    # d5bf48574699 "mm/slab_common: use SLAB_NO_MERGE instead of negative refcount"
    # (v6.5): SLAB_NO_MERGE with memcg, and for every copy with RANDOM_KMALLOC_CACHES
    NO_MERGE_V6_5 = 2


class KmallocType(IntEnum):
    """kmalloc_type(): which GFP bits choose which kmalloc type."""

    # GFP_DMA -> dma, __GFP_RECLAIMABLE -> rcl, else normal (__GFP_ACCOUNT too):
    # 1291523f2c1d "mm, slab/slub: introduce kmalloc-reclaimable caches" (v4.20)
    V4_20 = 0
    # 494c1dfe855e "mm: memcg/slab: create a new set of kmalloc-cg-<n> caches"
    # (v5.14): __GFP_ACCOUNT -> cg (with memcg)
    CG_V5_14 = 1
    # 3c6152940584 "Randomized slab caches for kmalloc()" (v6.6): a plain request
    # picks a copy from hash_64(caller ^ random_kmalloc_seed)
    RANDOM_V6_6 = 2


class KmallocSizeRoundup(IntEnum):
    """kmalloc_size_roundup() of mm/slab_common.c."""

    NONE = 0  # the function does not exist
    # 05a940656e1e "slab: Introduce kmalloc_size_roundup()" (v6.1): sizes above the
    # kmalloc caches round to whole page orders with no upper bound
    V6_1 = 1
    # the form of 6.6.0 (6.3 still has the 6.1 form): sizes above KMALLOC_MAX_SIZE and
    # 0 are returned unchanged
    V6_6 = 2


class DeactivateSlab(IntEnum):
    """The order deactivate_slab() leaves a CPU freelist in."""

    # each object of the CPU freelist but the last is pushed onto the slab freelist
    # head, then the last: the order is reversed
    PUSH_V2_6 = 0
    # "mm, slub: splice cpu and page freelists in deactivate_slab()" (v5.12): order kept
    SPLICE_V5_12 = 1


class DetachedFreelist(IntEnum):
    """build_detached_freelist() of kmem_cache_free_bulk()."""

    # the objects taken are set to NULL; the next round starts at the first skipped
    NULL_MARK_V4_6 = 0
    # the objects taken are swapped to the end; the next round takes the new end
    # (present in 6.1.0, absent in 5.19)
    SWAP_V6_1 = 1


class InitOnFree(IntEnum):
    """What init_on_free clears: slab_free_hook() on free, maybe_wipe_obj_freeptr()
    on allocation."""

    # object_size bytes, then everything from s->inuse to the left red zone of the
    # next slot; allocation clears the free pointer word wherever it is
    OBJECT_V5_3 = 0
    # the kmalloc request (orig_size) and everything from get_info_end(), keeping
    # orig_size; allocation clears the free pointer word only inside the object
    # (present in 6.11.11, absent in 6.8: the init_on_free fixes of the 6.10 slab pull)
    ORIG_SIZE_V6_10 = 1


class InitOnAllocSize(IntEnum):
    """How much of a new object slab_post_alloc_hook() clears for __GFP_ZERO or
    init_on_alloc."""

    OBJECT_V5_3 = 0  # object_size
    # only the kmalloc request of a kmalloc cache with red zones or store-user: the
    # kmalloc redzone, 946fa0dbf2d8 "mm/slub: extend redzone check to extra allocated
    # kmalloc space than requested" (v6.2)
    ORIG_RED_ZONE_OR_USER_V6_2 = 1
    # only with store-user (6.6.145, d2c8ba33383d by backport)
    ORIG_STORE_USER_V6_6_145 = 2


class ShuffleRandom(IntEnum):
    """The random source of the freelist shuffle (init_cache_random_seq)."""

    # a prandom (LFSR113) state seeded by get_random_long(); start get_random_int() % n
    PRANDOM_V4_7 = 0
    # "mm/slab: Replace invocation of weak PRNG" (v6.5): get_random_u32_below()
    GET_RANDOM_V6_5 = 1


class CheckObject(IntEnum):
    """How check_object() reports bytes that lost their pattern."""

    # the first failing area: "BUG c (t): <what> overwritten", the range line, the
    # whole trailer, the FIX line; then check_object returns
    FIRST_V2_6 = 0
    # every area is checked, each printing its header, range and FIX; one more
    # trailer closes the report (6.12.0 .. 6.12.45)
    ALL_V6_12 = 1
    # "mm: slub: Print the broken data before restoring them" (6.15; 6.12.46 by
    # backport): "[<what> overwritten] ..." for each area, "Object corrupt" with the
    # trailer for the first only, WARN_ON instead of dump_stack
    BRACKETED_V6_15 = 2


@dataclass(frozen=True)
class ReportRules:
    """The words of the slab_debug reports (mm/slub.c), which stable releases
    changed as a whole: a Backport swaps this record."""

    check_object: CheckObject
    # "INFO: " before the track, slab, object and range lines (before 5.14)
    has_info_prefix: bool
    # the FIX line of a restore names the area ("FIX c: Restoring Right Redzone ...");
    # 5.10's is "Restoring 0x..-0x..=0x..\n" (8669dbab2ae5, 5.13, named the areas)
    has_fix_names_area: bool
    # "Number of objects adjusted." / "Object count adjusted." end in a dot (before 5.14)
    has_adjusted_dot: bool
    # TAINT_FLAGS_COUNT: 18 (5.x), 19 with TAINT_TEST (5.17), 20 with TAINT_FWCTL (6.15)
    taint_width: int
    # the page flags of the slab line name PG_slab (a page type since 6.10)
    has_pg_slab: bool
    # on_freelist() reports "Freelist cycle detected" (6.18)
    has_cycle_check: bool
    # the shutdown report: "Objects remaining in <c> on __kmem_cache_shutdown()"
    # (slab_err) or, with the bracketed reports, "Objects remaining on ..."
    shutdown_names_cache: bool
    # "Bulk free expected %d objects but found %d" and "Slab has %d allocated objects
    # but %d are to be freed" (6.1); before, "Bulk freelist count(%d) invalid(%d)"
    has_bulk_free_texts: bool
    # kmem_cache_destroy() of a cache with objects: WARN "... when called from %pS"
    # (6.1); before, pr_err without the caller
    has_destroy_warn: bool
    # the line of BUG_ON(object == fp) in set_freepointer() (mm/slub.c)
    set_freepointer_line: int


@dataclass(frozen=True)
class SlubRules:
    """The SLUB of one kernel version: creation arithmetic, boot, kmalloc caches,
    merging, what sysfs shows, and the run time."""

    # -- kmem_cache_create (mm/slab_common.c) ------------------------------------------
    # struct kmem_cache_args, __kmem_cache_create_args (v6.12, "slab: add struct
    # kmem_cache_args"): the custom free pointer of SLAB_TYPESAFE_BY_RCU caches
    has_freeptr_offset: bool
    # kmem_cache_args.sheaf_capacity, per-CPU sheaves (v6.18)
    has_sheaves: bool
    # the flags filter: flags outside SLAB_FLAGS_PERMITTED fail with -EINVAL, the
    # rest are masked with CACHE_CREATE_MASK (v2.6 .. 6.17); v6.18 "slab: remove
    # CACHE_CREATE_MASK" keeps them, clearing only the debug flags without SLUB_DEBUG
    has_create_mask: bool
    # !HARDENED_USERCOPY drops usersize at creation, in boot caches and from
    # slab_unmergeable: "mm, slab: ignore hardened usercopy parameters when
    # disabled" (v6.2)
    has_usercopy_gate: bool
    # kmem_cache_sanity_check() rejects objects smaller than a pointer; dropped by
    # 74c1d3e08153 "mm/slub: fix redzoning for small allocations" (v5.13; exactly
    # 5.10.46 by backport)
    has_sanity_min_size: bool
    # kmem_cache_create turns on the slub_debug_enabled static key for caches with
    # debug flags: 1f0723a4c0df "mm, slub: enable slub_debug static key when creating
    # cache with explicit debug flags" (v5.13; never backported to 5.10.y)
    has_create_debug_key: bool
    # SLAB_FLAGS_PERMITTED (mm/slab.h): flags outside it fail with -EINVAL
    permitted: tuple[str, ...]
    # CACHE_CREATE_MASK (SLAB_CORE_FLAGS | SLAB_DEBUG_FLAGS | SLAB_CACHE_FLAGS) without
    # the debug flags, which join it with SLUB_DEBUG; used where has_create_mask
    create_mask: tuple[str, ...]
    # -- calculate_sizes / calculate_order / tunables (mm/slub.c) ------------------------
    freeptr_offset: FreePointerOffset
    freeptr_outside: FreePointerOutside
    # struct track holds a stack depot handle: 5cf909c553e9 "mm/slub: use stackdepot
    # to save stack trace in objects" (v5.19, when SLUB_DEBUG began to select
    # STACKDEPOT); before it, TRACK_ADDRS_COUNT (16) return addresses with STACKTRACE
    has_track_stack_handle: bool
    # bytes of the kmalloc original-size word behind the tracks (0: none):
    # 6edf2576a6cc "mm/slub: enable debugging memory wasting of kmalloc" (v6.1,
    # unsigned int); b85f369b81ae "mm/slab: use unsigned long for orig_size to
    # ensure proper metadata align" (v7.0; 6.12.75 by backport, not in 6.6.150 or
    # 6.1.166)
    orig_size_bytes: int
    calculate_order: CalculateOrder
    order_cpus: OrderCpus
    # slub_min_order= raises slub_max_order to match and slub_max_order= lowers
    # slub_min_order ("mm/slub: add sanity check for slub_min/max_order cmdline
    # setup", v6.7)
    has_order_param_check: bool
    set_cpu_partial: SetCpuPartial
    # KASAN generic layouts as slabhw knows them (kasan_cache_create of 6.18)
    has_kasan_layout: bool
    # -- boot, kmalloc caches, merging (mm/slab_common.c, mm/slub.c) ---------------------
    boot_cache_align: BootCacheAlign
    # the kmalloc types in creation order (enum kmalloc_cache_type); a type whose
    # switch is off is skipped: "cg" needs memcg, "rcl" !slub_tiny, "dma" ZONE_DMA,
    # "rnd" RANDOM_KMALLOC_CACHES (15 copies)
    kmalloc_types: tuple[str, ...]
    kmalloc_order: KmallocOrder
    kmalloc_dma: KmallocDma
    kmalloc_normal_merge: KmallocNormalMerge
    kmalloc_type: KmallocType
    kmalloc_size_roundup: KmallocSizeRoundup
    # the kmalloc_buckets cache and kmem_buckets_create (v6.11, SLAB_BUCKETS)
    has_kmalloc_buckets: bool
    # __kmalloc_minalign(): kmalloc caches sized to the DMA minimum when a device
    # may need it (v6.5, "mm/slab: decouple ARCH_KMALLOC_MINALIGN from
    # ARCH_DMA_MINALIGN" and the arm64 series)
    has_kmalloc_minalign: bool
    # -- boot parameters --------------------------------------------------------------
    # kmem_cache_flags() drops STORE_USER from the global slub_debug flags for
    # SLAB_NOLEAKTRACE caches: "mm/slub: disable user tracing for kmemleak caches by
    # default" (v5.12)
    has_noleaktrace_no_store_user: bool
    # the slab_* spellings of the boot options (slab_debug=, slab_max_order=, ...):
    # 671776b32b26 "mm/slub: unify all sl[au]b parameters with "slab_$param"" (v6.9)
    has_slab_param_names: bool
    # slab_merge / slub_merge: 82edd9d52e6d "mm/slab_common: provide "slab_merge"
    # option for !IS_ENABLED(CONFIG_SLAB_MERGE_DEFAULT) builds" (v5.13)
    has_slab_merge_param: bool
    # -- what user space sees -----------------------------------------------------------
    # the sysfs usersize attribute exists only with HARDENED_USERCOPY (with the
    # usercopy gate, v6.2)
    has_sysfs_usersize_gate: bool
    # the name kmem_cache_create's failure report prints (__func__ of the entry point)
    create_function: str
    # get_slabinfo samples nodes with many partial slabs: "mm/slub: avoid scanning
    # all partial slabs in get_slabinfo()" (v6.10)
    has_slabinfo_approx: bool
    # -- the run time ---------------------------------------------------------------------
    deactivate_slab: DeactivateSlab
    # debug caches allocate one object at a time under the node lock, never through
    # a CPU slab: "mm/slub: restrict sysfs validation to debug caches and make it
    # safe" (v6.1)
    has_debug_single_path: bool
    detached_freelist: DetachedFreelist
    init_on_free: InitOnFree
    init_on_alloc_size: InitOnAllocSize
    shuffle_random: ShuffleRandom
    # slabs on the per-CPU partial list are not frozen: "slub: Delay freezing of
    # partial slabs" (v6.8)
    has_unfrozen_partials: bool
    # the words of the debug reports
    reports: ReportRules
    # init_object() and check_object() red-zone a kmalloc object past the requested
    # size: 946fa0dbf2d8 "mm/slub: extend redzone check to extra allocated kmalloc
    # space than requested" (v6.2)
    has_kmalloc_redzone: bool
    # kmem_cache_destroy() of a cache with objects left takes it off slab_caches anyway
    # (6.12; before, it stays listed)
    has_destroy_unlists: bool
    # a debug slab that fails the allocation checks is marked frozen and check_slab
    # reports "Slab disabled since SLUB metadata consistency check failed": "mm/slub:
    # Avoid list corruption when removing a slab from the full list" (v6.12; 6.6.64
    # by backport, not in 6.1)
    has_slab_disabled_check: bool
    # -- 7.x: sheaves for every cache ("slab: replace cpu (partial) slabs with
    # sheaves", slab-for-7.0) ------------------------------------------------------------
    # "slab: add sheaves to most caches": calculate_sheaf_capacity() sizes every
    # cache's sheaves (boot, debug, NO_OBJ_EXT and NOLEAKTRACE caches get none), and
    # "slab: handle kmalloc sheaves bootstrap" gives the KMALLOC_NORMAL caches theirs
    # after all kmalloc caches exist
    has_auto_sheaf_capacity: bool = False
    # "mm/slab: make caches with sheaves mergeable" (v7.0): a cache with sheaves is a
    # merge target; an explicit kmem_cache_args.sheaf_capacity adds SLAB_NO_MERGE
    has_mergeable_sheaves: bool = False
    # "slab: add SLAB_CONSISTENCY_CHECKS to SLAB_NEVER_MERGE" (v7.0): slab_debug=F
    # alone stops merging (SLAB_NEVER_MERGE holds all of SLAB_DEBUG_FLAGS)
    has_never_merge_consistency: bool = False
    # the boot options slab_{min,max}_order and slab_min_objects are core_param
    # (v7.0): kstrtouint, so a value with anything after its digits, or a negative
    # one, is refused and the default stays; slab_debug must be the exact word
    has_core_param_options: bool = False
