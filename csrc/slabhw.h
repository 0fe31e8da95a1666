/*
 * slabhw.h - the one header of slabhw's C core: pure arithmetic of the Linux slab
 * allocators (alignment, size rounding, layout and order search), scalar and
 * array entry points.  No globals, no Python.h.
 *
 * The block between the CDEF markers is fed verbatim to cffi's cdef(), so it holds
 * no preprocessor directives.  slabhw/reference.py is the readable Python twin of
 * every function here; tests/test_core.py holds the two together.
 */
#ifndef SLABHW_H
#define SLABHW_H

#include <stddef.h>
#include <stdint.h>

/* CDEF-BEGIN */
enum { SLABHW_ABI_VERSION = 15 };
static const uint64_t SLABHW_ALIGN_HANG = 0xFFFFFFFFFFFFFFFF;

/* Outcome codes: positive errno values as the kernel returns them negated, and
 * what a kernel does instead of returning. */
enum slabhw_error {
    SLABHW_OK = 0,
    SLABHW_E2BIG = 7,
    SLABHW_ENOMEM = 12,
    SLABHW_EINVAL = 22,
    SLABHW_BUG = 1000,
    SLABHW_HANG = 1001,
    SLABHW_DIVIDE_ERROR = 1002
};

/* Where in the kernel an outcome arises. */
enum slabhw_site {
    SLABHW_SITE_NONE = 0,
    SLABHW_SITE_SANITY = 1,
    SLABHW_SITE_CALCULATE_ALIGNMENT = 2,
    SLABHW_SITE_DEBUG_RCU_POISON = 3,
    SLABHW_SITE_NO_OBJECTS = 4,
    SLABHW_SITE_CACHE_ESTIMATE = 5,
    SLABHW_SITE_RECIPROCAL = 6,
    SLABHW_SITE_FLAGS_PERMITTED = 7,
    SLABHW_SITE_FREEPTR_OFFSET = 8,
    SLABHW_SITE_CALCULATE_SIZES = 9,
    SLABHW_SITE_CALCULATE_ORDER = 10
};

/* One configured Linux 3.16 SLAB kernel (field names as in reference.SlabParams). */
struct slabhw_slab316_params {
    uint64_t word_bits;            /* 8 * sizeof(unsigned long): 32 or 64 */
    uint64_t page_shift;
    uint64_t cache_line_size;      /* cache_line_size(), a power of two */
    uint64_t arch_slab_minalign;
    uint64_t ull_align;            /* __alignof__(unsigned long long) */
    uint64_t redzone_align;        /* REDZONE_ALIGN */
    uint64_t kmalloc_min_size;
    uint64_t kmalloc_shift_low;
    uint64_t kmalloc_max_size;
    uint64_t kmalloc_max_order;
    uint64_t off_slab_min_size;
    uint64_t slab_obj_min_size;
    uint64_t freelist_byte_index;
    uint64_t idx_size;             /* sizeof(freelist_idx_t) */
    uint64_t slab_obj_max_num;
    uint64_t slab_max_order;
    uint64_t debug_slab;           /* CONFIG_DEBUG_SLAB (DEBUG, FORCED_DEBUG) */
    uint64_t debug_vm;             /* CONFIG_DEBUG_VM */
    uint64_t debug_pagealloc;      /* CONFIG_DEBUG_PAGEALLOC */
    uint64_t debug_slab_leak;      /* CONFIG_DEBUG_SLAB_LEAK */
    uint64_t page_poisoning;       /* CONFIG_PAGE_POISONING */
    uint64_t index_node_size;      /* kmalloc_size(INDEX_NODE) */
    uint64_t nr_possible_cpus;
    uint64_t create_mask;          /* CACHE_CREATE_MASK */
    uint64_t flag_hwcache_align;
    uint64_t flag_red_zone;
    uint64_t flag_poison;
    uint64_t flag_store_user;
    uint64_t flag_destroy_by_rcu;
    uint64_t flag_reclaim_account;
    uint64_t flag_noleaktrace;
    uint64_t cflgs_off_slab;
};

/* What kmem_cache_create computes for one cache (reference.SlabLayout). All fields
 * are 64-bit so that a numpy structured array can alias an array of them; the
 * size_t values (colour, left_over) are unsigned, the rest fit int64_t. */
struct slabhw_slab316_cache {
    int64_t error;
    int64_t site;
    int64_t flags;
    int64_t object_size;
    int64_t size;
    int64_t align;
    int64_t obj_offset;
    int64_t num;
    int64_t gfporder;
    uint64_t colour;
    int64_t colour_off;
    int64_t off_slab;
    int64_t freelist_size;
    uint64_t left_over;
    int64_t limit;
    int64_t batchcount;
    int64_t shared;
    int64_t reciprocal_m;
    int64_t reciprocal_sh1;
    int64_t reciprocal_sh2;
};

/* The rules of SLUB that change between versions (slabhw/versions/rules.py names
 * each value after the release that introduced it; checked at import). */
enum slabhw_calculate_order {          /* calculate_order() */
    SLABHW_CALCULATE_ORDER_V2_6_30 = 0, /* the min_objects loop, fractions 16/8/4 */
    SLABHW_CALCULATE_ORDER_V6_7 = 1     /* one MAX_OBJS test, fractions 16..2 */
};
enum slabhw_order_cpus {               /* the CPU count behind min_objects */
    SLABHW_ORDER_CPUS_NR_CPU_IDS_V2_6_26 = 0,
    SLABHW_ORDER_CPUS_PRESENT_V5_11 = 1
};
enum slabhw_free_pointer_offset {       /* a free pointer inside the object */
    SLABHW_FREE_POINTER_OFFSET_V5_7 = 0, /* middle of ALIGN(size, PTR), rounded up */
    SLABHW_FREE_POINTER_OFFSET_V5_13 = 1 /* ALIGN_DOWN(object_size / 2, PTR) */
};
enum slabhw_free_pointer_outside {      /* when the free pointer goes behind it */
    SLABHW_FREE_POINTER_OUTSIDE_V2_6 = 0,  /* RCU, POISON, ctor */
    SLABHW_FREE_POINTER_OUTSIDE_V5_13 = 1, /* + RED_ZONE with object < PTR */
    SLABHW_FREE_POINTER_OUTSIDE_V6_2 = 2,  /* + a kmalloc cache keeping orig_size */
    SLABHW_FREE_POINTER_OUTSIDE_V6_11 = 3, /* orig_size only with RED_ZONE */
    SLABHW_FREE_POINTER_OUTSIDE_V7_0 = 4   /* a ctor cache may place it (freeptr_offset) */
};
enum slabhw_set_cpu_partial {          /* set_cpu_partial() */
    SLABHW_SET_CPU_PARTIAL_OBJECTS_V3_1 = 0,  /* 30/13/6/2 objects */
    SLABHW_SET_CPU_PARTIAL_SLABS_V5_16 = 1    /* 120/52/24/6, cpu_partial_slabs */
};

/* One configured SLUB kernel of any version (reference_slub.SlubParams). */
struct slabhw_slub_params {
    uint64_t word_bits;
    uint64_t page_shift;
    uint64_t cache_line_size;
    uint64_t arch_slab_minalign;
    uint64_t kmalloc_max_size;
    uint64_t max_page_order;       /* MAX_PAGE_ORDER */
    uint64_t slub_min_order;
    uint64_t slub_max_order;
    uint64_t slub_min_objects;     /* 0: from the CPU count */
    uint64_t nr_present_cpus;      /* num_present_cpus() */
    uint64_t nr_cpu_ids;
    uint64_t min_partial;          /* MIN_PARTIAL (5, or 0 with SLUB_TINY) */
    uint64_t max_partial;          /* MAX_PARTIAL (10, or 0 with SLUB_TINY) */
    uint64_t cpu_partial;          /* CONFIG_SLUB_CPU_PARTIAL */
    uint64_t slub_debug;           /* CONFIG_SLUB_DEBUG */
    uint64_t slub_tiny;            /* CONFIG_SLUB_TINY */
    uint64_t debug_vm;             /* CONFIG_DEBUG_VM */
    uint64_t drop_usersize;        /* usersize dropped: no HARDENED_USERCOPY (v6.2+) */
    uint64_t track_size;           /* sizeof(struct track) */
    uint64_t orig_size_size;       /* sizeof the kmalloc original-size word */
    uint64_t global_debug_flags;   /* slub_debug flags given without a cache list */
    uint64_t disable_higher_order_debug;  /* slab_debug=...O */
    uint64_t flags_permitted;      /* SLAB_FLAGS_PERMITTED */
    uint64_t create_mask;          /* CACHE_CREATE_MASK (all ones where there is none) */
    uint64_t flag_debug_flags;     /* SLAB_DEBUG_FLAGS */
    uint64_t flag_red_zone;
    uint64_t flag_poison;
    uint64_t flag_kmalloc;
    uint64_t flag_hwcache_align;
    uint64_t flag_store_user;
    uint64_t flag_typesafe_by_rcu;
    uint64_t flag_noleaktrace;     /* 0 where it does not drop STORE_USER (< 5.12) */
    uint64_t flag_no_user_flags;
    uint64_t flag_object_poison;   /* __OBJECT_POISON */
    uint64_t kasan_generic;        /* CONFIG_KASAN_GENERIC */
    uint64_t flag_kasan;
    uint64_t flag_no_merge;
    uint64_t kasan_alloc_meta_size;  /* sizeof(struct kasan_alloc_meta) */
    uint64_t kasan_free_meta_size;   /* sizeof(struct kasan_free_meta) */
    uint64_t debug_key;            /* slub_debug_enabled already on at boot */
    uint64_t create_debug_key;     /* kmem_cache_create turns the key on (v5.14) */
    uint64_t sanity_min_size;      /* DEBUG_VM rejects smaller objects (0: none) */
    uint64_t calculate_order;      /* enum slabhw_calculate_order */
    uint64_t order_cpus;           /* enum slabhw_order_cpus */
    uint64_t freeptr_inside;       /* enum slabhw_free_pointer_offset */
    uint64_t freeptr_outside;      /* enum slabhw_free_pointer_outside */
    uint64_t set_cpu_partial;      /* enum slabhw_set_cpu_partial */
    uint64_t sheaf_auto;           /* calculate_sheaf_capacity() for every cache (v7.0) */
    uint64_t sheaf_capacity_page;  /* its capacity for s->size >= PAGE_SIZE ... */
    uint64_t sheaf_capacity_1k;    /* ... >= 1024 ... */
    uint64_t sheaf_capacity_256;   /* ... >= 256 ... */
    uint64_t sheaf_capacity_small; /* ... and below (each rounded to a kmalloc bucket) */
    uint64_t sheaf_no_merge;       /* an explicit sheaf_capacity adds SLAB_NO_MERGE (v7.0) */
    uint64_t flag_no_obj_ext;      /* SLAB_NO_OBJ_EXT (0: not defined) */
    uint64_t flag_obj_ext_in_obj;  /* SLAB_OBJ_EXT_IN_OBJ (0: not defined) */
    uint64_t obj_ext_size;         /* sizeof(struct slabobj_ext) */
    uint64_t flag_never_merge;     /* SLAB_NEVER_MERGE */
    uint64_t flag_not_kmalloc_normal;  /* SLAB_CACHE_DMA | SLAB_ACCOUNT | SLAB_RECLAIM_ACCOUNT */
    uint64_t slab_nomerge;         /* boot option slab_nomerge */
};

/* The arguments of one kmem_cache_create (struct kmem_cache_args and friends). */
struct slabhw_slub_args {
    uint64_t object_size;
    uint64_t align;
    uint64_t flags;
    uint64_t ctor;
    uint64_t use_freeptr_offset;
    uint64_t freeptr_offset;
    uint64_t useroffset;
    uint64_t usersize;
    uint64_t sheaf_capacity;
    uint64_t boot;                 /* create_boot_cache: align given, no checks */
    int64_t debug_flags;           /* slab_debug flags of a matching name list; -1: none */
    uint64_t debug_key;            /* slub_debug_enabled turned on by an earlier cache */
};

/* What SLUB computes for one cache (reference_slub.SlubLayout). */
struct slabhw_slub_cache {
    int64_t error;
    int64_t site;
    int64_t flags;
    int64_t object_size;
    int64_t size;
    int64_t align;
    int64_t offset;
    int64_t inuse;
    int64_t red_left_pad;
    int64_t order;
    int64_t objects;
    int64_t min_order;
    int64_t min_objects;
    int64_t min_partial;
    int64_t cpu_partial;
    int64_t cpu_partial_slabs;
    int64_t sheaf_capacity;
    int64_t useroffset;
    int64_t usersize;
    int64_t kasan_alloc_meta_offset;
    int64_t kasan_free_meta_offset;   /* INT_MAX: KASAN_NO_FREE_META */
};

int slabhw_abi_version(void);

/* Generic helpers. */
int slabhw_fls(uint64_t x);
uint64_t slabhw_align(uint64_t x, uint64_t a, uint64_t word_bits);
int slabhw_get_order(uint64_t size, uint64_t page_shift, uint64_t word_bits);
void slabhw_get_order_array(const uint64_t *size, int64_t *out, size_t n,
                            uint64_t page_shift, uint64_t word_bits);

/* calculate_alignment(): returns 1 where the kernel never returns (HWCACHE_ALIGN
 * with size 0), else 0 with *out set.  The array form writes SLABHW_ALIGN_HANG
 * there instead: a real result is a multiple of the word size, never all ones.
 * Each array input is read with an element stride of 0 (broadcast scalar) or 1. */
int slabhw_calculate_alignment(const struct slabhw_slab316_params *p, uint64_t flags,
                               uint64_t align, uint64_t size, uint64_t *out);
void slabhw_calculate_alignment_array(const struct slabhw_slab316_params *p,
                                      const uint64_t *flags, size_t flags_stride,
                                      const uint64_t *align, size_t align_stride,
                                      const uint64_t *size, size_t size_stride,
                                      uint64_t *out, size_t n);

/* kmem_cache_create() numbers (mm/slab_common.c + mm/slab.c, v3.16.y). */
void slabhw_slab316_create(const struct slabhw_slab316_params *p, uint64_t size,
                           uint64_t align, uint64_t flags, int boot,
                           int slab_early_init, struct slabhw_slab316_cache *out);
void slabhw_slab316_create_array(const struct slabhw_slab316_params *p,
                                 const uint64_t *size, size_t size_stride,
                                 const uint64_t *align, size_t align_stride,
                                 const uint64_t *flags, size_t flags_stride,
                                 struct slabhw_slab316_cache *out, size_t n);
/* The same written as columns (a sweep's result without a per-row copy): column k,
 * an int64 array of n elements, receives the struct's 64-bit word fields[k] of each
 * row; a row whose error is not 0 gets 0 in every column but the error word (0). */
void slabhw_slab316_create_columns(const struct slabhw_slab316_params *p,
                                   const uint64_t *size, size_t size_stride,
                                   const uint64_t *align, size_t align_stride,
                                   const uint64_t *flags, size_t flags_stride,
                                   int64_t *const *columns, const int32_t *fields,
                                   size_t ncolumns, size_t n);

/* kmalloc index arithmetic (every version, SLAB and SLUB; reference.KmallocParams).
 * kmalloc_index: -1 where the kernel BUG()s; kmalloc_slab_index: -1 NULL, 0
 * ZERO_SIZE_PTR. */
struct slabhw_kmalloc_params {
    uint64_t min_size;             /* KMALLOC_MIN_SIZE */
    uint64_t shift_low;            /* KMALLOC_SHIFT_LOW */
    uint64_t max_size;             /* the largest size kmalloc_slab() serves */
};
int slabhw_kmalloc_index(const struct slabhw_kmalloc_params *p, uint64_t size);
int slabhw_kmalloc_size(const struct slabhw_kmalloc_params *p, int n);
int slabhw_kmalloc_slab_index(const struct slabhw_kmalloc_params *p, uint64_t size);
void slabhw_kmalloc_slab_index_array(const struct slabhw_kmalloc_params *p,
                                     const uint64_t *size, int64_t *out, size_t n);
/* SLUB of any version: the numbers of kmem_cache_create/create_boot_cache. */
void slabhw_slub_create(const struct slabhw_slub_params *p,
                        const struct slabhw_slub_args *a,
                        struct slabhw_slub_cache *out);
uint64_t slabhw_slub_calculate_alignment(const struct slabhw_slub_params *p,
                                         uint64_t flags, uint64_t align, uint64_t size,
                                         int *hang);
/* The same over strided arrays (values already checked to fit 32 bits); a hang
 * stores SLABHW_ALIGN_HANG. */
void slabhw_slub_calculate_alignment_array(const struct slabhw_slub_params *p,
                                           const uint64_t *flags, size_t flags_stride,
                                           const uint64_t *align, size_t align_stride,
                                           const uint64_t *size, size_t size_stride,
                                           uint64_t *out, size_t n);
void slabhw_slub_create_array(const struct slabhw_slub_params *p,
                              const uint64_t *size, size_t size_stride,
                              const uint64_t *align, size_t align_stride,
                              const uint64_t *flags, size_t flags_stride,
                              const uint64_t *ctor, size_t ctor_stride,
                              const int64_t *freeptr_offset, size_t freeptr_stride,
                              struct slabhw_slub_cache *out, size_t n);
void slabhw_slub_create_columns(const struct slabhw_slub_params *p,
                                const uint64_t *size, size_t size_stride,
                                const uint64_t *align, size_t align_stride,
                                const uint64_t *flags, size_t flags_stride,
                                const uint64_t *ctor, size_t ctor_stride,
                                const int64_t *freeptr_offset, size_t freeptr_stride,
                                int64_t *const *columns, const int32_t *fields,
                                size_t ncolumns, size_t n);

/* The SLUB run time's free pointers (csrc/runtime.c): one cache in one arena. */
struct slabhw_fp {
    uint64_t memsize;              /* bytes of arena memory */
    uint64_t page_offset;          /* the direct-map address of memory[0] */
    uint64_t page_shift;
    uint64_t offset;               /* s->offset */
    uint64_t random;               /* s->random */
    uint64_t hardened;             /* CONFIG_SLAB_FREELIST_HARDENED */
    uint64_t swap;                 /* the target's byte order is not the host's */
    uint64_t cache_key;            /* the high half of this cache's slab keys */
    uint64_t span;                 /* bytes of the largest slab (a multiple of 8) */
};

/* One detached freelist, reversed by slab_free_freelist_hook. */
struct slabhw_detached {
    uint64_t size;                 /* what build_detached_freelist returns */
    uint64_t head;
    uint64_t tail;
    uint64_t cnt;
    uint64_t key;                  /* the slab's key (slab_key of its pages) */
};

enum slabhw_detach_result {
    SLABHW_DETACH_OK = 0,
    SLABHW_DETACH_NOT_SLAB = 1,    /* p[size-1] is not in a slab page */
    SLABHW_DETACH_OTHER_CACHE = 2, /* p[size-1] is in a slab of another cache (key) */
    SLABHW_DETACH_IRREGULAR = 3    /* free pointer words repeat, overlap or stray */
};

/* Up to n objects of the freelist at head into out; *next is the rest (0: the end;
 * else where the walk stopped, perhaps an object whose free pointer is outside the
 * arena).  Returns how many were taken. */
size_t slabhw_fp_walk(const struct slabhw_fp *f, const uint8_t *mem, uint64_t head,
                      uint64_t *out, size_t n, uint64_t *next);
/* The objects start, start + stride, ... (n of them) chained in that order, the last
 * one's free pointer set to last.  -1 (nothing written) if any word is outside. */
int slabhw_fp_link_range(const struct slabhw_fp *f, uint8_t *mem, uint64_t start,
                         uint64_t stride, size_t n, uint64_t last);
/* shuffle_freelist(): n objects start + seq[...] from position pos on, skipping
 * offsets >= page_limit, chained; *first is the freelist head.  -1 on bad input. */
int slabhw_fp_link_shuffled(const struct slabhw_fp *f, uint8_t *mem, const uint64_t *seq,
                            size_t count, size_t pos, uint64_t page_limit, uint64_t start,
                            size_t n, uint64_t *first);
/* build_detached_freelist() on p[0..size) (look-ahead 3; swapping p as 6.1 and later
 * do, or with null_mark setting the entries taken to NULL and skipping NULL ones as
 * 4.6 .. 6.0 do) and, when hooked, slab_free_freelist_hook()'s reversal (a cache
 * without init_on_free; unhooked: the chain __kmem_cache_free_bulk frees).  slab_key holds a key per PFN (0: no slab); scratch has room for cap
 * positions; bitmap (span / 8 bits) is all zero and left so.  Anything but
 * SLABHW_DETACH_OK leaves p and the memory untouched; OK with cnt 0 (null_mark
 * only): every entry was NULL. */
int slabhw_fp_detach(const struct slabhw_fp *f, uint8_t *mem, const uint64_t *slab_key,
                     uint64_t *p, size_t size, int null_mark, int hooked, uint64_t *scratch,
                     size_t cap, uint64_t *bitmap, struct slabhw_detached *out);
/* CDEF-END */

#endif /* SLABHW_H */
