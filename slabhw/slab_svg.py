"""One slab as a picture: ``slabhw create ... --svg FILE`` draws what ``create`` shows
in text, from the same view data: the slab's pages from left to right (colour area,
freelist, every object, the left-over) and, below, one object's slot at a larger
scale (red zones, the object, the free pointer, tracks, padding)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

WIDTH = 1000
COLOURS = {
    "colour": "#bbbbbb",
    "freelist": "#f4a259",
    "object": "#5b8def",
    "unused": "#f2f2f2",
    "left over": "#f2f2f2",
    "free pointer": "#e63946",
    "red zone": "#f7a1b0",
    "redzone": "#f7a1b0",
    "store_user": "#9b5de5",
    "track": "#9b5de5",
    "padding": "#dddddd",
    "debug": "#9b5de5",
}


def _colour(what: str) -> str:
    for key, value in COLOURS.items():
        if key in what:
            return value
    return "#dddddd"


def slab_regions(data: dict[str, Any], page_size: int) -> tuple[int, list[tuple[int, int, str]]]:
    """(slab bytes, [(start, end, label)]) of the whole slab, from create's view data:
    SLAB's regions as they are; SLUB's objects every ``size`` bytes from the slab's
    start, then what is left over."""
    cache = data["cache"]
    if "slab" in data:  # SLAB 3.16: colour, freelist, objects, unused
        order = int(cache["gfporder"])
        out = []
        for r in data["slab"]:
            label = f"object {r['index']}" if r["kind"] == "object" else r["kind"]
            out.append((int(r["start"]), int(r["end"]), label))
        return page_size << order, out
    order, size, objects = int(cache["order"]), int(cache["size"]), int(cache["objects"])
    slab = page_size << order
    out = [(i * size, (i + 1) * size, f"object {i}") for i in range(objects)]
    if objects * size < slab:
        out.append((objects * size, slab, "left over"))
    return slab, out


def slot_regions(data: dict[str, Any]) -> tuple[int, list[tuple[int, int, str]]]:
    """(slot bytes, [(start, end, label)]) inside one object's slot, as create's view
    gives them (red zones, the object, the free pointer, tracks, padding)."""
    inside = [(int(r["start"]), int(r["end"]), str(r["what"])) for r in data["slot"]]
    return int(data["cache"]["size"]), inside


def _bar(
    parent: ET.Element, y: int, total: int, regions: list[tuple[int, int, str]], group: str
) -> None:
    g = ET.SubElement(parent, "g", {"id": group})
    scale = WIDTH / max(total, 1)
    for start, end, label in regions:
        x, w = start * scale, max((end - start) * scale, 0.5)
        rect = ET.SubElement(
            g,
            "rect",
            {
                "x": f"{x:.2f}",
                "y": str(y),
                "width": f"{w:.2f}",
                "height": "40",
                "fill": _colour(label),
                "stroke": "#333333",
                "stroke-width": "0.3",
            },
        )
        ET.SubElement(rect, "title").text = f"{label}: bytes {start}-{end - 1} ({end - start})"
        if w > 7 * len(label) * 0.9:
            text = ET.SubElement(
                g, "text", {"x": f"{x + 3:.2f}", "y": str(y + 24), "font-size": "11"}
            )
            text.text = label


def render(data: dict[str, Any], title: str, page_size: int) -> str:
    """The SVG document (text)."""
    slab, regions = slab_regions(data, page_size)
    slot, inside = slot_regions(data)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(WIDTH + 20),
            "height": "330",
            "viewBox": f"-10 0 {WIDTH + 20} 330",
            "font-family": "sans-serif",
        },
    )
    ET.SubElement(svg, "title").text = title
    heading = ET.SubElement(svg, "text", {"x": "0", "y": "18", "font-size": "14"})
    heading.text = title
    caption = ET.SubElement(svg, "text", {"x": "0", "y": "38", "font-size": "12"})
    objects = sum(1 for _, _, label in regions if label.startswith("object"))
    caption.text = f"one slab: {slab} bytes, {objects} objects of {slot} bytes"
    _bar(svg, 50, slab, regions, "slab")
    caption = ET.SubElement(svg, "text", {"x": "0", "y": "130", "font-size": "12"})
    caption.text = f"inside each slot ({slot} bytes)"
    _bar(svg, 140, slot, inside, "slot")
    y = 210
    legend = ET.SubElement(svg, "g", {"id": "legend"})
    for start, end, label in inside:
        row = ET.SubElement(legend, "text", {"x": "0", "y": str(y), "font-size": "12"})
        row.text = f"+{start:<6} {label}: {end - start} bytes"
        y += 16
    return ET.tostring(svg, encoding="unicode")
