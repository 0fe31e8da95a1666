"""The creation calls of the caches Debian's 6.12.117 (amd64) merged, read in the 6.12.y
tree (6.12.94) and checked against every kmem_cache_create call compiled into
Debian's image: type, flex tail, flags, alignment and source line.  mfc_cache and
mfc6_cache are as 6.12.112 made them (SLAB_ACCOUNT): the older calls are a
CreationBackport."""

from __future__ import annotations

from .creation import NATURAL, Creation, CreationBackport

CREATIONS_V6_12: dict[str, Creation] = {
    "Acpi-Namespace": Creation(
        struct="acpi_namespace_node", source="drivers/acpi/osl.c:1552 acpi_os_create_cache"
    ),
    "Acpi-Operand": Creation(
        struct="acpi_operand_object", source="drivers/acpi/osl.c:1552 acpi_os_create_cache"
    ),
    "Acpi-Parse": Creation(
        struct="acpi_parse_obj_common", source="drivers/acpi/osl.c:1552 acpi_os_create_cache"
    ),
    "Acpi-ParseExt": Creation(
        struct="acpi_parse_obj_named", source="drivers/acpi/osl.c:1552 acpi_os_create_cache"
    ),
    "Acpi-State": Creation(
        struct="acpi_generic_state", source="drivers/acpi/osl.c:1552 acpi_os_create_cache"
    ),
    "PING": Creation(
        struct="inet_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "PINGv6": Creation(
        struct="raw6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UDP": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UDP-Lite": Creation(
        struct="udp_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UDPLITEv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UDPv6": Creation(
        struct="udp6_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UNIX": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
    ),
    "UNIX-STREAM": Creation(
        struct="unix_sock",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/core/sock.c:4081 proto_register",
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
        source="mm/rmap.c:466 anon_vma_init",
    ),
    "audit_buffer": Creation(
        struct="audit_buffer",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/audit.c:1700 audit_init",
    ),
    "audit_tree_mark": Creation(
        struct="audit_tree_mark",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/audit_tree.c:1075 audit_tree_init",
    ),
    "backing_aio": Creation(
        struct="backing_aio",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="fs/backing-file.c:354 backing_aio_init",
    ),
    "bio_integrity_payload": Creation(
        struct="bio_integrity_payload",
        count=4,
        elem="bio_vec",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="block/bio-integrity.c:621 bio_integrity_init",
    ),
    "biovec-128": Creation(
        size=2048, flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"), source="block/bio.c:1918 init_bio"
    ),
    "biovec-16": Creation(
        size=256, flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"), source="block/bio.c:1918 init_bio"
    ),
    "biovec-64": Creation(
        size=1024, flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"), source="block/bio.c:1918 init_bio"
    ),
    "biovec-max": Creation(
        size=4096, flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"), source="block/bio.c:1918 init_bio"
    ),
    "blkdev_ioc": Creation(
        struct="io_context", flags=("SLAB_PANIC",), source="block/blk-ioc.c:449 blk_ioc_init"
    ),
    "btree_node": Creation(
        size=128, flags=("SLAB_HWCACHE_ALIGN",), source="lib/btree.c:780 btree_module_init"
    ),
    "buffer_head": Creation(
        struct="buffer_head",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT", "SLAB_PANIC"),
        source="fs/buffer.c:3176 buffer_init",
    ),
    "cred": Creation(
        struct="cred",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/cred.c:609 cred_init",
    ),
    "damon_region": Creation(
        struct="damon_region", align=NATURAL, source="mm/damon/core.c:2273 damon_init"
    ),
    "dio": Creation(
        struct="dio", align=NATURAL, flags=("SLAB_PANIC",), source="fs/direct-io.c:1320 dio_init"
    ),
    "dmaengine-unmap-128": Creation(
        size=1056,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1409 dmaengine_init_unmap_pool",
    ),
    "dmaengine-unmap-16": Creation(
        size=160,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1409 dmaengine_init_unmap_pool",
    ),
    "dmaengine-unmap-2": Creation(
        size=48,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1409 dmaengine_init_unmap_pool",
    ),
    "dmaengine-unmap-256": Creation(
        size=2080,
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/dma/dmaengine.c:1409 dmaengine_init_unmap_pool",
    ),
    "dnotify_mark": Creation(
        struct="dnotify_mark",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/dnotify/dnotify.c:407 dnotify_init",
    ),
    "dnotify_struct": Creation(
        struct="dnotify_struct",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/dnotify/dnotify.c:405 dnotify_init",
    ),
    "dquot": Creation(
        struct="dquot",
        align_expr="sizeof(unsigned long) * 4",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_RECLAIM_ACCOUNT", "SLAB_PANIC"),
        source="fs/quota/dquot.c:3033 dquot_init",
    ),
    "ep_head": Creation(
        struct="epitems_head",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2559 eventpoll_init",
    ),
    "eventpoll_epi": Creation(
        struct="epitem",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2551 eventpoll_init",
    ),
    "eventpoll_pwq": Creation(
        struct="eppoll_entry",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/eventpoll.c:2555 eventpoll_init",
    ),
    "fanotify_fid_event": Creation(
        struct="fanotify_fid_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:1962 fanotify_user_setup",
    ),
    "fanotify_mark": Creation(
        struct="fanotify_mark",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/notify/fanotify/fanotify_user.c:1960 fanotify_user_setup",
    ),
    "fanotify_path_event": Creation(
        struct="fanotify_path_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:1964 fanotify_user_setup",
    ),
    "fanotify_perm_event": Creation(
        struct="fanotify_perm_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fanotify/fanotify_user.c:1968 fanotify_user_setup",
    ),
    "fasync_cache": Creation(
        struct="fasync_struct",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/fcntl.c:1171 fcntl_init",
    ),
    "fib6_node": Creation(
        struct="fib6_node",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/ip6_fib.c:2529 fib6_init",
    ),
    "file_lease_cache": Creation(
        struct="file_lease", flags=("SLAB_PANIC",), source="fs/locks.c:2999 filelock_init"
    ),
    "file_lock_cache": Creation(
        struct="file_lock", flags=("SLAB_PANIC",), source="fs/locks.c:2996 filelock_init"
    ),
    "file_lock_ctx": Creation(
        struct="file_lock_context", flags=("SLAB_PANIC",), source="fs/locks.c:2993 filelock_init"
    ),
    "files_cache": Creation(
        struct="files_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:3200 proc_caches_init",
    ),
    "fs_cache": Creation(
        struct="fs_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:3204 proc_caches_init",
    ),
    "fscrypt_inode_info": Creation(
        struct="fscrypt_inode_info",
        align=NATURAL,
        flags=("SLAB_RECLAIM_ACCOUNT",),
        source="fs/crypto/crypto.c:412 fscrypt_init",
    ),
    "fsnotify_mark_connector": Creation(
        struct="fsnotify_mark_connector",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="fs/notify/fsnotify.c:643 fsnotify_init",
    ),
    "ftrace_event_field": Creation(
        struct="ftrace_event_field",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/trace/trace_events.c:4175 event_trace_memsetup",
    ),
    "fuse_request": Creation(struct="fuse_req", source="fs/fuse/dev.c:2490 fuse_dev_init"),
    "gpu_buddy_block": Creation(
        struct="gpu_buddy_block", align=NATURAL, source="drivers/gpu/buddy.c gpu_buddy_module_init"
    ),
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
        source="fs/notify/inotify/inotify_user.c:858 inotify_user_setup",
    ),
    "iommu_iova": Creation(
        struct="iova",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/iommu/iova.c:953 iova_cache_get",
    ),
    "iommu_iova_magazine": Creation(
        struct="iova_magazine",
        flags=("SLAB_HWCACHE_ALIGN",),
        source="drivers/iommu/iova.c:958 iova_cache_get",
    ),
    "ip4-frags": Creation(struct="ipq", source="net/ipv4/inet_fragment.c:107 inet_frags_init"),
    "ip6-frags": Creation(
        struct="frag_queue", source="net/ipv4/inet_fragment.c:107 inet_frags_init"
    ),
    "ip6_dst_cache": Creation(
        struct="rt6_info",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/route.c:6775 ip6_route_init",
    ),
    "ip_fib_alias": Creation(
        struct="fib_alias",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/fib_trie.c:2381 fib_trie_init",
    ),
    "ip_fib_trie": Creation(
        size=48,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/fib_trie.c:2385 fib_trie_init",
    ),
    "kernfs_iattrs_cache": Creation(
        struct="kernfs_iattrs", flags=("SLAB_PANIC",), source="fs/kernfs/mount.c:429 kernfs_init"
    ),
    "kernfs_node_cache": Creation(
        struct="kernfs_node", flags=("SLAB_PANIC",), source="fs/kernfs/mount.c:424 kernfs_init"
    ),
    "key_jar": Creation(
        struct="key",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="security/keys/key.c:1276 key_init",
    ),
    "khugepaged_mm_slot": Creation(
        struct="khugepaged_mm_slot", align=NATURAL, source="mm/khugepaged.c:388 khugepaged_init"
    ),
    "kioctx": Creation(
        struct="kioctx",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="fs/aio.c:302 aio_setup",
    ),
    "ksm_mm_slot": Creation(
        struct="ksm_mm_slot", align=NATURAL, source="mm/ksm.c:501 ksm_slab_init"
    ),
    "ksm_rmap_item": Creation(
        struct="ksm_rmap_item", align=NATURAL, source="mm/ksm.c:493 ksm_slab_init"
    ),
    "ksm_stable_node": Creation(
        struct="ksm_stable_node", align=NATURAL, source="mm/ksm.c:497 ksm_slab_init"
    ),
    "lsm_file_cache": Creation(
        runtime="runtime: blob_sizes.lbs_file (sum of the file blobs of the LSMs enable",
        flags=("SLAB_PANIC",),
        source="security/security.c:490 ordered_lsm_init",
    ),
    "lsm_inode_cache": Creation(
        runtime="runtime: blob_sizes.lbs_inode (sum of the inode blobs of the LSMs enab",
        flags=("SLAB_PANIC",),
        source="security/security.c:494 ordered_lsm_init",
    ),
    "maple_node": Creation(
        struct="maple_node",
        align=256,
        flags=("SLAB_PANIC",),
        source="lib/maple_tree.c:6308 maple_tree_init",
    ),
    "mfc6_cache": Creation(
        struct="mfc6_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT"),
        source="net/ipv6/ip6mr.c:1390 ip6_mr_init",
    ),
    "mfc_cache": Creation(
        struct="mfc_cache",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/ipmr.c:3162 ip_mr_init",
    ),
    "mnt_cache": Creation(
        struct="mount",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="fs/namespace.c:5617 mnt_init",
    ),
    "net_namespace": Creation(
        struct="net",
        align_expr="SMP_CACHE_BYTES",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/core/net_namespace.c:1185 net_ns_init",
    ),
    "nsproxy": Creation(
        struct="nsproxy",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/nsproxy.c:588 nsproxy_cache_init",
    ),
    "numa_policy": Creation(
        struct="mempolicy", flags=("SLAB_PANIC",), source="mm/mempolicy.c:3099 numa_policy_init"
    ),
    "pde_opener": Creation(
        struct="pde_opener",
        flags=("SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/proc/inode.c:99 proc_init_kmemcache",
    ),
    "perf_event": Creation(
        struct="perf_event",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/events/core.c:14282 perf_event_init",
    ),
    "pid": Creation(
        struct="pid",
        count=1,
        elem="upid",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/pid.c:661 pid_idr_init",
    ),
    "pid_namespace": Creation(
        struct="pid_namespace",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/pid_namespace.c:450 pid_namespaces_init",
    ),
    "pool_workqueue": Creation(
        struct="pool_workqueue",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/workqueue.c:7808 workqueue_init_early",
    ),
    "posix_timers_cache": Creation(
        struct="k_itimer",
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/time/posix-timers.c:226 init_posix_timers",
    ),
    "request_queue": Creation(
        struct="request_queue",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="block/blk-core.c:1273 blk_dev_init",
    ),
    "rtable": Creation(
        struct="rtable",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/ipv4/route.c:3709 ip_rt_init",
    ),
    "seq_file": Creation(
        struct="seq_file",
        align=NATURAL,
        flags=("SLAB_ACCOUNT", "SLAB_PANIC"),
        source="fs/seq_file.c:1142 seq_file_init",
    ),
    "sgpool-128": Creation(
        size=4096, flags=("SLAB_HWCACHE_ALIGN",), source="lib/sg_pool.c:150 sg_pool_init"
    ),
    "sgpool-16": Creation(
        size=512, flags=("SLAB_HWCACHE_ALIGN",), source="lib/sg_pool.c:150 sg_pool_init"
    ),
    "sgpool-32": Creation(
        size=1024, flags=("SLAB_HWCACHE_ALIGN",), source="lib/sg_pool.c:150 sg_pool_init"
    ),
    "sgpool-64": Creation(
        size=2048, flags=("SLAB_HWCACHE_ALIGN",), source="lib/sg_pool.c:150 sg_pool_init"
    ),
    "sgpool-8": Creation(
        size=256, flags=("SLAB_HWCACHE_ALIGN",), source="lib/sg_pool.c:150 sg_pool_init"
    ),
    "shared_policy_node": Creation(
        struct="sp_node", flags=("SLAB_PANIC",), source="mm/mempolicy.c:3103 numa_policy_init"
    ),
    "signal_cache": Creation(
        struct="signal_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:3196 proc_caches_init",
    ),
    "sigqueue": Creation(
        struct="sigqueue",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/signal.c:4865 signals_init",
    ),
    "skbuff_ext_cache": Creation(
        size=160,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/core/skbuff.c:5103 skb_extensions_init",
    ),
    "skbuff_fclone_cache": Creation(
        struct="sk_buff_fclones",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/core/skbuff.c:5133 skb_init",
    ),
    "task_delay_info": Creation(
        struct="task_delay_info",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/delayacct.c:41 delayacct_init",
    ),
    "task_group": Creation(
        struct="task_group", align=NATURAL, source="kernel/sched/core.c:8459 sched_init"
    ),
    "taskstats": Creation(
        struct="taskstats",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/taskstats.c:700 taskstats_init_early",
    ),
    "tcp_bind2_bucket": Creation(
        struct="inet_bind2_bucket",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/tcp.c:5111 tcp_init",
    ),
    "tcp_bind_bucket": Creation(
        struct="inet_bind_bucket",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_ACCOUNT"),
        source="net/ipv4/tcp.c:5105 tcp_init",
    ),
    "trace_event_file": Creation(
        struct="trace_event_file",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="kernel/trace/trace_events.c:4176 event_trace_memsetup",
    ),
    "uid_cache": Creation(
        struct="user_struct",
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="kernel/user.c:249 uid_cache_init",
    ),
    "user_namespace": Creation(
        struct="user_namespace",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/user_namespace.c:1407 user_namespaces_init",
    ),
    "vm_area_struct": Creation(
        struct="vm_area_struct",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:3209 proc_caches_init",
    ),
    "vma_lock": Creation(
        struct="vma_lock",
        align=NATURAL,
        flags=("SLAB_PANIC", "SLAB_ACCOUNT"),
        source="kernel/fork.c:3211 proc_caches_init",
    ),
    "vmap_area": Creation(
        struct="vmap_area",
        align=NATURAL,
        flags=("SLAB_PANIC",),
        source="mm/vmalloc.c:5224 vmalloc_init",
    ),
    "xfrm_dst": Creation(
        struct="xfrm_dst",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/xfrm/xfrm_policy.c:4203 xfrm_policy_init",
    ),
    "xfrm_state": Creation(
        struct="xfrm_state",
        align=NATURAL,
        flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
        source="net/xfrm/xfrm_state.c:3182 xfrm_state_init",
    ),
}

# stable 6.12.112 took "ipmr: account multicast table and route memory"
# (CVE-2026-97939; Debian's changelog, linux 6.12.113-1): the multicast routing caches
# gained SLAB_ACCOUNT.  Before it (6.12.94: net/ipv4/ipmr.c:3162, net/ipv6/ip6mr.c:1390)
# they merged with the unaccounted caches of their size.
CREATION_BACKPORTS_V6_12 = [
    CreationBackport(
        112,
        {
            "mfc_cache": Creation(
                struct="mfc_cache",
                align=NATURAL,
                flags=("SLAB_HWCACHE_ALIGN", "SLAB_PANIC"),
                source="net/ipv4/ipmr.c:3162 ip_mr_init",
            ),
            "mfc6_cache": Creation(
                struct="mfc6_cache",
                align=NATURAL,
                flags=("SLAB_HWCACHE_ALIGN",),
                source="net/ipv6/ip6mr.c:1390 ip6_mr_init",
            ),
        },
        "ipmr: account multicast table and route memory",
    )
]
