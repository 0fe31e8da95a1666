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
from .sweep import (
    READ_ROWS,
    SweepKind,
    SweepResult,
    check_header,
    column_to_u64,
    ctor_column,
    flag_spellings,
    freeptr_column,
    kind_of,
    rows_to_columns,
)


def arrow() -> Any:
    """pyarrow and its Parquet module, or a one-line error saying how to get them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet needs pyarrow: pip install 'slabhw[arrow]'") from None
    return pa, pq


def has_arrow() -> bool:
    """Whether pyarrow is installed (the CSV fast paths use it when it is)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


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
    check_header(list(names), kind, config)  # the CSV contract's columns
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
    values = flag_spellings(texts, config, lambda t: f"row {first + texts.index(t)}")
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


# ---- CSV through pyarrow: the fast path for files --------------------------------------
CSV_BLOCK = 2 << 20  # bytes per block pyarrow parses (about 250,000 rows)


def iter_csv_file(path: str, config: KernelConfig) -> Iterator[tuple[np.ndarray[Any, Any], ...]]:
    """The input columns of a CSV file, as ``sweep.iter_csv`` gives them, parsed by
    pyarrow a block at a time: the cells as strings, numbers converted by Arrow where
    every cell of a column is plain decimal, else by slabhw's own parser (the same
    messages, each naming its line).  On anything pyarrow refuses (a row of the
    wrong width, bytes that are not UTF-8, a line longer than a block), the file is
    read again by ``iter_csv`` from the first row not yet given, so the mistake is
    named exactly as the CSV contract names it."""
    from .sweep import iter_csv
    from .textio import open_text

    try:
        pa, _ = arrow()
        import pyarrow.csv as pacsv
    except InputError:  # no pyarrow: the Python reader does it all
        with open_text(path) as stream:
            yield from iter_csv(stream, config)
        return
    kind = kind_of(config)
    done = 0  # rows given so far
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in kind.inputs},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        head = check_header(list(reader.schema.names), kind, config)
        given = False
        for batch in reader:
            yield _csv_batch(batch, head, done + 2, kind, config)
            given = True
            done += batch.num_rows
        if not given:  # a header alone: one empty chunk, as iter_csv gives
            yield rows_to_columns(head, [], 2, kind, config)
        return
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (pa.ArrowException, ValueError):
        pass  # named exactly by the Python reader, from the first row not given
    with open_text(path) as stream:
        yield from iter_csv(stream, config, skip=done)


def _csv_batch(
    batch: Any, head: list[str], first: int, kind: SweepKind, config: KernelConfig
) -> tuple[np.ndarray[Any, Any], ...]:
    """One block's string columns as sweep inputs; ``first`` is the line of its first row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    bits = kind.value_bits or config.arch.word_bits
    out: list[np.ndarray[Any, Any]] = []
    for name in kind.inputs:
        if name not in head:
            out.append(np.full(n, -1 if name == "freeptr_offset" else 0, np.int64))
            continue
        col = batch.column(name)
        if name == "flags":
            encoded = pc.dictionary_encode(col)  # a record batch's column: one Array
            texts = encoded.dictionary.to_pylist()  # distinct, in order of appearance

            def line_of(text: str | None, column: Any = col) -> str:
                return f"line {first + int(pc.index(column, text).as_py())}"

            spellings = flag_spellings(texts, config, line_of)
            values = [spellings[t] for t in texts]
            index = encoded.indices.to_numpy(zero_copy_only=False)
            out.append(np.asarray(values, dtype=np.uint64)[index] if n else np.zeros(0, np.uint64))
            continue
        try:  # plain decimal cells: Arrow converts them
            if name in ("object_size", "align"):
                arr = pc.cast(col, pa.uint64()).to_numpy(zero_copy_only=False)
                if bits < 64 and arr.size and int(arr.max()) >= 1 << bits:
                    raise ValueError
                out.append(arr)
            elif name == "ctor":
                arr = pc.cast(col, pa.uint8()).to_numpy(zero_copy_only=False)
                if arr.size and int(arr.max()) > 1:
                    raise ValueError
                out.append(arr)
            else:  # freeptr_offset: empty is none
                filled = pc.if_else(pc.equal(col, ""), "-1", col)
                arr = pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)
                if arr.size and (int(arr.min()) < -1 or int(arr.max()) >= 1 << 32):
                    raise ValueError
                out.append(arr)
            continue
        except (pa.ArrowException, ValueError):
            pass
        cells = tuple(col.to_pylist())  # the slow path names the bad cell's line
        if name in ("object_size", "align"):
            out.append(
                column_to_u64(cells, name, empty_is_zero=name == "align", bits=bits, first=first)
            )
        elif name == "ctor":
            out.append(ctor_column(cells, first))
        else:
            out.append(freeptr_column(cells, first))
    return tuple(out)


def csv_text(result: SweepResult) -> str:
    """The CSV rows of a result (no header), written by pyarrow: byte for byte what
    ``sweep.write_csv`` writes (flags in 0x-hex, empty cells for nulls, error names)."""
    pa, _ = arrow()
    import io

    import pyarrow.csv as pacsv

    table = result_table(result)
    flags = result["flags"]
    distinct, index = np.unique(flags, return_inverse=True)
    hexes = pa.array([f"{v:#x}" for v in distinct.tolist()])
    table = table.set_column(
        table.column_names.index("flags"),
        "flags",
        pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), hexes),
    )
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue().decode("utf-8")
