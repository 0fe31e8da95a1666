"""Linux 7.0 (the 7.0.0 tree julianw1010/WASP-linux-7.0.0, its mm/ and slab headers
the same blobs as julianw1010/hydra-linux-7.0.0; shared/spec/slub-7x.md; Ubuntu
26.04 LTS ships 7.0).

6.18 with slab-for-7.0, "slab: replace cpu (partial) slabs with sheaves": every
cache has per-CPU sheaves sized by calculate_sheaf_capacity(), struct
kmem_cache_cpu and CONFIG_SLUB_CPU_PARTIAL are gone (the run time:
slabhw/slub_runtime/sheaves.py).
"""

from __future__ import annotations

from dataclasses import replace

from ..flags import ENUM, FlagDef
from . import arches, v6_12, v6_18
from .rules import FreePointerOutside
from .switches import slub_switches

# include/linux/slab.h enum _slab_flag_bits (7.0.0 = 7.1.3): _SLAB_NO_OBJ_EXT takes a
# bit in every configuration, and _SLAB_OBJ_EXT_IN_OBJ follows it where
# CONFIG_SLAB_OBJ_EXT and CONFIG_64BIT (an internal flag calculate_sizes sets)
FLAGS: tuple[FlagDef, ...] = tuple(
    FlagDef("SLAB_NO_OBJ_EXT", ENUM) if d.name == "SLAB_NO_OBJ_EXT" else d for d in v6_12.FLAGS
) + (
    FlagDef(
        "SLAB_OBJ_EXT_IN_OBJ", ENUM, requires="slab_obj_ext", internal=True, requires_64bit=True
    ),
)

RULES = replace(
    v6_18.RULES,
    # calculate_sizes(): a constructor's cache may place the free pointer with
    # kmem_cache_args.freeptr_offset (create_cache accepts it for ctor caches)
    freeptr_outside=FreePointerOutside.V7_0,
    # "slab: add sheaves to most caches", "slab: handle kmalloc sheaves bootstrap"
    has_auto_sheaf_capacity=True,
    # "mm/slab: make caches with sheaves mergeable"
    has_mergeable_sheaves=True,
    # "slab: add SLAB_CONSISTENCY_CHECKS to SLAB_NEVER_MERGE"
    has_never_merge_consistency=True,
    # slab_{min,max}_order, slab_min_objects and slab_debug as core_param
    has_core_param_options=True,
    reports=replace(v6_18.RULES.reports, set_freepointer_line=542),
)

# Ubuntu 26.04 LTS's config-7.0.0-38-generic (shared/spec/slub-7x.md section 9):
# RANDOM_KMALLOC_CACHES=y and KFENCE=y unlike this machine's 6.18; SLAB_OBJ_EXT
# (MEMCG) on; no SLUB_CPU_PARTIAL (the symbol is gone: "slab: remove SLUB_CPU_PARTIAL")
V7_0 = replace(
    v6_18.V6_18,
    name="v7.0",
    # 7.0.14: the sysfs of Ubuntu 26.04's 7.0.0-44 (upstream 7.0.14) matched every
    # check (tests/data); the rules were read in 7.0.0
    sublevel=14,
    flags=FLAGS,
    arches=arches.BASE,
    switches=slub_switches(
        {
            "slub_cpu_partial": None,
            "random_kmalloc_caches": True,
            "kfence": True,
            "slab_obj_ext": True,
        },
        v6_18.V6_18.switches,
    ),
    slub=RULES,
    # struct kmem_cache without cpu_slab, cpu_partial and cpu_partial_slabs: 224 - 16
    # (derived from the 7.0 definition against 6.18's 224 seen in sysfs);
    # struct kmem_cache_node still holds the barn pointer (72)
    boot_structs=(208, 72),
    backports=(),
    source="julianw1010/WASP-linux-7.0.0 @ d0b9a1a6ae15 (7.0.0); Ubuntu 26.04's "
    "7.0.0-44-generic (7.0.14) booted under QEMU: its configuration and sysfs",
)
