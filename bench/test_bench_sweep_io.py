"""`slabhw sweep` end to end on files (issue 10): one million rows from Parquet to
Parquet and from CSV to CSV, each against pyarrow's own read and write of the same
files plus the API's compute (the target: at most 1.5x that time, a throughput
ratio of at least 0.67)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import slabhw
from slabhw.cli import main
from slabhw.config import KernelConfig

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pacsv = pytest.importorskip("pyarrow.csv")

N = 1_000_000
ARGS = ["--kernel", "v6.18", "--nr-cpus", "2", "--no-progress"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("io")
    rng = np.random.default_rng(11)
    table = pa.table(
        {
            "object_size": rng.integers(1, 1 << 16, N).astype(np.uint64),
            "align": rng.choice(np.array([0, 8, 64], dtype=np.uint64), N),
        }
    )
    pq.write_table(table, d / "in.parquet")
    pacsv.write_csv(table, d / "in.csv")
    return d


def _baseline(read: Any, write: Any, src: Path, dst: Path) -> None:
    from slabhw.columnar import result_table

    t = read(src)
    cfg = KernelConfig.build("v6.18", "x86_64", nr_cpus=2)
    r = slabhw.sweep(t.column("object_size").to_numpy(), t.column("align").to_numpy(), config=cfg)
    write(result_table(r), dst)


def test_parquet_pyarrow(benchmark: Any, record: Any, files: Path) -> None:
    benchmark.pedantic(
        _baseline,
        args=(pq.read_table, pq.write_table, files / "in.parquet", files / "base.parquet"),
        rounds=3,
        warmup_rounds=1,
    )
    record("parquet_pyarrow", N)


def test_parquet_sweep(benchmark: Any, record: Any, files: Path) -> None:
    argv = ["sweep", *ARGS, "--input", str(files / "in.parquet")]
    argv += ["--output", str(files / "out.parquet")]
    assert benchmark.pedantic(main, args=(argv, io.StringIO()), rounds=3, warmup_rounds=1) == 0
    record("parquet_sweep", N)
    assert pq.read_metadata(files / "out.parquet").num_rows == N


def test_csv_pyarrow(benchmark: Any, record: Any, files: Path) -> None:
    benchmark.pedantic(
        _baseline,
        args=(pacsv.read_csv, pacsv.write_csv, files / "in.csv", files / "base.csv"),
        rounds=3,
        warmup_rounds=1,
    )
    record("csv_pyarrow", N)


def test_csv_sweep(benchmark: Any, record: Any, files: Path) -> None:
    argv = ["sweep", *ARGS, "--input", str(files / "in.csv"), "--output", str(files / "out.csv")]
    assert benchmark.pedantic(main, args=(argv, io.StringIO()), rounds=2, warmup_rounds=0) == 0
    record("csv_sweep", N)
