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
