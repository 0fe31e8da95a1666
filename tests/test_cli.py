"""The ``slabhw`` command: create, kmalloc, slabinfo, config (sweep has its own file).

Expected numbers are derived by hand from the Linux 3.16 source (x86_64, 4K pages,
4 possible CPUs, default configuration) or cross-checked between two outputs of
the tool; they are not copied from the code under test.  Every call passes
``--nr-cpus`` so nothing depends on the machine running the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import run_main

NR = ["--nr-cpus", "4"]
HW = "SLAB_HWCACHE_ALIGN"

# mm/slab_common.c cache_show(): the /proc/slabinfo line of the 110-byte HWCACHE cache.
SLABINFO_110 = (
    "test_cache             0      0    128   31    1 : tunables  120   60    8 "
    ": slabdata      0      0      0"
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(argv, capsys)


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    rc, out, err = run(argv + ["--json"], capsys)
    return rc, json.loads(out)


def run_process(
    args: list[str], stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("SLABHW_BACKEND", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "slabhw.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
    )


def assert_one_line_error(err: str) -> None:
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0]


# ---- create: the hand-derived facts ---------------------------------------------------
def test_create_110_hwcache_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["create", "test_cache", "110", "--flags", HW] + NR, capsys)
    assert rc == 0
    assert err == ""
    lines = out.splitlines()
    # the slabinfo block ends the output: header (2 lines) then the cache's line
    assert lines[-1] == SLABINFO_110
    assert lines[-3] == "slabinfo - version: 2.1"
    assert lines[-2].startswith("# name ")
    fields = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            fields[parts[0]] = parts[1]
    assert fields["align"] == "64"
    assert fields["size"] == "128"
    assert fields["num"] == "31"
    assert fields["gfporder"] == "0"
    assert fields["colour"] == "1"
    assert fields["colour_off"] == "64"
    assert fields["freelist_size"] == "64"
    assert fields["off_slab"] == "False"
    assert fields["limit"] == "120"
    assert fields["batchcount"] == "60"
    assert fields["shared"] == "8"
    assert fields["object_size"] == "110"
    assert "SLAB_HWCACHE_ALIGN" in out


def test_create_110_hwcache_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["create", "test_cache", "110", "--flags", HW] + NR, capsys)
    assert rc == 0
    c = data["cache"]
    assert (c["align"], c["size"], c["num"], c["gfporder"]) == (64, 128, 31, 0)
    assert (c["colour"], c["colour_off"]) == (1, 64)
    assert c["off_slab"] is False and c["freelist_cache"] is None
    assert c["freelist_size"] == 64
    assert (c["limit"], c["batchcount"], c["shared"]) == (120, 60, 8)
    assert c["flags"] & 0x2000  # SLAB_HWCACHE_ALIGN, include/linux/slab.h
    assert data["slabinfo"] == SLABINFO_110
    assert data["config"]["nr_cpus"] == 4
    assert data["config"]["arch"] == "x86_64"
    assert data["config"]["kernel"] == "v3.16"
    # the slab picture: one on-slab freelist region and 31 objects of 128 bytes
    kinds = [r["kind"] for r in data["slab"]]
    assert kinds.count("object") == 31
    assert kinds.count("freelist") == 1
    objects = [r for r in data["slab"] if r["kind"] == "object"]
    assert all(r["end"] - r["start"] == 128 for r in objects)
    assert max(r["end"] for r in data["slab"]) == 4096


@pytest.mark.parametrize(
    "size, flags, expect",
    [
        (
            192,
            "0",
            dict(
                align=8,
                size=192,
                num=21,
                freelist_size=24,
                colour=0,
                off_slab=False,
                limit=120,
                batchcount=60,
                shared=8,
            ),
        ),
        (
            256,
            "0",
            dict(size=256, num=16, off_slab=True, freelist_cache="kmalloc-32", freelist_size=16),
        ),
        (
            1000,
            "0",
            dict(
                size=1000,
                num=4,
                off_slab=False,
                freelist_size=8,
                colour=1,
                limit=54,
                batchcount=27,
                shared=8,
            ),
        ),
        (1000, HW, dict(size=1024, off_slab=True, freelist_size=4)),
        (
            8192,
            "0",
            dict(size=8192, num=1, gfporder=1, off_slab=True, limit=8, batchcount=4, shared=0),
        ),
    ],
)
def test_create_geometry_facts(
    size: int, flags: str, expect: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    rc, data = run_json(["create", "c", str(size), "--flags", flags] + NR, capsys)
    assert rc == 0
    cache = data["cache"]
    assert cache["object_size"] == size
    for key, value in expect.items():
        assert cache[key] == value, key
    # the slabinfo line agrees with the descriptor (two outputs of one command)
    parts = data["slabinfo"].split()
    assert int(parts[3]) == cache["size"] and int(parts[4]) == cache["num"]
    assert int(parts[5]) == 1 << cache["gfporder"]
    assert [int(parts[i]) for i in (8, 9, 10)] == [
        cache["limit"],
        cache["batchcount"],
        cache["shared"],
    ]


def test_create_off_slab_text_names_freelist_cache(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["create", "c", "256"] + NR, capsys)
    assert rc == 0
    assert "off-slab in kmalloc-32" in out


def test_create_e2big(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["create", "big", "4194305"] + NR, capsys)
    assert rc == 1
    assert "Traceback" not in err
    assert out.splitlines()[-1] == "error: E2BIG"
    assert "-7" in out  # the kernel's warning quotes -E2BIG

    rc, data = run_json(["create", "big", "4194305"] + NR, capsys)
    assert rc == 1
    assert data["error"] == "E2BIG"
    assert isinstance(data["log"], list) and data["log"]


def test_create_kmalloc_max_size_still_fits(capsys: pytest.CaptureFixture[str]) -> None:
    # 4194304 = KMALLOC_MAX_SIZE on x86_64 (MAX_ORDER 11): one object in an order-10 slab
    rc, data = run_json(["create", "big", "4194304"] + NR, capsys)
    assert rc == 0
    assert (data["cache"]["num"], data["cache"]["gfporder"]) == (1, 10)


def test_create_size0_hwcache_hangs(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["create", "z", "0", "--flags", HW] + NR, capsys)
    assert rc == 1
    assert "Traceback" not in err
    assert out.splitlines()[-1] == "error: HANG"
    rc, data = run_json(["create", "z", "0", "--flags", HW] + NR, capsys)
    assert rc == 1 and data["error"] == "HANG"


def test_create_slab_panic_reports_panic(capsys: pytest.CaptureFixture[str]) -> None:
    # kmem_cache_create() panics instead of returning NULL when SLAB_PANIC is set
    rc, out, _ = run(["create", "big", "4194305", "--flags", "SLAB_PANIC"] + NR, capsys)
    assert rc == 1
    assert "Kernel panic" in out
    assert out.splitlines()[-1] == "error: E2BIG"


def test_create_flags_forms_agree(capsys: pytest.CaptureFixture[str]) -> None:
    results = []
    for flags in (HW, "0x2000", "8192", " SLAB_HWCACHE_ALIGN "):
        rc, data = run_json(["create", "test_cache", "110", "--flags", flags] + NR, capsys)
        assert rc == 0
        results.append(data["cache"])
    assert all(r == results[0] for r in results)
    assert results[0]["size"] == 128


def test_create_nr_cpus_1_has_no_shared(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["create", "test_cache", "110", "--flags", HW, "--nr-cpus", "1"], capsys)
    assert rc == 0
    assert data["cache"]["shared"] == 0
    assert (data["cache"]["limit"], data["cache"]["batchcount"]) == (120, 60)


def test_create_ctor_flag_does_not_change_geometry(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain = run_json(["create", "c", "1000"] + NR, capsys)
    rc, with_ctor = run_json(["create", "c", "1000", "--ctor"] + NR, capsys)
    assert rc == 0
    assert with_ctor["cache"]["ctor"] is True and plain["cache"]["ctor"] is False
    for key in ("size", "num", "gfporder", "colour", "freelist_size", "limit"):
        assert with_ctor["cache"][key] == plain["cache"][key]


def test_create_colour_index_shifts_objects(capsys: pytest.CaptureFixture[str]) -> None:
    # size 1000: colour 1, colour_off 64 -> only colour index 0 exists
    rc, data = run_json(["create", "c", "1000", "--colour", "0"] + NR, capsys)
    assert rc == 0
    assert data["slab"][0]["kind"] == "freelist" and data["slab"][0]["start"] == 0


def test_create_colour_out_of_range_is_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    # size 40 has colour 0, so there is one colour (index 0); index 1 is a user mistake
    rc, _, err = run(["create", "c", "40", "--colour", "1"] + NR, capsys)
    assert rc == 2
    assert_one_line_error(err)


# ---- kmalloc --------------------------------------------------------------------------
def test_kmalloc_70_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["kmalloc", "70"] + NR, capsys)
    assert rc == 0
    first = out.splitlines()[0]
    assert "kmalloc-96" in first
    assert "stride 128" in first


def test_kmalloc_70_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["kmalloc", "70"] + NR, capsys)
    assert rc == 0
    assert data["size"] == 70
    assert data["result"] == "kmalloc-96"
    assert data["cache"]["name"] == "kmalloc-96"
    assert data["cache"]["object_size"] == 96
    assert data["cache"]["size"] == 128


def test_kmalloc_zero_and_too_big(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(["kmalloc", "0"] + NR, capsys)
    assert rc == 0 and "ZERO_SIZE_PTR" in out
    rc, data = run_json(["kmalloc", "0"] + NR, capsys)
    assert data["result"] == "ZERO_SIZE_PTR" and data["cache"] is None

    rc, out, err = run(["kmalloc", "5000000"] + NR, capsys)
    assert "Traceback" not in err
    assert rc == 1 and "NULL" in out  # the kernel fails the request
    rc, data = run_json(["kmalloc", "5000000"] + NR, capsys)
    assert data["result"] == "NULL" and data["cache"] is None


@pytest.mark.parametrize(
    "size, arch, name",
    [
        (20, "arm64", "kmalloc-64"),  # KMALLOC_MIN_SIZE 64 on arm64
        (70, "arm64", "kmalloc-128"),  # no kmalloc-96 when KMALLOC_MIN_SIZE >= 64
        (20, "x86_64", "kmalloc-32"),  # KMALLOC_MIN_SIZE 32 (KMALLOC_SHIFT_LOW 5)
        (4194304, "x86_64", "kmalloc-4194304"),  # KMALLOC_MAX_SIZE itself
    ],
)
def test_kmalloc_arch(size: int, arch: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["kmalloc", str(size), "--arch", arch] + NR, capsys)
    assert rc == 0
    assert data["result"] == name


def test_kmalloc_dma(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["kmalloc", "70", "--dma"] + NR, capsys)
    assert rc == 0
    assert data["result"] == "dma-kmalloc-96"


def test_kmalloc_agrees_with_slabinfo(capsys: pytest.CaptureFixture[str]) -> None:
    """kmalloc's descriptor and the slabinfo row of the same cache: two outputs agree."""
    _, rows = run_json(["slabinfo"] + NR, capsys)
    by_name = {r["name"]: r for r in rows}
    for size in (8, 70, 100, 150, 1000, 5000, 70000):
        rc, data = run_json(["kmalloc", str(size)] + NR, capsys)
        assert rc == 0
        c = data["cache"]
        row = by_name[data["result"]]
        assert row["objsize"] == c["size"]
        assert row["objperslab"] == c["num"]
        assert row["pagesperslab"] == 1 << c["gfporder"]
        assert (row["limit"], row["batchcount"], row["sharedfactor"]) == (
            c["limit"],
            c["batchcount"],
            c["shared"],
        )
        assert c["object_size"] >= size


# ---- slabinfo -------------------------------------------------------------------------
def test_slabinfo_text_and_json_agree(capsys: pytest.CaptureFixture[str]) -> None:
    rc, text, _ = run(["slabinfo"] + NR, capsys)
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == "slabinfo - version: 2.1"
    assert lines[1].startswith("# name ")
    rc, rows = run_json(["slabinfo"] + NR, capsys)
    assert rc == 0
    assert len(rows) == len(lines) - 2
    for row, line in zip(rows, lines[2:]):
        parts = line.split()
        assert parts[0] == row["name"]
        assert int(parts[3]) == row["objsize"]
    names = {r["name"] for r in rows}
    assert {
        "kmem_cache",
        "kmalloc-32",
        "kmalloc-96",
        "kmalloc-192",
        "kmalloc-4194304",
        "dma-kmalloc-96",
    } <= names
    kmalloc96 = next(r for r in rows if r["name"] == "kmalloc-96")
    assert kmalloc96["objsize"] == 128  # ARCH_KMALLOC_FLAGS = SLAB_HWCACHE_ALIGN
    assert all(r["active_objs"] == 0 and r["num_objs"] == 0 for r in rows)


def test_slabinfo_shared_depends_on_cpus(capsys: pytest.CaptureFixture[str]) -> None:
    _, rows1 = run_json(["slabinfo", "--nr-cpus", "1"], capsys)
    assert rows1 and all(r["sharedfactor"] == 0 for r in rows1)
    _, rows4 = run_json(["slabinfo"] + NR, capsys)
    # shared = 8 for caches of objects up to a page once there is more than one CPU
    assert all(r["sharedfactor"] == (8 if r["objsize"] <= 4096 else 0) for r in rows4)


def test_slabinfo_debug_header(capsys: pytest.CaptureFixture[str]) -> None:
    rc, text, _ = run(["slabinfo", "--debug"] + NR, capsys)
    assert rc == 0
    assert text.splitlines()[0] == "slabinfo - version: 2.1 (statistics)"
    assert ": globalstat" in text.splitlines()[2]


# ---- config ---------------------------------------------------------------------------
def test_config_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["config"] + NR, capsys)
    assert rc == 0
    assert data["kernel"] == "v3.16" and data["arch"] == "x86_64"
    assert data["nr_cpus"] == 4
    assert data["page_size"] == 4096
    assert data["KMALLOC_MIN_SIZE"] == 32
    assert data["KMALLOC_MAX_SIZE"] == 4194304
    rc, data = run_json(["config", "--arch", "arm64"] + NR, capsys)
    assert data["KMALLOC_MIN_SIZE"] == 64 and data["arch"] == "arm64"


def test_config_text_matches_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, text, _ = run(["config"] + NR, capsys)
    assert rc == 0
    _, data = run_json(["config"] + NR, capsys)
    table = dict(line.split(None, 1) for line in text.splitlines())
    assert table["KMALLOC_MAX_SIZE"] == str(data["KMALLOC_MAX_SIZE"])
    assert table["nr_cpus"] == "4"
    assert set(table) == set(data)


def test_kernel_version_without_v(capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = run_json(["config", "--kernel", "3.16"] + NR, capsys)
    assert rc == 0 and data["kernel"] == "v3.16"


@pytest.mark.parametrize(
    "argv",
    [
        ["create", "c", "110"],
        ["kmalloc", "70"],
        ["slabinfo"],
        ["config"],
    ],
)
def test_every_command_json_parses(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(argv + ["--json"] + NR, capsys)
    assert rc == 0 and err == ""
    json.loads(out)


# ---- bad requests: exit 2 with one line on stderr --------------------------------------
@pytest.mark.parametrize(
    "argv, words",
    [
        (["config", "--arch", "riscv64"], ["riscv64", "v4.15"]),
        (["config", "--arch", "arm64-16k"], ["arm64-16k", "v4.4"]),
        (["kmalloc", "70", "--arch", "riscv64"], ["v4.15"]),
        (["config", "--arch", "sparc64"], ["sparc64"]),
        (["config", "--kernel", "v9.9"], ["v9.9"]),
        (["create", "c", "110", "--flags", "SLAB_BOGUS"], ["SLAB_BOGUS"]),
        (["create", "c", "110", "--flags", "SLAB_HWCACHE_ALIGN|"], ["flag"]),
        (["create", "c", "-5"], ["negative"]),
        (["create", "c", "12abc"], ["12abc"]),
        (["create", "c", "1.5"], ["1.5"]),
        (["kmalloc", "-1"], ["negative"]),
        (["kmalloc", "ten"], ["ten"]),
        (["create", "c", "110", "--align", "x"], ["--align"]),
        (["config", "--nr-cpus", "0"], ["nr_cpus"]),
        (["config", "--nr-cpus", "four"], ["--nr-cpus"]),
        (["config", "--mem", "1K"], ["mem"]),
        (["config", "--cache-line-size", "48"], ["cache_line_size"]),
        (["frobnicate"], ["frobnicate"]),
        ([], ["command"]),
    ],
)
def test_bad_request_exits_2(
    argv: list[str], words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    if argv and argv[0] != "frobnicate":
        argv = argv[:1] + NR + argv[1:]  # a test's own --nr-cpus comes last and wins
    rc, out, err = run(argv, capsys)
    assert rc == 2
    assert_one_line_error(err)
    for word in words:
        assert word in err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(["--version"], capsys)
    assert rc == 0 and out.startswith("slabhw ")
    rc, out, _ = run(["--help"], capsys)
    assert rc == 0
    for command in ("create", "kmalloc", "slabinfo", "config", "sweep"):
        assert command in out


# ---- as a process ---------------------------------------------------------------------
def test_process_create_success() -> None:
    p = run_process(["create", "test_cache", "110", "--flags", HW] + NR)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert p.stdout.splitlines()[-1] == SLABINFO_110


def test_process_kernel_failure_exits_1() -> None:
    p = run_process(["create", "big", "4194305"] + NR)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert "E2BIG" in p.stdout
    p = run_process(["create", "z", "0", "--flags", HW, "--json"] + NR)
    assert p.returncode == 1
    assert json.loads(p.stdout)["error"] == "HANG"


@pytest.mark.parametrize(
    "argv, word",
    [
        (["config", "--arch", "riscv64"], "v4.15"),
        (["create", "c", "110", "--flags", "SLAB_NOPE"], "SLAB_NOPE"),
        (["create", "c", "-5"], "negative"),
        (["kmalloc", "lots"], "lots"),
        (["config", "--kernel", "v2.6"], "v2.6"),
    ],
)
def test_process_bad_request_exits_2(argv: list[str], word: str) -> None:
    p = run_process(argv + NR)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert word in p.stderr
    assert p.stdout == ""


def test_process_json_kmalloc() -> None:
    p = run_process(["kmalloc", "70", "--arch", "arm64", "--json"] + NR)
    assert p.returncode == 0
    assert json.loads(p.stdout)["result"] == "kmalloc-128"
