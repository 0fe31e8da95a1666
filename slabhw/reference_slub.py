"""Pure-Python twin of csrc/slub.c: cache creation in the SLUB allocator of every
version slabhw models (mm/slab_common.c, mm/slub.c).

Where versions differ, ``SlubParams`` carries the rule (the enums of
slabhw.versions.rules, mirrored in csrc/slabhw.h).  SLUB keeps object sizes,
alignments, offsets in ``unsigned int`` and flags in the 32-bit ``slab_flags_t``,
so values are cut with ``u32()`` where C would wrap; ``get_order()`` takes an
``unsigned long`` of the target's width.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from . import errors
from . import reference as ref
from .reference import SITE_CALCULATE_ALIGNMENT, SITE_NONE, SITE_SANITY, _Outcome, fls, u32
from .versions.rules import (
    CalculateOrder,
    FreePointerOffset,
    FreePointerOutside,
    OrderCpus,
    SetCpuPartial,
)

SITE_FLAGS_PERMITTED = 7  # flags outside SLAB_FLAGS_PERMITTED: -EINVAL
SITE_FREEPTR_OFFSET = 8  # a bad kmem_cache_args.freeptr_offset: -EINVAL
SITE_CALCULATE_SIZES = 9  # calculate_sizes() returned 0: -EINVAL
SITE_CALCULATE_ORDER = 10  # order_objects() divides by a zero size

MAX_OBJS_PER_PAGE = 32767
OO_SHIFT = 16
OO_MASK = 0xFFFF


@dataclass(frozen=True)
class SlubParams:
    """One configured SLUB kernel of any version (struct slabhw_slub_params)."""

    word_bits: int
    page_shift: int
    cache_line_size: int
    arch_slab_minalign: int
    kmalloc_max_size: int
    max_page_order: int
    slub_min_order: int
    slub_max_order: int
    slub_min_objects: int
    nr_present_cpus: int
    nr_cpu_ids: int
    min_partial: int
    max_partial: int
    cpu_partial: int
    slub_debug: int
    slub_tiny: int
    debug_vm: int
    drop_usersize: int  # usersize dropped: no HARDENED_USERCOPY in a v6.2+ kernel
    track_size: int
    orig_size_size: int
    global_debug_flags: int
    disable_higher_order_debug: int
    flags_permitted: int
    create_mask: int  # CACHE_CREATE_MASK; all ones where there is none (v6.18)
    flag_debug_flags: int
    flag_red_zone: int
    flag_poison: int
    flag_kmalloc: int
    flag_hwcache_align: int
    flag_store_user: int
    flag_typesafe_by_rcu: int
    flag_noleaktrace: int  # 0 where SLAB_NOLEAKTRACE does not drop STORE_USER
    flag_no_user_flags: int
    flag_object_poison: int
    kasan_generic: int
    flag_kasan: int
    flag_no_merge: int
    kasan_alloc_meta_size: int
    kasan_free_meta_size: int
    debug_key: int  # slub_debug_enabled on from boot (slab_debug given)
    create_debug_key: int  # kmem_cache_create turns the key on (v5.14)
    sanity_min_size: int  # DEBUG_VM rejects smaller objects (0: no such check)
    calculate_order: CalculateOrder
    order_cpus: OrderCpus
    freeptr_inside: FreePointerOffset
    freeptr_outside: FreePointerOutside
    set_cpu_partial: SetCpuPartial
    # v7.0: calculate_sheaf_capacity() for every cache, by slot size (>= PAGE_SIZE,
    # >= 1024, >= 256, smaller), each already rounded up to a kmalloc bucket
    sheaf_auto: int = 0
    sheaf_capacity_page: int = 0
    sheaf_capacity_1k: int = 0
    sheaf_capacity_256: int = 0
    sheaf_capacity_small: int = 0
    sheaf_no_merge: int = 0  # an explicit sheaf_capacity adds SLAB_NO_MERGE (v7.0)
    flag_no_obj_ext: int = 0
    flag_obj_ext_in_obj: int = 0  # 0: not defined (before 7.0, 32-bit, no SLAB_OBJ_EXT)
    obj_ext_size: int = 8  # sizeof(struct slabobj_ext)
    flag_never_merge: int = 0  # SLAB_NEVER_MERGE
    flag_not_kmalloc_normal: int = 0  # SLAB_CACHE_DMA | SLAB_ACCOUNT | SLAB_RECLAIM_ACCOUNT
    slab_nomerge: int = 0

    @property
    def word(self) -> int:
        return self.word_bits // 8

    @property
    def page_size(self) -> int:
        return 1 << self.page_shift


@dataclass(frozen=True)
class SlubArgs:
    """One kmem_cache_create request (struct kmem_cache_args and the call's inputs)."""

    object_size: int
    align: int = 0
    flags: int = 0
    ctor: int = 0
    use_freeptr_offset: int = 0
    freeptr_offset: int = 0
    useroffset: int = 0
    usersize: int = 0
    sheaf_capacity: int = 0
    boot: int = 0  # create_boot_cache: ``align`` is the starting alignment, no checks
    debug_flags: int = -1  # slab_debug flags of a cache list naming this cache; -1 none
    debug_key: int = 0  # slub_debug_enabled turned on by an earlier cache


@dataclass
class SlubLayout:
    """What SLUB computes for one cache (struct slabhw_slub_cache); names follow
    struct kmem_cache and sysfs: ``size`` is slab_size, ``objects`` objs_per_slab."""

    error: int = 0
    site: int = SITE_NONE
    flags: int = 0
    object_size: int = 0
    size: int = 0
    align: int = 0
    offset: int = 0
    inuse: int = 0
    red_left_pad: int = 0
    order: int = 0
    objects: int = 0
    min_order: int = 0
    min_objects: int = 0
    min_partial: int = 0
    cpu_partial: int = 0
    cpu_partial_slabs: int = 0
    sheaf_capacity: int = 0
    useroffset: int = 0
    usersize: int = 0
    kasan_alloc_meta_offset: int = 0
    kasan_free_meta_offset: int = 0  # KASAN_NO_FREE_META (INT_MAX): none

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SLUB_PARAM_FIELDS = tuple(f.name for f in fields(SlubParams))
SLUB_ARG_FIELDS = tuple(f.name for f in fields(SlubArgs))
SLUB_LAYOUT_FIELDS = tuple(f.name for f in fields(SlubLayout))


def align32(x: int, a: int) -> int:
    """ALIGN(x, a) on unsigned int."""
    return u32(u32(x + u32(a - 1)) & ~u32(a - 1))


def get_order(p: SlubParams, size: int) -> int:
    """get_order(unsigned long size)."""
    return ref.get_order(size, p.page_shift, p.word_bits)


def order_objects(p: SlubParams, order: int, size: int) -> int:
    """order_objects(): objects of a slab of this order (integer division)."""
    if size == 0:
        raise _Outcome(errors.DIVIDE_ERROR, SITE_CALCULATE_ORDER)
    return u32(p.page_size << order) // size


def calculate_alignment(p: SlubParams, flags: int, align: int, size: int) -> int | None:
    """calculate_alignment() (mm/slab_common.c v6.18) in unsigned int; None: never
    returns (SLAB_HWCACHE_ALIGN with size 0)."""
    return ref.align_rule(
        u32(flags),
        u32(align),
        u32(size),
        hwcache_align=p.flag_hwcache_align,
        line=p.cache_line_size,
        minalign=p.arch_slab_minalign,
        word=p.word,
        bits=32,
    )


def calc_slab_order(p: SlubParams, size: int, min_order: int, max_order: int, fract: int) -> int:
    """calc_slab_order() / the loop of slab_order(): the first order from min_order
    whose left-over is at most 1/fract of the slab; max_order + 1 when there is none."""
    order = min_order
    while order <= max_order:
        slab_size = u32(p.page_size << order)
        if slab_size % size <= slab_size // fract:
            break
        order += 1
    return order


def default_min_objects(p: SlubParams) -> int:
    """min_objects from the CPU count (OrderCpus): 4 * (fls(cpus) + 1)."""
    nr_cpus = p.nr_cpu_ids
    if p.order_cpus == OrderCpus.PRESENT_V5_11 and p.nr_present_cpus > 1:
        nr_cpus = p.nr_present_cpus
    return 4 * (fls(nr_cpus) + 1)


def slab_order_v2_6_30(
    p: SlubParams, size: int, min_objects: int, max_order: int, fract: int
) -> int:
    """slab_order() of v2.6.30 .. 6.6: MAX_OBJS_PER_PAGE tested against slub_min_order
    on every call, then the search from max(slub_min_order, get_order(min_objects *
    size))."""
    if order_objects(p, p.slub_min_order, size) > MAX_OBJS_PER_PAGE:
        return get_order(p, u32(size * MAX_OBJS_PER_PAGE)) - 1
    start = max(p.slub_min_order, get_order(p, u32(min_objects * size)))
    return calc_slab_order(p, size, start, max_order, fract)


def calculate_order_v2_6_30(p: SlubParams, size: int) -> int:
    """calculate_order() of v2.6.30 .. 6.6; -1 stands for -ENOSYS."""
    top = p.slub_max_order
    min_objects = p.slub_min_objects or default_min_objects(p)
    min_objects = min(min_objects, order_objects(p, top, size))  # may be 0: no max(.., 1)
    while min_objects > 1:
        for fraction in (16, 8, 4):
            order = slab_order_v2_6_30(p, size, min_objects, top, fraction)
            if order <= top:
                return order
        min_objects -= 1
    # one object at any waste: up to slub_max_order, then up to MAX_ORDER (an
    # exclusive bound of MAX_PAGE_ORDER + 1 up to 6.3, inclusive MAX_PAGE_ORDER since)
    order = slab_order_v2_6_30(p, size, 1, top, 1)
    if order <= top:
        return order
    order = slab_order_v2_6_30(p, size, 1, p.max_page_order + 1, 1)
    return order if order <= p.max_page_order else -1


def calculate_order_v6_7(p: SlubParams, size: int) -> int:
    """calculate_order() of v6.7; -1 stands for -ENOSYS."""
    min_objects = p.slub_min_objects or default_min_objects(p)
    max_objects = max(order_objects(p, p.slub_max_order, size), 1)
    min_objects = min(min_objects, max_objects)
    min_order = max(p.slub_min_order, get_order(p, u32(min_objects * size)))
    if order_objects(p, min_order, size) > MAX_OBJS_PER_PAGE:
        return get_order(p, u32(size * MAX_OBJS_PER_PAGE)) - 1
    fraction = 16
    while fraction > 1:
        order = calc_slab_order(p, size, min_order, p.slub_max_order, fraction)
        if order <= p.slub_max_order:
            return order
        fraction //= 2
    order = get_order(p, size)
    return order if order <= p.max_page_order else -1


def calculate_order(p: SlubParams, size: int) -> int:
    """calculate_order() of the version (CalculateOrder); -1 stands for -ENOSYS."""
    if p.calculate_order == CalculateOrder.V6_7:
        return calculate_order_v6_7(p, size)
    return calculate_order_v2_6_30(p, size)


KASAN_NO_FREE_META = 0x7FFF_FFFF


def optimal_redzone(object_size: int) -> int:
    """optimal_redzone() (mm/kasan/generic.c v6.18)."""
    for limit, redzone in (
        (64 - 16, 16),
        (128 - 32, 32),
        (512 - 64, 64),
        (4096 - 128, 128),
        ((1 << 14) - 256, 256),
        ((1 << 15) - 512, 512),
        ((1 << 16) - 1024, 1024),
    ):
        if object_size <= limit:
            return redzone
    return 2048


def kasan_cache_create(p: SlubParams, a: SlubArgs, c: SlubLayout, size: int, debug_on: bool) -> int:
    """kasan_cache_create() (mm/kasan/generic.c v6.18): alloc and free metadata go
    into the red zone (free metadata inside the object when it fits and may), then the
    size grows to object_size + optimal_redzone(object_size)."""
    top = p.kmalloc_max_size
    c.flags = u32(c.flags | p.flag_kasan | p.flag_no_merge)
    ok_size = size
    c.kasan_alloc_meta_offset = size
    size = u32(size + p.kasan_alloc_meta_size)
    if size > top:
        c.kasan_alloc_meta_offset, size = 0, ok_size
    ok_size = size
    orig_alloc = c.kasan_alloc_meta_offset
    orig_size = bool(c.flags & p.flag_store_user and c.flags & p.flag_kmalloc)
    if c.flags & p.flag_typesafe_by_rcu or a.ctor or orig_size:
        c.kasan_free_meta_offset = size
        size = u32(size + p.kasan_free_meta_size)
    elif p.kasan_free_meta_size <= c.object_size:
        c.kasan_free_meta_offset = 0  # inside the object
    elif not debug_on:  # the start in the object, the rest after it
        rem = p.kasan_free_meta_size - c.object_size
        size = u32(size + rem)
        if c.kasan_alloc_meta_offset:
            c.kasan_alloc_meta_offset = u32(c.kasan_alloc_meta_offset + rem)
        c.kasan_free_meta_offset = 0
    else:
        c.kasan_free_meta_offset = size
        size = u32(size + p.kasan_free_meta_size)
    if size > top:
        c.kasan_free_meta_offset = KASAN_NO_FREE_META
        c.kasan_alloc_meta_offset, size = orig_alloc, ok_size
    optimal = min(u32(c.object_size + optimal_redzone(c.object_size)), top)
    return max(size, optimal)


def freeptr_outside(p: SlubParams, a: SlubArgs, flags: int, object_size: int, orig: bool) -> bool:
    """Whether calculate_sizes() moves the free pointer behind the object
    (FreePointerOutside)."""
    rcu = bool(flags & p.flag_typesafe_by_rcu)
    red_zone = bool(flags & p.flag_red_zone)
    small = object_size < p.word
    base = bool(flags & p.flag_poison or a.ctor)
    rule = p.freeptr_outside
    if rule == FreePointerOutside.V2_6:
        return base or rcu
    if rule == FreePointerOutside.V5_13:
        return base or rcu or (red_zone and small)
    if rule == FreePointerOutside.V6_2:
        return base or rcu or orig or (red_zone and small)
    if rule == FreePointerOutside.V6_11:
        return base or (rcu and not a.use_freeptr_offset) or (red_zone and (small or orig))
    # V7_0: a constructor keeps it inside where the caller gave freeptr_offset
    poison = bool(flags & p.flag_poison)
    placed = a.use_freeptr_offset
    return poison or ((rcu or bool(a.ctor)) and not placed) or (red_zone and (small or orig))


def calculate_sheaf_capacity(p: SlubParams, flags: int, size: int, requested: int) -> int:
    """calculate_sheaf_capacity() (mm/slub.c, v7.0): 0 for SLUB_TINY, a debug cache
    or a SLAB_NO_OBJ_EXT / SLAB_NOLEAKTRACE cache; else 4, 12, 26 or 60 pointers by
    slot size, grown to fill the kmalloc bucket the sheaf lands in (the table in
    ``p``), and at least ``requested`` (kmem_cache_args.sheaf_capacity)."""
    if (
        p.slub_tiny
        or flags & p.flag_debug_flags
        or flags & (p.flag_no_obj_ext | p.flag_noleaktrace)
    ):
        return 0
    if size >= p.page_size:
        n = p.sheaf_capacity_page
    elif size >= 1024:
        n = p.sheaf_capacity_1k
    elif size >= 256:
        n = p.sheaf_capacity_256
    else:
        n = p.sheaf_capacity_small
    return max(n, requested)


def args_unmergeable(p: SlubParams, a: SlubArgs, c: SlubLayout) -> bool:
    """slab_args_unmergeable() (mm/slab_common.c, v7.0): slab_nomerge, a constructor,
    a usercopy window (already 0 where HARDENED_USERCOPY is off) or a NEVER_MERGE flag."""
    return bool(p.slab_nomerge or a.ctor or c.usersize or c.flags & p.flag_never_merge)


def is_kmalloc_normal(p: SlubParams, flags: int) -> bool:
    """is_kmalloc_normal() (mm/slab.h, v7.0): a kmalloc cache of the normal type."""
    return bool(flags & p.flag_kmalloc) and not flags & p.flag_not_kmalloc_normal


def calculate_sizes(p: SlubParams, a: SlubArgs, c: SlubLayout, debug_on: bool = False) -> bool:
    """calculate_sizes() (mm/slub.c): object layout, order and objects.

    The slot: [red_left_pad][object, slack, right red zone up to inuse]
    [free pointer when outside][alloc and free tracks][kmalloc orig_size]
    [red-zone pad word][padding to align].
    """
    word = p.word
    flags = u32(c.flags)
    object_size = c.object_size
    size = align32(object_size, word)
    freepointer_area = size  # before the red-zone word (v5.7)
    if p.slub_debug:
        if flags & p.flag_poison and not flags & p.flag_typesafe_by_rcu and not a.ctor:
            c.flags = u32(c.flags | p.flag_object_poison)
        else:
            c.flags = u32(c.flags & ~p.flag_object_poison)
        if flags & p.flag_red_zone and size == object_size:
            size = u32(size + word)  # room for a right red zone
    c.inuse = size

    # slub_debug_orig_size(): STORE_USER on a kmalloc cache (SLAB_KMALLOC, v6.1)
    orig_size = bool(flags & p.flag_store_user and flags & p.flag_kmalloc)
    if freeptr_outside(p, a, flags, object_size, orig_size):
        c.offset = size  # the free pointer goes after the object
        size = u32(size + word)
    elif (flags & p.flag_typesafe_by_rcu or a.ctor) and a.use_freeptr_offset:
        c.offset = a.freeptr_offset  # a constructor's only from v7.0 (create_cache checks)
    elif p.freeptr_inside == FreePointerOffset.V5_7:
        c.offset = align32(freepointer_area // 2, word) if freepointer_area > word else 0
    else:
        c.offset = (object_size // 2) & ~(word - 1)  # ALIGN_DOWN(object_size / 2, word)

    if p.slub_debug and flags & p.flag_store_user:
        size = u32(size + 2 * p.track_size)
        if flags & p.flag_kmalloc:
            size = u32(size + p.orig_size_size)
    if p.kasan_generic:
        size = kasan_cache_create(p, a, c, size, debug_on)
    if p.slub_debug and flags & p.flag_red_zone:
        size = u32(size + word)
        c.red_left_pad = align32(word, c.align)
        size = u32(size + c.red_left_pad)
    aligned = align32(size, c.align)
    # SLAB_OBJ_EXT_IN_OBJ (v7.0, 64-bit with SLAB_OBJ_EXT): the alignment padding can
    # hold the object's struct slabobj_ext; the size stays
    if (
        p.flag_obj_ext_in_obj
        and args_unmergeable(p, a, c)
        and u32(aligned - size) >= p.obj_ext_size
    ):
        c.flags = u32(c.flags | p.flag_obj_ext_in_obj)
    size = aligned
    c.size = size
    order = calculate_order(p, size)
    if order < 0:
        return False
    # KMALLOC_NORMAL caches get theirs later, in bootstrap_kmalloc_sheaves()
    if p.sheaf_auto and not is_kmalloc_normal(p, c.flags):
        c.sheaf_capacity = calculate_sheaf_capacity(p, c.flags, size, a.sheaf_capacity)
    oo = u32((order << OO_SHIFT) + order_objects(p, order, size))
    c.order, c.objects = oo >> OO_SHIFT, oo & OO_MASK
    min_order = get_order(p, size)
    mn = u32((min_order << OO_SHIFT) + order_objects(p, min_order, size))
    c.min_order, c.min_objects = mn >> OO_SHIFT, mn & OO_MASK
    return c.objects != 0


def kmem_cache_flags(p: SlubParams, flags: int, debug_flags: int) -> int:
    """kmem_cache_flags(): what slab_debug= adds (``debug_flags`` >= 0: the flags of a
    block whose cache list names this cache)."""
    if not p.slub_debug or flags & p.flag_no_user_flags:
        return flags
    if debug_flags >= 0:
        return flags | debug_flags
    local = p.global_debug_flags
    if flags & p.flag_noleaktrace:
        local &= ~p.flag_store_user
    return flags | local


def set_cpu_partial(p: SlubParams, c: SlubLayout, debug_cache: bool) -> None:
    """set_cpu_partial() (SetCpuPartial): none for debug caches or without
    CONFIG_SLUB_CPU_PARTIAL."""
    if not p.cpu_partial:
        return
    slabs = p.set_cpu_partial == SetCpuPartial.SLABS_V5_16
    by_size = (6, 24, 52, 120) if slabs else (2, 6, 13, 30)
    if debug_cache:
        nr = 0
    elif c.size >= p.page_size:
        nr = by_size[0]
    elif c.size >= 1024:
        nr = by_size[1]
    elif c.size >= 256:
        nr = by_size[2]
    else:
        nr = by_size[3]
    c.cpu_partial = nr
    if slabs:
        c.cpu_partial_slabs = (2 * nr + c.objects - 1) // c.objects


def do_kmem_cache_create(p: SlubParams, a: SlubArgs, c: SlubLayout, flags: int) -> None:
    """kmem_cache_open() / do_kmem_cache_create() on a descriptor with object_size,
    align and the usercopy window stored."""
    c.flags = kmem_cache_flags(p, flags, a.debug_flags)
    # the slub_debug_enabled static key: on from boot; since v5.14 also from an
    # earlier debug cache or from this one (kmem_cache_create turns it on)
    debug_on = bool(
        p.slub_debug
        and (p.debug_key or (p.create_debug_key and (a.debug_key or c.flags & p.flag_debug_flags)))
    )
    if not calculate_sizes(p, a, c, debug_on):
        raise _Outcome(errors.EINVAL, SITE_CALCULATE_SIZES)
    if p.disable_higher_order_debug and get_order(p, c.size) > get_order(p, c.object_size):
        c.flags &= ~(p.flag_red_zone | p.flag_poison | p.flag_store_user)
        c.offset = 0  # red_left_pad keeps its old value, as in the kernel
        if not calculate_sizes(p, a, c, debug_on):
            raise _Outcome(errors.EINVAL, SITE_CALCULATE_SIZES)
    c.min_partial = max(p.min_partial, min(p.max_partial, (fls(c.size) - 1) // 2))
    # kmem_cache_debug(): the static key and a debug flag
    set_cpu_partial(p, c, debug_on and bool(c.flags & p.flag_debug_flags))
    if not p.sheaf_auto and a.sheaf_capacity and not p.slub_tiny:
        if not c.flags & p.flag_debug_flags:  # v6.18: only the caches that ask
            c.sheaf_capacity = a.sheaf_capacity


def kmem_cache_create(p: SlubParams, a: SlubArgs) -> SlubLayout:
    """The numbers of kmem_cache_create() (user caches) or create_boot_cache()
    (``a.boot``) for one cache; merging is left to the caller."""
    c = SlubLayout()
    flags = u32(a.flags)
    object_size = u32(a.object_size)
    useroffset, usersize = u32(a.useroffset), u32(a.usersize)
    try:
        if not a.boot:
            if p.sheaf_no_merge and a.sheaf_capacity:  # v7.0: never merged
                flags = u32(flags | p.flag_no_merge)
            if p.debug_vm and not p.sanity_min_size <= object_size <= p.kmalloc_max_size:
                raise _Outcome(errors.EINVAL, SITE_SANITY)
            if flags & ~p.flags_permitted:
                raise _Outcome(errors.EINVAL, SITE_FLAGS_PERMITTED)
            flags &= p.create_mask
            if (
                p.drop_usersize
                or (not usersize and useroffset)
                or object_size < usersize
                or object_size - usersize < useroffset
            ):
                useroffset = usersize = 0
            align = calculate_alignment(p, flags, a.align, object_size)
            if align is None:
                raise _Outcome(errors.HANG, SITE_CALCULATE_ALIGNMENT)
            # the custom free pointer: word-aligned inside an RCU object, or (v7.0)
            # an object with a constructor
            may_place = flags & p.flag_typesafe_by_rcu or (
                p.freeptr_outside == FreePointerOutside.V7_0 and a.ctor
            )
            if a.use_freeptr_offset and (
                a.freeptr_offset >= object_size or not may_place or a.freeptr_offset & (p.word - 1)
            ):
                raise _Outcome(errors.EINVAL, SITE_FREEPTR_OFFSET)
        else:
            align = calculate_alignment(p, flags, a.align, object_size)
            if align is None:
                raise _Outcome(errors.HANG, SITE_CALCULATE_ALIGNMENT)
            if p.drop_usersize:
                useroffset = usersize = 0
        c.object_size = object_size
        c.size = object_size
        c.align = align
        c.useroffset, c.usersize = useroffset, usersize
        do_kmem_cache_create(p, a, c, flags)
    except _Outcome as out:
        return SlubLayout(error=out.code, site=out.site)
    return c


# ---- free pointers at run time ------------------------------------------------------------
_MASK64 = (1 << 64) - 1


def swab64(x: int) -> int:
    """swab() of an unsigned long on 64-bit: the 8 bytes reversed."""
    return int.from_bytes((x & _MASK64).to_bytes(8, "little"), "big")


def freelist_ptr(value: int, ptr_addr: int, random: int) -> int:
    """freelist_ptr_encode() / freelist_ptr_decode() of CONFIG_SLAB_FREELIST_HARDENED
    (one XOR serves both ways): ``value ^ s->random ^ swab(ptr_addr)``, the form of
    "slub: improve bit diffusion for freelist ptr obfuscation" (v5.7; in every
    version slabhw models).  The twin of csrc/runtime.c's encoder."""
    return value ^ random ^ swab64(ptr_addr)
