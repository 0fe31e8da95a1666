"""``KernelPreset``: one kernel version as data, and stable backports as changes
to it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..flags import FlagDef
from .arches import Arch
from .rules import SlubRules


@dataclass(frozen=True)
class Backport:
    """A rule a stable release changed: before ``sublevel`` the field had ``before``."""

    sublevel: int  # the first stable release (X.Y.sublevel) with the new rule
    field: str  # a SlubRules field
    before: Any  # its value in the releases before
    subject: str  # the upstream commit the stable release took


@dataclass(frozen=True)
class KernelPreset:
    """One kernel version: the allocator that runs it, its flags, its architectures,
    its configuration switches and boot options, and its rules."""

    name: str  # "v6.12": the line
    allocator: str  # "SLAB" or "SLUB": which code runs it (slabhw.allocators)
    # the newest stable release checked (its source read, or its sysfs matched by
    # crosscheck; ``source`` says which): vX.Y means this release
    sublevel: int
    flags: tuple[FlagDef, ...]
    arches: dict[str, Arch]
    switches: dict[str, tuple[bool, str]]  # switch -> (default, help)
    options: frozenset[str]  # boot parameters and counts that apply to this version
    flags_bits: int = 0  # width of the flags type; 0: unsigned long of the arch
    # arch presets that appear only in a later version: name -> first version
    later_arches: dict[str, str] = field(default_factory=dict)
    # the CONFIG_* option behind each switch where it is not the default name
    kconfig: dict[str, str] = field(default_factory=dict)
    slub: SlubRules | None = None
    # (offsetof(struct kmem_cache, node), sizeof(struct kmem_cache_node)) of a 64-bit
    # build with the version's default configuration: the two boot caches' sizes
    boot_structs: tuple[int, int] | None = None
    # bytes of struct kmem_cache per possible node after node_offset: a struct
    # kmem_cache_node pointer, or (7.1) struct kmem_cache_per_node_ptrs {barn, node}
    node_entry_bytes: int = 8
    backports: tuple[Backport, ...] = ()
    source: str = ""  # the tree the rules were read from

    @property
    def release(self) -> str:
        """The full release the rules describe, e.g. ``6.12.117``."""
        return f"{self.name[1:]}.{self.sublevel}"

    @property
    def rules(self) -> SlubRules:
        """The SLUB rules (an error for a SLAB version)."""
        if self.slub is None:
            raise TypeError(f"{self.name} runs SLAB: it has no SLUB rules")
        return self.slub

    def at(self, sublevel: int) -> KernelPreset:
        """This line as stable release ``sublevel``: backports from later releases
        undone."""
        if sublevel == self.sublevel:
            return self
        rules = self.slub
        for b in sorted(self.backports, key=lambda b: -b.sublevel):
            if rules is not None and sublevel < b.sublevel:
                rules = replace(rules, **{b.field: b.before})
        return replace(self, sublevel=sublevel, slub=rules)
