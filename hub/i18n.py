"""Languages: French by default, English second; the visitor's choice is kept in a cookie."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, has_request_context, request
from flask_babel import Domain
from flask_login import current_user

LANGUAGE_COOKIE = "hub_lang"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def translation_directories(plugin_manager) -> list[str]:
    """The core catalogue, then each loaded plugin's (all in the ``messages`` domain)."""
    core = Path(__file__).parent
    dirs = [str(core / "translations")]
    dirs += [str(p) for p in sorted(core.glob("*/translations")) if p.is_dir()]
    dirs += [str(d) for info in plugin_manager.loaded if (d := info.folder("translations"))]
    return dirs


def select_locale() -> str:
    locales = current_app.config["LOCALES"]
    if has_request_context():
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in locales:
            return chosen
        if current_user and current_user.is_authenticated and current_user.locale in locales:
            return current_user.locale
    return current_app.config["DEFAULT_LOCALE"]


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
