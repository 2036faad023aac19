"""The renderers on hand-built Documents: text reaches Typst, HTML and Markdown as text
(checked by reading each format back with an independent parser), inline SVG figures keep
their ids apart, and the document model refuses malformed blocks."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
import typst
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from report_docs import (
    HOSTILE,
    VERDICT,
    escaping_document,
    hostile,
    normalized,
    support_bot_report,
    tiny_svg,
)
from report_runs import support_bot

from ftsim.figures import render
from ftsim.figures.registry import draw_figure, figure_specs
from ftsim.figures.style import FIGSIZE, PNG_DPI
from ftsim.report import write
from ftsim.report.blocks import Callout, Cell, Document, Figure, Heading, Span, Table, para
from ftsim.report.html import inline_svg, render_html
from ftsim.report.markdown import render_markdown
from ftsim.report.typst import typst_string

FIGURES = ("one", "two")
FIELDS = ["title", "subtitle", "footer", "span", "part", "bullet", "heading", "paragraph",
          "small", "header", "caption", "cell 0", "cell 44", "label 0", "value 1",
          *(f"figure caption {stem}" for stem in FIGURES)]


@pytest.fixture(scope="module")
def svgs():
    return {stem: tiny_svg(f"figure {stem}") for stem in FIGURES}


class _Page(HTMLParser):
    """Visible text of a page (not script, style or SVG), its elements and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style", "svg"):
            self._skip.append(tag)

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
        elif self._skip[-1] == "script":
            self.script.append(data)


def parse_html(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


# --- Typst ----------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_a_typst_string_literal_evaluates_to_the_text(text):
    """Typst itself reads the literal back: any text, markup characters included, is a string
    (line breaks kept as "\\n", other control characters as spaces)."""
    expected = re.sub(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c", "\n", text)
    expected = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", " ", expected)
    assert json.loads(typst.Compiler().eval(typst_string(text), format="json")) == expected


def test_a_one_line_typst_string_has_spaces_for_line_breaks():
    assert json.loads(typst.Compiler().eval(typst_string("a\nb\r\nc", one_line=True),
                                            format="json")) == "a b c"


# --- HTML -----------------------------------------------------------------------------------

def test_html_shows_every_text_field_literally_and_runs_only_its_own_script(svgs):
    page = render_html(escaping_document(FIGURES), svgs)
    parsed = parse_html(page)
    text = normalized("".join(parsed.text))
    assert [f for f in FIELDS if normalized(hostile(f)) not in text] == []
    assert normalized(VERDICT) in text
    assert [tag for tag, _ in parsed.tags].count("script") == 1
    assert [(t, a) for t, a in parsed.tags if any(k.startswith("on") for k in a)] == []
    assert "<script>alert" not in page and "<b>&amp;" not in page


def test_html_content_security_policy_allows_the_inline_script_by_its_hash_and_nothing_else(svgs):
    parsed = parse_html(render_html(escaping_document(FIGURES), svgs))
    policy = next(a["content"] for t, a in parsed.tags
                  if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256("".join(parsed.script).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    # nothing to fetch: no src/href pointing anywhere but a data: URL or an in-page fragment
    refs = [v for t, a in parsed.tags for k, v in a.items() if k in ("src", "href") and v]
    assert all(v.startswith(("data:", "#")) for v in refs), refs


def test_html_numbers_figures_and_labels_them_for_screen_readers(svgs):
    parsed = parse_html(render_html(escaping_document(FIGURES), svgs))
    labels = [a["aria-label"] for t, a in parsed.tags if a.get("role") == "img"]
    assert labels == [hostile(f"alt {stem}").replace("\n", " ") for stem in FIGURES]
    text = "".join(parsed.text)
    assert "Figure 1. figure caption one" in text and "Figure 2. figure caption two" in text


def test_inline_svgs_have_disjoint_ids_and_every_reference_resolves(svgs):
    inlined = [inline_svg(svgs[stem], f"f{i}-") for i, stem in enumerate(FIGURES)]
    ids = [set(re.findall(r'\bid="([^"]+)"', svg)) for svg in inlined]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    # the raw files share ids (glyphs, clip paths): inlined as is, they would collide
    raw = [set(re.findall(r'\bid="([^"]+)"', svgs[stem])) for stem in FIGURES]
    assert raw[0] & raw[1]
    for svg, own in zip(inlined, ids, strict=True):
        assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
        refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
        assert refs and refs <= own


@pytest.mark.parametrize("bad", ['<svg><script>alert(1)</script></svg>',
                                 '<svg onload="alert(1)"></svg>', "<div>not svg</div>"])
def test_inline_svg_refuses_anything_but_a_plain_svg(bad):
    with pytest.raises(ValueError, match="not a plain SVG"):
        inline_svg(bad, "f1-")


# --- Markdown -------------------------------------------------------------------------------

def test_markdown_shows_every_text_field_literally():
    """Read back by a CommonMark parser (with GFM tables): the text is the document's text,
    and no tag, emphasis, heading or table cell came out of it."""
    markdown = render_markdown(escaping_document(FIGURES),
                               {stem: f"figures/{stem}.png" for stem in FIGURES})
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    parsed = parse_html(html)
    text = normalized("".join(parsed.text))
    assert [f for f in FIELDS if normalized(hostile(f)) not in text] == []
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags and "b" not in tags
    # bold only where the document says so: the span, the callout title, cell 0, key values
    assert tags.count("em") == len(FIGURES)  # the "*Figure n. caption*" lines
    assert tags.count("h2") == 1 and tags.count("h3") == 1 and tags.count("table") == 2
    header_cells = len(re.findall(r"<th[ >]", html.split("<tbody>")[0]))
    assert header_cells == 3  # "a | b" in the header did not add a column
    images = [a["src"] for t, a in parsed.tags if t == "img"]
    assert images == [f"figures/{stem}.png" for stem in FIGURES]


def test_markdown_bold_span_and_cell_are_bold():
    doc = Document("T", "", "", (para("a ", Span("b c", bold=True), " d"),
                                 Table(("h",), ((Cell("x", bold=True),), ("y",)))))
    html = MarkdownIt("commonmark").enable("table").render(render_markdown(doc, {}))
    assert "<p>a <strong>b c</strong> d</p>" in html
    assert "<td><strong>x</strong></td>" in html


# --- the document model ---------------------------------------------------------------------

@pytest.mark.parametrize(("make", "message"), [
    (lambda: Table(("a", "b"), (("1",),)), "row 0 has 1 cells, the header 2"),
    (lambda: Table(("a", "b"), (), align="l"), "align must be one"),
    (lambda: Table(("a",), (), align="c"), "align must be one"),
    (lambda: Table(("a", "b"), (), widths=(1.0,)), "widths must be 2 positive"),
    (lambda: Table(("a",), (), mono_columns=(1,)), "mono_columns"),
    (lambda: Heading("x", 4), "heading level"),
    (lambda: Callout("x", (), tone="red"), "tone must be"),
    (lambda: Cell("x", tone="green"), "tone must be"),
])
def test_malformed_blocks_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_document_holds_blocks_only():
    with pytest.raises(TypeError, match="not a report block"):
        Document("t", "", "", ("a string",))  # type: ignore[arg-type]
    doc = Document("t", "", "", (Figure("a", "c", "x"), Heading("h"), Figure("b", "c", "x")))
    assert doc.figure_stems() == ("a", "b")


def test_every_hostile_string_is_covered():
    """The strings the escaping tests use hold each character that is markup somewhere."""
    joined = "".join(HOSTILE)
    assert all(ch in joined for ch in "<>&$#%|*_`@[]\\~=\"+-/")


# --- figures: drawn once, SVG and PNG from the same drawing ---------------------------------

@pytest.fixture(scope="module")
def small_run():
    scenario, summary = support_bot(3000)
    return scenario, summary, figure_specs(summary)


def _spread(specs):
    """A few figures of different kinds: enough to exercise the forked drawing."""
    kinds: dict[str, object] = {}
    for spec in specs:
        kinds.setdefault(spec.kind, spec)
    return list(kinds.values())[:4]


def test_each_figure_is_drawn_once_and_its_png_is_the_svg_rasterised(small_run, tmp_path,
                                                                      monkeypatch):
    _, summary, specs = small_run
    drawn: list[str] = []

    def counting(fig, spec, *args):
        drawn.append(spec.stem)
        return draw_figure(fig, spec, *args)

    monkeypatch.setattr(render, "draw_figure", counting)
    figures = render.render_figures(summary, None, tmp_path, workers=1)
    assert sorted(drawn) == sorted(spec.stem for spec in specs)  # once each, never twice
    assert list(figures) == [spec.stem for spec in specs]
    width_pt, height_pt = FIGSIZE[0] * 72, FIGSIZE[1] * 72
    for spec in specs:
        figure = figures[spec.stem]
        assert (figure.caption, figure.alt) == (spec.caption, spec.alt)
        size = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', figure.svg)
        assert size and float(size[1]) == pytest.approx(width_pt) and \
            float(size[2]) == pytest.approx(height_pt)
        assert figure.png == tmp_path / f"{spec.stem}.png"
        png = figure.png.read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        # PNG header: width and height in pixels, the figure's inches at PNG_DPI
        assert (int.from_bytes(png[16:20]), int.from_bytes(png[20:24])) == (
            round(FIGSIZE[0] * PNG_DPI), round(FIGSIZE[1] * PNG_DPI))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s.stem}.png" for s in specs)


def test_forked_drawing_gives_the_same_svgs_as_drawing_here(small_run):
    _, summary, specs = small_run
    chosen = _spread(specs)
    serial = render.render_figures(summary, None, None, workers=1, specs=chosen)
    forked = render.render_figures(summary, None, None, workers=2, specs=chosen)
    assert list(forked) == [spec.stem for spec in chosen]
    assert {s: f.svg for s, f in forked.items()} == {s: f.svg for s, f in serial.items()}
    assert all(f.png is None for f in forked.values())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_figure_that_fails_names_itself(small_run, monkeypatch, workers):
    _, summary, specs = small_run
    chosen = _spread(specs)
    broken = chosen[-1].stem

    def failing(fig, spec, *args):
        if spec.stem == broken:
            raise ValueError("no data")
        return draw_figure(fig, spec, *args)

    monkeypatch.setattr(render, "draw_figure", failing)
    with pytest.raises(RuntimeError, match=f"drawing figure '{broken}' failed: ValueError: no data"):
        render.render_figures(summary, None, None, workers=workers, specs=chosen)


# --- write_report ---------------------------------------------------------------------------

def test_report_pdf_is_written_last_and_an_old_one_removed_first(tmp_path, monkeypatch):
    folder, scenario, summary, written = support_bot_report()
    stems = [spec.stem for spec in figure_specs(summary)]
    assert sorted(written) == sorted([f"figures/{s}.png" for s in stems]
                                     + ["report.md", "report.html", "report.pdf"])
    assert all(path == folder / rel and path.stat().st_size > 0 for rel, path in written.items())
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]  # no temporary left
    assert max(p.stat().st_mtime_ns for p in written.values()) == \
        (folder / "report.pdf").stat().st_mtime_ns

    # a second report into a folder holding an old report.pdf, failing while it compiles:
    # the old PDF is gone (a PDF means a complete report), the other files are in place
    (tmp_path / "report.pdf").write_bytes(b"%PDF old")
    seen: dict[str, bool] = {}

    def failing_pdf(doc, svgs, path):
        seen.update({name: (tmp_path / name).exists()
                     for name in ("report.md", "report.html", "report.pdf")})
        raise RuntimeError("typst failed")

    monkeypatch.setattr(write, "write_pdf", failing_pdf)
    monkeypatch.setattr(write, "start_figures", lambda *a, **k: ({
        s: render.RenderedFigure(s, "c", "a", tiny_svg(s), None) for s in stems},
        render.PendingPngs([], None)))
    with pytest.raises(RuntimeError, match="typst failed"):
        write.write_report(tmp_path, summary, scenario, command="x", seconds=1.0)
    assert seen == {"report.md": True, "report.html": True, "report.pdf": False}
    assert not (tmp_path / "report.pdf").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_markdown_links_every_figure_the_document_shows(small_run):
    folder, *_ = support_bot_report()
    markdown = (folder / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert images and all((folder / image).is_file() for image in images)


def test_importing_the_report_package_or_its_sentences_loads_no_renderer():
    """The terminal imports ftsim.report.sentences on every run, --no-report included."""
    code = ("import sys, ftsim.report, ftsim.report.sentences, ftsim.report.blocks; "
            "print(sorted(m for m in ('matplotlib', 'typst', 'jinja2', 'markupsafe') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"
