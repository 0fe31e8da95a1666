"""The CONFIG_* switches of the SLUB versions: one help text per switch; each
version says which switches it has and their defaults."""

from __future__ import annotations

SLUB_SWITCHES: dict[str, str] = {
    "slub_debug_config": "CONFIG_SLUB_DEBUG: debug support (off until slab_debug)",
    "slub_cpu_partial": "CONFIG_SLUB_CPU_PARTIAL: per-CPU partial slab lists",
    "slub_tiny": "CONFIG_SLUB_TINY: no per-CPU partials, max order 1, no sysfs",
    "hardened_usercopy": "CONFIG_HARDENED_USERCOPY: usersize blocks merging",
    "memcg": "CONFIG_MEMCG: SLAB_ACCOUNT, kmalloc-cg-* caches",
    "stackdepot": "CONFIG_STACKDEPOT: struct track holds a stack handle",
    "stacktrace": "CONFIG_STACKTRACE: struct track holds 16 return addresses",
    "kasan_generic": "CONFIG_KASAN_GENERIC: metadata and red zones in every cache",
    "kfence": "CONFIG_KFENCE: defines SLAB_SKIP_KFENCE",
    "slab_obj_ext": "CONFIG_SLAB_OBJ_EXT: defines SLAB_NO_OBJ_EXT",
    "random_kmalloc_caches": "CONFIG_RANDOM_KMALLOC_CACHES: kmalloc-rnd-NN-* copies",
    "slab_buckets": "CONFIG_SLAB_BUCKETS: kmalloc_buckets and kmem_buckets",
    "slab_freelist_hardened": "CONFIG_SLAB_FREELIST_HARDENED: encoded free pointers",
    "slab_freelist_random": "CONFIG_SLAB_FREELIST_RANDOM: shuffled freelists",
    "debug_vm": "CONFIG_DEBUG_VM: kmem_cache_sanity_check is compiled in",
    "debug_objects": "CONFIG_DEBUG_OBJECTS: defines SLAB_DEBUG_OBJECTS",
    "failslab": "CONFIG_FAILSLAB: defines SLAB_FAILSLAB",
}


def slub_switches(
    changes: dict[str, bool | None], base: dict[str, tuple[bool, str]] | None = None
) -> dict[str, tuple[bool, str]]:
    """The switch table of a SLUB version: the previous version's (``base``) with
    ``changes`` (a default; None: the version lacks the switch)."""
    unknown = set(changes) - set(SLUB_SWITCHES)
    if unknown:
        raise ValueError(f"unknown SLUB switches {sorted(unknown)}")
    defaults: dict[str, bool | None] = {n: on for n, (on, _) in (base or {}).items()}
    defaults.update(changes)
    return {
        n: (on, text) for n, text in SLUB_SWITCHES.items() if (on := defaults.get(n)) is not None
    }


# Boot parameters and counts every SLUB version takes.
SLUB_OPTIONS = frozenset(
    {
        "nr_cpus",
        "nr_present_cpus",
        "cache_line_size_param",
        "zone_dma",
        "nr_nodes",
        "mem",
        "slub_min_order",
        "slub_max_order",
        "slub_min_objects",
        "slab_nomerge",
        "slub_debug",
    }
)
