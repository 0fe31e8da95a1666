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
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from . import _core
from .config import KernelConfig
from .errors import OUTCOME_NAMES, InputError
from .parse import parse_uint
from .textio import bounded_lines, shown

# tools/mm/slabinfo.c's Loss and %Ef, for one slab: the bytes of the slab's pages
# that no object's requested size uses, and the share (integer percent) it does use
WASTE_COLUMNS = ("loss_per_slab", "efficiency_pct")


@dataclass(frozen=True)
class SweepKind:
    """The sweep contract of one allocator: input columns, computed columns (with the
    layout field each one shows), and the output structured dtype."""

    allocator: str
    inputs: tuple[str, ...]
    results: tuple[tuple[str, str], ...]  # (output column, layout field)
    value_bits: int  # width of object_size/align in the kernel (0: unsigned long)

    @property
    def result_columns(self) -> tuple[str, ...]:
        """The computed columns: the layout's fields, then the waste of one slab in
        tools/mm/slabinfo.c's terms (empty on error rows, as the fields are)."""
        return tuple(col for col, _ in self.results) + WASTE_COLUMNS

    @property
    def order_column(self) -> str:
        return "gfporder" if self.allocator == "SLAB" else "order"

    @property
    def objects_column(self) -> str:
        return "num" if self.allocator == "SLAB" else "objs_per_slab"

    @property
    def echo_columns(self) -> tuple[str, ...]:
        """The inputs as echoed in the output (the requested alignment as align_arg)."""
        return tuple("align_arg" if c == "align" else c for c in self.inputs)

    @property
    def output_columns(self) -> tuple[str, ...]:
        return self.echo_columns + self.result_columns + ("error",)

    @property
    def dtype(self) -> np.dtype[Any]:
        echo = {
            "object_size": "<u8",
            "align_arg": "<u8",
            "flags": "<u8",
            "ctor": "u1",
            "freeptr_offset": "<i8",
        }
        return np.dtype(
            [(c, echo[c]) for c in self.echo_columns]
            + [(c, "<i8") for c in self.result_columns]
            + [("error", "<i8")]
        )


SLAB_SWEEP = SweepKind(
    "SLAB",
    ("object_size", "align", "flags", "ctor"),
    tuple(
        (c, c)
        for c in (
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
    ),
    0,
)
SLUB_SWEEP = SweepKind(
    "SLUB",
    ("object_size", "align", "flags", "ctor", "freeptr_offset"),
    (
        ("align", "align"),
        ("size", "size"),
        ("inuse", "inuse"),
        ("offset", "offset"),
        ("red_left_pad", "red_left_pad"),
        ("objs_per_slab", "objects"),
        ("order", "order"),
        ("min_partial", "min_partial"),
        ("cpu_partial", "cpu_partial"),
        ("sheaf_capacity", "sheaf_capacity"),
    ),
    32,
)
KINDS = {k.allocator: k for k in (SLAB_SWEEP, SLUB_SWEEP)}

# the SLAB (v3.16) contract under its historical names
INPUT_COLUMNS = SLAB_SWEEP.inputs
RESULT_COLUMNS = SLAB_SWEEP.result_columns
OUTPUT_COLUMNS = SLAB_SWEEP.output_columns
SWEEP_DTYPE = SLAB_SWEEP.dtype


def kind_of(config: KernelConfig) -> SweepKind:
    return KINDS[config.preset.allocator]


CHUNK = 1 << 16  # rows per C call when reporting progress

Progress = Callable[[int, int], None]  # (rows done, total rows or 0 while unknown)


class SweepResult:
    """A sweep's result as columns: one contiguous 1-D numpy array per output column
    (``kind.output_columns``: the inputs echoed, the computed fields, ``error``), one
    element per row.  An echoed input that was already a whole contiguous column of
    its dtype is a read-only view of the caller's array (no copy).
    ``result["size"]`` is a column; ``len(result)`` the rows.
    ``to_arrow()`` and ``to_pandas()`` wrap the same memory (no copy);
    ``to_numpy()`` builds the structured array (``kind.dtype``, a copy)."""

    def __init__(
        self,
        kind: SweepKind,
        columns: dict[str, np.ndarray[Any, Any]],
        page_size: int,
        fills: dict[str, tuple[int, Any]] | None = None,
    ) -> None:
        self.kind = kind
        self.page_size = page_size
        # made when first asked for: the waste columns, and the echo of an input given
        # as one value for every row (fills: column -> (value, dtype))
        self._columns = columns
        self._fills = fills or {}

    @property
    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """Every column, in ``kind.output_columns`` order."""
        return {name: self[name] for name in self.kind.output_columns}

    def __getitem__(self, column: str) -> np.ndarray[Any, Any]:
        if column not in self._columns:
            if column in self._fills:
                value, dtype = self._fills[column]
                self._columns[column] = np.full(len(self), value, dtype=dtype)
            elif column in WASTE_COLUMNS:
                self._columns.update(_waste(self, self.kind, self.page_size))
        return self._columns[column]

    def __len__(self) -> int:
        return len(self._columns["error"])

    def __iter__(self) -> Iterator[str]:
        return iter(self.kind.output_columns)

    def keys(self) -> Any:
        return self.kind.output_columns

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of ``to_numpy()``."""
        return self.kind.dtype

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def to_numpy(self) -> np.ndarray[Any, Any]:
        out = np.empty(len(self), dtype=self.kind.dtype)
        for name, values in self.columns.items():
            out[name] = values
        return out

    def slice(self, start: int, stop: int) -> SweepResult:
        """Rows [start, stop), as views."""
        sliced = {k: v[start:stop] for k, v in self._columns.items()}
        return SweepResult(self.kind, sliced, self.page_size, self._fills)

    def to_arrow(self) -> Any:
        """A pyarrow Table over the same buffers (pyarrow: ``pip install slabhw[arrow]``)."""
        try:
            import pyarrow as pa
        except ImportError:
            raise InputError("to_arrow() needs pyarrow: pip install 'slabhw[arrow]'") from None
        return pa.table({name: pa.array(values) for name, values in self.columns.items()})

    def to_pandas(self) -> Any:
        """A pandas DataFrame over the same buffers, one block per column."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_pandas() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.columns, copy=False)


def sweep(
    object_size: Any,
    align: Any = 0,
    flags: Any = 0,
    ctor: Any = 0,
    freeptr_offset: Any = -1,
    *,
    config: KernelConfig | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> SweepResult:
    """kmem_cache_create numbers for every row of the broadcast inputs.

    ``config`` or the keywords of ``KernelConfig.build`` (``kernel``, ``arch``,
    ``nr_cpus``, ``slab_max_order_param``, ``slub_min_objects``, ...) pick the kernel.
    ``flags`` are integers in that kernel's encoding; ``freeptr_offset`` (SLUB only)
    is -1 for none.  Returns a SweepResult: one numpy array per column, written by
    the C core in place; ``error`` is 0 or an outcome code (slabhw.errors) and the
    computed fields of error rows are 0.  Each row is a new cache: no merging.
    """
    cfg = config if config is not None else KernelConfig.build(**options)
    kind = kind_of(cfg)
    values = [object_size, align, flags, ctor] + ([freeptr_offset] if kind is SLUB_SWEEP else [])
    for name, value in zip(kind.inputs, values):
        _core.not_masked(value, name)
    if kind is SLAB_SWEEP and np.any(np.asarray(freeptr_offset) != -1):
        raise InputError("freeptr_offset is an input of SLUB kernels only")
    bits = kind.value_bits or cfg.arch.word_bits
    checked = [_core.as_u64_array(v, name, bits) for name, v in zip(kind.inputs[:3], values[:3])]
    ctor_a = np.asarray(ctor)
    if ctor_a.dtype.kind not in "iub" or (ctor_a.size and (ctor_a.min() < 0 or ctor_a.max() > 1)):
        raise InputError("ctor must be 0 or 1")
    checked.append(ctor_a.astype(np.uint64))
    if kind is SLUB_SWEEP:
        checked.append(_core.as_i64_array(freeptr_offset, "freeptr_offset"))
    shape = np.broadcast_shapes(*(a.shape for a in checked))
    n = int(np.prod(shape, dtype=np.int64))
    # C reads each input row by row, or one value for every row (stride 0); the echo
    # columns are the inputs themselves when they already are whole contiguous
    # columns of their dtype (read-only views: no copy), else filled or converted
    inputs: list[np.ndarray[Any, Any]] = []
    columns: dict[str, np.ndarray[Any, Any]] = {}
    fills: dict[str, tuple[int, Any]] = {}
    for column, a in zip(kind.echo_columns, checked):
        dtype = kind.dtype[column]
        if a.size == 1 and n != 1:
            inputs.append(np.ascontiguousarray(a.reshape(1)))
            fills[column] = (int(a.reshape(-1)[0]), dtype)
            continue
        flat = np.ascontiguousarray(np.broadcast_to(a, shape).reshape(-1))
        inputs.append(flat)
        if flat.dtype == dtype:
            view = flat.view()
            view.flags.writeable = False
            columns[column] = view
        else:
            columns[column] = flat.astype(dtype)
    fields = {field: np.empty(n, dtype=np.int64) for _, field in kind.results}
    fields["error"] = np.empty(n, dtype=np.int64)
    params = cfg.slub_params() if kind is SLUB_SWEEP else cfg.slab_params()
    step = CHUNK if progress else max(n, 1)
    for start in range(0, n, step):
        stop = min(start + step, n)
        _core.create_columns(params, inputs, fields, start, stop)
        if progress:
            progress(stop, n)
    for column, field in kind.results:
        columns[column] = fields[field]
    columns["error"] = fields["error"]
    return SweepResult(kind, columns, cfg.arch.page_size, fills)


def _waste(columns: Any, kind: SweepKind, page_size: int) -> dict[str, np.ndarray[Any, Any]]:
    """Per slab, as slabinfo.c counts a cache's Loss and %Ef: slab bytes
    (PAGE_SIZE << order) less objects * object_size, and objects * object_size * 100
    / slab bytes; 0 where the row failed."""
    order, objects = columns[kind.order_column], columns[kind.objects_column]
    slab = np.left_shift(np.int64(page_size), order)
    used = objects * columns["object_size"].astype(np.int64)
    ok = objects > 0
    loss = np.where(ok, slab - used, 0)
    efficiency = np.where(ok, used * 100 // np.where(ok, slab, 1), 0)
    return {"loss_per_slab": loss, "efficiency_pct": efficiency}


# ---- CSV ------------------------------------------------------------------------------
def column_to_u64(
    values: tuple[str, ...], column: str, *, empty_is_zero: bool, bits: int, first: int = 2
) -> np.ndarray[Any, Any]:
    """A uint64 column.  Fast path: numpy parses plain decimal columns; otherwise
    parse row by row so that a bad value is reported with its line."""
    out: np.ndarray[Any, Any] | None = None
    # numpy's fixed-width strings are as wide as the longest cell: only short ones
    short = max(map(len, values), default=0) <= 24
    arr = np.array(values if short else (), dtype=np.str_)
    # isdigit() is true of every script's digits; the UCS-4 code units must be ASCII
    if arr.size and arr.view(np.uint32).max() < 0x80 and np.char.isdigit(arr).all():
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
                raise InputError(f"line {i + first}: {exc}") from None
    if bits < 64 and out.size:
        over = np.flatnonzero(out >= np.uint64(1 << bits))
        if over.size:
            i = int(over[0])
            raise InputError(
                f"line {i + first}: {column} {int(out[i])} does not fit the "
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
    """Read sweep input rows: columns object_size (required), align, flags, ctor (and
    freeptr_offset for SLUB kernels), in the order of ``kind_of(config).inputs``.

    Empty align, flags and ctor cells mean 0, an empty freeptr_offset none (-1); a
    UTF-8 byte-order mark is ignored.  The whole input at once: ``iter_csv`` reads it
    in bounded chunks.
    """
    chunks = list(iter_csv(stream, config))
    return tuple(np.concatenate(c) for c in zip(*chunks))


READ_ROWS = 1 << 18  # rows per chunk of a streamed CSV


def iter_csv(
    stream: IO[str], config: KernelConfig, rows: int = READ_ROWS, *, skip: int = 0
) -> Iterator[tuple[np.ndarray[Any, Any], ...]]:
    """The input columns of ``read_csv``, ``rows`` rows at a time (the first chunk
    may be empty): memory stays bounded however long the input, and a bad value
    stops the read at its chunk, named by its line.  The first ``skip`` rows are
    read (and their lines counted) but not converted nor yielded."""
    with _no_gc():
        reader = csv.reader(bounded_lines(stream, "input"))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"line 1: malformed CSV: {exc}") from None
        if header is None:
            raise InputError("input CSV is empty (it needs a header with object_size)")
        kind = kind_of(config)
        head = check_header(header, kind, config)
        line = 2  # the line of the next row
        while skip > 0:
            try:
                skipped = sum(1 for _ in itertools.islice(reader, min(skip, rows)))
            except csv.Error as exc:
                raise InputError(f"line {reader.line_num}: malformed CSV: {exc}") from None
            if not skipped:
                return
            skip -= skipped
            line += skipped
        while True:
            try:
                body = list(itertools.islice(reader, rows))
            except csv.Error as exc:
                raise InputError(f"line {reader.line_num}: malformed CSV: {exc}") from None
            yield rows_to_columns(head, body, line, kind, config)
            if len(body) < rows:
                return
            line += len(body)


def check_header(row: list[str], kind: SweepKind, config: KernelConfig) -> list[str]:
    """The input's column names (CSV header or Parquet schema), checked: each one of the
    version's inputs, object_size among them, none twice."""
    head = [h.strip() for h in row]
    if head and head[0].startswith("\ufeff"):
        head[0] = head[0][1:]
    unknown = [h for h in head if h not in kind.inputs]
    if unknown:
        raise InputError(
            f"unknown input column(s) {', '.join(shown(h) for h in unknown[:5])} "
            f"(columns for {config.version}: {', '.join(kind.inputs)})"
        )
    if "object_size" not in head:
        raise InputError("the input has no object_size column")
    if len(set(head)) != len(head):
        raise InputError("the input repeats a column")
    return head


def rows_to_columns(
    head: list[str], body: list[list[str]], first: int, kind: SweepKind, config: KernelConfig
) -> tuple[np.ndarray[Any, Any], ...]:
    """One chunk's rows as input columns; ``first`` is the line of ``body[0]``."""
    width = len(head)
    if set(map(len, body)) - {width}:
        for line, row in enumerate(body, start=first):
            if len(row) != width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    raise InputError(f"line {line}: empty row")
                raise InputError(f"line {line}: expected {width} fields, found {len(row)}")
    n = len(body)
    columns = dict(zip(head, zip(*body))) if n else {h: () for h in head}
    bits = kind.value_bits or config.arch.word_bits
    size = column_to_u64(
        columns["object_size"], "object_size", empty_is_zero=False, bits=bits, first=first
    )
    align = (
        column_to_u64(columns["align"], "align", empty_is_zero=True, bits=bits, first=first)
        if "align" in columns
        else np.zeros(n, np.uint64)
    )
    flags = np.zeros(n, np.uint64)
    if "flags" in columns:
        column = columns["flags"]
        values = flag_spellings(column, config, lambda t: f"line {column.index(t) + first}")
        flags = np.array([values[t] for t in column], dtype=np.uint64)
    ctor = ctor_column(columns["ctor"], first) if "ctor" in columns else np.zeros(n, np.uint8)
    if kind is not SLUB_SWEEP:
        return size, align, flags, ctor
    freeptr = (
        freeptr_column(columns["freeptr_offset"], first)
        if "freeptr_offset" in columns
        else np.full(n, -1, dtype=np.int64)
    )
    return size, align, flags, ctor, freeptr


def flag_spellings(
    texts: Sequence[str | None], config: KernelConfig, where: Callable[[str | None], str]
) -> dict[str | None, int]:
    """The value of each distinct spelling of a flags cell (names joined by |, or a
    number; empty or null: 0), each parsed once; the spelling that fails first in
    ``texts`` is named by ``where(text)`` (its line or row)."""
    table = config.flags
    values: dict[str | None, int] = {}
    for text in dict.fromkeys(texts):  # distinct, in the order they first appear
        try:
            values[text] = table.parse(text.strip()) if text and text.strip() else 0
        except InputError as exc:
            raise InputError(f"{where(text)}: {exc}") from None
    return values


def ctor_column(cells: Sequence[str], first: int) -> np.ndarray[Any, Any]:
    """A ctor column: 0, 1 or empty (0); the first bad cell named by its line."""
    bad = {t for t in set(cells) - {"", "0", "1"} if t.strip() not in ("", "0", "1")}
    if bad:
        i = min(cells.index(t) for t in bad)
        raise InputError(f"line {i + first}: ctor must be 0 or 1, not {shown(cells[i])}")
    return np.array([t.strip() == "1" for t in cells], dtype=np.uint8)


def freeptr_column(cells: Sequence[str], first: int) -> np.ndarray[Any, Any]:
    """A freeptr_offset column: an offset below 2**32, or empty for none (-1)."""
    values = np.full(len(cells), -1, dtype=np.int64)
    for i, text in enumerate(cells):
        if text.strip():
            try:
                values[i] = parse_uint(text, "freeptr_offset", bits=32)
            except InputError as exc:
                raise InputError(f"line {i + first}: {exc}") from None
    return values


Rows = SweepResult | np.ndarray[Any, Any]  # columns, or the structured array


def _tuples(result: Rows, kind: SweepKind) -> list[tuple[Any, ...]]:
    """The rows as tuples in ``kind.output_columns`` order."""
    if isinstance(result, SweepResult):
        return list(zip(*(result[c].tolist() for c in kind.output_columns)))
    rows: list[tuple[Any, ...]] = result.tolist()
    return rows


def _sliced(result: Rows, start: int, stop: int) -> Rows:
    return result.slice(start, stop) if isinstance(result, SweepResult) else result[start:stop]


def format_rows(result: Rows, kind: SweepKind = SLAB_SWEEP) -> list[str]:
    """CSV lines (with newline) for sweep results; error rows leave results empty and
    an absent freeptr_offset is an empty cell."""
    nres = len(kind.result_columns)
    names = OUTCOME_NAMES
    if kind is SLAB_SWEEP:
        ok = "%d,%d,%#x,%d," + ",".join(["%d"] * nres) + ",0\n"
        err = "%d,%d,%#x,%d" + "," * nres + ",%s\n"
        return [
            ok % rec[:-1] if not rec[-1] else err % (*rec[:4], names[rec[-1]])
            for rec in _tuples(result, kind)
        ]
    ok = "%d,%d,%#x,%d,%s," + ",".join(["%d"] * nres) + ",0\n"
    err = "%d,%d,%#x,%d,%s" + "," * nres + ",%s\n"
    lines = []
    for rec in _tuples(result, kind):
        fp = "" if rec[4] < 0 else rec[4]
        if rec[-1]:
            lines.append(err % (*rec[:4], fp, names[rec[-1]]))
        else:
            lines.append(ok % (*rec[:4], fp, *rec[5:-1]))
    return lines


def write_csv(
    stream: IO[str],
    result: Rows,
    kind: SweepKind = SLAB_SWEEP,
    *,
    header: bool = True,
) -> None:
    if header:
        stream.write(",".join(kind.output_columns) + "\n")
    with _no_gc():
        for start in range(0, len(result), CHUNK):
            stream.write("".join(format_rows(_sliced(result, start, start + CHUNK), kind)))


def terminal_progress(stream: IO[str] = sys.stderr) -> Progress | None:
    """A progress callback drawing a bar on a terminal (None when not a terminal):
    tqdm's rows and rows/s, else a plain counter.  Called as (rows done, total rows or
    0 while unknown); done == total ends the bar."""
    if not stream.isatty():
        return None
    try:
        import tqdm
    except ImportError:
        tqdm = None  # type: ignore[assignment]
    if tqdm is not None:
        bar = tqdm.tqdm(unit=" rows", unit_scale=True, file=stream, desc="sweep")

        def advance(done: int, total: int) -> None:
            bar.update(done - bar.n)
            if total and done >= total:
                bar.close()

        return advance

    def show(done: int, total: int) -> None:
        if not total:  # a stream of unknown length: the count so far
            stream.write(f"\rsweep: {done} rows")
            stream.flush()
            return
        width = 30
        filled = width * done // total
        stream.write(f"\rsweep [{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def to_records(result: Rows, kind: SweepKind = SLAB_SWEEP) -> list[dict[str, Any]]:
    """Sweep results as JSON-ready dicts (error as its name, results None on error,
    an absent freeptr_offset None)."""
    records = []
    for rec in _tuples(result, kind):
        row = dict(zip(kind.output_columns, rec))
        err = row["error"]
        row["error"] = OUTCOME_NAMES[err]
        if err:
            for c in kind.result_columns:
                row[c] = None
        if row.get("freeptr_offset", 0) < 0:
            row["freeptr_offset"] = None
        records.append(row)
    return records


def to_csv_text(result: Rows, kind: SweepKind = SLAB_SWEEP) -> str:
    buf = io.StringIO()
    write_csv(buf, result, kind)
    return buf.getvalue()
