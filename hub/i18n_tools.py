"""Maintainer tools for translation catalogues (``hub i18n ...``).

Each feature package (``hub/`` itself, a core feature folder such as
``hub/accounts``, or a plugin) may own a ``translations/`` folder; all of them
share the ``messages`` domain and are merged at run time. Messages are written in
English in the code; ``fr`` is the default language.
"""

from __future__ import annotations

import io
import re
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
# The templates' own tags ({% memo %}, {% shared %}) must parse: Jinja's extractor would
# otherwise skip a template it cannot parse, silently, and an update would drop its messages.
_TEMPLATE_OPTIONS = {
    "extensions": "jinja2.ext.do,hub.templating.MemoExtension,hub.templating.SharedExtension",
    "silent": "false",
}
OPTIONS = {
    "**/templates/**.html": _TEMPLATE_OPTIONS,
    "**/templates/**.txt": _TEMPLATE_OPTIONS,
}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
    "_l": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    # Marks a message translated later (pure modules that do not import Flask-Babel).
    "N_": None,
}
LOCALES = ("fr", "en")
# One plural rule per locale for every catalogue: they merge into one set of translations that
# applies the first catalogue's rule to all (CLDR's newer three-form French rule would shift forms).
PLURAL_FORMS = {"fr": (2, "(n > 1)"), "en": (2, "(n != 1)")}
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
        str(root),
        METHOD_MAP,
        OPTIONS,
        KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
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
        catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[locale]
        # The header's date moves only when the set of messages does, so that two branches
        # touching different messages do not both rewrite it.
        known = {(m.id, m.context) for m in catalog if m.id}
        extracted = {(m.id, m.context) for m in template if m.id}
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=known != extracted)
        if locale == "en":  # English is the source language: identity translations
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
        _write(po_path, catalog)
        missing[locale] = sum(1 for m in catalog if m.id and not _translated(m))
    return missing


def _write(po_path: Path, catalog: Catalog) -> None:
    """Write a catalogue in one stable form: sorted, file names without line numbers (moving
    code does not rewrite the catalogues)."""
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=100,
        omit_header=False,
        ignore_obsolete=True,
        sort_output=True,
        include_lineno=False,
    )
    po_path.write_bytes(buffer.getvalue())


def catalogue_paths(locale: str, root: Path = REPO_ROOT) -> list[Path]:
    """Every ``.po`` of ``locale`` under the packages of ``root``."""
    return sorted(
        p
        for folder in PACKAGE_FOLDERS
        for p in (root / folder).glob(f"**/translations/{locale}/LC_MESSAGES/messages.po")
    )


def collisions(locale: str, root: Path = REPO_ROOT) -> dict[tuple, dict[str, object]]:
    """Messages (context, id) translated differently by two catalogues of ``locale``.

    Every catalogue (the core's, each core feature's, each plugin's) is merged into the one
    ``messages`` domain at run time and the last one loaded wins: a message translated two ways
    shows one of them everywhere. Same meaning: give it one translation; different meanings: tell
    them apart with a context (``pgettext("verb", "Answer")``). Returns
    ``{(context, id): {catalogue: translation}}``, empty when there is none.
    """
    seen: dict[tuple, dict[str, object]] = {}
    for po_path in catalogue_paths(locale, root):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        owner = str(po_path.parents[3].relative_to(root))
        for m in catalog:
            if m.id and _translated(m):
                key = (m.context, m.id if isinstance(m.id, str) else tuple(m.id))
                string = m.string if isinstance(m.string, str) else tuple(m.string)
                seen.setdefault(key, {})[owner] = string
    return {k: v for k, v in seen.items() if len(set(v.values())) > 1}


# French typography: a narrow no-break space (U+202F) before ``: ; ! ?`` and inside « ».
NNBSP = "\u202f"
_SPACE_BEFORE = re.compile(r"[ \u00a0]+(?=[:;!?»])")
_SPACE_AFTER = re.compile(r"(?<=«)[ \u00a0]+")
# A sign glued to the word before it, ending a phrase ("Modérer:"); not "14:00" nor "http://".
_GLUED = re.compile(r"(?<=[^\s\u202f\u00a0:;!?/«(])(?=[:;!?](?:\s|$))")
_GUILLEMET_OPEN = re.compile(r"«(?![\u202f])")
_GUILLEMET_CLOSE = re.compile(r"(?<![\u202f])»")
# Code quoted in a sentence keeps its own punctuation.
TYPOGRAPHY_EXEMPT = ("Authorization: Bearer",)


def _exempt_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in re.finditer(r"%\([a-z_]+\)[sd]|https?://\S+", text)]
    for code in TYPOGRAPHY_EXEMPT:
        spans += [m.span() for m in re.finditer(re.escape(code), text)]
    return spans


def french_typography(text: str) -> str:
    """``text`` with the narrow no-break spaces French typography asks for."""
    result = text
    for pattern, replacement in (
        (_SPACE_BEFORE, NNBSP),
        (_SPACE_AFTER, NNBSP),
        (_GLUED, NNBSP),
        (_GUILLEMET_OPEN, "«" + NNBSP),
        (_GUILLEMET_CLOSE, NNBSP + "»"),
    ):
        result = _sub_outside(pattern, replacement, result)
    return result


def _sub_outside(pattern: re.Pattern, replacement: str, text: str) -> str:
    exempt = _exempt_spans(text)

    def replace(match):
        low, high = match.span()
        for start, end in exempt:
            if (low < end and high > start) if high > low else (start < low < end):
                return match.group(0)
        return replacement

    return pattern.sub(replace, text)


def typography_problems(text: str) -> list[str]:
    """The places where ``text`` breaks French typography (empty when it is right)."""
    fixed = french_typography(text)
    return [] if fixed == text else [fixed]


def fix_french_typography(root: Path) -> int:
    """Rewrite ``root``'s French catalogue with French typography; returns messages changed."""
    po_path = root / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return 0
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    changed = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, (list, tuple)):
            fixed = tuple(french_typography(s) for s in message.string)
        else:
            fixed = french_typography(message.string)
        if fixed != message.string:
            message.string = fixed
            changed += 1
    if changed:
        _write(po_path, catalog)
    return changed


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
    po_paths = sorted(
        p
        for folder in PACKAGE_FOLDERS
        for p in (root / folder).glob("**/translations/*/LC_MESSAGES/messages.po")
    )
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
    return [
        m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and not _translated(m)
    ]
