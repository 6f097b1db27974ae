"""Request cycle and template helpers shared by every page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from . import pagecache
from .db import flush_deferred_writes
from .extensions import csrf, login_manager
from .i18n import LANGUAGE_NAMES
from .navigation import navigation_items
from .security import set_security_headers
from .settings import get_setting
from .slots import page_sections, template_slot
from .text import render_markdown


def fail(status: int, message: str):
    """Abort with a message meant for the visitor (shown on the error page or in JSON)."""
    exc = HTTPException(description=message)
    exc.code = status
    exc.hub_message = True
    raise exc


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths may be redirect targets (no open redirects)."""
    if not target:
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
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def external_url(endpoint: str, **values) -> str:
    """An absolute URL from the configured public address (``BASE_URL``), never from the
    request's Host header."""
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    path = url_for(endpoint, **values)
    return base + path if base else url_for(endpoint, _external=True, **values)


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
        hub.refresh()
        owner = hub.plugins.blueprint_owner(request.blueprint)
        if owner and not hub.plugins.is_enabled(owner):
            abort(404)
        # Every browser form is CSRF-protected; API calls authenticate with bearer
        # tokens only (never the session cookie), so the check does not apply there.
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.path.startswith(
                "/api/"):
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
        language_names=LANGUAGE_NAMES,
    )
    app.jinja_env.filters.update(
        markdown=render_markdown,
        date=format_date,
        datetime=format_datetime,
        number=format_decimal,
        percent=format_percent,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _inject():
        return {"current_user": current_user}
