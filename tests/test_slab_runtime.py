"""SLAB 3.16 at run time: exact addresses from the kernel's rules, and invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from slabhw import Kernel
from slabhw.arena import PageArena
from slabhw.errors import InputError, KernelBug, KernelError
from slabhw.slab import KmemCache
from slabhw.slab_runtime import SlabRuntime

PAGE_OFFSET = 0xFFFF880000000000


def runtime(nr_cpus: int = 1, mem: int = 64 << 20) -> tuple[Kernel, PageArena, SlabRuntime]:
    k = Kernel("v3.16", "x86_64", nr_cpus=nr_cpus)
    a = PageArena(mem, k.config.arch, page_offset=PAGE_OFFSET, max_order=10)
    return k, a, SlabRuntime(k, a)


def test_worked_allocation_trace() -> None:
    """shared/spec/slab-v3.16.md 6.9, derived from cache_alloc_refill: the 110-byte
    HWCACHE cache (num 31, size 128, freelist 64 bytes on-slab, colour 1).
    1st alloc: refill of BATCHREFILL_LIMIT 16 from a new slab A (pages 0): objects
    0..15 go to the array, the top (15) is returned: A + 64 + 15*128 = A + 0x7c0.
    Allocs 2..16 return 14..0.  The 17th refills 60 (touched): objects 16..30, returns
    30.  The 32nd grows slab B (the next buddy page, PFN 1) and returns its object 30."""
    k, a, rt = runtime()
    c = k.kmem_cache_create("test_cache", 110, 0, "SLAB_HWCACHE_ALIGN")
    assert c is not None
    objs = [rt.kmem_cache_alloc(c, 0) for _ in range(33)]
    rel = [o - PAGE_OFFSET for o in objs]  # type: ignore[operator]
    assert rel[0] == 0x7C0 and rel[15] == 0x40 and rel[16] == 0xF40
    assert rel[31] == 0x1000 + 0xF40 and rel[32] == 0x1000 + 0xEC0
    # the slab's index freelist: bytes 0..30 at A+0 were written 0, 1, ..., 30
    assert a.read(PAGE_OFFSET, 31) == bytes(range(31))
    assert rt.counts(c) == {
        "active_objs": 62,
        "num_objs": 62,
        "active_slabs": 2,
        "num_slabs": 2,
        "shared_avail": 0,
    }
    # LIFO: a freed object is the next one handed out on that CPU
    rt.kmem_cache_free(c, objs[5], 0)  # type: ignore[arg-type]
    assert rt.kmem_cache_alloc(c, 0) == objs[5]


def test_off_slab_freelist_lives_in_kmalloc_32() -> None:
    """kmalloc-512 is off-slab with an 8-byte freelist from kmalloc-32: growing it
    allocates that freelist first (16 objects pulled into kmalloc-32's array)."""
    k, a, rt = runtime()
    x = rt.kmalloc(300, 0)
    assert x is not None and rt.object_info(x)["cache"] == "kmalloc-512"
    assert rt.counts(k.find_cache("kmalloc-32"))["active_objs"] == 16
    assert rt.kmalloc(0, 0) == 16 and rt.kmalloc(1 << 23, 0) is None  # ZERO_SIZE_PTR, NULL
    rt.kfree(16, 0)
    rt.kfree(x, 0)
    with pytest.raises(InputError):
        rt.kfree(PAGE_OFFSET + (60 << 20), 0)  # not a slab page


def test_free_limit_destroys_surplus_empty_slabs() -> None:
    """free_block: an emptied slab is destroyed when free_objects exceeds free_limit
    ((1 + CPUs) * batchcount + num = 2*4 + 1 = 9 for an 8192-byte cache), else kept."""
    k, a, rt = runtime()
    c = k.kmem_cache_create("big", 8192)
    assert c is not None and (c.num, c.batchcount) == (1, 4)
    objs = [rt.kmem_cache_alloc(c, 0) for _ in range(30)]
    for o in objs:
        rt.kmem_cache_free(c, o, 0)  # type: ignore[arg-type]
    st = rt.state(c)
    assert st.node.free_objects <= st.node.free_limit
    rt.check(c)
    assert rt.kmem_cache_shrink(c) == 0
    # the off-slab freelists went back to kmalloc-32's array, whose slab stays until
    # that cache is shrunk too
    assert a.free_pages_count == a.nr_pages - 1
    assert rt.kmem_cache_shrink(k.find_cache("kmalloc-32")) == 0
    assert a.free_pages_count == a.nr_pages


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 1), st.integers(0, 10**6)), max_size=300),
    st.sampled_from([32, 110, 256, 1000, 3000]),
)
def test_random_sequences(ops: list[tuple[bool, int, int]], size: int) -> None:
    """No object is handed out twice, every object is in exactly one place, and the
    free-object counter agrees with the slabs (check())."""
    k, a, rt = runtime(nr_cpus=2)
    c = k.kmem_cache_create("c", size)
    assert c is not None
    held: list[int] = []
    for alloc, cpu, pick in ops:
        if alloc or not held:
            o = rt.kmem_cache_alloc(c, cpu)
            assert o is not None and o not in held
            held.append(o)
        else:
            rt.kmem_cache_free(c, held.pop(pick % len(held)), cpu)
    rt.check(c)
    counts = rt.counts(c)
    assert counts["active_objs"] >= len(held)
    for o in held:
        assert rt.object_info(o)["state"] == "allocated"


# ---- CONFIG_DEBUG_SLAB ------------------------------------------------------------------
# include/linux/poison.h (3.16), as x86_64 stores them (little-endian)
INACTIVE = bytes.fromhex("5be3749d0211f909")  # RED_INACTIVE 0x09F911029D74E35B
ACTIVE = bytes.fromhex("c0885663c55641d8")  # RED_ACTIVE 0xD84156C5635688C0
CALLER1, CALLER2 = 0xFFFFFFFF81234567, 0xFFFFFFFF8123ABCD


def debug_runtime(
    nr_cpus: int = 1, arch: str = "x86_64", page_offset: int = PAGE_OFFSET, **options: Any
) -> tuple[Kernel, PageArena, SlabRuntime]:
    k = Kernel("v3.16", arch, nr_cpus=nr_cpus, debug=True, **options)
    a = PageArena(64 << 20, k.config.arch, page_offset=page_offset, max_order=10)
    return k, a, SlabRuntime(k, a)


def c32() -> tuple[Kernel, PageArena, SlabRuntime, KmemCache]:
    """kmem_cache_create("c32", 32, 0, 0) in a 3.16 x86_64 DEBUG_SLAB kernel, one CPU.

    Derivation (mm/slab.c 3.16.41):
    - calculate_alignment(0, 0, 32): below ARCH_SLAB_MINALIGN (8) -> align 8.
    - __kmem_cache_create, FORCED_DEBUG: size 32 < 4096 -> SLAB_RED_ZONE|SLAB_STORE_USER;
      not DESTROY_BY_RCU -> SLAB_POISON.  Red zone: ralign = REDZONE_ALIGN = 8, size
      stays ALIGN(32, 8) = 32; ralign 8 is not above 8, so the debug flags stay.
    - DEBUG: obj_offset 8, size 32 + 2*8 = 48; STORE_USER with RED_ZONE adds
      REDZONE_ALIGN: size 56.
    - 56 < OFF_SLAB_MIN_SIZE (128): on-slab.  cache_estimate, order 0: 4096 / (56 + 1)
      = 71 objects, freelist ALIGN(71, 8) = 72 bytes, 71*56 + 72 = 4048, left over 48
      -> colour 48 / 64 = 0.
    - enable_cpucache: limit 120 for size <= 256, capped at 32 under DEBUG;
      batchcount (32 + 1) / 2 = 16.
    One slot (dbg_redzone1 = objp + obj_offset - 8, dbg_redzone2 = objp + size - 8 -
    REDZONE_ALIGN, dbg_userword = objp + size - 8):
        +0 red zone 1 | +8 object (32) | +40 red zone 2 | +48 last user
    """
    k, a, rt = debug_runtime()
    c = k.kmem_cache_create("c32", 32)
    assert c is not None
    assert (c.size, c.obj_offset, c.align, c.num, c.freelist_size, c.colour) == (
        56,
        8,
        8,
        71,
        72,
        0,
    )
    assert (c.limit, c.batchcount) == (32, 16)
    assert k.flags.format(c.flags) == "SLAB_RED_ZONE|SLAB_POISON|SLAB_STORE_USER"
    return k, a, rt, c


def test_debug_bytes_create_alloc_free() -> None:
    """The first allocation grows slab A at PFN 0: freelist at A+0 (71 indices + 1 byte
    of padding), s_mem = A + 72.  cache_init_objs wrote every slot: RED_INACTIVE, 31 x
    POISON_FREE + POISON_END, RED_INACTIVE, user word 0.  cache_alloc_refill pulls 16
    objects (BATCHREFILL_LIMIT) and returns the top one, object 15: slot A + 72 +
    15*56 = A + 0x390, pointer slot + obj_offset = A + 0x398.
    cache_alloc_debugcheck_after: poison intact, re-poison with POISON_INUSE (0x5a,
    last byte 0xa5), user word = caller, both red zones RED_ACTIVE.
    cache_free_debugcheck: red zones RED_INACTIVE, user word = caller of the free,
    POISON_FREE again."""
    k, a, rt, c = c32()
    o = rt.kmem_cache_alloc(c, 0, caller=CALLER1)
    assert o == PAGE_OFFSET + 0x398
    fresh = INACTIVE + b"\x6b" * 31 + b"\xa5" + INACTIVE + bytes(8)
    assert a.read(PAGE_OFFSET + 72, 56) == fresh  # object 0, still free in the array
    assert a.read(PAGE_OFFSET, 72) == bytes(range(71)) + b"\x00"
    user1 = CALLER1.to_bytes(8, "little")
    assert a.read(o - 8, 56) == ACTIVE + b"\x5a" * 31 + b"\xa5" + ACTIVE + user1
    rt.kmem_cache_free(c, o, 0, caller=CALLER2)
    user2 = CALLER2.to_bytes(8, "little")
    assert a.read(o - 8, 56) == INACTIVE + b"\x6b" * 31 + b"\xa5" + INACTIVE + user2
    assert rt.object_info(o)["pointer"] == o and rt.object_info(o)["object"] == o - 8
    assert rt.log == [] and rt.validate(c) == []
    # LIFO, and the positional signatures of the non-debug model still work
    assert rt.kmem_cache_alloc(c, 0) == o
    assert a.read(o + 32 + 8, 8) == bytes(8)  # caller 0 stored


def test_debug_write_after_free_reported_at_next_alloc() -> None:
    """A single-bit flip in a freed object: check_poison_obj prints the header with
    print_tainted(), print_objinfo(lines=0) (red zones, last user = the freeing
    caller), the bad 16-byte row via dump_line (one bad byte, 0x6a ^ 0x6b = 1 bit ->
    the bad-RAM hint, x86 wording), then the neighbours 14 and 16 with 2 rows each
    (their user word is still NULL: "(null)" padded to the pointer width)."""
    k, a, rt, c = c32()
    o = rt.kmem_cache_alloc(c, 0, caller=CALLER1)
    assert o is not None
    rt.kmem_cache_free(c, o, 0, caller=CALLER2)
    a.write(o + 5, b"\x6a")
    assert rt.kmem_cache_alloc(c, 0) == o
    rz = "Redzone: 0x9f911029d74e35b/0x9f911029d74e35b."
    clean = [
        rz,
        "Last user: [<          (null)>](          (null))",
        "000: 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk",
        "010: 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b a5  kkkkkkkkkkkkkkk.",
    ]
    assert rt.log == [
        "Slab corruption (Not tainted): c32 start=ffff880000000398, len=32",
        rz,
        "Last user: [<ffffffff8123abcd>](0xffffffff8123abcd)",
        "000: 6b 6b 6b 6b 6b 6a 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkjkkkkkkkkkk",
        "Single bit error detected. Probably bad RAM.",
        "Run memtest86+ or a similar memory test tool.",
        "Prev obj: start=ffff880000000360, len=32",
        *clean,
        "Next obj: start=ffff8800000003d0, len=32",
        *clean,
    ]
    # the object is handed out anyway, re-poisoned, red zones RED_ACTIVE
    assert a.read(o - 8, 8) == ACTIVE and a.read(o, 32) == b"\x5a" * 31 + b"\xa5"


def test_debug_poison_report_rows() -> None:
    """check_poison_obj's loop as 3.16 has it: after a dumped row, i += 16 and then the
    loop's i++ skip the first byte of the next row; the row count is tested after the
    increment, so 6 rows (not 5) are printed.  A symbol table feeds %pS."""
    k, a, rt = debug_runtime()
    c = k.kmem_cache_create("c128", 128)
    assert c is not None and c.obj_offset == 8
    rt.symbols[CALLER2] = "release_thing+0x2d/0x60"
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    rt.kmem_cache_free(c, o, 0, caller=CALLER2)
    a.write(o, b"\x00")  # row 0 ...
    a.write(o + 16, b"\x00")  # ... and the skipped byte of row 1: not reported
    rt.kmem_cache_alloc(c, 0)
    rows = [line for line in rt.log[:6] if line[:3].isalnum() and line[3] == ":"]
    assert rt.log[2] == "Last user: [<ffffffff8123abcd>](release_thing+0x2d/0x60)"
    assert [r[:4] for r in rows] == ["000:"]
    rt.log.clear()
    rt.kmem_cache_free(c, o, 0)
    a.write(o, bytes(128))  # every row bad
    rt.kmem_cache_alloc(c, 0)
    first = rt.log.index("Prev obj: start=" + f"{o - c.size:016x}, len=128")
    rows = rt.log[3:first]
    assert [r[:4] for r in rows] == ["000:", "010:", "020:", "030:", "040:", "050:"]
    assert rows[0] == "000: " + "00 " * 15 + "00  " + "." * 16


def test_debug_red_zone_overwrite_reported_at_free() -> None:
    """One byte written past the object lands in red zone 2 (object_size 32 leaves no
    slack): verify_redzone_free sees RED_ACTIVE / something else -> "memory outside
    object was overwritten" and the two words (redzone 2 read little-endian: its low
    byte is now 0x00), with the slot address; then the words are reset."""
    k, a, rt, c = c32()
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    a.write(o + 32, b"\x00")
    rt.kmem_cache_free(c, o, 0)
    assert rt.log == [
        "slab error in verify_redzone_free(): cache `c32': memory outside object was overwritten",
        "ffff880000000390: redzone 1:0xd84156c5635688c0, redzone 2:0xd84156c563568800.",
    ]
    assert a.read(o + 32, 8) == INACTIVE and rt.taint == {"B"}
    # an overwritten red zone of a free object: the next allocation complains
    rt.log.clear()
    a.write(o - 8, b"\xff")
    assert rt.validate(c) == [
        "c32: free object ffff880000000398: redzone 1:0x9f911029d74e3ff, "
        "redzone 2:0x9f911029d74e35b"
    ]
    rt.kmem_cache_alloc(c, 0)
    assert rt.log == [
        "slab error in cache_alloc_debugcheck_after(): cache `c32': double free, or "
        "memory outside object was overwritten",
        "ffff880000000390: redzone 1:0x9f911029d74e3ff, redzone 2:0x9f911029d74e35b",
    ]


def test_debug_double_free() -> None:
    """The second free finds both words RED_INACTIVE: "double free detected" (no BUG:
    the object sits twice in the CPU array).  Draining the array (shrink -> free_block)
    puts it back into its slab twice: slab_put_obj's DEBUG scan of freelist[active..num)
    finds the index and BUG()s at mm/slab.c:2714."""
    k, a, rt, c = c32()
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    rt.kmem_cache_free(c, o, 0)
    rt.kmem_cache_free(c, o, 0)
    assert rt.log == [
        "slab error in verify_redzone_free(): cache `c32': double free detected",
        "ffff880000000390: redzone 1:0x9f911029d74e35b, redzone 2:0x9f911029d74e35b.",
    ]
    assert rt.validate(c) == ["slab error in c32: an object is in two places"]
    with pytest.raises(KernelError):  # check() still raises
        rt.check(c)
    rt.log.clear()
    with pytest.raises(KernelBug, match=r"kernel BUG at mm/slab.c:2714!"):
        rt.kmem_cache_shrink(c)
    assert rt.log == [
        "slab: double free detected in cache 'c32', objp ffff880000000390",
        "------------[ cut here ]------------",
        "kernel BUG at mm/slab.c:2714!",
    ]


def test_debug_double_free_handed_out_twice_and_taint() -> None:
    """After an undetected-by-BUG double free the object is allocated twice: the second
    allocation finds POISON_INUSE (5a) where POISON_FREE should be, and RED_ACTIVE red
    zones.  The earlier slab_error tainted the kernel (TAINT_BAD_PAGE, 'B')."""
    k, a, rt, c = c32()
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    rt.kmem_cache_free(c, o, 0)
    rt.kmem_cache_free(c, o, 0)
    rt.log.clear()
    assert rt.kmem_cache_alloc(c, 0) == o and rt.log == []
    assert rt.kmem_cache_alloc(c, 0) == o
    assert rt.log[0] == (
        "Slab corruption (Tainted: G    B        ): c32 start=ffff880000000398, len=32"
    )
    assert rt.log[1] == "Redzone: 0xd84156c5635688c0/0xd84156c5635688c0."
    assert rt.log[3] == "000: " + "5a " * 15 + "5a  " + "Z" * 16
    assert rt.log[-2:] == [
        "slab error in cache_alloc_debugcheck_after(): cache `c32': double free, or "
        "memory outside object was overwritten",
        "ffff880000000390: redzone 1:0xd84156c5635688c0, redzone 2:0xd84156c5635688c0",
    ]


def test_debug_bad_pointers_bug() -> None:
    """cache_free_debugcheck's BUG_ONs: another cache's object (virt_to_cache,
    mm/slab.c:2860); a pointer inside an object (its red zone check runs on the wrong
    words first and logs; then objp != index_to_obj, 2877); kfree of an address outside
    the direct map (kfree_debugcheck, 2828)."""
    k, a, rt, c = c32()
    other = k.kmem_cache_create("other", 32)
    assert other is not None
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    with pytest.raises(KernelBug, match="2860"):
        rt.kmem_cache_free(other, o, 0)
    with pytest.raises(KernelBug, match="2877"):
        rt.kmem_cache_free(c, o + 8, 0)
    assert rt.log[2] == (
        "slab error in verify_redzone_free(): cache `c32': memory outside object was overwritten"
    )
    with pytest.raises(KernelBug, match="2828"):
        rt.kfree(PAGE_OFFSET + (64 << 20) + 64, 0)
    assert rt.log[-3] == "kfree_debugcheck: out of range ptr ffff880004000040h."


def test_debug_constructor() -> None:
    """cache_init_objs: with SLAB_POISON (forced unless DESTROY_BY_RCU) the constructor
    runs at every allocation, after POISON_INUSE; without it (DESTROY_BY_RCU) it runs
    when the slab is made, and an overrun into red zone 2 is "constructor overwrote the
    end of an object" (the end is checked before the start; the constructor's byte
    lands in the low byte of the little-endian word)."""
    k, a, rt = debug_runtime()
    calls: list[int] = []

    def ctor(p: int) -> None:
        calls.append(p)
        a.write(p, b"ctor")

    c = k.kmem_cache_create("ctor", 24, 0, 0, ctor)
    assert c is not None
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None and calls == [o]
    assert a.read(o, 24) == b"ctor" + b"\x5a" * 19 + b"\xa5"

    def overrun(p: int) -> None:
        a.write(p, b"\x11" * 25)

    r = k.kmem_cache_create("rcu", 24, 0, "SLAB_DESTROY_BY_RCU", overrun)
    assert r is not None and k.flags.format(r.flags) == (
        "SLAB_RED_ZONE|SLAB_STORE_USER|SLAB_DESTROY_BY_RCU"
    )
    rt.log.clear()
    o = rt.kmem_cache_alloc(r, 0)
    assert o is not None and a.read(o, 24) == b"\x11" * 24
    assert rt.log[0] == (
        "slab error in cache_init_objs(): cache `rcu': constructor overwrote the end of an object"
    )
    # one report per object of the new slab; then the allocation itself finds red
    # zone 2 of its object not RED_INACTIVE
    assert len(rt.log) == r.num + 2
    assert rt.log[r.num] == (
        "slab error in cache_alloc_debugcheck_after(): cache `rcu': double free, or "
        "memory outside object was overwritten"
    )
    assert rt.log[r.num + 1].endswith("redzone 2:0x9f911029d74e311")


def test_debug_slab_destroy_and_leak_status() -> None:
    """slab_destroy_debugcheck checks every object when a slab goes (shrink); the
    DEBUG_SLAB_LEAK status bytes after the indices follow alloc (1) and free (0)."""
    k, a, rt = debug_runtime(debug_slab_leak=True)
    c = k.kmem_cache_create("leak", 32)
    # two bytes per object: 4096 / (56 + 2) = 70, freelist ALIGN(70 + 70, 8) = 144
    assert c is not None and (c.num, c.freelist_size) == (70, 144)
    o = rt.kmem_cache_alloc(c, 0)
    assert o == PAGE_OFFSET + 144 + 15 * 56 + 8
    status = a.read(PAGE_OFFSET + 70, 70)
    assert status[15] == 1 and status.count(0) == 69
    rt.kmem_cache_free(c, o, 0)
    assert a.read(PAGE_OFFSET + 70 + 15, 1) == b"\x00"
    a.write(o + 32, b"\x00")  # red zone 2 of a free object
    assert rt.kmem_cache_shrink(c) == 0
    assert rt.log == [
        "slab error in slab_destroy_debugcheck(): cache `leak': end of a freed object "
        "was overwritten"
    ]


def test_debug_32bit_layout() -> None:
    """i386: BYTES_PER_WORD 4, REDZONE_ALIGN max(4, 8) = 8.  Object 20: size ALIGN(20,
    8) = 24 + 16 + 8 = 48; red zone 2 at 48 - 8 - 8 = 32, user word (4 bytes) at 44,
    bytes 40..44 untouched.  %p is 8 hex digits; non-x86 arches print the other
    memory-test hint (checked on arm)."""
    k, a, rt = debug_runtime(arch="i386", page_offset=0xC0000000)
    c = k.kmem_cache_create("c20", 20)
    assert c is not None and (c.size, c.obj_offset) == (48, 8)
    o = rt.kmem_cache_alloc(c, 0, caller=0xC1000000)
    assert o is not None
    slot = a.read(o - 8, 48)
    assert slot[:8] == ACTIVE and slot[8:28] == b"\x5a" * 19 + b"\xa5"
    assert slot[32:40] == ACTIVE and slot[40:44] == bytes(4)
    assert slot[44:] == (0xC1000000).to_bytes(4, "little")
    rt.kmem_cache_free(c, o, 0)
    a.write(o, b"\x6a")
    rt.kmem_cache_alloc(c, 0)
    assert rt.log[0].endswith(f"start={o:08x}, len=20")
    assert "Run memtest86+ or a similar memory test tool." in rt.log
    k, a, rt = debug_runtime(arch="arm", page_offset=0xC0000000)
    c = k.kmem_cache_create("c20", 20)
    assert c is not None
    o = rt.kmem_cache_alloc(c, 0)
    assert o is not None
    rt.kmem_cache_free(c, o, 0)
    a.write(o, b"\x6a")
    rt.kmem_cache_alloc(c, 0)
    assert "Run a memory test tool." in rt.log


class SlabMachine(RuleBasedStateMachine):
    """Random alloc/free/shrink on random CPUs over 2-3 caches, with and without
    DEBUG_SLAB.  Invariants: no object handed out twice, check() and validate() clean,
    slabinfo's active_objs = objects held + objects cached in the arrays, and in debug
    caches every held object reads RED_ACTIVE / caller / RED_ACTIVE; nothing logged."""

    @initialize(
        debug=st.booleans(),
        nr_cpus=st.integers(1, 3),
        sizes=st.lists(st.sampled_from([8, 32, 110, 256, 1000, 3000]), min_size=2, max_size=3),
    )
    def boot(self, debug: bool, nr_cpus: int, sizes: list[int]) -> None:
        self.k = Kernel("v3.16", "x86_64", nr_cpus=nr_cpus, debug=debug)
        self.a = PageArena(32 << 20, self.k.config.arch, page_offset=PAGE_OFFSET, max_order=10)
        self.rt = SlabRuntime(self.k, self.a)
        self.nr_cpus = nr_cpus
        self.caches = []
        for i, size in enumerate(sizes):
            c = self.k.kmem_cache_create(f"c{i}", size)
            assert c is not None
            self.caches.append(c)
        self.held: list[dict[int, int]] = [{} for _ in sizes]  # pointer -> caller

    @rule(which=st.integers(0, 2), cpu=st.integers(0, 2), caller=st.integers(0, 2**64 - 1))
    def alloc(self, which: int, cpu: int, caller: int) -> None:
        i = which % len(self.caches)
        o = self.rt.kmem_cache_alloc(self.caches[i], cpu % self.nr_cpus, caller=caller)
        assert o is not None
        assert all(o not in h for h in self.held)
        self.held[i][o] = caller

    @rule(which=st.integers(0, 2), pick=st.integers(0, 10**6), cpu=st.integers(0, 2))
    def free(self, which: int, pick: int, cpu: int) -> None:
        i = which % len(self.caches)
        if self.held[i]:
            o = list(self.held[i])[pick % len(self.held[i])]
            del self.held[i][o]
            self.rt.kmem_cache_free(self.caches[i], o, cpu % self.nr_cpus, caller=pick)

    @rule(which=st.integers(0, 2), cpu=st.integers(0, 2), n=st.integers(1, 80))
    def alloc_many(self, which: int, cpu: int, n: int) -> None:
        """Enough to refill more than once and grow slabs."""
        for k in range(n):
            self.alloc(which, cpu, k)

    @rule(which=st.integers(0, 2), cpu=st.integers(0, 2), n=st.integers(1, 80))
    def free_many(self, which: int, cpu: int, n: int) -> None:
        """Enough to overflow the CPU array: cache_flusharray to the shared array or
        free_block, emptied slabs kept or destroyed past free_limit."""
        for k in range(n):
            self.free(which, k * 7919, cpu)

    @rule(which=st.integers(0, 2))
    def shrink(self, which: int) -> None:
        self.rt.kmem_cache_shrink(self.caches[which % len(self.caches)])

    @invariant()
    def consistent(self) -> None:
        if not hasattr(self, "rt"):
            return
        rt = self.rt
        for c, held in zip(self.caches, self.held):
            rt.check(c)
            assert rt.validate(c) == []
            s = rt.state(c)
            cached = sum(ac.avail for ac in s.cpu) + (s.node.shared.avail if s.node.shared else 0)
            assert rt.counts(c)["active_objs"] == len(held) + cached
            if s.red_zone:
                for o, caller in held.items():
                    assert self.a.read(o - 8, 8) == ACTIVE
                    assert self.a.read(o - 8 + s.rz2, 8) == ACTIVE
                    assert self.a.read_word(o - 8 + s.user, 8) == caller
            if c.freelist_cache is not None:
                rt.check(c.freelist_cache)
        assert rt.log == []


TestSlabMachine = SlabMachine.TestCase
TestSlabMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)
