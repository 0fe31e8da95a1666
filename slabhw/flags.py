"""SLAB_* flag values per kernel version: parse and format.

A flag whose ``#define`` depends on a configuration switch (``SLAB_DEBUG_OBJECTS``
needs CONFIG_DEBUG_OBJECTS, ...) is 0 in a kernel built without that switch,
exactly as the macro is; naming it is then allowed and has no effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InputError
from .parse import parse_uint

ENUM = -1  # FlagDef.value for flags numbered by enum _slab_flag_bits (6.x)


@dataclass(frozen=True)
class FlagDef:
    name: str
    value: int  # the macro's value, or ENUM: the next free bit of the enum
    requires: str | None = None  # KernelConfig switch that makes the macro non-zero
    alias_of: str | None = None  # another name for the same bit (not used when formatting)
    internal: bool = False  # allocator-private bit; shown when formatting, never parsed
    requires_not: str | None = None  # a switch that removes the flag when on


# include/linux/slab.h (v3.16) lines 23-101; CFLGS_OFF_SLAB from mm/slab.c (v3.16).
FLAGS_V3_16: tuple[FlagDef, ...] = (
    FlagDef("SLAB_DEBUG_FREE", 0x00000100),
    FlagDef("SLAB_RED_ZONE", 0x00000400),
    FlagDef("SLAB_POISON", 0x00000800),
    FlagDef("SLAB_HWCACHE_ALIGN", 0x00002000),
    FlagDef("SLAB_CACHE_DMA", 0x00004000),
    FlagDef("SLAB_STORE_USER", 0x00010000),
    FlagDef("SLAB_RECLAIM_ACCOUNT", 0x00020000),
    FlagDef("SLAB_TEMPORARY", 0x00020000, alias_of="SLAB_RECLAIM_ACCOUNT"),
    FlagDef("SLAB_PANIC", 0x00040000),
    FlagDef("SLAB_DESTROY_BY_RCU", 0x00080000),
    FlagDef("SLAB_MEM_SPREAD", 0x00100000),
    FlagDef("SLAB_TRACE", 0x00200000),
    FlagDef("SLAB_DEBUG_OBJECTS", 0x00400000, requires="debug_objects"),
    FlagDef("SLAB_NOLEAKTRACE", 0x00800000),
    FlagDef("SLAB_NOTRACK", 0x01000000, requires="kmemcheck"),
    FlagDef("SLAB_FAILSLAB", 0x02000000, requires="failslab"),
    FlagDef("CFLGS_OFF_SLAB", 0x80000000, internal=True),
)


# include/linux/slab.h (v6.18.2) enum _slab_flag_bits: a flag compiled out takes no
# bit, so later flags move down; mm/slub.c adds __OBJECT_POISON and __CMPXCHG_DOUBLE.
FLAGS_V6_18: tuple[FlagDef, ...] = (
    FlagDef("SLAB_CONSISTENCY_CHECKS", ENUM),
    FlagDef("SLAB_RED_ZONE", ENUM),
    FlagDef("SLAB_POISON", ENUM),
    FlagDef("SLAB_KMALLOC", ENUM),
    FlagDef("SLAB_HWCACHE_ALIGN", ENUM),
    FlagDef("SLAB_CACHE_DMA", ENUM),
    FlagDef("SLAB_CACHE_DMA32", ENUM),
    FlagDef("SLAB_STORE_USER", ENUM),
    FlagDef("SLAB_PANIC", ENUM),
    FlagDef("SLAB_TYPESAFE_BY_RCU", ENUM),
    FlagDef("SLAB_TRACE", ENUM),
    FlagDef("SLAB_DEBUG_OBJECTS", ENUM, requires="debug_objects"),
    FlagDef("SLAB_NOLEAKTRACE", ENUM),
    FlagDef("SLAB_NO_MERGE", ENUM),
    FlagDef("SLAB_FAILSLAB", ENUM, requires="failslab"),
    FlagDef("SLAB_ACCOUNT", ENUM, requires="memcg"),
    FlagDef("SLAB_KASAN", ENUM, requires="kasan_generic"),
    FlagDef("SLAB_NO_USER_FLAGS", ENUM),
    FlagDef("SLAB_SKIP_KFENCE", ENUM, requires="kfence"),
    FlagDef("SLAB_RECLAIM_ACCOUNT", ENUM, requires_not="slub_tiny"),
    FlagDef("SLAB_TEMPORARY", ENUM, alias_of="SLAB_RECLAIM_ACCOUNT", requires_not="slub_tiny"),
    FlagDef("__OBJECT_POISON", ENUM, internal=True),
    FlagDef("__CMPXCHG_DOUBLE", ENUM, internal=True),
    FlagDef("SLAB_NO_OBJ_EXT", ENUM, requires="slab_obj_ext"),
)


class FlagTable:
    """The flag macros of one configured kernel: name -> value, parse, format."""

    def __init__(self, defs: Iterable[FlagDef], switches: dict[str, bool], word_bits: int):
        self.defs = tuple(defs)
        self.word_bits = word_bits
        self._values: dict[str, int] = {}
        bit = 0
        for d in self.defs:
            on = (d.requires is None or switches.get(d.requires, False)) and not (
                d.requires_not is not None and switches.get(d.requires_not, False)
            )
            if d.value != ENUM:
                self._values[d.name] = d.value if on else 0
            elif d.alias_of is not None:
                self._values[d.name] = self._values[d.alias_of]
            elif on:
                self._values[d.name] = 1 << bit
                bit += 1
            else:
                self._values[d.name] = 0

    def __getitem__(self, name: str) -> int:
        try:
            return self._values[name]
        except KeyError:
            raise InputError(f"unknown flag {name!r}") from None

    def get(self, name: str) -> int:
        """The macro's value, 0 when this kernel does not define the name."""
        return self._values.get(name, 0)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.defs if not d.internal]

    def parse(self, text: str | int) -> int:
        """An integer in the kernel's encoding, decimal or 0x-hex, or names joined by ``|``.

        Numbers and names may be mixed (``SLAB_POISON|0x2000``).  An empty string is 0.
        """
        if isinstance(text, int):
            return self._check_range(text, str(text))
        total = 0
        for part in str(text).split("|"):
            token = part.strip()
            if not token:
                if str(text).strip():
                    raise InputError(f"empty flag name in {text!r}")
                continue
            if token[0].isdigit():
                value = parse_uint(token, "flag number")
            else:
                if token not in self._values or self._is_internal(token):
                    raise InputError(f"unknown flag {token!r} (known: {', '.join(self.names)})")
                value = self._values[token]
            total |= value
        return self._check_range(total, str(text))

    def _is_internal(self, name: str) -> bool:
        return any(d.internal and d.name == name for d in self.defs)

    def _check_range(self, value: int, text: str) -> int:
        if value < 0 or value >= 1 << self.word_bits:
            raise InputError(
                f"flags {text} do not fit the kernel's {self.word_bits}-bit unsigned long"
            )
        return value

    def format(self, value: int) -> str:
        """Names for the set bits, canonical names first; unknown bits as hex."""
        parts = []
        rest = value
        for d in self.defs:
            v = self._values[d.name]
            if d.alias_of is None and v and value & v == v:
                parts.append(d.name)
                rest &= ~v
        if rest:
            parts.append(hex(rest))
        return "|".join(parts) if parts else "0"
