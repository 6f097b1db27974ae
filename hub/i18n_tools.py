"""Maintainer tools for translation catalogues (``hub i18n ...``).

Each feature package (``hub/`` itself, a core feature folder such as
``hub/accounts``, or a plugin) may own a ``translations/`` folder; all of them
share the ``messages`` domain and are merged at run time. Messages are written in
English in the code; ``fr`` is the default language.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

METHOD_MAP = [
    ("**/tests/**", "ignore"),
    ("**/translations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do"},
           "**/templates/**.txt": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
LOCALES = ("fr", "en")
PACKAGE_FOLDERS = ("hub", "plugins", "themes")
REPO_ROOT = Path(__file__).resolve().parent.parent


def catalogue_roots() -> list[Path]:
    """Every folder that owns a ``translations/`` catalogue."""
    roots = [p.parent for p in REPO_ROOT.glob("hub/**/translations") if p.is_dir()]
    roots += [p.parent for p in REPO_ROOT.glob("plugins/*/translations") if p.is_dir()]
    return sorted(set(roots))


def _skip_nested(root: Path):
    """Sub-folders that own their own catalogue are extracted separately."""
    nested = {r for r in catalogue_roots() if r != root and root in r.parents}

    def callback(filename, method, options):
        return None

    return nested, callback


def extract(root: Path) -> Catalog:
    catalog = Catalog(project="participation-hub", charset="utf-8")
    nested, _cb = _skip_nested(root)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), METHOD_MAP, OPTIONS, KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        path = (root / filename).resolve()
        if any(n in path.parents for n in nested):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update(root: Path) -> dict[str, int]:
    """Extract ``root``'s messages and merge them into its ``fr``/``en`` catalogues.

    Returns, per locale, the number of messages still untranslated.
    """
    template = extract(root)
    missing = {}
    for locale in LOCALES:
        po_path = root / "translations" / locale / "LC_MESSAGES" / "messages.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="participation-hub", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":  # English is the source language: identity translations
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, omit_header=False, ignore_obsolete=True,
                 sort_output=True)
        po_path.write_bytes(buffer.getvalue())
        missing[locale] = sum(1 for m in catalog if m.id and not _translated(m))
    return missing


def _translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string) and not message.fuzzy


def compile_all(root: Path = REPO_ROOT) -> list[Path]:
    """Compile every ``.po`` of the packages under ``root`` to ``.mo`` beside it.

    The ``.mo`` files are not committed: installing the package compiles them too (setup.py,
    docs/translations.md); this command refreshes them after a ``.po`` was edited. Returns the
    files written (an unchanged catalogue is left alone).
    """
    written = []
    po_paths = sorted(p for folder in PACKAGE_FOLDERS
                      for p in (root / folder).glob("**/translations/*/LC_MESSAGES/messages.po"))
    for po_path in po_paths:
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.read_bytes() != buffer.getvalue():
            mo_path.write_bytes(buffer.getvalue())
            written.append(mo_path)
    return written


def untranslated(root: Path, locale: str = "fr") -> list[str]:
    po_path = root / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
            if m.id and not _translated(m)]
