"""Hostile input, one case per cause found (issue 11): each gets one line on stderr
and exit 2 (a mistake), or the modelled kernel's words and exit 1, never a
traceback, a hang or a silent wrong answer.  tests/test_fuzz.py generates more."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import slabhw
from slabhw import kconfig
from slabhw.errors import InputError
from slabhw.parse import get_option, parse_int, parse_uint
from slabhw.simulate import split_words
from tests.helpers import run_main

V618 = ["--kernel", "v6.18", "--nr-cpus", "2"]
HUGE = "9" * 5000


def one_line_error(rc: int, err: str, status: int = 2) -> str:
    assert rc == status, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert len(err) < 400, err  # a long argument is not echoed whole
    return err


# ---- 1. numbers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, words",
    [
        (["create", "x", "١٢٨"], "not an integer"),  # Arabic-Indic digits
        (["create", "x", "1_0"], "not an integer"),  # Python's digit separator
        (["create", "x", HUGE], "too large"),
        (["config", "--cache-line-size", "4294967296"], "does not fit 31 bits"),
        (["create", "x", "100", "--nr-cpus", "4294967296"], "does not fit 32 bits"),
        (["create", "x", "100", "--slab-max-order", "2147483648"], "32-bit int"),
        (["create", "x", "100", *V618, "--slab-min-order", "11"], "MAX_PAGE_ORDER"),
    ],
)
def test_numbers_are_parsed_once_and_bounded(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run_main(argv, capsys)
    assert words in one_line_error(rc, err)


def test_negative_slab_max_order_is_the_kernels_unsigned_store(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """setup_slub_max_order(): get_option() into an unsigned int, then
    min(slub_max_order, MAX_PAGE_ORDER): -1 is the largest order (10 on x86_64);
    SLAB's slab_max_order_setup() clamps a negative value to 0."""
    rc, out, err = run_main(["config", *V618, "--slab-max-order", "-1", "--json"], capsys)
    assert rc == 0, err
    assert json.loads(out)["slub_max_order"] == 10
    rc, out, err = run_main(["config", "--slab-max-order", "-1", "--json"], capsys)
    assert rc == 0 and json.loads(out)["slab_max_order"] == 0


def test_parse_helpers() -> None:
    assert parse_uint("0x10", "n") == 16 and parse_int("-5", "n") == -5
    for bad in ("١٢٨", "1_0", "+1", "1e3", "0x", "", HUGE):
        with pytest.raises(InputError):
            parse_uint(bad, "n")
    with pytest.raises(InputError, match="does not fit 8 bits"):
        parse_uint("256", "n", bits=8)
    # lib/cmdline.c get_option(): base 0, the longest prefix of digits, as an int
    assert get_option("010") == 8 and get_option("0x1f") == 31 and get_option("12ab") == 12
    assert get_option("x") == 0 and get_option("-1") == -1 and get_option("0x") == 0
    assert get_option("4294967297") == 1 and get_option("2147483648") == -(2**31)
    # 10**5000 - 1: 10**5000 is a multiple of 2**64, so the wrapped value is all ones
    assert get_option(HUGE) == -1


def test_sweep_cells_are_ascii_and_bounded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for cell, words in (("١٢٨", "line 2: object_size"), (HUGE, "line 3: object_size")):
        text = f"object_size\n64\n{cell}\n" if cell == HUGE else f"object_size\n{cell}\n"
        rc, out, err = run_main(["sweep", "--input", "-"], capsys, monkeypatch, text)
        assert words in one_line_error(rc, err)
        assert out == ""  # the first chunk is checked before anything is written


# ---- 2. options that do not apply ------------------------------------------------------
@pytest.mark.parametrize(
    "argv, words",
    [
        (["create", "x", "100", *V618, "--colour", "1"], "does not colour"),
        (["slabinfo", *V618, "--nr-present-cpus", "4"], "nr_present_cpus must be in 1..nr_cpus"),
        (["sysfs", *V618, "--slub-tiny"], "SLAB_SUPPORTS_SYSFS"),
        (["slabinfo", *V618, "--slub-tiny"], "CONFIG_SLUB_DEBUG"),
    ],
)
def test_options_that_do_not_apply(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run_main(argv, capsys)
    assert words in one_line_error(rc, err)


def test_seed_on_slab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s"
    script.write_text("create c 64\n")
    rc, _, err = run_main(["simulate", str(script), "--seed", "1"], capsys)
    assert "draws no random values" in one_line_error(rc, err)


def test_kconfig_of_another_version_or_allocator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config"
    path.write_text("#\n# Linux/x86 6.12.117 Kernel Configuration\n#\nCONFIG_SLUB=y\n")
    rc, _, err = run_main(["create", "x", "100", "--kconfig", str(path)], capsys)
    assert "configures Linux 6.12, not v3.16 (pass --kernel v6.12" in one_line_error(rc, err)
    rc, _, err = run_main(["create", "x", "100", *V618, "--kconfig", str(path)], capsys)
    assert "not v6.18" in one_line_error(rc, err)
    assert kconfig.read_config_file(str(path), "v6.12.30") == {"CONFIG_SLUB": "y"}
    path.write_text("CONFIG_SLAB=y\n")  # no header: the allocator still tells
    rc, _, err = run_main(["create", "x", "100", *V618, "--kconfig", str(path)], capsys)
    assert "builds SLAB, but v6.18 is a SLUB kernel" in one_line_error(rc, err)


# ---- 3. unbounded reads ----------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["create", "x", "100", "--kconfig", "/dev/zero"],
        ["sweep", "--input", "/dev/zero"],
        ["simulate", "/dev/zero"],
    ],
)
def test_endless_inputs_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_main(argv, capsys)
    one_line_error(rc, err)


def test_gzip_bomb_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.gz"
    path.write_bytes(gzip.compress(b"CONFIG_X=y\n" + b"#" * (65 << 20)))
    rc, _, err = run_main(["create", "x", "100", "--kconfig", str(path)], capsys)
    assert "decompresses to more than" in one_line_error(rc, err)


# ---- 4. output errors ------------------------------------------------------------------
def test_unwritable_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("object_size\n64\n")
    for dst in (tmp_path / "missing" / "out.csv", Path("/proc/version"), tmp_path):
        rc, _, err = run_main(["sweep", "--input", str(src), "--output", str(dst)], capsys)
        assert "cannot write" in one_line_error(rc, err)
    assert os.listdir(tmp_path) == ["in.csv"]  # no half-written temporary file left


def test_full_disk_on_stdout() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "slabhw", "create", "x", "100"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr == "slabhw create: error: cannot write the output: No space left on device\n"


def test_output_file_is_replaced_only_on_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    dst.write_text("old\n")
    src.write_text("object_size\nx\n")
    rc, _, err = run_main(["sweep", "--input", str(src), "--output", str(dst)], capsys)
    one_line_error(rc, err)
    assert dst.read_text() == "old\n"
    src.write_text("object_size\n64\n")
    rc, _, err = run_main(["sweep", "--input", str(src), "--output", str(dst)], capsys)
    assert rc == 0 and dst.read_text().splitlines()[1].startswith("64,")
    assert oct(dst.stat().st_mode & 0o777) != oct(0o600)  # as open() would make it


# ---- 5. simulate -----------------------------------------------------------------------
def simulate(
    text: str | bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, str, str]:
    path = tmp_path / "script"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return run_main(["simulate", str(path), *options], capsys)


def test_double_free_is_a_bug_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """set_freepointer(): BUG_ON(object == fp) under SLAB_FREELIST_HARDENED."""
    rc, out, err = simulate("create c 64\na = alloc c\nfree a\nfree a\n", tmp_path, capsys, *V618)
    assert "kernel BUG at mm/slub.c:634!" in one_line_error(rc, err, status=1)
    assert "4  free a       -> the kernel died: kernel BUG at mm/slub.c:634!" in out


@pytest.mark.parametrize(
    "script, words",
    [
        ("create c 64\na = alloc c\ndump a 1G\n", "dump shows at most 4 MiB"),
        ("create c 64\na = alloc_bulk c 100000000000\n", "cannot fit the 4096 MiB arena"),
        ("create c 64\na = alloc c\nfree b\n", "script line 3: no variable 'b'"),
        ("create c 64\nalloc d\n", "script line 2: no cache 'd'"),
        ("create c 64\na = alloc c\nfill a 8 100\n", "not one byte in hex"),
        ("create c 64\na = alloc c\ndump a[" + HUGE + "]\n", "is not a target"),
        ("\ufeffcreate c 64\n", ""),  # a byte-order mark is not part of the first word
    ],
)
def test_script_mistakes_stop_before_anything_runs(
    script: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = simulate(script, tmp_path, capsys, *V618)
    if not words:
        assert rc == 0 and "1  create c 64" in out
        return
    assert words in one_line_error(rc, err)
    if "no " in words:
        assert out == ""  # validated before the first line ran


def test_fill_byte_is_hex_like_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = simulate("create c 64\na = alloc c\nfill a 8 41\n", tmp_path, capsys, *V618)
    assert rc == 0 and "with 0x41" in out, err


def test_binary_and_long_line_scripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = simulate(b"create c 64\n\xff\xfe\x00", tmp_path, capsys)
    assert "not UTF-8" in one_line_error(rc, err)
    rc, _, err = simulate(b"create c 64\n\x00\n", tmp_path, capsys)
    assert "NUL" in one_line_error(rc, err)
    rc, _, err = simulate("x" * (2 << 20), tmp_path, capsys)
    assert "longer than" in one_line_error(rc, err)


def test_split_words_is_linear_and_shell_like() -> None:
    import time

    t = time.perf_counter()
    assert split_words("write a " + "41" * 500_000, 1)[2] == "41" * 500_000
    assert time.perf_counter() - t < 1.0  # shlex took 14 s for this line
    assert split_words("""x='a b'c "d\\"e" f\\ g""", 1) == ["x=a bc", 'd"e', "f g"]


def test_mem_beyond_the_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for mem, words in (("1T", "cannot hold a page arena"), ("99999999T", "does not fit 64 bits")):
        rc, _, err = simulate("create c 64\n", tmp_path, capsys, *V618, "--mem", mem)
        assert words in one_line_error(rc, err)


# ---- 7. the Python API -----------------------------------------------------------------
def test_api_mistakes_are_input_errors() -> None:
    with pytest.raises(InputError):
        slabhw.Kernel(None)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        slabhw.Kernel("v6.18", nr_cpus="4")  # type: ignore[arg-type]
    for kernel in ("v3.16", "v6.18"):
        with pytest.raises(InputError, match="negative"):
            slabhw.Kernel(kernel).kmalloc_slab(-1)


def test_api_calculate_alignment_of_slub_versions() -> None:
    """mm/slab_common.c calculate_alignment() of 6.18, by hand: HWCACHE_ALIGN takes
    cache_line_size() 64 and halves it while the object fits in half (110: 64; 20:
    32), then max(ARCH_SLAB_MINALIGN 8); without it, align 0 becomes 8 (the issue's
    call raised "unknown flag 'SLAB_DESTROY_BY_RCU'", a 3.16 name)."""
    assert slabhw.calculate_alignment(0, 0, 110, kernel="v6.18") == 8
    assert slabhw.calculate_alignment("SLAB_HWCACHE_ALIGN", 0, 110, kernel="v6.18") == 64
    assert slabhw.calculate_alignment("SLAB_HWCACHE_ALIGN", 0, 20, kernel="v6.18") == 32
    assert slabhw.calculate_alignment(0x2000, 0, 110) == 64  # 3.16's encoding


def test_api_type_mistakes_are_input_errors() -> None:
    import numpy as np

    from slabhw.errors import InputTypeError

    with pytest.raises(InputTypeError):
        slabhw.calculate_alignment(0, 0, 1.5)
    with pytest.raises(TypeError):  # an InputTypeError is a TypeError too
        slabhw.calculate_alignment(0, 0, np.array([1.5]))
    masked = np.ma.masked_array([64, 128], mask=[False, True])
    for call in (
        lambda: slabhw.sweep(masked),
        lambda: slabhw.calculate_alignment(0, 0, masked),
    ):
        with pytest.raises(InputError, match="masked array"):
            call()


# ---- 8. smaller promises ----------------------------------------------------------------
def test_gfp_kinds_the_configuration_ignores_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    """kmalloc_type(): without CONFIG_ZONE_DMA, __GFP_DMA is not among
    KMALLOC_NOT_NORMAL_BITS, so the normal cache serves; the answer says why."""
    rc, out, _ = run_main(["kmalloc", "100", "--gfp", "dma", *V618, "--no-zone-dma"], capsys)
    assert rc == 0 and out.startswith("kmalloc(100, dma) -> kmalloc-128 ")
    assert "note: no CONFIG_ZONE_DMA" in out
    rc, out, _ = run_main(["kmalloc", "100", "--gfp", "account", "--kernel", "v5.10"], capsys)
    assert json.loads(
        run_main(["kmalloc", "100", "--gfp", "account", "--kernel", "v5.10", "--json"], capsys)[1]
    )["note"].startswith("__GFP_ACCOUNT has no kmalloc-cg caches")
    rc, out, _ = run_main(["kmalloc", "100", "--gfp", "dma", *V618], capsys)
    assert "dma-kmalloc-128" in out and "note:" not in out


def test_snapshot_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    assert run_main(["sysfs", *V618, "--write", str(root)], capsys)[0] == 0
    out_path = tmp_path / "snap.json.gz"
    rc, out, err = run_main(
        ["snapshot", "--root", str(root), "--output", str(out_path), "--json"], capsys
    )
    summary = json.loads(out)
    assert rc == 0 and summary["output"] == str(out_path) and summary["machine"] == "x86_64"
    assert summary["release"] == slabhw.KernelConfig.build("v6.18").preset.release
    assert gzip.decompress(out_path.read_bytes()).startswith(b"{")


def test_missing_core_message(tmp_path: Path) -> None:
    """Run from a source tree whose slabhw has no compiled core (what a non-editable
    install leaves in the checkout): the message says what is actually wrong."""
    import shutil

    src = tmp_path / "checkout"
    package = Path(slabhw.__file__).parent
    shutil.copytree(
        package, src / "slabhw", ignore=shutil.ignore_patterns("_native*", "__pycache__")
    )
    (src / "csrc").mkdir()
    (src / "setup.py").write_text("")
    import site

    # -S: no .pth files, so no editable-install finder that would supply the
    # checkout's compiled core; numpy and cffi come from site-packages on PYTHONPATH
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "slabhw", "create", "x", "100"],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(site.getsitepackages())},
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "is the source tree's slabhw, which has no compiled core" in proc.stderr
    assert "pip install -e ." in proc.stderr


def test_a_bad_row_stops_an_endless_csv_at_its_chunk() -> None:
    """A 40 M-row CSV with a bad value on line 2 used to be loaded whole first: the
    reader now stops within the first chunk of rows."""
    import io

    from slabhw.config import KernelConfig
    from slabhw.sweep import READ_ROWS, iter_csv

    class Endless(io.TextIOBase):
        lines = 0

        def readable(self) -> bool:
            return True

        def readline(self, size: int | None = -1) -> str:
            self.lines += 1
            return {1: "object_size\n", 2: "sixty-four\n"}.get(self.lines, "64\n")

    stream = Endless()
    with pytest.raises(InputError, match="line 2: object_size 'sixty-four'"):
        list(iter_csv(stream, KernelConfig.build("v6.18")))
    assert stream.lines <= READ_ROWS + 2


def test_the_first_bad_cell_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Distinct spellings are parsed once each, but the mistake named is the first in
    the input (it was whichever a set gave first), from stdin and from a file alike."""
    text = "object_size,flags,ctor\n64,0,0\n64,SLAB_NOPE,2\n64,SLAB_ALSO_NOPE,3\n"
    path = tmp_path / "in.csv"
    path.write_text(text)
    for argv, stdin in ((["--input", "-"], text), (["--input", str(path)], "")):
        rc, _, err = run_main(["sweep", *argv], capsys, monkeypatch, stdin)
        assert "line 3: unknown flag 'SLAB_NOPE'" in one_line_error(rc, err)
    text = "object_size,ctor\n64,0\n64,2\n64,x\n"
    rc, _, err = run_main(["sweep", "--input", "-"], capsys, monkeypatch, text)
    assert "line 3: ctor must be 0 or 1, not '2'" in one_line_error(rc, err)
