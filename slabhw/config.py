"""``KernelConfig``: one configured kernel.

A version preset (slabhw.versions: its rules, flags and architectures) + an arch +
CONFIG_* switches + boot parameters + CPU count.  Every derived constant the
allocator uses (KMALLOC_MIN_SIZE, OFF_SLAB_MIN_SIZE, the C core's parameters, ...)
is a property here, with the header it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from . import reference as ref
from . import slub_debug
from .errors import InputError
from .flags import FlagTable
from .reference_slub import SlubParams
from .slub_debug import SlubDebug
from .textio import shown
from .versions import Arch, KernelPreset, get_preset
from .versions.rules import NEVER_MERGE, SLAB_DEBUG_FLAGS, SlubRules


def get_arch(preset: KernelPreset, name: str) -> Arch:
    if name in preset.arches:
        return preset.arches[name]
    if name in preset.later_arches:
        raise InputError(
            f"architecture {shown(name)} does not exist in {preset.name}: "
            f"it first appears in {preset.later_arches[name]}"
        )
    raise InputError(
        f"unknown architecture {shown(name)} for {preset.name} "
        f"(choose from: {', '.join(preset.arches)})"
    )


# Every switch of every version (KernelConfig has a field for each).
ALL_SWITCHES: tuple[str, ...] = (
    "debug_slab",
    "debug_vm",
    "debug_pagealloc",
    "debug_slab_leak",
    "page_poisoning",
    "debug_objects",
    "kmemcheck",
    "failslab",
    "memcg_kmem",
    "slub_debug_config",
    "slub_cpu_partial",
    "slub_tiny",
    "hardened_usercopy",
    "memcg",
    "stackdepot",
    "stacktrace",
    "kasan_generic",
    "kfence",
    "slab_obj_ext",
    "random_kmalloc_caches",
    "slab_buckets",
    "slab_freelist_hardened",
    "slab_freelist_random",
)

MAX_NR_CPUS = 8192  # the largest CONFIG_NR_CPUS (x86 MAXSMP)
DEFAULT_MEM = 4 << 30  # RAM of the simulated machine; > 32 MiB gives slab_max_order 1


@dataclass(frozen=True)
class KernelConfig:
    """One configured kernel: version preset, arch, switches, boot parameters."""

    preset: KernelPreset
    arch: Arch
    nr_cpus: int = 4  # possible == online CPUs (nr_cpu_ids)
    nr_nodes: int = 1  # NUMA nodes (nr_node_ids); only 1 is modelled
    mem: int = DEFAULT_MEM  # total RAM in bytes
    slab_max_order_param: int | None = None  # boot option slab_max_order=
    cache_line_size_param: int | None = None  # run-time cache_line_size() override
    zone_dma: bool | None = None  # None: the arch's default
    # SLUB (6.18) boot parameters and CPU counts
    nr_present_cpus: int | None = None  # num_present_cpus(); None: nr_cpus
    slub_min_order: int = 0  # slab_min_order=
    slub_max_order: int | None = None  # slab_max_order=; None: PAGE_ALLOC_COSTLY_ORDER
    slub_min_objects: int = 0  # slab_min_objects=; 0: from the CPU count
    slab_nomerge: bool = False  # slab_nomerge
    slub_debug: str | None = None  # slab_debug= (None: not given)
    # CONFIG_* switches: None means the version's default (KernelPreset.switches)
    debug_slab: bool | None = None
    debug_vm: bool | None = None
    debug_pagealloc: bool | None = None
    debug_slab_leak: bool | None = None
    page_poisoning: bool | None = None
    debug_objects: bool | None = None
    kmemcheck: bool | None = None
    failslab: bool | None = None
    memcg_kmem: bool | None = None
    slub_debug_config: bool | None = None
    slub_cpu_partial: bool | None = None
    slub_tiny: bool | None = None
    hardened_usercopy: bool | None = None
    memcg: bool | None = None
    stackdepot: bool | None = None
    stacktrace: bool | None = None
    kasan_generic: bool | None = None
    kfence: bool | None = None
    slab_obj_ext: bool | None = None
    random_kmalloc_caches: bool | None = None
    slab_buckets: bool | None = None
    slab_freelist_hardened: bool | None = None
    slab_freelist_random: bool | None = None

    def __post_init__(self) -> None:
        for name in ALL_SWITCHES:
            value = getattr(self, name)
            if name in self.preset.switches:
                if value is None:
                    object.__setattr__(self, name, self.preset.switches[name][0])
            elif value:
                raise InputError(f"switch {name} does not apply to {self.preset.name}")
            else:
                object.__setattr__(self, name, False)
        if not 1 <= self.nr_cpus <= MAX_NR_CPUS:
            raise InputError(
                f"nr_cpus must be in 1..{MAX_NR_CPUS} (CONFIG_NR_CPUS), not {self.nr_cpus}"
            )
        if self.nr_nodes != 1:
            raise InputError("only one NUMA node is modelled (nr_nodes=1)")
        if self.mem < self.arch.page_size:
            raise InputError(f"mem {self.mem} is smaller than one page")
        cls = self.cache_line_size
        if cls < 1 or cls & (cls - 1) or cls >= 1 << 31:  # cache_line_size() is an int
            raise InputError(f"cache_line_size must be a power of two below 2**31, not {cls}")
        if self.nr_present_cpus is not None and not 1 <= self.nr_present_cpus <= self.nr_cpus:
            raise InputError(
                f"nr_present_cpus must be in 1..nr_cpus ({self.nr_cpus}), "
                f"not {self.nr_present_cpus}"
            )
        # boot options as get_option() reads them: into an int (slab_max_order= of
        # SLAB, which then clamps it) or into an unsigned int through an int pointer
        # (SLUB's slab_min_order=, slab_max_order=, slab_min_objects=)
        for name, lo, hi in (
            ("slab_max_order_param", -(2**31), 2**31),
            ("slub_max_order", -(2**31), 2**31),
            ("slub_min_order", 0, 2**32),
            ("slub_min_objects", 0, 2**32),
        ):
            value = getattr(self, name)
            if value is not None and not lo <= value < hi:
                raise InputError(f"{name} {value} does not fit its C type ({lo}..{hi - 1})")
        if self.preset.slub is not None and self.slub_min_order > self.arch.max_page_order:
            # setup_slub_min_order() does not clamp: calc_slab_order() would shift
            # PAGE_SIZE past the width of an unsigned int, which C leaves undefined
            raise InputError(
                f"slab_min_order={self.slub_min_order} is above MAX_PAGE_ORDER "
                f"({self.arch.max_page_order}): the kernel would shift PAGE_SIZE beyond "
                "32 bits (undefined behaviour), which slabhw does not model"
            )

    def __repr__(self) -> str:
        changed = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name not in ("preset", "arch")
            and getattr(self, f.name) != self.preset.switches.get(f.name, (f.default,))[0]
            and not (f.name in ALL_SWITCHES and f.name not in self.preset.switches)
        ]
        args = ", ".join([repr(self.preset.name), repr(self.arch.name), *changed])
        return f"KernelConfig.build({args})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython / hypothesis
        printer.text(repr(self))

    # ---- construction -------------------------------------------------------------
    @classmethod
    def build(cls, kernel: str = "v3.16", arch: str = "x86_64", **options: Any) -> KernelConfig:
        """A configuration from names: ``KernelConfig.build("v3.16", "arm64", debug_slab=True)``."""
        preset = get_preset(kernel)
        options = {k: v for k, v in options.items() if v is not None}  # None: the default
        known = set(preset.switches) | preset.options
        unknown = set(options) - known
        if unknown:
            raise InputError(
                f"option(s) {', '.join(sorted(unknown))} do not apply to {preset.name}"
            )
        return cls(preset=preset, arch=get_arch(preset, arch), **options)

    def with_(self, **changes: Any) -> KernelConfig:
        return replace(self, **changes)

    @property
    def version(self) -> str:
        return self.preset.name

    def on(self, switch: str) -> bool:
        """Whether a CONFIG_* switch is set in this configuration."""
        return bool(getattr(self, switch))

    @property
    def switches(self) -> dict[str, bool]:
        out = {name: bool(getattr(self, name)) for name in self.preset.switches}
        out["zone_dma"] = self.has_zone_dma
        return out

    @property
    def flags(self) -> FlagTable:
        return FlagTable(
            self.preset.flags,
            self.switches,
            self.preset.flags_bits or self.arch.word_bits,
            is_64bit=self.arch.word_bits == 64,
        )

    # ---- derived constants (include/linux/slab.h, mm/slab.c, v3.16) ---------------
    @property
    def has_zone_dma(self) -> bool:
        return self.arch.zone_dma if self.zone_dma is None else self.zone_dma

    @property
    def cache_line_size(self) -> int:
        if self.cache_line_size_param is not None:
            return self.cache_line_size_param
        return self.arch.cache_line_size

    @property
    def page_size(self) -> int:
        return self.arch.page_size

    @property
    def page_offset(self) -> int:
        """PAGE_OFFSET: the virtual address of physical page 0 (Arch.page_offset)."""
        if self.arch.page_offset is None:
            raise InputError(
                f"the run-time model has no direct map for {self.arch.name} on "
                f"{self.version} (see slabhw.versions.arches)"
            )
        return self.arch.page_offset

    @property
    def bytes_per_word(self) -> int:
        return self.arch.bytes_per_word

    @property
    def redzone_align(self) -> int:
        """REDZONE_ALIGN = max(BYTES_PER_WORD, __alignof__(unsigned long long)), mm/slab.c."""
        return max(self.bytes_per_word, self.arch.ull_align)

    @property
    def arch_slab_minalign(self) -> int:
        """ARCH_SLAB_MINALIGN, default __alignof__(unsigned long long), include/linux/slab.h."""
        a = self.arch.arch_slab_minalign
        return self.arch.ull_align if a is None else a

    @property
    def _dma_minalign_gt8(self) -> int | None:
        d = self.arch.arch_dma_minalign
        return d if d is not None and d > 8 else None

    @property
    def arch_kmalloc_minalign(self) -> int:
        """ARCH_KMALLOC_MINALIGN: the arch's own value (arm64 since 6.5), else
        ARCH_DMA_MINALIGN if the arch defines one > 8, else __alignof__(u64)."""
        if self.arch.arch_kmalloc_minalign is not None:
            return self.arch.arch_kmalloc_minalign
        return self._dma_minalign_gt8 or self.arch.ull_align

    @property
    def kmalloc_shift_low(self) -> int:
        """ilog2(ARCH_DMA_MINALIGN) if > 8, else 5 for SLAB (include/linux/slab.h)."""
        d = self._dma_minalign_gt8
        return d.bit_length() - 1 if d else 5

    @property
    def kmalloc_min_size(self) -> int:
        """ARCH_DMA_MINALIGN if > 8, else 1 << KMALLOC_SHIFT_LOW."""
        return self._dma_minalign_gt8 or 1 << self.kmalloc_shift_low

    @property
    def kmalloc_shift_high(self) -> int:
        """SLAB: min(MAX_ORDER + PAGE_SHIFT - 1, 25); KMALLOC_SHIFT_MAX is the same."""
        return min(self.arch.max_order + self.arch.page_shift - 1, 25)

    @property
    def kmalloc_max_size(self) -> int:
        return 1 << self.kmalloc_shift_high

    @property
    def kmalloc_max_order(self) -> int:
        return self.kmalloc_shift_high - self.arch.page_shift

    @property
    def slab_obj_min_size(self) -> int:
        """SLAB_OBJ_MIN_SIZE = KMALLOC_MIN_SIZE if below 16, else 16."""
        return min(self.kmalloc_min_size, 16)

    @property
    def freelist_byte_index(self) -> bool:
        """FREELIST_BYTE_INDEX: (PAGE_SIZE >> 8) <= SLAB_OBJ_MIN_SIZE (mm/slab.c)."""
        return (self.page_size >> 8) <= self.slab_obj_min_size

    @property
    def freelist_idx_size(self) -> int:
        """sizeof(freelist_idx_t): 1 (unsigned char) or 2 (unsigned short)."""
        return 1 if self.freelist_byte_index else 2

    @property
    def slab_obj_max_num(self) -> int:
        return (1 << (8 * self.freelist_idx_size)) - 1

    @property
    def off_slab_min_size(self) -> int:
        """OFF_SLAB_MIN_SIZE = max(PAGE_SIZE >> 5, KMALLOC_MIN_SIZE + 1) (3.16.y)."""
        return max(self.page_size >> 5, self.kmalloc_min_size + 1)

    @property
    def slab_max_order(self) -> int:
        """slab_max_order after boot: the boot option clamped to [0, MAX_ORDER-1], else
        1 when RAM exceeds 32 MiB (kmem_cache_init), else 0."""
        p = self.slab_max_order_param
        if p is not None:
            return 0 if p < 0 else min(p, self.arch.max_order - 1)
        return 1 if self.mem // self.page_size > (32 << 20) >> self.arch.page_shift else 0

    @property
    def cache_create_mask(self) -> int:
        """CACHE_CREATE_MASK for SLAB (mm/slab.h): core | debug | cache flags."""
        f = self.flags
        core = (
            "SLAB_HWCACHE_ALIGN",
            "SLAB_CACHE_DMA",
            "SLAB_PANIC",
            "SLAB_DESTROY_BY_RCU",
            "SLAB_DEBUG_OBJECTS",
        )
        debug = ("SLAB_RED_ZONE", "SLAB_POISON", "SLAB_STORE_USER") if self.debug_slab else ()
        cache = (
            "SLAB_MEM_SPREAD",
            "SLAB_NOLEAKTRACE",
            "SLAB_RECLAIM_ACCOUNT",
            "SLAB_TEMPORARY",
            "SLAB_NOTRACK",
        )
        mask = 0
        for name in core + debug + cache:
            mask |= f.get(name)
        return mask

    # ---- boot-time structure sizes (non-debug spinlocks; see tests/data/README) ---
    @property
    def sizeof_arraycache_init(self) -> int:
        """struct array_cache (4 unsigned ints + spinlock_t, padded) + 1 entry pointer."""
        w = self.bytes_per_word
        header = ref.align_up(16 + 4, w)  # avail, limit, batchcount, touched, lock
        return header + w

    @property
    def sizeof_kmem_cache_node(self) -> int:
        """struct kmem_cache_node (mm/slab.h v3.16): 104 bytes on 64-bit, 56 on 32-bit."""
        w = self.bytes_per_word
        off = ref.align_up(4, w)  # list_lock
        off += 3 * 2 * w  # slabs_partial, slabs_full, slabs_free
        off += w  # free_objects
        off += 4 + 4  # free_limit, colour_next
        off += 2 * w  # shared, alien
        off += w  # next_reap
        off += 4  # free_touched
        return ref.align_up(off, w)

    @property
    def kmem_cache_array_offset(self) -> int:
        """offsetof(struct kmem_cache, array[0]) (include/linux/slab_def.h v3.16)."""
        w = self.bytes_per_word
        off = 4 * 4 + 8  # batchcount, limit, shared, size; reciprocal_value {u32, u8, u8}
        off += 4 * 4  # flags, num, gfporder, allocflags
        off = ref.align_up(off, w) + w  # colour (size_t)
        off += 4  # colour_off
        off = ref.align_up(off, w) + w  # freelist_cache
        off += 4  # freelist_size
        off = ref.align_up(off, w) + 2 * w  # ctor, name
        off += 2 * w  # list
        off += 3 * 4  # refcount, object_size, align
        if self.debug_slab:
            off = ref.align_up(off, w) + 10 * w  # num_active ... node_overflow
            off += 4 * 4 + 4  # allochit, allocmiss, freehit, freemiss; obj_offset
        if self.memcg_kmem:
            off = ref.align_up(off, w) + w  # memcg_params
        off = ref.align_up(off, w) + w  # node
        return off

    @property
    def kmem_cache_size(self) -> int:
        """Object size of the "kmem_cache" cache (kmem_cache_init)."""
        return (
            self.kmem_cache_array_offset
            + self.bytes_per_word * self.nr_cpus
            + self.bytes_per_word * self.nr_nodes
        )

    @property
    def index_ac(self) -> int:
        """INDEX_AC = kmalloc_index(sizeof(struct arraycache_init))."""
        return ref.kmalloc_index(self.slab_kmalloc_params, self.sizeof_arraycache_init)

    @property
    def index_node(self) -> int:
        """INDEX_NODE = kmalloc_index(sizeof(struct kmem_cache_node))."""
        return ref.kmalloc_index(self.slab_kmalloc_params, self.sizeof_kmem_cache_node)

    @property
    def slab_kmalloc_params(self) -> ref.KmallocParams:
        """The kmalloc limits of SLAB (include/linux/slab.h #ifdef CONFIG_SLAB)."""
        return ref.KmallocParams(
            self.kmalloc_min_size, self.kmalloc_shift_low, self.kmalloc_max_size
        )

    def slab_params(self) -> ref.SlabParams:
        """The numbers the C core's SLAB 3.16 arithmetic needs (reference.SlabParams)."""
        f = self.flags
        return ref.SlabParams(
            word_bits=self.arch.word_bits,
            page_shift=self.arch.page_shift,
            cache_line_size=self.cache_line_size,
            arch_slab_minalign=self.arch_slab_minalign,
            ull_align=self.arch.ull_align,
            redzone_align=self.redzone_align,
            kmalloc_min_size=self.kmalloc_min_size,
            kmalloc_shift_low=self.kmalloc_shift_low,
            kmalloc_max_size=self.kmalloc_max_size,
            kmalloc_max_order=self.kmalloc_max_order,
            off_slab_min_size=self.off_slab_min_size,
            slab_obj_min_size=self.slab_obj_min_size,
            freelist_byte_index=int(self.freelist_byte_index),
            idx_size=self.freelist_idx_size,
            slab_obj_max_num=self.slab_obj_max_num,
            slab_max_order=self.slab_max_order,
            debug_slab=int(self.on("debug_slab")),
            debug_vm=int(self.on("debug_vm")),
            debug_pagealloc=int(self.on("debug_pagealloc")),
            debug_slab_leak=int(self.on("debug_slab_leak")),
            page_poisoning=int(self.on("page_poisoning")),
            index_node_size=self.kmalloc_size(self.index_node),
            nr_possible_cpus=self.nr_cpus,
            create_mask=self.cache_create_mask,
            flag_hwcache_align=f["SLAB_HWCACHE_ALIGN"],
            flag_red_zone=f["SLAB_RED_ZONE"],
            flag_poison=f["SLAB_POISON"],
            flag_store_user=f["SLAB_STORE_USER"],
            flag_destroy_by_rcu=f["SLAB_DESTROY_BY_RCU"],
            flag_reclaim_account=f["SLAB_RECLAIM_ACCOUNT"],
            flag_noleaktrace=f["SLAB_NOLEAKTRACE"],
            cflgs_off_slab=f["CFLGS_OFF_SLAB"],
        )

    # ---- SLUB (every version; the rules are the preset's) ------------------------
    @property
    def rules(self) -> SlubRules:
        """The SLUB rules of this version."""
        return self.preset.rules

    @property
    def slub_debug_on(self) -> bool:
        """CONFIG_SLUB_DEBUG (which depends on !SLUB_TINY)."""
        return self.on("slub_debug_config") and not self.on("slub_tiny")

    @property
    def has_slab_sysfs(self) -> bool:
        """Whether /sys/kernel/slab exists: SLUB's SLAB_SUPPORTS_SYSFS needs CONFIG_SYSFS
        and (since 6.2's SLUB_TINY) not CONFIG_SLUB_TINY (mm/slab.h); SLAB has none."""
        return self.preset.allocator == "SLUB" and not self.on("slub_tiny")

    @property
    def has_proc_slabinfo(self) -> bool:
        """Whether /proc/slabinfo exists: always with SLAB; with SLUB only under
        CONFIG_SLUB_DEBUG (mm/slab_common.c, SLABINFO)."""
        return self.preset.allocator != "SLUB" or self.slub_debug_on

    @property
    def slub_debug_parsed(self) -> SlubDebug:
        """The slab_debug= boot parameter, parsed (mm/slub.c setup_slub_debug)."""
        return slub_debug.parse(self.slub_debug, self.flags)

    @property
    def present_cpus(self) -> int:
        return self.nr_cpus if self.nr_present_cpus is None else self.nr_present_cpus

    @property
    def slub_kmalloc_min_size(self) -> int:
        """KMALLOC_MIN_SIZE of SLUB: ARCH_KMALLOC_MINALIGN when above 8, else 8."""
        m = self.arch_kmalloc_minalign
        return m if m > 8 else 8

    @property
    def slub_kmalloc_shift_low(self) -> int:
        return self.slub_kmalloc_min_size.bit_length() - 1

    @property
    def slub_kmalloc_shift_high(self) -> int:
        """KMALLOC_SHIFT_HIGH of SLUB: PAGE_SHIFT + 1 (kmalloc caches up to 2 pages)."""
        return self.arch.page_shift + 1

    @property
    def slub_kmalloc_params(self) -> ref.KmallocParams:
        """The kmalloc limits of SLUB: caches up to KMALLOC_MAX_CACHE_SIZE."""
        return ref.KmallocParams(
            self.slub_kmalloc_min_size,
            self.slub_kmalloc_shift_low,
            1 << self.slub_kmalloc_shift_high,
        )

    @property
    def slub_orders(self) -> tuple[int, int]:
        """(slub_min_order, slub_max_order) after the boot options.  slub_max_order=
        is clamped to the largest buddy order; since 6.7 (has_order_param_check),
        applied as on a command line that gives slab_min_order= first, min raises max
        and max lowers min."""
        max_order = 1 if self.on("slub_tiny") else 3  # PAGE_ALLOC_COSTLY_ORDER
        min_order = self.slub_min_order
        check = self.rules.has_order_param_check
        if check and min_order > max_order:
            max_order = min_order
        if self.slub_max_order is not None:  # stored as unsigned: -1 is the largest
            max_order = min(self.slub_max_order & 0xFFFFFFFF, self.arch.max_page_order)
            if check and min_order > max_order:
                min_order = max_order
        return min_order, max_order

    @property
    def track_size(self) -> int:
        """sizeof(struct track): addr, [addrs[16] or a stack depot handle], cpu, pid,
        when, with natural alignment (mm/slub.c)."""
        w = self.bytes_per_word
        stack = 0
        if self.rules.has_track_stack_handle:
            stack = 4 if self.on("stackdepot") else 0
        elif self.on("stacktrace"):
            stack = 16 * w  # TRACK_ADDRS_COUNT return addresses
        return (w + stack + 4 + 4 + w + w - 1) // w * w

    def slub_params(self) -> SlubParams:
        """The numbers the C core's SLUB arithmetic needs (reference_slub.SlubParams)."""
        f = self.flags
        r = self.rules
        tiny = self.on("slub_tiny")
        debug = self.slub_debug_on
        parsed = self.slub_debug_parsed if debug else SlubDebug()
        w = self.arch.word_bits
        min_order, max_order = self.slub_orders
        debug_flags = f.mask(SLAB_DEBUG_FLAGS)
        permitted = f.mask(r.permitted)
        if r.has_create_mask:  # SLAB_DEBUG_FLAGS is 0 without CONFIG_SLUB_DEBUG
            create_mask = f.mask(r.create_mask) | (debug_flags if debug else 0)
        else:  # 6.18: no mask; the debug flags are cleared without CONFIG_SLUB_DEBUG
            create_mask = 0xFFFFFFFF & ~(0 if debug else debug_flags)
        return SlubParams(
            word_bits=w,
            page_shift=self.arch.page_shift,
            cache_line_size=self.cache_line_size,
            arch_slab_minalign=self.arch_slab_minalign,
            kmalloc_max_size=1 << (self.arch.max_page_order + self.arch.page_shift),
            max_page_order=self.arch.max_page_order,
            slub_min_order=min_order,
            slub_max_order=max_order,
            slub_min_objects=self.slub_min_objects,
            nr_present_cpus=self.present_cpus,
            nr_cpu_ids=self.nr_cpus,
            min_partial=0 if tiny else 5,
            max_partial=0 if tiny else 10,
            cpu_partial=int(self.on("slub_cpu_partial") and not tiny),
            slub_debug=int(debug),
            slub_tiny=int(tiny),
            debug_vm=int(self.on("debug_vm")),
            drop_usersize=int(r.has_usercopy_gate and not self.on("hardened_usercopy")),
            track_size=self.track_size,
            orig_size_size=r.orig_size_bytes,
            global_debug_flags=parsed.global_flags,
            disable_higher_order_debug=int(parsed.disable_higher_order_debug),
            flags_permitted=permitted,
            create_mask=create_mask,
            flag_debug_flags=debug_flags,
            flag_red_zone=f["SLAB_RED_ZONE"],
            flag_poison=f["SLAB_POISON"],
            flag_kmalloc=f.get("SLAB_KMALLOC"),
            flag_hwcache_align=f["SLAB_HWCACHE_ALIGN"],
            flag_store_user=f["SLAB_STORE_USER"],
            flag_typesafe_by_rcu=f["SLAB_TYPESAFE_BY_RCU"],
            flag_noleaktrace=f["SLAB_NOLEAKTRACE"] if r.has_noleaktrace_no_store_user else 0,
            flag_no_user_flags=f.get("SLAB_NO_USER_FLAGS"),
            flag_object_poison=f["__OBJECT_POISON"],
            kasan_generic=int(self.on("kasan_generic")),
            flag_kasan=f.get("SLAB_KASAN"),
            flag_no_merge=f.get("SLAB_NO_MERGE"),
            # struct kasan_alloc_meta: kasan_track {u32 pid, u32 stack} + 2 u32 handles;
            # struct kasan_free_meta: qlist_node (a pointer) + kasan_track (mm/kasan/kasan.h)
            kasan_alloc_meta_size=16,
            kasan_free_meta_size=w // 8 + 8,
            debug_key=int(debug and (parsed.global_flags != 0 or bool(parsed.blocks))),
            create_debug_key=int(r.has_create_debug_key),
            sanity_min_size=self.bytes_per_word if r.has_sanity_min_size else 0,
            calculate_order=r.calculate_order,
            order_cpus=r.order_cpus,
            freeptr_inside=r.freeptr_offset,
            freeptr_outside=r.freeptr_outside,
            set_cpu_partial=r.set_cpu_partial,
            sheaf_auto=int(r.has_auto_sheaf_capacity),
            **self._sheaf_capacities(),
            sheaf_no_merge=int(r.has_mergeable_sheaves),
            flag_no_obj_ext=f.get("SLAB_NO_OBJ_EXT"),
            flag_obj_ext_in_obj=f.get("SLAB_OBJ_EXT_IN_OBJ"),
            obj_ext_size=8,  # struct slabobj_ext: the objcg pointer (no alloc profiling)
            flag_never_merge=self.never_merge_mask,
            flag_not_kmalloc_normal=f.mask(
                ("SLAB_CACHE_DMA", "SLAB_ACCOUNT", "SLAB_RECLAIM_ACCOUNT")
            ),
            slab_nomerge=int(bool(self.slab_nomerge)),
        )

    @property
    def never_merge_mask(self) -> int:
        """SLAB_NEVER_MERGE of this version (a flag it does not define is 0)."""
        names = NEVER_MERGE
        if self.rules.has_never_merge_consistency:
            names += ("SLAB_CONSISTENCY_CHECKS",)
        return self.flags.mask(names)

    @property
    def sheaf_header_bytes(self) -> int:
        """struct_size(struct slab_sheaf, objects, 0) (7.0): a union of rcu_head /
        list_head / {capacity, pfmemalloc} (two words), the cache pointer, unsigned
        int size and int node: 32 bytes on 64-bit, 20 on 32-bit."""
        return 3 * self.bytes_per_word + 8

    def _sheaf_capacities(self) -> dict[str, int]:
        """calculate_sheaf_capacity()'s four capacities (v7.0): 4, 12, 26 or 60
        pointers after the struct slab_sheaf header (sheaf_header_bytes), grown to
        fill the kmalloc bucket the whole sheaf is rounded up to."""
        if not self.rules.has_auto_sheaf_capacity:
            return {}
        w = self.bytes_per_word
        head = self.sheaf_header_bytes
        k = self.slub_kmalloc_params
        out = {}
        for name, base in (("page", 4), ("1k", 12), ("256", 26), ("small", 60)):
            bucket = ref.kmalloc_size(k, ref.kmalloc_slab_index(k, head + base * w))
            out[f"sheaf_capacity_{name}"] = (bucket - head) // w
        return out

    def kmalloc_size(self, index: int) -> int:
        return ref.kmalloc_size(self.slab_kmalloc_params, index)

    def describe(self) -> dict[str, Any]:
        """The configuration and its derived constants, for --json and the README."""
        if self.preset.allocator == "SLUB":
            p = self.slub_params()
            return {
                "kernel": self.version,
                "allocator": "SLUB",
                "arch": self.arch.name,
                "page_size": self.page_size,
                "bytes_per_word": self.bytes_per_word,
                "cache_line_size": self.cache_line_size,
                "nr_cpus": self.nr_cpus,
                "nr_present_cpus": self.present_cpus,
                "switches": self.switches,
                "slab_debug": self.slub_debug,
                "MAX_PAGE_ORDER": p.max_page_order,
                "KMALLOC_MAX_SIZE": p.kmalloc_max_size,
                "ARCH_SLAB_MINALIGN": p.arch_slab_minalign,
                "slub_min_order": p.slub_min_order,
                "slub_max_order": p.slub_max_order,
                "slub_min_objects": p.slub_min_objects,
                "sizeof(struct track)": p.track_size,
                "SLAB_FLAGS_PERMITTED": hex(p.flags_permitted),
                "flags": {n: hex(self.flags[n]) for n in self.flags.names if self.flags[n]},
            }
        return {
            "kernel": self.version,
            "allocator": self.preset.allocator,
            "arch": self.arch.name,
            "page_size": self.page_size,
            "bytes_per_word": self.bytes_per_word,
            "cache_line_size": self.cache_line_size,
            "nr_cpus": self.nr_cpus,
            "mem": self.mem,
            "slab_max_order": self.slab_max_order,
            "switches": self.switches,
            "ARCH_KMALLOC_MINALIGN": self.arch_kmalloc_minalign,
            "ARCH_SLAB_MINALIGN": self.arch_slab_minalign,
            "KMALLOC_MIN_SIZE": self.kmalloc_min_size,
            "KMALLOC_SHIFT_LOW": self.kmalloc_shift_low,
            "KMALLOC_SHIFT_HIGH": self.kmalloc_shift_high,
            "KMALLOC_MAX_SIZE": self.kmalloc_max_size,
            "KMALLOC_MAX_ORDER": self.kmalloc_max_order,
            "OFF_SLAB_MIN_SIZE": self.off_slab_min_size,
            "SLAB_OBJ_MIN_SIZE": self.slab_obj_min_size,
            "freelist_idx_t": self.freelist_idx_size,
            "SLAB_OBJ_MAX_NUM": self.slab_obj_max_num,
            "CACHE_CREATE_MASK": hex(self.cache_create_mask),
            "INDEX_AC": self.index_ac,
            "INDEX_NODE": self.index_node,
        }
