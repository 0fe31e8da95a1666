"""Parsing of numbers as users write them: decimal, 0x-hex, and sizes with K/M/G."""

from __future__ import annotations

import re

from .errors import InputError

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)")

_SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_uint(text: str, what: str, *, bits: int = 64) -> int:
    """A non-negative integer, decimal or 0x-hex, below 2**bits."""
    t = text.strip()
    if t.startswith("-") and _NUMBER.fullmatch(t[1:]):
        raise InputError(f"{what} must not be negative ({text})")
    if not _NUMBER.fullmatch(t):
        raise InputError(f"{what} {text!r} is not an integer (decimal or 0x-hex)")
    value = int(t, 16) if t[:2].lower() == "0x" else int(t, 10)
    if value >= 1 << bits:
        raise InputError(f"{what} {text} does not fit {bits} bits")
    return value


_SIZE = re.compile(r"([0-9]+|0[xX][0-9a-fA-F]+)\s*([kKmMgGtT])?(?:i?[bB]|i)?")


def parse_size(text: str, what: str) -> int:
    """A byte count: an integer with an optional K, M, G or T suffix (powers of 1024;
    "4G", "4GiB", "512Ki" and "4096" all work)."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise InputError(f"{what} {text!r} is not a size (such as 4096, 512K or 4G)")
    mult = _SUFFIXES[m.group(2).lower()] if m.group(2) else 1
    return parse_uint(m.group(1), what) * mult
