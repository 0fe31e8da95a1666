"""Linux 7.1 (the 7.1.3 tree rikudousennin22/linux-7.1.3; 7.1.5, danayer/linux-7.1.5,
differs in mm/slub.c by two stable fixes of krealloc and kmalloc_nolock only;
shared/spec/slub-7x.md).

7.0 with slab/for-7.1/sheaves: "slab: decouple pointer to barn from
kmem_cache_node" moves each node's barn into struct kmem_cache's per-node entries.
"""

from __future__ import annotations

from dataclasses import replace

from . import v7_0

RULES = replace(v7_0.RULES, reports=replace(v7_0.RULES.reports, set_freepointer_line=546))

V7_1 = replace(
    v7_0.V7_0,
    name="v7.1",
    sublevel=5,
    slub=RULES,
    # struct kmem_cache_per_node_ptrs {barn, node} per node (16 bytes) after the same
    # 208; struct kmem_cache_node without its barn pointer: 64
    boot_structs=(208, 64),
    node_entry_bytes=16,
    source="rikudousennin22/linux-7.1.3 @ 037c6bf47ba7 (7.1.3) and danayer/linux-7.1.5 "
    "@ 9d1745cf8134 (7.1.5); no running 7.1 kernel was compared",
)
