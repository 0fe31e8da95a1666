"""Vectorised sweeps: kmem_cache_create numbers for many (size, align, flags) rows.

``sweep()`` is numpy in, numpy out (a structured array, one row per input row);
``read_csv``/``write_csv`` implement the ``slabhw sweep`` CSV contract.  Rows are
user caches created after boot, as ``kmem_cache_create`` makes them.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np

from . import _core
from .config import KernelConfig
from .errors import OUTCOME_NAMES, InputError
from .parse import parse_uint

INPUT_COLUMNS = ("object_size", "align", "flags", "ctor")
RESULT_COLUMNS = (
    "align",
    "size",
    "obj_offset",
    "num",
    "gfporder",
    "colour",
    "colour_off",
    "off_slab",
    "freelist_size",
    "limit",
    "batchcount",
    "shared",
)
OUTPUT_COLUMNS = ("object_size", "align_arg", "flags", "ctor") + RESULT_COLUMNS + ("error",)

SWEEP_DTYPE = np.dtype(
    [("object_size", "<u8"), ("align_arg", "<u8"), ("flags", "<u8"), ("ctor", "u1")]
    + [(name, "<i8") for name in RESULT_COLUMNS]
    + [("error", "<i8")]
)

CHUNK = 1 << 16  # rows per C call when reporting progress

Progress = Callable[[int, int], None]


def sweep(
    object_size: Any,
    align: Any = 0,
    flags: Any = 0,
    ctor: Any = 0,
    *,
    config: KernelConfig | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> np.ndarray[Any, Any]:
    """kmem_cache_create numbers for every row of the broadcast inputs.

    ``config`` or the keywords of ``KernelConfig.build`` (``kernel``, ``arch``,
    ``nr_cpus``, ``slab_max_order_param``, ``debug_slab``, ...) pick the kernel.
    ``flags`` are integers in that kernel's encoding.  Returns a 1-d structured
    array (SWEEP_DTYPE); ``error`` is 0 or an outcome code (slabhw.errors) and the
    computed fields of error rows are 0.
    """
    cfg = config if config is not None else KernelConfig.build(**options)
    p = cfg.slab_params()
    arrays = np.broadcast_arrays(*(np.asarray(v) for v in (object_size, align, flags, ctor)))
    size_a, align_a, flags_a, ctor_a = (a.reshape(-1) for a in arrays)
    n = size_a.size
    out = np.zeros(n, dtype=SWEEP_DTYPE)
    if n == 0:
        return out
    if ctor_a.dtype.kind not in "iub" or (ctor_a.size and (ctor_a.min() < 0 or ctor_a.max() > 1)):
        raise InputError("ctor must be 0 or 1")
    layout = np.empty(n, dtype=_core.LAYOUT_DTYPE)
    step = CHUNK if progress else n
    for start in range(0, n, step):
        stop = min(start + step, n)
        _core.slab316_create_array(
            p, size_a[start:stop], align_a[start:stop], flags_a[start:stop], out=layout[start:stop]
        )
        if progress:
            progress(stop, n)
    out["object_size"] = size_a
    out["align_arg"] = align_a
    out["flags"] = flags_a
    out["ctor"] = ctor_a
    ok = layout["error"] == 0
    for name in RESULT_COLUMNS:
        out[name] = np.where(ok, layout[name], 0)
    out["error"] = layout["error"]
    return out


# ---- CSV ------------------------------------------------------------------------------
def _column_to_u64(
    values: tuple[str, ...], column: str, *, empty_is_zero: bool, bits: int
) -> np.ndarray[Any, Any]:
    """A uint64 column.  Fast path: numpy parses plain decimal columns; otherwise
    parse row by row so that a bad value is reported with its line."""
    arr = np.array(values, dtype=np.str_)
    out: np.ndarray[Any, Any] | None = None
    if arr.size and np.char.isdigit(arr).all():
        try:
            out = arr.astype(np.uint64)
        except (ValueError, OverflowError):
            out = None
    if out is None:
        out = np.empty(len(values), dtype=np.uint64)
        for i, v in enumerate(values):
            try:
                if empty_is_zero and not v.strip():
                    out[i] = 0
                else:
                    out[i] = parse_uint(v, column)
            except InputError as exc:
                raise InputError(f"line {i + 2}: {exc}") from None
    if bits < 64 and out.size:
        over = np.flatnonzero(out >= np.uint64(1 << bits))
        if over.size:
            i = int(over[0])
            raise InputError(
                f"line {i + 2}: {column} {int(out[i])} does not fit the "
                f"target's {bits}-bit unsigned long"
            )
    return out


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small strings and tuples
    are made (none of them form cycles); this triples CSV throughput."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_csv(stream: IO[str], config: KernelConfig) -> tuple[np.ndarray[Any, Any], ...]:
    """Read sweep input rows: columns object_size (required), align, flags, ctor.

    Empty align, flags and ctor cells mean 0; a UTF-8 byte-order mark is ignored.
    """
    with _no_gc():
        return _read_csv(stream, config)


def _read_csv(stream: IO[str], config: KernelConfig) -> tuple[np.ndarray[Any, Any], ...]:
    try:
        rows = list(csv.reader(stream))
    except UnicodeDecodeError as exc:
        raise InputError(f"input is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}") from None
    if not rows:
        raise InputError("input CSV is empty (it needs a header with object_size)")
    head = [h.strip() for h in rows[0]]
    if head and head[0].startswith("\ufeff"):
        head[0] = head[0][1:]
    unknown = [h for h in head if h not in INPUT_COLUMNS]
    if unknown:
        raise InputError(
            f"unknown input column(s) {', '.join(map(repr, unknown))} "
            f"(columns: {', '.join(INPUT_COLUMNS)})"
        )
    if "object_size" not in head:
        raise InputError("input CSV has no object_size column")
    if len(set(head)) != len(head):
        raise InputError("input CSV repeats a column")
    width = len(head)
    body = rows[1:]
    if set(map(len, body)) - {width}:
        for line, row in enumerate(body, start=2):
            if len(row) != width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    raise InputError(f"line {line}: empty row")
                raise InputError(f"line {line}: expected {width} fields, found {len(row)}")
    n = len(body)
    columns = dict(zip(head, zip(*body))) if n else {h: () for h in head}
    bits = config.arch.word_bits
    size = _column_to_u64(columns["object_size"], "object_size", empty_is_zero=False, bits=bits)
    align = (
        _column_to_u64(columns["align"], "align", empty_is_zero=True, bits=bits)
        if "align" in columns
        else np.zeros(n, np.uint64)
    )
    flags = np.zeros(n, np.uint64)
    if "flags" in columns:
        column = columns["flags"]
        table = config.flags
        values: dict[str, int] = {}
        for text in set(column):  # each distinct spelling is parsed once
            try:
                values[text] = table.parse(text.strip()) if text.strip() else 0
            except InputError as exc:
                raise InputError(f"line {column.index(text) + 2}: {exc}") from None
        flags = np.array([values[t] for t in column], dtype=np.uint64)
    ctor = np.zeros(n, np.uint8)
    if "ctor" in columns:
        column = columns["ctor"]
        for text in set(column) - {"", "0", "1"}:
            if text.strip() not in ("", "0", "1"):
                raise InputError(
                    f"line {column.index(text) + 2}: ctor must be 0 or 1, not {text!r}"
                )
        ctor = np.array([t.strip() == "1" for t in column], dtype=np.uint8)
    return size, align, flags, ctor


_OK_FORMAT = "%d,%d,%#x,%d," + ",".join(["%d"] * len(RESULT_COLUMNS)) + ",0\n"
_ERROR_FORMAT = "%d,%d,%#x,%d" + "," * len(RESULT_COLUMNS) + ",%s\n"


def format_rows(result: np.ndarray[Any, Any]) -> list[str]:
    """CSV lines (with newline) for sweep results; error rows leave results empty."""
    ok, err = _OK_FORMAT, _ERROR_FORMAT
    names = OUTCOME_NAMES
    return [
        ok % rec[:-1] if not rec[-1] else err % (*rec[:4], names[rec[-1]])
        for rec in result.tolist()
    ]


def write_csv(stream: IO[str], result: np.ndarray[Any, Any]) -> None:
    stream.write(",".join(OUTPUT_COLUMNS) + "\n")
    with _no_gc():
        for start in range(0, len(result), CHUNK):
            stream.write("".join(format_rows(result[start : start + CHUNK])))


def terminal_progress(stream: IO[str] = sys.stderr) -> Progress | None:
    """A progress callback drawing a bar on a terminal; None when not a terminal."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        stream.write(f"\rsweep [{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def to_records(result: np.ndarray[Any, Any]) -> list[dict[str, Any]]:
    """Sweep results as JSON-ready dicts (error as its name, results None on error)."""
    records = []
    for rec in result.tolist():
        row = dict(zip(OUTPUT_COLUMNS, rec))
        err = row["error"]
        row["error"] = OUTCOME_NAMES[err]
        if err:
            for c in RESULT_COLUMNS:
                row[c] = None
        records.append(row)
    return records


def to_csv_text(result: np.ndarray[Any, Any]) -> str:
    buf = io.StringIO()
    write_csv(buf, result)
    return buf.getvalue()
