"""Creation inputs of known kernel caches, per version: what /sys/kernel/slab does not
show of the caches it lists (``Entry``), and the symbolic inputs of the caches that
merged into others (``Creation``: the type whose BTF size they take, flags, source),
from which crosscheck predicts each alias link's merge target.

sysfs shows a cache's object size, flag attributes, ctor and usersize, but not the
alignment it asked for, SLAB_NO_MERGE, SLAB_ACCOUNT, a custom free-pointer offset,
a sheaf capacity, or that a boot cache keeps refcount -1.  The cross-check takes
those from here, never from the values it checks.  Each entry names the source
line it comes from.  The kmalloc caches are recognised by name; the model's own
boot (slabhw.slub) gives their flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .creation import NATURAL, Creation, CreationBackport
from .creations_v6_1 import CREATION_BACKPORTS_V6_1, CREATIONS_V6_1
from .creations_v6_12 import CREATION_BACKPORTS_V6_12, CREATIONS_V6_12
from .creations_v7_0 import (
    CHANGES_V7_0,
    CHANGES_V7_1,
    MFC_ACCOUNTED_V7_0,
    REMOVED_V7_1,
    UBUNTU_V7_0,
)
from .versions.preset import KernelPreset


@dataclass(frozen=True)
class Entry:
    """What a kmem_cache_create call passes beyond what sysfs shows."""

    flags: tuple[str, ...] = ()  # extra SLAB_* names (NO_MERGE, ACCOUNT, KMALLOC, ...)
    align: int | None = None  # the requested alignment; None: not known
    boot: bool = False  # create_boot_cache: refcount -1 for ever, never merges
    kmalloc: bool = False  # create_kmalloc_cache: natural alignment, usersize = size
    sheaf_capacity: int = 0
    freeptr_offset: int | None = None  # in-object free pointer (kmem_cache_args)
    source: str = ""


# The caches of 5.10 .. 6.6 (the source each entry names is 6.1's)
BASE: dict[str, Entry] = {
    "kmem_cache": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),  # NO_OBJ_EXT: 6.10 and later
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache, ...)",
    ),
    "kmem_cache_node": Entry(
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_NO_OBJ_EXT"),
        boot=True,
        source="mm/slub.c kmem_cache_init: create_boot_cache(kmem_cache_node, ...)",
    ),
    "maple_node": Entry(
        align=256,
        source="lib/maple_tree.c maple_tree_init: align = sizeof(struct maple_node) (v6.1)",
    ),
    "vm_area_struct": Entry(
        flags=("SLAB_ACCOUNT",),
        source="kernel/fork.c proc_caches_init: KMEM_CACHE(vm_area_struct, ...|SLAB_ACCOUNT)",
    ),
    "filp": Entry(
        flags=("SLAB_ACCOUNT",),
        source="fs/file_table.c files_init: SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_ACCOUNT",
    ),
}

# v6.12: kmalloc_buckets (6.11) and filp's custom free pointer (6.12)
V6_12: dict[str, Entry] = BASE | {
    "kmalloc_buckets": Entry(
        flags=("SLAB_NO_MERGE",),
        align=0,
        source="mm/slab_common.c init_kmem_buckets... kmem_buckets_cache",
    ),
    # The offset is offsetof(struct file, f_freeptr); only its being inside the object
    # matters to the layout (sysfs shows no offset), 8 stands in for it.
    "filp": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/file_table.c files_init: use_freeptr_offset",
    ),
}

# v6.18: sheaves (maple_node, vm_area_struct) and more custom free pointers
V6_18: dict[str, Entry] = V6_12 | {
    "maple_node": Entry(
        align=256,
        sheaf_capacity=32,
        source="lib/maple_tree.c maple_tree_init: .align = sizeof(struct "
        "maple_node), .sheaf_capacity = 32",
    ),
    "vm_area_struct": Entry(
        flags=("SLAB_ACCOUNT",),
        sheaf_capacity=32,
        freeptr_offset=8,
        source="mm/vma_init.c vma_state_init: use_freeptr_offset, .sheaf_capacity = 32",
    ),
    "bfilp": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/file_table.c files_init: use_freeptr_offset",
    ),
    "io_kiocb": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="io_uring/io_uring.c io_uring_init: use_freeptr_offset",
    ),
}

# v7.0: more custom free pointers (7.0.0 source: kmem_cache_args.freeptr_offset of
# ext4's inodes and of the TCP sockets, proto.freeptr_offset = sk_freeptr)
V7_0: dict[str, Entry] = V6_18 | {
    "ext4_inode_cache": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="fs/ext4/super.c init_inodecache: use_freeptr_offset (i_flags), .ctor = init_once",
    ),
    "TCP": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="net/core/sock.c proto_register: tcp_prot.freeptr_offset (sk_freeptr)",
    ),
    "TCPv6": Entry(
        flags=("SLAB_ACCOUNT",),
        freeptr_offset=8,
        source="net/core/sock.c proto_register: tcpv6_prot.freeptr_offset (sk_freeptr)",
    ),
}

CATALOGUES: dict[str, dict[str, Entry]] = {
    "v5.10": BASE,
    "v5.15": BASE,
    "v6.1": BASE,
    "v6.6": BASE,
    "v6.12": V6_12,
    "v6.18": V6_18,
    "v7.0": V7_0,
    "v7.1": V7_0,
}

_KMALLOC = re.compile(r"(kmalloc|kmalloc-rcl|kmalloc-cg|dma-kmalloc)-\d+[kM]?$")
_RANDOM = re.compile(r"kmalloc-rnd-\d\d-\d+[kM]?$")
_BUCKETS = re.compile(r"(memdup_user|msg_msg)-\d+[kM]?$")


def lookup(version: str, name: str) -> Entry | None:
    """The catalogue entry for a cache name of a version (rules for the kmalloc
    families: their flags come from slabhw.slab_common as the version makes them)."""
    entries = CATALOGUES.get(version, {})
    if name in entries:
        return entries[name]
    m = _KMALLOC.match(name)
    if m:
        return Entry(
            kmalloc=True,
            boot=False,
            source="mm/slab_common.c new_kmalloc_cache / create_kmalloc_cache",
        )
    if _RANDOM.match(name):
        return Entry(
            kmalloc=True,
            source="mm/slab_common.c new_kmalloc_cache (RANDOM_KMALLOC_CACHES)",
        )
    m = _BUCKETS.match(name)
    if m:
        extra = ("SLAB_ACCOUNT",) if m.group(1) == "msg_msg" else ()
        return Entry(
            flags=("SLAB_NO_MERGE",) + extra,
            align=0,
            source="mm/slab_common.c kmem_buckets_create (mm/util.c, ipc/msgutil.c)",
        )
    return None


# ---- symbolic creation inputs of merged caches -----------------------------------------
# lib/sg_pool.c: sgpool-N (N struct scatterlist, 32 bytes each; SLAB_HWCACHE_ALIGN
# only, sg_pool_init), block/bio.c: biovec-N (N struct bio_vec, 16 bytes;
# SLAB_HWCACHE_ALIGN | SLAB_PANIC, biovec_init_pool)
_SIZED_FAMILIES: dict[str, Creation] = {
    **{
        f"sgpool-{n}": Creation(
            size=32 * n,
            flags=("SLAB_HWCACHE_ALIGN",),
            source="lib/sg_pool.c sg_pool_init: n * sizeof(struct scatterlist)",
        )
        for n in (8, 16, 32, 64, 128)
    },
    **{
        f"biovec-{n}": Creation(
            size=16 * n,
            flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
            source="block/bio.c biovec_init_pool (bvec_slabs[]: n * sizeof(struct bio_vec))",
        )
        for n in (16, 64, 128)
    },
    "biovec-max": Creation(
        size=16 * 256,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="block/bio.c bvec_slabs[]: BIO_MAX_VECS * sizeof(struct bio_vec)",
    ),
}

# 6.18's creation sites of the caches this machine's kernel merged (read in the
# 6.18.2 tree; x86_64, this configuration)
CREATIONS_V6_18: dict[str, Creation] = _SIZED_FAMILIES | {
    "AF_VSOCK": Creation(
        struct="vsock_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "Acpi-Namespace": Creation(
        struct="acpi_namespace_node", source="drivers/acpi/osl.c:1584 acpi_os_create_cache"
    ),
    "Acpi-Operand": Creation(
        struct="acpi_operand_object", source="drivers/acpi/osl.c:1584 acpi_os_create_cache"
    ),
    "Acpi-Parse": Creation(
        struct="acpi_parse_obj_common", source="drivers/acpi/osl.c:1584 acpi_os_create_cache"
    ),
    "Acpi-ParseExt": Creation(
        struct="acpi_parse_obj_named", source="drivers/acpi/osl.c:1584 acpi_os_create_cache"
    ),
    "Acpi-State": Creation(
        struct="acpi_generic_state", source="drivers/acpi/osl.c:1584 acpi_os_create_cache"
    ),
    "PING": Creation(
        struct="inet_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "PINGv6": Creation(
        struct="raw6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UDP": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UDP-Lite": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UDPLITEv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UDPv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UNIX": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "UNIX-STREAM": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4135 proto_register",
    ),
    "aio_kiocb": Creation(
        struct="aio_kiocb",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="fs/aio.c:301 aio_setup",
    ),
    "anon_vma_chain": Creation(
        struct="anon_vma_chain",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="mm/rmap.c:464 anon_vma_init",
    ),
    "audit_buffer": Creation(
        struct="audit_buffer",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/audit.c:1733 audit_init",
    ),
    "audit_tree_mark": Creation(
        struct="audit_tree_mark",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/audit_tree.c:1082 audit_tree_init",
    ),
    "backing_aio": Creation(
        struct="backing_aio",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/backing-file.c:354 backing_aio_init",
    ),
    "bfq_io_cq": Creation(
        struct="bfq_io_cq", align=NATURAL, source="block/elevator.c:527 elv_register"
    ),
    "bfq_queue": Creation(
        struct="bfq_queue", align=NATURAL, source="block/bfq-iosched.c:7383 bfq_slab_setup"
    ),
    "bio_post_read_ctx": Creation(
        struct="bio_post_read_ctx",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/readpage.c:401 ext4_init_post_read_processing",
    ),
    "blkdev_ioc": Creation(
        struct="io_context", flags=("SLAB_PANIC",), source="block/blk-ioc.c:438 blk_ioc_init"
    ),
    "btrfs_delayed_extent_op": Creation(
        struct="btrfs_delayed_extent_op",
        align=NATURAL,
        source="fs/btrfs/delayed-ref.c:1367 btrfs_delayed_ref_init",
    ),
    "btrfs_delayed_node": Creation(
        struct="btrfs_delayed_node",
        align=NATURAL,
        source="fs/btrfs/delayed-inode.c:31 btrfs_delayed_inode_init",
    ),
    "btrfs_delayed_ref_head": Creation(
        struct="btrfs_delayed_ref_head",
        align=NATURAL,
        source="fs/btrfs/delayed-ref.c:1359 btrfs_delayed_ref_init",
    ),
    "btrfs_delayed_ref_node": Creation(
        struct="btrfs_delayed_ref_node",
        align=NATURAL,
        source="fs/btrfs/delayed-ref.c:1363 btrfs_delayed_ref_init",
    ),
    "btrfs_extent_buffer": Creation(
        struct="extent_buffer", source="fs/btrfs/extent_io.c:224 extent_buffer_init_cachep"
    ),
    "btrfs_extent_map": Creation(
        struct="extent_map", source="fs/btrfs/extent_map.c:18 btrfs_extent_map_init"
    ),
    "btrfs_extent_state": Creation(
        struct="extent_state",
        source="fs/btrfs/extent-io-tree.c:1952 btrfs_extent_state_init_cachep",
    ),
    "btrfs_free_space": Creation(
        struct="btrfs_free_space",
        align=NATURAL,
        source="fs/btrfs/free-space-cache.c:4161 btrfs_free_space_init",
    ),
    "btrfs_free_space_bitmap": Creation(
        size_expr="PAGE_SIZE",
        align_expr="PAGE_SIZE",
        source="fs/btrfs/free-space-cache.c:4165 btrfs_free_space_init",
    ),
    "btrfs_inode_defrag": Creation(
        struct="inode_defrag", source="fs/btrfs/defrag.c:1512 btrfs_auto_defrag_init"
    ),
    "btrfs_ordered_extent": Creation(
        struct="btrfs_ordered_extent",
        align=NATURAL,
        source="fs/btrfs/ordered-data.c:1356 ordered_data_init",
    ),
    "btrfs_path": Creation(
        struct="btrfs_path", align=NATURAL, source="fs/btrfs/ctree.c:5071 btrfs_ctree_init"
    ),
    "btrfs_prelim_ref": Creation(
        struct="prelim_ref", source="fs/btrfs/backref.c:200 btrfs_prelim_ref_init"
    ),
    "btrfs_trans_handle": Creation(
        struct="btrfs_trans_handle",
        align=NATURAL,
        flags=("SLAB_TEMPORARY",),
        source="fs/btrfs/transaction.c:2696 btrfs_transaction_init",
    ),
    "buffer_head": Creation(
        struct="buffer_head",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT", "SLAB_PANIC"),
        source="fs/buffer.c:3152 buffer_init",
    ),
    "cred": Creation(
        struct="cred",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/cred.c:559 cred_init",
    ),
    "damon_region": Creation(
        struct="damon_region", align=NATURAL, source="mm/damon/core.c:2881 damon_init"
    ),
    "dmaengine-unmap-2": Creation(
        runtime="flex: sizeof(struct dmaengine_unmap_data) + sizeof(dma_addr_",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1439 dmaengine_init_unmap_pool",
    ),
    "dnotify_mark": Creation(
        struct="dnotify_mark",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/dnotify/dnotify.c:404 dnotify_init",
    ),
    "dnotify_struct": Creation(
        struct="dnotify_struct",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/dnotify/dnotify.c:402 dnotify_init",
    ),
    "dquot": Creation(
        struct="dquot",
        align_expr="sizeof(unsigned long) * 4",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_RECLAIM_ACCOUNT", "SLAB_PANIC"),
        source="fs/quota/dquot.c:3010 dquot_init",
    ),
    "ep_head": Creation(
        struct="epitems_head",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2625 eventpoll_init",
    ),
    "erofs_pcluster-1": Creation(
        struct="z_erofs_pcluster",
        count=1,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "erofs_pcluster-128": Creation(
        struct="z_erofs_pcluster",
        count=128,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "erofs_pcluster-16": Creation(
        struct="z_erofs_pcluster",
        count=16,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "erofs_pcluster-257": Creation(
        struct="z_erofs_pcluster",
        count=257,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "erofs_pcluster-4": Creation(
        struct="z_erofs_pcluster",
        count=4,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "erofs_pcluster-64": Creation(
        struct="z_erofs_pcluster",
        count=64,
        elem="z_erofs_bvec",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/erofs/zdata.c:240 z_erofs_create_pcluster_pool",
    ),
    "eventpoll_epi": Creation(
        struct="epitem",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2617 eventpoll_init",
    ),
    "eventpoll_pwq": Creation(
        struct="eppoll_entry",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2621 eventpoll_init",
    ),
    "ext4_allocation_context": Creation(
        struct="ext4_allocation_context",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/mballoc.c:4037 ext4_init_mballoc",
    ),
    "ext4_fc_dentry_update": Creation(
        struct="ext4_fc_dentry_update",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/fast_commit.c:2331 ext4_fc_init_dentry_cache",
    ),
    "ext4_free_data": Creation(
        struct="ext4_free_data",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/mballoc.c:4042 ext4_init_mballoc",
    ),
    "ext4_groupinfo_4k": Creation(
        runtime="flex: offsetof(struct ext4_group_info, bb_counters[blocksize",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/mballoc.c:3605 ext4_groupinfo_create_slab",
    ),
    "ext4_io_end": Creation(
        struct="ext4_io_end",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/page-io.c:38 ext4_init_pageio",
    ),
    "ext4_io_end_vec": Creation(
        struct="ext4_io_end_vec", align=NATURAL, source="fs/ext4/page-io.c:42 ext4_init_pageio"
    ),
    "ext4_prealloc_space": Creation(
        struct="ext4_prealloc_space",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/mballoc.c:4032 ext4_init_mballoc",
    ),
    "ext4_system_zone": Creation(
        struct="ext4_system_zone",
        align=NATURAL,
        source="fs/ext4/block_validity.c:34 ext4_init_system_zone",
    ),
    "extent_status": Creation(
        struct="extent_status",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/extents_status.c:192 ext4_init_es",
    ),
    "fanotify_fid_event": Creation(
        struct="fanotify_fid_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:2218 fanotify_user_setup",
    ),
    "fanotify_mark": Creation(
        struct="fanotify_mark",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/fanotify/fanotify_user.c:2216 fanotify_user_setup",
    ),
    "fanotify_mnt_event": Creation(
        struct="fanotify_mnt_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:2226 fanotify_user_setup",
    ),
    "fanotify_path_event": Creation(
        struct="fanotify_path_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:2220 fanotify_user_setup",
    ),
    "fanotify_perm_event": Creation(
        struct="fanotify_perm_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:2224 fanotify_user_setup",
    ),
    "fasync_cache": Creation(
        struct="fasync_struct",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/fcntl.c:1164 fcntl_init",
    ),
    "fib6_node": Creation(
        struct="fib6_node",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/ip6_fib.c:2559 fib6_init",
    ),
    "file_lease_cache": Creation(
        struct="file_lease", flags=("SLAB_PANIC",), source="fs/locks.c:2986 filelock_init"
    ),
    "file_lock_cache": Creation(
        struct="file_lock", flags=("SLAB_PANIC",), source="fs/locks.c:2983 filelock_init"
    ),
    "file_lock_ctx": Creation(
        struct="file_lock_context", flags=("SLAB_PANIC",), source="fs/locks.c:2980 filelock_init"
    ),
    "files_cache": Creation(
        struct="files_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:2987 proc_caches_init",
    ),
    "fs_cache": Creation(
        struct="fs_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:2991 proc_caches_init",
    ),
    "fscrypt_inode_info": Creation(
        struct="fscrypt_inode_info",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/crypto/crypto.c:400 fscrypt_init",
    ),
    "fsnotify_mark_connector": Creation(
        struct="fsnotify_mark_connector",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fsnotify.c:773 fsnotify_init",
    ),
    "ftrace_event_field": Creation(
        struct="ftrace_event_field",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/trace/trace_events.c:4511 event_trace_memsetup",
    ),
    "fuse_request": Creation(struct="fuse_req", source="fs/fuse/dev.c:2733 fuse_dev_init"),
    "inet_peer": Creation(
        struct="inet_peer",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/ipv4/inetpeer.c:84 inet_initpeers",
    ),
    "inotify_inode_mark": Creation(
        struct="inotify_inode_mark",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/inotify/inotify_user.c:850 inotify_user_setup",
    ),
    "iommu_iova": Creation(
        struct="iova",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/iommu/iova.c:959 iova_cache_get",
    ),
    "iommu_iova_magazine": Creation(
        struct="iova_magazine",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/iommu/iova.c:964 iova_cache_get",
    ),
    "ip4-frags": Creation(struct="ipq", source="net/ipv4/inet_fragment.c:107 inet_frags_init"),
    "ip6-frags": Creation(
        struct="frag_queue", source="net/ipv4/inet_fragment.c:107 inet_frags_init"
    ),
    "ip6_dst_cache": Creation(
        struct="rt6_info",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/route.c:6870 ip6_route_init",
    ),
    "ip_fib_alias": Creation(
        struct="fib_alias",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/fib_trie.c:2374 fib_trie_init",
    ),
    "ip_fib_trie": Creation(
        runtime="flex: LEAF_SIZE = TNODE_SIZE(1) = offsetof(struct tnode, kv[",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/fib_trie.c:2378 fib_trie_init",
    ),
    "jbd2_inode": Creation(
        struct="jbd2_inode",
        align=NATURAL,
        source="fs/jbd2/journal.c:3068 jbd2_journal_init_inode_cache",
    ),
    "jbd2_journal_handle": Creation(
        struct="jbd2_journal_handle",
        align=NATURAL,
        flags=("SLAB_TEMPORARY",),
        source="fs/jbd2/journal.c:3079 jbd2_journal_init_handle_cache",
    ),
    "jbd2_revoke_record_s": Creation(
        struct="jbd2_revoke_record_s",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_TEMPORARY"),
        source="fs/jbd2/revoke.c:196 jbd2_journal_init_revoke_record_cache",
    ),
    "jbd2_revoke_table_s": Creation(
        struct="jbd2_revoke_table_s",
        align=NATURAL,
        flags=("SLAB_TEMPORARY",),
        source="fs/jbd2/revoke.c:209 jbd2_journal_init_revoke_table_cache",
    ),
    "jbd2_transaction_s": Creation(
        struct="transaction_s",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_TEMPORARY"),
        source="fs/jbd2/transaction.c:40 jbd2_journal_init_transaction_cache",
    ),
    "kernfs_iattrs_cache": Creation(
        struct="kernfs_iattrs", flags=("SLAB_PANIC",), source="fs/kernfs/mount.c:466 kernfs_init"
    ),
    "kernfs_node_cache": Creation(
        struct="kernfs_node", flags=("SLAB_PANIC",), source="fs/kernfs/mount.c:461 kernfs_init"
    ),
    "key_jar": Creation(
        struct="key",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="security/keys/key.c:1277 key_init",
    ),
    "kioctx": Creation(
        struct="kioctx",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="fs/aio.c:302 aio_setup",
    ),
    "ksm_mm_slot": Creation(
        struct="ksm_mm_slot", align=NATURAL, source="mm/ksm.c:500 ksm_slab_init"
    ),
    "ksm_rmap_item": Creation(
        struct="ksm_rmap_item", align=NATURAL, source="mm/ksm.c:492 ksm_slab_init"
    ),
    "ksm_stable_node": Creation(
        struct="ksm_stable_node", align=NATURAL, source="mm/ksm.c:496 ksm_slab_init"
    ),
    "kvm_async_pf": Creation(
        struct="kvm_async_pf", align=NATURAL, source="virt/kvm/async_pf.c:24 kvm_async_pf_init"
    ),
    "kvm_mmu_page_header": Creation(
        struct="kvm_mmu_page",
        flags=("SLAB_ACCOUNT",),
        source="arch/x86/kvm/mmu/mmu.c:7521 kvm_mmu_vendor_module_init",
    ),
    "lsm_file_cache": Creation(
        runtime="runtime: blob_sizes.lbs_file",
        flags=("SLAB_PANIC",),
        source="security/security.c:494 ordered_lsm_init",
    ),
    "lsm_inode_cache": Creation(
        runtime="runtime: blob_sizes.lbs_inode",
        flags=("SLAB_PANIC",),
        source="security/security.c:498 ordered_lsm_init",
    ),
    "mb_cache_entry": Creation(
        struct="mb_cache_entry",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/mbcache.c:429 mbcache_init",
    ),
    "mem_cgroup": Creation(
        runtime="runtime: memcg_size = struct_size_t(struct mem_cgroup, nodei",
        flags=("SLAB_PANIC", "SLAB_HWCACHE_ALIGN"),
        source="mm/memcontrol.c:5138 mem_cgroup_init",
    ),
    "mem_cgroup_per_node": Creation(
        struct="mem_cgroup_per_node",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_HWCACHE_ALIGN"),
        source="mm/memcontrol.c:5141 mem_cgroup_init",
    ),
    "mfc6_cache": Creation(
        struct="mfc6_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="net/ipv6/ip6mr.c:1398 ip6_mr_init",
    ),
    "mfc_cache": Creation(
        struct="mfc_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/ipv4/ipmr.c:3303 ip_mr_init",
    ),
    "mm_slot": Creation(
        struct="mm_slot", align=NATURAL, source="mm/khugepaged.c:379 khugepaged_init"
    ),
    "mnt_cache": Creation(
        struct="mount",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/namespace.c:6019 mnt_init",
    ),
    "net_bridge_fdb_entry": Creation(
        struct="net_bridge_fdb_entry",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="net/bridge/br_fdb.c:38 br_fdb_init",
    ),
    "net_namespace": Creation(
        struct="net",
        align_expr="SMP_CACHE_BYTES",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/core/net_namespace.c:1261 net_ns_init",
    ),
    "nf-frags": Creation(
        struct="frag_queue", source="net/ipv4/inet_fragment.c:107 inet_frags_init"
    ),
    "nf_conncount_rb": Creation(
        struct="nf_conncount_rb",
        align=NATURAL,
        source="net/netfilter/nf_conncount.c:670 nf_conncount_modinit",
    ),
    "nf_conncount_tuple": Creation(
        struct="nf_conncount_tuple",
        align=NATURAL,
        source="net/netfilter/nf_conncount.c:666 nf_conncount_modinit",
    ),
    "nf_conntrack_expect": Creation(
        struct="nf_conntrack_expect",
        align=NATURAL,
        source="net/netfilter/nf_conntrack_expect.c:725 nf_conntrack_expect_init",
    ),
    "nsproxy": Creation(
        struct="nsproxy",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/nsproxy.c:578 nsproxy_cache_init",
    ),
    "numa_policy": Creation(
        struct="mempolicy", flags=("SLAB_PANIC",), source="mm/mempolicy.c:3263 numa_policy_init"
    ),
    "pde_opener": Creation(
        struct="pde_opener",
        flags=("SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/proc/inode.c:99 proc_init_kmemcache",
    ),
    "pending_reservation": Creation(
        struct="pending_reservation",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/ext4/extents_status.c:1932 ext4_init_pending",
    ),
    "perf_event": Creation(
        struct="perf_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/events/core.c:14826 perf_event_init",
    ),
    "pid": Creation(
        struct="pid",
        count=1,
        elem="upid",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/pid.c:813 pid_idr_init",
    ),
    "pid_namespace": Creation(
        struct="pid_namespace",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/pid_namespace.c:471 pid_namespaces_init",
    ),
    "pidfs_attr_cache": Creation(
        struct="pidfs_attr",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_RECLAIM_ACCOUNT", "SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/pidfs.c:1072 pidfs_init",
    ),
    "pidfs_xattr_cache": Creation(
        struct="simple_xattrs",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_RECLAIM_ACCOUNT", "SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/pidfs.c:1076 pidfs_init",
    ),
    "pool_workqueue": Creation(
        struct="pool_workqueue",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/workqueue.c:7771 workqueue_init_early",
    ),
    "posix_timers_cache": Creation(
        struct="k_itimer",
        align=NATURAL,
        flags=("SLAB_ACCOUNT",),
        source="kernel/time/posix-timers.c:1553 posixtimer_init",
    ),
    "pte_list_desc": Creation(
        struct="pte_list_desc",
        align=NATURAL,
        flags=("SLAB_ACCOUNT",),
        source="arch/x86/kvm/mmu/mmu.c:7517 kvm_mmu_vendor_module_init",
    ),
    "request_queue": Creation(
        struct="request_queue",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="block/blk-core.c:1284 blk_dev_init",
    ),
    "rtable": Creation(
        struct="rtable",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/ipv4/route.c:3756 ip_rt_init",
    ),
    "seq_file": Creation(
        struct="seq_file",
        align=NATURAL,
        flags=("SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/seq_file.c:1142 seq_file_init",
    ),
    "shared_policy_node": Creation(
        struct="sp_node", flags=("SLAB_PANIC",), source="mm/mempolicy.c:3267 numa_policy_init"
    ),
    "signal_cache": Creation(
        struct="signal_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:2983 proc_caches_init",
    ),
    "sigqueue": Creation(
        struct="sigqueue",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/signal.c:5011 signals_init",
    ),
    "skbuff_ext_cache": Creation(
        runtime="const_expr: SKB_EXT_ALIGN_VALUE * skb_ext_total_length()",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/core/skbuff.c:5089 skb_extensions_init",
    ),
    "skbuff_fclone_cache": Creation(
        struct="sk_buff_fclones",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/core/skbuff.c:5119 skb_init",
    ),
    "task_delay_info": Creation(
        struct="task_delay_info",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/delayacct.c:50 delayacct_init",
    ),
    "task_group": Creation(
        struct="task_group", align=NATURAL, source="kernel/sched/core.c:8700 sched_init"
    ),
    "taskstats": Creation(
        struct="taskstats",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/taskstats.c:693 taskstats_init_early",
    ),
    "tcp_bind2_bucket": Creation(
        struct="inet_bind2_bucket",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/tcp.c:5217 tcp_init",
    ),
    "tcp_bind_bucket": Creation(
        struct="inet_bind_bucket",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/tcp.c:5211 tcp_init",
    ),
    "trace_event_file": Creation(
        struct="trace_event_file",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/trace/trace_events.c:4512 event_trace_memsetup",
    ),
    "uid_cache": Creation(
        struct="user_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="kernel/user.c:250 uid_cache_init",
    ),
    "user_namespace": Creation(
        struct="user_namespace",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/user_namespace.c:1412 user_namespaces_init",
    ),
    "vmap_area": Creation(
        struct="vmap_area",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="mm/vmalloc.c:5270 vmalloc_init",
    ),
    "xfrm_dst": Creation(
        struct="xfrm_dst",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/xfrm/xfrm_policy.c:4217 xfrm_policy_init",
    ),
    "xfrm_state": Creation(
        struct="xfrm_state",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/xfrm/xfrm_state.c:3263 xfrm_state_init",
    ),
    "xfs_attr_intent": Creation(
        struct="xfs_attr_intent", source="fs/xfs/libxfs/xfs_attr.c:1582 xfs_attr_intent_init_cache"
    ),
    "xfs_attrd_item": Creation(
        struct="xfs_attrd_log_item", source="fs/xfs/xfs_super.c:2442 xfs_init_caches"
    ),
    "xfs_attri_item": Creation(
        struct="xfs_attri_log_item", source="fs/xfs/xfs_super.c:2448 xfs_init_caches"
    ),
    "xfs_bmap_intent": Creation(
        struct="xfs_bmap_intent", source="fs/xfs/libxfs/xfs_bmap.c:6113 xfs_bmap_intent_init_cache"
    ),
    "xfs_bmbt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_bmbt_maxlevels_ondisk())",
        source="fs/xfs/libxfs/xfs_bmap_btree.c:846 xfs_bmbt_init_cur_cache",
    ),
    "xfs_bnobt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_allocbt_maxlevels_ondisk())",
        source="fs/xfs/libxfs/xfs_alloc_btree.c:605 xfs_allocbt_init_cur_cache",
    ),
    "xfs_bud_item": Creation(
        struct="xfs_bud_log_item", source="fs/xfs/xfs_super.c:2430 xfs_init_caches"
    ),
    "xfs_buf": Creation(
        struct="xfs_buf",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_RECLAIM_ACCOUNT"),
        source="fs/xfs/xfs_super.c:2317 xfs_init_caches",
    ),
    "xfs_buf_item": Creation(
        struct="xfs_buf_log_item", source="fs/xfs/xfs_super.c:2366 xfs_init_caches"
    ),
    "xfs_bui_item": Creation(
        runtime="flex: xfs_bui_log_item_sizeof(XFS_BUI_MAX_FAST_EXTENTS)",
        source="fs/xfs/xfs_super.c:2436 xfs_init_caches",
    ),
    "xfs_cud_item": Creation(
        struct="xfs_cud_log_item", source="fs/xfs/xfs_super.c:2418 xfs_init_caches"
    ),
    "xfs_cui_item": Creation(
        runtime="flex: xfs_cui_log_item_sizeof(XFS_CUI_MAX_FAST_EXTENTS)",
        source="fs/xfs/xfs_super.c:2424 xfs_init_caches",
    ),
    "xfs_da_state": Creation(
        struct="xfs_da_state", source="fs/xfs/xfs_super.c:2342 xfs_init_caches"
    ),
    "xfs_defer_pending": Creation(
        struct="xfs_defer_pending", source="fs/xfs/libxfs/xfs_defer.c:1153 xfs_defer_init_cache"
    ),
    "xfs_efd_item": Creation(
        runtime="flex: xfs_efd_log_item_sizeof(XFS_EFD_MAX_FAST_EXTENTS)",
        source="fs/xfs/xfs_super.c:2372 xfs_init_caches",
    ),
    "xfs_efi_item": Creation(
        runtime="flex: xfs_efi_log_item_sizeof(XFS_EFI_MAX_FAST_EXTENTS)",
        source="fs/xfs/xfs_super.c:2378 xfs_init_caches",
    ),
    "xfs_exchmaps_intent": Creation(
        struct="xfs_exchmaps_intent",
        source="fs/xfs/libxfs/xfs_exchmaps.c:936 xfs_exchmaps_intent_init_cache",
    ),
    "xfs_extfree_intent": Creation(
        struct="xfs_extent_free_item",
        source="fs/xfs/libxfs/xfs_alloc.c:4180 xfs_extfree_intent_init_cache",
    ),
    "xfs_icr": Creation(
        struct="xfs_icreate_item", source="fs/xfs/xfs_super.c:2400 xfs_init_caches"
    ),
    "xfs_ifork": Creation(struct="xfs_ifork", source="fs/xfs/xfs_super.c:2348 xfs_init_caches"),
    "xfs_ili": Creation(
        struct="xfs_inode_log_item",
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/xfs/xfs_super.c:2393 xfs_init_caches",
    ),
    "xfs_inobt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_inobt_maxlevels_ondisk())",
        source="fs/xfs/libxfs/xfs_ialloc_btree.c:824 xfs_inobt_init_cur_cache",
    ),
    "xfs_iul_item": Creation(
        struct="xfs_iunlink_item", source="fs/xfs/xfs_super.c:2454 xfs_init_caches"
    ),
    "xfs_log_ticket": Creation(
        struct="xlog_ticket", source="fs/xfs/xfs_super.c:2324 xfs_init_caches"
    ),
    "xfs_parent_args": Creation(
        struct="xfs_parent_args", source="fs/xfs/xfs_super.c:2472 xfs_init_caches"
    ),
    "xfs_refc_intent": Creation(
        struct="xfs_refcount_intent",
        source="fs/xfs/libxfs/xfs_refcount.c:2233 xfs_refcount_intent_init_cache",
    ),
    "xfs_refcbt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_refcountbt_maxlevels_ondisk()",
        source="fs/xfs/libxfs/xfs_refcount_btree.c:529 xfs_refcountbt_init_cur_cache",
    ),
    "xfs_rmap_intent": Creation(
        struct="xfs_rmap_intent", source="fs/xfs/libxfs/xfs_rmap.c:3130 xfs_rmap_intent_init_cache"
    ),
    "xfs_rmapbt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_rmapbt_maxlevels_ondisk())",
        source="fs/xfs/libxfs/xfs_rmap_btree.c:858 xfs_rmapbt_init_cur_cache",
    ),
    "xfs_rtrefcountbt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof( xfs_rtrefcountbt_maxlevels_ondis",
        source="fs/xfs/libxfs/xfs_rtrefcount_btree.c:499 xfs_rtrefcountbt_init_cur_cache",
    ),
    "xfs_rtrmapbt_cur": Creation(
        runtime="flex: xfs_btree_cur_sizeof(xfs_rtrmapbt_maxlevels_ondisk())",
        source="fs/xfs/libxfs/xfs_rtrmap_btree.c:728 xfs_rtrmapbt_init_cur_cache",
    ),
    "xfs_rud_item": Creation(
        struct="xfs_rud_log_item", source="fs/xfs/xfs_super.c:2406 xfs_init_caches"
    ),
    "xfs_rui_item": Creation(
        runtime="flex: xfs_rui_log_item_sizeof(XFS_RUI_MAX_FAST_EXTENTS)",
        source="fs/xfs/xfs_super.c:2412 xfs_init_caches",
    ),
    "xfs_trans": Creation(struct="xfs_trans", source="fs/xfs/xfs_super.c:2354 xfs_init_caches"),
    "xfs_xmd_item": Creation(
        struct="xfs_xmd_log_item", source="fs/xfs/xfs_super.c:2460 xfs_init_caches"
    ),
    "xfs_xmi_item": Creation(
        struct="xfs_xmi_log_item", source="fs/xfs/xfs_super.c:2466 xfs_init_caches"
    ),
    "xsk_generic_xmit_cache": Creation(
        struct="xsk_addrs", flags=("SLAB_HWCACHE_ALIGN",), source="net/xdp/xsk.c:1939 xsk_init"
    ),
    "xt_hashlimit": Creation(
        struct="dsthash_ent", source="net/netfilter/xt_hashlimit.c:1307 hashlimit_mt_init"
    ),
}

# sgpool and biovec are sized alike in every modelled SLUB version; the rest is 6.18's
CREATIONS: dict[str, dict[str, Creation]] = {
    **{v: _SIZED_FAMILIES for v in ("v5.10", "v5.15", "v6.6")},
    "v6.1": CREATIONS_V6_1,
    "v6.12": CREATIONS_V6_12,
    "v6.18": CREATIONS_V6_18,
    # slabhw/creations_v7_0.py: the calls 7.0 and 7.1 changed
    "v7.0": CREATIONS_V6_18 | CHANGES_V7_0 | UBUNTU_V7_0 | MFC_ACCOUNTED_V7_0,
    "v7.1": {n: c for n, c in (CREATIONS_V6_18 | CHANGES_V7_0).items() if n not in REMOVED_V7_1}
    | CHANGES_V7_1,
}
# the stable releases of a line that changed creation calls (newest rules in the table)
CREATION_BACKPORTS: dict[str, list[CreationBackport]] = {
    "v6.1": CREATION_BACKPORTS_V6_1,
    "v6.12": CREATION_BACKPORTS_V6_12,
    "v7.0": [
        CreationBackport(
            14,  # seen in 7.0.14; the first 7.0.y with it is not verified
            {n: CREATIONS_V6_18[n] for n in MFC_ACCOUNTED_V7_0},
            "ipmr: account multicast table and route memory",
        )
    ],
}


def creations_for(preset: KernelPreset) -> dict[str, Creation]:
    """The catalogue's creation calls as the preset's stable release makes them: the
    line's table, with the calls of backports later than its sublevel undone."""
    table = CREATIONS.get(preset.name, {})
    for b in sorted(CREATION_BACKPORTS.get(preset.name, []), key=lambda b: -b.sublevel):
        if preset.sublevel < b.sublevel:
            table = table | b.before
    return table
