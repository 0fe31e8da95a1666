/*
 * slab316.c - the numbers of kmem_cache_create() for the SLAB allocator of Linux
 * 3.16.y (mm/slab_common.c, mm/slab.c), and its kmalloc index arithmetic.
 *
 * Follows slabhw/reference.py statement by statement; see that file for the
 * reasoning behind each type conversion.
 */
#include "slabhw.h"
#include "internal.h"

typedef struct slabhw_slab316_params params_t;
typedef struct slabhw_slab316_cache cache_t;

/* An outcome other than success: errno/BUG/HANG/DIVIDE_ERROR and its site. */
struct outcome {
    int64_t error;
    int64_t site;
};

#define FAIL(o, code, where) do { (o)->error = (code); (o)->site = (where); return 1; } while (0)

/* calculate_freelist_size(int nr_objs, size_t align) */
static inline uint64_t freelist_size_of(const params_t *p, uint64_t ulmask,
                                        int64_t nr_objs, uint64_t align)
{
    uint64_t nr = (uint64_t)nr_objs & ulmask;
    uint64_t size = (nr * p->idx_size) & ulmask;
    if (p->debug_slab_leak)
        size = (size + nr) & ulmask;
    if (align)
        size = slabhw_kalign(size, align, ulmask);
    return size;
}

/* calculate_nr_objs(): first guess ignoring padding, then corrected by one */
static inline int nr_objs_of(const params_t *p, uint64_t ulmask, uint64_t slab_size,
                             uint64_t buffer_size, uint64_t align, int64_t *nr_out,
                             struct outcome *o)
{
    uint64_t divisor = (buffer_size + p->idx_size + (p->debug_slab_leak ? 1 : 0)) & ulmask;
    if (divisor == 0)
        FAIL(o, SLABHW_DIVIDE_ERROR, SLABHW_SITE_CACHE_ESTIMATE);
    int64_t nr = slabhw_s32(slab_size / divisor);
    uint64_t remained = (slab_size - (((uint64_t)nr & ulmask) * buffer_size)) & ulmask;
    if (remained < freelist_size_of(p, ulmask, nr, align))
        nr = slabhw_s32((uint64_t)(nr - 1));
    *nr_out = nr;
    return 0;
}

/* cache_estimate(): objects and left-over bytes of one slab order */
static inline int cache_estimate(const params_t *p, uint64_t ulmask, uint64_t gfporder,
                                 uint64_t buffer_size, uint64_t align, uint64_t flags,
                                 uint32_t *num, uint64_t *left_over, struct outcome *o)
{
    uint64_t slab_size = (((uint64_t)1 << p->page_shift) << gfporder) & ulmask;
    uint64_t mgmt_size;
    int64_t nr;

    if (flags & p->cflgs_off_slab) {
        mgmt_size = 0;
        if (buffer_size == 0)
            FAIL(o, SLABHW_DIVIDE_ERROR, SLABHW_SITE_CACHE_ESTIMATE);
        nr = slabhw_s32(slab_size / buffer_size);
    } else {
        if (nr_objs_of(p, ulmask, slab_size, buffer_size, align, &nr, o))
            return 1;
        mgmt_size = freelist_size_of(p, ulmask, nr, align);
    }
    *num = (uint32_t)nr;
    *left_over = (slab_size - (((uint64_t)nr & ulmask) * buffer_size) - mgmt_size) & ulmask;
    return 0;
}

/* calculate_slab_order(): sets c->num, c->gfporder; *left_over */
static inline int calculate_slab_order(const params_t *p, uint64_t ulmask, cache_t *c,
                                       uint64_t size, uint64_t align, uint64_t flags,
                                       uint64_t *left_out, struct outcome *o)
{
    uint64_t left_over = 0;
    const uint64_t page_size = (uint64_t)1 << p->page_shift;

    for (uint64_t gfporder = 0; gfporder <= p->kmalloc_max_order; gfporder++) {
        uint32_t num;
        uint64_t remainder;

        if (cache_estimate(p, ulmask, gfporder, size, align, flags, &num, &remainder, o))
            return 1;
        if (!num)
            continue;
        if (num > p->slab_obj_max_num)
            break;
        if (flags & p->cflgs_off_slab) {
            uint64_t offslab_limit = size / (p->idx_size + (p->debug_slab_leak ? 1 : 0));
            if (num > offslab_limit)
                break;
        }
        c->num = num;
        c->gfporder = (int64_t)gfporder;
        left_over = remainder;
        if (flags & p->flag_reclaim_account)
            break;
        if (gfporder >= p->slab_max_order)
            break;
        if (((left_over * 8) & ulmask) <= ((page_size << gfporder) & ulmask))
            break;
    }
    *left_out = left_over;
    return 0;
}

/* reciprocal_value(u32 d) (lib/reciprocal_div.c) */
static inline int reciprocal_value(cache_t *c, uint32_t d, struct outcome *o)
{
    int l = slabhw_fls32((uint32_t)(d - 1));
    uint64_t m = ((uint64_t)1 << 32) * (((uint64_t)1 << l) - d);
    if (d == 0)
        FAIL(o, SLABHW_DIVIDE_ERROR, SLABHW_SITE_RECIPROCAL);
    c->reciprocal_m = (uint32_t)(m / d + 1);
    c->reciprocal_sh1 = l < 1 ? l : 1;
    c->reciprocal_sh2 = l - 1 > 0 ? l - 1 : 0;
    return 0;
}

/* enable_cpucache(): per-CPU array tunables from the final size */
static inline void enable_cpucache(const params_t *p, cache_t *c)
{
    const uint64_t size = (uint64_t)c->size;
    const uint64_t page_size = (uint64_t)1 << p->page_shift;
    int64_t limit;

    if (size > 131072)
        limit = 1;
    else if (size > page_size)
        limit = 8;
    else if (size > 1024)
        limit = 24;
    else if (size > 256)
        limit = 54;
    else
        limit = 120;
    c->shared = (size <= page_size && p->nr_possible_cpus > 1) ? 8 : 0;
    if (p->debug_slab && limit > 32)
        limit = 32;
    c->limit = limit;
    c->batchcount = (limit + 1) / 2;
}

/* __kmem_cache_create() (mm/slab.c v3.16.y) on a descriptor with object_size,
 * size and align stored. */
static inline int kmem_cache_create_slab(const params_t *p, cache_t *c, uint64_t flags,
                                         int slab_early_init, struct outcome *o)
{
    const uint64_t ulmask = slabhw_mask(p->word_bits);
    const uint64_t word = p->word_bits / 8;
    const uint64_t page_size = (uint64_t)1 << p->page_shift;
    uint64_t size = (uint64_t)c->size;
    uint64_t ralign = word;
    uint64_t left_over, freelist_size;

    if (p->debug_slab) {
        if (size < 4096 || slabhw_fls32((size - 1) & ulmask) ==
                           slabhw_fls32((size - 1 + p->redzone_align + 16) & ulmask))
            flags |= p->flag_red_zone | p->flag_store_user;
        if (!(flags & p->flag_destroy_by_rcu))
            flags |= p->flag_poison;
        if ((flags & p->flag_destroy_by_rcu) && (flags & p->flag_poison))
            FAIL(o, SLABHW_BUG, SLABHW_SITE_DEBUG_RCU_POISON);
    }

    if (size & (word - 1))
        size = ((size + word - 1) & ulmask) & (~(word - 1) & ulmask);
    if (flags & p->flag_red_zone) {
        ralign = p->redzone_align;
        size = ((size + p->redzone_align - 1) & ulmask) & (~(p->redzone_align - 1) & ulmask);
    }
    if (ralign < ((uint64_t)c->align & ulmask))
        ralign = (uint64_t)c->align & ulmask;
    if (ralign > p->ull_align)
        flags &= ~(p->flag_red_zone | p->flag_store_user);
    c->align = slabhw_s32(ralign);
    const uint64_t align = (uint64_t)c->align & ulmask;  /* int -> size_t */

    if (p->debug_slab) {
        if (flags & p->flag_red_zone) {
            c->obj_offset = slabhw_s32((uint64_t)c->obj_offset + 8);
            size = (size + 16) & ulmask;
        }
        if (flags & p->flag_store_user)
            size = (size + ((flags & p->flag_red_zone) ? p->redzone_align : word)) & ulmask;
        if (p->debug_pagealloc) {
            uint64_t aligned = slabhw_kalign(size, align, ulmask);
            if (!slab_early_init && size >= p->index_node_size && size >= 256 &&
                c->object_size > (int64_t)p->cache_line_size && aligned < page_size) {
                c->obj_offset = slabhw_s32((uint64_t)c->obj_offset +
                                           ((page_size - aligned) & ulmask));
                size = page_size;
            }
        }
    }

    if (size >= p->off_slab_min_size && !slab_early_init && !(flags & p->flag_noleaktrace))
        flags |= p->cflgs_off_slab;

    size = slabhw_kalign(size, align, ulmask);
    if (p->freelist_byte_index && size < p->slab_obj_min_size) {
        uint64_t mask = (uint64_t)slabhw_s32((uint64_t)c->align - 1);
        size = (uint64_t)slabhw_s32((p->slab_obj_min_size + mask) & ~mask) & ulmask;
    }

    if (calculate_slab_order(p, ulmask, c, size, align, flags, &left_over, o))
        return 1;
    if (!c->num)
        FAIL(o, SLABHW_E2BIG, SLABHW_SITE_NO_OBJECTS);

    freelist_size = freelist_size_of(p, ulmask, c->num, align);
    if ((flags & p->cflgs_off_slab) && left_over >= freelist_size) {
        flags &= ~p->cflgs_off_slab;
        left_over = (left_over - freelist_size) & ulmask;
    }
    if (flags & p->cflgs_off_slab) {
        freelist_size = freelist_size_of(p, ulmask, c->num, 0);
        if (p->page_poisoning && size % page_size == 0 && (flags & p->flag_poison))
            flags &= ~(p->flag_red_zone | p->flag_store_user);
    }

    uint32_t colour_off = (uint32_t)p->cache_line_size;
    if (colour_off < (uint32_t)c->align)
        colour_off = (uint32_t)c->align;
    c->colour_off = colour_off;
    c->colour = (left_over / colour_off) & ulmask;
    c->freelist_size = (uint32_t)freelist_size;
    c->flags = (uint32_t)flags;
    c->off_slab = (flags & p->cflgs_off_slab) ? 1 : 0;
    c->left_over = left_over;
    c->size = (uint32_t)size;
    if (reciprocal_value(c, (uint32_t)c->size, o))
        return 1;
    enable_cpucache(p, c);
    return 0;
}

void slabhw_slab316_create(const params_t *p, uint64_t size, uint64_t align,
                           uint64_t flags, int boot, int slab_early_init, cache_t *out)
{
    struct outcome o = { SLABHW_OK, SLABHW_SITE_NONE };
    cache_t c = { 0 };
    uint64_t a;

    if (!boot) {
        if (p->debug_vm && (size < p->word_bits / 8 || size > p->kmalloc_max_size)) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_SANITY;
            goto fail;
        }
        flags &= p->create_mask;
    }
    if (slabhw_calc_align(flags, align, size, p->flag_hwcache_align, p->cache_line_size,
                          p->arch_slab_minalign, p->word_bits / 8,
                          slabhw_mask(p->word_bits), &a)) {
        o.error = SLABHW_HANG;
        o.site = SLABHW_SITE_CALCULATE_ALIGNMENT;
        goto fail;
    }
    /* do_kmem_cache_create: size_t values stored in int / unsigned int fields */
    c.object_size = slabhw_s32(size);
    c.size = (uint32_t)size;
    c.align = slabhw_s32(a);
    if (kmem_cache_create_slab(p, &c, flags, slab_early_init, &o))
        goto fail;
    *out = c;
    return;
fail:
    *out = (cache_t){ 0 };
    out->error = o.error;
    out->site = o.site;
}

void slabhw_slab316_create_array(const params_t *p,
                                 const uint64_t *size, size_t size_stride,
                                 const uint64_t *align, size_t align_stride,
                                 const uint64_t *flags, size_t flags_stride,
                                 cache_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        slabhw_slab316_create(p, size[i * size_stride], align[i * align_stride],
                              flags[i * flags_stride], 0, 0, &out[i]);
}

void slabhw_slab316_create_columns(const params_t *p,
                                   const uint64_t *size, size_t size_stride,
                                   const uint64_t *align, size_t align_stride,
                                   const uint64_t *flags, size_t flags_stride,
                                   int64_t *const *columns, const int32_t *fields,
                                   size_t ncolumns, size_t n)
{
    _Static_assert(sizeof(cache_t) % sizeof(int64_t) == 0, "64-bit words only");
    cache_t block[SLABHW_BLOCK];
    for (size_t start = 0; start < n; start += SLABHW_BLOCK) {
        const size_t rows = n - start < SLABHW_BLOCK ? n - start : SLABHW_BLOCK;
        slabhw_slab316_create_array(p, size + start * size_stride, size_stride,
                                    align + start * align_stride, align_stride,
                                    flags + start * flags_stride, flags_stride, block, rows);
        slabhw_scatter_block((const int64_t *)block, sizeof(cache_t) / sizeof(int64_t), rows,
                             columns, fields, ncolumns, start);
    }
}
