"""Two runs compared, as a document: what the ``compare`` command prints (as plain text) and
writes (compare.md, compare.html, figures/compare_<option>.png)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from .._version import __version__
from ..core.studies.compare import Comparison, DriverChange, OptionComparison
from ..core.studies.compare_scenario import KeyChange, ScenarioDiff
from ..core.summary_types import Summary
from ..format import format_money, format_probability, shorten
from ..output import atomic_write_bytes, atomic_write_text
from .blocks import (
    Block,
    BulletList,
    Cell,
    Document,
    Figure,
    Heading,
    Paragraph,
    Span,
    Table,
    para,
)
from .html import render_html
from .markdown import render_markdown

__all__ = ["compare_document", "document_text", "figure_stem", "write_compare"]


def figure_stem(option_id: str) -> str:
    return f"compare_{option_id}"


def _pp(delta: float | None) -> str:
    """A change of probability in percentage points, one decimal: ``-13.1 pp``."""
    if delta is None or not math.isfinite(delta):
        return "n/a"
    points = 100 * delta
    if abs(points) < 0.05:
        return f"{points:+.2f} pp" if points else "0.0 pp"
    return f"{points:+.1f} pp"


def _signed_money(value: float | None, currency: str) -> str:
    text = format_money(value, currency)
    return "+" + text if value is not None and value > 0 and text[0].isdigit() else text


def _range(low: float | None, high: float | None, fmt: str, currency: str = "") -> str:
    if low is None or high is None:
        return "n/a"
    if fmt == "pp":
        return f"{_pp(low)} to {_pp(high)}"
    return f"{_signed_money(low, currency)} to {_signed_money(high, currency)}"


# -- scenario ---------------------------------------------------------------------------------


def _file_status(diff: ScenarioDiff) -> Paragraph:
    if diff.compared == "inputs":
        return para(Span("Scenario files not compared: ", bold=True), f"{diff.note}. The diff "
                    "below is of summary.json's inputs tables (each input's key and law as "
                    "written), which hold the numeric inputs only, not names, serving kinds "
                    "or sources.", tone="warn")
    if diff.same_file:
        return para(Span("Scenario files identical", bold=True),
                    f" (sha256 {diff.sha256_a[:12]}… in both runs).")
    return para(Span("Scenario files differ", bold=True),
                f" (sha256 {diff.sha256_a[:12]}… in run A, {diff.sha256_b[:12]}… in run B): "
                f"{len(diff.changes)} key(s) added, removed or changed.")


def _changes_table(changes: Sequence[KeyChange], caption: str) -> Table:
    rows = tuple((c.key, c.change, c.old if c.old is not None else "(absent)",
                  c.new if c.new is not None else "(absent)") for c in changes)
    return Table(("Key", "Change", "Run A", "Run B"), rows, caption=caption,
                 widths=(2.2, 0.8, 2.5, 2.5), mono_columns=(0, 2, 3))


def _scenario_blocks(diff: ScenarioDiff) -> list[Block]:
    blocks: list[Block] = [Heading("Scenario", 2), _file_status(diff)]
    if diff.changes:
        what = "scenario.toml keys" if diff.compared == "scenario.toml" else "Inputs"
        blocks.append(_changes_table(diff.changes, f"{what} added, removed or changed, "
                                     "values as written"))
    elif not diff.same_file or diff.compared == "inputs":
        blocks.append(para("No key differs." if diff.compared == "scenario.toml"
                           else "No input differs."))
    if diff.simulated:
        blocks.append(para("Inputs that differ as simulated but not in the scenario files: "
                           "set on the command line (--set) or taken from a price catalog."))
        blocks.append(_changes_table(diff.simulated, "Inputs as simulated (summary.json)"))
    changed = [row for row in diff.settings if row.changed]
    if changed:
        blocks.append(Table(("Run setting", "Run A", "Run B"),
                            tuple((r.name, r.a, r.b) for r in changed),
                            caption="Run settings that differ"))
    else:
        blocks.append(para("Run settings (paths, seed, sampler, chunk size, horizon, N, "
                           "required probability, discount rate) are the same."))
    return blocks


# -- options ----------------------------------------------------------------------------------


def _measures(option: OptionComparison, currency: str) -> Table:
    p = option.payback
    label = "paired" if p.paired else "two-sample"
    rows: list[tuple[str | Cell, ...]] = [(
        f"P(payback within {p.within} months)", format_probability(p.p_a),
        format_probability(p.p_b), Cell(_pp(p.difference), bold=True),
        f"{_range(p.low, p.high, 'pp')} ({label})")]
    for stat in option.npv.statistics:
        name = "NPV mean" if stat.name == "mean" else f"NPV {stat.name.upper()}"
        rows.append((name, format_money(stat.a, currency), format_money(stat.b, currency),
                     Cell(_signed_money(stat.difference, currency), bold=stat.name == "mean"),
                     _range(stat.low, stat.high, "money", currency) if stat.low is not None
                     else ""))
    return Table(("Measure", "Run A", "Run B", "Change (B − A)", "95 % interval"), tuple(rows),
                 align="lrrrr", caption="Payback and NPV, run A and run B")


def _paired_paragraph(option: OptionComparison, currency: str) -> Paragraph | None:
    p, d = option.payback, option.npv.paths
    if not p.paired or d is None:
        return None
    return para(f"Path by path: paths paid back within {p.within} months in run B only "
                f"{p.b_only:,}, in run A only {p.a_only:,}. NPV changes by "
                f"{_signed_money(d.mean, currency)} on average (median "
                f"{_signed_money(d.p50, currency)}; 90 % of paths between "
                f"{_signed_money(d.p5, currency)} and {_signed_money(d.p95, currency)}); it is "
                f"higher in run B on {format_probability(d.share_higher)} of paths and lower on "
                f"{format_probability(d.share_lower)}.")


def _rank_text(change: DriverChange) -> str:
    if change.status != "kept":
        return f"{change.status} the top five"
    assert change.rank_a is not None and change.rank_b is not None
    moved = change.rank_a - change.rank_b
    return "same rank" if moved == 0 else f"up {moved}" if moved > 0 else f"down {-moved}"


def _swing(swing: float | None, significant: bool | None) -> str:
    return _pp(swing) + (" (n.s.)" if significant is False else "")


def _drivers_table(drivers: Sequence[DriverChange]) -> Table:
    rows = tuple((d.label, "—" if d.rank_a is None else str(d.rank_a),
                  "—" if d.rank_b is None else str(d.rank_b),
                  _swing(d.swing_a, d.significant_a), _swing(d.swing_b, d.significant_b),
                  Cell(_rank_text(d), tone=None if d.status == "kept" else "warn"))
                 for d in drivers)
    return Table(("Driver of P(payback)", "Rank A", "Rank B", "Swing A", "Swing B", "Top five"),
                 rows, align="lrrrrl", caption="Top five drivers by swing (P(payback) in the "
                 "input's top tenth minus its bottom tenth), as ranked in each run; n.s.: not "
                 "significant in that run")


def _option_blocks(option: OptionComparison, currency: str) -> list[Block]:
    verdicts = (f"{option.verdict_a} in both runs" if option.verdict_a == option.verdict_b
                else f"{option.verdict_a} in run A, {option.verdict_b} in run B")
    blocks: list[Block] = [Heading(f"{option.name} [{option.option_id}]", 3),
                           para("Verdict: ", Span(verdicts, bold=True), "."),
                           _measures(option, currency)]
    if option.note:
        blocks.append(para(option.note + ".", tone="warn"))
    paired = _paired_paragraph(option, currency)
    if paired is not None:
        blocks.append(paired)
    if option.drivers:
        blocks.append(_drivers_table(option.drivers))
    else:
        blocks.append(para("No drivers in these summaries (runs written before drivers were "
                           "kept).", small=True))
    blocks.append(Figure(figure_stem(option.option_id),
                         f"{option.name}: payback by month and NPV distribution, run A "
                         "(dashed) and run B (solid)",
                         f"Two panels comparing runs A and B for {option.name}: the "
                         "probability of payback by month and the NPV cumulative distribution."))
    return blocks


def compare_document(comparison: Comparison, run_a: str, run_b: str, *,
                     command: str = "") -> Document:
    """The comparison of run B against run A as report blocks (``run_a`` / ``run_b``: how
    each run is named, e.g. its folder and headline settings)."""
    method = comparison.method
    blocks: list[Block] = [
        Heading("How the runs were compared", 2),
        para(Span("Paired, path by path. " if method.paired else "Two independent samples. ",
                  bold=True), method.reason[0].upper() + method.reason[1:] + "."),
        *_scenario_blocks(comparison.scenario),
    ]
    if comparison.options:
        blocks.append(Heading("Options in both runs", 2))
        for option in comparison.options:
            blocks += _option_blocks(option, comparison.currency)
    if comparison.added or comparison.removed:
        blocks.append(Heading("Options in one run only", 2))
        items = [para(f"Added in run B: {o.name} [{o.option_id}]") for o in comparison.added]
        items += [para(f"Removed in run B: {o.name} [{o.option_id}]")
                  for o in comparison.removed]
        blocks.append(BulletList(tuple(items)))
    footer = f"ftsim {__version__}" + (f" · {command}" if command else "")
    return Document("What changed between two runs", f"Run A: {run_a}\nRun B: {run_b}",
                    footer, tuple(blocks))


# -- plain text (the terminal) ----------------------------------------------------------------

_WIDTH = 100
_CELL = 60  # longest table cell shown in the terminal (sources run to 300 characters)


def _cell_text(cell: str | Cell) -> str:
    return shorten(cell.text if isinstance(cell, Cell) else cell, _CELL)


def _table_text(table: Table) -> list[str]:
    grid = [[shorten(h, _CELL) for h in table.header]]
    grid += [[_cell_text(c) for c in row] for row in table.rows]
    widths = [max(len(row[i]) for row in grid) for i in range(len(table.header))]

    def line(row: list[str]) -> str:
        return "  ".join(text.rjust(w) if table.alignment(i) == "r" else text.ljust(w)
                         for i, (text, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    return [line(grid[0]), "  ".join("-" * w for w in widths), *(line(r) for r in grid[1:])]


def _wrapped(text: str, indent: str = "") -> list[str]:
    return [wrapped for part in text.split("\n") for wrapped in textwrap.wrap(
        part, _WIDTH, initial_indent=indent, subsequent_indent=" " * len(indent)) or [""]]


def document_text(doc: Document, figure_files: dict[str, str] | None = None) -> str:
    """``doc`` as plain text for a terminal: headings, wrapped paragraphs, aligned tables
    (long cells cut with an ellipsis), figures named by their file."""
    lines = [doc.title, *doc.subtitle.split("\n")]
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += ["", block.text, ("=" if block.level <= 2 else "-") * len(block.text)]
        elif isinstance(block, Paragraph):
            lines += ["", *_wrapped(block.text)]
        elif isinstance(block, BulletList):
            lines += ["", *(line for item in block.items for line in _wrapped(item.text, "- "))]
        elif isinstance(block, Table):
            lines += ["", *_table_text(block)]
        elif isinstance(block, Figure):
            where = (figure_files or {}).get(block.stem)
            lines += ["", *_wrapped(f"[Figure: {block.caption}" + (f": {where}]" if where
                                                                    else "]"))]
    return "\n".join(lines) + "\n"


# -- files ------------------------------------------------------------------------------------


def write_compare(out_dir: Path, doc: Document, a: Summary, b: Summary) -> dict[str, Path]:
    """Write ``figures/compare_<option>.png``, ``compare.md`` and ``compare.html`` into
    ``out_dir`` (each through a temporary name); return them keyed by relative path.

    Each figure is drawn once as SVG (inlined in the HTML page) and rasterised to PNG.
    """
    from ..figures.compare import compare_svg  # matplotlib: only when files are written
    from ..figures.render import svgs_to_pngs

    out_dir = Path(out_dir)
    stems = doc.figure_stems()
    svgs = {stem: compare_svg(a, b, stem.removeprefix("compare_")) for stem in stems}
    written: dict[str, Path] = {}
    for stem, png in zip(stems, svgs_to_pngs([svgs[s] for s in stems]), strict=True):
        written[f"figures/{stem}.png"] = out_dir / "figures" / f"{stem}.png"
        atomic_write_bytes(written[f"figures/{stem}.png"], png)
    atomic_write_text(out_dir / "compare.md",
                      render_markdown(doc, {stem: f"figures/{stem}.png" for stem in stems}))
    written["compare.md"] = out_dir / "compare.md"
    atomic_write_text(out_dir / "compare.html", render_html(doc, svgs))
    written["compare.html"] = out_dir / "compare.html"
    return written
