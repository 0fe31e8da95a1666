"""PageArena: the buddy allocator (mm/page_alloc.c v6.18, one zone and migratetype)
and the direct map.  Scenarios derived by hand from __rmqueue_smallest, expand and
__free_one_page; invariants under random sequences."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slabhw.arena import PG_BUDDY, PageArena
from slabhw.config import KernelConfig
from slabhw.errors import InputError

X86 = KernelConfig.build("v6.18", "x86_64").arch
PAGE_OFFSET = 0xFFFF888000000000


def arena(pages: int = 2048, max_order: int = 10) -> PageArena:
    return PageArena(pages * 4096, X86, page_offset=PAGE_OFFSET, max_order=max_order)


def test_boot_memory_is_free_in_address_order() -> None:
    a = arena(2048 + 8 + 1)  # two order-10 blocks, then an order-3 and an order-0 block
    assert a.free_block_pfns(10) == [0, 1024]
    assert a.free_block_pfns(3) == [2048] and a.free_block_pfns(0) == [2056]
    assert a.free_pages_count == 2057


def test_split_and_merge_derivation() -> None:
    """alloc(0) takes block 0 of order 10 and expand() leaves 512, 256, ..., 1 at the
    heads of orders 9..0; the next alloc(0) is PFN 1, alloc(2) is PFN 4 (the order-2
    head).  Freeing 1 finds buddy 0 in use: no merge; its higher buddy (2, order 1)
    is free, so PFN 1 goes to the tail of order 0.  Freeing 0 merges 0+1, then with 2
    (order 1) -> 0..3 of order 2, whose buddy 4 is in use."""
    a = arena()
    assert [a.alloc_pages(0), a.alloc_pages(0), a.alloc_pages(2)] == [0, 1, 4]
    assert a.free_block_pfns(1) == [2] and a.free_block_pfns(2) == []
    assert a.free_block_pfns(3) == [8] and a.free_block_pfns(9) == [512]
    a.free_pages(1, 0)
    assert a.free_block_pfns(0) == [1]
    a.free_pages(0, 0)
    assert a.free_block_pfns(2) == [0] and a.free_block_pfns(0) == []
    a.free_pages(4, 2)  # 4 merges with 0 (order 2), then 8, 16, ... back to order 10
    assert a.free_block_pfns(10) == [0, 1024] and a.free_pages_count == 2048


def test_exhaustion_and_bad_frees() -> None:
    a = arena(16, max_order=4)
    assert a.alloc_pages(4) == 0 and a.alloc_pages(0) is None
    a.free_pages(0, 4)
    with pytest.raises(InputError, match="already free"):
        a.free_pages(0, 4)
    with pytest.raises(InputError):
        a.free_pages(3, 2)  # not the start of an order-2 block
    with pytest.raises(InputError):
        a.alloc_pages(5)


def test_addresses_and_memory() -> None:
    a = arena()
    assert a.pfn_to_virt(3) == PAGE_OFFSET + 3 * 4096 and a.virt_to_pfn(PAGE_OFFSET + 12345) == 3
    addr = a.pfn_to_virt(5) + 8
    a.write_word(addr, 0x1122334455667788, 8)
    assert a.read(addr, 2) == bytes([0x88, 0x77])  # little-endian x86_64
    assert a.read_word(addr, 8) == 0x1122334455667788
    a.fill(addr, 4, 0x6B)
    assert a.read(addr, 5) == b"kkkk\x44"
    with pytest.raises(InputError):
        a.read(PAGE_OFFSET - 8, 8)
    with pytest.raises(InputError):
        a.virt_to_pfn(PAGE_OFFSET + 2048 * 4096)


def test_a_large_arena_is_cheap() -> None:
    start = time.perf_counter()
    a = PageArena(4 << 30, X86, page_offset=PAGE_OFFSET, max_order=10)
    assert time.perf_counter() - start < 1.0  # the memory is untouched
    assert a.nr_free[10] == 1024


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4), st.integers(0, 10**6)), max_size=120))
def test_random_sequences_keep_the_books(ops: list[tuple[bool, int, int]]) -> None:
    """Blocks handed out never overlap, free + allocated pages = all pages, every free
    list holds aligned free blocks of its order, and freeing everything restores the
    boot state."""
    a = arena(256, max_order=6)
    held: dict[int, int] = {}
    for alloc, order, pick in ops:
        if alloc or not held:
            pfn = a.alloc_pages(order)
            if pfn is not None:
                assert pfn % (1 << order) == 0
                for other, o in held.items():
                    assert pfn + (1 << order) <= other or other + (1 << o) <= pfn
                held[pfn] = order
        else:
            pfn = sorted(held)[pick % len(held)]
            a.free_pages(pfn, held.pop(pfn))
        assert a.free_pages_count + sum(1 << o for o in held.values()) == 256
        for order in range(7):
            for pfn in a.free_block_pfns(order):
                assert pfn % (1 << order) == 0 and a.pages["flags"][pfn] & PG_BUDDY
    for pfn, order in list(held.items()):
        a.free_pages(pfn, order)
    assert sorted(a.free_block_pfns(6)) == [0, 64, 128, 192]  # order depends on head/tail
