"""The slab_debug half of SLUB at run time, every version with its release's texts: the
debug bytes of an object (poison, red zones, tracks, the kmalloc original size), the checks of
mm/slub.c (``check_object``, ``check_slab``, ``on_freelist``, ``slab_pad_check``,
the alloc/free consistency checks, ``validate_slab``), and the reports they print in
the kernel's words (``slab_bug``, ``object_err``, ``slab_err``, ``slab_fix``,
``print_trailer``, ``list_slab_objects``) with the taint they leave.

The second layer of slabhw.slub_runtime (state -> checks -> paths -> bulk ->
runtime): :class:`SlubChecks` builds on :class:`~slabhw.slub_runtime.state.SlubMemory`.

Simplified (documented; the rest of the model's simplifications are listed in
slabhw/slub_runtime/__init__.py):

* tracks store the caller address given to alloc/free, stack-depot handle 0 (so
  reports say "object allocation/free stack trace missing"), ``pid`` and
  ``jiffies`` taken from the runtime's attributes of those names (defaults 1 and
  0), and the CPU of the operation.
* reports print pointers unhashed (as with ``no_hash_pointers``), the struct slab
  address as ``vmemmap`` of x86_64 without KASLR (0xffffea0000000000 + 64 * pfn),
  page flags as the arena's PG_* bits, symbols as hex addresses; the ``WARNING:``
  and stack dumps of ``WARN_ON`` are not printed; rate limits are not modelled.
"""

from __future__ import annotations

import numpy as np

from .. import reference_slub as rs
from ..arena import PG_HEAD, PG_SLAB
from ..versions.rules import CheckObject
from .state import _MASK64, LIST_CPU_SLAB, CacheState, Slab, SlubMemory

# include/linux/poison.h
POISON_INUSE = 0x5A
POISON_FREE = 0x6B
POISON_END = 0xA5
SLUB_RED_INACTIVE = 0xBB
SLUB_RED_ACTIVE = 0xCC

VMEMMAP_START = 0xFFFFEA0000000000  # x86_64, 4-level paging, no KASLR
STRUCT_PAGE_SIZE = 64
TRACK_ALLOC, TRACK_FREE = 0, 1

# taint flags set by the slab reports (kernel/panic.c taint_flags[])
TAINT_BAD_PAGE = 5
TAINT_WARN = 9
_TAINT_CHARS = "PFSRMBUDAWCIOELKXTNJ"
_TAINT_FALSE = "G" + " " * 19


class SlubChecks(SlubMemory):
    """The slab_debug checks and reports of :class:`~slabhw.slub_runtime.SlubRuntime`
    (a mixin: it keeps no state of its own)."""

    # ==== debug: object layout helpers ===============================================
    def init_object(self, st: CacheState, obj: int, val: int) -> None:
        """init_object(): left red zone, poison (limited to the kmalloc request when
        red-zoning an active kmalloc object), right red zone up to inuse."""
        poison_size = st.object_size
        if st.red_zone:
            self.arena.fill(obj - st.red_left_pad, st.red_left_pad, val)
            if st.kmalloc_redzone and val == SLUB_RED_ACTIVE:
                poison_size = self.get_orig_size(st, obj)
        if st.object_poison:
            self.arena.fill(obj, poison_size - 1, POISON_FREE)
            self.arena.fill(obj + poison_size - 1, 1, POISON_END)
        if st.red_zone:
            self.arena.fill(obj + poison_size, st.inuse - poison_size, val)

    def _orig_size_addr(self, st: CacheState, obj: int) -> int:
        return obj + st.info_end() + 2 * st.track_size

    def set_orig_size(self, st: CacheState, obj: int, orig_size: int) -> None:
        """set_orig_size(): the requested size after the tracks (kmalloc + store-user)."""
        if st.orig_size_debug:
            self.arena.write_word(self._orig_size_addr(st, obj), orig_size, st.orig_size_size)

    def get_orig_size(self, st: CacheState, obj: int) -> int:
        if not st.orig_size_debug:
            return st.object_size
        return self.arena.read_word(self._orig_size_addr(st, obj), st.orig_size_size)

    def set_track(self, st: CacheState, obj: int, alloc: int, addr: int, cpu: int) -> None:
        """set_track_update(): addr, the stack (handle 0, or no addresses), cpu, pid,
        when, field by field."""
        p = obj + st.info_end() + alloc * st.track_size
        self.arena.write_word(p, addr, 8)
        self.arena.fill(p + 8, self.track_cpu - 8, 0)
        self.arena.write_word(p + self.track_cpu, cpu, 4)
        self.arena.write_word(p + self.track_cpu + 4, self.pid, 4)
        self.arena.write_word(p + self.track_when, self.jiffies, 8)

    def get_track(self, st: CacheState, obj: int, alloc: int) -> dict[str, int]:
        """A struct track, decoded."""
        p = obj + st.info_end() + alloc * st.track_size
        read = self.arena.read_word
        return {
            "addr": read(p, 8),
            "handle": read(p + 8, 4) if self.track_handle else 0,
            "cpu": read(p + self.track_cpu, 4),
            "pid": read(p + self.track_cpu + 4, 4),
            "when": read(p + self.track_when, 8),
        }

    def trace(self, st: CacheState, slab: Slab, obj: int, alloc: bool) -> None:
        """trace() for SLAB_TRACE caches (the object dump and stack are left out)."""
        if st.trace:
            self.log.append(
                f"TRACE {st.name} {'alloc' if alloc else 'free'} 0x{obj:016x} "
                f"inuse={slab.inuse} fp=0x{slab.freelist:016x}"
            )

    # ==== debug: checks ==============================================================
    def _memchr_inv(self, start: int, value: int, length: int) -> tuple[int, int] | None:
        """memchr_inv() and the trimmed end of the bad bytes: (fault, end) or None."""
        if length <= 0:
            return None
        off = start - self._po
        bad = np.flatnonzero(self._mem[off : off + length] != value)
        if not bad.size:
            return None
        return start + int(bad[0]), start + int(bad[-1]) + 1

    def check_bytes_and_report(
        self,
        st: CacheState,
        slab: Slab,
        obj: int,
        what: str,
        start: int,
        value: int,
        length: int,
        slab_obj_print: bool,
        fix: bool = True,
    ) -> bool:
        """check_bytes_and_report(): report bytes that lost their pattern and restore
        them."""
        found = self._memchr_inv(start, value, length)
        if found is None:
            return True
        fault, end = found
        first = int(self._mem[fault - self._po])
        style = st.rules.reports.check_object
        where = (
            f"0x{fault:016x}-0x{end - 1:016x} @offset={fault - slab.addr}. "
            f"First byte 0x{first:x} instead of 0x{value:x}"
        )
        self.slab_errors += 1
        if style == CheckObject.BRACKETED_V6_15:
            lines = [f"[{what} overwritten] {where}"]
            if slab_obj_print:  # (a KUnit test skips this object_err: it counts once)
                lines += self.object_err_lines(st, slab, obj, "Object corrupt", count=False)
        else:
            lines = self.slab_bug(st, f"{what} overwritten") + [self._info(where)]
            if style == CheckObject.FIRST_V2_6:  # the trailer now; 6.12.0-45 at the end
                lines += self.print_trailer(st, slab, obj)
                self._taint()
        self._emit(lines)
        if fix:
            self.restore_bytes(st, what, value, fault, end)
        return False

    def restore_bytes(self, st: CacheState, what: str, value: int, fault: int, end: int) -> None:
        """restore_bytes(): the FIX line, and the pattern written back."""
        area = f"0x{fault:016x}-0x{end - 1:016x}=0x{value:x}"
        if st.rules.reports.has_fix_names_area:
            self.slab_fix(st, f"Restoring {what} {area}")
        else:  # 5.10: no name, and a newline of its own
            self.slab_fix(st, f"Restoring {area}\n")
        self.arena.fill(fault, end - fault, value)

    def _dot(self) -> str:
        """The full stop of the on_freelist FIX lines before 5.14."""
        return "." if self.rules.reports.has_adjusted_dot else ""

    def _info(self, line: str) -> str:
        """A report line, "INFO: " first before 5.14."""
        return "INFO: " + line if self.rules.reports.has_info_prefix else line

    def check_pad_bytes(self, st: CacheState, slab: Slab, p: int, fix: bool = True) -> bool:
        """check_pad_bytes(): POISON_INUSE between the metadata and the next slot."""
        off = st.pad_start()
        size_from_object = st.size - st.red_left_pad if st.red_zone else st.size
        if size_from_object == off:
            return True
        return self.check_bytes_and_report(
            st, slab, p, "Object padding", p + off, POISON_INUSE, size_from_object - off, True, fix
        )

    def slab_pad_check(self, st: CacheState, slab: Slab, fix: bool = True) -> None:
        """slab_pad_check(): the left-over at the end of a poisoned slab."""
        if not st.poison:
            return
        length = slab.end - slab.addr
        remainder = length % st.size
        if not remainder:
            return
        pad = slab.end - remainder
        found = self._memchr_inv(pad, POISON_INUSE, remainder)
        if found is None:
            return
        fault, end = found
        lines = self.slab_bug(
            st, f"Padding overwritten. 0x{fault:016x}-0x{end - 1:016x} @offset={fault - slab.addr}"
        )
        section = self.print_section("Padding ", pad, remainder)
        if st.rules.reports.check_object == CheckObject.BRACKETED_V6_15:
            # __slab_bug, the dump, then __slab_err: a KUnit test counts the FIX only
            lines += section + [self.print_slab_info(slab)]
        else:  # slab_err (counted), then the dump
            self.slab_errors += 1
            lines += [self.print_slab_info(slab)] + section
        self._taint()
        self._emit(lines)
        if fix:
            self.restore_bytes(st, "slab padding", POISON_INUSE, fault, end)

    def check_object(
        self, st: CacheState, slab: Slab, obj: int, val: int, fix: bool = True
    ) -> bool:
        """check_object(): red zones (and, 6.2 on, the kmalloc red zone past orig_size),
        or the alignment padding; poison of a free object; padding; the free pointer.
        Before 6.12 the first failing area ends the check (the alignment padding and
        the object padding excepted); since, every area is checked."""
        style = st.rules.reports.check_object
        first = style == CheckObject.FIRST_V2_6
        ret = True
        object_size, inuse = st.object_size, st.inuse
        endobject = obj + object_size

        def area(what: str, start: int, value: int, length: int) -> bool:
            return self.check_bytes_and_report(st, slab, obj, what, start, value, length, ret, fix)

        if st.red_zone:
            if not area("Left Redzone", obj - st.red_left_pad, val, st.red_left_pad):
                ret = False
                if first:
                    return False
            if not area("Right Redzone", endobject, val, inuse - object_size):
                ret = False
                if first:
                    return False
            if st.kmalloc_redzone and val == SLUB_RED_ACTIVE:
                orig_size = self.get_orig_size(st, obj)
                if object_size > orig_size and not area(
                    "kmalloc Redzone", obj + orig_size, val, object_size - orig_size
                ):
                    ret = False
                    if first:
                        return False
        elif st.poison and object_size < inuse:
            if not area("Alignment padding", endobject, POISON_INUSE, inuse - object_size):
                if not first:  # before 6.12 the result is not used
                    ret = False
        if st.poison:
            if val != SLUB_RED_ACTIVE and st.object_poison:
                if object_size > 1 and not area("Poison", obj, POISON_FREE, object_size - 1):
                    ret = False
                    if first:
                        return False
                if not area("End Poison", obj + object_size - 1, POISON_END, 1):
                    ret = False
                    if first:
                        return False
            if not self.check_pad_bytes(st, slab, obj, fix) and not first:
                ret = False  # (before 6.12 the result is not used)
        if (st.offset >= inuse or val != SLUB_RED_ACTIVE) and not self.check_valid_pointer(
            st, slab, self.get_freepointer(st, obj)
        ):
            self.object_err(st, slab, obj, "Freepointer corrupt")
            if fix:
                self.set_freepointer(st, obj, 0)
            ret = False
        if not ret and style == CheckObject.ALL_V6_12:  # 6.12.0-45: one closing trailer
            self._emit(self.print_trailer(st, slab, obj))
            self._taint()
        return ret

    def check_slab(self, st: CacheState, slab: Slab, fix: bool = True) -> bool:
        """check_slab(): object count limits, the consistency-failure mark, padding."""
        maxobj = (st.page_size << slab.order) // st.size
        if slab.objects > maxobj:
            self.slab_err(st, slab, f"objects {slab.objects} > max {maxobj}")
            return False
        if slab.inuse > slab.objects:
            self.slab_err(st, slab, f"inuse {slab.inuse} > max {slab.objects}")
            return False
        if slab.frozen and st.rules.has_slab_disabled_check:
            self.slab_err(st, slab, "Slab disabled since SLUB metadata consistency check failed")
            return False
        self.slab_pad_check(st, slab, fix)
        return True

    def _freelist_broken(self, st: CacheState, slab: Slab, message: str, fix: bool) -> None:
        """on_freelist()'s report of an unusable freelist, and its repair: the
        freelist cleared and every object counted in use."""
        self.slab_err(st, slab, message)
        if fix:
            slab.freelist = 0
            slab.inuse = slab.objects
            self._sync(slab)
            self.slab_fix(st, "Freelist cleared")

    def on_freelist(self, st: CacheState, slab: Slab, search: int, fix: bool = True) -> bool:
        """on_freelist(): whether ``search`` is on the slab's freelist, checking the
        chain (corrupt pointers, cycles) and the object count on the way."""
        nr = 0
        fp = slab.freelist
        obj = 0
        while fp and nr <= slab.objects:
            if fp == search:
                return True
            if not self.check_valid_pointer(st, slab, fp):
                if obj:
                    self.object_err(st, slab, obj, "Freechain corrupt")
                    if fix:
                        self.set_freepointer(st, obj, 0)
                    break
                self._freelist_broken(st, slab, "Freepointer corrupt", fix)
                return False
            obj = fp
            fp = self.get_freepointer(st, obj)
            nr += 1
        if nr > slab.objects and st.rules.reports.has_cycle_check:
            self._freelist_broken(st, slab, "Freelist cycle detected", fix)
            return False
        max_objects = min((st.page_size << slab.order) // st.size, rs.MAX_OBJS_PER_PAGE)
        if slab.objects != max_objects:
            self.slab_err(
                st,
                slab,
                f"Wrong number of objects. Found {slab.objects} but should be {max_objects}",
            )
            if fix:
                slab.objects = max_objects
                self._pg_objects[slab.pfn] = max_objects
                self.slab_fix(st, "Number of objects adjusted" + self._dot())
        if slab.inuse != slab.objects - nr:
            self.slab_err(
                st,
                slab,
                f"Wrong object count. Counter is {slab.inuse} but counted were {slab.objects - nr}",
            )
            if fix:
                slab.inuse = slab.objects - nr
                self._sync(slab)
                self.slab_fix(st, "Object count adjusted" + self._dot())
        return search == 0

    def alloc_consistency_checks(self, st: CacheState, slab: Slab, obj: int) -> bool:
        if not self.check_slab(st, slab):
            return False
        if not self.check_valid_pointer(st, slab, obj):
            self.object_err(st, slab, obj, "Freelist Pointer check fails")
            return False
        return self.check_object(st, slab, obj, SLUB_RED_INACTIVE)

    def free_consistency_checks(self, st: CacheState, slab: Slab, obj: int) -> bool:
        if not self.check_valid_pointer(st, slab, obj):
            self.slab_err(st, slab, f"Invalid object pointer 0x{obj:016x}")
            return False
        if self.on_freelist(st, slab, obj):
            self.object_err(st, slab, obj, "Object already free")
            return False
        return self.check_object(st, slab, obj, SLUB_RED_ACTIVE)

    # ==== debug: report text =========================================================
    def print_tainted(self) -> str:
        """print_tainted(): one letter per taint flag the version has."""
        if not self.tainted:
            return "Not tainted"
        width = self.rules.reports.taint_width
        chars = [
            _TAINT_CHARS[i] if self.tainted >> i & 1 else _TAINT_FALSE[i] for i in range(width)
        ]
        return "Tainted: " + "".join(chars)

    def _taint(self) -> None:
        """add_taint(TAINT_BAD_PAGE), and (6.15; 6.12.46) the WARN_ON(1) that follows."""
        self.tainted |= 1 << TAINT_BAD_PAGE
        if self.rules.reports.check_object == CheckObject.BRACKETED_V6_15:
            self.tainted |= 1 << TAINT_WARN

    def _emit(self, lines: list[str]) -> list[str]:
        """One report (several printk lines) into the log."""
        text = "\n".join(lines)
        self.log.append(text)
        return [text]

    def _warn(self, message: str) -> None:
        """WARN(): the message (the WARNING banner and stack are not modelled)."""
        self.tainted |= 1 << TAINT_WARN
        self.log.append(message)

    def slab_bug(self, st: CacheState | None, message: str) -> list[str]:
        """__slab_bug(): the banner."""
        name = st.name if st is not None else "<unknown>"
        return [
            "=" * 77,
            f"BUG {name} ({self.print_tainted()}): {message}",
            "-" * 77,
            "",
        ]

    def slab_fix(self, st: CacheState, message: str) -> None:
        """slab_fix(): the FIX line, appended to the report it belongs to."""
        self.slab_errors += 1
        line = f"FIX {st.name}: {message}"
        if self.log:
            self.log[-1] += "\n" + line
        else:
            self.log.append(line)

    def print_slab_info(self, slab: Slab) -> str:
        """print_slab_info(): the struct slab, its counters and page flags (5.10 in
        hex only; the names from 5.15, with PG_slab until it became a page type)."""
        flags = int(self._pg_flags[slab.pfn])
        reports = self.rules.reports
        named: tuple[tuple[int, str], ...] = ((PG_HEAD, "head"),)
        if reports.has_pg_slab:
            named = ((PG_SLAB, "slab"), *named)
        else:  # a page type since 6.10, not a page flag
            flags &= ~PG_SLAB
        names = [n for bit, n in named if flags & bit]
        head = (
            f"Slab 0x{VMEMMAP_START + STRUCT_PAGE_SIZE * slab.pfn:016x} objects={slab.objects} "
            f"used={slab.inuse} fp=0x{slab.freelist:016x} flags="
        )
        if reports.has_info_prefix:
            return self._info(head + f"0x{flags:04x}")
        return head + f"{flags:#x}({'|'.join(names)})"

    def print_section(self, text: str, addr: int, length: int) -> list[str]:
        """print_hex_dump(KERN_ERR, text, DUMP_PREFIX_ADDRESS, 16, 1, addr, length, 1)."""
        return self.arena.hex_dump(text, addr, length)

    def print_tracking(self, st: CacheState, obj: int) -> list[str]:
        """print_tracking(): the alloc and free tracks of a store-user cache."""
        if not st.store_user:
            return []
        lines = []
        for what, item in (("Allocated", TRACK_ALLOC), ("Freed", TRACK_FREE)):
            t = self.get_track(st, obj, item)
            if not t["addr"]:
                continue
            lines.append(
                self._info(
                    f"{what} in 0x{t['addr']:x} age={(self.jiffies - t['when']) & _MASK64} "
                    f"cpu={t['cpu']} pid={t['pid']}"
                )
            )
            if self.track_handle and not t["handle"]:
                lines.append("object allocation/free stack trace missing")
        return lines

    def print_trailer(self, st: CacheState, slab: Slab, p: int) -> list[str]:
        """print_trailer(): tracks, slab, object and its surroundings."""
        lines = self.print_tracking(st, p)
        lines.append(self.print_slab_info(slab))
        lines.append(
            self._info(
                f"Object 0x{p:016x} @offset={p - slab.addr} fp=0x{self.get_freepointer(st, p):016x}"
            )
        )
        lines.append("")
        if st.red_zone:
            lines += self.print_section("Redzone  ", p - st.red_left_pad, st.red_left_pad)
        elif p > slab.addr + 16:
            lines += self.print_section("Bytes b4 ", p - 16, 16)
        lines += self.print_section("Object   ", p, min(st.object_size, st.page_size))
        if st.red_zone:
            lines += self.print_section("Redzone  ", p + st.object_size, st.inuse - st.object_size)
        off = st.pad_start()
        size_from_object = st.size - st.red_left_pad if st.red_zone else st.size
        if off != size_from_object:
            lines += self.print_section("Padding  ", p + off, size_from_object - off)
        return lines

    def object_err_lines(
        self, st: CacheState, slab: Slab, obj: int, reason: str, *, count: bool = True
    ) -> list[str]:
        """object_err(): the banner, then the object (print_trailer) or, for a bad
        pointer, the slab; taints the kernel."""
        self.slab_errors += count
        lines = self.slab_bug(st, reason)
        if not obj or not self.check_valid_pointer(st, slab, obj):
            lines += [self.print_slab_info(slab), f"Invalid pointer 0x{obj:016x}"]
        else:
            lines += self.print_trailer(st, slab, obj)
        self._taint()
        return lines

    def object_err(self, st: CacheState, slab: Slab, obj: int, reason: str) -> None:
        self._emit(self.object_err_lines(st, slab, obj, reason))

    def slab_err(self, st: CacheState, slab: Slab, message: str) -> None:
        """slab_err(): the banner and the slab."""
        self.slab_errors += 1
        lines = self.slab_bug(st, message.rstrip("\n"))
        lines.append(self.print_slab_info(slab))
        self._taint()
        self._emit(lines)

    def list_slab_objects(self, st: CacheState, slab: Slab) -> None:
        """list_slab_objects() (CONFIG_SLUB_DEBUG): the banner, each allocated object
        with its tracks, then __slab_err (the slab, taint B and W)."""
        if not self.kernel.config.on("slub_debug_config"):
            return
        reports = self.rules.reports
        if reports.shutdown_names_cache:  # slab_err (before 6.15; 6.12.46)
            text = f"Objects remaining in {st.name} on __kmem_cache_shutdown()"
        else:
            text = "Objects remaining on __kmem_cache_shutdown()"
        lines = self.slab_bug(st, text)
        self.slab_errors += 1
        free = self._free_objects(st, slab)
        for obj in self._objects(st, slab):
            if obj not in free:
                self.slab_errors += 1
                lines.append(self._info(f"Object 0x{obj:016x} @offset={obj - slab.addr}"))
                lines.extend(self.print_tracking(st, obj))
        lines.append(self.print_slab_info(slab))
        self._taint()
        self._emit(lines)

    def validate_slab(self, st: CacheState, slab: Slab, fix: bool) -> None:
        """validate_slab(): check_slab, on_freelist(NULL), then check_object of every
        object with the red-zone value of its state (debug caches)."""
        frozen = slab.frozen
        if slab.where == LIST_CPU_SLAB:
            slab.frozen = 0  # a frozen cpu slab is not a consistency failure
        try:
            ok = self.check_slab(st, slab, fix)
        finally:
            slab.frozen = frozen
        if not ok or not self.on_freelist(st, slab, 0, fix):
            return
        if not st.debug:
            return
        free = set(self._slab_freelist(st, slab))
        for obj in self._objects(st, slab):
            val = SLUB_RED_INACTIVE if obj in free else SLUB_RED_ACTIVE
            if not self.check_object(st, slab, obj, val, fix):
                break
