"""The command line's files: bounded reads of text and bytes, writes that fail in words.

Every input a user names (a sweep CSV, a simulate script, a kernel .config, a
snapshot) is read through here, so that ``/dev/zero``, a binary file or a
multi-gigabyte line ends in one line of error instead of a MemoryError, and a full
disk or an unwritable path is an error message instead of an OSError traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

from .errors import InputError

MAX_LINE = 1 << 20  # characters in one line of a text input
MAX_FILE = 64 << 20  # bytes of an input read whole (a .config, a snapshot)


def shown(value: object, limit: int = 40) -> str:
    """A value the user gave, quoted for an error message (as repr() does), cut
    short when it is long."""
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "..."
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"... ({len(value)} chars)"


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def open_text(path: str) -> Iterator[IO[str]]:
    """A text input: ``-`` is standard input (left open afterwards); UTF-8, a
    byte-order mark dropped, newlines as written (the csv module wants them so)."""
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a test's StringIO: already text
            yield sys.stdin
            return
        wrapper = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()  # closing the wrapper would close stdin
        return
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {_strerror(exc)}") from None
    with f:
        yield f


def bounded_lines(stream: IO[str], what: str, limit: int = MAX_LINE) -> Iterator[str]:
    """The lines of ``stream`` (each with its newline), refusing a line longer than
    ``limit`` characters, a NUL character (a binary file) and bytes that are not
    UTF-8, each with its line number."""
    number = 0
    while True:
        try:
            line = stream.readline(limit + 1)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what} is not UTF-8 text "
                f"(byte {exc.object[exc.start]:#04x} near line {number + 1})"
            ) from None
        except OSError as exc:
            raise InputError(f"cannot read {what}: {_strerror(exc)}") from None
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise InputError(f"{what} line {number} is longer than {limit} characters")
        if "\x00" in line:
            raise InputError(f"{what} line {number} holds a NUL byte (a binary file?)")
        yield line


def read_bytes(path: str, what: str, limit: int = MAX_FILE) -> bytes:
    """A whole file, at most ``limit`` bytes."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {_strerror(exc)}") from None
    if len(data) > limit:
        raise InputError(f"{path} is larger than {limit >> 20} MiB: not a {what}")
    return data


def gunzip(data: bytes, path: str, what: str, limit: int = MAX_FILE) -> bytes:
    """``data`` itself, or what it decompresses to when it is gzip (bounded: a gzip
    bomb is refused)."""
    if data[:2] != b"\x1f\x8b":
        return data
    import gzip

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path} is not a valid gzip file ({exc})") from None
    if len(out) > limit:
        raise InputError(f"{path} decompresses to more than {limit >> 20} MiB: not a {what}")
    return out


@contextlib.contextmanager
def output_path(path: str) -> Iterator[str]:
    """A temporary path beside ``path`` for a writer that wants a file name; it is
    renamed onto ``path`` when the block succeeds (a failed run leaves no half file,
    nor the temporary one).  A special file (/dev/null, a FIFO) is written directly."""
    if os.path.exists(path) and not os.path.isfile(path):
        try:
            yield path
        except OSError as exc:
            raise InputError(f"cannot write {path}: {_strerror(exc)}") from None
        return
    directory = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".slabhw-", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {_strerror(exc)}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as open() would have made it
        os.close(fd)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {_strerror(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def output_file(path: str, out: IO[str]) -> Iterator[IO[str]]:
    """Where a command writes text: ``out`` for ``-``, else ``output_path``'s file."""
    if path == "-":
        yield out
        return
    with output_path(path) as target:
        try:
            f = open(target, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {_strerror(exc)}") from None
        with f:
            yield f
