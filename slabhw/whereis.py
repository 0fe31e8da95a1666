"""``slabhw whereis``: where objects of a type (or a size) land on a modelled kernel.

A type's size comes from BTF (slabhw.btf): ``--btf FILE`` (raw BTF, a vmlinux, or a
kernel image), else the running kernel's /sys/kernel/btf/vmlinux when the version
asked for is the running kernel's line.  Two ways an object reaches a slab:

* its own cache, as ``KMEM_CACHE(type, flags)`` creates it (mm/slab_common.c
  kmem_cache_create with the type's name, sizeof and __alignof__): the cache's
  geometry, or the existing cache it merges into (find_mergeable) and who else is in
  it.  The simulated kernel holds the caches it creates at boot (the boot and kmalloc
  caches): a merge with a cache created later in a real boot is not seen here.
* ``kmalloc(size, gfp)``: the kmalloc cache of each GFP type the version has
  (kmalloc_slab, kmalloc_type), with its geometry.

``--flex N`` adds N elements of a flexible array tail (struct_size()).  BTF knows no
``__aligned(N)``: the alignment used is the natural one, a lower bound (``--align``
overrides).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import btf, kconfig
from . import catalogue as cat
from .allocators import AllocatorKernel, allocator_of
from .creation import Creation
from .crosscheck import merge_targets
from .errors import InputError, KernelError
from .parse import parse_uint
from .textio import shown
from .versions import get_preset

# GFP types, in kmalloc_type()'s terms (slab_common): GFP_KERNEL, __GFP_ACCOUNT,
# __GFP_RECLAIMABLE, GFP_DMA
GFP_TYPES = (
    ("", "GFP_KERNEL"),
    ("account", "__GFP_ACCOUNT"),
    ("reclaimable", "__GFP_RECLAIMABLE"),
    ("dma", "GFP_DMA"),
)


@dataclass(frozen=True)
class Subject:
    """What is placed: a type (from BTF) or a bare size."""

    name: str  # "struct cred", or "" for a bare size
    size: int  # sizeof, with --flex elements of the flexible tail
    align: int  # __alignof__ (natural: a lower bound), or --align
    flex_elem: int | None
    source: str  # where the size came from
    align_given: bool = False  # --align, not the natural alignment
    index: btf.Btf | None = None  # the BTF it was read from (sizes of other types)


def running_release() -> tuple[str, str | None]:
    """The running kernel's release and /proc/version banner."""
    banner = None
    try:
        banner = Path("/proc/version").read_text()
    except OSError:
        pass
    return os.uname().release, banner


def subject(what: str, version: str, btf_path: str | None, flex: int, align: int | None) -> Subject:
    """A size (``"184"``) or a type (``"cred"``, ``"struct cred"``) resolved by BTF."""
    text = what.strip()
    if re.fullmatch(r"0[xX][0-9a-fA-F]+|[0-9]+", text):
        if flex:
            raise InputError("--flex needs a type with a flexible array, not a size")
        return Subject("", parse_uint(text, "size"), align or 0, None, "given")
    if btf_path is None:
        release, banner = running_release()
        try:
            same_line = get_preset(kconfig.version_of_release(release, banner)).name == (
                get_preset(version).name
            )
        except InputError:  # the running kernel is no modelled version
            same_line = False
        if not same_line or not btf.RUNNING.exists():
            raise InputError(
                f"the size of {shown(text)} on {version} needs --btf FILE "
                "(a vmlinux, a kernel image "
                f"or a BTF file of that kernel); the running kernel is {release}"
            )
        btf_path = str(btf.RUNNING)
    index = btf.load(btf_path)
    info = index.struct(text)
    size = info.size
    if flex:
        if info.flex_elem is None:
            raise InputError(f"{info.kind} {info.name} has no flexible array at its end")
        size += flex * info.flex_elem
    return Subject(
        f"{info.kind} {info.name}",
        size,
        align if align is not None else info.align,
        info.flex_elem,
        btf_path,
        align_given=align is not None,
        index=index,
    )


def geometry(kernel: AllocatorKernel, cache: Any) -> dict[str, Any]:
    """The numbers people ask of a cache, from the allocator's own descriptor view."""
    d = allocator_of(kernel.config).views.descriptor(kernel, cache)
    keep = (
        "name",
        "object_size",
        "size",
        "align",
        "objects",
        "num",
        "order",
        "gfporder",
        "offset",
        "cpu_partial",
        "cpu_partial_slabs",
        "sysfs_name",
        "aliases",
    )
    return {k: d[k] for k in keep if k in d}


def place(
    kernel: AllocatorKernel,
    what: Subject,
    *,
    flags: int | str,
    ctor: bool,
    caller: int | None,
    gfps: tuple[str, ...] | None,
    usercopy: tuple[int, int] | None = None,
    via: str = "both",
) -> dict[str, Any]:
    """Where ``what`` lands: its own cache (KMEM_CACHE, or KMEM_CACHE_USERCOPY with
    ``usercopy`` = (useroffset, usersize)) when it is a type, and the kmalloc cache of
    each GFP type; ``via`` "cache" or "kmalloc" keeps one of the two."""
    out: dict[str, Any] = {
        "kernel": f"{kernel.config.version} {kernel.config.arch.name}",
        "type": what.name or None,
        "size": what.size,
        "align": what.align,
        "align_from": "--align" if what.align_given else "natural (a lower bound)",
        "flex_elem": what.flex_elem,
        "btf": what.source if what.name else None,
    }
    useroffset, usersize = usercopy or (0, 0)
    if usersize and useroffset + usersize > what.size:
        raise InputError(
            f"--usercopy {useroffset},{usersize} reaches past the {what.size}-byte object"
        )
    if usercopy is not None:
        out["usercopy"] = {"useroffset": useroffset, "usersize": usersize}
    if what.name and via != "kmalloc":
        cache_name = what.name.split(" ", 1)[1]
        try:
            cache = kernel.kmem_cache_create(
                cache_name,
                what.size,
                what.align,
                flags,
                (lambda obj: None) if ctor else None,
                useroffset=useroffset,
                usersize=usersize,
            )
        except KernelError as exc:
            out["kmem_cache"] = {"error": exc.message}
        else:
            if cache is None:
                out["kmem_cache"] = {"error": "; ".join(kernel.log[-1:]) or "creation failed"}
            else:
                g = geometry(kernel, cache)
                merged = cache.name != cache_name
                out["kmem_cache"] = {
                    "name": cache_name,
                    "merged_into": cache.name if merged else None,
                    "co_tenants": [
                        n for n in [cache.name, *g.get("aliases", [])] if n != cache_name
                    ]
                    if merged
                    else [],
                    "cache": g,
                }
                if not merged and not _unmergeable(kernel, cache):
                    out["kmem_cache"]["catalogue"] = catalogue_tenants(
                        kernel, what, cache_name, flags
                    )
                elif not merged:
                    out["kmem_cache"]["catalogue"] = {
                        "unique_id": None,
                        "co_tenants": [],
                        "why": "slab_unmergeable(): never merged (a usercopy region, a "
                        "constructor, or a SLAB_NEVER_MERGE flag)",
                    }
    kernel.kmalloc_slab(what.size)  # a size the target cannot hold is the user's error
    rows: list[dict[str, Any]] = []
    for gfp, label in GFP_TYPES if via != "cache" else ():
        if gfps is not None and gfp not in gfps:
            continue
        try:
            choice = kernel.kmalloc_slab(what.size, gfp, caller)
        except InputError:
            continue  # a GFP type the version does not have
        # the allocator's own kmalloc view says what a size without a cache gets
        view, _, _ = allocator_of(kernel.config).views.kmalloc_view(kernel, what.size, gfp, choice)
        row: dict[str, Any] = {"gfp": label, "cache": view["result"]}
        if view.get("cache"):
            row["geometry"] = geometry(kernel, choice)
        rows.append(row)
    out["kmalloc"] = rows
    return out


def seen(snap: dict[str, Any], cache_name: str) -> dict[str, Any]:
    """Where a real kernel (a snapshot) keeps the cache ``cache_name``: its sysfs
    directory (its own name, or the :id it was merged into), the other names linked
    to it, and its geometry as sysfs shows it."""
    caches: dict[str, Any] = snap.get("caches") or {}
    aliases: dict[str, str] = snap.get("aliases") or {}
    target = aliases.get(cache_name, cache_name if cache_name in caches else None)
    if target is None or target not in caches:
        return {"cache": None}
    attrs = caches[target]["attributes"]

    def number(key: str) -> int | None:
        text = attrs.get(key)
        return int(text.split()[0]) if text else None

    return {
        "cache": target,
        "co_tenants": sorted(n for n, t in aliases.items() if t == target and n != cache_name),
        "object_size": number("object_size"),
        "size": number("slab_size"),
        "objects": number("objs_per_slab"),
        "order": number("order"),
    }


def compare(data: dict[str, Any], snap: dict[str, Any]) -> None:
    """Add what the real kernel shows of the KMEM_CACHE cache, and whether the model's
    placement agrees (same own-or-merged answer, same geometry)."""
    kc = data.get("kmem_cache")
    if not kc or "error" in kc:
        return
    real = seen(snap, kc["name"])
    g = kc["cache"]
    if real["cache"] is None:
        real["agrees"] = None
    else:
        tenants = kc.get("catalogue") or {}
        predicted = kc["merged_into"] or (
            tenants.get("unique_id") if tenants.get("co_tenants") else None
        )
        merged = real["cache"] != kc["name"]
        same_place = real["cache"] == predicted if merged else predicted is None
        real["agrees"] = same_place and all(
            real[k] is None or real[k] == g.get(k) for k in ("size", "objects", "order")
        )
    kc["seen"] = real


def _unmergeable(kernel: AllocatorKernel, cache: Any) -> bool:
    test = getattr(kernel, "unmergeable", None)  # SLAB (3.16) does not merge
    return test is None or bool(test(cache))


def catalogue_tenants(
    kernel: AllocatorKernel, what: Subject, cache_name: str, flags: int | str
) -> dict[str, Any] | None:
    """The caches of the version's catalogue (the creation calls of a real boot's merged
    caches, crosscheck's merge predictions) that find_mergeable would put in the same
    cache as KMEM_CACHE(type): the unique id and their names; None when the version
    has no catalogue of merged caches."""
    cfg = kernel.config
    creations = cat.creations_for(cfg.preset)
    if not creations or len(creations) < 20:  # only sized families: no real answer
        return None
    names = cfg.flags.format(cfg.flags.parse(flags))
    mine = Creation(  # the size is known (with any --flex tail): no lookup
        size=what.size,
        align=what.align,
        flags=tuple(n for n in names.split("|") if n.startswith("SLAB_")),
    )
    targets = merge_targets(cfg, {**creations, cache_name: mine}, what.index)
    target, why = targets.pop(cache_name)
    if target is None:
        return {"unique_id": None, "why": why, "co_tenants": []}
    tenants = sorted(n for n, (t, _) in targets.items() if t == target)
    return {"unique_id": target, "co_tenants": tenants}


def render(data: dict[str, Any]) -> str:
    """The table people read."""
    if data["type"]:
        head = (
            f"{data['type']} on Linux {data['kernel']}: size {data['size']}, align "
            f"{data['align']} ({data['align_from']}; BTF from {data['btf']})"
        )
    else:
        head = f"a {data['size']}-byte object on Linux {data['kernel']}"
    lines = [head]
    if data["flex_elem"]:
        lines.append(f"  flexible array tail: {data['flex_elem']}-byte elements (--flex N)")
    kc = data.get("kmem_cache")
    if kc:
        if "error" in kc:
            lines.append(f"KMEM_CACHE: fails: {kc['error']}")
        else:
            g = kc["cache"]
            tenants = kc.get("catalogue")
            if kc["merged_into"]:
                where = (
                    f"merged into {kc['merged_into']} ({g.get('sysfs_name')}), with "
                    f"{', '.join(kc['co_tenants']) or 'no other'}"
                )
            elif tenants and tenants["co_tenants"]:
                where = (
                    f"merged into {tenants['unique_id']} with {', '.join(tenants['co_tenants'])}"
                    " (by the creation calls of this version's merged caches in slabhw's "
                    "catalogue)"
                )
            elif tenants and tenants["unique_id"]:
                where = (
                    f"its own cache {kc['name']!r} ({tenants['unique_id']}: no catalogued "
                    "cache shares it)"
                )
            else:
                where = f"its own cache {kc['name']!r}"
            lines.append(f"KMEM_CACHE({kc['name']}): {where}")
            lines.append("  " + _geometry_text(g))
            if tenants is None:
                lines.append("  (merges with caches created after boot are not modelled yet)")
            elif not tenants["unique_id"]:
                lines.append(f"  ({tenants['why']})")
            real = kc.get("seen")
            if real is not None:
                lines.append("  " + _seen_text(kc["name"], real))
    if data["kmalloc"]:
        lines.append("kmalloc:")
    for row in data["kmalloc"]:
        if "geometry" in row:
            lines.append(f"  {row['gfp']:<18} {row['cache']:<20} {_geometry_text(row['geometry'])}")
        else:  # ZERO_SIZE_PTR, the page allocator, or NULL
            lines.append(f"  {row['gfp']:<18} {row['cache']}")
    return "\n".join(lines)


def _seen_text(name: str, real: dict[str, Any]) -> str:
    if real["cache"] is None:
        return f"the real kernel has no cache called {shown(name)}"
    where = "its own cache" if real["cache"] == name else f"merged into {real['cache']}"
    others = ", ".join(real["co_tenants"]) or "no other name"
    verdict = "agrees" if real["agrees"] else "differs"
    return (
        f"the real kernel: {where} (with {others}), slab_size {real['size']}, "
        f"{real['objects']} objects per order-{real['order']} slab: the model {verdict}"
    )


def _geometry_text(g: dict[str, Any]) -> str:
    objects = g.get("objects", g.get("num"))
    order = g.get("order", g.get("gfporder"))
    text = f"slab_size {g['size']}, {objects} objects per order-{order} slab"
    if "offset" in g:
        text += f", free pointer at +{g['offset']}"
    if "cpu_partial" in g:
        text += f", cpu_partial {g['cpu_partial']}"
    return text
