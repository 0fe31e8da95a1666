"""The ``slabhw`` command: a thin layer of argument parsing and formatting.

Exit status: 0 success; 1 the modelled kernel failed the request (an errno, BUG,
panic, hang or trap, reported in the kernel's words); 2 a mistake in the request
(one line on stderr naming it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from . import __version__, btf, columnar, kconfig, slabinfo, snapshot, whereis
from . import diff as diffmod
from .allocators import allocator_of
from .config import ALL_SWITCHES, KernelConfig
from .crosscheck import crosscheck, format_table
from .errors import InputError, KernelError, SlabError, outcome_name
from .parse import parse_int, parse_size, parse_uint
from .simulate import DEFAULT_MEM, Simulation, format_event, parse_script, source_width
from .slab_common import ignored_gfp
from .sweep import (
    OUTPUT_COLUMNS,
    SLUB_SWEEP,
    iter_csv,
    kind_of,
    sweep,
    terminal_progress,
    to_records,
    write_csv,
)
from .textio import bounded_lines, open_text, output_file, output_path, shown
from .versions import PRESETS, get_preset


def default_nr_cpus() -> int:
    """num_possible_cpus() of the machine running slabhw, as its kernel counts them."""
    try:
        with open("/sys/devices/system/cpu/possible", encoding="ascii") as f:
            total = 0
            for part in f.read().strip().split(","):
                lo, _, hi = part.partition("-")
                total += int(hi or lo) - int(lo) + 1
            return max(total, 1)
    except (OSError, ValueError):
        return os.cpu_count() or 1


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _arches_help() -> str:
    """Each version's architecture presets, versions with the same set grouped."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, preset in PRESETS.items():
        groups.setdefault(tuple(preset.arches), []).append(name)
    return "; ".join(f"{', '.join(v)}: {', '.join(a)}" for a, v in groups.items())


def _uint(what: str, bits: int = 64) -> Any:
    """An argparse type: a number of a C unsigned type of ``bits`` bits."""
    return lambda text: _wrap(parse_uint, text, what, bits)


def _int(what: str, bits: int = 32) -> Any:
    """An argparse type: a number of a C int type of ``bits`` bits."""
    return lambda text: _wrap(parse_int, text, what, bits)


def _size(what: str) -> Any:
    return lambda text: _wrap(parse_size, text, what, 64)


def _wrap(fn: Any, text: str, what: str, bits: int) -> int:
    try:
        return int(fn(text, what, bits=bits))
    except SlabError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _config_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("kernel configuration")
    g.add_argument(
        "--kernel",
        default="v3.16",
        help="kernel version (%(default)s; available: "
        + ", ".join(f"{n} = {p.release}" for n, p in PRESETS.items())
        + "; vX.Y.Z takes the rules of that stable release, e.g. v5.10.30)",
    )
    g.add_argument(
        "--arch",
        default="x86_64",
        help=f"architecture preset (%(default)s; {_arches_help()})",
    )
    g.add_argument(
        "--nr-cpus",
        type=_uint("--nr-cpus", 32),
        default=None,
        help="possible CPUs (nr_cpu_ids); default: this machine's "
        f"possible CPUs ({default_nr_cpus()}); shared arrays need more than 1",
    )
    g.add_argument(
        "--slab-max-order",
        type=_int("--slab-max-order"),
        default=None,
        help="boot option slab_max_order=N (an int): SLAB clamps it to [0, MAX_ORDER-1] "
        "(default: 1 when RAM exceeds 32 MiB, else 0); SLUB stores it unsigned and caps "
        "it at MAX_PAGE_ORDER (default 3, PAGE_ALLOC_COSTLY_ORDER)",
    )
    g.add_argument(
        "--mem",
        type=_size("--mem"),
        default=None,
        help="RAM of the simulated machine (default 4G): the page arena of 'simulate'; "
        "for v3.16 it also decides the default slab_max_order",
    )
    g.add_argument(
        "--cache-line-size",
        type=_uint("--cache-line-size", 31),
        default=None,
        help="run-time cache_line_size() (default: the arch's usual value)",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        help="debugging on: CONFIG_DEBUG_SLAB for SLAB (v3.16); for SLUB (v6.18) the boot "
        "option slab_debug with no value (F, Z, P, U for every cache)",
    )
    g.add_argument(
        "--slab-debug",
        metavar="OPTS",
        default=None,
        help="v6.18: boot option slab_debug=OPTS (e.g. FZPU, or P,dentry,kmalloc-*)",
    )
    g.add_argument(
        "--nr-present-cpus",
        type=_uint("--nr-present-cpus", 32),
        default=None,
        help="v6.18: num_present_cpus() when caches are created (default: --nr-cpus)",
    )
    g.add_argument(
        "--slab-min-order",
        type=_uint("--slab-min-order", 32),
        default=None,
        help="v6.18: boot option slab_min_order=N",
    )
    g.add_argument(
        "--slab-min-objects",
        type=_uint("--slab-min-objects", 32),
        default=None,
        help="v6.18: boot option slab_min_objects=N (0: from the CPU count)",
    )
    g.add_argument(
        "--slab-nomerge", action="store_true", default=None, help="v6.18: boot option slab_nomerge"
    )
    seen: set[str] = set()
    for preset in PRESETS.values():
        for name, (default, text) in preset.switches.items():
            if name == "debug_slab" or name in seen:
                continue
            seen.add(name)
            flag = name.replace("_", "-")
            if default:
                g.add_argument(
                    f"--no-{flag}",
                    dest=name,
                    action="store_false",
                    default=None,
                    help=f"{preset.name}: build without {text}",
                )
            else:
                g.add_argument(
                    f"--{flag}",
                    dest=name,
                    action="store_true",
                    default=None,
                    help=f"{preset.name}: {text}",
                )
    g.add_argument(
        "--kconfig",
        metavar="FILE",
        default=None,
        help="read the CONFIG_* switches from a kernel .config or config.gz "
        "(switch options given on the command line win)",
    )
    g.add_argument(
        "--no-zone-dma",
        action="store_true",
        help="build without CONFIG_ZONE_DMA (no dma-kmalloc caches)",
    )


def _config(args: argparse.Namespace) -> KernelConfig:
    """The KernelConfig the options describe; options of another version are errors."""
    preset = get_preset(args.kernel)
    allocator = allocator_of(preset)
    switches: dict[str, Any] = {}
    if args.kconfig:
        switches.update(
            kconfig.switches_from_config(
                kconfig.read_config_file(args.kconfig, preset.name), preset.name
            )
        )
    for name in ALL_SWITCHES:
        if getattr(args, name, None) is not None:
            switches[name] = getattr(args, name)
    options: dict[str, object] = dict(
        nr_cpus=args.nr_cpus if args.nr_cpus is not None else default_nr_cpus(),
        cache_line_size_param=args.cache_line_size,
        zone_dma=False if args.no_zone_dma else None,
        nr_present_cpus=args.nr_present_cpus,
        slub_min_order=args.slab_min_order,
        slub_min_objects=args.slab_min_objects,
        slab_nomerge=args.slab_nomerge,
        slub_debug=args.slab_debug,
        mem=args.mem,
    )
    zone_dma = switches.pop("zone_dma", None)
    if options["zone_dma"] is None:
        options["zone_dma"] = zone_dma
    options[allocator.max_order_option] = args.slab_max_order
    if args.debug:  # CONFIG_DEBUG_SLAB, or slab_debug with no value
        for name, value in allocator.debug_options.items():
            switches.pop(name, None)
            if options.get(name) is None:
                options[name] = value
    return KernelConfig.build(args.kernel, args.arch, **options, **switches)


def _config_options_defaults() -> argparse.Namespace:
    """The configuration options, each at its default (a grid has no options of its
    own beside its axes: each --config gives them)."""
    parser = _WordsParser(prog="slabhw", add_help=False)
    _config_options(parser)
    return parser.parse_args([])


def _config_with(args: argparse.Namespace, **changes: Any) -> KernelConfig:
    """The configuration the options describe with some replaced (a side of a diff,
    a line of a plot)."""
    return _config(argparse.Namespace(**{**vars(args), **changes}))


_AXES = ("kernel", "arch", "nr_cpus", "slab_debug")  # given as lists by diff and grid


class _WordsParser(_Parser):
    """The configuration options of one string (a grid's --config, a diff's --with):
    a mistake is an InputError naming the option that carried the string."""

    def error(self, message: str) -> Any:
        raise InputError(f"{self.prog}: {message}")


def _option_words(text: str, what: str) -> dict[str, Any]:
    """The configuration options (argparse dest -> value) that ``text`` sets, such as
    '--kfence --slab-max-order 1'; the axes a command lists are not among them."""
    import shlex

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"{what} {shown(text)}: {exc}") from None
    parser = _WordsParser(prog=f"{what} {shown(text)}", add_help=False)
    _config_options(parser)
    base = vars(parser.parse_args([]))
    given = {k: v for k, v in vars(parser.parse_args(words)).items() if v != base[k]}
    for name in _AXES:
        if name in given:
            flag = "--" + name.replace("_", "-")
            raise InputError(f"{what} {shown(text)}: {flag} is a list of the command's own")
    return given


_LABEL = re.compile(r"[A-Za-z0-9_.+-]{1,64}")  # a configuration's name: a path part


def _variants(specs: list[str]) -> dict[str, dict[str, Any]]:
    """--config LABEL=OPTIONS, each given: label -> the options it sets."""
    variants: dict[str, dict[str, Any]] = {}
    for spec in specs:
        label, eq, text = spec.partition("=")
        if not eq or not _LABEL.fullmatch(label):
            raise InputError(
                f"--config {shown(spec)}: LABEL=OPTIONS, the label of letters, digits, "
                "'.', '_', '+' or '-' (at most 64)"
            )
        if label in variants:
            raise InputError(f"--config {label}: the label is given twice")
        variants[label] = _option_words(text, f"--config {label}")
    return variants


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="slabhw",
        description="A bit-accurate model of the Linux slab allocators: what "
        "kmem_cache_create() computes for a size, alignment and flags, on a kernel "
        "version and architecture you are not running.",
        epilog="Exit status: 0 success, 1 the modelled kernel failed the request, "
        "2 bad input.  Every command takes --json.",
    )
    parser.add_argument("--version", action="version", version=f"slabhw {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    common = _Parser(add_help=False)
    _config_options(common)
    common.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser(
        "create",
        parents=[common],
        help="kmem_cache_create(): descriptor, slab picture, slabinfo line",
        description="Create one cache on a freshly booted simulated kernel "
        "and show every field of its struct kmem_cache, a picture of one "
        "slab and its /proc/slabinfo line.",
    )
    p.add_argument("name", help="cache name")
    p.add_argument("size", type=_uint("size"), help="object size in bytes")
    p.add_argument(
        "--align", type=_uint("--align"), default=0, help="requested alignment (default 0)"
    )
    p.add_argument(
        "--flags",
        default="0",
        help="SLAB_* flags: a number (decimal or 0x-hex) or names joined by | "
        "such as SLAB_HWCACHE_ALIGN|SLAB_PANIC",
    )
    p.add_argument("--ctor", action="store_true", help="the cache has a constructor")
    p.add_argument(
        "--colour",
        type=_uint("--colour", 32),
        default=None,
        help="SLAB: colour index of the slab to draw (default 0)",
    )
    p.add_argument(
        "--svg",
        metavar="FILE",
        default=None,
        help="also draw the slab and one object's slot as an SVG picture",
    )
    p.add_argument(
        "--freeptr-offset",
        type=_uint("--freeptr-offset"),
        default=None,
        help="v6.18: kmem_cache_args.freeptr_offset (SLAB_TYPESAFE_BY_RCU caches)",
    )
    p.add_argument(
        "--sheaf-capacity",
        type=_uint("--sheaf-capacity"),
        default=None,
        help="v6.18: kmem_cache_args.sheaf_capacity",
    )
    p.add_argument(
        "--usersize",
        type=_uint("--usersize"),
        default=None,
        help="v6.18: usercopy window size (blocks merging)",
    )
    p.add_argument(
        "--useroffset",
        type=_uint("--useroffset"),
        default=None,
        help="v6.18: usercopy window offset",
    )

    p = sub.add_parser(
        "kmalloc",
        parents=[common],
        help="the kmalloc cache that serves a size, and its geometry",
        description="Which cache kmalloc(SIZE) uses (kmalloc_slab) and that cache's geometry.",
    )
    p.add_argument("size", type=_uint("size"), help="requested bytes")
    p.add_argument("--dma", action="store_true", help="GFP_DMA: use the dma-kmalloc caches")
    p.add_argument(
        "--gfp",
        choices=["reclaimable", "account", "dma"],
        default=None,
        help="SLUB versions: __GFP_RECLAIMABLE / __GFP_ACCOUNT / GFP_DMA: the kmalloc type",
    )
    p.add_argument(
        "--caller",
        type=_uint("--caller"),
        default=None,
        help="v6.6 and later with --random-kmalloc-caches: the call site address that "
        "picks the kmalloc-rnd-NN copy",
    )

    p = sub.add_parser(
        "whereis",
        parents=[common],
        help="where objects of a type (or a size) land: their own cache, and kmalloc's",
        description="Where objects of TYPE (a struct or union, sized by BTF) or of SIZE bytes "
        "land on the modelled kernel: the cache KMEM_CACHE(TYPE, --flags) creates or merges "
        "into (among the boot and kmalloc caches the model boots), and the kmalloc cache of "
        "each GFP type with its geometry.  A type's size comes from --btf, else from the "
        "running kernel's /sys/kernel/btf/vmlinux when --kernel is its line.",
    )
    p.add_argument("what", help="a type (cred, 'struct cred', 'union bpf_attr') or a size")
    p.add_argument(
        "--btf",
        default=None,
        help="the kernel's BTF: /sys/kernel/btf/vmlinux, a vmlinux, or a vmlinuz/Image",
    )
    p.add_argument("--flags", default="0", help="KMEM_CACHE's flags (names joined by |)")
    p.add_argument(
        "--align",
        type=_uint("--align"),
        default=None,
        help="the alignment (default: the type's natural one; BTF records no __aligned)",
    )
    p.add_argument("--ctor", action="store_true", help="the cache has a constructor")
    p.add_argument(
        "--usercopy",
        metavar="OFFSET,SIZE",
        default=None,
        help="KMEM_CACHE_USERCOPY's region (a cache with one is never merged)",
    )
    p.add_argument(
        "--via",
        choices=("both", "cache", "kmalloc"),
        default="both",
        help="the type's own cache, kmalloc, or both (default)",
    )
    p.add_argument(
        "--flex",
        type=_uint("--flex"),
        default=0,
        help="elements of the type's flexible array tail (struct_size)",
    )
    p.add_argument(
        "--gfp",
        choices=["kernel", "reclaimable", "account", "dma"],
        action="append",
        default=None,
        help="only these kmalloc types (repeatable; default: every type the version has)",
    )
    p.add_argument(
        "--caller",
        type=_uint("--caller"),
        default=None,
        help="the kmalloc call site (picks the kmalloc-rnd-NN copy)",
    )
    p.add_argument(
        "--snapshot",
        default=None,
        metavar="FILE|live",
        help="also show where a real kernel keeps the cache (a 'slabhw snapshot' file, or "
        "'live' for the running kernel), and model that kernel: its version and "
        "configuration replace the options above",
    )

    sub.add_parser(
        "slabinfo",
        parents=[common],
        help="/proc/slabinfo of the simulated kernel after boot",
        description="/proc/slabinfo exactly as the simulated kernel prints it "
        "after boot.  Object and slab counts are those of the simulation: "
        "zero until objects are allocated.",
    )

    p = sub.add_parser(
        "sysfs",
        parents=[common],
        help="/sys/kernel/slab of the simulated kernel after boot (SLUB kernels)",
        description="The /sys/kernel/slab directories (a unique :id for mergeable caches), "
        "their attributes and alias links, as the simulated kernel shows them after boot.  "
        "--write DIR lays them out as files under DIR/sys/kernel/slab (with DIR/proc/slabinfo) "
        "so that 'slabhw snapshot --root DIR' reads them back.",
    )
    p.add_argument("--write", metavar="DIR", default=None, help="write the tree under DIR")

    p = sub.add_parser(
        "snapshot",
        help="capture the running kernel's slab state into one JSON file",
        description="Every /sys/kernel/slab entry and link, /proc/slabinfo, the kernel "
        "release, page size, CPU counts, cache line, command line and configuration (when "
        "readable) of the running kernel, as one JSON file.  Run as root: most sysfs "
        "attributes and /proc/slabinfo are readable by root only.",
    )
    p.add_argument(
        "--output",
        default="-",
        help="output file (default -, stdout); a name ending in .gz is gzip-compressed",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="with --output FILE: also print a JSON summary (file, release, machine, counts, "
        "notes) on stdout; the snapshot itself is JSON already",
    )
    p.add_argument(
        "--root",
        default="/",
        help="read /sys, /proc and /boot under this directory (default /); e.g. a "
        "tree from 'slabhw sysfs --write'",
    )

    p = sub.add_parser(
        "crosscheck",
        help="the model against a real kernel: every cache and merge, predicted vs seen",
        description="Rebuild every cache of the running kernel (or of a snapshot) from its "
        "creation inputs and compare each predicted attribute with /sys/kernel/slab and "
        "/proc/slabinfo: layout and tunables, own name or unique :id, alias counts, "
        "slabinfo rows, and the merge target of each alias link whose creation inputs the "
        "catalogue knows (sized by the kernel's BTF: --btf, or the running kernel's when no "
        "snapshot is given).  Inputs sysfs does not show come from slabhw's catalogue.  "
        "Prints mismatches first and a summary line; exit status 0 only when everything "
        "matches (1 otherwise).",
    )
    p.add_argument(
        "--btf",
        default=None,
        help="the kernel's BTF (a vmlinux, vmlinuz/Image or raw BTF) for the struct sizes "
        "of merged caches",
    )
    p.add_argument(
        "--snapshot",
        default=None,
        help="a file from 'slabhw snapshot' (default: capture the running kernel)",
    )
    p.add_argument(
        "--kernel",
        default=None,
        help="the version to model it as, vX.Y or vX.Y.Z (default: read from the kernel's "
        "/proc/version, e.g. Debian's banner 'Debian 6.1.192-3')",
    )
    p.add_argument("--brief", action="store_true", help="print only mismatches and the summary")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    sub.add_parser(
        "config",
        parents=[common],
        help="the configuration's derived constants",
        description="The constants the kernel derives for this configuration "
        "(KMALLOC_MIN_SIZE, OFF_SLAB_MIN_SIZE, CACHE_CREATE_MASK, ...).",
    )

    p = sub.add_parser(
        "sweep",
        parents=[common],
        help="kmem_cache_create numbers for every row of a CSV",
        description="Batch mode.  SLUB kernels (v6.18) take a freeptr_offset column too "
        f"(empty: none) and print {', '.join(SLUB_SWEEP.output_columns)}.  "
        "Input columns: object_size (required), align "
        "(default 0), flags (default 0; a number in the kernel's encoding, decimal or "
        "0x-hex, or names joined by |), ctor (0/1).  Output: one row per input row, "
        f"in order: {', '.join(OUTPUT_COLUMNS)}.  error is 0 on success, "
        "else the errno name the kernel returns (E2BIG, EINVAL, ...), BUG where it "
        "hits BUG_ON, HANG where it never returns, DIVIDE_ERROR where it traps on a "
        "division by zero; computed columns are empty on error rows.  --json writes "
        "a list of objects instead of CSV.",
    )
    p.add_argument(
        "--input",
        default="-",
        help="input file (default -, stdin): CSV, or Parquet by its .parquet/.pq extension",
    )
    p.add_argument(
        "--output",
        default="-",
        help="output file (default -, stdout): CSV, or Parquet by its .parquet/.pq extension",
    )
    p.add_argument(
        "--input-format", choices=("csv", "parquet"), default=None, help="override the extension"
    )
    p.add_argument(
        "--format", choices=("csv", "parquet"), default=None, help="output format (override)"
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (one is drawn only when stderr is a terminal)",
    )

    p = sub.add_parser(
        "simulate",
        parents=[common],
        help="run a script of allocations and frees on the simulated kernel",
        description="Boot the simulated kernel over a page arena of --mem bytes and run "
        "SCRIPT (a file, or - for stdin): one operation per line, such as "
        "'create CACHE SIZE', 'a = alloc CACHE cpu=1', 'free a', 'b = kmalloc 100', "
        "'kfree b', 'write a+8 deadbeef', 'dump a', 'info a', 'map CACHE', 'validate CACHE', "
        "'slabinfo'.  Prints each line's result (addresses in hex), the views asked for "
        "and the kernel's messages; --json gives a list of events and the final per-cache "
        "counts.  The README documents every operation.",
        epilog="Exit status: 0 the script ran; 1 the modelled kernel died (BUG, hang, trap); "
        "2 a mistake in the script (its line is named).",
    )
    p.add_argument("script", help="the script file, or - for standard input")
    p.add_argument(
        "--seed",
        type=_uint("--seed"),
        default=None,
        help="SLUB: seed of the random values (s->random, freelist shuffles); default 0",
    )
    p.add_argument(
        "--init-on-alloc", action="store_true", help="v6.18: boot option init_on_alloc=1"
    )
    p.add_argument("--init-on-free", action="store_true", help="v6.18: boot option init_on_free=1")

    # its own copy of the shared options: "resolve" rewrites the actions it replaces,
    # and the actions of a parent are shared by every subcommand built from it
    diff_common = _Parser(add_help=False)
    _config_options(diff_common)
    diff_common.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser(
        "grid",
        help="sweeps over lists of kernels, arches, CPU counts, slab_debug and "
        "configurations, on Dask",
        description="Every combination of --kernel, --arch, --nr-cpus, --slab-debug "
        "(comma lists) and --config, over --sizes x --align x --flags, as one Parquet "
        "dataset under --output, partitioned by kernel, arch and configuration "
        "(kernel=v6.1/arch=x86_64/config=default/*.parquet; the sweep's columns plus "
        "nr_cpus and slab_debug).  Runs on a local Dask cluster of --workers processes "
        "(default: the machine's cores) or on --scheduler ADDRESS "
        "(pip install 'slabhw[grid]').",
        epilog="Example: slabhw grid --kernel v6.1,v6.12 --arch x86_64,arm64 --nr-cpus 2,64 "
        "--sizes 1:4096 --align 0,64 --flags 0,SLAB_HWCACHE_ALIGN --config default= "
        "--config kfence='--kfence --random-kmalloc-caches' --output DIR",
    )
    p.add_argument(
        "--config",
        action="append",
        default=None,
        metavar="LABEL=OPTIONS",
        help="a configuration of the grid: a label (its partition, config=LABEL) and the "
        "configuration options create takes, as one string (config switches such as "
        "--kfence, boot options such as --slab-max-order 1 or --slab-nomerge, --kconfig "
        "FILE); repeat for more (default: one, 'default', with none)",
    )
    p.add_argument("--kernel", default="v6.18", help="versions, comma-separated")
    p.add_argument("--arch", default="x86_64", help="architectures, comma-separated")
    p.add_argument("--nr-cpus", default="2", help="CPU counts, comma-separated")
    p.add_argument(
        "--slab-debug", default="off", help="slab_debug= values, comma-separated ('off': none)"
    )
    p.add_argument("--sizes", default="1:4096", help="object sizes LO:HI[:STEP] (1:4096)")
    p.add_argument("--align", default="0", help="alignments, comma-separated")
    p.add_argument("--flags", default="0", help="flag sets, comma-separated (A|B within one)")
    p.add_argument("--output", required=True, help="the dataset's directory (new or empty)")
    p.add_argument("--workers", type=_uint("--workers", 16), default=None, help="local workers")
    p.add_argument("--scheduler", default=None, help="a dask.distributed scheduler address")
    p.add_argument("--json", action="store_true", help="a JSON summary")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    plot_common = _Parser(add_help=False)
    _config_options(plot_common)
    p = sub.add_parser(
        "plot",
        parents=[plot_common],
        conflict_handler="resolve",
        help="a picture of objects per slab, waste and order against object size",
        description="Draw, for one or more kernels, architectures or CPU counts (comma "
        "lists; every combination is a line), objects per slab, the waste of one slab "
        "and the page order of the cache kmem_cache_create makes for each object size "
        "of --sizes, to a PNG or SVG file (matplotlib: pip install 'slabhw[plot]').",
        epilog="Example: slabhw plot --kernel v6.1,v6.12 --arch x86_64 --sizes 1:8192 "
        "--output waste.png",
    )
    p.add_argument("--kernel", default="v3.16", help="versions, comma-separated")
    p.add_argument("--arch", default="x86_64", help="architectures, comma-separated")
    p.add_argument("--nr-cpus", default=None, help="CPU counts, comma-separated")
    p.add_argument("--sizes", default="1:8192", help="object sizes LO:HI[:STEP] (1:8192)")
    p.add_argument("--align", type=_uint("--align", 32), default=0, help="requested alignment")
    p.add_argument("--flags", default="0", help="SLAB_* flags of the caches (names)")
    p.add_argument(
        "--config",
        action="append",
        default=None,
        metavar="LABEL=OPTIONS",
        help="a line per configuration: a label (in the legend) and configuration "
        "options as one string, e.g. --config max0='--slab-max-order 0'; repeat for more",
    )
    p.add_argument("--title", default="", help="the picture's title")
    p.add_argument("--output", required=True, help="the picture: FILE.png or FILE.svg")
    p.add_argument("--json", action="store_true", help="say what was drawn, as JSON")

    p = sub.add_parser(
        "diff",
        parents=[diff_common],
        conflict_handler="resolve",
        help="two kernels or configurations side by side over a size range",
        description="Compare two kernels (or two configurations of one) over every object "
        "size of --sizes: the cache kmem_cache_create would make of each size (slab "
        "size, objects per slab, order, outcome) and the kmalloc cache that serves it, "
        "as the ranges of sizes where they differ, and the boot caches each has.  Give "
        "--kernel, --arch, --nr-cpus, --slab-debug or --with twice (a then b); the other "
        "options apply to both.",
        epilog="Example: slabhw diff --kernel v6.1 --kernel v6.12 --arch x86_64 "
        "--sizes 1:16384.  Exit status 0 whether or not they differ.",
    )
    for name, kind, what in (
        ("--kernel", str, "kernel version"),
        ("--arch", str, "architecture preset"),
        ("--nr-cpus", _uint("--nr-cpus", 32), "possible CPUs"),
        ("--slab-debug", str, "boot option slab_debug= (SLUB; 'off': not given)"),
    ):
        p.add_argument(
            name, type=kind, action="append", default=None, help=f"{what} of a, then of b"
        )
    p.add_argument(
        "--sizes",
        default="1:8192",
        help="object sizes LO:HI[:STEP], inclusive (default 1:8192)",
    )
    p.add_argument("--align", type=_uint("--align", 32), default=0, help="requested alignment")
    p.add_argument("--flags", default="0", help="SLAB_* flags of the created caches (names)")
    p.add_argument(
        "--with",
        dest="with_options",
        action="append",
        default=None,
        metavar="OPTIONS",
        help="configuration options of a, then of b, as one string: config switches "
        "(--kfence, --random-kmalloc-caches, --kconfig FILE) or boot options "
        "(--slab-max-order 1, --slab-nomerge); '' for none",
    )
    p.add_argument(
        "--limit", type=_uint("--limit", 32), default=40, help="ranges shown per table (40)"
    )
    return parser


# ---- formatting --------------------------------------------------------------------
def _emit(data: Any, as_json: bool, text: str, out: IO[str]) -> None:
    if as_json:
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        out.write(text if text.endswith("\n") else text + "\n")


# ---- commands ---------------------------------------------------------------------
def _kernel_failure(name: str, log: list[str], as_json: bool, out: IO[str]) -> int:
    if as_json:
        json.dump({"error": name, "log": log}, out, indent=2)
        out.write("\n")
    else:
        for line in log:
            out.write(line + "\n")
        out.write(f"error: {name}\n")
    return 1


def cmd_create(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    allocator = allocator_of(cfg)
    kernel = allocator.boot(cfg)
    ctor = (lambda obj: None) if args.ctor else None
    try:
        cache = kernel.kmem_cache_create(
            args.name,
            args.size,
            args.align,
            args.flags,
            ctor,
            useroffset=args.useroffset or 0,
            usersize=args.usersize or 0,
            freeptr_offset=args.freeptr_offset,
            sheaf_capacity=args.sheaf_capacity or 0,
        )
    except KernelError as exc:
        log = kernel.log if exc.message in kernel.log else kernel.log + [exc.message]
        return _kernel_failure(exc.errno_name, log, args.json, out)
    if cache is None:
        return _kernel_failure(outcome_name(kernel.errno), kernel.log, args.json, out)
    request = (
        f"kmem_cache_create({args.name!r}, {args.size}, {args.align}, "
        f"{cfg.flags.format(cfg.flags.parse(args.flags))}, "
        f"{'ctor' if args.ctor else 'NULL'})"
    )
    data, text = allocator.views.create_view(kernel, cache, args.name, request, args.colour)
    if args.svg:
        from . import slab_svg

        picture = slab_svg.render(
            data, f"{request} on Linux {cfg.version} {cfg.arch.name}", cfg.arch.page_size
        )
        with output_file(args.svg, out) as f:
            f.write(picture + "\n")
    _emit(data, args.json, text, out)
    return 0


def cmd_kmalloc(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    allocator = allocator_of(cfg)
    kernel = allocator.boot(cfg)
    gfp = "dma" if args.dma else (args.gfp or "")
    choice = kernel.kmalloc_slab(args.size, gfp, args.caller)
    data, text, status = allocator.views.kmalloc_view(kernel, args.size, gfp, choice)
    note = ignored_gfp(cfg, gfp)
    if note:
        data["note"] = note
        text += f"\nnote: {note}"
    _emit(data, args.json, text, out)
    return status


def cmd_whereis(args: argparse.Namespace, out: IO[str]) -> int:
    snap = None
    if args.snapshot == "live":
        snap = snapshot.capture("/")
    elif args.snapshot:
        snap = snapshot.load(args.snapshot)
    cfg = kconfig.config_from_snapshot(snap) if snap is not None else _config(args)
    what = whereis.subject(args.what, cfg.version, args.btf, args.flex, args.align)
    kernel = allocator_of(cfg).boot(cfg)
    gfps = None if args.gfp is None else tuple("" if g == "kernel" else g for g in args.gfp)
    usercopy = None
    if args.usercopy is not None:
        offset, sep, size = args.usercopy.partition(",")
        if not sep:
            raise InputError(f"--usercopy {args.usercopy!r} is not OFFSET,SIZE")
        usercopy = (
            parse_uint(offset, "--usercopy offset", bits=32),
            parse_uint(size, "--usercopy size", bits=32),
        )
    data = whereis.place(
        kernel,
        what,
        flags=args.flags,
        ctor=args.ctor,
        caller=args.caller,
        gfps=gfps,
        usercopy=usercopy,
        via=args.via,
    )
    if snap is not None:
        whereis.compare(data, snap)
    _emit(data, args.json, whereis.render(data), out)
    return 0


def cmd_slabinfo(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    if not cfg.has_proc_slabinfo:
        raise InputError(
            f"this {cfg.version} kernel has no /proc/slabinfo: SLUB shows it only with "
            "CONFIG_SLUB_DEBUG (which CONFIG_SLUB_TINY turns off)"
        )
    text = allocator_of(cfg).boot(cfg).slabinfo()
    rows = [r.__dict__ for r in slabinfo.parse(text)]
    if args.json:
        _emit(rows, True, "", out)
    else:
        out.write(text)
    return 0


def cmd_config(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    data = cfg.describe()
    text = "\n".join(f"{k:<22} {v}" for k, v in data.items())
    _emit(data, args.json, text, out)
    return 0


_PARQUET = (".parquet", ".pq")


def _format_of(path: str, given: str | None) -> str:
    """csv or parquet: as given, else by the file's extension (- is CSV)."""
    if given:
        return given
    return "parquet" if path.lower().endswith(_PARQUET) else "csv"


def cmd_sweep(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    kind = kind_of(cfg)
    in_format = _format_of(args.input, args.input_format)
    out_format = "json" if args.json else _format_of(args.output, args.format)
    if (in_format, args.input) == ("parquet", "-") or (out_format, args.output) == ("parquet", "-"):
        raise InputError("Parquet needs a file (--input FILE / --output FILE), not -")
    progress = None if args.no_progress else terminal_progress()
    with contextlib.ExitStack() as stack:
        if in_format == "parquet":
            chunks = columnar.iter_parquet(args.input, cfg)
        elif args.input != "-":  # a file: pyarrow parses it (falling back to slabhw's reader)
            chunks = columnar.iter_csv_file(args.input, cfg)
        else:
            chunks = iter_csv(stack.enter_context(open_text(args.input)), cfg)
        if out_format == "parquet":
            target = stack.enter_context(output_path(args.output))
            parquet = columnar.ParquetSink(target)
            for columns in chunks:
                result = sweep(*columns, config=cfg)
                parquet.write(result)
                if progress:
                    progress(parquet.rows, 0)
            parquet.close(sweep(np.zeros(0, np.uint64), config=cfg))
            if progress:
                progress(parquet.rows, parquet.rows)  # the end: the bar closes
            return 0
        sink = stack.enter_context(output_file(args.output, out))
        arrow_csv = columnar.has_arrow()  # pyarrow writes the rows when it is installed
        rows = 0
        # a chunk is read and checked before its results are written: a mistake in
        # the first chunk's rows leaves no output at all
        for n, columns in enumerate(chunks):
            result = sweep(*columns, config=cfg)
            if n == 0:
                sink.write("[" if args.json else ",".join(kind.output_columns) + "\n")
            if args.json:
                for record in to_records(result, kind):
                    sink.write((", " if rows else "") + json.dumps(record))
                    rows += 1
            else:
                if arrow_csv:
                    sink.write(columnar.csv_text(result))
                else:
                    write_csv(sink, result, kind, header=False)
                rows += len(result)
            if progress:
                progress(rows, 0)
        sink.write("]\n" if args.json else "")
    if progress:
        progress(rows, rows)  # the end: the bar closes
    return 0


def cmd_sysfs(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    if cfg.preset.allocator == "SLUB" and not cfg.has_slab_sysfs:
        raise InputError(
            f"this {cfg.version} kernel has no /sys/kernel/slab: CONFIG_SLUB_TINY "
            "leaves out SLAB_SUPPORTS_SYSFS"
        )
    kernel = allocator_of(cfg).boot(cfg)
    tree = kernel.sysfs()
    if args.write:
        snapshot.write_tree(args.write, cfg, tree, kernel.slabinfo())
    if args.json:
        _emit(tree, True, "", out)
    elif not args.write:
        for directory, entry in tree["caches"].items():
            attrs = entry["attributes"]
            out.write(
                f"{directory}/  slab_size={attrs['slab_size']} order={attrs['order']} "
                f"objs_per_slab={attrs['objs_per_slab']} aliases={attrs['aliases']}\n"
            )
        for link, target in tree["aliases"].items():
            out.write(f"{link} -> {target}\n")
    return 0


def cmd_snapshot(args: argparse.Namespace, out: IO[str]) -> int:
    snap = snapshot.capture(args.root)
    if args.output == "-":
        out.write(snapshot.dumps(snap))
    else:
        snapshot.save(snap, args.output)
        if args.json:
            summary = {
                "output": args.output,
                "release": snap["kernel"]["release"],
                "machine": snap["kernel"]["machine"],
                "caches": len(snap["caches"]),
                "aliases": len(snap["aliases"]),
                "slabinfo": snap["slabinfo"] is not None,
                "config_source": snap["config_source"],
                "notes": snap["notes"],
            }
            _emit(summary, True, "", out)
    notes = snap.get("notes") or []
    for note in notes:
        sys.stderr.write(f"slabhw snapshot: note: {note}\n")
    return 0


def cmd_crosscheck(args: argparse.Namespace, out: IO[str]) -> int:
    snap = snapshot.load(args.snapshot) if args.snapshot else snapshot.capture("/")
    btf_path = args.btf
    if btf_path is None and not args.snapshot and btf.RUNNING.exists():
        btf_path = str(btf.RUNNING)  # the running kernel describes itself
    report = crosscheck(snap, args.kernel, btf.load(btf_path) if btf_path else None)
    if args.json:
        _emit(report.as_json(), True, "", out)
    else:
        text = format_table(report)
        if args.brief:
            lines = text.splitlines()
            text = (
                "\n".join(
                    [lines[0]] + [x for x in lines[1:-1] if x.endswith("MISMATCH")] + [lines[-1]]
                )
                + "\n"
            )
        out.write(text)
    return 0 if report.ok else 1


def cmd_simulate(args: argparse.Namespace, out: IO[str]) -> int:
    cfg = _config(args)
    with open_text(args.script) as f:
        ops = parse_script(bounded_lines(f, "script"))
    sim = Simulation(
        cfg,
        mem=args.mem if args.mem is not None else DEFAULT_MEM,
        seed=args.seed,
        init_on_alloc=args.init_on_alloc,
        init_on_free=args.init_on_free,
    )
    failure: SlabError | None = None
    # events are written as each line runs (a long script stays in bounded memory)
    if args.json:
        head = {"config": cfg.describe(), "mem": sim.arena.memory.size, "seed": args.seed or 0}
        out.write(json.dumps(head, indent=2)[:-2] + ',\n  "events": [')
        first = [True]

        def emit(ev: Any) -> None:
            out.write(("\n    " if first[0] else ",\n    ") + json.dumps(ev.as_json()))
            first[0] = False

    else:
        width = source_width(ops)

        def emit(ev: Any) -> None:
            out.write(format_event(ev, width) + "\n")

    try:
        sim.run(ops, emit)
    except SlabError as exc:  # the events so far are already written
        failure = exc
    if args.json:
        tail: dict[str, Any] = {"caches": sim.final_counts()}
        if failure is not None:
            tail["error"] = str(failure)
        rest = json.dumps(tail, indent=2)[1:]  # '\n  "caches": ...\n}'
        out.write(("\n  ]," if not first[0] else "],") + rest + "\n")
    if failure is not None:
        raise failure
    return 0


def cmd_diff(args: argparse.Namespace, out: IO[str]) -> int:
    sizes = diffmod.parse_sizes(args.sizes)
    sides = []
    for i in (0, 1):
        side: dict[str, Any] = {}
        for name in (*_AXES, "with_options"):
            values = getattr(args, name)
            flag = "--with" if name == "with_options" else "--" + name.replace("_", "-")
            if values is not None and len(values) > 2:
                raise InputError(f"{flag} given {len(values)} times: once or twice")
            default = {"kernel": "v3.16", "arch": "x86_64"}.get(name)
            value = values[min(i, len(values) - 1)] if values else default
            if name == "slab_debug" and value == "off":  # this side boots without it
                value = None
            if name == "with_options":
                side.update(_option_words(value or "", "--with"))
            else:
                side[name] = value
        sides.append(_config_with(args, **side))
    a, b = sides
    if a == b:
        raise InputError(
            "both sides are the same configuration: give --kernel, --arch, "
            "--nr-cpus, --slab-debug or --with twice"
        )
    computed = []
    for cfg in sides:
        flags = cfg.flags.parse(args.flags) if args.flags.strip() else 0
        computed.append(diffmod.compute(cfg, sizes, args.align, flags))
    data = diffmod.diff(computed[0], computed[1], sizes)
    _emit(data, args.json, diffmod.render(data, a, b, args.limit), out)
    return 0


def cmd_grid(args: argparse.Namespace, out: IO[str]) -> int:
    from . import grid

    if args.workers is not None and args.scheduler:
        raise InputError("--workers and --scheduler: one or the other")
    if args.workers == 0:
        raise InputError("--workers must be at least 1")
    sizes = diffmod.size_range(args.sizes)
    cpus = [parse_uint(n, "--nr-cpus", bits=32) for n in args.nr_cpus.split(",")]
    debugs = [None if d == "off" else d for d in args.slab_debug.split(",")]
    aligns = [parse_uint(a, "--align", bits=32) for a in args.align.split(",")]
    flags = ["" if f.strip() == "0" else f for f in args.flags.split(",")]
    kernels = [k.strip() for k in args.kernel.split(",")]
    arches = [a.strip() for a in args.arch.split(",")]
    variants = _variants(args.config or ["default="])

    def configure(point: grid.Point) -> KernelConfig:
        base = argparse.Namespace(**vars(_config_options_defaults()))
        axes = dict(kernel=point.kernel, arch=point.arch, nr_cpus=point.nr_cpus)
        return _config_with(base, **axes, slab_debug=point.slab_debug, **variants[point.label])

    points = grid.points(kernels, arches, cpus, debugs, list(variants), flags, configure)
    progress = None if args.no_progress else terminal_progress()
    rows = grid.run(
        points,
        sizes,
        aligns,
        flags,
        args.output,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=progress,
    )
    if progress:
        progress(rows, rows)
    summary = {
        "output": args.output,
        "rows": rows,
        "configurations": len(points),
        "partitioned_by": ["kernel", "arch", "config"],
    }
    _emit(
        summary, args.json, f"{rows} rows from {len(points)} configurations in {args.output}", out
    )
    return 0


def cmd_plot(args: argparse.Namespace, out: IO[str]) -> int:
    from . import plot

    sizes = diffmod.parse_sizes(args.sizes)
    cpus = args.nr_cpus.split(",") if args.nr_cpus else [None]
    variants = _variants(args.config) if args.config else {"": {}}
    lines = []
    for kernel in args.kernel.split(","):
        for arch in args.arch.split(","):
            for nr in cpus:
                for label, options in variants.items():
                    cfg = _config_with(
                        args,
                        kernel=kernel.strip(),
                        arch=arch.strip(),
                        nr_cpus=None if nr is None else parse_uint(nr, "--nr-cpus", bits=32),
                        **options,
                    )
                    lines.append((f"{plot.label(cfg)} {label}".rstrip(), cfg))
    if len(lines) > 24:
        raise InputError(f"{len(lines)} lines in one picture: at most 24")
    plot.draw(plot.series(lines, sizes, args.align, args.flags), args.output, args.title)
    if args.json:
        _emit({"output": args.output, "lines": [name for name, _ in lines]}, True, "", out)
    return 0


COMMANDS = {
    "create": cmd_create,
    "kmalloc": cmd_kmalloc,
    "slabinfo": cmd_slabinfo,
    "config": cmd_config,
    "sweep": cmd_sweep,
    "snapshot": cmd_snapshot,
    "whereis": cmd_whereis,
    "sysfs": cmd_sysfs,
    "crosscheck": cmd_crosscheck,
    "simulate": cmd_simulate,
    "diff": cmd_diff,
    "plot": cmd_plot,
    "grid": cmd_grid,
}


def _joined_option_strings(argv: Sequence[str]) -> list[str]:
    """``--with '--kfence'`` as ``--with=--kfence``: argparse would take a value that
    starts with '-' for an option of its own."""
    out: list[str] = []
    words = iter(argv)
    for word in words:
        if word in ("--with", "--config"):
            value = next(words, None)
            out.append(word if value is None else f"{word}={value}")
        else:
            out.append(word)
    return out


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_joined_option_strings(sys.argv[1:] if argv is None else argv))
    sink = out or sys.stdout
    try:
        status = COMMANDS[args.command](args, sink)
        sink.flush()  # a full disk shows here, not at exit
        return status
    except KernelError as exc:  # e.g. a boot cache panics under this configuration
        sys.stderr.write(f"slabhw {args.command}: the modelled kernel failed: {exc}\n")
        return 1
    except SlabError as exc:
        sys.stderr.write(f"slabhw {args.command}: error: {exc}\n")
        return 2
    except BrokenPipeError:  # e.g. piping into head: the reader has what it wanted
        _drop_stdout()
        return 0
    except OSError as exc:  # writing the output failed: a full disk, a closed file
        _drop_stdout()
        sys.stderr.write(
            f"slabhw {args.command}: error: cannot write the output: {exc.strerror or exc}\n"
        )
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"slabhw {args.command}: interrupted\n")
        return 130


def _drop_stdout() -> None:
    """Point standard output at /dev/null so that the interpreter's own flush at exit
    does not fail a second time (with a message of its own)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
