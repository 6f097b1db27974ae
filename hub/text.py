"""Rendering residents' text: Markdown through markdown-it-py, sanitised with nh3."""

from __future__ import annotations

import re
import unicodedata
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
    return Markup(clean)


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas: cells starting with = + - @ (or tab/CR) get a quote."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def slugify(text: str) -> str:
    """An ASCII, lower-case, dash-separated short name for URLs (``Quai des Tanneurs`` →
    ``quai-des-tanneurs``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120] or "x"


def unique_slug(model, text: str) -> str:
    """A slug of ``text`` not yet used in ``model.slug`` (``-2``, ``-3``… appended)."""
    from sqlalchemy import select

    from .extensions import db

    base = slugify(text)
    taken = set(db.session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def csv_response(header, rows, filename: str):
    """A CSV download: every cell neutralised against spreadsheet formulas."""
    import csv
    import io

    from flask import Response

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
