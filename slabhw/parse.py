"""Numbers as users write them, parsed in one place: ASCII decimal or 0x-hex, sizes
with K/M/G/T, each bounded to the C type it feeds and named in its error."""

from __future__ import annotations

import functools
import re

from .errors import InputError
from .textio import shown

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)", re.ASCII)

_SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

# longer than any 64-bit value in decimal or hex: refused before int() sees it
_MAX_DIGITS = 24


def _digits(text: str, what: str) -> int:
    """The value of ASCII decimal or 0x-hex digits (``text`` already stripped)."""
    if len(text) > _MAX_DIGITS or not _NUMBER.fullmatch(text):
        if len(text) > _MAX_DIGITS and _NUMBER.fullmatch(text.lstrip("-")):
            raise InputError(f"{what} {shown(text)} is too large")
        raise InputError(f"{what} {shown(text)} is not an integer (decimal or 0x-hex)")
    return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)


@functools.lru_cache(maxsize=4096)  # scripts repeat the same few numbers (cpu=1, sizes)
def parse_uint(text: str, what: str, *, bits: int = 64, maximum: int | None = None) -> int:
    """A non-negative integer, decimal or 0x-hex, below 2**bits (and at most
    ``maximum`` when given)."""
    t = text.strip()
    if t.startswith("-") and _NUMBER.fullmatch(t[1:]):
        raise InputError(f"{what} must not be negative ({shown(t)})")
    value = _digits(t, what)
    if value >= 1 << bits:
        raise InputError(f"{what} {shown(t)} does not fit {bits} bits")
    if maximum is not None and value > maximum:
        raise InputError(f"{what} {shown(t)} is larger than {maximum}")
    return value


def parse_int(text: str, what: str, *, bits: int = 32) -> int:
    """A signed integer (a C int of ``bits`` bits), decimal or 0x-hex."""
    t = text.strip()
    negative = t.startswith("-")
    value = _digits(t[1:] if negative else t, what)
    value = -value if negative else value
    if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
        raise InputError(f"{what} {shown(t)} does not fit a {bits}-bit int")
    return value


_SIZE = re.compile(r"([0-9]+|0[xX][0-9a-fA-F]+)\s*([kKmMgGtT])?(?:i?[bB]|i)?", re.ASCII)


def parse_size(text: str, what: str, *, bits: int = 64) -> int:
    """A byte count: an integer with an optional K, M, G or T suffix (powers of 1024;
    "4G", "4GiB", "512Ki" and "4096" all work), below 2**bits."""
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise InputError(f"{what} {shown(text)} is not a size (such as 4096, 512K or 4G)")
    mult = _SUFFIXES[m.group(2).lower()] if m.group(2) else 1
    value = parse_uint(m.group(1), what) * mult
    if value >= 1 << bits:
        raise InputError(f"{what} {shown(text.strip())} does not fit {bits} bits")
    return value


def get_option(text: str) -> int:
    """The int a boot parameter's value gives, as the kernel's get_option() reads it
    (lib/cmdline.c): an optional '-', then simple_strtoull() in base 0 (0x-hex, a
    leading 0 octal, else decimal) over the longest prefix of digits, wrapping modulo
    2**64 as _parse_integer_limit() does, cast to a 32-bit int.  No digits give 0,
    which the kernel stores too."""
    negative = text.startswith("-")
    s = text[1:] if negative else text
    if s[:1] == "0":
        hexa = s[1:2].lower() == "x" and s[2:3] != "" and s[2:3] in "0123456789abcdefABCDEF"
        base, s = (16, s[2:]) if hexa else (8, s)
    else:
        base = 10
    value = 0
    for ch in s:
        digit = int(ch, 16) if ch in "0123456789abcdefABCDEF" else base
        if digit >= base:
            break
        value = (value * base + digit) & 0xFFFFFFFFFFFFFFFF
    if negative:
        value = -value & 0xFFFFFFFFFFFFFFFF
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def kstrtouint(text: str) -> int | None:
    """kstrtouint(s, 0, &v) (lib/kstrtox.c), as a core_param reads its value: an
    optional '+', then 0x-hex, a leading 0 octal or decimal digits to the end (one
    trailing newline allowed), at most UINT_MAX; None where the kernel returns an
    error and leaves the parameter as it was."""
    s = text[:-1] if text.endswith("\n") else text
    if s.startswith("+"):
        s = s[1:]
    if s[:2].lower() == "0x" and s[2:3] != "" and s[2:3] in "0123456789abcdefABCDEF":
        base, s = 16, s[2:]
    else:
        base = 8 if s[:1] == "0" else 10
    digits = "0123456789abcdef"[:base]
    if not s or any(ch.lower() not in digits for ch in s) or len(s) > 40:
        return None
    value = int(s, base)
    return value if value <= 0xFFFFFFFF else None
