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

# The caches of Ubuntu 26.04's 7.0.0-44 kernel that 6.18's table does not list (read in
# the 7.0.0 tree; apparmor_auditcache is an Ubuntu patch, read in an Ubuntu tree): with
# them, its alias links are predicted from BTF but for the runtime-sized ones.
UBUNTU_V7_0: dict[str, Creation] = {
    # Ubuntu SAUCE ("apparmor: setup slab cache for audit data"), security/apparmor/lsm.c
    # apparmor_init: kmem_cache_create("apparmor_auditcache", sizeof(struct aa_audit_node), 0,
    # SLAB_PANIC, NULL); not in 7.0.0; CONFIG_SECURITY_APPARMOR=y (BTF: aa_audit_node 344)
    "apparmor_auditcache": Creation(
        struct="aa_audit_node",
        flags=("SLAB_PANIC",),
        source="security/apparmor/lsm.c apparmor_init (Ubuntu SAUCE)",
    ),
    # KMEM_CACHE(bio_crypt_ctx, 0); CONFIG_BLK_INLINE_ENCRYPTION=y
    "bio_crypt_ctx": Creation(
        struct="bio_crypt_ctx",
        align=NATURAL,
        source="block/blk-crypto.c:71 bio_crypt_ctx_init",
    ),
    # kmem_cache_create("bio_integrity_data", sizeof(struct bio_integrity_data), 0,
    # SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL); CONFIG_BLK_DEV_INTEGRITY=y
    "bio_integrity_data": Creation(
        struct="bio_integrity_data",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="block/bio-integrity-auto.c:174 blk_integrity_auto_init",
    ),
    # kmem_cache_create("btree_node", NODESIZE, 0, SLAB_HWCACHE_ALIGN, NULL); NODESIZE =
    # MAX(L1_CACHE_BYTES, 128) = 128 on x86_64 (L1 64); CONFIG_BTREE=y
    "btree_node": Creation(
        size=128,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="lib/btree.c:780 btree_module_init",
    ),
    # kmem_cache_create("configfs_dir_cache", sizeof(struct configfs_dirent), 0, 0, NULL);
    # CONFIG_CONFIGFS_FS=y
    "configfs_dir_cache": Creation(
        struct="configfs_dirent",
        source="fs/configfs/mount.c:140 configfs_init",
    ),
    # KMEM_CACHE(dio, SLAB_PANIC); always built (CONFIG_BLOCK=y)
    "dio": Creation(
        struct="dio",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/direct-io.c:1320 dio_init",
    ),
    # KMEM_CACHE(dm_uevent, 0); CONFIG_BLK_DEV_DM=y, CONFIG_DM_UEVENT=y (dm-mod, dm.c _inits)
    "dm_uevent": Creation(
        struct="dm_uevent",
        align=NATURAL,
        source="drivers/md/dm-uevent.c:194 dm_uevent_init",
    ),
    # kmem_cache_create(p->name, sizeof(struct dmaengine_unmap_data) + sizeof(dma_addr_t) * 128,
    # 0, SLAB_HWCACHE_ALIGN, NULL); CONFIG_DMA_ENGINE=y, CONFIG_DMA_ENGINE_RAID=y (x86_64: 1056)
    "dmaengine-unmap-128": Creation(
        runtime="flex: sizeof(struct dmaengine_unmap_data) + sizeof(dma_addr_t) * 128",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1439 dmaengine_init_unmap_pool",
    ),
    # the same call with 16 addresses; CONFIG_DMA_ENGINE_RAID=y (x86_64: 160)
    "dmaengine-unmap-16": Creation(
        runtime="flex: sizeof(struct dmaengine_unmap_data) + sizeof(dma_addr_t) * 16",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1439 dmaengine_init_unmap_pool",
    ),
    # the same call with 256 addresses; CONFIG_DMA_ENGINE_RAID=y (x86_64: 2080)
    "dmaengine-unmap-256": Creation(
        runtime="flex: sizeof(struct dmaengine_unmap_data) + sizeof(dma_addr_t) * 256",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1439 dmaengine_init_unmap_pool",
    ),
    # ecryptfs_cache_infos[] -> kmem_cache_create(info->name, info->size, 0,
    # SLAB_HWCACHE_ALIGN | info->flags, info->ctor): sizeof(struct ecryptfs_auth_tok_list_item),
    # no flags, no ctor; CONFIG_ECRYPT_FS=y
    "ecryptfs_auth_tok_list_item": Creation(
        struct="ecryptfs_auth_tok_list_item",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_file_info); CONFIG_ECRYPT_FS=y
    "ecryptfs_file_cache": Creation(
        struct="ecryptfs_file_info",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_global_auth_tok); CONFIG_ECRYPT_FS=y
    "ecryptfs_global_auth_tok_cache": Creation(
        struct="ecryptfs_global_auth_tok",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: .size = PAGE_SIZE; CONFIG_ECRYPT_FS=y
    "ecryptfs_headers": Creation(
        size_expr="PAGE_SIZE",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_key_record); CONFIG_ECRYPT_FS=y
    "ecryptfs_key_record_cache": Creation(
        struct="ecryptfs_key_record",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_key_sig); CONFIG_ECRYPT_FS=y
    "ecryptfs_key_sig_cache": Creation(
        struct="ecryptfs_key_sig",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_key_tfm); CONFIG_ECRYPT_FS=y
    "ecryptfs_key_tfm_cache": Creation(
        struct="ecryptfs_key_tfm",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: sizeof(struct ecryptfs_sb_info); CONFIG_ECRYPT_FS=y
    "ecryptfs_sb_cache": Creation(
        struct="ecryptfs_sb_info",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # ecryptfs_cache_infos[]: .size = PAGE_SIZE; CONFIG_ECRYPT_FS=y
    "ecryptfs_xattr_cache": Creation(
        size_expr="PAGE_SIZE",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/ecryptfs/main.c:746 ecryptfs_init_kmem_caches",
    ),
    # KMEM_CACHE(io, 0); struct io is __aligned(DM_IO_MAX_REGIONS = BITS_PER_LONG), so
    # __alignof__ is 64 on x86_64 (BTF does not record it: NATURAL would give 8);
    # CONFIG_BLK_DEV_DM=y (dm-io.o is in dm-mod)
    "io": Creation(
        struct="io",
        align=64,
        source="drivers/md/dm-io.c:529 dm_io_init",
    ),
    # kmem_cache_create("kcopyd_job", sizeof(struct kcopyd_job) * (SPLIT_COUNT + 1),
    # __alignof__(struct kcopyd_job), 0, NULL), SPLIT_COUNT = 8: 9 * sizeof, written as the
    # struct plus 8 more of itself (count/elem add count * sizeof(elem));
    # CONFIG_BLK_DEV_DM=y (dm-kcopyd.o is in dm-mod)
    "kcopyd_job": Creation(
        struct="kcopyd_job",
        count=8,
        elem="kcopyd_job",
        align=NATURAL,
        source="drivers/md/dm-kcopyd.c:395 dm_kcopyd_init",
    ),
    # kmem_cache_create("uhci_urb_priv", sizeof(struct urb_priv), 0, 0, NULL); the uhci
    # urb_priv (drivers/usb/host/uhci-hcd.h:480) is 56 bytes on x86_64; a constant, as
    # vmlinux BTF has three built-in "struct urb_priv" (ohci 32, uhci 56, xhci 8 + flex)
    # that Btf.struct() rejects as ambiguous; CONFIG_USB_UHCI_HCD=y
    "uhci_urb_priv": Creation(
        size=56,
        source="drivers/usb/host/uhci-hcd.c:876 uhci_hcd_init",
    ),
    # KMEM_CACHE(user_event_enabler_fault, 0); CONFIG_USER_EVENTS=y
    "user_event_enabler_fault": Creation(
        struct="user_event_enabler_fault",
        align=NATURAL,
        source="kernel/trace/trace_events_user.c:2903 trace_events_user_init",
    ),
    # KMEM_CACHE(virtio_scsi_cmd, 0); CONFIG_SCSI_VIRTIO=y
    "virtio_scsi_cmd": Creation(
        struct="virtio_scsi_cmd",
        align=NATURAL,
        source="drivers/scsi/virtio_scsi.c:1069 virtio_scsi_init",
    ),
}
