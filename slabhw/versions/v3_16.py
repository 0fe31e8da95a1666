"""Linux 3.16: the SLAB allocator (the seed; shared/spec/slab-v3.16.md).

SLAB's arithmetic has one version in slabhw, so this preset carries its flags,
architectures and switches but no rule records.
"""

from __future__ import annotations

from ..flags import FlagDef
from . import arches
from .preset import KernelPreset

# include/linux/slab.h (v3.16) lines 23-101; CFLGS_OFF_SLAB from mm/slab.c (v3.16).
FLAGS: tuple[FlagDef, ...] = (
    FlagDef("SLAB_DEBUG_FREE", 0x00000100),
    FlagDef("SLAB_RED_ZONE", 0x00000400),
    FlagDef("SLAB_POISON", 0x00000800),
    FlagDef("SLAB_HWCACHE_ALIGN", 0x00002000),
    FlagDef("SLAB_CACHE_DMA", 0x00004000),
    FlagDef("SLAB_STORE_USER", 0x00010000),
    FlagDef("SLAB_RECLAIM_ACCOUNT", 0x00020000),
    FlagDef("SLAB_TEMPORARY", 0x00020000, alias_of="SLAB_RECLAIM_ACCOUNT"),
    FlagDef("SLAB_PANIC", 0x00040000),
    FlagDef("SLAB_DESTROY_BY_RCU", 0x00080000),
    FlagDef("SLAB_MEM_SPREAD", 0x00100000),
    FlagDef("SLAB_TRACE", 0x00200000),
    FlagDef("SLAB_DEBUG_OBJECTS", 0x00400000, requires="debug_objects"),
    FlagDef("SLAB_NOLEAKTRACE", 0x00800000),
    FlagDef("SLAB_NOTRACK", 0x01000000, requires="kmemcheck"),
    FlagDef("SLAB_FAILSLAB", 0x02000000, requires="failslab"),
    FlagDef("CFLGS_OFF_SLAB", 0x80000000, internal=True),
)

# The configuration switches that change what SLAB 3.16 computes, with their
# defaults (a distribution-like SMP build).
SWITCHES: dict[str, tuple[bool, str]] = {
    "debug_slab": (False, "CONFIG_DEBUG_SLAB: red zones, poison, store-user, stats"),
    "debug_vm": (False, "CONFIG_DEBUG_VM: kmem_cache_sanity_check is compiled in"),
    "debug_pagealloc": (False, "CONFIG_DEBUG_PAGEALLOC (with DEBUG_SLAB: page-sized objects)"),
    "debug_slab_leak": (False, "CONFIG_DEBUG_SLAB_LEAK: one status byte per object"),
    "page_poisoning": (False, "CONFIG_PAGE_POISONING"),
    "debug_objects": (False, "CONFIG_DEBUG_OBJECTS: defines SLAB_DEBUG_OBJECTS"),
    "kmemcheck": (False, "CONFIG_KMEMCHECK: defines SLAB_NOTRACK"),
    "failslab": (False, "CONFIG_FAILSLAB: defines SLAB_FAILSLAB"),
    "memcg_kmem": (False, "CONFIG_MEMCG_KMEM: struct kmem_cache grows by a pointer"),
}

V3_16 = KernelPreset(
    name="v3.16",
    allocator="SLAB",
    sublevel=41,
    flags=FLAGS,
    arches=arches.V3_16,
    switches=SWITCHES,
    options=frozenset(
        {"nr_cpus", "mem", "slab_max_order_param", "cache_line_size_param", "zone_dma", "nr_nodes"}
    ),
    later_arches={"arm64-16k": "v4.4", "riscv64": "v4.15"},
    source="the 3.16.41 tree (shared/spec/slab-v3.16.md)",
)
