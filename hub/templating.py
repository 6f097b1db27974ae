"""Template lookup: theme, then plugins, then core; ``original:`` skips the theme; and the
``{% memo %}`` tag for the parts of the page frame that every request writes alike; the
``{% shared %}`` tag for the parts of a page every viewer with the same audience sees alike.

A theme overrides any template by putting a file of the same name in its
``templates/`` folder. To extend instead of replacing, it writes
``{% extends "original:home.html" %}``, which resolves the name as if the theme
did not exist (plugins, then core).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from flask.globals import _cv_app, _cv_request
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    TemplateNotFound,
    nodes,
)
from jinja2.ext import Extension

from .i18n import locale_name

THEMES_ROOT = Path(__file__).resolve().parent.parent / "themes"


def theme_path(theme: str) -> Path:
    path = Path(theme)
    if not path.is_absolute():
        path = THEMES_ROOT / theme
    if not path.is_dir():
        raise RuntimeError(f"theme folder not found: {path}")
    return path


class _Unprefixed(BaseLoader):
    """Loads names that contain no ``:`` prefix only (so ``original:x`` never hits the theme)."""

    def __init__(self, loader: BaseLoader):
        self.loader = loader

    def get_source(self, environment, template):
        if ":" in template:
            raise TemplateNotFound(template)
        return self.loader.get_source(environment, template)

    def list_templates(self):
        return self.loader.list_templates()


def build_loader(theme_dir: Path, plugin_dirs: list[Path], core_dirs: list[Path]) -> BaseLoader:
    original = ChoiceLoader([FileSystemLoader([str(p) for p in plugin_dirs + core_dirs])])
    theme_templates = theme_dir / "templates"
    loaders: list[BaseLoader] = []
    if theme_templates.is_dir():
        loaders.append(_Unprefixed(FileSystemLoader(str(theme_templates))))
    loaders.append(_Unprefixed(original))
    loaders.append(PrefixLoader({"original": original}, delimiter=":"))
    return ChoiceLoader(loaders)


def _parse_keyed_block(extension, parser, tag: str):
    """``{% tag key, ... %}…{% endtag %}`` as a call of ``extension._tag(site, keys, caller)``;
    the site is the template, line and compilation (an edited template is a new site)."""
    lineno = next(parser.stream).lineno
    keys = []
    while parser.stream.current.type != "block_end":
        if keys:
            parser.stream.expect("comma")
        keys.append(parser.parse_expression())
    site = nodes.Const((parser.name, lineno, next(extension._compilations)))
    body = parser.parse_statements((f"name:end{tag}",), drop_needle=True)
    call = extension.call_method(f"_{tag}", [site, nodes.Tuple(keys, "load")])
    return nodes.CallBlock(call, [], [], body).set_lineno(lineno)


# Parts kept per application (one Jinja environment each); the whole memo is dropped when full.
_MEMO_SIZE = 2_000


class MemoExtension(Extension):
    """``{% memo key, ... %}…{% endmemo %}``: the block's HTML, rendered once per worker for
    each interface language, settings version (a setting saved here or in another worker),
    set of plugins switched off, script root and the values of the keys given.

    For the page frame (header, footer, menus) that every request writes alike: a block may
    depend only on these. Whatever else it shows (the viewer's roles, the current endpoint,
    a count) must be one of its keys; nothing personal (a CSRF token, a name) goes inside.
    Each compilation of a template is a new block (an edited template is not served from
    the memo of its previous text)."""

    tags = {"memo"}
    _compilations = itertools.count()

    def __init__(self, environment):
        super().__init__(environment)
        self.parts: dict = {}

    def parse(self, parser):
        return _parse_keyed_block(self, parser, "memo")

    def _memo(self, site, keys, caller):
        hub = _cv_app.get().app.extensions["hub"]
        request_context = _cv_request.get(None)
        key = (
            site,
            keys,
            locale_name(),
            hub.settings.version,
            hub.plugins.disabled,
            request_context.request.script_root if request_context is not None else None,
        )
        parts = self.parts
        html = parts.get(key)
        if html is None:
            html = caller()
            if len(parts) >= _MEMO_SIZE:
                parts.clear()
            parts[key] = html
        return html


class SharedExtension(Extension):
    """``{% shared key, ... %}…{% endshared %}``: the block's HTML, shared for a few seconds
    by every viewer with the same audience (:mod:`hub.sharedparts`: what the key holds, what
    the block may show). The keys name what the block shows (``project.id``); the path and
    query of the request are in the key already."""

    tags = {"shared"}
    _compilations = itertools.count()

    def parse(self, parser):
        return _parse_keyed_block(self, parser, "shared")

    def _shared(self, site, keys, caller):
        from .sharedparts import shared_part

        return shared_part(site, keys, caller)
