"""Languages: French by default, English on request; catalogues complete and what the app serves.

The catalogue tests compare *messages*, never the bytes of a compiled ``.mo`` file: two releases
of Babel may write the same catalogue with different header bytes, and a user sees no difference.
"""

import re
from gettext import c2py
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from hub import i18n_tools

ROOT = Path(__file__).resolve().parent.parent
PO_FILES = sorted(
    p
    for folder in i18n_tools.PACKAGE_FOLDERS
    for p in (ROOT / folder).glob("**/translations/*/LC_MESSAGES/messages.po")
)
STALE = "run `hub i18n compile` (or reinstall: `pip install -e .` compiles the catalogues)"


def po_messages(path: Path) -> dict:
    """``{(context, id): translation}`` for every translated, non-fuzzy message of a ``.po``."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    return {
        (m.context, _plain(m.id)): _plain(m.string)
        for m in catalog
        if m.id and not m.fuzzy and i18n_tools._translated(m)
    }


def mo_messages(path: Path) -> dict:
    with path.open("rb") as fh:
        catalog = read_mo(fh)
    return {(m.context, _plain(m.id)): _plain(m.string) for m in catalog if m.id}


def _plain(string):
    return tuple(string) if isinstance(string, (list, tuple)) else string


def plural_expression(path: Path) -> str:
    with path.open("rb") as fh:
        return read_po(fh).plural_expr


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

    from flask_babel import force_locale, format_datetime, format_decimal

    with app.test_request_context():
        with force_locale("fr"):
            # A (no-break) space between thousands: which one is the CLDR release's choice
            # (U+202F today, U+00A0 before CLDR 34), not the hub's.
            assert re.fullmatch(r"48\s250", format_decimal(48250))
            assert "mars" in format_datetime(datetime(2026, 3, 5, 12), "long")
        with force_locale("en"):
            assert format_decimal(48250) == "48,250"
            assert "March" in format_datetime(datetime(2026, 3, 5, 12), "long")


def test_catalogues_exist():
    """The parametrised tests below would pass vacuously on an empty list."""
    assert len(PO_FILES) >= 2 and ROOT / "hub/translations/fr/LC_MESSAGES/messages.po" in PO_FILES


FRENCH_PO_FILES = [p for p in PO_FILES if p.parts[-3] == "fr"]


@pytest.mark.parametrize("po_path", FRENCH_PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_french_catalogues_follow_french_typography(po_path):
    """A narrow no-break space (U+202F) before : ; ! ? and inside « », never a plain space
    nor none ("Modérer:", "Accessibilité : …" with a breakable space)."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    wrong = []
    for m in (m for m in catalog if m.id):
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        wrong += [s for s in strings if s and i18n_tools.typography_problems(s)]
    assert wrong == [], (
        f"{len(wrong)} French messages in {po_path} miss a narrow no-break space, e.g. "
        f"{wrong[:3]}: run `hub i18n typography`"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Modérer:", "Modérer\u202f:"),
        ("Accessibilité : non conforme", "Accessibilité\u202f: non conforme"),
        ("Vraiment ?", "Vraiment\u202f?"),
        ("Oui ; non !", "Oui\u202f; non\u202f!"),
        ("« Bonjour »", "«\u202fBonjour\u202f»"),
        ("%(name)s: %(when)s", "%(name)s\u202f: %(when)s"),
        ("à 14:00, voir https://example.org/?q=1", "à 14:00, voir https://example.org/?q=1"),
    ],
)
def test_the_typography_check_finds_what_it_corrects(text, expected):
    assert i18n_tools.french_typography(text) == expected
    assert i18n_tools.typography_problems(text) == ([] if text == expected else [expected])
    assert i18n_tools.typography_problems(expected) == []


@pytest.mark.parametrize("locale", i18n_tools.LOCALES)
def test_one_translation_per_message_across_catalogues(locale):
    """Every catalogue merges into one domain where the last loaded wins, so a message translated
    two ways in two packages shows one of them everywhere (a button reading "Réponse" where
    "Répondre" was meant). One meaning: one shared translation; two meanings: a context."""
    found = i18n_tools.collisions(locale)
    shown = [f"{msgid!r} (context {ctx!r}): {owners}" for (ctx, msgid), owners in found.items()]
    assert shown == [], (
        f"{len(shown)} messages translated differently across catalogues: give them one "
        f"translation, or pgettext(context, ...) where the meaning differs: {shown[:5]}"
    )


def test_the_collision_check_finds_a_message_translated_two_ways(tmp_path):
    """The check above can fail: two packages translating one message differently."""
    for package, string in (("hub", "Réponse"), ("plugins/p", "Répondre")):
        po_path = tmp_path / package / "translations/fr/LC_MESSAGES/messages.po"
        po_path.parent.mkdir(parents=True)
        po_path.write_text(
            f'msgid "Answer"\nmsgstr "{string}"\n\nmsgctxt "verb"\nmsgid "Answer"\n'
            'msgstr "Répondre"\n',
            encoding="utf-8",
        )
    assert i18n_tools.collisions("fr", tmp_path) == {
        (None, "Answer"): {"hub": "Réponse", "plugins/p": "Répondre"}
    }


@pytest.mark.parametrize("locale", i18n_tools.LOCALES)
def test_every_catalogue_has_the_same_plural_rule(locale):
    """Merged catalogues share the first one's plural rule: another rule would pick wrong forms."""
    rules = {
        str(p.relative_to(ROOT)): plural_expression(p) for p in PO_FILES if p.parts[-3] == locale
    }
    expected = i18n_tools.PLURAL_FORMS[locale][1]
    assert {k: v for k, v in rules.items() if v != expected} == {}


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po_path):
    """Every message is translated, and the compiled catalogue beside it holds the same
    messages and plural rule (whatever tool version wrote its bytes)."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not i18n_tools._translated(m)]
    assert missing == [], f"untranslated in {po_path}: {missing[:5]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: {STALE}"
    with mo_path.open("rb") as fh:
        compiled = read_mo(fh)
    assert compiled.plural_expr == catalog.plural_expr, f"{mo_path} is stale: {STALE}"
    expected, found = po_messages(po_path), mo_messages(mo_path)
    changed = sorted(
        k[1] if isinstance(k[1], str) else k[1][0]
        for k in expected.keys() ^ found.keys()
        | {k for k in expected.keys() & found.keys() if expected[k] != found[k]}
    )
    assert changed == [], (
        f"{mo_path} is stale ({len(changed)} messages differ, e.g. {changed[:3]}): {STALE}"
    )


def test_the_app_loads_every_catalogue(app):
    """A catalogue outside the app's translation directories would never be shown."""
    loaded = {Path(d).resolve() for d in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")}
    on_disk = {p.parents[2].resolve() for p in PO_FILES}
    assert on_disk - loaded == set()


@pytest.mark.parametrize("locale", i18n_tools.LOCALES)
def test_the_app_serves_the_po_translations(app, locale):
    """What a visitor sees at run time is what the ``.po`` files say: each message, plural
    forms included, through the app's own Flask-Babel translations. Catalogues are merged in
    the app's loading order, a later catalogue overriding an earlier one for the same message,
    as Flask-Babel does."""
    from flask_babel import force_locale, get_translations

    expected, plural_expr = {}, None
    for folder in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"):
        po_path = Path(folder) / locale / "LC_MESSAGES" / "messages.po"
        if po_path.exists():
            expected.update(po_messages(po_path))
            plural_expr = plural_expression(po_path)
    assert len(expected) > 100 and plural_expr
    plural = c2py(plural_expr)
    wrong = []
    with app.test_request_context(), force_locale(locale):
        served = get_translations()
        for (context, msgid), string in expected.items():
            if isinstance(msgid, tuple):
                for n in (0, 1, 2, 5):
                    shown = (
                        served.npgettext(context, *msgid, n)
                        if context
                        else served.ngettext(*msgid, n)
                    )
                    if shown != string[plural(n)]:
                        wrong.append((msgid[0], n, shown))
            else:
                shown = served.pgettext(context, msgid) if context else served.gettext(msgid)
                if shown != string:
                    wrong.append((msgid, shown))
    assert wrong == [], f"{len(wrong)} messages differ from the .po files ({STALE}): {wrong[:3]}"


def test_hub_i18n_compile_writes_catalogues_the_app_can_read(tmp_path):
    """The translators' command compiles every ``.po`` under a folder to the same messages."""
    source = ROOT / "hub" / "translations"
    copy = tmp_path / "hub" / "translations"
    for po_path in source.glob("*/LC_MESSAGES/messages.po"):
        target = copy / po_path.relative_to(source)
        target.parent.mkdir(parents=True)
        target.write_bytes(po_path.read_bytes())
    written = i18n_tools.compile_all(tmp_path)
    assert sorted(written) == sorted(p.with_suffix(".mo") for p in copy.glob("*/*/messages.po"))
    for mo_path in written:
        assert mo_messages(mo_path) == po_messages(mo_path.with_suffix(".po"))
    assert i18n_tools.compile_all(tmp_path) == [], "an up-to-date catalogue is left alone"


def test_every_core_message_is_in_the_catalogue():
    """A string added to the code without `hub i18n update` would show in English only."""
    for root in i18n_tools.catalogue_roots():
        extracted = {
            m.id if isinstance(m.id, str) else m.id[0] for m in i18n_tools.extract(root) if m.id
        }
        with (root / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        assert extracted - known == set(), f"run `hub i18n update {root}`"


def test_a_title_made_of_french_content_is_marked_in_english(app, client):
    """RGAA 8.7: in the English interface, a page whose title is a project's (French) title
    marks ``<title lang="fr">``; the French interface and English-titled pages do not."""
    from factories import make_project, make_territory

    make_territory(app)
    project_id = make_project(app, published=True, title="Ligne de tram T3")
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "<title>Ligne de tram T3 – " in html
    client.get("/language/en?next=/")
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert '<title lang="fr">Ligne de tram T3 – ' in html
    assert "<title>Projects – " in client.get("/projects").get_data(as_text=True)


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plurals_go_through_ngettext_never_a_parenthesised_s(po_path):
    """ "0 soutien(s)", "2 district(s)": a count's noun agrees through ngettext."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    shortcut = re.compile(r"\w\((?:s|es|x|e)\)")
    found = []
    for m in (m for m in catalog if m.id):
        texts = [*(m.id if isinstance(m.id, (list, tuple)) else [m.id])]
        texts += [*(m.string if isinstance(m.string, (list, tuple)) else [m.string])]
        found += [t for t in texts if t and shortcut.search(t)]
    assert found == [], f"{po_path}: {found[:3]}"


def test_messages_follow_a_forced_locale_and_come_back(app):
    """The catalogue is found once per request and locale (hub.i18n): a forced locale, and
    a refresh after the visitor's language changed, still pick their own catalogue, in
    Python code and in templates alike."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext, refresh

    def both():
        return gettext("Log out"), render_template_string("{{ _('Log out') }}")

    with app.test_request_context("/", headers={"Cookie": "hub_lang=en"}):
        assert both() == ("Log out", "Log out")
        with force_locale("fr"):
            assert both() == ("Se déconnecter", "Se déconnecter")
        assert both() == ("Log out", "Log out")
        with force_locale("fr"):
            assert both() == ("Se déconnecter", "Se déconnecter")
    with app.test_request_context("/"):
        assert both() == ("Se déconnecter", "Se déconnecter")
        app.config["DEFAULT_LOCALE"], default = "en", app.config["DEFAULT_LOCALE"]
        try:
            refresh()
            assert both() == ("Log out", "Log out")
        finally:
            app.config["DEFAULT_LOCALE"] = default
