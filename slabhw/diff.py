"""Two kernels (or two configurations of one) side by side: for every object size of a
range, what kmem_cache_create makes of it and which kmalloc cache serves it, and how
their boot caches differ; the sizes where anything changes, as ranges.

Both sides are computed by the same code as everything else (``sweep`` for the
caches a size would get, ``kmalloc_slab`` on each booted kernel), so a difference
here is a difference between the kernels' rules, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .allocators import allocator_of
from .config import KernelConfig
from .errors import InputError, outcome_name
from .parse import parse_uint
from .slab_common import ZeroSizePtr
from .sweep import sweep
from .textio import shown

MAX_SIZES = 1 << 22  # sizes in one diff: 4 Mi rows per side

# what a range compares, per side: the new cache's slab size, objects, order (and its
# error) and per-CPU caching (SLUB's cpu_partial objects and sheaf capacity: 0 where
# the version has none), and the kmalloc cache's name, slab size, objects and order
CREATE_FIELDS = ("size", "objs_per_slab", "order", "error", "cpu_partial", "sheaf_capacity")
KMALLOC_FIELDS = ("cache", "size", "objs_per_slab", "order")


def size_range(text: str) -> range:
    """``LO:HI[:STEP]``, inclusive, as a range (at most MAX_SIZES sizes)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InputError(f"--sizes {shown(text)} is not LO:HI or LO:HI:STEP")
    lo, hi = (parse_uint(p, "--sizes", bits=32) for p in parts[:2])
    step = parse_uint(parts[2], "--sizes step", bits=32) if len(parts) == 3 else 1
    if step == 0 or hi < lo:
        raise InputError(f"--sizes {shown(text)}: need LO <= HI and a step above 0")
    sizes = range(lo, hi + 1, step)
    if len(sizes) > MAX_SIZES:
        raise InputError(f"--sizes {shown(text)} gives {len(sizes)} sizes; at most {MAX_SIZES}")
    return sizes


def parse_sizes(text: str) -> np.ndarray[Any, Any]:
    """``size_range(text)`` as uint64 sizes."""
    r = size_range(text)
    return np.arange(r.start, r.stop, r.step, dtype=np.uint64)


@dataclass
class Side:
    """One kernel of the comparison: its configuration, the caches each size would
    get, and the kmalloc cache each size is served from."""

    config: KernelConfig
    create: dict[str, np.ndarray[Any, Any]]
    kmalloc: dict[str, np.ndarray[Any, Any]]
    # name -> object_size, size, objs, order, sheaf capacity (0: none)
    boot: dict[str, tuple[int, int, int, int, int]]


def compute(config: KernelConfig, sizes: np.ndarray[Any, Any], align: int, flags: int) -> Side:
    r = sweep(sizes, align, flags, config=config)
    none = np.zeros(len(sizes), dtype=np.int64)
    create = {
        "size": r["size"],
        "objs_per_slab": r["objs_per_slab" if "objs_per_slab" in r.keys() else "num"],
        "order": r["order" if "order" in r.keys() else "gfporder"],
        "error": r["error"],
        "cpu_partial": r["cpu_partial"] if "cpu_partial" in r.keys() else none,
        "sheaf_capacity": r["sheaf_capacity"] if "sheaf_capacity" in r.keys() else none,
    }
    kernel = allocator_of(config).boot(config)
    names = np.empty(len(sizes), dtype=object)
    geometry = np.zeros((len(sizes), 3), dtype=np.int64)
    memo: dict[int, tuple[str, int, int, int]] = {}
    for i, size in enumerate(sizes.tolist()):
        cache = kernel.kmalloc_slab(size)
        key = id(cache)
        if key not in memo:
            if cache is None:
                memo[key] = ("(page allocator)", 0, 0, 0)
            elif isinstance(cache, ZeroSizePtr):
                memo[key] = ("ZERO_SIZE_PTR", 0, 0, 0)
            else:
                memo[key] = (cache.name, cache.size, cache.objects, cache.order)
        name, *geo = memo[key]
        names[i] = name
        geometry[i] = geo
    kmalloc = {
        "cache": names,
        "size": geometry[:, 0],
        "objs_per_slab": geometry[:, 1],
        "order": geometry[:, 2],
    }
    boot = {
        c.name: (c.object_size, c.size, c.objects, c.order, getattr(c, "sheaf_capacity", 0))
        for c in kernel.slab_caches
    }
    return Side(config, create, kmalloc, boot)


def _ranges(
    sizes: np.ndarray[Any, Any],
    a: dict[str, np.ndarray[Any, Any]],
    b: dict[str, np.ndarray[Any, Any]],
    fields: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Runs of consecutive sizes that differ in the same way: the same fields differ,
    each with the same pair of values (fields that agree may vary along the run, as
    the slab size grows with the object).  Each run: ``{"from", "to", "sizes",
    "changed", "a", "b"}`` with the values at its first size."""
    n = len(sizes)
    if n == 0:
        return []
    differs = np.zeros(n, dtype=bool)
    change = np.zeros(n, dtype=bool)  # a new run starts here
    change[0] = True
    for f in fields:
        d = a[f] != b[f]
        differs |= d
        for side in (a[f], b[f]):
            # the value where the field differs, a fixed marker where it agrees
            agree: Any = None if side.dtype == object else -(2**62)
            key = np.where(d, side, agree)
            change[1:] |= key[1:] != key[:-1]
    change[1:] |= differs[1:] != differs[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:] - 1, n - 1)
    out = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if not differs[s]:
            continue
        va = {f: _plain(a[f][s]) for f in fields}
        vb = {f: _plain(b[f][s]) for f in fields}
        out.append(
            {
                "from": int(sizes[s]),
                "to": int(sizes[e]),
                "sizes": e - s + 1,
                "changed": [f for f in fields if va[f] != vb[f]],
                "a": va,
                "b": vb,
            }
        )
    return out


def _plain(value: Any) -> Any:
    return value if isinstance(value, str) else int(value)


def diff(a: Side, b: Side, sizes: np.ndarray[Any, Any]) -> dict[str, Any]:
    """The comparison of two sides over ``sizes``: summary, ranges, boot caches."""
    create = _ranges(sizes, a.create, b.create, CREATE_FIELDS)
    kmalloc = _ranges(sizes, a.kmalloc, b.kmalloc, KMALLOC_FIELDS)
    summary: dict[str, Any] = {"sizes": len(sizes)}
    for prefix, side_a, side_b, fields in (
        ("create", a.create, b.create, CREATE_FIELDS),
        ("kmalloc", a.kmalloc, b.kmalloc, KMALLOC_FIELDS),
    ):
        for f in fields:
            summary[f"{prefix}_{f}_differs"] = int(np.count_nonzero(side_a[f] != side_b[f]))
    only_a = sorted(set(a.boot) - set(b.boot))
    only_b = sorted(set(b.boot) - set(a.boot))
    changed = {
        name: {"a": list(a.boot[name]), "b": list(b.boot[name])}
        for name in sorted(set(a.boot) & set(b.boot))
        if a.boot[name] != b.boot[name]
    }
    return {
        "a": a.config.describe(),
        "b": b.config.describe(),
        "summary": summary,
        "create_ranges": create,
        "kmalloc_ranges": kmalloc,
        "boot_caches": {
            "only_a": only_a,
            "only_b": only_b,
            "changed": changed,
            "fields": ["object_size", "size", "objs_per_slab", "order", "sheaf_capacity"],
        },
    }


def _label(config: KernelConfig, other: KernelConfig) -> str:
    """Version, arch and CPUs, then each setting where ``other`` differs (a switch,
    a boot option, slab_debug), as name=value."""
    mine, theirs = _settings(config), _settings(other)
    extra = [f"{k}={v}" for k, v in mine.items() if theirs.get(k) != v]
    return " ".join([config.version, config.arch.name, f"{config.nr_cpus} CPUs", *extra])


def _settings(config: KernelConfig) -> dict[str, Any]:
    """describe()'s settings, the switches among them, without the flag table."""
    d = config.describe()
    skip = {"kernel", "arch", "nr_cpus", "flags", "switches"}
    return {**{k: v for k, v in d.items() if k not in skip}, **d.get("switches", {})}


def _change(r: dict[str, Any]) -> str:
    """What changes over a range: ``field a -> b`` for each field that differs."""
    names = {"objs_per_slab": "objs", "error": "outcome"}
    parts = []
    for f in r["changed"]:
        va, vb = r["a"][f], r["b"][f]
        if f == "error":
            va, vb = outcome_name(va), outcome_name(vb)
        parts.append(f"{names.get(f, f)} {va} -> {vb}")
    return ", ".join(parts)


def render(data: dict[str, Any], a: KernelConfig, b: KernelConfig, limit: int = 40) -> str:
    """The comparison for people: a summary, then the ranges that differ (the first
    ``limit`` of each table), then the boot caches."""
    s = data["summary"]
    lines = [
        f"a: {_label(a, b)}",
        f"b: {_label(b, a)}",
        f"{s['sizes']} object sizes compared",
        "kmem_cache_create (a new cache of each size): "
        f"slab size differs for {s['create_size_differs']}, objects per slab for "
        f"{s['create_objs_per_slab_differs']}, order for {s['create_order_differs']}, "
        f"outcome for {s['create_error_differs']}, cpu_partial for "
        f"{s['create_cpu_partial_differs']}, sheaf capacity for "
        f"{s['create_sheaf_capacity_differs']}",
        "kmalloc (the cache serving each size): "
        f"cache differs for {s['kmalloc_cache_differs']}, slab size for "
        f"{s['kmalloc_size_differs']}, objects per slab for "
        f"{s['kmalloc_objs_per_slab_differs']}, order for {s['kmalloc_order_differs']}",
    ]
    for title, key in (
        ("kmem_cache_create", "create_ranges"),
        ("kmalloc", "kmalloc_ranges"),
    ):
        ranges = data[key]
        lines.append("")
        lines.append(f"{title}: {len(ranges)} ranges of sizes differ (a -> b)")
        for r in ranges[:limit]:
            span = f"{r['from']}" if r["from"] == r["to"] else f"{r['from']}-{r['to']}"
            lines.append(f"  {span:>13}  {_change(r)}")
        if len(ranges) > limit:
            lines.append(f"  ... {len(ranges) - limit} more (--json has them all)")
    boot = data["boot_caches"]
    lines.append("")
    lines.append(
        f"boot caches: {len(boot['only_a'])} only in a, {len(boot['only_b'])} only in b, "
        f"{len(boot['changed'])} with another geometry (object_size size objs order sheaf)"
    )
    for name in boot["only_a"][:limit]:
        lines.append(f"  - {name}")
    for name in boot["only_b"][:limit]:
        lines.append(f"  + {name}")
    for name, ab in list(boot["changed"].items())[:limit]:
        lines.append(f"  ~ {name}: {' '.join(map(str, ab['a']))} -> {' '.join(map(str, ab['b']))}")
    return "\n".join(lines)
