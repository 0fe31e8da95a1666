/*
 * runtime.c - the per-object byte work of the SLUB run time (slabhw/slub_runtime.py):
 * free pointers in the page arena, read and written as mm/slub.c of 6.18 does.
 *
 * A free pointer is the unsigned long at object + s->offset.  With
 * CONFIG_SLAB_FREELIST_HARDENED it holds freelist_ptr_encode(): ptr ^ s->random ^
 * swab(ptr_addr).  ``swap`` is set when the target's byte order differs from the
 * host's.  The Python runtime keeps the kernel's control flow and per-slab books;
 * these loops do only what it would do object by object, with the same bytes.
 * slabhw/_core.py holds the pure-Python twin of each function.
 *
 * Addresses are direct-map virtual addresses; memory offset = address - page_offset.
 * A free pointer word outside the arena is never touched: the functions stop (walk)
 * or fail before writing anything.
 */
#include <string.h>

#include "slabhw.h"

typedef struct slabhw_fp fp_t;

/* The arena offset of obj's free pointer word, 0 when it is not inside the arena. */
static inline int fp_index(const fp_t *f, uint64_t obj, uint64_t *idx)
{
    uint64_t ptr = obj + f->offset;
    if (ptr < obj || ptr < f->page_offset || f->memsize < 8)
        return 0;
    uint64_t i = ptr - f->page_offset;
    if (i > f->memsize - 8)
        return 0;
    *idx = i;
    return 1;
}

/* get_freepointer() / freelist_ptr_decode() */
static inline uint64_t fp_load(const fp_t *f, const uint8_t *mem, uint64_t i, uint64_t obj)
{
    uint64_t v;
    memcpy(&v, mem + i, 8);
    if (f->swap)
        v = __builtin_bswap64(v);
    if (f->hardened)
        v ^= f->random ^ __builtin_bswap64(obj + f->offset);
    return v;
}

/* set_freepointer() / freelist_ptr_encode() */
static inline void fp_store(const fp_t *f, uint8_t *mem, uint64_t i, uint64_t obj, uint64_t fp)
{
    uint64_t v = fp;
    if (f->hardened)
        v ^= f->random ^ __builtin_bswap64(obj + f->offset);
    if (f->swap)
        v = __builtin_bswap64(v);
    memcpy(mem + i, &v, 8);
}

size_t slabhw_fp_walk(const struct slabhw_fp *f, const uint8_t *mem, uint64_t head,
                      uint64_t *out, size_t n, uint64_t *next)
{
    size_t k = 0;
    uint64_t cur = head;
    while (k < n && cur) {
        uint64_t i;
        if (!fp_index(f, cur, &i))
            break;
        out[k++] = cur;
        cur = fp_load(f, mem, i, cur);
    }
    *next = cur;
    return k;
}

int slabhw_fp_link_range(const struct slabhw_fp *f, uint8_t *mem, uint64_t start,
                         uint64_t stride, size_t n, uint64_t last)
{
    uint64_t i0, i1;
    if (!n)
        return 0;
    if (stride < 8 || n - 1 > (UINT64_MAX - start) / stride)
        return -1;
    uint64_t end = start + (n - 1) * stride;
    if (!fp_index(f, start, &i0) || !fp_index(f, end, &i1))
        return -1;
    uint64_t obj = start;
    for (size_t j = 0; j + 1 < n; j++, obj += stride, i0 += stride)
        fp_store(f, mem, i0, obj, obj + stride);
    fp_store(f, mem, i0, obj, last);
    return 0;
}

/* next_freelist_entry(): the sequence from *pos on, cyclically, skipping offsets
 * beyond page_limit.  Every lap yields the same offsets, so a lap without a hit
 * means there is none: 0 then. */
static inline int next_entry(const uint64_t *seq, size_t count, size_t *pos,
                             uint64_t page_limit, uint64_t *idx)
{
    for (size_t step = 0; step < count; step++) {
        uint64_t v = seq[*pos];
        if (++*pos >= count)
            *pos = 0;
        if (v < page_limit) {
            *idx = v;
            return 1;
        }
    }
    return 0;
}

int slabhw_fp_link_shuffled(const struct slabhw_fp *f, uint8_t *mem, const uint64_t *seq,
                            size_t count, size_t pos, uint64_t page_limit, uint64_t start,
                            size_t n, uint64_t *first)
{
    if (pos >= count || !n)
        return -1;
    /* first the checks (every object's word inside the arena), then the writes */
    size_t p = pos;
    for (size_t j = 0; j < n; j++) {
        uint64_t idx, i;
        if (!next_entry(seq, count, &p, page_limit, &idx) || start + idx < start
            || !fp_index(f, start + idx, &i))
            return -1;
    }
    uint64_t cur = 0, curi = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t idx = 0, oi = 0;
        (void)next_entry(seq, count, &pos, page_limit, &idx);
        uint64_t obj = start + idx;
        (void)fp_index(f, obj, &oi);
        if (j)
            fp_store(f, mem, curi, cur, obj);
        else
            *first = obj;
        cur = obj;
        curi = oi;
    }
    fp_store(f, mem, curi, cur, 0);
    return 0;
}

/* virt_to_slab() as a key: slab_key[pfn], 0 outside the arena or a slab page. */
static inline uint64_t key_of(const fp_t *f, const uint64_t *slab_key, uint64_t obj)
{
    if (obj < f->page_offset)
        return 0;
    uint64_t i = obj - f->page_offset;
    return i < f->memsize ? slab_key[i >> f->page_shift] : 0;
}

#define KEY_PFN_MASK 0xFFFFFFFFull

int slabhw_fp_detach(const struct slabhw_fp *f, uint8_t *mem, const uint64_t *slab_key,
                     uint64_t *p, size_t size, int null_mark, int hooked, uint64_t *scratch,
                     size_t cap, uint64_t *bitmap, struct slabhw_detached *out)
{
    if (!size || !cap)
        return SLABHW_DETACH_IRREGULAR;
    /* build_detached_freelist(): the last object and its slab; with null_mark (before
     * 6.1) the last non-NULL one, NULL entries being objects already processed */
    size_t last = size - 1;
    if (null_mark)
        while (!p[last] && last)
            last--;
    if (null_mark && !p[last]) {
        out->size = out->cnt = out->head = out->tail = out->key = 0;
        return SLABHW_DETACH_OK; /* nothing left: build_detached_freelist returns 0 */
    }
    uint64_t key = key_of(f, slab_key, p[last]);
    out->key = key;
    if (!key)
        return SLABHW_DETACH_NOT_SLAB;
    if ((key & ~KEY_PFN_MASK) != f->cache_key)
        return SLABHW_DETACH_OTHER_CACHE;
    /* earlier objects of the same slab, until three of other slabs were seen (the
     * positions only: nothing is written before the checks); with null_mark the
     * next round starts just above the first object of another slab skipped */
    size_t cnt = 0, first_skipped = 0;
    scratch[cnt++] = last;
    int lookahead = 3;
    for (size_t j = last; j;) {
        j--;
        if (null_mark && !p[j])
            continue;
        if (key_of(f, slab_key, p[j]) == key) {
            if (cnt == cap)
                return SLABHW_DETACH_IRREGULAR;
            scratch[cnt++] = j;
            continue;
        }
        if (!--lookahead)
            break;
        if (!first_skipped)
            first_skipped = j + 1;
    }
    /* every free pointer word 8-aligned within the slab's span and used once: then
     * the kernel's intermediate writes (the detached list, then the reversal by
     * slab_free_freelist_hook) end in exactly the chain written below */
    const uint64_t base = f->page_offset + ((key & KEY_PFN_MASK) << f->page_shift);
    size_t bad = cnt;
    for (size_t t = 0; t < cnt; t++) {
        uint64_t obj = p[scratch[t]], i;
        uint64_t w = obj + f->offset;
        if (!fp_index(f, obj, &i) || w < base || w - base > f->span - 8 || (w - base) & 7) {
            bad = t;
            break;
        }
        uint64_t bit = (w - base) >> 3;
        if (bitmap[bit >> 6] & (1ull << (bit & 63))) {
            bad = t;
            break;
        }
        bitmap[bit >> 6] |= 1ull << (bit & 63);
    }
    for (size_t t = 0; t < bad; t++) {
        uint64_t bit = (p[scratch[t]] + f->offset - base) >> 3;
        bitmap[bit >> 6] &= ~(1ull << (bit & 63));
    }
    if (bad != cnt)
        return SLABHW_DETACH_IRREGULAR;
    /* hooked: the chain slab_free_freelist_hook leaves, reversed: p[size-1] -> the
     * next object found -> ... -> NULL; else build_detached_freelist's own (as
     * __kmem_cache_free_bulk frees it): the last object found -> ... -> p[size-1] ->
     * NULL.  The caller links the tail to the slab or CPU freelist. */
    for (size_t t = 0; t < cnt; t++) {
        uint64_t obj = p[scratch[t]], i = 0;
        (void)fp_index(f, obj, &i); /* checked above */
        if (hooked)
            fp_store(f, mem, i, obj, t + 1 < cnt ? p[scratch[t + 1]] : 0);
        else
            fp_store(f, mem, i, obj, t ? p[scratch[t - 1]] : 0);
    }
    out->head = hooked ? p[last] : p[scratch[cnt - 1]];
    out->tail = hooked ? p[scratch[cnt - 1]] : p[last];
    out->cnt = cnt;
    if (null_mark) { /* the objects taken are marked processed */
        for (size_t t = 0; t < cnt; t++)
            p[scratch[t]] = 0;
        out->size = first_skipped;
        return SLABHW_DETACH_OK;
    }
    /* from 6.1, the swaps that move the objects of this slab out of the way */
    size_t same = last;
    for (size_t t = 1; t < cnt; t++) {
        size_t q = scratch[t];
        same--;
        if (q != same) {
            uint64_t tmp = p[q];
            p[q] = p[same];
            p[same] = tmp;
        }
    }
    out->size = same;
    return SLABHW_DETACH_OK;
}
