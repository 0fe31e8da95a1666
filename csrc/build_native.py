"""cffi builder (out-of-line API mode) for slabhw's C core.

The cdef is the marked, directive-free block of csrc/slabhw.h, so the header is the
one source of truth; set_source includes the real header and compiles the sources
with -O3 -Wall -Wextra -Werror.
"""

from __future__ import annotations

import os
import re

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "slabhw.h")
SOURCES = ["common.c", "slab316.c", "slub.c", "runtime.c"]


def cdef_block(path: str = HEADER) -> str:
    """The text between the CDEF markers of the header."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"/\* CDEF-BEGIN \*/(.*?)/\* CDEF-END \*/", text, re.S)
    if match is None:
        raise RuntimeError(f"{path}: no CDEF-BEGIN/CDEF-END block")
    block = match.group(1)
    if re.search(r"^\s*#", block, re.M):
        raise RuntimeError(f"{path}: the CDEF block must hold no preprocessor directives")
    return block


ffibuilder = FFI()
ffibuilder.cdef(cdef_block())
ffibuilder.set_source(
    "slabhw._native",
    '#include "slabhw.h"',
    sources=[os.path.relpath(os.path.join(HERE, s)) for s in SOURCES],
    include_dirs=[os.path.relpath(HERE)],
    extra_compile_args=["-O3", "-Wall", "-Wextra", "-Werror", "-std=c11"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
