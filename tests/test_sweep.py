"""``slabhw sweep`` and ``slabhw.sweep()``: the batch contract.

Expected numbers are derived by hand from the Linux 3.16 source (x86_64, 4K pages,
4 possible CPUs, default configuration) or cross-checked against another path
(one-by-one ``Kernel.kmem_cache_create``, the pure-Python reference backend, the
Python API against the CSV command).  Every call passes ``--nr-cpus``/``nr_cpus``.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import slabhw
from slabhw import errors
from slabhw.cli import main
from slabhw.errors import InputError
from slabhw.sweep import CHUNK, terminal_progress
from tests.helpers import run_main

NR = ["--nr-cpus", "4"]

OUTPUT = (
    "object_size,align_arg,flags,ctor,align,size,obj_offset,num,gfporder,colour,"
    "colour_off,off_slab,freelist_size,limit,batchcount,shared,loss_per_slab,"
    "efficiency_pct,error"
).split(",")
COMPUTED = OUTPUT[4:-1]

HWCACHE_ALIGN = 0x2000  # include/linux/slab.h v3.16
POISON = 0x800
PANIC = 0x40000

# (input row, expected computed columns) -- the hand-derived facts
FACTS = [
    (
        "110,0,SLAB_HWCACHE_ALIGN,0",
        dict(
            align=64,
            size=128,
            num=31,
            gfporder=0,
            colour=1,
            colour_off=64,
            off_slab=0,
            freelist_size=64,
            limit=120,
            batchcount=60,
            shared=8,
        ),
    ),
    (
        "192,0,0,0",
        dict(
            align=8,
            size=192,
            num=21,
            freelist_size=24,
            colour=0,
            off_slab=0,
            limit=120,
            batchcount=60,
            shared=8,
        ),
    ),
    ("256,0,0,0", dict(size=256, num=16, off_slab=1, freelist_size=16)),
    (
        "1000,0,0,0",
        dict(
            size=1000,
            num=4,
            off_slab=0,
            freelist_size=8,
            colour=1,
            limit=54,
            batchcount=27,
            shared=8,
        ),
    ),
    ("1000,0,SLAB_HWCACHE_ALIGN,0", dict(size=1024, off_slab=1, freelist_size=4)),
    ("8192,0,0,0", dict(size=8192, num=1, gfporder=1, off_slab=1, limit=8, batchcount=4, shared=0)),
]


# ---- helpers -----------------------------------------------------------------------------
def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str = "",
) -> tuple[int, str, str]:
    return run_main(argv, capsys, monkeypatch, stdin)


def sweep_csv(
    text: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, str, str]:
    return run(["sweep", *NR, *extra], capsys, monkeypatch, stdin=text)


def rows_of(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == OUTPUT
    return list(reader)


def assert_one_line_error(err: str, *words: str) -> None:
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert "error" in lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])


def run_process(
    args: list[str], stdin: str | None = None, backend: str = "c"
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["SLABHW_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-m", "slabhw.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


# ---- CSV: facts, errors, order ---------------------------------------------------------------
def test_header_and_facts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "object_size,align,flags,ctor\n" + "".join(row + "\n" for row, _ in FACTS)
    rc, out, err = sweep_csv(text, capsys, monkeypatch)
    assert rc == 0 and err == ""
    assert out.splitlines()[0] == ",".join(OUTPUT)
    rows = rows_of(out)
    assert len(rows) == len(FACTS)
    for (src, expect), row in zip(FACTS, rows):
        assert row["object_size"] == src.split(",")[0]
        assert row["error"] == "0"
        for key, value in expect.items():
            assert int(row[key]) == value, (src, key)


def test_error_rows_have_empty_computed_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "object_size,flags\n4194305,0\n110,SLAB_HWCACHE_ALIGN\n0,SLAB_HWCACHE_ALIGN\n4194304,0\n"
    rc, out, _ = sweep_csv(text, capsys, monkeypatch)
    assert rc == 0  # failing caches are results, not a failure of the sweep
    rows = rows_of(out)
    assert [r["error"] for r in rows] == ["E2BIG", "0", "HANG", "0"]
    for r in (rows[0], rows[2]):
        assert all(r[c] == "" for c in COMPUTED)
        # the input columns are still echoed
        assert r["object_size"] and r["align_arg"] == "0" and r["ctor"] == "0"
    assert rows[1]["size"] == "128"
    assert int(rows[3]["num"]) == 1  # KMALLOC_MAX_SIZE still fits one object
    # the raw CSV line of an error row: input columns, 12 empty fields, the error
    line = out.splitlines()[1]
    assert line.endswith("," * 13 + "E2BIG")


def test_one_row_per_input_row_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    sizes = rng.integers(0, 6_000_000, 300).tolist()
    aligns = rng.choice([0, 8, 64, 4096, 3], 300).tolist()
    text = "object_size,align\n" + "".join(f"{s},{a}\n" for s, a in zip(sizes, aligns))
    rc, out, _ = sweep_csv(text, capsys, monkeypatch)
    assert rc == 0
    rows = rows_of(out)
    assert [int(r["object_size"]) for r in rows] == sizes
    assert [int(r["align_arg"]) for r in rows] == aligns
    # beyond KMALLOC_MAX_SIZE nothing fits (x86_64: 4 MiB)
    for s, r in zip(sizes, rows):
        if s > 4194304:
            assert r["error"] == "E2BIG"


def test_flag_spellings_agree(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "object_size,flags\n"
        "110,SLAB_HWCACHE_ALIGN\n"
        "110,8192\n"
        "110,0x2000\n"
        "110, SLAB_HWCACHE_ALIGN \n"
        "110,SLAB_POISON|SLAB_HWCACHE_ALIGN\n"
        "110,SLAB_HWCACHE_ALIGN|SLAB_POISON\n"
        "110,0x800|SLAB_HWCACHE_ALIGN\n"
        "110,\n"
        "110,0\n"
    )
    rc, out, _ = sweep_csv(text, capsys, monkeypatch)
    assert rc == 0
    rows = rows_of(out)
    flags = [int(r["flags"], 0) for r in rows]
    assert flags == [HWCACHE_ALIGN] * 4 + [HWCACHE_ALIGN | POISON] * 3 + [0, 0]
    computed = [tuple(r[c] for c in COMPUTED) for r in rows]
    assert len(set(computed[:4])) == 1
    assert rows[0]["size"] == "128" and rows[0]["num"] == "31"
    # SLAB_POISON is masked away without CONFIG_DEBUG_SLAB (CACHE_CREATE_MASK)
    assert computed[4] == computed[5] == computed[6] == computed[0]
    assert computed[7] == computed[8]
    assert rows[7]["size"] == "112"  # 110 rounded to a word


def test_optional_columns_default_and_any_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, full, _ = sweep_csv(
        "object_size,align,flags,ctor\n110,0,0,0\n256,0,0,0\n", capsys, monkeypatch
    )
    rc2, only, _ = sweep_csv("object_size\n110\n256\n", capsys, monkeypatch)
    rc3, shuffled, _ = sweep_csv(
        "ctor,flags,object_size,align\n0,0,110,0\n0,0,256,0\n", capsys, monkeypatch
    )
    rc4, spaced, _ = sweep_csv(" object_size , align \n110,0\n 256 ,0\n", capsys, monkeypatch)
    assert rc == rc2 == rc3 == rc4 == 0
    assert full == only == shuffled == spaced


def test_ctor_is_echoed_and_does_not_change_geometry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, _ = sweep_csv("object_size,ctor\n1000,0\n1000,1\n1000, 1 \n", capsys, monkeypatch)
    assert rc == 0
    rows = rows_of(out)
    assert [r["ctor"] for r in rows] == ["0", "1", "1"]
    assert len({tuple(r[c] for c in COMPUTED) for r in rows}) == 1
    assert rows[0]["num"] == "4"


def test_nr_cpus_1_no_shared(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = [8, 32, 110, 192, 256, 1000, 2048, 4096, 4097, 8192, 100000]
    text = "object_size,flags\n" + "".join(f"{s},{f}\n" for s in sizes for f in (0, 0x2000))
    rc, out, _ = run(["sweep", "--nr-cpus", "1"], capsys, monkeypatch, stdin=text)
    assert rc == 0
    rows = rows_of(out)
    assert all(r["error"] == "0" for r in rows)
    assert all(r["shared"] == "0" for r in rows)
    rc, out4, _ = sweep_csv(text, capsys, monkeypatch)
    for r in rows_of(out4):  # enable_cpucache: 8 when size <= PAGE_SIZE and > 1 CPU
        assert r["shared"] == ("8" if int(r["size"]) <= 4096 else "0")


def test_header_only_gives_header_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, _ = sweep_csv("object_size,align\n", capsys, monkeypatch)
    assert rc == 0
    assert out == ",".join(OUTPUT) + "\n"
    rc, out, _ = sweep_csv("object_size\n", capsys, monkeypatch, "--json")
    assert rc == 0 and json.loads(out) == []


def test_other_arch(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = "object_size\n20\n4194305\n"
    rc, out, _ = sweep_csv(text, capsys, monkeypatch, "--arch", "arm64")
    assert rc == 0
    rows = rows_of(out)
    api = slabhw.sweep(np.array([20, 4194305]), arch="arm64", nr_cpus=4)
    assert rows[0]["size"] == str(api["size"][0])
    assert rows[1]["error"] == "E2BIG" and api["error"][1] == errno.E2BIG


# ---- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, words",
    [
        ("object_size,colour\n110,0\n", ["colour"]),
        ("size\n110\n", ["size"]),
        ("align,flags\n0,0\n", ["object_size"]),
        ("object_size,object_size\n1,1\n", ["repeat"]),
        ("object_size,align\n110,0\n120\n", ["line 3", "expected 2 fields, found 1"]),
        ("object_size,align\n110,0\n120,0,5\n", ["line 3", "found 3"]),
        ("object_size\n110\nabc\n", ["line 3", "abc"]),
        ("object_size\n110\n1.5\n", ["line 3", "1.5"]),
        ("object_size\n110\n120\n-5\n", ["line 4", "negative"]),
        ("object_size,align\n110,-8\n", ["line 2", "negative"]),
        ("object_size,align\n110,eight\n", ["line 2", "eight"]),
        ("object_size\n99999999999999999999\n", ["line 2", "64 bits"]),
        ("object_size,flags\n110,0\n110,SLAB_BOGUS\n", ["line 3", "SLAB_BOGUS"]),
        ("object_size,flags\n110,SLAB_POISON|SLAB_NOPE\n", ["line 2", "SLAB_NOPE"]),
        ("object_size,flags\n110,CFLGS_OFF_SLAB\n", ["line 2", "CFLGS_OFF_SLAB"]),
        ("object_size,flags\n110,SLAB_POISON|\n", ["line 2"]),
        ("object_size,ctor\n110,1\n110,2\n", ["line 3", "ctor"]),
        ("object_size,ctor\n110,yes\n", ["line 2", "ctor"]),
        ("object_size\n110\n\n120\n", ["line 3", "empty"]),
        ("", ["empty"]),
    ],
)
def test_bad_input_exits_2(
    text: str, words: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, err = sweep_csv(text, capsys, monkeypatch)
    assert rc == 2
    assert out == ""
    assert_one_line_error(err, *words)


def test_missing_input_file(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope.csv"
    rc, out, err = run(["sweep", *NR, "--input", str(missing)], capsys, monkeypatch)
    assert rc == 2 and out == ""
    assert_one_line_error(err, "nope.csv")


def test_unwritable_output(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "no-such-dir" / "out.csv"
    rc, _, err = sweep_csv("object_size\n110\n", capsys, monkeypatch, "--output", str(target))
    assert rc == 2
    assert_one_line_error(err, "out.csv")


def test_bad_input_writes_no_output_file(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    rc, _, err = sweep_csv("object_size\nx\n", capsys, monkeypatch, "--output", str(target))
    assert rc == 2
    assert not target.exists()


def test_32bit_overflow_names_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, _, err = sweep_csv("object_size\n110\n5000000000\n", capsys, monkeypatch, "--arch", "i386")
    assert rc == 2
    assert_one_line_error(err, "line 3")


def test_non_utf8_input_is_input_error(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"object_size\n110\n\xff\xfe\n")
    rc, _, err = run(["sweep", *NR, "--input", str(path)], capsys, monkeypatch)
    assert rc == 2
    assert_one_line_error(err)


def test_main_leaves_stdin_open(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.StringIO("object_size\n110\n")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["sweep", *NR], out=io.StringIO()) == 0
    assert not stdin.closed


# ---- JSON, files, stdin/stdout ------------------------------------------------------------
def test_json_output(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = "object_size,flags,ctor\n110,SLAB_HWCACHE_ALIGN,1\n4194305,0,0\n0,SLAB_HWCACHE_ALIGN,0\n"
    rc, out, _ = sweep_csv(text, capsys, monkeypatch, "--json")
    assert rc == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 3
    assert all(list(d) == OUTPUT for d in data)
    ok, big, hang = data
    assert ok["object_size"] == 110 and ok["flags"] == HWCACHE_ALIGN and ok["ctor"] == 1
    assert (ok["align"], ok["size"], ok["num"], ok["colour"], ok["freelist_size"]) == (
        64,
        128,
        31,
        1,
        64,
    )
    assert (ok["limit"], ok["batchcount"], ok["shared"]) == (120, 60, 8)
    assert str(ok["error"]) == "0"
    assert big["error"] == "E2BIG" and hang["error"] == "HANG"
    for d in (big, hang):
        assert all(d[c] is None for c in COMPUTED)
    # the same numbers as the CSV form
    rc, csv_out, _ = sweep_csv(text, capsys, monkeypatch)
    row = rows_of(csv_out)[0]
    assert all(int(row[c]) == ok[c] for c in COMPUTED)


def test_explicit_dash_and_files(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "object_size,align,flags,ctor\n" + "".join(row + "\n" for row, _ in FACTS)
    rc, default, _ = sweep_csv(text, capsys, monkeypatch)
    rc2, dashed, _ = sweep_csv(text, capsys, monkeypatch, "--input", "-", "--output", "-")
    src = tmp_path / "in.csv"
    src.write_text(text)
    dst = tmp_path / "out.csv"
    rc3, printed, _ = run(
        ["sweep", *NR, "--input", str(src), "--output", str(dst)], capsys, monkeypatch
    )
    assert rc == rc2 == rc3 == 0
    assert default == dashed
    assert printed == ""  # everything went to the file
    assert dst.read_text() == default
    # CRLF line ends in a file read the same
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    rc4, from_crlf, _ = run(["sweep", *NR, "--input", str(crlf)], capsys, monkeypatch)
    assert rc4 == 0 and from_crlf == default
    # --json into a file
    jdst = tmp_path / "out.json"
    rc5, _, _ = run(
        ["sweep", *NR, "--input", str(src), "--output", str(jdst), "--json"], capsys, monkeypatch
    )
    assert rc5 == 0
    records = json.loads(jdst.read_text())
    assert [r["size"] for r in records] == [int(r["size"]) for r in rows_of(default)]


def test_help_states_the_contract(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, out, _ = run(["sweep", "--help"], capsys, monkeypatch)
    assert rc == 0
    # argparse wraps the description (even inside the long column list), so compare
    # with all whitespace removed
    assert ",".join(OUTPUT) in "".join(out.split())
    assert "object_size" in out and "E2BIG" in out and "HANG" in out


# ---- as a process ------------------------------------------------------------------------------
def test_process_stdin_stdout_matches_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "object_size,align,flags,ctor\n" + "".join(row + "\n" for row, _ in FACTS)
    text += "4194305,0,0,0\n0,0,SLAB_HWCACHE_ALIGN,0\n"
    p = run_process(["sweep", *NR], stdin=text)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # no progress bar when stderr is not a terminal
    rc, out, _ = sweep_csv(text, capsys, monkeypatch)
    assert p.stdout == out
    assert [r["error"] for r in rows_of(p.stdout)][-2:] == ["E2BIG", "HANG"]


@pytest.mark.parametrize(
    "text, word",
    [
        ("object_size,bogus\n1,2\n", "bogus"),
        ("object_size\n110\n-1\n", "line 3"),
        ("object_size,flags\n110,SLAB_WHAT\n", "SLAB_WHAT"),
    ],
)
def test_process_bad_input_exits_2(text: str, word: str) -> None:
    p = run_process(["sweep", *NR], stdin=text)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and word in p.stderr
    assert p.stdout == ""


def test_process_missing_file_exits_2(tmp_path: Any) -> None:
    p = run_process(["sweep", *NR, "--input", str(tmp_path / "absent.csv")])
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "absent.csv" in p.stderr


def test_reference_backend_gives_identical_csv() -> None:
    rng = np.random.default_rng(11)
    names = [
        "0",
        "SLAB_HWCACHE_ALIGN",
        "SLAB_POISON|SLAB_RED_ZONE",
        "SLAB_CACHE_DMA",
        "SLAB_RECLAIM_ACCOUNT",
        "SLAB_NOLEAKTRACE|SLAB_HWCACHE_ALIGN",
        "0xffffffff",
        "SLAB_DESTROY_BY_RCU|SLAB_POISON",
        "SLAB_PANIC",
    ]
    lines = ["object_size,align,flags,ctor"] + [row for row, _ in FACTS]
    lines += ["4194305,0,0,0", "0,0,SLAB_HWCACHE_ALIGN,0", "0,0,0,0", "4294967295,0,0,1"]
    for _ in range(150):
        size = int(
            rng.choice([rng.integers(0, 300), rng.integers(0, 70000), rng.integers(0, 1 << 23)])
        )
        align = int(rng.choice([0, 8, 16, 64, 128, 4096, 24, 3]))
        lines.append(f"{size},{align},{rng.choice(names)},{rng.integers(0, 2)}")
    text = "\n".join(lines) + "\n"
    outputs = {}
    for backend in ("c", "reference"):
        for extra in ([], ["--debug"], ["--arch", "i386"]):
            script = (
                "import sys; from slabhw import _core; "
                f"assert _core.BACKEND == {backend!r}, _core.BACKEND; "
                "from slabhw.cli import main; sys.exit(main(sys.argv[1:]))"
            )
            env = dict(os.environ, SLABHW_BACKEND=backend)
            p = subprocess.run(
                [sys.executable, "-c", script, "sweep", *NR, *extra],
                input=text,
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )
            assert p.returncode == 0, p.stderr
            outputs[backend, tuple(extra)] = p.stdout
    for extra in ([], ["--debug"], ["--arch", "i386"]):
        c_out, ref_out = outputs["c", tuple(extra)], outputs["reference", tuple(extra)]
        assert len(rows_of(c_out)) == len(lines) - 1
        assert c_out == ref_out, extra
    assert rows_of(outputs["c", ()])[0]["size"] == "128"


# ---- the Python API ---------------------------------------------------------------------------


def sweep_rows(*args: Any, **options: Any) -> Any:
    """slabhw.sweep() as the structured array (rows) its columns make."""
    return slabhw.sweep(*args, **options).to_numpy()


def test_api_dtype_and_facts() -> None:
    sizes = np.array([110, 192, 256, 1000, 1000, 8192, 4194305, 0], dtype=np.uint64)
    flags = np.array([HWCACHE_ALIGN, 0, 0, 0, HWCACHE_ALIGN, 0, 0, HWCACHE_ALIGN])
    r = sweep_rows(sizes, 0, flags, 0, nr_cpus=4)
    assert r.dtype == slabhw.SWEEP_DTYPE
    assert list(r.dtype.names) == OUTPUT
    assert r.shape == (8,)
    for (src, expect), rec in zip(FACTS, r[:6]):
        assert rec["error"] == 0
        for key, value in expect.items():
            assert rec[key] == value, (src, key)
    assert r["error"][6] == errno.E2BIG == errors.E2BIG
    assert r["error"][7] == errors.HANG
    for rec in r[6:]:
        assert all(rec[c] == 0 for c in COMPUTED)
    assert r["object_size"].tolist() == sizes.tolist()
    assert r["flags"].tolist() == flags.tolist()


def test_api_broadcasting() -> None:
    sizes = np.arange(1, 5000)
    r = sweep_rows(sizes, flags=HWCACHE_ALIGN, nr_cpus=4)
    assert r.shape == sizes.shape
    assert (r["flags"] == HWCACHE_ALIGN).all() and (r["align_arg"] == 0).all()
    assert (r["ctor"] == 0).all()
    one_by_one = np.concatenate(
        [sweep_rows(int(s), 0, HWCACHE_ALIGN, nr_cpus=4) for s in sizes[:60]]
    )
    assert (r[:60] == one_by_one).all()
    assert r[sizes == 110][0]["size"] == 128
    # 2-d broadcasting: (n, 1) sizes against (m,) aligns -> n*m rows in C order
    s2 = np.array([[110], [1000], [8192]])
    a2 = np.array([0, 64, 256, 4096])
    grid = sweep_rows(s2, a2, 0, nr_cpus=4)
    assert grid.shape == (12,)
    expect_sizes = np.broadcast_to(s2, (3, 4)).reshape(-1)
    expect_aligns = np.broadcast_to(a2, (3, 4)).reshape(-1)
    assert grid["object_size"].tolist() == expect_sizes.tolist()
    assert grid["align_arg"].tolist() == expect_aligns.tolist()
    for rec in grid:
        single = sweep_rows(int(rec["object_size"]), int(rec["align_arg"]), 0, nr_cpus=4)
        assert rec == single[0]
        if rec["error"] == 0:
            assert rec["align"] >= rec["align_arg"]
            assert rec["size"] % rec["align"] == 0


def test_api_empty_and_bad_arguments() -> None:
    assert slabhw.sweep(np.array([], dtype=np.uint64), nr_cpus=4).shape == (0,)
    with pytest.raises(ValueError, match="ctor"):
        sweep_rows([110, 120], ctor=2, nr_cpus=4)
    with pytest.raises(ValueError, match="negative"):
        sweep_rows(np.array([110, -1]), nr_cpus=4)
    with pytest.raises(slabhw.InputError):
        sweep_rows([110], arch="riscv64", nr_cpus=4)
    with pytest.raises(ValueError):  # shapes (3,) and (4,) do not broadcast
        sweep_rows(np.arange(3), np.arange(4), nr_cpus=4)


def test_api_matches_cli(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    sizes = rng.integers(0, 1 << 23, n).astype(np.uint64)
    aligns = rng.choice([0, 8, 64, 512, 4096, 40], n).astype(np.uint64)
    flags = rng.integers(0, 1 << 26, n).astype(np.uint64)
    ctor = rng.integers(0, 2, n).astype(np.uint8)
    src = tmp_path / "in.csv"
    src.write_text(
        "object_size,align,flags,ctor\n"
        + "".join(
            f"{s},{a},{f:#x},{c}\n"
            for s, a, f, c in zip(sizes.tolist(), aligns.tolist(), flags.tolist(), ctor.tolist())
        )
    )
    rc, out, _ = run(["sweep", *NR, "--input", str(src)], capsys, monkeypatch)
    assert rc == 0
    api = sweep_rows(sizes, aligns, flags, ctor, nr_cpus=4)
    rows = rows_of(out)
    assert len(rows) == n
    for rec, row in zip(api, rows):
        assert int(row["object_size"]) == rec["object_size"]
        assert int(row["flags"], 0) == rec["flags"]
        assert int(row["ctor"]) == rec["ctor"]
        if rec["error"]:
            assert row["error"] == errors.outcome_name(rec["error"])
            assert all(row[c] == "" for c in COMPUTED)
        else:
            assert row["error"] == "0"
            assert all(int(row[c]) == rec[c] for c in COMPUTED)


def test_progress_callback_chunks() -> None:
    n = 2 * CHUNK + 123
    sizes = np.arange(n, dtype=np.uint64) % 9000
    calls: list[tuple[int, int]] = []
    with_progress = sweep_rows(
        sizes,
        flags=HWCACHE_ALIGN,
        nr_cpus=4,
        progress=lambda done, total: calls.append((done, total)),
    )
    plain = sweep_rows(sizes, flags=HWCACHE_ALIGN, nr_cpus=4)
    assert (with_progress == plain).all()
    assert calls[-1] == (n, n)
    assert len(calls) == 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert terminal_progress(io.StringIO()) is None  # no bar unless a terminal


# ---- 200,000 rows through C against Kernel.kmem_cache_create one by one --------------------
def _random_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    kind = rng.integers(0, 4, n)
    sizes = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.integers(0, 300, n), rng.integers(0, 9000, n), rng.integers(0, 1 << 23, n)],
        rng.integers(0, 1 << 62, n),
    ).astype(np.uint64)
    sizes[rng.integers(0, n, 50)] = 0  # some size-0 rows (HANG with SLAB_HWCACHE_ALIGN)
    akind = rng.integers(0, 4, n)
    aligns = np.select(
        [akind == 0, akind == 1, akind == 2],
        [0, 2 ** rng.integers(0, 13, n), rng.integers(0, 5000, n)],
        rng.integers(0, 1 << 40, n),
    ).astype(np.uint64)
    named = np.array(
        [
            0,
            0x100,
            0x400,
            0x800,
            0x2000,
            0x4000,
            0x10000,
            0x20000,
            0x40000,
            0x80000,
            0x100000,
            0x200000,
            0x800000,
            0x80000000,
        ],
        dtype=np.uint64,
    )
    flags = named[rng.integers(0, len(named), n)] | named[rng.integers(0, len(named), n)]
    wild = rng.integers(0, 5, n) == 0
    flags[wild] = rng.integers(0, 1 << 63, int(wild.sum()), dtype=np.int64).astype(np.uint64)
    ctor = rng.integers(0, 2, n).astype(np.uint8)
    return sizes, aligns, flags, ctor


def test_200k_rows_match_kernel_one_by_one() -> None:
    rng = np.random.default_rng(2024)
    n = 200_000
    sizes, aligns, flags, ctor = _random_rows(rng, n)
    result = sweep_rows(sizes, aligns, flags, ctor, nr_cpus=4)
    assert result.shape == (n,)
    assert (result["object_size"] == sizes).all() and (result["flags"] == flags).all()
    codes = set(np.unique(result["error"]).tolist())
    assert codes <= {0, errors.E2BIG, errors.HANG}
    assert {0, errors.E2BIG} <= codes
    err = result["error"] != 0
    for c in COMPUTED:  # computed fields of error rows are 0
        assert (result[c][err] == 0).all()

    # kernel-level invariants where no C type wraps: sizes up to 2 GiB, power-of-two
    # align at most a page
    sane = (sizes < (1 << 31)) & ((aligns == 0) | ((aligns & (aligns - 1)) == 0)) & (aligns <= 4096)
    hang = sane & (sizes == 0) & ((flags & HWCACHE_ALIGN) != 0)
    assert (result["error"][hang] == errors.HANG).all()
    fits = sane & ~hang & (sizes <= 4194304)
    assert (result["error"][fits] == 0).all()
    assert (result["error"][sane & (sizes > 4194304)] == errors.E2BIG).all()
    ok = result[fits]
    assert (ok["size"] >= ok["object_size"]).all()
    assert (ok["size"] % ok["align"] == 0).all()
    assert (ok["align"] >= 8).all() and (ok["align"] >= ok["align_arg"]).all()
    assert (ok["num"] >= 1).all()
    assert (ok["num"] * ok["size"] <= 4096 << ok["gfporder"]).all()
    assert np.isin(ok["off_slab"], [0, 1]).all()

    # a random sample of 200 rows, one kmem_cache_create each
    sample = rng.choice(n, 200, replace=False)
    kernel = slabhw.Kernel("v3.16", "x86_64", nr_cpus=4)
    seen = set()
    for j, i in enumerate(sample.tolist()):
        row = result[i]
        ctor_fn = (lambda obj: None) if ctor[i] else None
        try:
            cache = kernel.kmem_cache_create(
                f"sample{j}", int(sizes[i]), int(aligns[i]), int(flags[i]), ctor_fn
            )
            code = 0 if cache is not None else kernel.errno
        except slabhw.KernelError as exc:
            cache, code = None, exc.code
        seen.add(code)
        assert code == row["error"], (int(sizes[i]), int(aligns[i]), hex(int(flags[i])))
        if cache is None:
            assert code != 0
            continue
        for c in (
            "align",
            "size",
            "obj_offset",
            "num",
            "gfporder",
            "colour",
            "colour_off",
            "freelist_size",
            "limit",
            "batchcount",
            "shared",
        ):
            assert getattr(cache, c) == row[c], (c, int(sizes[i]))
        assert int(cache.off_slab) == row["off_slab"]
    assert 0 in seen and errors.E2BIG in seen  # the sample covered both outcomes


def test_number_syntax_is_strict() -> None:
    from slabhw.parse import parse_size, parse_uint

    assert parse_uint("0x2000", "x") == 8192 and parse_uint(" 42 ", "x") == 42
    for bad in ("1_000", "+5", "0o17", "1e3", "", "0x"):
        with pytest.raises(InputError):
            parse_uint(bad, "x")
    with pytest.raises(InputError, match="negative"):
        parse_uint("-3", "x")
    assert parse_size("4G", "m") == 4 << 30 and parse_size("512Ki", "m") == 512 << 10


def test_bom_header_and_empty_align_cells() -> None:
    from slabhw.config import KernelConfig
    from slabhw.sweep import read_csv

    size, align, flags, ctor = read_csv(
        io.StringIO("\ufeffobject_size,align,flags,ctor\n110,,SLAB_HWCACHE_ALIGN,\n"),
        KernelConfig.build(),
    )
    assert (size.tolist(), align.tolist(), flags.tolist(), ctor.tolist()) == (
        [110],
        [0],
        [0x2000],
        [0],
    )


def test_api_columns_are_the_c_cores_own_arrays() -> None:
    """The result is columnar: contiguous arrays written by the C core in place, equal
    to the rows of the structured form, shared with pyarrow and pandas (no copy)."""
    sizes = np.arange(1, 3000, dtype=np.uint64)
    r = slabhw.sweep(sizes, 0, HWCACHE_ALIGN, nr_cpus=4)
    assert len(r) == 2999 and list(r) == OUTPUT
    for name in OUTPUT:
        assert r[name].flags.c_contiguous and r[name].shape == (2999,)
    rows = r.to_numpy()
    assert all((rows[name] == r[name]).all() for name in OUTPUT)
    # a whole uint64 input column is echoed as a read-only view of it (no copy)
    assert np.shares_memory(r["object_size"], sizes) and not r["object_size"].flags.writeable
    assert (r["align_arg"] == 0).all() and (r["flags"] == HWCACHE_ALIGN).all()
    pa = pytest.importorskip("pyarrow")
    table = r.to_arrow()
    assert table.column_names == OUTPUT and table.num_rows == 2999
    size = table.column("size").chunk(0)
    assert size.buffers()[1].address == r["size"].ctypes.data  # the same memory
    assert size.type == pa.int64()
    pd = pytest.importorskip("pandas")
    frame = r.to_pandas()
    assert list(frame.columns) == OUTPUT and isinstance(frame, pd.DataFrame)
    assert np.shares_memory(frame["size"].to_numpy(), r["size"])


def test_progress_bar_counts_rows_per_second() -> None:
    """On a terminal the bar is tqdm's: rows read, computed and written so far, and
    their rate; it closes at the end."""
    pytest.importorskip("tqdm")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    show = terminal_progress(stream)
    assert show is not None
    show(1000, 0)
    show(250_000, 0)
    show(250_000, 250_000)
    text = stream.getvalue()
    assert "sweep" in text and "250k rows" in text and "rows/s" in text
