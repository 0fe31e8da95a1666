"""The model against a real kernel: rebuild every cache from its creation inputs and
compare what slabhw predicts with /sys/kernel/slab and /proc/slabinfo.

Inputs per cache come from what sysfs shows (object_size, flag attributes, ctor,
usersize, and the creator's name from /proc/slabinfo) and from slabhw.catalogue for
what it does not show.  Fields whose value is also an input (``align`` of a cache
whose requested alignment is unknown) are reported as inputs, not as checks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from types import SimpleNamespace
from typing import Any

from . import _core, btf
from . import catalogue as cat
from .config import KernelConfig
from .creation import NATURAL, Creation
from .errors import InputError
from .kconfig import config_from_snapshot
from .reference_slub import SlubArgs, SlubLayout, SlubParams, calculate_alignment
from .slab_common import slab_unmergeable, unique_id
from .slabinfo import parse as parse_slabinfo
from .slub import FLAG_ATTRIBUTES, SlubKernel

ATTRIBUTE_FLAGS = dict(FLAG_ATTRIBUTES)  # sysfs attribute -> flag
BOOT_ORDER = "boot caches"  # the check of the boot and kmalloc caches' slabinfo order
LAYOUT_FIELDS = (
    ("slab_size", "size"),
    ("objs_per_slab", "objects"),
    ("order", "order"),
    ("min_partial", "min_partial"),
    ("cpu_partial", "cpu_partial"),
    ("sheaf_capacity", "sheaf_capacity"),
    ("align", "align"),
)


@dataclass(frozen=True)
class Check:
    cache: str
    field: str
    predicted: Any
    seen: Any
    input: bool = False  # the seen value was used as an input: not a check

    @property
    def ok(self) -> bool:
        return bool(self.predicted == self.seen)


@dataclass
class Report:
    config: KernelConfig
    checks: list[Check]
    merge_links: int = 0  # the alias links of /sys/kernel/slab: names merged into a cache
    unpredicted: dict[str, str] = dataclass_field(default_factory=dict)  # link -> why not predicted

    @property
    def counted(self) -> list[Check]:
        return [c for c in self.checks if not c.input]

    @property
    def caches(self) -> set[str]:
        """The cache directories checked (not the merge predictions or BOOT_ORDER)."""
        return {
            c.cache
            for c in self.checks
            if not c.cache.startswith("merge ") and c.cache != BOOT_ORDER
        }

    @property
    def mismatches(self) -> list[Check]:
        return [c for c in self.counted if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def merge_checks(self) -> list[Check]:
        """The merge targets predicted (find_mergeable for aliases of known inputs)."""
        return [c for c in self.checks if c.cache.startswith("merge ")]

    def summary(self) -> str:
        counted = self.counted
        caches = len(self.caches)
        merges = len(self.merge_checks)
        good = sum(c.ok for c in counted)
        return (
            f"{good}/{len(counted)} checks match ({caches} caches, {merges} merge "
            f"predictions for {self.merge_links} alias links, "
            f"{len(self.checks) - len(counted)} inputs not counted): "
            f"{'OK' if self.ok else 'MISMATCH'}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "config": self.config.describe(),
            "ok": self.ok,
            "summary": self.summary(),
            "merges_total": self.merge_links,
            "merges_predicted": len(self.merge_checks),
            "merges_matched": sum(c.ok for c in self.merge_checks),
            "merges_unpredicted": self.unpredicted,
            "checks": [dict(asdict(c), ok=c.ok) for c in self.checks],
        }


def _rebuild(
    cfg: KernelConfig, p: SlubParams, creator: str, dirname: str, a: dict[str, str]
) -> tuple[SlubLayout, bool, bool]:
    """A cache the model did not boot, rebuilt from its sysfs attributes and the
    catalogue: (layout, unmergeable, whether its requested alignment is known)."""
    f = cfg.flags
    object_size, seen_align = int(a["object_size"]), int(a["align"])
    entry_cat = cat.lookup(cfg.version, creator)
    flags = f.mask(fl for attr, fl in ATTRIBUTE_FLAGS.items() if a.get(attr) == "1")
    if entry_cat:
        flags |= f.mask(entry_cat.flags)
    if dirname.startswith(":"):  # SLAB_ACCOUNT / DMA32 show only as letters of the id
        letters = dirname[1:].split("-")[0] if "-" in dirname else ""
        flags |= f.get("SLAB_ACCOUNT") if "A" in letters else 0
        flags |= f.get("SLAB_CACHE_DMA32") if "D" in letters else 0
    ctor = int(a.get("ctor", "") != "")
    usersize = int(a.get("usersize", "0") or 0)
    align_known = True
    if entry_cat and entry_cat.align is not None:
        req_align = entry_cat.align
    elif flags & f["SLAB_HWCACHE_ALIGN"]:
        req_align = 0  # HWCACHE_ALIGN callers pass no alignment of their own
    else:
        req_align, align_known = seen_align, False
    args = SlubArgs(
        object_size,
        align=req_align,
        flags=flags,
        ctor=ctor,
        usersize=usersize,
        sheaf_capacity=entry_cat.sheaf_capacity if entry_cat else 0,
        use_freeptr_offset=int(bool(entry_cat and entry_cat.freeptr_offset is not None)),
        freeptr_offset=(entry_cat.freeptr_offset or 0) if entry_cat else 0,
        debug_flags=cfg.slub_debug_parsed.flags_for(creator) if p.slub_debug else -1,
    )
    r = _core.slub_create(p, args)
    candidate = SimpleNamespace(
        flags=r.flags,
        size=r.size,
        usersize=r.usersize,
        sheaf_capacity=r.sheaf_capacity,
        ctor=ctor or None,
        refcount=-1 if entry_cat and entry_cat.boot else 1,
    )
    return r, slab_unmergeable(cfg, candidate), align_known


def crosscheck(
    snap: dict[str, Any], kernel: str | None = None, btf_index: btf.Btf | None = None
) -> Report:
    """Predict every cache of a snapshot (slabhw.snapshot) and compare.

    The version comes from the snapshot's /proc/version (``kernel``, such as
    "v6.1.192", overrides it).  The boot and kmalloc caches are those of the
    simulated kernel of that version, booted with the snapshot's configuration; the
    other caches are rebuilt from what sysfs shows and the catalogue."""
    cfg = config_from_snapshot(snap, kernel)
    if cfg.preset.allocator != "SLUB":
        raise InputError("only SLUB kernels have /sys/kernel/slab to cross-check")
    p = cfg.slub_params()
    f = cfg.flags
    caches: dict[str, Any] = snap.get("caches") or {}
    aliases: dict[str, str] = snap.get("aliases") or {}
    if not caches:
        raise InputError("the snapshot holds no /sys/kernel/slab caches")
    model = SlubKernel(cfg)
    booted = {s.name: s for s in model.slab_caches}
    links = Counter(aliases.values())
    real_rows = parse_slabinfo(snap["slabinfo"]) if snap.get("slabinfo") else []
    rows = {r.name: r for r in real_rows}
    checks: list[Check] = []
    if real_rows:  # the boot caches are the oldest: the last rows, in the model's order
        order = [s.name for s in model.slab_caches]
        seen = [r.name for r in real_rows[-len(order) :]]
        checks.append(Check(BOOT_ORDER, "slabinfo order", order, seen))
    for dirname, entry in sorted(caches.items()):
        a = entry.get("attributes") or {}
        try:
            object_size = int(a["object_size"])
            int(a["align"])
        except (KeyError, ValueError):
            raise InputError(f"cache {dirname} lacks object_size/align in the snapshot") from None
        is_id = dirname.startswith(":")
        # the creator's name: the directory, or the slabinfo row among the id's links
        creator = dirname
        if is_id:
            members = [n for n, t in aliases.items() if t == dirname]
            named = [n for n in members if n in rows]
            creator = named[0] if len(named) == 1 else dirname
        align_known = True
        if creator in booted:  # a boot or kmalloc cache: the model booted it
            s = booted[creator]
            r = s.layout
            unmergeable = model.unmergeable(s)
        else:
            r, unmergeable, align_known = _rebuild(cfg, p, creator, dirname, a)
        if r.error:
            checks.append(Check(dirname, "created", "error " + str(r.error), "created"))
            continue
        for attr, field in LAYOUT_FIELDS:
            if attr in a:
                checks.append(
                    Check(
                        dirname,
                        attr,
                        getattr(r, field),
                        int(a[attr]),
                        input=attr == "align" and not align_known,
                    )
                )
        if a.get("object_size") and creator in booted:
            checks.append(Check(dirname, "object_size", r.object_size, object_size))
        # merging: mergeable caches live under a unique id, the others under their name
        predicted_dir = creator if unmergeable else unique_id(r.flags, r.size, f)
        checks.append(Check(dirname, "sysfs name", predicted_dir, dirname))
        # aliases = refcount - 1: every name that asked for it except the creator
        if "aliases" in a:
            checks.append(Check(dirname, "aliases", max(links[dirname] - 1, 0), int(a["aliases"])))
        row = rows.get(creator)
        if rows:
            checks.append(Check(dirname, "slabinfo row", creator, row.name if row else None))
        if row:
            checks.append(Check(dirname, "slabinfo objsize", r.size, row.objsize))
            checks.append(Check(dirname, "slabinfo objperslab", r.objects, row.objperslab))
            checks.append(Check(dirname, "slabinfo pagesperslab", 1 << r.order, row.pagesperslab))
            checks.append(
                Check(
                    dirname,
                    "slabinfo tunables",
                    (0, 0, 0),
                    (row.limit, row.batchcount, row.sharedfactor),
                )
            )
    merge_checks, missed = _merge_predictions(cfg, snap, btf_index)
    checks.extend(merge_checks)
    checks.sort(key=lambda c: (c.ok or c.input, c.cache, c.field))
    return Report(cfg, checks, merge_links=len(aliases), unpredicted=missed)


def merge_targets(
    cfg: KernelConfig, creations: dict[str, Creation | None], btf_index: btf.Btf | None
) -> dict[str, tuple[str | None, str]]:
    """find_mergeable()'s target for each creation call: (the unique id of the cache of
    the same SLAB_MERGE_SAME flags and the request's slab size, ''), or (None, why it
    cannot be predicted).  find_mergeable takes a slab size at least the request and
    less than a word more; with both multiples of the word, the request itself."""
    p = cfg.slub_params()
    constants = _target_constants(cfg)
    word = cfg.bytes_per_word
    out: dict[str, tuple[str | None, str]] = {}
    for name, c in creations.items():
        why = _unpredictable(c, btf_index)
        if why:
            out[name] = None, why
            continue
        assert c is not None
        natural = None
        try:
            if c.size is not None:
                size = c.size
            elif c.size_expr:
                size = constants[c.size_expr]
            else:
                assert btf_index is not None and c.struct
                info = btf_index.struct(c.struct)
                size, natural = info.size, info.align
                if c.elem:
                    size += c.count * btf_index.struct(c.elem).size
        except InputError as exc:
            out[name] = None, str(exc)
            continue
        if c.align == NATURAL:
            align = natural
        else:
            align = constants.get(c.align_expr) if c.align_expr else c.align
        if align is None:
            out[name] = None, f"alignment {c.align_expr or '__alignof__'!r} is not known here"
            continue
        flags = cfg.flags.mask(c.flags)
        final = calculate_alignment(p, flags, align, size) or word
        request = (size + word - 1) & ~(word - 1)
        request = (request + final - 1) & ~(final - 1)
        out[name] = unique_id(flags, request, cfg.flags), ""
    return out


def _merge_predictions(
    cfg: KernelConfig, snap: dict[str, Any], btf_index: btf.Btf | None
) -> tuple[list[Check], dict[str, str]]:
    """merge_targets() of each alias link, by the inputs the catalogue knows for it
    (catalogue.CREATIONS, sizes from BTF).  Returns the checks and, for each link not
    predicted, why."""
    aliases: dict[str, str] = snap.get("aliases") or {}
    creations = cat.creations_for(cfg.preset)
    targets = merge_targets(cfg, {n: creations.get(n) for n in sorted(aliases)}, btf_index)
    checks: list[Check] = []
    missed: dict[str, str] = {}
    for name, (predicted, why) in targets.items():
        if predicted is None:
            missed[name] = why
        else:
            checks.append(Check(f"merge {name}", "target", predicted, aliases[name]))
    return checks, missed


def _unpredictable(c: Creation | None, btf_index: btf.Btf | None) -> str:
    """Why a link's merge cannot be predicted from the catalogue's side ('' when it
    may be: BTF lookups can still fail)."""
    if c is None:
        return "no creation inputs in the catalogue"
    if c.runtime:
        return f"a size the catalogue does not compute ({c.runtime})"
    if c.ctor or c.usersize or c.args:
        return "inputs the catalogue does not model (ctor, usercopy or kmem_cache_args)"
    if c.size is None and not c.size_expr and btf_index is None:
        return f"sizeof(struct {c.struct}) needs the kernel's BTF (--btf)"
    return ""


def _target_constants(cfg: KernelConfig) -> dict[str, int]:
    """The constants of the target that creation calls pass as sizes or alignments."""
    return {
        "SMP_CACHE_BYTES": cfg.arch.l1_cache_bytes,
        "PAGE_SIZE": cfg.page_size,
        "sizeof(unsigned long) * 4": 4 * cfg.bytes_per_word,
    }


def format_table(report: Report) -> str:
    """Mismatches first, then every check; inputs marked; a summary line last."""
    lines = [f"{'cache':<28} {'field':<22} {'predicted':>14} {'seen':>14}  result"]
    for c in report.checks:
        result = "input" if c.input else ("ok" if c.ok else "MISMATCH")
        lines.append(
            f"{c.cache:<28} {c.field:<22} {str(c.predicted):>14} {str(c.seen):>14}  {result}"
        )
    lines.append(report.summary())
    return "\n".join(lines) + "\n"
