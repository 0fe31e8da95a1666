/*
 * internal.h - inline helpers shared by the C sources (not part of the cffi API).
 *
 * The kernel's C types are modelled explicitly, as in slabhw/reference.py:
 * unsigned long / size_t values are uint64_t masked to the target's width
 * (ulmask), unsigned int values are uint32_t, int values are int32_t.
 */
#ifndef SLABHW_INTERNAL_H
#define SLABHW_INTERNAL_H

#include <stdint.h>

/* Function multi-versioning for the hot array loops: x86-64 with GCC on Linux
 * (ifunc) gets AVX-512 and AVX2 clones beside the baseline; elsewhere plain code. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) \
    && __GNUC__ >= 11
#define SLABHW_TARGET_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SLABHW_TARGET_CLONES
#endif

static inline uint64_t slabhw_mask(uint64_t bits)
{
    return bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
}

/* C int of a value: two's complement, sign-extended to 64 bits. */
static inline int64_t slabhw_s32(uint64_t x)
{
    return (int64_t)(int32_t)(uint32_t)x;
}

/* fls() takes an int / unsigned int: 1-based top bit of the low 32 bits. */
static inline int slabhw_fls32(uint64_t x)
{
    uint32_t v = (uint32_t)x;
    return v ? 32 - __builtin_clz(v) : 0;
}

static inline int slabhw_fls64(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

/* ALIGN(x, a) as the kernel's mask formula, in an unsigned type of width ulmask. */
static inline uint64_t slabhw_kalign(uint64_t x, uint64_t a, uint64_t ulmask)
{
    uint64_t mask = (a - 1) & ulmask;
    return ((x + mask) & ~mask) & ulmask;
}

/*
 * calculate_alignment() (mm/slab_common.c v3.16) in unsigned long.  Returns 1 when
 * the kernel never returns (SLAB_HWCACHE_ALIGN with size 0), else 0 with *out set.
 */
static inline int slabhw_calc_align(uint64_t flags, uint64_t align, uint64_t size,
                                    uint64_t hw_flag, uint64_t line, uint64_t minalign,
                                    uint64_t word, uint64_t ulmask, uint64_t *out)
{
    if (flags & hw_flag) {
        uint64_t ralign = line;
        if (size == 0)
            return 1;
        while (size <= ralign / 2)
            ralign /= 2;
        if (ralign > align)
            align = ralign;
    }
    if (align < minalign)
        align = minalign;
    *out = slabhw_kalign(align, word, ulmask);
    return 0;
}

/* A columnar sweep computes rows in blocks of SLABHW_BLOCK structs, then moves each
 * requested field of the block into its column: sequential writes per column. */
enum { SLABHW_BLOCK = 64 };

/* Column k gets the 64-bit word fields[k] of each struct of the block (every field
 * of slabhw_*_cache is 64 bits wide: nwords words a struct); a failed row (error in
 * word 0) is 0 in every column but its error. */
static inline void slabhw_scatter_block(const int64_t *words, size_t nwords, size_t rows,
                                        int64_t *const *columns, const int32_t *fields,
                                        size_t ncolumns, size_t start)
{
    for (size_t k = 0; k < ncolumns; k++) {
        int64_t *col = columns[k] + start;
        const size_t f = (size_t)fields[k];
        for (size_t j = 0; j < rows; j++) {
            const int64_t *w = words + j * nwords;
            col[j] = (w[0] != 0 && f != 0) ? 0 : w[f];
        }
    }
}

#endif /* SLABHW_INTERNAL_H */
