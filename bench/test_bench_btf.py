"""Reading the running kernel's BTF (/sys/kernel/btf/vmlinux, about 5.5 MB and 127k
types): the index built in one pass, against reading the file's bytes alone; and one
struct looked up (the name index built on first use).  Target: parse well under 1 s."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from slabhw import btf

pytestmark = pytest.mark.skipif(
    not (btf.RUNNING.exists() and os.access(btf.RUNNING, os.R_OK)),
    reason="no readable /sys/kernel/btf/vmlinux",
)


@pytest.fixture(scope="module")
def raw() -> bytes:
    return Path(btf.RUNNING).read_bytes()


def test_btf_read_bytes(benchmark: Any, record: Any) -> None:
    data = benchmark.pedantic(Path(btf.RUNNING).read_bytes, rounds=5, warmup_rounds=1)
    record("btf_read_bytes", len(data))


def test_btf_parse(benchmark: Any, record: Any, raw: bytes) -> None:
    b = benchmark.pedantic(btf.Btf, args=(raw,), rounds=5, warmup_rounds=1)
    record("btf_parse", len(raw))
    assert b.count > 10_000


def test_btf_first_lookup(benchmark: Any, record: Any, raw: bytes) -> None:
    def run() -> int:
        return btf.Btf(raw).struct("cred").size

    assert benchmark.pedantic(run, rounds=3, warmup_rounds=1) > 0
    record("btf_parse_and_lookup", len(raw))
