"""report.html in a real browser (Debian's chromium driven by Playwright): no console error,
no request but the file itself, the verdict and every figure visible, hostile text shown as
text, tables sortable, readable on a phone, and the page prints.

One browser for the whole module. Without chromium the module is skipped, except in CI
(the CI variable set), where .ci/run installs it and its absence is a failure.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

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

from ftsim.figures.registry import figure_specs
from ftsim.format import format_probability
from ftsim.report.html import render_html

CHROMIUM = os.environ.get("FTSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
FIGURES = ("one", "two")

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"chromium not found at {CHROMIUM} in CI (.ci/run installs it)",
                    pytrace=False)
    pytest.skip(f"chromium not installed ({CHROMIUM}): apt-get install chromium",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Visit:
    """A page opened from a file, with what it logged and requested."""

    def __init__(self, browser, path: Path, width: int = 1100) -> None:
        self.console: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri(), wait_until="load")
        self.path, self.url = path, path.as_uri()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def escaping_page(browser, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    svgs = {stem: tiny_svg(f"figure {stem}") for stem in FIGURES}
    path.write_text(render_html(escaping_document(FIGURES), svgs), encoding="utf-8")
    visit = Visit(browser, path)
    yield visit
    visit.close()


@pytest.fixture(scope="module")
def report_page(browser):
    """report.html of support_bot at 3,000 paths, as write_report wrote it."""
    folder, _, summary, _ = support_bot_report()
    visit = Visit(browser, folder / "report.html")
    yield visit, summary
    visit.close()


def svg_boxes(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('figure svg'))
        .map(s => { const r = s.getBoundingClientRect();
                    return {width: r.width, height: r.height,
                            visible: s.checkVisibility({visibilityProperty: true})}; })""")


def pixel_spread(png: bytes) -> float:
    """Standard deviation of the screenshot's grey levels: 0 for a blank page."""
    import numpy as np
    from matplotlib.image import imread

    grey = imread(io.BytesIO(png), format="png")[..., :3].mean(axis=2)
    return float(np.std(grey))


def test_page_loads_with_no_console_error_no_request_and_no_script_of_the_text(escaping_page):
    assert escaping_page.console == []
    assert escaping_page.requests == [escaping_page.url]
    assert escaping_page.dialogs == []  # "<script>alert(1)</script>" was text, not a script


def test_every_text_field_shows_literally(escaping_page):
    text = normalized(escaping_page.page.inner_text("body"))
    fields = ["title", "subtitle", "footer", "span", "part", "bullet", "heading", "paragraph",
              "small", "header", "caption", "cell 0", "cell 44", "label 0", "value 1",
              *(f"figure caption {stem}" for stem in FIGURES)]
    assert [f for f in fields if normalized(hostile(f)) not in text] == []
    for piece in HOSTILE:
        assert text.count(normalized(piece)) >= len(fields)


def test_verdict_and_figures_are_visible_and_the_screenshot_is_not_blank(escaping_page):
    page = escaping_page.page
    assert page.get_by_text(VERDICT).is_visible()
    boxes = svg_boxes(page)
    assert len(boxes) == len(FIGURES)
    for box in boxes:  # 4 x 2.5 inch figures scaled to the text column, ratio kept
        assert box["visible"] and box["width"] > 300
        assert box["height"] == pytest.approx(box["width"] * 2.5 / 4, rel=0.02)
    assert pixel_spread(page.screenshot()) > 0.05


def test_tables_sort_by_number_both_ways_and_back(escaping_page):
    page = escaping_page.page
    table = page.locator("table.sortable").first
    column = "Array.from(t.tBodies[0].rows).map(r => r.cells[1].textContent)"
    before = table.evaluate(f"t => {column}")
    table.locator("th button").nth(1).click()  # "Amount": 0 ... 44,000
    ascending = table.evaluate(f"t => {column}")
    table.locator("th button").nth(1).click()
    descending = table.evaluate(f"t => {column}")
    values = [int(v.replace(",", "")) for v in before]
    assert [int(v.replace(",", "")) for v in ascending] == sorted(values)
    assert [int(v.replace(",", "")) for v in descending] == sorted(values, reverse=True)
    assert escaping_page.console == []


def test_on_a_phone_only_tables_scroll_sideways(browser, escaping_page):
    phone = Visit(browser, escaping_page.path, width=390)
    try:
        page = phone.page
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for box in svg_boxes(page):
            assert 300 < box["width"] <= 390
        assert phone.console == []
    finally:
        phone.close()


def test_the_report_opens_with_no_error_no_request_and_its_verdicts_visible(report_page):
    visit, summary = report_page
    assert visit.console == []
    assert visit.requests == [visit.url]
    page = visit.page
    top = page.locator(".callout").first.bounding_box()
    assert top is not None and top["y"] < 900  # the first verdict is on the first screen
    for option in summary.options.values():
        title = page.get_by_text(f"{option.name}: {VERDICT_LABELS[option.verdict]}", exact=True)
        assert title.is_visible()
    text = page.inner_text("main")
    for option in summary.options.values():
        assert format_probability(option.p_payback_within) in text
    assert pixel_spread(page.screenshot()) > 0.05


def test_every_figure_of_the_report_is_visible(report_page):
    visit, summary = report_page
    boxes = svg_boxes(visit.page)
    assert len(boxes) == len(figure_specs(summary))
    for box in boxes:
        assert box["visible"] and box["width"] > 300 and box["height"] > 150
    # each figure scrolled into view paints something: its screenshot is not blank
    figures = visit.page.locator("figure .svg")
    for i in (0, figures.count() - 1):
        assert pixel_spread(figures.nth(i).screenshot()) > 0.05


def test_the_report_prints(report_page):
    visit, summary = report_page
    pdf = visit.page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 100_000
    assert visit.requests == [visit.url] and visit.console == []
