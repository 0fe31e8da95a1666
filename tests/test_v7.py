"""Linux 7.0 and 7.1: creation arithmetic, boot caches and merging, each expectation
derived by hand from the 7.0.0 and 7.1.3 sources (mm/slub.c, mm/slab_common.c,
mm/slab.h, include/linux/slab.h) and written out below, not taken from slabhw."""

from __future__ import annotations

import pytest

import slabhw
from slabhw import _core
from slabhw import reference_slub as rs
from slabhw.config import KernelConfig
from slabhw.errors import EINVAL
from tests.helpers import run_main


def kernel(version: str = "v7.0", arch: str = "x86_64", **options: object) -> slabhw.SlubKernel:
    return slabhw.Kernel(version, arch, nr_cpus=2, **options)  # type: ignore[no-any-return]


def caches(k: slabhw.SlubKernel) -> dict[str, object]:
    return {s.name: s for s in k.slab_caches}


def create(version: str, size: int, **args: int) -> rs.SlubLayout:
    c = KernelConfig.build(version, "x86_64", nr_cpus=2)
    return _core.slub_create(c.slub_params(), rs.SlubArgs(size, **args))


@pytest.mark.parametrize("version", ["v7.0", "v7.1"])
def test_sheaf_capacity_of_the_kmalloc_caches(version: str) -> None:
    """calculate_sheaf_capacity(): 60, 26, 12 or 4 pointers for slots below 256,
    below 1024, below PAGE_SIZE and from it; struct slab_sheaf's header is 32 bytes
    (a 16-byte union, the cache pointer, unsigned int size, int node), so the
    sheaves are 32 + 480 = 512, 32 + 208 = 240 -> kmalloc-256, 32 + 96 = 128 and
    32 + 32 = 64 bytes, and the capacity grows to fill the bucket: (512 - 32) / 8 =
    60, (256 - 32) / 8 = 28, 12, 4.  The NORMAL and random copies get theirs in
    bootstrap_kmalloc_sheaves(), the rest at creation; the two boot caches have
    SLAB_NO_OBJ_EXT and none."""
    got = {name: s.sheaf_capacity for name, s in caches(kernel(version)).items()}  # type: ignore[attr-defined]
    expected = {
        "kmalloc-8": 60,
        "kmalloc-192": 60,
        "kmalloc-256": 28,
        "kmalloc-512": 28,
        "kmalloc-1k": 12,
        "kmalloc-2k": 12,
        "kmalloc-4k": 4,
        "kmalloc-8k": 4,
        "kmalloc-rnd-15-64": 60,
        "kmalloc-cg-1k": 12,
        "dma-kmalloc-256": 28,
        "kmalloc-rcl-4k": 4,
        "kmalloc_buckets": 60,  # 112 bytes, an ordinary cache
        "kmem_cache": 0,
        "kmem_cache_node": 0,
    }
    assert {name: got[name] for name in expected} == expected


def test_sheaf_capacity_on_32_bit() -> None:
    """i386: a 20-byte header and 4-byte pointers: 20 + 240 = 260 -> 512 gives 123;
    20 + 104 = 124 -> 128 gives 27; 20 + 48 = 68 -> 96 gives 19; 20 + 16 = 36 -> 64
    gives 11 (the spec's table)."""
    p = KernelConfig.build("v7.0", "i386", nr_cpus=2).slub_params()
    table = (p.sheaf_capacity_small, p.sheaf_capacity_256, p.sheaf_capacity_1k)
    assert table + (p.sheaf_capacity_page,) == (123, 27, 19, 11)


def test_explicit_sheaf_capacity_and_merging() -> None:
    """vma_state_init() asks for 32 in a cache of slab_size 192: max(60, 32) = 60;
    maple_node (256) asks for 32: max(28, 32) = 32.  __kmem_cache_create_args adds
    SLAB_NO_MERGE to such caches (7.0), so they are never merged; a cache that only
    has automatic sheaves is a merge target (6.18 refused any cache with sheaves)."""
    k = kernel()
    no_merge = k.flags["SLAB_NO_MERGE"]
    vma = k.kmem_cache_create("vma", 184, 0, "SLAB_HWCACHE_ALIGN", sheaf_capacity=32)
    maple = k.kmem_cache_create("maple", 256, 256, 0, sheaf_capacity=32)
    assert vma is not None and maple is not None
    assert (vma.size, vma.sheaf_capacity, maple.size, maple.sheaf_capacity) == (192, 60, 256, 32)
    assert vma.flags & no_merge and maple.flags & no_merge
    assert k.kmem_cache_create("vma2", 184, 0, "SLAB_HWCACHE_ALIGN") is not vma
    # automatic sheaves: the second 100-byte cache merges into the first (:0000104)
    a = k.kmem_cache_create("one", 100)
    b = k.kmem_cache_create("two", 100)
    assert a is b and a.sheaf_capacity == 60 and k.unique_id(a) == ":0000104"


def test_ctor_cache_may_place_its_free_pointer() -> None:
    """calculate_sizes() of 7.0: a constructor with kmem_cache_args.freeptr_offset
    keeps the free pointer inside (ext4_inode_cache): offset 16, slot ALIGN(1000, 8)
    = 1000.  Without an offset a constructor still moves it behind the object
    (offset 1000, slot 1008).  6.18's create_cache refused the offset without
    SLAB_TYPESAFE_BY_RCU: -EINVAL; 7.0 still refuses it without either, or past
    the object, or not word-aligned."""
    inside = create("v7.0", 1000, ctor=1, use_freeptr_offset=1, freeptr_offset=16)
    assert (inside.error, inside.offset, inside.size) == (0, 16, 1000)
    behind = create("v7.0", 1000, ctor=1)
    assert (behind.offset, behind.size) == (1000, 1008)
    assert create("v6.18", 1000, ctor=1, use_freeptr_offset=1, freeptr_offset=16).error == EINVAL
    assert create("v7.0", 1000, use_freeptr_offset=1, freeptr_offset=16).error == EINVAL
    assert create("v7.0", 1000, ctor=1, use_freeptr_offset=1, freeptr_offset=1000).error == EINVAL
    assert create("v7.0", 1000, ctor=1, use_freeptr_offset=1, freeptr_offset=12).error == EINVAL


def test_obj_ext_in_obj() -> None:
    """SLAB_OBJ_EXT_IN_OBJ (bit 20 of Ubuntu's configuration): set when the cache
    can never merge (slab_args_unmergeable: here its constructor) and the alignment
    padding holds a struct slabobj_ext (8 bytes, the objcg pointer).  A 100-byte
    object with a ctor: ALIGN(100, 8) = 104, the free pointer behind it -> 112,
    SLAB_HWCACHE_ALIGN pads to 128: 16 spare bytes, flag set, size unchanged.  The
    same without a ctor is mergeable: no flag.  With ALIGN 8 (no padding): no flag."""
    c = KernelConfig.build("v7.0", "x86_64", nr_cpus=2)
    in_obj, hw = c.flags["SLAB_OBJ_EXT_IN_OBJ"], c.flags["SLAB_HWCACHE_ALIGN"]
    assert in_obj == 1 << 20 and c.flags["SLAB_NO_OBJ_EXT"] == 1 << 19
    with_ctor = create("v7.0", 100, flags=hw, ctor=1)
    assert (with_ctor.size, with_ctor.flags) == (128, hw | in_obj)
    assert create("v7.0", 100, flags=hw).flags == hw
    assert create("v7.0", 100, ctor=1).flags == 0  # 112: no padding
    # 32-bit has no such bit (CONFIG_64BIT); SLAB_NO_OBJ_EXT takes one everywhere
    c32 = KernelConfig.build("v7.0", "i386", nr_cpus=2)
    assert c32.flags.get("SLAB_OBJ_EXT_IN_OBJ") == 0 and c32.flags["SLAB_NO_OBJ_EXT"]
    no_ext = KernelConfig.build("v7.0", "x86_64", nr_cpus=2, slab_obj_ext=False, memcg=False)
    assert no_ext.flags["SLAB_NO_OBJ_EXT"] and not no_ext.flags.get("SLAB_OBJ_EXT_IN_OBJ")


@pytest.mark.parametrize(
    "version, kmem_cache, kmem_cache_node",
    [
        # offsetof(struct kmem_cache, node) 208 + one 8-byte pointer = 216 -> 256
        # (HWCACHE_ALIGN, 16 a slab); struct kmem_cache_node 72 -> 128 (32 a slab)
        ("v7.0", (216, 256, 16), (72, 128, 32)),
        # 7.1: per_node[] of 16-byte {barn, node} entries: 224 -> 256; the node
        # struct lost its barn pointer: 64 bytes, 64 a slab
        ("v7.1", (224, 256, 16), (64, 64, 64)),
        ("v6.18", (232, 256, 16), (72, 128, 32)),
    ],
)
def test_boot_caches(
    version: str, kmem_cache: tuple[int, int, int], kmem_cache_node: tuple[int, int, int]
) -> None:
    d = caches(kernel(version))
    for name, want in (("kmem_cache", kmem_cache), ("kmem_cache_node", kmem_cache_node)):
        s = d[name]
        assert (s.object_size, s.size, s.objects) == want, name  # type: ignore[attr-defined]


def test_consistency_checks_stop_merging() -> None:
    """SLAB_NEVER_MERGE holds SLAB_DEBUG_FLAGS in 7.0: with slab_debug=F two caches
    of one size stay apart; 6.18 merges them under the unique id :F-0000104."""
    old = kernel("v6.18", slub_debug="F")
    assert old.kmem_cache_create("a", 100) is old.kmem_cache_create("b", 100)
    new = kernel(slub_debug="F")
    assert new.kmem_cache_create("a", 100) is not new.kmem_cache_create("b", 100)


def test_debug_caches_have_no_sheaves_and_no_cpu_partial() -> None:
    """A debug cache (slab_debug=U) gets capacity 0; no cache has per-CPU partial
    slabs any more: sysfs cpu_partial reads 0, and struct kmem_cache has no
    cpu_partial fields to show."""
    k = kernel(slub_debug="U")
    s = k.kmem_cache_create("c", 100)
    assert s is not None and s.sheaf_capacity == 0
    attrs = kernel().sysfs()["caches"]
    assert {a["attributes"]["cpu_partial"] for a in attrs.values()} == {"0"}


def test_ubuntu_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The 7.0 default is Ubuntu 26.04's configuration: RANDOM_KMALLOC_CACHES (15
    copies of each kmalloc size) and KFENCE (SLAB_SKIP_KFENCE at bit 15); no
    CONFIG_SLUB_CPU_PARTIAL to switch."""
    d = caches(kernel())
    assert "kmalloc-rnd-01-8" in d and "kmalloc-rnd-15-8k" in d
    assert KernelConfig.build("v7.0", "x86_64").flags["SLAB_SKIP_KFENCE"] == 1 << 15
    rc, _, err = run_main(
        ["create", "c", "64", "--kernel", "v7.0", "--no-slub-cpu-partial"], capsys
    )
    assert rc == 2 and "v7.0" in err


def test_boot_options_are_core_params() -> None:
    """7.0 reads slab_{min,max}_order and slab_min_objects with kstrtouint (base 0,
    nothing after the digits, no sign): "-1" and "12abc" are refused and the
    defaults stay, "0x1" is 1.  6.18's get_option() took "-1" as the int -1 (then
    MAX_PAGE_ORDER) and the 12 of "12abc"."""
    from slabhw.kconfig import boot_options
    from slabhw.versions import get_preset

    line = "slab_max_order=-1 slab_min_objects=12abc slab_min_order=0x1"
    assert boot_options(line, get_preset("v7.0").rules) == {"slub_min_order": 1}
    old = {"slub_max_order": -1, "slub_min_objects": 12, "slub_min_order": 1}
    assert boot_options(line, get_preset("v6.18").rules) == old
    big = boot_options("slab_max_order=4000000000", get_preset("v7.0").rules)
    assert KernelConfig.build("v7.0", "x86_64", **big).slub_orders[1] == 10  # MAX_PAGE_ORDER


def test_creation_calls_of_7x() -> None:
    """The catalogue of 7.x (creations_v7_0.py, read in the 7.0.0 and 7.1.3 trees):
    7.0 adds fsnotify_inode_mark_connector and the shared zsmalloc caches (zs_handle:
    8 bytes, zspage); 7.1 no longer creates UDP-Lite, UDPLITEv6 (the udplite files are
    gone) or pidfs_xattr_cache, and adds fs_bio_integrity; ext4's inodes and TCP's
    sockets place their free pointer (kmem_cache_args.freeptr_offset) from 7.0."""
    from slabhw.catalogue import CREATIONS, lookup

    v618, v70, v71 = CREATIONS["v6.18"], CREATIONS["v7.0"], CREATIONS["v7.1"]
    new = set(v70) - set(v618)
    assert {"fsnotify_inode_mark_connector", "zs_handle", "zspage"} <= new
    assert {"apparmor_auditcache", "ecryptfs_sb_cache", "dm_uevent"} <= new  # Ubuntu's
    assert v70["zs_handle"].size == 8
    assert {"UDP-Lite", "UDPLITEv6", "pidfs_xattr_cache"} & set(v71) == set()
    assert "fs_bio_integrity" in v71 and "UDP-Lite" in v70
    ext4 = lookup("v7.0", "ext4_inode_cache")
    assert ext4 is not None and ext4.freeptr_offset is not None
    old = lookup("v6.18", "ext4_inode_cache")
    assert old is None or old.freeptr_offset is None


@pytest.mark.parametrize(
    "name, caches, links",
    [
        ("ubuntu-7.0.14-amd64-smp1-default", 407, 151),
        # two CPUs: min_objects = 4 * (fls(2) + 1) = 12 where one CPU gives 8
        ("ubuntu-7.0.14-amd64-smp2-default", 407, 151),
        ("ubuntu-7.0.14-amd64-smp2-slab_nomerge", 480, 0),
        # every cache a debug cache: no sheaves, and SLAB_CONSISTENCY_CHECKS in
        # SLAB_NEVER_MERGE (7.0) leaves no alias at all
        ("ubuntu-7.0.14-amd64-smp2-slub_debug-FZPU", 480, 0),
    ],
)
def test_ubuntu_boots_match_every_check(name: str, caches: int, links: int) -> None:
    """Ubuntu 26.04's 7.0.0-44 (7.0.14) booted four ways (tests/data/README.md):
    every layout, sheaf capacity, tunable, alias count and slabinfo row as v7.0
    predicts them."""
    from pathlib import Path

    from slabhw import snapshot
    from slabhw.crosscheck import crosscheck

    snap = snapshot.load(str(Path(__file__).parent / "data" / f"{name}.json.gz"))
    report = crosscheck(snap)
    assert report.ok and report.mismatches == [], report.mismatches
    assert (len(snap["caches"]), len(snap["aliases"])) == (caches, links)
    if "FZPU" in name:
        assert {a["attributes"]["sheaf_capacity"] for a in snap["caches"].values()} == {"0"}


def test_ubuntu_26_04_kernel_matches_every_check() -> None:
    """Ubuntu 26.04's 7.0.0-44-generic (upstream 7.0.14; tests/data/README.md says
    how it was booted and captured): every cache's layout, sheaf capacity, cpu_partial
    0, alias count and slabinfo row, and the boot caches, as v7.0 predicts them; with
    the BTF facts of its own image, 142 of its 151 alias links predicted, all right
    (the 9 others are sized at run time: LSM blobs, dmaengine pools, ...).  The two
    multicast routing caches share cred's :A-0000192 because 7.0.y took "ipmr:
    account multicast table and route memory"; as 7.0.13 they would not."""
    from pathlib import Path

    from slabhw import snapshot
    from slabhw.crosscheck import crosscheck
    from tests.test_crosscheck import FactsBtf

    data = Path(__file__).parent / "data"
    snap = snapshot.load(str(data / "ubuntu-7.0.14-amd64-smp1-default.json.gz"))
    report = crosscheck(snap)
    assert report.ok and report.mismatches == []
    assert report.config.preset.release == "7.0.14" and len(snap["caches"]) == 407
    facts = FactsBtf(data / "btf-facts-ubuntu-7.0.14-amd64.json")
    report = crosscheck(snap, btf_index=facts)  # type: ignore[arg-type]
    summary = report.as_json()
    assert report.ok
    assert (summary["merges_total"], summary["merges_predicted"]) == (151, 142)
    assert summary["merges_matched"] == 142
    for name in ("mfc_cache", "mfc6_cache"):
        check = next(c for c in report.merge_checks if c.cache == f"merge {name}")
        assert check.predicted == check.seen == ":A-0000192"
    old = crosscheck(snap, "v7.0.13", btf_index=facts)  # type: ignore[arg-type]
    assert sorted(c.cache for c in old.merge_checks if not c.ok) == [
        "merge mfc6_cache",
        "merge mfc_cache",
    ]
    attrs = snap["caches"]["kmalloc-64"]["attributes"]
    assert (attrs["sheaf_capacity"], attrs["cpu_partial"], attrs["slabs_cpu_partial"]) == (
        "60",
        "0",
        "0(0)",
    )
