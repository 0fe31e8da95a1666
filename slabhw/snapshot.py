"""Snapshots of a running Linux kernel's slab state, as one JSON-serialisable dict.

``capture()`` reads what a running kernel shows about its slab caches:

- ``/sys/kernel/slab``: SLUB's sysfs tree (mm/slub.c, ``slab_attr_show()``).  Each
  directory is a cache; every attribute file is kept as the text the kernel printed
  (minus the trailing newline), uninterpreted, so per-CPU and per-node strings such as
  ``"96(3) C0=32(1) C1=64(2)"`` survive as they are.  Each symlink is an alias left by
  cache merging (``sysfs_slab_alias()``), pointing at the cache that absorbed it.
- ``/proc/slabinfo`` (mode 0400, so ``None`` without root);
- the facts the allocators size caches from: kernel release, machine, page size,
  possible/present/online CPUs, ``/proc/cpuinfo``'s ``cache_alignment`` and
  ``clflush size``, the command line (``slab_*=``/``slub_*=`` boot options) and the
  kernel configuration (``/proc/config.gz``, else ``/boot/config-$(uname -r)``).

Every file is read below ``root``, so tests can point it at a fake tree; the
release, machine and page size come from ``os.uname()`` and ``os.sysconf()`` of the
calling process.  Whatever cannot be read is ``None`` with a line in ``notes``.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import sys
import zlib
from typing import Any

from .errors import InputError
from .textio import shown

FORMAT = "slabhw-snapshot-1"

Snapshot = dict[str, Any]


def _path(root: str, path: str) -> str:
    """``path`` (absolute, as on a live system) below ``root``."""
    return os.path.join(root, path.lstrip("/"))


def _text(data: str) -> str:
    """A file's text without its one trailing newline (sysfs ends every value so)."""
    return data[:-1] if data.endswith("\n") else data


def _read(root: str, path: str, notes: list[str]) -> str | None:
    """The text of ``path`` below ``root``, or None (and a note) if it cannot be read."""
    try:
        with open(_path(root, path), encoding="utf-8", errors="replace") as f:
            return _text(f.read())
    except OSError as exc:
        notes.append(f"{path}: unreadable ({exc.strerror or exc})")
        return None


def count_cpus(cpulist: str) -> int:
    """The number of CPUs in a kernel cpulist such as ``"0-3,8,10-11"`` (``%*pbl``).

    An empty list (no CPU in the mask) counts 0.
    """
    count = 0
    for part in cpulist.strip().split(","):
        if not part:
            continue
        first, sep, last = part.partition("-")
        try:
            lo = int(first)
            hi = int(last) if sep else lo
        except ValueError:
            raise InputError(f"not a CPU list: {shown(cpulist)}") from None
        if hi < lo:
            raise InputError(f"not a CPU list: {shown(cpulist)}")
        count += hi - lo + 1
    return count


def _cpus(root: str, notes: list[str]) -> dict[str, Any]:
    """/sys/devices/system/cpu/{possible,present,online}: the raw lists and their counts."""
    cpus: dict[str, Any] = {}
    for mask in ("possible", "present", "online"):
        path = f"/sys/devices/system/cpu/{mask}"
        raw = _read(root, path, notes)
        cpus[mask] = raw
        cpus[f"nr_{mask}"] = None
        if raw is not None:
            try:
                cpus[f"nr_{mask}"] = count_cpus(raw)
            except InputError as exc:
                notes.append(f"{path}: {exc}")
    return cpus


def _cpuinfo(root: str, notes: list[str]) -> dict[str, int | None]:
    """``cache_alignment`` and ``clflush size`` of the first CPU in /proc/cpuinfo.

    x86 prints them (``boot_cpu_data.x86_cache_alignment`` is what SLUB's
    ``cache_line_size()`` returns); other architectures do not, giving None.
    """
    found: dict[str, int | None] = {"cache_alignment": None, "clflush_size": None}
    text = _read(root, "/proc/cpuinfo", notes)
    if text is None:
        return found
    first_cpu = text.split("\n\n", 1)[0]
    for line in first_cpu.splitlines():
        key, sep, value = line.partition(":")
        name = key.strip().replace(" ", "_")
        if sep and name in found:
            try:
                found[name] = int(value.strip())
            except ValueError:
                notes.append(
                    f"/proc/cpuinfo: {key.strip()} is not a number: {shown(value.strip())}"
                )
    return found


def parse_config(text: str) -> dict[str, str]:
    """A kernel .config as ``{"CONFIG_X": value}``: set options with their value text
    (``"y"``, ``"m"``, ``"64"``, ``'"string"'`` with its quotes), ``"n"`` for the
    ``# CONFIG_X is not set`` lines; other comments and blank lines are skipped."""
    config: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            name, _, value = line.partition("=")
            config[name] = value
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            config[line[2 : -len(" is not set")]] = "n"
    return config


def _config(root: str, release: str, notes: list[str]) -> tuple[dict[str, str] | None, str | None]:
    """The kernel configuration and where it came from: /proc/config.gz
    (CONFIG_IKCONFIG_PROC), else /boot/config-RELEASE; (None, None) if neither reads."""
    proc, boot = "/proc/config.gz", f"/boot/config-{release}"
    try:
        with gzip.open(_path(root, proc), "rt", encoding="utf-8", errors="replace") as f:
            return parse_config(f.read()), proc
    except (OSError, EOFError, zlib.error) as exc:
        proc_error = str(exc)
    try:
        with open(_path(root, boot), encoding="utf-8", errors="replace") as f:
            return parse_config(f.read()), boot
    except OSError as exc:
        notes.append(f"kernel config: {proc}: {proc_error}; {boot}: {exc.strerror or exc}")
    return None, None


def _cache(directory: str) -> dict[str, Any]:
    """One cache directory of /sys/kernel/slab: every attribute file's text, and the
    names of those that could not be read (write-only, no permission, an error)."""
    attributes: dict[str, str] = {}
    unreadable: list[str] = []
    with os.scandir(directory) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                with open(entry.path, encoding="utf-8", errors="replace") as f:
                    attributes[entry.name] = _text(f.read())
            except OSError:  # PermissionError included
                unreadable.append(entry.name)
    return {"attributes": attributes, "unreadable": unreadable}


def _slab_tree(root: str, notes: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """/sys/kernel/slab: caches (directories) and aliases (symlinks -> target name)."""
    caches: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    top = _path(root, "/sys/kernel/slab")
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as exc:
        notes.append(f"/sys/kernel/slab: unreadable ({exc.strerror or exc})")
        return caches, aliases
    for entry in entries:
        if entry.is_symlink():
            aliases[entry.name] = os.path.basename(os.readlink(entry.path).rstrip("/"))
        elif entry.is_dir(follow_symlinks=False):
            caches[entry.name] = _cache(entry.path)
    return caches, aliases


def capture(root: str = "/") -> Snapshot:
    """Read the running kernel's slab state below ``root`` into a JSON-ready dict.

    Keys: ``format``, ``captured_at`` (UTC, ISO 8601 to the second), ``kernel``
    (``release``, ``osrelease``, ``version`` (/proc/version), ``machine``,
    ``cmdline``), ``page_size``, ``cpus``
    (raw ``possible``/``present``/``online`` lists and ``nr_*`` counts), ``cpuinfo``
    (``cache_alignment``, ``clflush_size``), ``config`` and ``config_source``,
    ``slabinfo``, ``caches`` (name -> ``{"attributes": {file: text}, "unreadable":
    [file, ...]}``), ``aliases`` (name -> target cache name) and ``notes`` (one line
    per thing that could not be read).
    """
    notes: list[str] = []
    uname = os.uname()
    caches, aliases = _slab_tree(root, notes)
    slabinfo = _read(root, "/proc/slabinfo", notes)
    config, config_source = _config(root, uname.release, notes)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "format": FORMAT,
        "captured_at": now.isoformat(timespec="seconds"),
        "kernel": {
            "release": uname.release,
            "osrelease": _read(root, "/proc/sys/kernel/osrelease", notes),
            # the banner: Debian's names the upstream sublevel its release hides
            "version": _read(root, "/proc/version", notes),
            "machine": uname.machine,
            "cmdline": _read(root, "/proc/cmdline", notes),
        },
        "page_size": os.sysconf("SC_PAGE_SIZE"),
        "cpus": _cpus(root, notes),
        "cpuinfo": _cpuinfo(root, notes),
        "config": config,
        "config_source": config_source,
        "slabinfo": slabinfo,
        "caches": caches,
        "aliases": aliases,
        "notes": notes,
    }


def dumps(snapshot: Snapshot) -> str:
    """The snapshot as JSON text: sorted keys, indent 1, UTF-8 kept, final newline."""
    return json.dumps(snapshot, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def save(snapshot: Snapshot, path: str) -> None:
    """Write ``snapshot`` as JSON to ``path`` (``"-"``: standard output)."""
    text = dumps(snapshot)
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise InputError(f"cannot write snapshot {path}: {exc.strerror or exc}") from None


def load(path: str) -> Snapshot:
    """Read a snapshot written by ``save()`` (``"-"``: standard input), plain or
    gzip-compressed (``.json.gz``).

    Raises InputError if the file cannot be read, is not JSON, or is not a
    ``slabhw-snapshot-1`` object.
    """
    try:
        if path == "-":  # a text stream without .buffer (a test's StringIO) too
            stdin = sys.stdin
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
        else:
            with open(path, "rb") as f:
                raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"snapshot {path}: no such file") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read snapshot {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"snapshot {path} is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"snapshot {path} is not a JSON object, expected format {shown(FORMAT)}")
    if data.get("format") != FORMAT:
        found = data.get("format")
        raise InputError(f"snapshot {path} has format {shown(found)}, expected {shown(FORMAT)}")
    return data
