"""The report's figures rendered once: each drawn by matplotlib a single time and saved as SVG
text (embedded in the PDF and the HTML page); the PNGs of ``figures/`` are rasterised from
that same SVG by Typst (resvg), not drawn again.

Drawing runs in forked processes beside this one when there are enough figures and cores:
a figure costs 0.03-0.07 s of matplotlib drawing and SVG output (support_bot, measured by
benchmarks/report.py), all of it Python holding the GIL, so threads would not help.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from ..core.plan import single_threaded
from ..core.summary_types import Summary
from ..core.timing import phase
from ..output import atomic_write_bytes
from .layout import fixed_layout
from .registry import BreakevenCurve, FigureSpec, draw_figure, figure_specs
from .style import FIGSIZE, PNG_DPI, house_style
from .svg import figure_svg

__all__ = ["RenderedFigure", "render_figures", "start_figures", "PendingPngs", "draw_svg",
           "laid_out_figure", "figure_style", "svgs_to_pngs", "figure_fonts", "warm_up",
           "PARALLEL_MIN_FIGURES"]

# Fewer figures than this are drawn here alone. A child costs 7-16 ms (fork, pipe, join;
# measured), a figure 0.03-0.07 s of CPU: from 4 figures on, a child saves more than it costs.
PARALLEL_MIN_FIGURES = 4


@dataclass(frozen=True)
class RenderedFigure:
    """One report figure: its SVG text and, when PNGs were asked for, the PNG's path."""

    stem: str
    caption: str
    alt: str
    svg: str
    png: Path | None


@contextmanager
def figure_style(stem: str) -> Iterator[None]:
    """The house style, text written as ``<text>`` and SVG ids salted with ``stem``: draw,
    lay out and save a report figure inside it."""
    with house_style(), matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": stem}):
        yield


def laid_out_figure(spec: FigureSpec, summary: Summary,
                    breakeven: BreakevenCurve | None = None) -> Figure:
    """One report figure drawn and placed by :func:`.layout.fixed_layout` (call it inside
    :func:`figure_style`, and save it there)."""
    fig = Figure(figsize=FIGSIZE, dpi=72)  # the SVG's unit: points
    draw_figure(fig, spec, summary, breakeven)
    fixed_layout(fig)
    return fig


def draw_svg(spec: FigureSpec, summary: Summary, breakeven: BreakevenCurve | None = None) -> str:
    """Draw one figure and return it as SVG text: axes placed by :func:`.layout.fixed_layout`,
    text as ``<text>`` in DejaVu Sans (:func:`.svg.figure_svg`), ids salted with the stem and
    no date, so the same run gives the same bytes."""
    with figure_style(spec.stem):
        return figure_svg(laid_out_figure(spec, summary, breakeven))


# Relative drawing cost by kind (measured): the costliest are started first, so no process
# is left drawing a long one alone at the end.
# CPU ms per figure of support_bot: cost 65, drivers 52, voi 52, payback 42, npv 33, fan 31,
# cdf 27.
_COST = {"cost": 6, "drivers": 5, "voi": 5, "payback": 4, "breakeven": 4, "npv": 3, "fan": 3,
         "cdf": 3}


@dataclass(frozen=True)
class _Job:
    """Figures to draw, shared by the parent and its forked children (inherited, never
    pickled); ``counter`` is the next position in ``order`` anyone may take."""

    specs: Sequence[FigureSpec]
    order: Sequence[int]
    summary: Summary
    breakeven: BreakevenCurve | None
    counter: Any  # multiprocessing.Value("i")

    def take(self) -> Iterator[tuple[int, str]]:
        """Draw figures, taking the next one until none is left: (spec index, SVG text)."""
        while True:
            with self.counter.get_lock():
                position = self.counter.value
                self.counter.value += 1
            if position >= len(self.order):
                return
            index = self.order[position]
            yield index, _draw_named(self.specs[index], self.summary, self.breakeven)


def _draw_named(spec: FigureSpec, summary: Summary, breakeven: BreakevenCurve | None) -> str:
    try:
        return draw_svg(spec, summary, breakeven)
    except Exception as exc:
        raise RuntimeError(f"drawing figure {spec.stem!r} failed: {type(exc).__name__}: {exc}"
                           ) from exc


def _child(job: _Job, connection: Any) -> None:
    """A forked drawing process: draw what it can take and send it back; then rasterise
    the PNGs the parent sends (every figure's: see PendingPngs), or exit on None.

    Ctrl-C is the parent's to handle (it ends the children), and SIGTERM simply ends the
    child: not the handlers inherited from a CLI, which clean up a run folder."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with phase("figures: drawing (child)"):
            drawn = list(job.take())
        connection.send(("ok", drawn))
        pngs = connection.recv()
        if pngs:
            with phase("figures: PNGs (child)"):
                _write_pngs(pngs)
            connection.send(("ok", None))
    except EOFError:  # the parent gave up: nothing to report to
        pass
    except Exception as exc:  # the parent raises it
        connection.send(("error", str(exc)))
    finally:
        connection.close()


def _write_pngs(items: Sequence[tuple[Path, str]]) -> None:
    """Rasterise (path, SVG) pairs, one Typst compile, each file moved into place."""
    for (path, _), data in zip(items, svgs_to_pngs([svg for _, svg in items]), strict=True):
        atomic_write_bytes(path, data)


def _workers(figures: int, workers: int | None) -> int:
    """How many processes draw: 1 (serial) unless fork is available (Linux), there are
    PARALLEL_MIN_FIGURES or more figures and more than one core."""
    if workers is not None:
        return max(1, min(workers, figures))
    if not sys.platform.startswith("linux") or figures < PARALLEL_MIN_FIGURES:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), figures))


def _fork(job: _Job) -> tuple[Any, Any]:
    """Start one drawing child; return (process, the parent's end of its pipe)."""
    context = multiprocessing.get_context("fork")
    connection, child_end = context.Pipe(duplex=True)
    process = context.Process(target=_child, args=(job, child_end), daemon=True)
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork() while other threads run (the CLI writes the paths
        # file on one): the child only draws with matplotlib and numpy, it never takes a
        # lock those threads hold (pyarrow's, the file's), and exits without cleanup.
        warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        process.start()
    child_end.close()
    return process, connection


def _end(children: Sequence[tuple[Any, Any]]) -> None:
    for process, connection in children:
        connection.close()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join()


def _draw_all(specs: Sequence[FigureSpec], summary: Summary, breakeven: BreakevenCurve | None,
              workers: int) -> tuple[list[str], list[tuple[Any, Any]]]:
    """Every figure's SVG, in ``specs`` order: drawn here, and by ``workers - 1`` forked
    children at the same time (each takes the next undrawn figure, the parent too); and
    the children, still waiting for PNG work (the caller ends them)."""
    if workers <= 1:
        return [_draw_named(spec, summary, breakeven) for spec in specs], []
    import matplotlib.backends.backend_svg  # noqa: F401  (imported once, before forking)

    order = sorted(range(len(specs)), key=lambda i: -_COST.get(specs[i].kind, 3))
    job = _Job(specs, order, summary, breakeven, multiprocessing.get_context("fork").Value("i", 0))
    # the children's collector then never walks (and copies) the parent's objects; a
    # process that froze its own before (the command line's) keeps them frozen
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        children = [_fork(job) for _ in range(workers - 1)]
    finally:
        if not frozen_before:
            gc.unfreeze()
    try:
        svgs = dict(job.take())
        for process, connection in children:
            svgs.update(_reply(process, connection))
    except BaseException:
        _end(children)
        raise
    return [svgs[i] for i in range(len(specs))], children


def _reply(process: Any, connection: Any) -> Any:
    """A child's next answer, or its error raised here."""
    try:
        status, payload = connection.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"a figure process died (exit code {process.exitcode})") from None
    if status != "ok":
        raise RuntimeError(payload)
    return payload


class PendingPngs:
    """The PNGs of ``render_figures``, being rasterised by a drawing process while the
    caller goes on (Typst holds the GIL, so a thread would not run beside it): the report
    writes its Markdown, HTML and PDF meanwhile. ``wait`` returns once every file is in
    place (rasterised here when no process took them); ``close`` ends the process."""

    def __init__(self, items: Sequence[tuple[Path, str]], child: tuple[Any, Any] | None):
        self._items, self._child = list(items), child

    def wait(self) -> None:
        if self._child is not None:
            try:
                _reply(*self._child)
            finally:
                self.close()
        elif self._items:
            _write_pngs(self._items)
        self._items = []

    def close(self) -> None:
        if self._child is not None:
            _end([self._child])
            self._child = None


@functools.cache
def figure_fonts() -> Any:
    """The fonts Typst sets the figures' text in: matplotlib's DejaVu Sans (the font their
    layout was measured with) beside Typst's own, never the system's (a scan of them costs
    more than the rasterising, and would make PNGs differ between machines)."""
    import typst

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # Typst takes folders
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[str(folder)])


def warm_up() -> None:
    """Pay the first figure's set-up now: the SVG backend, Typst's font set for the PNGs
    and one small throwaway figure in the house style (font lookup, text metrics, tick
    formatting, the fixed layout), so the first real figure costs what the others do."""
    import matplotlib.backends.backend_svg  # noqa: F401

    figure_fonts()
    with figure_style("warm-up"):
        fig = Figure(figsize=FIGSIZE, dpi=72)
        axes = fig.add_subplot()
        axes.plot([0.0, 1.0], [0.0, 1.0], label="warm-up")
        axes.set_title("Warm-up")
        axes.set_xlabel("x")
        axes.legend()
        fixed_layout(fig)
        figure_svg(fig)


def svgs_to_pngs(svgs: Sequence[str], ppi: float = PNG_DPI) -> list[bytes]:
    """Rasterise SVG texts to PNG bytes, one Typst compile for all (each on a page of its own
    size, white background), the text in :func:`figure_fonts`."""
    import typst

    if not svgs:
        return []
    pages = "\n#pagebreak()\n".join(f'#image(bytes(sys.inputs.at("f{i}")), format: "svg")'
                                    for i in range(len(svgs)))
    source = "#set page(width: auto, height: auto, margin: 0pt)\n" + pages + "\n"
    out = typst.compile(source.encode(), format="png", ppi=ppi, font_paths=figure_fonts(),
                        sys_inputs={f"f{i}": svg for i, svg in enumerate(svgs)})
    pngs = out if isinstance(out, list) else [out]
    if len(pngs) != len(svgs):
        raise RuntimeError(f"Typst made {len(pngs)} PNG pages from {len(svgs)} figures")
    return pngs


def start_figures(summary: Summary, breakeven: BreakevenCurve | None = None,
                  png_dir: Path | None = None, *, workers: int | None = None,
                  specs: Sequence[FigureSpec] | None = None,
                  ) -> tuple[dict[str, RenderedFigure], PendingPngs]:
    """Every report figure (``figure_specs(summary, breakeven)`` unless ``specs`` are given)
    drawn once, as SVG text; with ``png_dir``, ``png_dir/<stem>.png`` once the returned
    PendingPngs is waited for (each written under a temporary name, then moved in).

    ``workers``: drawing processes (default: one per core when that pays, see _workers);
    the first child then rasterises every PNG while the caller goes on.
    """
    specs = list(figure_specs(summary, breakeven) if specs is None else specs)
    single_threaded_at_fork = single_threaded()
    svgs, children = _draw_all(specs, summary, breakeven, _workers(len(specs), workers))
    pngs: dict[str, Path] = {}
    items: list[tuple[Path, str]] = []
    if png_dir is not None:
        png_dir = Path(png_dir)
        png_dir.mkdir(parents=True, exist_ok=True)
        for spec, svg in zip(specs, svgs, strict=True):
            pngs[spec.stem] = png_dir / f"{spec.stem}.png"
            items.append((pngs[spec.stem], svg))
    # a child may run Typst only if this process has no thread (Typst's pool, after a
    # compile here, would be copied without its threads and wait for them forever)
    rasteriser = children[0] if children and items and single_threaded_at_fork else None
    try:
        if rasteriser is not None:
            rasteriser[1].send(items)
        for child in children:
            if child is not rasteriser:
                child[1].send(None)
        _end([c for c in children if c is not rasteriser])
    except BaseException:
        _end(children)
        raise
    figures = {spec.stem: RenderedFigure(spec.stem, spec.caption, spec.alt, svg,
                                         pngs.get(spec.stem))
               for spec, svg in zip(specs, svgs, strict=True)}
    return figures, PendingPngs(items, rasteriser)


def render_figures(summary: Summary, breakeven: BreakevenCurve | None = None,
                   png_dir: Path | None = None, *, workers: int | None = None,
                   specs: Sequence[FigureSpec] | None = None) -> dict[str, RenderedFigure]:
    """``start_figures`` with its PNGs written before it returns."""
    figures, pngs = start_figures(summary, breakeven, png_dir, workers=workers, specs=specs)
    pngs.wait()
    return figures
