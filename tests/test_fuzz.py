"""The contract under generated hostile input (issue 11): whatever the arguments,
CSV, script, snapshot, .config or BTF bytes, slabhw exits 0, 1 or 2, prints no
traceback, says a mistake in one line (every stderr line is slabhw's own), and ends
in bounded time; run as the installed command, also in bounded memory.

Inputs are drawn from pools of hostile values (negative, huge and non-ASCII numbers,
unknown names, endless and binary files, truncations and type changes of real
files), not from the code's own expectations: the assertion is the contract only.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slabhw.cli import main

TIME_LIMIT = 30  # seconds per command, in-process or as a process
MEMORY_LIMIT = 1 << 30  # peak RSS of the installed command
FUZZ = settings(
    max_examples=int(os.environ.get("SLABHW_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    # the same examples in every CI run; SLABHW_FUZZ_EXAMPLES=N explores N random ones
    derandomize="SLABHW_FUZZ_EXAMPLES" not in os.environ,
)


class Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(*_: Any) -> None:
        raise Timeout(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_contract(argv: list[str], rc: Any, err: str) -> None:
    where = f"slabhw {' '.join(a[:60] for a in argv)}"
    assert rc in (0, 1, 2), f"{where}: exit {rc!r}\n{err}"
    assert "Traceback" not in err, f"{where}:\n{err}"
    lines = err.splitlines()
    assert all(line.startswith("slabhw") for line in lines), f"{where}: foreign stderr\n{err}"
    if rc == 2:
        assert len(lines) == 1, f"{where}: a mistake in more than one line\n{err}"
        assert len(err) < 1000, f"{where}: a mistake in a very long line\n{err[:300]}"


def run_inprocess(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """main() with the given standard input: (status, stdout, stderr), the contract
    checked; an exception escaping main() fails the test with its traceback."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    # as a process gets it: bytes under a text layer (slabhw reads the bytes)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass")))
    try:
        with contextlib.redirect_stderr(err), time_limit(TIME_LIMIT):
            try:
                rc: Any = main(argv, out=out)
            except SystemExit as exc:  # argparse
                rc = exc.code
    finally:
        sys.stdin = old_stdin
    check_contract(argv, rc, err.getvalue())
    return rc, out.getvalue(), err.getvalue()


def installed_command() -> list[str]:
    script = Path(sys.executable).parent / "slabhw"
    return [str(script)] if script.exists() else [sys.executable, "-m", "slabhw"]


# runs the command as its only child, then records that child's peak RSS (KiB)
_MEASURE = (
    "import os, resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(os.environ['SLABHW_PEAK_FILE'], 'w').write(str(peak))\n"
    "sys.exit(rc)\n"
)


def run_installed(argv: list[str], stdin: bytes = b"") -> tuple[int, str]:
    """The installed ``slabhw`` command: the contract, a time limit and its own peak
    RSS (measured by a wrapper whose only child it is)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".peak") as peak_file:
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURE, *installed_command(), *argv],
            input=stdin,
            capture_output=True,
            timeout=TIME_LIMIT,
            cwd="/",
            env={**os.environ, "SLABHW_PEAK_FILE": peak_file.name},
        )
        peak_kib = int(Path(peak_file.name).read_text() or 0)
    err = proc.stderr.decode("utf-8", "replace")
    check_contract(argv, proc.returncode, err)
    assert 0 < peak_kib * 1024 < MEMORY_LIMIT, f"slabhw {argv}: peak RSS {peak_kib} KiB"
    return proc.returncode, err


# ---- hostile values --------------------------------------------------------------------
NUMBERS = st.sampled_from(
    [
        "0",
        "1",
        "-1",
        "64",
        "0x40",
        "4096",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "9" * 5000,
        "١٢٨",
        "1_0",
        "1e3",
        "0x",
        "",
        " 5",
        "4G",
        "1T",
        "99999999T",
        "-0",
        "+7",
    ]
)
NAMES = st.sampled_from(
    [
        "x",
        "",
        "kmalloc-64",
        "a b",
        "é",
        "x" * 3000,
        "SLAB_HWCACHE_ALIGN",
        "SLAB_DESTROY_BY_RCU",
        "SLAB_HWCACHE_ALIGN|SLAB_PANIC",
        "0x2000",
        "|",
        "SLAB_",
        "cred",
        "struct cred",
    ]
)
VERSIONS = st.sampled_from(
    [
        "v3.16",
        "v5.10",
        "v5.15",
        "v6.1",
        "v6.6",
        "v6.12",
        "v6.18",
        "v6.12.30",
        "v6.18.999",
        "v4.19",
        "6.1",
        "vX",
        "",
        "v6.12." + "9" * 50,
    ]
)
ARCHES = st.sampled_from(["x86_64", "arm64", "arm64-64k", "arm", "s390x", "riscv64", "mips", ""])
PATHS = st.sampled_from(["/dev/zero", "/dev/null", "/nonexistent", "/", "/proc/self/status", "-"])
GOOD_NUMBERS = st.sampled_from(["0", "1", "2", "3", "8", "64", "100", "0x80", "4096", "65536"])


def mostly(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Three draws in four from the values a user means, so that most commands get
    past the argument checks and into the model; the rest hostile."""
    return st.one_of(good, good, good, bad)


NUM = mostly(GOOD_NUMBERS, NUMBERS)
CONFIG_OPTIONS = [
    (
        "--kernel",
        mostly(st.sampled_from(["v3.16", "v5.10", "v6.1", "v6.12", "v6.18", "v7.0"]), VERSIONS),
    ),
    ("--arch", mostly(st.sampled_from(["x86_64", "arm64", "arm64-64k", "s390x"]), ARCHES)),
    ("--nr-cpus", NUM),
    ("--nr-present-cpus", NUM),
    ("--slab-max-order", NUM),
    ("--slab-min-order", NUM),
    ("--slab-min-objects", NUM),
    ("--cache-line-size", NUM),
    ("--mem", NUM),
    ("--slab-debug", st.sampled_from(["", "FZPU", "F,kmalloc-*", "Q", "O", "-", ",,,", "x" * 999])),
    ("--kconfig", PATHS),
]
COMMAND_OPTIONS: dict[str, list[tuple[str, Any]]] = {
    "create": [
        ("--align", NUM),
        ("--flags", NAMES),
        ("--colour", NUM),
        ("--freeptr-offset", NUM),
        ("--usersize", NUM),
        ("--useroffset", NUM),
        ("--sheaf-capacity", NUM),
        ("--ctor", st.just("")),
    ],
    "kmalloc": [
        ("--gfp", st.sampled_from(["dma", "account", "reclaimable", "kernel", "nope"])),
        ("--caller", NUM),
    ],
    "whereis": [
        ("--usercopy", st.sampled_from(["0,8", "8,8", "x", "1,", ",2", "0,99999999999"])),
        ("--via", st.sampled_from(["cache", "kmalloc", "both", "nope"])),
        ("--flags", NAMES),
        ("--align", NUM),
        ("--flex", NUM),
        ("--gfp", st.sampled_from(["dma", "account", "reclaimable", "kernel", "nope"])),
        ("--caller", NUM),
    ],
    "slabinfo": [],
    "sysfs": [],
    "config": [],
    "diff": [
        ("--sizes", st.sampled_from(["1:64", "1:4096:7", "0:0", "5:1", "1:", ":", "1:2:0", "x"])),
        ("--flags", NAMES),
        ("--align", NUM),
        ("--kernel", st.sampled_from(["v6.1", "v6.12", "v6.18", "v7.1"])),
        ("--slab-debug", st.sampled_from(["off", "FZPU", ""])),
        (
            "--with",
            st.sampled_from(
                ["", "--kfence", "--slab-max-order 0", "--kernel v6.1", "'", "--nope", "x" * 300]
            ),
        ),
    ],
}
SWITCHES = st.sampled_from(
    ["--debug", "--slab-nomerge", "--slub-tiny", "--no-zone-dma", "--json", "--no-memcg"]
    + ["--kfence", "--random-kmalloc-caches", "--no-slub-debug-config"]
)
COMMANDS: dict[str, Any] = {
    "create": st.tuples(NAMES, NUM),
    "kmalloc": st.tuples(NUM),
    "whereis": st.tuples(NUM),
    "slabinfo": st.just(()),
    "sysfs": st.just(()),
    "config": st.just(()),
    "diff": st.just(()),
}
# plot writes a file: its hostile cases are in tests/test_plot.py


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    argv = [command, *draw(COMMANDS[command])]
    options = CONFIG_OPTIONS + COMMAND_OPTIONS[command]
    for _ in range(draw(st.integers(0, 4))):
        name, values = draw(st.sampled_from(options))
        if name == "--ctor":
            argv.append(name)
        else:
            argv += [name, draw(values)]
    argv += draw(st.lists(SWITCHES, max_size=2, unique=True))
    return argv


@FUZZ
@given(argvs())
def test_hostile_arguments(argv: list[str]) -> None:
    # whereis of a type name needs BTF; keep it off the running kernel's files
    run_inprocess(argv + (["--btf", "/dev/null"] if argv[0] == "whereis" else []))


# ---- CSV ---------------------------------------------------------------------------------
CELLS = st.one_of(NUMBERS, NAMES, st.text(max_size=8), st.sampled_from(['"', '""', "\r", "\x00"]))
HEADERS = st.sampled_from(
    [
        "object_size",
        "object_size,align,flags,ctor",
        "object_size,align,flags,ctor,freeptr_offset",
        "\ufeffobject_size,flags",
        "size",
        "object_size,object_size",
        "",
    ]
)


@FUZZ
@given(
    HEADERS,
    st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=6),
    st.sampled_from(["v3.16", "v6.1", "v6.18"]),
    st.booleans(),
)
def test_hostile_csv(header: str, rows: list[list[str]], kernel: str, as_json: bool) -> None:
    text = header + "\n" + "".join(",".join(r) + "\n" for r in rows)
    argv = ["sweep", "--input", "-", "--kernel", kernel] + (["--json"] if as_json else [])
    rc, out, _ = run_inprocess(argv, stdin=text)
    if rc == 0 and as_json:
        assert isinstance(json.loads(out), list)


# ---- simulate scripts ----------------------------------------------------------------------
VERBS = [
    "create",
    "alloc",
    "free",
    "kmalloc",
    "kfree",
    "alloc_bulk",
    "free_bulk",
    "write",
    "fill",
    "dump",
    "info",
    "map",
    "validate",
    "check",
    "shrink",
    "destroy",
    "slabinfo",
    "sysfs",
    "store",
    "kfree_rcu",
    "rcu_barrier",
    "sheaves",
    "bogus",
]
WORDS = st.one_of(
    NUMBERS,
    st.sampled_from(
        [
            "c",
            "a",
            "b",
            "a[0]",
            "a+8",
            "a-8",
            "0xffff888000000000",
            "kmalloc-64",
            "cpu=1",
            "cpu=99",
            "caller=0x10",
            "gfp=dma",
            "size=8",
            "slab",
            "41",
            "zz",
            "'q",
            '"x y"',
            "=",
            "a=",
            "align=64",
            "flags=SLAB_HWCACHE_ALIGN",
            "ctor",
            "ctor=41",
        ]
    ),
)


@st.composite
def scripts(draw: st.DrawFn) -> str:
    lines = ["create c 64", "a = alloc c"]  # something to act on
    for _ in range(draw(st.integers(1, 8))):
        verb = draw(st.sampled_from(VERBS))
        assign = draw(st.sampled_from(["", "b = ", "a = "]))
        words = draw(st.lists(WORDS, max_size=4))
        lines.append(assign + " ".join([verb, *words]))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]  # truncated
    return "\n".join(lines) + "\n"


@FUZZ
@given(scripts(), st.sampled_from(["v3.16", "v5.10", "v6.18", "v7.0"]), st.booleans())
def test_hostile_scripts(script: str, kernel: str, as_json: bool) -> None:
    argv = ["simulate", "-", "--kernel", kernel, "--mem", "64M", "--nr-cpus", "2"]
    run_inprocess(argv + (["--json"] if as_json else []), stdin=script)


# ---- snapshots, .config and BTF files -------------------------------------------------------
@pytest.fixture(scope="module")
def snapshot_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real snapshot (of a simulated 6.18 written out by sysfs --write)."""
    root = tmp_path_factory.mktemp("tree")
    assert main(["sysfs", "--kernel", "v6.18", "--nr-cpus", "2", "--write", str(root)]) == 0
    out = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["snapshot", "--root", str(root)], out=out) == 0
    return out.getvalue()


def _mutate(data: Any, draw: st.DrawFn, depth: int = 0) -> Any:
    """One hostile edit somewhere in a JSON value: a deleted key, a changed type."""
    replacement = st.sampled_from([None, "", "x", -1, 2**70, 1.5, True, [], {}, "9" * 40])
    if isinstance(data, dict) and data and depth < 4 and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        if draw(st.integers(0, 3)) == 0:
            return {k: v for k, v in data.items() if k != key}
        return {**data, key: _mutate(data[key], draw, depth + 1)}
    return draw(replacement)


@FUZZ
@given(st.data())
def test_hostile_snapshots(snapshot_text: str, tmp_path_factory: Any, data: st.DataObject) -> None:
    path = tmp_path_factory.mktemp("snap") / "snap.json"
    how = data.draw(st.sampled_from(["edit", "truncate", "gzip-truncate", "bytes"]))
    if how == "edit":
        doc = _mutate(json.loads(snapshot_text), data.draw)
        path.write_text(json.dumps(doc))
    elif how == "truncate":
        path.write_text(snapshot_text[: data.draw(st.integers(0, len(snapshot_text)))])
    elif how == "gzip-truncate":
        packed = gzip.compress(snapshot_text.encode())
        path.write_bytes(packed[: data.draw(st.integers(0, len(packed)))])
    else:
        path.write_bytes(data.draw(st.binary(max_size=200)))
    command = data.draw(st.sampled_from(["crosscheck", "whereis"]))
    argv = ["crosscheck", "--snapshot", str(path)]
    if command == "whereis":
        argv = ["whereis", "64", "--snapshot", str(path)]
    run_inprocess(argv)


CONFIG_LINES = st.sampled_from(
    [
        "CONFIG_SLUB=y",
        "CONFIG_SLAB=y",
        "CONFIG_SLUB_TINY=y",
        "# CONFIG_MEMCG is not set",
        "CONFIG_MEMCG=",
        "CONFIG_KFENCE=m",
        "# Linux/x86 6.1.192 Kernel Configuration",
        "# Linux/x86 6.18.2 Kernel Configuration",
        "CONFIG_=y",
        "garbage",
        "\x00",
        "CONFIG_SLUB_DEBUG=y" * 100,
    ]
)


@FUZZ
@given(
    st.lists(CONFIG_LINES, max_size=8),
    st.sampled_from(["v3.16", "v6.1", "v6.18"]),
    st.booleans(),
    st.binary(max_size=64),
)
def test_hostile_kconfig(
    tmp_path_factory: Any, lines: list[str], kernel: str, packed: bool, noise: bytes
) -> None:
    raw = ("\n".join(lines) + "\n").encode() + (noise if packed else b"")
    path = tmp_path_factory.mktemp("cfg") / "config"
    path.write_bytes(gzip.compress(raw) if packed else raw)
    run_inprocess(["config", "--kernel", kernel, "--kconfig", str(path)])


@FUZZ
@given(
    st.binary(max_size=300), st.sampled_from([b"", b"\x9f\xeb\x01\x00", b"\x7fELF", b"\xfd7zXZ"])
)
def test_hostile_btf(tmp_path_factory: Any, noise: bytes, magic: bytes) -> None:
    path = tmp_path_factory.mktemp("btf") / "vmlinux"
    path.write_bytes(magic + noise)
    run_inprocess(["whereis", "cred", "--kernel", "v6.18", "--btf", str(path)])


# ---- as the installed command: endless inputs, full disks, memory -------------------------------
@pytest.mark.parametrize(
    "argv, stdin",
    [
        (["sweep", "--input", "/dev/zero"], b""),
        (["simulate", "/dev/zero"], b""),
        (["create", "x", "100", "--kconfig", "/dev/zero"], b""),
        (["sweep", "--input", "-"], b"object_size\n" + b"64\n" * 300_000 + b"x\n"),
        (["simulate", "-", "--kernel", "v6.18"], b"create c 64\na = alloc c\ndump a 1G\n"),
        (["simulate", "-", "--kernel", "v6.18", "--mem", "1T"], b"create c 64\n"),
        (["simulate", "-"], b"\xff\xfe" * 1000),
        (["crosscheck", "--snapshot", "-"], b"[" * 1_000_000),
        (["create", "x", "1" * 100_000], b""),
    ],
)
def test_installed_command_is_bounded(argv: list[str], stdin: bytes) -> None:
    rc, err = run_installed(argv, stdin)
    assert rc == 2, err


def test_installed_command_on_a_full_disk() -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            installed_command() + ["slabinfo", "--kernel", "v6.18"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=TIME_LIMIT,
        )
    check_contract(["slabinfo"], proc.returncode, proc.stderr.decode())
    assert proc.returncode == 2 and b"No space left on device" in proc.stderr


@FUZZ
@given(st.data())
def test_hostile_parquet(tmp_path_factory: Any, data: st.DataObject) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path_factory.mktemp("pq") / "in.parquet"
    how = data.draw(st.sampled_from(["table", "truncate", "bytes"]))
    columns = {
        "object_size": st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))),
        "align": st.lists(st.one_of(st.none(), st.integers(-5, 2**40))),
        "flags": st.lists(st.one_of(st.none(), NAMES)),
        "ctor": st.lists(st.one_of(st.none(), st.integers(-1, 3))),
        "bogus": st.lists(st.integers(0, 9)),
    }
    chosen = data.draw(st.lists(st.sampled_from(sorted(columns)), min_size=1, unique=True))
    n = data.draw(st.integers(0, 5))
    table = pa.table(
        {c: pa.array(data.draw(columns[c].filter(lambda v: len(v) >= n))[:n]) for c in chosen}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    raw = sink.getvalue()
    if how == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    elif how == "bytes":
        raw = data.draw(st.binary(max_size=200))
    path.write_bytes(raw)
    kernel = data.draw(st.sampled_from(["v3.16", "v6.18"]))
    run_inprocess(["sweep", "--kernel", kernel, "--input", str(path)])


@FUZZ
@given(
    HEADERS,
    st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=6),
    st.sampled_from(["v3.16", "v6.18"]),
)
def test_csv_file_reads_as_stdin_does(
    tmp_path_factory: Any, header: str, rows: list[list[str]], kernel: str
) -> None:
    """A CSV file goes through pyarrow (falling back to slabhw's reader on what
    pyarrow refuses), standard input through slabhw's reader: the same answer, the
    same output and the same message either way."""
    text = header + "\n" + "".join(",".join(r) + "\n" for r in rows)
    path = tmp_path_factory.mktemp("csv") / "in.csv"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    argv = ["sweep", "--kernel", kernel]
    from_file = run_inprocess([*argv, "--input", str(path)])
    from_stdin = run_inprocess([*argv, "--input", "-"], stdin=text)
    assert from_file[0] == from_stdin[0], (text, from_file, from_stdin)
    assert from_file[1] == from_stdin[1], (text, from_file, from_stdin)
    assert from_file[2] == from_stdin[2], (text, from_file, from_stdin)
