"""slabhw.snapshot: capture a kernel's slab state from a fake tree, save, load.

The fake tree under ``tmp_path`` stands in for ``/``: a SLUB /sys/kernel/slab with two
caches and aliases, /proc files, the CPU masks and a gzipped config.  The shipped
snapshot of the development machine (tests/data, see its README) is checked for basic
facts, and the live /sys/kernel/slab is captured where it exists.
"""

from __future__ import annotations

import builtins
import datetime
import gzip
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from slabhw import snapshot
from slabhw.errors import InputError
from slabhw.slabinfo import COLUMNS, HEADER_V2_1

DATA = Path(__file__).parent / "data" / "x86_64-6.18-snapshot.json"
SYS_SLAB = Path("/sys/kernel/slab")

CONFIG = """\
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.18.0 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc (GCC) 15.3.0"
CONFIG_SLUB=y
CONFIG_SLUB_DEBUG=y
# CONFIG_SLUB_DEBUG_ON is not set
CONFIG_NR_CPUS=64

#
# Memory Management options
#
CONFIG_EXT4_FS=m
# CONFIG_SLAB_FREELIST_RANDOM is not set
"""

CPUINFO = """\
processor\t: 0
vendor_id\t: AuthenticAMD
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 48 bits physical, 48 bits virtual

processor\t: 1
vendor_id\t: AuthenticAMD
clflush size\t: 128
cache_alignment\t: 128

"""

SLABINFO = (
    f"{HEADER_V2_1}\n{COLUMNS}\n"
    "kmalloc-64          1758   1920     64   64    1 : tunables    0    0    0"
    " : slabdata     30     30      0\n"
    "anon_vma_chain       512    512     64   64    1 : tunables    0    0    0"
    " : slabdata      8      8      0\n"
)


def _write(root: Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _fake_tree(root: Path) -> None:
    """A small SLUB machine: kmalloc-64, a merged cache with two aliases, /proc, cpus."""
    slab = "sys/kernel/slab"
    for name, text in {
        "object_size": "64\n",
        "align": "64\n",
        "slabs_cpu_partial": "12 C0=5 C1=7\n",
        "objects": "1758 N0=1758\n",
        "ctor": "\n",
        "shrink": "",
        "write_only": "",
    }.items():
        _write(root, f"{slab}/kmalloc-64/{name}", text)
    (root / slab / "kmalloc-64" / "write_only").chmod(0o200)
    (root / slab / "kmalloc-64" / "subdir").mkdir()  # not an attribute: skipped
    _write(root, f"{slab}/:A-0000064/object_size", "64\n")
    _write(root, f"{slab}/:A-0000064/aliases", "1\n")
    _write(root, f"{slab}/:A-0000064/ctor", "anon_vma_ctor+0x0/0x50\n")
    os.symlink(":A-0000064", root / slab / "anon_vma_chain")
    os.symlink("/sys/kernel/slab/:A-0000064/", root / slab / "vm_area_struct")
    _write(root, "proc/slabinfo", SLABINFO)
    _write(root, "proc/sys/kernel/osrelease", "6.18.0-fake\n")
    _write(root, "proc/sys/kernel/arch", "x86_64\n")
    _write(root, "proc/version", "Linux version 6.18.0-fake (x@y) #1 SMP\n")
    _write(root, "proc/cmdline", "console=ttyS0 slub_max_order=1 café\n")
    _write(root, "proc/cpuinfo", CPUINFO)
    _write(root, "sys/devices/system/cpu/possible", "0-3\n")
    _write(root, "sys/devices/system/cpu/present", "0-1,3\n")
    _write(root, "sys/devices/system/cpu/online", "0\n")
    (root / "proc" / "config.gz").write_bytes(gzip.compress(CONFIG.encode()))


@pytest.fixture
def fake_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake tree; ``write_only`` fails to read even for root, as in sysfs."""
    root = tmp_path / "root"
    _fake_tree(root)

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("/write_only"):
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(snapshot, "open", fake_open, raising=False)
    return root


def _expected() -> dict[str, Any]:
    """Below a root other than /, the release and machine are the tree's own
    (/proc/sys/kernel/osrelease and arch), not those of the machine running slabhw."""
    return {
        "format": "slabhw-snapshot-1",
        "kernel": {
            "release": "6.18.0-fake",
            "osrelease": "6.18.0-fake",
            "version": "Linux version 6.18.0-fake (x@y) #1 SMP",
            "machine": "x86_64",
            "cmdline": "console=ttyS0 slub_max_order=1 café",
        },
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "cpus": {
            "possible": "0-3",
            "present": "0-1,3",
            "online": "0",
            "nr_possible": 4,
            "nr_present": 3,
            "nr_online": 1,
        },
        "cpuinfo": {"cache_alignment": 64, "clflush_size": 64},
        "config": {
            "CONFIG_CC_VERSION_TEXT": '"gcc (GCC) 15.3.0"',
            "CONFIG_SLUB": "y",
            "CONFIG_SLUB_DEBUG": "y",
            "CONFIG_SLUB_DEBUG_ON": "n",
            "CONFIG_NR_CPUS": "64",
            "CONFIG_EXT4_FS": "m",
            "CONFIG_SLAB_FREELIST_RANDOM": "n",
        },
        "config_source": "/proc/config.gz",
        "slabinfo": SLABINFO.removesuffix("\n"),
        "caches": {
            "kmalloc-64": {
                "attributes": {
                    "object_size": "64",
                    "align": "64",
                    "slabs_cpu_partial": "12 C0=5 C1=7",
                    "objects": "1758 N0=1758",
                    "ctor": "",
                    "shrink": "",
                },
                "unreadable": ["write_only"],
            },
            ":A-0000064": {
                "attributes": {
                    "object_size": "64",
                    "aliases": "1",
                    "ctor": "anon_vma_ctor+0x0/0x50",
                },
                "unreadable": [],
            },
        },
        "aliases": {"anon_vma_chain": ":A-0000064", "vm_area_struct": ":A-0000064"},
        "notes": [],
    }


def test_capture_fake_tree(fake_root: Path) -> None:
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    snap = snapshot.capture(str(fake_root))
    after = datetime.datetime.now(datetime.timezone.utc)
    captured_at = datetime.datetime.fromisoformat(snap.pop("captured_at"))
    assert captured_at.utcoffset() == datetime.timedelta(0)
    assert before <= captured_at <= after
    assert snap == _expected()
    assert json.loads(json.dumps(snap)) == snap  # JSON-serialisable as it stands


def test_capture_empty_root(tmp_path: Path) -> None:
    """Nothing to capture is an error, not an empty snapshot; with only /proc/slabinfo
    readable, None and empty tables and one note per missing thing."""
    with pytest.raises(InputError, match="nothing to capture"):
        snapshot.capture(str(tmp_path))
    with pytest.raises(InputError, match="no such directory"):
        snapshot.capture(str(tmp_path / "missing"))
    _write(tmp_path, "proc/slabinfo", "slabinfo - version: 2.1\n")
    snap = snapshot.capture(str(tmp_path))
    assert snap["caches"] == {} and snap["aliases"] == {}
    assert snap["config"] is None and snap["config_source"] is None
    assert snap["kernel"]["osrelease"] is None and snap["kernel"]["cmdline"] is None
    assert snap["kernel"]["version"] is None
    assert snap["cpus"]["possible"] is None and snap["cpus"]["nr_possible"] is None
    assert snap["cpuinfo"] == {"cache_alignment": None, "clflush_size": None}
    notes = "\n".join(snap["notes"])
    for path in (
        "/sys/kernel/slab",
        "/proc/cmdline",
        "/proc/version",
        "/proc/config.gz",
    ):
        assert path in notes
    assert f"/boot/config-{os.uname().release}" in notes


def test_capture_boot_config_fallback(fake_root: Path) -> None:
    """A /proc/config.gz that is not gzip falls back to /boot/config-$(uname -r)."""
    (fake_root / "proc" / "config.gz").write_bytes(b"not gzip")
    _write(fake_root, "boot/config-6.18.0-fake", "CONFIG_SLUB=y\n")
    snap = snapshot.capture(str(fake_root))
    assert snap["config"] == {"CONFIG_SLUB": "y"}
    assert snap["config_source"] == "/boot/config-6.18.0-fake"
    assert snap["notes"] == []


def test_capture_bad_cpulist_is_noted(fake_root: Path) -> None:
    _write(fake_root, "sys/devices/system/cpu/online", "zero\n")
    snap = snapshot.capture(str(fake_root))
    assert snap["cpus"]["online"] == "zero" and snap["cpus"]["nr_online"] is None
    assert any("/sys/devices/system/cpu/online" in n for n in snap["notes"])


@pytest.mark.parametrize(
    ("cpulist", "count"), [("0", 1), ("0-1", 2), ("0-3,8,10-11", 7), ("", 0), ("\n", 0)]
)
def test_count_cpus(cpulist: str, count: int) -> None:
    assert snapshot.count_cpus(cpulist) == count


@pytest.mark.parametrize("cpulist", ["zero", "3-1", "0-", "1,,x"])
def test_count_cpus_rejects(cpulist: str) -> None:
    with pytest.raises(InputError):
        snapshot.count_cpus(cpulist)


def test_save_load_round_trip(fake_root: Path, tmp_path: Path) -> None:
    snap = snapshot.capture(str(fake_root))
    path = tmp_path / "snap.json"
    snapshot.save(snap, str(path))
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(snap, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert "café" in text
    assert snapshot.load(str(path)) == snap


def test_save_load_dash(
    fake_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = snapshot.capture(str(fake_root))
    snapshot.save(snap, "-")
    out = capsys.readouterr().out
    assert json.loads(out) == snap
    monkeypatch.setattr(sys, "stdin", io.StringIO(out))
    assert snapshot.load("-") == snap


def test_save_unwritable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write snapshot"):
        snapshot.save({"format": snapshot.FORMAT}, str(tmp_path / "no" / "such" / "dir.json"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read snapshot .*: No such file or directory"),
        ("{not json", "is not JSON"),
        ("", "is not JSON"),
        ("[1, 2]", "the top level must be a JSON object"),
        ("[" * 100_000, "nests too deeply"),
        ('{"format": "slabhw-snapshot-1", "page_size": NaN}', "NaN is not a JSON number"),
        ('{"format": "slabhw-snapshot-1"}', "kernel must be an object"),
        ('{"caches": {}}', "has format None"),
        ('{"format": "slabhw-snapshot-0"}', "has format 'slabhw-snapshot-0'"),
    ],
)
def test_load_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        snapshot.load(str(path))
    assert "\n" not in str(info.value)


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read snapshot"):
        snapshot.load(str(tmp_path))


def test_shipped_snapshot() -> None:
    snap = snapshot.load(str(DATA))
    assert snap["format"] == "slabhw-snapshot-1"
    assert snap["kernel"]["release"].startswith("6.18")
    assert snap["kernel"]["machine"] == "x86_64"
    assert len(snap["caches"]) >= 200
    assert snap["caches"]["kmalloc-64"]["attributes"]["object_size"] == "64"
    # every alias points at a cache that is in the snapshot
    assert set(snap["aliases"].values()) <= set(snap["caches"])


@pytest.mark.skipif(not SYS_SLAB.is_dir(), reason="no /sys/kernel/slab on this machine")
def test_capture_live() -> None:
    snap = snapshot.capture()
    assert len(snap["caches"]) > 50
    assert json.loads(snapshot.dumps(snap)) == snap


def test_load_names_the_bad_field(tmp_path: Path) -> None:
    """A hand-edited snapshot: the first field of the wrong type is named."""
    good = json.loads(DATA.read_text())
    edits: list[tuple[Any, str]] = [
        (lambda d: d.update(page_size="4096"), "page_size must be a power of two"),
        (lambda d: d.update(page_size=True), "page_size must be a power of two"),
        (lambda d: d["kernel"].pop("release"), "kernel.release must be a string"),
        (lambda d: d["cpus"].update(nr_possible=-2), "cpus.nr_possible must be a positive"),
        (lambda d: d.update(caches=[]), "caches must be an object"),
        (
            lambda d: d["caches"]["kmalloc-64"]["attributes"].update(order="x"),
            "caches['kmalloc-64'].attributes.order must be a decimal number",
        ),
        (lambda d: d["aliases"].update(x=1), "aliases must be an object of strings"),
        (lambda d: d.update(config={"CONFIG_X": None}), "config must be an object of strings"),
    ]
    for edit, message in edits:
        data = json.loads(json.dumps(good))
        edit(data)
        path = tmp_path / "snap.json"
        path.write_text(json.dumps(data))
        with pytest.raises(InputError, match=re.escape(message)):
            snapshot.load(str(path))


def test_sysfs_tree_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sysfs --write DIR, snapshot --root DIR, crosscheck: every check agrees, the
    configuration read back is the one written (release, arch and page size, CPUs,
    switches, boot options), on 4K and 64K pages."""
    from tests.helpers import run_main

    for argv in (
        ["--kernel", "v6.1", "--arch", "x86_64", "--nr-cpus", "6", "--nr-present-cpus", "2"],
        ["--kernel", "v6.18", "--arch", "arm64-64k", "--nr-cpus", "2", "--slab-nomerge"],
        ["--kernel", "v5.10", "--arch", "x86_64", "--nr-cpus", "2", "--slab-debug", "FZ"],
    ):
        root = tmp_path / argv[1] / argv[3]
        assert run_main(["sysfs", *argv, "--write", str(root)], capsys)[0] == 0
        snap_path = tmp_path / "snap.json"
        rc, _, err = run_main(["snapshot", "--root", str(root), "--output", str(snap_path)], capsys)
        assert rc == 0, err
        rc, out, err = run_main(["crosscheck", "--snapshot", str(snap_path), "--json"], capsys)
        report = json.loads(out)
        assert rc == 0 and report["ok"], [c for c in report["checks"] if not c["ok"]][:3]
        rc, model, _ = run_main(["config", *argv, "--json"], capsys)
        assert report["config"] == json.loads(model)


def test_machine_of_inverts_arch_of() -> None:
    """sysfs --write names the machine a tree's kernel reports; a capture maps it back
    (with the page size) to the same arch preset, for every preset of every version."""
    from slabhw.kconfig import arch_of, machine_of
    from slabhw.versions import PRESETS

    for name, preset in PRESETS.items():
        for arch_name, arch in preset.arches.items():
            assert arch_of(machine_of(arch_name), arch.page_size, name) == arch_name
