"""Languages: French by default, English second; the visitor's choice is kept in a cookie."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import Domain, get_locale, get_timezone
from jinja2 import pass_context
from markupsafe import Markup

from .security import request_user

LANGUAGE_COOKIE = "hub_lang"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def translation_directories(plugin_manager) -> list[str]:
    """The core catalogue, then each loaded plugin's (all in the ``messages`` domain)."""
    core = Path(__file__).parent
    dirs = [str(core / "translations")]
    dirs += [str(p) for p in sorted(core.glob("*/translations")) if p.is_dir()]
    dirs += [str(d) for info in plugin_manager.loaded if (d := info.folder("translations"))]
    return dirs


def select_locale() -> Locale:
    """The request's language: the visitor's cookie, else the account's, else the hub's."""
    locales = current_app.config["LOCALES"]
    if has_request_context():
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in locales:
            return _locale(chosen)
        user = request_user()
        if user and user.is_authenticated and user.locale in locales:
            return _locale(user.locale)
    return _locale(current_app.config["DEFAULT_LOCALE"])


@lru_cache(maxsize=32)
def _locale(code: str) -> Locale:
    """Parsed once per worker (Flask-Babel takes a ``Locale`` as it is): a request no longer
    parses its language, and the locale's data is loaded once."""
    return Locale.parse(code)


def _babel_state() -> dict | None:
    """Flask-Babel's per-request namespace (its ``g._flask_babel``), as a dict, or None."""
    from flask.globals import _cv_app

    app_context = _cv_app.get(None)
    state = app_context.g.__dict__.get("_flask_babel") if app_context else None
    return state.__dict__ if state is not None else None


def current_locale() -> Locale | None:
    """Flask-Babel's ``get_locale()``, in one step once the request's locale is chosen
    (templates and memo keys ask for it a dozen times a page)."""
    state = _babel_state()
    locale = state.get("babel_locale") if state is not None else None
    return locale if locale is not None else get_locale()


def current_timezone():
    """Flask-Babel's ``get_timezone()``, in one step once the request's is known."""
    state = _babel_state()
    tzinfo = state.get("babel_tzinfo") if state is not None else None
    return tzinfo if tzinfo is not None else get_timezone()


def locale_name() -> str:
    """The request's language as a string ("fr"), ``str(get_locale())``; "" outside a
    request."""
    state = _babel_state()
    locale = state.get("babel_locale") if state is not None else None
    if locale is not None:
        memo = state.get("hub_locale_name")
        if memo is not None and memo[0] is locale:
            return memo[1]
    else:  # the request's language not chosen yet: Flask-Babel chooses it (select_locale)
        locale = get_locale()
    name = "" if locale is None else str(locale)
    state = _babel_state()
    if state is not None and locale is not None:
        state["hub_locale_name"] = (locale, name)
    return name


def _request_translations(domain):
    """``domain``'s catalogue for the current locale, looked up once per request and locale.

    Flask-Babel finds it again on every message (three lookups through ``g`` and a locale
    name built each time), which a page pays hundreds of times. The catalogue is kept on
    Flask-Babel's own per-request namespace with the locale object it was chosen for, so
    ``force_locale`` and ``refresh`` (which replace or drop that object) are obeyed."""
    from flask.globals import _cv_app

    app_context = _cv_app.get(None)
    babel_state = app_context.g.__dict__.get("_flask_babel") if app_context else None
    if babel_state is not None:
        state = babel_state.__dict__
        memo = state.get("hub_translations")
        if memo is not None and memo[0] is state.get("babel_locale") and memo[1] is domain:
            return memo[2]
    translations = Domain.get_translations(domain)
    if app_context is not None:
        state = app_context.g._flask_babel.__dict__
        if state.get("babel_locale") is not None:
            state["hub_translations"] = (state["babel_locale"], domain, translations)
    return translations


class HubDomain(Domain):
    """The ``messages`` domain with :func:`_request_translations`."""

    def get_translations(self):
        return _request_translations(self)


def install_translations(app, babel) -> None:
    """The hub's domain for Python code (``gettext``, lazy strings) and templates
    (``_``, ``ngettext``…), which then reach the catalogue in one step."""
    domain = HubDomain(domain=app.extensions["babel"].default_domain)
    babel.domain_instance = domain  # Flask-Babel's cached_property, per application
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )
    gettext, ngettext = _template_gettext(domain)
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def _template_gettext(domain):
    """``_``/``gettext`` and ``ngettext`` for templates, as Jinja's new-style callables do
    them (the message marked safe when autoescaping, then always %-formatted with the
    keyword arguments) in one call instead of four: ``_()`` reached ``gettext`` through
    Jinja's alias, its wrapper and the installed function, a hundred times on some pages.
    A message without ``%`` and without arguments is returned as it is (formatting would
    not change it)."""

    @pass_context
    def gettext(context, string, /, **variables):
        rv = _request_translations(domain).ugettext(string)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        if not variables and "%" not in rv:
            return rv
        return rv % variables

    @pass_context
    def ngettext(context, singular, plural, number, /, **variables):
        variables.setdefault("num", number)
        rv = _request_translations(domain).ungettext(singular, plural, number)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext, ngettext
