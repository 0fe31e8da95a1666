"""slabhw whereis: a size or a BTF type placed on a modelled kernel, each answer derived
by hand from that version's kmalloc and merge rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import btf_fixtures as fx
from tests.helpers import run_main


@pytest.fixture()
def sample_btf(tmp_path: Path) -> str:
    path = tmp_path / "vmlinux.btf"
    path.write_bytes(fx.sample())
    return str(path)


def whereis(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    rc, out, err = run_main(["whereis", *args, "--nr-cpus", "2", "--json"], capsys)
    assert rc == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_a_size_on_each_kmalloc_type(capsys: pytest.CaptureFixture[str]) -> None:
    """100 bytes on 6.12 x86_64: size_index[(100 - 1) / 8] is past 96, so the 128-byte
    caches of every type: kmalloc-128, kmalloc-cg-128, kmalloc-rcl-128, dma-kmalloc-128
    (32 objects of 128 bytes in an order-0 slab).  5.10 has no kmalloc-cg (5.14):
    __GFP_ACCOUNT objects come from kmalloc-128.  3.16 has only the dma type."""
    data = whereis(capsys, "100", "--kernel", "v6.12")
    rows = {r["gfp"]: r for r in data["kmalloc"]}  # type: ignore[attr-defined]
    assert {g: r["cache"] for g, r in rows.items()} == {
        "GFP_KERNEL": "kmalloc-128",
        "__GFP_ACCOUNT": "kmalloc-cg-128",
        "__GFP_RECLAIMABLE": "kmalloc-rcl-128",
        "GFP_DMA": "dma-kmalloc-128",
    }
    g = rows["GFP_KERNEL"]["geometry"]
    assert (g["size"], g["objects"], g["order"]) == (128, 32, 0)
    old = whereis(capsys, "100", "--kernel", "v5.10")
    assert [r["cache"] for r in old["kmalloc"]][:2] == ["kmalloc-128", "kmalloc-128"]  # type: ignore[index]
    slab = whereis(capsys, "100", "--kernel", "v3.16")
    assert [r["gfp"] for r in slab["kmalloc"]] == ["GFP_KERNEL", "GFP_DMA"]  # type: ignore[union-attr]


def test_a_type_as_its_own_cache(capsys: pytest.CaptureFixture[str], sample_btf: str) -> None:
    """struct pair (16 bytes, natural alignment 8) as KMEM_CACHE(pair, 0).  No cache the
    model boots is mergeable (kmalloc caches carry usersize, or SLAB_NO_MERGE from
    6.5; the boot caches a refcount of -1), so it is a cache of its own: 256 objects of
    16 bytes in an order-0 slab, free pointer at ALIGN_DOWN(16 / 2, 8) = 8 (5.7).
    cpu_partial: 30 objects on 5.10 (size < 256, counted in objects), 120 on 6.18
    (the same 30 scaled for slabs, 5.16)."""
    for version, cpu_partial in (("v5.10", 30), ("v6.18", 120)):
        data = whereis(capsys, "struct pair", "--btf", sample_btf, "--kernel", version)
        assert (data["type"], data["size"], data["align"]) == ("struct pair", 16, 8)
        kc = data["kmem_cache"]
        assert kc["merged_into"] is None and kc["co_tenants"] == [], version  # type: ignore[index]
        g = kc["cache"]  # type: ignore[index]
        assert (g["size"], g["objects"], g["order"], g["offset"]) == (16, 256, 0, 8), version
        assert g["cpu_partial"] == cpu_partial, version


def test_flexible_tail(capsys: pytest.CaptureFixture[str], sample_btf: str) -> None:
    """struct msg (24 bytes) + 10 chars of its flexible tail = 34 bytes: kmalloc-64
    (size_index[(34 - 1) / 8] on 6.18); a type without a tail refuses --flex."""
    data = whereis(
        capsys, "msg", "--btf", sample_btf, "--kernel", "v6.18", "--flex", "10", "--gfp", "kernel"
    )
    assert data["size"] == 34 and data["flex_elem"] == 1
    assert [r["cache"] for r in data["kmalloc"]] == ["kmalloc-64"]  # type: ignore[union-attr]
    rc, _, err = run_main(["whereis", "pair", "--btf", sample_btf, "--flex", "2"], capsys)
    assert rc == 2 and "no flexible array" in err and err.count("\n") == 1


def test_clear_errors(capsys: pytest.CaptureFixture[str], sample_btf: str) -> None:
    rc, _, err = run_main(["whereis", "nothing", "--btf", sample_btf, "--kernel", "v6.1"], capsys)
    assert rc == 2 and "no struct or union called 'nothing'" in err
    rc, _, err = run_main(["whereis", "cred", "--kernel", "v5.15"], capsys)
    assert rc == 2 and "needs --btf FILE" in err and err.count("\n") == 1
    rc, _, err = run_main(["whereis", "cred", "--btf", "/nonexistent/vmlinux"], capsys)
    assert rc == 2 and "No such file" in err


def test_text_table(capsys: pytest.CaptureFixture[str], sample_btf: str) -> None:
    rc, out, _ = run_main(
        ["whereis", "pair", "--btf", sample_btf, "--kernel", "v6.18", "--nr-cpus", "2"], capsys
    )
    assert rc == 0
    assert out.splitlines()[0].startswith(
        "struct pair on Linux v6.18 x86_64: size 16, align 8 (natural (a lower bound); BTF from"
    )
    rc, out, _ = run_main(
        ["whereis", "pair", "--btf", sample_btf, "--kernel", "v6.18", "--align", "64"], capsys
    )
    assert rc == 0 and "size 16, align 64 (--align; BTF from" in out.splitlines()[0]
    assert "KMEM_CACHE(pair): its own cache 'pair'" in out
    assert "GFP_KERNEL         kmalloc-16" in out


def test_against_a_real_kernel(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Debian's 6.12.117 (its snapshot, modelled with its own configuration), with a BTF
    holding its struct sizes: dentry (192 bytes, created with SLAB_RECLAIM_ACCOUNT |
    SLAB_PANIC | SLAB_ACCOUNT) is a cache of its own there, 21 objects of 192 bytes in
    an order-0 slab, as the model says; cred (184 bytes, HWCACHE_ALIGN) was merged
    into :A-0000192 with mfc_cache and mfc6_cache, caches created after boot, which
    the model does not see yet: it says so ("differs")."""
    w = fx.Writer()
    lng = w.int_("long", 8, 64)
    w.compound(fx.STRUCT, "dentry", 192, [("x", w.array(lng, 24), 0)])
    w.compound(fx.STRUCT, "cred", 184, [("x", w.array(lng, 23), 0)])
    path = tmp_path / "debian-6.12.btf"
    path.write_bytes(w.blob())
    snap = str(Path(__file__).parent / "data" / "debian-6.12.117-amd64-smp2-default.json.gz")
    flags = "SLAB_RECLAIM_ACCOUNT|SLAB_PANIC|SLAB_ACCOUNT"
    data = whereis(capsys, "dentry", "--btf", str(path), "--snapshot", snap, "--flags", flags)
    assert data["kernel"] == "v6.12 x86_64"
    assert data["kmem_cache"]["seen"] == {  # type: ignore[index]
        "cache": "dentry",
        "co_tenants": [],
        "object_size": 192,
        "size": 192,
        "objects": 21,
        "order": 0,
        "agrees": True,
    }
    flags = "SLAB_HWCACHE_ALIGN|SLAB_PANIC|SLAB_ACCOUNT"
    data = whereis(capsys, "cred", "--btf", str(path), "--snapshot", snap, "--flags", flags)
    real = data["kmem_cache"]["seen"]  # type: ignore[index]
    assert real["cache"] == ":A-0000192" and real["co_tenants"] == ["mfc6_cache", "mfc_cache"]
    assert real["agrees"] is False and (real["size"], real["objects"]) == (192, 21)


def test_sizes_without_a_cache(capsys: pytest.CaptureFixture[str]) -> None:
    """6.18 x86_64: above KMALLOC_MAX_CACHE_SIZE (two pages, 8192) kmalloc goes to the
    page allocator; above KMALLOC_MAX_SIZE (the largest buddy block, 4 MiB) it returns
    NULL; kmalloc(0) returns ZERO_SIZE_PTR."""
    for size, result in (
        ("100000", "page allocator"),
        ("100000000", "NULL"),
        ("0", "ZERO_SIZE_PTR"),
    ):
        data = whereis(capsys, size, "--kernel", "v6.18", "--gfp", "kernel")
        assert data["kmalloc"] == [{"gfp": "GFP_KERNEL", "cache": result}], size


def test_co_tenants_from_the_catalogue(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """6.18's catalogue holds kernel/pid.c's pid cache: struct pid plus one struct upid
    (struct_size_t(struct pid, numbers, 1)), SLAB_HWCACHE_ALIGN | SLAB_PANIC |
    SLAB_ACCOUNT.  With a BTF where struct pid is 168 bytes and struct upid 16, pid
    asks for 184 bytes: the cache line halved while the object fits (64), so 192, 'A'
    for ACCOUNT: :A-0000192.  KMEM_CACHE(cred) of 184 bytes with the same flags lands
    there too, so whereis names pid as its co-tenant; without SLAB_ACCOUNT it would be
    :0000192, where no catalogued cache is."""
    w = fx.Writer()
    lng = w.int_("long", 8, 64)
    w.compound(fx.STRUCT, "cred", 184, [("x", w.array(lng, 23), 0)])
    w.compound(fx.STRUCT, "pid", 168, [("x", w.array(lng, 21), 0)])
    w.compound(fx.STRUCT, "upid", 16, [("x", w.array(lng, 2), 0)])
    path = tmp_path / "v6.18.btf"
    path.write_bytes(w.blob())
    flags = "SLAB_HWCACHE_ALIGN|SLAB_PANIC|SLAB_ACCOUNT"
    data = whereis(capsys, "cred", "--btf", str(path), "--kernel", "v6.18", "--flags", flags)
    assert data["kmem_cache"]["catalogue"] == {  # type: ignore[index]
        "unique_id": ":A-0000192",
        "co_tenants": ["pid"],
    }
    data = whereis(
        capsys,
        "cred",
        "--btf",
        str(path),
        "--kernel",
        "v6.18",
        "--flags",
        "SLAB_HWCACHE_ALIGN|SLAB_PANIC",
    )
    assert data["kmem_cache"]["catalogue"] == {  # type: ignore[index]
        "unique_id": ":0000192",
        "co_tenants": [],
    }


def test_usercopy_and_via(capsys: pytest.CaptureFixture[str], sample_btf: str) -> None:
    """KMEM_CACHE_USERCOPY: slab_unmergeable() refuses a cache with a usercopy region
    (s->usersize), so the type keeps a cache of its own and the answer says why;
    --via keeps one of the two answers; a region past the object is a mistake."""
    base = ["whereis", "struct pair", "--btf", sample_btf, "--kernel", "v6.18"]
    rc, out, err = run_main([*base, "--usercopy", "8,8", "--via", "cache", "--json"], capsys)
    assert rc == 0, err
    data = json.loads(out)
    assert data["usercopy"] == {"useroffset": 8, "usersize": 8}
    assert data["kmem_cache"]["merged_into"] is None and data["kmalloc"] == []
    assert "slab_unmergeable" in data["kmem_cache"]["catalogue"]["why"]
    rc, out, _ = run_main([*base, "--via", "kmalloc", "--json"], capsys)
    assert rc == 0 and "kmem_cache" not in json.loads(out) and json.loads(out)["kmalloc"]
    for bad, words in (("0,4096", "reaches past"), ("8", "OFFSET,SIZE"), ("-1,2", "negative")):
        rc, _, err = run_main([*base, f"--usercopy={bad}"], capsys)
        assert rc == 2 and words in err, err
