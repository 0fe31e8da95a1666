"""Helpers shared by the tests."""

from __future__ import annotations

import io
import sys

import pytest

from slabhw.cli import main
from slabhw.config import KernelConfig


def config(arch: str = "x86_64", **options: object) -> KernelConfig:
    """A v3.16 configuration with 4 possible CPUs unless told otherwise."""
    options.setdefault("nr_cpus", 4)
    return KernelConfig.build("v3.16", arch, **options)  # type: ignore[arg-type]


def run_main(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch | None = None,
    stdin: str = "",
) -> tuple[int, str, str]:
    """slabhw's main() in-process: (exit status, what it wrote, stderr).

    With ``monkeypatch``, ``stdin`` becomes standard input.  argparse-level mistakes
    leave main() through SystemExit; that is turned into the status the process would
    exit with.
    """
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()  # drop anything earlier
    out = io.StringIO()
    try:
        rc = main(argv, out=out)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return rc, out.getvalue() + captured.out, captured.err
