"""The run time of Linux 7.0 and 7.1 (per-CPU sheaves and barns), each scenario
derived by hand from mm/slub.c of 7.0.0 and written out in its docstring; the
model's answers are compared with those derivations, not with its own output."""

from __future__ import annotations

from typing import Any

import pytest

import slabhw
from slabhw.config import KernelConfig
from tests.helpers import run_main

VERSIONS = ["v7.0", "v7.1"]


def simulation(version: str = "v7.0", **options: object) -> Any:
    """Freelists in address order, plain free pointers, two CPUs."""
    options = {"slab_freelist_random": False, "slab_freelist_hardened": False, **options}
    cfg = KernelConfig.build(version, "x86_64", nr_cpus=2, **options)  # type: ignore[arg-type]
    return slabhw.Simulation(cfg, mem=64 << 20)


def slabs(rt: Any, cache: Any) -> list[int]:
    """The cache's slab addresses in the order they were allocated."""
    return [s.addr for s in rt.state(cache).slabs.values()]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_first_objects_of_a_fresh_cache(version: str) -> None:
    """A 128-byte cache: 32 objects a slab, sheaf capacity 60.  The first allocation
    on CPU 0 finds its main sheaf empty, no spare, nothing in the barn: a new sheaf
    (alloc_full_sheaf) is refilled by refill_objects(60, 60) from new slabs: all 32
    of slab A (not put on a list: used up), then 28 of slab B, which goes to the
    partial list's head with 4 free.  The sheaf holds A0..A31, B0..B27; the old empty
    main becomes the spare; the allocation pops the top: B27, then B26, ..."""
    sim = simulation(version)
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128)
    first = [rt.alloc(c, 0) for _ in range(3)]
    a, b = slabs(rt, c)
    assert first == [b + 27 * 128, b + 26 * 128, b + 25 * 128]
    node = rt.node_state(c)
    assert node["nr_partial"] == 1 and node["nr_slabs"] == 2
    assert rt.object_info(b + 28 * 128)["free_on"] == "slab freelist"
    assert rt.object_info(a)["free_on"] == "cpu 0 main sheaf"
    state = rt.sheaves_state(c)
    main, spare = state["cpus"][0]["main"], state["cpus"][0]["spare"]
    assert main["objects"] == [a + i * 128 for i in range(32)] + [b + i * 128 for i in range(25)]
    assert spare is not None and spare["objects"] == []
    assert state["cpus"][1]["spare"] is None and state["cpus"][1]["main"]["objects"] == []


def test_refill_and_barn() -> None:
    """121 allocations, then 121 frees in the same order, on CPU 0.

    Allocations 1-60 empty the first sheaf M (A0..A31, B0..B27: B27 first).  The
    61st finds M empty and the spare S0 empty: S0 is refilled, first from the
    partial list (B's 4 free objects B28..B31), then new slabs C (all 32) and D (24;
    D to the partial head with 8 free): S0 = B28..B31, C0..C31, D0..D23, installed
    as main, M the spare; it returns D23.  Allocations 62-120 take D22..D0, C31..C0,
    B31..B28.  The 121st refills M: D's 8 (D24..D31), E (32), F (20; F to the head):
    it returns F19, S0 becomes the spare.

    The frees: the first fills M to 60; the second finds main full and an empty
    spare: they swap, and frees 2-61 fill S0.  Free 62: main and spare full, the
    barn has no empty sheaf (-ENOMEM), so a new sheaf N is allocated (kmalloc-512)
    and installed: main and spare full, so S0 goes to the barn's full list and N is
    main.  Frees 62-121 fill N, whose top is then F19 (the last freed): the next
    allocation returns it."""
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128)
    objs = [rt.alloc(c, 0) for _ in range(121)]
    a, b, c_, d, e, f = slabs(rt, c)
    assert objs[59] == a and objs[60] == d + 23 * 128 and objs[119] == b + 28 * 128
    assert objs[120] == f + 19 * 128
    assert rt.node_state(c)["partial"] == [rt.arena.virt_to_pfn(f)]  # D was used up
    before = rt.counts(k.kmalloc_caches["normal"][9])["num_objs"]  # kmalloc-512
    for obj in objs:
        rt.free(c, obj, 0)
    state = rt.sheaves_state(c)
    main, spare = state["cpus"][0]["main"], state["cpus"][0]["spare"]
    assert len(main["objects"]) == 60 and len(spare["objects"]) == 60
    assert [len(s["objects"]) for s in state["barn"]["full"]] == [60]
    assert state["barn"]["empty"] == []
    assert main["objects"] == objs[61:121]
    assert state["barn"]["full"][0]["objects"] == objs[1:61]
    # the spare is the sheaf of the 121st allocation: D24..D31, E0..E31, F0..F18,
    # and the first object freed on top
    refilled = [d + i * 128 for i in range(24, 32)] + [e + i * 128 for i in range(32)]
    assert spare["objects"] == refilled + [f + i * 128 for i in range(19)] + objs[:1]
    assert rt.object_info(main["address"])["cache"] == "kmalloc-512"
    assert rt.counts(k.kmalloc_caches["normal"][9])["num_objs"] >= before
    assert rt.alloc(c, 0) == f + 19 * 128


def test_wrong_cache_free_is_leaked_with_a_warning() -> None:
    """kmem_cache_free() of 7.0 with SLAB_FREELIST_HARDENED: an object of another
    cache is not freed (6.18 freed it to its own cache) and warn_free_bad_obj()
    says so once (WARN_ONCE); an address outside any slab likewise."""
    cfg = KernelConfig.build("v7.0", "x86_64", nr_cpus=2)
    sim = slabhw.Simulation(cfg, mem=64 << 20)
    k, rt = sim.kernel, sim.runtime
    one, two = k.kmem_cache_create("one", 100), k.kmem_cache_create("two", 200)
    obj = rt.alloc(one, 0)
    reports = rt.free(two, obj, 0)
    assert reports[0] == (
        f"kmem_cache_free(two, {obj:016x}): object belongs to different cache one"
    )
    assert rt.object_info(obj)["allocated"] is True
    assert rt.free(two, obj, 0) == []  # once
    assert rt.object_info(obj)["allocated"] is True


def test_caches_without_sheaves_take_objects_from_the_partial_slab() -> None:
    """A SLAB_NOLEAKTRACE cache has capacity 0 (the bootstrap sheaf): ___slab_alloc
    of 7.0 takes the first object of a new slab (A0; A then goes to the partial
    head), then one object at a time from the first partial slab: A1, A2.  Freed,
    they go straight back to the slab's freelist (A2 on top)."""
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128, flags="SLAB_NOLEAKTRACE")
    assert c.sheaf_capacity == 0
    got = [rt.alloc(c, 0) for _ in range(3)]
    (a,) = slabs(rt, c)
    assert got == [a, a + 128, a + 256]
    rt.free(c, got[2], 0)
    assert rt.object_info(got[2])["free_on"] == "slab freelist"
    assert rt.alloc(c, 1) == got[2]


def test_bulk_calls() -> None:
    """kmem_cache_alloc_bulk(10) on a fresh cache: the main sheaf is empty, the
    barn has nothing, so all ten come from refill_objects(10, 10): a new slab's
    A0..A9 (A to the partial head), none through a sheaf.  kmem_cache_free_bulk
    appends them to the main sheaf in array order, so the next allocation is A9."""
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128)
    got = rt.alloc_bulk(c, 10, 0)
    (a,) = slabs(rt, c)
    assert got == [a + i * 128 for i in range(10)]
    rt.free_bulk(c, got, 0)
    assert rt.sheaves_state(c)["cpus"][0]["main"]["objects"] == got
    assert rt.alloc(c, 0) == a + 9 * 128


def test_destroy_flushes_the_sheaves() -> None:
    """kmem_cache_destroy(): the sheaves and the barn are flushed to the slabs first,
    so a cache whose objects were all freed is destroyed without a complaint, and
    its sheaves and barn (kmalloc objects) are freed."""
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128)
    objs = [rt.alloc(c, 0) for _ in range(40)]
    state = rt.sheaves_state(c)
    barn, main = state["barn"]["address"], state["cpus"][0]["main"]["address"]
    for obj in objs:
        rt.free(c, obj, 1)
    k.kmem_cache_destroy(c)
    assert not any("still has objects" in line for line in k.log)
    assert c not in k.slab_caches
    assert rt.object_info(barn)["allocated"] is False
    assert rt.object_info(main)["allocated"] is False


def test_simulate_shows_the_sheaves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "create c 128\na = alloc c\nsheaves c\nmap c\n"
    argv = ["simulate", "-", "--kernel", "v7.1", "--nr-cpus", "2", "--json"]
    rc, out, err = run_main(argv, capsys, monkeypatch, stdin=script)
    assert rc == 0, err
    import json

    events = json.loads(out)["events"]
    sheaves = events[2]["sheaves"]
    assert sheaves["capacity"] == 60 and len(sheaves["cpus"][0]["main"]["objects"]) == 59
    marks = "".join(line.split()[-1] for line in events[3]["slabs"])
    assert marks.count("s") == 59 and marks.count("#") == 1
    rc, _, err = run_main(
        ["simulate", "-", "--kernel", "v6.18"], capsys, monkeypatch, stdin="sheaves kmalloc-64\n"
    )
    assert rc == 2 and "came in 7.0" in err


def test_kfree_rcu_through_sheaves() -> None:
    """60 objects allocated on CPU 0 (B27..B0, A31..A0: the first sheaf emptied), then
    kfree_rcu() of each in that order: the first finds no rcu_free sheaf and takes
    the empty spare; the 60th fills it, and it goes to call_rcu().  Until the grace
    period ends the objects are neither free nor allocatable ("r" in the map).
    rcu_free_sheaf() then puts the full sheaf in the barn (fewer than 10 there), so
    the next allocation, finding main empty and no spare, takes it from the barn
    (the empty main goes to the barn's empty list) and pops the last kfree_rcu'd
    object, A0, without touching a slab."""
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128)
    objs = [rt.alloc(c, 0) for _ in range(60)]
    a, b = slabs(rt, c)
    assert objs[0] == b + 27 * 128 and objs[-1] == a
    for obj in objs:
        rt.kfree_rcu(obj, 0)
    state = rt.sheaves_state(c)
    assert state["cpus"][0]["spare"] is None and state["cpus"][0]["rcu_free"] is None
    assert [s["objects"] for s in state["rcu_pending"]] == [objs]
    assert rt.slab_map(rt.arena.virt_to_pfn(a)) == "r" * 32
    assert rt.rcu_barrier() == 1
    state = rt.sheaves_state(c)
    assert [s["objects"] for s in state["barn"]["full"]] == [objs]
    assert rt.alloc(c, 0) == a
    state = rt.sheaves_state(c)
    assert state["barn"]["full"] == [] and len(state["barn"]["empty"]) == 1
    assert state["cpus"][0]["main"]["objects"] == objs[:-1]


def test_kfree_rcu_outside_sheaves_is_refused() -> None:
    sim = simulation()
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 128, flags="SLAB_NOLEAKTRACE")  # no sheaves
    obj = rt.alloc(c, 0)
    with pytest.raises(slabhw.InputError, match="classic kfree_rcu batching"):
        rt.kfree_rcu(obj, 0)
    old = slabhw.Simulation(KernelConfig.build("v6.18", "x86_64", nr_cpus=2), mem=64 << 20)
    with pytest.raises(slabhw.InputError, match="v6.18"):
        old.runtime.kfree_rcu(old.runtime.alloc(old.kernel.kmem_cache_create("d", 64), 0), 0)


def test_out_of_memory_through_the_sheaves() -> None:
    """A 4 MiB arena (one order-10 block) filled with 2 KiB objects: when no slab can
    be had, refill_sheaf() comes back short, the partly filled sheaf is flushed and
    freed (alloc_full_sheaf), the slow path reports slab_out_of_memory and the
    allocation returns NULL; everything handed out before is still allocated."""
    cfg = KernelConfig.build(
        "v7.0", "x86_64", nr_cpus=1, slab_freelist_random=False, slab_freelist_hardened=False
    )
    sim = slabhw.Simulation(cfg, mem=4 << 20)
    k, rt = sim.kernel, sim.runtime
    c = k.kmem_cache_create("c", 2048)
    got = []
    while (obj := rt.alloc(c, 0)) is not None:
        got.append(obj)
        assert len(got) < 4096
    assert got and any(line.startswith("SLUB: Unable to allocate memory") for line in k.log)
    assert all(rt.object_info(obj)["allocated"] for obj in got)
    assert rt.sheaves_state(c)["cpus"][0]["main"]["objects"] == []
