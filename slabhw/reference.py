"""Pure-Python twin of the C core (csrc/): the arithmetic of Linux 3.16 SLAB.

This module is the readable oracle.  Each function says which kernel function it
models.  The kernel's C types matter for bit accuracy, so every value carries the
type the kernel gives it:

* ``ul(x)``  -- ``unsigned long`` / ``size_t`` of the target (32 or 64 bits);
* ``u32(x)`` -- ``unsigned int`` (``struct kmem_cache.size``, ``.num``, ...);
* ``s32(x)`` -- ``int`` (``.object_size``, ``.align``, ``.obj_offset``), two's
  complement wrapping as the kernel gets with ``-fno-strict-overflow``.

Converting an ``int`` to ``size_t`` sign-extends, which is ``ul(s32_value)`` here.

The C core (csrc/slab316.c) follows this file statement by statement; the
hypothesis tests in tests/test_core.py hold the two together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from . import errors

U32_MASK = 0xFFFF_FFFF

# Where in the kernel an outcome arises (enum slabhw_site in csrc/slabhw.h).
SITE_NONE = 0
SITE_SANITY = 1  # kmem_cache_sanity_check (CONFIG_DEBUG_VM)
SITE_CALCULATE_ALIGNMENT = 2  # the HWCACHE halving loop never ends (size 0)
SITE_DEBUG_RCU_POISON = 3  # BUG_ON(flags & SLAB_POISON) with DESTROY_BY_RCU
SITE_NO_OBJECTS = 4  # calculate_slab_order found no order: -E2BIG
SITE_CACHE_ESTIMATE = 5  # division by zero in cache_estimate/calculate_nr_objs
SITE_RECIPROCAL = 6  # reciprocal_value(0) divides by zero


def u32(x: int) -> int:
    """C ``unsigned int``."""
    return x & U32_MASK


def s32(x: int) -> int:
    """C ``int`` (two's complement)."""
    x &= U32_MASK
    return x - (1 << 32) if x & 0x8000_0000 else x


def fls(x: int) -> int:
    """fls(): 1-based index of the most significant set bit; fls(0) = 0.

    The kernel's fls() takes an ``int``/``unsigned int``, so the argument is cut to 32 bits.
    """
    return u32(x).bit_length()


def align_up(x: int, a: int) -> int:
    """ALIGN(x, a) for plain non-negative integers (no wrap): struct layouts."""
    return (x + a - 1) & ~(a - 1)


def kernel_align(x: int, a: int, bits: int) -> int:
    """ALIGN(x, a) in ``bits``-bit unsigned arithmetic: (x + (a-1)) & ~(a-1).

    The kernel applies this mask formula even when ``a`` is not a power of two.
    """
    m = (1 << bits) - 1
    mask = (a - 1) & m
    return ((x + mask) & ~mask) & m


def get_order(size: int, page_shift: int, bits: int) -> int:
    """get_order(size) (include/asm-generic/getorder.h): smallest order whose pages hold
    ``size``; for 0 the kernel's ``size - 1`` wraps, giving BITS_PER_LONG - PAGE_SHIFT."""
    size = (size - 1) & ((1 << bits) - 1)
    return (size >> page_shift).bit_length()


# ---------------------------------------------------------------------------------
# Parameters: one configured kernel, as the C core receives it (struct
# slabhw_slab316_params).  Built by config.KernelConfig.slab_params().
@dataclass(frozen=True)
class SlabParams:
    word_bits: int
    page_shift: int
    cache_line_size: int
    arch_slab_minalign: int
    ull_align: int
    redzone_align: int
    kmalloc_min_size: int
    kmalloc_shift_low: int
    kmalloc_max_size: int
    kmalloc_max_order: int
    off_slab_min_size: int
    slab_obj_min_size: int
    freelist_byte_index: int
    idx_size: int
    slab_obj_max_num: int
    slab_max_order: int
    debug_slab: int
    debug_vm: int
    debug_pagealloc: int
    debug_slab_leak: int
    page_poisoning: int
    index_node_size: int
    nr_possible_cpus: int
    create_mask: int
    flag_hwcache_align: int
    flag_red_zone: int
    flag_poison: int
    flag_store_user: int
    flag_destroy_by_rcu: int
    flag_reclaim_account: int
    flag_noleaktrace: int
    cflgs_off_slab: int

    @property
    def ul_mask(self) -> int:
        return (1 << self.word_bits) - 1

    def ul(self, x: int) -> int:
        """C ``unsigned long`` / ``size_t`` of the target."""
        return x & self.ul_mask

    @property
    def page_size(self) -> int:
        return 1 << self.page_shift

    @property
    def word(self) -> int:
        return self.word_bits // 8


# The descriptor numbers one kmem_cache_create computes (struct
# slabhw_slab316_cache); field names follow struct kmem_cache (slab_def.h v3.16).
@dataclass
class SlabLayout:
    error: int = 0  # errors.OK / E2BIG / EINVAL / BUG / HANG / DIVIDE_ERROR
    site: int = SITE_NONE
    flags: int = 0  # cachep->flags: masked, forced debug flags, CFLGS_OFF_SLAB
    object_size: int = 0
    size: int = 0
    align: int = 0
    obj_offset: int = 0
    num: int = 0
    gfporder: int = 0
    colour: int = 0
    colour_off: int = 0
    off_slab: int = 0
    freelist_size: int = 0
    left_over: int = 0
    limit: int = 0
    batchcount: int = 0
    shared: int = 0
    reciprocal_m: int = 0
    reciprocal_sh1: int = 0
    reciprocal_sh2: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


LAYOUT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SlabLayout))
PARAM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SlabParams))


class _Outcome(Exception):
    """Internal: stop the computation with a kernel outcome (errno, BUG, trap)."""

    def __init__(self, code: int, site: int) -> None:
        self.code = code
        self.site = site


# ---------------------------------------------------------------------------------
def align_rule(
    flags: int,
    align: int,
    size: int,
    *,
    hwcache_align: int,
    line: int,
    minalign: int,
    word: int,
    bits: int,
) -> int | None:
    """calculate_alignment() (mm/slab_common.c, the same rule in 3.16 and 6.18) in
    ``bits``-bit unsigned arithmetic (unsigned long in 3.16, unsigned int in 6.18).

    Returns None where the kernel never returns: SLAB_HWCACHE_ALIGN with size 0
    halves the cache line down to 0 and "0 <= 0" holds for ever.
    """
    if flags & hwcache_align:
        ralign = line
        if size == 0:
            return None
        while size <= ralign // 2:
            ralign //= 2
        align = max(align, ralign)
    if align < minalign:
        align = minalign
    return kernel_align(align, word, bits)


def calculate_alignment(p: SlabParams, flags: int, align: int, size: int) -> int | None:
    """calculate_alignment() of 3.16, in unsigned long."""
    return align_rule(
        flags,
        align,
        size,
        hwcache_align=p.flag_hwcache_align,
        line=p.cache_line_size,
        minalign=p.arch_slab_minalign,
        word=p.word,
        bits=p.word_bits,
    )


def calculate_freelist_size(p: SlabParams, nr_objs: int, align: int) -> int:
    """calculate_freelist_size(int nr_objs, size_t align) (mm/slab.c v3.16)."""
    freelist_size = p.ul(p.ul(nr_objs) * p.idx_size)
    if p.debug_slab_leak:
        freelist_size = p.ul(freelist_size + p.ul(nr_objs))
    if align:
        freelist_size = kernel_align(freelist_size, align, p.word_bits)
    return freelist_size


def calculate_nr_objs(p: SlabParams, slab_size: int, buffer_size: int, align: int) -> int:
    """calculate_nr_objs() (mm/slab.c v3.16): a first guess that ignores the freelist
    padding, corrected by one when the padded freelist does not fit."""
    extra_space = 1 if p.debug_slab_leak else 0
    divisor = p.ul(buffer_size + p.idx_size + extra_space)
    if divisor == 0:
        raise _Outcome(errors.DIVIDE_ERROR, SITE_CACHE_ESTIMATE)
    nr_objs = s32(slab_size // divisor)
    remained_size = p.ul(slab_size - p.ul(p.ul(nr_objs) * buffer_size))
    if remained_size < calculate_freelist_size(p, nr_objs, align):
        nr_objs = s32(nr_objs - 1)
    return nr_objs


def cache_estimate(
    p: SlabParams, gfporder: int, buffer_size: int, align: int, flags: int
) -> tuple[int, int]:
    """cache_estimate() (mm/slab.c v3.16): (num, left_over) for one slab order."""
    slab_size = p.ul(p.page_size << gfporder)
    if flags & p.cflgs_off_slab:
        mgmt_size = 0
        if buffer_size == 0:
            raise _Outcome(errors.DIVIDE_ERROR, SITE_CACHE_ESTIMATE)
        nr_objs = s32(slab_size // buffer_size)
    else:
        nr_objs = calculate_nr_objs(p, slab_size, buffer_size, align)
        mgmt_size = calculate_freelist_size(p, nr_objs, align)
    num = u32(nr_objs)
    left_over = p.ul(slab_size - p.ul(p.ul(nr_objs) * buffer_size) - mgmt_size)
    return num, left_over


def calculate_slab_order(p: SlabParams, c: SlabLayout, size: int, align: int, flags: int) -> int:
    """calculate_slab_order() (mm/slab.c v3.16): sets c.num and c.gfporder; returns
    left_over.  Orders 0..KMALLOC_MAX_ORDER are tried; the first acceptable one
    stands unless it wastes more than 1/8 and slab_max_order allows a larger one."""
    left_over = 0
    for gfporder in range(p.kmalloc_max_order + 1):
        num, remainder = cache_estimate(p, gfporder, size, align, flags)
        if num == 0:
            continue
        if num > p.slab_obj_max_num:
            break
        if flags & p.cflgs_off_slab:
            # the off-slab freelist must not be larger than one object
            offslab_limit = size // (p.idx_size + (1 if p.debug_slab_leak else 0))
            if num > offslab_limit:
                break
        c.num = num
        c.gfporder = gfporder
        left_over = remainder
        if flags & p.flag_reclaim_account:
            break
        if gfporder >= p.slab_max_order:
            break
        if p.ul(left_over * 8) <= p.ul(p.page_size << gfporder):
            break
    return left_over


def reciprocal_value(d: int) -> tuple[int, int, int]:
    """reciprocal_value(u32 d) (lib/reciprocal_div.c v3.16): (m, sh1, sh2)."""
    d = u32(d)
    shift = fls(u32(d - 1))  # the kernel's "l"
    m = ((1 << 32) * ((1 << shift) - d)) & ((1 << 64) - 1)
    if d == 0:
        raise _Outcome(errors.DIVIDE_ERROR, SITE_RECIPROCAL)
    m = u32(m // d + 1)
    return m, min(shift, 1), max(shift - 1, 0)


def enable_cpucache(p: SlabParams, c: SlabLayout) -> None:
    """enable_cpucache() (mm/slab.c v3.16): limit, batchcount, shared from c.size."""
    size = c.size
    if size > 131072:
        limit = 1
    elif size > p.page_size:
        limit = 8
    elif size > 1024:
        limit = 24
    elif size > 256:
        limit = 54
    else:
        limit = 120
    shared = 8 if size <= p.page_size and p.nr_possible_cpus > 1 else 0
    if p.debug_slab and limit > 32:
        limit = 32
    c.limit = limit
    c.batchcount = (limit + 1) // 2
    c.shared = shared


def __kmem_cache_create(p: SlabParams, c: SlabLayout, flags: int, slab_early_init: bool) -> None:
    """__kmem_cache_create() (mm/slab.c v3.16.y) on a descriptor whose object_size,
    size and align fields have been stored; fills in the rest of ``c``."""
    ul = p.ul
    word = p.word
    size = c.size
    ralign = word

    if p.debug_slab:  # DEBUG and FORCED_DEBUG
        # red zone + store user, unless the 24 extra bytes of an object >= 4096
        # would cross a power of two
        if size < 4096 or fls(ul(size - 1)) == fls(ul(size - 1 + p.redzone_align + 16)):
            flags |= p.flag_red_zone | p.flag_store_user
        if not flags & p.flag_destroy_by_rcu:
            flags |= p.flag_poison
        if flags & p.flag_destroy_by_rcu and flags & p.flag_poison:
            raise _Outcome(errors.BUG, SITE_DEBUG_RCU_POISON)

    # the object size is a whole number of words
    if size & (word - 1):
        size = ul(size + word - 1) & ul(~(word - 1))
    if flags & p.flag_red_zone:
        ralign = p.redzone_align
        size = ul(size + p.redzone_align - 1) & ul(~(p.redzone_align - 1))
    # caller mandated alignment (int -> size_t)
    if ralign < ul(c.align):
        ralign = ul(c.align)
    # red zone and store-user words need at most 8-byte alignment
    if ralign > p.ull_align:
        flags &= ~(p.flag_red_zone | p.flag_store_user)
    c.align = s32(ralign)

    if p.debug_slab:
        if flags & p.flag_red_zone:
            c.obj_offset = s32(c.obj_offset + 8)
            size = ul(size + 16)
        if flags & p.flag_store_user:
            size = ul(size + (p.redzone_align if flags & p.flag_red_zone else word))
        if p.debug_pagealloc:
            aligned = kernel_align(size, ul(c.align), p.word_bits)
            if (
                not slab_early_init
                and size >= p.index_node_size
                and size >= 256
                and c.object_size > p.cache_line_size
                and aligned < p.page_size
            ):
                c.obj_offset = s32(c.obj_offset + ul(p.page_size - aligned))
                size = p.page_size

    # off-slab management for large objects, decided before alignment padding
    if size >= p.off_slab_min_size and not slab_early_init and not flags & p.flag_noleaktrace:
        flags |= p.cflgs_off_slab

    size = kernel_align(size, ul(c.align), p.word_bits)
    if p.freelist_byte_index and size < p.slab_obj_min_size:
        # ALIGN() on SLAB_OBJ_MIN_SIZE, an int expression
        mask = s32(c.align - 1)
        size = ul(s32((p.slab_obj_min_size + mask) & ~mask))

    left_over = calculate_slab_order(p, c, size, ul(c.align), flags)
    if c.num == 0:
        raise _Outcome(errors.E2BIG, SITE_NO_OBJECTS)

    freelist_size = calculate_freelist_size(p, c.num, ul(c.align))
    # move an off-slab freelist back on-slab when the left-over space holds it
    if flags & p.cflgs_off_slab and left_over >= freelist_size:
        flags &= ~p.cflgs_off_slab
        left_over = ul(left_over - freelist_size)
    if flags & p.cflgs_off_slab:
        freelist_size = calculate_freelist_size(p, c.num, 0)
        if p.page_poisoning and size % p.page_size == 0 and flags & p.flag_poison:
            flags &= ~(p.flag_red_zone | p.flag_store_user)

    c.colour_off = u32(p.cache_line_size)
    if c.colour_off < u32(c.align):
        c.colour_off = u32(c.align)
    c.colour = ul(left_over // c.colour_off)
    c.freelist_size = u32(freelist_size)
    c.flags = u32(flags)
    c.off_slab = 1 if flags & p.cflgs_off_slab else 0
    c.left_over = left_over
    c.size = u32(size)
    c.reciprocal_m, c.reciprocal_sh1, c.reciprocal_sh2 = reciprocal_value(c.size)
    enable_cpucache(p, c)


def kmem_cache_create(
    p: SlabParams,
    size: int,
    align: int,
    flags: int,
    *,
    boot: bool = False,
    slab_early_init: bool = False,
) -> SlabLayout:
    """The numbers of kmem_cache_create() (mm/slab_common.c v3.16) for one cache.

    User caches (``boot=False``): the CONFIG_DEBUG_VM size check, ``flags &=
    CACHE_CREATE_MASK``, calculate_alignment, do_kmem_cache_create's stores into the
    descriptor, __kmem_cache_create and enable_cpucache.  Boot caches
    (``create_boot_cache``): no check and no mask; the caller passes ``align =
    ARCH_KMALLOC_MINALIGN``.  The name checks of the sanity check and the list
    handling live in slabhw.kernel.
    """
    c = SlabLayout()
    try:
        if not boot:
            if p.debug_vm and (size < p.word or size > p.kmalloc_max_size):
                raise _Outcome(errors.EINVAL, SITE_SANITY)
            flags &= p.create_mask
        a = calculate_alignment(p, flags, align, size)
        if a is None:
            raise _Outcome(errors.HANG, SITE_CALCULATE_ALIGNMENT)
        # do_kmem_cache_create: the size_t arguments land in int / unsigned int fields
        c.object_size = s32(size)
        c.size = u32(size)
        c.align = s32(a)
        __kmem_cache_create(p, c, flags, slab_early_init)
    except _Outcome as out:
        return SlabLayout(error=out.code, site=out.site)
    return c


# ---------------------------------------------------------------------------------
# kmalloc index arithmetic (include/linux/slab.h, mm/slab_common.c): the same in every
# version and in both allocators; only the three limits differ


@dataclass(frozen=True)
class KmallocParams:
    """The limits of the kmalloc index arithmetic (struct slabhw_kmalloc_params)."""

    min_size: int  # KMALLOC_MIN_SIZE
    shift_low: int  # KMALLOC_SHIFT_LOW
    max_size: int  # the largest size kmalloc_slab() serves


KMALLOC_PARAM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(KmallocParams))

# size_index[] as compiled: entry k serves sizes 8k+1 .. 8k+8
SIZE_INDEX = (3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2)


def kmalloc_index(k: KmallocParams, size: int) -> int:
    """kmalloc_index() (compile-time mapping): -1 where the kernel BUG()s (> 64 MiB)."""
    if size == 0:
        return 0
    if size <= k.min_size:
        return k.shift_low
    if k.min_size <= 32 and 64 < size <= 96:
        return 1
    if k.min_size <= 64 and 128 < size <= 192:
        return 2
    for n in range(3, 27):
        if size <= 1 << n:
            return n
    return -1


def kmalloc_size(k: KmallocParams, n: int) -> int:
    """kmalloc_size(n): the object size of kmalloc_caches[n] (0: no such cache)."""
    if n > 2:
        return 1 << n
    if n == 1 and k.min_size <= 32:
        return 96
    if n == 2 and k.min_size <= 64:
        return 192
    return 0


def size_index_entry(k: KmallocParams, elem: int) -> int:
    """size_index[elem] after setup_kmalloc_cache_index_table() has patched it."""
    i = 8 * (elem + 1)  # the largest size the entry serves
    if i < k.min_size:
        return k.shift_low
    if k.min_size >= 64 and 72 <= i <= 96:
        return 7
    if k.min_size >= 128 and 136 <= i <= 192:
        return 8
    return SIZE_INDEX[elem]


def kmalloc_slab_index(k: KmallocParams, size: int) -> int:
    """kmalloc_slab() (run-time mapping) as an index into kmalloc_caches[]:
    -1 for NULL (size above max_size), 0 for ZERO_SIZE_PTR."""
    if size > k.max_size:
        return -1
    if size <= 192:
        if size == 0:
            return 0
        return size_index_entry(k, (size - 1) // 8)
    return fls(size - 1)
