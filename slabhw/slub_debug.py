"""The ``slub_debug=`` (and from 6.9 ``slab_debug=``) boot parameter of SLUB.

Parsing follows mm/slub.c (v6.18.2) parse_slub_debug_flags() and
setup_slub_debug(), whose grammar (';'-separated blocks with cache lists, 5.9) is
the same in every modelled SLUB version; which spellings a version accepts is its
rule (slabhw.versions.rules); ``SlubDebug.flags_for(name)`` is the part of
kmem_cache_flags() that depends on the cache name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .flags import FlagTable

# option letter -> flag name (case-insensitive; 'o' and '-' are handled apart)
_LETTERS = {
    "f": "SLAB_CONSISTENCY_CHECKS",
    "z": "SLAB_RED_ZONE",
    "p": "SLAB_POISON",
    "u": "SLAB_STORE_USER",
    "t": "SLAB_TRACE",
    "a": "SLAB_FAILSLAB",
}
_DEFAULT = ("SLAB_CONSISTENCY_CHECKS", "SLAB_RED_ZONE", "SLAB_POISON", "SLAB_STORE_USER")


@dataclass(frozen=True)
class SlubDebug:
    """The parsed parameter: global flags, per-list blocks, and the 'O' option."""

    global_flags: int = 0
    blocks: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (flags, cache name patterns)
    disable_higher_order_debug: bool = False
    unknown_letters: tuple[str, ...] = ()  # "slab_debug option 'x' unknown. skipped"

    def flags_for(self, name: str) -> int:
        """The flags of the first block whose list names ``name`` (a pattern ending in
        ``*`` matches by prefix, others exactly); -1 when no block names it."""
        for flags, patterns in self.blocks:
            for pattern in patterns:
                star = pattern.find("*")
                if star >= 0:
                    if name.startswith(pattern[:star]):
                        return flags
                elif name == pattern:
                    return flags
        return -1


def parse(text: str | None, table: FlagTable) -> SlubDebug:
    """Parse the value of ``slab_debug``: None when the parameter is absent, ``""``
    when it is given with no value (full debugging: F, Z, P, U for every cache)."""
    default = table.mask(_DEFAULT)
    if text is None:
        return SlubDebug()
    if text == "":
        return SlubDebug(global_flags=default)
    global_flags = 0
    global_changed = False
    blocks: list[tuple[int, tuple[str, ...]]] = []
    higher_order = False
    unknown: list[str] = []
    for raw in text.split(";"):
        if not raw:
            continue  # empty blocks are skipped
        opts, comma, rest = raw.partition(",")
        if comma and not opts:
            flags = default  # a list without options: full debugging for those caches
        else:
            flags = 0
            for ch in opts:
                c = ch.lower()
                if c == "-":
                    flags = 0
                elif c == "o":
                    higher_order = True
                elif c in _LETTERS:
                    flags |= table.get(_LETTERS[c])
                else:
                    unknown.append(ch)
        if comma:
            blocks.append((flags, tuple(p for p in rest.split(",") if p)))
        else:
            global_flags = flags
            global_changed = True
    if blocks and not global_changed:
        global_flags = 0  # a list alone leaves the global flags as they were
    return SlubDebug(global_flags, tuple(blocks), higher_order, tuple(unknown))
