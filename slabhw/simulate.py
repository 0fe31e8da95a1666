"""``slabhw simulate``: run a script of allocator operations on a simulated kernel.

A script holds one operation per line; ``#`` starts a comment.  Operations that
return an address may store it in a variable (``name = ...``), which later lines
use as a *target*: ``name``, ``name[i]`` (an element of a bulk allocation),
``name+16`` / ``name-8`` (a byte offset), or a literal address ``0xffff...``::

    create CACHE SIZE [align=N] [flags=F|G] [ctor[=HEX]] [usersize=N] [useroffset=N]
           [freeptr_offset=N]              kmem_cache_create (ctor=HEX: the
                                           constructor writes HEX at the object)
    [V =] alloc CACHE [cpu=N] [caller=A] [size=N]
                                           kmem_cache_alloc (size: kmalloc_trace's
                                           request, kept as orig_size)
    free TARGET [cpu=N] [caller=A] [cache=CACHE]
                                           kmem_cache_free (cache: the variable's)
    [V =] kmalloc SIZE [cpu=N] [gfp=dma|reclaimable|account] [caller=A]
    kfree TARGET [cpu=N] [caller=A]
    [V =] alloc_bulk CACHE COUNT [cpu=N]   kmem_cache_alloc_bulk (SLUB versions)
    free_bulk V [cpu=N]                    kmem_cache_free_bulk (SLUB versions)
    write TARGET HEX                       store bytes (stage a corruption)
    fill TARGET LEN BYTE                   store LEN copies of BYTE (hex: 41 or 0x41)
    repeat N ... end                       the lines between, N times; {i} is the
                                           repetition's index (a{i} = alloc c)
    dump TARGET [LEN | slab]               hexdump: the object (or LEN bytes,
                                           or the whole slab)
    info TARGET                            which cache, slab, object; allocated?
    map CACHE                              used/free map of every slab
    validate CACHE                         echo 1 > /sys/kernel/slab/CACHE/validate
                                           (SLAB: the model's checks)
    check CACHE                            the model's read-only consistency checks
    shrink CACHE                           kmem_cache_shrink
    destroy CACHE [caller=A]               kmem_cache_destroy
    slabinfo                               /proc/slabinfo with live counts
    sysfs CACHE                            /sys/kernel/slab/CACHE counts (SLUB)

The kernel and its run time come from slabhw.allocators (SLAB for 3.16, SLUB for
the other versions); :class:`Simulation` maps each script verb onto the verbs every
allocator has (slabhw.allocators.AllocatorKernel and Runtime).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .allocators import allocator_of
from .arena import PageArena
from .config import KernelConfig
from .errors import InputError, KernelError, SlabError
from .parse import parse_size, parse_uint
from .textio import shown

DEFAULT_MEM = 4 << 30  # the arena: 4 GiB (lazily zeroed, so cheap)
MAX_DUMP = 4 << 20  # the largest dump: 256 Ki lines of text
_HEX_BYTE = re.compile(r"[0-9a-fA-F]{1,2}", re.ASCII)

_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TARGET = re.compile(
    r"(?P<base>0[xX][0-9a-fA-F]{1,16}|[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\[(?P<index>[0-9]{1,18})\])?"
    r"(?:(?P<sign>[+-])(?P<off>0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20}))?"
)

# verb -> (positional arguments, keyword options, may assign)
GRAMMAR: dict[str, tuple[tuple[str, ...], frozenset[str], bool]] = {
    "create": (
        ("cache", "size"),
        frozenset({"align", "flags", "ctor", "usersize", "useroffset", "freeptr_offset"}),
        False,
    ),
    "alloc": (("cache",), frozenset({"cpu", "caller", "size"}), True),
    "free": (("target",), frozenset({"cpu", "caller", "cache"}), False),
    "kmalloc": (("size",), frozenset({"cpu", "gfp", "caller"}), True),
    "kfree": (("target",), frozenset({"cpu", "caller"}), False),
    "kfree_rcu": (("target",), frozenset({"cpu"}), False),
    "rcu_barrier": ((), frozenset(), False),
    "alloc_bulk": (("cache", "count"), frozenset({"cpu", "caller"}), True),
    "free_bulk": (("var",), frozenset({"cpu", "caller"}), False),
    "write": (("target", "hex"), frozenset(), False),
    "store": (("target", "value"), frozenset(), False),
    "fill": (("target", "length", "byte"), frozenset(), False),
    "dump": (("target", "length?"), frozenset(), False),
    "info": (("target",), frozenset(), False),
    "map": (("cache",), frozenset(), False),
    "validate": (("cache",), frozenset(), False),
    "check": (("cache",), frozenset(), False),
    "shrink": (("cache",), frozenset(), False),
    "destroy": (("cache",), frozenset({"caller"}), False),
    "slabinfo": ((), frozenset(), False),
    "sysfs": (("cache",), frozenset(), False),
    "sheaves": (("cache",), frozenset(), False),
}
_FLAG_WORDS = {"ctor"}  # options that may stand alone


@dataclass(slots=True)
class Op:
    """One parsed script line (not changed by running it: a repeat shares its parts)."""

    line: int
    source: str
    verb: str
    args: list[str]
    options: dict[str, str]
    assign: str | None = None
    # which args (by position) and options (by key) hold "{i}", found on first use
    varying: tuple[tuple[int, ...], tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    def at(self, index: str) -> Op:
        """This line with ``{i}`` replaced by a repeat's index."""
        varying = self.varying
        if varying is None:
            varying = self.varying = (
                tuple(k for k, a in enumerate(self.args) if "{i}" in a),
                tuple(k for k, v in self.options.items() if "{i}" in v),
            )
        args, options = self.args, self.options
        if varying[0]:
            args = list(args)
            for k in varying[0]:
                args[k] = args[k].replace("{i}", index)
        if varying[1]:
            options = dict(options)
            for key in varying[1]:
                options[key] = options[key].replace("{i}", index)
        assign = self.assign
        return Op(
            self.line,
            self.source.replace("{i}", index),
            self.verb,
            args,
            options,
            None if assign is None else assign.replace("{i}", index),
            varying,
        )


@dataclass(slots=True)
class Event:
    """What one operation did: its result text, any views, and the kernel's messages
    (the lines as tuples: a long run keeps its events without a list each to track)."""

    op: Op
    result: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    view: tuple[str, ...] = ()
    log: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"line": self.op.line, "op": self.op.verb, "source": self.op.source}
        if self.op.assign:
            d["var"] = self.op.assign
        d.update(self.data)
        if self.view:
            d["view"] = list(self.view)
        if self.log:
            d["log"] = list(self.log)
        return d


def _err(op: Op, message: str) -> InputError:
    return InputError(f"script line {op.line}: {message}")


# a word: runs of plain characters, '...' (literal), "..." (backslash escapes) and \x
_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""", re.S)
_PART = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.S)
_BLANKS = re.compile(r"[ \t\r\n]+")  # shlex's whitespace
_DQ_ESCAPE = re.compile(r"""\\([\\"])""")


def _unquote(part: re.Match[str]) -> str:
    if part.group(1) is not None:
        return part.group(1)
    if part.group(2) is not None:
        return _DQ_ESCAPE.sub(r"\1", part.group(2))
    return part.group(3)


def split_words(text: str, number: int) -> list[str]:
    """A line's words as a POSIX shell splits them (shlex.split's rules: quotes and
    backslashes), in time linear in the line's length (shlex is quadratic)."""
    if "'" not in text and '"' not in text and "\\" not in text:
        # no quoting: the shell's rules split on its blanks alone
        return [w for w in _BLANKS.split(text) if w]
    words = []
    pos = 0
    for m in _WORD.finditer(text):
        if text[pos : m.start()].strip():
            break
        words.append(_PART.sub(_unquote, m.group()))
        pos = m.end()
    if text[pos:].strip():
        raise InputError(f"script line {number}: no closing quotation")
    return words


MAX_OPS = 1_000_000  # operations in one script, repeats expanded


@dataclass
class Repeat:
    """``repeat COUNT`` ... ``end``: the body run COUNT times."""

    line: int
    count: int
    body: list[Op | Repeat]

    def size(self) -> int:
        return self.count * sum(1 if isinstance(x, Op) else x.size() for x in self.body)


class Script:
    """A parsed script: its lines, with each repeat kept as one block and expanded
    only as it runs (a spray of a million operations is a few parsed lines, not a
    million of them in memory).  Iterating gives the operations in order, ``{i}``
    replaced by the innermost repeat's index; it may be iterated more than once."""

    def __init__(self, items: list[Op | Repeat]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Op]:
        return _expand(self.items, None)

    def __len__(self) -> int:
        return sum(1 if isinstance(x, Op) else x.size() for x in self.items)

    def source_width(self) -> int:
        """source_width() of the expanded operations, from the lines as written."""
        return min(_widest(self.items, 0), 40)


def _expand(items: list[Op | Repeat], index: str | None) -> Iterator[Op]:
    for item in items:
        if isinstance(item, Repeat):
            if all(isinstance(x, Op) for x in item.body):  # the usual block: one loop
                plan = [(op, "{i}" in op.source) for op in item.body if isinstance(op, Op)]
                for i in range(item.count):
                    at = str(i)
                    for op, varies in plan:
                        yield op.at(at) if varies else op
            else:
                for i in range(item.count):
                    yield from _expand(item.body, str(i))
        elif index is not None and "{i}" in item.source:
            yield item.at(index)
        else:
            yield item  # ops are not changed by runs: the same line each time


def _check_names(
    items: list[Op | Repeat], index: str | None, caches: set[str], variables: set[str]
) -> None:
    """Simulation.check_names over a script's lines, each repetition's names
    spelled out (but no repetition's operation built)."""
    for item in items:
        if not isinstance(item, Repeat):
            _check_op(item, _names_of(item), index, caches, variables)
        elif all(isinstance(x, Op) for x in item.body):  # the usual block: one loop
            plan = [(op, _names_of(op)) for op in item.body if isinstance(op, Op)]
            for i in range(item.count):
                at = str(i)
                for op, names in plan:
                    _check_op(op, names, at, caches, variables)
        else:
            for i in range(item.count):
                _check_names(item.body, str(i), caches, variables)


_Names = tuple[list[tuple[str, str]], str | None, str | None]


def _names_of(op: Op) -> _Names:
    """The names a line uses (kind, text), the cache it creates, the variable it sets."""
    uses = list(zip(GRAMMAR[op.verb][0], op.args))
    if "cache" in op.options:
        uses.append(("cache", op.options["cache"]))
    return uses, op.args[0] if op.verb == "create" else None, op.assign


def _check_op(
    op: Op, names: _Names, index: str | None, caches: set[str], variables: set[str]
) -> None:
    uses, created, assign = names
    if index is not None and "{i}" in op.source:
        uses = [(kind, text.replace("{i}", index)) for kind, text in uses]
        created = created and created.replace("{i}", index)
        assign = assign and assign.replace("{i}", index)
    for kind, text in uses:
        if kind == "cache":
            if op.verb != "create" and text not in caches:
                raise _err(op, f"no cache {shown(text)} (create it first, or name a kmalloc cache)")
            continue
        if text in variables or kind not in ("target", "value", "var"):
            continue
        if kind in ("target", "value"):
            m = _TARGET.fullmatch(text)
            if m is None or m["base"][:2].lower() == "0x" or m["base"] in variables:
                continue  # a literal address, an error _target words, or a set variable
            text = m["base"]
        raise _err(op, f"no variable {shown(text)} (no earlier line sets it)")
    if created:
        caches.add(created)
    if assign:
        variables.add(assign)


def _widest(items: list[Op | Repeat], digits: int) -> int:
    """The longest line once each ``{i}`` holds ``digits`` digits."""
    widths = [0]
    for item in items:
        if isinstance(item, Repeat):
            if item.count:
                widths.append(_widest(item.body, len(str(item.count - 1))))
        elif digits:
            widths.append(len(item.source) + item.source.count("{i}") * (digits - 3))
        else:
            widths.append(len(item.source))
    return max(widths)


def parse_script(lines: Iterable[str]) -> Script:
    """Parse every line first, so a typo stops the script before anything runs.

    ``repeat N`` ... ``end`` runs the lines between N times, ``{i}`` in them standing
    for the repetition's index (0 .. N-1; in nested repeats, the innermost's): a
    heap spray is ``repeat 1000`` / ``a{i} = alloc c`` / ``end``.  Each line is parsed
    once; the script may hold at most MAX_OPS operations once expanded."""
    top: list[Op | Repeat] = []
    open_blocks: list[Repeat] = []
    total = 0  # operations of the script so far, expanded
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        words = split_words(text, number)
        here = open_blocks[-1].body if open_blocks else top
        if words and words[0] == "repeat":
            if len(words) != 2:
                raise InputError(f"script line {number}: usage: repeat N")
            try:
                count = parse_uint(words[1], "repeat count", maximum=MAX_OPS)
            except InputError as exc:
                raise InputError(f"script line {number}: {exc}") from None
            block = Repeat(number, count, [])
            here.append(block)
            open_blocks.append(block)
            continue
        if words == ["end"]:
            if not open_blocks:
                raise InputError(f"script line {number}: end without repeat")
            block = open_blocks.pop()
            if not open_blocks:
                total += block.size()
            if total > MAX_OPS or (open_blocks and block.size() > MAX_OPS):
                raise InputError(
                    f"script line {block.line}: the script would run more than {MAX_OPS} operations"
                )
            continue
        here.append(_parse_op(number, text, words))
        if not open_blocks:
            total += 1
            if total > MAX_OPS:
                raise InputError(
                    f"script line {number}: the script would run more than {MAX_OPS} operations"
                )
    if open_blocks:
        raise InputError(f"script line {open_blocks[-1].line}: repeat without end")
    return Script(top)


def _parse_op(number: int, text: str, words: list[str]) -> Op:
    """One operation line (``{i}`` allowed where a repeat will fill it in)."""
    assign = None
    if len(words) >= 2 and words[1] == "=":
        assign, words = words[0], words[2:]
    elif "=" in words[0] and not words[0].endswith("="):
        name, _, rest = words[0].partition("=")
        assign, words = name, ([rest] if rest else []) + words[1:]
    op = Op(number, text, words[0] if words else "", [], {}, assign)
    if op.verb not in GRAMMAR:
        raise _err(op, f"unknown operation {shown(op.verb)} (one of: {', '.join(GRAMMAR)})")
    positional, allowed, may_assign = GRAMMAR[op.verb]
    if assign is not None and (not may_assign or not _VAR.fullmatch(assign.replace("{i}", "0"))):
        raise _err(
            op,
            f"{op.verb} gives no value to assign"
            if not may_assign
            else f"{shown(assign)} is not a variable name",
        )
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if eq and key in allowed:
            op.options[key] = value
        elif key in allowed and key in _FLAG_WORDS:
            op.options[key] = ""
        elif eq and _VAR.fullmatch(key):
            raise _err(op, f"{op.verb} takes no option {shown(key)}")
        else:
            op.args.append(word)
    need = [p for p in positional if not p.endswith("?")]
    if not len(need) <= len(op.args) <= len(positional):
        usage = " ".join(p.upper().rstrip("?") for p in positional)
        raise _err(op, f"usage: {op.verb} {usage}".rstrip())
    return op


class Simulation:
    """A booted kernel, its page arena and its run-time allocator, driven by ops."""

    def __init__(
        self,
        config: KernelConfig,
        *,
        mem: int = DEFAULT_MEM,
        seed: int | None = None,
        init_on_alloc: bool = False,
        init_on_free: bool = False,
    ) -> None:
        self.config = config
        allocator = allocator_of(config)
        self.kernel = allocator.boot(config)
        arch = config.arch
        if mem % arch.page_size or mem < arch.page_size << arch.max_page_order:
            raise InputError(
                f"--mem {mem} must be a multiple of the {arch.page_size}-byte page and hold "
                f"at least one order-{arch.max_page_order} block "
                f"({arch.page_size << arch.max_page_order} bytes)"
            )
        try:
            self.arena = PageArena(
                mem, arch, page_offset=config.page_offset, max_order=arch.max_page_order
            )
        except (MemoryError, ValueError):  # numpy: cannot allocate / array too big
            raise InputError(
                f"--mem {mem >> 20} MiB: this machine cannot hold a page arena that large "
                f"(its memory and {mem // arch.page_size} struct pages); use a smaller --mem"
            ) from None
        self.runtime = allocator.start(
            self.kernel, self.arena, config.nr_cpus, seed, init_on_alloc, init_on_free
        )
        self.caches: dict[str, Any] = {}  # script name -> KmemCache | SlubCache
        self.vars: dict[str, int | list[int]] = {}
        self.var_cache: dict[str, Any] = {}  # variable -> the cache it came from
        self.events: list[Event] = []
        self.word_hex = arch.word_bits // 4
        self._hex_format = f"0x{{:0{self.word_hex}x}}".format  # an address as the kernel's %px

    # ---- helpers -------------------------------------------------------------------
    def hex(self, addr: int) -> str:
        return self._hex_format(addr)

    def _cache(self, op: Op, name: str) -> Any:
        cache = self.caches.get(name)
        if cache is None:
            for c in self._all_caches():
                if c.name == name:
                    return c
            raise _err(op, f"no cache {shown(name)} (create it first, or name a kmalloc cache)")
        return cache

    def check_names(self, ops: Iterable[Op]) -> None:
        """Every cache and variable a line names is made by an earlier line (or is a
        cache of the booted kernel), so such a mistake stops the script before
        anything runs."""
        caches = {c.name for c in self._all_caches()} | set(self.caches)
        items: list[Op | Repeat] = ops.items if isinstance(ops, Script) else list(ops)
        _check_names(items, None, caches, set(self.vars))

    def _all_caches(self) -> list[Any]:
        return list(self.kernel.slab_caches)

    def _cpu(self, op: Op) -> int:
        text = op.options.get("cpu")
        cpu = 0 if text is None else self._uint(op, text, "cpu")
        if cpu >= self.config.nr_cpus:
            raise _err(op, f"cpu {cpu} is not online (0..{self.config.nr_cpus - 1})")
        return cpu

    @classmethod
    def _caller(cls, op: Op) -> int:
        text = op.options.get("caller")
        return 0 if text is None else cls._uint(op, text, "caller")

    @staticmethod
    def _uint(op: Op, text: str, what: str) -> int:
        try:
            return parse_uint(text, what)
        except InputError as exc:
            raise _err(op, str(exc)) from None

    def _target(self, op: Op, text: str) -> tuple[int, str | None]:
        """The address a target names, and the variable it came from."""
        plain = self.vars.get(text)
        if isinstance(plain, int) and plain:  # a plain variable: the common case
            return plain, text
        m = _TARGET.fullmatch(text)
        if m is None:
            raise _err(op, f"{shown(text)} is not a target (VAR, VAR[i], VAR+N or 0xADDRESS)")
        base, var = m["base"], None
        if base[:2].lower() == "0x":
            value: int | list[int] = int(base, 16)
        else:
            if base not in self.vars:
                raise _err(op, f"no variable {shown(base)}")
            var, value = base, self.vars[base]
        if isinstance(value, list):
            if m["index"] is None:
                raise _err(op, f"{base} holds {len(value)} objects: say {base}[i]")
            i = int(m["index"])
            if i >= len(value):
                raise _err(op, f"{base}[{i}]: {base} holds {len(value)} objects")
            value = value[i]
        elif m["index"] is not None:
            raise _err(op, f"{base} is one address, not a list")
        if m["off"]:
            off = int(m["off"], 0)
            value += off if m["sign"] == "+" else -off
            value &= (1 << 64) - 1  # pointer arithmetic wraps
        if not value:
            raise _err(op, f"{text} is NULL")
        return value, var

    # ---- running ---------------------------------------------------------------------
    def run(self, ops: Iterable[Op], emit: Callable[[Event], None] | None = None) -> list[Event]:
        """Run ops in order.  A user mistake raises InputError naming the line; a
        kernel that dies (BUG, hang, trap) raises its KernelError after the event
        that caused it is recorded.  Each event goes to ``emit`` as soon as its
        line has run (and is not kept: a long script runs in bounded memory), else
        into ``self.events``."""
        ops = ops if isinstance(ops, Script) else list(ops)  # iterated twice
        self.check_names(ops)
        handlers = {verb: getattr(self, "op_" + verb) for verb in GRAMMAR}
        runtime = self.runtime
        keep = self.events.append if emit is None else emit
        log = self.kernel.log  # the run time writes here too: one dmesg
        for op in ops:
            before = len(log)
            ev = Event(op)
            errors = runtime.slab_errors
            try:
                handlers[op.verb](op, ev)
            except KernelError as exc:
                ev.result = f"the kernel died: {exc}"
                ev.data["error"] = exc.errno_name
                self._finish(ev, log, before, errors)
                keep(ev)
                raise
            except SlabError as exc:
                msg = str(exc)
                raise exc if msg.startswith("script line") else _err(op, msg) from None
            if len(log) != before or runtime.slab_errors != errors:
                self._finish(ev, log, before, errors)
            keep(ev)
        return self.events

    def _finish(self, ev: Event, log: list[str], before: int, errors: int) -> None:
        """The kernel's messages the line caused, and the errors it counted."""
        if len(log) != before:  # a report is one entry of several lines
            ev.log += tuple(line for entry in log[before:] for line in entry.split("\n"))
        counted = self.runtime.slab_errors - errors
        if counted:  # what the kernel's SLUB KUnit suite counts (slab_errors)
            ev.data["slab_errors"] = counted
            ev.result += f" [slab_errors +{counted}]"

    def _set(self, op: Op, value: int | list[int] | None, cache: Any) -> None:
        if op.assign:
            self.vars[op.assign] = value or 0
            if cache is not None:
                self.var_cache[op.assign] = cache

    def _addr_result(self, op: Op, ev: Event, addr: int | None, cache: Any) -> None:
        shown_addr = self.hex(addr) if addr else None
        result = shown_addr or "NULL"
        ev.data["address"] = shown_addr
        if cache is not None:
            ev.data["cache"] = cache.name
            result = f"{result} ({cache.name})"
        if op.assign:
            result = f"{op.assign} = {result}"
            self._set(op, addr, cache)
        ev.result = result

    # ---- operations --------------------------------------------------------------------
    def op_create(self, op: Op, ev: Event) -> None:
        name, size = op.args[0], self._size(op, op.args[1], "size")
        o = op.options
        align = self._uint(op, o.get("align", "0"), "align")
        flags: int | str = o.get("flags", "0")
        ctor: Callable[[Any], None] | None = None
        if "ctor" in o:
            ctor = self._ctor(op, o["ctor"])
        fo = o.get("freeptr_offset")
        cache: Any = self.kernel.kmem_cache_create(
            name,
            size,
            align,
            flags,
            ctor,
            useroffset=self._uint(op, o.get("useroffset", "0"), "useroffset"),
            usersize=self._uint(op, o.get("usersize", "0"), "usersize"),
            freeptr_offset=None if fo is None else self._uint(op, fo, "freeptr_offset"),
        )
        if cache is None:
            ev.result = f"NULL (errno {self.kernel.errno})"
            ev.data["cache"] = None
            return
        self.caches[name] = cache
        per_slab, order = cache.objects, cache.order
        ev.data.update(
            cache=cache.name,
            object_size=cache.object_size,
            size=cache.size,
            align=cache.align,
            objects_per_slab=per_slab,
            order=order,
        )
        ev.result = (
            f"{cache.name}: object_size {cache.object_size}, size {cache.size}, "
            f"align {cache.align}, {per_slab} objects in an order-{order} slab"
        )
        if cache.name != name:
            ev.result += f" (merged into {cache.name})"

    def _ctor(self, op: Op, text: str) -> Callable[[Any], None]:
        pattern = self._hex_bytes(op, text) if text else b""
        arena = self.arena

        def ctor(obj: Any) -> None:
            if pattern:
                arena.write(int(obj), pattern)

        return ctor

    def _size(self, op: Op, text: str, what: str) -> int:
        try:
            return parse_size(text, what)
        except InputError as exc:
            raise _err(op, str(exc)) from None

    @staticmethod
    def _hex_bytes(op: Op, text: str) -> bytes:
        t = text[2:] if text[:2].lower() == "0x" else text
        try:
            return bytes.fromhex(t)
        except ValueError:
            raise _err(op, f"{shown(text)} is not hex bytes (such as deadbeef)") from None

    def op_alloc(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        cpu, caller = self._cpu(op), self._caller(op)
        size = op.options.get("size")
        addr = self.runtime.alloc(
            cache, cpu, caller, size=None if size is None else self._size(op, size, "size")
        )
        self._addr_result(op, ev, addr, cache)

    def _free_cache(self, op: Op, addr: int, var: str | None) -> Any:
        if "cache" in op.options:
            return self._cache(op, op.options["cache"])
        if var is not None and var in self.var_cache:
            return self.var_cache[var]
        info = self.runtime.object_info(addr)
        if not info.get("cache"):
            raise _err(op, f"{self.hex(addr)} is not in a slab: say cache=NAME")
        return self._cache(op, info["cache"])

    def op_free(self, op: Op, ev: Event) -> None:
        addr, var = self._target(op, op.args[0])
        cache = self._free_cache(op, addr, var)
        cpu, caller = self._cpu(op), self._caller(op)
        self.runtime.free(cache, addr, cpu, caller)
        shown_addr = self.hex(addr)
        ev.result = f"freed {shown_addr} to {cache.name}"
        ev.data.update(address=shown_addr, cache=cache.name)

    def op_kmalloc(self, op: Op, ev: Event) -> None:
        size = self._size(op, op.args[0], "size")
        cpu, caller = self._cpu(op), self._caller(op)
        gfp = op.options.get("gfp", "")
        if gfp not in ("", "dma", "reclaimable", "account"):
            raise _err(op, f"gfp={gfp}: one of dma, reclaimable, account")
        rt = self.runtime
        addr = rt.kmalloc(size, cpu, gfp, caller)
        cache = None
        if addr and addr > 16:
            info = rt.object_info(addr)
            cache = self._cache(op, info["cache"]) if info.get("cache") else None
        if addr == 16:
            ev.result = f"{op.assign + ' = ' if op.assign else ''}ZERO_SIZE_PTR (0x10)"
            ev.data["address"] = "0x10"
            self._set(op, addr, None)
            return
        self._addr_result(op, ev, addr, cache)

    def op_kfree(self, op: Op, ev: Event) -> None:
        addr, _ = self._target(op, op.args[0])
        cpu, caller = self._cpu(op), self._caller(op)
        self.runtime.kfree(addr, cpu, caller)
        ev.result = f"kfree({self.hex(addr)})"
        ev.data["address"] = self.hex(addr)

    def op_kfree_rcu(self, op: Op, ev: Event) -> None:
        addr, _ = self._target(op, op.args[0])
        cpu = self._cpu(op)
        rcu = getattr(self.runtime, "kfree_rcu", None)
        if rcu is None:
            raise _err(op, f"{self.config.version} runs SLAB: kfree_rcu is not modelled")
        rcu(addr, cpu)
        ev.result = f"kfree_rcu({self.hex(addr)})"
        ev.data["address"] = self.hex(addr)

    def op_rcu_barrier(self, op: Op, ev: Event) -> None:
        barrier = getattr(self.runtime, "rcu_barrier", None)
        if barrier is None:
            raise _err(op, f"{self.config.version} runs SLAB: no RCU callbacks are modelled")
        ran = barrier()
        ev.result = f"grace period over: {ran} rcu callback{'s' if ran != 1 else ''} ran"
        ev.data["callbacks"] = ran

    def op_alloc_bulk(self, op: Op, ev: Event) -> None:
        rt = self.runtime
        cache = self._cache(op, op.args[0])
        count = self._uint(op, op.args[1], "count")
        if count * cache.size > self.arena.memory.size:
            raise _err(
                op,
                f"{count} objects of {cache.size} bytes cannot fit the "
                f"{self.arena.memory.size >> 20} MiB arena (--mem)",
            )
        cpu, caller = self._cpu(op), self._caller(op)
        objs = rt.alloc_bulk(cache, count, cpu, caller)
        ev.data.update(cache=cache.name, count=len(objs))
        ev.data["addresses"] = [self.hex(a) for a in objs]
        shown = ", ".join(self.hex(a) for a in objs[:4]) + (", ..." if len(objs) > 4 else "")
        ev.result = f"{len(objs)} objects of {cache.name}" + (f": {shown}" if objs else "")
        if op.assign:
            ev.result = f"{op.assign} = {ev.result}"
            self.vars[op.assign] = list(objs)
            self.var_cache[op.assign] = cache

    def op_free_bulk(self, op: Op, ev: Event) -> None:
        rt = self.runtime
        name = op.args[0]
        objs = self.vars.get(name)
        if not isinstance(objs, list):
            raise _err(op, f"{shown(name)} is not a variable holding a bulk allocation")
        cpu, caller = self._cpu(op), self._caller(op)
        rt.free_bulk(self.var_cache.get(name), objs, cpu, caller)
        ev.result = f"freed {len(objs)} objects"
        ev.data["count"] = len(objs)

    def op_write(self, op: Op, ev: Event) -> None:
        addr, _ = self._target(op, op.args[0])
        data = self._hex_bytes(op, op.args[1])
        self.arena.write(addr, data)
        ev.result = f"wrote {len(data)} bytes at {self.hex(addr)}"
        ev.data.update(address=self.hex(addr), length=len(data))

    def op_store(self, op: Op, ev: Event) -> None:
        """An address (a target: VAR, VAR[i], VAR+N, 0xADDR) stored as an unsigned
        long in the architecture's byte order: a forged or restored pointer."""
        addr, _ = self._target(op, op.args[0])
        value, _ = self._target(op, op.args[1])
        width = self.config.arch.word_bits // 8
        self.arena.write_word(addr, value, width)
        ev.result = f"stored {self.hex(value)} at {self.hex(addr)}"
        ev.data.update(address=self.hex(addr), value=self.hex(value))

    def op_fill(self, op: Op, ev: Event) -> None:
        addr, _ = self._target(op, op.args[0])
        length = self._size(op, op.args[1], "length")
        text = op.args[2]  # hex, as write's bytes are: 41 or 0x41
        digits = text[2:] if text[:2].lower() == "0x" else text
        if not _HEX_BYTE.fullmatch(digits):
            raise _err(op, f"byte {shown(text)} is not one byte in hex (such as 41 or 0x41)")
        byte = int(digits, 16)
        self.arena.fill(addr, length, byte)
        ev.result = f"filled {length} bytes at {self.hex(addr)} with {byte:#04x}"
        ev.data.update(address=self.hex(addr), length=length, byte=byte)

    def op_dump(self, op: Op, ev: Event) -> None:
        addr, var = self._target(op, op.args[0])
        what = op.args[1] if len(op.args) > 1 else None
        if what == "slab":
            info = self.runtime.object_info(addr)
            start = info.get("slab_address", info.get("slab"))
            if not isinstance(start, int) or isinstance(start, bool):
                raise _err(op, f"{self.hex(addr)} is not in a slab")
            cache = self._cache(op, info["cache"])
            addr, length = start, self.arena.page_size << cache.order
        elif what is not None:
            length = self._size(op, what, "length")
        else:
            cache = self.var_cache.get(var) if var else None
            if cache is None:
                info = self.runtime.object_info(addr)
                cache = self._cache(op, info["cache"]) if info.get("cache") else None
            length = cache.object_size if cache is not None else 64
        if length > MAX_DUMP:
            raise _err(op, f"dump shows at most {MAX_DUMP >> 20} MiB, not {length} bytes")
        ev.view = tuple(self.arena.hex_dump("", addr, length))
        ev.result = f"{length} bytes at {self.hex(addr)}"
        ev.data.update(address=self.hex(addr), length=length)
        ev.data["hex"] = self.arena.read(addr, length).hex()

    def op_info(self, op: Op, ev: Event) -> None:
        addr, _ = self._target(op, op.args[0])
        info = self.runtime.object_info(addr)
        shown = {}
        for key, value in info.items():
            if isinstance(value, int) and not isinstance(value, bool) and key in _ADDRESS_KEYS:
                value = self.hex(value)
            shown[key] = value
        ev.data["object"] = shown
        ev.result = self._info_text(addr, info)

    def _info_text(self, addr: int, info: dict[str, Any]) -> str:
        """One line from either runtime's object_info (their keys differ)."""
        if not info.get("cache"):
            if info.get("large_kmalloc"):
                return f"{self.hex(addr)}: a large kmalloc of order {info['order']}"
            return f"{self.hex(addr)}: not in a slab"
        slab = int(info.get("slab_address", info.get("slab")) or 0)
        where = f" ({info['slab_list']})" if info.get("slab_list") else ""
        index = info.get("object_index", info.get("index"))
        if index is None:
            slab_text = f"{info['cache']} slab {self.hex(slab)}{where}"
            return f"{self.hex(addr)}: {slab_text}, outside the objects"
        obj = int(info.get("object_address", info.get("object")) or 0)
        state = info.get("state")
        if state is None:
            state = "allocated" if info["allocated"] else f"free ({info['free_on']})"
        return (
            f"{info['cache']} object {index} at {self.hex(obj)} +{info['offset']}: {state}; "
            f"slab {self.hex(slab)}{where}"
        )

    def op_map(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        lines = self.runtime.map_lines(cache)
        ev.view = tuple(lines)
        ev.result = f"{cache.name}: {len(lines)} slabs ({self.runtime.MAP_LEGEND})"
        ev.data["slabs"] = lines

    def op_validate(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        walked, reports = self.runtime.sysfs_validate(cache)
        ev.log += tuple(reports)  # SLAB's checks are slabhw's words, not logged
        if walked is None:
            ev.result = f"{cache.name}: -EINVAL (validate checks debug caches only since 6.1)"
            ev.data["return"] = "EINVAL"
            return
        ev.result = f"{cache.name}: {walked} slabs validated"
        ev.data["slabs"] = walked

    def op_check(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        before = len(self.kernel.log)
        reports = self.runtime.validate(cache)
        if len(self.kernel.log) == before:  # SLAB's checks are slabhw's words, not logged
            ev.log += tuple(reports)
        ev.result = f"{cache.name}: " + ("no errors" if not reports else f"{len(reports)} lines")
        ev.data["clean"] = not reports

    def op_shrink(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        ret = self.runtime.shrink(cache)
        ev.result = f"kmem_cache_shrink({cache.name}) = {ret}"
        ev.data["return"] = ret

    def op_destroy(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        caller = op.options.get("caller")
        self.kernel.kmem_cache_destroy(
            cache, None if caller is None else self._uint(op, caller, "caller")
        )
        destroyed = cache not in self.kernel.slab_caches
        if destroyed:
            for name in [n for n, c in self.caches.items() if c is cache]:
                del self.caches[name]
            slabs = self.runtime.counts(cache)["num_slabs"]
            leaked = f" (slabs leaked with objects in them: {slabs})" if slabs else ""
            ev.result = f"{cache.name} destroyed{leaked}"
        elif cache.refcount:  # 3.16 lets a repeated destroy take it below zero
            ev.result = f"{cache.name}: refcount now {cache.refcount}, not destroyed"
        else:
            ev.result = f"{cache.name}: still has objects, not destroyed"
        ev.data.update(cache=cache.name, destroyed=destroyed)

    def op_slabinfo(self, op: Op, ev: Event) -> None:
        text = self.slabinfo()
        ev.view = tuple(text.rstrip("\n").split("\n"))
        ev.result = "/proc/slabinfo"

    def op_sysfs(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        attrs = self.runtime.sysfs_counts(cache)
        ev.view = tuple(f"{k}: {v}" for k, v in attrs.items())
        ev.result = f"/sys/kernel/slab/{cache.name}/"
        ev.data["attributes"] = attrs

    def op_sheaves(self, op: Op, ev: Event) -> None:
        cache = self._cache(op, op.args[0])
        view = getattr(self.runtime, "sheaves_state", None)
        if view is None:
            raise _err(op, f"{self.config.version} runs SLAB: no sheaves")
        state = view(cache)
        cap = state["capacity"]

        def line(label: str, sheaf: dict[str, Any] | None) -> str:
            if sheaf is None:
                return f"{label}: none"
            objs = sheaf["objects"]
            top = f", next {self.hex(objs[-1])}" if objs else ""
            where = f" at {self.hex(sheaf['address'])}" if sheaf["address"] else " (bootstrap)"
            return f"{label}: {len(objs)}/{cap}{where}{top}"

        lines = []
        for c in state["cpus"]:
            lines.append(line(f"cpu {c['cpu']} main", c["main"]))
            lines.append(line(f"cpu {c['cpu']} spare", c["spare"]))
            if c["rcu_free"] is not None:
                lines.append(line(f"cpu {c['cpu']} rcu_free", c["rcu_free"]))
        barn = state["barn"]
        if barn is None:
            lines.append("barn: none")
        else:
            sizes = [len(s["objects"]) for s in barn["full"]]
            lines.append(
                f"barn at {self.hex(barn['address'])}: {len(barn['full'])} full {sizes}, "
                f"{len(barn['empty'])} empty"
            )
        if state["rcu_pending"]:
            lines.append(f"in a grace period: {len(state['rcu_pending'])} rcu sheaves")
        ev.view = tuple(lines)
        ev.result = f"{cache.name}: sheaf capacity {cap}"
        ev.data["sheaves"] = state

    # ---- views of the whole run -------------------------------------------------------------
    def slabinfo(self) -> str:
        return self.runtime.slabinfo()

    def final_counts(self) -> dict[str, dict[str, int]]:
        """The slabinfo counts of the script's caches and of every cache with slabs."""
        out = {}
        for st in self.runtime.by_id:
            cache = st.cache
            counts = self.runtime.counts(cache)
            if counts["num_slabs"] or cache.name in self.caches:
                out[cache.name] = counts
        return out


_ADDRESS_KEYS = {"address", "slab", "object", "slab_address", "object_address"}


def source_width(ops: Iterable[Op]) -> int:
    """The column the results of a report line up at: the longest line, up to 40."""
    if isinstance(ops, Script):
        return ops.source_width()
    return min(max((len(op.source) for op in ops), default=0), 40)


def format_event(e: Event, width: int) -> str:
    """One line of the script with its result, the kernel's messages and the views."""
    out = [f"{e.op.line:4}  {e.op.source:<{width}}  -> {e.result}"]
    out.extend(f"      | {line}" for line in e.log)
    out.extend(f"        {line}" for line in e.view)
    return "\n".join(out)


def format_events(sim: Simulation) -> str:
    """The text report of the events kept: each line of the script with its result."""
    width = source_width(e.op for e in sim.events)
    return "\n".join(format_event(e, width) for e in sim.events)
