"""The one place that picks the allocator code of a version.

A version preset names its allocator family (``KernelPreset.allocator``: SLAB for
3.16, SLUB for every later version slabhw models).  Everything else reaches the
kernel, its run time, its sweep contract and its views through the record
``allocator_of(config)`` returns, and through the two interfaces every allocator
implements with the same verbs: ``AllocatorKernel`` (boot, kmem_cache_create,
kmalloc_slab, slabinfo, sysfs, ...) and ``Runtime`` (alloc, free, kmalloc, kfree,
the bulk calls, validate, object_info, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import slab_render, slub_render
from .arena import PageArena
from .config import KernelConfig
from .errors import InputError
from .slab_kernel import SlabKernel
from .slab_runtime import SlabRuntime
from .slub import SlubKernel
from .slub_runtime import SlubRuntime
from .sweep import KINDS, SweepKind
from .textio import shown
from .versions import KernelPreset


class AllocatorKernel(Protocol):
    """A booted simulated kernel: the verbs of mm/slab_common.c and /proc, /sys."""

    config: KernelConfig
    log: list[str]  # dmesg
    errno: int  # the error of the last failed kmem_cache_create
    slab_caches: list[Any]  # the slab_caches list, newest first
    runtime: Any  # the Runtime running this kernel, if any

    def kmem_cache_create(
        self,
        name: str | None,
        size: int,
        align: int = 0,
        flags: int | str = 0,
        ctor: Callable[[Any], None] | None = None,
        *,
        useroffset: int = 0,
        usersize: int = 0,
        freeptr_offset: int | None = None,
        sheaf_capacity: int = 0,
    ) -> Any: ...

    def kmem_cache_destroy(self, cache: Any, caller: Any = None) -> None: ...

    def kmalloc_slab(self, size: int, gfp: str = "", caller: int | None = None) -> Any: ...

    def slabinfo(self) -> str: ...

    def sysfs(self) -> dict[str, Any]: ...


class Runtime(Protocol):
    """An allocator at run time over a PageArena."""

    @property
    def MAP_LEGEND(self) -> str: ...  # noqa: N802 - a constant of each run time

    log: list[str]
    by_id: list[Any]
    slab_errors: int  # what the kernel's SLUB KUnit suite counts

    def alloc(
        self, cache: Any, cpu: int, caller: int = 0, *, size: int | None = None
    ) -> int | None: ...
    def free(self, cache: Any, addr: int, cpu: int, caller: int = 0) -> Any: ...
    def kmalloc(self, size: int, cpu: int, gfp: str = "", caller: int = 0) -> int | None: ...
    def kfree(self, addr: int, cpu: int, caller: int = 0) -> Any: ...
    def alloc_bulk(self, cache: Any, n: int, cpu: int, caller: int = 0) -> list[int]: ...
    def free_bulk(self, cache: Any, objs: list[int], cpu: int, caller: int = 0) -> Any: ...
    def shrink(self, cache: Any) -> int: ...
    def validate(self, cache: Any) -> list[str]: ...
    def sysfs_validate(self, cache: Any) -> tuple[int | None, list[str]]: ...
    def object_info(self, addr: int) -> dict[str, Any]: ...
    def map_lines(self, cache: Any) -> list[str]: ...
    def counts(self, cache: Any) -> dict[str, int]: ...
    def slabinfo(self) -> str: ...
    def sysfs_counts(self, cache: Any) -> dict[str, str]: ...


class Views(Protocol):
    """The command line's views of one allocator's caches (slab_render, slub_render)."""

    def create_view(
        self, kernel: Any, cache: Any, name: str, request: str, colour: int | None = None
    ) -> tuple[dict[str, Any], str]: ...

    def kmalloc_view(
        self, kernel: Any, size: int, gfp: str, choice: Any
    ) -> tuple[dict[str, Any], str, int]: ...

    def descriptor(self, kernel: Any, cache: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Allocator:
    """One allocator family: how to boot its kernel and start its run time."""

    name: str
    boot: Callable[[KernelConfig], AllocatorKernel]
    sweep: SweepKind
    # (kernel, arena, nr_cpus, seed or None, init_on_alloc, init_on_free) -> Runtime
    start: Callable[[Any, PageArena, int, int | None, bool, bool], Runtime]
    # what "debugging on" means: CONFIG_DEBUG_SLAB, or the boot option slab_debug
    # with no value (F, Z, P, U for every cache)
    debug_options: dict[str, Any]
    # the KernelConfig field of the boot option slab_max_order= (SLAB) or
    # slub_max_order= / slab_max_order= (SLUB)
    max_order_option: str
    views: Views


def _start_slab(
    kernel: Any, arena: PageArena, nr_cpus: int, seed: int | None, on_alloc: bool, on_free: bool
) -> Runtime:
    if on_alloc or on_free:
        raise InputError("init_on_alloc/init_on_free are boot options of v5.3 and later")
    if seed is not None:
        raise InputError(
            f"--seed: SLAB ({kernel.config.version}) draws no random values "
            "(no freelist randomisation, no hardened free pointers)"
        )
    return SlabRuntime(kernel, arena)


def _start_slub(
    kernel: Any, arena: PageArena, nr_cpus: int, seed: int | None, on_alloc: bool, on_free: bool
) -> Runtime:
    return SlubRuntime(
        kernel, arena, nr_cpus=nr_cpus, seed=seed or 0, init_on_alloc=on_alloc, init_on_free=on_free
    )


ALLOCATORS: dict[str, Allocator] = {
    "SLAB": Allocator(
        "SLAB",
        SlabKernel,
        KINDS["SLAB"],
        _start_slab,
        {"debug_slab": True},
        "slab_max_order_param",
        slab_render,
    ),
    "SLUB": Allocator(
        "SLUB",
        SlubKernel,
        KINDS["SLUB"],
        _start_slub,
        {"slub_debug": ""},
        "slub_max_order",
        slub_render,
    ),
}


def allocator_of(config: KernelConfig | KernelPreset) -> Allocator:
    """The allocator family of a configuration or version preset."""
    preset = config if isinstance(config, KernelPreset) else config.preset
    return ALLOCATORS[preset.allocator]


def boot(config: KernelConfig) -> AllocatorKernel:
    """The booted kernel of a configuration."""
    return allocator_of(config).boot(config)


def Kernel(  # noqa: N802 - the public constructor keeps its historical class-like name
    kernel: str = "v3.16",
    arch: str = "x86_64",
    *,
    nr_cpus: int = 4,
    debug: bool = False,
    config: KernelConfig | None = None,
    **options: Any,
) -> Any:
    """A booted simulated kernel: ``Kernel("v6.12", "arm64", nr_cpus=2)``.

    ``debug`` is CONFIG_DEBUG_SLAB on SLAB versions and the boot option slab_debug
    (full debugging) on SLUB versions; ``options`` are ``KernelConfig`` switches and
    boot parameters.  Returns a slabhw.slab_kernel.SlabKernel or a
    slabhw.slub.SlubKernel (both AllocatorKernel).
    """
    if config is None:
        if not isinstance(nr_cpus, int) or isinstance(nr_cpus, bool):
            raise InputError(f"nr_cpus must be an integer, not {shown(nr_cpus)}")
        config = KernelConfig.build(kernel, arch, nr_cpus=nr_cpus, **options)
        if debug:
            debug_options = allocator_of(config).debug_options
            config = KernelConfig.build(kernel, arch, nr_cpus=nr_cpus, **(debug_options | options))
    return boot(config)
