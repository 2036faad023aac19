"""Hand-built report Documents for the renderer tests (no engine, no content module): every
block type, and text that means something in Typst, HTML or Markdown. A support module, so
test modules never import each other."""

from __future__ import annotations

import atexit
import functools
import io
import re
import shutil
import tempfile
from pathlib import Path

from matplotlib.figure import Figure as MplFigure
from report_runs import support_bot

from ftsim.report.blocks import (
    BulletList,
    Callout,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFacts,
    PageBreak,
    Span,
    Table,
    para,
)

__all__ = ["HOSTILE", "hostile", "escaping_document", "tiny_svg", "normalized", "VERDICT",
           "support_bot_report", "VERDICT_LABELS"]

# Each is markup in at least one of Typst, HTML or Markdown.
HOSTILE = (
    "<script>alert(1)</script>",
    "$x^2$",
    "100% of #1",
    "a | b",
    "*bold* and _x_",
    "back\\slash \\n",
    "`tick` @ref [link](x) ~ // <b>&amp;",
    '= "quoted" -- + #set text(red)',
)
VERDICT = "NO-GO for Fine-tune $x^2$: P(payback within 12 months) = 34.0 %"


def hostile(where: str) -> str:
    """Every hostile string, tagged with where it is used, lines joined by a newline."""
    return "\n".join(f"{where} {text}" for text in HOSTILE)


def tiny_svg(title: str, color: str = "#0072B2") -> str:
    """A small matplotlib figure as SVG text (text as paths, like the report's figures)."""
    fig = MplFigure(figsize=(4, 2.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4], color=color)
    ax.fill_between([0, 1, 2, 3], [0, 1, 1, 2], [2, 4, 3, 5], color=color, alpha=0.2)
    ax.set_title(title.replace("$", r"\$"))
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def escaping_document(figures: tuple[str, ...] = ("one", "two")) -> Document:
    """Every block type, hostile text in every text field, a table long enough to run over
    a PDF page, and the figures named ``figures`` (their SVGs: ``tiny_svg``)."""
    rows = tuple((Cell(hostile(f"cell {i}"), bold=i == 0, tone="bad" if i % 3 else None),
                  f"{1000 * i:,}", Cell(f"{i / 10:.1f} %", tone="good"))
                 for i in range(45))
    blocks = (
        Callout(VERDICT, (
            para("Why: ", Span(hostile("span"), bold=True, tone="bad"), " and ", hostile("part")),
            BulletList((para(hostile("bullet")), para("second ", Span("item", bold=True)))),
        ), tone="bad"),
        KeyFacts(tuple((hostile(f"label {i}"), hostile(f"value {i}")) for i in range(2))
                 + (("Mean NPV", "-$312k"), ("P(NPV < 0)", "66.0 %"))),
        Heading(hostile("heading"), 2),
        para(hostile("paragraph")),
        para(hostile("small"), tone="muted", small=True),
        Heading("Sub-section", 3),
        Table((hostile("header"), "Amount", "Share"), rows, align="lrr",
              caption=hostile("caption"), mono_columns=(1,)),
        Table(("A", "B"), (("1", "2"),), widths=(3.0, 1.0)),
        PageBreak(),
        Heading("Figures", 1),
        *(Figure(stem, hostile(f"figure caption {stem}"), hostile(f"alt {stem}"))
          for stem in figures),
    )
    return Document(title=hostile("title"), subtitle=hostile("subtitle"),
                    footer=hostile("footer"), blocks=blocks)


def normalized(text: str) -> str:
    """Text without any whitespace: line wrapping, breaks and the spaces a renderer puts
    for a newline are layout, not content."""
    return re.sub(r"\s+", "", text)


VERDICT_LABELS = {"go": "GO", "no-go": "NO-GO", "uncertain": "UNCERTAIN"}


@functools.cache
def support_bot_report():
    """(run folder, scenario, summary, written files) of write_report on support_bot at
    3,000 paths, written once per test process into a temporary folder."""
    from ftsim.report.write import write_report

    scenario, summary = support_bot(3000)
    folder = Path(tempfile.mkdtemp(prefix="ftsim-report-test-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    written = write_report(folder, summary, scenario, seconds=1.0,
                           command="ftsim scenarios/support_bot.toml --paths 3000")
    return folder, scenario, summary, written
