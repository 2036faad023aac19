"""report.pdf through Typst, read back with pymupdf: the text layer holds what the document
says (hostile text literally), every page has ink, tables run over pages with their header
repeated, and figures arrive as vector drawings."""

from __future__ import annotations

import pymupdf
import pytest
from report_docs import (
    HOSTILE,
    VERDICT,
    VERDICT_LABELS,
    escaping_document,
    hostile,
    normalized,
    support_bot_report,
    tiny_svg,
)
from report_runs import DEGENERATE, degenerate_run

from ftsim.figures.registry import figure_specs
from ftsim.figures.style import FIGSIZE, PNG_DPI
from ftsim.format import format_probability
from ftsim.report.typst import render_typst_source, write_pdf
from ftsim.report.write import write_report

FIGURES = ("one", "two")


@pytest.fixture(scope="module")
def escaping_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    svgs = {stem: tiny_svg(f"figure {stem}") for stem in FIGURES}
    write_pdf(escaping_document(FIGURES), svgs, path)
    doc = pymupdf.open(path)
    yield doc
    doc.close()


def page_texts(doc) -> list[str]:
    return [page.get_text() for page in doc]


def ink_share(page, dpi: int = 40) -> float:
    """Share of the page's pixels that are not white."""
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    samples = pix.samples
    return sum(1 for b in samples if b < 245) / len(samples)


def test_every_text_field_is_in_the_text_layer_literally(escaping_pdf):
    text = normalized("".join(page_texts(escaping_pdf)))
    fields = ["title", "subtitle", "footer", "span", "part", "bullet", "heading", "paragraph",
              "small", "header", "caption", "cell 0", "cell 44", "label 0", "value 1",
              *(f"figure caption {stem}" for stem in FIGURES)]
    missing = [f for f in fields if normalized(hostile(f)) not in text]
    assert missing == []
    assert normalized(VERDICT) in text
    for piece in HOSTILE:  # e.g. "<script>alert(1)</script>", never interpreted
        assert text.count(normalized(piece)) >= len(fields)


def test_pages_are_a4_with_ink_footer_and_page_numbers(escaping_pdf):
    n = escaping_pdf.page_count
    assert n >= 3  # title page, the long table runs over, the figure page (PageBreak)
    for i, page in enumerate(escaping_pdf, start=1):
        assert (round(page.rect.width), round(page.rect.height)) == (595, 842)  # A4 in points
        assert ink_share(page) > 0.01, f"page {i} is blank"
        text = normalized(page.get_text())
        assert normalized(f"Page {i} of {n}") in text
        assert normalized(hostile("footer")) in text


def test_a_long_table_repeats_its_header_on_every_page_it_spans(escaping_pdf):
    texts = [normalized(t) for t in page_texts(escaping_pdf)]
    first = next(i for i, t in enumerate(texts) if normalized(hostile("cell 0")) in t)
    last = next(i for i, t in enumerate(texts) if normalized(hostile("cell 44")) in t)
    assert last > first  # the table does not fit one page
    for t in texts[first:last + 1]:
        assert normalized(hostile("header")) in t


def test_figures_are_vector_drawings_on_the_page_after_the_break(escaping_pdf):
    texts = [normalized(t) for t in page_texts(escaping_pdf)]
    page = next(i for i, t in enumerate(texts) if normalized("Figure 1:") in t)
    assert normalized(hostile("figure caption one")) in texts[page]
    assert all(normalized(hostile("cell 44")) not in t for t in texts[page:])  # PageBreak
    # the plot's line, band, ticks and glyphs arrive as paths, not as a bitmap
    assert len(escaping_pdf[page].get_drawings()) > 50
    assert escaping_pdf[page].get_images() == []


def test_a_figure_the_document_shows_but_nobody_rendered_is_an_error():
    with pytest.raises(KeyError, match="'two'"):
        render_typst_source(escaping_document(FIGURES), {"one": "one.svg"})


# --- the real report ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def support_bot_pdf():
    folder, scenario, summary, _ = support_bot_report()
    doc = pymupdf.open(folder / "report.pdf")
    yield doc, summary
    doc.close()


def test_page_one_gives_each_verdict_and_its_probability(support_bot_pdf):
    doc, summary = support_bot_pdf
    first = normalized(doc[0].get_text())
    for option in summary.options.values():
        assert normalized(option.name) in first
        assert normalized(f"{option.name}: {VERDICT_LABELS[option.verdict]}") in first
        assert normalized(format_probability(option.p_payback_within)) in first


def test_every_source_and_every_figure_is_in_the_pdf(support_bot_pdf):
    doc, summary = support_bot_pdf
    text = normalized("".join(page_texts(doc)))
    sources = {row.source for row in summary.inputs if row.source}
    assert len(sources) >= 5  # support_bot cites its figures
    assert [s for s in sources if normalized(s) not in text] == []
    specs = figure_specs(summary)
    for number, spec in enumerate(specs, start=1):
        assert normalized(f"Figure {number}: {spec.caption}") in text
    for i, page in enumerate(doc, start=1):
        assert ink_share(page) > 0.01, f"page {i} is blank"


@pytest.mark.parametrize("kind", sorted(DEGENERATE))
def test_every_figure_exists_for_degenerate_runs(tmp_path, kind):
    """Constant NPV, two values, payback everywhere, nowhere, every build abandoned: each
    figure is drawn (a PNG with ink) and shown in the PDF with its caption."""
    scenario, summary = degenerate_run(kind)
    assert DEGENERATE[kind][1](summary.options["a"]), kind  # the case is what it claims
    written = write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    specs = figure_specs(summary)
    assert sorted(written) == sorted([f"figures/{s.stem}.png" for s in specs]
                                     + ["report.md", "report.html", "report.pdf"])
    for spec in specs:
        pix = pymupdf.Pixmap(str(tmp_path / "figures" / f"{spec.stem}.png"))
        assert (pix.width, pix.height) == (round(FIGSIZE[0] * PNG_DPI), round(FIGSIZE[1] * PNG_DPI))
        assert len(set(pix.samples[::97])) > 3, spec.stem  # not one flat colour
    with pymupdf.open(tmp_path / "report.pdf") as doc:
        text = normalized("".join(page_texts(doc)))
        for number, spec in enumerate(specs, start=1):
            assert normalized(f"Figure {number}: {spec.caption}") in text
