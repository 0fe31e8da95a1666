"""Pictures of sweeps (matplotlib, the ``plot`` extra): objects per slab, the waste of a
slab (100 - slabinfo.c's %Ef) and the page order against the object size, one line per
kernel / architecture / configuration, to PNG or SVG."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .config import KernelConfig
from .errors import InputError
from .sweep import SweepResult, sweep

FORMATS = (".png", ".svg")
WIDTH, HEIGHT, DPI = 10.0, 8.0, 100  # inches and dots per inch: 1000 x 800 pixels


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("pictures need matplotlib: pip install 'slabhw[plot]'") from None
    plt.rcParams["svg.fonttype"] = "none"  # SVG text stays text (searchable, testable)
    return plt


def label(config: KernelConfig) -> str:
    """How a line is named in the legend: version, arch, CPUs and any slab_debug."""
    extra = f" slab_debug={config.slub_debug}" if config.slub_debug is not None else ""
    return f"{config.version} {config.arch.name} {config.nr_cpus} CPUs{extra}"


def series(
    lines: Sequence[tuple[str, KernelConfig]], sizes: np.ndarray[Any, Any], align: int, flags: str
) -> list[tuple[str, SweepResult]]:
    """One sweep per (name, configuration) over ``sizes`` (flags by name, each
    version's own encoding)."""
    out = []
    for name, cfg in lines:
        value = cfg.flags.parse(flags) if flags.strip() else 0
        out.append((name, sweep(sizes, align, value, config=cfg)))
    return out


def draw(lines: Sequence[tuple[str, SweepResult]], output: str, title: str = "") -> None:
    """Three panels sharing the object-size axis: objects per slab (log scale), waste
    of one slab in percent, page order; rows that failed are left out."""
    if not output.lower().endswith(FORMATS):
        raise InputError(f"--output {output!r}: the picture is .png or .svg")
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH, HEIGHT), sharex=True, dpi=DPI)
    styles = ["-", "--", ":", "-."]  # lines that coincide stay visible
    for i, (name, r) in enumerate(lines):
        kind = r.kind
        ok = r["error"] == 0
        size = r["object_size"][ok]
        style = {"where": "post", "label": name, "linewidth": 1.2, "alpha": 0.85}
        style["linestyle"] = styles[i % len(styles)]
        axes[0].step(size, r[kind.objects_column][ok], **style)
        axes[1].step(size, 100 - r["efficiency_pct"][ok], **style)
        axes[2].step(size, r[kind.order_column][ok], **style)
    axes[2].yaxis.get_major_locator().set_params(integer=True)
    axes[0].set_ylabel("objects per slab")
    axes[0].set_yscale("log")
    axes[1].set_ylabel("waste % of a slab")
    axes[2].set_ylabel("order")
    axes[2].set_xlabel("object size (bytes)")
    axes[0].legend(loc="upper right", fontsize="small")
    for ax in axes:
        ax.grid(True, linewidth=0.3)
    fig.suptitle(title or "kmem_cache_create over object sizes")
    fig.tight_layout()
    try:
        fig.savefig(output)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
