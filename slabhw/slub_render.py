"""Text and JSON views of SLUB caches for the command line: the descriptor, a
picture of one slab, the inside of one object slot, and the views of ``create`` and
``kmalloc``."""

from __future__ import annotations

from typing import Any

from . import slabinfo
from .errors import InputError
from .slab_common import ZeroSizePtr
from .slub import SlubCache, SlubKernel
from .versions.rules import SetCpuPartial


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
    # fields the version's struct kmem_cache lacks: cpu_partial_slabs came with the
    # per-CPU partial lists counted in slabs (5.16), sheaf_capacity with sheaves (6.18)
    r = k.config.rules
    if "slub_cpu_partial" not in k.config.preset.switches:  # 7.0: no such fields
        del d["cpu_partial"]
    if r.set_cpu_partial != SetCpuPartial.SLABS_V5_16 or "cpu_partial" not in d:
        del d["cpu_partial_slabs"]
    if not r.has_sheaves:
        del d["sheaf_capacity"]
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


def create_view(
    kernel: SlubKernel, cache: SlubCache, name: str, request: str, colour: int | None = None
) -> tuple[dict[str, Any], str]:
    """What ``slabhw create`` shows of a new (or merged) cache: (JSON data, text).
    ``name`` is the name asked for, ``request`` the kmem_cache_create call as text."""
    cfg = kernel.config
    if colour is not None:
        raise InputError(f"--colour: SLUB ({cfg.version}) does not colour its slabs")
    d = descriptor(kernel, cache)
    line = slabinfo.row(cache.name, 0, 0, cache.size, cache.objects, 1 << cache.order)
    merged = cache.name != name
    data = {
        "config": cfg.describe(),
        "cache": d,
        "merged_into": cache.name if merged else None,
        "slot": [{"start": a, "end": b, "what": w} for a, b, w in slot_regions(kernel, cache)],
        "sysfs": kernel.sysfs_attributes(cache),
        "slabinfo": line,
    }
    head = f"{request} on Linux {cfg.version} {cfg.arch.name}"
    if merged:
        head += f"\nmerged into the existing cache {cache.name!r} ({d['sysfs_name']})"
    rows = "\n".join(f"  {key:<18} {value}" for key, value in d.items())
    text = "\n".join(
        [
            head,
            "struct kmem_cache {",
            rows,
            "}",
            picture(kernel, cache),
            f"/sys/kernel/slab/{d['sysfs_name']}/",
            "/proc/slabinfo:",
            slabinfo.header(False) + line,
        ]
    )
    return data, text


def kmalloc_view(
    kernel: SlubKernel, size: int, gfp: str, choice: Any
) -> tuple[dict[str, Any], str, int]:
    """What ``slabhw kmalloc`` shows: (JSON data, text, exit status)."""
    cfg = kernel.config
    roundup = cfg.rules.kmalloc_size_roundup.value != 0
    if isinstance(choice, ZeroSizePtr):
        data: dict[str, Any] = {"size": 0, "result": "ZERO_SIZE_PTR", "cache": None}
        return data, "kmalloc(0) returns ZERO_SIZE_PTR (0x10): no cache", 0
    if choice is None:
        big = size > (1 << (cfg.arch.max_page_order + cfg.arch.page_shift))
        data = {"size": size, "result": "NULL" if big else "page allocator", "cache": None}
        if big:
            return data, f"kmalloc({size}) fails: above KMALLOC_MAX_SIZE", 1
        text = f"kmalloc({size}) goes to the page allocator"
        if roundup:
            data["kmalloc_size_roundup"] = kernel.kmalloc_size_roundup(size)
            text += f": {data['kmalloc_size_roundup']} bytes (kmalloc_size_roundup)"
        return data, text, 0
    d = descriptor(kernel, choice)
    data = {"size": size, "result": choice.name, "cache": d}
    if roundup:
        data["kmalloc_size_roundup"] = kernel.kmalloc_size_roundup(size)
    text = "\n".join(
        [
            f"kmalloc({size}{', ' + gfp if gfp else ''}) -> {choice.name} "
            f"(object_size {choice.object_size}, slab_size {choice.size}, "
            f"align {choice.align})",
            picture(kernel, choice),
        ]
    )
    return data, text, 0
