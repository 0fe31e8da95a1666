"""Parsing of numbers as users write them: decimal, 0x-hex, and sizes with K/M/G."""

from __future__ import annotations

from .errors import InputError

_SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_uint(text: str, what: str, *, bits: int = 64) -> int:
    """A non-negative integer, decimal or 0x-hex, below 2**bits."""
    t = text.strip()
    try:
        value = int(t, 16) if t[:2].lower() == "0x" else int(t, 10)
    except ValueError:
        raise InputError(f"{what} {text!r} is not an integer") from None
    if value < 0:
        raise InputError(f"{what} must not be negative ({text})")
    if value >= 1 << bits:
        raise InputError(f"{what} {text} does not fit {bits} bits")
    return value


def parse_size(text: str, what: str) -> int:
    """A byte count: an integer, optionally with a K, M, G or T suffix (powers of 1024)."""
    t = text.strip()
    mult = _SUFFIXES.get(t[-1:].lower(), 1) if t else 1
    if mult != 1:
        t = t[:-1]
        if t[-1:].lower() == "i":  # accept KiB-style "Ki"
            t = t[:-1]
    return parse_uint(t, what) * mult
