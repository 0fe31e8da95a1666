"""THE ONLY cffi/numpy boundary of slabhw: checked, zero-copy calls into the C core.

Every other module calls the typed functions here and never sees cffi.  Inputs to
array entry points are native ``uint64`` (other non-negative integer arrays are
converted once, with a check), C-contiguous and aligned; broadcast scalars are
passed with an element stride of 0, so they are never materialised.

``SLABHW_BACKEND=reference`` in the environment routes every call to the pure-Python
twin (slabhw.reference) instead of C: slow, readable, and the oracle in tests.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from . import reference as ref
from . import reference_slub as rs
from .errors import BuildError, InputError

ABI_VERSION = 7  # must equal SLABHW_ABI_VERSION in csrc/slabhw.h

try:
    from ._native import ffi, lib
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise BuildError(
        "slabhw's C core is not built (slabhw._native is missing); "
        "reinstall with `pip install .` from the source tree"
    ) from exc

if lib.slabhw_abi_version() != ABI_VERSION:  # pragma: no cover
    raise BuildError(
        f"slabhw._native has ABI {lib.slabhw_abi_version()}, this Python code expects "
        f"{ABI_VERSION}: the build is stale; rebuild with `pip install .`"
    )

BACKEND = os.environ.get("SLABHW_BACKEND", "c")
if BACKEND not in ("c", "reference"):
    raise InputError(f"SLABHW_BACKEND must be 'c' or 'reference', not {BACKEND!r}")

U64Array = npt.NDArray[np.uint64]

ALIGN_HANG = int(lib.SLABHW_ALIGN_HANG)  # array marker: the kernel never returns


def _struct_dtype(cname: str) -> np.dtype[Any]:
    """A numpy dtype aliasing a C struct of 64-bit integer fields."""
    ctype = ffi.typeof(cname)
    names = [name for name, _ in ctype.fields]
    formats = ["<u8" if f.type.cname == "uint64_t" else "<i8" for _, f in ctype.fields]
    offsets = [f.offset for _, f in ctype.fields]
    return np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": ffi.sizeof(ctype)}
    )


# numpy mirror of struct slabhw_slab316_cache
LAYOUT_DTYPE = _struct_dtype("struct slabhw_slab316_cache")


# numpy mirror of struct slabhw_slub618_cache
SLUB_LAYOUT_DTYPE = _struct_dtype("struct slabhw_slub618_cache")


def _check_mirrors() -> None:
    """Each C struct and its Python twin name the same fields in the same order."""
    pairs = (
        ("struct slabhw_slab316_cache", ref.LAYOUT_FIELDS),
        ("struct slabhw_slab316_params", ref.PARAM_FIELDS),
        ("struct slabhw_slub618_cache", rs.SLUB_LAYOUT_FIELDS),
        ("struct slabhw_slub618_params", rs.SLUB_PARAM_FIELDS),
        ("struct slabhw_slub618_args", rs.SLUB_ARG_FIELDS),
    )
    for cname, py_fields in pairs:
        if [name for name, _ in ffi.typeof(cname).fields] != list(py_fields):
            raise BuildError(f"{cname} and its Python twin in slabhw.reference* disagree")


_check_mirrors()


@lru_cache(maxsize=64)
def _params(p: ref.SlabParams) -> Any:
    """The C struct for a parameter set (cached: configurations are few)."""
    return ffi.new("struct slabhw_slab316_params *", {n: getattr(p, n) for n in ref.PARAM_FIELDS})


@lru_cache(maxsize=64)
def _slub_params(p: rs.SlubParams) -> Any:
    return ffi.new(
        "struct slabhw_slub618_params *", {n: getattr(p, n) for n in rs.SLUB_PARAM_FIELDS}
    )


# ---- input checking --------------------------------------------------------------
def _as_u64_array(x: Any, name: str, word_bits: int) -> U64Array:
    """A uint64 ndarray view (or checked copy) of ``x``; values must fit the target's
    unsigned long."""
    arr = np.asarray(x)
    if arr.dtype == np.uint64:
        out = arr
    elif arr.dtype.kind in "iu" or (arr.dtype == object and arr.size and _all_ints(arr)):
        if arr.size and arr.dtype.kind == "i" and int(arr.min()) < 0:
            raise InputError(f"{name} must not be negative")
        if arr.dtype == object and arr.size:
            lo, hi = int(arr.min()), int(arr.max())
            if lo < 0:
                raise InputError(f"{name} must not be negative")
            if hi >= 1 << 64:
                raise InputError(f"{name} {hi} does not fit 64 bits")
        out = arr.astype(np.uint64)
    elif arr.size == 0:
        out = arr.astype(np.uint64)
    else:
        raise TypeError(f"{name} must be an integer or an integer array, not {arr.dtype}")
    if word_bits < 64 and out.size and int(out.max()) >= 1 << word_bits:
        raise InputError(
            f"{name} value {int(out.max())} does not fit the target's {word_bits}-bit unsigned long"
        )
    return out


def _all_ints(arr: np.ndarray[Any, Any]) -> bool:
    return all(isinstance(v, (int, np.integer)) for v in arr.flat)


def _strided(arr: U64Array, shape: tuple[int, ...]) -> tuple[U64Array, int]:
    """(contiguous buffer, element stride 0 or 1) for an input broadcast to ``shape``."""
    if arr.size == 1:
        return np.ascontiguousarray(arr.reshape(1)), 0
    if arr.shape == shape and arr.flags.c_contiguous and arr.flags.aligned:
        return arr, 1
    return np.ascontiguousarray(np.broadcast_to(arr, shape)), 1


def _ptr(arr: np.ndarray[Any, Any], ctype: str) -> Any:
    return ffi.cast(ctype, ffi.from_buffer(arr))


def _check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if out.dtype != dtype or out.shape != shape:
        raise ValueError(f"out must have dtype {dtype} and shape {shape}")
    if not (out.flags.c_contiguous and out.flags.aligned and out.flags.writeable):
        raise ValueError("out must be C-contiguous, aligned and writeable")
    return out


def _is_scalar(*xs: Any) -> bool:
    return all(isinstance(x, (int, np.integer)) for x in xs)


def _scalar(x: Any, name: str, word_bits: int) -> int:
    v = int(x)
    if v < 0:
        raise InputError(f"{name} must not be negative")
    if v >= 1 << word_bits:
        raise InputError(f"{name} {v} does not fit the target's {word_bits}-bit unsigned long")
    return v


# ---- calculate_alignment -----------------------------------------------------------
def calculate_alignment(
    p: ref.SlabParams, flags: Any, align: Any, size: Any, out: Any = None
) -> Any:
    """calculate_alignment() on ints (-> int, or None for a hang) or arrays
    (-> uint64 array, ALIGN_HANG marking a hang), with numpy broadcasting."""
    wb = p.word_bits
    if _is_scalar(flags, align, size) and out is None:
        f, a, s = (
            _scalar(v, n, wb) for v, n in ((flags, "flags"), (align, "align"), (size, "size"))
        )
        if BACKEND == "reference":
            return ref.calculate_alignment(p, f, a, s)
        res = ffi.new("uint64_t *")
        hang = lib.slabhw_calculate_alignment(_params(p), f, a, s, res)
        return None if hang else int(res[0])
    fa, aa, sa = (
        _as_u64_array(v, n, wb) for v, n in ((flags, "flags"), (align, "align"), (size, "size"))
    )
    shape = np.broadcast_shapes(fa.shape, aa.shape, sa.shape)
    result = _check_out(out, shape, np.dtype(np.uint64))
    n = int(np.prod(shape, dtype=np.int64))
    (fb, fs), (ab, as_), (sb, ss) = (_strided(v, shape) for v in (fa, aa, sa))
    if BACKEND == "reference":
        flat = result.reshape(-1)
        for i in range(n):
            r = ref.calculate_alignment(p, int(fb[i * fs]), int(ab[i * as_]), int(sb[i * ss]))
            flat[i] = ALIGN_HANG if r is None else r
        return result
    if n:
        lib.slabhw_calculate_alignment_array(
            _params(p),
            _ptr(fb, "uint64_t *"),
            fs,
            _ptr(ab, "uint64_t *"),
            as_,
            _ptr(sb, "uint64_t *"),
            ss,
            _ptr(result, "uint64_t *"),
            n,
        )
    return result


# ---- kmem_cache_create numbers -------------------------------------------------------
def slab316_create(
    p: ref.SlabParams,
    size: int,
    align: int,
    flags: int,
    *,
    boot: bool = False,
    slab_early_init: bool = False,
) -> ref.SlabLayout:
    """One cache's numbers (see reference.kmem_cache_create)."""
    wb = p.word_bits
    size, align, flags = (
        _scalar(v, n, wb) for v, n in ((size, "size"), (align, "align"), (flags, "flags"))
    )
    if BACKEND == "reference":
        return ref.kmem_cache_create(
            p, size, align, flags, boot=boot, slab_early_init=slab_early_init
        )
    out = ffi.new("struct slabhw_slab316_cache *")
    lib.slabhw_slab316_create(_params(p), size, align, flags, int(boot), int(slab_early_init), out)
    return ref.SlabLayout(**{n: int(getattr(out, n)) for n in ref.LAYOUT_FIELDS})


def slab316_create_array(
    p: ref.SlabParams, size: Any, align: Any, flags: Any, out: Any = None
) -> np.ndarray[Any, Any]:
    """kmem_cache_create numbers for many user caches at once: a structured array
    (LAYOUT_DTYPE) with numpy broadcasting over size, align and flags."""
    wb = p.word_bits
    sa, aa, fa = (
        _as_u64_array(v, n, wb) for v, n in ((size, "size"), (align, "align"), (flags, "flags"))
    )
    shape = np.broadcast_shapes(sa.shape, aa.shape, fa.shape)
    result = _check_out(out, shape, LAYOUT_DTYPE)
    n = int(np.prod(shape, dtype=np.int64))
    (sb, ss), (ab, as_), (fb, fs) = (_strided(v, shape) for v in (sa, aa, fa))
    if BACKEND == "reference":
        flat = result.reshape(-1)
        for i in range(n):
            c = ref.kmem_cache_create(p, int(sb[i * ss]), int(ab[i * as_]), int(fb[i * fs]))
            flat[i] = tuple(getattr(c, name) for name in ref.LAYOUT_FIELDS)
        return result
    if n:
        lib.slabhw_slab316_create_array(
            _params(p),
            _ptr(sb, "uint64_t *"),
            ss,
            _ptr(ab, "uint64_t *"),
            as_,
            _ptr(fb, "uint64_t *"),
            fs,
            ffi.cast("struct slabhw_slab316_cache *", ffi.from_buffer(result)),
            n,
        )
    return result


# ---- kmalloc arithmetic ------------------------------------------------------------------
def kmalloc_index(p: ref.SlabParams, size: int) -> int:
    """kmalloc_index() (compile-time mapping); -1 where the kernel BUG()s."""
    size = _scalar(size, "size", 64)
    if BACKEND == "reference":
        return ref.kmalloc_index(size, p.kmalloc_min_size, p.kmalloc_shift_low)
    return int(lib.slabhw_slab316_kmalloc_index(_params(p), size))


def kmalloc_size(p: ref.SlabParams, n: int) -> int:
    if BACKEND == "reference":
        return ref.kmalloc_size(n, p.kmalloc_min_size)
    return int(lib.slabhw_slab316_kmalloc_size(_params(p), n))


def kmalloc_slab_index(p: ref.SlabParams, size: Any) -> Any:
    """kmalloc_slab() as an index (-1 NULL, 0 ZERO_SIZE_PTR); int or int64 array."""
    if _is_scalar(size):
        s = _scalar(size, "size", 64)
        if BACKEND == "reference":
            return ref.kmalloc_slab_index(
                s, p.kmalloc_min_size, p.kmalloc_shift_low, p.kmalloc_max_size
            )
        return int(lib.slabhw_slab316_kmalloc_slab_index(_params(p), s))
    sa = np.ascontiguousarray(_as_u64_array(size, "size", 64))
    result = np.empty(sa.shape, dtype=np.int64)
    if BACKEND == "reference":
        flat, src = result.reshape(-1), sa.reshape(-1)
        for i in range(src.size):
            flat[i] = ref.kmalloc_slab_index(
                int(src[i]), p.kmalloc_min_size, p.kmalloc_shift_low, p.kmalloc_max_size
            )
        return result
    if sa.size:
        lib.slabhw_slab316_kmalloc_slab_index_array(
            _params(p), _ptr(sa, "uint64_t *"), _ptr(result, "int64_t *"), sa.size
        )
    return result


def get_order(size: Any, page_shift: int, word_bits: int) -> Any:
    """get_order() on an int (-> int) or an array (-> int64 array)."""
    if _is_scalar(size):
        s = _scalar(size, "size", word_bits)
        if BACKEND == "reference":
            return ref.get_order(s, page_shift, word_bits)
        return int(lib.slabhw_get_order(s, page_shift, word_bits))
    sa = np.ascontiguousarray(_as_u64_array(size, "size", word_bits))
    result = np.empty(sa.shape, dtype=np.int64)
    if BACKEND == "reference":
        flat, src = result.reshape(-1), sa.reshape(-1)
        for i in range(src.size):
            flat[i] = ref.get_order(int(src[i]), page_shift, word_bits)
        return result
    if sa.size:
        lib.slabhw_get_order_array(
            _ptr(sa, "uint64_t *"), _ptr(result, "int64_t *"), sa.size, page_shift, word_bits
        )
    return result


def fls(x: int) -> int:
    return ref.fls(x) if BACKEND == "reference" else int(lib.slabhw_fls(x))


def kernel_align(x: int, a: int, word_bits: int) -> int:
    if BACKEND == "reference":
        return ref.kernel_align(x, a, word_bits)
    return int(lib.slabhw_align(x, a, word_bits))


# ---- SLUB (Linux 6.18) ---------------------------------------------------------------
def slub618_calculate_alignment(p: rs.SlubParams, flags: int, align: int, size: int) -> int | None:
    """calculate_alignment() of 6.18 (unsigned int); None where the kernel never returns."""
    f, a, s = (_scalar(v, n, 32) for v, n in ((flags, "flags"), (align, "align"), (size, "size")))
    if BACKEND == "reference":
        return rs.calculate_alignment(p, f, a, s)
    hang = ffi.new("int *")
    r = int(lib.slabhw_slub618_calculate_alignment(_slub_params(p), f, a, s, hang))
    return None if hang[0] else r


def slub618_create(p: rs.SlubParams, args: rs.SlubArgs) -> rs.SlubLayout:
    """One cache's numbers (see reference_slub.kmem_cache_create)."""
    for name in rs.SLUB_ARG_FIELDS:
        value = getattr(args, name)
        if name == "debug_flags":
            if not -1 <= value < 1 << 32:
                raise InputError("debug_flags must be -1 or a 32-bit flag set")
        else:
            _scalar(value, name, 32)
    if BACKEND == "reference":
        return rs.kmem_cache_create(p, args)
    a = ffi.new("struct slabhw_slub618_args *", {n: getattr(args, n) for n in rs.SLUB_ARG_FIELDS})
    out = ffi.new("struct slabhw_slub618_cache *")
    lib.slabhw_slub618_create(_slub_params(p), a, out)
    return rs.SlubLayout(**{n: int(getattr(out, n)) for n in rs.SLUB_LAYOUT_FIELDS})


def _as_i64_array(x: Any, name: str) -> np.ndarray[Any, Any]:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, not {arr.dtype}")
    if arr.size and (int(arr.min()) < -1 or int(arr.max()) >= 1 << 32):
        raise InputError(f"{name} must be -1 (none) or an offset below 2**32")
    return arr.astype(np.int64)


def slub618_create_array(
    p: rs.SlubParams,
    size: Any,
    align: Any,
    flags: Any,
    ctor: Any = 0,
    freeptr_offset: Any = -1,
    out: Any = None,
) -> np.ndarray[Any, Any]:
    """SLUB numbers for many new caches at once (no merging): a structured array
    (SLUB_LAYOUT_DTYPE), broadcasting over the inputs; freeptr_offset -1 means none."""
    sa, aa, fa, ca = (
        _as_u64_array(v, n, 32)
        for v, n in ((size, "size"), (align, "align"), (flags, "flags"), (ctor, "ctor"))
    )
    fpa = _as_i64_array(freeptr_offset, "freeptr_offset")
    shape = np.broadcast_shapes(sa.shape, aa.shape, fa.shape, ca.shape, fpa.shape)
    result = _check_out(out, shape, SLUB_LAYOUT_DTYPE)
    n = int(np.prod(shape, dtype=np.int64))
    (sb, ss), (ab, as_), (fb, fs), (cb, cs) = (_strided(v, shape) for v in (sa, aa, fa, ca))
    fpb, fps = _strided(fpa, shape)
    if BACKEND == "reference":
        flat = result.reshape(-1)
        for i in range(n):
            fp = int(fpb[i * fps])
            c = rs.kmem_cache_create(
                p,
                rs.SlubArgs(
                    object_size=int(sb[i * ss]),
                    align=int(ab[i * as_]),
                    flags=int(fb[i * fs]),
                    ctor=int(cb[i * cs]),
                    use_freeptr_offset=int(fp >= 0),
                    freeptr_offset=max(fp, 0),
                ),
            )
            flat[i] = tuple(getattr(c, name) for name in rs.SLUB_LAYOUT_FIELDS)
        return result
    if n:
        lib.slabhw_slub618_create_array(
            _slub_params(p),
            _ptr(sb, "uint64_t *"),
            ss,
            _ptr(ab, "uint64_t *"),
            as_,
            _ptr(fb, "uint64_t *"),
            fs,
            _ptr(cb, "uint64_t *"),
            cs,
            _ptr(fpb, "int64_t *"),
            fps,
            ffi.cast("struct slabhw_slub618_cache *", ffi.from_buffer(result)),
            n,
        )
    return result


__all__: Sequence[str] = (
    "ALIGN_HANG",
    "BACKEND",
    "LAYOUT_DTYPE",
    "calculate_alignment",
    "slab316_create",
    "slab316_create_array",
    "kmalloc_index",
    "kmalloc_size",
    "kmalloc_slab_index",
    "get_order",
    "fls",
    "kernel_align",
)
