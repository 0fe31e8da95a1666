"""Small BTF blobs, ELF files and kernel images built by hand for tests/test_btf.py.

The writer follows include/uapi/linux/btf.h: a 24-byte header, the type records, the
strings.  ``sample()`` builds the types below; their sizes, offsets and alignments
are what a C compiler gives them on a 64-bit target (LP64):

    [1] int (4 bytes, 32 bits)               [2] long (8 bytes)
    [3] char (1 byte, 8 bits)                [4] long * (pointer to 2)
    [5] struct pair { int a; long b; }       size 16, align 8 (b at 8)
    [6] typedef struct pair pair_t           [7] const pair_t
    [8] char[0] (the flexible tail)          [9] int[3]
    [10] struct msg { long len; int ids[3]; char data[]; }
                                             size 24 (ids at 8, data at 20, padded to 8)
    [11] struct packed_one { char c; int i; } __packed: size 5, i at bit 8
    [12] union u { int i; long l; }          size 8, align 8
    [13] struct bits { int x:3; int y:5; long z; }
                                             kind_flag: widths in the offsets; size 16
    [14] fwd struct opaque                   [15] enum e { A = 1 } (4 bytes)
    [16] struct holder { const pair_t p; long *q; union u v; }
                                             size 32 (p 0, q 16, v 24)
"""

from __future__ import annotations

import lzma
import struct

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, CONST = 1, 2, 3, 4, 5, 6, 7, 8, 10


class Writer:
    """Types and strings, serialised in one byte order."""

    def __init__(self, endian: str = "<", str_base: int = 0, first_id: int = 1) -> None:
        self.e = endian
        self.types = b""
        self.strings = b"" if str_base else b"\0"
        self.str_base = str_base
        self.next_id = first_id

    def name(self, text: str) -> int:
        if not text:
            return 0
        off = self.str_base + len(self.strings)
        self.strings += text.encode() + b"\0"
        return off

    def add(
        self,
        kind: int,
        name: str,
        vlen: int,
        size_or_type: int,
        tail: bytes = b"",
        kind_flag: int = 0,
    ) -> int:
        info = kind << 24 | vlen | kind_flag << 31
        self.types += struct.pack(self.e + "III", self.name(name), info, size_or_type) + tail
        self.next_id += 1
        return self.next_id - 1

    def int_(self, name: str, size: int, bits: int) -> int:
        return self.add(INT, name, 0, size, struct.pack(self.e + "I", bits))

    def array(self, elem: int, nelems: int) -> int:
        return self.add(ARRAY, "", 0, 0, struct.pack(self.e + "III", elem, 1, nelems))

    def compound(
        self,
        kind: int,
        name: str,
        size: int,
        members: list[tuple[str, int, int]],
        kind_flag: int = 0,
    ) -> int:
        tail = b"".join(struct.pack(self.e + "III", self.name(n), t, off) for n, t, off in members)
        return self.add(kind, name, len(members), size, tail, kind_flag)

    def blob(self) -> bytes:
        header = struct.pack(
            self.e + "HBBIIIII",
            0xEB9F,
            1,
            0,
            24,
            0,
            len(self.types),
            len(self.types),
            len(self.strings),
        )
        return header + self.types + self.strings


def sample(endian: str = "<") -> bytes:
    w = Writer(endian)
    i = w.int_("int", 4, 32)
    lng = w.int_("long", 8, 64)
    ch = w.int_("char", 1, 8)
    plong = w.add(PTR, "", 0, lng)
    pair = w.compound(STRUCT, "pair", 16, [("a", i, 0), ("b", lng, 64)])
    td = w.add(TYPEDEF, "pair_t", 0, pair)
    cpair = w.add(CONST, "", 0, td)
    flex = w.array(ch, 0)
    ids = w.array(i, 3)
    w.compound(STRUCT, "msg", 24, [("len", lng, 0), ("ids", ids, 64), ("data", flex, 160)])
    w.compound(STRUCT, "packed_one", 5, [("c", ch, 0), ("i", i, 8)])
    u = w.compound(UNION, "u", 8, [("i", i, 0), ("l", lng, 0)])
    w.compound(
        STRUCT,
        "bits",
        16,
        [("x", i, 3 << 24 | 0), ("y", i, 5 << 24 | 3), ("z", lng, 64)],
        kind_flag=1,
    )
    w.add(FWD, "opaque", 0, 0)
    w.add(ENUM, "e", 1, 4, struct.pack(endian + "Ii", w.name("A"), 1))
    w.compound(STRUCT, "holder", 32, [("p", cpair, 0), ("q", plong, 128), ("v", u, 192)])
    return w.blob()


def split_on_sample(base: bytes) -> bytes:
    """A module's split BTF over ``sample()``: [17] struct mod_obj { struct pair p;
    int n; } (size 24) with names past the base's strings."""
    str_len = struct.unpack_from("<I", base, 20)[0]
    w = Writer("<", str_base=str_len, first_id=17)
    w.compound(STRUCT, "mod_obj", 24, [("p", 5, 0), ("n", 1, 128)])
    return w.blob()


def elf(section: bytes, endian: str = "<", bits: int = 64) -> bytes:
    """An ELF file with sections: null, .text (4 bytes), .BTF, .shstrtab."""
    e = endian
    names = b"\0.text\0.BTF\0.shstrtab\0"
    text = b"\x90" * 4
    ehsize, shentsize = (64, 64) if bits == 64 else (52, 40)
    body = text + section + names
    shoff = ehsize + len(body)
    shoff += -shoff % 8
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if e == "<" else 2, 1]) + bytes(9)
    if bits == 64:
        header = ident + struct.pack(
            e + "HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, ehsize, 0, 0, shentsize, 4, 3
        )
        sh = struct.Struct(e + "IIQQQQIIQQ")
    else:
        header = ident + struct.pack(
            e + "HHIIIIIHHHHHH", 2, 3, 1, 0, 0, shoff, 0, ehsize, 0, 0, shentsize, 4, 3
        )
        sh = struct.Struct(e + "IIIIIIIIII")
    off_text = ehsize
    off_btf = off_text + len(text)
    off_names = off_btf + len(section)
    sections = [
        sh.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        sh.pack(1, 1, 6, 0, off_text, len(text), 0, 0, 1, 0),
        sh.pack(7, 1, 0, 0, off_btf, len(section), 0, 0, 1, 0),
        sh.pack(12, 3, 0, 0, off_names, len(names), 0, 0, 1, 0),
    ]
    out = header + body
    out += bytes(shoff - len(out))
    return out + b"".join(sections)


def bzimage(payload_elf: bytes) -> bytes:
    """A stand-in for x86's bzImage: a setup area, then the xz-compressed vmlinux."""
    return (
        b"MZ"
        + bytes(510)
        + b"HdrS"
        + bytes(1000)
        + lzma.compress(payload_elf, format=lzma.FORMAT_XZ)
        + bytes(64)
    )


def raw_image(blob: bytes) -> bytes:
    """A stand-in for arm64's Image: code, then the BTF blob uncompressed, then data."""
    return b"\x1f\x20\x03\xd5" * 1000 + blob + b"\x00\x11" * 300
