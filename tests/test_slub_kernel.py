"""The simulated 6.18 SLUB kernel: boot caches against the captured kernel, merging
and aliases, kmalloc selection, sysfs and slabinfo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from slabhw import Kernel, KernelPanic
from slabhw.crosscheck import crosscheck
from slabhw.errors import EINVAL, InputError
from slabhw.kconfig import config_from_snapshot
from slabhw.slab_common import ZERO_SIZE, kmalloc_size_name
from slabhw.slub import SlubKernel

SNAPSHOT = Path(__file__).parent / "data" / "x86_64-6.18-snapshot.json"


@pytest.fixture(scope="module")
def snap() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text())


def boot(**options: Any) -> SlubKernel:
    options.setdefault("nr_cpus", 2)
    k = Kernel("v6.18", "x86_64", **options)
    assert isinstance(k, SlubKernel)
    return k


def test_boot_caches_match_the_captured_kernel(snap: dict[str, Any]) -> None:
    """kmem_cache_init + create_kmalloc_caches + kmalloc_buckets: 55 caches whose every
    static attribute equals the running kernel's, in the kernel's creation order."""
    k = Kernel(config=config_from_snapshot(snap))
    sim = k.sysfs()
    assert len(sim["caches"]) == 55
    for directory, entry in sim["caches"].items():
        seen = snap["caches"][directory]["attributes"]
        for attr, value in entry["attributes"].items():
            if attr not in ("objects", "total_objects", "slabs", "partial", "ctor"):
                assert seen[attr] == value, (directory, attr)
    live = [line.split()[:6] for line in snap["slabinfo"].splitlines()[2:]][-55:]
    ours = [line.split()[:6] for line in k.slabinfo().splitlines()[2:]]
    assert [(r[0], r[3:]) for r in live] == [(r[0], r[3:]) for r in ours]
    names = [s.name for s in reversed(k.slab_caches)]
    assert names[:4] == ["kmem_cache", "kmem_cache_node", "kmalloc-96", "kmalloc-192"]
    assert names[-1] == "kmalloc_buckets"


def test_the_simulated_sysfs_passes_the_crosscheck(snap: dict[str, Any]) -> None:
    """The model referees itself: its own sysfs and slabinfo, fed to crosscheck."""
    k = boot()
    k.kmem_cache_create("sgpool-8", 256, 0, "SLAB_HWCACHE_ALIGN|SLAB_PANIC")
    k.kmem_cache_create("dentry", 192, 8, "SLAB_RECLAIM_ACCOUNT|SLAB_PANIC|SLAB_ACCOUNT")
    k.kmem_cache_create("biovec-16", 256, 0, "SLAB_HWCACHE_ALIGN|SLAB_PANIC")
    fake = dict(snap)
    fake.update(k.sysfs())
    fake["slabinfo"] = k.slabinfo()
    report = crosscheck(fake)
    assert report.mismatches == []
    assert any(c.cache == "merge biovec-16" and c.ok for c in report.checks)


def test_merging_rules() -> None:
    k = boot()
    hw = "SLAB_HWCACHE_ALIGN"
    a = k.kmem_cache_create("a", 184, 0, hw)  # 184 -> ALIGN 64 -> 192
    b = k.kmem_cache_create("b", 192, 0, 0)  # HWCACHE_ALIGN is not in SLAB_MERGE_SAME
    assert a is b and (a.refcount, a.object_size, a.name) == (2, 192, "a")
    assert k.sysfs()["aliases"] == {"a": ":0000192", "b": ":0000192"}
    assert k.sysfs()["caches"][":0000192"]["attributes"]["aliases"] == "1"
    acc = k.kmem_cache_create("c", 192, 0, "SLAB_ACCOUNT")  # MERGE_SAME differs
    assert acc is not a and k.unique_id(acc) == ":A-0000192"
    assert k.kmem_cache_create("d", 192, 0, 0, ctor=lambda o: None) is not a  # ctor
    assert k.kmem_cache_create("e", 192, 0, "SLAB_TYPESAFE_BY_RCU") is not a  # never merge
    assert k.kmem_cache_create("f", 192, 0, 0, usersize=16) is not a  # usercopy window
    assert k.kmem_cache_create("g", 176, 0, 0) is not a  # a different final size
    # kmalloc caches are never merge targets (usersize; NO_MERGE with MEMCG)
    assert k.kmem_cache_create("h", 64, 0, 0).name == "h"
    nomerge = boot(slab_nomerge=True)
    x = nomerge.kmem_cache_create("x", 100, 0, 0)
    assert nomerge.kmem_cache_create("y", 100, 0, 0) is not x
    assert "x" in nomerge.sysfs()["caches"]  # unmergeable caches keep their names


def test_kmalloc_selection() -> None:
    k = boot()
    assert [k.kmalloc_slab(n).name for n in (1, 8, 9, 24, 65, 97, 129, 193, 8192)] == [  # type: ignore[union-attr]
        "kmalloc-8",
        "kmalloc-8",
        "kmalloc-16",
        "kmalloc-32",
        "kmalloc-96",
        "kmalloc-128",
        "kmalloc-192",
        "kmalloc-256",
        "kmalloc-8k",
    ]
    assert k.kmalloc_slab(8193) is None and k.kmalloc_slab(0) is ZERO_SIZE
    assert k.kmalloc_slab(100, "account").name == "kmalloc-cg-128"  # type: ignore[union-attr]
    assert k.kmalloc_slab(100, "dma").name == "dma-kmalloc-128"  # type: ignore[union-attr]
    assert k.kmalloc_slab(100, "reclaimable").name == "kmalloc-rcl-128"  # type: ignore[union-attr]
    assert [k.kmalloc_size_roundup(n) for n in (0, 1, 70, 200, 8192, 8193, 1 << 22, 1 << 23)] == [
        0,
        8,
        96,
        256,
        8192,
        12288 + 4096,
        1 << 22,
        1 << 23,
    ]
    assert kmalloc_size_name(2048) == "2k" and kmalloc_size_name(1 << 21) == "2M"


def test_random_kmalloc_caches() -> None:
    """RANDOM_KMALLOC_CACHES: 15 NO_MERGE copies; the copy is hash_64(caller ^ seed, 4)."""
    k = boot(random_kmalloc_caches=True)
    names = {s.name for s in k.slab_caches}
    assert "kmalloc-rnd-01-64" in names and "kmalloc-rnd-15-8k" in names
    golden = 0x61C8864680B583EB
    for caller in (0, 0xFFFFFFFF81000000, 0xFFFFFFFF81234567):
        n = ((caller * golden) & (2**64 - 1)) >> 60
        expected = "kmalloc-64" if n == 0 else f"kmalloc-rnd-{n:02d}-64"
        assert k.kmalloc_slab(64, caller=caller).name == expected  # type: ignore[union-attr]


def test_buckets() -> None:
    """kmem_buckets_create("msg_msg", SLAB_ACCOUNT, 48, PAGE_SIZE - 48): per-size usercopy."""
    k = boot()
    made = {s.name: s for s in k.kmem_buckets_create("msg_msg", "SLAB_ACCOUNT", 48, 4096 - 48)}
    assert set(made) >= {"msg_msg-96", "msg_msg-8", "msg_msg-8k"}
    assert (made["msg_msg-8"].usersize, made["msg_msg-64"].usersize) == (0, 16)
    assert made["msg_msg-4k"].usersize == 4048 and made["msg_msg-96"].align == 8


def test_configuration_changes() -> None:
    tiny = boot(slub_tiny=True)
    assert not any(s.name.startswith("kmalloc-rcl") for s in tiny.slab_caches)
    nomemcg = boot(memcg=False)
    assert not any(s.name.startswith("kmalloc-cg") for s in nomemcg.slab_caches)
    # without HARDENED_USERCOPY the rcl/dma/cg kmalloc caches become mergeable
    plain = boot(hardened_usercopy=False)
    assert ":a-0000008" in plain.sysfs()["caches"]
    debug = boot(slub_debug="FZPU")
    assert debug.kmalloc_caches["normal"][4].size == 128  # the spec's worked example


def test_errors() -> None:
    k = boot()
    with pytest.raises(KernelPanic):
        k.kmem_cache_create("huge", 1 << 31, 0, "SLAB_PANIC")
    assert k.kmem_cache_create("huge", 1 << 31) is None
    assert k.errno == EINVAL and k.log[-1] == "__kmem_cache_create_args(huge) failed with error -22"
    with pytest.raises(InputError, match="32-bit"):
        Kernel("v6.18", "i386")
    # arm: KMALLOC_MIN_SIZE 64, no kmalloc-8/16/32/96 caches
    arm64 = Kernel("v6.18", "arm64", nr_cpus=2)
    assert "kmalloc-8" in {s.name for s in arm64.slab_caches}


# ---- the command line on v6.18 ---------------------------------------------------------
V618 = ["--kernel", "v6.18", "--nr-cpus", "2"]


def test_cli_create_kmalloc_slabinfo(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers import run_main

    rc, out, err = run_main(
        [
            "create",
            "vm_area_struct",
            "192",
            *V618,
            "--json",
            "--flags",
            "SLAB_HWCACHE_ALIGN|SLAB_TYPESAFE_BY_RCU|SLAB_ACCOUNT",
            "--freeptr-offset",
            "8",
            "--sheaf-capacity",
            "32",
        ],
        capsys,
    )
    data = json.loads(out)
    assert rc == 0 and (data["cache"]["size"], data["cache"]["objects"]) == (192, 21)
    assert data["cache"]["sysfs_name"] == "vm_area_struct"  # sheaves: unmergeable
    rc, out, err = run_main(
        ["create", "thing", "184", *V618, "--json", "--flags", "SLAB_HWCACHE_ALIGN"], capsys
    )
    assert rc == 0 and json.loads(out)["cache"]["sysfs_name"] == ":0000192"
    rc, out, err = run_main(["kmalloc", "100", *V618, "--gfp", "account"], capsys)
    assert rc == 0 and out.startswith("kmalloc(100, account) -> kmalloc-cg-128")
    rc, out, err = run_main(["kmalloc", str(1 << 23), *V618], capsys)
    assert rc == 1 and "KMALLOC_MAX_SIZE" in out
    rc, out, err = run_main(["slabinfo", *V618], capsys)
    assert rc == 0 and out == boot().slabinfo()
    rc, out, err = run_main(["create", "x", "100", "--freeptr-offset", "8"], capsys)
    assert rc == 2 and "not an argument of 3.16's kmem_cache_create" in err


def test_sysfs_written_and_read_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Render the simulated /sys/kernel/slab to files, read it back with the snapshot
    reader (the sysfs parser), and get the same directories, attributes and links."""
    from slabhw import snapshot
    from tests.helpers import run_main

    rc, out, err = run_main(["sysfs", *V618, "--write", str(tmp_path)], capsys)
    assert rc == 0
    read = snapshot.capture(str(tmp_path))
    rendered = boot().sysfs()
    assert {d: e["attributes"] for d, e in read["caches"].items()} == {
        d: e["attributes"] for d, e in rendered["caches"].items()
    }
    assert read["aliases"] == rendered["aliases"]
    assert read["slabinfo"] == boot().slabinfo().rstrip("\n")  # capture strips it
    rc, out, err = run_main(["sysfs", "--kernel", "v3.16"], capsys)
    assert rc == 2 and "SLAB" in err


def test_other_architectures_boot() -> None:
    """KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1: the largest kmalloc cache is two pages:
    kmalloc-128k with 64 KiB pages (ppc64), kmalloc-32k with 16 KiB (arm64-16k).
    ppc64 kmalloc-8: min_objects 12, get_order(96) = 0, 65536 % 8 = 0 -> order 0 and
    8192 objects.  s390x has 256-byte lines, but kmalloc caches are aligned naturally,
    so kmalloc-96 stays at 32."""
    ppc = Kernel("v6.18", "ppc64", nr_cpus=2)
    names = {s.name: s for s in ppc.slab_caches}
    assert "kmalloc-128k" in names and "kmalloc-256k" not in names
    assert (names["kmalloc-8"].order, names["kmalloc-8"].objects) == (0, 8192)
    assert "dma-kmalloc-8" not in names  # no ZONE_DMA on Book3S-64
    a16 = Kernel("v6.18", "arm64-16k", nr_cpus=2)
    assert max(s.size for s in a16.slab_caches if s.name.startswith("kmalloc-")) == 32768
    s390 = Kernel("v6.18", "s390x", nr_cpus=2)
    k96 = next(s for s in s390.slab_caches if s.name == "kmalloc-96")
    assert (k96.align, k96.size) == (32, 96)
    from slabhw.config import KernelConfig

    arm = KernelConfig.build("v6.18", "arm", nr_cpus=2)
    assert (arm.slub_kmalloc_min_size, arm.slub_kmalloc_shift_low) == (64, 6)


def test_kconfig_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    from slabhw import kconfig
    from tests.helpers import run_main

    text = "CONFIG_SLUB_TINY=y\n# CONFIG_MEMCG is not set\nCONFIG_HARDENED_USERCOPY=y\n"
    plain = tmp_path / "config"
    plain.write_text(text)
    packed = tmp_path / "config.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        switches = kconfig.switches_from_config(
            kconfig.read_config_file(str(path), "v6.18"), "v6.18"
        )
        assert switches == {"slub_tiny": True, "memcg": False, "hardened_usercopy": True}
    rc, out, err = run_main(["config", *V618, "--kconfig", str(packed), "--json"], capsys)
    assert rc == 0 and json.loads(out)["switches"]["slub_tiny"] is True
    rc, out, err = run_main(["config", *V618, "--kconfig", str(tmp_path / "none")], capsys)
    assert rc == 2 and "cannot read" in err


def test_kasan_generic_layouts() -> None:
    """KASAN generic (kasan_cache_create), x86_64, 2 CPUs.
    100 bytes: 104 (word), alloc meta at 104 -> 120; the 16-byte free meta fits in the
    object; optimal 100 + 64 = 164 > 120 -> 164 -> ALIGN 168; 4096 % 168 = 64 -> order 0,
    24 objects.  8 bytes: alloc meta at 8 -> 24; free meta 16 > 8: its last 8 bytes go
    after the object (no slab_debug) -> 32, alloc meta moves to 16; optimal 8 + 16 = 24."""
    from slabhw import _core
    from slabhw import reference_slub as rs
    from slabhw.config import KernelConfig

    c = KernelConfig.build("v6.18", "x86_64", nr_cpus=2, kasan_generic=True)
    assert c.flags["SLAB_KASAN"] == 1 << 14  # bit 14 with DEBUG_OBJECTS and FAILSLAB off
    p = c.slub_params()
    r = _core.slub_create(p, rs.SlubArgs(100))
    assert (r.size, r.objects, r.order, r.kasan_alloc_meta_offset, r.kasan_free_meta_offset) == (
        168,
        24,
        0,
        104,
        0,
    )
    assert r.flags & c.flags["SLAB_NO_MERGE"]  # KASAN caches never merge
    small = _core.slub_create(p, rs.SlubArgs(8))
    assert (small.size, small.kasan_alloc_meta_offset) == (32, 16)
    # an RCU cache keeps its free meta after the object (and the free pointer too)
    rcu = _core.slub_create(p, rs.SlubArgs(100, flags=c.flags["SLAB_TYPESAFE_BY_RCU"]))
    assert (rcu.offset, rcu.kasan_alloc_meta_offset, rcu.kasan_free_meta_offset) == (104, 112, 128)
    assert rcu.size == 168  # 144 < optimal 164 -> 168
    with pytest.raises(InputError, match="KASAN"):
        Kernel("v6.18", "x86_64", kasan_generic=True)


def test_null_name_prints_as_null() -> None:
    """6.18 without DEBUG_VM: kstrdup_const(NULL) returns NULL, so
    __kmem_cache_create_args fails with -ENOMEM and pr_warn's %s prints "(null)"."""
    k = Kernel("v6.18", "x86_64", nr_cpus=2)
    assert k.kmem_cache_create(None, 64) is None
    assert k.log[-1] == "__kmem_cache_create_args((null)) failed with error -12"
