"""slabhw plot: the files are checked, not just found (PNG size, SVG text and lines)."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import run_main

pytest.importorskip("matplotlib")

ARGS = ["plot", "--kernel", "v6.1,v6.12", "--arch", "x86_64", "--nr-cpus", "2"]


def test_png_is_1000_by_800(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "waste.png"
    rc, text, err = run_main([*ARGS, "--sizes", "1:8192", "--output", str(out), "--json"], capsys)
    assert rc == 0, err
    assert json.loads(text)["lines"] == ["v6.1 x86_64 2 CPUs", "v6.12 x86_64 2 CPUs"]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1000, 800)


def test_svg_has_the_panels_and_a_line_per_kernel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "waste.svg"
    argv = ["plot", "--kernel", "v6.18", "--arch", "x86_64,arm64-16k", "--nr-cpus", "2"]
    rc, _, err = run_main([*argv, "--sizes", "1:16384", "--output", str(out)], capsys)
    assert rc == 0, err
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    texts = {"".join(t.itertext()).strip() for t in root.iter() if t.tag.endswith("text")}
    for label in ("objects per slab", "waste % of a slab", "order", "object size (bytes)"):
        assert label in texts
    assert {"v6.18 x86_64 2 CPUs", "v6.18 arm64-16k 2 CPUs"} <= texts
    # three panels, each with one drawn line per kernel (matplotlib's line2d groups)
    lines = [g for g in root.iter() if g.tag.endswith("g") and g.get("id", "").startswith("line2d")]
    assert len([g for g in lines if any(p.tag.endswith("path") for p in g)]) >= 6


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--output", "x.jpg"], ".png or .svg"),
        (["--output", "/nonexistent/dir/x.png"], "cannot write"),
        (["--output", "x.png", "--sizes", "5:1"], "LO <= HI"),
        (["--output", "x.png", "--kernel", "v9.9"], "unknown kernel version"),
    ],
)
def test_plot_mistakes(
    extra: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = run_main(["plot", "--nr-cpus", "2", *extra], capsys)
    assert rc == 2 and words in err and err.count("\n") == 1, err
