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
from .textio import shown

ENUM = -1  # FlagDef.value for flags numbered by enum _slab_flag_bits (6.x)


@dataclass(frozen=True)
class FlagDef:
    name: str
    value: int  # the macro's value, or ENUM: the next free bit of the enum
    requires: str | None = None  # KernelConfig switch that makes the macro non-zero
    alias_of: str | None = None  # another name for the same bit (not used when formatting)
    internal: bool = False  # allocator-private bit; shown when formatting, never parsed
    requires_not: str | None = None  # a switch that removes the flag when on
    requires_64bit: bool = False  # defined only where CONFIG_64BIT


class FlagTable:
    """The flag macros of one configured kernel: name -> value, parse, format."""

    def __init__(
        self,
        defs: Iterable[FlagDef],
        switches: dict[str, bool],
        word_bits: int,
        is_64bit: bool | None = None,
    ):
        self.defs = tuple(defs)
        self.word_bits = word_bits
        self._values: dict[str, int] = {}
        bit = 0
        for d in self.defs:
            on = (
                (d.requires is None or switches.get(d.requires, False))
                and not (d.requires_not is not None and switches.get(d.requires_not, False))
                and (not d.requires_64bit or (word_bits == 64 if is_64bit is None else is_64bit))
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
            raise InputError(f"unknown flag {shown(name)}") from None

    def get(self, name: str) -> int:
        """The macro's value, 0 when this kernel does not define the name."""
        return self._values.get(name, 0)

    def mask(self, names: Iterable[str]) -> int:
        """The flags named, ORed (aliases such as SLAB_TEMPORARY count once); names
        this kernel does not define are 0."""
        value = 0
        for name in names:
            value |= self._values.get(name, 0)
        return value

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
                    raise InputError(f"empty flag name in {shown(text)}")
                continue
            if token[0].isdigit():
                value = parse_uint(token, "flag number")
            else:
                if token not in self._values or self._is_internal(token):
                    raise InputError(
                        f"unknown flag {shown(token)} (known: {', '.join(self.names)})"
                    )
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
