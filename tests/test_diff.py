"""slabhw diff: two kernels side by side, checked against a range derived by hand."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_main


def test_v6_1_against_v6_12_calculate_order(capsys: pytest.CaptureFixture[str]) -> None:
    """calculate_order() changed in 6.7.  Object sizes 10921..12280 are 10928..12280
    after the 8-byte alignment; with 2 CPUs min_objects is 4 * (fls(2) + 1) = 12,
    capped by order_objects(3, size) = 2.

    6.1: calc_slab_order(size, min_objects 2, 3, fraction) starts at get_order(2 *
    size) = 3, where 32768 % size (10912 for 10928) exceeds 32768 / 16, / 8 and / 4;
    min_objects drops to 1 and the last resort calc_slab_order(size, 1, 3, 1) takes
    get_order(size) = 2: one object in 16 KiB.  6.12: the min order is
    get_order(2 * size) = 3 and fraction 2 accepts 10912 <= 16384: two objects in
    32 KiB.  From 12281 (size 12288) 6.1 finds order 3 too (32768 % 12288 = 8192 <=
    32768 / 4), so the range ends at 12280.  The kmalloc caches agree; 6.12 adds
    kmalloc_buckets (CONFIG_SLAB_BUCKETS, 6.11)."""
    argv = ["diff", "--kernel", "v6.1", "--kernel", "v6.12", "--nr-cpus", "2"]
    rc, out, err = run_main([*argv, "--sizes", "1:16384", "--json"], capsys)
    assert rc == 0, err
    data = json.loads(out)
    per_cpu = {"cpu_partial": 6, "sheaf_capacity": 0}
    assert data["create_ranges"] == [
        {
            "from": 10921,
            "to": 12280,
            "sizes": 1360,
            "changed": ["objs_per_slab", "order"],
            # cpu_partial: 6 objects for slots of a page or more, on both; no sheaves
            "a": {"size": 10928, "objs_per_slab": 1, "order": 2, "error": 0, **per_cpu},
            "b": {"size": 10928, "objs_per_slab": 2, "order": 3, "error": 0, **per_cpu},
        }
    ]
    assert data["kmalloc_ranges"] == []
    assert data["boot_caches"]["only_b"] == ["kmalloc_buckets"]
    assert data["summary"]["create_order_differs"] == 1360
    rc, out, _ = run_main([*argv, "--sizes", "10900:10930"], capsys)
    assert "    10921-10930  objs 1 -> 2, order 2 -> 3" in out


def test_page_size_changes_the_kmalloc_caches(capsys: pytest.CaptureFixture[str]) -> None:
    """arm64 with 4K and 16K pages: an 8-byte object's slab holds 4096 / 8 = 512 or
    16384 / 8 = 2048 objects; above 8192 bytes the 4K kernel's kmalloc-8k is the
    largest cache (KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1), so 8193..16384 go to the
    page allocator there and to kmalloc-16k with 16K pages."""
    argv = ["diff", "--kernel", "v6.18", "--arch", "arm64", "--arch", "arm64-16k"]
    rc, out, err = run_main([*argv, "--nr-cpus", "2", "--sizes", "1:16384", "--json"], capsys)
    assert rc == 0, err
    data = json.loads(out)
    first = data["create_ranges"][0]
    assert (first["from"], first["to"], first["a"]["objs_per_slab"]) == (1, 8, 512)
    assert first["b"]["objs_per_slab"] == 2048
    last = data["kmalloc_ranges"][-1]
    assert (last["from"], last["to"]) == (8193, 16384)
    assert (last["a"]["cache"], last["b"]["cache"]) == ("(page allocator)", "kmalloc-16k")


def test_boot_option_and_config_switch_sides(capsys: pytest.CaptureFixture[str]) -> None:
    """--with gives each side its options.  slab_max_order=0 on 6.12 with 2 CPUs:
    min_objects = 4 * (fls(2) + 1) = 12 fit one page up to a size of 336 (12 * 336 =
    4032 <= 4096); 337 rounds to 344 and 12 * 344 = 4128 does not fit, so the default
    (slab_max_order = PAGE_ALLOC_COSTLY_ORDER = 3) takes order 1 with 8192 / 344 = 23
    objects where max order 0 leaves 4096 / 344 = 11.  CONFIG_RANDOM_KMALLOC_CACHES
    adds kmalloc-rnd-01-* .. -15-* at boot (6.6), one side only."""
    argv = ["diff", "--kernel", "v6.12", "--nr-cpus", "2", "--sizes", "1:400"]
    rc, out, err = run_main([*argv, "--with", "", "--with", "--slab-max-order 0"], capsys)
    assert rc == 0, err
    assert out.splitlines()[:2] == [
        "a: v6.12 x86_64 2 CPUs slub_max_order=3",
        "b: v6.12 x86_64 2 CPUs slub_max_order=0",
    ]
    assert "        337-352  objs 23 -> 11, order 1 -> 0" in out
    rc, out, err = run_main(
        [*argv, "--with", "--random-kmalloc-caches", "--with", "", "--json"], capsys
    )
    assert rc == 0, err
    only_a = json.loads(out)["boot_caches"]["only_a"]
    assert "kmalloc-rnd-01-8" in only_a and "kmalloc-rnd-15-8k" in only_a
    assert not any(name.startswith("kmalloc-rnd-16") for name in only_a)


def test_sheaves_replace_cpu_partial_from_7_0(capsys: pytest.CaptureFixture[str]) -> None:
    """6.18 -> 7.0, every size: set_cpu_partial() of 6.18 keeps 120, 52, 24 or 6
    objects by slot size (below 256, 1024, PAGE_SIZE, from it); 7.0 has no per-CPU
    partial lists and calculate_sheaf_capacity() gives 60, 28, 12, 4 at the same
    bounds.  With 8-byte alignment the slot passes 256 at 249, 1024 at 1017, 4096 at
    4089.  The boot caches gain their sheaf capacity too (kmalloc-1k: 12)."""
    argv = ["diff", "--kernel", "v6.18", "--kernel", "v7.0", "--nr-cpus", "2"]
    rc, out, err = run_main([*argv, "--sizes", "1:8192", "--json"], capsys)
    assert rc == 0, err
    data = json.loads(out)
    spans = [
        (r["from"], r["to"], r["a"]["cpu_partial"], r["b"]["sheaf_capacity"])
        for r in data["create_ranges"]
    ]
    assert spans == [
        (1, 248, 120, 60),
        (249, 1016, 52, 28),
        (1017, 4088, 24, 12),
        (4089, 8192, 6, 4),
    ]
    assert all(r["changed"] == ["cpu_partial", "sheaf_capacity"] for r in data["create_ranges"])
    assert data["boot_caches"]["changed"]["kmalloc-1k"] == {
        "a": [1024, 1024, 16, 2, 0],
        "b": [1024, 1024, 16, 2, 12],
    }


@pytest.mark.parametrize(
    "argv, words",
    [
        (["diff", "--kernel", "v6.18"], "same configuration"),
        (["diff", "--kernel", "v6.1", "--kernel", "v6.12", "--sizes", "9:1"], "LO <= HI"),
        (["diff", "--kernel", "v6.1", "--kernel", "v6.12", "--sizes", "1:2:0"], "step above 0"),
        (["diff", "--kernel", "v6.1", "--kernel", "v6.6", "--kernel", "v6.12"], "once or twice"),
        (["diff", "--kernel", "v6.1", "--kernel", "v6.12", "--sizes", "0:4294967295"], "at most"),
        (["diff", "--kernel", "v6.12", "--with", "--nope", "--with", ""], "unrecognized"),
        (["diff", "--with", "--kernel v6.1", "--with", ""], "--kernel is a list"),
        (["diff", "--kernel", "v6.12", "--with", "--kfence", "--with", "--kfence"], "same"),
        (["diff", "--with", "--kfence", "--with", ""], "kfence do not apply to v3.16"),
        (["diff", "--with", "'--kfence", "--with", ""], "No closing quotation"),
    ],
)
def test_diff_mistakes(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_main(argv, capsys)
    assert rc == 2 and words in err and err.count("\n") == 1
