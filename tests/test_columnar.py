"""slabhw sweep with Parquet: the same contract as CSV, in columns (pyarrow)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import run_main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

V618 = ["--kernel", "v6.18", "--nr-cpus", "2"]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_parquet_equals_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same rows through CSV and Parquet give the same answers: every cell of the
    Parquet output (nulls for empty CSV cells, error names as in CSV) equals the CSV
    output's, for SLAB and SLUB, over more rows than one read chunk."""
    rng = np.random.default_rng(5)
    n = 300_000  # more than READ_ROWS (2**18)
    sizes = rng.integers(0, 1 << 23, n).astype(np.uint32)
    aligns = rng.choice(np.array([0, 8, 64, 4096], dtype=np.uint16), n)
    for kernel, flags in (("v3.16", ["0", "SLAB_HWCACHE_ALIGN"]), ("v6.18", ["", "SLAB_ACCOUNT"])):
        flag_col = rng.choice(flags, n)
        pq.write_table(
            pa.table({"object_size": sizes, "align": aligns, "flags": flag_col}),
            tmp_path / "in.parquet",
        )
        text = "object_size,align,flags\n" + "".join(
            f"{s},{a},{f}\n" for s, a, f in zip(sizes.tolist(), aligns.tolist(), flag_col)
        )
        (tmp_path / "in.csv").write_text(text)
        argv = ["sweep", "--kernel", kernel, "--nr-cpus", "2"]
        rc, _, err = run_main(
            [*argv, "--input", str(tmp_path / "in.parquet"), "--output", str(tmp_path / "o.pq")],
            capsys,
        )
        assert rc == 0, err
        rc, out, err = run_main([*argv, "--input", str(tmp_path / "in.csv")], capsys)
        assert rc == 0, err
        table = pq.read_table(tmp_path / "o.pq")
        expect = csv_rows(out)
        assert table.num_rows == n == len(expect)
        assert table.column_names == list(expect[0])
        got = table.slice(0, 5000).to_pylist() + table.slice(n - 5000).to_pylist()
        want = expect[:5000] + expect[n - 5000 :]
        for g, w in zip(got, want):
            for column, cell in w.items():
                value = g[column]
                if column == "flags":
                    assert value == int(cell, 16)
                else:
                    assert ("" if value is None else str(value)) == cell, (column, g, w)


def test_parquet_input_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {
                "object_size": pa.array([64, 100], pa.uint64()),
                "align": pa.array([None, 64], pa.int32()),  # null: 0
                "freeptr_offset": pa.array([None, 8], pa.int64()),  # null: none
            }
        ),
        path,
    )
    rc, out, err = run_main(["sweep", *V618, "--input", str(path)], capsys)
    rows = csv_rows(out)
    assert rc == 0, err
    assert rows[0]["align_arg"] == "0" and rows[0]["freeptr_offset"] == ""
    # a free pointer offset without SLAB_TYPESAFE_BY_RCU: kmem_cache_create's -EINVAL
    assert rows[1]["freeptr_offset"] == "8" and rows[1]["align_arg"] == "64"
    assert rows[1]["error"] == "EINVAL"
    for table, words in (
        ({"object_size": pa.array([1, None], pa.uint64())}, "row 2: object_size is null"),
        ({"object_size": pa.array([1, -5], pa.int64())}, "row 2: object_size -5 is out of range"),
        ({"object_size": pa.array([1, 2**40], pa.uint64())}, "row 2: object_size does not fit"),
        ({"object_size": pa.array([1.5])}, "must hold integers"),
        ({"object_size": [1], "flags": ["SLAB_NOPE"]}, "row 1: unknown flag"),
        ({"object_size": [1], "ctor": [2]}, "row 1: ctor 2 is out of range"),
        ({"size": [1]}, "unknown input column"),
    ):
        pq.write_table(pa.table(table), path)
        rc, out, err = run_main(["sweep", *V618, "--input", str(path)], capsys)
        assert rc == 2 and words in err and err.count("\n") == 1, err
        assert out == ""


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "is not a Parquet file"),
        (b"PAR1" + b"\0" * 100, "is not a Parquet file"),
        (b"object_size\n1\n", "is not a Parquet file"),
    ],
)
def test_broken_parquet_files(
    data: bytes, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.parquet"
    path.write_bytes(data)
    rc, _, err = run_main(["sweep", "--input", str(path)], capsys)
    assert rc == 2 and words in err and err.count("\n") == 1, err


def test_parquet_needs_files(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_main(["sweep", "--input", "-", "--format", "parquet"], capsys)
    assert rc == 2 and "Parquet needs a file" in err
