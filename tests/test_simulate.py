"""``slabhw simulate``: scripts, their results, and the errors users make.

The expected addresses and bytes are derived by hand from the kernels' rules (the
derivations are beside each test); the run-time modules themselves are tested in
test_slab_runtime.py and test_slub_runtime.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slabhw import slabinfo
from slabhw.config import KernelConfig
from slabhw.errors import InputError
from slabhw.simulate import Simulation, parse_script

from .helpers import run_main

PO_618 = 0xFFFF888000000000  # x86_64 __PAGE_OFFSET_BASE_L4 (6.18)
PO_316 = 0xFFFF880000000000  # x86_64 __PAGE_OFFSET (3.16)

# 6.18 without the random freelist and pointer hardening, so addresses and bytes
# follow from the rules alone.
PLAIN_618 = ["--kernel", "v6.18", "--nr-cpus", "2", "--mem", "64M"]
PLAIN_618 += ["--no-slab-freelist-random", "--no-slab-freelist-hardened"]

UAF = """\
create victim 128
a = alloc victim
free a
b = alloc victim      # the slot of a, handed out again
dump a
c = kmalloc 100 cpu=1
"""


def test_use_after_free_slot_is_reused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """victim (6.18, 128 bytes): the free pointer sits mid-object at
    ALIGN_DOWN(128 / 2, sizeof(void *)) = 64 (calculate_sizes); min_objects =
    4 * (fls(2) + 1) = 12 fit in an order-0 page, 4096 / 128 = 32 objects.
    The first alloc finds no cpu slab: new_slab takes PFN 0 (the fresh buddy
    allocator's first order-0 page), chained in address order, so a = PO + 0 and
    c->freelist = PO + 0x80.  free(a) on the same CPU is do_slab_free's fast path:
    a's free pointer (at a + 64) gets the old head PO + 0x80, a is the new head,
    and the next alloc returns a again.  The pointer is not wiped (init_on_free
    off), so a + 64 holds 0xffff888000000080 little-endian.  kmalloc(100) on CPU 1
    is kmalloc-128 (size_index[(100 - 1) / 8] = 7): its own slab, PFN 1."""
    rc, out, err = run_main(["simulate", "-", *PLAIN_618, "--json"], capsys, monkeypatch, UAF)
    assert rc == 0, err
    events = json.loads(out)["events"]
    assert [e["op"] for e in events] == ["create", "alloc", "free", "alloc", "dump", "kmalloc"]
    a, b = events[1]["address"], events[3]["address"]
    assert a == b == f"{PO_618:#x}"
    fp = bytes.fromhex(events[4]["hex"])[64:72]
    assert int.from_bytes(fp, "little") == PO_618 + 0x80
    assert events[4]["length"] == 128
    assert events[5]["address"] == f"{PO_618 + 0x1000:#x}"
    assert events[5]["cache"] == "kmalloc-128"
    assert events[0]["objects_per_slab"] == 32 and events[0]["order"] == 0


def test_text_output_names_every_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, _ = run_main(["simulate", "-", *PLAIN_618], capsys, monkeypatch, UAF)
    assert rc == 0
    lines = out.splitlines()
    assert lines[1].split("->")[1].strip() == f"a = {PO_618:#018x} (victim)"
    assert lines[3].split("->")[1].strip() == f"b = {PO_618:#018x} (victim)"
    # the hexdump of a: print_hex_dump's format, free pointer at +64
    assert f"{PO_618 + 0x40:016x}: 80 00 00 00 80 88 ff ff 00" in out


def test_final_counts_agree_with_slabinfo() -> None:
    """After 40 allocations from a 32-per-slab cache, 2 slabs, 64 objects; the
    cache's slabinfo row shows the same numbers as the per-cache counts."""
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    sim = Simulation(cfg, mem=64 << 20)
    script = ["create victim 128"] + [f"o{i} = alloc victim" for i in range(40)] + ["slabinfo"]
    sim.run(parse_script(script))
    counts = sim.final_counts()["victim"]
    assert counts["num_objs"] == 64 and counts["num_slabs"] == 2
    rows = {r.name: r for r in slabinfo.parse("\n".join(sim.events[-1].view))}
    assert rows["victim"].num_objs == counts["num_objs"]
    assert rows["victim"].active_objs == counts["active_objs"]
    assert rows["victim"].num_slabs == counts["num_slabs"]


def test_staged_corruption_is_reported_in_the_kernels_words() -> None:
    """slab_debug=FZPU: writing past the 100-byte object into its right red zone
    is caught when the object is freed: free_debug_processing -> check_object ->
    check_bytes_and_report prints "[Right Redzone overwritten] <start>-<end>
    @offset=<n>. First byte 0x41 instead of 0xcc" (mm/slub.c 6.18), then
    object_err's "BUG c (Not tainted): Object corrupt", restores the red zone and
    refuses the free ("Object at ... not freed").  The object starts after the
    left red zone: a = PO + red_left_pad (8), so the byte at a + 100 is at slot
    offset 108."""
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2, slub_debug="FZPU")
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script(["create c 100", "a = alloc c", "write a+100 41", "free a"]))
    log = sim.events[-1].log
    a = PO_618 + 8
    assert log[0] == (
        f"[Right Redzone overwritten] {a + 100:#x}-{a + 100:#x} @offset=108. "
        "First byte 0x41 instead of 0xcc"
    )
    assert "BUG c (Not tainted): Object corrupt" in log
    assert log[-1] == f"FIX c: Object at {a:#x} not freed"


def test_bulk_and_info_and_map() -> None:
    cfg = KernelConfig.build(
        "v6.18", "x86_64", nr_cpus=2, slab_freelist_random=False, slab_freelist_hardened=False
    )
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(
        parse_script(["create v 64", "xs = alloc_bulk v 3", "info xs[2]", "free_bulk xs", "map v"])
    )
    assert sim.events[1].data["addresses"] == [f"{PO_618 + 64 * i:#x}" for i in range(3)]
    info = sim.events[2].data["object"]
    assert info["object_index"] == 2 and info["allocated"] is True
    assert info["cache"] == "v"
    # after the bulk free every object is free again: a map of one slab, none used
    (line,) = sim.events[4].view
    assert "#" not in line.split()[-1]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("frob x", "script line 1: unknown operation 'frob'"),
        ("create c 64\nfree nothing", "script line 2: no variable 'nothing'"),
        ("a = alloc nocache", "script line 1: no cache 'nocache'"),
        ("create c 64\nwrite 0x10 zz", "script line 2: 'zz' is not hex bytes"),
        ("create c 64\na = alloc c cpu=7", "script line 2: cpu 7 is not online"),
        ("create c", "script line 1: usage: create CACHE SIZE"),
        ("x = free y", "script line 1: free gives no value to assign"),
        ("create c 64 color=1", "script line 1: create takes no option 'color'"),
    ],
)
def test_script_mistakes_name_the_line(
    script: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, _, err = run_main(["simulate", "-", *PLAIN_618], capsys, monkeypatch, script)
    assert rc == 2
    assert message in err
    assert "Traceback" not in err


def test_bulk_needs_slub(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "create c 64\nxs = alloc_bulk c 4\n"
    rc, _, err = run_main(
        ["simulate", "-", "--kernel", "v3.16", "--nr-cpus", "1"], capsys, monkeypatch, script
    )
    assert rc == 2 and "added in 4.2" in err


def test_unreadable_script(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, _, err = run_main(["simulate", "/nonexistent/script"], capsys)
    assert rc == 2 and "cannot read /nonexistent/script" in err


def test_arena_size_is_checked() -> None:
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=1)
    with pytest.raises(InputError, match="order-10 block"):
        Simulation(cfg, mem=1 << 20)


def test_slab_316_lifo_reuse() -> None:
    """3.16 SLAB, test_cache (110 bytes, HWCACHE_ALIGN: size 128, 31 objects, the
    on-slab freelist of 31 + padding = 64 bytes first): the first alloc refills 16
    objects (BATCHREFILL_LIMIT) from a new slab at PFN 0 and returns the top one,
    object 15 at s_mem + 15 * 128 = PO + 64 + 0x780 = PO + 0x7c0.  free puts it
    back on the per-CPU array (LIFO), so the next alloc returns it again."""
    cfg = KernelConfig.build("v3.16", "x86_64", nr_cpus=1, mem=64 << 20)
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(
        parse_script(
            [
                "create test_cache 110 flags=SLAB_HWCACHE_ALIGN",
                "a = alloc test_cache",
                "free a",
                "b = alloc test_cache",
                "info b",
            ]
        )
    )
    assert sim.vars["a"] == sim.vars["b"] == PO_316 + 0x7C0
    assert sim.events[-1].data["object"]["index"] == 15


def test_readme_example_is_what_the_command_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The README's use-after-free example, script and output, run as written."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ cat uaf.slab\n", 1)[1].split("```", 1)[0]
    script, rest = block.split("$ slabhw simulate uaf.slab ", 1)
    argv, expected = rest.split("\n", 1)
    (tmp_path / "uaf.slab").write_text(script, encoding="utf-8")
    rc, out, err = run_main(["simulate", str(tmp_path / "uaf.slab"), *argv.split()], capsys)
    assert rc == 0, err
    assert out == expected


def test_readme_redzone_example() -> None:
    """The README's words on a red-zone overwrite under --slab-debug FZPU."""
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2, slub_debug="FZPU")
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script(["create victim 100", "a = alloc victim", "write a+100 41", "free a"]))
    log = sim.events[-1].log
    assert log[0].startswith("[Right Redzone overwritten] ")
    assert "BUG victim (Not tainted): Object corrupt" in log
    assert log[-1].startswith("FIX victim: Object at ") and log[-1].endswith(" not freed")


def test_sysfs_and_slabinfo_of_the_kernel_follow_the_run() -> None:
    """One object allocated from a 32-object slab: the whole slab is the CPU's
    (frozen, on no node list), so show_slab_objects(SO_ALL | SO_OBJECTS) counts
    total_objects minus the free objects of node-partial slabs: 32 - 0 = 32, and
    get_slabinfo says 32 active of 32 in 1 slab.  Untouched caches stay at 0."""
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script(["create victim 128", "a = alloc victim"]))
    kernel = sim.kernel
    victim = sim.caches["victim"]
    attrs = kernel.sysfs_attributes(victim)  # type: ignore[union-attr]
    assert attrs["objects"] == "32 N0=32" and attrs["slabs"] == "1 N0=1"
    assert attrs["partial"] == "0" and attrs["cpu_slabs"] == "1 N0=1"
    rows = {r.name: r for r in slabinfo.parse(kernel.slabinfo())}  # type: ignore[union-attr]
    assert (rows["victim"].active_objs, rows["victim"].num_objs) == (32, 32)
    assert rows["victim"].num_slabs == 1
    assert rows["kmalloc-64"].num_objs == 0


def test_wild_free_pointer_kills_the_kernel(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """c (64 bytes, 6.18, plain pointers): the free pointer is at ALIGN_DOWN(64 / 2,
    8) = 32.  After a = object 0, c->freelist is object 1 (a + 64); its free pointer
    at a + 96 is overwritten with 0xdead000000000000.  The next alloc returns object 1
    and loads that value as the new c->freelist (get_freepointer_safe is a plain
    load without debug_pagealloc); the one after dereferences 0xdead000000000000 + 32:
    a general protection fault on x86_64 (non-canonical address).  simulate prints
    the events up to it and exits 1."""
    script = "create c 64\na = alloc c\nwrite a+96 000000000000adde\nb = alloc c\nx = alloc c\n"
    rc, out, err = run_main(["simulate", "-", *PLAIN_618], capsys, monkeypatch, script)
    assert rc == 1
    assert f"b = {PO_618 + 64:#018x} (c)" in out
    fault = "general protection fault, probably for non-canonical address 0xdead000000000020"
    assert fault in out and fault in err


def test_slab_debug_write_after_free_is_caught_at_the_next_alloc(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """3.16 with CONFIG_DEBUG_SLAB, a 32-byte cache on x86_64: red zone words before
    and after the object and a user word at the end make the slot 56 bytes, the
    object at obj_offset 8; 71 objects after a 72-byte index freelist.  The first
    alloc refills 16 objects and returns object 15: 72 + 15 * 56 + 8 = 0x398.  free
    poisons it with 0x6b (0xa5 last); a byte written at a + 4 after the free is
    found by check_poison_obj when the LIFO array hands the slot out again:
    "Slab corruption (Not tainted): c start=<object>, len=32" and the damaged row.
    Freeing it twice then trips verify_redzone_free (red zone 1 already inactive)."""
    script = "create c 32\na = alloc c\nfree a\nwrite a+4 41\nb = alloc c\nfree b\nfree b\n"
    argv = ["simulate", "-", "--kernel", "v3.16", "--nr-cpus", "1", "--debug", "--json"]
    rc, out, err = run_main(argv, capsys, monkeypatch, script)
    assert rc == 0, err
    events = json.loads(out)["events"]
    obj = PO_316 + 0x398
    assert events[1]["address"] == events[4]["address"] == f"{obj:#x}"
    log = events[4]["log"]
    assert log[0] == f"Slab corruption (Not tainted): c start={obj:016x}, len=32"
    assert "000: 6b 6b 6b 6b 41 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkAkkkkkkkkkkk" in log
    assert events[6]["log"][0] == (
        "slab error in verify_redzone_free(): cache `c': double free detected"
    )


def test_destroy_with_objects_left() -> None:
    """3.16 kmem_cache_destroy: refcount 1 -> 0, __kmem_cache_shutdown shrinks (the
    per-CPU array's free object goes back; the slab with a still holds it), so it
    fails: "kmem_cache_destroy c: Slab cache still has objects" and the cache stays
    listed.  A second destroy takes refcount to -1 and returns at once.
    6.18: the shutdown lists the remaining object ("Objects remaining on
    __kmem_cache_shutdown()", then the slab), the WARN follows, and the cache is
    taken off the list anyway, its slab leaked."""
    script = ["create c 64", "a = alloc c", "b = alloc c", "free b", "destroy c", "destroy c"]
    sim = Simulation(KernelConfig.build("v3.16", "x86_64", nr_cpus=1), mem=64 << 20)
    sim.run(parse_script(script))
    assert sim.events[4].log == ("kmem_cache_destroy c: Slab cache still has objects",)
    assert sim.events[4].result == "c: still has objects, not destroyed"
    assert sim.events[5].result == "c: refcount now -1, not destroyed"
    assert sim.events[5].log == ()

    cfg = KernelConfig.build(
        "v6.18", "x86_64", nr_cpus=1, slab_freelist_random=False, slab_freelist_hardened=False
    )
    sim = Simulation(cfg, mem=64 << 20)
    sim.run(parse_script(script[:5]))
    log = sim.events[4].log
    assert log[1] == "BUG c (Not tainted): Objects remaining on __kmem_cache_shutdown()"
    assert log[4] == f"Object {PO_618:#x} @offset=0"
    assert log[5].startswith("Slab 0xffffea0000000000 objects=64 used=1 ")
    assert log[-1] == "kmem_cache_destroy c: Slab cache still has objects when called from 0x0"
    assert sim.events[4].data["destroyed"] is True and "c" not in sim.caches
    assert sim.final_counts()["c"]["num_slabs"] == 1


def test_destroy_of_an_empty_cache_frees_its_slabs() -> None:
    """6.18: flush_all deactivates the cpu slab onto the node partial list (it has
    free objects); free_partial discards it, so the page goes back to the buddy
    allocator and the next slab of another cache reuses PFN 0."""
    cfg = KernelConfig.build(
        "v6.18", "x86_64", nr_cpus=1, slab_freelist_random=False, slab_freelist_hardened=False
    )
    sim = Simulation(cfg, mem=64 << 20)
    script = ["create c 64", "a = alloc c", "free a", "destroy c", "create d 64", "x = alloc d"]
    sim.run(parse_script(script))
    assert sim.events[3].result == "c destroyed" and sim.events[3].log == ()
    assert sim.vars["x"] == PO_618


def test_repeat_blocks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """repeat N ... end: the lines N times, {i} the index (innermost repeat's); a spray
    of 64-byte objects fills a 4096-byte slab with 64 of them (6.18, no debug), and
    freeing them in order hands them back; mistakes name their line."""
    script = (
        "create c 64\n"
        "repeat 64\n"
        "  a{i} = alloc c cpu=0\n"
        "end\n"
        "repeat 64\n"
        "  free a{i} cpu=0\n"
        "end\n"
        "slabinfo\n"
    )
    argv = ["simulate", "-", "--kernel", "v6.18", "--nr-cpus", "2", "--json"]
    rc, out, err = run_main(argv, capsys, monkeypatch, stdin=script)
    assert rc == 0, err
    events = json.loads(out)["events"]
    assert len(events) == 1 + 64 + 64 + 1
    assert [e["var"] for e in events[1:65]] == [f"a{i}" for i in range(64)]
    assert len({e["address"] for e in events[1:65]}) == 64
    assert all(e["op"] == "free" for e in events[65:129])
    for bad, words in (
        ("repeat 2\nslabinfo\n", "line 1: repeat without end"),
        ("end\n", "line 1: end without repeat"),
        ("repeat x\nend\n", "line 1: repeat count 'x' is not an integer"),
        ("repeat 2000000\nslabinfo\nend\n", "larger than 1000000"),
        ("repeat 1000\nrepeat 1001\nslabinfo\nend\nend\n", "more than 1000000 operations"),
        ("repeat 2\n  a{i} = alloc nope\nend\n", "script line 2: no cache 'nope'"),
        # a3 is never set: the fourth repetition's name stops the script before it runs
        ("create c 64\nrepeat 3\na{i} = alloc c\nend\nrepeat 4\nfree a{i}\nend\n", "line 6"),
    ):
        rc, _, err = run_main(["simulate", "-", "--kernel", "v6.18"], capsys, monkeypatch, bad)
        assert rc == 2 and words in err, (bad, err)


def test_repeat_is_expanded_as_it_runs() -> None:
    """A parsed script keeps each repeat as one block: a million operations are four
    parsed lines; iterating spells them out in order ({i} the innermost index), as
    often as asked, and the report's column is the expanded lines' widest."""
    from slabhw.simulate import source_width

    big = parse_script(["create c 64", "repeat 999999", "a{i} = alloc c", "end"])
    assert len(big) == 1_000_000 and len(big.items) == 2
    assert source_width(big) == len("a999998 = alloc c")
    nested = parse_script(["repeat 2", "x{i} = alloc c", "repeat 3", "free y{i}", "end", "end"])
    expected = [
        "x0 = alloc c", "free y0", "free y1", "free y2",
        "x1 = alloc c", "free y0", "free y1", "free y2",
    ]  # fmt: skip
    assert [op.source for op in nested] == expected == [op.source for op in nested]
    assert [op.assign for op in nested][::4] == ["x0", "x1"]
    assert source_width(nested) == source_width(list(nested)) == len("x1 = alloc c")
