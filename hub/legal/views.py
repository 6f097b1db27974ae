"""The legal pages: accessibility statement, legal notice, terms of use, privacy notice."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..settings import get_setting
from ..web import external_url

bp = Blueprint("legal", __name__, template_folder="templates")


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement, in the structure the RGAA asks for."""
    pages = [
        line.strip()
        for line in (get_setting("accessibility_pages_audited") or "").splitlines()
        if line.strip()
    ]
    return render_template(
        "legal/accessibility.html", pages=pages, site=external_url("main.home").rstrip("/")
    )


@bp.route("/legal-notice")
def legal_notice():
    return render_template("legal/page.html", kind="legal_notice", text=get_setting("legal_notice"))


@bp.route("/terms")
def terms():
    return render_template("legal/page.html", kind="terms", text=get_setting("terms_of_use"))


@bp.route("/privacy")
def privacy():
    return render_template(
        "legal/page.html",
        kind="privacy",
        text=get_setting("privacy_notice"),
        dpo=get_setting("privacy_dpo_contact"),
    )


def accessibility_mention() -> str:
    """The footer's "Accessibilité : …" mention, from the statement's status."""
    from flask_babel import gettext as _

    labels = {
        "non": _("not compliant"),
        "partiellement": _("partially compliant"),
        "totalement": _("fully compliant"),
    }
    return labels.get(get_setting("accessibility_status"), labels["non"])


def init_app(app) -> None:
    app.jinja_env.globals["accessibility_mention"] = accessibility_mention
