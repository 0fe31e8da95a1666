"""crosscheck of a whole kernel (target: under a second), from the shipped snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from slabhw.crosscheck import crosscheck

SNAPSHOT = Path(__file__).parent.parent / "tests" / "data" / "x86_64-6.18-snapshot.json"


def test_crosscheck_whole_kernel(benchmark: Any, record: Any) -> None:
    snap = json.loads(SNAPSHOT.read_text())
    report = benchmark.pedantic(crosscheck, args=(snap,), rounds=10, warmup_rounds=1)
    record("crosscheck_caches", len(snap["caches"]))
    assert report.ok
