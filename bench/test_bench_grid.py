"""slabhw grid: a 40-million-row grid on a local Dask cluster of one worker, then two
(the target on this 2-core machine: two workers at least 1.6x one)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from slabhw.cli import main

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

# 2 kernels x 2 arches x 2.5 M sizes x 2 alignments x 2 flag sets = 40 M rows (a grid of
# at least 20 M rows, large enough that the cluster's start-up is a small share)
ARGV = ["grid", "--kernel", "v6.12,v6.18", "--arch", "x86_64,arm64", "--nr-cpus", "2"]
ARGV += ["--sizes", "1:2500000", "--align", "0,64", "--flags", "0,SLAB_HWCACHE_ALIGN"]
ARGV += ["--no-progress"]
ROWS = 40_000_000


def _grid(out: Path, workers: int) -> None:
    shutil.rmtree(out, ignore_errors=True)
    assert main([*ARGV, "--output", str(out), "--workers", str(workers)], io.StringIO()) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_grid(benchmark: Any, record: Any, tmp_path: Path, workers: int) -> None:
    if benchmark.disabled:  # 40 M rows are a measurement; tests/test_grid.py checks it
        pytest.skip("timing only (--benchmark-disable)")
    benchmark.pedantic(_grid, args=(tmp_path / "g", workers), rounds=2, warmup_rounds=0)
    record(f"grid_{workers}_worker{'s' if workers > 1 else ''}", ROWS)
