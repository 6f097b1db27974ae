"""Rendering residents' text: Markdown through markdown-it-py, sanitised with nh3."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
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


# A spreadsheet runs a cell as a formula when it starts with one of these (LibreOffice and
# Excel also treat a leading tab or carriage return as blank and look at what follows).
FORMULA_STARTS = "=+-@"
# Characters after which a spreadsheet may start a new cell or row when it splits the text
# itself (French-locale spreadsheets split on ";", others on "," or tabs, some on "|").
_CELL_BREAK = re.compile(r"([;,\t|\r\n])([ \t]*)([=+\-@])")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in one cell, whatever separator the reader splits on.

    A cell that starts with ``= + - @`` (after blanks) gets a leading quote, and so does every
    such character right after a separator or line break inside the cell (``a;=HYPERLINK(…)``
    becomes ``a;'=HYPERLINK(…)``): a spreadsheet opening the file with another separator than
    the one it was written with can never see a formula. :func:`csv_text` also quotes every
    cell.
    """
    text = "" if value is None else str(value)
    text = _CELL_BREAK.sub(r"\1\2'\3", text)
    if text.lstrip(" \t\r\n")[:1] in tuple(FORMULA_STARTS):
        text = "'" + text
    return text


def csv_text(header, rows, *, delimiter: str = ",") -> str:
    """The one CSV writer of the hub: every cell (header included) is neutralised with
    :func:`csv_safe` and quoted, so no separator inside a cell can split it."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    if header is not None:
        writer.writerow([csv_safe(value) for value in header])
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
    return buffer.getvalue()


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


def csv_response(header, rows, filename: str, *, headers: dict | None = None):
    """A CSV download written by :func:`csv_text` (every cell neutralised and quoted)."""
    from flask import Response

    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )
