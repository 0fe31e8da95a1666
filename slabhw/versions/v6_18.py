"""Linux 6.18 (the 6.18.2 tree, gfunkmonk/linux-6.18.2, and the stable tree up to
6.18.35, RBCSFQ/linux-6.18.y; shared/spec/slub-v6.18.md; this machine runs 6.18.44).

6.12 with the changes of 6.13 .. 6.18.  Stable 6.18.16 took the 8-byte orig_size word.
"""

from __future__ import annotations

from dataclasses import replace

from . import arches, v6_12
from .preset import Backport
from .rules import SLAB_DEBUG_FLAGS
from .switches import slub_switches

FLAGS = v6_12.FLAGS  # enum _slab_flag_bits: the same text as 6.12's

# SLAB_CORE_FLAGS of 6.18 holds the cache flags too
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

RULES = replace(
    v6_12.RULES,
    # per-CPU sheaves: kmem_cache_args.sheaf_capacity (v6.18)
    has_sheaves=True,
    # CACHE_CREATE_MASK is gone (v6.18): flags are kept; without SLUB_DEBUG the debug
    # flags are cleared
    has_create_mask=False,
    permitted=CORE_FLAGS + SLAB_DEBUG_FLAGS,
    create_mask=(),
    # kasan_cache_create() of 6.18 (mm/kasan/generic.c), as slabhw models it
    has_kasan_layout=True,
    reports=replace(
        v6_12.RULES.reports,
        taint_width=20,  # TAINT_FWCTL (6.15)
        has_cycle_check=True,  # "Freelist cycle detected" (6.18)
        set_freepointer_line=634,
    ),
)

# The defaults are the distribution-like configuration of the kernel this project
# runs on (6.18.44).
V6_18 = replace(
    v6_12.V6_12,
    name="v6.18",
    sublevel=44,
    flags=FLAGS,
    arches=arches.BASE,
    # this machine's configuration: KFENCE off; KASAN_GENERIC a switch (off) because
    # the 6.18 model knows KASAN's layout
    switches=slub_switches({"kasan_generic": False, "kfence": False}, v6_12.V6_12.switches),
    slub=RULES,
    # the reference x86_64 6.18.44 configuration (shared/spec b, g.4)
    boot_structs=(224, 72),
    backports=(
        Backport(
            16,
            "orig_size_bytes",
            4,
            'b85f369b81ae "mm/slab: use unsigned long for orig_size to ensure proper '
            'metadata align"',
        ),
    ),
    source="gfunkmonk/linux-6.18.2 @ 062668f4d006; RBCSFQ/linux-6.18.y up to 6.18.35 "
    "for the stable changes; sysfs of 6.18.44 (this machine)",
)
