"""Kernel versions as data: one preset per modelled line, each a set of rule
records (slabhw.versions.rules) citing the release that changed each rule.

``get_preset("v6.12")`` is the latest stable release slabhw has read of that line;
``get_preset("v6.12.30")`` that stable release, with the backports it did not yet
have undone.
"""

from __future__ import annotations

import re

from ..errors import InputError
from ..textio import shown
from .arches import Arch
from .preset import Backport, KernelPreset
from .v3_16 import V3_16
from .v5_10 import V5_10
from .v5_15 import V5_15
from .v6_1 import V6_1
from .v6_6 import V6_6
from .v6_12 import V6_12
from .v6_18 import V6_18
from .v7_0 import V7_0
from .v7_1 import V7_1

PRESETS: dict[str, KernelPreset] = {
    p.name: p for p in (V3_16, V5_10, V5_15, V6_1, V6_6, V6_12, V6_18, V7_0, V7_1)
}

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def get_preset(version: str) -> KernelPreset:
    """The preset of ``vX.Y`` (the latest stable release read) or ``vX.Y.Z``."""
    m = _VERSION.fullmatch(str(version).strip())
    line = f"v{m.group(1)}.{m.group(2)}" if m else None
    if m is None or line not in PRESETS:
        raise InputError(
            f"unknown kernel version {shown(version)} (supported: {', '.join(PRESETS)}; "
            "a stable release such as v6.12.30 also works)"
        )
    preset = PRESETS[line]
    if m.group(3) is None:
        return preset
    sublevel = int(m.group(3))
    if len(m.group(3)) > 4:
        raise InputError(f"kernel version {shown(version)}: no stable release has that sublevel")
    return preset.at(sublevel)


__all__ = ["Arch", "Backport", "KernelPreset", "PRESETS", "get_preset"]
