"""BTF, the kernel's description of its own types: sizes of structs and unions.

The format is include/uapi/linux/btf.h (Documentation/bpf/btf.rst): a 24-byte header
(magic 0xeB9F in the writer's byte order, version 1, flags, hdr_len, then the offset
and length of the type and string sections after the header), a type section of
``struct btf_type`` records (name_off, info: vlen in bits 0-15, kind in bits 24-28,
kind_flag in bit 31; then size or type) each followed by data whose length its kind
and vlen decide, and a string section of NUL-terminated names.  Type ids count from
1 in section order (0 is void).  Split BTF (``/sys/kernel/btf/<module>``) continues
a base: its ids start after the base's last, its string offsets after the base's
string section.

Inputs: a raw BTF file, a vmlinux ELF (its ``.BTF`` section), or a kernel image as
distributions ship it: x86 bzImage with an xz, gzip or zstd (``zstandard``, the
``btf`` extra) compressed vmlinux ELF inside, or arm64's raw ``Image`` in which the
BTF blob sits uncompressed (found by its header).

Reading is an index: one pass records where each type starts and its kind; names
are indexed on the first lookup, members decoded only for the types asked about; the
index of an input is kept by the SHA-256 of its bytes, so a second read of the same
BTF or image costs a hash.  Alignment is the natural one
(the largest member alignment; 1 when the member offsets show the struct packed): a
lower bound, since BTF does not record ``__aligned(N)``.  Every malformed input is an
:class:`~slabhw.errors.InputError` naming what is wrong.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import lzma
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .textio import shown

BTF_MAGIC = 0xEB9F
HEADER_SIZE = 24  # struct btf_header of version 1

# kind number -> (name, bytes after struct btf_type, bytes per vlen entry)
KINDS: dict[int, tuple[str, int, int]] = {
    1: ("int", 4, 0),
    2: ("ptr", 0, 0),
    3: ("array", 12, 0),
    4: ("struct", 0, 12),
    5: ("union", 0, 12),
    6: ("enum", 0, 8),
    7: ("fwd", 0, 0),
    8: ("typedef", 0, 0),
    9: ("volatile", 0, 0),
    10: ("const", 0, 0),
    11: ("restrict", 0, 0),
    12: ("func", 0, 0),
    13: ("func_proto", 0, 8),
    14: ("var", 4, 0),
    15: ("datasec", 0, 12),
    16: ("float", 0, 0),
    17: ("decl_tag", 4, 0),
    18: ("type_tag", 0, 0),
    19: ("enum64", 0, 12),
}
_SIZED = {"int", "struct", "union", "enum", "float", "enum64", "datasec"}
_REFERS = {"typedef", "volatile", "const", "restrict", "type_tag"}
_MAX_DEPTH = 64  # type chains deeper than this are malformed (or cyclic)


@dataclass(frozen=True)
class Member:
    """One struct/union member: its name, type id, and offset in bits (and the width
    of a bitfield, 0 for none)."""

    name: str
    type_id: int
    bit_offset: int
    bitfield_size: int


@dataclass(frozen=True)
class TypeInfo:
    """What slabhw needs of a struct or union: ``sizeof``, the natural alignment (a
    lower bound), and the element size of a flexible array at its end (None when
    there is none)."""

    name: str
    kind: str
    size: int
    align: int
    flex_elem: int | None
    packed: bool


class Btf:
    """An index over one BTF blob (and its base, for split BTF)."""

    @functools.cached_property
    def sha256(self) -> str:
        """The hash of the blob (the cache key of inputs split on this base)."""
        return hashlib.sha256(self.data).hexdigest()

    def __init__(self, data: bytes, base: Btf | None = None, pointer_size: int = 8) -> None:
        self.data = bytes(data)
        self.base = base
        self.pointer_size = pointer_size
        if len(self.data) < HEADER_SIZE:
            raise InputError(f"not BTF: {len(self.data)} bytes, shorter than its header")
        magic_le = struct.unpack_from("<H", self.data)[0]
        if magic_le == BTF_MAGIC:
            self.endian = "<"
        elif struct.unpack_from(">H", self.data)[0] == BTF_MAGIC:
            self.endian = ">"
        else:
            raise InputError(f"not BTF: magic 0x{magic_le:04x}, not 0xeb9f")
        e = self.endian
        version, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
            e + "BBIIIII", self.data, 2
        )
        if version != 1:
            raise InputError(f"BTF version {version} is not supported (only version 1)")
        if hdr_len < HEADER_SIZE or hdr_len > len(self.data):
            raise InputError(f"BTF header length {hdr_len} is impossible")
        types = (hdr_len + type_off, hdr_len + type_off + type_len)
        strings = (hdr_len + str_off, hdr_len + str_off + str_len)
        for _, hi in (types, strings):
            if hi > len(self.data):
                raise InputError(
                    f"BTF truncated: a section ends at byte {hi}, the data has {len(self.data)}"
                )
        self._strings = strings
        self._str_base: int = base._str_base + base._str_len if base else 0
        self._str_len: int = str_len
        self._id_base: int = base.count if base else 0
        self._offsets = self._scan(*types)
        self.count: int = self._id_base + len(self._offsets)
        self._by_name: dict[str, list[int]] | None = None

    # ---- the one pass over the type section --------------------------------------------
    def _scan(self, pos: int, end: int) -> list[int]:
        unpack = struct.Struct(self.endian + "I").unpack_from
        data = self.data
        offsets: list[int] = []
        while pos < end:
            if pos + 12 > end:
                raise InputError(f"BTF truncated inside type {self._id_base + len(offsets) + 1}")
            info = unpack(data, pos + 4)[0]
            kind = info >> 24 & 0x1F
            spec = KINDS.get(kind)
            if spec is None:
                raise InputError(
                    f"BTF type {self._id_base + len(offsets) + 1} has unknown kind {kind}"
                )
            offsets.append(pos)
            pos += 12 + spec[1] + spec[2] * (info & 0xFFFF)
        if pos != end:
            raise InputError("BTF truncated: the last type runs past its section")
        return offsets

    # ---- raw access ----------------------------------------------------------------------
    def _owner(self, type_id: int) -> Btf:
        if type_id > self._id_base:
            if type_id > self.count:
                raise InputError(f"BTF type id {type_id} does not exist (the last is {self.count})")
            return self
        if self.base is None:
            raise InputError(f"BTF type id {type_id} does not exist")
        return self.base._owner(type_id)

    def _record(self, type_id: int) -> tuple[Btf, int, int, int, int, int]:
        """(owner, offset, name_off, kind, vlen, size_or_type) of a type id >= 1."""
        if type_id < 1:
            raise InputError(f"BTF type id {type_id} does not exist")
        owner = self._owner(type_id)
        off = owner._offsets[type_id - owner._id_base - 1]
        name_off, info, size = struct.unpack_from(owner.endian + "III", owner.data, off)
        return owner, off, name_off, info >> 24 & 0x1F, info & 0xFFFF, size

    def string(self, name_off: int) -> str:
        """The string at ``name_off`` (split BTF: past the base's strings, its own)."""
        if name_off < self._str_base:
            if self.base is None:
                raise InputError(f"BTF string offset {name_off} is outside the strings")
            return self.base.string(name_off)
        lo, hi = self._strings
        start = lo + name_off - self._str_base
        if start >= hi:
            raise InputError(f"BTF string offset {name_off} is outside the strings")
        stop = self.data.find(b"\0", start, hi)
        if stop < 0:
            raise InputError(f"BTF string at offset {name_off} is not terminated")
        return self.data[start:stop].decode("utf-8", "replace")

    def kind(self, type_id: int) -> str:
        return KINDS[self._record(type_id)[3]][0]

    def name(self, type_id: int) -> str:
        return self.string(self._record(type_id)[2])

    # ---- lookup ---------------------------------------------------------------------------
    def ids(self, name: str, kinds: tuple[str, ...] = ("struct", "union")) -> list[int]:
        """The ids of the types called ``name`` of those kinds (base types first)."""
        found = self.base.ids(name, kinds) if self.base else []
        if self._by_name is None:
            index: dict[str, list[int]] = {}
            unpack = struct.Struct(self.endian + "I").unpack_from
            for i, off in enumerate(self._offsets):
                name_off = unpack(self.data, off)[0]
                if name_off:
                    index.setdefault(self.string(name_off), []).append(self._id_base + i + 1)
            self._by_name = index
        return found + [i for i in self._by_name.get(name, []) if self.kind(i) in kinds]

    def members(self, type_id: int) -> list[Member]:
        """The members of a struct or union."""
        owner, off, _, kind, vlen, _ = self._record(type_id)
        if KINDS[kind][0] not in ("struct", "union"):
            raise InputError(f"BTF type {type_id} is a {KINDS[kind][0]}, not a struct or union")
        kind_flag = struct.unpack_from(owner.endian + "I", owner.data, off + 4)[0] >> 31
        out = []
        for j in range(vlen):
            name_off, tid, offset = struct.unpack_from(
                owner.endian + "III", owner.data, off + 12 + 12 * j
            )
            if kind_flag:  # bitfield size in the top 8 bits, offset in the low 24
                bit_offset, width = offset & 0xFFFFFF, offset >> 24
            else:
                bit_offset, width = offset, 0
            out.append(Member(owner.string(name_off), tid, bit_offset, width))
        return out

    # ---- sizes and alignment ------------------------------------------------------------
    def resolve(self, type_id: int) -> int:
        """Follow typedefs and qualifiers to the type they name."""
        for _ in range(_MAX_DEPTH):
            if type_id == 0:
                return 0
            _, _, _, kind, _, ref = self._record(type_id)
            if KINDS[kind][0] not in _REFERS:
                return type_id
            type_id = ref
        raise InputError(f"BTF type chain from {type_id} is too deep (a cycle?)")

    def sizeof(self, type_id: int, _depth: int = 0) -> int:
        """sizeof the type (void and functions: 0)."""
        type_id = self.resolve(type_id)
        if type_id == 0:
            return 0
        owner, off, _, kind, _, size = self._record(type_id)
        name = KINDS[kind][0]
        if name in _SIZED:
            return size
        if name == "ptr":
            return self.pointer_size
        if name == "array":
            if _depth > _MAX_DEPTH:
                raise InputError(f"BTF array type {type_id} nests too deep (a cycle?)")
            elem, _, nelems = struct.unpack_from(owner.endian + "III", owner.data, off + 12)
            return int(nelems) * self.sizeof(elem, _depth + 1)
        return 0  # fwd, func, func_proto, var, decl_tag: no storage of their own

    def alignof(self, type_id: int, _depth: int = 0) -> int:
        """The natural alignment (a lower bound: ``__aligned`` is not recorded)."""
        if _depth > _MAX_DEPTH:
            raise InputError(f"BTF type {type_id} nests too deep (a cycle?)")
        type_id = self.resolve(type_id)
        if type_id == 0:
            return 1
        owner, off, _, kind, _, size = self._record(type_id)
        name = KINDS[kind][0]
        if name in ("int", "enum", "enum64", "float"):
            return max(1, min(size, 16)) if size & (size - 1) == 0 else 1
        if name == "ptr":
            return self.pointer_size
        if name == "array":
            elem = struct.unpack_from(owner.endian + "I", owner.data, off + 12)[0]
            return self.alignof(elem, _depth + 1)
        if name in ("struct", "union"):
            return self._struct_align(type_id, _depth)[0]
        return 1

    def _struct_align(self, type_id: int, depth: int) -> tuple[int, bool]:
        """(alignment, packed) of a struct or union: the largest member alignment, or 1
        when a member sits off its alignment or the size is no multiple of it."""
        align = 1
        packed = False
        for m in self.members(type_id):
            a = self.alignof(m.type_id, depth + 1)
            if not self._bitfield(m) and m.bit_offset % (8 * a):
                packed = True
            align = max(align, a)
        size = self._record(type_id)[5]
        if packed or size % align:
            return 1, True
        return align, False

    def _bitfield(self, m: Member) -> bool:
        """A bitfield member: a width in the member (kind_flag), or an int type whose
        encoding has fewer bits than its size (the older form)."""
        if m.bitfield_size:
            return True
        tid = self.resolve(m.type_id)
        if not tid:
            return False
        owner, off, _, kind, _, size = self._record(tid)
        if KINDS[kind][0] != "int":
            return False
        encoding = struct.unpack_from(owner.endian + "I", owner.data, off + 12)[0]
        return (encoding & 0xFF) < 8 * size or m.bit_offset % 8 != 0

    def info(self, type_id: int) -> TypeInfo:
        """sizeof, alignment and flexible tail of a struct or union."""
        kind = self.kind(type_id)
        members = self.members(type_id)
        flex = None
        if members and kind == "struct":
            last = self.resolve(members[-1].type_id)
            if last and self.kind(last) == "array":
                owner, off, *_ = self._record(last)
                elem, _, nelems = struct.unpack_from(owner.endian + "III", owner.data, off + 12)
                if nelems == 0:
                    flex = self.sizeof(elem)
        align, packed = self._struct_align(type_id, 0)
        return TypeInfo(self.name(type_id), kind, self.sizeof(type_id), align, flex, packed)

    def struct(self, name: str) -> TypeInfo:
        """The struct (or union) called ``name``: ``"cred"``, ``"struct cred"``,
        ``"union bpf_attr"``.  Several definitions of one name (distinct types in
        different units) must agree in size; an unknown name is an InputError."""
        kinds: tuple[str, ...] = ("struct", "union")
        bare = name.strip()
        for word in ("struct", "union"):
            if bare.startswith(word + " "):
                kinds, bare = (word,), bare[len(word) + 1 :].strip()
        ids = self.ids(bare, kinds)
        if not ids:
            raise InputError(f"no {' or '.join(kinds)} called {shown(bare)} in this BTF")
        infos = {self.info(i) for i in ids}
        if len({(i.size, i.align, i.flex_elem) for i in infos}) > 1:
            sizes = sorted({i.size for i in infos})
            raise InputError(
                f"{shown(bare)} has {len(infos)} different definitions (sizes {sizes})"
            )
        return min(infos, key=lambda i: i.kind)

    def __iter__(self) -> Iterator[int]:
        """This blob's own type ids (not the base's)."""
        return iter(range(self._id_base + 1, self.count + 1))


# ---- inputs ------------------------------------------------------------------------------
_ELF_MAGIC = b"\x7fELF"


def elf_section(data: bytes, wanted: str) -> tuple[bytes, int] | None:
    """The bytes of the ELF section called ``wanted`` and the ELF's pointer size; None
    when the ELF has no such section."""
    try:
        ei_class, ei_data = data[4], data[5]
        if ei_class not in (1, 2) or ei_data not in (1, 2):
            raise InputError("ELF: unknown class or byte order")
        e = "<" if ei_data == 1 else ">"
        if ei_class == 2:
            shoff, shentsize, shnum, shstrndx = (
                struct.unpack_from(e + "Q", data, 0x28)[0],
                *struct.unpack_from(e + "HHH", data, 0x3A),
            )
            sh = struct.Struct(e + "IIQQQQIIQQ")
        else:
            shoff, shentsize, shnum, shstrndx = (
                struct.unpack_from(e + "I", data, 0x20)[0],
                *struct.unpack_from(e + "HHH", data, 0x2E),
            )
            sh = struct.Struct(e + "IIIIIIIIII")
        if shentsize < sh.size or shstrndx >= shnum:
            raise InputError("ELF: bad section header table")
        headers = [sh.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        names = headers[shstrndx]
        str_lo = names[4]
        for h in headers:
            lo = str_lo + h[0]
            name = data[lo : data.index(b"\0", lo)].decode("ascii", "replace")
            if name == wanted:
                if h[4] + h[5] > len(data):
                    raise InputError(f"ELF: section {wanted} runs past the end of the file")
                return data[h[4] : h[4] + h[5]], 8 if ei_class == 2 else 4
        return None
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise InputError(f"ELF: malformed ({exc})") from None


def _decompressed_elves(data: bytes) -> Iterator[bytes]:
    """ELF files compressed inside a kernel image (bzImage's payload), by magic."""
    magics = ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x1f\x8b\x08", "gzip"))
    for magic, kind in magics:
        start = data.find(magic)
        for _ in range(16):  # a few false matches of a short magic, no more
            if start < 0:
                break
            out = _decompress(data[start:], kind)
            if out is not None and out.startswith(_ELF_MAGIC):
                yield out
                return
            start = data.find(magic, start + 1)


def _decompress(blob: bytes, kind: str) -> bytes | None:
    try:
        if kind == "xz":
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(blob)
        if kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(blob)
        try:
            import zstandard
        except ImportError:
            raise InputError(
                "a zstd-compressed kernel image needs the zstandard package "
                "(pip install 'slabhw[btf]')"
            ) from None
        # one frame; what follows it in the image is left (unused_data)
        return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(blob))
    except (lzma.LZMAError, zlib.error, gzip.BadGzipFile, EOFError):
        return None
    except Exception as exc:  # zstandard.ZstdError and kin
        if type(exc).__module__.startswith("zstandard"):
            return None
        raise


def _embedded_btf(data: bytes) -> bytes | None:
    """A BTF blob inside a raw image (arm64's Image): the first place where a valid
    version-1 header of either byte order stands, cut to its sections."""
    for magic in (b"\x9f\xeb\x01", b"\xeb\x9f\x01"):
        e = "<" if magic[0] == 0x9F else ">"
        at = data.find(magic)
        while at >= 0:
            try:
                hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
                    e + "IIIII", data, at + 4
                )
            except struct.error:
                return None
            end = at + hdr_len + max(type_off + type_len, str_off + str_len)
            plausible = hdr_len == HEADER_SIZE and type_off == 0 and str_off == type_len
            if plausible and end <= len(data) and data[end - 1 : end] == b"\0":
                return data[at:end]
            at = data.find(magic, at + 1)
    return None


_BY_HASH: dict[str, Btf] = {}  # the last few inputs read, by the hash of their bytes
_CACHED = 8


def load_bytes(data: bytes, base: Btf | None = None) -> Btf:
    """A Btf from any supported input's bytes (see the module docstring); the index
    of an input seen before (same bytes, same base) is reused."""
    key = hashlib.sha256(data).hexdigest() + (base.sha256 if base else "")
    hit = _BY_HASH.get(key)
    if hit is None:
        hit = _find(data, base)
        if len(_BY_HASH) >= _CACHED:
            del _BY_HASH[next(iter(_BY_HASH))]
        _BY_HASH[key] = hit
    return hit


def _find(data: bytes, base: Btf | None) -> Btf:
    if data[:2] in (b"\x9f\xeb", b"\xeb\x9f"):
        return Btf(data, base)
    if data.startswith(_ELF_MAGIC):
        found = elf_section(data, ".BTF")
        if found is None:
            raise InputError("ELF: no .BTF section (a kernel built without CONFIG_DEBUG_INFO_BTF)")
        return Btf(found[0], base, pointer_size=found[1])
    for elf in _decompressed_elves(data):
        return _find(elf, base)
    raw = _embedded_btf(data)
    if raw is not None:
        return Btf(raw, base)
    raise InputError("no BTF found: not raw BTF, a vmlinux ELF, or a kernel image holding one")


def load(path: str | Path, base: str | Path | None = None) -> Btf:
    """The BTF of a file (raw, vmlinux, or kernel image); ``base``: the vmlinux BTF a
    split (module) BTF continues."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    return load_bytes(data, load(base) if base else None)


RUNNING = Path("/sys/kernel/btf/vmlinux")


def describe(info: TypeInfo) -> dict[str, Any]:
    """A TypeInfo as JSON-ready data."""
    return {
        "name": info.name,
        "kind": info.kind,
        "size": info.size,
        "align": info.align,
        "flex_elem": info.flex_elem,
        "packed": info.packed,
    }
