"""The creation calls of Linux 7.0 and 7.1 that differ from 6.18's (catalogue.py's
CREATIONS_V6_18), for merge predictions: read in the 7.0.0 tree (julianw1010/
WASP-linux-7.0.0 at its "Linux 7.0.0" commit 1d9f96d2d, before the fork's own
commits) and the 7.1.3 tree (rikudousennin22/linux-7.1.3; block/ from its first
commit 5e6bc1446), every call of the 6.18 table compared.  catalogue.py composes
the tables: 7.0 = 6.18 with CHANGES_V7_0; 7.1 = 7.0 without REMOVED_V7_1, with
CHANGES_V7_1.  Caches that never merge (a constructor, a usercopy window,
SLAB_TYPESAFE_BY_RCU) are not in these tables, as they are not in 6.18's; their
7.0 changes (ext4_inode_cache's and TCP's free pointer offsets) are in catalogue.V7_0.
"""

from __future__ import annotations

from .creation import NATURAL, Creation

CHANGES_V7_0: dict[str, Creation] = {
    # ---- entries of CREATIONS_V6_18 whose call changed ----
    # proto_register (net/core/sock.c) now builds kmem_cache_args {useroffset, usersize,
    # freeptr_offset = prot->freeptr_offset, use_freeptr_offset = !!prot->freeptr_offset} and calls
    # kmem_cache_create(prot->name, prot->obj_size, &args, SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT |
    # prot->slab_flags).  These protos set no freeptr_offset, useroffset or usersize: the inputs
    # are unchanged, only the call (and its line) is new.
    "AF_VSOCK": Creation(
        struct="vsock_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "PING": Creation(
        struct="inet_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "PINGv6": Creation(
        struct="raw6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UDP": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UDP-Lite": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UDPLITEv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UDPv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UNIX": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    "UNIX-STREAM": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4203 proto_register",
    ),
    # moved: 6.18 fs/notify/fsnotify.c:773 fsnotify_init; the same
    # KMEM_CACHE(fsnotify_mark_connector, SLAB_PANIC)
    "fsnotify_mark_connector": Creation(
        struct="fsnotify_mark_connector",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/mark.c:1123 fsnotify_init_connector_caches",
    ),
    # moved: 6.18 security/security.c:494 ordered_lsm_init; same call
    "lsm_file_cache": Creation(
        runtime="runtime: blob_sizes.lbs_file",
        flags=("SLAB_PANIC",),
        source="security/lsm_init.c:462 security_init",
    ),
    # moved: 6.18 security/security.c:498 ordered_lsm_init; same call
    "lsm_inode_cache": Creation(
        runtime="runtime: blob_sizes.lbs_inode",
        flags=("SLAB_PANIC",),
        source="security/lsm_init.c:466 security_init",
    ),
    # same call; skb_ext_total_length() now also counts SKB_EXT_CAN (struct can_skb_ext)
    # when IS_ENABLED(CONFIG_CAN): a larger size on kernels with CAN
    "skbuff_ext_cache": Creation(
        runtime="const_expr: SKB_EXT_ALIGN_VALUE * skb_ext_total_length()",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/core/skbuff.c:5163 skb_extensions_init",
    ),
    # ---- new caches of 7.0, created at boot, mergeable ----
    # new in 7.0: core_initcall fsnotify_init -> fsnotify_init_connector_caches (CONFIG_FSNOTIFY)
    "fsnotify_inode_mark_connector": Creation(
        struct="fsnotify_inode_mark_connector",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/mark.c:1125 fsnotify_init_connector_caches",
    ),
    # new in 7.0 (6.18 made per-pool "zs_handle-<pool>" in create_cache): ZS_HANDLE_SIZE =
    # sizeof(unsigned long); module_init zs_init, at boot when CONFIG_ZSMALLOC=y
    "zs_handle": Creation(
        size=8,
        source="mm/zsmalloc.c:2213 zs_init_caches",
    ),
    # new in 7.0 (6.18: per-pool "zspage-<pool>"); at boot when CONFIG_ZSMALLOC=y
    "zspage": Creation(
        struct="zspage",
        source="mm/zsmalloc.c:2215 zs_init_caches",
    ),
}

CHANGES_V7_1: dict[str, Creation] = {
    # ---- new caches of 7.1, created at boot ----
    # new in 7.1: fs_initcall, CONFIG_BLK_DEV_INTEGRITY (read in the 7.1.3 mirror's
    # first commit 5e6bc1446: its HEAD has no block/ directory)
    "fs_bio_integrity": Creation(
        struct="fs_bio_integrity_buf",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="block/bio-integrity-fs.c:77 fs_bio_integrity_init",
    ),
    # new in 7.1, only when an active LSM asks for a backing-file blob (only SELinux sets
    # lbs_backing_file in 7.1.3): not on an AppArmor-only boot
    "lsm_backing_file_cache": Creation(
        runtime="runtime: blob_sizes.lbs_backing_file",
        flags=("SLAB_PANIC",),
        source="security/lsm_init.c:470 security_init",
    ),
}

REMOVED_V7_1: tuple[str, ...] = ("pidfs_xattr_cache", "UDP-Lite", "UDPLITEv6")

# The stable releases of 7.0 that changed creation calls.  Ubuntu 26.04's 7.0.0-44
# (upstream 7.0.14, booted under QEMU) links mfc_cache and mfc6_cache to a
# SLAB_ACCOUNT cache: 7.0.y took "ipmr: account multicast table and route memory"
# (as 6.1.191 and 6.12.112 did).  7.0.0 lacks it; which 7.0.y first had it is not
# verified (by 7.0.14), and 7.1.3's tree lacks it too.
MFC_ACCOUNTED_V7_0: dict[str, Creation] = {
    "mfc_cache": Creation(
        struct="mfc_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/ipmr.c ip_mr_init (7.0.14: accounted)",
    ),
    "mfc6_cache": Creation(
        struct="mfc6_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/ip6mr.c ip6_mr_init (7.0.14: accounted)",
    ),
}
