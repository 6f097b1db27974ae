"""Rendering residents' text: Markdown through markdown-it-py, sanitised with nh3."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table").enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(source: str | None) -> Markup:
    """Markdown to safe HTML (see :func:`_render`); results are cached by source text."""
    if not source:
        return Markup("")
    return _render(str(source))


@lru_cache(maxsize=1024)
def _render(source: str) -> Markup:
    """Markdown to safe HTML: raw HTML is not rendered and the output is sanitised.

    Headings start at ``h2`` (the page owns ``h1``); links get ``rel="nofollow
    noopener"``; only http(s) and mailto links survive.
    """
    html = _md.render(source)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas: cells starting with = + - @ (or tab/CR) get a quote."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
