"""Benchmark helpers: record each benchmark's best time and print throughput ratios.

Absolute times on a shared machine are noise; ratios measured in the same run are
what the README reports.  Run with ``pytest bench/`` (``--benchmark-disable`` turns
timing off, as the CI test run does).
"""

from __future__ import annotations

from typing import Any

import pytest

RESULTS: dict[str, tuple[float, int]] = {}  # name -> (best seconds, elements)

# (numerator, denominator, target): throughput(numerator) / throughput(denominator)
RATIOS = [
    ("calculate_alignment_c", "numpy_copyto", 1.0),
    ("calculate_alignment_api", "numpy_copy", 1.0),
    ("calculate_alignment_api", "calculate_alignment_c_fresh", None),
    ("sweep_api", "sweep_c", 0.8),
    ("sweep_api", "sweep_c_fresh", None),
    ("parquet_sweep", "parquet_pyarrow", 0.67),
    ("csv_sweep", "csv_pyarrow", 0.67),
    ("grid_2_workers", "grid_1_worker", 1.6),
    ("spray_script", "spray_api", 0.25),
    ("spray_script_kept", "spray_api", None),
    ("sweep_slub_api[v6.18]", "sweep_slub_c[v6.18]", 0.8),
    ("sweep_slub_api[v6.18]", "sweep_slub_c_fresh[v6.18]", None),
    ("calculate_alignment_c", "calculate_alignment_reference", 100.0),
    ("sweep_c", "sweep_reference", None),
    ("btf_parse", "btf_read_bytes", None),
]

# (name, target elements per second, what an element is): the run-time layer; a
# name also covers its per-version records, "slub_pairs[v6.1]" and so on
TARGETS = [
    ("slub_pairs", 200_000, "alloc+free pairs"),
    ("slab_pairs", 200_000, "alloc+free pairs"),
    ("slub_alloc_bulk", 2_000_000, "objects"),
    ("slub_free_bulk", 2_000_000, "objects"),
    ("slub_alloc_bulk_cold", 2_000_000, "objects"),
]
# (name, target seconds): one run must take less
TIME_TARGETS = [("arena_4g", 1.0), ("btf_parse", 1.0), ("btf_parse_and_lookup", 1.0)]


@pytest.fixture
def record(benchmark: Any) -> Any:
    """Call ``record(name, elements)`` after ``benchmark(...)`` to keep its best time."""

    def _record(name: str, elements: int) -> None:
        stats = getattr(benchmark, "stats", None)
        if stats is not None:  # None under --benchmark-disable
            RESULTS[name] = (stats.stats.min, elements)

    return _record


def _rate(name: str) -> float:
    seconds, elements = RESULTS[name]
    return elements / seconds


def _records(base: str) -> list[str]:
    """``base`` and its per-version records ``base[vX.Y]``, in version order."""
    names = [n for n in RESULTS if n == base or n.startswith(base + "[")]
    return sorted(names, key=_version_key)


def _version_key(name: str) -> tuple[int, ...]:
    version = name.partition("[v")[2].rstrip("]")
    return tuple(int(x) for x in version.split(".") if x.isdigit())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("slabhw throughput (best of rounds)")
    timed = {name for name, _ in TIME_TARGETS}
    for name in sorted(
        RESULTS.keys() - timed, key=lambda n: (n.partition("[")[0], _version_key(n))
    ):
        tr.write_line(f"{name:<32} {_rate(name) / 1e6:10.2f} M elements/s")
    for num, den, target in RATIOS:
        if num in RESULTS and den in RESULTS:
            ratio = _rate(num) / _rate(den)
            verdict = (
                ""
                if target is None
                else (f"  target >= {target}: {'met' if ratio >= target else 'MISSED'}")
            )
            tr.write_line(f"{num} / {den}: {ratio:.2f}x{verdict}")
    for name in _records("sweep_c") + _records("sweep_slub_c"):
        rate = _rate(name)
        verdict = "met" if rate >= 5e6 else "MISSED"
        tr.write_line(f"{name}: {rate / 1e6:.2f} M rows/s  target >= 5: {verdict}")
    for base, target, unit in TARGETS:
        for name in _records(base):
            rate = _rate(name)
            verdict = "met" if rate >= target else "MISSED"
            tr.write_line(
                f"{name}: {rate:,.0f} {unit}/s = {rate / target:.2f}x the target "
                f"{target:,}/s: {verdict}"
            )
    for name in _records("crosscheck_caches"):
        seconds = RESULTS[name][0]
        verdict = "met" if seconds < 1.0 else "MISSED"
        tr.write_line(
            f"{name}: {seconds * 1e3:.1f} ms for the whole kernel  target < 1 s: {verdict}"
        )
    for name, limit in TIME_TARGETS:
        if name in RESULTS:
            seconds = RESULTS[name][0]
            verdict = "met" if seconds < limit else "MISSED"
            tr.write_line(f"{name}: {seconds:.3f} s  target < {limit} s: {verdict}")
