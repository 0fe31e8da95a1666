"""PageArena: physical memory of the simulated machine, its struct pages, and the
buddy page allocator.

Memory is one numpy ``uint8`` array; numpy allocates it zeroed through ``calloc``, so
the operating system hands out pages only when they are first touched, and a
multi-GiB arena costs nothing until used.  ``pages`` is the struct page array (a
numpy structured array), indexed by page frame number (PFN) relative to the start
of the arena.

The buddy allocator follows mm/page_alloc.c of Linux 6.18 for one zone and one
migratetype: free lists per order are doubly linked through the struct pages (as
``page->buddy_list`` is); allocation takes the head of the smallest order that
fits and puts the split-off upper halves at the heads of the lower lists
(``expand``); freeing merges with free buddies and inserts at the tail when the
merged block's own buddy is free (``buddy_merge_likely``), else at the head.  The
boot-time memory is freed to the tails in address order, as memblock does.  Not
modelled: per-CPU page lists, migratetypes, page shuffling, watermarks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .versions import Arch

# struct page flags (a subset, as bits of our own)
PG_BUDDY = 1 << 0  # free, the head of a buddy block of page.order
PG_SLAB = 1 << 1  # belongs to a slab (head page: PG_SLAB and PG_HEAD)
PG_HEAD = 1 << 2  # head of a compound page
PG_TAIL = 1 << 3  # tail page of a compound page (compound_head gives the head)

NIL = -1

PAGE_DTYPE = np.dtype(
    [
        ("flags", "<u4"),
        ("order", "<i1"),  # buddy order (PG_BUDDY) or compound order (PG_HEAD)
        ("compound_head", "<i8"),  # tail pages: the head's PFN
        ("next", "<i8"),
        ("prev", "<i8"),  # buddy free list links (PFNs, NIL)
        ("slab_cache", "<i4"),  # slab pages: the cache's id, -1 none
        ("freelist", "<u8"),  # slab: SLUB free pointer / SLAB freelist address
        ("s_mem", "<u8"),  # SLAB: address of object 0
        ("inuse", "<i4"),  # SLUB inuse / SLAB active
        ("objects", "<i4"),  # SLUB objects
        ("frozen", "<i1"),  # SLUB: the slab is a CPU slab
        ("list", "<i1"),  # which slab list the slab is on (allocator-specific code)
    ]
)


class PageArena:
    """Physical memory: ``mem`` bytes of the arch's pages, a struct page per page,
    the buddy allocator, and the direct map (PAGE_OFFSET) for addresses."""

    def __init__(self, mem: int, arch: Arch, *, page_offset: int, max_order: int) -> None:
        if mem < arch.page_size or mem % arch.page_size:
            raise InputError(
                f"arena size {mem} is not a positive multiple of the {arch.page_size}-byte page"
            )
        self.arch = arch
        self.page_size = arch.page_size
        self.page_shift = arch.page_shift
        self.nr_pages = mem // arch.page_size
        self.page_offset = page_offset  # virtual address of PFN 0 in the direct map
        self.max_order = max_order  # MAX_PAGE_ORDER
        self.memory = np.zeros(mem, dtype=np.uint8)  # lazily zeroed by the OS
        self.pages = np.zeros(self.nr_pages, dtype=PAGE_DTYPE)
        self.pages["slab_cache"] = -1  # touches only the pages array, not the memory
        # field views of the struct page array (indexing a view is cheap)
        self._flags = self.pages["flags"]
        self._order = self.pages["order"]
        self._next = self.pages["next"]
        self._prev = self.pages["prev"]
        self.heads = [NIL] * (max_order + 1)  # free list head PFN per order
        self.tails = [NIL] * (max_order + 1)
        self.nr_free = [0] * (max_order + 1)
        self._free_boot_memory()

    # ---- addresses -----------------------------------------------------------------
    def pfn_to_virt(self, pfn: int) -> int:
        return self.page_offset + (pfn << self.page_shift)

    def virt_to_pfn(self, addr: int) -> int:
        pfn = (addr - self.page_offset) >> self.page_shift
        if not 0 <= pfn < self.nr_pages or addr < self.page_offset:
            raise InputError(f"address {addr:#x} is not in the simulated direct map")
        return pfn

    def offset(self, addr: int, length: int = 1) -> int:
        """Byte offset of a direct-map address in ``memory`` (checked)."""
        off = addr - self.page_offset
        if off < 0 or off + length > self.memory.size:
            raise InputError(f"address range {addr:#x}+{length} is outside the arena")
        return off

    def read(self, addr: int, length: int) -> bytes:
        off = self.offset(addr, length)
        return self.memory[off : off + length].tobytes()

    def write(self, addr: int, data: bytes) -> None:
        off = self.offset(addr, len(data))
        self.memory[off : off + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def fill(self, addr: int, length: int, value: int) -> None:
        off = self.offset(addr, length)
        self.memory[off : off + length] = value

    def read_word(self, addr: int, size: int) -> int:
        return int.from_bytes(self.read(addr, size), self.arch_byteorder)

    def write_word(self, addr: int, value: int, size: int) -> None:
        self.write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, self.arch_byteorder))

    def hex_dump(self, prefix: str, addr: int, length: int) -> list[str]:
        """print_hex_dump(level, prefix, DUMP_PREFIX_ADDRESS, 16, 1, addr, length, true):
        16 bytes a line after the address (unhashed, the width of a pointer), the hex
        column padded to 49 characters, then the printable bytes."""
        data = self.read(addr, length) if length > 0 else b""
        width = self.arch.word_bits // 4
        lines = []
        for i in range(0, len(data), 16):
            chunk = data[i : i + 16]
            hexpart = " ".join(f"{b:02x}" for b in chunk)
            text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
            lines.append(f"{prefix}{addr + i:0{width}x}: {hexpart:<49}{text}")
        return lines

    @property
    def arch_byteorder(self) -> Any:
        return "big" if self.arch.name.startswith("s390") else "little"

    # ---- free lists (page->buddy_list) ----------------------------------------------
    def _add(self, pfn: int, order: int, tail: bool) -> None:
        nxt, prv = self._next, self._prev
        self._flags[pfn] |= PG_BUDDY
        self._order[pfn] = order
        if self.heads[order] == NIL:
            nxt[pfn] = prv[pfn] = NIL
            self.heads[order] = self.tails[order] = pfn
        elif tail:
            last = self.tails[order]
            nxt[last], prv[pfn], nxt[pfn] = pfn, last, NIL
            self.tails[order] = pfn
        else:
            first = self.heads[order]
            prv[first], nxt[pfn], prv[pfn] = pfn, first, NIL
            self.heads[order] = pfn
        self.nr_free[order] += 1

    def _del(self, pfn: int, order: int) -> None:
        following, preceding = int(self._next[pfn]), int(self._prev[pfn])
        if preceding == NIL:
            self.heads[order] = following
        else:
            self._next[preceding] = following
        if following == NIL:
            self.tails[order] = preceding
        else:
            self._prev[following] = preceding
        self._flags[pfn] &= 0xFFFFFFFF ^ PG_BUDDY
        self.nr_free[order] -= 1

    def _is_free_buddy(self, pfn: int, order: int) -> bool:
        return (
            0 <= pfn < self.nr_pages
            and bool(self._flags[pfn] & PG_BUDDY)
            and int(self._order[pfn]) == order
        )

    def _free_boot_memory(self) -> None:
        """memblock_free_pages: the largest aligned blocks, in address order, to the tails."""
        pfn = 0
        while pfn < self.nr_pages:
            order = self.max_order
            while order and (pfn & ((1 << order) - 1) or pfn + (1 << order) > self.nr_pages):
                order -= 1
            self._add(pfn, order, tail=True)
            pfn += 1 << order

    # ---- the page allocator --------------------------------------------------------
    def alloc_pages(self, order: int) -> int | None:
        """__rmqueue_smallest + expand: the PFN of a free 2^order block, or None."""
        if not 0 <= order <= self.max_order:
            raise InputError(f"order {order} is outside 0..{self.max_order}")
        for current in range(order, self.max_order + 1):
            pfn = self.heads[current]
            if pfn == NIL:
                continue
            self._del(pfn, current)
            while current > order:  # expand(): upper halves to the lower lists' heads
                current -= 1
                self._add(pfn + (1 << current), current, tail=False)
            return pfn
        return None

    def free_pages(self, pfn: int, order: int) -> None:
        """__free_one_page: merge with free buddies, then add to a free list."""
        if pfn & ((1 << order) - 1) or not 0 <= pfn < self.nr_pages:
            raise InputError(f"PFN {pfn} is not the start of an order-{order} block")
        if self._flags[pfn] & PG_BUDDY:
            raise InputError(f"PFN {pfn} is already free (double free of pages)")
        buddy_pfn = pfn ^ (1 << order)
        while order < self.max_order:
            buddy_pfn = pfn ^ (1 << order)
            if not self._is_free_buddy(buddy_pfn, order):
                break
            self._del(buddy_pfn, order)
            pfn &= buddy_pfn
            order += 1
        self._add(pfn, order, tail=self._buddy_merge_likely(pfn, buddy_pfn, order))

    def _buddy_merge_likely(self, pfn: int, buddy_pfn: int, order: int) -> bool:
        """If the block one order up has its buddy free, this block will probably merge
        soon: keep it at the tail so that it is not handed out first."""
        if order >= self.max_order - 1:
            return False
        higher = buddy_pfn & pfn
        return self._is_free_buddy(higher ^ (1 << (order + 1)), order + 1)

    def free_block_pfns(self, order: int) -> list[int]:
        """The free list of one order, head first (for tests and views)."""
        out, pfn = [], self.heads[order]
        while pfn != NIL:
            out.append(pfn)
            pfn = int(self._next[pfn])
        return out

    @property
    def free_pages_count(self) -> int:
        return sum(n << order for order, n in enumerate(self.nr_free))
