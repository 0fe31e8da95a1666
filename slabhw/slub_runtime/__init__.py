"""SLUB at run time, every modelled version (5.10 .. 7.1): slabs in the page arena,
the per-CPU slab and freelist, per-CPU and per-node partial lists (7.x: per-CPU
sheaves and per-node barns instead), kmalloc/kfree, bulk operations, over a
:class:`~slabhw.arena.PageArena`, in layers whose imports run one way: state
(structs, memory, free pointers) -> checks (slab_debug checks and reports) -> paths
(alloc, free, lists) -> bulk (the bulk calls) -> sheaves (the paths of 7.x) ->
runtime (the views).  The public names are re-exported here (``__all__``).

Follows mm/slub.c of 6.18.2 function by function (the names in the docstrings are
the kernel's); where older versions differ, the version's rules
(``config.rules``: slabhw.versions.rules.SlubRules and its ReportRules) switch the
path: the per-CPU partial lists counted in objects before 5.16, the reversed
freelist of deactivate_slab before 5.12, debug caches through the per-CPU slab
(deactivated after each allocation) before 6.1, build_detached_freelist's NULL
marks before 6.1, full store-user slabs on the full list before 6.1, the
slub_debug_enabled key's gating, and each release's report texts.  In 6.18:
``allocate_slab``/``shuffle_freelist``/``setup_object`` build a slab,
``slab_alloc_node`` -> ``__slab_alloc_node`` (lockless fast path) -> ``___slab_alloc``
(cpu slab, cpu partial list, ``get_partial_node``, ``new_slab``) allocate,
``do_slab_free`` (fast path) -> ``__slab_free`` / ``free_to_partial_list`` free,
``deactivate_slab``, ``put_cpu_partial``, ``__put_partials``, ``discard_slab`` move
slabs between lists, and ``kmem_cache_alloc_bulk`` / ``kmem_cache_free_bulk``
(``build_detached_freelist``) work in batches.  Free pointers are real bytes in the
arena at ``object + s->offset``, encoded as ``freelist_ptr_encode`` does with
CONFIG_SLAB_FREELIST_HARDENED (``ptr ^ s->random ^ swab(ptr_addr)``).  Debug caches
(any SLAB_DEBUG_FLAGS) never use the per-CPU slab (from 6.1): they allocate
one object at a time under the node lock (``alloc_single_from_partial``,
``alloc_single_from_new_slab``) and free through ``free_to_partial_list`` with
``alloc_debug_processing`` / ``free_debug_processing``: poison, red zones, tracks,
the kmalloc original size, and the checks of ``check_object``, ``on_freelist``,
``check_slab`` and ``slab_pad_check``, reported in the kernel's words (see
slabhw/slub_runtime/checks.py).

Exact: list order (head/tail insertion), when slabs are frozen, discarded, moved
between lists; the counters of CONFIG_SLUB_DEBUG (``nr_slabs``, ``total_objects``)
and ``nr_partial``; the bytes of free pointers, poison, red zones, tracks, orig_size;
the page allocator calls (so the PFNs, given the buddy allocator of the arena); the
order of ``setup_object`` (and so of ctor calls); the tid arithmetic.

Speed: the per-object byte work of ``alloc_bulk``/``free_bulk`` and of a new slab's
freelist (without debug bytes or a constructor) runs in csrc/runtime.c through
``_core.FreePointers``, with the control flow and per-slab books kept here; the
object-by-object Python code stays as the reference (``fast = False``), and
tests/test_runtime_fast.py holds the two to the same bytes, addresses and lists.

Simplified (documented):

* one CPU runs at a time: no preemption, no cmpxchg retries, no interrupts; the
  ``cpu`` argument says which CPU's ``kmem_cache_cpu`` an operation uses, so
  "remote" frees (an object freed on another CPU than its slab's) are modelled.
* random numbers: ``s->random``, the ``init_cache_random_seq``/``freelist_randomize``
  Fisher-Yates shuffle and the start position ``shuffle_freelist`` draws per slab
  come from a numpy Generator seeded by ``seed`` and the cache's name (caches with
  the same name get the same numbers).  The algorithms are the kernel's; the
  numbers differ from a real kernel's ``get_random_*``.
* one NUMA node (node 0) with one zone; no pfmemalloc, no memcg/objcg, no KFENCE,
  no KASAN, no kmemleak, no CONFIG_SLUB_STATS counters; 6.18's opt-in sheaves (a
  cache with ``sheaf_capacity``) run the classic per-CPU slab path here, 7.x's
  sheaves for every cache run as slabhw/slub_runtime/sheaves.py describes.
* ``SLAB_TYPESAFE_BY_RCU`` slabs are freed at once (no RCU grace period).
* tracks and reports: simplified as slabhw/slub_runtime/checks.py lists.
* the "slab leaked" and "wrong cache" paths of broken callers keep the model's
  books consistent where the kernel would corrupt memory; a freelist cycle that
  would make the kernel loop for ever raises ``KernelHang``, a free pointer to
  unmapped memory raises ``KernelTrap``; a ``BUG_ON`` (the hardened free pointer's
  naive double-free check) is reported and ends the operation.
* options ``init_on_alloc``/``init_on_free`` (boot parameters) and ``zero``
  (__GFP_ZERO) are supported; the default TID step is that of the reference
  configuration (CONFIG_PREEMPTION with CONFIG_NR_CPUS=256: 256).
"""

from .checks import (
    POISON_END,
    POISON_FREE,
    POISON_INUSE,
    SLUB_RED_ACTIVE,
    SLUB_RED_INACTIVE,
    STRUCT_PAGE_SIZE,
    TAINT_BAD_PAGE,
    TAINT_WARN,
    TRACK_ALLOC,
    TRACK_FREE,
    VMEMMAP_START,
    SlubChecks,
)
from .runtime import SlubRuntime
from .state import (
    DEACTIVATE_TO_HEAD,
    DEACTIVATE_TO_TAIL,
    GFP_KERNEL,
    LIST_CPU_PARTIAL,
    LIST_CPU_SLAB,
    LIST_FULL,
    LIST_NAMES,
    LIST_NODE_PARTIAL,
    LIST_NONE,
    MAX_PARTIAL_TO_SCAN,
    NUMA_NO_NODE,
    SET_FREEPOINTER_BUG,
    SHRINK_PROMOTE_MAX,
    TID_STEP,
    ZERO_SIZE_PTR,
    CacheState,
    KmemCacheCpu,
    KmemCacheNode,
    Slab,
    SlubMemory,
    swab64,
)

__all__ = [
    "CacheState",
    "DEACTIVATE_TO_HEAD",
    "DEACTIVATE_TO_TAIL",
    "GFP_KERNEL",
    "KmemCacheCpu",
    "KmemCacheNode",
    "LIST_CPU_PARTIAL",
    "LIST_CPU_SLAB",
    "LIST_FULL",
    "LIST_NAMES",
    "LIST_NODE_PARTIAL",
    "LIST_NONE",
    "MAX_PARTIAL_TO_SCAN",
    "NUMA_NO_NODE",
    "POISON_END",
    "POISON_FREE",
    "POISON_INUSE",
    "SET_FREEPOINTER_BUG",
    "SHRINK_PROMOTE_MAX",
    "SLUB_RED_ACTIVE",
    "SLUB_RED_INACTIVE",
    "STRUCT_PAGE_SIZE",
    "Slab",
    "SlubChecks",
    "SlubMemory",
    "SlubRuntime",
    "TAINT_BAD_PAGE",
    "TAINT_WARN",
    "TID_STEP",
    "TRACK_ALLOC",
    "TRACK_FREE",
    "VMEMMAP_START",
    "ZERO_SIZE_PTR",
    "swab64",
]
