"""The legal pages' own hook implementations: their settings (edited on their own admin page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..settings import Setting
from .texts import DEFAULT_LEGAL_NOTICE, DEFAULT_PRIVACY, DEFAULT_TERMS

STATUSES = (
    ("non", _l("not compliant")),
    ("partiellement", _l("partially compliant")),
    ("totalement", _l("fully compliant")),
)


def _legal(key, kind, default, label, help_text="", **options):
    return Setting(key, kind, default, label, help_text, section="legal", **options)


@hookimpl
def hub_register_settings():
    return [
        _legal(
            "accessibility_status",
            "choice",
            "non",
            _l("Accessibility: state of compliance with RGAA 4.1"),
            _l("“Fully” only after an audit finds every applicable criterion met."),
            choices=STATUSES,
        ),
        _legal(
            "accessibility_rate",
            "int",
            0,
            _l("Accessibility: share of RGAA criteria met in the last audit (%)"),
            minimum=0,
            maximum=100,
        ),
        _legal(
            "accessibility_audit_date",
            "str",
            "",
            _l("Accessibility: date of the last audit"),
            _l("For example: 12 March 2027."),
        ),
        _legal("accessibility_auditor", "str", "", _l("Accessibility: who carried out the audit")),
        _legal(
            "accessibility_pages_audited",
            "text",
            "",
            _l("Accessibility: pages of the sample audited (one per line)"),
        ),
        _legal(
            "accessibility_non_compliances",
            "text",
            "",
            _l("Accessibility: non-compliant content (Markdown)"),
        ),
        _legal(
            "accessibility_derogations",
            "text",
            "",
            _l("Accessibility: derogations for disproportionate burden (Markdown)"),
        ),
        _legal(
            "accessibility_exempt",
            "text",
            "",
            _l("Accessibility: content not subject to the obligation (Markdown)"),
        ),
        _legal(
            "accessibility_contact",
            "text",
            "",
            _l("Accessibility: how to report a problem (Markdown)"),
            _l(
                "An email address, a form or a postal address: people who cannot use a "
                "page must be able to get its content another way."
            ),
        ),
        _legal(
            "accessibility_statement_date", "str", "", _l("Accessibility: date of this statement")
        ),
        _legal("legal_notice", "text", DEFAULT_LEGAL_NOTICE, _l("Legal notice (Markdown)")),
        _legal("terms_of_use", "text", DEFAULT_TERMS, _l("Terms of use (Markdown)")),
        _legal(
            "privacy_notice",
            "text",
            DEFAULT_PRIVACY,
            _l("Privacy notice (Markdown)"),
            _l("Purposes, legal basis, retention periods, rights and how to exercise them."),
        ),
        _legal(
            "privacy_dpo_contact", "str", "", _l("Contact of the data protection officer (DPO)")
        ),
    ]


@hookimpl
def hub_load_demo_content(app):
    """The demo commune's statement: an audit of a sample of pages, partly compliant."""
    settings = app.extensions["hub"].settings
    values = {
        "accessibility_status": "partiellement",
        "accessibility_rate": 82,
        "accessibility_audit_date": "14 novembre 2026",
        "accessibility_auditor": "le service numérique de la commune",
        "accessibility_statement_date": "20 novembre 2026",
        "accessibility_pages_audited": "\n".join(
            [
                "Accueil",
                "Un projet et ses contributions",
                "Liste des pétitions",
                "Une pétition et sa signature",
                "Interpellations",
                "Connexion et inscription",
                "Agenda",
                "Un quartier et sa carte",
                "Gestion d'un projet (agents)",
                "Résidence (agents)",
            ]
        ),
        "accessibility_non_compliances": (
            "- Les cartes des quartiers n'ont pas encore de description textuelle de leurs "
            "limites (critère 1.3).\n- Certains documents PDF joints aux projets ne sont pas "
            "balisés (critère 13.3)."
        ),
        "accessibility_contact": "Écrivez à accessibilite@ormeval.example ou à la mairie "
        "d'Ormeval, service numérique, 1 place de la Mairie.",
        "privacy_dpo_contact": "dpo@ormeval.example",
    }
    for key, value in values.items():
        settings.set(key, value)
