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
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import reference as ref
from . import reference_slub as rs
from .errors import BuildError, InputError, InputTypeError
from .versions.rules import C_ENUMS

ABI_VERSION = 15  # must equal SLABHW_ABI_VERSION in csrc/slabhw.h


def _missing_core_message(package: Path) -> str:
    """Why slabhw._native is missing, in the user's terms: a source tree imported
    ahead of an installed copy (running from the checkout after `pip install .`), or
    an install without its compiled part."""
    if (package.parent / "setup.py").is_file() and (package.parent / "csrc").is_dir():
        return (
            f"{package} is the source tree's slabhw, which has no compiled core "
            "(slabhw._native): Python imports it ahead of any installed copy because the "
            "current directory comes first on sys.path.  Build it in place with "
            "`pip install -e .`, or run slabhw from another directory"
        )
    return (
        f"slabhw's C core (slabhw._native) is missing from {package}: the install is "
        "incomplete; reinstall with `pip install --force-reinstall slabhw` (or "
        "`pip install .` from the source tree)"
    )


try:
    from ._native import ffi, lib
except ImportError as exc:  # pragma: no cover - exercised by test_missing_core_message
    raise BuildError(_missing_core_message(Path(__file__).resolve().parent)) from exc

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


# numpy mirror of struct slabhw_slub_cache
SLUB_LAYOUT_DTYPE = _struct_dtype("struct slabhw_slub_cache")


def _check_mirrors() -> None:
    """Each C struct and its Python twin name the same fields in the same order."""
    pairs = (
        ("struct slabhw_slab316_cache", ref.LAYOUT_FIELDS),
        ("struct slabhw_slab316_params", ref.PARAM_FIELDS),
        ("struct slabhw_kmalloc_params", ref.KMALLOC_PARAM_FIELDS),
        ("struct slabhw_slub_cache", rs.SLUB_LAYOUT_FIELDS),
        ("struct slabhw_slub_params", rs.SLUB_PARAM_FIELDS),
        ("struct slabhw_slub_args", rs.SLUB_ARG_FIELDS),
    )
    for cname, py_fields in pairs:
        if [name for name, _ in ffi.typeof(cname).fields] != list(py_fields):
            raise BuildError(f"{cname} and its Python twin in slabhw.reference* disagree")


def _check_enums() -> None:
    """Each rule enum of slabhw.versions.rules has the values of its C twin
    (enum slabhw_<name> in csrc/slabhw.h, constants SLABHW_<NAME>_<VALUE>)."""
    for enum in C_ENUMS:
        prefix = "SLABHW_" + re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).upper() + "_"
        in_c = {n[len(prefix) :]: int(getattr(lib, n)) for n in dir(lib) if n.startswith(prefix)}
        in_py = {m.name: int(m.value) for m in enum}
        if in_c != in_py:
            raise BuildError(f"enum {enum.__name__}: Python {in_py} but C {in_c}")


_check_mirrors()
_check_enums()


@lru_cache(maxsize=64)
def _params(p: ref.SlabParams) -> Any:
    """The C struct for a parameter set (cached: configurations are few)."""
    return ffi.new("struct slabhw_slab316_params *", {n: getattr(p, n) for n in ref.PARAM_FIELDS})


@lru_cache(maxsize=64)
def _slub_params(p: rs.SlubParams) -> Any:
    return ffi.new("struct slabhw_slub_params *", {n: getattr(p, n) for n in rs.SLUB_PARAM_FIELDS})


# ---- input checking --------------------------------------------------------------
def as_u64_array(x: Any, name: str, word_bits: int) -> U64Array:
    """A uint64 ndarray view (or checked copy) of ``x``; values must fit the target's
    unsigned long."""
    not_masked(x, name)
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
        raise InputTypeError(f"{name} must be an integer or an integer array, not {arr.dtype}")
    if word_bits < 64 and out.size and int(out.max()) >= 1 << word_bits:
        raise InputError(
            f"{name} value {int(out.max())} does not fit the target's {word_bits}-bit unsigned long"
        )
    return out


def not_masked(x: Any, name: str) -> None:
    """Refuse a numpy masked array: its masked entries would be computed too."""
    if isinstance(x, np.ma.MaskedArray):
        raise InputTypeError(
            f"{name} is a masked array: its masked entries would be computed too "
            "(pass .compressed() or .filled(value))"
        )


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
        raise InputTypeError("out must be a numpy array")
    if out.dtype != dtype or out.shape != shape:
        raise InputError(f"out must have dtype {dtype} and shape {shape}")
    if not (out.flags.c_contiguous and out.flags.aligned and out.flags.writeable):
        raise InputError("out must be C-contiguous, aligned and writeable")
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
    p: ref.SlabParams | rs.SlubParams, flags: Any, align: Any, size: Any, out: Any = None
) -> Any:
    """calculate_alignment() on ints (-> int, or None for a hang) or arrays
    (-> uint64 array, ALIGN_HANG marking a hang), with numpy broadcasting: SLAB's
    (3.16, unsigned long) for SlabParams, SLUB's (unsigned int) for SlubParams."""
    slub = isinstance(p, rs.SlubParams)
    wb = 32 if slub else p.word_bits
    if _is_scalar(flags, align, size) and out is None:
        if slub:
            assert isinstance(p, rs.SlubParams)
            return slub_calculate_alignment(p, flags, align, size)
        assert isinstance(p, ref.SlabParams)
        f, a, s = (
            _scalar(v, n, wb) for v, n in ((flags, "flags"), (align, "align"), (size, "size"))
        )
        if BACKEND == "reference":
            return ref.calculate_alignment(p, f, a, s)
        res = ffi.new("uint64_t *")
        hang = lib.slabhw_calculate_alignment(_params(p), f, a, s, res)
        return None if hang else int(res[0])
    fa, aa, sa = (
        as_u64_array(v, n, wb) for v, n in ((flags, "flags"), (align, "align"), (size, "size"))
    )
    shape = np.broadcast_shapes(fa.shape, aa.shape, sa.shape)
    result = _check_out(out, shape, np.dtype(np.uint64))
    n = int(np.prod(shape, dtype=np.int64))
    (fb, fs), (ab, as_), (sb, ss) = (_strided(v, shape) for v in (fa, aa, sa))
    if BACKEND == "reference":
        flat = result.reshape(-1)
        for i in range(n):
            args = int(fb[i * fs]), int(ab[i * as_]), int(sb[i * ss])
            if isinstance(p, rs.SlubParams):
                r = rs.calculate_alignment(p, *args)
            else:
                r = ref.calculate_alignment(p, *args)
            flat[i] = ALIGN_HANG if r is None else r
        return result
    if n:
        if isinstance(p, rs.SlubParams):
            fn, params = lib.slabhw_slub_calculate_alignment_array, _slub_params(p)
        else:
            fn, params = lib.slabhw_calculate_alignment_array, _params(p)
        fn(
            params,
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
        as_u64_array(v, n, wb) for v, n in ((size, "size"), (align, "align"), (flags, "flags"))
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
@lru_cache(maxsize=64)
def _kmalloc_params(k: ref.KmallocParams) -> Any:
    return ffi.new(
        "struct slabhw_kmalloc_params *", {n: getattr(k, n) for n in ref.KMALLOC_PARAM_FIELDS}
    )


def kmalloc_index(k: ref.KmallocParams, size: int) -> int:
    """kmalloc_index() (compile-time mapping); -1 where the kernel BUG()s."""
    size = _scalar(size, "size", 64)
    if BACKEND == "reference":
        return ref.kmalloc_index(k, size)
    return int(lib.slabhw_kmalloc_index(_kmalloc_params(k), size))


def kmalloc_size(k: ref.KmallocParams, n: int) -> int:
    if BACKEND == "reference":
        return ref.kmalloc_size(k, n)
    return int(lib.slabhw_kmalloc_size(_kmalloc_params(k), n))


def kmalloc_slab_index(k: ref.KmallocParams, size: Any) -> Any:
    """kmalloc_slab() as an index (-1 NULL, 0 ZERO_SIZE_PTR); int or int64 array."""
    if _is_scalar(size):
        s = _scalar(size, "size", 64)
        if BACKEND == "reference":
            return ref.kmalloc_slab_index(k, s)
        return int(lib.slabhw_kmalloc_slab_index(_kmalloc_params(k), s))
    sa = np.ascontiguousarray(as_u64_array(size, "size", 64))
    result = np.empty(sa.shape, dtype=np.int64)
    if BACKEND == "reference":
        flat, src = result.reshape(-1), sa.reshape(-1)
        for i in range(src.size):
            flat[i] = ref.kmalloc_slab_index(k, int(src[i]))
        return result
    if sa.size:
        lib.slabhw_kmalloc_slab_index_array(
            _kmalloc_params(k), _ptr(sa, "uint64_t *"), _ptr(result, "int64_t *"), sa.size
        )
    return result


def get_order(size: Any, page_shift: int, word_bits: int) -> Any:
    """get_order() on an int (-> int) or an array (-> int64 array)."""
    if _is_scalar(size):
        s = _scalar(size, "size", word_bits)
        if BACKEND == "reference":
            return ref.get_order(s, page_shift, word_bits)
        return int(lib.slabhw_get_order(s, page_shift, word_bits))
    sa = np.ascontiguousarray(as_u64_array(size, "size", word_bits))
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


# ---- SLUB (every version) -------------------------------------------------------------
def slub_calculate_alignment(p: rs.SlubParams, flags: int, align: int, size: int) -> int | None:
    """calculate_alignment() of SLUB (unsigned int); None where the kernel never returns."""
    f, a, s = (_scalar(v, n, 32) for v, n in ((flags, "flags"), (align, "align"), (size, "size")))
    if BACKEND == "reference":
        return rs.calculate_alignment(p, f, a, s)
    hang = ffi.new("int *")
    r = int(lib.slabhw_slub_calculate_alignment(_slub_params(p), f, a, s, hang))
    return None if hang[0] else r


def slub_create(p: rs.SlubParams, args: rs.SlubArgs) -> rs.SlubLayout:
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
    a = ffi.new("struct slabhw_slub_args *", {n: getattr(args, n) for n in rs.SLUB_ARG_FIELDS})
    out = ffi.new("struct slabhw_slub_cache *")
    lib.slabhw_slub_create(_slub_params(p), a, out)
    return rs.SlubLayout(**{n: int(getattr(out, n)) for n in rs.SLUB_LAYOUT_FIELDS})


def as_i64_array(x: Any, name: str) -> np.ndarray[Any, Any]:
    not_masked(x, name)
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise InputTypeError(f"{name} must be an integer array, not {arr.dtype}")
    if arr.size and (int(arr.min()) < -1 or int(arr.max()) >= 1 << 32):
        raise InputError(f"{name} must be -1 (none) or an offset below 2**32")
    return arr.astype(np.int64)


def slub_create_array(
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
        as_u64_array(v, n, 32)
        for v, n in ((size, "size"), (align, "align"), (flags, "flags"), (ctor, "ctor"))
    )
    fpa = as_i64_array(freeptr_offset, "freeptr_offset")
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
        lib.slabhw_slub_create_array(
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
            ffi.cast("struct slabhw_slub_cache *", ffi.from_buffer(result)),
            n,
        )
    return result


def create_columns(
    p: ref.SlabParams | rs.SlubParams,
    inputs: Sequence[np.ndarray[Any, Any]],
    columns: dict[str, np.ndarray[Any, Any]],
    start: int = 0,
    stop: int | None = None,
) -> None:
    """kmem_cache_create numbers of rows [start, stop) written into ``columns`` (name ->
    1-D int64 array, names of the struct's fields; a failed row is 0 but its error).
    ``inputs`` are 1-D arrays, already checked: uint64 size, align, flags (SLAB),
    then uint64 ctor and int64 freeptr_offset (SLUB); each holds every row, or one
    value for all of them (read with stride 0)."""
    stop = max(len(a) for a in inputs) if stop is None else stop
    n = stop - start
    if n <= 0:
        return
    slub = isinstance(p, rs.SlubParams)
    names = rs.SLUB_LAYOUT_FIELDS if slub else ref.LAYOUT_FIELDS
    if BACKEND == "reference":
        for i in range(start, stop):
            row = [int(a[i if len(a) > 1 else 0]) for a in inputs]
            if isinstance(p, rs.SlubParams):
                args = rs.SlubArgs(
                    object_size=row[0],
                    align=row[1],
                    flags=row[2],
                    ctor=row[3],
                    use_freeptr_offset=int(row[4] >= 0),
                    freeptr_offset=max(row[4], 0),
                )
                c: Any = rs.kmem_cache_create(p, args)
            else:
                c = ref.kmem_cache_create(p, row[0], row[1], row[2])
            for name, col in columns.items():
                col[i] = 0 if c.error and name != "error" else getattr(c, name)
        return
    fields = ffi.new("int32_t[]", [names.index(name) for name in columns])
    cols = ffi.new("int64_t *[]", [_ptr(col, "int64_t *") + start for col in columns.values()])
    ptrs = []
    for arr in inputs if slub else inputs[:3]:  # SLAB 3.16's sweep has no ctor input
        ctype = "int64_t *" if arr.dtype == np.int64 else "uint64_t *"
        one = len(arr) == 1
        ptrs += [_ptr(arr, ctype) + (0 if one else start), 0 if one else 1]
    if isinstance(p, rs.SlubParams):
        lib.slabhw_slub_create_columns(_slub_params(p), *ptrs, cols, fields, len(columns), n)
    else:
        lib.slabhw_slab316_create_columns(_params(p), *ptrs, cols, fields, len(columns), n)


# ---- the SLUB run time's free pointers (csrc/runtime.c) --------------------------------
DETACH_OK = int(lib.SLABHW_DETACH_OK)
DETACH_NOT_SLAB = int(lib.SLABHW_DETACH_NOT_SLAB)  # p[size-1] is not in a slab page
DETACH_OTHER_CACHE = int(lib.SLABHW_DETACH_OTHER_CACHE)  # ... in a slab of another cache
DETACH_IRREGULAR = int(lib.SLABHW_DETACH_IRREGULAR)  # free pointer words repeat/overlap/stray
_KEY_PFN_BITS = 32
_MASK64 = (1 << 64) - 1


def slab_key(cache_id: int, pfn: int) -> int:
    """The key FreePointers.detach knows a slab by: the cache and the head PFN."""
    if not 0 <= pfn < 1 << _KEY_PFN_BITS or not 0 <= cache_id < (1 << 31) - 1:
        raise InputError(f"slab key out of range: cache {cache_id}, PFN {pfn}")
    return ((cache_id + 1) << _KEY_PFN_BITS) | pfn


class FreePointers:
    """One SLUB cache's free pointers in a PageArena's memory: the word at
    ``object + offset``, encoded ``ptr ^ random ^ swab(ptr_addr)`` when ``hardened``,
    in the target's byte order (``swap``: not the host's).

    ``slab_keys`` has one uint64 per page of the arena: ``slab_key(cache_id, head
    PFN)`` for every page of a slab, 0 elsewhere (the caller keeps it current).
    ``span`` is the byte size of the cache's largest slab; ``random_seq`` the cache's
    s->random_seq (byte offsets) when it has one.  The methods do, for many
    objects in one call, what slabhw.slub_runtime does object by object; under
    ``SLABHW_BACKEND=reference`` they run the Python twins below.
    """

    def __init__(
        self,
        memory: np.ndarray[Any, Any],
        slab_keys: np.ndarray[Any, Any],
        *,
        page_offset: int,
        page_shift: int,
        offset: int,
        random: int,
        hardened: bool,
        swap: bool,
        cache_id: int,
        span: int,
        random_seq: Any = None,
    ) -> None:
        for arr, dtype, name in ((memory, np.uint8, "memory"), (slab_keys, np.uint64, "slab_keys")):
            if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.ndim != 1:
                raise InputTypeError(f"{name} must be a 1-D {np.dtype(dtype)} array")
            if not (arr.flags.c_contiguous and arr.flags.writeable):
                raise ValueError(f"{name} must be C-contiguous and writeable")
        if slab_keys.size != memory.size >> page_shift:
            raise ValueError("slab_keys must have one entry per page of memory")
        if span < 8 or span % 8:
            raise ValueError(f"span {span} is not a positive multiple of 8")
        self.memory = memory
        self.slab_keys = slab_keys
        self.page_offset = _scalar(page_offset, "page_offset", 64)
        self.page_shift = page_shift
        self.offset = _scalar(offset, "offset", 32)
        self.random = _scalar(random, "random", 64)
        self.hardened = bool(hardened)
        self.swap = bool(swap)
        self.cache_key = slab_key(cache_id, 0)
        self.span = span
        self.memsize = int(memory.size)
        self.random_seq = None
        if random_seq is not None:
            self.random_seq = np.array(random_seq, dtype=np.uint64).reshape(-1)
            if not self.random_seq.size:
                raise ValueError("random_seq is empty")
            self._seq = _ptr(self.random_seq, "uint64_t *")
        self._below: dict[int, int] = {}  # page_limit -> offsets of the sequence below it
        self.byteorder: Any = (
            sys.byteorder if not swap else ("big" if sys.byteorder == "little" else "little")
        )
        # positions of one detached freelist; a bit per word of a slab
        self.scratch = np.empty(span // 8, dtype=np.uint64)
        self.bitmap = np.zeros((span // 8 + 63) // 64, dtype=np.uint64)
        self._f = ffi.new(
            "struct slabhw_fp *",
            {
                "memsize": self.memsize,
                "page_offset": self.page_offset,
                "page_shift": page_shift,
                "offset": self.offset,
                "random": self.random,
                "hardened": int(self.hardened),
                "swap": int(self.swap),
                "cache_key": self.cache_key,
                "span": span,
            },
        )
        self._mem = ffi.cast("uint8_t *", ffi.from_buffer(memory))
        self._keys = _ptr(slab_keys, "uint64_t *")
        self._scratch = _ptr(self.scratch, "uint64_t *")
        self._bitmap = _ptr(self.bitmap, "uint64_t *")
        self._out = ffi.new("struct slabhw_detached *")
        self._word = ffi.new("uint64_t *")
        self._arrays: tuple[Any, Any] = (None, None)  # (last array, its pointer)

    def _array(self, arr: np.ndarray[Any, Any]) -> Any:
        last, ptr = self._arrays
        if arr is not last:
            if arr.dtype != np.uint64 or arr.ndim != 1 or not arr.flags.c_contiguous:
                raise InputTypeError("expected a 1-D C-contiguous uint64 array")
            if not arr.flags.writeable:
                raise ValueError("the array must be writeable")
            ptr = _ptr(arr, "uint64_t *")
            self._arrays = (arr, ptr)
        return ptr

    # -- get_freepointer / set_freepointer on one word (the twins' primitives) -----
    def _index(self, obj: int) -> int | None:
        i = obj + self.offset - self.page_offset
        return i if obj + self.offset <= _MASK64 and 0 <= i <= self.memsize - 8 else None

    def load(self, obj: int) -> int:
        """get_freepointer(obj); the word must be inside the arena."""
        i = self._index(obj)
        if i is None:
            raise InputError(f"free pointer of {obj:#x} is outside the arena")
        v = int.from_bytes(self.memory[i : i + 8].tobytes(), self.byteorder)
        if self.hardened:
            v = rs.freelist_ptr(v, obj + self.offset, self.random)
        return v

    def store(self, obj: int, fp: int) -> None:
        """set_freepointer(obj, fp) without the BUG_ON; the word must be inside."""
        i = self._index(obj)
        if i is None:
            raise InputError(f"free pointer of {obj:#x} is outside the arena")
        v = rs.freelist_ptr(fp, obj + self.offset, self.random) if self.hardened else fp
        self.memory[i : i + 8] = np.frombuffer(v.to_bytes(8, self.byteorder), dtype=np.uint8)

    # -- the loops -------------------------------------------------------------------
    def walk(self, head: int, out: np.ndarray[Any, Any], start: int, n: int) -> tuple[int, int]:
        """Take up to ``n`` objects of the freelist at ``head`` into ``out[start:]``
        (c->freelist = get_freepointer(object), object by object).  Returns (how many,
        the rest of the list): the rest is 0 at the end of the list, or the object
        whose free pointer is outside the arena when the walk stopped there."""
        ptr = self._array(out)
        if not 0 <= start <= start + n <= out.size:
            raise ValueError(f"out[{start}:{start + n}] is outside the array")
        if BACKEND == "reference":
            return self._walk_ref(head, out, start, n)
        k = lib.slabhw_fp_walk(self._f, self._mem, head, ptr + start, n, self._word)
        return int(k), int(self._word[0])

    def _walk_ref(
        self, head: int, out: np.ndarray[Any, Any], start: int, n: int
    ) -> tuple[int, int]:
        k, cur = 0, head
        while k < n and cur and self._index(cur) is not None:
            out[start + k] = cur
            k += 1
            cur = self.load(cur)
        return k, cur

    def link_range(self, start: int, stride: int, n: int, last: int = 0) -> None:
        """The objects ``start + stride * j`` (j < n) chained in address order, the last
        one's free pointer ``last``: allocate_slab without shuffling or setup_object."""
        if n <= 0:
            return
        if stride < 8 or any(self._index(x) is None for x in (start, start + (n - 1) * stride)):
            raise InputError(f"objects {start:#x} + {stride} * {n} leave the arena")
        if BACKEND == "reference":
            for j in range(n):
                obj = start + j * stride
                self.store(obj, obj + stride if j + 1 < n else last)
            return
        if lib.slabhw_fp_link_range(self._f, self._mem, start, stride, n, last):
            raise InputError(f"objects {start:#x} + {stride} * {n} leave the arena")

    def link_shuffled(self, pos: int, page_limit: int, start: int, n: int) -> int:
        """shuffle_freelist() without setup_object: ``n`` objects ``start + seq[k]``
        of the random sequence, k from ``pos`` on (cyclically), offsets ``>=
        page_limit`` skipped, chained in that order.  Returns the first object (the
        slab's freelist).  ``n`` must not exceed the offsets below ``page_limit``."""
        seq = self.random_seq
        if seq is None:
            raise InputError("shuffle_freelist: the cache has no random sequence")
        count = int(seq.size)
        below = self._below.get(page_limit)
        if below is None:
            below = self._below[page_limit] = int(np.count_nonzero(seq < page_limit))
        if not (0 <= pos < count and 0 < n <= below):
            raise InputError("shuffle_freelist: bad position, object count or page limit")
        if BACKEND == "reference":
            objs: list[int] = []
            while len(objs) < n:
                idx = int(seq[pos])
                pos = pos + 1 if pos + 1 < count else 0
                if idx < page_limit:
                    objs.append(start + idx)
            if any(self._index(x) is None for x in objs):
                raise InputError("shuffle_freelist: objects outside the arena")
            for a, b in zip(objs, objs[1:] + [0]):
                self.store(a, b)
            return objs[0]
        rc = lib.slabhw_fp_link_shuffled(
            self._f, self._mem, self._seq, count, pos, page_limit, start, n, self._word
        )
        if rc:
            raise InputError("shuffle_freelist: objects outside the arena")
        return int(self._word[0])

    def detach(
        self, p: np.ndarray[Any, Any], size: int, null_mark: bool = False, hooked: bool = True
    ) -> tuple[int, int, int, int, int, int]:
        """build_detached_freelist(p, size) with (``hooked``) slab_free_freelist_hook's
        reversal, else the chain as __kmem_cache_free_bulk frees it: (result, new
        size, head, tail, cnt, slab key).  The chain head -> ... -> tail -> NULL is
        written; ``p`` swapped as 6.1 and later swap it, or with
        ``null_mark`` its entries taken set to 0 and 0 entries skipped, as 4.6 .. 6.0
        do (DETACH_OK with cnt 0: nothing was left).  Any result but DETACH_OK leaves
        ``p`` and the memory as they were (``key`` is the slab of the last object
        for DETACH_OTHER_CACHE)."""
        ptr = self._array(p)
        if not 0 < size <= p.size:
            raise ValueError(f"size {size} is not in 1..{p.size}")
        if BACKEND == "reference":
            return self._detach_ref(p, size, null_mark, hooked)
        out = self._out
        rc = lib.slabhw_fp_detach(
            self._f,
            self._mem,
            self._keys,
            ptr,
            size,
            int(null_mark),
            int(hooked),
            self._scratch,
            self.scratch.size,
            self._bitmap,
            out,
        )
        if rc:
            return int(rc), size, 0, 0, 0, int(out.key)
        return 0, int(out.size), int(out.head), int(out.tail), int(out.cnt), int(out.key)

    def _key_of(self, obj: int) -> int:
        i = obj - self.page_offset
        return int(self.slab_keys[i >> self.page_shift]) if 0 <= i < self.memsize else 0

    def _detach_ref(
        self, p: np.ndarray[Any, Any], size: int, null_mark: bool, hooked: bool = True
    ) -> tuple[int, int, int, int, int, int]:
        last = size - 1
        while null_mark and last and not p[last]:
            last -= 1
        if null_mark and not p[last]:
            return DETACH_OK, 0, 0, 0, 0, 0
        key = self._key_of(int(p[last]))
        if not key:
            return DETACH_NOT_SLAB, size, 0, 0, 0, key
        if key >> _KEY_PFN_BITS << _KEY_PFN_BITS != self.cache_key:
            return DETACH_OTHER_CACHE, size, 0, 0, 0, key
        positions = [last]
        lookahead = 3
        first_skipped = 0
        j = last
        while j:
            j -= 1
            if null_mark and not p[j]:
                continue
            if self._key_of(int(p[j])) == key:
                positions.append(j)
                continue
            lookahead -= 1
            if not lookahead:
                break
            first_skipped = first_skipped or j + 1
        base = self.page_offset + ((key & ((1 << _KEY_PFN_BITS) - 1)) << self.page_shift)
        objs = [int(p[q]) for q in positions]
        words = [obj + self.offset for obj in objs]
        if len(set(words)) != len(words) or any(
            self._index(obj) is None or not 0 <= w - base <= self.span - 8 or (w - base) % 8
            for obj, w in zip(objs, words)
        ):
            return DETACH_IRREGULAR, size, 0, 0, 0, key
        if not hooked:  # build_detached_freelist's own chain: the reverse
            objs.reverse()
        for a, b in zip(objs, objs[1:] + [0]):
            self.store(a, b)
        if null_mark:
            p[positions] = 0
            return DETACH_OK, first_skipped, objs[0], objs[-1], len(objs), key
        same = last
        for q in positions[1:]:
            same -= 1
            if q != same:
                p[q], p[same] = p[same], p[q]
        return DETACH_OK, same, objs[0], objs[-1], len(objs), key


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
    "FreePointers",
    "slab_key",
)
