"""slabhw: a bit-accurate model of the Linux kernel slab allocators.

Quick use::

    >>> import slabhw
    >>> k = slabhw.Kernel("v3.16", "x86_64")
    >>> c = k.kmem_cache_create("test_cache", 110, flags="SLAB_HWCACHE_ALIGN")
    >>> (c.align, c.size, c.num)
    (64, 128, 31)
    >>> slabhw.calculate_alignment(0x2000, 0, 110)
    64
"""

from __future__ import annotations

import sys
from typing import Any

from .errors import BuildError

try:
    from . import _core
except BuildError as _exc:  # pragma: no cover - tested in a subprocess
    # `python -m slabhw` imports this package before its __main__ runs, with
    # sys.argv[0] still "-m": as a command, one line and exit 2; as a library, raise
    if sys.argv[:1] == ["-m"]:
        sys.stderr.write(f"slabhw: error: {_exc}\n")
        raise SystemExit(2) from None
    raise
from ._core import ALIGN_HANG
from .allocators import Kernel
from .arena import PageArena
from .config import KernelConfig
from .errors import (
    HANG,
    InputError,
    KernelBug,
    KernelError,
    KernelHang,
    KernelPanic,
    KernelTrap,
    SlabError,
)
from .simulate import Simulation
from .slab import KmemCache
from .slab_common import ZERO_SIZE
from .slab_runtime import SlabRuntime
from .slub_runtime import SlubRuntime
from .sweep import SWEEP_DTYPE, sweep

__version__ = "0.1.0"


def calculate_alignment(
    flags: Any,
    align: Any,
    size: Any,
    *,
    kernel: str = "v3.16",
    arch: str = "x86_64",
    out: Any = None,
    **options: Any,
) -> Any:
    """calculate_alignment(flags, align, size) of the given kernel and architecture:
    mm/slab_common.c of that version (SLAB's unsigned long arithmetic for v3.16,
    SLUB's unsigned int for the others).

    ``flags`` is the version's encoding, or names ("SLAB_HWCACHE_ALIGN").  Takes ints
    (returns an int) or numpy arrays (returns a uint64 array; numpy
    broadcasting applies, ``out=`` may supply the result array).  Where the kernel
    never returns (SLAB_HWCACHE_ALIGN with size 0) the int form raises KernelHang
    and the array form holds ``slabhw.ALIGN_HANG`` (2**64 - 1).  ``options`` are
    KernelConfig switches such as ``cache_line_size_param``.
    """
    cfg = KernelConfig.build(kernel, arch, **options)
    if isinstance(flags, str):  # "SLAB_HWCACHE_ALIGN|SLAB_PANIC": the version's names
        flags = cfg.flags.parse(flags)
    p = cfg.slub_params() if cfg.preset.slub is not None else cfg.slab_params()
    result = _core.calculate_alignment(p, flags, align, size, out=out)
    if result is None:
        raise KernelHang(
            HANG, "calculate_alignment() never returns for size 0 with SLAB_HWCACHE_ALIGN"
        )
    return result


__all__ = [
    "ALIGN_HANG",
    "BuildError",
    "InputError",
    "Kernel",
    "KernelBug",
    "KernelConfig",
    "KernelError",
    "KernelHang",
    "KernelPanic",
    "KernelTrap",
    "KmemCache",
    "PageArena",
    "SWEEP_DTYPE",
    "SlabError",
    "SlabRuntime",
    "Simulation",
    "SlubRuntime",
    "ZERO_SIZE",
    "calculate_alignment",
    "sweep",
]
