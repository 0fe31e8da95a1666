"""The C core against the pure-Python reference, under hypothesis.

Every entry point of csrc/ is compared with slabhw.reference on random
configurations (all v3.16 arches, debug switches, cache line sizes, slab_max_order,
CPU counts) and on inputs that favour the edges: 0, 1, word-1, powers of two and
their neighbours, the off-slab threshold, KMALLOC_MAX_SIZE, 2^31 and 2^32 (where
the kernel's int/unsigned int fields wrap) and the top of unsigned long.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slabhw import _core
from slabhw import reference as ref
from slabhw.config import KernelConfig
from slabhw.versions import get_preset
from tests.helpers import config

pytestmark = pytest.mark.skipif(_core.BACKEND != "c", reason="compares C with the reference")

FLAG_BITS = [d.value for d in KernelConfig.build().preset.flags]


@st.composite
def configs(draw: st.DrawFn) -> KernelConfig:
    arch = draw(st.sampled_from(sorted(get_preset("v3.16").arches)))
    return config(
        arch,
        nr_cpus=draw(st.integers(1, 8)),
        debug_slab=draw(st.booleans()),
        debug_vm=draw(st.booleans()),
        debug_pagealloc=draw(st.booleans()),
        debug_slab_leak=draw(st.booleans()),
        page_poisoning=draw(st.booleans()),
        debug_objects=draw(st.booleans()),
        slab_max_order_param=draw(st.one_of(st.none(), st.integers(-2, 16))),
        cache_line_size_param=draw(st.one_of(st.none(), st.sampled_from([16, 32, 64, 128, 256]))),
    )


def edge_values(bits: int) -> st.SearchStrategy[int]:
    top = (1 << bits) - 1
    specials = set()
    for base in [
        0,
        1,
        2,
        3,
        4,
        7,
        8,
        15,
        16,
        24,
        31,
        32,
        33,
        64,
        96,
        110,
        127,
        128,
        129,
        192,
        256,
        1000,
        2048,
        2049,
        4095,
        4096,
        4097,
        8192,
        65536,
        131072,
        1 << 22,
        (1 << 22) + 1,
        1 << 25,
        1 << 31,
        1 << 32,
        top,
    ]:
        for d in (-1, 0, 1):
            if 0 <= base + d <= top:
                specials.add(base + d)
    for k in range(bits):
        specials.add(1 << k)
        specials.add((1 << k) - 1)
    return st.one_of(
        st.sampled_from(sorted(specials)),
        st.integers(0, 1 << 14),
        st.integers(0, top),
        st.integers(top - 100, top),
        st.integers((1 << 32) - 100, (1 << 32) + 100).filter(lambda v: v <= top),
    )


def flag_values(bits: int) -> st.SearchStrategy[int]:
    combos = st.lists(st.sampled_from(FLAG_BITS), max_size=5).map(lambda xs: sum(set(xs)))
    return st.one_of(combos, st.integers(0, (1 << bits) - 1))


@st.composite
def create_cases(draw: st.DrawFn) -> tuple[KernelConfig, int, int, int, bool, bool]:
    cfg = draw(configs())
    bits = cfg.arch.word_bits
    size = draw(edge_values(bits))
    align = draw(st.one_of(st.sampled_from([0, 8, 16, 24, 64, 100, 4096]), edge_values(bits)))
    flags = draw(flag_values(bits))
    boot = draw(st.booleans())
    early = draw(st.booleans()) if boot else False
    return cfg, size, align, flags, boot, early


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(create_cases())
def test_create_matches_reference(case: tuple[KernelConfig, int, int, int, bool, bool]) -> None:
    cfg, size, align, flags, boot, early = case
    p = cfg.slab_params()
    expected = ref.kmem_cache_create(p, size, align, flags, boot=boot, slab_early_init=early)
    assert _core.slab316_create(p, size, align, flags, boot=boot, slab_early_init=early) == expected


@settings(max_examples=300, deadline=None)
@given(configs(), st.data())
def test_create_array_matches_scalar_reference(cfg: KernelConfig, data: st.DataObject) -> None:
    bits = cfg.arch.word_bits
    sizes = data.draw(st.lists(edge_values(bits), min_size=1, max_size=40))
    align = data.draw(st.sampled_from([0, 8, 64, 128]))
    flags = data.draw(flag_values(bits))
    p = cfg.slab_params()
    got = _core.slab316_create_array(p, np.array(sizes, dtype=np.uint64), align, flags)
    for row, size in zip(got, sizes):
        expected = ref.kmem_cache_create(p, size, align, flags)
        assert {f: int(row[f]) for f in ref.LAYOUT_FIELDS} == expected.as_dict()


@settings(max_examples=2000, deadline=None)
@given(configs(), st.data())
def test_calculate_alignment_matches_reference(cfg: KernelConfig, data: st.DataObject) -> None:
    bits = cfg.arch.word_bits
    flags = data.draw(flag_values(bits))
    align = data.draw(edge_values(bits))
    size = data.draw(edge_values(bits))
    p = cfg.slab_params()
    assert _core.calculate_alignment(p, flags, align, size) == ref.calculate_alignment(
        p, flags, align, size
    )


@settings(max_examples=300, deadline=None)
@given(configs(), st.data())
def test_calculate_alignment_array_paths(cfg: KernelConfig, data: st.DataObject) -> None:
    """Both array paths (the branchless broadcast path and the strided one) agree with
    the reference, 0 marking a hang."""
    bits = cfg.arch.word_bits
    sizes = data.draw(st.lists(edge_values(bits), min_size=1, max_size=64))
    aligns = data.draw(st.lists(edge_values(bits), min_size=len(sizes), max_size=len(sizes)))
    flags = data.draw(st.sampled_from([0, 0x2000, 0x2000 | 0x800]))
    p = cfg.slab_params()
    size_a = np.array(sizes, dtype=np.uint64)

    def expect(f: int, a: int, s: int) -> int:
        r = ref.calculate_alignment(p, f, a, s)
        return _core.ALIGN_HANG if r is None else r

    fast = _core.calculate_alignment(p, flags, aligns[0], size_a)
    assert fast.tolist() == [expect(flags, aligns[0], s) for s in sizes]
    strided = _core.calculate_alignment(
        p, np.full(len(sizes), flags, np.uint64), np.array(aligns, dtype=np.uint64), size_a
    )
    assert strided.tolist() == [expect(flags, a, s) for a, s in zip(aligns, sizes)]


def test_calculate_alignment_broadcasts_2d() -> None:
    p = config().slab_params()
    sizes = np.arange(0, 200, dtype=np.uint64).reshape(1, -1)
    aligns = np.array([[0], [8], [128]], dtype=np.uint64)
    got = _core.calculate_alignment(p, 0x2000, aligns, sizes)
    assert got.shape == (3, 200)
    for i, a in enumerate([0, 8, 128]):
        for s in range(200):
            r = ref.calculate_alignment(p, 0x2000, a, s)
            assert got[i, s] == (_core.ALIGN_HANG if r is None else r)


KMALLOC_LIMITS = st.builds(
    ref.KmallocParams,
    st.sampled_from([8, 16, 32, 64, 128, 256]),
    st.integers(3, 8),
    st.sampled_from([1 << 13, 1 << 14, 1 << 17, 1 << 22, 1 << 25]),
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(configs().map(lambda c: c.slab_kmalloc_params), KMALLOC_LIMITS))
def test_kmalloc_arithmetic_matches_reference(k: ref.KmallocParams) -> None:
    for size in (*range(0, 260), 4095, 4096, 4097, 1 << 20, (1 << 20) + 1, 1 << 27):
        assert _core.kmalloc_slab_index(k, size) == ref.kmalloc_slab_index(k, size)
        assert _core.kmalloc_index(k, size) == ref.kmalloc_index(k, size)


def test_kmalloc_size_matches_reference(arch_name: str) -> None:
    k = config(arch_name).slab_kmalloc_params
    for n in range(0, 27):
        assert _core.kmalloc_size(k, n) == ref.kmalloc_size(k, n)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from([32, 64]), st.sampled_from([12, 14, 16]), st.data())
def test_get_order_matches_reference(bits: int, page_shift: int, data: st.DataObject) -> None:
    size = data.draw(edge_values(bits))
    assert _core.get_order(size, page_shift, bits) == ref.get_order(size, page_shift, bits)
    arr = _core.get_order(np.array([size, size], dtype=np.uint64), page_shift, bits)
    assert arr.tolist() == [ref.get_order(size, page_shift, bits)] * 2


def test_get_order_known_values() -> None:
    # get_order(): the smallest order whose 4 KiB pages hold the size
    assert [ref.get_order(s, 12, 64) for s in (1, 4096, 4097, 8192, 8193, 1 << 22)] == [
        0,
        0,
        1,
        1,
        2,
        10,
    ]
    assert ref.get_order(0, 12, 64) == 52  # size - 1 wraps: BITS_PER_LONG - PAGE_SHIFT


@settings(max_examples=500, deadline=None)
@given(st.integers(0, (1 << 64) - 1), st.integers(1, 1 << 20), st.sampled_from([32, 64]))
def test_helpers_match(x: int, a: int, bits: int) -> None:
    x &= (1 << bits) - 1
    assert _core.kernel_align(x, a, bits) == ref.kernel_align(x, a, bits)
    assert _core.fls(x) == ref.fls(x)


def test_fls_is_the_kernels() -> None:
    # fls(0) = 0, fls(1) = 1, fls(0x80000000) = 32; fls takes an int: high bits drop
    assert [ref.fls(v) for v in (0, 1, 2, 3, 0x80000000, 0x1_0000_0001)] == [0, 1, 2, 2, 32, 1]


def test_reciprocal_value_divides_exactly() -> None:
    """reciprocal_divide(a, reciprocal_value(d)) == a // d (lib/reciprocal_div.c)."""
    rng = np.random.default_rng(1)
    for d in [1, 2, 3, 7, 104, 128, 192, 1000, 4104, 4194304] + list(rng.integers(1, 1 << 20, 50)):
        m, sh1, sh2 = ref.reciprocal_value(int(d))
        for a in [0, 1, int(d) - 1, int(d), 4095, 65535, 1 << 22] + list(
            rng.integers(0, 1 << 32, 50)
        ):
            a = int(a) & 0xFFFF_FFFF
            t = (a * m) >> 32
            assert (t + ((a - t) >> sh1)) >> sh2 == a // int(d)
    # the spec's worked values
    assert ref.reciprocal_value(128) == (1, 1, 6)
    assert ref.reciprocal_value(192) == (1431655766, 1, 7)
    assert ref.reciprocal_value(104) == (991146300, 1, 6)
    assert ref.reciprocal_value(1000) == (103079216, 1, 9)


def test_array_boundary_checks() -> None:
    p = config().slab_params()
    with pytest.raises(TypeError):
        _core.calculate_alignment(p, 0, 0, np.array([1.5]))
    with pytest.raises(ValueError, match="must not be negative"):
        _core.calculate_alignment(p, 0, 0, np.array([-1, 2]))
    with pytest.raises(ValueError, match="dtype"):
        _core.calculate_alignment(
            p, 0, 0, np.arange(4, dtype=np.uint64), out=np.empty(4, dtype=np.int64)
        )
    p32 = config("i386").slab_params()
    with pytest.raises(ValueError, match="32-bit unsigned long"):
        _core.calculate_alignment(p32, 0, 0, np.array([1 << 32], dtype=np.uint64))
    out = np.empty(3, dtype=np.uint64)
    res = _core.calculate_alignment(p, 0x2000, 0, np.array([1, 40, 0], dtype=np.uint64), out=out)
    assert res is out and out.tolist() == [8, 64, _core.ALIGN_HANG]
    # a non-contiguous input is accepted (copied), and gives the same answer
    base = np.arange(0, 400, dtype=np.uint64)
    assert (
        _core.calculate_alignment(p, 0x2000, 0, base[::2])
        == _core.calculate_alignment(p, 0x2000, 0, base[::2].copy())
    ).all()


def test_struct_mirrors_agree() -> None:
    """The numpy dtype aliases the C struct field for field."""
    ctype = _core.ffi.typeof("struct slabhw_slab316_cache")
    for name, field in ctype.fields:
        assert _core.LAYOUT_DTYPE.fields[name][1] == field.offset
    assert _core.ffi.sizeof(ctype) == _core.LAYOUT_DTYPE.itemsize
