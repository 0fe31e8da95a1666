"""/proc/slabinfo as Linux 3.16 SLAB prints it, and a parser for it.

Formats from mm/slab_common.c (print_slabinfo_header, cache_show) and mm/slab.c
(get_slabinfo, slabinfo_show_stats), v3.16.  Object and slab counts come from the
simulation's per-cache ``stats`` (all zero until objects are allocated).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .slab import KmemCache
from .textio import shown

HEADER_V2_1 = "slabinfo - version: 2.1"
COLUMNS = (
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
    " : tunables <limit> <batchcount> <sharedfactor>"
    " : slabdata <active_slabs> <num_slabs> <sharedavail>"
)
DEBUG_COLUMNS = (
    " : globalstat <listallocs> <maxobjs> <grown> <reaped> "
    "<error> <maxfreeable> <nodeallocs> <remotefrees> <alienoverflow>"
    " : cpustat <allochit> <allocmiss> <freehit> <freemiss>"
)
_GLOBALSTAT = (
    "num_allocations",
    "high_mark",
    "grown",
    "reaped",
    "errors",
    "max_freeable",
    "node_allocs",
    "node_frees",
    "node_overflow",
)
_CPUSTAT = ("allochit", "allocmiss", "freehit", "freemiss")


def header(debug: bool) -> str:
    """print_slabinfo_header(): two lines, the second wider with CONFIG_DEBUG_SLAB."""
    if debug:
        return f"{HEADER_V2_1} (statistics)\n{COLUMNS}{DEBUG_COLUMNS}\n"
    return f"{HEADER_V2_1}\n{COLUMNS}\n"


def row(
    name: str,
    active_objs: int,
    num_objs: int,
    objsize: int,
    objperslab: int,
    pagesperslab: int,
    tunables: tuple[int, int, int] = (0, 0, 0),
    slabdata: tuple[int, int, int] = (0, 0, 0),
) -> str:
    """The common part of one line: cache_show()'s printf formats (mm/slab_common.c,
    the same in 3.16 and 6.18), without the newline."""
    line = "%-17s %6d %6d %6d %4d %4d" % (
        name,
        active_objs,
        num_objs,
        objsize,
        objperslab,
        pagesperslab,
    )
    line += " : tunables %4d %4d %4d" % tunables
    return line + " : slabdata %6d %6d %6d" % slabdata


def cache_line(s: KmemCache, debug: bool) -> str:
    """cache_show() for one SLAB 3.16 cache."""
    st = s.stats
    line = row(
        s.name,
        st.get("active_objs", 0),
        st.get("num_objs", 0),
        s.size,
        s.num,
        1 << s.gfporder,
        (s.limit, s.batchcount, s.shared),
        (st.get("active_slabs", 0), st.get("num_slabs", 0), st.get("shared_avail", 0)),
    )
    if debug:
        line += " : globalstat %7d %6d %5d %4d %4d %4d %4d %4d %4d" % tuple(
            st.get(k, 0) for k in _GLOBALSTAT
        )
        line += " : cpustat %6d %6d %6d %6d" % tuple(st.get(k, 0) for k in _CPUSTAT)
    return line + "\n"


def render(caches: list[KmemCache], debug: bool) -> str:
    """The whole file: header, then one line per cache in slab_caches order."""
    return header(debug) + "".join(cache_line(s, debug) for s in caches)


@dataclass(frozen=True)
class SlabinfoRow:
    name: str
    active_objs: int
    num_objs: int
    objsize: int
    objperslab: int
    pagesperslab: int
    limit: int
    batchcount: int
    sharedfactor: int
    active_slabs: int
    num_slabs: int
    sharedavail: int


def parse(text: str) -> list[SlabinfoRow]:
    """Parse /proc/slabinfo version 2.1 (SLAB or SLUB); statistics columns are ignored."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADER_V2_1):
        raise InputError("not a /proc/slabinfo 2.1 file (first line differs)")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(":")
        try:
            head = parts[0].split()
            tun = parts[1].split()
            dat = parts[2].split()
            if tun[0] != "tunables" or dat[0] != "slabdata" or len(head) < 6:
                raise ValueError
            name = " ".join(head[:-5])
            nums = (
                [int(v) for v in head[-5:]]
                + [int(v) for v in tun[1:4]]
                + [int(v) for v in dat[1:4]]
            )
        except (IndexError, ValueError):
            raise InputError(f"slabinfo line {n} is malformed: {shown(line)}") from None
        rows.append(SlabinfoRow(name, *nums))
    return rows
