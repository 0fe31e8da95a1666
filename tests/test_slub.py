"""SLUB of Linux 6.18: the C core against its Python twin (hypothesis), examples
derived by hand from mm/slub.c and mm/slab_common.c (v6.18.2), the flag numbering,
the slab_debug= parser, and the running kernel captured in tests/data."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slabhw import _core
from slabhw import reference_slub as rs
from slabhw.config import KernelConfig
from slabhw.crosscheck import ATTRIBUTE_FLAGS
from slabhw.errors import DIVIDE_ERROR, EINVAL, HANG, InputError
from slabhw.slub_debug import parse as parse_slub_debug
from slabhw.versions import PRESETS, get_preset
from slabhw.versions.rules import (
    CalculateOrder,
    FreePointerOffset,
    FreePointerOutside,
    OrderCpus,
    SetCpuPartial,
)

SNAPSHOT = Path(__file__).parent / "data" / "x86_64-6.18-snapshot.json"


def cfg(arch: str = "x86_64", **options: object) -> KernelConfig:
    options.setdefault("nr_cpus", 2)
    return KernelConfig.build("v6.18", arch, **options)  # type: ignore[arg-type]


def flag(c: KernelConfig, *names: str) -> int:
    return sum(c.flags[n] for n in names)


def create(c: KernelConfig, size: int, **args: int) -> rs.SlubLayout:
    return _core.slub_create(c.slub_params(), rs.SlubArgs(size, **args))


# ---- flags ----------------------------------------------------------------------
def test_flag_numbering_of_the_reference_config() -> None:
    """enum _slab_flag_bits with DEBUG_OBJECTS, FAILSLAB, KASAN_GENERIC, KFENCE off:
    NOLEAKTRACE moves to bit 11, ACCOUNT to 13, RECLAIM_ACCOUNT to 15."""
    f = cfg().flags
    got = {
        n: f[n]
        for n in (
            "SLAB_NOLEAKTRACE",
            "SLAB_NO_MERGE",
            "SLAB_ACCOUNT",
            "SLAB_NO_USER_FLAGS",
            "SLAB_RECLAIM_ACCOUNT",
            "__OBJECT_POISON",
            "SLAB_NO_OBJ_EXT",
        )
    }
    assert got == {
        "SLAB_NOLEAKTRACE": 0x800,
        "SLAB_NO_MERGE": 0x1000,
        "SLAB_ACCOUNT": 0x2000,
        "SLAB_NO_USER_FLAGS": 0x4000,
        "SLAB_RECLAIM_ACCOUNT": 0x8000,
        "__OBJECT_POISON": 0x10000,
        "SLAB_NO_OBJ_EXT": 0x40000,
    }
    assert f["SLAB_DEBUG_OBJECTS"] == f["SLAB_FAILSLAB"] == f["SLAB_KASAN"] == 0
    full = cfg(debug_objects=True, failslab=True, kasan_generic=True, kfence=True).flags
    assert (full["SLAB_NOLEAKTRACE"], full["SLAB_RECLAIM_ACCOUNT"], full["SLAB_NO_OBJ_EXT"]) == (
        0x1000,
        0x80000,
        0x400000,
    )
    assert cfg(slub_tiny=True).flags["SLAB_RECLAIM_ACCOUNT"] == 0


def test_flags_outside_the_permitted_set_are_einval() -> None:
    c = cfg(failslab=True)
    r = create(c, 64, flags=flag(c, "SLAB_FAILSLAB"))
    assert r.error == EINVAL
    assert create(c, 64, flags=flag(c, "SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT")).error == 0


# ---- worked examples ---------------------------------------------------------------
def test_spec_appendix_examples() -> None:
    """kmalloc-96: create_boot_cache with SLAB_KMALLOC starts from the largest power of
    two dividing 96 (32); 4096 % 96 = 64 <= 4096/16 -> order 0, 42 objects.
    task_struct 5840 (align 64): 5888; at most 32768/5888 = 5 objects fit order 3, so
    min_objects 5 -> get_order(29440) = 3; 32768 % 5888 = 3328 > 2048 but <= 4096.
    kvm_vcpu 51472: one object exceeds order 3 -> get_order fallback, order 4."""
    c = cfg()
    km = create(
        c, 96, align=32, flags=flag(c, "SLAB_KMALLOC", "SLAB_NO_MERGE"), usersize=96, boot=1
    )
    assert (km.size, km.objects, km.order, km.align, km.cpu_partial) == (96, 42, 0, 32, 120)
    t = create(c, 5840, align=64)
    assert (t.size, t.objects, t.order, t.min_partial, t.cpu_partial) == (5888, 5, 3, 6, 6)
    k = create(c, 51472, align=16)
    assert (k.size, k.objects, k.order, k.min_partial) == (51472, 1, 4, 7)
    anon = create(c, 96, flags=flag(c, "SLAB_TYPESAFE_BY_RCU"), ctor=1)
    assert (anon.size, anon.objects, anon.offset) == (104, 39, 96)  # free pointer outside


def test_custom_free_pointer() -> None:
    """An RCU cache may keep its free pointer inside the object (freeptr_offset): 192
    with HWCACHE_ALIGN stays 192 (21 objects); without it the pointer goes after the
    object: 192 + 8 -> ALIGN(200, 64) = 256 (16 objects)."""
    c = cfg()
    rcu = flag(c, "SLAB_TYPESAFE_BY_RCU", "SLAB_HWCACHE_ALIGN", "SLAB_ACCOUNT")
    inside = create(c, 192, flags=rcu, use_freeptr_offset=1, freeptr_offset=8, sheaf_capacity=32)
    assert (inside.size, inside.objects, inside.offset, inside.sheaf_capacity) == (192, 21, 8, 32)
    outside = create(c, 192, flags=rcu)
    assert (outside.size, outside.objects, outside.cpu_partial) == (256, 16, 52)
    # the offset must be word-aligned, inside the object, and the cache RCU
    assert create(c, 192, flags=rcu, use_freeptr_offset=1, freeptr_offset=4).error == EINVAL
    assert create(c, 192, flags=rcu, use_freeptr_offset=1, freeptr_offset=192).error == EINVAL
    assert create(c, 192, use_freeptr_offset=1, freeptr_offset=8).error == EINVAL


def test_slab_debug_layout_derivation() -> None:
    """slab_debug=FZPU (global), a 100-byte cache on x86_64 with 2 CPUs:
    ALIGN(100, 8) = 104 (slack, so no extra red-zone word); inuse 104; poison puts the
    free pointer outside: offset 104, 112; two 32-byte tracks (STACKDEPOT): 176;
    red-zone pad word: 184; red_left_pad ALIGN(8, 8) = 8: 192.  min_objects 12:
    get_order(2304) = 0, 4096 % 192 = 64 <= 256 -> order 0, 21 objects; debug flags:
    cpu_partial 0."""
    r = create(cfg(slub_debug="FZPU"), 100)
    assert (r.size, r.inuse, r.offset, r.red_left_pad, r.objects, r.order, r.cpu_partial) == (
        192,
        104,
        104,
        8,
        21,
        0,
        0,
    )


def test_kmalloc_16_with_full_debug() -> None:
    """The spec's example: kmalloc-16 (align 16) with slab_debug=FZPU: 16 + 8 (no slack)
    = 24 = inuse; pointer outside 32; tracks 96; orig_size word 100 (unsigned int in
    6.18.2; 104 with unsigned long); pad 108/112; left pad 16: 124/128 -> ALIGN 128."""
    c = cfg(slub_debug="FZPU")
    r = create(c, 16, align=16, flags=flag(c, "SLAB_KMALLOC"), usersize=16, boot=1)
    assert (r.size, r.inuse, r.offset, r.red_left_pad, r.objects, r.order) == (
        128,
        24,
        24,
        16,
        32,
        0,
    )


def test_debug_list_and_no_user_flags() -> None:
    c = cfg(slub_debug="P,dentry,kmalloc-*")
    p = c.slub_params()
    assert p.global_debug_flags == 0
    parsed = c.slub_debug_parsed
    poison = c.flags["SLAB_POISON"]
    assert parsed.flags_for("dentry") == poison
    assert parsed.flags_for("kmalloc-64") == poison
    assert parsed.flags_for("dentry2") == -1  # exact match unless the pattern has '*'
    named = _core.slub_create(p, rs.SlubArgs(100, debug_flags=parsed.flags_for("dentry")))
    assert named.size == 112 and named.cpu_partial == 0  # pointer outside: 104 + 8
    # SLAB_NO_USER_FLAGS caches ignore slab_debug
    g = cfg(slub_debug="FZPU")
    r = create(g, 100, flags=flag(g, "SLAB_NO_USER_FLAGS"))
    assert (r.size, r.cpu_partial) == (104, 120)


def test_slab_debug_parser() -> None:
    f = cfg().flags
    d = parse_slub_debug("", f)
    assert d.global_flags == sum(
        f[n] for n in ("SLAB_CONSISTENCY_CHECKS", "SLAB_RED_ZONE", "SLAB_POISON", "SLAB_STORE_USER")
    )
    assert parse_slub_debug(None, f).global_flags == 0
    d = parse_slub_debug("FZ;U,foo;-P,bar*", f)
    assert d.global_flags == f["SLAB_CONSISTENCY_CHECKS"] | f["SLAB_RED_ZONE"]
    assert d.flags_for("foo") == f["SLAB_STORE_USER"] and d.flags_for("barx") == f["SLAB_POISON"]
    d = parse_slub_debug(",foo", f)  # a list without options: full debugging for it
    assert d.flags_for("foo") == sum(
        f[n] for n in ("SLAB_CONSISTENCY_CHECKS", "SLAB_RED_ZONE", "SLAB_POISON", "SLAB_STORE_USER")
    )
    assert parse_slub_debug("O", f).disable_higher_order_debug
    assert parse_slub_debug("Zx", f).unknown_letters == ("x",)


def test_min_objects_follow_the_present_cpus() -> None:
    """min_objects = 4 * (fls(present CPUs) + 1), nr_cpu_ids when at most one is present.
    A 1000-byte cache: 2 CPUs -> 12 -> get_order(12000) = 2, 16384 % 1000 = 384 <= 1024;
    64 CPUs -> 32 -> order 3, 32 objects; 1 CPU -> 8 -> order 1, 8 objects."""
    assert (create(cfg(), 1000).order, create(cfg(), 1000).objects) == (2, 16)
    big = cfg(nr_cpus=64)
    assert (create(big, 1000).order, create(big, 1000).objects) == (3, 32)
    one = cfg(nr_cpus=1)
    assert (create(one, 1000).order, create(one, 1000).objects) == (1, 8)
    # present CPUs win over possible ones, unless only one is present
    assert create(cfg(nr_cpus=64, nr_present_cpus=2), 1000).order == 2
    assert create(cfg(nr_cpus=64, nr_present_cpus=1), 1000).order == 3
    assert create(cfg(slub_min_objects=4), 1000).order == 0


def test_order_boot_options() -> None:
    c = cfg(slub_min_order=2)
    assert c.slub_orders == (2, 3)
    assert create(c, 64).order == 2
    assert cfg(slub_min_order=5).slub_orders == (5, 5)  # min raises max
    assert cfg(slub_max_order=99).slub_orders == (0, 10)  # clamped to MAX_PAGE_ORDER
    assert cfg(slub_min_order=2, slub_max_order=1).slub_orders == (1, 1)
    tiny = cfg(slub_tiny=True)
    assert tiny.slub_orders == (0, 1)
    r = create(tiny, 1000)
    assert (r.min_partial, r.cpu_partial) == (0, 0)


def test_other_architectures() -> None:
    """64 KiB pages (arm64-64k): 1000 bytes, min_objects 12 -> get_order(12000) = 0 and
    65536 % 1000 = 536 <= 4096 -> order 0, 65 objects.  i386: the word is 4 bytes, but
    ARCH_SLAB_MINALIGN is 8, so a 20-byte object is 24 and its pointer at 8."""
    r = create(cfg("arm64-64k"), 1000)
    assert (r.order, r.objects) == (0, 65)
    i = create(cfg("i386"), 20)
    assert (i.size, i.offset, i.align) == (24, 8, 8)
    s390 = create(cfg("s390x"), 100, flags=flag(cfg("s390x"), "SLAB_HWCACHE_ALIGN"))
    assert (s390.align, s390.size) == (128, 128)  # 256-byte lines halve once for 100


def test_edge_outcomes() -> None:
    c = cfg()
    assert create(c, 0, flags=flag(c, "SLAB_HWCACHE_ALIGN")).error == HANG
    assert create(c, 0).error == DIVIDE_ERROR  # order_objects divides by size 0
    huge = create(c, 1 << 31)
    assert huge.error == EINVAL  # no order <= MAX_PAGE_ORDER holds it
    assert create(cfg(debug_vm=True), (1 << 22) + 1).error == EINVAL  # > KMALLOC_MAX_SIZE
    with pytest.raises(InputError):
        create(c, 1 << 32)


def test_options_must_apply_to_the_version() -> None:
    with pytest.raises(InputError, match="do not apply to v6.18"):
        KernelConfig.build("v6.18", "x86_64", debug_slab=True)
    with pytest.raises(InputError, match="do not apply to v3.16"):
        KernelConfig.build("v3.16", "x86_64", slub_min_order=1)
    KernelConfig.build("v6.18", "riscv64")
    KernelConfig.build("v6.18", "arm64-16k")


# ---- C core vs reference ---------------------------------------------------------------
@st.composite
def slub_configs(draw: st.DrawFn) -> KernelConfig:
    nr_cpus = draw(st.integers(1, 300))
    return cfg(
        draw(st.sampled_from(sorted(get_preset("v6.18").arches))),
        nr_cpus=nr_cpus,  # present CPUs are among the possible ones
        nr_present_cpus=draw(st.one_of(st.none(), st.integers(1, min(8, nr_cpus)))),
        slub_tiny=draw(st.booleans()),
        stackdepot=draw(st.booleans()),
        hardened_usercopy=draw(st.booleans()),
        slub_cpu_partial=draw(st.booleans()),
        debug_vm=draw(st.booleans()),
        kasan_generic=draw(st.booleans()),
        slub_debug=draw(st.sampled_from([None, "", "FZPU", "ZU", "P", "O", "FZPUO", "-"])),
        slub_min_order=draw(st.integers(0, 3)),
        slub_max_order=draw(st.one_of(st.none(), st.integers(0, 8))),
        slub_min_objects=draw(st.sampled_from([0, 0, 1, 4, 100])),
        cache_line_size_param=draw(st.one_of(st.none(), st.sampled_from([32, 64, 128, 256]))),
    )


SIZES = st.one_of(
    st.integers(0, 300),
    st.integers(0, 1 << 14),
    st.integers(0, (1 << 32) - 1),
    st.sampled_from(
        [
            4095,
            4096,
            4097,
            8191,
            8192,
            32767,
            32768,
            1 << 20,
            (1 << 22) + 1,
            (1 << 31) - 1,
            1 << 31,
            (1 << 32) - 1,
        ]
    ),
)


def draw_rules(data: st.DataObject, p: rs.SlubParams) -> rs.SlubParams:
    """The parameters with every version rule drawn on its own (each C branch against
    the twin, also in combinations no release had)."""
    return replace(
        p,
        calculate_order=data.draw(st.sampled_from(CalculateOrder)),
        order_cpus=data.draw(st.sampled_from(OrderCpus)),
        freeptr_inside=data.draw(st.sampled_from(FreePointerOffset)),
        freeptr_outside=data.draw(st.sampled_from(FreePointerOutside)),
        set_cpu_partial=data.draw(st.sampled_from(SetCpuPartial)),
        create_debug_key=int(data.draw(st.booleans())),
        sanity_min_size=data.draw(st.sampled_from([0, p.word])),
        create_mask=data.draw(st.sampled_from([p.create_mask, 0xFFFF, 0xFFFFFFFF])),
        orig_size_size=data.draw(st.sampled_from([0, 4, 8])),
        track_size=data.draw(st.sampled_from([p.track_size, 152, 80])),
        # the 7.0 rules (sheaves for every cache, SLAB_OBJ_EXT_IN_OBJ, NO_MERGE for an
        # explicit sheaf capacity), drawn on their own too
        sheaf_auto=int(data.draw(st.booleans())),
        sheaf_capacity_page=data.draw(st.sampled_from([4, 11])),
        sheaf_capacity_1k=data.draw(st.sampled_from([12, 19])),
        sheaf_capacity_256=data.draw(st.sampled_from([28, 27])),
        sheaf_capacity_small=data.draw(st.sampled_from([60, 123])),
        sheaf_no_merge=int(data.draw(st.booleans())),
        flag_no_obj_ext=data.draw(st.sampled_from([0, 1 << 18, 1 << 19])),
        flag_obj_ext_in_obj=data.draw(st.sampled_from([0, 1 << 20, 1 << 21])),
        obj_ext_size=data.draw(st.sampled_from([8, 16])),
        flag_never_merge=data.draw(st.sampled_from([p.flag_never_merge, 0x101E87, 0x1F])),
        flag_not_kmalloc_normal=data.draw(st.sampled_from([p.flag_not_kmalloc_normal, 0x12020])),
        slab_nomerge=int(data.draw(st.booleans())),
    )


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slub_configs(), st.data())
def test_slub_create_matches_reference(c: KernelConfig, data: st.DataObject) -> None:
    p = c.slub_params()
    if data.draw(st.booleans()):
        p = draw_rules(data, p)
    size = data.draw(SIZES)
    names = [d.name for d in c.preset.flags if not d.internal]
    chosen = data.draw(st.lists(st.sampled_from(names), max_size=5))
    flags = sum({c.flags.get(n) for n in chosen})
    use_fp = data.draw(st.booleans())
    args = rs.SlubArgs(
        object_size=size,
        align=data.draw(st.sampled_from([0, 8, 16, 24, 64, 4096, (1 << 32) - 8])),
        flags=data.draw(st.one_of(st.just(flags), st.integers(0, (1 << 32) - 1))),
        ctor=int(data.draw(st.booleans())),
        use_freeptr_offset=int(use_fp),
        freeptr_offset=data.draw(st.integers(0, 300)) if use_fp else 0,
        useroffset=data.draw(st.integers(0, 64)),
        usersize=data.draw(st.integers(0, 300)),
        sheaf_capacity=data.draw(st.sampled_from([0, 32])),
        boot=int(data.draw(st.booleans())),
        debug_flags=data.draw(st.sampled_from([-1, -1, 0, c.flags["SLAB_POISON"]])),
        debug_key=int(data.draw(st.booleans())),
    )
    assert _core.slub_create(p, args) == rs.kmem_cache_create(p, args)


SLUB_VERSIONS = [v for v in PRESETS if PRESETS[v].allocator == "SLUB"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SLUB_VERSIONS), st.data())
def test_slub_create_matches_reference_on_every_version(version: str, data: st.DataObject) -> None:
    """The C core against the twin with the version drawn (its own rules, flags and
    switch defaults), ctor caches with a free pointer offset and sheaf capacities
    included."""
    preset = PRESETS[version]
    c = KernelConfig.build(
        version,
        data.draw(st.sampled_from(sorted(preset.arches))),
        nr_cpus=data.draw(st.integers(1, 300)),
        slub_debug=data.draw(st.sampled_from([None, "", "FZPU", "F", "U", "-"])),
        slab_nomerge=data.draw(st.booleans()),
    )
    p = c.slub_params()
    names = [d.name for d in preset.flags if not d.internal]
    flags = sum({c.flags.get(n) for n in data.draw(st.lists(st.sampled_from(names), max_size=5))})
    use_fp = data.draw(st.booleans())
    args = rs.SlubArgs(
        object_size=data.draw(SIZES),
        align=data.draw(st.sampled_from([0, 8, 64, 128])),
        flags=flags,
        ctor=int(data.draw(st.booleans())),
        use_freeptr_offset=int(use_fp),
        freeptr_offset=data.draw(st.sampled_from([0, 8, 12, 64, 200])) if use_fp else 0,
        usersize=data.draw(st.sampled_from([0, 0, 16])),
        sheaf_capacity=data.draw(st.sampled_from([0, 0, 32, 100])),
        boot=int(data.draw(st.booleans())),
    )
    assert _core.slub_create(p, args) == rs.kmem_cache_create(p, args)


@settings(max_examples=200, deadline=None)
@given(
    slub_configs(), st.lists(SIZES, min_size=1, max_size=30), st.sampled_from([0, 8, 64]), st.data()
)
def test_slub_array_matches_reference(
    c: KernelConfig, sizes: list[int], align: int, data: st.DataObject
) -> None:
    import numpy as np

    p = draw_rules(data, c.slub_params())
    hw = c.flags["SLAB_HWCACHE_ALIGN"]
    got = _core.slub_create_array(p, np.array(sizes, dtype=np.uint64), align, hw)
    for row, size in zip(got, sizes):
        expected = rs.kmem_cache_create(p, rs.SlubArgs(size, align=align, flags=hw))
        assert {f: int(row[f]) for f in rs.SLUB_LAYOUT_FIELDS} == expected.as_dict()


@settings(max_examples=1000, deadline=None)
@given(slub_configs(), st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 32) - 1), st.booleans())
def test_slub_calculate_alignment(c: KernelConfig, size: int, align: int, hw: bool) -> None:
    p = c.slub_params()
    flags = c.flags["SLAB_HWCACHE_ALIGN"] if hw else 0
    assert _core.slub_calculate_alignment(p, flags, align, size) == rs.calculate_alignment(
        p, flags, align, size
    )


# ---- the running kernel (captured) ----------------------------------------------------


def test_every_captured_cache_layout() -> None:
    """From what sysfs shows of each cache's inputs (object_size, the computed align,
    flag attributes, ctor, usersize, the kmalloc bit from the name) plus the two
    6.18 inputs sysfs cannot show (vm_area_struct's in-object free pointer, and the
    sheaf capacity 32 of maple_node and vm_area_struct), predict slab_size,
    objs_per_slab, order, min_partial, cpu_partial and sheaf_capacity of all 235."""
    snap = json.loads(SNAPSHOT.read_text())
    cpus = snap["cpus"]
    c = cfg(nr_cpus=cpus["nr_possible"], nr_present_cpus=cpus["nr_present"])
    p = c.slub_params()
    extra = {
        "vm_area_struct": {"use_freeptr_offset": 1, "freeptr_offset": 8, "sheaf_capacity": 32},
        "maple_node": {"sheaf_capacity": 32},
    }
    mismatches = []
    for name, entry in snap["caches"].items():
        a = entry["attributes"]
        flags = sum(c.flags[f] for attr, f in ATTRIBUTE_FLAGS.items() if a.get(attr) == "1")
        if "kmalloc-" in name:
            flags |= c.flags["SLAB_KMALLOC"]
        args = rs.SlubArgs(
            int(a["object_size"]),
            align=int(a["align"]),
            flags=flags,
            ctor=int(a["ctor"] != ""),
            usersize=int(a.get("usersize", "0")),
            boot=1,
            **extra.get(name, {}),
        )
        r = _core.slub_create(p, args)
        predicted = {
            "slab_size": r.size,
            "objs_per_slab": r.objects,
            "order": r.order,
            "min_partial": r.min_partial,
            "cpu_partial": r.cpu_partial,
            "sheaf_capacity": r.sheaf_capacity,
            "align": r.align,
        }
        seen = {k: int(a[k]) for k in predicted}
        if predicted != seen:
            mismatches.append((name, predicted, seen))
    assert len(snap["caches"]) == 235
    assert mismatches == []


# ---- the v6.18 sweep contract -----------------------------------------------------------
def test_sweep_api_v618() -> None:
    import numpy as np

    from slabhw import sweep
    from slabhw.sweep import SLUB_SWEEP

    c = cfg()
    rcu_hw = flag(c, "SLAB_TYPESAFE_BY_RCU", "SLAB_HWCACHE_ALIGN")
    r = sweep(
        np.array([192, 192, 0]),
        0,
        np.array([rcu_hw, rcu_hw, 0]),
        0,
        np.array([8, -1, -1]),
        config=c,
    )
    assert r.dtype == SLUB_SWEEP.dtype
    assert r["size"].tolist() == [192, 256, 0] and r["objs_per_slab"].tolist()[:2] == [21, 16]
    assert r["error"].tolist() == [0, 0, DIVIDE_ERROR]
    assert r["freeptr_offset"].tolist() == [8, -1, -1]


def test_sweep_cli_v618(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import run_main

    text = (
        "object_size,align,flags,ctor,freeptr_offset\n"
        "96,0,SLAB_TYPESAFE_BY_RCU,1,\n"
        "100,0,0,0,\n"
        "192,0,SLAB_TYPESAFE_BY_RCU|SLAB_HWCACHE_ALIGN,0,8\n"
    )
    rc, out, err = run_main(
        ["sweep", "--kernel", "v6.18", "--nr-cpus", "2"], capsys, monkeypatch, text
    )
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "object_size,align_arg,flags,ctor,freeptr_offset,align,size,inuse,"
        "offset,red_left_pad,objs_per_slab,order,min_partial,cpu_partial,"
        "sheaf_capacity,loss_per_slab,efficiency_pct,error"
    )
    # loss: 4096 - objects * object_size (4096 - 39 * 96 = 352); %Ef: 3744 * 100 // 4096
    assert lines[1] == "96,0,0x200,1,,8,104,96,96,0,39,0,5,120,0,352,91,0"  # anon_vma
    assert lines[2] == "100,0,0x0,0,,8,104,104,48,0,39,0,5,120,0,196,95,0"  # mid-object fp
    assert lines[3] == "192,0,0x210,0,8,64,192,192,8,0,21,0,5,120,0,64,98,0"
    rc, out, err = run_main(
        ["sweep", "--kernel", "v6.18", "--nr-cpus", "2"],
        capsys,
        monkeypatch,
        "object_size,num\n1,2\n",
    )
    assert rc == 2 and "freeptr_offset" in err and "Traceback" not in err
    rc, out, err = run_main(
        ["sweep", "--kernel", "v6.18", "--nr-cpus", "2"],
        capsys,
        monkeypatch,
        "object_size\n4294967296\n",
    )
    assert rc == 2 and "line 2" in err
    rc, out, err = run_main(["create", "x", "100", "--kernel", "v6.18"], capsys)
    assert rc == 0 and "struct kmem_cache {" in out  # create models SLUB kernels too
    rc, out, err = run_main(
        ["sweep", "--kernel", "v3.16", "--slab-min-order", "1"],
        capsys,
        monkeypatch,
        "object_size\n1\n",
    )
    assert rc == 2 and "v3.16" in err
