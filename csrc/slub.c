/*
 * slub.c - the numbers of cache creation in the SLUB allocator, for every version
 * slabhw models (mm/slab_common.c kmem_cache_create / __kmem_cache_create_args,
 * create_cache, create_boot_cache, calculate_alignment; mm/slub.c
 * kmem_cache_open / do_kmem_cache_create, kmem_cache_flags, calculate_sizes,
 * calculate_order, slab_order / calc_slab_order, set_cpu_partial).
 *
 * Where versions differ, the parameters carry the rule (enum slabhw_* in
 * slabhw.h, named after the release that introduced each value) and a small
 * static function per rule switches on it.  Follows slabhw/reference_slub.py
 * statement by statement.  SLUB keeps sizes, alignments and offsets in unsigned
 * int and flags in the 32-bit slab_flags_t, so the arithmetic here is uint32_t;
 * get_order() takes an unsigned long.
 */
#include "slabhw.h"
#include "internal.h"

typedef struct slabhw_slub_params params_t;
typedef struct slabhw_slub_args args_t;
typedef struct slabhw_slub_cache cache_t;

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

/* calculate_alignment() (mm/slab_common.c): the 3.16 rule in unsigned int */
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

uint64_t slabhw_slub_calculate_alignment(const params_t *p, uint64_t flags,
                                         uint64_t align, uint64_t size, int *hang)
{
    uint32_t a = 0;
    *hang = calc_align(p, (uint32_t)flags, (uint32_t)align, (uint32_t)size, &a);
    return a;
}

void slabhw_slub_calculate_alignment_array(const params_t *p, const uint64_t *flags,
                                           size_t flags_stride, const uint64_t *align,
                                           size_t align_stride, const uint64_t *size,
                                           size_t size_stride, uint64_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t a = 0;
        int hang = calc_align(p, (uint32_t)flags[i * flags_stride],
                              (uint32_t)align[i * align_stride],
                              (uint32_t)size[i * size_stride], &a);
        out[i] = hang ? SLABHW_ALIGN_HANG : a;
    }
}

/* calc_slab_order() / the loop of slab_order(): the first order from min_order
 * whose waste is at most 1/fract of the slab; max_order + 1 when there is none */
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

/* min_objects from the CPU count (OrderCpus) */
static inline uint32_t default_min_objects(const params_t *p)
{
    uint32_t nr_cpus = (uint32_t)p->nr_cpu_ids;
    if (p->order_cpus == SLABHW_ORDER_CPUS_PRESENT_V5_11) {
        nr_cpus = (uint32_t)p->nr_present_cpus;
        if (nr_cpus <= 1)
            nr_cpus = (uint32_t)p->nr_cpu_ids;
    }
    return 4 * ((uint32_t)slabhw_fls32(nr_cpus) + 1);
}

/* slab_order() of v2.6.30 .. 6.6: the MAX_OBJS test against slub_min_order on every
 * call, then the search from max(slub_min_order, get_order(min_objects * size)) */
static inline int slab_order_v2_6_30(const params_t *p, uint32_t size, uint32_t min_objects,
                                     uint32_t max_order, uint32_t fract, uint32_t *order,
                                     struct outcome *o)
{
    uint32_t objs, start;
    if (order_objects(p, (uint32_t)p->slub_min_order, size, &objs, o))
        return 1;
    if (objs > MAX_OBJS_PER_PAGE) {
        *order = get_order(p, (uint32_t)(size * MAX_OBJS_PER_PAGE)) - 1;
        return 0;
    }
    start = get_order(p, (uint32_t)(min_objects * size));
    if (start < (uint32_t)p->slub_min_order)
        start = (uint32_t)p->slub_min_order;
    *order = calc_slab_order(p, size, start, max_order, fract);
    return 0;
}

/* calculate_order() of v2.6.30 .. 6.6; -1 for -ENOSYS */
static inline int calculate_order_v2_6_30(const params_t *p, uint32_t size, int32_t *order_out,
                                          struct outcome *o)
{
    const uint32_t max = (uint32_t)p->slub_max_order;
    uint32_t min_objects = (uint32_t)p->slub_min_objects, max_objects, order;

    if (!min_objects)
        min_objects = default_min_objects(p);
    if (order_objects(p, max, size, &max_objects, o))
        return 1;
    if (min_objects > max_objects)
        min_objects = max_objects;
    for (; min_objects > 1; min_objects--) {
        for (uint32_t fraction = 16; fraction >= 4; fraction /= 2) {
            if (slab_order_v2_6_30(p, size, min_objects, max, fraction, &order, o))
                return 1;
            if (order <= max) {
                *order_out = (int32_t)order;
                return 0;
            }
        }
    }
    /* one object at any waste: up to slub_max_order, then up to MAX_ORDER (an
     * exclusive bound of MAX_PAGE_ORDER + 1 up to 6.3, inclusive MAX_PAGE_ORDER since) */
    if (slab_order_v2_6_30(p, size, 1, max, 1, &order, o))
        return 1;
    if (order <= max) {
        *order_out = (int32_t)order;
        return 0;
    }
    if (slab_order_v2_6_30(p, size, 1, (uint32_t)p->max_page_order + 1, 1, &order, o))
        return 1;
    *order_out = order <= (uint32_t)p->max_page_order ? (int32_t)order : -1;
    return 0;
}

/* calculate_order() of v6.7: -1 for -ENOSYS */
static inline int calculate_order_v6_7(const params_t *p, uint32_t size, int32_t *order_out,
                                       struct outcome *o)
{
    uint32_t min_objects = (uint32_t)p->slub_min_objects;
    uint32_t max_objects, min_order, objs;

    if (!min_objects)
        min_objects = default_min_objects(p);
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

static inline int calculate_order(const params_t *p, uint32_t size, int32_t *order_out,
                                  struct outcome *o)
{
    if (p->calculate_order == SLABHW_CALCULATE_ORDER_V6_7)
        return calculate_order_v6_7(p, size, order_out, o);
    return calculate_order_v2_6_30(p, size, order_out, o);
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

/* Whether calculate_sizes() moves the free pointer behind the object (FreePointerOutside) */
static inline int freeptr_outside(const params_t *p, const args_t *a, uint32_t flags,
                                  uint32_t object_size, int orig_size)
{
    const uint32_t word = (uint32_t)(p->word_bits / 8);
    const int rcu = (flags & p->flag_typesafe_by_rcu) != 0;
    const int red_zone = (flags & p->flag_red_zone) != 0;
    const int base = (flags & p->flag_poison) || a->ctor;

    switch (p->freeptr_outside) {
    case SLABHW_FREE_POINTER_OUTSIDE_V2_6:
        return base || rcu;
    case SLABHW_FREE_POINTER_OUTSIDE_V5_13:
        return base || rcu || (red_zone && object_size < word);
    case SLABHW_FREE_POINTER_OUTSIDE_V6_2:
        return base || rcu || orig_size || (red_zone && object_size < word);
    case SLABHW_FREE_POINTER_OUTSIDE_V6_11:
        return base || (rcu && !a->use_freeptr_offset) ||
               (red_zone && (object_size < word || orig_size));
    default: /* SLABHW_FREE_POINTER_OUTSIDE_V7_0 */
        return (flags & p->flag_poison) || ((rcu || a->ctor) && !a->use_freeptr_offset) ||
               (red_zone && (object_size < word || orig_size));
    }
}

/* calculate_sheaf_capacity() (v7.0): none for SLUB_TINY, debug caches and the
 * NO_OBJ_EXT / NOLEAKTRACE caches; else by slot size, rounded up to a kmalloc bucket
 * (the configuration's table), and at least what the caller asked for */
static inline uint32_t sheaf_capacity(const params_t *p, const args_t *a, const cache_t *c)
{
    const uint32_t flags = (uint32_t)c->flags, size = (uint32_t)c->size;
    uint32_t n;

    if (p->slub_tiny || (flags & p->flag_debug_flags) ||
        (flags & (p->flag_no_obj_ext | p->flag_noleaktrace)))
        return 0;
    if (size >= (uint32_t)1 << p->page_shift)
        n = (uint32_t)p->sheaf_capacity_page;
    else if (size >= 1024)
        n = (uint32_t)p->sheaf_capacity_1k;
    else if (size >= 256)
        n = (uint32_t)p->sheaf_capacity_256;
    else
        n = (uint32_t)p->sheaf_capacity_small;
    return n > a->sheaf_capacity ? n : (uint32_t)a->sheaf_capacity;
}

/* slab_args_unmergeable() (v7.0): what keeps a new cache from any merge */
static inline int args_unmergeable(const params_t *p, const args_t *a, const cache_t *c)
{
    return p->slab_nomerge || a->ctor || c->usersize ||
           ((uint32_t)c->flags & (uint32_t)p->flag_never_merge);
}

/* calculate_sizes(): layout, order and objects; 1 with *ok = 0 when it "returns 0" */
static inline int calculate_sizes(const params_t *p, const args_t *a, cache_t *c,
                                  int debug_on, int *ok, struct outcome *o)
{
    const uint32_t word = (uint32_t)(p->word_bits / 8);
    const uint32_t flags = (uint32_t)c->flags;
    const uint32_t object_size = (uint32_t)c->object_size;
    uint32_t size = align32(object_size, word);
    const uint32_t freepointer_area = size;  /* before the red-zone word (v5.7) */
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

    /* slub_debug_orig_size(): STORE_USER on a kmalloc cache (SLAB_KMALLOC, v6.1) */
    int orig_size = (flags & p->flag_store_user) && (flags & p->flag_kmalloc);
    if (freeptr_outside(p, a, flags, object_size, orig_size)) {
        c->offset = size;
        size += word;
    } else if (((flags & p->flag_typesafe_by_rcu) || a->ctor) && a->use_freeptr_offset) {
        c->offset = (uint32_t)a->freeptr_offset;  /* a ctor cache's from v7.0 only */
    } else if (p->freeptr_inside == SLABHW_FREE_POINTER_OFFSET_V5_7) {
        c->offset = freepointer_area > word ? align32(freepointer_area / 2, word) : 0;
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
    const uint32_t aligned = align32(size, (uint32_t)c->align);
    /* SLAB_OBJ_EXT_IN_OBJ (v7.0, 64-bit with SLAB_OBJ_EXT): the padding holds the
     * object's slabobj_ext; the size does not change */
    if (p->flag_obj_ext_in_obj && args_unmergeable(p, a, c) &&
        aligned - size >= (uint32_t)p->obj_ext_size)
        c->flags = (uint32_t)c->flags | (uint32_t)p->flag_obj_ext_in_obj;
    size = aligned;
    c->size = size;
    if (calculate_order(p, size, &order, o))
        return 1;
    if (order < 0) {
        *ok = 0;
        return 0;
    }
    /* KMALLOC_NORMAL caches get theirs in bootstrap_kmalloc_sheaves() */
    if (p->sheaf_auto && !(((uint32_t)c->flags & p->flag_kmalloc) &&
                           !((uint32_t)c->flags & p->flag_not_kmalloc_normal)))
        c->sheaf_capacity = sheaf_capacity(p, a, c);
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

/* set_cpu_partial(): none for debug caches or without CONFIG_SLUB_CPU_PARTIAL */
static inline void set_cpu_partial(const params_t *p, cache_t *c, int debug_cache)
{
    static const uint32_t objects_v3_1[4] = { 2, 6, 13, 30 };
    static const uint32_t slabs_v5_16[4] = { 6, 24, 52, 120 };
    const uint32_t *nr = p->set_cpu_partial == SLABHW_SET_CPU_PARTIAL_SLABS_V5_16
                         ? slabs_v5_16 : objects_v3_1;
    uint32_t size = (uint32_t)c->size, page = (uint32_t)1 << p->page_shift, n;

    if (!p->cpu_partial)
        return;
    if (debug_cache)
        n = 0;
    else if (size >= page)
        n = nr[0];
    else if (size >= 1024)
        n = nr[1];
    else if (size >= 256)
        n = nr[2];
    else
        n = nr[3];
    c->cpu_partial = n;
    if (p->set_cpu_partial == SLABHW_SET_CPU_PARTIAL_SLABS_V5_16)
        c->cpu_partial_slabs = (2 * n + (uint32_t)c->objects - 1) / (uint32_t)c->objects;
}

/* kmem_cache_open() / do_kmem_cache_create() after create_cache's checks */
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
    /* the slub_debug_enabled static key: on from boot; since v5.14 also from an
     * earlier debug cache or from this one (kmem_cache_create turns it on) */
    const int debug_on = p->slub_debug &&
        (p->debug_key || (p->create_debug_key && (a->debug_key || (flags & p->flag_debug_flags))));
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

    /* kmem_cache_debug(): the static key and a debug flag */
    set_cpu_partial(p, c, debug_on && ((uint32_t)c->flags & p->flag_debug_flags));
    if (!p->sheaf_auto && a->sheaf_capacity && !p->slub_tiny &&
        !((uint32_t)c->flags & p->flag_debug_flags))
        c->sheaf_capacity = (uint32_t)a->sheaf_capacity;  /* v6.18: only when asked */
    return 0;
}

void slabhw_slub_create(const params_t *p, const args_t *a, cache_t *out)
{
    struct outcome o = { SLABHW_OK, SLABHW_SITE_NONE };
    cache_t c = { 0 };
    uint32_t flags = (uint32_t)a->flags;
    uint32_t object_size = (uint32_t)a->object_size;
    uint32_t align = (uint32_t)a->align;
    uint32_t useroffset = (uint32_t)a->useroffset, usersize = (uint32_t)a->usersize;

    if (!a->boot) {
        /* kmem_cache_create_usercopy / __kmem_cache_create_args; from v7.0 a cache
         * with an explicit sheaf capacity is never merged */
        if (p->sheaf_no_merge && a->sheaf_capacity)
            flags |= (uint32_t)p->flag_no_merge;
        if (p->debug_vm && (object_size < p->sanity_min_size ||
                            object_size > p->kmalloc_max_size)) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_SANITY;
            goto fail;
        }
        if (flags & ~(uint32_t)p->flags_permitted) {
            o.error = SLABHW_EINVAL;
            o.site = SLABHW_SITE_FLAGS_PERMITTED;
            goto fail;
        }
        flags &= (uint32_t)p->create_mask;
        if (p->drop_usersize || (!usersize && useroffset) || object_size < usersize ||
            object_size - usersize < useroffset)
            usersize = useroffset = 0;
        if (calc_align(p, flags, align, object_size, &align)) {
            o.error = SLABHW_HANG;
            o.site = SLABHW_SITE_CALCULATE_ALIGNMENT;
            goto fail;
        }
        /* create_cache: the custom free pointer must lie word-aligned inside an RCU
         * object (or, from v7.0, an object with a constructor) */
        const int may_place = (flags & p->flag_typesafe_by_rcu) ||
            (p->freeptr_outside == SLABHW_FREE_POINTER_OUTSIDE_V7_0 && a->ctor);
        if (a->use_freeptr_offset &&
            (a->freeptr_offset >= object_size || !may_place ||
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
        if (p->drop_usersize)
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

void slabhw_slub_create_array(const params_t *p,
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
        slabhw_slub_create(p, &a, &out[i]);
    }
}

void slabhw_slub_create_columns(const params_t *p,
                                const uint64_t *size, size_t size_stride,
                                const uint64_t *align, size_t align_stride,
                                const uint64_t *flags, size_t flags_stride,
                                const uint64_t *ctor, size_t ctor_stride,
                                const int64_t *freeptr_offset, size_t freeptr_stride,
                                int64_t *const *columns, const int32_t *fields,
                                size_t ncolumns, size_t n)
{
    _Static_assert(sizeof(cache_t) % sizeof(int64_t) == 0, "64-bit words only");
    cache_t block[SLABHW_BLOCK];
    for (size_t start = 0; start < n; start += SLABHW_BLOCK) {
        const size_t rows = n - start < SLABHW_BLOCK ? n - start : SLABHW_BLOCK;
        slabhw_slub_create_array(p, size + start * size_stride, size_stride,
                                 align + start * align_stride, align_stride,
                                 flags + start * flags_stride, flags_stride,
                                 ctor + start * ctor_stride, ctor_stride,
                                 freeptr_offset + start * freeptr_stride, freeptr_stride,
                                 block, rows);
        slabhw_scatter_block((const int64_t *)block, sizeof(cache_t) / sizeof(int64_t), rows,
                             columns, fields, ncolumns, start);
    }
}
