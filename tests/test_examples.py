"""Worked examples of Linux 3.16 SLAB geometry, derived by hand from the source.

The rules (mm/slab.c v3.16.41): the object is rounded to the word, then to the
alignment ``ralign = max(word, calculate_alignment(...))``; sizes at or above
OFF_SLAB_MIN_SIZE (128 on 4 KiB pages) are off-slab candidates, tested *before*
the alignment padding; calculate_slab_order tries order 0, 1, ... and keeps the
first order that holds an object unless it wastes more than 1/8 and
slab_max_order (1 with > 32 MiB of RAM) allows a larger one; an off-slab freelist
moves back on-slab when left_over holds it ALIGN'ed; colour = left_over /
max(cache_line_size, align); tunables come from enable_cpucache.

Each table row was computed with pencil and paper from those rules (a few
derivations are written out below) and cross-checked against shared/spec.
"""

from __future__ import annotations

import pytest

from slabhw import Kernel, _core
from tests.helpers import config

HW = 0x2000  # SLAB_HWCACHE_ALIGN
RA = 0x20000  # SLAB_RECLAIM_ACCOUNT
RCU = 0x80000  # SLAB_DESTROY_BY_RCU
RZ, SU, P = 0x400, 0x10000, 0x800


def create(size: int, flags: int = 0, arch: str = "x86_64", **options: object):  # type: ignore[no-untyped-def]
    c = _core.slab316_create(config(arch, **options).slab_params(), size, 0, flags)
    assert c.error == 0, c
    return c


# x86_64, 4 KiB pages, 4 CPUs, slab_max_order 1.
# (object_size, flags):
#     align, size, num, order, off_slab, freelist, left, colour, limit/batch/shared
X86_64 = {
    (8, 0): (8, 16, 240, 0, 0, 240, 16, 0, (120, 60, 8)),
    (8, HW): (8, 16, 240, 0, 0, 240, 16, 0, (120, 60, 8)),
    (32, 0): (8, 32, 124, 0, 0, 128, 0, 0, (120, 60, 8)),
    (32, HW): (32, 32, 124, 0, 0, 128, 0, 0, (120, 60, 8)),
    (100, 0): (8, 104, 39, 0, 0, 40, 0, 0, (120, 60, 8)),
    (100, HW): (64, 128, 31, 0, 0, 64, 64, 1, (120, 60, 8)),
    (110, 0): (8, 112, 36, 0, 0, 40, 24, 0, (120, 60, 8)),
    (110, HW): (64, 128, 31, 0, 0, 64, 64, 1, (120, 60, 8)),
    (192, 0): (8, 192, 21, 0, 0, 24, 40, 0, (120, 60, 8)),
    (192, HW): (64, 192, 21, 0, 0, 64, 0, 0, (120, 60, 8)),
    (256, 0): (8, 256, 16, 0, 1, 16, 0, 0, (120, 60, 8)),
    (256, HW): (64, 256, 16, 0, 1, 16, 0, 0, (120, 60, 8)),
    (512, 0): (8, 512, 8, 0, 1, 8, 0, 0, (54, 27, 8)),
    (1000, 0): (8, 1000, 4, 0, 0, 8, 88, 1, (54, 27, 8)),
    (1000, HW): (64, 1024, 4, 0, 1, 4, 0, 0, (54, 27, 8)),
    (2048, 0): (8, 2048, 2, 0, 1, 2, 0, 0, (24, 12, 8)),
    (4096, 0): (8, 4096, 1, 0, 1, 1, 0, 0, (24, 12, 8)),
    (8192, 0): (8, 8192, 1, 1, 1, 1, 0, 0, (8, 4, 0)),
    (8192, HW): (64, 8192, 1, 1, 1, 1, 0, 0, (8, 4, 0)),
    # section 8.3 of the spec: other rules
    (24, 0): (8, 24, 163, 0, 0, 168, 16, 0, (120, 60, 8)),
    (120, 0): (8, 120, 33, 0, 0, 40, 96, 1, (120, 60, 8)),
    (128, 0): (8, 128, 32, 0, 1, 32, 0, 0, (120, 60, 8)),
    (200, 0): (8, 200, 20, 0, 0, 24, 72, 1, (120, 60, 8)),
    (640, 0): (8, 640, 6, 0, 0, 8, 248, 3, (54, 27, 8)),
    (96, HW): (64, 128, 31, 0, 0, 64, 64, 1, (120, 60, 8)),
    (40, HW): (64, 64, 63, 0, 0, 64, 0, 0, (120, 60, 8)),
    (16, HW): (16, 16, 240, 0, 0, 240, 16, 0, (120, 60, 8)),
    (2049, 0): (8, 2056, 3, 1, 0, 8, 2016, 31, (24, 12, 8)),
    (3000, 0): (8, 3000, 2, 1, 0, 8, 2184, 34, (24, 12, 8)),
    (3000, RA): (8, 3000, 1, 0, 0, 8, 1088, 17, (24, 12, 8)),
    (4097, 0): (8, 4104, 1, 1, 0, 8, 4080, 63, (8, 4, 0)),
    (8200, 0): (8, 8200, 1, 2, 0, 8, 8176, 127, (8, 4, 0)),
    (4194304, 0): (8, 4194304, 1, 10, 1, 1, 0, 0, (1, 1, 0)),
    (0, 0): (8, 16, 240, 0, 0, 240, 16, 0, (120, 60, 8)),
}


def _row(c) -> tuple:  # type: ignore[no-untyped-def]
    return (
        c.align,
        c.size,
        c.num,
        c.gfporder,
        c.off_slab,
        c.freelist_size,
        c.left_over,
        c.colour,
        (c.limit, c.batchcount, c.shared),
    )


@pytest.mark.parametrize(("case", "expected"), list(X86_64.items()), ids=str)
def test_x86_64_geometry(case: tuple[int, int], expected: tuple) -> None:  # type: ignore[type-arg]
    size, flags = case
    assert _row(create(size, flags)) == expected


def test_seed_example_derivation() -> None:
    """The seed: kmem_cache_create("test_cache", 110, 0, SLAB_HWCACHE_ALIGN, NULL).

    calculate_alignment: 110 > 64/2, so ralign stays 64 -> align 64.
    __kmem_cache_create: 110 -> 112 (word); ralign = max(8, 64) = 64; off-slab test
    on 112 < 128 -> on-slab; ALIGN(112, 64) = 128.  Order 0: n = 4096 / (128 + 1) = 31;
    4096 - 31*128 = 128 >= ALIGN(31, 64) = 64 -> num 31; left = 4096 - 3968 - 64 = 64;
    64*8 <= 4096 -> stop.  colour_off 64, colour 64 / 64 = 1.  size 128 <= 256 ->
    limit 120, batchcount 60, shared 8 (more than one possible CPU).
    """
    k = Kernel("v3.16", "x86_64", nr_cpus=4)
    c = k.kmem_cache_create("test_cache", 110, 0, "SLAB_HWCACHE_ALIGN")
    assert c is not None
    assert (c.align, c.size, c.num, c.gfporder, c.colour, c.colour_off) == (64, 128, 31, 0, 1, 64)
    assert (c.freelist_size, c.off_slab, c.object_size) == (64, False, 110)
    assert (c.limit, c.batchcount, c.shared) == (120, 60, 8)


def test_move_back_derivation() -> None:
    """size 1000, no flags: 1000 >= 128 -> CFLGS_OFF_SLAB; order 0 off-slab: 4096 / 1000
    = 4 objects, left 96, 96*8 = 768 <= 4096 -> stop.  The freelist ALIGN(4*1, 8) = 8 <=
    96 moves back on-slab: left 88, colour 88 / 64 = 1.  1000 > 256 -> limit 54."""
    c = create(1000)
    assert (c.off_slab, c.num, c.left_over, c.freelist_size, c.colour) == (0, 4, 88, 8, 1)
    assert (c.limit, c.batchcount) == (54, 27)


def test_waste_rule_derivation() -> None:
    """size 3000: order 0 holds 1 object wasting 1096 - 8 > 512 (1/8), and
    slab_max_order 1 allows order 1: 2 objects, left 8192 - 6000 = 2192, moved-back
    freelist 8 -> left 2184, colour 34.  With SLAB_RECLAIM_ACCOUNT the first fit stands."""
    assert (create(3000).gfporder, create(3000).num) == (1, 2)
    assert (create(3000, RA).gfporder, create(3000, RA).left_over) == (0, 1088)
    # with <= 32 MiB of RAM slab_max_order is 0: the first fitting order always
    small = {"mem": 32 << 20}
    assert (create(2049, **small).gfporder, create(2049, **small).colour) == (0, 31)
    assert (create(3000, **small).num, create(3000, **small).colour) == (1, 17)
    assert create(8192, **small).gfporder == 1
    # slab_max_order=99 is clamped to MAX_ORDER - 1 = 10; now only the 1/8 rule stops
    # the search: order 1 (off-slab estimate) leaves 8192 - 6000 = 2192 > 8192/8, order 2
    # holds 5 and leaves 16384 - 15000 = 1384 <= 2048 -> stop; the freelist
    # ALIGN(5, 8) = 8 moves back on-slab: left 1376, colour 1376 / 64 = 21.
    c = create(3000, slab_max_order_param=99)
    assert (c.gfporder, c.num, c.left_over, c.colour, c.off_slab) == (2, 5, 1376, 21, 0)
    assert config(slab_max_order_param=99).slab_max_order == 10


def test_one_possible_cpu_has_no_shared_array() -> None:
    for size in (8, 110, 1000, 4096):
        assert create(size, nr_cpus=1).shared == 0


# CONFIG_DEBUG_SLAB (x86_64): (size, flags) -> final debug flags, obj_offset, align,
# size, num, order, off_slab, left, colour, limit/batch
DEBUG = {
    (8, 0): (RZ | SU | P, 8, 8, 32, 124, 0, 0, 0, 0, (32, 16)),
    (32, 0): (RZ | SU | P, 8, 8, 56, 71, 0, 0, 48, 0, (32, 16)),
    (100, 0): (RZ | SU | P, 8, 8, 128, 32, 0, 1, 0, 0, (32, 16)),
    (110, HW): (P, 0, 64, 128, 31, 0, 0, 64, 1, (32, 16)),
    (192, 0): (RZ | SU | P, 8, 8, 216, 18, 0, 0, 184, 2, (32, 16)),
    (1000, 0): (RZ | SU | P, 8, 8, 1024, 4, 0, 1, 0, 0, (32, 16)),
    (4000, 0): (RZ | SU | P, 8, 8, 4024, 1, 0, 0, 64, 1, (24, 12)),
    (4096, 0): (P, 0, 8, 4096, 1, 0, 1, 0, 0, (24, 12)),
    (3000, RCU): (RZ | SU, 8, 8, 3024, 2, 1, 0, 2136, 33, (24, 12)),
}


@pytest.mark.parametrize(("case", "expected"), list(DEBUG.items()), ids=str)
def test_debug_slab_geometry(case: tuple[int, int], expected: tuple) -> None:  # type: ignore[type-arg]
    size, flags = case
    c = create(size, flags, debug_slab=True)
    debug_bits = c.flags & (RZ | SU | P)
    got = (
        debug_bits,
        c.obj_offset,
        c.align,
        c.size,
        c.num,
        c.gfporder,
        c.off_slab,
        c.left_over,
        c.colour,
        (c.limit, c.batchcount),
    )
    assert got == expected


def test_debug_slab_derivation() -> None:
    """DEBUG_SLAB, size 192: FORCED_DEBUG adds RED_ZONE|STORE_USER (192 < 4096) and
    POISON; 192 -> ALIGN(192, REDZONE_ALIGN 8) = 192; ralign 8 keeps the debug words;
    red zones add 16 (obj_offset 8), the user word 8 -> 216.  216 >= 128 -> off-slab
    candidate; order 0: 4096 / 216 = 18, left 4096 - 3888 = 208 <= 512 -> stop;
    freelist ALIGN(18, 8) = 24 <= 208 -> on-slab, left 184, colour 184 / 64 = 2."""
    c = create(192, debug_slab=True)
    assert (c.size, c.obj_offset, c.num, c.left_over, c.colour, c.off_slab) == (
        216,
        8,
        18,
        184,
        2,
        0,
    )


def test_debug_pagealloc_pushes_objects_to_page_end() -> None:
    """DEBUG_SLAB + DEBUG_PAGEALLOC: size >= kmalloc_size(INDEX_NODE) = 128 and >= 256,
    object_size > cache_line_size and ALIGN(size, align) < PAGE_SIZE -> one object per
    page, pushed to the end: 300 -> 328 with the debug words, obj_offset 8 + 4096 - 328."""
    c = create(300, debug_slab=True, debug_pagealloc=True)
    assert (c.size, c.obj_offset, c.num, c.off_slab) == (4096, 3776, 1, 1)
    assert create(1000, debug_slab=True, debug_pagealloc=True).obj_offset == 3080
    assert create(100, debug_slab=True, debug_pagealloc=True).size == 128


def test_debug_slab_leak_adds_a_status_byte() -> None:
    """CONFIG_DEBUG_SLAB_LEAK: one char per object after the index (no DEBUG_SLAB):
    size 8 -> 16; n = 4096 / (16 + 1 + 1) = 227; 4096 - 3632 = 464 >= ALIGN(454, 8) = 456."""
    c = create(8, debug_slab_leak=True)
    assert (c.num, c.freelist_size, c.left_over) == (227, 456, 8)


# Cross-architecture vectors: size/num/order/off_slab/freelist/left/colour.
CROSS = {
    "arm64": {
        8: (16, 240, 0, 0, 240, 16, 0),
        (110, HW): (128, 31, 0, 0, 64, 64, 1),
        192: (192, 21, 0, 0, 24, 40, 0),
        256: (256, 16, 0, 1, 16, 0, 0),
        1000: (1000, 4, 0, 0, 8, 88, 1),
        4096: (4096, 1, 0, 1, 1, 0, 0),
        8192: (8192, 1, 1, 1, 1, 0, 0),
    },
    "arm64-64k": {
        8: (8, 6553, 0, 0, 13112, 0, 0),
        (110, HW): (128, 504, 0, 0, 1024, 0, 0),
        192: (192, 337, 0, 0, 680, 152, 2),
        256: (256, 254, 0, 0, 512, 0, 0),
        1000: (1000, 65, 0, 0, 136, 400, 6),
        4096: (4096, 16, 0, 1, 32, 0, 0),
        8192: (8192, 8, 0, 1, 16, 0, 0),
    },
    "ppc64-4k": {
        8: (16, 240, 0, 0, 240, 16, 0),
        (110, HW): (128, 31, 0, 0, 128, 0, 0),
        192: (192, 21, 0, 0, 24, 40, 0),
        256: (256, 16, 0, 1, 16, 0, 0),
        1000: (1000, 4, 0, 0, 8, 88, 0),
        4096: (4096, 1, 0, 1, 1, 0, 0),
        8192: (8192, 1, 1, 1, 1, 0, 0),
    },
    "ppc64": {
        8: (8, 6553, 0, 0, 13112, 0, 0),
        (110, HW): (128, 504, 0, 0, 1024, 0, 0),
        192: (192, 337, 0, 0, 680, 152, 1),
        256: (256, 254, 0, 0, 512, 0, 0),
        1000: (1000, 65, 0, 0, 136, 400, 3),
        4096: (4096, 16, 0, 1, 32, 0, 0),
        8192: (8192, 8, 0, 1, 16, 0, 0),
    },
    "s390x": {
        8: (16, 240, 0, 0, 240, 16, 0),
        (110, HW): (128, 31, 0, 0, 128, 0, 0),
        192: (192, 21, 0, 0, 24, 40, 0),
        256: (256, 16, 0, 1, 16, 0, 0),
        1000: (1000, 4, 0, 0, 8, 88, 0),
        4096: (4096, 1, 0, 1, 1, 0, 0),
        8192: (8192, 1, 1, 1, 1, 0, 0),
    },
    "i386": {
        8: (16, 240, 0, 0, 240, 16, 0),
        (110, HW): (128, 31, 0, 0, 64, 64, 1),
        192: (192, 21, 0, 0, 24, 40, 0),
        256: (256, 16, 0, 1, 16, 0, 0),
        1000: (1000, 4, 0, 0, 8, 88, 1),
        4096: (4096, 1, 0, 1, 1, 0, 0),
        8192: (8192, 1, 1, 1, 1, 0, 0),
    },
}


@pytest.mark.parametrize(
    ("arch", "case", "expected"),
    [(a, c, e) for a, rows in CROSS.items() for c, e in rows.items()],
    ids=str,
)
def test_cross_arch_geometry(arch: str, case: int | tuple[int, int], expected: tuple) -> None:  # type: ignore[type-arg]
    size, flags = case if isinstance(case, tuple) else (case, 0)
    c = create(size, flags, arch)
    assert (
        c.size,
        c.num,
        c.gfporder,
        c.off_slab,
        c.freelist_size,
        c.left_over,
        c.colour,
    ) == expected


def test_arm64_64k_derivation() -> None:
    """arm64, 64 KiB pages: PAGE_SIZE >> 8 = 256 > SLAB_OBJ_MIN_SIZE, so freelist_idx_t
    is 2 bytes and there is no 16-byte minimum: size 8 stays 8.  n = 65536 / (8 + 2)
    = 6553; 65536 - 52424 = 13112 >= ALIGN(13106, 8) = 13112 -> num 6553, left 0.
    OFF_SLAB_MIN_SIZE = 65536 >> 5 = 2048, so 256 is on-slab here."""
    cfg = config("arm64-64k")
    assert (cfg.freelist_idx_size, cfg.slab_obj_max_num, cfg.off_slab_min_size) == (2, 65535, 2048)
    assert (cfg.kmalloc_min_size, cfg.kmalloc_shift_high) == (64, 25)


def test_alignment_of_110_hw_per_arch() -> None:
    """calculate_alignment(HWCACHE, 0, 110): the cache line halves while 110 <= line/2:
    64 stays 64; 128 stays 128; s390x 256 -> 128."""
    got = {a: create(110, HW, a).align for a in ("arm64", "i386", "ppc64", "s390x", "arm")}
    assert got == {"arm64": 64, "i386": 64, "ppc64": 128, "s390x": 128, "arm": 64}


def test_size_beyond_32_bits_wraps_in_the_descriptor() -> None:
    """do_kmem_cache_create stores the size_t size into int object_size and unsigned
    int size: 2^32 + 110 with HWCACHE_ALIGN creates the same cache as 110 on x86_64."""
    c = create((1 << 32) + 110, HW)
    assert (c.object_size, c.size, c.align, c.num) == (110, 128, 64, 31)
    # calculate_alignment saw the full size: 2^32 with HWCACHE does not hang
    c = create(1 << 32, HW)
    assert (c.object_size, c.align, c.size) == (0, 64, 64)
