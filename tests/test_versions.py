"""The SLUB versions 5.10 .. 6.18: real Debian kernels (the snapshots in tests/data),
worked examples derived by hand from each version's source (the derivation beside
each), the C core against its twin with the version drawn, and the version presets
as data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slabhw
from slabhw import _core, kconfig, snapshot
from slabhw import reference_slub as rs
from slabhw.config import KernelConfig
from slabhw.crosscheck import crosscheck
from slabhw.errors import InputError
from slabhw.slab_common import ZERO_SIZE
from slabhw.versions import PRESETS, get_preset
from slabhw.versions.rules import FreePointerOffset, FreePointerOutside, KmallocSizeRoundup
from tests.helpers import run_main

DATA = Path(__file__).parent / "data"
SLUB_VERSIONS = [v for v, p in PRESETS.items() if p.allocator == "SLUB"]
# file -> (release, arch, caches, boot caches, merge predictions); the boot option
# variants were captured the same way as the shipped defaults (tests/data/README.md)
# file: (release, arch, caches, boot caches, merges predicted without BTF: the
# catalogue's constant-size calls, sgpool/biovec/dmaengine-unmap/... on 6.1)
DEBIAN = {
    "debian-6.1.192-amd64-smp2-default.json.gz": ("6.1.192", "x86_64", 145, 54, 16),
    "debian-6.1.192-amd64-smp2-slab_nomerge.json.gz": ("6.1.192", "x86_64", 199, 54, 0),
    "debian-6.1.192-amd64-smp2-slub_debug-FZPU.json.gz": ("6.1.192", "x86_64", 199, 54, 0),
    "debian-6.1.192-amd64-smp2-slub_debug-FZ-list.json.gz": ("6.1.192", "x86_64", 145, 54, 16),
    "debian-6.1.192-amd64-smp4-default.json.gz": ("6.1.192", "x86_64", 145, 54, 16),
    "debian-6.12.117-amd64-smp2-default.json.gz": ("6.12.117", "x86_64", 178, 55, 16),
    "debian-6.12.117-amd64-smp2-slab_nomerge.json.gz": ("6.12.117", "x86_64", 235, 55, 0),
    "debian-6.12.117-amd64-smp2-slub_debug-FZPU.json.gz": ("6.12.117", "x86_64", 235, 55, 0),
    "debian-6.12.117-amd64-smp2-slub_debug-FZ-list.json.gz": ("6.12.117", "x86_64", 178, 55, 16),
    "debian-6.12.117-amd64-smp4-default.json.gz": ("6.12.117", "x86_64", 178, 55, 16),
    "debian-6.12.117-arm64-smp2-default.json.gz": ("6.12.117", "arm64", 178, 55, 16),
}


def kernel(version: str, arch: str = "x86_64", **options: object) -> slabhw.SlubKernel:  # type: ignore[name-defined]
    return slabhw.Kernel(version, arch, nr_cpus=2, **options)


# ---- real kernels ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DEBIAN))
def test_debian_kernels_match_every_check(name: str) -> None:
    """Debian's 6.1.192 and 6.12.117 kernels booted under QEMU: every cache's layout,
    tunables, sysfs name, alias count and slabinfo row, the boot caches' order, and
    the known merges; the version and sublevel come from /proc/version."""
    release, arch, caches, boot, nr_merges = DEBIAN[name]
    report = crosscheck(snapshot.load(str(DATA / name)))
    assert report.config.preset.release == release and report.config.arch.name == arch
    assert report.mismatches == [] and report.ok
    assert len(report.caches) == caches
    order = [c for c in report.checks if c.cache == "boot caches"]
    assert len(order) == 1 and len(order[0].predicted) == boot
    merges = [c for c in report.checks if c.cache.startswith("merge ")]
    assert len(merges) == nr_merges and all(c.ok for c in merges)
    summary = report.as_json()
    links = len(snapshot.load(str(DATA / name))["aliases"])
    assert (summary["merges_total"], summary["merges_predicted"], summary["merges_matched"]) == (
        links,
        nr_merges,
        nr_merges,
    )


def test_debian_boot_options_took_effect() -> None:
    """The variants really differ from the default boot: with slub_debug=FZ,kmalloc-64,
    dentry only those two caches grow (kmalloc-64, 64-aligned: object 64, right red
    zone 8, red zone pad word 8, left red zone ALIGN(8, 64) = 64: 144, aligned to 64:
    slab_size 192); with
    FZPU or slab_nomerge nothing merges; with 4 CPUs the orders of some caches grow
    (min_objects = 4 * (fls(4) + 1) = 16 instead of 4 * (fls(2) + 1) = 12)."""

    def attrs(name: str) -> dict[str, dict[str, str]]:
        snap = snapshot.load(str(DATA / name))
        return {c: v["attributes"] for c, v in snap["caches"].items()}

    for release in ("6.1.192", "6.12.117"):
        base = attrs(f"debian-{release}-amd64-smp2-default.json.gz")
        listed = attrs(f"debian-{release}-amd64-smp2-slub_debug-FZ-list.json.gz")
        grown = {c for c in base if base[c]["slab_size"] != listed[c]["slab_size"]}
        assert grown == {"kmalloc-64", "dentry"}, release
        assert listed["kmalloc-64"]["slab_size"] == "192", release
        for variant in ("slab_nomerge", "slub_debug-FZPU"):
            snap = snapshot.load(str(DATA / f"debian-{release}-amd64-smp2-{variant}.json.gz"))
            assert snap["aliases"] == {}, (release, variant)
        four = attrs(f"debian-{release}-amd64-smp4-default.json.gz")
        assert any(int(four[c]["order"]) > int(base[c]["order"]) for c in base), release


def test_a_wrong_version_is_caught() -> None:
    """The 6.1 kernel checked as 6.12 fails where 6.12 differs: kmalloc-96/192
    alignment (the ffs rule of 6.11), the boot order (96 and 192 first, 6.10)."""
    snap = snapshot.load(str(DATA / "debian-6.1.192-amd64-smp2-default.json.gz"))
    report = crosscheck(snap, "v6.12")
    wrong = {(c.cache, c.field) for c in report.mismatches}
    assert ("kmalloc-96", "align") in wrong and ("kmalloc-192", "align") in wrong
    assert ("boot caches", "slabinfo order") in wrong


def test_version_from_proc_version() -> None:
    """Debian's release string hides the sublevel; the banner names it (and the
    compiler's "Debian 12.2.0-14" is not it)."""
    banner = (
        "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian "
        "12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP "
        "PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)"
    )
    assert kconfig.version_of_release("6.1.0-57-amd64", banner) == "v6.1.192"
    assert kconfig.version_of_release("6.1.0-57-amd64") == "v6.1"  # unknown sublevel
    assert kconfig.version_of_release("6.12.117+deb12-amd64", None) == "v6.12.117"
    assert kconfig.version_of_release("5.15.0-91-generic") == "v5.15"  # Ubuntu's ABI
    with pytest.raises(InputError, match="not modelled"):
        kconfig.version_of_release("4.19.0-27-amd64")


def test_crosscheck_cli_takes_a_version(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "debian-6.12.117-arm64-smp2-default.json.gz")
    rc, out, _ = run_main(["crosscheck", "--snapshot", path, "--brief"], capsys)
    assert rc == 0 and out.strip().endswith("OK")
    rc, out, _ = run_main(["crosscheck", "--snapshot", path, "--kernel", "v6.6", "--brief"], capsys)
    assert rc == 1 and "MISMATCH" in out
    rc, _, err = run_main(["crosscheck", "--snapshot", path, "--kernel", "v9.9"], capsys)
    assert rc == 2 and "unknown kernel version 'v9.9'" in err and "v5.10" in err


# ---- the presets as data ----------------------------------------------------------------
def test_versions_and_sublevels() -> None:
    assert SLUB_VERSIONS == ["v5.10", "v5.15", "v6.1", "v6.6", "v6.12", "v6.18", "v7.0", "v7.1"]
    # 5.10.46 took e41a49fadbc8 and 74c1d3e08153 (the free pointer of small objects)
    old, new = get_preset("v5.10.45").rules, get_preset("v5.10.46").rules
    assert old.freeptr_offset == FreePointerOffset.V5_7 and old.has_sanity_min_size
    assert old.freeptr_outside == FreePointerOutside.V2_6
    assert new == get_preset("v5.10").rules and new.freeptr_offset == FreePointerOffset.V5_13
    # 5.15.180 took kmalloc_size_roundup(); 6.12.75 the 8-byte orig_size word
    assert get_preset("v5.15.179").rules.kmalloc_size_roundup == KmallocSizeRoundup.NONE
    assert get_preset("v5.15.180").rules.kmalloc_size_roundup == KmallocSizeRoundup.V6_1
    assert get_preset("v6.12.74").rules.orig_size_bytes == 4
    assert get_preset("v6.12").rules.orig_size_bytes == 8
    assert get_preset("v6.12.75").release == "6.12.75" and get_preset("6.1").name == "v6.1"
    for bad in ("v4.19", "v6.2", "v6", "six", "v6.12.123456"):
        with pytest.raises(InputError, match="kernel version"):
            get_preset(bad)


def test_options_of_other_versions_are_refused() -> None:
    with pytest.raises(InputError, match="do not apply to v5.10"):
        KernelConfig.build("v5.10", "x86_64", nr_present_cpus=2)  # nr_cpu_ids decides
    with pytest.raises(InputError, match="do not apply to v6.1"):
        KernelConfig.build("v6.1", "x86_64", slub_tiny=True)  # SLUB_TINY came in 6.2
    with pytest.raises(InputError, match="do not apply to v6.12"):
        KernelConfig.build("v6.12", "x86_64", kasan_generic=True)  # layout not modelled
    with pytest.raises(InputError, match="came in 6.12"):
        kernel("v6.6").kmem_cache_create("x", 64, flags="SLAB_TYPESAFE_BY_RCU", freeptr_offset=8)
    with pytest.raises(InputError, match="came in 6.18"):
        kernel("v6.12").kmem_cache_create("x", 64, sheaf_capacity=32)
    with pytest.raises(InputError, match="came in 6.11"):
        kernel("v6.6").kmem_buckets_create("b")


# ---- worked examples, derived by hand from each version's mm/slub.c ----------------------
def layout(version: str, size: int, flags: str = "0", **options: object) -> rs.SlubLayout:
    cfg = KernelConfig.build(version, "x86_64", nr_cpus=2, **options)  # type: ignore[arg-type]
    return _core.slub_create(cfg.slub_params(), rs.SlubArgs(size, flags=cfg.flags.parse(flags)))


def test_free_pointer_inside_the_object() -> None:
    """calculate_sizes: 5.10.0-45 put the pointer at ALIGN(ALIGN(size, 8) / 2, 8)
    when ALIGN(size, 8) > 8, else 0 (89b83f282d8b); 5.10.46+ at ALIGN_DOWN(size / 2, 8)
    (e41a49fadbc8).  100: ALIGN(104 / 2, 8) = 56 vs 50 & ~7 = 48; 24: 16 vs 8;
    8: 0 vs 0."""
    for size, early, late in ((100, 56, 48), (24, 16, 8), (8, 0, 0), (20, 16, 8)):
        assert layout("v5.10.45", size).offset == early
        assert layout("v5.10", size).offset == late
        assert layout("v6.12", size).offset == late


def test_small_red_zoned_object() -> None:
    """RED_ZONE, object 4 (x86_64): size = ALIGN(4, 8) = 8, which is not the object
    size, so no extra word; inuse 8.  5.10.45: the pointer stays inside (offset 0);
    + red zone word 8 -> 16, + red_left_pad ALIGN(8, 8) = 8 -> 24.  5.10.46 and later
    (74c1d3e08153): the pointer goes behind (offset 8, size 16), then 24 and 32."""
    early = layout("v5.10.45", 4, "SLAB_RED_ZONE")
    late = layout("v5.10", 4, "SLAB_RED_ZONE")
    assert (early.offset, early.size) == (0, 24)
    assert (late.offset, late.size) == (8, 32)


def test_debug_kmalloc_layouts_per_version() -> None:
    """slab_debug=U on kmalloc-8 (object 8, align 8, no red zone): 5.10/5.15 tracks
    are 152 bytes (8 + 16 * 8 + 4 + 4 + 8, STACKTRACE): 8 + 304 = 312.  6.1: 32-byte
    tracks (stack depot handle) and the 4-byte orig_size of SLAB_KMALLOC caches:
    8 + 64 + 4 = 76 -> ALIGN 8 = 80.  6.6: 946fa0dbf2d8 (6.2) moves the free pointer
    of an orig_size cache behind the object: 8 + 8 + 64 + 4 = 84 -> 88.  6.12
    (adef2aeaa2b9, 6.11: only with a red zone) and its 8-byte orig_size (6.12.75):
    8 + 64 + 8 = 80.

    slab_debug=FZPU on kmalloc-16 (align 16 from the power-of-two rule, 5.4+):
    16 + 8 (red zone word: size == object) = 24, pointer behind (POISON) 32, then
    5.10: + 304 = 336, + 8 = 344, + red_left_pad ALIGN(8, 16) = 16 -> 360 -> 368;
    6.1: + 64 + 4 = 100, + 8 = 108, + 16 = 124 -> 128; 6.12: + 64 + 8 = 104, 112,
    128 -> 128."""
    u = {"v5.10": 312, "v5.15": 312, "v6.1": 80, "v6.6": 88, "v6.12": 80, "v6.18": 80}
    for version, size in u.items():
        assert kernel(version, slub_debug="U").kmalloc_slab(8).size == size, version
    fzpu = {"v5.10": 368, "v5.15": 368, "v6.1": 128, "v6.6": 128, "v6.12": 128}
    for version, size in fzpu.items():
        c = kernel(version, slub_debug="FZPU").kmalloc_slab(16)
        assert (c.size, c.red_left_pad, c.align) == (size, 16, 16), version


def test_calculate_order_old_and_new() -> None:
    """11000 bytes on 4K pages, 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12, clamped
    to order_objects(3) = 32768 / 11000 = 2.  The old loop (6.6 and before) starts at
    get_order(22000) = 3, where the waste 10768 exceeds 32768/16, /8 and /4; with
    min_objects 1 the fallback takes get_order(11000) = 2: one object.  6.7's loop
    goes on to fraction 2: 10768 <= 16384, order 3 with 2 objects."""
    old, new = layout("v6.6", 11000), layout("v6.12", 11000)
    assert (old.order, old.objects) == (2, 1)
    assert (new.order, new.objects) == (3, 2)
    assert (layout("v5.10", 11000).order, layout("v6.18", 11000).order) == (2, 3)


def test_tunables_per_version() -> None:
    """set_cpu_partial: 30/13/6/2 objects before 5.16, 120/52/24/6 with
    cpu_partial_slabs = DIV_ROUND_UP(2 * n, objects) since (kmalloc-64: 64 objects ->
    DIV_ROUND_UP(240, 64) = 4).  The 5.10 quirk: kmem_cache_create does not turn the
    static key on for debug flags (1f0723a4c0df came in 5.13), so a SLAB_POISON cache
    keeps a CPU partial list; 5.15 gives it 0."""
    for version, nr, slabs in (("v5.10", 30, 0), ("v5.15", 30, 0), ("v6.1", 120, 4)):
        c = kernel(version).kmalloc_slab(64)
        assert (c.cpu_partial, c.cpu_partial_slabs, c.min_partial) == (nr, slabs, 5)
    assert layout("v5.10", 100, "SLAB_POISON").cpu_partial == 30
    assert layout("v5.15", 100, "SLAB_POISON").cpu_partial == 0
    assert layout("v5.10", 100, "SLAB_POISON", slub_debug="-").cpu_partial == 30


def test_boot_caches_per_version() -> None:
    """create_kmalloc_caches: 5.10 makes normal and rcl caches (13 each), then after
    slab_state = UP one dma cache per normal index in index order: 2 + 39 = 41
    caches.  5.15 adds kmalloc-cg (before rcl), 6.1 makes dma in the main loop,
    6.6 puts cg last, 6.12 makes 96 and 192 first and adds kmalloc_buckets."""
    counts = {"v5.10": 41, "v5.15": 54, "v6.1": 54, "v6.6": 54, "v6.12": 55, "v6.18": 55}
    for version, n in counts.items():
        assert len(kernel(version).slab_caches) == n, version
    # slab_caches is newest first: the DMA caches of 5.15 came last, 96 and 192 first
    names = [c.name for c in reversed(kernel("v5.15").slab_caches)]
    assert names[2:4] == ["kmalloc-8", "kmalloc-16"] and names[15] == "kmalloc-cg-8"
    assert names[41:44] == ["dma-kmalloc-96", "dma-kmalloc-192", "dma-kmalloc-8"]
    names = [c.name for c in reversed(kernel("v6.1").slab_caches)]
    assert names[-13:-11] == ["dma-kmalloc-8", "dma-kmalloc-16"]
    assert (names[2], names[15]) == ("kmalloc-8", "kmalloc-cg-8")
    names = [c.name for c in reversed(kernel("v6.12").slab_caches)]
    assert names[2:5] == ["kmalloc-96", "kmalloc-192", "kmalloc-8"] and names[-1] == (
        "kmalloc_buckets"
    )
    # kmalloc alignment: 8 for 96/192 before 6.11, their largest power of two after
    assert kernel("v6.6").kmalloc_slab(96).align == 8
    assert kernel("v6.12").kmalloc_slab(96).align == 32
    # arm64 before 6.5: KMALLOC_MIN_SIZE = ARCH_DMA_MINALIGN = 128, no 192 cache
    a61 = kernel("v6.1", "arm64")
    assert a61.kmalloc_slab(8).name == "kmalloc-128" and a61.kmalloc_slab(150).name == (
        "kmalloc-256"
    )
    assert kernel("v6.6", "arm64").kmalloc_slab(8).name == "kmalloc-8"


def test_merging_per_version() -> None:
    """5.10's KMALLOC_NORMAL caches merge like any cache without usersize, but every
    kmalloc cache has usersize = size, so they stay apart; a 64-byte cache merges
    into the oldest 64-byte cache that can take it.  With refcount -1 (5.14 .. 6.4)
    the normal kmalloc caches keep out; SLAB_NO_MERGE from 6.5 does the same."""
    for version in SLUB_VERSIONS:
        k = kernel(version)
        a = k.kmem_cache_create("first", 64)
        b = k.kmem_cache_create("second", 60)
        assert b is a and a.refcount == 2 and a.name == "first", version
    assert kernel("v5.15").kmalloc_slab(64).refcount == -1
    k66 = kernel("v6.6")
    assert k66.kmalloc_slab(64).refcount == 1 and k66.unmergeable(k66.kmalloc_slab(64))
    # without HARDENED_USERCOPY the rcl caches merge from 6.2 on, never before
    assert kernel("v6.1", hardened_usercopy=False).kmalloc_slab(64, "reclaimable").usersize
    assert not kernel("v6.6", hardened_usercopy=False).kmalloc_slab(64, "reclaimable").usersize


def test_kmalloc_types_per_version() -> None:
    """kmalloc_type: __GFP_ACCOUNT goes to the normal caches before kmalloc-cg (5.14),
    and without memcg always; GFP_DMA without ZONE_DMA is a plain request."""
    assert kernel("v5.10").kmalloc_slab(100, "account").name == "kmalloc-128"
    assert kernel("v5.15").kmalloc_slab(100, "account").name == "kmalloc-cg-128"
    assert kernel("v6.18", memcg=False).kmalloc_slab(100, "account").name == "kmalloc-128"
    assert kernel("v6.12", zone_dma=False).kmalloc_slab(100, "dma").name == "kmalloc-128"
    assert kernel("v6.1").kmalloc_slab(0) is ZERO_SIZE
    with pytest.raises(InputError, match="came in 6.1"):
        kernel("v5.15.179").kmalloc_size_roundup(100)
    # 5.15.180's (the 6.1 form): no upper bound; 6.6's: sizes above the largest
    # kmalloc come back unchanged
    assert kernel("v5.15.180").kmalloc_size_roundup(1 << 23) == 1 << 23
    assert kernel("v6.1").kmalloc_size_roundup((1 << 22) + 1) == 1 << 23
    assert kernel("v6.6").kmalloc_size_roundup((1 << 22) + 1) == (1 << 22) + 1


def test_boot_parameters_per_version() -> None:
    """slab_debug= is read from 6.9 on (slub_debug= everywhere); slab_merge from 5.13."""
    rules = get_preset("v6.1").rules
    assert kconfig.boot_options("slab_debug=FZ slab_max_order=2", rules) == {}
    assert kconfig.boot_options("slub_debug=FZ slab_nomerge", rules) == {
        "slub_debug": "FZ",
        "slab_nomerge": True,
    }
    assert kconfig.boot_options("slab_debug=FZ", get_preset("v6.12").rules) == {"slub_debug": "FZ"}
    assert kconfig.boot_options("slub_merge", get_preset("v5.10").rules) == {}


# ---- the C core against its twin, the version drawn ---------------------------------------
@st.composite
def versioned_configs(draw: st.DrawFn) -> KernelConfig:
    version = draw(st.sampled_from(SLUB_VERSIONS + ["v5.10.30", "v5.15.100", "v6.12.50"]))
    preset = get_preset(version)
    options: dict[str, object] = {
        name: draw(st.booleans()) for name in preset.switches if name != "kasan_generic"
    }
    options.update(
        nr_cpus=draw(st.integers(1, 300)),
        slub_debug=draw(st.sampled_from([None, "", "FZPU", "U", "ZU", "P,kmalloc-*", "O"])),
        slub_min_order=draw(st.integers(0, 3)),
        slub_max_order=draw(st.one_of(st.none(), st.integers(0, 8))),
        slub_min_objects=draw(st.sampled_from([0, 1, 4, 100])),
    )
    if "nr_present_cpus" in preset.options:
        present = st.integers(1, min(8, int(str(options["nr_cpus"]))))  # among the possible
        options["nr_present_cpus"] = draw(st.one_of(st.none(), present))
    arch = draw(st.sampled_from(sorted(preset.arches)))
    return KernelConfig.build(version, arch, **options)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versioned_configs(), st.data())
def test_c_core_matches_twin_on_every_version(c: KernelConfig, data: st.DataObject) -> None:
    p = c.slub_params()
    names = [d.name for d in c.preset.flags if not d.internal]
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=5))
    size = data.draw(
        st.one_of(st.integers(0, 300), st.integers(0, 1 << 17), st.integers(0, (1 << 32) - 1))
    )
    args = rs.SlubArgs(
        size,
        align=data.draw(st.sampled_from([0, 8, 64, 256, 4096])),
        flags=data.draw(st.one_of(st.just(c.flags.mask(chosen)), st.integers(0, (1 << 32) - 1))),
        ctor=int(data.draw(st.booleans())),
        usersize=data.draw(st.integers(0, 300)),
        boot=int(data.draw(st.booleans())),
        debug_key=int(data.draw(st.booleans())),
    )
    assert _core.slub_create(p, args) == rs.kmem_cache_create(p, args)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versioned_configs(), st.data())
def test_slub_calculate_alignment_arrays_match_the_twin(
    c: KernelConfig, data: st.DataObject
) -> None:
    """The C array path of SLUB's calculate_alignment (slabhw.calculate_alignment on
    arrays) against the twin one element at a time; a hang is ALIGN_HANG."""
    p = c.slub_params()
    hw = c.flags.mask(["SLAB_HWCACHE_ALIGN"])
    n = data.draw(st.integers(0, 40))
    u32 = st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1))
    flags = np.array(data.draw(st.lists(st.sampled_from([0, hw, hw | 1]), min_size=n, max_size=n)))
    align = np.array(data.draw(st.lists(st.sampled_from([0, 8, 64, 4096]), min_size=n, max_size=n)))
    size = np.array(data.draw(st.lists(u32, min_size=n, max_size=n)), dtype=np.uint64)
    got = _core.calculate_alignment(p, flags, align, size)
    want = [
        rs.calculate_alignment(p, int(f), int(a), int(s)) for f, a, s in zip(flags, align, size)
    ]
    assert got.tolist() == [slabhw.ALIGN_HANG if w is None else w for w in want]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versioned_configs(), st.data())
def test_sweep_columns_match_the_twin(c: KernelConfig, data: st.DataObject) -> None:
    """slabhw.sweep()'s columns (written by C in blocks) against the twin row by row,
    the version drawn; inputs given whole or as one value for every row."""
    n = data.draw(st.integers(1, 600))  # more than one block of 256 rows
    u32 = st.one_of(st.integers(0, 300), st.integers(0, 1 << 17), st.integers(0, (1 << 32) - 1))
    sizes = np.array(data.draw(st.lists(u32, min_size=n, max_size=n)), dtype=np.uint64)
    hw = c.flags.mask(["SLAB_HWCACHE_ALIGN"])
    flags = data.draw(st.sampled_from([0, hw]))
    align = np.array(
        data.draw(st.lists(st.sampled_from([0, 8, 64, 4096]), min_size=n, max_size=n)),
        dtype=np.uint64,
    )
    fp = data.draw(st.sampled_from([-1, 0, 8]))
    r = slabhw.sweep(sizes, align, flags, 0, fp, config=c)
    p = c.slub_params()
    for i in range(n):
        want = rs.kmem_cache_create(
            p,
            rs.SlubArgs(
                int(sizes[i]),
                align=int(align[i]),
                flags=flags,
                use_freeptr_offset=int(fp >= 0),
                freeptr_offset=max(fp, 0),
            ),
        )
        assert r["error"][i] == want.error
        got = (r["size"][i], r["objs_per_slab"][i], r["order"][i], r["offset"][i])
        assert got == (
            (0,) * 4 if want.error else (want.size, want.objects, want.order, want.offset)
        )


# ---- every command on every version -------------------------------------------------------
@pytest.mark.parametrize("version", SLUB_VERSIONS)
def test_commands_on_every_version(
    version: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["--kernel", version, "--nr-cpus", "2"]
    rc, out, _ = run_main(["create", "c", "100", *base], capsys)
    assert rc == 0 and f"on Linux {version} x86_64" in out
    rc, out, _ = run_main(["kmalloc", "100", *base], capsys)
    assert rc == 0 and out.startswith("kmalloc(100) -> kmalloc-128")
    rc, out, _ = run_main(["slabinfo", *base], capsys)
    assert rc == 0 and out.splitlines()[-1].startswith("kmem_cache ")
    rc, out, _ = run_main(["sysfs", *base, "--json"], capsys)
    assert rc == 0 and '"kmalloc-64"' in out
    rc, out, _ = run_main(["config", *base], capsys)
    assert rc == 0 and version in out
    sweep = ["sweep", *base, "--no-progress"]
    rc, out, _ = run_main(sweep, capsys, monkeypatch, stdin="object_size\n100\n")
    assert rc == 0 and out.splitlines()[1].startswith("100,0,0x0,0")
    script = "create c 100\na = alloc c\nfree a\nb = alloc c\nx = alloc_bulk c 40\nfree_bulk x\n"
    simulate = ["simulate", "-", *base, "--mem", "64M"]
    rc, out, err = run_main(simulate, capsys, monkeypatch, stdin=script)
    assert rc == 0 and "b = " in out and "freed 40 objects" in out, err


# ---- the run time of each version, derived by hand from its mm/slub.c -----------------------
def runtime(
    version: str, *, init_on_alloc: bool = False, init_on_free: bool = False, **options: object
) -> tuple[slabhw.SlubRuntime, object]:
    """A run time with freelists in address order and plain free pointers."""
    cfg = KernelConfig.build(
        version,
        "x86_64",
        nr_cpus=2,
        slab_freelist_random=False,
        slab_freelist_hardened=False,
        **options,  # type: ignore[arg-type]
    )
    sim = slabhw.Simulation(
        cfg, mem=64 << 20, init_on_alloc=init_on_alloc, init_on_free=init_on_free
    )
    return sim.runtime, sim.kernel  # type: ignore[return-value]


def test_deactivate_slab_reverses_before_5_12() -> None:
    """One object taken from a fresh 64-byte slab leaves c->freelist = o1 .. o63.
    kmem_cache_shrink flushes the CPU slab: 5.10's deactivate_slab pushes o1 .. o62
    one by one onto the (empty) slab freelist and o63 last, so the freelist becomes
    o63, o62, ..., o1; 5.12 splices it in order.  The slab goes to the node list and
    the next allocation takes it: o63 on 5.10, o1 on 5.15."""
    for version, nth in (("v5.10", 63), ("v5.15", 1), ("v6.18", 1)):
        rt, k = runtime(version)
        c = k.kmem_cache_create("c", 64)
        o0 = rt.alloc(c, 0)
        rt.shrink(c)
        assert rt.alloc(c, 0) == o0 + 64 * nth, version


def test_debug_caches_before_6_1_deactivate_after_each_allocation() -> None:
    """slab_debug=F: consistency checks only, the layout of a plain 64-byte cache.
    5.10 and 5.15 take a slab, check the first object and deactivate the slab with
    the rest of its freelist (return_single).  5.10's deactivation reverses that rest
    every time: o0, then o63 (the head of o63 .. o1), then o1, then o62.  5.15 keeps
    the order; 6.1 allocates one object at a time from the node lists."""
    expect = {"v5.10": [0, 63, 1, 62], "v5.15": [0, 1, 2, 3], "v6.1": [0, 1, 2, 3]}
    for version, order in expect.items():
        rt, k = runtime(version, slub_debug="F")
        c = k.kmem_cache_create("c", 64)
        got = [rt.alloc(c, 0) for _ in range(4)]
        assert [(a - got[0]) // 64 for a in got] == order, version
        assert rt.cpu_state(c, 0)["slab"] is None  # no CPU slab stays


def test_cpu_partial_limits_in_objects_before_5_16() -> None:
    """512-byte objects, 16 to an order-1 slab; 12 full slabs and a 13th as CPU slab.
    Freeing one object of each full slab puts it on CPU 0's partial list (drain).
    5.15 counts free objects: cpu_partial 13, drained only once more than 13 are
    counted, so all 12 stay there.  6.1 counts slabs: cpu_partial_slabs =
    DIV_ROUND_UP(2 * 52, 16) = 7, so the 8th put moves the 7 before it to the node."""
    for version, on_cpu, on_node in (("v5.15", 12, 0), ("v6.1", 5, 7)):
        rt, k = runtime(version)
        c = k.kmem_cache_create("c", 512)
        assert (c.objects, c.order) == (16, 1)
        objs = [rt.alloc(c, 0) for _ in range(12 * 16 + 1)]
        for i in range(12):
            rt.free(c, objs[16 * i], 0)
        assert len(rt.cpu_state(c, 0)["partial"]) == on_cpu, version
        assert len(rt.node_state(c)["partial"]) == on_node, version


def test_bulk_free_groups_before_6_1() -> None:
    """kmem_cache_free_bulk([A1, B1, A2, B2, A3]): the first detached freelist takes
    A3, A2, A1 (misses B2, B1).  5.15 marks them NULL and resumes at B2: the group
    B2 <- B1 is B1 -> B2; 6.1 swaps them to the end and goes on from [B1, B2]: B2 -> B1.
    slab_free_freelist_hook reverses each group, so slab B's freelist starts with B2
    on 5.15 and with B1 on 6.1."""
    for version, head in (("v5.15", 1), ("v6.1", 0)):
        rt, k = runtime(version)
        c = k.kmem_cache_create("c", 64)
        objs = [rt.alloc(c, 0) for _ in range(64 * 2 + 1)]
        a, b = objs[:64], objs[64:128]
        rt.free_bulk(c, [a[0], b[0], a[1], b[1], a[2]], 0)
        st = rt.state(c)
        slab_b = rt.virt_to_slab(b[0])
        assert rt._slab_freelist(st, slab_b)[:2] == [b[head], b[1 - head]], version


def test_reports_per_version() -> None:
    """One byte written into the right red zone of a 100-byte slab_debug=FZPU object,
    then freed: free_debug_processing -> check_object reports and restores it, and
    the object is not freed.  The words follow each version's mm/slub.c:

    * 5.10: "BUG v (Not tainted): Right Redzone overwritten", then "INFO: " lines
      (range, slab with flags in hex, object), the FIX without the area's name and
      with a newline of its own;
    * 5.15 .. 6.6: the same header, no "INFO: ", "FIX v: Restoring Right Redzone
      ...", slab flags named (slab);
    * 6.12.0 .. 6.12.45: every area checked, the FIX right after the range, one
      trailer to close;
    * 6.12.46 and 6.18: "[Right Redzone overwritten] ..." then "Object corrupt";
      no PG_slab name (a page type).
    The taint column is 18 letters wide on 5.x, 19 from 5.17, 20 on 6.18, and the
    WARN taint (W) comes with the 6.15-style reports only."""
    script = ["create v 100", "a = alloc v", "write a+100 41", "free a", "b = alloc v"]
    script += ["free b", "free b"]
    logs = {}
    for version in ("v5.10", "v5.15", "v6.6", "v6.12.45", "v6.12", "v6.18"):
        cfg = KernelConfig.build(version, "x86_64", nr_cpus=2, slub_debug="FZPU")
        sim = slabhw.Simulation(cfg, mem=64 << 20)
        sim.run(slabhw.simulate.parse_script(script))
        logs[version] = [e.log for e in sim.events]
    first = {v: log[3] for v, log in logs.items()}
    assert first["v5.10"][1] == "BUG v (Not tainted): Right Redzone overwritten"
    assert first["v5.10"][4].startswith("INFO: 0xffff888000001d1c-0xffff888000001d1c @offset=")
    assert first["v5.10"][5].startswith("INFO: Slab 0xffffea0000000000 objects=18 used=1")
    assert first["v5.10"][5].endswith("flags=0x0006")
    assert "FIX v: Restoring 0xffff888000001d1c-0xffff888000001d1c=0xcc" in first["v5.10"]
    assert first["v5.15"][4].startswith("0xffff888000001d1c-")
    assert first["v5.15"][5].endswith("flags=0x6(slab|head)")
    fix = "FIX v: Restoring Right Redzone 0xffff888000000eac-0xffff888000000eac=0xcc"
    assert first["v6.6"][1] == "BUG v (Not tainted): Right Redzone overwritten"
    assert first["v6.6"][-2] == fix  # after the trailer
    assert first["v6.12.45"][5] == fix  # right after the range line
    assert first["v6.12.45"][6].endswith("flags=0x0()")  # then the closing trailer
    for version in ("v6.12", "v6.18"):
        assert first[version][0].startswith("[Right Redzone overwritten] 0xffff888000000eac")
        assert first[version][2] == "BUG v (Not tainted): Object corrupt"
    # the double free: "Object already free", with the taint the first report left
    taint = {v: log[6][1] for v, log in logs.items()}
    assert taint["v5.10"] == "BUG v (Tainted: G    B            ): Object already free"
    assert taint["v6.6"] == "BUG v (Tainted: G    B             ): Object already free"
    assert taint["v6.12"] == "BUG v (Tainted: G    B   W         ): Object already free"
    assert taint["v6.18"] == "BUG v (Tainted: G    B   W          ): Object already free"


def test_destroy_with_objects_per_version() -> None:
    """kmem_cache_destroy of a cache with an object left: 5.10/5.15 pr_err without the
    caller and keep the cache; 6.1/6.6 WARN with the caller and keep it; 6.12 WARN
    and take it off slab_caches (its slab leaks)."""
    expect = {
        "v5.15": ("kmem_cache_destroy c: Slab cache still has objects", True),
        "v6.6": ("kmem_cache_destroy c: Slab cache still has objects when called from 0x0", True),
        "v6.12": ("kmem_cache_destroy c: Slab cache still has objects when called from 0x0", False),
    }
    for version, (message, listed) in expect.items():
        rt, k = runtime(version)
        c = k.kmem_cache_create("c", 64)
        rt.alloc(c, 0)
        k.kmem_cache_destroy(c)
        assert k.log[-1] == message and (c in k.slab_caches) == listed, version


def test_init_on_free_wipes_an_outside_free_pointer_before_6_10() -> None:
    """A 4-byte SLAB_RED_ZONE cache keeps its free pointer outside the object (the
    object is smaller than a pointer; v5.13 rule), at offset 8 after the red zone.
    Allocating o0 leaves its word holding o1 (plain pointers, address order).  With
    init_on_free, maybe_wipe_obj_freeptr clears that word on 5.15 (always) but not on
    6.12 (only inside the object, 6.10)."""
    for version, word_is_next in (("v5.15", False), ("v6.12", True)):
        rt, k = runtime(version, init_on_free=True)
        c = k.kmem_cache_create("c", 4, 0, "SLAB_RED_ZONE")
        assert c.offset >= c.inuse, version  # outside
        o0 = rt.alloc(c, 0)
        assert o0 is not None
        word = int.from_bytes(rt.arena.read(o0 + c.offset, 8), "little")
        assert word == ((o0 + c.size) if word_is_next else 0), version


def test_init_on_alloc_clears_the_request_per_version() -> None:
    """slab_debug=Z, kmalloc(40) from kmalloc-64 filled with 0x41, freed and taken
    again with init_on_alloc: 6.1 clears object_size (64) bytes; 6.2's rule clears
    only the request (40) of a red-zoned kmalloc cache (6.6.100, 6.12); 6.6.145 takes
    only store-user caches, so a Z cache is cleared whole again (6.6.150).  The free
    pointer sits at 32, inside the cleared part."""
    cases = (("v6.1", 64), ("v6.6.100", 40), ("v6.6.150", 64), ("v6.12", 40))
    for version, cleared in cases:
        rt, k = runtime(version, init_on_alloc=True, slub_debug="Z")
        a = rt.kmalloc(40, 0)
        assert a is not None
        rt.arena.fill(a, 64, 0x41)
        rt.free(k.kmalloc_slab(40), a, 0)
        b = rt.kmalloc(40, 0)
        assert b == a, version
        got = rt.arena.read(b, 64)
        assert got == bytes(cleared) + b"A" * (64 - cleared), version
