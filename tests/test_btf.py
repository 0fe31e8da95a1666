"""The BTF reader: hand-built blobs (tests/btf_fixtures.py) with the sizes, offsets and
alignments a C compiler gives those types, every input form, malformed input, and
the running kernel's BTF against its own /sys/kernel/slab and against bpftool."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slabhw import btf
from slabhw.errors import InputError
from tests import btf_fixtures as fx

SAMPLE = fx.sample()


@pytest.mark.parametrize("endian", ["<", ">"])
def test_sample_types(endian: str) -> None:
    b = btf.Btf(fx.sample(endian))
    assert b.endian == endian and b.count == 16
    assert b.struct("pair") == btf.TypeInfo("pair", "struct", 16, 8, None, False)
    # struct msg { long len; int ids[3]; char data[]; }: the flexible tail's element
    assert b.struct("struct msg") == btf.TypeInfo("msg", "struct", 24, 8, 1, False)
    # __packed: int i at byte 1 -> alignment 1
    assert b.struct("packed_one") == btf.TypeInfo("packed_one", "struct", 5, 1, None, True)
    assert b.struct("union u") == btf.TypeInfo("u", "union", 8, 8, None, False)
    # bitfields (kind_flag): widths 3 and 5, not misplaced members
    assert b.struct("bits") == btf.TypeInfo("bits", "struct", 16, 8, None, False)
    assert [(m.name, m.bit_offset, m.bitfield_size) for m in b.members(13)] == [
        ("x", 0, 3),
        ("y", 3, 5),
        ("z", 64, 0),
    ]
    # const typedef of a struct, a pointer, a union
    holder = b.struct("holder")
    assert (holder.size, holder.align) == (32, 8)
    assert [b.sizeof(m.type_id) for m in b.members(16)] == [16, 8, 8]
    assert b.resolve(7) == 5 and b.sizeof(9) == 12 and b.alignof(9) == 4
    assert b.kind(14) == "fwd" and b.sizeof(14) == 0


def test_unknown_and_ambiguous_names() -> None:
    b = btf.Btf(SAMPLE)
    with pytest.raises(InputError, match="no struct called 'u'"):
        b.struct("struct u")
    with pytest.raises(InputError, match="no struct or union called 'nothing'"):
        b.struct("nothing")
    w = fx.Writer()
    i = w.int_("int", 4, 32)
    w.compound(fx.STRUCT, "entry", 4, [("a", i, 0)])
    w.compound(fx.STRUCT, "entry", 8, [("a", i, 0), ("b", i, 32)])
    with pytest.raises(InputError, match="2 different definitions"):
        btf.Btf(w.blob()).struct("entry")


def test_split_btf_continues_its_base(tmp_path: Path) -> None:
    """A module's BTF: ids from 17, names past the base's strings, base types by id."""
    base = btf.Btf(SAMPLE)
    mod = btf.Btf(fx.split_on_sample(SAMPLE), base)
    assert mod.count == 17 and list(mod) == [17]
    assert mod.struct("mod_obj") == btf.TypeInfo("mod_obj", "struct", 24, 8, None, False)
    assert mod.struct("pair").size == 16  # found in the base
    (tmp_path / "vmlinux").write_bytes(SAMPLE)
    (tmp_path / "mod").write_bytes(fx.split_on_sample(SAMPLE))
    loaded = btf.load(tmp_path / "mod", base=tmp_path / "vmlinux")
    assert loaded.struct("mod_obj").size == 24


@pytest.mark.parametrize("endian,bits", [("<", 64), (">", 64), ("<", 32), (">", 32)])
def test_vmlinux_elf(endian: str, bits: int) -> None:
    b = btf.load_bytes(fx.elf(fx.sample(endian), endian, bits))
    assert b.pointer_size == bits // 8
    assert b.struct("holder").size == 32  # BTF's own size, whatever the pointer size
    assert b.sizeof(4) == bits // 8


def test_kernel_images(tmp_path: Path) -> None:
    """bzImage-like (xz, gzip payloads) and arm64 Image-like (raw BTF inside)."""
    vmlinux = fx.elf(SAMPLE)
    assert btf.load_bytes(fx.bzimage(vmlinux)).struct("pair").size == 16
    gz = b"MZ" + bytes(600) + gzip.compress(vmlinux) + bytes(16)
    assert btf.load_bytes(gz).struct("pair").size == 16
    assert btf.load_bytes(fx.raw_image(SAMPLE)).struct("msg").flex_elem == 1
    path = tmp_path / "vmlinuz"
    path.write_bytes(fx.bzimage(vmlinux))
    assert btf.load(path).sha256 == btf.Btf(SAMPLE).sha256


def test_zstd_image() -> None:
    zstandard = pytest.importorskip("zstandard")
    vmlinux = fx.elf(SAMPLE)
    image = b"MZ" + bytes(600) + zstandard.ZstdCompressor().compress(vmlinux) + bytes(32)
    assert btf.load_bytes(image).struct("pair").size == 16


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no BTF found"):
        btf.load_bytes(b"hello, world" * 10)
    with pytest.raises(InputError, match="no .BTF section"):
        btf.load_bytes(fx.elf(b"")[:0] + fx.elf(SAMPLE).replace(b".BTF", b".XYZ"))
    with pytest.raises(InputError, match="version 2"):
        btf.Btf(SAMPLE[:2] + b"\x02" + SAMPLE[3:])
    with pytest.raises(InputError, match="truncated"):
        btf.Btf(SAMPLE[:-5])
    with pytest.raises(InputError, match="No such file"):
        btf.load(tmp_path / "missing")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_input_is_one_error(data: st.DataObject) -> None:
    """Random bytes, truncations and byte flips of a BTF file (and of its ELF): an
    InputError or a result, never another exception or a hang."""
    base = data.draw(
        st.sampled_from([SAMPLE, fx.sample(">"), fx.elf(SAMPLE), fx.raw_image(SAMPLE)])
    )
    how = data.draw(st.sampled_from(["random", "truncate", "flip"]))
    if how == "random":
        blob = data.draw(st.binary(max_size=300))
        if data.draw(st.booleans()):
            blob = b"\x9f\xeb\x01\x00" + blob
    elif how == "truncate":
        blob = base[: data.draw(st.integers(0, len(base)))]
    else:
        blob = bytearray(base)
        for _ in range(data.draw(st.integers(1, 6))):
            at = data.draw(st.integers(0, len(blob) - 1))
            blob[at] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    try:
        b = btf.load_bytes(blob)
        for tid in b:
            if b.kind(tid) in ("struct", "union"):
                b.info(tid)
            b.sizeof(tid)
            b.alignof(tid)
            b.name(tid)
    except InputError as exc:
        assert "\n" not in str(exc)


# ---- the running kernel ------------------------------------------------------------------
def _readable(path: Path) -> bool:
    return path.exists() and os.access(path, os.R_OK)


live = pytest.mark.skipif(not _readable(btf.RUNNING), reason="no readable /sys/kernel/btf/vmlinux")


@live
def test_running_kernel_types_equal_their_caches() -> None:
    """Caches created as KMEM_CACHE(struct X) or sizeof(struct X): the running kernel's
    object_size equals the BTF's sizeof."""
    b = btf.load(btf.RUNNING)
    pairs = {
        "cred": "cred",
        "dentry": "dentry",
        "filp": "file",
        "vm_area_struct": "vm_area_struct",
        "files_cache": "files_struct",
        "sighand_cache": "sighand_struct",
    }
    slab = Path("/sys/kernel/slab")
    checked = 0
    for cache, struct_name in pairs.items():
        f = slab / cache / "object_size"
        if not _readable(f):
            continue
        assert b.struct(struct_name).size == int(f.read_text()), cache
        checked += 1
    if not checked:
        pytest.skip("no readable /sys/kernel/slab")


@live
@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool is not installed")
def test_running_kernel_against_bpftool() -> None:
    """Every type's kind, name and size, and every member, as bpftool prints them."""
    raw = subprocess.run(
        ["bpftool", "btf", "dump", "file", str(btf.RUNNING), "format", "raw"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    b = btf.load(btf.RUNNING)
    head = re.compile(r"^\[(\d+)\] ([A-Z_0-9]+) '([^']*)'(.*)$")
    member = re.compile(r"^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?")
    current, expected, types = 0, [], 0

    def check_members() -> None:
        if current and b.kind(current) in ("struct", "union"):
            got = [(m.name, m.type_id, m.bit_offset, m.bitfield_size) for m in b.members(current)]
            assert got == expected, current

    for line in raw.splitlines():
        m = head.match(line)
        if m:
            check_members()
            current, expected = int(m[1]), []
            types += 1
            name = "" if m[3] == "(anon)" else m[3]
            assert (b.kind(current), b.name(current)) == (m[2].lower(), name)
            size = re.search(r"size=(\d+)", m[4])
            if size and m[2] in ("STRUCT", "UNION", "INT", "ENUM", "ENUM64", "FLOAT"):
                assert b.sizeof(current) == int(size[1]), current
            continue
        m = member.match(line)
        if m and current:
            expected.append(
                (m[1] if m[1] != "(anon)" else "", int(m[2]), int(m[3]), int(m[4] or 0))
            )
    check_members()
    assert types == b.count


def test_header_fields_checked() -> None:
    """hdr_len below 24 is impossible."""
    bad = SAMPLE[:4] + struct.pack("<I", 8) + SAMPLE[8:]
    with pytest.raises(InputError, match="header length 8"):
        btf.Btf(bad)


# ---- Debian's kernel images (optional: SLABHW_KERNEL_IMAGES names a folder holding the
# unpacked linux-image packages, e.g. from apt-get download + dpkg-deb -x) ----------------
IMAGES = Path(os.environ.get("SLABHW_KERNEL_IMAGES", "/nonexistent"))
# cache -> struct whose sizeof is the cache's object_size (KMEM_CACHE or sizeof(struct))
KMEM_CACHES = {
    "dentry": "dentry",
    "filp": "file",
    "vm_area_struct": "vm_area_struct",
    "files_cache": "files_struct",
    "sighand_cache": "sighand_struct",
    "signal_cache": "signal_struct",
    "fs_cache": "fs_struct",
    "inode_cache": "inode",
    "sock_inode_cache": "socket_alloc",
    "kernfs_node_cache": "kernfs_node",
    "anon_vma": "anon_vma",
}


@pytest.mark.parametrize(
    "pattern,snap",
    [
        ("*6.1.0-57-amd64*/boot/vmlinuz-*", "debian-6.1.192-amd64-smp2-slab_nomerge.json.gz"),
        ("*6.12.117*amd64*/boot/vmlinuz-*", "debian-6.12.117-amd64-smp2-slab_nomerge.json.gz"),
    ],
)
def test_debian_images_equal_their_caches(pattern: str, snap: str) -> None:
    """Debian's vmlinuz (6.1: xz, 6.12: zstd): the BTF sizes of the structs behind
    eleven caches equal those caches' object_size in the same kernel booted with
    slab_nomerge (so every cache is its own directory)."""
    from slabhw import snapshot

    found = sorted(IMAGES.glob(pattern))
    if not found:
        pytest.skip(f"no {pattern} under SLABHW_KERNEL_IMAGES")
    b = btf.load(found[0])
    caches = snapshot.load(str(Path(__file__).parent / "data" / snap))["caches"]
    for cache, struct_name in KMEM_CACHES.items():
        assert b.struct(struct_name).size == int(caches[cache]["attributes"]["object_size"])
