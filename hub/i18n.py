"""Languages: French by default, English second; the visitor's choice is kept in a cookie."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, has_request_context, request
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
