"""Text and JSON views of SLAB (3.16) caches for the command line: the descriptor,
a picture of one slab, and the views of ``create`` and ``kmalloc``."""

from __future__ import annotations

from typing import Any

from . import slabinfo
from .config import KernelConfig
from .slab import KmemCache, Region, object_regions, slab_regions
from .slab_common import ZeroSizePtr
from .slab_kernel import SlabKernel


def _hex_range(r_start: int, r_end: int, width: int) -> str:
    return f"{r_start:#0{width}x}-{r_end - 1:#0{width}x}"


def slab_picture(cache: KmemCache, config: KernelConfig, colour_index: int = 0) -> str:
    """A text picture of one slab: colour area, freelist, objects, left-over."""
    slab_bytes = config.page_size << cache.gfporder
    regions = slab_regions(cache, config.page_size, colour_index)
    width = len(hex(slab_bytes - 1)) if slab_bytes > 1 else 3
    fc = cache.freelist_cache
    where_freelist = f"off-slab in {fc.name}" if cache.off_slab and fc else "on-slab"
    pages = 1 << cache.gfporder
    lines = [
        f"one slab: {slab_bytes} bytes (order {cache.gfporder}, {pages} page"
        f"{'s' if pages > 1 else ''}), colour {colour_index} of {max(cache.colour, 1)} "
        f"(colour_off {cache.colour_off}), freelist "
        f"{where_freelist}"
    ]
    objects = [r for r in regions if r.kind == "object"]
    shown = set(range(min(3, len(objects)))) | {len(objects) - 1}
    elided = False
    for r in regions:
        if r.kind == "object" and r.index not in shown:
            if not elided:
                lines.append(f"  {'...':>{2 * width + 1}}  objects 3..{len(objects) - 2}")
                elided = True
            continue
        label = {
            "colour": "colour padding",
            "freelist": "freelist",
            "unused": "left over",
            "object": f"object {r.index}",
        }[r.kind]
        detail = ""
        if r.kind == "freelist":
            idx = config.freelist_idx_size
            used = cache.num * idx
            detail = f"  ({cache.num} x {idx}-byte index"
            detail += (
                f", {r.end - r.start - used} bytes padding)" if r.end - r.start > used else ")"
            )
        elif r.kind == "object" and cache.size != cache.object_size:
            extra = cache.size - cache.object_size
            detail = f"  ({cache.object_size} bytes object + {extra} debug/padding)"
        lines.append(
            f"  {_hex_range(r.start, r.end, width)}  {label:<15} {r.end - r.start:>7} bytes{detail}"
        )
    red_zone = bool(cache.flags & config.flags["SLAB_RED_ZONE"])
    store_user = bool(cache.flags & config.flags["SLAB_STORE_USER"])
    if cache.obj_offset or red_zone or store_user:
        lines.append("inside each object slot:")
        for r in slot_regions(cache, config):
            lines.append(f"  +{r.start:<6} {r.kind:<11} {r.end - r.start:>6} bytes")
    return "\n".join(lines)


def slot_regions(cache: KmemCache, config: KernelConfig) -> list[Region]:
    """The inside of one object slot, with the cache's debug flags."""
    return object_regions(
        cache,
        config.bytes_per_word,
        config.redzone_align,
        red_zone=bool(cache.flags & config.flags["SLAB_RED_ZONE"]),
        store_user=bool(cache.flags & config.flags["SLAB_STORE_USER"]),
    )


def descriptor(kernel: SlabKernel, cache: KmemCache) -> dict[str, Any]:
    """Every field of the struct kmem_cache (the Views protocol's descriptor)."""
    return cache.descriptor()


def descriptor_text(cache: KmemCache, config: KernelConfig) -> str:
    d = cache.descriptor()
    rows = []
    for key, value in d.items():
        if key == "flags":
            value = f"{value:#x} ({config.flags.format(value)})"
        elif key == "allocflags":
            value = f"{value:#x}"
        elif key == "reciprocal_buffer_size":
            value = f"m={value['m']} sh1={value['sh1']} sh2={value['sh2']}"
        rows.append(f"  {key:<24} {value}")
    return "struct kmem_cache {\n" + "\n".join(rows) + "\n}"


def create_view(
    kernel: SlabKernel, cache: KmemCache, name: str, request: str, colour: int | None = None
) -> tuple[dict[str, Any], str]:
    """What ``slabhw create`` shows of a new cache: (JSON data, text).  ``name`` is
    the name asked for, ``request`` the kmem_cache_create call as text."""
    cfg = kernel.config
    line = slabinfo.cache_line(cache, cfg.on("debug_slab"))
    colour = colour or 0
    regions = slab_regions(cache, cfg.page_size, colour)
    data = {
        "config": cfg.describe(),
        "cache": cache.descriptor(),
        "flags_names": cfg.flags.format(cache.flags),
        "slab": [r.__dict__ for r in regions],
        "slot": [
            {"start": r.start, "end": r.end, "what": r.kind} for r in slot_regions(cache, cfg)
        ],
        "slabinfo": line.rstrip("\n"),
    }
    text = "\n".join(
        [
            f"{request} on Linux {cfg.version} {cfg.arch.name}",
            descriptor_text(cache, cfg),
            slab_picture(cache, cfg, colour),
            "/proc/slabinfo:",
            slabinfo.header(cfg.on("debug_slab")) + line,
        ]
    )
    return data, text


def kmalloc_view(
    kernel: SlabKernel, size: int, gfp: str, choice: Any
) -> tuple[dict[str, Any], str, int]:
    """What ``slabhw kmalloc`` shows: (JSON data, text, exit status)."""
    cfg = kernel.config
    if isinstance(choice, ZeroSizePtr):
        data: dict[str, Any] = {"size": size, "result": "ZERO_SIZE_PTR", "cache": None}
        return data, f"kmalloc({size}) returns ZERO_SIZE_PTR ({choice.address:#x}): no cache", 0
    if choice is None:  # the kernel fails the request: exit status 1
        data = {"size": size, "result": "NULL", "cache": None, "log": kernel.log}
        text = f"kmalloc({size}) returns NULL: above KMALLOC_MAX_SIZE ({cfg.kmalloc_max_size})\n"
        return data, text + "\n".join(kernel.log), 1
    data = {
        "size": size,
        "result": choice.name,
        "cache": choice.descriptor(),
        "kmalloc_index": kernel.kmalloc_index(size),
    }
    text = "\n".join(
        [
            f"kmalloc({size}{', GFP_DMA' if gfp == 'dma' else ''}) -> {choice.name} "
            f"(object_size {choice.object_size}, stride {choice.size}; "
            f"ksize() = {choice.object_size})",
            descriptor_text(choice, cfg),
            slab_picture(choice, cfg),
        ]
    )
    return data, text, 0
