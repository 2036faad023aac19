"""The report as one self-contained HTML page: inline CSS, inline SVG figures, a few lines of
inline JavaScript to sort tables, and a Content-Security-Policy that forbids every network
request. Rendered by Jinja2 with autoescaping from ``templates/``."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from .blocks import TONE_COLORS, Document, Figure

__all__ = ["render_html", "inline_svg"]

_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85|\x0b|\x0c")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Script in any form: elements that run or embed code, event-handler attributes, js: URLs
_UNSAFE = re.compile(r"<(?:script|foreignobject|iframe|object|embed)\b|[\s\"'/]on[a-z]+\s*=|"
                     r"javascript:")


def _oneline(text: str) -> str:
    return _CONTROL.sub(" ", _NEWLINES.sub(" ", text))


def _lines(text: str) -> Any:
    from markupsafe import Markup, escape

    lines = _NEWLINES.split(_CONTROL.sub(" ", text))
    return Markup("<br>").join(escape(line) for line in lines)


def _tone_class(tone: str | None) -> str:
    return f"tone-{tone}" if tone is not None else ""


def inline_svg(svg: str, prefix: str) -> str:
    """A matplotlib SVG file as an element to inline in HTML: no XML prologue, comments or
    metadata, and every id prefixed with ``prefix`` (with the references to it), so two
    figures' clip paths and glyphs never collide. Refuses SVG carrying script."""
    svg = _COMMENT.sub("", svg)  # matplotlib puts each text in a comment: the only user text
    start = svg.find("<svg")
    metadata, end = svg.find("<metadata>"), svg.find("</metadata>")
    if metadata > start >= 0 and end > metadata:
        svg = svg[:metadata] + svg[end + len("</metadata>"):]
    svg = svg[start:].strip() if start >= 0 else svg
    if not svg.startswith("<svg") or _UNSAFE.search(svg.lower()):
        raise ValueError(f"not a plain SVG figure ({prefix!r})")
    # matplotlib writes ids as id="...", references as xlink:href="#..." and url(#...)
    return (svg.replace(' id="', f' id="{prefix}').replace('href="#', f'href="#{prefix}')
            .replace("url(#", f"url(#{prefix}"))


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("ftsim.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    env.filters["oneline"] = _oneline
    env.filters["lines"] = _lines
    env.globals["tone_class"] = _tone_class
    return env


@functools.cache
def _assets() -> tuple[str, str, str]:
    """(css, script, the script's CSP hash source)."""
    env = _environment()
    loader = env.loader
    css = loader.get_source(env, "report.css")[0]
    script = loader.get_source(env, "sort.js")[0]
    palette = [f"--{tone or 'ink'}: {ink}; --{tone or 'panel'}{'-bg' if tone else ''}: {bg};"
               for tone, (ink, bg) in TONE_COLORS.items()]
    css = ":root { " + " ".join(palette) + " }\n" + css
    digest = base64.b64encode(hashlib.sha256(f"\n{script}\n".encode()).digest()).decode()
    return css, script, f"sha256-{digest}"


def warm_up() -> None:
    """Load the templates and assets now (see ``report.write.warm_up``)."""
    _assets()


def render_html(doc: Document, svgs: Mapping[str, str]) -> str:
    """``doc`` as one self-contained HTML page; ``svgs`` maps a figure's stem to its SVG text.

    Nothing is fetched when the page is opened: the style sheet, the figures and the script
    are inline, and the page's Content-Security-Policy blocks any other source."""
    from markupsafe import Markup

    blocks = []
    number = 0
    inlined: dict[str, Any] = {}
    for block in doc.blocks:
        if isinstance(block, Figure):
            if block.stem not in svgs:
                raise KeyError(f"the report shows figure {block.stem!r}, which was not rendered")
            number += 1
            inlined[block.stem] = Markup(inline_svg(svgs[block.stem], f"f{number}-"))
        blocks.append((type(block).__name__.lower(), block, number))
    css, script, script_hash = _assets()
    return _environment().get_template("report.html.j2").render(
        doc=doc, blocks=blocks, svgs=inlined, css=Markup(css), script=Markup(script),
        script_hash=script_hash)
