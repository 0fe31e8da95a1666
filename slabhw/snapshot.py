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
from .kconfig import CONFIG_OPTIONS, machine_of, parse_config
from .textio import MAX_FILE, gunzip, read_bytes, shown

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
    if not os.path.isdir(root):
        raise InputError(f"snapshot root {root}: no such directory")
    uname = os.uname()
    caches, aliases = _slab_tree(root, notes)
    slabinfo = _read(root, "/proc/slabinfo", notes)
    if not caches and slabinfo is None:
        raise InputError(
            f"nothing to capture under {root}: neither /sys/kernel/slab nor /proc/slabinfo reads"
        )
    osrelease = _read(root, "/proc/sys/kernel/osrelease", notes)
    release, machine, page_size = uname.release, uname.machine, os.sysconf("SC_PAGE_SIZE")
    if os.path.realpath(root) != "/":  # another system's files: its own words
        release = osrelease or release
        machine = _read(root, "/proc/sys/kernel/arch", notes) or machine
        page_size = infer_page_size(caches) or page_size
    config, config_source = _config(root, release, notes)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "format": FORMAT,
        "captured_at": now.isoformat(timespec="seconds"),
        "kernel": {
            "release": release,
            "osrelease": osrelease,
            # the banner: Debian's names the upstream sublevel its release hides
            "version": _read(root, "/proc/version", notes),
            "machine": machine,
            "cmdline": _read(root, "/proc/cmdline", notes),
        },
        "page_size": page_size,
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
    """Write ``snapshot`` as JSON to ``path`` (``"-"``: standard output; a name
    ending in ``.gz``: gzip-compressed)."""
    text = dumps(snapshot)
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as g:
                g.write(text)
        else:
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
            if hasattr(stdin, "buffer"):
                raw = stdin.buffer.read(MAX_FILE + 1)
            else:
                raw = stdin.read(MAX_FILE + 1).encode()
            if len(raw) > MAX_FILE:
                raise InputError(f"snapshot {path} is larger than {MAX_FILE >> 20} MiB")
        else:
            raw = read_bytes(path, "snapshot")
    except OSError as exc:
        raise InputError(f"cannot read snapshot {path}: {exc.strerror or exc}") from None
    raw = gunzip(raw, path, "snapshot")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"snapshot {path} is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"snapshot {path} is not JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"snapshot {path} nests too deeply to be a snapshot") from None
    except ValueError as exc:  # NaN, Infinity
        raise InputError(f"snapshot {path} is not JSON ({exc})") from None
    return validate(data, path)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# ---- validation ------------------------------------------------------------------------
def _check(ok: bool, path: str, field: str, want: str) -> None:
    if not ok:
        raise InputError(f"snapshot {path}: {field} must be {want}")


def _is_int(value: Any, lo: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value < 1 << 63


def _str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


# the attributes the model compares as numbers
_NUMERIC_ATTRIBUTES = (
    "object_size",
    "slab_size",
    "align",
    "order",
    "objs_per_slab",
    "aliases",
    "red_zone",
    "cpu_partial",
    "min_partial",
)


def validate(data: Any, path: str) -> Snapshot:
    """``data`` as a snapshot, every field the model reads checked for its type (the
    first bad one is named): a hand-edited or truncated file is one line of error."""
    _check(isinstance(data, dict), path, "the top level", "a JSON object")
    if data.get("format") != FORMAT:
        raise InputError(
            f"snapshot {path} has format {shown(data.get('format'))}, expected {shown(FORMAT)}"
        )
    kernel = data.get("kernel")
    _check(isinstance(kernel, dict), path, "kernel", "an object")
    for key in ("release", "machine"):
        _check(isinstance(kernel.get(key), str), path, f"kernel.{key}", "a string")
    for key in ("osrelease", "version", "cmdline"):
        _check(_str_or_none(kernel.get(key)), path, f"kernel.{key}", "a string or null")
    size = data.get("page_size")
    _check(_is_int(size, 1) and not size & (size - 1), path, "page_size", "a power of two")
    cpus = data.get("cpus")
    _check(isinstance(cpus, dict), path, "cpus", "an object")
    for mask in ("possible", "present", "online"):
        _check(_str_or_none(cpus.get(mask)), path, f"cpus.{mask}", "a string or null")
        n = cpus.get(f"nr_{mask}")
        _check(n is None or _is_int(n, 1), path, f"cpus.nr_{mask}", "a positive integer or null")
    cpuinfo = data.get("cpuinfo")
    _check(isinstance(cpuinfo, dict), path, "cpuinfo", "an object")
    for key in ("cache_alignment", "clflush_size"):
        n = cpuinfo.get(key)
        _check(n is None or _is_int(n, 1), path, f"cpuinfo.{key}", "a positive integer or null")
    config = data.get("config")
    _check(
        config is None
        or (isinstance(config, dict) and all(isinstance(v, str) for v in config.values())),
        path,
        "config",
        "an object of strings or null",
    )
    for key in ("slabinfo", "config_source", "captured_at"):
        _check(_str_or_none(data.get(key)), path, key, "a string or null")
    caches = data.get("caches")
    _check(isinstance(caches, dict), path, "caches", "an object")
    for name, entry in caches.items():
        where = f"caches[{shown(name)}]"
        _check(isinstance(entry, dict), path, where, "an object")
        attributes = entry.get("attributes")
        _check(
            isinstance(attributes, dict) and all(isinstance(v, str) for v in attributes.values()),
            path,
            f"{where}.attributes",
            "an object of strings",
        )
        for attr in _NUMERIC_ATTRIBUTES:
            value = attributes.get(attr)
            _check(
                value is None or (len(value) < 20 and value.isascii() and value.isdigit()),
                path,
                f"{where}.attributes.{attr}",
                "a decimal number",
            )
        unreadable = entry.get("unreadable", [])
        _check(
            isinstance(unreadable, list) and all(isinstance(v, str) for v in unreadable),
            path,
            f"{where}.unreadable",
            "a list of strings",
        )
    aliases = data.get("aliases")
    _check(
        isinstance(aliases, dict) and all(isinstance(v, str) for v in aliases.values()),
        path,
        "aliases",
        "an object of strings",
    )
    notes = data.get("notes", [])
    _check(
        isinstance(notes, list) and all(isinstance(v, str) for v in notes),
        path,
        "notes",
        "a list of strings",
    )
    checked: Snapshot = data
    return checked


# ---- a simulated kernel as files ------------------------------------------------------------
def kernel_files(cfg: Any) -> dict[str, str]:
    """The files a capture reads to learn what kernel it is on, as the simulated
    kernel of ``cfg`` would show them: release and machine, the banner, the CPU
    lists, /proc/cpuinfo's cache_alignment (x86), the command line with the slab
    boot options as the version spells them, and the .config's switches."""

    release = cfg.preset.release
    machine = machine_of(cfg.arch.name)
    nr, present = cfg.nr_cpus, cfg.present_cpus
    files = {
        "/proc/sys/kernel/osrelease": release,
        "/proc/sys/kernel/arch": machine,
        "/proc/version": f"Linux version {release} (slabhw) #1 SMP",
        "/sys/devices/system/cpu/possible": f"0-{nr - 1}" if nr > 1 else "0",
        "/sys/devices/system/cpu/present": f"0-{present - 1}" if present > 1 else "0",
        "/sys/devices/system/cpu/online": f"0-{present - 1}" if present > 1 else "0",
    }
    if cfg.arch.name in ("x86_64", "i386"):
        cls = cfg.cache_line_size
        files["/proc/cpuinfo"] = (
            f"processor\t: 0\nclflush size\t: {cls}\ncache_alignment\t: {cls}\n"
        )
    words = []
    if cfg.preset.slub is not None:
        prefix = "slab_" if cfg.rules.has_slab_param_names else "slub_"
        if cfg.slub_debug is not None:
            words.append(f"{prefix}debug" + (f"={cfg.slub_debug}" if cfg.slub_debug else ""))
        if cfg.slab_nomerge:
            words.append("slab_nomerge")
        if cfg.slub_min_order:
            words.append(f"{prefix}min_order={cfg.slub_min_order}")
        if cfg.slub_max_order is not None:
            words.append(f"{prefix}max_order={cfg.slub_max_order}")
        if cfg.slub_min_objects:
            words.append(f"{prefix}min_objects={cfg.slub_min_objects}")
    files["/proc/cmdline"] = " ".join(words)
    lines = [
        f"# Linux/{machine} {release} Kernel Configuration",
        f"CONFIG_{cfg.preset.allocator}=y",
    ]
    for switch in cfg.preset.switches:
        option = cfg.preset.kconfig.get(switch, CONFIG_OPTIONS.get(switch))
        if option is not None:
            lines.append(f"{option}=y" if cfg.on(switch) else f"# {option} is not set")
    dma = "CONFIG_ZONE_DMA"
    lines.append(f"{dma}=y" if cfg.has_zone_dma else f"# {dma} is not set")
    files[f"/boot/config-{release}"] = "\n".join(lines)
    return files


def write_tree(root: str, cfg: Any, tree: dict[str, Any], slabinfo_text: str) -> None:
    """Lay out a simulated kernel as files under ``root``: its /sys/kernel/slab (and
    /proc/slabinfo), and the files that say which kernel it is (``kernel_files``),
    so that ``capture(root)`` reads back the configuration it came from."""
    base = os.path.join(root, "sys", "kernel", "slab")
    try:
        os.makedirs(base, exist_ok=True)
        for directory, entry in tree["caches"].items():
            d = os.path.join(base, directory)
            os.makedirs(d, exist_ok=True)
            for attr, value in entry["attributes"].items():
                with open(os.path.join(d, attr), "w", encoding="ascii") as f:
                    f.write(value + "\n")
        for link, target in tree["aliases"].items():
            path = os.path.join(base, link)
            if not os.path.lexists(path):
                os.symlink(target, path)
        files = {"/proc/slabinfo": slabinfo_text.rstrip("\n"), **kernel_files(cfg)}
        for path, text in files.items():
            full = _path(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="ascii") as f:
                f.write(text + "\n")
    except OSError as exc:
        raise InputError(f"cannot write the tree under {root}: {exc.strerror or exc}") from None


def infer_page_size(caches: dict[str, Any]) -> int | None:
    """The page size a slab tree implies: every SLUB cache has objs_per_slab =
    (PAGE_SIZE << order) / slab_size (order_objects()); the one size, among the
    architectures' 4K, 16K and 64K, that agrees with every cache (None if none does,
    or no cache tells)."""
    fits = []
    for size in (4096, 16384, 65536):
        told = False
        for entry in caches.values():
            a = entry.get("attributes") or {}
            try:
                order, objs, slab = int(a["order"]), int(a["objs_per_slab"]), int(a["slab_size"])
            except (KeyError, ValueError):
                continue
            told = True
            if not slab or (size << order) // slab != objs:
                break
        else:
            if told:
                fits.append(size)
    return fits[0] if len(fits) == 1 else None
