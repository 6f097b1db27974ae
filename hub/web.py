"""Request cycle and template helpers shared by every page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request, abort, current_app, request, url_for
from flask_babel import (
    format_date,
    format_decimal,
    format_percent,
    format_time,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.sansio.http import parse_cookie
from werkzeug.utils import cached_property

from . import pagecache
from .db import flush_deferred_writes
from .extensions import csrf, db, login_manager
from .i18n import LANGUAGE_NAMES, current_locale, current_timezone, locale_name
from .navigation import navigation_items, viewer_roles
from .security import set_security_headers
from .settings import GENERATION_READ, get_setting
from .sharedparts import personal_bit
from .slots import page_sections, template_slot
from .templating import MemoExtension, SharedExtension
from .text import render_markdown
from .workqueue import queue_counts


def _foreign_content_language() -> str | None:
    """The language residents and staff write in (the hub's default language), when the
    visitor reads the interface in another one; else None."""
    language = current_app.config.get("DEFAULT_LOCALE", "fr")
    name = locale_name()
    return language if name and name != language else None


def content_markdown(source) -> Markup:
    """Markdown written on the hub, marked with its language in another interface language
    (RGAA 8.7: ``lang="fr"`` around French text in the English interface)."""
    html = render_markdown(source)
    language = _foreign_content_language()
    if language and html:
        return Markup('<div lang="{}">{}</div>').format(language, html)
    return html


def content_text(value) -> Markup:
    """A title or name written on the hub, marked with its language like
    :func:`content_markdown`."""
    if value is None:
        return Markup("")
    language = _foreign_content_language()
    if language:
        return Markup('<span lang="{}">{}</span>').format(language, value)
    return escape(value)


def title_content(value) -> str:
    """A page title made of text written on the hub (a project's title): returned as it is,
    and the page's ``<title>`` gets the content's language in another interface language
    (``<title>`` holds no markup, so the whole element is marked)."""
    from flask import g

    language = _foreign_content_language()
    if language:
        g.title_lang = language
    return "" if value is None else value


def colon() -> str:
    """What separates a label from its value: a narrow no-break space before the colon in
    French ("Modérer : …"), none in English."""
    return "\u202f: " if locale_name().startswith("fr") else ": "


def long_date(value, format="long", rebase=True) -> str:
    """The one date format of each locale ("11 octobre 2026", "October 11, 2026"); ``full``
    adds the day of the week."""
    if value is None:
        return ""
    style = "full" if format == "full" else "long"
    return _formatted(("date", value, style, rebase), format_date, value, style, rebase=rebase)


def long_datetime(value, format="long", rebase=True) -> str:
    """A date and time in the locale's one format ("11 octobre 2026 à 18:30")."""
    if value is None:
        return ""
    return _formatted(("datetime", value, format, rebase), _long_datetime, value, format, rebase)


def _long_datetime(value, format, rebase) -> str:
    return _(
        "%(day)s at %(time)s",
        day=long_date(value, format, rebase=rebase),
        time=format_time(value, "HH:mm", rebase=rebase),
    )


# Dates written on pages, per worker: Babel takes 30 to 60 µs for one, and pages, agendas
# and lists show the same dates request after request. Keyed by the locale and time zone
# too; the whole memo is dropped when full.
_FORMATTED: dict = {}
_FORMATTED_SIZE = 5_000


def _formatted(key: tuple, build, *args, **kwargs) -> str:
    locale = current_locale()
    key = (*key, locale.language if locale else None, locale.territory if locale else None)
    key += (current_timezone(),)
    text = _FORMATTED.get(key)
    if text is None:
        text = build(*args, **kwargs)
        if len(_FORMATTED) >= _FORMATTED_SIZE:
            _FORMATTED.clear()
        _FORMATTED[key] = text
    return text


def fail(status: int, message: str):
    """Abort with a message meant for the visitor (shown on the error page or in JSON)."""
    exc = HTTPException(description=message)
    exc.code = status
    exc.hub_message = True
    raise exc


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths may be redirect targets (no open redirects).

    Judged as a browser reads a ``Location``, not only as ``urlsplit`` does: browsers take
    ``\\`` for ``/`` and drop tabs and line breaks, so ``/\\evil.example`` or ``/<TAB>/evil``
    lead to another site; a line break would also make the header invalid (a 500). Such
    targets, and any other control character, give ``default``."""
    if not target or not isinstance(target, str):
        return default
    if "\\" in target or any(ord(c) < 0x20 or c == "\x7f" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# The largest id a database integer column holds: larger ids in URLs or filters are absent.
MAX_ID = 2**31 - 1


def int_arg(name: str, source=None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """A whole number from the query string (``source``: another mapping), or None.

    Only ASCII digits count (``"²".isdigit()`` is true in Python, ``int("²")`` fails) and the
    value must fit the database's integer columns, so no filter or page number can crash a
    page.
    """
    value = (source if source is not None else request.args).get(name, "")
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def parse_int(value, *, minimum: int = -MAX_ID, maximum: int = MAX_ID) -> int | None:
    """The whole number written in ``value`` (ASCII digits, an optional leading minus), or
    None when it is not one or does not fit the database's integer columns."""
    if not isinstance(value, str):
        return None
    digits = value[1:] if value.startswith("-") else value
    if not digits or len(digits) > 12 or not digits.isascii() or not digits.isdigit():
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits only (``\\d`` would also take ``١٢``), and
    no larger than a database integer, so an id too large answers 404 instead of an
    overflow error from the database."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedArgs(ImmutableMultiDict):
    """Query strings and form fields whose ``.get(name, type=int)`` gives the default for
    anything that is not a whole number within the database's range (``page=10**30``,
    ``neighbourhood=²``) instead of a number that would crash a query."""

    def get(self, key, default=None, type=None):
        if type is int:
            try:
                raw = self[key]
            except KeyError:
                return default
            number = parse_int(raw.strip())
            return default if number is None else number
        return super().get(key, default, type)


class HubRequest(Request):
    parameter_storage_class = BoundedArgs

    @cached_property
    def cookies(self):
        """Werkzeug's, read from the one ``HTTP_COOKIE`` the WSGI server gives (several Cookie
        headers arrive there joined) instead of walking every header of the environ."""
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)


def configure_routing(app) -> None:
    """Before any blueprint is registered: bounded integers in URLs and query strings."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.request_class = HubRequest


def external_url(endpoint: str, **values) -> str:
    """An absolute URL from the configured public address (``BASE_URL``), never from the
    request's Host header."""
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    path = url_for(endpoint, **values)
    return base + path if base else url_for(endpoint, _external=True, **values)


def offline_request_context(app=None):
    """A request context for work done outside a request (commands, jobs, demo content), so
    ``url_for`` and ``external_url`` give links rooted at ``BASE_URL`` (or at the built-in
    server's address when none is set), never at a placeholder host."""
    from .config import DEFAULT_BASE_URL

    app = app or current_app._get_current_object()
    return app.test_request_context("/", base_url=app.config.get("BASE_URL") or DEFAULT_BASE_URL)


def csrf_exempt(view):
    """Decorator: no CSRF check for this view (put it under ``@bp.route``).

    Only for views that authenticate every request themselves, such as endpoints another
    server calls with a signed request (HTTP Message Signatures), and that never act on the
    visitor's session cookie: a browser form must keep its CSRF token."""
    view.hub_csrf_exempt = True
    return view


def _csrf_exempt_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "hub_csrf_exempt", False))


def _refresh(hub) -> None:
    """The request's first statements: the visitor's account, which brings the settings'
    generation with it (hub.accounts.views.load_user), then the settings and plugin states
    if the generation moved; for a visitor who is not logged in, the generation alone."""
    current_user._get_current_object()
    hub.refresh(in_session=True, generation=request.environ.pop(GENERATION_READ, None))


# Extensions' context processors whose values are the same objects on every call:
# Flask-WTF's ``csrf_token``/``csrf_meta_tag`` (already globals too) and Flask-HTMX's
# ``htmx``. Every ``render_template`` (pages and htmx fragments) ran them.
CONSTANT_CONTEXT_PROCESSORS = ("flask_wtf.csrf", "flask_htmx.htmx")


def _constant_context_processors_as_globals(app) -> None:
    processors = app.template_context_processors[None]
    for processor in list(processors):
        if getattr(processor, "__module__", None) in CONSTANT_CONTEXT_PROCESSORS:
            app.jinja_env.globals.update(processor())
            processors.remove(processor)


# The viewer's own bits of the shared header (_header.html): the header is written once per
# audience, page and endpoint; these are filled in for each request. Their HTML is kept per
# worker like a ``{% memo %}`` block, by the values it shows (the unread count, the work
# queue's counts), the template (a theme may override it; an edited template is a new
# object), the language, settings version, plugins switched off and script root.
_BITS: dict = {}
_BITS_SIZE = 2_000


def _frame_bit(template_name: str, **values) -> Markup:
    """The template rendered with ``values``, which are also its key: it shows what it is
    kept under, never a count read again while it renders."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(template_name)
    hub = app.extensions["hub"]
    key = (
        template,
        tuple(sorted(values.items())),
        locale_name(),
        hub.settings.version,
        hub.plugins.disabled,
        request.script_root,
    )
    html = _BITS.get(key)
    if html is None:
        html = Markup(template.render(**values))
        if len(_BITS) >= _BITS_SIZE:
            _BITS.clear()
        _BITS[key] = html
    return html


@personal_bit("hub.notifications_link")
def _notifications_link() -> Markup:
    unread = current_app.jinja_env.globals["unread_notifications"]()
    here = request.endpoint == "notifications.index"
    return _frame_bit("notifications/_header_link.html", unread=unread, here=here)


@personal_bit("hub.work_queue_link")
def _work_queue_link() -> Markup:
    queue = queue_counts()
    here = request.endpoint == "main.staff"
    return _frame_bit(
        "_header_queue.html", total=queue["total"], overdue=queue["overdue"], here=here
    )


def plugin_enabled(name: str) -> bool:
    return current_app.extensions["hub"].plugins.is_enabled(name)


def init_web(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    serve_from_cache, store_in_cache = pagecache.init_app(app)

    @app.before_request
    def _refresh_and_guard_plugins():
        if request.endpoint == "static":
            return None
        hub = current_app.extensions["hub"]
        try:
            _refresh(hub)
        except DBAPIError as exc:
            # The request's first statement found its pooled connection dropped (a database
            # restart between two busy requests): nothing was done yet, so once more on a
            # fresh connection (hub.db._ping_idle_connections).
            if not exc.connection_invalidated:
                raise
            db.session.rollback()
            _refresh(hub)
        owner = hub.plugins.blueprint_owner(request.blueprint)
        if owner and not hub.plugins.is_enabled(owner):
            abort(404)
        # Every browser form is CSRF-protected; API calls authenticate with bearer
        # tokens only (never the session cookie), and views marked ``csrf_exempt``
        # check a signature on every request, so the check does not apply there.
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and not request.path.startswith("/api/")
            and not _csrf_exempt_request()
        ):
            csrf.protect()
        return serve_from_cache()

    # after_request functions run last-registered first: the page cache stores the response
    # once the security and cache headers are set.
    app.after_request(store_in_cache)
    app.after_request(set_security_headers)

    @app.teardown_request
    def _deferred_writes(exc):
        if exc is None:
            flush_deferred_writes()

    app.jinja_env.globals.update(
        slot=template_slot,
        page_sections=page_sections,
        setting=get_setting,
        plugin_enabled=plugin_enabled,
        navigation_items=navigation_items,
        viewer_roles=viewer_roles,
        work_queue_counts=queue_counts,
        language_names=LANGUAGE_NAMES,
        colon=colon,
    )
    app.jinja_env.filters.update(
        markdown=content_markdown,
        content=content_text,
        title_content=title_content,
        date=long_date,
        datetime=long_datetime,
        number=format_decimal,
        percent=format_percent,
    )
    _constant_context_processors_as_globals(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.add_extension(MemoExtension)
    app.jinja_env.add_extension(SharedExtension)
    app.jinja_env.globals["get_locale"] = current_locale
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Templates get ``current_user`` from Flask-Login's context processor: the user object
    # itself, not the proxy that looks the user up again on each of a page's many uses.
