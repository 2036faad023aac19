"""The renderers on hand-built Documents: text reaches Typst, HTML and Markdown as text
(checked by reading each format back with an independent parser), inline SVG figures keep
their ids apart, and the document model refuses malformed blocks."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
import typst
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from report_docs import HOSTILE, VERDICT, escaping_document, hostile, normalized, tiny_svg

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
