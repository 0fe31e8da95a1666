"""Real kernel data: calculate_alignment against a running kernel's /sys/kernel/slab.

calculate_alignment() computes the same thing in Linux 3.16 and 6.18, so every cache a
real kernel created with SLAB_HWCACHE_ALIGN and no explicit alignment has
``align == calculate_alignment(SLAB_HWCACHE_ALIGN, 0, object_size)``.  The captured
table (tests/data, see its README) always runs; the live tree is checked too where it
is readable.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from slabhw import calculate_alignment

DATA = Path(__file__).parent / "data" / "x86_64-6.18-align.csv"
SYS_SLAB = Path("/sys/kernel/slab")


def _check(rows: list[tuple[str, int, int]], line: int = 64) -> list[tuple[str, int, int, int]]:
    mismatches = []
    for name, object_size, align in rows:
        predicted = calculate_alignment(0x2000, 0, object_size, cache_line_size_param=line)
        if predicted != align:
            mismatches.append((name, object_size, align, predicted))
    return mismatches


def test_captured_hwcache_caches() -> None:
    with DATA.open() as f:
        rows = [
            (r["cache"], int(r["object_size"]), int(r["align"]))
            for r in csv.DictReader(f)
            if r["hwcache_align"] == "1"
        ]
    assert len(rows) == 58
    assert _check(rows) == []


def _read(path: Path) -> str:
    return path.read_text().strip()


@pytest.mark.skipif(not SYS_SLAB.is_dir(), reason="no /sys/kernel/slab on this machine")
def test_live_hwcache_caches() -> None:
    rows = []
    for entry in sorted(SYS_SLAB.iterdir()):
        if entry.is_symlink():
            continue
        try:
            if _read(entry / "hwcache_align") != "1":
                continue
            rows.append(
                (entry.name, int(_read(entry / "object_size")), int(_read(entry / "align")))
            )
        except OSError:
            continue
    if not rows:
        pytest.skip("no SLAB_HWCACHE_ALIGN caches readable")
    assert _check(rows, _cache_alignment()) == []


def _cache_alignment() -> int:
    """x86's cache_line_size() is boot_cpu_data.x86_cache_alignment, which
    /proc/cpuinfo prints as cache_alignment; 64 where it is not shown."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cache_alignment"):
                    return int(line.split(":")[1])
    except OSError:
        pass
    return 64
