"""The SLUB run time's C loops (csrc/runtime.c through _core.FreePointers) against
the Python code they stand in for.

Two levels:

* each FreePointers method, C against its pure-Python twin, on random memory, slab
  maps, free-pointer encodings (hardened or not, either byte order) and inputs that
  include the irregular: repeated and foreign objects, pointers outside the arena;
* SlubRuntime with ``fast`` on against the same runtime with ``fast`` off (the
  per-object Python code, the reference): random caches, seeds and configurations
  (hardened and shuffled freelists or not, slab_debug, init_on_alloc/free, a
  big-endian target) and random sequences of bulk and single calls, double frees
  included.  After every call the arena bytes, struct pages, buddy free lists,
  returned addresses, reports, exceptions, CPU and node lists, every slab's state
  and the counts must be identical.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slabhw
from slabhw import _core
from slabhw.arena import PageArena
from slabhw.slub import SlubCache, SlubKernel
from slabhw.slub_runtime import SlubRuntime
from slabhw.versions import PRESETS

SLUB_VERSIONS = [name for name, p in PRESETS.items() if p.allocator == "SLUB"]

PO = 0xFFFF888000000000
MASK64 = (1 << 64) - 1


@contextmanager
def reference_backend() -> Iterator[None]:
    """Run _core's Python twins (what SLABHW_BACKEND=reference selects)."""
    saved = _core.BACKEND
    _core.BACKEND = "reference"
    try:
        yield
    finally:
        _core.BACKEND = saved


needs_c = pytest.mark.skipif(_core.BACKEND != "c", reason="compares C with the reference")


# ---- FreePointers: C against the Python twin -----------------------------------------
PAGE_SHIFT = 8  # small pages keep the arrays small; the code does not care
NR_PAGES = 32
MEMSIZE = NR_PAGES << PAGE_SHIFT


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    """Random memory, a slab map of two caches, and one cache's encoding."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    memory = rng.integers(0, 256, MEMSIZE, dtype=np.uint8)
    keys = np.zeros(NR_PAGES, dtype=np.uint64)
    max_order = draw(st.integers(0, 2))
    pfn = 0
    slabs: list[tuple[int, int, int]] = []  # (cache id, head pfn, order)
    while pfn < NR_PAGES:
        order = int(rng.integers(0, max_order + 1))
        if pfn + (1 << order) > NR_PAGES or pfn & ((1 << order) - 1):
            order = 0
        kind = int(rng.integers(0, 3))  # no slab, cache 0, cache 1
        if kind:
            keys[pfn : pfn + (1 << order)] = _core.slab_key(kind - 1, pfn)
            slabs.append((kind - 1, pfn, order))
        pfn += 1 << order
    size = draw(st.sampled_from([8, 16, 24, 40, 64, 96, 256]))
    return {
        "memory": memory,
        "keys": keys,
        "slabs": slabs,
        "size": size,
        "offset": draw(st.sampled_from([0, 8, 16, size - 8, size, 3])),
        "random": draw(st.integers(0, MASK64)),
        "hardened": draw(st.booleans()),
        "swap": draw(st.booleans()),
        "span": (1 << PAGE_SHIFT) << max_order,
        "rng": rng,
    }


def make_pair(w: dict[str, Any], random_seq: Any = None) -> tuple[Any, Any]:
    """Two FreePointers over two copies of the same memory and slab map."""

    def one() -> _core.FreePointers:
        return _core.FreePointers(
            w["memory"].copy(),
            w["keys"].copy(),
            page_offset=PO,
            page_shift=PAGE_SHIFT,
            offset=w["offset"],
            random=w["random"],
            hardened=w["hardened"],
            swap=w["swap"],
            cache_id=0,
            span=w["span"],
            random_seq=random_seq,
        )

    return one(), one()


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", fn())
    except slabhw.InputError as exc:
        return ("error", str(exc))


def addresses(w: dict[str, Any], n: int) -> list[int]:
    """Object starts in slabs of both caches, and strays: other offsets, outside the
    arena, around its edges, NULL."""
    rng = w["rng"]
    out: list[int] = []
    for _ in range(n):
        r = int(rng.integers(0, 10))
        if r < 7 and w["slabs"]:
            cid, head, order = w["slabs"][int(rng.integers(0, len(w["slabs"])))]
            nobj = max(((1 << PAGE_SHIFT) << order) // w["size"], 1)
            out.append(PO + (head << PAGE_SHIFT) + int(rng.integers(0, nobj)) * w["size"])
        elif r == 7:
            out.append(PO + int(rng.integers(0, MEMSIZE)))
        else:
            strays = [0, PO - 8, PO + MEMSIZE - 8, PO + MEMSIZE, MASK64 - 4, 16]
            out.append(strays[int(rng.integers(0, len(strays)))])
    return out


@needs_c
@settings(max_examples=300, deadline=None)
@given(w=worlds(), n=st.integers(0, 80), which=st.integers(0, 10**6))
def test_walk_c_vs_reference(w: dict[str, Any], n: int, which: int) -> None:
    a, b = make_pair(w)
    heads = addresses(w, 4)
    head = heads[which % 4]
    out_a = np.zeros(n + 3, dtype=np.uint64)
    out_b = out_a.copy()
    ra = a.walk(head, out_a, 2, n)
    with reference_backend():
        rb = b.walk(head, out_b, 2, n)
    assert ra == rb
    assert np.array_equal(out_a, out_b)
    assert np.array_equal(a.memory, w["memory"]) and np.array_equal(b.memory, w["memory"])


@needs_c
@settings(max_examples=300, deadline=None)
@given(w=worlds(), n=st.integers(0, 40), last=st.integers(0, MASK64), which=st.integers(0, 9))
def test_link_range_c_vs_reference(w: dict[str, Any], n: int, last: int, which: int) -> None:
    a, b = make_pair(w)
    start = addresses(w, 10)[which]
    stride = w["size"] if which % 3 else 8
    ra = outcome(lambda: a.link_range(start, stride, n, last))
    with reference_backend():
        rb = outcome(lambda: b.link_range(start, stride, n, last))
    assert ra == rb
    assert np.array_equal(a.memory, b.memory)
    if ra[0] == "ok" and n:  # and it reads back in the same order
        got = np.zeros(n, dtype=np.uint64)
        k, nxt = a.walk(start, got, 0, n)
        assert (k, nxt) == (n, last)
        assert got.tolist() == [start + j * stride for j in range(n)]


@needs_c
@settings(max_examples=300, deadline=None)
@given(
    w=worlds(),
    count=st.integers(1, 40),
    limit=st.integers(0, 45),
    n=st.integers(1, 45),
    pos=st.integers(0, 10**6),
    seed=st.integers(0, 2**32 - 1),
)
def test_link_shuffled_c_vs_reference(
    w: dict[str, Any], count: int, limit: int, n: int, pos: int, seed: int
) -> None:
    size = w["size"]
    seq = np.random.default_rng(seed).permutation(count).astype(np.uint64) * size
    a, b = make_pair(w, seq)
    start = PO + size * (seed % 4)
    ra = outcome(lambda: a.link_shuffled(pos % count, limit * size, start, n))
    with reference_backend():
        rb = outcome(lambda: b.link_shuffled(pos % count, limit * size, start, n))
    assert ra == rb
    assert np.array_equal(a.memory, b.memory)


def shuffle_freelist_python(
    seq: list[int], pos: int, page_limit: int, start: int, n: int
) -> list[int]:
    """next_freelist_entry() as slub_runtime.shuffle_freelist writes it."""
    out = []
    count = len(seq)
    while len(out) < n:
        idx = seq[pos]
        pos = pos + 1 if pos + 1 < count else 0
        if idx < page_limit:
            out.append(start + idx)
    return out


@needs_c
def test_link_shuffled_order() -> None:
    """The chain follows the sequence from pos, wrapping, skipping big offsets."""
    w = {
        "memory": np.zeros(MEMSIZE, dtype=np.uint8),
        "keys": np.zeros(NR_PAGES, dtype=np.uint64),
        "offset": 8,
        "random": 0x1234,
        "hardened": True,
        "swap": False,
        "span": 1 << PAGE_SHIFT,
    }
    seq = [5 * 32, 1 * 32, 7 * 32, 0, 3 * 32, 6 * 32, 2 * 32, 4 * 32]
    a, _ = make_pair(w, np.array(seq, dtype=np.uint64))
    first = a.link_shuffled(6, 5 * 32, PO, 5)
    want = shuffle_freelist_python(seq, 6, 5 * 32, PO, 5)
    assert first == want[0]
    got = np.zeros(5, dtype=np.uint64)
    assert a.walk(first, got, 0, 5) == (5, 0)
    assert got.tolist() == want == [PO + 64, PO + 128, PO + 32, PO, PO + 96]


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(
    w=worlds(),
    n=st.integers(1, 60),
    dups=st.integers(0, 3),
    null_mark=st.booleans(),
    hooked=st.booleans(),
)
def test_detach_c_vs_reference(
    w: dict[str, Any], n: int, dups: int, null_mark: bool, hooked: bool
) -> None:
    """One build_detached_freelist (+ the hook's reversal, or, unhooked, the chain
    __kmem_cache_free_bulk frees) after another over the same array, C and twin in
    step: results, swaps or NULL marks, bytes; the bitmap is left clear."""
    a, b = make_pair(w)
    objs = addresses(w, n)
    rng = w["rng"]
    for _ in range(dups):
        objs.insert(int(rng.integers(0, len(objs) + 1)), objs[int(rng.integers(0, len(objs)))])
    pa = np.array(objs, dtype=np.uint64)
    pb = pa.copy()
    size = pa.size
    while size:
        before, p_before = a.memory.copy(), pa.copy()
        ra = a.detach(pa, size, null_mark, hooked)
        with reference_backend():
            rb = b.detach(pb, size, null_mark, hooked)
        assert ra == rb
        assert np.array_equal(pa, pb)
        assert np.array_equal(a.memory, b.memory)
        assert not a.bitmap.any()
        if ra[0] != _core.DETACH_OK:
            assert np.array_equal(a.memory, before) and np.array_equal(pa, p_before)
            # skip that object, as the runtime's fallback would handle it (before 6.1
            # setting it to NULL, as the kernel does after freeing a large kmalloc)
            size -= 1
            while null_mark and size and not pa[size]:
                size -= 1
            if null_mark:
                pa[size] = pb[size] = 0
            continue
        _, size, head, tail, cnt, key = ra
        if not cnt:  # null_mark: nothing left
            assert null_mark and size == 0 and not pa.any()
            break
        chain = np.zeros(cnt, dtype=np.uint64)
        assert a.walk(head, chain, 0, cnt) == (cnt, 0)
        assert chain[-1] == tail and key & 0xFFFFFFFF00000000 == _core.slab_key(0, 0)


def five_slabs() -> tuple[_core.FreePointers, tuple[int, ...]]:
    """Free pointers at offset 0 (plain) over five one-page slabs of one cache, and
    the objects x0, x1, x2 of the first slab and y0, z, u, v starting the others."""
    memory = np.zeros(MEMSIZE, dtype=np.uint8)
    keys = np.zeros(NR_PAGES, dtype=np.uint64)
    for pfn in range(5):
        keys[pfn] = _core.slab_key(0, pfn)
    fp = _core.FreePointers(
        memory,
        keys,
        page_offset=PO,
        page_shift=PAGE_SHIFT,
        offset=0,
        random=0,
        hardened=False,
        swap=False,
        cache_id=0,
        span=1 << PAGE_SHIFT,
    )
    pg = 1 << PAGE_SHIFT
    return fp, (PO, PO + 64, PO + 128, PO + pg, PO + 2 * pg, PO + 3 * pg, PO + 4 * pg)


@needs_c
def test_detach_follows_build_detached_freelist() -> None:
    """p = [x0, y0, x1, z, u, v, x2] (x: slab A, the rest other slabs): from the end,
    x2 starts the list; v, u, z are three others, so the look-ahead ends before x1:
    the detached list is x2 alone, and 6 objects remain.  Then p = [x0, y0, x1, z,
    x2]: z (2 look-ahead left), x1 of A (swapped with z, just below the boundary),
    y0 (1 left), x0 of A (swapped with the z now at 2): 2 objects remain."""
    fp, (x0, x1, x2, y0, z, u, v) = five_slabs()
    p = np.array([x0, y0, x1, z, u, v, x2], dtype=np.uint64)
    assert fp.detach(p, 7) == (0, 6, x2, x2, 1, _core.slab_key(0, 0))
    assert fp.load(x2) == 0
    p = np.array([x0, y0, x1, z, x2], dtype=np.uint64)
    assert fp.detach(p, 5) == (0, 2, x2, x0, 3, _core.slab_key(0, 0))
    assert p.tolist() == [z, y0, x0, x1, x2]
    # the chain after slab_free_freelist_hook: x2 -> x1 -> x0 -> NULL
    assert [fp.load(x2), fp.load(x1), fp.load(x0)] == [x1, x0, 0]
    # unhooked (__kmem_cache_free_bulk, 7.x's sheaf flush): build_detached_freelist
    # pushes each object found on the list: x0 -> x1 -> x2 -> NULL
    p = np.array([x0, y0, x1, z, x2], dtype=np.uint64)
    assert fp.detach(p, 5, hooked=False) == (0, 2, x0, x2, 3, _core.slab_key(0, 0))
    assert [fp.load(x0), fp.load(x1), fp.load(x2)] == [x1, x2, 0]


@needs_c
def test_detach_null_mark_follows_build_detached_freelist() -> None:
    """build_detached_freelist of 5.10 (mm/slub.c; NULL marks until 6.1): p = [x0, y0,
    x1, z, u, v, x2]: x2 is taken and set to NULL; v (look-ahead 2, first skipped: 5 +
    1 = 6), u (1), z (0: stop): 6 returned.  Next round over p[0..6): v starts (slab
    of v alone: u, z, x1 are three others), first skipped 5.  With everything but y0
    NULL, y0 is found below the NULLs and the round after returns 0.  Then all NULL:
    nothing left."""
    fp, (x0, x1, x2, y0, z, u, v) = five_slabs()
    p = np.array([x0, y0, x1, z, u, v, x2], dtype=np.uint64)
    assert fp.detach(p, 7, True) == (0, 6, x2, x2, 1, _core.slab_key(0, 0))
    assert p.tolist() == [x0, y0, x1, z, u, v, 0]
    assert fp.detach(p, 6, True) == (0, 5, v, v, 1, _core.slab_key(0, 4))
    # x1 and x0 of slab A: found past y0 and z (look-ahead 3 -> 1), first skipped 4
    p = np.array([x0, y0, x1, z, 0, 0, x2], dtype=np.uint64)
    assert fp.detach(p, 7, True) == (0, 4, x2, x0, 3, _core.slab_key(0, 0))
    assert p.tolist() == [0, y0, 0, z, 0, 0, 0]
    assert [fp.load(x2), fp.load(x1), fp.load(x0)] == [x1, x0, 0]
    p = np.array([0, y0, 0, 0], dtype=np.uint64)
    assert fp.detach(p, 4, True) == (0, 0, y0, y0, 1, _core.slab_key(0, 1))
    assert fp.detach(p, 4, True) == (0, 0, 0, 0, 0, 0)


# ---- SlubRuntime: fast against the per-object Python code -----------------------------
def snapshot(rt: SlubRuntime) -> dict[str, Any]:
    a = rt.arena
    caches = {}
    for stt in rt.by_id:
        slabs = sorted(
            (
                s.pfn,
                s.order,
                s.objects,
                s.inuse,
                s.freelist,
                s.frozen,
                s.node_partial,
                s.slabs,
                s.where,
                s.cpu,
                s.counted,
            )
            for s in stt.slabs.values()
        )
        caches[stt.name] = {
            "cpus": [rt.cpu_state(stt.cache, cpu) for cpu in range(rt.nr_cpus)],
            "node": rt.node_state(stt.cache),
            "counts": rt.counts(stt.cache),
            "slabs": slabs,
        }
    return {
        "caches": caches,
        "free_lists": [a.free_block_pfns(o) for o in range(a.max_order + 1)],
        "nr_free": list(a.nr_free),
        "log": list(rt.log),
        "large": dict(rt.large),
        "tainted": rt.tainted,
    }


def assert_same(fast: SlubRuntime, ref: SlubRuntime) -> None:
    assert np.array_equal(fast.arena.memory, ref.arena.memory), "arena bytes differ"
    assert fast.arena.pages.tobytes() == ref.arena.pages.tobytes(), "struct pages differ"
    assert snapshot(fast) == snapshot(ref)
    # the slab key map mirrors the slab index
    keys = fast._slab_keys
    slab_pages = {pfn: s for pfn, s in fast._page_slab.items()}
    assert set(np.flatnonzero(keys).tolist()) == set(slab_pages)
    for pfn, s in slab_pages.items():
        assert int(keys[pfn]) == _core.slab_key(s.state.cache_id, s.pfn)


def call(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except slabhw.SlabError as exc:
        return (type(exc).__name__, str(exc))


@st.composite
def setups(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "version": draw(st.sampled_from(SLUB_VERSIONS)),
        "arch": draw(st.sampled_from(["x86_64", "x86_64", "x86_64", "s390x", "arm64"])),
        "nr_cpus": draw(st.integers(1, 2)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "hardened": draw(st.booleans()),
        "random": draw(st.booleans()),
        "debug": draw(st.sampled_from(["", "", "", "FZPU", "Z", "U", "P"])),
        "init_on_alloc": draw(st.integers(0, 4)) == 0,
        "init_on_free": draw(st.integers(0, 4)) == 0,
        "size": draw(st.integers(1, 3000)),
        "align": draw(st.sampled_from([0, 8, 64, 256])),
        "hwcache": draw(st.booleans()),
        "ctor": draw(st.integers(0, 3)) == 0,
        "mem": draw(st.sampled_from([1 << 20, 4 << 20])),
    }


def build(setup: dict[str, Any], fast: bool) -> tuple[SlubRuntime, list[SlubCache], list[int]]:
    options: dict[str, Any] = {
        "slab_freelist_hardened": setup["hardened"],
        "slab_freelist_random": setup["random"],
    }
    if setup["debug"]:
        options["slub_debug"] = setup["debug"]
    k = slabhw.Kernel(setup["version"], setup["arch"], nr_cpus=setup["nr_cpus"], **options)
    assert isinstance(k, SlubKernel)
    arch = k.config.arch
    a = PageArena(setup["mem"], arch, page_offset=PO, max_order=arch.max_page_order)
    rt = SlubRuntime(
        k,
        a,
        nr_cpus=setup["nr_cpus"],
        seed=setup["seed"],
        init_on_alloc=setup["init_on_alloc"],
        init_on_free=setup["init_on_free"],
    )
    rt.fast = fast
    ctor_calls: list[int] = []
    user = k.kmem_cache_create(
        "fast_test",
        setup["size"],
        setup["align"],
        "SLAB_HWCACHE_ALIGN" if setup["hwcache"] else 0,
        ctor_calls.append if setup["ctor"] else None,
    )
    assert user is not None
    caches = [user]
    for size in (64, 512):
        c = k.kmalloc_slab(size)
        assert c is not None
        caches.append(c)
    return rt, caches, ctor_calls


OPS = st.lists(
    st.tuples(
        st.sampled_from(["alloc_bulk", "free_bulk", "kfree_bulk", "alloc", "free", "flush"]),
        st.integers(0, 2),  # cache
        st.integers(0, 1),  # cpu
        st.integers(0, 300),  # count
        st.integers(0, 2**32 - 1),  # choice seed
    ),
    min_size=1,
    max_size=14,
)


def run_ops(setup: dict[str, Any], ops: list[tuple[str, int, int, int, int]]) -> None:
    fast, caches_f, ctor_f = build(setup, True)
    ref, caches_r, ctor_r = build(setup, False)

    def both(method: str, ci: int | None, *args: Any) -> Any:
        """The same call on both runtimes (cache index ci, None for no cache)."""
        got = [
            call(getattr(rt, method), None if ci is None else caches[ci], *args)
            for rt, caches in ((fast, caches_f), (ref, caches_r))
        ]
        assert got[0] == got[1]
        return got[0]

    held: list[tuple[int, int]] = []  # (address, cache index), in allocation order
    for op, ci, cpu, count, seed in ops:
        cpu %= setup["nr_cpus"]
        rng = np.random.default_rng(seed)
        if op == "alloc_bulk":
            got = both("alloc_bulk", ci, count, cpu)
            if got[0] == "ok":
                held += [(x, ci) for x in got[1]]
        elif op in ("free_bulk", "kfree_bulk"):
            if not held:
                continue
            mine = [h for h in held if op == "kfree_bulk" or h[1] == ci]
            k = min(len(mine), count)
            order = rng.permutation(len(mine))[:k]
            chosen = [mine[i] for i in order]
            for h in set(chosen):
                held.remove(h)
            addrs = [x for x, _ in chosen]
            odd = int(rng.integers(0, 12))
            where = int(rng.integers(0, len(addrs) + 1))
            if odd == 0 and addrs:  # a double free
                addrs.insert(where, addrs[int(rng.integers(0, len(addrs)))])
            elif odd == 1 and held:  # an object of another cache, or the same
                h = held[int(rng.integers(0, len(held)))]
                held.remove(h)
                addrs.insert(where, h[0])
            elif odd == 2:  # not a slab object: outside the arena, or a free page
                addrs.insert(where, PO + setup["mem"] + 4096 * int(rng.integers(0, 2)))
            elif odd == 3 and addrs:  # inside an object, not at its start
                addrs.insert(where, addrs.pop(where % len(addrs)) + 8)
            both("free_bulk", None if op == "kfree_bulk" else ci, addrs, cpu)
        elif op == "alloc":
            got = both("alloc", ci, cpu)
            if got[0] == "ok" and got[1]:
                held.append((got[1], ci))
        elif op == "free":
            mine = [h for h in held if h[1] == ci]
            if not mine:
                continue
            h = mine[int(rng.integers(0, len(mine)))]
            held.remove(h)
            both("free", ci, h[0], cpu)
        else:
            both("flush_cpu_slab", ci, cpu)
        assert ctor_f == ctor_r
        assert_same(fast, ref)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(setup=setups(), ops=OPS)
def test_fast_runtime_equals_reference(
    setup: dict[str, Any], ops: list[tuple[str, int, int, int, int]]
) -> None:
    run_ops(setup, ops)


@pytest.mark.parametrize("version", ["v5.15", "v6.18", "v7.0"])  # NULL marks; swaps; sheaves
def test_fast_runtime_big_bulk(version: str) -> None:
    """Thousands of objects of a plain cache and of a shuffled, hardened kmalloc cache:
    alloc_bulk, a partial free_bulk out of order, alloc_bulk again, free the rest."""
    setup = {
        "version": version,
        "arch": "x86_64",
        "nr_cpus": 2,
        "seed": 5,
        "hardened": True,
        "random": True,
        "debug": "",
        "init_on_alloc": False,
        "init_on_free": False,
        "size": 100,
        "align": 0,
        "hwcache": False,
        "ctor": False,
        "mem": 8 << 20,
    }
    ops = [
        ("alloc_bulk", 0, 0, 3000, 0),
        ("alloc_bulk", 1, 1, 2000, 0),
        ("free_bulk", 0, 1, 1700, 1),
        ("kfree_bulk", 0, 0, 1500, 2),
        ("alloc_bulk", 0, 1, 2500, 3),
        ("alloc_bulk", 2, 0, 900, 4),
        ("free_bulk", 0, 0, 10000, 5),
        ("kfree_bulk", 0, 1, 10000, 6),
    ]
    run_ops(setup, ops)


def test_alloc_bulk_array_and_array_input() -> None:
    """alloc_bulk_array gives the addresses of alloc_bulk as uint64; free_bulk takes
    an array as well as a list."""
    setup = {
        "version": "v6.18",
        "arch": "x86_64",
        "nr_cpus": 1,
        "seed": 1,
        "hardened": True,
        "random": True,
        "debug": "",
        "init_on_alloc": False,
        "init_on_free": False,
        "size": 64,
        "align": 0,
        "hwcache": False,
        "ctor": False,
        "mem": 4 << 20,
    }
    fast, cf, _ = build(setup, True)
    ref, cr, _ = build(setup, False)
    arr = fast.alloc_bulk_array(cf[0], 500, 0)
    assert arr.dtype == np.uint64 and arr.tolist() == ref.alloc_bulk(cr[0], 500, 0)
    assert fast.free_bulk(cf[0], arr[::-1], 0) == ref.free_bulk(cr[0], arr[::-1].tolist(), 0)
    assert_same(fast, ref)
    assert fast.alloc_bulk_array(cf[0], 0, 0).size == 0
