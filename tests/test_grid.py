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
    assert set(table.column("config").to_pylist()) == {"default"}
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


def test_grid_over_configurations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--config LABEL=OPTIONS: each label a partition (config=LABEL) swept with its
    options.  With slab_max_order=0 every size up to a page is an order-0 slab of
    4096 // size objects (calc_slab_order never goes above the max order while one
    object fits)."""
    out = tmp_path / "grid"
    argv = ["grid", "--kernel", "v6.12", "--sizes", "1:600", "--workers", "2"]
    argv += ["--config", "default=", "--config", "max0=--slab-max-order 0 --kfence"]
    rc, _, err = run_main([*argv, "--output", str(out)], capsys)
    assert rc == 0, err
    assert sorted(p.name for p in (out / "kernel=v6.12" / "arch=x86_64").iterdir()) == [
        "config=default",
        "config=max0",
    ]
    frame = ds.dataset(out, format="parquet", partitioning="hive").to_table().to_pandas()
    for label, options in (("default", {}), ("max0", {"slub_max_order": 0, "kfence": True})):
        part = frame[frame["config"] == label].sort_values("object_size")
        cfg = KernelConfig.build("v6.12", "x86_64", nr_cpus=2, **options)
        single = slabhw.sweep(np.arange(1, 601, dtype=np.uint64), config=cfg)
        for column in ("size", "objs_per_slab", "order"):
            assert part[column].tolist() == single[column].tolist(), (label, column)
    max0 = frame[frame["config"] == "max0"]
    assert (max0["order"] == 0).all()
    assert (max0["objs_per_slab"] == 4096 // max0["size"]).all()
    assert (frame[frame["config"] == "default"]["order"] > 0).any()


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--kernel", "v9.9"], "unknown kernel version"),
        (["--flags", "SLAB_NOPE"], "unknown flag"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "one or the other"),
        (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
        (["--config", "a/b=--kfence"], "LABEL=OPTIONS"),
        (["--config", "kfence"], "LABEL=OPTIONS"),
        (["--config", "a=", "--config", "a=--kfence"], "given twice"),
        (["--config", "a=--arch arm64"], "--arch is a list"),
        (["--config", "a=--slab-max-order x"], "--config a"),
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
