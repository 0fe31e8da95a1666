"""Text and JSON views of SLUB caches for the command line: the descriptor,
a picture of one slab, and the inside of one object slot."""

from __future__ import annotations

from typing import Any

from .slub import SlubCache, SlubKernel


def descriptor(k: SlubKernel, s: SlubCache) -> dict[str, Any]:
    """Every number the model computes for the cache, named as in struct kmem_cache
    (``size`` is sysfs slab_size, ``objects``/``order`` come from ``oo``)."""
    d: dict[str, Any] = {"name": s.name}
    d.update(
        {
            f: getattr(s, f)
            for f in (
                "object_size",
                "size",
                "align",
                "offset",
                "inuse",
                "red_left_pad",
                "order",
                "objects",
                "min_order",
                "min_objects",
                "min_partial",
                "cpu_partial",
                "cpu_partial_slabs",
                "sheaf_capacity",
                "useroffset",
                "usersize",
                "flags",
            )
        }
    )
    d["flags_names"] = k.flags.format(s.flags)
    d["refcount"] = s.refcount
    d["ctor"] = s.ctor is not None
    d["sysfs_name"] = s.name if k.unmergeable(s) else k.unique_id(s)
    d["aliases"] = list(s.alias_names)
    return d


def slot_regions(k: SlubKernel, s: SlubCache) -> list[tuple[int, int, str]]:
    """One object slot as calculate_sizes() lays it out (offsets from the slot start):
    left red zone, object (+ slack and right red zone up to inuse), free pointer,
    tracks, original kmalloc size, padding."""
    p = k.params
    word = p.word
    left = s.red_left_pad
    regions: list[tuple[int, int, str]] = []
    if left:
        regions.append((0, left, "left red zone"))
    regions.append((left, left + s.object_size, "object"))
    if s.inuse > s.object_size:
        regions.append((left + s.object_size, left + s.inuse, "slack / right red zone"))
    fp = left + s.offset
    outside = s.offset >= s.inuse
    if outside:
        regions.append((fp, fp + word, "free pointer"))
    cursor = left + s.inuse + (word if outside else 0)
    if s.flags & k.flags["SLAB_STORE_USER"]:
        regions.append((cursor, cursor + 2 * p.track_size, "alloc + free tracks"))
        cursor += 2 * p.track_size
        if s.flags & k.flags["SLAB_KMALLOC"]:
            regions.append((cursor, cursor + p.orig_size_size, "kmalloc original size"))
            cursor += p.orig_size_size
    if cursor < s.size:
        regions.append((cursor, s.size, "padding (red zone pad word, alignment)"))
    return regions


def picture(k: SlubKernel, s: SlubCache) -> str:
    page = k.config.page_size
    slab = page << s.order
    lines = [
        f"one slab: {slab} bytes (order {s.order}), {s.objects} objects of {s.size} "
        f"bytes from offset 0, {slab - s.objects * s.size} bytes left over"
    ]
    shown = sorted({0, 1, s.objects - 1} & set(range(s.objects)))
    for i in shown:
        if i == shown[-1] and i > 2:
            lines.append(f"  {'...':>15}  objects 2..{s.objects - 2}")
        lines.append(f"  {i * s.size:#08x}-{(i + 1) * s.size - 1:#08x}  object {i}")
    inside = "inside the object" if s.offset < s.inuse else "after the object"
    lines.append(f"inside each slot (free pointer {inside}, at object + {s.offset}):")
    for start, end, what in slot_regions(k, s):
        lines.append(f"  +{start:<6} {what:<40} {end - start:>6} bytes")
    return "\n".join(lines)
