"""SLAB (Linux 3.16): the cache descriptor and the layout of one slab.

``KmemCache`` mirrors ``struct kmem_cache`` of include/linux/slab_def.h (v3.16):
the numbers come from the C core (``_core.slab316_create``), the list and
reference-count bookkeeping from slabhw.kernel.  ``slab_regions`` draws one slab
as mm/slab.c lays it out (cache_grow + alloc_slabmgmt): colour padding, the
on-slab freelist, the objects and the unused tail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .reference import SlabLayout


@dataclass(eq=False)
class KmemCache:
    """struct kmem_cache (SLAB, Linux 3.16) as the model keeps it."""

    name: str
    object_size: int
    size: int
    align: int
    flags: int
    num: int
    gfporder: int
    colour: int
    colour_off: int
    freelist_size: int
    obj_offset: int
    left_over: int  # bytes after objects and on-slab freelist (not a kernel field)
    limit: int
    batchcount: int
    shared: int
    reciprocal_buffer_size: tuple[int, int, int]  # (m, sh1, sh2)
    allocflags: int
    ctor: Callable[[Any], None] | None = None
    refcount: int = 1
    freelist_cache: KmemCache | None = None
    off_slab: bool = False
    kmalloc_index: int | None = None  # set for kmalloc caches
    dma: bool = False
    # counts of the simulation (the run-time allocator fills these)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def objects(self) -> int:
        """Objects per slab (``num``), under SLUB's name."""
        return self.num

    @property
    def order(self) -> int:
        """Pages of a slab as an order (``gfporder``), under SLUB's name."""
        return self.gfporder

    @classmethod
    def from_layout(
        cls, name: str, c: SlabLayout, *, allocflags: int, ctor: Callable[[Any], None] | None = None
    ) -> KmemCache:
        return cls(
            name=name,
            object_size=c.object_size,
            size=c.size,
            align=c.align,
            flags=c.flags,
            num=c.num,
            gfporder=c.gfporder,
            colour=c.colour,
            colour_off=c.colour_off,
            freelist_size=c.freelist_size,
            obj_offset=c.obj_offset,
            left_over=c.left_over,
            limit=c.limit,
            batchcount=c.batchcount,
            shared=c.shared,
            reciprocal_buffer_size=(c.reciprocal_m, c.reciprocal_sh1, c.reciprocal_sh2),
            allocflags=allocflags,
            ctor=ctor,
            off_slab=bool(c.off_slab),
        )

    @property
    def pages_per_slab(self) -> int:
        return 1 << self.gfporder

    def descriptor(self) -> dict[str, Any]:
        """Every field the model computes, named as in struct kmem_cache."""
        m, sh1, sh2 = self.reciprocal_buffer_size
        return {
            "name": self.name,
            "batchcount": self.batchcount,
            "limit": self.limit,
            "shared": self.shared,
            "size": self.size,
            "reciprocal_buffer_size": {"m": m, "sh1": sh1, "sh2": sh2},
            "flags": self.flags,
            "num": self.num,
            "gfporder": self.gfporder,
            "allocflags": self.allocflags,
            "colour": self.colour,
            "colour_off": self.colour_off,
            "freelist_cache": self.freelist_cache.name if self.freelist_cache else None,
            "freelist_size": self.freelist_size,
            "ctor": self.ctor is not None,
            "refcount": self.refcount,
            "object_size": self.object_size,
            "align": self.align,
            "obj_offset": self.obj_offset,
            "off_slab": self.off_slab,
            "left_over": self.left_over,
        }


@dataclass(frozen=True)
class Region:
    start: int  # byte offset from the first page of the slab
    end: int
    kind: str  # "colour", "freelist", "object", "unused"
    index: int | None = None  # object index


def slab_regions(cache: KmemCache, page_size: int, colour_index: int = 0) -> list[Region]:
    """One slab of ``cache`` as byte ranges (cache_grow/alloc_slabmgmt, mm/slab.c v3.16).

    Colour ``colour_index`` (0 .. colour-1) puts ``colour_index * colour_off`` bytes
    of padding first; an on-slab freelist (``freelist_size`` bytes) follows; the
    objects start at ``s_mem`` and repeat every ``size`` bytes.
    """
    slab_bytes = page_size << cache.gfporder
    ncolours = max(cache.colour, 1)
    if not 0 <= colour_index < ncolours:
        raise InputError(
            f"colour index must be in 0..{ncolours - 1} for cache "
            f"{cache.name!r}, not {colour_index}"
        )
    off = colour_index * cache.colour_off
    regions: list[Region] = []
    if off:
        regions.append(Region(0, off, "colour"))
    if not cache.off_slab:
        regions.append(Region(off, off + cache.freelist_size, "freelist"))
        off += cache.freelist_size
    for i in range(cache.num):
        regions.append(Region(off + i * cache.size, off + (i + 1) * cache.size, "object", i))
    end = off + cache.num * cache.size
    if end < slab_bytes:
        regions.append(Region(end, slab_bytes, "unused"))
    return regions


def object_regions(
    cache: KmemCache, bytes_per_word: int, redzone_align: int, *, red_zone: bool, store_user: bool
) -> list[Region]:
    """The inside of one object slot (mm/slab.c v3.16 dbg_redzone1/2, dbg_userword).

    Without debug flags the slot is the object and its padding.  With SLAB_RED_ZONE a
    64-bit word sits before the object (at obj_offset - 8) and another at the end
    (before the REDZONE_ALIGN bytes kept for SLAB_STORE_USER, whose caller word is
    the slot's last BYTES_PER_WORD bytes).
    """
    regions: list[Region] = []
    start = cache.obj_offset
    if red_zone and start > 8:
        regions.append(Region(0, start - 8, "padding"))
    elif not red_zone and start > 0:
        regions.append(Region(0, start, "padding"))
    if red_zone:
        regions.append(Region(start - 8, start, "redzone1"))
    end_obj = start + cache.object_size
    regions.append(Region(start, end_obj, "object"))
    tail: list[Region] = []
    if red_zone:
        rz2 = cache.size - 8 - (redzone_align if store_user else 0)
        tail.append(Region(rz2, rz2 + 8, "redzone2"))
    if store_user:
        tail.append(Region(cache.size - bytes_per_word, cache.size, "store_user"))
    cursor = end_obj
    for r in tail:
        if r.start > cursor:
            regions.append(Region(cursor, r.start, "padding"))
        regions.append(r)
        cursor = r.end
    if cursor < cache.size:
        regions.append(Region(cursor, cache.size, "padding"))
    return regions
