"""One error hierarchy for slabhw.

``SlabError`` is the base.  Mistakes in what a user asked for also subclass
``ValueError`` (``InputError``), so ``except ValueError`` works for callers that do
not know slabhw.  Outcomes that the *kernel* produces (an errno from
``kmem_cache_create``, a ``BUG_ON``, a panic, a hang) are modelled results, not
bugs in slabhw: they carry the kernel's own words.
"""

from __future__ import annotations

import errno as _errno

# Outcome codes shared with the C core (csrc/slabhw.h, enum slabhw_error).  Positive
# errno values are what the kernel returns negated; the others are what a kernel
# does instead of returning.
OK = 0
E2BIG = _errno.E2BIG  # 7
ENOMEM = _errno.ENOMEM  # 12
EINVAL = _errno.EINVAL  # 22
BUG = 1000  # a BUG_ON()/BUG() fires: the kernel oopses
HANG = 1001  # the kernel never returns (calculate_alignment's loop with size 0)
DIVIDE_ERROR = 1002  # an integer division by zero traps (reciprocal_value(0), ...)

OUTCOME_NAMES: dict[int, str] = {
    OK: "0",
    E2BIG: "E2BIG",
    ENOMEM: "ENOMEM",
    EINVAL: "EINVAL",
    BUG: "BUG",
    HANG: "HANG",
    DIVIDE_ERROR: "DIVIDE_ERROR",
}


def outcome_name(code: int) -> str:
    """The name printed in sweep output for an outcome code (``"0"`` for success)."""
    return OUTCOME_NAMES[int(code)]


class SlabError(Exception):
    """Base class of every error slabhw raises."""


class InputError(SlabError, ValueError):
    """The request itself is wrong: unknown flag, arch, version, bad number, bad CSV."""


class InputTypeError(InputError, TypeError):
    """An argument of the wrong type (a float size, a masked array): an InputError that
    ``except TypeError`` also catches."""


class BuildError(SlabError, RuntimeError):
    """The compiled core is missing or stale (rebuild with ``pip install .``)."""


class KernelError(SlabError):
    """The modelled kernel failed the operation (an errno, a BUG, a hang, a trap).

    ``code`` is one of the outcome codes above; ``message`` the kernel's text.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def errno_name(self) -> str:
        return outcome_name(self.code)


class KernelPanic(KernelError):
    """``panic()``: raised for SLAB_PANIC caches and failed boot caches."""


class KernelBug(KernelError):
    """A ``BUG_ON`` fired (``kernel BUG at mm/slab.c``)."""


class KernelHang(KernelError):
    """The kernel would loop forever (e.g. ``calculate_alignment`` with size 0)."""


class KernelTrap(KernelError):
    """A CPU trap such as a divide error inside the kernel."""


def kernel_error_for(code: int, message: str) -> KernelError:
    """The KernelError subclass matching a non-errno outcome code."""
    if code == BUG:
        return KernelBug(code, message)
    if code == HANG:
        return KernelHang(code, message)
    if code == DIVIDE_ERROR:
        return KernelTrap(code, message)
    return KernelError(code, message)


def c_str(name: str | None) -> str:
    """How printk's %s shows a name (NULL prints as "(null)")."""
    return "(null)" if name is None else name
