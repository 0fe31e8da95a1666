"""One kmem_cache_create call as the catalogue keeps it: symbolic, so that each
build's BTF sizes it."""

from __future__ import annotations

from dataclasses import dataclass

NATURAL = -1  # align = __alignof__(struct): BTF's natural alignment (a lower bound)


@dataclass(frozen=True)
class Creation:
    """One kmem_cache_create call, symbolically: the size is sizeof(struct) (BTF), a
    constant, or set at run time (then ``runtime`` says how, and no merge is
    predicted); ``align`` a number, NATURAL, or an expression of the target
    (``align_expr``: SMP_CACHE_BYTES, PAGE_SIZE, a multiple of sizeof(long))."""

    struct: str | None = None
    count: int = 0  # elements of a flexible tail of struct ``elem`` (struct_size)
    elem: str | None = None
    size: int | None = None
    size_expr: str = ""  # a constant of the target (PAGE_SIZE)
    runtime: str = ""
    align: int = 0
    align_expr: str = ""
    flags: tuple[str, ...] = ()
    ctor: bool = False
    usersize: int = 0
    args: str = ""  # kmem_cache_args beyond these (JSON), when the call uses them
    source: str = ""


@dataclass(frozen=True)
class CreationBackport:
    """A stable release that changed creation calls: before ``sublevel`` the caches
    named in ``before`` were created so (KernelPreset's Backport, for the catalogue)."""

    sublevel: int
    before: dict[str, Creation]
    subject: str  # the upstream commit the stable release took
