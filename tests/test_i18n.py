"""Languages: French by default, English on request; catalogues complete and compiled."""

import io
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from hub import i18n_tools

ROOT = Path(__file__).resolve().parent.parent
PO_FILES = sorted(p for p in ROOT.glob("**/translations/*/LC_MESSAGES/messages.po")
                  if ".venv" not in p.parts)


def test_default_language_is_french(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Se connecter" in html


def test_switching_to_english_and_back(client):
    response = client.get("/language/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html
    client.get("/language/fr?next=/")
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_unknown_codes_and_open_redirects(client):
    assert client.get("/language/de").status_code == 404
    response = client.get("/language/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_dates_and_numbers_follow_the_locale(app):
    from datetime import datetime

    from flask_babel import format_datetime, format_decimal, force_locale

    with app.test_request_context():
        with force_locale("fr"):
            assert format_decimal(48250) == "48\u202f250"
            assert "mars" in format_datetime(datetime(2026, 3, 5, 12), "long")
        with force_locale("en"):
            assert format_decimal(48250) == "48,250"
            assert "March" in format_datetime(datetime(2026, 3, 5, 12), "long")


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po_path):
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not i18n_tools._translated(m)]
    assert missing == [], f"untranslated in {po_path}: {missing[:5]}"
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists() and mo_path.read_bytes() == buffer.getvalue(), (
        f"{mo_path} is stale: run `hub i18n compile`")


def test_every_core_message_is_in_the_catalogue():
    """A string added to the code without `hub i18n update` would show in English only."""
    for root in i18n_tools.catalogue_roots():
        extracted = {m.id if isinstance(m.id, str) else m.id[0]
                     for m in i18n_tools.extract(root) if m.id}
        with (root / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        assert extracted - known == set(), f"run `hub i18n update {root}`"
