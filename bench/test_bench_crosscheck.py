"""crosscheck of a whole kernel (target: under a second), from the shipped snapshots:
this machine's 6.18 and Debian's 6.1 and 6.12 (each modelled as the version its
/proc/version names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slabhw import snapshot
from slabhw.crosscheck import crosscheck

DATA = Path(__file__).parent.parent / "tests" / "data"
SNAPSHOTS = {
    "v6.18": DATA / "x86_64-6.18-snapshot.json",
    "v6.1": DATA / "debian-6.1.192-amd64-smp2-default.json.gz",
    "v6.12": DATA / "debian-6.12.117-amd64-smp2-default.json.gz",
}


@pytest.mark.parametrize("version", list(SNAPSHOTS))
def test_crosscheck_whole_kernel(benchmark: Any, record: Any, version: str) -> None:
    snap = snapshot.load(str(SNAPSHOTS[version]))
    report = benchmark.pedantic(crosscheck, args=(snap,), rounds=10, warmup_rounds=1)
    record(
        "crosscheck_caches" if version == "v6.18" else f"crosscheck_caches[{version}]",
        len(snap["caches"]),
    )
    assert report.ok
