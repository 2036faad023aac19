"""The report's figures rendered once: each drawn by matplotlib a single time and saved as SVG
text (embedded in the PDF and the HTML page); the PNGs of ``figures/`` are rasterised from
that same SVG by Typst (resvg), not drawn again.

Drawing runs in forked worker processes when there are enough figures and cores: a figure
costs ~0.1-0.3 s of matplotlib layout and SVG output, all of it Python holding the GIL.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..core.summary_types import Summary
from ..output import atomic_write_bytes
from .registry import BreakevenCurve, FigureSpec, draw_figure, figure_specs
from .style import FIGSIZE, PNG_DPI, house_style

__all__ = ["RenderedFigure", "render_figures", "draw_svg", "svgs_to_pngs", "PARALLEL_MIN_FIGURES"]

# Fewer figures than this are drawn in the parent: forking and collecting would cost more
# than it saves (measured in benchmarks/report.py).
PARALLEL_MIN_FIGURES = 4


@dataclass(frozen=True)
class RenderedFigure:
    """One report figure: its SVG text and, when PNGs were asked for, the PNG's path."""

    stem: str
    caption: str
    alt: str
    svg: str
    png: Path | None


def draw_svg(spec: FigureSpec, summary: Summary, breakeven: BreakevenCurve | None = None) -> str:
    """Draw one figure and return it as SVG text (text as glyph paths, so it looks the same
    everywhere; ids salted with the stem and no date, so the same run gives the same bytes)."""
    with house_style(), matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": spec.stem}):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        draw_figure(fig, spec, summary, breakeven)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


# The work of forked drawing processes: set in the parent just before the pool forks, so
# the children inherit it instead of unpickling a summary.
_JOB: tuple[Sequence[FigureSpec], Summary, BreakevenCurve | None] | None = None


def _draw_job(index: int) -> str:
    assert _JOB is not None, "figure worker started without a job"
    specs, summary, breakeven = _JOB
    return draw_svg(specs[index], summary, breakeven)


def _workers(figures: int, workers: int | None) -> int:
    """How many processes draw: 1 (serial) unless fork is available (Linux), there are
    PARALLEL_MIN_FIGURES or more figures and more than one core."""
    if workers is not None:
        return max(1, min(workers, figures))
    if not sys.platform.startswith("linux") or figures < PARALLEL_MIN_FIGURES:
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, figures))


def _draw_all(specs: Sequence[FigureSpec], summary: Summary, breakeven: BreakevenCurve | None,
              workers: int) -> list[str]:
    global _JOB
    if workers <= 1:
        return [draw_svg(spec, summary, breakeven) for spec in specs]
    import matplotlib.backends.backend_svg  # noqa: F401  (imported once, before the fork)

    _JOB = (specs, summary, breakeven)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            # the costliest figures first, so no worker is left with a long one at the end
            order = sorted(range(len(specs)), key=lambda i: specs[i].kind != "cost")
            svgs = dict(zip(order, pool.map(_draw_job, order), strict=True))
    finally:
        _JOB = None
    return [svgs[i] for i in range(len(specs))]


def svgs_to_pngs(svgs: Sequence[str], ppi: float = PNG_DPI) -> list[bytes]:
    """Rasterise SVG texts to PNG bytes, one Typst compile for all (each on a page of its own
    size, white background)."""
    import typst

    if not svgs:
        return []
    pages = "\n#pagebreak()\n".join(f'#image(bytes(sys.inputs.at("f{i}")), format: "svg")'
                                    for i in range(len(svgs)))
    source = "#set page(width: auto, height: auto, margin: 0pt)\n" + pages + "\n"
    out = typst.compile(source.encode(), format="png", ppi=ppi,
                        sys_inputs={f"f{i}": svg for i, svg in enumerate(svgs)})
    pngs = out if isinstance(out, list) else [out]
    if len(pngs) != len(svgs):
        raise RuntimeError(f"Typst made {len(pngs)} PNG pages from {len(svgs)} figures")
    return pngs


def render_figures(summary: Summary, breakeven: BreakevenCurve | None = None,
                   png_dir: Path | None = None, *, workers: int | None = None,
                   specs: Sequence[FigureSpec] | None = None) -> dict[str, RenderedFigure]:
    """Every report figure (``figure_specs(summary, breakeven)`` unless ``specs`` are given)
    drawn once: SVG text in memory and, with ``png_dir``, ``png_dir/<stem>.png`` (each
    written under a temporary name, then moved into place).

    ``workers``: drawing processes (default: one per core when that pays, see _workers).
    """
    specs = list(figure_specs(summary, breakeven) if specs is None else specs)
    svgs = _draw_all(specs, summary, breakeven, _workers(len(specs), workers))
    pngs: dict[str, Path] = {}
    if png_dir is not None:
        png_dir = Path(png_dir)
        png_dir.mkdir(parents=True, exist_ok=True)
        for spec, data in zip(specs, svgs_to_pngs(svgs), strict=True):
            pngs[spec.stem] = png_dir / f"{spec.stem}.png"
            atomic_write_bytes(pngs[spec.stem], data)
    return {spec.stem: RenderedFigure(spec.stem, spec.caption, spec.alt, svg, pngs.get(spec.stem))
            for spec, svg in zip(specs, svgs, strict=True)}

