"""Linux 6.1 (latest read: 6.1.166, unifreq/linux-6.1.y; Debian 12 ships 6.1.192,
Android 14).

5.15 with the changes of 5.16 .. 6.1.
"""

from __future__ import annotations

from dataclasses import replace

from ..flags import FlagDef
from . import v5_10, v5_15
from .rules import DetachedFreelist, KmallocDma, SetCpuPartial
from .switches import slub_switches

# include/linux/slab.h (6.1.166): 5.15's values plus SLAB_KMALLOC (v6.1),
# SLAB_NO_USER_FLAGS (v5.19) and SLAB_SKIP_KFENCE (v6.1, with KFENCE); SLAB_KASAN
# needs CONFIG_KASAN_GENERIC from 6.1.
FLAGS: tuple[FlagDef, ...] = (
    *v5_10.FLAGS[:3],
    FlagDef("SLAB_KMALLOC", 0x00001000),
    *v5_10.FLAGS[3:-2],
    FlagDef("SLAB_NO_USER_FLAGS", 0x10000000),
    FlagDef("SLAB_SKIP_KFENCE", 0x20000000, requires="kfence"),
    *v5_10.FLAGS[-2:],
)

CACHE_FLAGS = v5_10.CACHE_FLAGS + ("SLAB_NO_USER_FLAGS",)

RULES = replace(
    v5_15.RULES,
    # b47291ef02b0 "mm, slub: change percpu partial accounting from objects to pages",
    # 23e98ad1ce89 "mm/slub: increase default cpu partial list sizes" (v5.16)
    set_cpu_partial=SetCpuPartial.SLABS_V5_16,
    # 5cf909c553e9 "mm/slub: use stackdepot to save stack trace in objects" (v5.19)
    has_track_stack_handle=True,
    # 33647783deb6 "mm/slab_common: move dma-kmalloc caches creation into
    # new_kmalloc_cache()" (v5.19)
    kmalloc_dma=KmallocDma.IN_LOOP_V5_19,
    # SLAB_NO_USER_FLAGS joins the cache flags and the permitted ones (v5.19)
    permitted=v5_15.RULES.permitted + ("SLAB_NO_USER_FLAGS",),
    create_mask=v5_10.CORE_FLAGS + CACHE_FLAGS,
    # 6edf2576a6cc "mm/slub: enable debugging memory wasting of kmalloc" (v6.1):
    # SLAB_KMALLOC caches keep the requested size behind the tracks
    orig_size_bytes=4,
    # "mm/slub: restrict sysfs validation to debug caches and make it safe" (v6.1)
    has_debug_single_path=True,
    # build_detached_freelist swaps matched objects to the end (present in 6.1.0,
    # absent in 5.19)
    detached_freelist=DetachedFreelist.SWAP_V6_1,
    reports=replace(
        v5_15.RULES.reports,
        taint_width=19,  # TAINT_TEST (5.17)
        has_bulk_free_texts=True,  # 6.1
        has_destroy_warn=True,  # kmem_cache_destroy WARNs with the caller (6.1)
        set_freepointer_line=419,
    ),
)

V6_1 = replace(
    v5_15.V5_15,
    name="v6.1",
    sublevel=192,
    flags=FLAGS,
    # Debian 12's 6.1.0-57 configuration (shared/data): tracks hold a STACKDEPOT
    # handle (SLUB_DEBUG selects it from 5.19), KFENCE off
    switches=slub_switches(
        {"stackdepot": True, "stacktrace": None, "kfence": False}, v5_15.V5_15.switches
    ),
    slub=RULES,
    boot_structs=(216, 64),  # sysfs of Debian's 6.1.192 and its BTF
    backports=(),
    source="unifreq/linux-6.1.y @ 525d1212a677 (6.1.166); sysfs of Debian's 6.1.192",
)
