"""mm/slab_common.c: what both allocators share, for every version.

The kmalloc caches (their types, creation order, names, which type a GFP mask
picks, ``kmalloc_size_roundup``), merging (``slab_unmergeable``,
``find_mergeable``, the sysfs unique id) and the report of a failed
``kmem_cache_create``.  Version differences come from the preset's rules
(slabhw.versions.rules); the kmalloc index arithmetic is in the C core
(``_core.kmalloc_*``) with its twin in slabhw.reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from . import _core, errors
from . import reference as ref
from . import reference_slub as rs
from .config import KernelConfig
from .errors import InputError, KernelPanic, c_str
from .flags import FlagTable
from .textio import shown
from .versions.rules import KmallocOrder, KmallocSizeRoundup, KmallocType

MERGE_SAME = ("SLAB_RECLAIM_ACCOUNT", "SLAB_CACHE_DMA", "SLAB_CACHE_DMA32", "SLAB_ACCOUNT")
# create_unique_id() (mm/slub.c): the letters, in order
ID_LETTERS = (
    ("SLAB_CACHE_DMA", "d"),
    ("SLAB_CACHE_DMA32", "D"),
    ("SLAB_RECLAIM_ACCOUNT", "a"),
    ("SLAB_CONSISTENCY_CHECKS", "F"),
    ("SLAB_ACCOUNT", "A"),
)

# enum kmalloc_cache_type: name prefix and flag of each type ("rnd-NN" copies are
# kmalloc-rnd-NN- with no flag of their own)
KMALLOC_TYPES: dict[str, tuple[str, str | None]] = {
    "normal": ("kmalloc-", None),
    "rcl": ("kmalloc-rcl-", "SLAB_RECLAIM_ACCOUNT"),
    "dma": ("dma-kmalloc-", "SLAB_CACHE_DMA"),
    "cg": ("kmalloc-cg-", "SLAB_ACCOUNT"),
}
RANDOM_KMALLOC_CACHES_NR = 15
ZERO_SIZE_PTR = 16  # include/linux/slab.h: kmalloc(0) returns (void *)16


class ZeroSizePtr:
    """What kmalloc_slab(0) answers: ZERO_SIZE_PTR, not a cache."""

    address = ZERO_SIZE_PTR

    def __repr__(self) -> str:
        return "ZERO_SIZE_PTR"


ZERO_SIZE = ZeroSizePtr()
GFP_KINDS = ("dma", "reclaimable", "account")  # GFP_DMA, __GFP_RECLAIMABLE, __GFP_ACCOUNT


class MergeCandidate(Protocol):
    """What slab_unmergeable()/find_mergeable() read of a cache."""

    refcount: int

    @property
    def flags(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def usersize(self) -> int: ...
    @property
    def sheaf_capacity(self) -> int: ...
    @property
    def ctor(self) -> Callable[[Any], None] | None: ...


M = TypeVar("M", bound=MergeCandidate)


# ---- names ---------------------------------------------------------------------------
def unique_id(flags: int, size: int, table: FlagTable) -> str:
    """create_unique_id() (mm/slub.c, the same in every version): ':' + flag letters
    [+ '-'] + %07u of the slab size."""
    letters = "".join(ch for name, ch in ID_LETTERS if flags & table.get(name))
    return ":" + letters + ("-" if letters else "") + f"{size:07d}"


def kmalloc_size_name(size: int) -> str:
    """The size part of kmalloc_info[] names: 96, 192, 8 ... 512, 1k ... 512k, 1M, 2M."""
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20}M"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10}k"
    return str(size)


def kmalloc_name(kind: str, size: int) -> str:
    """The name of the kmalloc cache of a type and size (kmalloc_info[].name[type])."""
    prefix = KMALLOC_TYPES[kind][0] if kind in KMALLOC_TYPES else f"kmalloc-{kind}-"
    return prefix + kmalloc_size_name(size)


# ---- which kmalloc caches exist, in which order ----------------------------------------
def kmalloc_types(config: KernelConfig) -> list[str]:
    """enum kmalloc_cache_type of the version, as this configuration has it: the
    types create_kmalloc_caches() makes, in its order (rnd expands to rnd-01..15)."""
    r = config.rules
    out: list[str] = []
    for kind in r.kmalloc_types:
        if kind == "rnd":
            if config.on("random_kmalloc_caches"):
                out += [f"rnd-{i:02d}" for i in range(1, RANDOM_KMALLOC_CACHES_NR + 1)]
        elif kind == "rcl":
            if not config.on("slub_tiny"):  # KMALLOC_RECLAIM = KMALLOC_NORMAL with TINY
                out.append(kind)
        elif kind == "dma":
            if config.has_zone_dma:
                out.append(kind)
        elif kind == "cg":
            if config.on("memcg"):
                out.append(kind)
        else:
            out.append(kind)
    return out


def kmalloc_indices(order: KmallocOrder, k: ref.KmallocParams, high: int) -> list[int]:
    """The kmalloc_caches[] indices one type's loop creates, in order: 1 is the
    96-byte cache, 2 the 192-byte one (when KMALLOC_MIN_SIZE allows them)."""
    low = k.shift_low
    has96, has192 = k.min_size <= 32, k.min_size <= 64
    if order == KmallocOrder.SMALL_FIRST_V6_10:
        return [1] * has96 + [2] * has192 + list(range(low, high + 1))
    out: list[int] = []
    for i in range(low, high + 1):
        out.append(i)
        if i == 6 and has96:
            out.append(1)
        if i == 7 and has192:
            out.append(2)
    return out


def dma_after_up_indices(created: Iterable[int]) -> list[int]:
    """The DMA loop that runs after slab_state = UP (<= 5.18): one cache for each
    existing normal index, in index order (96, 192, 8, 16, ...)."""
    return sorted(set(created))


# ---- kmalloc_type / kmalloc_size_roundup -----------------------------------------------
def kmalloc_type(config: KernelConfig, gfp: str, caller: int, seed: int) -> str:
    """kmalloc_type(): the type a GFP kind picks (``gfp`` one of GFP_KINDS or "").

    A bit outside KMALLOC_NOT_NORMAL_BITS (GFP_DMA without ZONE_DMA, __GFP_ACCOUNT
    without memcg or before kmalloc-cg) is a plain request.  Plain requests with
    RANDOM_KMALLOC_CACHES pick a copy by hash_64(caller ^ random_kmalloc_seed, 4)."""
    if gfp and gfp not in GFP_KINDS:
        raise InputError(f"unknown gfp kind {shown(gfp)} (choose from {', '.join(GFP_KINDS)})")
    rule = config.rules.kmalloc_type
    memcg = config.on("memcg") and rule != KmallocType.V4_20
    not_normal = {"reclaimable"} | ({"dma"} if config.has_zone_dma else set())
    not_normal |= {"account"} if memcg else set()
    if gfp not in not_normal:
        if rule == KmallocType.RANDOM_V6_6 and config.on("random_kmalloc_caches"):
            h = ((caller ^ seed) * 0x61C8864680B583EB) & (2**64 - 1)
            n = h >> (64 - 4)  # hash_64(caller ^ seed, ilog2(15 + 1))
            return "normal" if n == 0 else f"rnd-{n:02d}"
        return "normal"
    if gfp == "dma":
        return "dma"
    if not memcg or gfp == "reclaimable":
        return "normal" if config.on("slub_tiny") else "rcl"
    return "cg"


def ignored_gfp(config: KernelConfig, gfp: str) -> str | None:
    """Why kmalloc_type() serves a GFP kind from another type's caches in this
    configuration (None when it does not): the bit is outside KMALLOC_NOT_NORMAL_BITS."""
    if gfp == "dma" and not config.has_zone_dma:
        return "no CONFIG_ZONE_DMA: GFP_DMA picks no DMA cache, kmalloc serves the normal one"
    if gfp == "account" and kmalloc_type(config, gfp, 0, 0) != "cg":
        return (
            "__GFP_ACCOUNT has no kmalloc-cg caches here (CONFIG_MEMCG off, or before 5.14): "
            "kmalloc serves the normal one"
        )
    return None


def kmalloc_size_roundup(
    config: KernelConfig, size: int, object_size_of: Callable[[int], int]
) -> int:
    """kmalloc_size_roundup() (KmallocSizeRoundup); ``object_size_of(size)`` is the
    object size of the kmalloc cache serving a size up to KMALLOC_MAX_CACHE_SIZE."""
    rule = config.rules.kmalloc_size_roundup
    if rule == KmallocSizeRoundup.NONE:
        raise InputError(f"{config.version} has no kmalloc_size_roundup() (it came in 6.1)")
    top = 1 << config.slub_kmalloc_shift_high  # KMALLOC_MAX_CACHE_SIZE
    kmalloc_max = 1 << (config.arch.max_page_order + config.arch.page_shift)
    page = config.page_size
    order = rs.get_order(config.slub_params(), size) if size else 0
    ulong = (1 << config.arch.word_bits) - 1
    if rule == KmallocSizeRoundup.V6_1:
        if size == 0 or size == ulong:  # 0 and SIZE_MAX short-circuit
            return size
        if size > top:  # no upper bound: the shift may wrap in unsigned long
            return (page << order) & ulong
        return object_size_of(size)
    if size and size <= top:
        return object_size_of(size)
    if size and size <= kmalloc_max:
        return page << order
    return size


# ---- merging -----------------------------------------------------------------------------
def slab_unmergeable(config: KernelConfig, s: MergeCandidate) -> bool:
    """slab_unmergeable(): slab_nomerge, a NEVER_MERGE flag, a constructor, a
    usercopy window (dropped at creation where HARDENED_USERCOPY gates it), sheaves
    (6.18 only: from 7.0 a cache asking for them carries SLAB_NO_MERGE instead), or
    a reference count kept negative (boot caches; KMALLOC_NORMAL 5.14+)."""
    return bool(
        config.slab_nomerge
        or s.flags & config.never_merge_mask
        or s.ctor
        or s.usersize
        or (s.sheaf_capacity and not config.rules.has_mergeable_sheaves)
        or s.refcount < 0
    )


def find_mergeable(
    config: KernelConfig,
    caches: Sequence[M],
    size: int,
    align: int,
    flags: int,
    debug_flags: int,
    ctor: Callable[[Any], None] | None,
) -> M | None:
    """find_mergeable(): the oldest cache of the same final size and SLAB_MERGE_SAME
    flags (``caches`` is slab_caches, newest first; ``debug_flags`` what
    slab_debug= adds for this name, -1 none)."""
    if config.slab_nomerge or ctor is not None:
        return None
    p = config.slub_params()
    flags = rs.kmem_cache_flags(p, flags, debug_flags)
    if flags & config.never_merge_mask:
        return None
    word = config.bytes_per_word
    size = (size + word - 1) & ~(word - 1)
    a = _core.slub_calculate_alignment(p, flags, align, size)
    if a is None:
        raise errors.kernel_error_for(
            errors.HANG, "find_mergeable: calculate_alignment() never returns for size 0"
        )
    size = (size + a - 1) & ~(a - 1)
    same = config.flags.mask(MERGE_SAME)
    for s in reversed(caches):  # from the tail: oldest first
        if slab_unmergeable(config, s) or size > s.size:
            continue
        if (flags & same) != (s.flags & same):
            continue
        if s.size & (a - 1) or s.size - size >= word:
            continue
        return s
    return None


# ---- a failed kmem_cache_create ----------------------------------------------------------
def report_create_failure(
    log: list[str], function: str, name: str | None, err: int, panic: bool
) -> None:
    """What kmem_cache_create does with an error (every version): panic() with
    SLAB_PANIC, else a warning in ``log`` (the caller returns NULL).  ``function`` is
    the name the kernel prints (kmem_cache_create / __kmem_cache_create_args)."""
    name = c_str(name)
    if panic:
        raise KernelPanic(
            err,
            f"Kernel panic - not syncing: {function}: Failed to create slab '{name}'. Error -{err}",
        )
    log.append(f"{function}({name}) failed with error -{err}")
