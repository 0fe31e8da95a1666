"""Grids of sweeps on Dask: every combination of kernels, architectures, CPU counts,
slab_debug settings and labelled configurations (config switches, boot options), over
sizes x alignments x flags, written as one Parquet dataset partitioned hive-style by
kernel, arch and configuration (``kernel=v6.1/arch=x86_64/config=default/...parquet``),
readable by pyarrow, pandas, DuckDB and polars.

Each task computes one configuration over one slice of the sizes and writes its own
file, so the work spreads over a dask.distributed cluster: a local one over this
machine's cores by default, or an existing scheduler's workers.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .config import KernelConfig
from .errors import InputError

TASK_ROWS = 1 << 20  # rows per task (each task writes one file)


@dataclass(frozen=True)
class Point:
    """One configuration of the grid: its axes' values, the label of its --config and
    the KernelConfig they make (built once, up front; sent to the workers)."""

    kernel: str
    arch: str
    nr_cpus: int
    slab_debug: str | None  # None: no slab_debug= on the command line
    label: str = "default"
    config: KernelConfig | None = None


def points(
    kernels: list[str],
    arches: list[str],
    cpus: list[int],
    debugs: list[str | None],
    labels: list[str],
    flags: list[str],
    configure: Callable[[Point], KernelConfig],
) -> list[Point]:
    """Every combination, each configured by ``configure`` and checked up front with
    the flag sets in each version's names (a bad name is one error before any work)."""
    out = []
    for kernel, arch, n, debug, label in itertools.product(kernels, arches, cpus, debugs, labels):
        p = Point(kernel, arch, n, debug, label)
        cfg = configure(p)  # raises InputError if wrong
        for f in flags:
            if f.strip():
                cfg.flags.parse(f)
        out.append(replace(p, config=cfg))
    return out


def run_task(
    point: Point,
    sizes: tuple[int, int, int],
    aligns: list[int],
    flags: list[str],
    directory: str,
    part: int,
) -> int:
    """One task: the sweep of ``point`` over sizes (``range(*sizes)``: sent as its
    bounds, not as an array) x aligns x flags (C order), written to its partition's
    directory; returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .columnar import result_table
    from .sweep import sweep

    cfg = point.config
    assert cfg is not None, "points() configures every point"
    values = np.array([cfg.flags.parse(f) if f.strip() else 0 for f in flags], dtype=np.uint64)
    span = np.arange(*sizes, dtype=np.uint64)
    s, a, f = np.meshgrid(span, np.array(aligns, dtype=np.uint64), values, indexing="ij")
    result = sweep(s.reshape(-1), a.reshape(-1), f.reshape(-1), config=cfg)
    table = result_table(result)
    n = table.num_rows
    table = table.append_column("nr_cpus", pa.array(np.full(n, point.nr_cpus, np.int32)))
    debug = "" if point.slab_debug is None else point.slab_debug
    table = table.append_column("slab_debug", pa.array([debug] * n, pa.string()))
    where = os.path.join(
        directory, f"kernel={point.kernel}", f"arch={point.arch}", f"config={point.label}"
    )
    os.makedirs(where, exist_ok=True)
    name = f"cpus{point.nr_cpus}-debug{debug or 'off'}-part{part:05d}.parquet"
    pq.write_table(table, os.path.join(where, name.replace(",", "_").replace("*", "all")))
    return int(n)


def tasks(
    grid: list[Point], sizes: range, aligns: list[int], flags: list[str]
) -> list[tuple[Point, tuple[int, int, int], int]]:
    """(point, (start, stop, step) of its sizes, part) per task: about TASK_ROWS rows."""
    per_size = max(len(aligns) * len(flags), 1)
    count = max(TASK_ROWS // per_size, 1)
    out = []
    for p in grid:
        for part, first in enumerate(range(0, len(sizes), count)):
            chunk = sizes[first : first + count]
            out.append((p, (chunk.start, chunk.stop, chunk.step), part))
    return out


def run(
    grid: list[Point],
    sizes: range,
    aligns: list[int],
    flags: list[str],
    directory: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Any = None,
) -> int:
    """Every task on a dask.distributed cluster (``scheduler``'s, else a local one of
    ``workers`` processes, default: the machine's cores); the rows written."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("grid needs dask: pip install 'slabhw[grid]'") from None
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError("grid writes Parquet: pip install 'slabhw[arrow]'") from None
    if os.path.isdir(directory) and os.listdir(directory):
        raise InputError(f"--output {directory} exists and is not empty (a grid writes anew)")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write {directory}: {exc.strerror or exc}") from None
    jobs = tasks(grid, sizes, aligns, flags)
    if scheduler:
        try:
            client = Client(scheduler, timeout="3s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        cluster = None
    else:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        futures = [
            client.submit(run_task, p, chunk, aligns, flags, directory, part, pure=False)
            for p, chunk, part in jobs
        ]
        rows = 0
        for future in as_completed(futures):
            rows += future.result()
            if progress:
                progress(rows, 0)
        return rows
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
