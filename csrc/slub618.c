/*
 * slub618.c - the numbers of cache creation in the SLUB allocator of Linux 6.18
 * (mm/slab_common.c __kmem_cache_create_args, create_cache, create_boot_cache,
 * calculate_alignment; mm/slub.c do_kmem_cache_create, kmem_cache_flags,
 * calculate_sizes, calculate_order, calc_slab_order, set_cpu_partial).
 *
 * Follows slabhw/reference_slub.py statement by statement.  6.18 keeps sizes,
 * alignments and offsets in unsigned int and flags in the 32-bit slab_flags_t,
 * so the arithmetic here is uint32_t; get_order() takes an unsigned long.
 */
#include "slabhw.h"
#include "internal.h"

typedef struct slabhw_slub618_params params_t;
typedef struct slabhw_slub618_args args_t;
typedef struct slabhw_slub618_cache cache_t;

#define MAX_OBJS_PER_PAGE 32767u
#define OO_SHIFT 16
#define OO_MASK 0xffffu

struct outcome {
    int64_t error;
    int64_t site;
};

#define FAIL(o, code, where) do { (o)->error = (code); (o)->site = (where); return 1; } while (0)

static inline uint32_t align32(uint32_t x, uint32_t a)
{
    return (x + (a - 1)) & ~(a - 1);
}

/* get_order(unsigned long) */
static inline uint32_t get_order(const params_t *p, uint64_t size)
{
    uint64_t v = ((size - 1) & slabhw_mask(p->word_bits)) >> p->page_shift;
    return (uint32_t)slabhw_fls64(v);
}

/* order_objects(): objects of one slab of this order; divides by size */
static inline int order_objects(const params_t *p, uint32_t order, uint32_t size,
                                uint32_t *out, struct outcome *o)
{
    if (size == 0)
        FAIL(o, SLABHW_DIVIDE_ERROR, SLABHW_SITE_CALCULATE_ORDER);
    *out = ((uint32_t)1 << p->page_shift << order) / size;
    return 0;
}

/* calculate_alignment() (mm/slab_common.c v6.18): the 3.16 rule in unsigned int */
static inline int calc_align(const params_t *p, uint32_t flags, uint32_t align,
                             uint32_t size, uint32_t *out)
{
    uint64_t a;
    if (slabhw_calc_align(flags, align, size, p->flag_hwcache_align, p->cache_line_size,
                          p->arch_slab_minalign, p->word_bits / 8, UINT32_MAX, &a))
        return 1;
    *out = (uint32_t)a;
    return 0;
}

uint64_t slabhw_slub618_calculate_alignment(const params_t *p, uint64_t flags,
                                            uint64_t align, uint64_t size, int *hang)
{
    uint32_t a = 0;
    *hang = calc_align(p, (uint32_t)flags, (uint32_t)align, (uint32_t)size, &a);
    return a;
}

/* calc_slab_order(): the first order from min_order whose waste is at most 1/fract */
static inline uint32_t calc_slab_order(const params_t *p, uint32_t size, uint32_t min_order,
                                       uint32_t max_order, uint32_t fract)
{
    uint32_t order;
    for (order = min_order; order <= max_order; order++) {
        uint32_t slab_size = (uint32_t)1 << p->page_shift << order;
        if (slab_size % size <= slab_size / fract)
            break;
    }
    return order;
}

/* calculate_order(): -1 for -ENOSYS */
static inline int calculate_order(const params_t *p, uint32_t size, int32_t *order_out,
                                  struct outcome *o)
{
    uint32_t min_objects = (uint32_t)p->slub_min_objects;
    uint32_t max_objects, min_order, objs;

    if (!min_objects) {
        uint32_t nr_cpus = (uint32_t)p->nr_present_cpus;
        if (nr_cpus <= 1)
            nr_cpus = (uint32_t)p->nr_cpu_ids;
        min_objects = 4 * ((uint32_t)slabhw_fls32(nr_cpus) + 1);
    }
    if (order_objects(p, (uint32_t)p->slub_max_order, size, &max_objects, o))
        return 1;
    if (max_objects < 1)
        max_objects = 1;
    if (min_objects > max_objects)
        min_objects = max_objects;
    min_order = get_order(p, (uint32_t)(min_objects * size));
    if (min_order < (uint32_t)p->slub_min_order)
        min_order = (uint32_t)p->slub_min_order;
    if (order_objects(p, min_order, size, &objs, o))
        return 1;
    if (objs > MAX_OBJS_PER_PAGE) {
        *order_out = (int32_t)get_order(p, (uint32_t)(size * MAX_OBJS_PER_PAGE)) - 1;
        return 0;
    }
    for (uint32_t fraction = 16; fraction > 1; fraction /= 2) {
        uint32_t order = calc_slab_order(p, size, min_order, (uint32_t)p->slub_max_order,
                                         fraction);
        if (order <= (uint32_t)p->slub_max_order) {
            *order_out = (int32_t)order;
            return 0;
        }
    }
    uint32_t order = get_order(p, size);
    *order_out = order <= (uint32_t)p->max_page_order ? (int32_t)order : -1;
    return 0;
}

/* optimal_redzone() (mm/kasan/generic.c v6.18) */
static inline uint32_t optimal_redzone(uint32_t object_size)
{
    return object_size <= 64 - 16 ? 16 :
           object_size <= 128 - 32 ? 32 :
           object_size <= 512 - 64 ? 64 :
           object_size <= 4096 - 128 ? 128 :
           object_size <= (1 << 14) - 256 ? 256 :
           object_size <= (1 << 15) - 512 ? 512 :
           object_size <= (1 << 16) - 1024 ? 1024 : 2048;
}

/* kasan_cache_create() (mm/kasan/generic.c v6.18): metadata in the red zone */
static inline uint32_t kasan_cache_create(const params_t *p, const args_t *a, cache_t *c,
                                          uint32_t size, int debug_on)
{
    const uint32_t max = (uint32_t)p->kmalloc_max_size;
    const uint32_t object_size = (uint32_t)c->object_size;
    uint32_t ok_size, orig_alloc, optimal;

    c->flags = (uint32_t)c->flags | (uint32_t)(p->flag_kasan | p->flag_no_merge);
    ok_size = size;
    c->kasan_alloc_meta_offset = size;
    size += (uint32_t)p->kasan_alloc_meta_size;
    if (size > max) {
        c->kasan_alloc_meta_offset = 0;
        size = ok_size;
    }
    ok_size = size;
    orig_alloc = (uint32_t)c->kasan_alloc_meta_offset;
    int orig_size = ((uint32_t)c->flags & p->flag_store_user) &&
                    ((uint32_t)c->flags & p->flag_kmalloc);
    if (((uint32_t)c->flags & p->flag_typesafe_by_rcu) || a->ctor || orig_size) {
        c->kasan_free_meta_offset = size;
        size += (uint32_t)p->kasan_free_meta_size;
    } else if (p->kasan_free_meta_size <= object_size) {
        c->kasan_free_meta_offset = 0;  /* inside the object */
    } else if (!debug_on) {
        uint32_t rem = (uint32_t)p->kasan_free_meta_size - object_size;
        size += rem;
        if (c->kasan_alloc_meta_offset)
            c->kasan_alloc_meta_offset += rem;
        c->kasan_free_meta_offset = 0;
    } else {
        c->kasan_free_meta_offset = size;
        size += (uint32_t)p->kasan_free_meta_size;
    }
    if (size > max) {
        c->kasan_free_meta_offset = INT32_MAX;  /* KASAN_NO_FREE_META */
        c->kasan_alloc_meta_offset = orig_alloc;
        size = ok_size;
    }
    optimal = object_size + optimal_redzone(object_size);
    if (optimal > max)
        optimal = max;
    return size < optimal ? optimal : size;
}

/* calculate_sizes(): layout, order and objects; 1 with *ok = 0 when it "returns 0" */
static inline int calculate_sizes(const params_t *p, const args_t *a, cache_t *c,
                                  int debug_on, int *ok, struct outcome *o)
{
    const uint32_t word = (uint32_t)(p->word_bits / 8);
    const uint32_t flags = (uint32_t)c->flags;
    const uint32_t object_size = (uint32_t)c->object_size;
    uint32_t size = align32(object_size, word);
    uint32_t objects;
    int32_t order;

    if (p->slub_debug) {
        if ((flags & p->flag_poison) && !(flags & p->flag_typesafe_by_rcu) && !a->ctor)
            c->flags = (uint32_t)c->flags | (uint32_t)p->flag_object_poison;
        else
            c->flags = (uint32_t)c->flags & ~(uint32_t)p->flag_object_poison;
        if ((flags & p->flag_red_zone) && size == object_size)
            size += word;
    }
    c->inuse = size;

    /* slub_debug_orig_size(): STORE_USER on a kmalloc cache */
    int orig_size = (flags & p->flag_store_user) && (flags & p->flag_kmalloc);
    if (((flags & p->flag_typesafe_by_rcu) && !a->use_freeptr_offset) ||
        (flags & p->flag_poison) || a->ctor ||
        ((flags & p->flag_red_zone) && (object_size < word || orig_size))) {
        c->offset = size;
        size += word;
    } else if ((flags & p->flag_typesafe_by_rcu) && a->use_freeptr_offset) {
        c->offset = (uint32_t)a->freeptr_offset;
    } else {
        c->offset = (object_size / 2) & ~(word - 1);
    }

    if (p->slub_debug && (flags & p->flag_store_user)) {
        size += 2 * (uint32_t)p->track_size;
        if (flags & p->flag_kmalloc)
            size += (uint32_t)p->orig_size_size;
    }
    if (p->kasan_generic)
        size = kasan_cache_create(p, a, c, size, debug_on);
    if (p->slub_debug && (flags & p->flag_red_zone)) {
        size += word;
        c->red_left_pad = align32(word, (uint32_t)c->align);
        size += (uint32_t)c->red_left_pad;
    }
    size = align32(size, (uint32_t)c->align);
    c->size = size;
    if (calculate_order(p, size, &order, o))
        return 1;
    if (order < 0) {
        *ok = 0;
        return 0;
    }
    if (order_objects(p, (uint32_t)order, size, &objects, o))
        return 1;
    uint32_t oo = ((uint32_t)order << OO_SHIFT) + objects;
    c->order = oo >> OO_SHIFT;
    c->objects = oo & OO_MASK;
    uint32_t min_order = get_order(p, size), min_objs;
    if (order_objects(p, min_order, size, &min_objs, o))
        return 1;
    uint32_t mn = (min_order << OO_SHIFT) + min_objs;
    c->min_order = mn >> OO_SHIFT;
    c->min_objects = mn & OO_MASK;
    *ok = c->objects != 0;
    return 0;
}

/* do_kmem_cache_create() after create_cache's checks */
static inline int do_create(const params_t *p, const args_t *a, cache_t *c, uint32_t flags,
                            struct outcome *o)
{
    int ok = 0;
    const uint32_t metadata = (uint32_t)(p->flag_red_zone | p->flag_poison | p->flag_store_user);

    /* kmem_cache_flags(): slab_debug= adds flags unless SLAB_NO_USER_FLAGS */
    if (p->slub_debug && !(flags & p->flag_no_user_flags)) {
        if (a->debug_flags >= 0) {
            flags |= (uint32_t)a->debug_flags;
        } else {
            uint32_t local = (uint32_t)p->global_debug_flags;
            if (flags & p->flag_noleaktrace)
                local &= ~(uint32_t)p->flag_store_user;
            flags |= local;
        }
    }
    c->flags = flags;
    /* the slub_debug_enabled static key: on from boot, from an earlier debug cache, or
     * from this one (__kmem_cache_create_args turns it on for debug flags) */
    const int debug_on = p->slub_debug && (p->debug_key || a->debug_key ||
                                           (flags & p->flag_debug_flags));
    if (calculate_sizes(p, a, c, debug_on, &ok, o))
        return 1;
    if (!ok)
        FAIL(o, SLABHW_EINVAL, SLABHW_SITE_CALCULATE_SIZES);
    if (p->disable_higher_order_debug &&
        get_order(p, (uint64_t)c->size) > get_order(p, (uint64_t)c->object_size)) {
        c->flags = (uint32_t)c->flags & ~metadata;
        c->offset = 0;
        if (calculate_sizes(p, a, c, debug_on, &ok, o))
            return 1;
        if (!ok)
            FAIL(o, SLABHW_EINVAL, SLABHW_SITE_CALCULATE_SIZES);
    }

    /* min_partial: clamp(ilog2(size) / 2, MIN_PARTIAL, MAX_PARTIAL) */
    uint64_t mp = (uint64_t)(slabhw_fls32((uint64_t)c->size) - 1) / 2;
    if (mp > p->max_partial)
        mp = p->max_partial;
    if (mp < p->min_partial)
        mp = p->min_partial;
    c->min_partial = (int64_t)mp;

    /* set_cpu_partial(): none for debug caches or without CONFIG_SLUB_CPU_PARTIAL */
    if (p->cpu_partial) {
        uint32_t nr, size = (uint32_t)c->size, page = (uint32_t)1 << p->page_shift;
        if ((uint32_t)c->flags & p->flag_debug_flags)
            nr = 0;
        else if (size >= page)
            nr = 6;
        else if (size >= 1024)
            nr = 24;
        else if (size >= 256)
            nr = 52;
        else
            nr = 120;
        c->cpu_partial = nr;
        c->cpu_partial_slabs = (2 * nr + (uint32_t)c->objects - 1) / (uint32_t)c->objects;
    }
    if (a->sheaf_capacity && !p->slub_tiny && !((uint32_t)c->flags & p->flag_debug_flags))
        c->sheaf_capacity = (uint32_t)a->sheaf_capacity;
    return 0;
}

void slabhw_slub618_create(const params_t *p, const args_t *a, cache_t *out)
{
    struct outcome o = { SLABHW_OK, SLABHW_SITE_NONE };
    cache_t c = { 0 };
    uint32_t flags = (uint32_t)a->flags;
    uint32_t object_size = (uint32_t)a->object_size;
    uint32_t align = (uint32_t)a->align;
    uint32_t useroffset = (uint32_t)a->useroffset, usersize = (uint32_t)a->usersize;

    if (!a->boot) {
        /* __kmem_cache_create_args */
        if (!p->slub_debug)
            flags &= ~(uint32_t)p->flag_debug_flags;
        if (p->debug_vm && object_size > p->kmalloc_max_size) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_SANITY;
            goto fail;
        }
        if (flags & ~(uint32_t)p->flags_permitted) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_FLAGS_PERMITTED;
            goto fail;
        }
        if (!p->hardened_usercopy || (!usersize && useroffset) || object_size < usersize ||
            object_size - usersize < useroffset)
            usersize = useroffset = 0;
        if (calc_align(p, flags, align, object_size, &align)) {
            o.error = SLABHW_HANG;
            o.site = SLABHW_SITE_CALCULATE_ALIGNMENT;
            goto fail;
        }
        /* create_cache: the custom free pointer must lie word-aligned inside an RCU object */
        if (a->use_freeptr_offset &&
            (a->freeptr_offset >= object_size || !(flags & p->flag_typesafe_by_rcu) ||
             (a->freeptr_offset & (p->word_bits / 8 - 1)))) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_FREEPTR_OFFSET;
            goto fail;
        }
    } else {
        /* create_boot_cache: the caller passes the starting alignment */
        if (calc_align(p, flags, align, object_size, &align)) {
            o.error = SLABHW_HANG;
            o.site = SLABHW_SITE_CALCULATE_ALIGNMENT;
            goto fail;
        }
        if (!p->hardened_usercopy)
            usersize = useroffset = 0;
    }
    c.object_size = object_size;
    c.size = object_size;
    c.align = align;
    c.useroffset = useroffset;
    c.usersize = usersize;
    if (do_create(p, a, &c, flags, &o))
        goto fail;
    *out = c;
    return;
fail:
    *out = (cache_t){ 0 };
    out->error = o.error;
    out->site = o.site;
}

void slabhw_slub618_create_array(const params_t *p,
                                 const uint64_t *size, size_t size_stride,
                                 const uint64_t *align, size_t align_stride,
                                 const uint64_t *flags, size_t flags_stride,
                                 const uint64_t *ctor, size_t ctor_stride,
                                 const int64_t *freeptr_offset, size_t freeptr_stride,
                                 cache_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t fp = freeptr_offset[i * freeptr_stride];
        args_t a = {
            .object_size = size[i * size_stride],
            .align = align[i * align_stride],
            .flags = flags[i * flags_stride],
            .ctor = ctor[i * ctor_stride],
            .use_freeptr_offset = fp >= 0,
            .freeptr_offset = fp >= 0 ? (uint64_t)fp : 0,
            .debug_flags = -1,
        };
        slabhw_slub618_create(p, &a, &out[i]);
    }
}
