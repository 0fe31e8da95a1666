"""slabhw grid on a local Dask cluster of two workers: the dataset, read back with
pyarrow's hive partitioning, equals single sweeps row for row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import slabhw
from slabhw.config import KernelConfig
from tests.helpers import run_main

pytest.importorskip("distributed")
ds = pytest.importorskip("pyarrow.dataset")


def test_grid_equals_single_sweeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grid"
    argv = ["grid", "--kernel", "v6.1,v6.12", "--arch", "x86_64,arm64", "--nr-cpus", "2,64"]
    argv += ["--sizes", "1:600", "--align", "0,64", "--flags", "0,SLAB_HWCACHE_ALIGN"]
    rc, text, err = run_main([*argv, "--output", str(out), "--workers", "2", "--json"], capsys)
    assert rc == 0, err
    assert json.loads(text)["rows"] == 2 * 2 * 2 * 600 * 2 * 2
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 19200
    frame = table.to_pandas()
    assert sorted(frame["kernel"].astype(str).unique()) == ["v6.1", "v6.12"]
    for (kernel, arch, cpus), part in frame.groupby(["kernel", "arch", "nr_cpus"], observed=True):
        cfg = KernelConfig.build(str(kernel), str(arch), nr_cpus=int(cpus))
        part = part.sort_values(["object_size", "align_arg", "flags"])
        hw = cfg.flags.parse("SLAB_HWCACHE_ALIGN")
        s, a, f = np.meshgrid(
            np.arange(1, 601, dtype=np.uint64),
            np.array([0, 64], np.uint64),
            np.array(sorted([0, hw]), np.uint64),
            indexing="ij",
        )
        single = slabhw.sweep(s.reshape(-1), a.reshape(-1), f.reshape(-1), config=cfg)
        for column in ("size", "objs_per_slab", "order", "offset", "loss_per_slab"):
            want = single[column][single["error"] == 0]
            got = part[column].dropna().to_numpy()
            assert got.tolist() == want.tolist(), (kernel, arch, cpus, column)


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--kernel", "v9.9"], "unknown kernel version"),
        (["--flags", "SLAB_NOPE"], "unknown flag"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "one or the other"),
        (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
    ],
)
def test_grid_mistakes(
    extra: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run_main(
        ["grid", "--sizes", "1:8", "--output", str(tmp_path / "g"), *extra], capsys
    )
    assert rc == 2 and words in err and err.count("\n") == 1, err


def test_grid_refuses_a_used_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.parquet").write_text("x")
    rc, _, err = run_main(["grid", "--sizes", "1:8", "--output", str(tmp_path)], capsys)
    assert rc == 2 and "not empty" in err
