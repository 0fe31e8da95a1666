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


def test_a_line_per_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--config LABEL=OPTIONS: one line per kernel and configuration, the label in
    the legend beside the kernel's name."""
    out = tmp_path / "max-order.svg"
    argv = ["plot", "--kernel", "v6.12", "--nr-cpus", "2", "--sizes", "1:4096", "--json"]
    argv += ["--config", "default=", "--config", "max0=--slab-max-order 0"]
    rc, text, err = run_main([*argv, "--output", str(out)], capsys)
    assert rc == 0, err
    names = ["v6.12 x86_64 2 CPUs default", "v6.12 x86_64 2 CPUs max0"]
    assert json.loads(text)["lines"] == names
    root = ET.parse(out).getroot()
    texts = {"".join(t.itertext()).strip() for t in root.iter() if t.tag.endswith("text")}
    assert set(names) <= texts


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


def _svg(path: Path) -> tuple[ET.Element, list[str]]:
    root = ET.parse(path).getroot()
    texts = ["".join(t.itertext()).strip() for t in root.iter() if t.tag.endswith("text")]
    return root, texts


def _group(root: ET.Element, name: str) -> list[ET.Element]:
    group = next(g for g in root.iter() if g.tag.endswith("g") and g.get("id") == name)
    return [r for r in group if r.tag.endswith("rect")]


def test_create_svg_draws_the_slab_as_create_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed: 110 bytes with SLAB_HWCACHE_ALIGN on 3.16 is a 64-byte on-slab
    freelist, 31 objects of 128 bytes and 64 bytes unused; the rectangles cover the
    4096 bytes of the slab in that order, each titled with its byte range."""
    out = tmp_path / "slab.svg"
    argv = ["create", "test_cache", "110", "--flags", "SLAB_HWCACHE_ALIGN", "--nr-cpus", "4"]
    rc, text, err = run_main([*argv, "--svg", str(out)], capsys)
    assert rc == 0 and text.startswith("kmem_cache_create('test_cache', 110"), err
    root, texts = _svg(out)
    assert root.tag.endswith("svg")
    assert "one slab: 4096 bytes, 31 objects of 128 bytes" in texts
    slab = _group(root, "slab")
    titles = [next(t for t in r if t.tag.endswith("title")).text for r in slab]
    assert titles[0] == "freelist: bytes 0-63 (64)"
    assert titles[1] == "object 0: bytes 64-191 (128)"
    assert titles[-1] == "unused: bytes 4032-4095 (64)"
    assert sum(1 for t in titles if t and t.startswith("object ")) == 31
    widths = sum(float(r.get("width", 0)) for r in slab)
    assert abs(widths - 1000) < 1  # the slab's 4096 bytes span the bar


def test_create_svg_slub_debug_slot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """6.18 with slab_debug=FZPU: each 200-byte slot is a left red zone of 8, the
    object's 110 bytes, 2 of slack, the free pointer outside the object at +120, the
    two tracks (64) and a word of padding; 20 slots and 96 bytes left over."""
    out = tmp_path / "slub.svg"
    argv = ["create", "c", "110", "--kernel", "v6.18", "--nr-cpus", "2", "--slab-debug", "FZPU"]
    rc, _, err = run_main([*argv, "--svg", str(out)], capsys)
    assert rc == 0, err
    root, texts = _svg(out)
    assert "one slab: 4096 bytes, 20 objects of 200 bytes" in texts
    assert "+120    free pointer: 8 bytes" in texts and "+0      left red zone: 8 bytes" in texts
    slot = _group(root, "slot")
    assert [next(t for t in r if t.tag.endswith("title")).text.split(":")[0] for r in slot] == [
        "left red zone",
        "object",
        "slack / right red zone",
        "free pointer",
        "alloc + free tracks",
        "padding (red zone pad word, alignment)",
    ]
    rc, _, err = run_main([*argv, "--svg", str(tmp_path / "no" / "x.svg")], capsys)
    assert rc == 2 and "cannot write" in err
