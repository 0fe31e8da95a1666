"""Linux 5.15 (latest read: 5.15.215, unifreq/linux-5.15.y; Ubuntu 22.04, Android 13).

5.10 with the changes of 5.11 .. 5.15.  Stable 5.15.180 took kmalloc_size_roundup().
"""

from __future__ import annotations

from dataclasses import replace

from . import v5_10
from .preset import Backport
from .rules import DeactivateSlab, KmallocNormalMerge, KmallocSizeRoundup, KmallocType, OrderCpus

RULES = replace(
    v5_10.RULES,
    # 3286222fc609 "mm, slub: better heuristic for number of cpus when calculating
    # slab order" (v5.11)
    order_cpus=OrderCpus.PRESENT_V5_11,
    # "mm, slub: splice cpu and page freelists in deactivate_slab()" (v5.12)
    deactivate_slab=DeactivateSlab.SPLICE_V5_12,
    # ca220593208d "mm/slub: disable user tracing for kmemleak caches by default" (v5.12)
    has_noleaktrace_no_store_user=True,
    # 1f0723a4c0df / afe0c26d1968 (v5.13): kmem_cache_create turns the static key on
    has_create_debug_key=True,
    # 82edd9d52e6d "mm/slab_common: provide "slab_merge" option ..." (v5.13)
    has_slab_merge_param=True,
    # 494c1dfe855e "mm: memcg/slab: create a new set of kmalloc-cg-<n> caches" (v5.14)
    kmalloc_types=("normal", "cg", "rcl", "dma"),
    kmalloc_type=KmallocType.CG_V5_14,
    # 13e680fb6a1e "mm: memcg/slab: disable cache merging for KMALLOC_NORMAL caches"
    # (v5.14)
    kmalloc_normal_merge=KmallocNormalMerge.REFCOUNT_V5_14,
    # the failure report prints __func__ (kmem_cache_create_usercopy)
    create_function="kmem_cache_create_usercopy",
    # 5.15.180 by backport (05a940656e1e "slab: Introduce kmalloc_size_roundup()")
    kmalloc_size_roundup=KmallocSizeRoundup.V6_1,
    # 8669dbab2ae5 "mm/slub: clarify verification reporting" (5.13) named the areas
    # in the FIX lines; 5.14 dropped the "INFO: " prefixes and the dots
    reports=replace(
        v5_10.REPORTS,
        has_info_prefix=False,
        has_fix_names_area=True,
        has_adjusted_dot=False,
        set_freepointer_line=384,  # 5.15.71 and later (379 in 5.15.0 .. 5.15.54)
    ),
)

V5_15 = replace(
    v5_10.V5_10,
    name="v5.15",
    sublevel=215,
    options=v5_10.V5_10.options | {"nr_present_cpus"},
    slub=RULES,
    boot_structs=(216, 64),  # computed from the 5.15 source (it matches 5.10's and 6.1's)
    backports=(
        Backport(
            180,
            "kmalloc_size_roundup",
            KmallocSizeRoundup.NONE,
            '05a940656e1e "slab: Introduce kmalloc_size_roundup()"',
        ),
    ),
    source="unifreq/linux-5.15.y @ 5c88653f6cce (5.15.215); 5.15.179 for the backport",
)
