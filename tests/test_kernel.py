"""The simulated kernel: boot caches, kmem_cache_create's steps and errors,
kmalloc cache selection, /proc/slabinfo text."""

from __future__ import annotations

import pytest

from slabhw import (
    ZERO_SIZE,
    InputError,
    Kernel,
    KernelBug,
    KernelHang,
    KernelPanic,
    calculate_alignment,
)
from slabhw import slabinfo as si
from slabhw.errors import E2BIG, EINVAL, ENOMEM

HW = "SLAB_HWCACHE_ALIGN"


def boot(arch: str = "x86_64", **options: object) -> Kernel:
    options.setdefault("nr_cpus", 4)
    return Kernel("v3.16", arch, **options)  # type: ignore[arg-type]


# ---- boot ---------------------------------------------------------------------------------
def test_x86_64_boot_order_and_names() -> None:
    """kmem_cache_init: kmem_cache, kmalloc-ac (32), kmalloc-node (128), then
    create_kmalloc_caches: 64, 96 (right after 64), 192 (right after 128), 256 ...
    4194304, then dma-kmalloc-* in index order (96 and 192 sit at indices 1 and 2)."""
    names = [c.name for c in reversed(boot().slab_caches)]
    normal = ["kmalloc-32", "kmalloc-128", "kmalloc-64", "kmalloc-96", "kmalloc-192"] + [
        f"kmalloc-{1 << i}" for i in range(8, 23)
    ]
    dma = ["dma-kmalloc-96", "dma-kmalloc-192"] + [f"dma-kmalloc-{1 << i}" for i in range(5, 23)]
    assert names == ["kmem_cache"] + normal + dma


def test_kmem_cache_cache() -> None:
    """ "kmem_cache" holds struct kmem_cache up to array[nr_cpu_ids] plus the node
    pointers: 128 + 8 * 4 + 8 = 168 bytes on x86_64 with 4 CPUs; HWCACHE_ALIGN -> 64,
    stride 192, on-slab (slab_early_init), 21 objects; refcount -1."""
    k = boot()
    kc = k.find_cache("kmem_cache")
    assert (kc.object_size, kc.align, kc.size, kc.num, kc.off_slab, kc.refcount) == (
        168,
        64,
        192,
        21,
        False,
        -1,
    )
    assert boot(memcg_kmem=True).find_cache("kmem_cache").object_size == 176
    assert boot(debug=True).find_cache("kmem_cache").object_size == 232 + 40


# name: align, size, num, order, off_slab, freelist, colour, limit/batch/shared
KMALLOC_X86_64 = {
    "kmalloc-32": (32, 32, 124, 0, False, 128, 0, (120, 60, 8)),
    "kmalloc-64": (64, 64, 63, 0, False, 64, 0, (120, 60, 8)),
    "kmalloc-96": (64, 128, 31, 0, False, 64, 1, (120, 60, 8)),
    "kmalloc-128": (64, 128, 31, 0, False, 64, 1, (120, 60, 8)),  # early: on-slab
    "kmalloc-192": (64, 192, 21, 0, False, 64, 0, (120, 60, 8)),
    "kmalloc-256": (64, 256, 16, 0, True, 16, 0, (120, 60, 8)),
    "kmalloc-512": (64, 512, 8, 0, True, 8, 0, (54, 27, 8)),
    "kmalloc-1024": (64, 1024, 4, 0, True, 4, 0, (54, 27, 8)),
    "kmalloc-2048": (64, 2048, 2, 0, True, 2, 0, (24, 12, 8)),
    "kmalloc-4096": (64, 4096, 1, 0, True, 1, 0, (24, 12, 8)),
    "kmalloc-8192": (64, 8192, 1, 1, True, 1, 0, (8, 4, 0)),
    "kmalloc-131072": (64, 131072, 1, 5, True, 1, 0, (8, 4, 0)),
    "kmalloc-262144": (64, 262144, 1, 6, True, 1, 0, (1, 1, 0)),
    "kmalloc-4194304": (64, 4194304, 1, 10, True, 1, 0, (1, 1, 0)),
    "dma-kmalloc-128": (64, 128, 32, 0, True, 32, 0, (120, 60, 8)),  # not early: off
    "dma-kmalloc-96": (64, 128, 31, 0, False, 64, 1, (120, 60, 8)),
}


@pytest.mark.parametrize(("name", "expected"), list(KMALLOC_X86_64.items()))
def test_x86_64_kmalloc_geometry(name: str, expected: tuple) -> None:  # type: ignore[type-arg]
    c = boot().find_cache(name)
    got = (
        c.align,
        c.size,
        c.num,
        c.gfporder,
        c.off_slab,
        c.freelist_size,
        c.colour,
        (c.limit, c.batchcount, c.shared),
    )
    assert got == expected
    if c.off_slab:
        assert c.freelist_cache is not None and c.freelist_cache.name == "kmalloc-32"


def test_dma_caches_allocate_from_zone_dma() -> None:
    k = boot()
    assert k.find_cache("dma-kmalloc-64").allocflags == 0x4000 | 0x01  # __GFP_COMP|GFP_DMA
    assert k.find_cache("kmalloc-64").allocflags == 0x4000
    assert not any(c.name.startswith("dma-") for c in boot(zone_dma=False).slab_caches)


def test_i386_early_caches() -> None:
    """i386: arraycache_init is 24 bytes -> INDEX_AC 5, kmem_cache_node 56 -> INDEX_NODE 6,
    so kmalloc-64 is the early on-slab cache; create_kmalloc_caches then makes 96 right
    after index 6, then 128, which is off-slab (32 objects)."""
    k = boot("i386")
    assert (k.config.index_ac, k.config.index_node) == (5, 6)
    assert [c.name for c in reversed(k.slab_caches)][:5] == [
        "kmem_cache",
        "kmalloc-32",
        "kmalloc-64",
        "kmalloc-96",
        "kmalloc-128",
    ]
    c128 = k.find_cache("kmalloc-128")
    assert (c128.off_slab, c128.num) == (True, 32)


def test_arm_shares_one_early_cache() -> None:
    """32-bit ARM v7: KMALLOC_MIN_SIZE 64, and both boot structures fit kmalloc-64
    (INDEX_AC == INDEX_NODE == 6): no kmalloc-node stage; no kmalloc-32/96 caches."""
    k = boot("arm")
    assert k.config.index_ac == k.config.index_node == 6
    names = [c.name for c in reversed(k.slab_caches)]
    assert names[:4] == ["kmem_cache", "kmalloc-64", "kmalloc-128", "kmalloc-192"]
    assert "kmalloc-32" not in names and "kmalloc-96" not in names


def test_s390x_kmalloc_192_is_256_aligned() -> None:
    """s390x: cache line 256; calculate_alignment(HW, 8, 192) stays 256 -> stride 256,
    16 per slab; 256 >= OFF_SLAB_MIN_SIZE (sz 192 before padding) -> off-slab."""
    c = boot("s390x").find_cache("kmalloc-192")
    assert (c.align, c.size, c.num, c.off_slab) == (256, 256, 16, True)


def test_ppc64_64k_kmalloc() -> None:
    k = boot("ppc64")
    assert k.find_cache("kmalloc-512").num == 127
    assert k.find_cache("kmalloc-1024").num == 63
    assert not k.find_cache("kmalloc-1024").off_slab
    assert k.find_cache("kmalloc-2048").off_slab


# ---- kmalloc_slab -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arch", "table"),
    [
        (
            "x86_64",
            {
                1: 32,
                32: 32,
                33: 64,
                64: 64,
                65: 96,
                96: 96,
                97: 128,
                128: 128,
                129: 192,
                192: 192,
                193: 256,
                256: 256,
                257: 512,
                4096: 4096,
                4097: 8192,
                4194304: 4194304,
            },
        ),
        (
            "arm64",
            {1: 64, 32: 64, 64: 64, 65: 128, 96: 128, 128: 128, 129: 192, 192: 192, 193: 256},
        ),
    ],
)
def test_kmalloc_slab_sizes(arch: str, table: dict[int, int]) -> None:
    k = boot(arch)
    for size, cache_size in table.items():
        c = k.kmalloc_slab(size)
        assert c is not None and c is not ZERO_SIZE
        assert c.object_size == cache_size, size  # type: ignore[union-attr]


def test_kmalloc_slab_edges() -> None:
    k = boot()
    assert k.kmalloc_slab(0) is ZERO_SIZE
    assert k.kmalloc_slab(4194305) is None
    assert "kmalloc_slab" in k.log[-1]
    assert k.kmalloc_slab(100, "dma").name == "dma-kmalloc-128"  # type: ignore[union-attr]
    with pytest.raises(InputError):
        k.kmalloc_slab(-1)


@pytest.mark.parametrize("arch", ["x86_64", "arm64", "i386", "ppc64", "s390x", "arm"])
def test_compile_time_and_run_time_mappings_agree(arch: str) -> None:
    """kmalloc_index() (constant sizes) and kmalloc_slab() (run time) pick the same cache
    for every size up to KMALLOC_MAX_SIZE, after create_kmalloc_caches patched size_index."""
    k = boot(arch)
    sizes = (
        list(range(1, 2050))
        + [(1 << n) + d for n in range(11, k.config.kmalloc_shift_high) for d in (-1, 0, 1)]
        + [k.config.kmalloc_max_size]
    )
    for size in sizes:
        c = k.kmalloc_slab(size)
        assert c is k.kmalloc_caches[k.kmalloc_index(size)], size


# ---- kmem_cache_create -----------------------------------------------------------------
def test_new_caches_go_to_the_list_head() -> None:
    k = boot()
    a = k.kmem_cache_create("a", 100)
    b = k.kmem_cache_create("b", 100)
    assert k.slab_caches[0] is b and k.slab_caches[1] is a
    assert a is not b  # SLAB 3.16 never merges
    assert si.render(k.slab_caches, False).splitlines()[2].startswith("b ")


def test_flags_are_masked() -> None:
    """CACHE_CREATE_MASK drops debug flags without CONFIG_DEBUG_SLAB, and SLUB-only flags."""
    k = boot()
    c = k.kmem_cache_create("x", 100, 0, "SLAB_POISON|SLAB_RED_ZONE|SLAB_TRACE|SLAB_HWCACHE_ALIGN")
    assert c is not None and c.flags == 0x2000
    assert k.config.cache_create_mask == 0x009E6000
    assert boot(debug=True).config.cache_create_mask == 0x009F6C00
    assert boot(debug_objects=True).config.cache_create_mask == 0x00DE6000
    assert boot(kmemcheck=True).config.cache_create_mask == 0x019E6000


def test_noleaktrace_forces_on_slab() -> None:
    k = boot()
    c = k.kmem_cache_create("x", 256, 0, "SLAB_NOLEAKTRACE")
    assert c is not None and not c.off_slab and c.num == 15


def test_e2big_warning_and_errno() -> None:
    k = boot()
    assert k.kmem_cache_create("huge", 4194305) is None
    assert k.errno == E2BIG
    assert k.log[-1] == "kmem_cache_create(huge) failed with error -7"
    assert k.slab_caches[0].name != "huge"


def test_panic_flag() -> None:
    k = boot()
    with pytest.raises(KernelPanic) as exc:
        k.kmem_cache_create("huge", 4194305, 0, "SLAB_PANIC")
    assert exc.value.message.endswith("kmem_cache_create: Failed to create slab 'huge'. Error -7")


def test_null_name() -> None:
    k = boot()
    assert k.kmem_cache_create(None, 100) is None
    assert (k.errno, k.log[-1]) == (ENOMEM, "kmem_cache_create((null)) failed with error -12")


def test_debug_vm_sanity_check() -> None:
    k = boot(debug_vm=True)
    assert k.kmem_cache_create("tiny", 4) is None  # size < sizeof(void *)
    assert k.errno == EINVAL
    assert k.log[-2] == "kmem_cache_create(tiny) integrity check failed"
    assert k.kmem_cache_create("big", 4194305) is None and k.errno == EINVAL
    assert k.kmem_cache_create("kmalloc-64", 64) is None  # duplicate name, not SLUB
    assert k.log[-2] == "kmem_cache_sanity_check (kmalloc-64): Cache name already exists."
    assert k.kmem_cache_create("ok", 64) is not None
    # without DEBUG_VM duplicate names are accepted
    k2 = boot()
    assert k2.kmem_cache_create("kmalloc-64", 64) is not None


def test_hang_and_bug() -> None:
    k = boot()
    with pytest.raises(KernelHang):
        k.kmem_cache_create("zero", 0, 0, HW)
    assert k.kmem_cache_create("zero", 0) is not None  # 16-byte objects
    kd = boot(debug=True)
    with pytest.raises(KernelBug, match="mm/slab.c:2249"):
        kd.kmem_cache_create("rcu", 100, 0, "SLAB_DESTROY_BY_RCU|SLAB_POISON")
    with pytest.raises(KernelHang):
        calculate_alignment(0x2000, 0, 0)


def test_bad_input_is_an_input_error() -> None:
    k = boot()
    with pytest.raises(InputError):
        k.kmem_cache_create("x", -1)
    with pytest.raises(InputError, match="unknown flag"):
        k.kmem_cache_create("x", 10, 0, "SLAB_NOPE")
    with pytest.raises(ValueError):  # InputError is a ValueError
        k.kmem_cache_create("x", 10, 0, 1 << 64)
    with pytest.raises(InputError, match="first appears in v4.4"):
        Kernel("v3.16", "arm64-16k")
    with pytest.raises(InputError, match="32-bit"):
        boot("i386").kmem_cache_create("x", 1 << 32)


def test_destroy_refcount() -> None:
    k = boot()
    c = k.kmem_cache_create("x", 100)
    assert c is not None
    c.refcount = 2
    k.kmem_cache_destroy(c)
    assert c in k.slab_caches
    k.kmem_cache_destroy(c)
    assert c not in k.slab_caches
    with pytest.raises(InputError):
        k.kmem_cache_destroy(c)


# ---- /proc/slabinfo -----------------------------------------------------------------
def test_slabinfo_text() -> None:
    k = boot()
    k.kmem_cache_create("test_cache", 110, 0, HW)
    lines = si.render(k.slab_caches, False).splitlines()
    assert lines[0] == "slabinfo - version: 2.1"
    assert lines[1] == (
        "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
        " : tunables <limit> <batchcount> <sharedfactor>"
        " : slabdata <active_slabs> <num_slabs> <sharedavail>"
    )
    assert lines[2] == (
        "test_cache             0      0    128   31    1 : tunables  120   60"
        "    8 : slabdata      0      0      0"
    )
    assert lines[-1].startswith("kmem_cache             0      0    192   21    1 :")
    # %-17s does not truncate: long names push the columns right
    assert any(
        line.startswith(
            "dma-kmalloc-4194304      0      0 4194304    1 1024 : tunables    1    1    0"
        )
        for line in lines
    )


def test_slabinfo_debug_header_and_stats() -> None:
    text = si.render(boot(debug=True).slab_caches, True)
    first, second, third = text.splitlines()[:3]
    assert first == "slabinfo - version: 2.1 (statistics)"
    assert second.endswith(" : cpustat <allochit> <allocmiss> <freehit> <freemiss>")
    assert (
        " : globalstat       0      0     0    0    0    0    0    0    0 : cpustat      0" in third
    )


def test_slabinfo_parse_round_trip() -> None:
    k = boot()
    rows = si.parse(si.render(k.slab_caches, False))
    assert len(rows) == len(k.slab_caches)
    assert rows[-1].name == "kmem_cache" and rows[-1].objsize == 192
    with pytest.raises(InputError):
        si.parse("not slabinfo")


def test_numpy_integers_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    c = boot().kmem_cache_create("np", np.uint64(110), np.int64(0), np.uint64(0x2000))
    assert c is not None and (c.size, c.align) == (128, 64)
    with pytest.raises(InputError):
        boot().kmem_cache_create("f", 1.5)  # type: ignore[arg-type]


def test_nr_cpus_bounds() -> None:
    with pytest.raises(InputError, match="CONFIG_NR_CPUS"):
        boot(nr_cpus=0)
    with pytest.raises(InputError, match="CONFIG_NR_CPUS"):
        boot(nr_cpus=8193)
    assert boot(nr_cpus=8192).find_cache("kmem_cache").object_size == 128 + 8 * 8192 + 8
