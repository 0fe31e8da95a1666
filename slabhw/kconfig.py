"""A running (or captured) kernel's configuration as a KernelConfig.

Parses the CONFIG_* options of a kernel ``.config`` / ``/proc/config.gz`` and reads the
boot parameters of ``/proc/cmdline``, as a snapshot (slabhw.snapshot) records them.
"""

from __future__ import annotations

import re
from typing import Any

from .config import KernelConfig
from .errors import InputError
from .parse import get_option, kstrtouint
from .textio import gunzip, read_bytes, shown
from .versions import PRESETS, get_preset
from .versions.rules import SlubRules

# KernelConfig switch -> the CONFIG_ option that sets it
CONFIG_OPTIONS: dict[str, str] = {
    "slub_debug_config": "CONFIG_SLUB_DEBUG",
    "slub_cpu_partial": "CONFIG_SLUB_CPU_PARTIAL",
    "slub_tiny": "CONFIG_SLUB_TINY",
    "hardened_usercopy": "CONFIG_HARDENED_USERCOPY",
    "memcg": "CONFIG_MEMCG",
    "stackdepot": "CONFIG_STACKDEPOT",
    "kasan_generic": "CONFIG_KASAN_GENERIC",
    "kfence": "CONFIG_KFENCE",
    "slab_obj_ext": "CONFIG_SLAB_OBJ_EXT",
    "random_kmalloc_caches": "CONFIG_RANDOM_KMALLOC_CACHES",
    "slab_buckets": "CONFIG_SLAB_BUCKETS",
    "slab_freelist_hardened": "CONFIG_SLAB_FREELIST_HARDENED",
    "slab_freelist_random": "CONFIG_SLAB_FREELIST_RANDOM",
    "debug_vm": "CONFIG_DEBUG_VM",
    "debug_objects": "CONFIG_DEBUG_OBJECTS",
    "failslab": "CONFIG_FAILSLAB",
    "debug_slab": "CONFIG_DEBUG_SLAB",
    "debug_pagealloc": "CONFIG_DEBUG_PAGEALLOC",
    "debug_slab_leak": "CONFIG_DEBUG_SLAB_LEAK",
    "page_poisoning": "CONFIG_PAGE_POISONING",
    "kmemcheck": "CONFIG_KMEMCHECK",
    "memcg_kmem": "CONFIG_MEMCG_KMEM",
}

_MACHINE_ARCH = {
    "x86_64": "x86_64",
    "i686": "i386",
    "i386": "i386",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


# an arch preset -> the `uname -m` a kernel of it reports: the first machine above
# for its base name (arm64-16k, ppc64-4k: their base's)
_ARCH_MACHINE: dict[str, str] = {}
for _machine, _arch in _MACHINE_ARCH.items():
    _ARCH_MACHINE.setdefault(_arch, _machine)


def machine_of(arch: str) -> str:
    """`uname -m` of a kernel built for the arch preset (the inverse of arch_of)."""
    return _ARCH_MACHINE[arch.split("-")[0]]


_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_DEBIAN = re.compile(r"\bDebian (\d+)\.(\d+)\.(\d+)")


def version_of_release(release: str, banner: str | None = None) -> str:
    """The version of a kernel, ``vX.Y.Z`` (``vX.Y`` when no sublevel is known), from
    its release string and /proc/version banner: Debian's release ("6.1.0-57-amd64")
    hides the sublevel that its banner names ("Debian 6.1.192-3")."""
    m = _RELEASE.match(release)
    if m is None:
        raise InputError(f"cannot read a kernel version from release {shown(release)}")
    line = f"v{m.group(1)}.{m.group(2)}"
    if line not in PRESETS:
        raise InputError(
            f"kernel {release} ({line}) is not modelled (versions: {', '.join(PRESETS)})"
        )
    for d in _DEBIAN.finditer(banner or ""):  # "Debian 12.2.0-14" is the compiler's
        if (d.group(1), d.group(2)) == (m.group(1), m.group(2)):
            return f"{line}.{d.group(3)}"
    sub = m.group(3)
    # "X.Y.0-N-flavour" (Debian, Ubuntu) carries an ABI number, not the sublevel
    if sub is not None and not (sub == "0" and release[m.end() :].startswith("-")):
        return f"{line}.{sub}"
    return line


def arch_of(machine: str, page_size: int, version: str) -> str:
    """The arch preset of ``uname -m`` and the page size (``version``: a line, vX.Y)."""
    base = _MACHINE_ARCH.get(machine)
    if base is None:
        raise InputError(f"machine {shown(machine)} has no architecture preset")
    name = base
    if base == "arm64" and page_size != 4096:
        name = f"arm64-{page_size // 1024}k"
    if base == "ppc64" and page_size == 4096:
        name = "ppc64-4k"
    if name not in get_preset(version).arches:
        raise InputError(f"no {version} preset for {machine} with {page_size}-byte pages")
    return name


def boot_options(cmdline: str, rules: SlubRules | None = None) -> dict[str, Any]:
    """The slab boot parameters of a kernel command line as the version reads them:
    ``slub_*`` spellings everywhere, ``slab_*`` ones from 6.9 (slab_nomerge in every
    version), slab_merge / slub_merge from 5.13; others are ignored, as the kernel
    ignores them.  Without ``rules``, every spelling is read."""
    out: dict[str, Any] = {}
    for word in cmdline.split():
        key, eq, value = word.partition("=")
        if rules is not None:
            if key.startswith("slab_") and key != "slab_nomerge" and key != "slab_merge":
                if not rules.has_slab_param_names:
                    continue
            if key in ("slab_merge", "slub_merge") and not rules.has_slab_merge_param:
                continue
        key = key.replace("slub_", "slab_")
        if key == "slab_debug":
            out["slub_debug"] = value if eq else ""
        elif key == "slab_nomerge":
            out["slab_nomerge"] = True
        elif key == "slab_merge":
            out["slab_nomerge"] = False
        elif key in _ORDER_PARAMS and eq and rules is not None and rules.has_core_param_options:
            # core_param (7.0): kstrtouint; a value it refuses leaves the default
            parsed = kstrtouint(value)
            if parsed is not None:
                # an unsigned int; the max order is clamped to MAX_PAGE_ORDER anyway
                big = key == "slab_max_order" and parsed >= 1 << 31
                out[_ORDER_PARAMS[key]] = (1 << 31) - 1 if big else parsed
        elif key in _ORDER_PARAMS and eq:  # read as the kernel reads them
            value_int = get_option(value)
            # slab_min_order= and slab_min_objects= land in unsigned ints
            out[_ORDER_PARAMS[key]] = (
                value_int if key == "slab_max_order" else value_int & 0xFFFFFFFF
            )
    return out


_ORDER_PARAMS = {
    "slab_min_order": "slub_min_order",
    "slab_max_order": "slub_max_order",
    "slab_min_objects": "slub_min_objects",
}


def switches_from_config(config: dict[str, str], version: str) -> dict[str, Any]:
    """The KernelConfig switches a kernel .config sets (options it does not mention
    keep the version's defaults)."""
    preset = get_preset(version)
    out: dict[str, Any] = {}
    for switch, option in CONFIG_OPTIONS.items():
        option = preset.kconfig.get(switch, option)
        if switch in preset.switches and option in config:
            out[switch] = config[option] in ("y", "m")
    if "CONFIG_ZONE_DMA" in config:
        out["zone_dma"] = config["CONFIG_ZONE_DMA"] == "y"
    return out


_HEADER = re.compile(r"^# Linux/\S+ (\d+\.\d+)\S* Kernel Configuration$", re.MULTILINE | re.ASCII)


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


def read_config_file(path: str, version: str) -> dict[str, str]:
    """The CONFIG_* options of a kernel .config, plain or gzip-compressed
    (/proc/config.gz), checked against the version they are for: the release in the
    file's header ("# Linux/x86 6.12.117 Kernel Configuration") and its allocator
    (CONFIG_SLAB or CONFIG_SLUB) must be the version's."""
    data = gunzip(read_bytes(path, "kernel .config"), path, "kernel .config")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a kernel .config (not UTF-8 text)") from None
    if "\x00" in text:
        raise InputError(f"{path} is not a kernel .config (it holds NUL bytes)")
    parsed = parse_config(text)
    if not parsed:
        raise InputError(f"{path} holds no CONFIG_ options")
    preset = get_preset(version)
    header = _HEADER.search(text)
    line = preset.name  # the line, vX.Y
    if header is not None and f"v{header.group(1)}" != line:
        raise InputError(
            f"{path} configures Linux {header.group(1)}, not {line} "
            f"(pass --kernel v{header.group(1)} to model it)"
        )
    for allocator in ("SLAB", "SLUB"):
        if parsed.get(f"CONFIG_{allocator}") == "y" and preset.allocator != allocator:
            raise InputError(
                f"{path} builds {allocator}, but {preset.name} is a {preset.allocator} kernel"
            )
    return parsed


def config_from_snapshot(snap: dict[str, Any], version: str | None = None) -> KernelConfig:
    """The KernelConfig of a captured kernel: version and sublevel from the release
    and /proc/version (``version`` overrides them), arch from the machine and page
    size, CPU counts, cache line, CONFIG_* switches (when the configuration was
    readable) and slab boot parameters."""
    kernel = snap.get("kernel") or {}
    if version is None:
        version = version_of_release(kernel.get("release", ""), kernel.get("version"))
    preset = get_preset(version)
    arch = arch_of(kernel.get("machine", ""), int(snap.get("page_size") or 4096), preset.name)
    cpus = snap.get("cpus") or {}
    options: dict[str, Any] = {
        "nr_cpus": cpus.get("nr_possible") or 1,
        "cache_line_size_param": (snap.get("cpuinfo") or {}).get("cache_alignment"),
    }
    if preset.slub is not None:
        if "nr_present_cpus" in preset.options:
            options["nr_present_cpus"] = cpus.get("nr_present")
        options.update(boot_options(kernel.get("cmdline") or "", preset.slub))
    options.update(switches_from_config(snap.get("config") or {}, version))
    return KernelConfig.build(version, arch, **options)
