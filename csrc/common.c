/*
 * common.c - arithmetic shared by every kernel version: fls, ALIGN, get_order and
 * calculate_alignment (scalar and array forms).
 */
#include "slabhw.h"
#include "internal.h"

int slabhw_abi_version(void)
{
    return SLABHW_ABI_VERSION;
}

int slabhw_fls(uint64_t x)
{
    return slabhw_fls32(x);
}

uint64_t slabhw_align(uint64_t x, uint64_t a, uint64_t word_bits)
{
    return slabhw_kalign(x, a, slabhw_mask(word_bits));
}

/* get_order() (include/asm-generic/getorder.h): size - 1 wraps for 0. */
static inline int get_order_one(uint64_t size, uint64_t page_shift, uint64_t ulmask)
{
    uint64_t v = ((size - 1) & ulmask) >> page_shift;
    return slabhw_fls64(v);
}

int slabhw_get_order(uint64_t size, uint64_t page_shift, uint64_t word_bits)
{
    return get_order_one(size, page_shift, slabhw_mask(word_bits));
}

void slabhw_get_order_array(const uint64_t *size, int64_t *out, size_t n,
                            uint64_t page_shift, uint64_t word_bits)
{
    uint64_t ulmask = slabhw_mask(word_bits);
    for (size_t i = 0; i < n; i++)
        out[i] = get_order_one(size[i], page_shift, ulmask);
}

int slabhw_calculate_alignment(const struct slabhw_slab316_params *p, uint64_t flags,
                               uint64_t align, uint64_t size, uint64_t *out)
{
    return slabhw_calc_align(flags, align, size, p->flag_hwcache_align,
                             p->cache_line_size, p->arch_slab_minalign,
                             p->word_bits / 8, slabhw_mask(p->word_bits), out);
}

/*
 * The common sweep (one flags value with SLAB_HWCACHE_ALIGN, one align, many
 * sizes) without the halving loop: halving the cache line while size <= line / 2
 * ends at min(line, roundup_pow_of_two(size)) for size >= 1 (line is a power of
 * two).  roundup_pow_of_two by bit smearing keeps the loop branch-free, so the
 * compiler vectorises it; SLABHW_TARGET_CLONES builds AVX-512 and AVX2 variants
 * beside the baseline and the loader picks one for the CPU at hand.
 */
SLABHW_TARGET_CLONES
static void hw_align_sizes(const uint64_t *size, uint64_t *out, size_t n, uint64_t line,
                           uint64_t align, uint64_t minalign, uint64_t word,
                           uint64_t ulmask)
{
    const uint64_t mask = (word - 1) & ulmask;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = size[i];
        uint64_t v = s - 1;
        v |= v >> 1;
        v |= v >> 2;
        v |= v >> 4;
        v |= v >> 8;
        v |= v >> 16;
        v |= v >> 32;
        uint64_t r = s >= line ? line : v + 1;
        uint64_t a = align > r ? align : r;
        a = a < minalign ? minalign : a;
        a = ((a + mask) & ~mask) & ulmask;
        out[i] = s ? a : SLABHW_ALIGN_HANG;
    }
}

void slabhw_calculate_alignment_array(const struct slabhw_slab316_params *p,
                                      const uint64_t *flags, size_t flags_stride,
                                      const uint64_t *align, size_t align_stride,
                                      const uint64_t *size, size_t size_stride,
                                      uint64_t *out, size_t n)
{
    const uint64_t ulmask = slabhw_mask(p->word_bits);
    const uint64_t word = p->word_bits / 8;
    const uint64_t line = p->cache_line_size;
    const uint64_t minalign = p->arch_slab_minalign;

    if (flags_stride == 0 && align_stride == 0 && size_stride == 1) {
        /* the common sweep: one flags value and one align over many sizes */
        const uint64_t al = align[0];
        if (!(flags[0] & p->flag_hwcache_align)) {
            uint64_t a = al < minalign ? minalign : al;
            a = slabhw_kalign(a, word, ulmask);
            for (size_t i = 0; i < n; i++)
                out[i] = a;
            return;
        }
        hw_align_sizes(size, out, n, line, al, minalign, word, ulmask);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t a;
        int hang = slabhw_calc_align(flags[i * flags_stride], align[i * align_stride],
                                     size[i * size_stride], p->flag_hwcache_align,
                                     line, minalign, word, ulmask, &a);
        out[i] = hang ? SLABHW_ALIGN_HANG : a;
    }
}

/* ---- kmalloc index arithmetic (include/linux/slab.h, mm/slab_common.c): the same
 * in every version and in both allocators; only the three limits differ ---- */

static const int8_t size_index[24] = {
    3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2
};

int slabhw_kmalloc_index(const struct slabhw_kmalloc_params *p, uint64_t size)
{
    if (!size)
        return 0;
    if (size <= p->min_size)
        return (int)p->shift_low;
    if (p->min_size <= 32 && size > 64 && size <= 96)
        return 1;
    if (p->min_size <= 64 && size > 128 && size <= 192)
        return 2;
    for (int n = 3; n <= 26; n++)
        if (size <= ((uint64_t)1 << n))
            return n;
    return -1;  /* BUG() */
}

int slabhw_kmalloc_size(const struct slabhw_kmalloc_params *p, int n)
{
    if (n > 2)
        return 1 << n;
    if (n == 1 && p->min_size <= 32)
        return 96;
    if (n == 2 && p->min_size <= 64)
        return 192;
    return 0;
}

/* size_index[elem] after create_kmalloc_caches() patched it */
static inline int size_index_entry(const struct slabhw_kmalloc_params *p, uint64_t elem)
{
    uint64_t i = 8 * (elem + 1);
    if (i < p->min_size)
        return (int)p->shift_low;
    if (p->min_size >= 64 && i >= 72 && i <= 96)
        return 7;
    if (p->min_size >= 128 && i >= 136 && i <= 192)
        return 8;
    return size_index[elem];
}

int slabhw_kmalloc_slab_index(const struct slabhw_kmalloc_params *p, uint64_t size)
{
    if (size > p->max_size)
        return -1;
    if (size <= 192) {
        if (!size)
            return 0;
        return size_index_entry(p, (size - 1) / 8);
    }
    return slabhw_fls32(size - 1);
}

void slabhw_kmalloc_slab_index_array(const struct slabhw_kmalloc_params *p,
                                     const uint64_t *size, int64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = slabhw_kmalloc_slab_index(p, size[i]);
}
