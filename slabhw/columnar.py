"""Sweeps as Arrow: Parquet inputs read in record batches, results written as Parquet
row groups (pyarrow, the ``arrow`` extra).

The input contract is the CSV one (slabhw.sweep): ``object_size`` required, ``align``,
``flags``, ``ctor`` and (SLUB) ``freeptr_offset`` optional; integer columns of any
width, ``flags`` also as strings of names; a null is 0 (-1, none, for
``freeptr_offset``) except in ``object_size``.  The output has the CSV's columns:
the inputs echoed, the computed ones (null on error rows), ``error`` as its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .config import KernelConfig
from .errors import OUTCOME_NAMES, InputError
from .sweep import READ_ROWS, SweepKind, SweepResult, kind_of
from .textio import shown


def arrow() -> Any:
    """pyarrow and its Parquet module, or a one-line error saying how to get them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet needs pyarrow: pip install 'slabhw[arrow]'") from None
    return pa, pq


def iter_parquet(
    path: str, config: KernelConfig, rows: int = READ_ROWS
) -> Iterator[tuple[np.ndarray[Any, Any], ...]]:
    """The input columns of a Parquet file, ``rows`` rows at a time (bounded memory),
    in ``kind_of(config).inputs`` order; a bad value names its row (1 = the first)."""
    pa, pq = arrow()
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(f"{path} is not a Parquet file ({exc})") from None
    kind = kind_of(config)
    unknown = [n for n in names if n not in kind.inputs]
    if unknown:
        raise InputError(
            f"unknown input column(s) {', '.join(shown(n) for n in unknown[:5])} "
            f"(columns for {config.version}: {', '.join(kind.inputs)})"
        )
    if "object_size" not in names:
        raise InputError(f"{path} has no object_size column")
    first = 1
    try:
        batches = pf.iter_batches(batch_size=rows, columns=names)
        for batch in batches:
            yield _batch_columns(batch, first, kind, config)
            first += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read {path} after row {first - 1}: {exc}") from None


def _batch_columns(
    batch: Any, first: int, kind: SweepKind, config: KernelConfig
) -> tuple[np.ndarray[Any, Any], ...]:
    pa, _ = arrow()
    import pyarrow.compute as pc

    n = batch.num_rows
    bits = kind.value_bits or config.arch.word_bits
    out: list[np.ndarray[Any, Any]] = []
    for name in kind.inputs:
        if name not in batch.schema.names:
            out.append(np.full(n, -1 if name == "freeptr_offset" else 0, np.int64))
            continue
        col = batch.column(name)
        nulls = col.null_count
        if nulls and name == "object_size":
            row = first + int(pc.index(pc.is_null(col), True).as_py())
            raise InputError(f"row {row}: object_size is null")
        if name == "flags" and (pa.types.is_string(col.type) or pa.types.is_dictionary(col.type)):
            out.append(_flag_names(col, first, config))
            continue
        if not (pa.types.is_integer(col.type) or pa.types.is_boolean(col.type)):
            raise InputError(f"column {name} must hold integers, not {col.type}")
        fill = -1 if name == "freeptr_offset" else 0
        values = col.fill_null(fill).to_numpy(zero_copy_only=False).astype(np.int64)
        if pa.types.is_uint64(col.type):  # beyond int64: check before the conversion
            raw = col.fill_null(0).to_numpy(zero_copy_only=False)
            over = np.flatnonzero(raw >= np.uint64(1 << bits))
            if over.size:
                raise InputError(f"row {first + int(over[0])}: {name} does not fit {bits} bits")
            values = raw.astype(np.uint64)
        low = -1 if name == "freeptr_offset" else 0
        limit = 1 if name == "ctor" else (1 << 32) - 1 if name == "freeptr_offset" else None
        bad = np.flatnonzero(values < low) if values.dtype.kind == "i" else np.array([], int)
        if limit is not None:
            bad = np.union1d(bad, np.flatnonzero(values > limit))
        elif values.dtype.kind == "i" and bits < 64:
            bad = np.union1d(bad, np.flatnonzero(values >= (1 << bits)))
        if bad.size:
            row = first + int(bad[0])
            raise InputError(f"row {row}: {name} {int(values[bad[0]])} is out of range")
        if name == "freeptr_offset":
            out.append(values.astype(np.int64))
        elif name == "ctor":
            out.append(values.astype(np.uint8))
        else:
            out.append(values.astype(np.uint64))
    return tuple(out)


def _flag_names(col: Any, first: int, config: KernelConfig) -> np.ndarray[Any, Any]:
    """A string column of flag names (or numbers), each distinct spelling parsed once."""
    texts = col.to_pylist()
    table = config.flags
    values: dict[str | None, int] = {}
    for i, text in enumerate(texts):
        if text in values:
            continue
        try:
            values[text] = table.parse(text.strip()) if text and text.strip() else 0
        except InputError as exc:
            raise InputError(f"row {first + i}: {exc}") from None
    return np.array([values[t] for t in texts], dtype=np.uint64)


def result_table(result: SweepResult) -> Any:
    """A sweep's result as an Arrow table with the CSV's columns and meaning: the
    computed columns null on error rows, ``freeptr_offset`` null for none, ``error``
    the outcome's name; the column buffers are the result's own where they can be."""
    pa, _ = arrow()
    kind = result.kind
    error = result["error"]
    failed = error != 0
    arrays = {}
    for name in kind.echo_columns:
        values = result[name]
        mask = values < 0 if name == "freeptr_offset" else None
        arrays[name] = pa.array(values, mask=mask)
    for name in kind.result_columns:
        arrays[name] = pa.array(result[name], mask=failed if failed.any() else None)
    codes = sorted(set(np.unique(error).tolist()) | {0})
    index = np.searchsorted(np.array(codes), error).astype(np.int8)
    names = pa.array([OUTCOME_NAMES[c] for c in codes])
    arrays["error"] = pa.DictionaryArray.from_arrays(pa.array(index), names)
    return pa.table(arrays)


class ParquetSink:
    """A Parquet file written one row group per sweep chunk."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.writer: Any = None
        self.rows = 0

    def write(self, result: SweepResult) -> None:
        _, pq = arrow()
        table = result_table(result)
        self.rows += table.num_rows
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self, empty: SweepResult) -> None:
        """Finish the file; with no chunk written, an empty file of the right schema."""
        if self.writer is None:
            self.write(empty)
        self.writer.close()
