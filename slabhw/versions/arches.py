"""Architectures: one base table (the newest kernel's headers) and per-version deltas.

``Arch`` holds what an architecture's headers define for one kernel version.  A
version's table is ``derive(BASE, {arch: {field: value}}, drop=..., add=...)``:
the base with the fields that version defines differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Arch:
    """What one architecture's headers define, for one kernel version."""

    name: str
    description: str
    word_bits: int  # 8 * sizeof(void *) == 8 * sizeof(unsigned long)
    page_shift: int  # PAGE_SHIFT
    cache_line_size: int  # cache_line_size() as a typical machine returns it
    l1_cache_bytes: int  # L1_CACHE_BYTES
    max_order: int  # the number of buddy orders: MAX_ORDER (<= 6.3), MAX_PAGE_ORDER + 1
    arch_dma_minalign: int | None = None  # ARCH_DMA_MINALIGN, None if undefined
    arch_slab_minalign: int | None = None  # ARCH_SLAB_MINALIGN, None: __alignof__(u64)
    ull_align: int = 8  # __alignof__(unsigned long long) as GCC reports it
    zone_dma: bool = True  # CONFIG_ZONE_DMA in a distribution build
    runtime_cache_line: bool = False  # cache_line_size() read from the CPU at boot
    zone_dma32: bool = False  # CONFIG_ZONE_DMA32
    arch_kmalloc_minalign: int | None = None  # an explicit ARCH_KMALLOC_MINALIGN
    kmalloc_minalign: int | None = None  # __kmalloc_minalign() at boot; None: 8
    # PAGE_OFFSET of a typical build without KASLR: where the run time puts
    # physical page 0; None where slabhw has no direct map for this arch
    page_offset: int | None = None
    notes: str = ""

    @property
    def page_size(self) -> int:
        return 1 << self.page_shift

    @property
    def bytes_per_word(self) -> int:
        return self.word_bits // 8

    @property
    def max_page_order(self) -> int:
        """MAX_PAGE_ORDER = the largest buddy order (``max_order`` counts the orders)."""
        return self.max_order - 1


def derive(
    base: Mapping[str, Arch],
    changes: Mapping[str, Mapping[str, Any]] = {},  # noqa: B006 - read only
    *,
    drop: Iterable[str] = (),
    add: Iterable[Arch] = (),
) -> dict[str, Arch]:
    """A version's arch table: ``base`` with per-arch field ``changes``, without the
    arches in ``drop``, plus ``add``."""
    gone = set(drop)
    unknown = (set(changes) | gone) - set(base)
    if unknown:
        raise ValueError(f"derive: no base arch {sorted(unknown)}")
    out = {n: replace(a, **changes.get(n, {})) for n, a in base.items() if n not in gone}
    out.update({a.name: a for a in add})
    return out


# The base: Linux 6.18 (6.18.2 tree; shared/spec/slub-v6.18.md b.3).  Sources:
# arch/*/include/asm/cache.h and page*.h, the Kconfig of ARCH_FORCE_MAX_ORDER,
# include/linux/slab.h.  Direct maps: arch/x86/include/asm/page_64_types.h
# (__PAGE_OFFSET_BASE_L4), arch/arm64/include/asm/memory.h (-(1 << VA_BITS), VA_BITS
# 52 by default), CONFIG_PAGE_OFFSET 0xC0000000 (i386, arm: VMSPLIT_3G),
# arch/powerpc/include/asm/page.h.  s390x maps physical memory at 0 (its lowcore
# pages are never slab pages) and riscv64 picks its layout at boot: no direct map.
BASE: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch(
            "x86_64",
            "x86-64, 4K pages",
            64,
            12,
            64,
            64,
            11,
            runtime_cache_line=True,
            zone_dma32=True,
            page_offset=0xFFFF888000000000,
            notes="no ARCH_FORCE_MAX_ORDER: MAX_PAGE_ORDER 10",
        ),
        Arch(
            "i386",
            "x86 32-bit, 4K pages",
            32,
            12,
            64,
            64,
            11,
            runtime_cache_line=True,
            page_offset=0xC0000000,
        ),
        Arch(
            "arm64",
            "AArch64, 4K pages",
            64,
            12,
            64,
            64,
            11,
            arch_dma_minalign=128,
            arch_kmalloc_minalign=8,
            runtime_cache_line=True,
            zone_dma32=True,
            page_offset=0xFFF0000000000000,
            notes="ARCH_KMALLOC_MINALIGN 8 since 6.5; kmalloc minalign 8 with swiotlb",
        ),
        Arch(
            "arm64-16k",
            "AArch64, 16K pages",
            64,
            14,
            64,
            64,
            12,
            arch_dma_minalign=128,
            arch_kmalloc_minalign=8,
            runtime_cache_line=True,
            zone_dma32=True,
            page_offset=0xFFF0000000000000,
            notes="ARCH_FORCE_MAX_ORDER 11 with 16K pages",
        ),
        Arch(
            "arm64-64k",
            "AArch64, 64K pages",
            64,
            16,
            64,
            64,
            14,
            arch_dma_minalign=128,
            arch_kmalloc_minalign=8,
            runtime_cache_line=True,
            zone_dma32=True,
            page_offset=0xFFF0000000000000,
            notes="ARCH_FORCE_MAX_ORDER 13 with 64K pages",
        ),
        Arch(
            "arm",
            "ARM 32-bit (ARMv7 multi_v7, EABI), 4K pages",
            32,
            12,
            64,
            64,
            12,
            arch_dma_minalign=64,
            arch_slab_minalign=8,
            kmalloc_minalign=64,
            page_offset=0xC0000000,
            notes="ARCH_DMA_MINALIGN = L1_CACHE_BYTES 64; MAX_PAGE_ORDER 11 (SOC_AM33XX)",
        ),
        Arch(
            "ppc64",
            "PowerPC 64-bit Book3S, 64K pages",
            64,
            16,
            128,
            128,
            9,
            zone_dma=False,
            page_offset=0xC000000000000000,
            notes="L1_CACHE_BYTES 128; ARCH_FORCE_MAX_ORDER 8 (64K)",
        ),
        Arch(
            "ppc64-4k",
            "PowerPC 64-bit Book3S, 4K pages",
            64,
            12,
            128,
            128,
            13,
            zone_dma=False,
            page_offset=0xC000000000000000,
            notes="ARCH_FORCE_MAX_ORDER 12 with 4K pages",
        ),
        Arch(
            "s390x",
            "IBM z, 64-bit, 4K pages",
            64,
            12,
            256,
            256,
            11,
            zone_dma32=False,
            notes="L1_CACHE_BYTES 256",
        ),
        Arch(
            "riscv64",
            "RISC-V 64-bit, 4K pages",
            64,
            12,
            64,
            64,
            11,
            zone_dma=False,
            zone_dma32=True,
            notes="L1_CACHE_BYTES 64",
        ),
    )
}

_X86_LINE = "cache_line_size() = boot_cpu_data.x86_cache_alignment (CLFLUSH size)"

# Linux 3.16 (3.16.41 tree): arch/*/include/asm/cache.h, page.h, the Kconfig entries
# named in each note, include/linux/slab.h.  x86_64 __PAGE_OFFSET 0xffff880000000000;
# arm64 PAGE_OFFSET ~0 << (VA_BITS - 1) with VA_BITS 39 (4K) / 42 (64K).
V3_16: dict[str, Arch] = derive(
    BASE,
    {
        "x86_64": dict(zone_dma32=False, page_offset=0xFFFF880000000000, notes=_X86_LINE),
        "i386": dict(notes=_X86_LINE),
        "arm64": dict(
            arch_dma_minalign=64,
            arch_kmalloc_minalign=None,
            zone_dma32=False,
            page_offset=0xFFFFFFC000000000,
            notes="ARCH_DMA_MINALIGN = L1_CACHE_BYTES (64) in 3.16; cache_line_size() "
            "from CTR_EL0.CWG",
        ),
        "arm64-64k": dict(
            description="AArch64, 64K pages (ARM64_64K_PAGES)",
            arch_dma_minalign=64,
            arch_kmalloc_minalign=None,
            zone_dma32=False,
            page_offset=0xFFFFFE0000000000,
            notes="FORCE_MAX_ZONEORDER 14 with 64K pages and TRANSPARENT_HUGEPAGE",
        ),
        "arm": dict(
            kmalloc_minalign=None,
            notes="ARM_L1_CACHE_SHIFT 6 for CPU_V7; ARCH_DMA_MINALIGN = L1_CACHE_BYTES; "
            "FORCE_MAX_ZONEORDER 12 (SOC_AM33XX in multi_v7_defconfig); ZONE_DMA via "
            "ARCH_PRIMA2",
        ),
        "ppc64": dict(
            description="PowerPC 64-bit, 64K pages (PPC_64K_PAGES)",
            zone_dma=True,
            notes="L1_CACHE_SHIFT 7; FORCE_MAX_ZONEORDER 9 with 64K pages",
        ),
        "ppc64-4k": dict(
            description="PowerPC 64-bit, 4K pages",
            zone_dma=True,
            notes="L1_CACHE_SHIFT 7; FORCE_MAX_ZONEORDER 13 with 4K pages",
        ),
        "s390x": dict(max_order=9, notes="L1_CACHE_SHIFT 8; FORCE_MAX_ZONEORDER 9"),
    },
    drop=("arm64-16k", "riscv64"),
)
